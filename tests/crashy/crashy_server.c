/* A deliberately crashy WebSocket echo server for the network fuzzer's
 * tests (tests/integration/test_netfuzz.py builds it with
 * -fsanitize=address).
 *
 * It serves like a plain echo server (one thread per connection, blocking
 * I/O, close 1002 on protocol errors, each of which it logs to stderr as a
 * chatty server would) except for two planted bugs of different causes:
 *  1. a frame with RSV2 set and a reserved control opcode (0xB-0xF) makes
 *     it write one byte past a heap block: under ASan a heap-buffer-overflow
 *     report and exit status 1 (without ASan the abort() behind it ends the
 *     process);
 *  2. a ping with a payload in the middle of a fragmented message makes it
 *     print a fatal error naming numbers that change from run to run (the
 *     ping's length, the connection's number, an address) and abort():
 *     SIGABRT with no sanitizer report.
 *
 * usage: crashy_server --port N */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_REQUEST 8192
#define MAX_MESSAGE (1 << 20)

static int read_full(int fd, void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r <= 0)
      return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static void write_full(int fd, const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

static void send_frame(int fd, uint8_t opcode, const uint8_t *p, size_t n) {
  uint8_t h[10];
  size_t hn = 2;
  h[0] = (uint8_t)(0x80 | opcode);
  if (n < 126) {
    h[1] = (uint8_t)n;
  } else if (n < 65536) {
    h[1] = 126;
    h[2] = (uint8_t)(n >> 8);
    h[3] = (uint8_t)n;
    hn = 4;
  } else {
    h[1] = 127;
    for (int i = 0; i < 8; i++)
      h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    hn = 10;
  }
  write_full(fd, h, hn);
  write_full(fd, p, n);
}

static void send_close(int fd, unsigned code) {
  uint8_t b[2] = {(uint8_t)(code >> 8), (uint8_t)code};
  send_frame(fd, 0x8, b, 2);
}

static unsigned connections; /* served so far (atomic) */

static void protocol_error(int fd, unsigned conn) {
  fprintf(stderr, "crashy_server: connection %u: protocol error, closing with "
                  "1002\n",
          conn);
  send_close(fd, 1002);
}

/* The planted bug: one byte past an 8-byte block. */
__attribute__((noinline)) static void handle_reserved_control(uint8_t opcode) {
  volatile uint8_t *scratch = malloc(8);
  scratch[8] = opcode;
  free((void *)scratch);
  abort();
}

typedef struct message {
  uint8_t *buf;
  size_t len;
  int opcode; /* -1: none in progress */
} message;

/* The second planted bug: a ping inside a fragmented message "cannot
 * happen" here. */
__attribute__((noinline)) static void ping_inside_message(unsigned conn,
                                                          uint64_t len,
                                                          const message *m) {
  fprintf(stderr,
          "crashy_server: fatal: ping of %llu bytes inside a fragmented "
          "message (connection %u, buffer %p)\n",
          (unsigned long long)len, conn, (void *)m->buf);
  abort();
}

static int handshake(int fd) {
  char req[MAX_REQUEST + 1];
  size_t n = 0;
  while (n < MAX_REQUEST) {
    ssize_t r = read(fd, req + n, 1);
    if (r <= 0)
      return -1;
    n++;
    if (n >= 4 && memcmp(req + n - 4, "\r\n\r\n", 4) == 0)
      break;
  }
  req[n] = '\0';
  const char *k = strcasestr(req, "\r\nSec-WebSocket-Key:");
  if (!k || strncmp(req, "GET ", 4) != 0) {
    const char *bad = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    write_full(fd, bad, strlen(bad));
    return -1;
  }
  k += 20;
  while (*k == ' ')
    k++;
  size_t kn = strcspn(k, "\r\n");
  char buf[256];
  snprintf(buf, sizeof buf, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
           (int)(kn < 128 ? kn : 128), k);
  unsigned char sha[SHA_DIGEST_LENGTH], accept[64];
  SHA1((const unsigned char *)buf, strlen(buf), sha);
  EVP_EncodeBlock(accept, sha, SHA_DIGEST_LENGTH);
  char resp[256];
  int rn = snprintf(resp, sizeof resp,
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket"
                    "\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                    "\r\n",
                    accept);
  write_full(fd, resp, (size_t)rn);
  return 0;
}

/* One frame; 0 to go on, -1 to end the connection. */
static int frame(int fd, unsigned conn, message *m) {
  uint8_t h[2], mask[4];
  if (read_full(fd, h, 2) != 0)
    return -1;
  int fin = h[0] >> 7, rsv = (h[0] >> 4) & 7, opcode = h[0] & 0xF;
  uint64_t len = h[1] & 0x7F;
  if (len >= 126) {
    uint8_t e[8];
    size_t en = len == 126 ? 2 : 8;
    if (read_full(fd, e, en) != 0)
      return -1;
    len = 0;
    for (size_t i = 0; i < en; i++)
      len = len << 8 | e[i];
  }
  if (!(h[1] & 0x80)) {
    protocol_error(fd, conn);
    return -1;
  }
  if (read_full(fd, mask, 4) != 0)
    return -1;
  if (len > MAX_MESSAGE) {
    send_close(fd, 1009);
    return -1;
  }
  uint8_t *p = malloc(len ? len : 1);
  if (!p || read_full(fd, p, len) != 0) {
    free(p);
    return -1;
  }
  for (uint64_t i = 0; i < len; i++)
    p[i] ^= mask[i % 4];
  if ((rsv & 2) && opcode >= 0xB)
    handle_reserved_control((uint8_t)opcode);
  int rc = 0;
  if (rsv || (opcode >= 3 && opcode <= 7) || opcode >= 0xB ||
      (opcode >= 8 && (len > 125 || !fin))) {
    protocol_error(fd, conn);
    rc = -1;
  } else if (opcode == 0x9) {
    if (m->opcode >= 0 && len > 0)
      ping_inside_message(conn, len, m);
    send_frame(fd, 0xA, p, len);
  } else if (opcode == 0x8) {
    send_frame(fd, 0x8, p, len >= 2 ? 2 : 0);
    rc = -1;
  } else if (opcode <= 2 && opcode != 0) {
    if (m->opcode >= 0) {
      protocol_error(fd, conn);
      rc = -1;
    } else {
      m->opcode = opcode;
      m->len = 0;
    }
  } else if (opcode == 0 && m->opcode < 0) {
    protocol_error(fd, conn);
    rc = -1;
  }
  if (rc == 0 && opcode <= 2) {
    if (m->len + len > MAX_MESSAGE) {
      send_close(fd, 1009);
      rc = -1;
    } else {
      memcpy(m->buf + m->len, p, len);
      m->len += len;
      if (fin) {
        send_frame(fd, (uint8_t)m->opcode, m->buf, m->len);
        m->opcode = -1;
      }
    }
  }
  free(p);
  return rc;
}

static void *serve(void *arg) {
  int fd = (int)(intptr_t)arg;
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1; /* header and payload leave in two writes: no Nagle delay */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  unsigned conn = __atomic_add_fetch(&connections, 1, __ATOMIC_RELAXED);
  message m = {malloc(MAX_MESSAGE), 0, -1};
  if (m.buf && handshake(fd) == 0)
    while (frame(fd, conn, &m) == 0)
      ;
  free(m.buf);
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3 || strcmp(argv[1], "--port") != 0) {
    fprintf(stderr, "usage: crashy_server --port N\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)atoi(argv[2]))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 64) != 0) {
    perror("crashy_server: bind");
    return 1;
  }
  for (;;) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0)
      continue;
    pthread_t t;
    if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) == 0)
      pthread_detach(t);
    else
      close(fd);
  }
}
