/* --autobahn-config: reading a fuzzingclient spec (valid, malformed, unknown
 * keys), Autobahn's case patterns, and the selection they make over a
 * catalogue. */
#include "cli/autobahn_config.h"
#include "cli/autobahn_select.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses text; the warnings it printed are returned in *warnings (heap). */
static int parse(const char *text, ws_ab_config *cfg, char **warnings,
                 char *err, size_t cap) {
  size_t len = 0;
  char *buf = NULL;
  FILE *w = open_memstream(&buf, &len);
  cr_assert(w);
  int rc =
      ws_ab_config_parse("spec.json", text, strlen(text), cfg, w, err, cap);
  fclose(w);
  *warnings = buf;
  return rc;
}

Test(autobahn_config, a_full_spec_is_read) {
  const char *text =
      "{\"outdir\": \"./reports/servers\",\n"
      " \"options\": {},\n"
      " \"servers\": [\n"
      "   {\"agent\": \"My Server/1.0\", \"url\": \"ws://127.0.0.1:9001\",\n"
      "    \"origin\": \"http://example.com\", \"protocols\": [\"chat\", "
      "\"superchat\"], \"options\": {}},\n"
      "   {\"url\": \"ws://127.0.0.1:9002/x\"}],\n"
      " \"cases\": [\"*\"],\n"
      " \"exclude-cases\": [\"9.*\", \"12.*\"],\n"
      " \"exclude-agent-cases\": {\"My*\": [\"6.4.*\", \"7.1.6\"]}}\n";
  ws_ab_config cfg;
  char err[256], *warnings;
  cr_assert_eq(parse(text, &cfg, &warnings, err, sizeof err), 0, "%s", err);
  cr_assert_str_empty(warnings, "an all-known spec warns of nothing: %s",
                      warnings);
  cr_assert_str_eq(cfg.outdir, "./reports/servers");
  cr_assert_eq(cfg.server_count, 2);
  cr_assert_str_eq(cfg.servers[0].agent, "My Server/1.0");
  cr_assert_str_eq(cfg.servers[0].url, "ws://127.0.0.1:9001");
  cr_assert_str_eq(cfg.servers[0].origin, "http://example.com");
  cr_assert_eq(cfg.servers[0].protocol_count, 2);
  cr_assert_str_eq(cfg.servers[0].protocols[1], "superchat");
  cr_assert_str_eq(cfg.servers[1].agent, "ws://127.0.0.1:9002/x",
                   "without an agent, the url names the server");
  cr_assert_null(cfg.servers[1].origin);
  cr_assert_eq(cfg.case_count, 1);
  cr_assert_str_eq(cfg.cases[0], "*");
  cr_assert_eq(cfg.exclude_count, 2);
  cr_assert_str_eq(cfg.excludes[1], "12.*");
  cr_assert_eq(cfg.agent_exclude_count, 1);
  cr_assert_str_eq(cfg.agent_excludes[0].agent, "My*");
  cr_assert_eq(cfg.agent_excludes[0].case_count, 2);
  cr_assert_str_eq(cfg.agent_excludes[0].cases[1], "7.1.6");
  free(warnings);
  ws_ab_config_free(&cfg);
}

Test(autobahn_config, unknown_and_ignored_keys_are_warned_about) {
  const char *text =
      "{\"servers\": [{\"url\": \"ws://h/\", \"agnet\": \"typo\",\n"
      "                \"hostname\": \"h\", \"options\": {\"version\": 18}}],\n"
      " \"cases\": [\"1.*\"], \"url\": \"ws://h/\", \"cases\": [\"2.*\"],\n"
      " \"options\": {\"failByDrop\": false}, \"c\\u0061ses2\": 1}";
  ws_ab_config cfg;
  char err[256], *w;
  cr_assert_eq(parse(text, &cfg, &w, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(w, "spec.json: servers[0]: unknown key \"agnet\""), "%s", w);
  cr_assert(strstr(w, "spec.json: unknown key \"url\" (ignored)"), "%s", w);
  cr_assert(strstr(w, "unknown key \"cases2\""), "escapes decoded: %s", w);
  cr_assert(strstr(w, "duplicate key \"cases\" (the first one is used)"), "%s",
            w);
  cr_assert(strstr(w, "servers[0]: \"hostname\""), "%s", w);
  cr_assert(strstr(w, "spec.json: servers[0]: \"options\" holds Autobahn's"),
            "%s", w);
  cr_assert(strstr(w, "spec.json: \"options\" holds Autobahn's"), "%s", w);
  cr_assert_str_eq(cfg.cases[0], "1.*", "the first of two keys is used");
  size_t lines = 0;
  for (const char *p = w; *p; p++)
    lines += *p == '\n';
  cr_assert_eq(lines, 7, "one line per finding: %s", w);
  free(w);
  ws_ab_config_free(&cfg);
}

/* A malformed spec is an error naming the place; cfg is left empty. */
static void expect_error(const char *text, const char *want) {
  ws_ab_config cfg;
  char err[512], *w;
  cr_assert_eq(parse(text, &cfg, &w, err, sizeof err), -1, "accepted: %s",
               text);
  cr_assert(strstr(err, want), "for %s\nwanted \"%s\" in: %s", text, want, err);
  cr_assert(strncmp(err, "spec.json: ", 11) == 0, "%s", err);
  cr_assert_eq(cfg.server_count, 0);
  cr_assert_null(cfg.cases);
  free(w);
  ws_ab_config_free(&cfg);
}

Test(autobahn_config, malformed_specs_are_errors_that_name_the_key) {
  expect_error("{\"servers\": [", "line 1, column 14");
  expect_error("[1]", "expected a JSON object at the top");
  expect_error("{\"cases\": [\"*\"]}", "\"servers\" is missing");
  expect_error("{\"servers\": [], \"cases\": [\"*\"]}",
               "\"servers\": expected a non-empty array");
  expect_error("{\"servers\": {\"url\": \"ws://h/\"}, \"cases\": [\"*\"]}",
               "\"servers\": expected a non-empty array");
  expect_error("{\"servers\": [\"ws://h/\"], \"cases\": [\"*\"]}",
               "servers[0]: expected an object");
  expect_error("{\"servers\": [{\"agent\": \"a\"}], \"cases\": [\"*\"]}",
               "servers[0]: \"url\" is missing");
  expect_error("{\"servers\": [{\"url\": 9001}], \"cases\": [\"*\"]}",
               "servers[0]: \"url\": expected a string");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\", \"agent\": null}], "
               "\"cases\": [\"*\"]}",
               "servers[0]: \"agent\": expected a string");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\", \"protocols\": \"x\"}], "
               "\"cases\": [\"*\"]}",
               "servers[0].protocols: expected an array of strings");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\"}]}",
               "\"cases\" is missing");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": \"*\"}",
               "\"cases\": expected an array of strings");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [1]}",
               "\"cases\"[0]: expected a string");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [\"1.*\", "
               "\"\"]}",
               "\"cases\"[1]: an empty pattern");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [\"*\"], "
               "\"exclude-cases\": {}}",
               "\"exclude-cases\": expected an array");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [\"*\"], "
               "\"exclude-agent-cases\": [\"a\"]}",
               "\"exclude-agent-cases\": expected an object");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [\"*\"], "
               "\"exclude-agent-cases\": {\"a*\": \"1.1\"}}",
               "\"exclude-agent-cases\".\"a*\": expected an array");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [\"*\"], "
               "\"outdir\": 3}",
               "\"outdir\": expected a string");
  expect_error("{\"servers\": [{\"url\": \"ws://h/\", \"options\": []}], "
               "\"cases\": [\"*\"]}",
               "servers[0]: \"options\": expected an object");
}

Test(autobahn_config, agents_must_name_distinct_report_files) {
  expect_error("{\"servers\": [{\"agent\": \"A\", \"url\": \"ws://h/\"}, "
               "{\"agent\": \"A\", \"url\": \"ws://i/\"}], \"cases\": [\"*\"]}",
               "servers[0] and servers[1] have the same agent \"A\"");
  expect_error(
      "{\"servers\": [{\"agent\": \"My Server\", \"url\": \"ws://h/\"}, "
      "{\"agent\": \"my-server\", \"url\": \"ws://i/\"}], "
      "\"cases\": [\"*\"]}",
      "agents \"My Server\" and \"my-server\" name the same report "
      "files");
  expect_error("{\"servers\": [{\"agent\": \"--\", \"url\": \"ws://h/\"}], "
               "\"cases\": [\"*\"]}",
               "servers[0]: agent \"--\" has no letter or digit");
}

Test(autobahn_config, files_are_read_and_bounded) {
  ws_ab_config cfg;
  char err[512];
  cr_assert_eq(ws_ab_config_load("/nonexistent/fuzzingclient.json", &cfg, NULL,
                                 err, sizeof err),
               -1);
  cr_assert(strstr(err, "/nonexistent/fuzzingclient.json: "), "%s", err);
  char path[] = "/tmp/wsprobe-ab-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  FILE *f = fdopen(fd, "w");
  const char *text =
      "{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [\"2.*\"]}";
  fputs(text, f);
  fclose(f);
  cr_assert_eq(ws_ab_config_load(path, &cfg, NULL, err, sizeof err), 0, "%s",
               err);
  cr_assert_str_eq(cfg.cases[0], "2.*");
  ws_ab_config_free(&cfg);
  f = fopen(path, "w");
  for (size_t i = 0; i <= WS_AB_CONFIG_MAX_BYTES; i++)
    fputc(' ', f);
  fclose(f);
  cr_assert_eq(ws_ab_config_load(path, &cfg, NULL, err, sizeof err), -1);
  cr_assert(strstr(err, "larger than"), "%s", err);
  remove(path);
}

Test(autobahn_patterns, cases_patterns_match_as_autobahn_does) {
  /* "cases" / "exclude-cases": re.match, so a '*' pattern may match a
   * prefix; '.' is a plain dot; '*' spans dots. */
  cr_assert(ws_ab_pattern_matches("*", "6.4.1", false));
  cr_assert(ws_ab_pattern_matches("1.*", "1.1.1", false));
  cr_assert_not(ws_ab_pattern_matches("1.*", "10.1.1", false));
  cr_assert(ws_ab_pattern_matches("6.1*", "6.1.3", false));
  cr_assert(ws_ab_pattern_matches("6.1*", "6.12.8", false),
            "a prefix match, as Python's re.match");
  cr_assert(ws_ab_pattern_matches("12.*.2", "12.1.20", false),
            "the regular expression is not anchored at its end");
  cr_assert(ws_ab_pattern_matches("*.4.*", "6.4.1", false));
  cr_assert_not(ws_ab_pattern_matches("1.1", "1x1", false), "a dot is a dot");
  /* Without a '*' a pattern is an exact id. */
  cr_assert(ws_ab_pattern_matches("2.1", "2.1", false));
  cr_assert_not(ws_ab_pattern_matches("2.1", "2.10", false));
  cr_assert_not(ws_ab_pattern_matches("2", "2.1", false));
}

Test(autobahn_patterns, agent_patterns_match_whole_names) {
  cr_assert(ws_ab_pattern_matches("Autobahn*", "AutobahnPython/0.6.0", true));
  cr_assert_not(ws_ab_pattern_matches("Autobahn", "AutobahnPython", true));
  cr_assert(ws_ab_pattern_matches("*Python*", "AutobahnPython/0.6.0", true));
  cr_assert(ws_ab_pattern_matches("12.*.2", "12.1.2", true));
  cr_assert_not(ws_ab_pattern_matches("12.*.2", "12.1.20", true));
  cr_assert(ws_ab_pattern_matches("a**b", "ab", true));
  cr_assert_not(ws_ab_pattern_matches("", "x", true));
}

/* Cases as wsprobe writes them: Autobahn-equivalent ones carry their id,
 * ours carry none, one carries two. */
static const char catalogue_text[] =
    "<info>\nid 1.1.1\ntitle a\narea framing\nrfc 6455#5.2\nlevel MUST\n"
    "autobahn 1.1.1\n</info>\n<send>\ntext \"a\" echo\n</send>\n"
    "<expect>\npass echo\n</expect>\n"
    "<info>\nid 2.10\ntitle b\narea pings\nrfc 6455#5.5\nlevel MUST\n"
    "autobahn 2.10\n</info>\n<send>\nping \"b\" echo\n</send>\n"
    "<expect>\npass echo\n</expect>\n"
    "<info>\nid 2.1\ntitle c\narea pings\nrfc 6455#5.5\nlevel MUST\n"
    "autobahn 2.1\n</info>\n<send>\nping \"c\" echo\n</send>\n"
    "<expect>\npass echo\n</expect>\n"
    "<info>\nid 6.4.1\ntitle d\narea utf8\nrfc 6455#8.1\nlevel MUST\n"
    "autobahn 6.4.1, 6.4.2\n</info>\n<send>\ntext \"d\" echo\n</send>\n"
    "<expect>\npass echo\n</expect>\n"
    "<info>\nid hs.1\ntitle e\narea handshake\nrfc 6455#4.1\nlevel MUST\n"
    "</info>\n<send>\ntext \"e\" echo\n</send>\n"
    "<expect>\npass echo\n</expect>\n";

static ws_catalogue *small_catalogue(void) {
  char err[256];
  ws_catalogue *cat = ws_catalogue_new(1);
  cr_assert_eq(ws_catalogue_add_text(cat, "t.case", catalogue_text,
                                     sizeof catalogue_text - 1, err,
                                     sizeof err),
               0, "%s", err);
  ws_catalogue_sort(cat);
  return cat;
}

static ws_ab_config spec(const char *text) {
  ws_ab_config cfg;
  char err[256];
  cr_assert_eq(ws_ab_config_parse("spec.json", text, strlen(text), &cfg, NULL,
                                  err, sizeof err),
               0, "%s", err);
  return cfg;
}

/* The ids joined with spaces, and the ids of the cases the selection runs. */
static void selection(const ws_ab_config *cfg, const ws_catalogue *cat,
                      const char *agent, const char *extra,
                      const char *excludes, char *ids_out, char *cases_out) {
  ws_ab_ids ids;
  cr_assert_eq(ws_ab_select_ids(cfg, cat, agent, &ids), 0);
  ids_out[0] = cases_out[0] = '\0';
  for (size_t i = 0; i < ids.count; i++)
    strcat(strcat(ids_out, i ? " " : ""), ids.v[i]);
  const ws_case **cases;
  size_t n;
  char err[256];
  cr_assert_eq(ws_ab_select_cases(cat, &ids, extra, excludes, &cases, &n, err,
                                  sizeof err),
               0, "%s", err);
  for (size_t i = 0; i < n; i++)
    strcat(strcat(cases_out, i ? " " : ""), cases[i]->id);
  free(cases);
  ws_ab_ids_free(&ids);
}

Test(autobahn_select, star_selects_the_autobahn_equivalents_only) {
  ws_catalogue *cat = small_catalogue();
  ws_ab_config cfg = spec("{\"servers\": [{\"url\": \"ws://h/\"}], "
                          "\"cases\": [\"*\"]}");
  char ids[256], cases[256];
  selection(&cfg, cat, "a", NULL, NULL, ids, cases);
  cr_assert_str_eq(ids, "1.1.1 2.1 2.10 6.4.1 6.4.2");
  cr_assert_str_eq(cases, "1.1.1 2.1 2.10 6.4.1", "hs.1 has no Autobahn id");
  /* --cases adds ours, --exclude takes away from both. */
  selection(&cfg, cat, "a", "handshake", "2", ids, cases);
  cr_assert_str_eq(cases, "1.1.1 6.4.1 hs.1");
  ws_ab_config_free(&cfg);
  ws_catalogue_free(cat);
}

Test(autobahn_select, excludes_global_and_per_agent) {
  ws_catalogue *cat = small_catalogue();
  ws_ab_config cfg = spec(
      "{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": [\"2.*\", \"6.*\"],"
      " \"exclude-cases\": [\"2.1\", \"12.*\"],"
      " \"exclude-agent-cases\": {\"slow*\": [\"6.4.1\"], \"x\": [\"*\"]}}");
  char ids[256], cases[256];
  selection(&cfg, cat, "fast", NULL, NULL, ids, cases);
  cr_assert_str_eq(ids, "2.10 6.4.1 6.4.2", "2.1 excluded, not 2.10");
  cr_assert_str_eq(cases, "2.10 6.4.1");
  selection(&cfg, cat, "slow server", NULL, NULL, ids, cases);
  cr_assert_str_eq(ids, "2.10 6.4.2");
  cr_assert_str_eq(cases, "2.10 6.4.1",
                   "a case runs while one of its ids is selected");
  selection(&cfg, cat, "x", NULL, NULL, ids, cases);
  cr_assert_str_empty(ids);
  cr_assert_str_empty(cases);
  ws_ab_config_free(&cfg);
  ws_catalogue_free(cat);
}

Test(autobahn_select, unmatched_case_patterns_are_warned_about) {
  ws_catalogue *cat = small_catalogue();
  ws_ab_config cfg = spec("{\"servers\": [{\"url\": \"ws://h/\"}], \"cases\": "
                          "[\"1.*\", \"9.*\", \"2.2\"],"
                          " \"exclude-cases\": [\"13.*\"]}");
  char *buf = NULL;
  size_t len = 0;
  FILE *w = open_memstream(&buf, &len);
  ws_ab_warn_unmatched(&cfg, cat, "spec.json", w);
  fclose(w);
  cr_assert(strstr(buf, "spec.json: \"cases\" pattern \"9.*\" matches no "
                        "wsprobe case"),
            "%s", buf);
  cr_assert(strstr(buf, "\"2.2\""), "%s", buf);
  cr_assert_null(strstr(buf, "1.*"), "%s", buf);
  cr_assert_null(strstr(buf, "13.*"), "excludes of what we lack are normal");
  free(buf);
  /* A bad wsprobe pattern in --cases is an error, as for `test --cases`. */
  ws_ab_ids ids;
  cr_assert_eq(ws_ab_select_ids(&cfg, cat, "a", &ids), 0);
  const ws_case **cases;
  size_t n;
  char err[256];
  cr_assert_eq(ws_ab_select_cases(cat, &ids, "nosuch", NULL, &cases, &n, err,
                                  sizeof err),
               -1);
  cr_assert(strstr(err, "no case matches 'nosuch'"), "%s", err);
  ws_ab_ids_free(&ids);
  ws_ab_config_free(&cfg);
  ws_catalogue_free(cat);
}
