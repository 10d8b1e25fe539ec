#include "cli/cli_args.h"

#include <criterion/criterion.h>
#include <criterion/redirect.h>

Test(cli_args, whole_numbers_in_range, .init = cr_redirect_stderr) {
  uint64_t v = 0;
  cr_assert_eq(ws_arg_uint("--port", "0", 0, 65535, &v), 0);
  cr_assert_eq(v, 0);
  cr_assert_eq(ws_arg_uint("--port", "65535", 0, 65535, &v), 0);
  cr_assert_eq(v, 65535);
  cr_assert_eq(ws_arg_uint("--port", "65536", 0, 65535, &v), -1);
  cr_assert_eq(ws_arg_uint("--port", "-1", 0, 65535, &v), -1);
  cr_assert_eq(ws_arg_uint("--port", "12a", 0, 65535, &v), -1);
  cr_assert_eq(ws_arg_uint("--port", "", 0, 65535, &v), -1);
  cr_assert_eq(ws_arg_uint("--port", " 1", 0, 65535, &v), -1);
  cr_assert_eq(ws_arg_uint("--n", "99999999999999999999999", 0, UINT64_MAX, &v),
               -1);
  cr_assert_eq(v, 65535, "a failed parse must not change the output");
}

Test(cli_args, byte_counts_with_suffixes, .init = cr_redirect_stderr) {
  uint64_t v = 0;
  cr_assert_eq(ws_arg_bytes("--max", "512", 1, UINT64_MAX, &v), 0);
  cr_assert_eq(v, 512);
  cr_assert_eq(ws_arg_bytes("--max", "64K", 1, UINT64_MAX, &v), 0);
  cr_assert_eq(v, 65536);
  cr_assert_eq(ws_arg_bytes("--max", "16MiB", 1, UINT64_MAX, &v), 0);
  cr_assert_eq(v, 16u << 20);
  cr_assert_eq(ws_arg_bytes("--max", "1g", 1, UINT64_MAX, &v), 0);
  cr_assert_eq(v, 1u << 30);
  cr_assert_eq(ws_arg_bytes("--max", "1T", 1, UINT64_MAX, &v), -1);
  cr_assert_eq(ws_arg_bytes("--max", "0", 1, UINT64_MAX, &v), -1);
  cr_assert_eq(ws_arg_bytes("--max", "99999999999999G", 1, UINT64_MAX, &v), -1);
}

Test(cli_args, error_message_names_the_option, .init = cr_redirect_stderr) {
  uint64_t v;
  ws_arg_uint("--port", "abc", 0, 65535, &v);
  fflush(stderr);
  cr_assert_stderr_eq_str("wsprobe: --port: 'abc' is not a whole number in "
                          "0-65535\n");
}
