/* A resumable, bounded HTTP/1.1 header-block parser (RFC 7230 3).
 *
 * Two phases. Framing: bytes are appended to the parser's buffer and scanned
 * for the blank line, resuming where the previous call stopped, so the total
 * work is linear in the block size however the bytes are split. Parsing: once
 * the block is complete it is parsed in place; the separators after each piece
 * (SP, ':', CR, LF, trailing OWS) are overwritten with NUL so every span is
 * also a C string. */
#include "codec/http.h"

#include "codec/errors.h"
#include "codec/header_values.h"
#include "codec/hooks.h"

#include <string.h>

/* The first allocation; later ones double, capped at max_bytes + 1 (the extra
 * byte holds the NUL after the last line). */
#define INITIAL_CAPACITY 256

void ws_http_parser_init(ws_http_parser *p, enum ws_http_kind kind,
                         size_t max_bytes, size_t max_fields) {
  memset(p, 0, sizeof(*p));
  p->kind = kind;
  p->max_bytes = max_bytes ? max_bytes : WS_HTTP_DEFAULT_MAX_BYTES;
  p->max_fields = max_fields ? max_fields : WS_HTTP_DEFAULT_MAX_FIELDS;
  p->message.kind = kind;
}

void ws_http_parser_free(ws_http_parser *p) {
  ws_free(p->raw);
  ws_free(p->fields);
  p->raw = NULL;
  p->fields = NULL;
  p->raw_len = p->raw_cap = 0;
  p->message.fields = NULL;
  p->message.field_count = 0;
}

const ws_http_message *ws_http_parser_message(const ws_http_parser *p) {
  return p->result == 1 ? &p->message : NULL;
}

/* ---- framing ------------------------------------------------------------ */

/* Makes room for `need` bytes in total, growing geometrically so a block
 * dripped one byte at a time costs O(log n) allocations. */
static int reserve(ws_http_parser *p, size_t need) {
  if (need <= p->raw_cap)
    return 0;
  size_t limit = p->max_bytes + 1;
  size_t cap = p->raw_cap ? p->raw_cap : INITIAL_CAPACITY;
  while (cap < need)
    cap *= 2;
  if (cap > limit)
    cap = limit;
  char *grown = ws_realloc(p->raw, cap);
  if (!grown)
    return -WS_E_NOMEM;
  p->raw = grown;
  p->raw_cap = cap;
  return 0;
}

/* True when the LF at index i closes an empty line: the block ends there.
 * Looking back at most two bytes keeps the scan stateless and linear. */
static bool ends_block(const char *raw, size_t i) {
  if (i == 0 || raw[i - 1] == '\n')
    return true;
  if (raw[i - 1] == '\r')
    return i == 1 || raw[i - 2] == '\n';
  return false;
}

/* Scans the new bytes for the end of the block. Returns the block length, or
 * 0 when it is not complete yet. Counts lines on the way so that a flood of
 * tiny header lines is refused as soon as it exceeds max_fields. */
static size_t scan_for_end(ws_http_parser *p, int *err) {
  for (; p->scan < p->raw_len; p->scan++) {
    if (p->raw[p->scan] != '\n')
      continue;
    if (ends_block(p->raw, p->scan))
      return ++p->scan;
    /* Lines so far: the start line plus the field lines. */
    if (++p->lines > p->max_fields + 1) {
      *err = -WS_E_HTTP_TOO_MANY_HEADERS;
      return 0;
    }
  }
  return 0;
}

/* ---- parsing ------------------------------------------------------------ */

/* A cursor over the complete block: `line` is the current line without its
 * line end, NUL-terminated in place. */
struct block {
  char *p;
  char *end;
};

static bool next_line(struct block *b, char **line, size_t *len) {
  if (b->p >= b->end)
    return false;
  char *nl = memchr(b->p, '\n', (size_t)(b->end - b->p));
  char *stop = nl ? nl : b->end;
  *line = b->p;
  b->p = nl ? nl + 1 : b->end;
  /* RFC 7230 3.5: a recipient MAY recognize a single LF as a line terminator
   * and ignore any preceding CR. */
  if (stop > *line && stop[-1] == '\r')
    stop--;
  *stop = '\0';
  *len = (size_t)(stop - *line);
  return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* RFC 7230 2.6: HTTP-version = "HTTP/" DIGIT "." DIGIT (case-sensitive). */
static int parse_version(const char *s, size_t len, ws_http_message *m) {
  if (len != 8 || memcmp(s, "HTTP/", 5) != 0 || !is_digit(s[5]) ||
      s[6] != '.' || !is_digit(s[7]))
    return -WS_E_HTTP_SYNTAX;
  m->version_major = s[5] - '0';
  m->version_minor = s[7] - '0';
  /* Only HTTP/1.x has this message syntax; 1.0 is refused later by the
   * handshake validator, which needs 1.1 or higher. */
  if (m->version_major != 1)
    return -WS_E_HTTP_VERSION;
  return 0;
}

/* request-target characters: any visible ASCII; the handshake validator
 * checks the form (RFC 7230 5.3). */
static bool is_vchar(unsigned char c) { return c > 0x20 && c < 0x7F; }

/* request-line = method SP request-target SP HTTP-version (RFC 7230 3.1.1),
 * exactly one SP between the parts. */
static int parse_request_line(char *line, size_t len, ws_http_message *m) {
  char *end = line + len;
  char *sp1 = memchr(line, ' ', len);
  if (!sp1 || !ws_is_token(line, (size_t)(sp1 - line)))
    return -WS_E_HTTP_SYNTAX;
  char *target = sp1 + 1;
  char *sp2 = target;
  while (sp2 < end && is_vchar((unsigned char)*sp2))
    sp2++;
  if (sp2 == target || sp2 == end || *sp2 != ' ')
    return -WS_E_HTTP_SYNTAX;
  *sp1 = *sp2 = '\0';
  m->method = (ws_span){line, (size_t)(sp1 - line)};
  m->target = (ws_span){target, (size_t)(sp2 - target)};
  return parse_version(sp2 + 1, (size_t)(end - sp2 - 1), m);
}

/* RFC 7230 3.2: field-vchar = VCHAR / obs-text, plus SP and HTAB inside a
 * value; every other control character is refused. */
static bool is_text(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7F);
}

/* status-line = HTTP-version SP status-code SP reason-phrase (RFC 7230
 * 3.1.2). A missing "SP reason" is tolerated: some servers omit it. */
static int parse_status_line(char *line, size_t len, ws_http_message *m) {
  if (len < 12 || line[8] != ' ' || !is_digit(line[9]) || !is_digit(line[10]) ||
      !is_digit(line[11]))
    return -WS_E_HTTP_SYNTAX;
  if (len > 12 && line[12] != ' ')
    return -WS_E_HTTP_SYNTAX;
  int err = parse_version(line, 8, m);
  if (err)
    return err;
  m->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  char *reason = len > 12 ? line + 13 : line + len;
  for (char *c = reason; c < line + len; c++)
    if (!is_text((unsigned char)*c))
      return -WS_E_HTTP_SYNTAX;
  line[8] = '\0';
  m->reason = (ws_span){reason, (size_t)(line + len - reason)};
  return 0;
}

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* header-field = field-name ":" OWS field-value OWS (RFC 7230 3.2). */
static int parse_field(char *line, size_t len, ws_http_field *f) {
  char *end = line + len;
  char *colon = memchr(line, ':', len);
  /* RFC 7230 3.2.4: "No whitespace is allowed between the header field-name
   * and colon", and obs-fold (a line starting with SP or HTAB) MUST be
   * rejected outside message/http. Requiring the name to be a token right up
   * to the colon refuses both. */
  if (!colon || !ws_is_token(line, (size_t)(colon - line)))
    return -WS_E_HTTP_SYNTAX;
  char *value = colon + 1;
  while (value < end && is_ows(*value))
    value++;
  char *stop = end;
  while (stop > value && is_ows(stop[-1]))
    stop--;
  for (char *c = value; c < stop; c++)
    if (!is_text((unsigned char)*c))
      return -WS_E_HTTP_SYNTAX;
  *colon = '\0';
  *stop = '\0';
  f->name = (ws_span){line, (size_t)(colon - line)};
  f->value = (ws_span){value, (size_t)(stop - value)};
  return 0;
}

static int parse_fields(ws_http_parser *p, struct block *b) {
  /* The framing phase counted the lines, so the array is allocated once at
   * its exact size. */
  size_t count = p->lines > 0 ? p->lines - 1 : 0;
  if (count > p->max_fields)
    return -WS_E_HTTP_TOO_MANY_HEADERS;
  p->fields = ws_malloc(count ? count * sizeof(*p->fields) : 1);
  if (!p->fields)
    return -WS_E_NOMEM;
  char *line;
  size_t len;
  size_t n = 0;
  while (n < count && next_line(b, &line, &len)) {
    int err = parse_field(line, len, &p->fields[n]);
    if (err)
      return err;
    n++;
  }
  p->message.fields = p->fields;
  p->message.field_count = n;
  return 0;
}

static int parse_block(ws_http_parser *p, size_t block_len) {
  struct block b = {p->raw, p->raw + block_len};
  char *line;
  size_t len;
  next_line(&b, &line, &len);
  int err = p->kind == WS_HTTP_REQUEST
                ? parse_request_line(line, len, &p->message)
                : parse_status_line(line, len, &p->message);
  if (err)
    return err;
  return parse_fields(p, &b);
}

int ws_http_parse(ws_http_parser *p, const uint8_t *buf, size_t len,
                  size_t *consumed) {
  size_t dummy;
  if (!consumed)
    consumed = &dummy;
  *consumed = 0;
  if (p->result != 0)
    return p->result;
  /* Never copy more than the limit allows: the rest could only belong to an
   * oversized block or to the WebSocket stream after it. */
  size_t room = p->max_bytes - p->raw_len;
  size_t take = len < room ? len : room;
  int err = reserve(p, p->raw_len + take + 1);
  if (err)
    return p->result = err;
  size_t before = p->raw_len;
  if (take > 0)
    memcpy(p->raw + before, buf, take);
  p->raw_len += take;
  size_t block_len = scan_for_end(p, &err);
  if (block_len == 0) {
    *consumed = take;
    if (err)
      return p->result = err;
    /* A full buffer without the blank line can never become a valid block. */
    if (p->raw_len == p->max_bytes)
      return p->result = -WS_E_HTTP_HEADER_TOO_LARGE;
    return 0;
  }
  /* Bytes after the blank line are pipelined frames: give them back. */
  *consumed = block_len - before;
  p->raw_len = block_len;
  p->raw[block_len] = '\0';
  err = parse_block(p, block_len);
  return p->result = err ? err : 1;
}

/* ---- queries ------------------------------------------------------------ */

bool ws_span_ieq(ws_span s, const char *str) {
  size_t len = strlen(str);
  if (s.len != len)
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char a = (unsigned char)s.ptr[i], b = (unsigned char)str[i];
    if (a >= 'A' && a <= 'Z')
      a = (unsigned char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
      b = (unsigned char)(b - 'A' + 'a');
    if (a != b)
      return false;
  }
  return true;
}

size_t ws_http_field_count(const ws_http_message *m, const char *name) {
  size_t count = 0;
  for (size_t i = 0; i < m->field_count; i++)
    if (ws_span_ieq(m->fields[i].name, name))
      count++;
  return count;
}

const ws_span *ws_http_field_get(const ws_http_message *m, const char *name,
                                 size_t index) {
  for (size_t i = 0; i < m->field_count; i++)
    if (ws_span_ieq(m->fields[i].name, name) && index-- == 0)
      return &m->fields[i].value;
  return NULL;
}

bool ws_http_field_has_token(const ws_http_message *m, const char *name,
                             const char *token) {
  /* RFC 7230 3.2.2: repeated list-valued fields are equivalent to one field
   * whose values are joined by commas, so every instance is searched. */
  for (size_t i = 0; i < m->field_count; i++)
    if (ws_span_ieq(m->fields[i].name, name) &&
        ws_list_has_token(m->fields[i].value.ptr, m->fields[i].value.len,
                          token))
      return true;
  return false;
}
