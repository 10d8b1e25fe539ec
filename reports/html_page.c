/* The frame shared by index.html and matrix.html: head, Content-Security-
 * Policy, inline assets. */
#include "reports/assets.h"
#include "reports/html_internal.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

/* 'sha256-BASE64' of an inline element's exact text, for the CSP: the
 * browser then runs our script and style and nothing else, so markup that
 * slipped past escaping could neither execute nor load anything. */
static void csp_hash(FILE *out, const ws_asset *a) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned char b64[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
  SHA256((const unsigned char *)a->text, a->len, digest);
  EVP_EncodeBlock(b64, digest, SHA256_DIGEST_LENGTH);
  fprintf(out, "'sha256-%s'", (const char *)b64);
}

/* Our own assets must not end their element early; checked rather than
 * trusted, since a stray "</" would silently break every report. */
static bool asset_is_inlinable(const ws_asset *a) {
  for (size_t i = 0; i + 1 < a->len; i++)
    if (a->text[i] == '<' && (a->text[i + 1] == '/' || a->text[i + 1] == '!'))
      return false;
  return true;
}

static const ws_asset *asset(const char *file) {
  const ws_asset *a = ws_report_asset(file);
  return a && asset_is_inlinable(a) ? a : NULL;
}

int ws_html_page_begin(FILE *out, const char *title, const char *script) {
  const ws_asset *css = asset("report.css"), *js = asset(script);
  if (!css || !js)
    return -1;
  fputs(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n"
      "<meta name=\"referrer\" content=\"no-referrer\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
      "'none'; base-uri 'none'; form-action 'none'; "
      "style-src ",
      out);
  csp_hash(out, css);
  fputs("; script-src ", out);
  csp_hash(out, js);
  fputs("\">\n<meta name=\"color-scheme\" content=\"light dark\">\n<title>",
        out);
  ws_html_text(out, title);
  fputs("</title>\n<style>", out);
  fwrite(css->text, 1, css->len, out);
  fputs("</style>\n</head>\n<body>\n", out);
  return ferror(out) ? -1 : 0;
}

int ws_html_page_end(FILE *out, const char *script) {
  const ws_asset *js = asset(script);
  if (!js)
    return -1;
  fputs("<script>", out);
  fwrite(js->text, 1, js->len, out);
  fputs("</script>\n</body>\n</html>\n", out);
  return ferror(out) ? -1 : 0;
}
