/* Escaping peer-controlled bytes for the text report formats (JUnit XML and
 * Markdown). Private to reports/.
 *
 * The peer controls close reasons, headers, payload previews and agent names,
 * and none of them is guaranteed to be UTF-8. XML 1.0 cannot hold some
 * characters at all (NUL, most C0 controls, U+FFFE, U+FFFF, lone surrogates),
 * not even as character references, so those are replaced by a visible
 * escape: "\xNN" for a byte that is a control character or not part of a
 * well-formed UTF-8 sequence, "\uFFFE" for the two noncharacters. The reader
 * sees what was sent; the exact bytes stay in results.json's wire hex. */
#ifndef WS_REPORTS_XML_ESCAPE_H
#define WS_REPORTS_XML_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* How tab, newline and carriage return are written. */
enum ws_xml_mode {
  /* Element content: tab and newline as they are, carriage return as a
   * character reference (a parser would turn it into a newline). */
  WS_XML_TEXT,
  /* Attribute value: all three as character references, because
   * attribute-value normalisation would turn them into spaces. */
  WS_XML_ATTRIBUTE,
  /* A value meant to be one line (a reason, a name), in element content or
   * an attribute: all three as visible \xNN escapes, so a peer cannot forge
   * extra lines. */
  WS_XML_ONE_LINE,
};

/* Writes s[0..len) as XML character data: & < > " ' become entities, and
 * what XML 1.0 cannot hold becomes a visible escape (see above). */
void ws_xml_escape(FILE *out, const void *s, size_t len, enum ws_xml_mode mode);

/* The same for a NUL-terminated string; NULL writes nothing. */
void ws_xml_escape_str(FILE *out, const char *s, enum ws_xml_mode mode);

#endif
