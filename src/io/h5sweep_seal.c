/* synovia — the seal of a sweep part: a SHA-256 of its bytes, written when it
 * is committed and checked before anything reads it (io layer; see
 * syn_h5sweep_part_verify in synovia/h5sweep.h).
 *
 * A part (spec.part) begins with a 512-byte HDF5 user block, which HDF5
 * skips (it looks for the superblock at 0, 512, 1024, ...; h5py, netCDF and
 * h5dump read the file as before), holding one line
 *     synovia part sha256 <64 hex digits> of <N> bytes
 * then NULs: the digest of the N bytes that follow, the whole HDF5 file.
 *
 * Why the file's bytes and not the datasets' values in an attribute: what a
 * merge copies from a part is its rows and also its provenance texts, names,
 * units and attributes (a flipped bit in a provenance text once went into
 * the final file as invalid UTF-8), and the HDF5 structures that lead to
 * them; a digest of every byte covers them all, and checking it needs no
 * HDF5 call, so a damaged part never reaches libhdf5's parsers (some of
 * which crash on damaged metadata). Why not a sidecar file: the seal is
 * inside the part, written before the part's one rename, so there is never a
 * part without its seal nor a seal without its part. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/sha256.h"
#include "io/h5sweep_impl.h"
#include "io/h5util.h"

enum { READ_CHUNK = 1 << 20 };
static const char MAGIC[] = "synovia part sha256 ";

static void seal_line(syn_sha256 *h, unsigned long long n, char out[SYN_H5S_SEAL_BYTES]) {
  char hex[SYN_SHA256_HEX];
  syn_sha256_hex(h, hex);
  memset(out, 0, SYN_H5S_SEAL_BYTES);
  snprintf(out, SYN_H5S_SEAL_BYTES, "%s%s of %llu bytes\n", MAGIC, hex, n);
}

void syn_h5s_seal_text(const unsigned char *data, size_t n, char out[SYN_H5S_SEAL_BYTES]) {
  syn_sha256 h;
  syn_sha256_init(&h);
  syn_sha256_update(&h, data, n);
  seal_line(&h, (unsigned long long)n, out);
}

/* Reads fd from its current offset to the end into the digest; *n bytes. */
static int digest_rest(int fd, syn_sha256 *h, unsigned long long *n, unsigned char *buf) {
  syn_sha256_init(h);
  *n = 0;
  for (;;) {
    ssize_t got = read(fd, buf, READ_CHUNK);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == 0) return 0;
    syn_sha256_update(h, buf, (size_t)got);
    *n += (unsigned long long)got;
  }
}

syn_status syn_h5s_seal_file(const char *path, const char *tmp_path, syn_error *err) {
  char line[SYN_H5S_SEAL_BYTES];
  syn_sha256 h;
  unsigned long long n = 0;
  unsigned char *buf = syn_malloc(READ_CHUNK);
  if (buf == NULL)
    return syn_error_set(err, SYN_ENOMEM, "HDF5 sweep output '%s': out of memory", path);
  int fd = open(tmp_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  int rc = fd < 0 || lseek(fd, SYN_H5S_SEAL_BYTES, SEEK_SET) < 0 ? -1
                                                                 : digest_rest(fd, &h, &n, buf);
  if (rc == 0) {
    seal_line(&h, n, line);
    rc = pwrite(fd, line, sizeof line, 0) == (ssize_t)sizeof line ? fsync(fd) : -1;
  }
  int e = errno;
  if (fd >= 0 && close(fd) != 0 && rc == 0) {
    rc = -1;
    e = errno;
  }
  syn_free(buf);
  if (rc != 0)
    return syn_error_set(err, SYN_EIO, "HDF5 sweep output '%s': cannot seal '%s': %s", path,
                         tmp_path, strerror(e));
  return SYN_OK;
}

/* ---- checking ---------------------------------------------------------------------- */

static const char *file_kind(mode_t m) {
  return S_ISFIFO(m)   ? "a FIFO"
         : S_ISDIR(m)  ? "a directory"
         : S_ISLNK(m)  ? "a symbolic link"
         : S_ISCHR(m)  ? "a character device"
         : S_ISBLK(m)  ? "a block device"
         : S_ISSOCK(m) ? "a socket"
                       : "not a file";
}

static syn_status not_regular(const char *path, mode_t m, syn_error *err) {
  syn_error_set(err, SYN_EIO, "'%s' is named like a sweep part but is not a regular file (%s)",
                path, file_kind(m));
  syn_error_hint(err, "only the parts synovia commits belong there: remove it, then run again "
                      "with --resume");
  return SYN_EIO;
}

static syn_status damaged(const char *path, const char *why, syn_error *err) {
  syn_error_set(err, SYN_EIO, "'%s' is damaged (%s): delete it and run again with --resume",
                path, why);
  syn_error_hint(err, "the samples it held are then run again; the other parts are kept");
  return SYN_EIO;
}

/* The seal's digest and byte count; 0 when the block holds no seal. */
static int parse_seal(const char *block, char hex[SYN_SHA256_HEX], unsigned long long *n) {
  char tail[16];
  if (strncmp(block, MAGIC, sizeof MAGIC - 1) != 0) return 0;
  return sscanf(block + sizeof MAGIC - 1, "%64[0-9a-f] of %llu byte%15[s\n]", hex, n, tail) == 3 &&
         strlen(hex) == SYN_SHA256_HEX - 1;
}

static syn_status check_seal(const char *path, int fd, unsigned char *buf, syn_error *err) {
  char block[SYN_H5S_SEAL_BYTES + 1], want[SYN_SHA256_HEX], got[SYN_SHA256_HEX];
  unsigned long long n = 0, have = 0;
  ssize_t r = pread(fd, block, SYN_H5S_SEAL_BYTES, 0);
  if (r < 0)
    return syn_error_set(err, SYN_EIO, "cannot read sweep part '%s': %s", path, strerror(errno));
  block[r] = 0;
  if (r < SYN_H5S_SEAL_BYTES || !parse_seal(block, want, &n))
    return damaged(path, "no checksum where its seal belongs", err);
  syn_sha256 h;
  if (lseek(fd, SYN_H5S_SEAL_BYTES, SEEK_SET) < 0 || digest_rest(fd, &h, &have, buf) != 0)
    return syn_error_set(err, SYN_EIO, "cannot read sweep part '%s': %s", path, strerror(errno));
  syn_sha256_hex(&h, got);
  if (have != n) {
    char why[96];
    snprintf(why, sizeof why, "%llu bytes where its checksum covers %llu", have, n);
    return damaged(path, why, err);
  }
  if (strcmp(got, want) != 0) return damaged(path, "checksum mismatch", err);
  return SYN_OK;
}

syn_status syn_h5sweep_part_verify(const char *path, syn_error *err) {
  struct stat sb;
  if (path == NULL || path[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "sweep part: empty file name");
  if (lstat(path, &sb) != 0)
    return syn_error_set(err, SYN_EIO, "cannot read sweep part '%s': %s", path, strerror(errno));
  if (!S_ISREG(sb.st_mode)) return not_regular(path, sb.st_mode, err);
  /* O_NONBLOCK: were it swapped for a FIFO since, the open does not wait */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return syn_error_set(err, SYN_EIO, "cannot read sweep part '%s': %s", path, strerror(errno));
  syn_status st = SYN_OK;
  unsigned char *buf = NULL;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
    st = not_regular(path, sb.st_mode, err);
  else if ((buf = syn_malloc(READ_CHUNK)) == NULL)
    st = syn_error_set(err, SYN_ENOMEM, "sweep part '%s': out of memory", path);
  else
    st = check_seal(path, fd, buf, err);
  syn_free(buf);
  close(fd);
  return st;
}
