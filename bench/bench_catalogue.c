/* The whole default catalogue against the built-in reference server, timed
 * end to end as a user runs it: `build/wsprobe test` with no URL (target:
 * at most 30 s wall on 2 cores). */
#include "bench/bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int bench_run_wsprobe(char *const argv[], long *maxrss_kib) {
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
    }
    execv(WSPROBE_PATH, argv);
    _exit(127);
  }
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0)
    if (errno != EINTR)
      return -1;
  if (maxrss_kib)
    *maxrss_kib = ru.ru_maxrss;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs the catalogue, results.json into json_path. */
static int run_catalogue(const char *json_path) {
  char *argv[] = {WSPROBE_PATH, "test", "--json", (char *)json_path, NULL};
  return bench_run_wsprobe(argv, NULL);
}

/* The "total" of results.json's summary, or -1. */
static long total_cases(const char *json_path) {
  FILE *f = fopen(json_path, "r");
  if (!f)
    return -1;
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = strstr(buf, "\"total\":");
  return p ? strtol(p + 8, NULL, 10) : -1;
}

void bench_catalogue(void) {
  char dir[] = "/tmp/wsprobe-bench-XXXXXX";
  if (!mkdtemp(dir)) {
    bench_print_na("catalogue_reference_wall", "s", "mkdtemp failed");
    return;
  }
  char json_path[sizeof dir + 16];
  snprintf(json_path, sizeof json_path, "%s/results.json", dir);
  uint64_t t0 = bench_now_ns();
  int rc = run_catalogue(json_path);
  double seconds = (double)(bench_now_ns() - t0) / 1e9;
  long total = total_cases(json_path);
  unlink(json_path);
  rmdir(dir);
  if (rc != 0 || total <= 0) {
    bench_print_na("catalogue_reference_wall", "s",
                   rc == 0 ? "no results.json" : "wsprobe test did not pass");
    return;
  }
  bench_print("catalogue_cases", (double)total, "cases");
  printf("bench catalogue_reference_wall %.2f s target <= 30: %s\n", seconds,
         seconds <= 30 ? "met" : "NOT met");
}
