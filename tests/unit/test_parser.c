/* synovia — unit tests of the parser and the program loader (parser.c,
 * program.c, ast.c): AST shapes through syn_ast_print, declarations,
 * continuation lines, imports, limits and error paths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "lang/ast.h"

static syn_program *parse(const char *text, syn_error *err, syn_status want) {
  syn_program *p = NULL;
  syn_status st = syn_program_parse_text("t.model", text, strlen(text), &p, err);
  if (st != want) fprintf(stderr, "unexpected status %d: %s\n", st, err->message);
  assert_int_equal(st, want);
  assert_true((p != NULL) == (st == SYN_OK));
  return p;
}

/* The AST of `let x = EXPR` in prefix form. */
static void check_expr(const char *expr, const char *want) {
  char text[1024], got[1024];
  snprintf(text, sizeof text, "let x = %s\n", expr);
  syn_error err;
  syn_program *p = parse(text, &err, SYN_OK);
  assert_int_equal(p->nfiles, 1);
  assert_int_equal(p->files[0].ndecls, 1);
  syn_ast_print(p->files[0].decls[0].value, got, sizeof got);
  if (strcmp(got, want) != 0) fprintf(stderr, "%s -> %s (want %s)\n", expr, got, want);
  assert_string_equal(got, want);
  syn_program_destroy(p);
}

/* The message of the first error in `text`. */
static void check_error(const char *text, syn_status code, const char *message, int line,
                        int col) {
  syn_error err;
  syn_program *p = parse(text, &err, code);
  assert_null(p);
  assert_string_equal(err.message, message);
  assert_int_equal(err.line, line);
  assert_int_equal(err.col, col);
}

static void test_precedence(void **state) {
  (void)state;
  check_expr("1 + 2 * 3", "(+ 1 (* 2 3))");
  check_expr("1 * 2 + 3", "(+ (* 1 2) 3)");
  check_expr("(1 + 2) * 3", "(* (+ 1 2) 3)");
  check_expr("a || b && c", "(|| a (&& b c))");
  check_expr("a && b || c", "(|| (&& a b) c)");
  check_expr("a < b + 1 && c >= d", "(&& (< a (+ b 1)) (>= c d))");
  check_expr("a == b || a != c", "(|| (== a b) (!= a c))");
  check_expr("a <= b", "(<= a b)");
  check_expr("a > b", "(> a b)");
  check_expr("!a && b", "(&& (! a) b)");
  check_expr("-a * b", "(* (- a) b)");
  check_expr("-x^2", "(- (^ x 2))");
  check_expr("2^-1", "(^ 2 (- 1))");
  check_expr("-2^-x*3", "(* (- (^ 2 (- x))) 3)");
  check_expr("!!a", "(! (! a))");
  check_expr("(a < b) < c", "(< (< a b) c)");
}

static void test_associativity(void **state) {
  (void)state;
  check_expr("a - b - c", "(- (- a b) c)");
  check_expr("a / b / c", "(/ (/ a b) c)");
  check_expr("a / b * c", "(* (/ a b) c)");
  check_expr("2 ^ 3 ^ 2", "(^ 2 (^ 3 2))");
  check_expr("a || b || c", "(|| (|| a b) c)");
}

static void test_calls(void **state) {
  (void)state;
  check_expr("hill(x, K, 2)", "(hill x K 2)");
  check_expr("if(t > 5 d, 1, 0)", "(if (> t 5 [d]) 1 0)");
  check_expr("f()", "(f)");
  check_expr("f (x)", "(f x)");
  check_expr("max(min(a, b), -c)", "(max (min a b) (- c))");
  check_expr("exp(-k * t)", "(exp (* (- k) t))");
}

static void test_numbers_print_exactly(void **state) {
  (void)state;
  check_expr("0.1", "0.1");
  check_expr("1e6", "1000000");
  check_expr(".5", "0.5");
  check_expr("5.", "5");
  check_expr("2.5E+4", "25000");
  check_expr("1e-300", "1e-300");
  check_expr("0.30000000000000004", "0.30000000000000004");
}

static void test_units(void **state) {
  (void)state;
  check_expr("20 min", "20 [min]");
  check_expr("0.5 /d", "0.5 [/d]");
  check_expr("0.5 / d", "0.5 [/d]");
  check_expr("3 pg/mL", "3 [pg/mL]");
  check_expr("5 mL/h", "5 [mL/h]");
  check_expr("1e6 cells", "1000000 [cells]");
  check_expr("ln(2) / 20 min", "(/ (ln 2) 20 [min])");
  check_expr("2 / x", "(/ 2 x)");
  check_expr("2 mg / x", "(/ 2 [mg] x)");
  check_expr("3 mm^2", "3 [mm^2]");
  check_expr("1 mg.L^-1", "1 [mg/L]");
  check_expr("2 /h^2", "2 [/h^2]");
  check_expr("4 ug.mL/d", "4 [ug.mL/d]");
  check_expr("3pg", "3 [pg]");
  check_expr("-3 h * k", "(* (- 3 [h]) k)");
  check_expr("(2\n/ d)", "(/ 2 d)");    /* a unit must be on the number's line */
  check_expr("2 /\n d", "(/ 2 d)");
}

static void test_unit_terms(void **state) {
  (void)state;
  syn_error err;
  syn_program *p = parse("param a = 3 pg/mL^2\n", &err, SYN_OK);
  const ast_expr *e = p->files[0].decls[0].value;
  assert_int_equal(e->kind, AST_NUM);
  assert_true(e->u.num.value == 3.0);
  const ast_unit *u = e->u.num.unit;
  assert_non_null(u);
  assert_int_equal(u->nterms, 2);
  assert_string_equal(u->terms[0].symbol, "pg");
  assert_int_equal(u->terms[0].exponent, 1);
  assert_string_equal(u->terms[1].symbol, "mL");
  assert_int_equal(u->terms[1].exponent, -2);
  assert_int_equal(u->span.off, 12);
  assert_int_equal(u->span.len, 7);
  assert_int_equal(e->span.off, 10);
  assert_int_equal(e->span.len, 9);
  syn_program_destroy(p);
}

static void test_declarations(void **state) {
  (void)state;
  static const char text[] =
      "model \"Knee \\\"OA\\\"\"\n"
      "time unit h\n"
      "compartment sf = 24 mL \"synovial fluid\"\n"
      "param k = ln(2) / 20 min \"clearance\" source \"Chapman 1987\"\n"
      "state TNF in sf = 3 pg/mL \"TNF-\xce\xb1\"\n"
      "state M = 0\n"
      "let r = k * TNF source \"guess\"\n"
      "d/dt TNF = -r\n"
      "d/dt M = 0\n"
      "output pain = 10 * TNF \"score\\tx\\n\"\n";
  syn_error err;
  syn_program *p = parse(text, &err, SYN_OK);
  const ast_file *f = &p->files[0];
  assert_int_equal(f->ndecls, 10);
  assert_string_equal(f->time_unit, "h");
  static const ast_decl_kind kinds[] = {DECL_MODEL, DECL_TIME_UNIT, DECL_COMPARTMENT,
                                        DECL_PARAM, DECL_STATE,     DECL_STATE,
                                        DECL_LET,   DECL_DDT,       DECL_DDT,
                                        DECL_OUTPUT};
  for (size_t i = 0; i < f->ndecls; i++) assert_int_equal(f->decls[i].kind, kinds[i]);
  assert_string_equal(f->decls[0].text, "Knee \"OA\"");
  assert_null(f->decls[0].name);
  assert_string_equal(f->decls[1].text, "h");
  assert_string_equal(f->decls[2].name, "sf");
  assert_string_equal(f->decls[2].description, "synovial fluid");
  assert_null(f->decls[2].source);
  assert_string_equal(f->decls[3].description, "clearance");
  assert_string_equal(f->decls[3].source, "Chapman 1987");
  assert_string_equal(f->decls[4].name, "TNF");
  assert_string_equal(f->decls[4].compartment, "sf");
  assert_int_equal(f->decls[4].compartment_span.off, strstr(text, "in sf") - text + 3);
  assert_string_equal(f->decls[4].description, "TNF-\xce\xb1");
  assert_null(f->decls[5].compartment);
  assert_null(f->decls[6].description);
  assert_string_equal(f->decls[6].source, "guess");
  assert_string_equal(f->decls[7].name, "TNF");
  assert_int_equal(f->decls[7].span.len, 4); /* "d/dt" */
  assert_null(f->decls[7].description);
  assert_string_equal(f->decls[9].description, "score\tx\n");
  char got[256];
  syn_ast_print(f->decls[7].value, got, sizeof got);
  assert_string_equal(got, "(- r)");
  assert_int_equal(f->decls[3].name_span.off, strstr(text, "k =") - text);
  syn_program_destroy(p);
}

static void test_routes_presets_joints(void **state) {
  (void)state;
  syn_error err;
  char got[256];
  syn_program *p = parse("joints knee_L knee_R\n"
                         "route IA -> MSC scale f * 2 \"intra-articular\" source \"s\"\n"
                         "route IV -> knee_R.C\n"
                         "preset p { a = 1; knee_R.b = 2 * a\n"
                         "  c = (1 +\n 2) }\n"
                         "per joint {\n"
                         "  param s = 1\n"
                         "\n"
                         "  state X = 0; d/dt X = -X\n"
                         "}\n"
                         "let tot = sum(joint, X) + max(joint, X, 2)\n",
                         &err, SYN_OK);
  const ast_file *f = &p->files[0];
  assert_int_equal(f->ndecls, 8);
  const ast_decl *d = f->decls;
  assert_int_equal(d[0].kind, DECL_JOINTS);
  assert_int_equal(d[0].nnames, 2);
  assert_string_equal(d[0].names[1], "knee_R");
  assert_int_equal(d[0].name_spans[1].off, 14);
  assert_int_equal(d[1].kind, DECL_ROUTE);
  assert_string_equal(d[1].name, "IA");
  assert_string_equal(d[1].target, "MSC");
  assert_int_equal(d[1].target_span.off, 33);
  syn_ast_print(d[1].value, got, sizeof got);
  assert_string_equal(got, "(* f 2)");
  assert_string_equal(d[1].description, "intra-articular");
  assert_string_equal(d[1].source, "s");
  assert_string_equal(d[2].target, "knee_R.C");
  assert_null(d[2].value);
  assert_int_equal(d[3].kind, DECL_PRESET);
  assert_string_equal(d[3].name, "p");
  assert_int_equal(d[3].nassigns, 3);
  assert_string_equal(d[3].assigns[1].name, "knee_R.b");
  syn_ast_print(d[3].assigns[1].value, got, sizeof got);
  assert_string_equal(got, "(* 2 a)");
  syn_ast_print(d[3].assigns[2].value, got, sizeof got);
  assert_string_equal(got, "(+ 1 2)");
  for (int i = 0; i < 4; i++) assert_int_equal(d[i].per_joint, 0);
  assert_int_equal(d[4].kind, DECL_PARAM);
  assert_int_equal(d[5].kind, DECL_STATE);
  assert_int_equal(d[6].kind, DECL_DDT);
  for (int i = 4; i < 7; i++) assert_int_equal(d[i].per_joint, 1);
  assert_int_equal(d[7].per_joint, 0);
  syn_ast_print(d[7].value, got, sizeof got);
  assert_string_equal(got, "(+ (sum joint X) (max joint X 2))");
  syn_program_destroy(p);
  /* one-line block and a qualified name in an expression */
  p = parse("per joint { param s = 1 }\nlet y = a.s * 2\n", &err, SYN_OK);
  assert_int_equal(p->files[0].ndecls, 2);
  syn_ast_print(p->files[0].decls[1].value, got, sizeof got);
  assert_string_equal(got, "(* a.s 2)");
  syn_program_destroy(p);
}

static void test_route_block_errors(void **state) {
  (void)state;
  check_error("route IA MSC\n", SYN_EINPUT, "expected '->', found 'MSC'", 1, 10);
  check_error("route IA ->\n", SYN_EINPUT, "expected name, found end of line", 1, 12);
  check_error("preset p a = 1\n", SYN_EINPUT, "expected '{', found 'a'", 1, 10);
  check_error("preset p { a = 1\n", SYN_EINPUT, "expected '}', found end of file", 1, 17);
  check_error("preset p { a = x b = 2 }\n", SYN_EINPUT,
              "expected ';', end of line or '}', found 'b'", 1, 18);
  check_error("preset p { a }\n", SYN_EINPUT, "expected '=', found '}'", 1, 14);
  check_error("joints\n", SYN_EINPUT, "expected a joint name, found end of line", 1, 7);
  check_error("joints a.b\n", SYN_EINPUT, "a joint name cannot contain '.'", 1, 8);
  check_error("per joint {\n per joint {\n }\n}\n", SYN_EINPUT,
              "'per joint' blocks cannot be nested", 2, 2);
  check_error("per joint {\n joints a\n}\n", SYN_EINPUT,
              "'joints' cannot appear inside 'per joint'", 2, 2);
  check_error("per joint {\n param a = 1\n", SYN_EINPUT, "expected '}', found end of file", 2,
              13);
  check_error("per joint param a = 1\n", SYN_EINPUT, "expected '{', found 'param'", 1, 11);
  check_error("let x = joint\n", SYN_EINPUT, "expected expression, found 'joint'", 1, 9);
  check_error("let x = 1 }\n", SYN_EINPUT, "expected end of line, found '}'", 1, 11);
}

static void test_continuation_lines(void **state) {
  (void)state;
  check_expr("1 +\n  2", "(+ 1 2)");
  check_expr("\n  3", "3");
  check_expr("max(1,\n  2)", "(max 1 2)");
  check_expr("(1\n + 2\n)", "(+ 1 2)");
  check_expr("a &&\n\n b", "(&& a b)");
  check_expr("f(\n)", "(f)");
  /* Outside parentheses a line break ends the declaration. */
  check_error("let x = 1\n+ 2\n", SYN_EINPUT, "expected a declaration, found '+'", 2, 1);
}

static void test_layout(void **state) {
  (void)state;
  syn_error err;
  syn_program *p = parse("# comment only\r\n\r\n  param a = 1 # trailing\r\n\n\tlet b = a", &err,
                         SYN_OK);
  assert_int_equal(p->files[0].ndecls, 2);
  assert_string_equal(p->files[0].decls[1].name, "b");
  assert_null(p->files[0].time_unit);
  syn_program_destroy(p);
  p = parse("# nothing but a comment", &err, SYN_OK);
  assert_int_equal(p->files[0].ndecls, 0);
  syn_program_destroy(p);
  check_expr("t * 2", "(* t 2)"); /* t is an ordinary name to the parser */
}

static void test_syntax_errors(void **state) {
  (void)state;
  check_error("param a 3", SYN_EINPUT, "expected '=', found '3'", 1, 9);
  check_error("param a = ", SYN_EINPUT, "expected expression, found end of file", 1, 10);
  check_error("param a = 1 2", SYN_EINPUT, "expected end of line, found '2'", 1, 13);
  check_error("param a = (1\nparam b = 2", SYN_EINPUT, "expected ')', found 'param'", 2, 1);
  check_error("let a = 1 < 2 < 3", SYN_EINPUT, "comparisons cannot be chained", 1, 15);
  check_error("let a = 1 == 2 != 3", SYN_EINPUT, "comparisons cannot be chained", 1, 16);
  check_error("let a = f(1,)", SYN_EINPUT, "expected expression, found ')'", 1, 13);
  check_error("let a = f(1 2)", SYN_EINPUT, "expected ',' or ')', found '2'", 1, 13);
  check_error("let a = if + 1", SYN_EINPUT, "'if' must be called like a function", 1, 9);
  check_error("let a = \"s\"", SYN_EINPUT, "expected expression, found '\"s\"'", 1, 9);
  check_error("let a = param", SYN_EINPUT, "expected expression, found 'param'", 1, 9);
  check_error("param source = 1", SYN_EINPUT, "expected name, found 'source'", 1, 7);
  check_error("parm a = 1", SYN_EINPUT, "unknown declaration 'parm' (did you mean 'param'?)", 1,
              1);
  check_error("outptu y = 1", SYN_EINPUT, "unknown declaration 'outptu' (did you mean 'output'?)",
              1, 1);
  check_error("d / dt x = 1", SYN_EINPUT, "'d/dt' is written without spaces", 1, 1);
  check_error("d/ dt x = 1", SYN_EINPUT, "'d/dt' is written without spaces", 1, 1);
  check_error("d/dx x = 1", SYN_EINPUT, "expected 'dt' after 'd/', found 'dx'", 1, 3);
  check_error("in x = 1", SYN_EINPUT, "expected a declaration, found 'in'", 1, 1);
  check_error("model x", SYN_EINPUT, "expected string, found 'x'", 1, 7);
  check_error("import \"\"", SYN_EINPUT, "import path is empty", 1, 8);
  check_error("time unit mL", SYN_EINPUT, "'mL' is not a time unit (use s, min, h, d, wk or yr)",
              1, 11);
  check_error("time unit 3", SYN_EINPUT, "expected a time unit, found '3'", 1, 11);
  check_error("time unit h\ntime unit h", SYN_EINPUT, "'time unit' is already declared on line 1",
              2, 1);
  check_error("param a = 3 pgg/mL", SYN_EINPUT, "unknown unit 'pgg' (did you mean 'pg'?)", 1, 13);
  check_error("param a = 3 mm^0", SYN_EINPUT, "unit exponent must be from 1 to 99", 1, 16);
  check_error("param a = 3 mm^-x", SYN_EINPUT, "expected an integer unit exponent, found 'x'", 1,
              17);
  check_error("param a = 3 mm^2.5", SYN_EINPUT, "expected an integer unit exponent, found '2.5'",
              1, 16);
  check_error("param a = 1\nparam b = @", SYN_EINPUT, "unexpected character '@'", 2, 11);
  check_error("@", SYN_EINPUT, "unexpected character '@'", 1, 1);
  /* A syntax error before a lexical error is reported first. */
  check_error("param a 1 @", SYN_EINPUT, "expected '=', found '1'", 1, 9);
}

static void test_nesting_limits(void **state) {
  (void)state;
  char text[2048];
  syn_error err;
  int n = SYN_MAX_NESTING - 2;
  int k = snprintf(text, sizeof text, "let a = ");
  for (int i = 0; i < n; i++) text[k++] = '(';
  text[k++] = '1';
  for (int i = 0; i < n; i++) text[k++] = ')';
  text[k] = 0;
  syn_program *p = parse(text, &err, SYN_OK);
  assert_true(p->files[0].decls[0].value->height <= SYN_MAX_NESTING);
  syn_program_destroy(p);
  k = snprintf(text, sizeof text, "let a = ");
  for (int i = 0; i < SYN_MAX_NESTING + 1; i++) text[k++] = '(';
  text[k++] = '1';
  text[k] = 0;
  check_error(text, SYN_ELIMIT, "expression is nested too deeply (more than 256 levels)", 1,
              8 + SYN_MAX_NESTING + 1);
  /* Left-deep chains are built without recursion but still limited. */
  k = snprintf(text, sizeof text, "let a = 1");
  for (int i = 0; i < SYN_MAX_NESTING; i++) k += snprintf(text + k, sizeof text - (size_t)k, "+1");
  p = parse(text, &err, SYN_ELIMIT);
  assert_string_equal(err.message, "expression is nested too deeply (more than 256 levels)");
  k = snprintf(text, sizeof text, "let a = 1");
  for (int i = 0; i < SYN_MAX_NESTING - 2; i++)
    k += snprintf(text + k, sizeof text - (size_t)k, "+1");
  p = parse(text, &err, SYN_OK);
  assert_int_equal(p->files[0].decls[0].value->height, SYN_MAX_NESTING - 1);
  syn_program_destroy(p);
}

static void test_argument_limit(void **state) {
  (void)state;
  char text[1024];
  syn_error err;
  int k = snprintf(text, sizeof text, "let a = f(0");
  for (int i = 1; i < SYN_MAX_ARGS; i++) k += snprintf(text + k, sizeof text - (size_t)k, ",%d", i % 10);
  snprintf(text + k, sizeof text - (size_t)k, ")");
  syn_program *p = parse(text, &err, SYN_OK);
  assert_int_equal(p->files[0].decls[0].value->u.call.nargs, SYN_MAX_ARGS);
  assert_int_equal(p->files[0].decls[0].value->height, 2);
  syn_program_destroy(p);
  snprintf(text + k, sizeof text - (size_t)k, ",9)");
  p = parse(text, &err, SYN_ELIMIT);
  assert_string_equal(err.message, "too many arguments to 'f' (at most 64)");
  assert_int_equal(err.col, k + 2);
}

static void test_op_names_and_printer(void **state) {
  (void)state;
  static const char *const names[] = {"+", "-",  "*", "/",  "^",  "<", "<=", ">",
                                      ">=", "==", "!=", "&&", "||", "-", "!"};
  for (int op = AST_ADD; op <= AST_NOT; op++) assert_string_equal(syn_op_name((ast_op)op), names[op]);
  assert_string_equal(syn_op_name((ast_op)99), "?");
  syn_error err;
  syn_program *p = parse("let x = alpha + beta * 2\n", &err, SYN_OK);
  const ast_expr *e = p->files[0].decls[0].value;
  char small[8];
  size_t need = syn_ast_print(e, small, sizeof small);
  assert_int_equal(need, strlen("(+ alpha (* beta 2))"));
  assert_string_equal(small, "(+ alph");
  assert_int_equal(syn_ast_print(e, NULL, 0), need);
  assert_int_equal(e->height, 3);
  syn_program_destroy(p);
}

/* ---- imports (files in a scratch directory) ---- */

static char scratch[256];

static int make_scratch(void **state) {
  (void)state;
  snprintf(scratch, sizeof scratch, "%s/test_parser.XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  return mkdtemp(scratch) ? 0 : -1;
}

static int remove_scratch(void **state) {
  (void)state;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
  return system(cmd) == 0 ? 0 : -1;
}

static void put_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", scratch, name);
  char *slash = strrchr(path, '/');
  *slash = 0;
  mkdir(path, 0700);
  *slash = '/';
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

static syn_program *parse_path(const char *name, syn_error *err, syn_status want) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", scratch, name);
  syn_program *p = NULL;
  assert_int_equal(syn_program_parse_file(path, &p, err), want);
  return p;
}

static const char *file_name(const syn_program *p, size_t i) {
  const char *path = syn_srcset_get(p->sources, p->files[i].file)->path;
  return path + strlen(scratch) + 1;
}

static void test_diamond_import(void **state) {
  (void)state;
  put_file("dia/main.model", "import \"b.model\"\nimport \"lib/c.model\"\nparam m = 1\n");
  put_file("dia/b.model", "import \"d.model\"\nparam b = 1\n");
  put_file("dia/lib/c.model", "import \"../d.model\"\nparam c = 1\n");
  put_file("dia/d.model", "param d = 1\n");
  syn_error err;
  syn_program *p = parse_path("dia/main.model", &err, SYN_OK);
  assert_int_equal(p->nfiles, 4);
  assert_int_equal(syn_srcset_count(p->sources), 4); /* d.model loaded once */
  assert_string_equal(file_name(p, 0), "dia/d.model");
  assert_string_equal(file_name(p, 1), "dia/b.model");
  assert_string_equal(file_name(p, 2), "dia/lib/c.model");
  assert_string_equal(file_name(p, 3), "dia/main.model");
  assert_string_equal(p->files[3].decls[2].name, "m");
  assert_string_equal(p->files[2].decls[0].text, "../d.model"); /* as written */
  syn_program_destroy(p);
}

static void test_import_errors(void **state) {
  (void)state;
  char expect[1024];
  syn_error err;
  put_file("cyc/a.model", "import \"b.model\"\n");
  put_file("cyc/b.model", "import \"c.model\"\n");
  put_file("cyc/c.model", "param c = 1\nimport \"b.model\"\n");
  assert_null(parse_path("cyc/a.model", &err, SYN_EINPUT));
  snprintf(expect, sizeof expect, "import cycle: %s/cyc/b.model -> %s/cyc/c.model -> %s/cyc/b.model",
           scratch, scratch, scratch);
  assert_string_equal(err.message, expect);
  assert_int_equal(err.line, 2);
  assert_int_equal(err.col, 8);
  put_file("self/a.model", "import \"./a.model\"\n");
  assert_null(parse_path("self/a.model", &err, SYN_EINPUT));
  snprintf(expect, sizeof expect, "'%s/self/a.model' imports itself", scratch);
  assert_string_equal(err.message, expect);
  put_file("miss/a.model", "\n\nimport \"nope.model\"\n");
  assert_null(parse_path("miss/a.model", &err, SYN_EIO));
  assert_int_equal(err.line, 3);
  assert_null(parse_path("miss/none.model", &err, SYN_EIO));
  assert_int_equal(err.line, 0);
  put_file("bad/a.model", "import \"b.model\"\n");
  put_file("bad/b.model", "param b = 1 +\n");
  assert_null(parse_path("bad/a.model", &err, SYN_EINPUT));
  snprintf(expect, sizeof expect, "%s/bad/b.model", scratch);
  assert_string_equal(err.file, expect);
}

static void test_import_limit(void **state) {
  (void)state;
  char name[64], text[64];
  for (int i = 0; i <= SYN_MAX_IMPORTS; i++) {
    snprintf(name, sizeof name, "many/f%d.model", i);
    snprintf(text, sizeof text, "import \"f%d.model\"\n", i + 1);
    put_file(name, text);
  }
  syn_error err;
  assert_null(parse_path("many/f0.model", &err, SYN_ELIMIT));
  assert_string_equal(err.message, "too many files: a program may have at most 256");
}

static void test_parse_text_imports_relative_to_name(void **state) {
  (void)state;
  put_file("txt/lib.model", "param l = 2\n");
  char name[512];
  snprintf(name, sizeof name, "%s/txt/virtual.model", scratch);
  syn_program *p = NULL;
  syn_error err;
  static const char text[] = "import \"lib.model\"\nlet v = l\n";
  assert_int_equal(syn_program_parse_text(name, text, sizeof text - 1, &p, &err), SYN_OK);
  assert_int_equal(p->nfiles, 2);
  assert_string_equal(p->files[0].decls[0].name, "l");
  syn_program_destroy(p);
  assert_int_equal(syn_program_parse_text(NULL, text, 1, &p, &err), SYN_EINVAL);
  assert_int_equal(syn_program_parse_file(NULL, &p, &err), SYN_EINVAL);
  assert_null(p);
  syn_program_destroy(NULL);
}

/* Every allocation failure, at every point, gives SYN_ENOMEM, no program
 * and no leak (checked by ASan). */
static void test_out_of_memory(void **state) {
  (void)state;
  put_file("oom/main.model", "model \"m\"\nimport \"lib.model\"\nstate x in c = 3 pg/mL \"x\"\n"
                             "d/dt x = -k * x + hill(x, 2, 3)\n");
  put_file("oom/lib.model", "param k = ln(2) / 20 min source \"s\"\ncompartment c = 1 mL\n");
  char path[512];
  snprintf(path, sizeof path, "%s/oom/main.model", scratch);
  long n;
  for (n = 1; n < 500; n++) {
    syn_program *p = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_program_parse_file(path, &p, &err);
    syn_alloc_test_fail_after(0);
    syn_program_destroy(p);
    if (st == SYN_OK) break;
    assert_int_equal(st, SYN_ENOMEM);
    assert_null(p);
    assert_string_equal(err.message, "out of memory");
  }
  assert_true(n > 5 && n < 500);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_associativity),
      cmocka_unit_test(test_calls),
      cmocka_unit_test(test_numbers_print_exactly),
      cmocka_unit_test(test_units),
      cmocka_unit_test(test_unit_terms),
      cmocka_unit_test(test_declarations),
      cmocka_unit_test(test_routes_presets_joints),
      cmocka_unit_test(test_route_block_errors),
      cmocka_unit_test(test_continuation_lines),
      cmocka_unit_test(test_layout),
      cmocka_unit_test(test_syntax_errors),
      cmocka_unit_test(test_nesting_limits),
      cmocka_unit_test(test_argument_limit),
      cmocka_unit_test(test_op_names_and_printer),
      cmocka_unit_test(test_diamond_import),
      cmocka_unit_test(test_import_errors),
      cmocka_unit_test(test_import_limit),
      cmocka_unit_test(test_parse_text_imports_relative_to_name),
      cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
