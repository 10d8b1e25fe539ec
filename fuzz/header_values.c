/* Fuzz target: list-valued header values (codec/header_values.h) and the
 * permessage-deflate parameter rules built on them (codec/handshake.h).
 *
 * Input: [format cap][token length][token...]value NUL value NUL ...
 * Each NUL-separated value is one header instance (exact-size heap copy, not
 * NUL-terminated, so any read past len is an ASan error). Invariants:
 *  - ws_list_next yields non-empty, OWS-trimmed, comma-free elements inside
 *    the value, always advancing; ws_list_has_token agrees with them;
 *  - ws_subprotocols_parse yields tokens only, within the limit;
 *  - ws_extensions_parse, then ws_extensions_format, parses back to the same
 *    structure, and formatting that gives the same text (a fixed point);
 *    a short buffer is refused, never overrun;
 *  - ws_pmd_window_bits_value and ws_pmd_params_parse stay in range. */
#include "fuzz/fuzz_common.h"

#include "codec/errors.h"
#include "codec/handshake.h"
#include "codec/header_values.h"

#include <strings.h>

#define FORMAT_CAP 8192

static void check_list(const char *value, size_t len, const char *token) {
  const char *cursor = value, *end = value + len;
  ws_span el;
  bool found = false;
  size_t tlen = strlen(token);
  for (size_t guard = 0; ws_list_next(&cursor, end, &el); guard++) {
    FUZZ_CHECK(guard <= len);
    FUZZ_CHECK(cursor <= end && el.ptr >= value && el.ptr + el.len <= cursor);
    FUZZ_CHECK(el.len > 0);
    FUZZ_CHECK(!fz_is_ows(el.ptr[0]) && !fz_is_ows(el.ptr[el.len - 1]));
    FUZZ_CHECK(memchr(el.ptr, ',', el.len) == NULL);
    if (el.len == tlen && !strncasecmp(el.ptr, token, tlen))
      found = true;
  }
  /* A token never holds OWS or a comma, so membership is element
   * equality. */
  if (tlen > 0 && ws_is_token(token, tlen))
    FUZZ_CHECK(ws_list_has_token(value, len, token) == found);
}

static bool span_eq(ws_span a, ws_span b) {
  return a.len == b.len && (a.len == 0 || !memcmp(a.ptr, b.ptr, a.len));
}

static void compare_lists(const ws_extension_list *a,
                          const ws_extension_list *b) {
  FUZZ_CHECK(a->count == b->count);
  for (size_t i = 0; i < a->count; i++) {
    const ws_extension *x = &a->items[i], *y = &b->items[i];
    FUZZ_CHECK(span_eq(x->name, y->name) && x->param_count == y->param_count);
    for (size_t j = 0; j < x->param_count; j++) {
      FUZZ_CHECK(span_eq(x->params[j].name, y->params[j].name));
      FUZZ_CHECK(x->params[j].has_value == y->params[j].has_value);
      FUZZ_CHECK(!x->params[j].has_value ||
                 span_eq(x->params[j].value, y->params[j].value));
    }
  }
}

static void check_extension(const ws_extension *ext) {
  FUZZ_CHECK(ws_is_token(ext->name.ptr, ext->name.len));
  FUZZ_CHECK(ext->param_count <= WS_EXT_MAX_PARAMS);
  for (size_t j = 0; j < ext->param_count; j++) {
    const ws_ext_param *p = &ext->params[j];
    FUZZ_CHECK(ws_is_token(p->name.ptr, p->name.len));
    FUZZ_CHECK(!p->has_value || ws_is_token(p->value.ptr, p->value.len));
    if (p->has_value) {
      int bits = ws_pmd_window_bits_value(p->value);
      FUZZ_CHECK(bits == 0 || (bits >= 8 && bits <= 15));
      if (bits) {
        /* "8".."15" exactly: no sign, no leading zero. */
        char text[3];
        int n = snprintf(text, sizeof text, "%d", bits);
        FUZZ_CHECK(n == (int)p->value.len && !memcmp(text, p->value.ptr, n));
      }
    }
  }
  for (int is_response = 0; is_response < 2; is_response++) {
    ws_pmd_params params;
    if (!ws_pmd_params_parse(ext, is_response, &params))
      continue;
    FUZZ_CHECK(params.server_max_window_bits == 0 ||
               (params.server_max_window_bits >= 8 &&
                params.server_max_window_bits <= 15));
    FUZZ_CHECK(params.client_max_window_bits == 0 ||
               (params.client_max_window_bits >= 8 &&
                params.client_max_window_bits <= 15) ||
               (!is_response &&
                params.client_max_window_bits == WS_PMD_BITS_NO_VALUE));
  }
}

static void check_format(const ws_extension_list *list, size_t small_cap) {
  char *out = malloc(FORMAT_CAP);
  FUZZ_CHECK(out);
  long n = ws_extensions_format(list, out, FORMAT_CAP);
  FUZZ_CHECK(n >= 0 && (size_t)n < FORMAT_CAP && out[n] == '\0' &&
             strlen(out) == (size_t)n);
  /* A smaller buffer: the same text or a refusal, never an overrun (an
   * exact-size block, so ASan sees a write past it). */
  char *small = malloc(small_cap ? small_cap : 1);
  FUZZ_CHECK(small);
  long m = ws_extensions_format(list, small, small_cap);
  if ((size_t)n < small_cap)
    FUZZ_CHECK(m == n && !memcmp(small, out, (size_t)n + 1));
  else
    FUZZ_CHECK(m == -WS_E_BUFFER_TOO_SMALL);
  free(small);

  if (list->count > 0) {
    /* Round trip: the canonical text parses to the same list... */
    ws_extension_list *again = malloc(sizeof *again);
    FUZZ_CHECK(again);
    ws_extension_list_init(again);
    FUZZ_CHECK(ws_extensions_parse(out, (size_t)n, again) == 0);
    compare_lists(list, again);
    /* ...and formats to the same text. */
    char *out2 = malloc(FORMAT_CAP);
    FUZZ_CHECK(out2);
    FUZZ_CHECK(ws_extensions_format(again, out2, FORMAT_CAP) == n);
    FUZZ_CHECK(!memcmp(out, out2, (size_t)n));
    free(out2);
    free(again);
  }
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  size_t small_cap = fz_u8(&in);
  fz_input tok = fz_take(&in, fz_u8(&in) & 15);
  char token[16];
  memcpy(token, tok.p, tok.n);
  token[tok.n] = '\0';

  ws_extension_list *list = malloc(sizeof *list);
  ws_subprotocol_list *protocols = malloc(sizeof *protocols);
  FUZZ_CHECK(list && protocols);
  ws_extension_list_init(list);
  memset(protocols, 0, sizeof *protocols);

  /* Spans point into the values: keep them until the list is checked. */
  char *values[64];
  size_t value_count = 0;
  while (in.n > 0 && value_count < 64) {
    const uint8_t *nul = memchr(in.p, 0, in.n);
    size_t len = nul ? (size_t)(nul - in.p) : in.n;
    char *value = (char *)fz_dup(in.p, len);
    values[value_count++] = value;
    in.p += len + (nul ? 1 : 0);
    in.n -= len + (nul ? 1 : 0);

    check_list(value, len, token);

    size_t before = protocols->count;
    if (ws_subprotocols_parse(value, len, protocols) == 0) {
      FUZZ_CHECK(protocols->count > before);
      FUZZ_CHECK(protocols->count <= WS_MAX_SUBPROTOCOLS);
      for (size_t i = before; i < protocols->count; i++)
        FUZZ_CHECK(
            ws_is_token(protocols->items[i].ptr, protocols->items[i].len));
    } else {
      /* A refused value may leave the list unusable; start over. */
      memset(protocols, 0, sizeof *protocols);
    }

    size_t count = list->count, store = list->store_used;
    int rc = ws_extensions_parse(value, len, list);
    if (rc == 0) {
      FUZZ_CHECK(list->count > count && list->count <= WS_EXT_MAX);
      FUZZ_CHECK(list->store_used <= WS_EXT_VALUE_STORE);
      for (size_t i = count; i < list->count; i++)
        check_extension(&list->items[i]);
    } else {
      /* A refused value leaves the list as it was. */
      FUZZ_CHECK(rc == -WS_E_HS_BAD_EXTENSION_HEADER);
      FUZZ_CHECK(list->count == count && list->store_used == store);
    }
  }
  check_format(list, small_cap);

  for (size_t i = 0; i < value_count; i++)
    free(values[i]);
  free(list);
  free(protocols);
  return 0;
}
