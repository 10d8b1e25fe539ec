/* The subcommands of build/wsprobe. Each returns the process exit status:
 * 0 success, 1 the target failed a check, 2 the run could not be done. */
#ifndef WS_HARNESS_COMMANDS_H
#define WS_HARNESS_COMMANDS_H

enum { WS_EXIT_OK = 0, WS_EXIT_FAILURES = 1, WS_EXIT_USAGE = 2 };

int ws_cmd_echo_server(int argc, char **argv);
int ws_cmd_test(int argc, char **argv);
int ws_cmd_serve(int argc, char **argv);
int ws_cmd_list(int argc, char **argv);
int ws_cmd_show(int argc, char **argv);
int ws_cmd_report(int argc, char **argv);
int ws_cmd_diff(int argc, char **argv);
int ws_cmd_fuzz(int argc, char **argv);

#endif
