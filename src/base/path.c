/* synovia — the files a command writes and reads (include/synovia/path.h).
 * Plain stat(2): it follows symlinks, so a link to a device or to an input is
 * judged by what it leads to, and "dir/../x" is the file x is. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "synovia/path.h"

static const char *kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/* The folder PATH is in ("." for a bare name, "/" for "/x"); caller frees. */
static char *folder_of(const char *path) {
  const char *slash = strrchr(path, '/');
  size_t n = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
  char *dir = syn_malloc(n + 2);
  if (dir == NULL) return NULL;
  if (n == 0) strcpy(dir, ".");
  else {
    memcpy(dir, path, n);
    dir[n] = 0;
  }
  return dir;
}

/* An absent output: its folder must exist (a dangling symlink is absent too:
 * the rename replaces the link). */
static syn_status check_folder(const char *path, const char *role, syn_error *err) {
  char *dir = folder_of(path);
  if (dir == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  struct stat st;
  syn_status rc = SYN_OK;
  if (stat(dir, &st) != 0) {
    rc = syn_error_set(err, SYN_EIO, "cannot write the %s '%s': its folder '%s': %s", role, path,
                       dir, strerror(errno));
    syn_error_hint(err, "create the folder first, or give a path in an existing one");
  } else if (!S_ISDIR(st.st_mode)) {
    rc = syn_error_set(err, SYN_EIO, "cannot write the %s '%s': '%s' is not a folder", role,
                       path, dir);
  }
  syn_free(dir);
  return rc;
}

syn_status syn_path_check_output(const char *path, const char *role, syn_error *err) {
  if (path == NULL || path[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "empty output file name");
  if (role == NULL) role = "output";
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) return check_folder(path, role, err);
    return syn_error_set(err, SYN_EIO, "cannot write the %s '%s': %s", role, path,
                         strerror(errno));
  }
  if (S_ISREG(st.st_mode)) return SYN_OK;
  syn_error_set(err, SYN_EINVAL, "the %s '%s' exists and is %s, not a regular file", role, path,
                kind_of(st.st_mode));
  if (S_ISDIR(st.st_mode))
    syn_error_hint(err, "an output is one file: give a file name (a new one, or an existing "
                        "regular file), e.g. one inside that folder");
  else
    syn_error_hint(err, "synovia writes an output whole to NAME.tmp and renames it over NAME, "
                        "which would put a regular file in place of %s; give the name of a new "
                        "file or of an existing regular file",
                   kind_of(st.st_mode));
  return SYN_EINVAL;
}

syn_status syn_path_check_temporary(const char *path, syn_error *err) {
  struct stat st;
  if (path == NULL || lstat(path, &st) != 0) return SYN_OK; /* absent: its folder is the output's */
  if (S_ISREG(st.st_mode)) return SYN_OK; /* a stale one, replaced */
  if (S_ISLNK(st.st_mode))
    syn_error_set(err, SYN_EINVAL, "the temporary output '%s' is a symbolic link: it is opened "
                  "for writing, and through a link the output would go to another file", path);
  else
    syn_error_set(err, SYN_EINVAL, "the temporary output '%s' exists and is %s, not a regular "
                  "file", path, kind_of(st.st_mode));
  syn_error_hint(err, "synovia writes an output to NAME.tmp, then renames it; delete '%s' (it is "
                      "not a file synovia left) or choose another output name", path);
  return SYN_EINVAL;
}

syn_status syn_path_check_not_input(const char *path, const char *const *inputs, size_t n,
                                    size_t *which, syn_error *err) {
  struct stat out, in;
  if (path == NULL || stat(path, &out) != 0) return SYN_OK; /* not there: nothing to destroy */
  for (size_t i = 0; i < n; i++) {
    if (inputs[i] == NULL || inputs[i][0] == 0 || stat(inputs[i], &in) != 0) continue;
    if (in.st_dev != out.st_dev || in.st_ino != out.st_ino) continue;
    if (which) *which = i;
    if (strcmp(path, inputs[i]) == 0)
      syn_error_set(err, SYN_EINVAL, "the output '%s' is also an input of this command: writing "
                    "it would destroy it", path);
    else
      syn_error_set(err, SYN_EINVAL, "the output '%s' is the input '%s' (the same file by "
                    "another name): writing it would destroy it", path, inputs[i]);
    syn_error_hint(err, "give another output name (-o)");
    return SYN_EINVAL;
  }
  return SYN_OK;
}

syn_status syn_path_check_input(const char *path, const char *what, syn_error *err) {
  struct stat st;
  if (path == NULL || stat(path, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
    return SYN_OK;
  syn_error_set(err, SYN_EINVAL, "cannot read the %s '%s': it is %s, not a regular file",
                what ? what : "input", path, kind_of(st.st_mode));
  syn_error_hint(err, "synovia reads its inputs from regular files (reading a pipe or a device "
                      "could wait forever); copy the data into a file first");
  return SYN_EINVAL;
}
