/* `wsprobe test --autobahn-config FILE` and `--autobahn-report DIR`: a
 * drop-in path for teams that run Autobahn|Testsuite's fuzzingclient.
 *
 * --autobahn-config FILE runs the servers of a fuzzingclient spec
 * (autobahn_config.h), one `wsprobe test` run per server, in the spec's
 * order, each with the server's url and agent, and the cases the spec
 * selects for that agent (autobahn_select.h; --cases adds wsprobe patterns,
 * --exclude removes some). Each run writes wsprobe's own reports into
 * OUT/<agent>/ (OUT is --out; <agent> is the agent's file-name form, as in
 * Autobahn's report names), and its Autobahn report rows as soon as it
 * ends. The exit status is the worst of the runs' (2 over 1 over 0); a
 * server whose every case is excluded is skipped, as Autobahn skips it. A
 * first Ctrl-C ends the current run as usual and starts no further one.
 * Everything that can be checked before a run (the spec, every url, the
 * options) is checked first: a bad spec runs nothing and exits 2.
 *
 * --autobahn-report DIR writes the Autobahn layout (reports/autobahn.h) into
 * DIR; with a spec, DIR defaults to the spec's "outdir", and then to
 * Autobahn's default ./reports/servers. With a spec, DIR/index.json is
 * rewritten at the end and lists the agents whose runs got to their reports
 * (a server that could not be reached is absent, as in Autobahn's). Without
 * a spec, one run writes it for its --agent (or its URL). */
#ifndef WS_HARNESS_TEST_AUTOBAHN_H
#define WS_HARNESS_TEST_AUTOBAHN_H

#include "cli/test_options.h"

/* Returns the exit status. */
int ws_test_autobahn(const ws_test_options *o);

#endif
