/* synovia — unit tests of the sweep parser (src/lang/sweep_parser.c): the
 * statements and their AST (designs, distributions with units and
 * truncation, grid levels, metrics, arms, keep), and the syntax error paths
 * with their exact, located messages as syn_error_format prints them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "lang/sweep_ast.h"

static syn_sweep_ast *parse(const char *text, syn_error *err, syn_status want) {
  syn_sweep_ast *a = NULL;
  syn_status st = syn_sweep_parse_text("t.sweep", text, strlen(text), &a, err);
  if (st != want) fprintf(stderr, "unexpected status %d: %s\n", st, err->message);
  assert_int_equal(st, want);
  assert_true((a != NULL) == (st == SYN_OK));
  return a;
}

/* The full text syn_error_format gives for `text`: file:line:col, message,
 * the source line, the caret and the hint. */
static void check_format(const char *text, const char *want) {
  syn_error err;
  syn_sweep_ast *a = parse(text, &err, SYN_EINPUT);
  assert_null(a);
  char got[4096];
  syn_error_format(&err, got, sizeof got);
  if (strcmp(got, want) != 0) fprintf(stderr, "got:\n%s", got);
  assert_string_equal(got, want);
}

/* A statement after a valid head (scenario, design, vary), on line 4. */
static const char head[] = "scenario \"s.scenario\"\n"
                           "design lhs 100\n"
                           "vary a uniform 0 1\n";

static void check_error(const char *text, const char *message, int line, int col) {
  syn_error err;
  syn_sweep_ast *a = parse(text, &err, SYN_EINPUT);
  assert_null(a);
  if (strcmp(err.message, message) != 0 || err.line != line || err.col != col)
    fprintf(stderr, "got: %d:%d: %s\n", err.line, err.col, err.message);
  assert_string_equal(err.message, message);
  assert_int_equal(err.line, line);
  assert_int_equal(err.col, col);
}

/* The same after `head` (so the tail starts on line 4). */
static void check_after_head(const char *tail, const char *message, int line, int col) {
  char text[1024];
  snprintf(text, sizeof text, "%s%s", head, tail);
  check_error(text, message, line, col);
}

static void assert_expr(const ast_expr *e, const char *want) {
  char got[256];
  assert_non_null(e);
  syn_ast_print(e, got, sizeof got);
  if (strcmp(got, want) != 0) fprintf(stderr, "got %s, want %s\n", got, want);
  assert_string_equal(got, want);
}

static const char *span_text(const syn_sweep_ast *a, syn_span s, char *buf, size_t n) {
  snprintf(buf, n, "%.*s", (int)s.len, syn_span_text(a->sources, s));
  return buf;
}

static const char full[] =
    "# what drives the IA advantage\n"
    "sweep \"What drives the IA advantage?\"\n"
    "scenario \"ia_vs_iv.scenario\"\n"
    "design saltelli 1024 second order seed 18446744073709551615\n"
    "vary potency        uniform    0.3 1.0\n"
    "vary k_MSC_IA       loguniform 0.005 0.1 /d\n"
    "vary knee_R.severity normal    1.0 0.2 within 0.2 3\n"
    "vary shift          normal     -2 h 30 min\n"
    "vary scale          lognormal  0 0.5 within 0.1 10\n"
    "metrics IL6_auc_28d pain_change\n"
    "arms \"control\" \"IA UC-MSC\" iv\n"
    "keep trajectories\n"
    "difference \"IA UC-MSC\" control\n";

static void test_full_example(void **state) {
  (void)state;
  syn_error err;
  char buf[128];
  syn_sweep_ast *a = parse(full, &err, SYN_OK);
  assert_string_equal(a->title, "What drives the IA advantage?");
  assert_string_equal(a->scenario_path, "ia_vs_iv.scenario");
  assert_string_equal(span_text(a, a->scenario_span, buf, sizeof buf), "\"ia_vs_iv.scenario\"");
  const ast_sweep_design *d = &a->design;
  assert_int_equal(d->kind, SWEEP_DESIGN_SALTELLI);
  assert_int_equal(d->n, 1024);
  assert_true(d->has_seed);
  assert_true(d->seed == UINT64_MAX);
  assert_true(d->second_order);
  assert_int_equal(d->morris_levels, 0);
  assert_null(d->path);
  assert_string_equal(span_text(a, d->seed_span, buf, sizeof buf), "18446744073709551615");
  assert_string_equal(span_text(a, d->kind_span, buf, sizeof buf), "saltelli");

  assert_int_equal(a->nvary, 5);
  assert_string_equal(a->vary[0].name, "potency");
  assert_int_equal(a->vary[0].dist, SWEEP_DIST_UNIFORM);
  assert_expr(a->vary[0].a, "0.3");
  assert_expr(a->vary[0].b, "1");
  assert_null(a->vary[0].lo);
  assert_int_equal(a->vary[0].levels, 0);
  /* a unit after the second number also applies to a first without one */
  assert_int_equal(a->vary[1].dist, SWEEP_DIST_LOGUNIFORM);
  assert_expr(a->vary[1].a, "0.005 [/d]");
  assert_expr(a->vary[1].b, "0.1 [/d]");
  assert_string_equal(span_text(a, a->vary[1].b->span, buf, sizeof buf), "0.1 /d");
  assert_string_equal(a->vary[2].name, "knee_R.severity");
  assert_string_equal(span_text(a, a->vary[2].name_span, buf, sizeof buf), "knee_R.severity");
  assert_int_equal(a->vary[2].dist, SWEEP_DIST_NORMAL);
  assert_expr(a->vary[2].lo, "0.2");
  assert_expr(a->vary[2].hi, "3");
  assert_string_equal(span_text(a, a->vary[2].within_span, buf, sizeof buf), "within");
  /* each number its own unit; a sign folds into the value */
  assert_expr(a->vary[3].a, "-2 [h]");
  assert_expr(a->vary[3].b, "30 [min]");
  assert_string_equal(span_text(a, a->vary[3].a->span, buf, sizeof buf), "-2 h");
  assert_int_equal(a->vary[4].dist, SWEEP_DIST_LOGNORMAL);
  assert_expr(a->vary[4].a, "0");
  assert_expr(a->vary[4].hi, "10");

  assert_int_equal(a->nmetrics, 2);
  assert_string_equal(a->metrics[0].name, "IL6_auc_28d");
  assert_string_equal(a->metrics[1].name, "pain_change");
  assert_string_equal(span_text(a, a->metrics[1].span, buf, sizeof buf), "pain_change");
  assert_int_equal(a->narms, 3);
  assert_string_equal(a->arms[0].name, "control");
  assert_string_equal(a->arms[1].name, "IA UC-MSC");
  assert_string_equal(a->arms[2].name, "iv");
  assert_true(a->keep_trajectories);
  assert_int_equal(a->ndiffs, 1);
  assert_string_equal(a->diffs[0].a.name, "IA UC-MSC");
  assert_string_equal(a->diffs[0].b.name, "control");
  syn_sweep_ast_destroy(a);
}

static void test_defaults_and_designs(void **state) {
  (void)state;
  syn_error err;
  syn_sweep_ast *a = parse("scenario \"s\"\ndesign random 1e6\nvary x normal 1 2\n", &err, SYN_OK);
  assert_null(a->title);
  assert_int_equal(a->design.kind, SWEEP_DESIGN_RANDOM);
  assert_int_equal(a->design.n, 1000000);
  assert_false(a->design.has_seed);
  assert_int_equal(a->nmetrics, 0);
  assert_int_equal(a->narms, 0);
  assert_false(a->keep_trajectories);
  syn_sweep_ast_destroy(a);

  /* options in any order; seed 0 */
  a = parse("design morris 10 seed 0 levels 6\nscenario \"s\"\nvary x uniform 0 1\n", &err, SYN_OK);
  assert_int_equal(a->design.kind, SWEEP_DESIGN_MORRIS);
  assert_int_equal(a->design.n, 10);
  assert_true(a->design.has_seed);
  assert_true(a->design.seed == 0);
  assert_int_equal(a->design.morris_levels, 6);
  syn_sweep_ast_destroy(a);

  a = parse("scenario \"s\"\ndesign sobol 64\nvary x uniform 0 1\n", &err, SYN_OK);
  assert_int_equal(a->design.kind, SWEEP_DESIGN_SOBOL);
  assert_false(a->design.second_order);
  syn_sweep_ast_destroy(a);

  a = parse("scenario \"s\"\ndesign saltelli 8\nvary x uniform 0 1\n", &err, SYN_OK);
  assert_int_equal(a->design.kind, SWEEP_DESIGN_SALTELLI);
  assert_false(a->design.second_order);
  syn_sweep_ast_destroy(a);

  a = parse("scenario \"s\"\ndesign file \"pop.csv\"\nmetrics m\n", &err, SYN_OK);
  assert_int_equal(a->design.kind, SWEEP_DESIGN_FILE);
  assert_string_equal(a->design.path, "pop.csv");
  assert_int_equal(a->design.n, 0);
  assert_int_equal(a->nvary, 0);
  syn_sweep_ast_destroy(a);

  /* grid: levels on every vary line, in either clause order */
  a = parse("scenario \"s\"\ndesign grid\nvary dose loguniform 1e6 1e8 cells levels 3\n"
            "vary sev normal 1 0.2 levels 4 within 0.5 2\n",
            &err, SYN_OK);
  assert_int_equal(a->design.kind, SWEEP_DESIGN_GRID);
  assert_int_equal(a->design.n, 0);
  assert_int_equal(a->vary[0].levels, 3);
  assert_expr(a->vary[0].a, "1000000 [cells]");
  assert_int_equal(a->vary[1].levels, 4);
  assert_expr(a->vary[1].lo, "0.5");
  syn_sweep_ast_destroy(a);
}

static void test_errors_whole_file(void **state) {
  (void)state;
  check_format("design lhs 10\nvary a uniform 0 1\n",
               "t.sweep:1:1: error: the sweep has no 'scenario' line\n"
               "  design lhs 10\n"
               "  ^\n"
               "  hint: name the scenario it varies: scenario \"trial.scenario\" (relative to the "
               "sweep file)\n");
  check_error("scenario \"s\"\nvary a uniform 0 1\n", "the sweep has no 'design' line", 1, 1);
  check_error("scenario \"s\"\ndesign lhs 10\n", "the sweep varies nothing: no 'vary' line", 2, 1);
  check_error("scenario \"s\"\ndesign file \"d.csv\"\nvary a uniform 0 1\n",
              "'vary' with a design file", 3, 6);
  check_format("scenario \"s\"\ndesign grid\nvary a uniform 0 1 levels 3\nvary b uniform 0 1\n",
               "t.sweep:4:6: error: 'b' has no 'levels': a grid design needs them on every vary "
               "line\n"
               "  vary b uniform 0 1\n"
               "       ^\n"
               "  hint: e.g. vary dose loguniform 1e6 1e8 levels 3 (1e6, 1e7, 1e8)\n");
  check_error("scenario \"s\"\ndesign lhs 5\nvary a uniform 0 1 levels 3\n",
              "'levels' on a vary line needs a grid design", 3, 27);
}

static void test_errors_statements(void **state) {
  (void)state;
  check_format("scenario \"s\"\ndesgn lhs 10\n",
               "t.sweep:2:1: error: unknown statement 'desgn' (did you mean 'design'?)\n"
               "  desgn lhs 10\n"
               "  ^~~~~\n");
  check_format("frobnicate\n",
               "t.sweep:1:1: error: unknown statement 'frobnicate'\n"
               "  frobnicate\n"
               "  ^~~~~~~~~~\n"
               "  hint: a line starts with sweep, scenario, design, vary, metrics, arms, keep, "
               "difference or atol\n");
  check_error("42\n", "expected a statement, found '42'", 1, 1);
  check_error("sweep\n", "expected the sweep's title (a string), found end of line", 1, 6);
  check_error("sweep \"a\"\nsweep \"b\"\n", "'sweep' is already given on line 1", 2, 1);
  check_error("scenario s.scenario\n",
              "expected the scenario's path (a string: scenario \"trial.scenario\"), found 's.scenario'",
              1, 10);
  check_error("scenario \"\"\n", "the scenario path is empty", 1, 10);
  check_error("scenario \"a\"\nscenario \"b\"\n", "'scenario' is already given on line 1", 2, 1);
  check_error("scenario \"a\" extra\n", "expected end of line, found 'extra'", 1, 14);
  check_after_head("metrics\n", "expected the name of a metric (metrics IL6_auc_28d pain_change), "
                                "found end of line", 4, 8);
  check_after_head("metrics a b a\n", "metric 'a' is listed twice", 4, 13);
  check_after_head("metrics a \"b\"\n", "expected end of line, found '\"b\"'", 4, 11);
  check_after_head("metrics a\nmetrics b\n", "'metrics' is already given on line 4", 5, 1);
  check_after_head("arms\n", "expected the name of an arm (arms \"control\" \"treated\"), found end "
                             "of line", 4, 5);
  check_after_head("arms \"x\" x\n", "arm 'x' is listed twice", 4, 10);
  check_after_head("arms \"\"\n", "the arm name is empty", 4, 6);
  check_after_head("keep\n", "expected 'trajectories' after 'keep', found end of line", 4, 5);
  check_after_head("keep trajectries\n", "unexpected 'trajectries' (did you mean 'trajectories'?)",
                   4, 6);
  check_after_head("keep states\n", "expected 'trajectories' after 'keep', found 'states'", 4, 6);
  check_after_head("keep trajectories\nkeep trajectories\n", "'keep' is already given on line 4", 5, 1);
}

/* `atol NAME = A [UNIT]`: kept with its unit (the state and the unit are
 * checked by the sweep layer); the syntax errors located. */
static void test_atol_lines(void **state) {
  (void)state;
  syn_error err;
  char text[512];
  snprintf(text, sizeof text, "%satol knee_R.MSC_F = 1 cells\natol X = 1e-6\n", head);
  syn_sweep_ast *a = parse(text, &err, SYN_OK);
  assert_int_equal(a->natols, 2);
  assert_string_equal(a->atols[0].name, "knee_R.MSC_F");
  assert_true(a->atols[0].value->u.num.value == 1);
  assert_non_null(a->atols[0].value->u.num.unit);
  assert_string_equal(a->atols[1].name, "X");
  assert_null(a->atols[1].value->u.num.unit);
  syn_sweep_ast_destroy(a);
  check_after_head("atol\n", "expected the name of a state, found end of line", 4, 5);
  check_after_head("atol X 1e-6\n", "expected '=', found '1e-6'", 4, 8);
  check_after_head("atol X =\n", "expected a positive number, optionally with a unit, found end of line",
                   4, 9);
  check_after_head("atol X = 0\n", "'atol' must be a positive finite number (got 0)", 4, 10);
  check_after_head("atol X = 1e-6 extra\n", "unknown unit 'extra'", 4, 15);
  check_after_head("atol X = 1e-6 \"a\"\n", "expected end of line, found '\"a\"'", 4, 15);
}

static void test_errors_design(void **state) {
  (void)state;
  check_error("design\n", "expected the kind of design (design lhs 1000), found end of line", 1, 7);
  check_format("design lsh 10\n",
               "t.sweep:1:8: error: unknown design 'lsh' (did you mean 'lhs'?)\n"
               "  design lsh 10\n"
               "         ^~~\n");
  check_format("design factorial 10\n",
               "t.sweep:1:8: error: unknown design 'factorial'\n"
               "  design factorial 10\n"
               "         ^~~~~~~~~\n"
               "  hint: designs: grid, random N, lhs N, sobol N, saltelli N [second order], "
               "morris N [levels P], or file \"design.csv\"\n");
  check_error("design lhs\n",
              "expected the number of samples (design lhs 1000), found end of line", 1, 11);
  check_error("design morris seed 3\n",
              "expected the number of trajectories (design morris 1000), found 'seed'", 1, 15);
  check_error("design lhs 0\n", "the number of samples must be a whole number, at least 1 (found 0)",
              1, 12);
  check_error("design saltelli 2.5\n",
              "the number of base samples must be a whole number, at least 1 (found 2.5)", 1, 17);
  check_error("design lhs -5\n",
              "the number of samples must be a whole number, at least 1 (found -5)", 1, 12);
  check_error("design lhs 1e300\n",
              "the number of samples must be a whole number, at least 1 (found 1e300)", 1, 12);
  check_error("design lhs 10 seed\n", "expected the seed (seed 7), found end of line", 1, 19);
  check_error("design lhs 10 seed -1\n",
              "the seed must be a whole number from 0 to 18446744073709551615 (found -1)", 1, 20);
  check_error("design lhs 10 seed 18446744073709551616\n",
              "the seed must be a whole number from 0 to 18446744073709551615 "
              "(found 18446744073709551616)",
              1, 20);
  check_error("design lhs 10 seed 1e3\n",
              "the seed must be a whole number from 0 to 18446744073709551615 (found 1e3)", 1, 20);
  check_error("design lhs 10 seed 1 seed 2\n", "'seed' is given twice in this design", 1, 22);
  check_error("design lhs 10 sed 1\n", "unexpected 'sed' (did you mean 'seed'?)", 1, 15);
  check_error("design lhs 10 20\n", "expected end of line, found '20'", 1, 15);
  check_error("design lhs 10 second order\n", "'second order' applies to saltelli designs only", 1,
              15);
  check_error("design saltelli 10 second\n", "expected 'order' after 'second', found end of line",
              1, 26);
  check_error("design saltelli 10 second ordre\n", "unexpected 'ordre' (did you mean 'order'?)", 1,
              27);
  check_error("design saltelli 10 second order second order\n",
              "'second order' is given twice in this design", 1, 33);
  check_error("design morris 10 levels 5\n", "the number of Morris levels must be even (found 5)",
              1, 25);
  check_error("design morris 10 levels 1\n",
              "the number of Morris levels must be a whole number, at least 2 (found 1)", 1, 25);
  check_error("design morris 10 levels 4 levels 4\n", "'levels' is given twice in this design", 1,
              27);
  check_error("design lhs 10 levels 4\n",
              "'levels' on the design line applies to morris designs only", 1, 15);
  check_format("design grid 5\n",
               "t.sweep:1:13: error: a grid design takes no N\n"
               "  design grid 5\n"
               "              ^\n"
               "  hint: its size is the product of the levels on the vary lines\n");
  check_error("design grid levels 3\n",
              "'levels' on the design line applies to morris designs only", 1, 13);
  check_error("design file\n",
              "expected the design file's path (a string: design file \"design.csv\"), found end "
              "of line",
              1, 12);
  check_error("design file \"\"\n", "the design file path is empty", 1, 13);
  check_error("design file \"x.csv\" seed 3\n", "expected end of line, found 'seed'", 1, 21);
  check_error("design lhs 5\ndesign lhs 6\n", "'design' is already given on line 1", 2, 1);
}

static void test_errors_vary(void **state) {
  (void)state;
  check_error("vary\n",
              "expected the name of a parameter (vary potency uniform 0.3 1.0), found end of line",
              1, 5);
  check_error("vary uniform 0 1\n", "'vary' needs the parameter's name before the distribution",
              1, 6);
  check_error("vary normal -1 1\n", "'vary' needs the parameter's name before the distribution",
              1, 6);
  check_format("vary x unifrom 0 1\n",
               "t.sweep:1:8: error: unknown distribution 'unifrom' (did you mean 'uniform'?)\n"
               "  vary x unifrom 0 1\n"
               "         ^~~~~~~\n");
  check_format("vary x beta 1 2\n",
               "t.sweep:1:8: error: unknown distribution 'beta'\n"
               "  vary x beta 1 2\n"
               "         ^~~~\n"
               "  hint: distributions: uniform, loguniform, normal, lognormal\n");
  check_error("vary x\n", "expected a distribution (vary potency uniform 0.3 1.0), found end of line",
              1, 7);
  check_error("vary x 1 2\n",
              "expected a distribution (vary potency uniform 0.3 1.0), found '1'", 1, 8);
  check_error("vary x uniform\n", "'uniform' takes two numbers (low and high), found none", 1, 8);
  check_error("vary x normal 1\n", "'normal' takes two numbers (mean and sd), found one", 1, 8);
  check_error("vary x lognormal 1 2 3\n",
              "'lognormal' takes two numbers (mu and sigma of log), found more", 1, 22);
  check_error("vary x uniform 0 a\n", "unknown unit 'a'", 1, 18);
  check_error("vary x uniform 0 1 withn 0 1\n", "unexpected 'withn' (did you mean 'within'?)", 1,
              20);
  check_error("vary x uniform 0 1 /dd\n", "expected end of line, found '/'", 1, 20);
  check_format("vary x uniform 0 1 within 0 1\n",
               "t.sweep:1:20: error: 'within' applies to normal and lognormal only\n"
               "  vary x uniform 0 1 within 0 1\n"
               "                     ^~~~~~\n"
               "  hint: uniform is bounded by its own low and high\n");
  check_error("vary x loguniform 1 2 within 0 1\n", "'within' applies to normal and lognormal only",
              1, 23);
  check_error("vary x normal 1 2 within 0\n", "'within' takes two numbers (low and high), found one",
              1, 19);
  check_error("vary x normal 1 2 within 0 1 within 0 1\n", "'within' is given twice on this line",
              1, 30);
  check_error("vary x normal 1 2 levels 3 levels 3\n", "'levels' is given twice on this line", 1,
              28);
  check_error("vary x normal 1 2 levels 1\n",
              "the number of grid levels must be a whole number, at least 2 (found 1)", 1, 26);
  check_error("vary x normal 1 2 levels\n",
              "expected the number of grid levels (levels 5), found end of line", 1, 25);
  check_error("vary x normal 1 2 lvls 3\n", "unexpected 'lvls' (did you mean 'levels'?)", 1, 19);
  check_error("vary x normal 1 2 zzzz\n", "unknown unit 'zzzz'", 1, 19);
  check_error("vary x normal\n1 2\n", "'normal' takes two numbers (mean and sd), found none", 1, 8);
  check_format("vary k uniform 0 1\nvary j uniform 0 1\nvary k normal 0 1\n",
               "t.sweep:3:6: error: 'k' is already varied on line 1\n"
               "  vary k normal 0 1\n"
               "       ^\n");
  check_error("vary knee_R.s uniform 0 1\nvary knee_R.s uniform 0 1\n",
              "'knee_R.s' is already varied on line 1", 2, 6);
  check_error("vary x uniform 0 1 mg^0\n", "unit exponent must be from 1 to 99", 1, 23);
}

static void test_lexical_error_and_file(void **state) {
  (void)state;
  check_error("scenario \"s\"\ndesign lhs 10 $\n", "unexpected character '$'", 2, 15);
  syn_error err;
  syn_sweep_ast *a = NULL;
  assert_int_equal(syn_sweep_parse_file("/nonexistent/x.sweep", &a, &err), SYN_EIO);
  assert_null(a);
  char path[] = "/tmp/sweep_parse_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char text[] = "scenario \"s.scenario\"\ndesign lhs 4 seed 9\nvary x uniform 0 1\n";
  assert_int_equal(write(fd, text, sizeof text - 1), (long)(sizeof text - 1));
  close(fd);
  assert_int_equal(syn_sweep_parse_file(path, &a, &err), SYN_OK);
  assert_string_equal(a->scenario_path, "s.scenario");
  assert_true(a->design.seed == 9);
  syn_sweep_ast_destroy(a);
  unlink(path);
  syn_sweep_ast_destroy(NULL);
  assert_int_equal(syn_sweep_parse_text("x", NULL, 0, &a, &err), SYN_EINVAL);
  assert_int_equal(syn_sweep_parse_file(NULL, &a, &err), SYN_EINVAL);
}

/* difference ARM ARM: arms as strings or names, in the order written; each
 * pair once, and a pair in both orders is two differences. */
static void test_difference(void **state) {
  (void)state;
  syn_error err;
  char buf[128];
  syn_sweep_ast *a = parse("scenario \"s\"\ndesign lhs 4\nvary x uniform 0 1\n"
                           "difference \"IA UC-MSC\" control\n"
                           "arms \"IA UC-MSC\" control iv\n"
                           "difference control \"IA UC-MSC\"\n"
                           "  difference iv control   # indented, with a comment\n",
                           &err, SYN_OK);
  assert_int_equal(a->ndiffs, 3);
  assert_string_equal(a->diffs[0].a.name, "IA UC-MSC");
  assert_string_equal(a->diffs[0].b.name, "control");
  assert_string_equal(span_text(a, a->diffs[0].a.span, buf, sizeof buf), "\"IA UC-MSC\"");
  assert_string_equal(span_text(a, a->diffs[0].b.span, buf, sizeof buf), "control");
  assert_string_equal(span_text(a, a->diffs[0].span, buf, sizeof buf), "difference");
  assert_string_equal(a->diffs[1].a.name, "control");
  assert_string_equal(a->diffs[1].b.name, "IA UC-MSC");
  assert_string_equal(a->diffs[2].a.name, "iv");
  assert_string_equal(a->diffs[2].b.name, "control");
  assert_int_equal(a->narms, 3);
  syn_sweep_ast_destroy(a);

  /* none by default; many grow the list */
  a = parse(head, &err, SYN_OK);
  assert_int_equal(a->ndiffs, 0);
  assert_null(a->diffs);
  syn_sweep_ast_destroy(a);
  char text[4096];
  size_t n = (size_t)snprintf(text, sizeof text, "%s", head);
  for (int i = 0; i < 20; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "difference a%d b\n", i);
  a = parse(text, &err, SYN_OK);
  assert_int_equal(a->ndiffs, 20);
  for (int i = 0; i < 20; i++) {
    char want[16];
    snprintf(want, sizeof want, "a%d", i);
    assert_string_equal(a->diffs[i].a.name, want);
    assert_string_equal(a->diffs[i].b.name, "b");
  }
  syn_sweep_ast_destroy(a);
}

static void test_errors_difference(void **state) {
  (void)state;
  check_format("scenario \"s\"\ndesign lhs 100\nvary a uniform 0 1\ndifference\n",
               "t.sweep:4:11: error: expected the name of an arm (difference \"IA\" \"control\"), "
               "found end of line\n"
               "  difference\n"
               "            ^\n");
  check_after_head("difference IA\n",
                   "expected the name of an arm (difference \"IA\" \"control\"), found end of line",
                   4, 14);
  check_after_head("difference \"IA\" 3\n",
                   "expected the name of an arm (difference \"IA\" \"control\"), found '3'", 4, 17);
  check_after_head("difference\nIA control\n",
                   "expected the name of an arm (difference \"IA\" \"control\"), found end of line",
                   4, 11);
  check_after_head("difference \"\" control\n", "the arm name is empty", 4, 12);
  check_after_head("difference IA \"\"\n", "the arm name is empty", 4, 15);
  check_format("scenario \"s\"\ndesign lhs 100\nvary a uniform 0 1\ndifference IA \"IA\"\n",
               "t.sweep:4:15: error: the difference of an arm with itself is zero\n"
               "  difference IA \"IA\"\n"
               "                ^~~~\n");
  check_format("scenario \"s\"\ndesign lhs 100\nvary a uniform 0 1\ndifference IA control\n"
               "difference \"IA\" \"control\"\n",
               "t.sweep:5:1: error: this difference is already listed\n"
               "  difference \"IA\" \"control\"\n"
               "  ^~~~~~~~~~\n");
  check_after_head("difference IA control\ndifference control IA\ndifference IA control\n",
                   "this difference is already listed", 6, 1);
  check_after_head("difference IA control iv\n", "expected end of line, found 'iv'", 4, 23);
  check_after_head("diference IA control\n",
                   "unknown statement 'diference' (did you mean 'difference'?)", 4, 1);
}

/* Every allocation failure is reported as SYN_ENOMEM, without leaks. */
static void test_allocation_failures(void **state) {
  (void)state;
  int ok = 0;
  for (long n = 1; n < 10000 && !ok; n++) {
    syn_error err;
    syn_sweep_ast *a = NULL;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_sweep_parse_text("t.sweep", full, strlen(full), &a, &err);
    syn_alloc_test_fail_after(-1);
    if (st == SYN_OK) {
      ok = 1;
      syn_sweep_ast_destroy(a);
    } else {
      assert_int_equal(st, SYN_ENOMEM);
      assert_null(a);
    }
  }
  assert_true(ok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_example),
      cmocka_unit_test(test_defaults_and_designs),
      cmocka_unit_test(test_errors_whole_file),
      cmocka_unit_test(test_errors_statements),
      cmocka_unit_test(test_atol_lines),
      cmocka_unit_test(test_errors_design),
      cmocka_unit_test(test_errors_vary),
      cmocka_unit_test(test_difference),
      cmocka_unit_test(test_errors_difference),
      cmocka_unit_test(test_lexical_error_and_file),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
