#include "codec/errors.h"
#include "codec/strbuf.h"

#include <criterion/criterion.h>

Test(strbuf, appends_and_reports_length) {
  char out[32];
  ws_strbuf b;
  ws_strbuf_init(&b, out, sizeof out);
  ws_strbuf_printf(&b, "GET %s", "/");
  ws_strbuf_printf(&b, " HTTP/1.%d", 1);
  cr_assert_eq(ws_strbuf_finish(&b), 14);
  cr_assert_str_eq(out, "GET / HTTP/1.1");
}

Test(strbuf, overflow_sticks_and_empties_the_output) {
  char out[8];
  ws_strbuf b;
  ws_strbuf_init(&b, out, sizeof out);
  ws_strbuf_printf(&b, "1234567"); /* exactly fits with the NUL */
  ws_strbuf_printf(&b, "8");       /* one too many */
  ws_strbuf_printf(&b, "9");       /* later appends change nothing */
  cr_assert_eq(ws_strbuf_finish(&b), -WS_E_BUFFER_TOO_SMALL);
  cr_assert_str_eq(out, "");
}

Test(strbuf, zero_capacity_is_an_overflow_not_a_write) {
  ws_strbuf b;
  ws_strbuf_init(&b, NULL, 0);
  ws_strbuf_printf(&b, "x");
  cr_assert_eq(ws_strbuf_finish(&b), -WS_E_BUFFER_TOO_SMALL);
}
