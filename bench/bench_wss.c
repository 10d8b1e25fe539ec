/* The whole catalogue over wss:// beside the same over ws://, each against
 * its own `wsprobe echo-server` process (one with --tls-cert/--tls-key),
 * as a user tests a TLS deployment. The runs alternate, ws then wss, and
 * the fastest of each side is kept, so load on the machine hits both
 * alike; the ratio is wss wall time over ws wall time. */
#include "bench/bench.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 3

/* Runs a command found on PATH with its output discarded: its exit status,
 * or -1. */
static int run_quiet(char *const argv[]) {
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
    }
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) < 0)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A self-signed certificate for 127.0.0.1 (its own trust anchor: --ca). */
static bool make_certificate(const char *cert, const char *key) {
  char *argv[] = {"openssl",
                  "req",
                  "-x509",
                  "-newkey",
                  "ec",
                  "-pkeyopt",
                  "ec_paramgen_curve:P-256",
                  "-nodes",
                  "-days",
                  "1",
                  "-subj",
                  "/CN=127.0.0.1",
                  "-addext",
                  "subjectAltName=IP:127.0.0.1",
                  "-keyout",
                  (char *)key,
                  "-out",
                  (char *)cert,
                  NULL};
  return run_quiet(argv) == 0;
}

/* Starts `wsprobe echo-server --port 0` (with TLS when cert is given);
 * fills url from its "listening on URL" line. */
static pid_t start_server(const char *cert, const char *key, char *url,
                          size_t cap) {
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    char *plain[] = {WSPROBE_PATH, "echo-server", "--port", "0", NULL};
    char *tls[] = {WSPROBE_PATH, "echo-server", "--port",    "0", "--tls-cert",
                   (char *)cert, "--tls-key",   (char *)key, NULL};
    execv(WSPROBE_PATH, cert ? tls : plain);
    _exit(127);
  }
  close(fds[1]);
  FILE *in = fdopen(fds[0], "r");
  char line[256] = "", fmt[32];
  snprintf(fmt, sizeof fmt, "listening on %%%zus", cap - 1);
  bool ok = in && fgets(line, sizeof line, in) && sscanf(line, fmt, url) == 1;
  if (in)
    fclose(in);
  if (!ok) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return -1;
  }
  return pid;
}

static void stop_server(pid_t pid) {
  if (pid > 0) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
  }
}

/* One whole catalogue run: its wall time in seconds, or -1 when it did not
 * pass. */
static double run_catalogue(const char *url, const char *ca, const char *json) {
  char *plain[] = {WSPROBE_PATH, "test",       (char *)url,
                   "--json",     (char *)json, NULL};
  char *tls[] = {WSPROBE_PATH, "test",   (char *)url,  "--ca",
                 (char *)ca,   "--json", (char *)json, NULL};
  uint64_t t0 = bench_now_ns();
  int rc = bench_run_wsprobe(ca ? tls : plain, NULL);
  double s = (double)(bench_now_ns() - t0) / 1e9;
  unlink(json);
  return rc == 0 ? s : -1;
}

void bench_wss(void) {
  const char *name = "wss_vs_ws_catalogue";
  char dir[] = "/tmp/wsprobe-bench-wss-XXXXXX";
  if (!mkdtemp(dir)) {
    bench_print_na(name, "x", "mkdtemp failed");
    return;
  }
  char cert[64], key[64], json[64], ws_url[256], wss_url[256];
  snprintf(cert, sizeof cert, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key.pem", dir);
  snprintf(json, sizeof json, "%s/results.json", dir);
  pid_t ws = -1, wss = -1;
  const char *why = NULL;
  if (!make_certificate(cert, key))
    why = "openssl req failed (is the openssl CLI installed?)";
  else if ((ws = start_server(NULL, NULL, ws_url, sizeof ws_url)) < 0 ||
           (wss = start_server(cert, key, wss_url, sizeof wss_url)) < 0)
    why = "an echo-server did not start";
  double best_ws = 0, best_wss = 0;
  for (int i = 0; i < ROUNDS && !why; i++) {
    double a = run_catalogue(ws_url, NULL, json);
    double b = run_catalogue(wss_url, cert, json);
    if (a < 0 || b < 0)
      why = "a catalogue run did not pass";
    if (i == 0 || a < best_ws)
      best_ws = a;
    if (i == 0 || b < best_wss)
      best_wss = b;
  }
  stop_server(ws);
  stop_server(wss);
  unlink(cert);
  unlink(key);
  rmdir(dir);
  if (why) {
    bench_print_na(name, "x", why);
    return;
  }
  bench_print("catalogue_ws_wall", best_ws, "s");
  bench_print("catalogue_wss_wall", best_wss, "s");
  bench_print(name, best_wss / best_ws, "x");
}
