#include "cli/test_autobahn.h"
#include "cli/autobahn_config.h"
#include "cli/autobahn_select.h"
#include "cli/commands.h"
#include "cli/test_hooks.h"
#include "io/url.h"
#include "reports/autobahn.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Autobahn's default "outdir" for fuzzingclient (FuzzingClientFactory). */
#define AUTOBAHN_DEFAULT_OUTDIR "./reports/servers"

/* What every run of one invocation shares. */
struct autobahn_runs {
  const char *report_dir;
  ws_autobahn_index index;
  bool interrupted;
};

/* One server of the spec, planned before anything runs. */
struct server_plan {
  const ws_ab_server *server;
  ws_ab_ids ids;       /* the Autobahn ids the spec selects for it */
  size_t case_count;   /* the cases that selects (with --cases/--exclude) */
  char *extra_headers; /* --header lines plus its "protocols" (heap) */
  char out_dir[4096];  /* OUT/<agent> */
  const ws_test_options *o;
  struct autobahn_runs *runs;
};

static bool want_id(const char *id, const void *ids) {
  return ws_ab_ids_has(ids, id);
}

static int select_for_server(void *ctx, const ws_catalogue *cat,
                             const ws_case ***out, size_t *count, char *err,
                             size_t cap) {
  const struct server_plan *p = ctx;
  return ws_ab_select_cases(cat, &p->ids, p->o->patterns, p->o->excludes, out,
                            count, err, cap);
}

/* After a run's own reports: its Autobahn files, then index.json with every
 * agent so far, so that a later run stopped hard leaves a whole index. */
static int write_rows(struct autobahn_runs *runs, const ws_run_results *r,
                      const ws_ab_ids *ids, char *err, size_t cap) {
  runs->interrupted |= r->interrupted;
  if (ws_autobahn_write_cases(r, runs->report_dir, ids ? want_id : NULL, ids,
                              &runs->index, err, cap) != 0)
    return -1;
  return ws_autobahn_write_index(&runs->index, runs->report_dir, err, cap);
}

static int after_server_run(void *ctx, const ws_run_results *r, char *err,
                            size_t cap) {
  struct server_plan *p = ctx;
  return write_rows(p->runs, r, &p->ids, err, cap);
}

static int after_plain_run(void *ctx, const ws_run_results *r, char *err,
                           size_t cap) {
  return write_rows(ctx, r, NULL, err, cap);
}

/* --autobahn-report without a spec: one ordinary run, every Autobahn id. */
static int run_report_only(const ws_test_options *o) {
  struct autobahn_runs runs = {.report_dir = o->autobahn_report};
  ws_test_hooks hooks = {.after_reports = after_plain_run, .ctx = &runs};
  int rc = ws_test_run(o, &hooks);
  ws_autobahn_index_free(&runs.index);
  return rc;
}

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "wsprobe: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  return WS_EXIT_USAGE;
}

/* Options that name what the spec names, or that one file cannot hold for
 * several runs. */
static int check_options(const ws_test_options *o, const ws_ab_config *cfg) {
  if (o->url || o->exec_server)
    return usage_error("test: give a URL, --exec-server or --autobahn-config, "
                       "not several (%s names the servers)",
                       o->autobahn_config);
  if (o->agent)
    return usage_error("--agent: %s names each server's agent",
                       o->autobahn_config);
  if (o->json_path)
    return usage_error("--json: with --autobahn-config each server's "
                       "results.json goes to %s/<agent>/",
                       o->out_dir);
  if (o->write_baseline && cfg->server_count > 1)
    return usage_error("--write-baseline: %s has several servers, and one "
                       "file cannot hold each one's baseline",
                       o->autobahn_config);
  return 0;
}

/* "Sec-WebSocket-Protocol: a, b" after the --header lines. */
static int plan_headers(const ws_test_options *o, const ws_ab_server *s,
                        char **out, char *err, size_t cap) {
  *out = o->extra_headers ? strdup(o->extra_headers) : NULL;
  if (o->extra_headers && !*out) {
    snprintf(err, cap, "out of memory");
    return -1;
  }
  if (s->protocol_count == 0)
    return 0;
  size_t n = sizeof "Sec-WebSocket-Protocol: ";
  for (size_t i = 0; i < s->protocol_count; i++)
    n += strlen(s->protocols[i]) + 2;
  char *line = malloc(n);
  if (!line) {
    snprintf(err, cap, "out of memory");
    return -1;
  }
  strcpy(line, "Sec-WebSocket-Protocol: ");
  for (size_t i = 0; i < s->protocol_count; i++) {
    if (i)
      strcat(line, ", ");
    strcat(line, s->protocols[i]);
  }
  int rc = ws_test_header_append(out, line, err, cap);
  free(line);
  return rc;
}

static int plan_server(const ws_test_options *o, const ws_ab_config *cfg,
                       const ws_catalogue *cat, size_t i,
                       struct server_plan *p) {
  const ws_ab_server *s = &cfg->servers[i];
  char err[512];
  ws_url url;
  p->server = s;
  p->o = o;
  if (ws_url_parse(s->url, &url, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: %s: servers[%zu]: %s\n", o->autobahn_config, i,
            err);
    return -1;
  }
  if (plan_headers(o, s, &p->extra_headers, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: %s: servers[%zu].protocols: %s\n",
            o->autobahn_config, i, err);
    return -1;
  }
  /* The agent's file-name form names its directory, as its report files. */
  char *slug = malloc(strlen(s->agent) + 1);
  if (!slug) {
    fprintf(stderr, "wsprobe: out of memory\n");
    return -1;
  }
  ws_autobahn_agent_slug(s->agent, slug, strlen(s->agent) + 1);
  size_t n = strlen(o->out_dir);
  while (n > 1 && o->out_dir[n - 1] == '/')
    n--;
  int len = snprintf(p->out_dir, sizeof p->out_dir, "%.*s/%s", (int)n,
                     o->out_dir, slug);
  free(slug);
  if (len < 0 || (size_t)len >= sizeof p->out_dir) {
    fprintf(stderr, "wsprobe: --out: path too long\n");
    return -1;
  }
  if (ws_ab_select_ids(cfg, cat, s->agent, &p->ids) != 0) {
    fprintf(stderr, "wsprobe: out of memory\n");
    return -1;
  }
  /* Selecting now checks --cases and --exclude before anything runs. */
  const ws_case **cases = NULL;
  if (ws_ab_select_cases(cat, &p->ids, o->patterns, o->excludes, &cases,
                         &p->case_count, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: test: %s\n", err);
    return -1;
  }
  free(cases);
  return 0;
}

static void free_plans(struct server_plan *plans, size_t n) {
  for (size_t i = 0; plans && i < n; i++) {
    ws_ab_ids_free(&plans[i].ids);
    free(plans[i].extra_headers);
  }
  free(plans);
}

static int run_server(const struct server_plan *p, size_t i, size_t n) {
  const ws_test_options *o = p->o;
  ws_test_options run = *o;
  run.url = p->server->url;
  run.agent = p->server->agent;
  run.out_dir = p->out_dir;
  run.origin = p->server->origin ? p->server->origin : o->origin;
  run.extra_headers = p->extra_headers;
  ws_test_hooks hooks = {.select = select_for_server,
                         .after_reports = after_server_run,
                         .ctx = (void *)p};
  printf("== server %zu of %zu: agent \"%s\", %s, %zu case%s\n", i + 1, n,
         p->server->agent, p->server->url, p->case_count,
         p->case_count == 1 ? "" : "s");
  fflush(stdout);
  return ws_test_run(&run, &hooks);
}

static int run_spec(const ws_test_options *o, const ws_ab_config *cfg,
                    struct server_plan *plans) {
  struct autobahn_runs runs = {.report_dir =
                                   o->autobahn_report ? o->autobahn_report
                                   : cfg->outdir      ? cfg->outdir
                                                 : AUTOBAHN_DEFAULT_OUTDIR};
  int worst = WS_EXIT_OK;
  size_t ran = 0;
  for (size_t i = 0; i < cfg->server_count && !runs.interrupted; i++) {
    struct server_plan *p = &plans[i];
    if (p->case_count == 0) {
      fprintf(stderr,
              "wsprobe: %s: agent \"%s\": every case is excluded, skipped\n",
              o->autobahn_config, p->server->agent);
      continue;
    }
    p->runs = &runs;
    int rc = run_server(p, i, cfg->server_count);
    worst = rc > worst ? rc : worst;
    ran++;
  }
  char err[512];
  if (ran == 0) {
    fprintf(stderr, "wsprobe: %s: no case selected\n", o->autobahn_config);
    worst = WS_EXIT_USAGE;
  } else if (ws_autobahn_write_index(&runs.index, runs.report_dir, err,
                                     sizeof err) != 0) {
    fprintf(stderr, "wsprobe: %s\n", err);
    worst = WS_EXIT_USAGE;
  } else {
    printf("Autobahn report: %s/index.json (%zu case rows)\n", runs.report_dir,
           runs.index.count);
  }
  ws_autobahn_index_free(&runs.index);
  return worst;
}

int ws_test_autobahn(const ws_test_options *o) {
  if (!o->autobahn_config)
    return run_report_only(o);
  char err[1024];
  ws_ab_config cfg;
  if (ws_ab_config_load(o->autobahn_config, &cfg, stderr, err, sizeof err) !=
      0) {
    fprintf(stderr, "wsprobe: --autobahn-config: %s\n", err);
    return WS_EXIT_USAGE;
  }
  int rc = check_options(o, &cfg);
  ws_catalogue *cat = NULL;
  struct server_plan *plans = NULL;
  if (rc == 0 &&
      !(cat = ws_test_load_catalogue(WS_ROLE_CLIENT, o->seed, &o->sources, err,
                                     sizeof err))) {
    fprintf(stderr, "wsprobe: %s\n", err);
    rc = WS_EXIT_USAGE;
  }
  if (rc == 0 && !(plans = calloc(cfg.server_count, sizeof *plans))) {
    fprintf(stderr, "wsprobe: out of memory\n");
    rc = WS_EXIT_USAGE;
  }
  if (rc == 0)
    ws_ab_warn_unmatched(&cfg, cat, o->autobahn_config, stderr);
  for (size_t i = 0; rc == 0 && i < cfg.server_count; i++)
    if (plan_server(o, &cfg, cat, i, &plans[i]) != 0)
      rc = WS_EXIT_USAGE;
  if (cat)
    ws_catalogue_free(cat); /* each run loads its own */
  if (rc == 0)
    rc = run_spec(o, &cfg, plans);
  free_plans(plans, cfg.server_count);
  ws_ab_config_free(&cfg);
  return rc;
}
