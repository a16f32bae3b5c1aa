/* synovia — libFuzzer harness: arbitrary bytes as a model text, through the
 * lexer, parser, resolver and compiler, and — when the model compiles — one
 * evaluation of the right-hand side, the Jacobian and the outputs at the
 * initial state.
 *
 * Must never crash, hang, leak or trip a sanitizer: every input either loads
 * or gives an error with a non-empty message. Imports resolve relative to the
 * current directory and normally fail. Build: make build/fuzz/fuzz_model */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "synovia/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_MAX_STATES = 4096 };

static void evaluate_once(syn_model *m) {
  syn_instance *inst = NULL;
  size_t n = syn_model_count(m, SYN_SYM_STATE), no = syn_model_count(m, SYN_SYM_OUTPUT);
  double *y = NULL, *ydot = NULL, *out = NULL, *jac = NULL;
  if (n > FUZZ_MAX_STATES || syn_instance_create(m, &inst, NULL) != SYN_OK) goto done;
  if (syn_instance_prepare(inst, NULL) != SYN_OK) goto done;
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  y = calloc(n + 1, sizeof *y);
  ydot = calloc(n + 1, sizeof *ydot);
  out = calloc(no + 1, sizeof *out);
  jac = calloc(ode.nnz + 1, sizeof *jac);
  if (!y || !ydot || !out || !jac) goto done;
  syn_instance_initial(inst, y);
  ode.rhs(0.5, y, ydot, ode.ctx);
  if (ode.jac) ode.jac(0.5, y, jac, ode.ctx);
  syn_instance_outputs(inst, 0.5, y, out, NULL);
  char why[512];
  if (ode.explain) ode.explain(0.5, y, why, sizeof why, ode.ctx);
done:
  free(y);
  free(ydot);
  free(out);
  free(jac);
  syn_instance_destroy(inst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  syn_model *m = NULL;
  syn_error err;
  syn_error_clear(&err);
  syn_status st = syn_model_load_text("fuzz.model", (const char *)data, size, &m, &err);
  if ((st == SYN_OK) != (m != NULL)) abort();
  if (st != SYN_OK && err.message[0] == 0) abort();
  char text[4096];
  syn_error_format(&err, text, sizeof text);
  if (m) evaluate_once(m);
  syn_model_destroy(m);
  return 0;
}
