/* Values of list-valued headers: RFC 7230 7 comma lists and the
 * Sec-WebSocket-Protocol / Sec-WebSocket-Extensions grammars of RFC 6455.
 * Nothing here allocates: the results live in caller-provided structures. */
#include "codec/header_values.h"

#include "codec/errors.h"

#include <string.h>

bool ws_is_tchar(unsigned char c) {
  /* RFC 7230 3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
   * "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return true;
  return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool ws_is_token(const char *s, size_t len) {
  /* RFC 7230 3.2.6: token = 1*tchar, so the empty string is not a token. */
  if (len == 0)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!ws_is_tchar((unsigned char)s[i]))
      return false;
  return true;
}

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

static unsigned char lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool bytes_ieq(const char *a, const char *b, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
      return false;
  return true;
}

bool ws_list_next(const char **cursor, const char *end, ws_span *element) {
  const char *p = *cursor;
  /* RFC 7230 7: a recipient MUST accept empty list elements and OWS around
   * them, so both are skipped before an element starts. */
  while (p < end && (is_ows(*p) || *p == ','))
    p++;
  if (p == end) {
    *cursor = p;
    return false;
  }
  const char *start = p;
  while (p < end && *p != ',')
    p++;
  const char *stop = p;
  while (stop > start && is_ows(stop[-1]))
    stop--;
  element->ptr = start;
  element->len = (size_t)(stop - start);
  *cursor = p < end ? p + 1 : p;
  return true;
}

bool ws_list_has_token(const char *value, size_t len, const char *token) {
  size_t token_len = strlen(token);
  const char *cursor = value;
  ws_span element;
  /* Whole elements are compared, never substrings, so "NotUpgrade" does not
   * contain the token "upgrade". */
  while (ws_list_next(&cursor, value + len, &element))
    if (element.len == token_len && bytes_ieq(element.ptr, token, token_len))
      return true;
  return false;
}

int ws_subprotocols_parse(const char *value, size_t len,
                          ws_subprotocol_list *out) {
  size_t start_count = out->count;
  const char *cursor = value;
  ws_span element;
  /* RFC 6455 4.1: the |Sec-WebSocket-Protocol| value is 1#token, a non-empty
   * list of tokens. */
  while (ws_list_next(&cursor, value + len, &element)) {
    if (!ws_is_token(element.ptr, element.len) ||
        out->count == WS_MAX_SUBPROTOCOLS) {
      out->count = start_count;
      return -WS_E_HS_BAD_PROTOCOL_HEADER;
    }
    out->items[out->count++] = element;
  }
  if (out->count == start_count)
    return -WS_E_HS_BAD_PROTOCOL_HEADER;
  return 0;
}

void ws_extension_list_init(ws_extension_list *list) {
  memset(list, 0, sizeof(*list));
}

/* A cursor over one Sec-WebSocket-Extensions value. */
struct ext_scanner {
  const char *p;
  const char *end;
  ws_extension_list *list;
};

static void skip_ows(struct ext_scanner *s) {
  while (s->p < s->end && is_ows(*s->p))
    s->p++;
}

static bool at(const struct ext_scanner *s, char c) {
  return s->p < s->end && *s->p == c;
}

/* Reads a token (possibly empty: the caller decides whether that is legal). */
static ws_span scan_token(struct ext_scanner *s) {
  ws_span token = {s->p, 0};
  while (s->p < s->end && ws_is_tchar((unsigned char)*s->p))
    s->p++;
  token.len = (size_t)(s->p - token.ptr);
  return token;
}

/* RFC 7230 3.2.6: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text;
 * quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ). */
static bool is_qdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) ||
         (c >= 0x5D && c <= 0x7E) || c >= 0x80;
}

static bool is_quotable(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7F);
}

/* Reads a quoted-string at s->p (which is '"'), unescaping it into the list's
 * store. Returns false on a grammar error or when the store is full. */
static bool scan_quoted(struct ext_scanner *s, ws_span *value) {
  ws_extension_list *list = s->list;
  char *out = list->store + list->store_used;
  size_t room = WS_EXT_VALUE_STORE - list->store_used;
  size_t n = 0;
  s->p++; /* the opening quote */
  for (;;) {
    if (s->p == s->end)
      return false; /* unterminated */
    unsigned char c = (unsigned char)*s->p++;
    if (c == '"')
      break;
    if (c == '\\') {
      if (s->p == s->end || !is_quotable((unsigned char)*s->p))
        return false;
      c = (unsigned char)*s->p++;
    } else if (!is_qdtext(c)) {
      return false;
    }
    if (n + 1 >= room) /* keep one byte for the terminating NUL */
      return false;
    out[n++] = (char)c;
  }
  /* RFC 6455 9.1: "When using the quoted-string syntax variant, the value
   * after quoted-string unescaping MUST conform to the 'token' ABNF." */
  if (!ws_is_token(out, n))
    return false;
  out[n] = '\0';
  list->store_used += n + 1;
  value->ptr = out;
  value->len = n;
  return true;
}

/* extension-param = token [ "=" (token | quoted-string) ], with OWS allowed
 * around "=" as the header comment documents. */
static bool scan_param(struct ext_scanner *s, ws_extension *ext) {
  ws_ext_param param = {.has_value = false};
  param.name = scan_token(s);
  if (param.name.len == 0 || ext->param_count == WS_EXT_MAX_PARAMS)
    return false;
  skip_ows(s);
  if (at(s, '=')) {
    s->p++;
    skip_ows(s);
    if (at(s, '"')) {
      if (!scan_quoted(s, &param.value))
        return false;
    } else {
      param.value = scan_token(s);
      if (param.value.len == 0)
        return false;
    }
    param.has_value = true;
    skip_ows(s);
  }
  ext->params[ext->param_count++] = param;
  return true;
}

/* extension = extension-token *( ";" extension-param ) */
static bool scan_extension(struct ext_scanner *s) {
  ws_extension_list *list = s->list;
  if (list->count == WS_EXT_MAX)
    return false;
  ws_extension *ext = &list->items[list->count];
  ext->param_count = 0;
  ext->name = scan_token(s);
  if (ext->name.len == 0)
    return false;
  skip_ows(s);
  while (at(s, ';')) {
    s->p++;
    skip_ows(s);
    if (!scan_param(s, ext))
      return false;
  }
  list->count++;
  return true;
}

int ws_extensions_parse(const char *value, size_t len, ws_extension_list *out) {
  struct ext_scanner s = {value, value + len, out};
  size_t start_count = out->count;
  size_t start_store = out->store_used;
  for (;;) {
    /* RFC 7230 7: empty list elements and OWS are skipped. */
    while (s.p < s.end && (is_ows(*s.p) || *s.p == ','))
      s.p++;
    if (s.p == s.end)
      break;
    /* An extension must end at a comma or at the end of the value. */
    if (!scan_extension(&s) || (s.p < s.end && *s.p != ','))
      goto fail_restore;
  }
  /* RFC 6455 9.1: extension-list = 1#extension, at least one per value. */
  if (out->count == start_count)
    goto fail_restore;
  return 0;

fail_restore:
  out->count = start_count;
  out->store_used = start_store;
  return -WS_E_HS_BAD_EXTENSION_HEADER;
}

/* Appends len bytes and keeps room for the final NUL. */
static bool append(char *out, size_t cap, size_t *used, const char *s,
                   size_t len) {
  if (len >= cap - *used)
    return false;
  memcpy(out + *used, s, len);
  *used += len;
  return true;
}

static bool append_span(char *out, size_t cap, size_t *used, ws_span s) {
  return append(out, cap, used, s.ptr, s.len);
}

static bool format_extension(const ws_extension *ext, char *out, size_t cap,
                             size_t *used) {
  if (!append_span(out, cap, used, ext->name))
    return false;
  for (size_t i = 0; i < ext->param_count; i++) {
    const ws_ext_param *param = &ext->params[i];
    if (!append(out, cap, used, "; ", 2) ||
        !append_span(out, cap, used, param->name))
      return false;
    /* Parsed values are always tokens (9.1), so they need no quoting. */
    if (param->has_value && (!append(out, cap, used, "=", 1) ||
                             !append_span(out, cap, used, param->value)))
      return false;
  }
  return true;
}

long ws_extensions_format(const ws_extension_list *list, char *out,
                          size_t cap) {
  size_t used = 0;
  if (cap == 0)
    return -WS_E_BUFFER_TOO_SMALL;
  for (size_t i = 0; i < list->count; i++) {
    if ((i > 0 && !append(out, cap, &used, ", ", 2)) ||
        !format_extension(&list->items[i], out, cap, &used))
      return -WS_E_BUFFER_TOO_SMALL;
  }
  out[used] = '\0';
  return (long)used;
}
