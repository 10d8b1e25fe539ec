/* build/wsprobe: dispatches to a subcommand. */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

struct command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"test", "run the case catalogue against a server (or the built-in one)",
     ws_cmd_test},
    {"serve",
     "be the server for clients under test (Autobahn's URL "
     "protocol, a browser page)",
     ws_cmd_serve},
    {"list", "list the cases of the catalogue", ws_cmd_list},
    {"show", "show one case: steps, expectations and the bytes it sends",
     ws_cmd_show},
    {"echo-server", "run the reference echo server", ws_cmd_echo_server},
    {"report", "re-render reports from results.json files (matrix of runs)",
     ws_cmd_report},
    {"diff", "compare two results.json files: regressions, improvements",
     ws_cmd_diff},
    {"fuzz", "seeded mutation fuzzing of a server; findings become cases",
     ws_cmd_fuzz},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *out) {
  fprintf(out, "usage: wsprobe [--help | --version] <command> [options]\n\n"
               "WebSocket (RFC 6455) conformance and fuzz-testing harness.\n\n"
               "commands:\n");
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'wsprobe help <command>' describes a command.\n");
}

static const struct command *find_command(const char *name) {
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    if (strcmp(name, commands[i].name) == 0)
      return &commands[i];
  return NULL;
}

/* `wsprobe help CMD` is `wsprobe CMD --help`: each command owns its usage
 * text, so there is one place to keep it right. */
static int help(int argc, char **argv) {
  if (argc < 3) {
    usage(stdout);
    return WS_EXIT_OK;
  }
  const struct command *c = find_command(argv[2]);
  if (!c || argc > 3) {
    if (c)
      fprintf(stderr, "wsprobe: help takes one command name\n\n");
    else
      fprintf(stderr, "wsprobe: help: unknown command '%s'\n\n", argv[2]);
    usage(stderr);
    return WS_EXIT_USAGE;
  }
  char *args[] = {argv[2], "--help", NULL};
  return c->run(2, args);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return WS_EXIT_USAGE;
  }
  if (strcmp(argv[1], "help") == 0)
    return help(argc, argv);
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return WS_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    printf("wsprobe %s\n", WSPROBE_VERSION);
    return WS_EXIT_OK;
  }
  const struct command *c = find_command(argv[1]);
  if (c)
    return c->run(argc - 1, argv + 1);
  fprintf(stderr, "wsprobe: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return WS_EXIT_USAGE;
}
