/* WebSocket URLs, RFC 6455 3: ws://host[:port][/path][?query]. */
#ifndef WS_HARNESS_URL_H
#define WS_HARNESS_URL_H

#include <stdbool.h>
#include <stdint.h>

#define WS_URL_HOST_MAX 256
#define WS_URL_PATH_MAX 2048

typedef struct ws_url {
  bool secure;                /* wss:// */
  char host[WS_URL_HOST_MAX]; /* without brackets for IPv6 */
  uint16_t port;              /* 80 / 443 when absent */
  bool port_given;
  char path[WS_URL_PATH_MAX]; /* resource name: path and query, "/" at least */
  char authority[WS_URL_HOST_MAX + 8]; /* the Host header value */
} ws_url;

/* Returns 0, or -1 with a one-line reason in err (cap bytes). Fragments are
 * refused as RFC 6455 3 requires. */
int ws_url_parse(const char *text, ws_url *url, char *err, int cap);

#endif
