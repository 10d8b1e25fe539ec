#include "io/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(char *err, int cap, const char *why) {
  snprintf(err, (size_t)cap, "%s", why);
  return -1;
}

static int parse_port(const char *p, size_t n, uint16_t *port) {
  if (n == 0 || n > 5)
    return -1;
  unsigned value = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    value = value * 10 + (unsigned)(p[i] - '0');
  }
  if (value == 0 || value > 65535)
    return -1;
  *port = (uint16_t)value;
  return 0;
}

/* Splits "host", "host:port", "[v6]" or "[v6]:port". */
static int parse_authority(const char *a, size_t n, ws_url *url, char *err,
                           int cap) {
  const char *host = a, *port = NULL;
  size_t host_len = n, port_len = 0;
  if (n > 0 && a[0] == '[') {
    const char *close = memchr(a, ']', n);
    if (!close)
      return fail(err, cap, "unterminated '[' in the URL's host");
    host = a + 1;
    host_len = (size_t)(close - host);
    size_t rest = n - (size_t)(close + 1 - a);
    if (rest > 0) {
      if (close[1] != ':')
        return fail(err, cap, "junk after ']' in the URL's host");
      port = close + 2;
      port_len = rest - 1;
    }
  } else {
    const char *colon = memchr(a, ':', n);
    if (colon) {
      host_len = (size_t)(colon - a);
      port = colon + 1;
      port_len = n - host_len - 1;
    }
  }
  if (host_len == 0)
    return fail(err, cap, "the URL has no host");
  if (host_len >= sizeof url->host || n >= sizeof url->authority)
    return fail(err, cap, "the URL's host is too long");
  if (memchr(a, '@', n))
    return fail(err, cap, "user information is not allowed in a ws:// URL");
  memcpy(url->host, host, host_len);
  url->host[host_len] = '\0';
  if (port) {
    if (parse_port(port, port_len, &url->port) != 0)
      return fail(err, cap, "the URL's port is not a number in 1-65535");
    url->port_given = true;
  }
  memcpy(url->authority, a, n);
  url->authority[n] = '\0';
  return 0;
}

int ws_url_parse(const char *text, ws_url *url, char *err, int cap) {
  memset(url, 0, sizeof *url);
  const char *rest;
  if (strncasecmp(text, "ws://", 5) == 0) {
    rest = text + 5;
  } else if (strncasecmp(text, "wss://", 6) == 0) {
    url->secure = true;
    rest = text + 6;
  } else {
    return fail(err, cap, "the URL must start with ws:// or wss://");
  }
  url->port = url->secure ? 443 : 80;
  /* RFC 6455 3: fragment identifiers MUST NOT be used in WebSocket URIs. */
  if (strchr(rest, '#'))
    return fail(err, cap, "a WebSocket URL must not have a #fragment");
  size_t authority_len = strcspn(rest, "/?");
  if (parse_authority(rest, authority_len, url, err, cap) != 0)
    return -1;
  const char *path = rest + authority_len;
  if (strlen(path) + 2 > sizeof url->path)
    return fail(err, cap, "the URL's path is too long");
  for (const char *c = path; *c; c++)
    if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
      return fail(err, cap, "the URL's path has a space or control character");
  snprintf(url->path, sizeof url->path, "%s%s", path[0] == '/' ? "" : "/",
           path);
  return 0;
}
