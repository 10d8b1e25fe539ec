/* The results of `wsprobe serve`, per agent (serve_book.h). */
#include "cli/serve_book.h"

#include "reports/atomic_file.h"
#include "reports/autobahn.h"
#include "reports/ci_gate.h"
#include "run/serve.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct serve_agent {
  char *name;
  char dir[WS_SERVE_AGENT_MAX + 1];
  ws_run_results results;
  size_t *slot; /* per case index: its result's index + 1, 0 none */
  int64_t t0;
};

void serve_agent_dir(const char *agent, char *out, size_t cap) {
  size_t n = 0;
  for (const char *p = agent; *p && n + 1 < cap; p++) {
    char c = *p;
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                (c == '.' && n > 0);
    out[n++] = keep ? c : '_';
  }
  if (n == 0 && cap > 1)
    out[n++] = '_';
  out[n] = '\0';
}

void serve_book_init(serve_book *b) {
  memset(b, 0, sizeof *b);
  pthread_mutex_init(&b->lock, NULL);
  ws_wire_budget_init(&b->budget);
}

void serve_book_free(serve_book *b) {
  for (size_t i = 0; i < b->agent_count; i++) {
    free(b->agents[i].name);
    free(b->agents[i].slot);
    ws_results_free(&b->agents[i].results);
  }
  free(b->agents);
  pthread_mutex_destroy(&b->lock);
}

static serve_agent *find(serve_book *b, const char *name) {
  for (size_t i = 0; i < b->agent_count; i++)
    if (strcmp(b->agents[i].name, name) == 0)
      return &b->agents[i];
  return NULL;
}

static void fill_header(serve_book *b, serve_agent *a) {
  ws_run_results *r = &a->results;
  ws_results_stamp(r);
  r->target = strdup(b->target ? b->target : "");
  r->agent = strdup(a->name);
  r->seed = b->seed;
  r->timeout_scale = b->timeout_scale;
  snprintf(r->profile, sizeof r->profile, "%s", b->profile ? b->profile : "");
  r->selected = b->case_count;
}

/* Under the lock: the agent, added on first use; NULL past the bound. */
static serve_agent *agent_of(serve_book *b, const char *name) {
  serve_agent *a = find(b, name);
  if (a)
    return a;
  if (b->agent_count >= WS_SERVE_MAX_AGENTS) {
    if (!b->agents_full_said)
      fprintf(stderr,
              "wsprobe: serve: %d agents already have results; the results "
              "of '%s' and further agents are not kept\n",
              WS_SERVE_MAX_AGENTS, name);
    b->agents_full_said = true;
    return NULL;
  }
  serve_agent *grown = realloc(b->agents, (b->agent_count + 1) * sizeof *grown);
  if (!grown)
    return NULL;
  b->agents = grown;
  a = &b->agents[b->agent_count];
  memset(a, 0, sizeof *a);
  a->name = strdup(name);
  a->slot = calloc(b->case_count ? b->case_count : 1, sizeof *a->slot);
  if (!a->name || !a->slot) {
    free(a->name);
    free(a->slot);
    return NULL;
  }
  serve_agent_dir(name, a->dir, sizeof a->dir - 8);
  for (size_t i = 0; i < b->agent_count; i++) /* "a/b" and "a_b" */
    if (strcmp(b->agents[i].dir, a->dir) == 0) {
      size_t n = strlen(a->dir);
      snprintf(a->dir + n, sizeof a->dir - n, "-%zu", b->agent_count + 1);
      break;
    }
  ws_results_init(&a->results);
  fill_header(b, a);
  a->t0 = ws_now_ms();
  b->agent_count++;
  return a;
}

static size_t verdict_slot(enum ws_verdict v) {
  return v < WS_VERDICT_COUNT ? (size_t)v : WS_VERDICT_ERROR;
}

void serve_book_record(serve_book *b, const char *agent, size_t index,
                       ws_case_result *r) {
  pthread_mutex_lock(&b->lock);
  serve_agent *a =
      b->closed || index >= b->case_count ? NULL : agent_of(b, agent);
  if (!a) {
    pthread_mutex_unlock(&b->lock);
    ws_case_result_free(r);
    return;
  }
  ws_record_bound_wire(&b->budget, &a->results, r);
  ws_run_results *res = &a->results;
  if (a->slot[index]) { /* run again: the new result replaces the old */
    ws_case_result *old = &res->cases[a->slot[index] - 1];
    res->counts[verdict_slot(old->verdict)]--;
    res->counts[verdict_slot(r->verdict)]++;
    ws_case_result_free(old);
    *old = *r;
    memset(r, 0, sizeof *r);
  } else if (ws_results_add(res, r) == 0) {
    a->slot[index] = res->case_count;
  } else {
    ws_case_result_free(r);
  }
  pthread_mutex_unlock(&b->lock);
}

int serve_book_status(serve_book *b, const char *agent, size_t index, char *out,
                      size_t cap) {
  pthread_mutex_lock(&b->lock);
  serve_agent *a = find(b, agent);
  int rc = -1;
  if (a && index < b->case_count && a->slot[index]) {
    const ws_case_result *c = &a->results.cases[a->slot[index] - 1];
    snprintf(out, cap, "%s", ws_autobahn_behavior(c->verdict));
    rc = 0;
  }
  pthread_mutex_unlock(&b->lock);
  return rc;
}

/* Under the lock: the results in catalogue order, so two runs compare line
 * by line. */
static void sort_results(serve_book *b, serve_agent *a) {
  ws_run_results *res = &a->results;
  ws_case_result *sorted = malloc((res->case_count + 1) * sizeof *sorted);
  if (!sorted)
    return; /* arrival order is still a valid report */
  size_t k = 0;
  for (size_t i = 0; i < b->case_count; i++) {
    if (a->slot[i]) {
      sorted[k] = res->cases[a->slot[i] - 1];
      a->slot[i] = ++k;
    }
  }
  memcpy(res->cases, sorted, k * sizeof *sorted);
  free(sorted);
}

/* Under the lock. */
static int write_agent(serve_book *b, serve_agent *a, char *err, size_t cap) {
  char dir[4096], json[4200];
  if (ws_record_sub_path(dir, sizeof dir, b->out_dir, a->dir) != 0 ||
      ws_record_sub_path(json, sizeof json, dir, "results.json") != 0) {
    snprintf(err, cap, "%s: path too long", b->out_dir);
    return -1;
  }
  if (ws_make_dirs(dir, err, cap) != 0)
    return -1;
  sort_results(b, a);
  a->results.duration_ms = (double)(ws_now_ms() - a->t0);
  ws_gate g = {.fail_on = b->fail_on};
  return ws_record_write_reports(&a->results, &g, json, dir, err, cap);
}

int serve_book_write(serve_book *b, const char *agent, char *err, size_t cap) {
  pthread_mutex_lock(&b->lock);
  int rc = 0;
  for (size_t i = 0; !agent && rc == 0 && i < b->agent_count; i++)
    rc = write_agent(b, &b->agents[i], err, cap);
  serve_agent *a = agent ? find(b, agent) : NULL;
  if (agent && !a) {
    snprintf(err, cap, "agent '%s' has no results", agent);
    rc = -1;
  } else if (a) {
    rc = write_agent(b, a, err, cap);
  }
  pthread_mutex_unlock(&b->lock);
  return rc;
}

int serve_book_close(serve_book *b, bool interrupted) {
  pthread_mutex_lock(&b->lock);
  b->closed = true;
  int worst = 0;
  for (size_t i = 0; i < b->agent_count; i++) {
    serve_agent *a = &b->agents[i];
    a->results.interrupted = interrupted;
    char err[512], why[512];
    int rc;
    if (write_agent(b, a, err, sizeof err) != 0) {
      fprintf(stderr, "wsprobe: serve: agent %s: %s\n", a->name, err);
      rc = 2;
      snprintf(why, sizeof why, "the reports could not be written");
    } else {
      ws_gate g = {.fail_on = b->fail_on};
      rc = ws_gate_explain(&g, &a->results, why, sizeof why);
    }
    const size_t *n = a->results.counts;
    printf("wsprobe serve: agent %s: %zu cases: %zu pass, %zu non-strict, "
           "%zu informational, %zu unimplemented, %zu fail, %zu error; "
           "reports in %s/%s (status %d: %s)\n",
           a->name, a->results.case_count, n[WS_VERDICT_PASS],
           n[WS_VERDICT_NON_STRICT], n[WS_VERDICT_INFORMATIONAL],
           n[WS_VERDICT_UNIMPLEMENTED], n[WS_VERDICT_FAIL], n[WS_VERDICT_ERROR],
           b->out_dir, a->dir, rc, why);
    worst = rc > worst ? rc : worst;
  }
  if (b->agent_count == 0)
    printf("wsprobe serve: no client ran a case\n");
  fflush(stdout);
  pthread_mutex_unlock(&b->lock);
  return worst;
}
