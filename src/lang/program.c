/* synovia — a model file and its imports, parsed (see ast.h, syn_program_*).
 * Lang layer, on top of the parser: follows `import` declarations
 * depth-first, loads each file once, refuses cycles, and lists the files in
 * dependency order (every file after the files it imports, root last). */
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "base/alloc.h"
#include "base/arena.h"
#include "parser.h"

typedef enum { FILE_UNSEEN, FILE_OPEN, FILE_DONE } file_state;

typedef struct loader {
  syn_program *prog;
  size_t files_cap;
  unsigned char state[SYN_MAX_IMPORTS]; /* by source index */
  uint32_t chain[SYN_MAX_IMPORTS];      /* files being parsed, importer first */
  size_t nchain;
  syn_error *err;
} loader;

static syn_status out_of_memory(loader *L) {
  return syn_error_set(L->err, SYN_ENOMEM, "out of memory");
}

static const char *path_of(const loader *L, uint32_t index) {
  return syn_srcset_get(L->prog->sources, index)->path;
}

/* "import cycle: a.model -> b.model -> a.model", from where the cycle
 * starts in the chain of open files to the import that closes it. */
static syn_status cycle_error(loader *L, uint32_t target, syn_span at) {
  if (L->chain[L->nchain - 1] == target)
    return syn_diag(L->err, L->prog->sources, at, SYN_EINPUT, "'%s' imports itself",
                    path_of(L, target));
  char msg[SYN_ERROR_MSG_MAX];
  size_t len = (size_t)snprintf(msg, sizeof msg, "import cycle:");
  size_t i = 0;
  while (L->chain[i] != target) i++;
  for (; i < L->nchain && len < sizeof msg; i++)
    len += (size_t)snprintf(msg + len, sizeof msg - len, " %s ->", path_of(L, L->chain[i]));
  if (len < sizeof msg) snprintf(msg + len, sizeof msg - len, " %s", path_of(L, target));
  return syn_diag(L->err, L->prog->sources, at, SYN_EINPUT, "%s", msg);
}

static syn_status load_tree(loader *L, uint32_t index);

/* Follow one import declaration of the file at the top of the chain. */
static syn_status follow_import(loader *L, const ast_decl *d) {
  syn_srcset *src = L->prog->sources;
  uint32_t importer = L->chain[L->nchain - 1], target = 0;
  char *path = syn_path_resolve(path_of(L, importer), d->text);
  syn_status st = SYN_OK;
  if (path == NULL) {
    st = out_of_memory(L);
  } else if (syn_srcset_find(src, path, &target)) {
    if (L->state[target] == FILE_OPEN) st = cycle_error(L, target, d->text_span);
  } else if (syn_srcset_count(src) >= SYN_MAX_IMPORTS) {
    st = syn_diag(L->err, src, d->text_span, SYN_ELIMIT,
                  "too many files: a program may have at most %d", SYN_MAX_IMPORTS);
  } else {
    st = syn_srcset_load_file(src, path, &d->text_span, &target, L->err);
    if (st == SYN_OK) st = load_tree(L, target);
  }
  syn_free(path);
  return st;
}

static syn_status append_file(loader *L, const ast_file *f) {
  syn_program *prog = L->prog;
  if (prog->nfiles == L->files_cap) {
    size_t ncap = L->files_cap ? L->files_cap * 2 : 4;
    ast_file *n = syn_arena_alloc(prog->arena, ncap * sizeof *n);
    if (n == NULL) return out_of_memory(L);
    if (prog->nfiles) memcpy(n, prog->files, prog->nfiles * sizeof *n);
    prog->files = n;
    L->files_cap = ncap;
  }
  prog->files[prog->nfiles++] = *f;
  return SYN_OK;
}

/* Parse file `index`, then its imports (depth first), then list it. */
static syn_status load_tree(loader *L, uint32_t index) {
  ast_file f;
  syn_status st = parse_file(L->prog->sources, index, L->prog->arena, &f, L->err);
  if (st != SYN_OK) return st;
  L->state[index] = FILE_OPEN;
  L->chain[L->nchain++] = index;
  for (size_t i = 0; i < f.ndecls && st == SYN_OK; i++)
    if (f.decls[i].kind == DECL_IMPORT) st = follow_import(L, &f.decls[i]);
  L->nchain--;
  L->state[index] = FILE_DONE;
  return st == SYN_OK ? append_file(L, &f) : st;
}

static syn_program *program_create(void) {
  syn_program *p = syn_calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  p->sources = syn_srcset_create();
  p->arena = syn_arena_create();
  if (p->sources == NULL || p->arena == NULL) {
    syn_program_destroy(p);
    return NULL;
  }
  return p;
}

void syn_program_destroy(syn_program *p) {
  if (p == NULL) return;
  syn_srcset_destroy(p->sources);
  syn_arena_destroy(p->arena);
  syn_free(p);
}

/* Shared tail of both entry points: root already added as source 0. */
static syn_status load_program(syn_program *prog, uint32_t root, syn_error *err) {
  loader *L = syn_calloc(1, sizeof *L);
  if (L == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  L->prog = prog;
  L->err = err;
  syn_status st = load_tree(L, root);
  syn_free(L);
  return st;
}

syn_status syn_program_parse_file(const char *path, syn_program **out, syn_error *err) {
  if (out) *out = NULL;
  if (path == NULL || out == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_program_parse_file: missing argument");
  syn_program *prog = program_create();
  char *norm = syn_path_resolve(NULL, path);
  uint32_t root = 0;
  syn_status st = SYN_OK;
  if (prog == NULL || norm == NULL) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = syn_srcset_load_file(prog->sources, norm, NULL, &root, err);
  if (st == SYN_OK) st = load_program(prog, root, err);
  syn_free(norm);
  if (st != SYN_OK) {
    syn_program_destroy(prog);
    return st;
  }
  *out = prog;
  return SYN_OK;
}

syn_status syn_program_parse_text(const char *name, const char *text, size_t len,
                                  syn_program **out, syn_error *err) {
  if (out) *out = NULL;
  if (name == NULL || out == NULL || (text == NULL && len > 0))
    return syn_error_set(err, SYN_EINVAL, "syn_program_parse_text: missing argument");
  syn_program *prog = program_create();
  char *norm = syn_path_resolve(NULL, name);
  uint32_t root = 0;
  syn_status st = SYN_OK;
  if (prog == NULL || norm == NULL) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = syn_srcset_add_text(prog->sources, norm, text, len, &root, err);
  if (st == SYN_OK) st = load_program(prog, root, err);
  syn_free(norm);
  if (st != SYN_OK) {
    syn_program_destroy(prog);
    return st;
  }
  *out = prog;
  return SYN_OK;
}
