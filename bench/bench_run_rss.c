/* The run-wide memory budget (harness/cli/test_options.h), measured: the
 * peak RSS of a whole `build/wsprobe test` against the built-in reference
 * server, and against two hostile peers from tests/hostile/flood_server.py,
 * one flooding pings and one streaming random bytes (target: at most
 * 256 MiB each, and the report directory at most 64 MiB). Each hostile run
 * waits out every case's deadline, so this benchmark takes minutes;
 * `build/bench/bench run_rss` runs it alone. */
#include "bench/bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"
#define FLOOD_SERVER "tests/hostile/flood_server.py"

/* Runs `wsprobe test [url] --out dir`; its peak RSS in KiB (from the
 * kernel's accounting of the child), or -1. */
static long run_test(const char *url, const char *dir) {
  char *with_url[] = {"wsprobe", "test",      (char *)url,
                      "--out",   (char *)dir, NULL};
  char *reference[] = {"wsprobe", "test", "--out", (char *)dir, NULL};
  long kib = -1;
  int rc = bench_run_wsprobe(url ? with_url : reference, &kib);
  /* Exit 0 or 1 (cases failed, as they must against a hostile peer). */
  return rc == 0 || rc == 1 ? kib : -1;
}

/* Total size of the files in dir, removing them (and dir). */
static long long dir_size_and_remove(const char *dir) {
  long long total = 0;
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (stat(path, &st) == 0)
      total += st.st_size;
    unlink(path);
  }
  if (d)
    closedir(d);
  rmdir(dir);
  return total;
}

/* Starts the flood server in `mode`; fills url from its first line. */
static pid_t start_peer(const char *mode, char *url, size_t cap) {
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    char *argv[] = {PYTHON,   FLOOD_SERVER, "--mode", (char *)mode,
                    "--port", "0",          NULL};
    execv(PYTHON, argv);
    _exit(127);
  }
  close(fds[1]);
  FILE *in = fdopen(fds[0], "r");
  char line[256] = "";
  bool ok = in && fgets(line, sizeof line, in) &&
            sscanf(line, "listening on %255s", url) == 1 && cap > 0;
  if (in)
    fclose(in);
  if (!ok) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return -1;
  }
  return pid;
}

static void measure(const char *name, const char *mode) {
  char dir[] = "/tmp/wsprobe-bench-rss-XXXXXX";
  if (!mkdtemp(dir)) {
    bench_print_na(name, "MiB", "mkdtemp failed");
    return;
  }
  char url[256];
  pid_t peer = 0;
  if (mode && (peer = start_peer(mode, url, sizeof url)) < 0) {
    rmdir(dir);
    bench_print_na(name, "MiB", "the flood server did not start");
    return;
  }
  uint64_t t0 = bench_now_ns();
  long kib = run_test(mode ? url : NULL, dir);
  double seconds = (double)(bench_now_ns() - t0) / 1e9;
  if (peer > 0) {
    kill(peer, SIGTERM);
    waitpid(peer, NULL, 0);
  }
  long long report = dir_size_and_remove(dir);
  if (kib < 0) {
    bench_print_na(name, "MiB", "wsprobe test did not complete");
    return;
  }
  printf("bench %s %.1f MiB target <= 256: %s (report %.1f MiB, %.0f s)\n",
         name, (double)kib / 1024.0, kib <= 256 * 1024 ? "met" : "NOT met",
         (double)report / (1 << 20), seconds);
}

void bench_run_rss(void) {
  measure("run_peak_rss_mib_reference", NULL);
  measure("run_peak_rss_mib_ping_flood", "ping-flood");
  measure("run_peak_rss_mib_garbage", "garbage");
}
