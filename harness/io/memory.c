#include "io/memory.h"

#include "util/buf.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One direction: bytes written by one end and not yet read by the other. */
typedef struct pipe_state {
  ws_buf bytes;
  bool write_shut; /* the writer shut down or closed: EOF after the bytes */
} pipe_state;

typedef struct shared {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  size_t window;
  pipe_state dir[2]; /* dir[i]: written by end i, read by end 1 - i */
  bool closed[2];
  bool reset;
  int ends_open;
} shared;

typedef struct end {
  ws_transport base;
  shared *sh;
  int side;
} end;

static ssize_t mem_read(ws_transport *t, uint8_t *buf, size_t cap) {
  end *e = (end *)t;
  shared *sh = e->sh;
  pthread_mutex_lock(&sh->lock);
  pipe_state *in = &sh->dir[1 - e->side];
  ssize_t rc;
  if (in->bytes.len > 0) {
    size_t n = in->bytes.len < cap ? in->bytes.len : cap;
    memcpy(buf, in->bytes.ptr, n);
    ws_buf_consume(&in->bytes, n);
    rc = (ssize_t)n;
    pthread_cond_broadcast(&sh->changed);
  } else if (sh->reset) {
    rc = -ECONNRESET;
  } else {
    rc = in->write_shut ? 0 : -EAGAIN;
  }
  pthread_mutex_unlock(&sh->lock);
  return rc;
}

static ssize_t mem_write(ws_transport *t, const uint8_t *buf, size_t len) {
  end *e = (end *)t;
  shared *sh = e->sh;
  pthread_mutex_lock(&sh->lock);
  pipe_state *out = &sh->dir[e->side];
  ssize_t rc;
  if (sh->reset) {
    rc = -ECONNRESET;
  } else if (out->write_shut || sh->closed[1 - e->side]) {
    rc = -EPIPE;
  } else if (out->bytes.len >= sh->window) {
    rc = -EAGAIN;
  } else {
    size_t room = sh->window - out->bytes.len;
    size_t n = len < room ? len : room;
    rc = ws_buf_append(&out->bytes, buf, n) == 0 ? (ssize_t)n : -ENOMEM;
    pthread_cond_broadcast(&sh->changed);
  }
  pthread_mutex_unlock(&sh->lock);
  return rc;
}

static size_t mem_pending(ws_transport *t) {
  (void)t;
  return 0; /* wait() sees everything */
}

static int ready_set(const end *e, int events) {
  const shared *sh = e->sh;
  const pipe_state *in = &sh->dir[1 - e->side];
  const pipe_state *out = &sh->dir[e->side];
  int ready = 0;
  if ((events & WS_IO_READ) &&
      (in->bytes.len > 0 || in->write_shut || sh->reset))
    ready |= WS_IO_READ;
  if ((events & WS_IO_WRITE) &&
      (out->bytes.len < sh->window || sh->reset || sh->closed[1 - e->side]))
    ready |= WS_IO_WRITE;
  return ready;
}

static int mem_wait(ws_transport *t, int events, int timeout_ms) {
  end *e = (end *)t;
  shared *sh = e->sh;
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&sh->lock);
  int ready;
  while ((ready = ready_set(e, events)) == 0) {
    if (pthread_cond_timedwait(&sh->changed, &sh->lock, &until) != 0)
      break;
  }
  pthread_mutex_unlock(&sh->lock);
  return ready;
}

static int mem_shutdown(ws_transport *t) {
  end *e = (end *)t;
  pthread_mutex_lock(&e->sh->lock);
  e->sh->dir[e->side].write_shut = true;
  pthread_cond_broadcast(&e->sh->changed);
  pthread_mutex_unlock(&e->sh->lock);
  return 0;
}

static void mem_close(ws_transport *t) {
  end *e = (end *)t;
  shared *sh = e->sh;
  pthread_mutex_lock(&sh->lock);
  sh->dir[e->side].write_shut = true;
  sh->closed[e->side] = true;
  bool last = --sh->ends_open == 0;
  pthread_cond_broadcast(&sh->changed);
  pthread_mutex_unlock(&sh->lock);
  free(e);
  if (!last)
    return;
  ws_buf_free(&sh->dir[0].bytes);
  ws_buf_free(&sh->dir[1].bytes);
  pthread_cond_destroy(&sh->changed);
  pthread_mutex_destroy(&sh->lock);
  free(sh);
}

static const ws_transport_ops memory_ops = {mem_read, mem_write,    mem_pending,
                                            mem_wait, mem_shutdown, mem_close};

void ws_memory_reset(ws_transport *t) {
  end *e = (end *)t;
  pthread_mutex_lock(&e->sh->lock);
  e->sh->reset = true;
  pthread_cond_broadcast(&e->sh->changed);
  pthread_mutex_unlock(&e->sh->lock);
}

int ws_memory_pair(size_t window, ws_transport **a, ws_transport **b) {
  shared *sh = calloc(1, sizeof *sh);
  end *ea = calloc(1, sizeof *ea), *eb = calloc(1, sizeof *eb);
  pthread_condattr_t attr;
  if (!sh || !ea || !eb || pthread_condattr_init(&attr) != 0) {
    free(sh);
    free(ea);
    free(eb);
    return -ENOMEM;
  }
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&sh->changed, &attr);
  pthread_condattr_destroy(&attr);
  pthread_mutex_init(&sh->lock, NULL);
  sh->window = window ? window : 1;
  sh->ends_open = 2;
  *ea = (end){.base.ops = &memory_ops, .sh = sh, .side = 0};
  *eb = (end){.base.ops = &memory_ops, .sh = sh, .side = 1};
  *a = &ea->base;
  *b = &eb->base;
  return 0;
}
