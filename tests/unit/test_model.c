/* synovia — unit tests of the public model API on small models loaded from
 * text: symbols, units, time conversion, instances (set/prepare), rhs,
 * Jacobian and outputs against hand-computed values, diagnosis of non-finite
 * values, hashing, allocation-free evaluation, and allocation failures. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h> /* mkdtemp */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "synovia/model.h"

static syn_model *load(const char *text) {
  syn_model *m = NULL;
  syn_error err;
  if (syn_model_load_text("test.model", text, strlen(text), &m, &err) != SYN_OK)
    fail_msg("load failed: %s:%d:%d: %s", err.file, err.line, err.col, err.message);
  return m;
}

static const syn_symbol *sym(const syn_model *m, const char *name) {
  syn_symkind k;
  size_t i;
  assert_true(syn_model_find(m, name, &k, &i));
  return syn_model_symbol(m, k, i);
}

static const char *KNEE =
    "model \"knee\"\n"
    "time unit h\n"
    "compartment sf = 24 mL \"synovial fluid\" source \"Heilmann 1996\"\n"
    "param k_TNF = ln(2) / 20 min \"TNF clearance\" source \"Chapman 1987\"\n"
    "param K = 10 pg/mL\n"
    "param s = 2 * K * k_TNF\n"
    "param slow = 0.5 /d\n"
    "state TNF in sf = 3 pg/mL \"tumour necrosis factor\"\n"
    "state M = 1\n"
    "let lic = hill(TNF, K, 2)\n"
    "d/dt TNF = s * M - k_TNF * TNF\n"
    "d/dt M = -slow * M * inhibit(TNF, K, 2)\n"
    "output total = TNF * sf \"amount\"\n"
    "output licensed = lic\n";

static void test_symbols_and_metadata(void **state) {
  (void)state;
  syn_model *m = load(KNEE);
  assert_string_equal(syn_model_title(m), "knee");
  assert_string_equal(syn_model_time_unit(m), "h");
  assert_int_equal(syn_model_count(m, SYN_SYM_COMPARTMENT), 1);
  assert_int_equal(syn_model_count(m, SYN_SYM_PARAM), 4);
  assert_int_equal(syn_model_count(m, SYN_SYM_STATE), 2);
  assert_int_equal(syn_model_count(m, SYN_SYM_LET), 1);
  assert_int_equal(syn_model_count(m, SYN_SYM_OUTPUT), 2);
  const syn_symbol *s = sym(m, "k_TNF");
  assert_int_equal(s->kind, SYN_SYM_PARAM);
  assert_string_equal(s->description, "TNF clearance");
  assert_string_equal(s->source, "Chapman 1987");
  assert_string_equal(s->expr, "ln(2) / 20 min");
  assert_string_equal(s->units, "1/h");
  assert_string_equal(s->file, "test.model");
  assert_int_equal(s->line, 4);
  assert_true(fabs(s->value - log(2.0) * 3.0) < 1e-14);
  s = sym(m, "TNF");
  assert_string_equal(s->compartment, "sf");
  assert_string_equal(s->units, "pg/mL");
  assert_true(s->value == 3.0);
  assert_string_equal(sym(m, "M")->compartment, "");
  assert_string_equal(sym(m, "M")->description, "");
  assert_string_equal(sym(m, "sf")->units, "mL");
  assert_string_equal(sym(m, "s")->units, "pg/(mL*h)");
  assert_string_equal(sym(m, "total")->units, "pg");
  assert_string_equal(sym(m, "licensed")->units, "");
  assert_null(syn_model_symbol(m, SYN_SYM_STATE, 2));
  assert_false(syn_model_find(m, "nope", NULL, NULL));
  syn_model_destroy(m);
}

static void test_derived_units(void **state) {
  (void)state;
  syn_model *m = load("time unit d\nparam a = 3 pg/mL\nparam r = 0.5 /h\nparam b = a * r\n"
                      "param c = 10 * a\nparam q = a / (2 mL * r)\nparam p = a ^ 2\n"
                      "param v = 5 mL/h\n");
  assert_string_equal(sym(m, "b")->units, "pg/(mL*d)");
  assert_string_equal(sym(m, "c")->units, "pg/mL");
  assert_string_equal(sym(m, "q")->units, "pg*d/mL^2");
  assert_string_equal(sym(m, "p")->units, "pg^2/mL^2");
  assert_string_equal(sym(m, "r")->units, "1/d");
  syn_model_destroy(m);
}

/* A state's absolute tolerance: the declared one in the state's unit (1e-3
 * ng on a state in pg is 1 pg), a state in cells without one gets
 * SYN_CELLS_ATOL, any other none (0); syn_model_state_atols fills the rest
 * with the fallback and counts the states that have their own. */
static void test_state_tolerances(void **state) {
  (void)state;
  syn_model *m = load("state A = 0 pg atol 1e-3 ng\nstate C = 5 cells\n"
                      "state D = 5 cells atol 0.5 \"declared\"\nstate X = 1\n"
                      "joints a b\nper joint {\n  state M = 0 cells atol 2\n  d/dt M = -M\n}\n"
                      "d/dt A = -A\nd/dt C = -C\nd/dt D = -D\nd/dt X = -X\n");
  assert_true(fabs(sym(m, "A")->atol - 1.0) < 1e-15);
  assert_true(sym(m, "C")->atol == SYN_CELLS_ATOL);
  assert_true(sym(m, "D")->atol == 0.5);
  assert_string_equal(sym(m, "D")->description, "declared");
  assert_true(sym(m, "X")->atol == 0);
  assert_true(sym(m, "a.M")->atol == 2 && sym(m, "b.M")->atol == 2);
  size_t n = syn_model_count(m, SYN_SYM_STATE), x;
  double v[8];
  assert_int_equal(n, 6);
  assert_int_equal(syn_model_state_atols(m, 1e-9, v), 5);
  assert_true(syn_model_find(m, "X", NULL, &x));
  assert_true(v[x] == 1e-9);
  syn_model_destroy(m);
  m = load("state X = 1 mg\nd/dt X = -X\n");
  assert_int_equal(syn_model_state_atols(m, 1e-7, v), 0);
  assert_true(v[0] == 1e-7);
  syn_model_destroy(m);
}

/* Exponents that would overflow an int (each let squares the previous one)
 * and more distinct symbols than the unit algebra holds: the units are
 * unknown ("?"), never wrong, and the arithmetic never overflows (UBSan). */
static void test_units_beyond_representation(void **state) {
  (void)state;
  char text[4096];
  int k = snprintf(text, sizeof text, "param a0 = 1 mm^99\n");
  for (int i = 0; i < 40; i++)
    k += snprintf(text + k, sizeof text - (size_t)k, "param a%d = a%d * a%d\n", i + 1, i, i);
  k += snprintf(text + k, sizeof text - (size_t)k, "param p0 = 1 mm^99\n");
  for (int i = 0; i < 12; i++)
    k += snprintf(text + k, sizeof text - (size_t)k, "param p%d = p%d ^ 16\n", i + 1, i);
  snprintf(text + k, sizeof text - (size_t)k,
           "param many = 1 mm.cm.um.L.mL.uL.nL.dL.kg.g\nparam ok = 2 mm.cm.um.L.mL.uL.nL.dL\n"
           "param back = a20 / a20\n");
  syn_model *m = load(text);
  assert_string_equal(sym(m, "a1")->units, "mm^198");
  assert_string_equal(sym(m, "a3")->units, "mm^792");
  assert_string_equal(sym(m, "a4")->units, "?");
  assert_string_equal(sym(m, "a40")->units, "?");
  assert_string_equal(sym(m, "p1")->units, "?");
  assert_string_equal(sym(m, "p12")->units, "?");
  assert_string_equal(sym(m, "many")->units, "?");
  assert_string_equal(sym(m, "ok")->units, "mm*cm*um*L*mL*uL*nL*dL");
  assert_string_equal(sym(m, "back")->units, "?");
  syn_model_destroy(m);
}

static void test_time_conversion(void **state) {
  (void)state;
  syn_model *m = load("time unit h\nparam a = 20 min\nparam b = 0.5 /d\nparam c = 2 d\n"
                      "param e = 90 s\n");
  assert_true(fabs(sym(m, "a")->value - 1.0 / 3.0) < 1e-15);
  assert_true(fabs(sym(m, "b")->value - 0.5 / 24) < 1e-15);
  assert_true(sym(m, "c")->value == 48.0);
  assert_true(fabs(sym(m, "e")->value - 0.025) < 1e-15);
  double t = 0;
  syn_error err;
  assert_int_equal(syn_model_parse_time(m, "180 d", &t, &err), SYN_OK);
  assert_true(t == 180 * 24.0);
  assert_int_equal(syn_model_parse_time(m, " 36 ", &t, &err), SYN_OK);
  assert_true(t == 36.0);
  assert_int_equal(syn_model_parse_time(m, "20 min", &t, &err), SYN_OK);
  assert_true(fabs(t - 1.0 / 3.0) < 1e-15);
  assert_int_equal(syn_model_parse_time(m, "3 mL", &t, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "'3 mL'"));
  assert_int_equal(syn_model_parse_time(m, "soon", &t, &err), SYN_EINVAL);
  assert_int_equal(syn_model_parse_time(m, "2 /d", &t, &err), SYN_EINVAL);
  /* values with units and no name to convert to: time converts, other units annotate
   * (a value for a name: test_setting_conversion) */
  assert_int_equal(syn_model_parse_value(m, "0.5 /d", &t, &err), SYN_OK);
  assert_true(fabs(t - 0.5 / 24) < 1e-15);
  assert_int_equal(syn_model_parse_value(m, "3 pg/mL/min", &t, &err), SYN_OK);
  assert_true(fabs(t - 180.0) < 1e-12);
  assert_int_equal(syn_model_parse_value(m, "2.5 mm^2.d^-1", &t, &err), SYN_OK);
  assert_true(fabs(t - 2.5 / 24) < 1e-15);
  assert_int_equal(syn_model_parse_value(m, "7 pg/mLL", &t, &err), SYN_EINVAL);
  assert_string_equal(err.message, "invalid value '7 pg/mLL': 'mLL' is not a known unit");
  assert_int_equal(syn_model_parse_value(m, "7 pg mL", &t, &err), SYN_EINVAL);
  assert_int_equal(syn_model_parse_value(m, "1e999", &t, &err), SYN_EINVAL);
  syn_model_destroy(m);
  m = load("param k = 2\n");
  assert_int_equal(syn_model_parse_value(m, "2 /h", &t, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "the model has no clock"));
  syn_model_destroy(m);
  m = load("time unit d\nparam v = 5 mL/h\n");
  assert_true(fabs(sym(m, "v")->value - 120.0) < 1e-12);
  assert_string_equal(sym(m, "v")->units, "mL/d");
  syn_model_destroy(m);
}

/* A value given for a name is converted to the name's declared unit, or
 * refused (issue 12, point 6): the one conversion behind --set, a scenario's
 * set and a sweep's vary. Targets as the model renders them ("1/h",
 * "pg/mL", "mg*L/(h*mL)", "" dimensionless, "?" unknown). */
static void test_setting_conversion(void **state) {
  (void)state;
  syn_model *m = load("time unit h\ncompartment V = 2 L\nparam ka = 1.5 /h\nparam IL6 = 3 pg/mL\n"
                      "param C = 2 nM\nparam N = 1e6 cells\nparam f = 0.5\nparam p = 20 percent\n"
                      "param tlag = 2 h\nparam odd = 1 mg.L/h/mL\nparam e = 1 mm^99\n"
                      "param big = e * e * e * e * e * e * e * e * e * e * e\nparam act = 2 U\n"
                      "joints a b\nper joint { param sev = 1 mmHg }\n");
  assert_string_equal(sym(m, "odd")->units, "mg*L/(h*mL)");
  assert_string_equal(sym(m, "big")->units, "?");
  static const struct {
    const char *name, *text;
    double want; /* NAN: refused with `message` */
    const char *message;
  } cases[] = {
      {"V", "500 mL", 0.5, NULL},
      {"V", "0.5", 0.5, NULL}, /* a bare number is in the declared unit */
      {"V", "3 dL", 0.3, NULL},
      {"ka", "24 /d", 1, NULL},
      {"ka", "1 / min", 60, NULL},
      {"ka", "1 h^-1", 1, NULL},
      {"IL6", "0.04 ng/mL", 40, NULL},
      {"IL6", "40 pg.mL^-1", 40, NULL},
      {"C", "2000 pM", 2, NULL},
      {"C", "0.002 uM", 2, NULL},
      {"N", "5 cell", 5, NULL},
      {"f", "50 percent", 0.5, NULL},
      {"p", "20", 20, NULL},
      {"tlag", "30 min", 0.5, NULL},
      {"tlag", "1 d", 24, NULL},
      {"odd", "1 g*L/(h*mL)", 1000, NULL},
      {"odd", "1 mg/h", 0.001, NULL}, /* one mg*L/(h*mL) is 1000 mg/h */
      {"act", "3 U", 3, NULL},
      {"sev", "2 mmHg", 2, NULL},   /* a per-joint name without its joint */
      {"a.sev", "2 mmHg", 2, NULL},
      {"nobody", "2 mL", 2, NULL},  /* unknown: syn_instance_set says so */
      {"ka", "2 mg", NAN,
       "ka is in 1/h; 'mg' is not a rate (give a value in 1/h or a compatible unit such as 1/d)"},
      {"V", "500 mg", NAN,
       "V is in L; 'mg' is not a volume (give a value in L or a compatible unit such as dL)"},
      {"IL6", "3 nM", NAN,
       "IL6 is in pg/mL; 'nM' is not a mass concentration (give a value in pg/mL or a compatible "
       "unit such as ng/mL)"},
      {"C", "3 ng/mL", NAN,
       "C is in nM; 'ng/mL' is not a molar concentration (give a value in nM or a compatible unit "
       "such as uM)"},
      {"N", "3 U", NAN,
       "N is in cells; 'U' is not a number of cells (give a value in cells)"},
      {"act", "3 IU", NAN, "act is in U; 'IU' is not an activity in U (give a value in U)"},
      {"tlag", "3 /h", NAN,
       "tlag is in h; '/h' is not a time (give a value in h or a compatible unit such as d)"},
      {"f", "2 /h", NAN, "f is dimensionless; '/h' is not a pure number (give a bare number)"},
      {"odd", "1 mg", NAN,
       "odd is in mg*L/(h*mL); 'mg' is not a mass per time (give a value in mg*L/(h*mL) or a "
       "compatible unit such as g*L/(h*mL))"},
      {"odd", "1 mg.mL", NAN,
       "odd is in mg*L/(h*mL); 'mg.mL' is not a mass per time (give a value in mg*L/(h*mL) or a "
       "compatible unit such as g*L/(h*mL))"},
      {"IL6", "1 mg.mL", NAN,
       "IL6 is in pg/mL; 'mg.mL' is not a mass concentration (give a value in pg/mL or a "
       "compatible unit such as ng/mL)"},
      {"big", "2", 2, NULL},
      {"big", "1 mm", NAN,
       "the unit of big is not known ('?'), so 'mm' cannot be converted to it (give a bare "
       "number)"},
      {"V", "1 mLL", NAN, "unknown unit 'mLL' (did you mean 'mL'?)"},
      {"V", "1 mL mL", NAN,
       "cannot read the unit 'mL mL' (write it as after a number in a model: 'mL', '/d', "
       "'pg/mL', 'mg.L^-1')"},
      {"V", "1e300 kL", NAN, "unknown unit 'kL' (did you mean 'kg'?)"},
      {"V", "1e300 mL^-1.mL^2", 1e297, NULL},
      {"C", "1e300 M", NAN, "1e+300 M is out of range in nM"},
      {"V", "0x10", NAN, "'0x10' is not a finite decimal number"},
      {"V", "nan", NAN, "'nan' is not a finite decimal number"},
      {"V", "inf mL", NAN, "'inf mL' is not a finite decimal number"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    double v = -1;
    syn_error err;
    syn_error_clear(&err);
    syn_status st = syn_model_parse_setting(m, cases[i].name, cases[i].text, &v, &err);
    if (isnan(cases[i].want)) {
      if (st == SYN_OK) fail_msg("%s=%s: accepted as %g", cases[i].name, cases[i].text, v);
      if (strcmp(err.message, cases[i].message) != 0)
        fail_msg("%s=%s:\n  got  %s\n  want %s", cases[i].name, cases[i].text, err.message,
                 cases[i].message);
    } else {
      if (st != SYN_OK) fail_msg("%s=%s: %s", cases[i].name, cases[i].text, err.message);
      if (!(fabs(v - cases[i].want) <= 1e-15 * fabs(cases[i].want)))
        fail_msg("%s=%s: %.17g, want %.17g", cases[i].name, cases[i].text, v, cases[i].want);
    }
  }
  /* the usual conversions are exact, not merely close */
  double v = 0;
  assert_int_equal(syn_model_parse_setting(m, "V", "500 mL", &v, NULL), SYN_OK);
  assert_true(v == 0.5);
  assert_int_equal(syn_model_parse_setting(m, "IL6", "0.04 ng/mL", &v, NULL), SYN_OK);
  assert_true(v == 40);
  assert_int_equal(syn_model_parse_setting(m, "ka", "24 /d", &v, NULL), SYN_OK);
  assert_true(v == 1);
  assert_string_equal(syn_model_setting_units(m, "sev"), "mmHg");
  assert_null(syn_model_setting_units(m, "nobody"));
  syn_model_destroy(m);

  /* a preset's values are converted the same way */
  m = load("time unit h\ncompartment V = 2 L\nparam k = 0.2 /h\nstate A = 1 mg\n"
           "d/dt A = -k * A\npreset p { V = 500 mL; k = 24 /d; A = 1 g }\n");
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_use_preset(inst, "p", &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  size_t iv = 0, ik = 0, ia = 0;
  assert_true(syn_model_find(m, "V", NULL, &iv) && syn_model_find(m, "k", NULL, &ik) &&
              syn_model_find(m, "A", NULL, &ia));
  assert_true(syn_instance_value(inst, SYN_SYM_COMPARTMENT, iv) == 0.5);
  assert_true(syn_instance_value(inst, SYN_SYM_PARAM, ik) == 1);
  double y0[1];
  syn_instance_initial(inst, y0);
  assert_true(ia == 0 && y0[0] == 1000);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* rhs, Jacobian (values and pattern) and outputs against hand computation. */
static void test_rhs_jacobian_outputs(void **state) {
  (void)state;
  syn_model *m = load(KNEE);
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  assert_int_equal(ode.n, 2);
  assert_string_equal(ode.names[0], "TNF");
  assert_string_equal(ode.time_unit, "h");
  double y[2] = {7.0, 0.4}, f[2], J[4];
  double k = log(2.0) * 3, K = 10, s = 2 * K * k, slow = 0.5 / 24;
  double T = y[0], M = y[1], inh = K * K / (K * K + T * T);
  assert_int_equal(ode.rhs(1.0, y, f, ode.ctx), 0);
  assert_true(fabs(f[0] - (s * M - k * T)) < 1e-12);
  assert_true(fabs(f[1] - (-slow * M * inh)) < 1e-15);
  /* pattern: column TNF rows {0,1}; column M rows {0,1} */
  assert_int_equal(ode.nnz, 4);
  assert_int_equal(ode.colptr[0], 0);
  assert_int_equal(ode.colptr[1], 2);
  assert_int_equal(ode.colptr[2], 4);
  assert_int_equal(ode.rowind[0], 0);
  assert_int_equal(ode.rowind[1], 1);
  assert_int_equal(ode.jac(1.0, y, J, ode.ctx), 0);
  double dinh = -K * K * 2 * T / ((K * K + T * T) * (K * K + T * T));
  assert_true(fabs(J[0] - (-k)) < 1e-14);
  assert_true(fabs(J[1] - (-slow * M * dinh)) < 1e-15);
  assert_true(fabs(J[2] - s) < 1e-13);
  assert_true(fabs(J[3] - (-slow * inh)) < 1e-15);
  double out[2];
  assert_int_equal(syn_instance_outputs(inst, 1.0, y, out, &err), SYN_OK);
  assert_true(fabs(out[0] - 7.0 * 24) < 1e-12);
  assert_true(fabs(out[1] - T * T / (K * K + T * T)) < 1e-15);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static void test_set_and_prepare(void **state) {
  (void)state;
  syn_model *m = load(KNEE);
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_ptr_equal(syn_instance_model(inst), m);
  /* a dependent parameter follows its inputs, unless overridden itself */
  assert_int_equal(syn_instance_set(inst, "K", 4.0, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  size_t is = 0;
  syn_symkind kind;
  assert_true(syn_model_find(m, "s", &kind, &is));
  assert_true(fabs(syn_instance_value(inst, SYN_SYM_PARAM, is) - 2 * 4.0 * log(2.0) * 3) < 1e-13);
  assert_int_equal(syn_instance_set(inst, "s", 1.5, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "TNF", 9.0, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "sf", 12.0, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  assert_true(syn_instance_value(inst, SYN_SYM_PARAM, is) == 1.5);
  assert_true(syn_instance_value(inst, SYN_SYM_COMPARTMENT, 0) == 12.0);
  double y0[2];
  syn_instance_initial(inst, y0);
  assert_true(y0[0] == 9.0 && y0[1] == 1.0);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  double f[2], y[2] = {0.0, 2.0};
  ode.rhs(0, y, f, ode.ctx);
  assert_true(fabs(f[0] - 1.5 * 2.0) < 1e-15);
  /* refusals */
  assert_int_equal(syn_instance_set(inst, "lic", 1.0, &err), SYN_EINVAL);
  assert_string_equal(err.message, "'lic' is a let and cannot be set");
  assert_int_equal(syn_instance_set(inst, "total", 1.0, &err), SYN_EINVAL);
  assert_string_equal(err.message, "'total' is an output and cannot be set");
  assert_int_equal(syn_instance_set(inst, "k_TFN", 1.0, &err), SYN_EINVAL);
  assert_string_equal(err.message, "unknown name 'k_TFN' (did you mean 'k_TNF'?)");
  assert_int_equal(syn_instance_set(inst, "K", NAN, &err), SYN_EINVAL);
  /* a parameter made infinite by an override is named by prepare */
  assert_int_equal(syn_instance_set(inst, "K", 0.0, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "s", 1.0, &err), SYN_OK);
  syn_instance_destroy(inst);
  m = (syn_model_destroy(m), load("param a = 1\nparam b = 1 / a\n"));
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "a", 0.0, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_ENONFINITE);
  assert_string_equal(err.message, "parameter 'b' is inf");
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* Hoisting: everything that does not depend on y or t runs once, in setup.
 * Overrides must still reach every hoisted value: parameters defined from an
 * overridden one, parameters defined from those, initial values, and the
 * constant subexpressions of the rhs, Jacobian and outputs. */
static const char *CHAIN =
    "param k1 = 2\n"
    "param k2 = 3 * k1\n"
    "param k3 = k2 + 1\n"
    "state X = k3 * 10\n"
    "state Y = 5\n"
    "d/dt X = -(k1 * 4) * X + k3\n"
    "d/dt Y = k2 * X\n"
    "output o = k3 + 2 * k1\n";

/* Check values, y0, rhs, Jacobian and output against the closed forms for
 * the given k1, k2, k3 and initial X. */
static void check_chain(syn_instance *inst, double k1, double k2, double k3, double x0) {
  syn_error err;
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  assert_true(syn_instance_value(inst, SYN_SYM_PARAM, 0) == k1);
  assert_true(syn_instance_value(inst, SYN_SYM_PARAM, 1) == k2);
  assert_true(syn_instance_value(inst, SYN_SYM_PARAM, 2) == k3);
  double y0[2];
  syn_instance_initial(inst, y0);
  assert_true(y0[0] == x0 && y0[1] == 5.0);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  double y[2] = {1.5, 0.25}, f[2], J[4], out;
  assert_int_equal(ode.rhs(0.0, y, f, ode.ctx), 0);
  assert_true(f[0] == -(k1 * 4) * y[0] + k3);
  assert_true(f[1] == k2 * y[0]);
  assert_int_equal(ode.nnz, 2); /* dX/dX and dY/dX */
  assert_int_equal(ode.jac(0.0, y, J, ode.ctx), 0);
  assert_true(J[0] == -(k1 * 4));
  assert_true(J[1] == k2);
  assert_int_equal(syn_instance_outputs(inst, 0.0, y, &out, &err), SYN_OK);
  assert_true(out == k3 + 2 * k1);
}

static void test_overrides_reach_hoisted_values(void **state) {
  (void)state;
  syn_model *m = load(CHAIN);
  syn_instance *a = NULL, *b = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &a, &err), SYN_OK);
  assert_int_equal(syn_instance_create(m, &b, &err), SYN_OK);
  check_chain(a, 2, 6, 7, 70);
  /* an input of derived parameters: both levels and the initial value follow */
  assert_int_equal(syn_instance_set(a, "k1", 5.0, &err), SYN_OK);
  check_chain(a, 5, 15, 16, 160);
  /* a derived parameter overridden: it wins, its dependents follow it */
  assert_int_equal(syn_instance_set(a, "k2", 7.0, &err), SYN_OK);
  check_chain(a, 5, 7, 8, 80);
  /* an overridden initial value wins over its (recomputed) definition */
  assert_int_equal(syn_instance_set(a, "X", 1.25, &err), SYN_OK);
  check_chain(a, 5, 7, 8, 1.25);
  /* the last parameter of the chain overridden alone */
  assert_int_equal(syn_instance_set(b, "k3", 100.0, &err), SYN_OK);
  check_chain(b, 2, 6, 100, 1000);
  /* instances are independent, and the model's defaults unchanged */
  check_chain(a, 5, 7, 8, 1.25);
  assert_true(sym(m, "k3")->value == 7.0 && sym(m, "X")->value == 70.0);
  syn_instance_destroy(a);
  syn_instance_destroy(b);
  syn_model_destroy(m);
}

static void test_functions_evaluate(void **state) {
  (void)state;
  syn_model *m = load("state x = 1\nd/dt x = 0\n"
                      "output h = hill(x, 2, 3)\noutput i = inhibit(x, 2, 3)\n"
                      "output c = if(x > 1, 10, 20)\noutput mn = min(x, 3, -1)\n"
                      "output mx = max(x, 3, -1)\noutput l = (x > 0) && !(x > 5)\n"
                      "output p = pow(x, 0.5) + 2 ^ 3\noutput lg = log10(x) + ln(x)\n");
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  double x = 1.7, out[8];
  assert_int_equal(syn_instance_outputs(inst, 0, &x, out, &err), SYN_OK);
  assert_true(fabs(out[0] - pow(x, 3) / (8 + pow(x, 3))) < 1e-15);
  assert_true(fabs(out[1] - 8 / (8 + pow(x, 3))) < 1e-15);
  assert_true(out[2] == 10 && out[3] == -1 && out[4] == 3 && out[5] == 1);
  assert_true(fabs(out[6] - (sqrt(x) + 8)) < 1e-15);
  assert_true(fabs(out[7] - (log10(x) + log(x))) < 1e-15);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static void test_nonfinite_diagnosis(void **state) {
  (void)state;
  const char *text = "model \"bad\"\nstate X = 1\nlet x = X - 1\nlet r = log(x)\n"
                     "d/dt X = -r\noutput o = sqrt(x)\n";
  syn_model *m = load(text);
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  double y = 0.5, f, out;
  assert_int_equal(ode.rhs(0, &y, &f, ode.ctx), 1);
  char buf[512];
  assert_int_equal(ode.explain(0, &y, buf, sizeof buf, ode.ctx), 1);
  assert_string_equal(buf, "d/dt X: 'log(x)' at test.model:4:9 gave nan (x = -0.5)");
  y = 1.0;
  assert_int_equal(ode.rhs(0, &y, &f, ode.ctx), 1);
  assert_int_equal(ode.explain(0, &y, buf, sizeof buf, ode.ctx), 1);
  assert_string_equal(buf, "d/dt X: 'log(x)' at test.model:4:9 gave -inf (x = 0)");
  y = 2.0;
  assert_int_equal(ode.rhs(0, &y, &f, ode.ctx), 0);
  assert_int_equal(ode.explain(0, &y, buf, sizeof buf, ode.ctx), 0);
  y = 0.5;
  assert_int_equal(syn_instance_outputs(inst, 3, &y, &out, &err), SYN_ENONFINITE);
  assert_string_equal(err.message, "output 'o' is nan at t = 3");
  assert_string_equal(err.hint, "output o: 'sqrt(x)' at test.model:6:12 gave nan (x = -0.5)");
  assert_true(isnan(out));
  /* a short buffer is cut, never overrun */
  y = 0.5;
  assert_int_equal(ode.explain(0, &y, buf, 10, ode.ctx), 1);
  assert_int_equal(strlen(buf), 9);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static void test_no_allocation_in_hot_path(void **state) {
  (void)state;
  syn_model *m = load(KNEE);
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  double y[2] = {1, 2}, f[2], J[4], out[2];
  long before = syn_alloc_test_count();
  for (int i = 0; i < 100; i++) {
    y[0] = 0.1 * i;
    ode.rhs(0.5 * i, y, f, ode.ctx);
    ode.jac(0.5 * i, y, J, ode.ctx);
    syn_instance_outputs(inst, 0.5 * i, y, out, &err);
  }
  assert_int_equal(syn_alloc_test_count(), before);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static void test_files_and_hash(void **state) {
  (void)state;
  syn_model *a = load(KNEE), *b = load(KNEE);
  assert_int_equal(syn_model_file_count(a), 1);
  assert_string_equal(syn_model_file_path(a, 0), "test.model");
  assert_string_equal(syn_model_file_text(a, 0), KNEE);
  const char *h = syn_model_sha256(a);
  assert_int_equal(strlen(h), 64);
  assert_int_equal(strspn(h, "0123456789abcdef"), 64);
  assert_string_equal(h, syn_model_sha256(b));
  syn_model_destroy(b);
  const char *other = "model \"knee\"\nstate X = 2\nd/dt X = -X\n";
  b = load(other);
  assert_string_not_equal(h, syn_model_sha256(b));
  syn_model_stats st;
  syn_model_get_stats(b, &st);
  assert_int_equal(st.jac_nnz, 1);
  assert_true(st.rhs_instructions >= 3);
  syn_model_destroy(b);
  syn_model_destroy(a);
}

static void test_load_errors(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_error err;
  const char *text = "state X = 1\nd/dt X = -TNFa\n";
  assert_int_equal(syn_model_load_text("e.model", text, strlen(text), &m, &err), SYN_EINPUT);
  assert_null(m);
  assert_string_equal(err.message, "unknown name 'TNFa'");
  assert_string_equal(err.file, "e.model");
  assert_int_equal(err.line, 2);
  assert_int_equal(err.col, 11);
  assert_int_equal(syn_model_load("/nonexistent/x.model", &m, &err), SYN_EIO);
  assert_null(m);
}

/* Every allocation of load + instance may fail: a clean error, no leak. */
static void test_allocation_failures(void **state) {
  (void)state;
  int succeeded = 0;
  for (long n = 1; n < 5000 && !succeeded; n++) {
    syn_model *m = NULL;
    syn_instance *inst = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status s = syn_model_load_text("t.model", KNEE, strlen(KNEE), &m, &err);
    if (s == SYN_OK) s = syn_instance_create(m, &inst, &err);
    syn_alloc_test_fail_after(0);
    if (s == SYN_OK) {
      succeeded = 1;
    } else {
      assert_int_equal(s, SYN_ENOMEM);
    }
    syn_instance_destroy(inst);
    syn_model_destroy(m);
  }
  assert_true(succeeded);
}

/* KNEE with one error appended, found by successive passes. */
#define KNEE_BODY                                                                  \
  "model \"knee\"\ntime unit h\ncompartment sf = 24 mL\nparam K = 10 pg/mL\n"      \
  "param k = ln(2) / 20 min\nstate TNF in sf = 3 pg/mL\nstate M = 1\n"             \
  "let lic = hill(TNF, K, 2)\nd/dt TNF = k * M - k * TNF\nd/dt M = -lic * M\n"      \
  "output total = TNF * sf\n"
#define KNEE_PREFIX_UNKNOWN KNEE_BODY "output bad = TNF + Kk\n"
#define KNEE_PREFIX_CYCLE KNEE_BODY "let c1 = c2 + lic\nlet c2 = c1 * 2\n"
#define KNEE_PREFIX_NONCONST KNEE_BODY "param p = lic * 2\n"
#define KNEE_PREFIX_NONFINITE KNEE_BODY "param z = K - 10\nparam q = log(z)\n"

/* The whole pipeline on files: a diamond of imports, every kind of
 * declaration, units, functions with many arguments, then an instance with
 * overrides and one evaluation of everything. */
static const char *const RICH_FILES[][2] = {
    {"common.model", "time unit h\ncompartment sf = 2 mL \"fluid\" source \"assumed\"\n"
                     "param K = 10 pg/mL\n"},
    {"lib/a.model", "import \"../common.model\"\nparam ka = ln(2) / 20 min\n"
                    "state A in sf = 2 * K \"a\"\nlet la = hill(A, K, 2)\n"},
    {"lib/b.model", "import \"../common.model\"\nparam kb = 0.5 /d\nstate B = 1\n"
                    "let lb = inhibit(B, K, 3) * min(A, B, 4, K) + max(A, 1, 2)\n"},
    {"main.model", "model \"rich\"\ntime unit h\nimport \"lib/a.model\"\n"
                   "import \"lib/b.model\"\nparam s = 2 * K * ka\n"
                   "d/dt A = s * B - ka * A + if(t > 1, 0, la)\n"
                   "d/dt B = -kb * B * lb + sqrt(abs(A)) / (1 + exp(-t))\n"
                   "output total = A * sf \"amount\"\noutput both = la + lb\n"},
};
enum { NRICH = sizeof RICH_FILES / sizeof RICH_FILES[0] };

static void write_rich(char *dir, size_t size) {
  snprintf(dir, size, "/tmp/syn_model_XXXXXX");
  assert_non_null(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/lib", dir);
  assert_int_equal(mkdir(path, 0700), 0);
  for (size_t i = 0; i < NRICH; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, RICH_FILES[i][0]);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(RICH_FILES[i][1], f);
    fclose(f);
  }
}

static void remove_rich(const char *dir) {
  char path[256];
  for (size_t i = 0; i < NRICH; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, RICH_FILES[i][0]);
    remove(path);
  }
  snprintf(path, sizeof path, "%s/lib", dir);
  rmdir(path);
  rmdir(dir);
}

static syn_status run_rich(const char *path, syn_error *err) {
  syn_model *m = NULL;
  syn_instance *inst = NULL;
  syn_status s = syn_model_load(path, &m, err);
  if (s == SYN_OK) s = syn_instance_create(m, &inst, err);
  if (s == SYN_OK) s = syn_instance_set(inst, "K", 4.0, err);
  if (s == SYN_OK) s = syn_instance_prepare(inst, err);
  if (s == SYN_OK) {
    syn_ode ode;
    double y[2] = {1, 2}, f[2], J[4], out[2];
    syn_instance_ode(inst, &ode);
    if (ode.rhs(2.0, y, f, ode.ctx) != 0 || ode.jac(2.0, y, J, ode.ctx) != 0) s = SYN_EINTERNAL;
    if (s == SYN_OK) s = syn_instance_outputs(inst, 2.0, y, out, err);
  }
  syn_instance_destroy(inst);
  syn_model_destroy(m);
  return s;
}

/* Every allocation of the pipeline (reading files, parsing, imports,
 * resolving, compiling, the instance) may fail: SYN_ENOMEM, nothing leaked
 * (ASan), and the run succeeds once enough allocations are allowed. */
static void test_allocation_failures_whole_pipeline(void **state) {
  (void)state;
  char dir[64], path[128];
  write_rich(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/main.model", dir);
  syn_error err;
  assert_int_equal(run_rich(path, &err), SYN_OK);
  long failures = 0;
  syn_status s = SYN_ENOMEM;
  for (long n = 1; n < 20000 && s != SYN_OK; n++) {
    syn_alloc_test_fail_after(n);
    s = run_rich(path, &err);
    syn_alloc_test_fail_after(0);
    if (s != SYN_OK) {
      assert_int_equal(s, SYN_ENOMEM);
      failures++;
    }
  }
  assert_int_equal(s, SYN_OK);
  assert_true(failures > 100); /* the pipeline really was exercised */
  remove_rich(dir);
}

/* The same on error paths: a model whose error is found late (after all
 * files are parsed and most symbols declared) gives either that error or
 * SYN_ENOMEM, whichever allocation fails, and never leaks. */
static void test_allocation_failures_on_error_paths(void **state) {
  (void)state;
  static const char *const bad[] = {
      KNEE_PREFIX_UNKNOWN, KNEE_PREFIX_CYCLE, KNEE_PREFIX_NONCONST, KNEE_PREFIX_NONFINITE};
  for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
    syn_model *m = NULL;
    syn_error want, err;
    syn_status expected = syn_model_load_text("t.model", bad[b], strlen(bad[b]), &m, &want);
    assert_null(m);
    assert_int_not_equal(expected, SYN_OK);
    syn_status s = SYN_ENOMEM;
    for (long n = 1; n < 5000 && s == SYN_ENOMEM; n++) {
      syn_alloc_test_fail_after(n);
      s = syn_model_load_text("t.model", bad[b], strlen(bad[b]), &m, &err);
      syn_alloc_test_fail_after(0);
      assert_null(m);
    }
    assert_int_equal(s, expected);
    assert_string_equal(err.message, want.message);
    assert_int_equal(err.line, want.line);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_symbols_and_metadata), cmocka_unit_test(test_derived_units),
      cmocka_unit_test(test_state_tolerances),
      cmocka_unit_test(test_units_beyond_representation),
      cmocka_unit_test(test_time_conversion),
      cmocka_unit_test(test_setting_conversion),      cmocka_unit_test(test_rhs_jacobian_outputs),
      cmocka_unit_test(test_set_and_prepare),
      cmocka_unit_test(test_overrides_reach_hoisted_values),      cmocka_unit_test(test_functions_evaluate),
      cmocka_unit_test(test_nonfinite_diagnosis),  cmocka_unit_test(test_no_allocation_in_hot_path),
      cmocka_unit_test(test_files_and_hash),       cmocka_unit_test(test_load_errors),
      cmocka_unit_test(test_allocation_failures),
      cmocka_unit_test(test_allocation_failures_whole_pipeline),
      cmocka_unit_test(test_allocation_failures_on_error_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
