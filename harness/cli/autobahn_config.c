#include "cli/autobahn_config.h"
#include "reports/autobahn.h"
#include "reports/json_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct reader {
  const ws_jdoc *d;
  const char *name;
  FILE *warn;
  char *err;
  size_t cap;
};

static int fail(const struct reader *rd, const char *fmt, ...) {
  int n = snprintf(rd->err, rd->cap, "%s: ", rd->name);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < rd->cap)
    vsnprintf(rd->err + n, rd->cap - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

static void warn(const struct reader *rd, const char *fmt, ...) {
  if (!rd->warn)
    return;
  fprintf(rd->warn, "wsprobe: %s: ", rd->name);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(rd->warn, fmt, ap);
  va_end(ap);
  fputc('\n', rd->warn);
}

/* Text from the file, fit for a one-line message: at most 48 bytes, control
 * characters and quotes as '?'. */
static void printable(const char *s, size_t n, char out[64]) {
  size_t k = 0;
  for (size_t i = 0; i < n && k < 48; i++)
    out[k++] =
        (unsigned char)s[i] < 0x20 || s[i] == 0x7F || s[i] == '"' ? '?' : s[i];
  if (n > 48)
    memcpy(out + k, "...", 3), k += 3;
  out[k] = '\0';
}

static bool is_known(const char *const *known, const char *s) {
  for (; *known; known++)
    if (strcmp(*known, s) == 0)
      return true;
  return false;
}

/* A member's name with its escapes decoded (heap), NULL when out of memory.
 * json_parse.h decodes strings by node, so the name is presented as a
 * one-node document over the same text. */
static char *member_name(const ws_jdoc *d, ws_jref m) {
  ws_jnode name = {.type = WS_JSTRING,
                   .off = d->nodes[m].key_off,
                   .len = d->nodes[m].key_len};
  ws_jdoc view = {.text = d->text, .len = d->len, .nodes = &name, .count = 1};
  return ws_jdoc_string_dup(&view, 0, NULL);
}

/* Warns about every member of obj that is not one of known (NULL-ended);
 * where ("" or "servers[1]: ") places it. A repeated known key is named as
 * such: the parser's lookups use the first one. */
static void check_keys(const struct reader *rd, ws_jref obj, const char *where,
                       const char *const *known) {
  for (ws_jref m = ws_jdoc_first(rd->d, obj); m; m = ws_jdoc_next(rd->d, m)) {
    bool found = false;
    for (const char *const *k = known; *k && !found; k++)
      found = ws_jdoc_get(rd->d, obj, *k) == m;
    if (found)
      continue;
    char *name = member_name(rd->d, m), shown[64];
    printable(name ? name : "?", name ? strlen(name) : 1, shown);
    if (name && is_known(known, name))
      warn(rd, "%sduplicate key \"%s\" (the first one is used)", where, shown);
    else
      warn(rd, "%sunknown key \"%s\" (ignored)", where, shown);
    free(name);
  }
}

static char *dup_string(const struct reader *rd, ws_jref n) {
  char *s = ws_jdoc_string_dup(rd->d, n, NULL);
  if (!s)
    fail(rd, "out of memory");
  return s;
}

/* An optional string member; *out stays NULL when absent. */
static int get_string(const struct reader *rd, ws_jref obj, const char *key,
                      const char *where, char **out) {
  ws_jref m = ws_jdoc_get(rd->d, obj, key);
  if (!m)
    return 0;
  if (ws_jdoc_type(rd->d, m) != WS_JSTRING)
    return fail(rd, "%s\"%s\": expected a string", where, key);
  return (*out = dup_string(rd, m)) ? 0 : -1;
}

/* An array of strings; patterns may not be empty (one matches nothing). */
static int get_strings(const struct reader *rd, ws_jref arr, const char *what,
                       bool patterns, char ***out, size_t *count) {
  if (ws_jdoc_type(rd->d, arr) != WS_JARRAY)
    return fail(rd, "%s: expected an array of strings", what);
  size_t n = ws_jdoc_count(rd->d, arr), i = 0;
  *out = calloc(n ? n : 1, sizeof **out);
  if (!*out)
    return fail(rd, "out of memory");
  for (ws_jref e = ws_jdoc_first(rd->d, arr); e; e = ws_jdoc_next(rd->d, e)) {
    if (ws_jdoc_type(rd->d, e) != WS_JSTRING)
      return fail(rd, "%s[%zu]: expected a string", what, i);
    if (!((*out)[i] = dup_string(rd, e)))
      return -1;
    *count = ++i;
    if (patterns && (*out)[i - 1][0] == '\0')
      return fail(rd, "%s[%zu]: an empty pattern matches no case", what, i - 1);
  }
  return 0;
}

/* "options" is Autobahn's settings for its own client (failByDrop,
 * version, ...): nothing in wsprobe corresponds, so a non-empty one is
 * said to be ignored rather than silently dropped. */
static int check_options(const struct reader *rd, ws_jref obj,
                         const char *where) {
  ws_jref m = ws_jdoc_get(rd->d, obj, "options");
  if (!m)
    return 0;
  if (ws_jdoc_type(rd->d, m) != WS_JOBJECT)
    return fail(rd, "%s\"options\": expected an object", where);
  if (ws_jdoc_count(rd->d, m) > 0)
    warn(rd,
         "%s\"options\" holds Autobahn's settings for its own client; "
         "wsprobe has no equivalent and ignores them",
         where);
  return 0;
}

static int parse_server(const struct reader *rd, ws_jref obj, size_t i,
                        ws_ab_server *s) {
  static const char *const known[] = {
      "agent", "url", "origin", "protocols", "hostname", "options", NULL};
  char where[48];
  snprintf(where, sizeof where, "servers[%zu]: ", i);
  if (ws_jdoc_type(rd->d, obj) != WS_JOBJECT)
    return fail(rd, "servers[%zu]: expected an object", i);
  check_keys(rd, obj, where, known);
  if (get_string(rd, obj, "url", where, &s->url) != 0 ||
      get_string(rd, obj, "agent", where, &s->agent) != 0 ||
      get_string(rd, obj, "origin", where, &s->origin) != 0)
    return -1;
  if (!s->url)
    return fail(rd, "%s\"url\" is missing", where);
  if (!s->agent && !(s->agent = strdup(s->url)))
    return fail(rd, "out of memory");
  ws_jref protocols = ws_jdoc_get(rd->d, obj, "protocols");
  char what[48];
  snprintf(what, sizeof what, "servers[%zu].protocols", i);
  if (protocols && get_strings(rd, protocols, what, true, &s->protocols,
                               &s->protocol_count) != 0)
    return -1;
  char *hostname = NULL;
  if (get_string(rd, obj, "hostname", where, &hostname) != 0)
    return -1;
  if (hostname)
    warn(rd,
         "%s\"hostname\" (TLS server name) is ignored: wss:// is not "
         "supported",
         where);
  free(hostname);
  return check_options(rd, obj, where);
}

/* Two servers may not share an agent: their rows of index.json and their
 * report files would overwrite each other. */
static int check_agents(const struct reader *rd, const ws_ab_config *cfg) {
  char a[64], b[64];
  for (size_t i = 0; i < cfg->server_count; i++) {
    const char *agent = cfg->servers[i].agent;
    size_t n = strlen(agent);
    char *slug = malloc(n + 1);
    if (!slug)
      return fail(rd, "out of memory");
    ws_autobahn_agent_slug(agent, slug, n + 1);
    printable(agent, n, a);
    bool empty = slug[0] == '\0';
    for (size_t j = 0; j < i && !empty; j++) {
      const char *other = cfg->servers[j].agent;
      char *other_slug = malloc(strlen(other) + 1);
      if (!other_slug) {
        free(slug);
        return fail(rd, "out of memory");
      }
      ws_autobahn_agent_slug(other, other_slug, strlen(other) + 1);
      bool clash = strcmp(slug, other_slug) == 0;
      free(other_slug);
      if (clash && strcmp(agent, other) == 0) {
        free(slug);
        return fail(rd,
                    "servers[%zu] and servers[%zu] have the same agent "
                    "\"%s\"",
                    j, i, a);
      }
      if (clash) {
        printable(other, strlen(other), b);
        free(slug);
        return fail(rd,
                    "servers[%zu] and servers[%zu]: agents \"%s\" and \"%s\" "
                    "name the same report files (Autobahn names them after "
                    "the agent's letters and digits)",
                    j, i, b, a);
      }
    }
    free(slug);
    if (empty)
      return fail(rd,
                  "servers[%zu]: agent \"%s\" has no letter or digit to name "
                  "its report files",
                  i, a);
  }
  return 0;
}

static int parse_servers(const struct reader *rd, ws_jref root,
                         ws_ab_config *cfg) {
  ws_jref arr = ws_jdoc_get(rd->d, root, "servers");
  if (!arr)
    return fail(rd, "\"servers\" is missing: a list of {\"agent\": NAME, "
                    "\"url\": \"ws://...\"}");
  size_t n = ws_jdoc_count(rd->d, arr), i = 0;
  if (ws_jdoc_type(rd->d, arr) != WS_JARRAY || n == 0)
    return fail(rd, "\"servers\": expected a non-empty array of objects");
  cfg->servers = calloc(n, sizeof *cfg->servers);
  if (!cfg->servers)
    return fail(rd, "out of memory");
  for (ws_jref e = ws_jdoc_first(rd->d, arr); e; e = ws_jdoc_next(rd->d, e)) {
    cfg->server_count = i + 1;
    if (parse_server(rd, e, i, &cfg->servers[i]) != 0)
      return -1;
    i++;
  }
  return check_agents(rd, cfg);
}

static int parse_agent_excludes(const struct reader *rd, ws_jref root,
                                ws_ab_config *cfg) {
  ws_jref obj = ws_jdoc_get(rd->d, root, "exclude-agent-cases");
  if (!obj)
    return 0;
  if (ws_jdoc_type(rd->d, obj) != WS_JOBJECT)
    return fail(rd, "\"exclude-agent-cases\": expected an object "
                    "{AGENT_PATTERN: [CASE_PATTERN, ...]}");
  size_t n = ws_jdoc_count(rd->d, obj), i = 0;
  cfg->agent_excludes = calloc(n ? n : 1, sizeof *cfg->agent_excludes);
  if (!cfg->agent_excludes)
    return fail(rd, "out of memory");
  for (ws_jref m = ws_jdoc_first(rd->d, obj); m; m = ws_jdoc_next(rd->d, m)) {
    ws_ab_agent_excludes *x = &cfg->agent_excludes[i];
    cfg->agent_exclude_count = ++i;
    if (!(x->agent = member_name(rd->d, m)))
      return fail(rd, "out of memory");
    char what[96], shown[64];
    printable(x->agent, strlen(x->agent), shown);
    snprintf(what, sizeof what, "\"exclude-agent-cases\".\"%s\"", shown);
    if (get_strings(rd, m, what, true, &x->cases, &x->case_count) != 0)
      return -1;
  }
  return 0;
}

static int parse_root(const struct reader *rd, ws_ab_config *cfg) {
  static const char *const known[] = {
      "outdir", "options",       "servers",
      "cases",  "exclude-cases", "exclude-agent-cases",
      NULL};
  ws_jref root = 0;
  if (ws_jdoc_type(rd->d, root) != WS_JOBJECT)
    return fail(rd, "expected a JSON object at the top");
  check_keys(rd, root, "", known);
  if (get_string(rd, root, "outdir", "", &cfg->outdir) != 0 ||
      check_options(rd, root, "") != 0 || parse_servers(rd, root, cfg) != 0)
    return -1;
  ws_jref cases = ws_jdoc_get(rd->d, root, "cases");
  if (!cases)
    return fail(rd, "\"cases\" is missing (Autobahn requires it; [\"*\"] "
                    "selects every case)");
  if (get_strings(rd, cases, "\"cases\"", true, &cfg->cases,
                  &cfg->case_count) != 0)
    return -1;
  ws_jref excludes = ws_jdoc_get(rd->d, root, "exclude-cases");
  if (excludes && get_strings(rd, excludes, "\"exclude-cases\"", true,
                              &cfg->excludes, &cfg->exclude_count) != 0)
    return -1;
  return parse_agent_excludes(rd, root, cfg);
}

int ws_ab_config_parse(const char *name, const char *text, size_t len,
                       ws_ab_config *cfg, FILE *warn_to, char *err,
                       size_t cap) {
  memset(cfg, 0, sizeof *cfg);
  ws_jdoc_limits limits = ws_jdoc_default_limits;
  limits.max_input = WS_AB_CONFIG_MAX_BYTES;
  ws_jdoc d;
  char why[256];
  if (ws_jdoc_parse(text, len, &limits, &d, why, sizeof why) != 0) {
    snprintf(err, cap, "%s: %s", name, why);
    return -1;
  }
  struct reader rd = {&d, name, warn_to, err, cap};
  int rc = parse_root(&rd, cfg);
  ws_jdoc_free(&d);
  if (rc != 0)
    ws_ab_config_free(cfg);
  return rc;
}

int ws_ab_config_load(const char *path, ws_ab_config *cfg, FILE *warn_to,
                      char *err, size_t cap) {
  memset(cfg, 0, sizeof *cfg);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, cap, "%s: %s", path, strerror(errno));
    return -1;
  }
  char *text = malloc(WS_AB_CONFIG_MAX_BYTES + 1);
  size_t n = text ? fread(text, 1, WS_AB_CONFIG_MAX_BYTES + 1, f) : 0;
  bool read_error = ferror(f);
  fclose(f);
  int rc = -1;
  if (!text)
    snprintf(err, cap, "%s: out of memory", path);
  else if (read_error)
    snprintf(err, cap, "%s: cannot read the file", path);
  else if (n > WS_AB_CONFIG_MAX_BYTES)
    snprintf(err, cap, "%s: larger than %zu bytes, not a fuzzingclient spec",
             path, WS_AB_CONFIG_MAX_BYTES);
  else
    rc = ws_ab_config_parse(path, text, n, cfg, warn_to, err, cap);
  free(text);
  return rc;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    free(v[i]);
  free(v);
}

void ws_ab_config_free(ws_ab_config *cfg) {
  for (size_t i = 0; cfg->servers && i < cfg->server_count; i++) {
    ws_ab_server *s = &cfg->servers[i];
    free(s->agent);
    free(s->url);
    free(s->origin);
    free_strings(s->protocols, s->protocol_count);
  }
  free(cfg->servers);
  for (size_t i = 0; cfg->agent_excludes && i < cfg->agent_exclude_count; i++) {
    free(cfg->agent_excludes[i].agent);
    free_strings(cfg->agent_excludes[i].cases,
                 cfg->agent_excludes[i].case_count);
  }
  free(cfg->agent_excludes);
  free_strings(cfg->cases, cfg->case_count);
  free_strings(cfg->excludes, cfg->exclude_count);
  free(cfg->outdir);
  memset(cfg, 0, sizeof *cfg);
}
