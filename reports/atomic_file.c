#include "reports/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory part of path ("." when none), for the temporary file and the
 * directory fsync. */
static void dir_of(const char *path, char *out, size_t cap) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(out, cap, ".");
  else if (slash == path)
    snprintf(out, cap, "/");
  else
    snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* Makes the rename durable: without it a crash right after could leave the
 * old name. Best effort: some filesystems refuse fsync on a directory. */
static void sync_dir(const char *path) {
  char dir[4096];
  dir_of(path, dir, sizeof dir);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

static int fail(char *err, size_t cap, const char *what, const char *path,
                int errnum) {
  snprintf(err, cap, "%s %s: %s", what, path, strerror(errnum));
  return -1;
}

int ws_write_atomically(const char *path, ws_document_fn write, const void *ctx,
                        char *err, size_t cap) {
  size_t n = strlen(path);
  char *tmp = malloc(n + sizeof ".tmp.XXXXXX");
  if (!tmp)
    return fail(err, cap, "cannot write", path, ENOMEM);
  memcpy(tmp, path, n);
  memcpy(tmp + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
  /* The temporary file lives next to the target so rename() is atomic (same
   * filesystem); mkstemp makes the name unique if two runs share a dir. */
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return fail(err, cap, "cannot create a file next to", path, e);
  }
  fchmod(fd, 0644); /* mkstemp's 0600 would hide the report from CI users */
  FILE *out = fdopen(fd, "w");
  if (!out) {
    int e = errno;
    close(fd);
    unlink(tmp);
    free(tmp);
    return fail(err, cap, "cannot write", path, e);
  }
  errno = 0;
  int rc = write(out, ctx);
  int e = errno ? errno : EIO;
  if (rc == 0 && fflush(out) != 0) {
    rc = -1;
    e = errno;
  }
  if (rc == 0 && fsync(fileno(out)) != 0) {
    rc = -1;
    e = errno;
  }
  if (fclose(out) != 0 && rc == 0) {
    rc = -1;
    e = errno;
  }
  if (rc == 0 && rename(tmp, path) != 0) {
    rc = -1;
    e = errno;
  }
  if (rc != 0) {
    unlink(tmp);
    free(tmp);
    return fail(err, cap, "cannot write", path, e);
  }
  free(tmp);
  sync_dir(path);
  return 0;
}

/* mkdir -p: each missing component is created; one that exists must be a
 * directory. */
int ws_make_dirs(const char *dir, char *err, size_t cap) {
  char buf[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof buf) {
    snprintf(err, cap, "cannot create directory \"%s\": %s", dir,
             n ? strerror(ENAMETOOLONG) : "empty path");
    return -1;
  }
  memcpy(buf, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0')
      continue;
    char saved = buf[i];
    buf[i] = '\0';
    struct stat st;
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
      snprintf(err, cap, "cannot create directory %s: %s", buf,
               strerror(errno));
      return -1;
    }
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
      snprintf(err, cap, "cannot create directory %s: %s", buf,
               strerror(ENOTDIR));
      return -1;
    }
    buf[i] = saved;
  }
  return 0;
}
