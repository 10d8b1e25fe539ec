/* The whole default catalogue against the built-in reference server, timed
 * end to end as a user runs it: `build/wsprobe test` with no URL.
 */
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

/* Runs the catalogue (extra arguments before NULL), results.json into
 * json_path. */
static int run_catalogue(const char *json_path, const char *more1,
                         const char *more2, const char *more3,
                         const char *more4) {
  char *argv[] = {WSPROBE_PATH,      "test",        "--json",
                  (char *)json_path, (char *)more1, (char *)more2,
                  (char *)more3,     (char *)more4, NULL};
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

/* One timed run; prints NAME's wall time against target_s, or why not. */
static void timed_run(const char *name, double target_s, const char *more1,
                      const char *more2, const char *more3, const char *more4) {
  char dir[] = "/tmp/wsprobe-bench-XXXXXX";
  if (!mkdtemp(dir)) {
    bench_print_na(name, "s", "mkdtemp failed");
    return;
  }
  char json_path[sizeof dir + 16];
  snprintf(json_path, sizeof json_path, "%s/results.json", dir);
  uint64_t t0 = bench_now_ns();
  int rc = run_catalogue(json_path, more1, more2, more3, more4);
  double seconds = (double)(bench_now_ns() - t0) / 1e9;
  long total = total_cases(json_path);
  unlink(json_path);
  rmdir(dir);
  if (rc != 0 || total <= 0) {
    bench_print_na(name, "s",
                   rc == 0 ? "no results.json" : "wsprobe test did not pass");
    return;
  }
  printf("bench %s_cases %ld cases\n", name, total);
  printf("bench %s %.2f s target <= %.0f: %s\n", name, seconds, target_s,
         seconds <= target_s ? "met" : "NOT met");
  fflush(stdout);
}

/* The whole default catalogue, compression included (target 10 s on 2
 * cores). */
void bench_catalogue(void) {
  timed_run("catalogue_with_compression_wall", 10, NULL, NULL, NULL, NULL);
}

/* The compression area under --profile full, Autobahn's 1000 messages per
 * 12.x/13.x case, to put beside Autobahn's 897 s for the same 216 cases. */
void bench_compression_full(void) {
  timed_run("compression_full_profile_wall", 897, "--cases", "compression",
            "--profile", "full");
}
