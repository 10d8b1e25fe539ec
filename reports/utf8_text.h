/* Well-formed UTF-8 for the report writers: every format must decide, byte
 * by byte, whether peer-controlled text can be written as it is or must be
 * replaced, and they must all decide alike. (The codec's validator is
 * streaming and stateful; this is the one-sequence question.) */
#ifndef WS_REPORTS_UTF8_TEXT_H
#define WS_REPORTS_UTF8_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the well-formed UTF-8 sequence at p (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0 when the
 * byte at p does not start one or the sequence is cut short. n > 0 is the
 * number of bytes available. */
size_t ws_text_utf8_len(const uint8_t *p, size_t n);

#endif
