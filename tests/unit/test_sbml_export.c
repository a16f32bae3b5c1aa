/* synovia — unit tests of the SBML export: the model's expressions as formula
 * text (synovia/exprtext.h: conditions, comparisons used as numbers, lets by
 * name, joints, unit literals in the clock, inputs) and syn_sbml_export's
 * document and its refusals of bad options. The numerical agreement of whole
 * exports is tests/python/test_sbml_export.py's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synovia/exprtext.h"
#include "synovia/model.h"
#include "synovia/sbml.h"

static const char MODEL[] =
    "time unit h\n"
    "joints L R\n"
    "param k = 0.5 /d\n"
    "param e = 2\n"
    "state C = 1\n"
    "let above = C > 1\n"
    "d/dt C = -k * C + above\n"
    "per joint {\n"
    "  param s = 1\n"
    "  state X = 3 * s\n"
    "  d/dt X = if(t >= 2 h && X, e, 0) - X\n"
    "  route IA -> X scale s\n"
    "}\n"
    "output gain = hill(C, 2, 2)\n"
    "preset high { s = 4 }\n";

static syn_model *load(void) {
  syn_model *m = NULL;
  syn_error err;
  assert_int_equal(syn_model_load_text("t.model", MODEL, strlen(MODEL), &m, &err), SYN_OK);
  return m;
}

/* Names as the caller gives them: "id_" + the name, '.' as '_'. */
static const char *name_of(void *ctx, syn_symkind kind, size_t i) {
  static char buf[8][64];
  static int next;
  const syn_symbol *s = syn_model_symbol(ctx, kind, i);
  char *b = buf[next++ % 8];
  snprintf(b, 64, "id_%s", s->name);
  for (char *p = b; *p; p++)
    if (*p == '.') *p = '_';
  return b;
}
static const char *input_of(void *ctx, size_t state) {
  (void)ctx;
  return state == 1 ? "in_L" : "in_R";
}

static char *text(syn_expr_printer *p, const syn_model *m, const char *name, syn_expr_part part,
                  int *constant) {
  syn_symkind kind;
  size_t i;
  syn_error err;
  char *out = NULL;
  assert_true(syn_model_find(m, name, &kind, &i));
  assert_int_equal(syn_expr_printer_symbol(p, kind, i, part, &out, constant, &err), SYN_OK);
  return out;
}

static void expect(syn_expr_printer *p, const syn_model *m, const char *name,
                   syn_expr_part part, const char *want) {
  char *got = text(p, m, name, part, NULL);
  assert_string_equal(got, want);
  free(got);
}

static void test_formula_text(void **state) {
  (void)state;
  syn_model *m = load();
  syn_expr_printer *p = NULL;
  syn_expr_names names = {name_of, input_of, m};
  syn_error err;
  assert_int_equal(syn_expr_printer_create(m, &names, &p, &err), SYN_OK);
  /* a comparison used as a number is 1 or 0 */
  expect(p, m, "above", SYN_EXPR_VALUE, "piecewise(1, (id_C > 1), 0)");
  /* the let by its name inside the d/dt; k is a parameter (its value converted to 1/h) */
  expect(p, m, "C", SYN_EXPR_DERIV, "(id_above + (id_C * (-id_k)))");
  /* if -> piecewise; a number used as a condition is x != 0; t is time (2 h = 2) */
  expect(p, m, "R.X", SYN_EXPR_DERIV,
         "((piecewise(id_e, ((id_R_X != 0) && (time >= 2)), 0) - id_R_X) + in_R)");
  expect(p, m, "gain", SYN_EXPR_VALUE,
         "((id_C ^ 2) / ((id_C ^ 2) + 4))"); /* hill(C, 2, 2) */
  int constant = 0;
  char *k = text(p, m, "k", SYN_EXPR_VALUE, &constant);
  assert_true(constant);
  assert_string_equal(k, "0.020833333333333332"); /* 0.5 /d on an hourly clock, round-trip */
  free(k);
  char *x0 = text(p, m, "L.X", SYN_EXPR_VALUE, &constant);
  assert_false(constant);
  assert_string_equal(x0, "(id_L_s * 3)");
  free(x0);
  char *scale = NULL;
  assert_int_equal(syn_expr_printer_route_scale(p, 0, &scale, &err), SYN_OK);
  assert_string_equal(scale, "id_L_s");
  free(scale);
  assert_int_equal(syn_expr_printer_symbol(p, SYN_SYM_PARAM, 0, SYN_EXPR_DERIV, &scale, NULL,
                                           &err),
                   SYN_EINVAL);
  syn_expr_printer_destroy(p);
  syn_model_destroy(m);
}

static void test_document(void **state) {
  (void)state;
  syn_model *m = load();
  char *xml = NULL;
  syn_error err;
  assert_int_equal(syn_sbml_export(m, NULL, &xml, &err), SYN_OK);
  assert_non_null(strstr(xml, "level=\"3\" version=\"2\""));
  assert_non_null(strstr(xml, "id=\"R__X\" name=\"R.X\""));  /* joints unrolled */
  assert_non_null(strstr(xml, "id=\"e_\" name=\"e\""));      /* e is a constant of the parser */
  assert_non_null(strstr(xml, "<rateRule variable=\"R__X\">"));
  assert_non_null(strstr(xml, "<assignmentRule variable=\"gain\">"));
  assert_non_null(strstr(xml, "<initialAssignment symbol=\"L__X\">"));
  assert_null(strstr(xml, "<event"));
  free(xml);
  /* an arm: a preset replaces s (so X's initial assignment goes), two doses at once */
  syn_sbml_setting set[] = {{"high", NULL, 0}, {NULL, "L.X", 7}};
  syn_sbml_dose doses[] = {{5, 0, 10, 0, NULL}, {5, 1, 20, 0, NULL}, {1, 1, 3, 2, NULL}};
  syn_sbml_options o = {set, 2, doses, 3, "an arm", NULL, 0};
  assert_int_equal(syn_sbml_export(m, &o, &xml, &err), SYN_OK);
  assert_null(strstr(xml, "<initialAssignment symbol=\"L__X\">"));
  assert_non_null(strstr(xml, "<initialAssignment symbol=\"R__X\">"));
  assert_non_null(strstr(xml, "id=\"L__s\" name=\"L.s\" value=\"4\""));
  size_t events = 0;
  for (const char *s = xml; (s = strstr(s, "<event ")) != NULL; s++) events++;
  assert_int_equal(events, 3); /* the infusion's start (1) and end (3), the boluses at 5 */
  free(xml);
  syn_model_destroy(m);
}

static const char EVENTS[] =
    "time unit h\n"
    "joints L R\n"
    "compartment V = 2 L\n"
    "param k = 0.5\n"
    "let half = 0.5 * k\n"
    "state C in V = 1 mg/L\n"
    "d/dt C = -k * C\n"
    "event low when C < half || !(t >= 1 d) delay 30 min priority 2 transient initially false "
    "values at execution { C = 1 mg/L; k = 2 * k; V = 3 }\n"
    "per joint {\n"
    "  state X = 1\n"
    "  d/dt X = -X\n"
    "  event refill when X < 0.5 { X = 1 }\n"
    "}\n";

/* An event as text: the condition as written (lets by name, units in the clock), the
 * options, the targets; and in the document. */
static void test_events(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_error err;
  assert_int_equal(syn_model_load_text("e.model", EVENTS, strlen(EVENTS), &m, &err), SYN_OK);
  syn_expr_printer *p = NULL;
  syn_expr_names names = {name_of, input_of, m};
  assert_int_equal(syn_expr_printer_create(m, &names, &p, &err), SYN_OK);
  syn_expr_event ev;
  assert_int_equal(syn_expr_printer_event(p, 0, &ev, &err), SYN_OK);
  assert_string_equal(ev.trigger, "((id_C < id_half) || !((time >= 24)))");
  assert_string_equal(ev.delay, "0.5");
  assert_string_equal(ev.priority, "2");
  assert_false(ev.persistent);
  assert_false(ev.initial_value);
  assert_false(ev.values_at_trigger);
  assert_int_equal(ev.nassigns, 3);
  assert_int_equal(ev.kind[0], SYN_SYM_STATE);
  assert_int_equal(ev.kind[1], SYN_SYM_PARAM);
  assert_int_equal(ev.kind[2], SYN_SYM_COMPARTMENT);
  assert_string_equal(ev.value[1], "(id_k * 2)");
  syn_expr_event_free(&ev);
  assert_int_equal(syn_expr_printer_event(p, 2, &ev, &err), SYN_OK); /* R.refill */
  assert_string_equal(ev.trigger, "(id_R_X < 0.5)");
  assert_null(ev.delay);
  assert_null(ev.priority);
  assert_true(ev.persistent && ev.initial_value && ev.values_at_trigger);
  syn_expr_event_free(&ev);
  assert_int_equal(syn_expr_printer_event(p, 3, &ev, &err), SYN_EINVAL);
  syn_expr_event_free(&ev);
  syn_expr_printer_destroy(p);
  char *xml = NULL;
  assert_int_equal(syn_sbml_export(m, NULL, &xml, &err), SYN_OK);
  assert_non_null(strstr(xml, "<event id=\"low\" name=\"low\" useValuesFromTriggerTime=\"false\">"));
  assert_non_null(strstr(xml, "<trigger initialValue=\"false\" persistent=\"false\">"));
  assert_non_null(strstr(xml, "<event id=\"R__refill\" name=\"R.refill\""));
  assert_non_null(strstr(xml, "<delay>"));
  assert_non_null(strstr(xml, "<priority>"));
  assert_non_null(strstr(xml, "<eventAssignment variable=\"V\">"));
  assert_non_null(strstr(xml, "id=\"k\" name=\"k\" value=\"0.5\" constant=\"false\""));
  assert_non_null(strstr(xml, "constant=\"false\"")); /* V too */
  /* C is in a compartment the event resizes: an amount, not a concentration */
  assert_non_null(strstr(xml, "hasOnlySubstanceUnits=\"true\""));
  free(xml);
  syn_model_destroy(m);
}

static void test_bad_options(void **state) {
  (void)state;
  syn_model *m = load();
  char *xml = NULL;
  syn_error err;
  syn_sbml_setting preset[] = {{"hihg", NULL, 0}};
  syn_sbml_options o = {preset, 1, NULL, 0, NULL, NULL, 0};
  assert_int_equal(syn_sbml_export(m, &o, &xml, &err), SYN_EINVAL);
  assert_string_equal(err.message, "unknown preset 'hihg'");
  assert_null(xml);
  syn_sbml_setting let[] = {{NULL, "above", 1}};
  o.settings = let;
  assert_int_equal(syn_sbml_export(m, &o, &xml, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "'above' is computed"));
  syn_sbml_dose dose[] = {{1, 9, 1, 0, NULL}};
  syn_sbml_options d = {NULL, 0, dose, 1, NULL, NULL, 0};
  assert_int_equal(syn_sbml_export(m, &d, &xml, &err), SYN_EINVAL);
  assert_null(xml);
  dose[0] = (syn_sbml_dose){0, 0, 1, 0, "C"}; /* a conditional dose's amount: a parameter */
  assert_int_equal(syn_sbml_export(m, &d, &xml, &err), SYN_EINVAL);
  assert_string_equal(err.message, "dose 1: 'C' is not a parameter of the model");
  const char *omit[] = {"refill"};
  syn_sbml_options e = {NULL, 0, NULL, 0, NULL, omit, 1};
  assert_int_equal(syn_sbml_export(m, &e, &xml, &err), SYN_EINVAL);
  assert_string_equal(err.message, "no event 'refill' in the model to leave out");
  assert_null(xml);
  syn_model_destroy(m);
}

/* A scenario's conditional dose, as the scenario layer appends it (src/scenario/cdose.c): in
 * its arm the switch is set and the amount parameter carries amount x the route's scale; in
 * another arm the event is left out. */
static const char CDOSE[] =
    "time unit h\n"
    "param s = 0.5\n"
    "state X = 1\n"
    "d/dt X = -X\n"
    "route IA -> X scale s\n"
    "param cdose_1_on = 0\n"
    "param cdose_1_amt = 0\n"
    "event cdose_1 when X < 0.2 && cdose_1_on > 0.5 { X = X + cdose_1_amt }\n"
    "event other when X < 0.1 { X = 1 }\n";

static void test_conditional_dose(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_error err;
  char *xml = NULL;
  assert_int_equal(syn_model_load_text("c.model", CDOSE, strlen(CDOSE), &m, &err), SYN_OK);
  syn_sbml_setting on[] = {{NULL, "cdose_1_on", 1}};
  syn_sbml_dose dose[] = {{NAN, 0, 8, NAN, "cdose_1_amt"}}; /* time and duration not read */
  syn_sbml_options o = {on, 1, dose, 1, NULL, NULL, 0};
  assert_int_equal(syn_sbml_export(m, &o, &xml, &err), SYN_OK);
  assert_non_null(strstr(xml, "<initialAssignment symbol=\"cdose_1_amt\">"));
  assert_non_null(strstr(xml, "<cn type=\"integer\"> 8 </cn>\n            <ci> s </ci>"));
  assert_non_null(strstr(xml, "id=\"cdose_1_on\" name=\"cdose_1_on\" value=\"1\""));
  assert_non_null(strstr(xml, "<event id=\"cdose_1\""));
  assert_null(strstr(xml, "dose_event")); /* no timed event of its own */
  free(xml);
  const char *omit[] = {"cdose_1"};
  syn_sbml_options other = {NULL, 0, NULL, 0, NULL, omit, 1};
  assert_int_equal(syn_sbml_export(m, &other, &xml, &err), SYN_OK);
  assert_null(strstr(xml, "<event id=\"cdose_1\""));
  assert_non_null(strstr(xml, "<event id=\"other\""));
  free(xml);
  syn_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_formula_text),
      cmocka_unit_test(test_document),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_events),
      cmocka_unit_test(test_conditional_dose),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
