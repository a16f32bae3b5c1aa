/* synovia — reading a PEtab v1 problem file (YAML) and its TSV tables into
 * located cells (fit layer; src/fit/petab.h). */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "petab.h"
#include "synovia/path.h"

/* The keys of a problem's list of files, in pt_kind order. */
static const char *const kind_key[PT_KIND_COUNT] = {
    "condition_files", "measurement_files", "observable_files", "sbml_files",
    "visualization_files"};

int petab_is_problem(const char *path) {
  size_t n = path ? strlen(path) : 0;
  return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) || (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

/* ---- TSV ----------------------------------------------------------------------------------- */

static int grow_cells(pt_table *t, size_t *cap, size_t need) {
  return syn_arena_grow(t->arena, (void **)&t->cells, cap, need, sizeof *t->cells);
}

/* Split one line [s, e) at tabs into cells, trimmed of spaces and a CR. */
static size_t split_line(pt_table *t, const char *text, uint32_t file, size_t s, size_t e,
                         pt_cell *out, size_t max) {
  size_t n = 0;
  while (n < max) {
    size_t end = s;
    while (end < e && text[end] != '\t') end++;
    size_t a = s, b = end;
    while (a < b && text[a] == ' ') a++;
    while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\r')) b--;
    out[n].text = syn_arena_strndup(t->arena, text + a, b - a);
    out[n].span = (syn_span){file, (uint32_t)(a == b ? s : a), (uint32_t)(b - a)};
    n++;
    if (end >= e) break;
    s = end + 1;
  }
  return n;
}

static size_t count_fields(const char *text, size_t s, size_t e) {
  size_t n = 1;
  for (size_t i = s; i < e; i++) n += text[i] == '\t';
  return n;
}

static int blank_line(const char *text, size_t s, size_t e) {
  for (size_t i = s; i < e; i++)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r') return 0;
  return 1;
}

static syn_status add_row(pt_table *t, const syn_srcset *src, const char *text, uint32_t file,
                          size_t s, size_t e, int line, size_t *cap, size_t *lcap, syn_error *err) {
  size_t nf = count_fields(text, s, e);
  if (nf > t->ncols) {
    syn_span at = {file, (uint32_t)s, (uint32_t)(e - s)};
    syn_diag(err, src, at, SYN_EINPUT, "this row has %zu fields, the header %zu", nf, t->ncols);
    syn_error_hint(err, "separate the fields with one tab each, as the header does");
    return SYN_EINPUT;
  }
  if (grow_cells(t, cap, (t->nrows + 1) * t->ncols) != 0 ||
      syn_arena_grow(t->arena, (void **)&t->line, lcap, t->nrows + 1, sizeof *t->line) != 0)
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  pt_cell *row = t->cells + t->nrows * t->ncols;
  size_t got = split_line(t, text, file, s, e, row, t->ncols);
  for (size_t c = got; c < t->ncols; c++) row[c] = (pt_cell){"", {file, (uint32_t)e, 0}};
  t->line[t->nrows++] = line;
  return SYN_OK;
}

static syn_status check_header(pt_table *t, const syn_srcset *src, const pt_table *first,
                               syn_error *err) {
  for (size_t c = 0; c < t->ncols; c++) {
    if (t->head[c].text[0] == 0)
      return syn_diag(err, src, t->head[c].span, SYN_EINPUT, "an empty column name in the header");
    for (size_t d = 0; d < c; d++)
      if (strcmp(t->head[c].text, t->head[d].text) == 0)
        return syn_diag(err, src, t->head[c].span, SYN_EINPUT, "the column '%s' appears twice",
                        t->head[c].text);
  }
  if (first == NULL) return SYN_OK;
  int same = first->ncols == t->ncols;
  for (size_t c = 0; same && c < t->ncols; c++) same = strcmp(first->head[c].text, t->head[c].text) == 0;
  if (same) return SYN_OK;
  syn_span at = {t->head[0].span.file, 0, 1};
  syn_diag(err, src, at, SYN_EINPUT, "this table's columns differ from those of %s", first->path);
  syn_error_hint(err, "tables of one kind are appended: give them the same header");
  return SYN_EINPUT;
}

/* Read one file's rows into t (t->ncols, t->head set by its first file). */
static syn_status read_one(syn_srcset *src, const char *path, const syn_span *from, pt_table *t,
                           size_t *cap, size_t *lcap, syn_error *err) {
  uint32_t file;
  syn_status st = syn_srcset_load_file(src, path, from, &file, err);
  if (st != SYN_OK && err && err->hint[0] == 0)
    syn_error_hint(err, "the problem file names this table: correct the path, relative to the problem file");
  if (st != SYN_OK) return st;
  const syn_source *so = syn_srcset_get(src, file);
  const char *text = so->text;
  size_t len = so->len, s = 0;
  int line = 0;
  pt_table hdr = {0};
  hdr.arena = t->arena;
  for (; s < len && st == SYN_OK; line++) {
    size_t e = s;
    while (e < len && text[e] != '\n') e++;
    if (blank_line(text, s, e)) {
      /* skipped */
    } else if (hdr.ncols == 0) {
      hdr.ncols = count_fields(text, s, e);
      if ((hdr.head = syn_arena_alloc(t->arena, hdr.ncols * sizeof *hdr.head)) == NULL)
        return syn_error_set(err, SYN_ENOMEM, "out of memory");
      split_line(&hdr, text, file, s, e, hdr.head, hdr.ncols);
      hdr.path = path;
      st = check_header(&hdr, src, t->ncols ? t : NULL, err);
      if (st == SYN_OK && t->ncols == 0) t->ncols = hdr.ncols, t->head = hdr.head, t->path = so->path, t->file = file;
    } else {
      st = add_row(t, src, text, file, s, e, line + 1, cap, lcap, err);
    }
    s = e + 1;
  }
  return st;
}

syn_status petab_table_read(syn_srcset *src, char *const *paths, const syn_span *from, size_t n,
                            pt_table *t, syn_error *err) {
  memset(t, 0, sizeof *t);
  if ((t->arena = syn_arena_create()) == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  size_t cap = 0, lcap = 0;
  syn_status st = SYN_OK;
  for (size_t i = 0; i < n && st == SYN_OK; i++)
    st = read_one(src, paths[i], from ? &from[i] : NULL, t, &cap, &lcap, err);
  return st;
}

void petab_table_free(pt_table *t) {
  if (t == NULL) return;
  syn_arena_destroy(t->arena);
  memset(t, 0, sizeof *t);
}

long petab_column(const pt_table *t, const char *name) {
  for (size_t c = 0; c < t->ncols; c++)
    if (strcmp(t->head[c].text, name) == 0) return (long)c;
  return -1;
}

pt_cell petab_cell(const pt_table *t, size_t r, long c) {
  if (c >= 0) return t->cells[r * t->ncols + (size_t)c];
  return (pt_cell){"", {t->cells[r * t->ncols].span.file, t->cells[r * t->ncols].span.off, 0}};
}

/* ---- YAML ---------------------------------------------------------------------------------- */

typedef struct yreader {
  syn_srcset *src;
  uint32_t file;
  const char *path;
  yaml_document_t doc;
  syn_error *err;
} yreader;

/* The span of a node: libyaml's line and column (characters) to a byte offset. */
static syn_span node_span(const yreader *y, const yaml_node_t *n) {
  const syn_source *so = syn_srcset_get(y->src, y->file);
  size_t off = 0, line = 0;
  while (off < so->len && line < n->start_mark.line)
    if (so->text[off++] == '\n') line++;
  for (size_t col = 0; off < so->len && col < n->start_mark.column && so->text[off] != '\n'; col++) {
    size_t k = syn_utf8_len(so->text + off, so->len - off);
    off += k ? k : 1;
  }
  size_t end = off;
  if (n->type == YAML_SCALAR_NODE)
    while (end < so->len && so->text[end] != '\n' && end - off < n->data.scalar.length) end++;
  return (syn_span){y->file, (uint32_t)off, (uint32_t)(end > off ? end - off : 1)};
}

static syn_status ydiag(yreader *y, const yaml_node_t *n, const char *msg, const char *hint) {
  syn_diag(y->err, y->src, node_span(y, n), SYN_EINPUT, "%s", msg);
  if (hint) syn_error_hint(y->err, "%s", hint);
  return SYN_EINPUT;
}

static const char *scalar(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static syn_status add_path(yreader *y, const yaml_node_t *n, char **out, syn_span *span) {
  const char *s = scalar(n);
  if (s == NULL || s[0] == 0) return ydiag(y, n, "a file name is expected here", "write the table's path, relative to the problem file");
  *span = node_span(y, n);
  return (*out = syn_path_resolve(y->path, s)) ? SYN_OK : syn_error_set(y->err, SYN_ENOMEM, "out of memory");
}

static syn_status read_list(yreader *y, const yaml_node_t *n, pt_files *f, pt_kind k) {
  if (n->type != YAML_SEQUENCE_NODE) return ydiag(y, n, "a list of files is expected here", "write '- FILE' lines under the key");
  size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
  f->paths[k] = syn_calloc(cnt ? cnt : 1, sizeof *f->paths[k]);
  f->spans[k] = syn_calloc(cnt ? cnt : 1, sizeof *f->spans[k]);
  if (f->paths[k] == NULL || f->spans[k] == NULL) return syn_error_set(y->err, SYN_ENOMEM, "out of memory");
  syn_status st = SYN_OK;
  for (size_t i = 0; i < cnt && st == SYN_OK; i++) {
    st = add_path(y, yaml_document_get_node(&y->doc, n->data.sequence.items.start[i]), &f->paths[k][i], &f->spans[k][i]);
    if (st == SYN_OK) f->count[k]++;
  }
  return st;
}

static syn_status read_problem(yreader *y, const yaml_node_t *n, pt_files *f) {
  if (n->type != YAML_MAPPING_NODE) return ydiag(y, n, "a problem's files are expected here", "write the keys condition_files, measurement_files, observable_files, sbml_files");
  syn_status st = SYN_OK;
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && st == SYN_OK; p++) {
    yaml_node_t *key = yaml_document_get_node(&y->doc, p->key), *val = yaml_document_get_node(&y->doc, p->value);
    const char *name = scalar(key);
    size_t k = 0;
    while (k < PT_KIND_COUNT && (name == NULL || strcmp(name, kind_key[k]) != 0)) k++;
    if (k == PT_KIND_COUNT) return ydiag(y, key, "unknown key of a PEtab v1 problem", "keys: condition_files, measurement_files, observable_files, sbml_files, visualization_files");
    if (f->paths[k]) return ydiag(y, key, "this key appears twice", NULL);
    st = read_list(y, val, f, (pt_kind)k);
  }
  for (size_t k = 0; k < PT_KIND_COUNT && st == SYN_OK; k++)
    if (k != PT_VISUALIZATION && f->count[k] == 0) {
      char msg[128];
      snprintf(msg, sizeof msg, "the problem lists no %s", kind_key[k]);
      st = ydiag(y, n, msg, k == PT_MODEL ? "name the model: sbml_files: [model.xml]" : "list the tables of this kind under the key");
    }
  if (st == SYN_OK && f->count[PT_MODEL] > 1)
    st = ydiag(y, n, "the problem lists several sbml_files", "PEtab v1 takes one model: list one file");
  return st;
}

static syn_status check_version(yreader *y, const yaml_node_t *n) {
  const char *v = scalar(n);
  if (v && (strcmp(v, "1") == 0 || strncmp(v, "1.", 2) == 0)) return SYN_OK;
  return ydiag(y, n, "only PEtab format_version 1 is read", "convert the problem to PEtab v1 (petablint shows the version)");
}

static syn_status read_root(yreader *y, const yaml_node_t *root, pt_files *f) {
  const yaml_node_t *ver = NULL, *par = NULL, *probs = NULL;
  if (root == NULL || root->type != YAML_MAPPING_NODE) {
    syn_diag(y->err, y->src, f->whole, SYN_EINPUT, "not a PEtab problem file (a YAML mapping of format_version, parameter_file, problems)");
    return SYN_EINPUT;
  }
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
    yaml_node_t *key = yaml_document_get_node(&y->doc, p->key), *val = yaml_document_get_node(&y->doc, p->value);
    const char *name = scalar(key);
    if (name && strcmp(name, "format_version") == 0) ver = val;
    else if (name && strcmp(name, "parameter_file") == 0) par = val;
    else if (name && strcmp(name, "problems") == 0) probs = val;
    else if (!(name && strcmp(name, "description") == 0))
      return ydiag(y, key, "unknown key of a PEtab v1 problem file", "keys: format_version, parameter_file, problems (and description)");
  }
  const char *missing = ver == NULL ? "format_version" : par == NULL ? "parameter_file" : probs == NULL ? "problems" : NULL;
  if (missing) {
    syn_diag(y->err, y->src, f->whole, SYN_EINPUT, "the problem file has no '%s'", missing);
    syn_error_hint(y->err, "a PEtab v1 problem file has format_version, parameter_file and problems");
    return SYN_EINPUT;
  }
  syn_status st = check_version(y, ver);
  if (st == SYN_OK) st = add_path(y, par, &f->parameters, &f->parameters_span);
  if (st != SYN_OK) return st;
  if (probs->type != YAML_SEQUENCE_NODE || probs->data.sequence.items.top - probs->data.sequence.items.start != 1)
    return ydiag(y, probs, "exactly one problem is expected here", "synovia reads one problem per file: write one '- ...' entry");
  return read_problem(y, yaml_document_get_node(&y->doc, probs->data.sequence.items.start[0]), f);
}

static syn_status parse_error(yreader *y, const yaml_parser_t *p) {
  yaml_node_t fake = {0};
  fake.type = YAML_MAPPING_NODE;
  fake.start_mark = p->problem_mark;
  char msg[256];
  snprintf(msg, sizeof msg, "not valid YAML: %s", p->problem ? p->problem : "parse error");
  return ydiag(y, &fake, msg, "PEtab problem files are YAML: check the indentation and the '- ' of list items");
}

syn_status petab_files_read(syn_srcset *src, const char *path, pt_files *f, syn_error *err) {
  memset(f, 0, sizeof *f);
  yreader y;
  memset(&y, 0, sizeof y);
  y.src = src;
  y.path = path;
  y.err = err;
  syn_status st = syn_srcset_load_file(src, path, NULL, &y.file, err);
  if (st != SYN_OK) return st;
  f->whole = (syn_span){y.file, 0, 1};
  const syn_source *so = syn_srcset_get(src, y.file);
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  yaml_parser_set_input_string(&parser, (const unsigned char *)so->text, so->len);
  if (!yaml_parser_load(&parser, &y.doc)) {
    st = parse_error(&y, &parser);
    yaml_parser_delete(&parser);
    return st;
  }
  st = read_root(&y, yaml_document_get_root_node(&y.doc), f);
  yaml_document_delete(&y.doc);
  yaml_parser_delete(&parser);
  return st;
}

void petab_files_free(pt_files *f) {
  if (f == NULL) return;
  syn_free(f->parameters);
  for (size_t k = 0; k < PT_KIND_COUNT; k++) {
    for (size_t i = 0; i < f->count[k]; i++) syn_free(f->paths[k][i]);
    syn_free(f->paths[k]);
    syn_free(f->spans[k]);
  }
  memset(f, 0, sizeof *f);
}
