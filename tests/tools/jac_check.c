/* synovia — the Jacobian check, a helper program for tests/integration/jacobian.sh.
 *
 *   jac_check [--skip-unloadable] FILE.model...
 *
 * For each model: at 20 random states (fixed seed; positive, spread over six
 * decades around the initial values' scale) compare the compiled symbolic
 * Jacobian with 4th-order central finite differences of the compiled rhs,
 * entry by entry, including the entries outside the sparsity pattern (which
 * must be zero). A point where the rhs is not finite is skipped (the model's
 * functions may not be defined everywhere); a model with no usable point
 * fails. Output is TAP, one line per model. With --skip-unloadable, a file
 * that does not load is reported as skipped instead of failed (for test
 * fixtures that are meant to be rejected). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synovia/model.h"

enum { POINTS = 20 };

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static double uniform(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (double)((rng * 2685821657736338717ULL) >> 11) * 0x1.0p-53;
}

typedef struct check {
  syn_ode ode;
  size_t n;
  double *y, *f, *fp, *jv, *jd, *mag;
  double worst;     /* largest error / allowed seen */
  char where[256];  /* and where */
  int points;
} check;

/* Dense J from the CSC values. */
static void unpack(const check *c) {
  memset(c->jd, 0, c->n * c->n * sizeof *c->jd);
  for (size_t j = 0; j < c->n; j++)
    for (int32_t k = c->ode.colptr[j]; k < c->ode.colptr[j + 1]; k++)
      c->jd[(size_t)c->ode.rowind[k] * c->n + j] = c->jv[k];
}

/* Compare column j with finite differences; 0 ok, 1 skip point, -1 mismatch. */
static int check_column(check *c, size_t j, const syn_model *m) {
  const double off[4] = {-2, -1, 1, 2}, w[4] = {1, -8, 8, -1};
  /* step relative to y, but at most 1e-4: oscillating terms (sin of a large
   * state) vary on a scale of 1 whatever the size of the state */
  double yj = c->y[j], h = 1e-4 * fmin(fmax(fabs(yj), 1e-6), 1.0);
  double *fd = c->mag + c->n; /* scratch after mag */
  for (size_t i = 0; i < c->n; i++) fd[i] = 0;
  for (int s = 0; s < 4; s++) {
    c->y[j] = yj + off[s] * h;
    if (c->ode.rhs(0.5, c->y, c->fp, c->ode.ctx) != 0) {
      c->y[j] = yj;
      return 1;
    }
    for (size_t i = 0; i < c->n; i++) fd[i] += w[s] * c->fp[i];
  }
  c->y[j] = yj;
  for (size_t i = 0; i < c->n; i++) {
    fd[i] /= 12 * h;
    double J = c->jd[i * c->n + j];
    /* allowed: relative error, plus the rounding noise of differencing f_i,
     * whose terms have magnitude mag[i] */
    double allowed = 1e-7 * fmax(fabs(J), fabs(fd[i])) + 1e-12 * c->mag[i] / h + 1e-300;
    double ratio = fabs(J - fd[i]) / allowed;
    if (ratio > c->worst) {
      c->worst = ratio;
      snprintf(c->where, sizeof c->where, "d(d/dt %s)/d(%s): symbolic %.10g, differences %.10g",
               syn_model_symbol(m, SYN_SYM_STATE, i)->name,
               syn_model_symbol(m, SYN_SYM_STATE, j)->name, J, fd[i]);
    }
  }
  return c->worst > 1.0 ? -1 : 0;
}

static int check_point(check *c, const syn_model *m) {
  if (c->ode.rhs(0.5, c->y, c->f, c->ode.ctx) != 0) return 1;
  if (c->ode.jac(0.5, c->y, c->jv, c->ode.ctx) != 0) return 1;
  unpack(c);
  for (size_t i = 0; i < c->n; i++) {
    c->mag[i] = fabs(c->f[i]);
    for (size_t j = 0; j < c->n; j++) c->mag[i] += fabs(c->jd[i * c->n + j] * c->y[j]);
  }
  for (size_t j = 0; j < c->n; j++) {
    int r = check_column(c, j, m);
    if (r != 0) return r;
  }
  return 0;
}

static int check_model(const char *path, int skip_unloadable, int num) {
  syn_model *m = NULL;
  syn_instance *inst = NULL;
  syn_error err;
  check c = {0};
  int rc = 1;
  if (syn_model_load(path, &m, &err) != SYN_OK) {
    if (skip_unloadable) {
      printf("ok %d - %s # SKIP does not load: %s\n", num, path, err.message);
      return 0;
    }
    printf("not ok %d - %s does not load: %s:%d: %s\n", num, path, err.file, err.line, err.message);
    return 1;
  }
  if (syn_instance_create(m, &inst, &err) != SYN_OK || syn_instance_prepare(inst, &err) != SYN_OK) {
    printf("not ok %d - %s: %s\n", num, path, err.message);
    goto done;
  }
  syn_instance_ode(inst, &c.ode);
  c.n = c.ode.n;
  if (c.n == 0) {
    printf("ok %d - %s # SKIP no states\n", num, path);
    rc = 0;
    goto done;
  }
  double *y0 = calloc(c.n, sizeof *y0);
  c.y = calloc(c.n, sizeof *c.y);
  c.f = calloc(c.n, sizeof *c.f);
  c.fp = calloc(c.n, sizeof *c.fp);
  c.jv = calloc(c.ode.nnz + 1, sizeof *c.jv);
  c.jd = calloc(c.n * c.n, sizeof *c.jd);
  c.mag = calloc(2 * c.n, sizeof *c.mag);
  if (!y0 || !c.y || !c.f || !c.fp || !c.jv || !c.jd || !c.mag) {
    printf("not ok %d - %s: out of memory\n", num, path);
    free(y0);
    goto cleanup;
  }
  syn_instance_initial(inst, y0);
  int mismatch = 0;
  for (int p = 0; p < POINTS && !mismatch; p++) {
    for (size_t i = 0; i < c.n; i++) {
      double scale = fabs(y0[i]) > 0 ? fabs(y0[i]) : 1.0;
      c.y[i] = scale * pow(10.0, uniform() * 6 - 3); /* 1e-3 .. 1e3 times the scale */
    }
    int r = check_point(&c, m);
    if (r == 0) c.points++;
    if (r < 0) mismatch = 1;
  }
  free(y0);
  if (mismatch)
    printf("not ok %d - %s: %s\n", num, path, c.where);
  else if (c.points == 0)
    printf("not ok %d - %s: the rhs was not finite at any of %d points\n", num, path, POINTS);
  else {
    printf("ok %d - %s (%zu states, %zu nonzeros, %d points, worst error %.2g of allowed)\n", num,
           path, c.n, c.ode.nnz, c.points, c.worst);
    rc = 0;
  }
cleanup:
  free(c.y);
  free(c.f);
  free(c.fp);
  free(c.jv);
  free(c.jd);
  free(c.mag);
done:
  syn_instance_destroy(inst);
  syn_model_destroy(m);
  return rc;
}

int main(int argc, char **argv) {
  int skip = 0, num = 0, failed = 0;
  for (int a = 1; a < argc; a++) {
    if (strcmp(argv[a], "--skip-unloadable") == 0) {
      skip = 1;
      continue;
    }
    failed += check_model(argv[a], skip, ++num);
  }
  printf("1..%d\n", num);
  return failed ? 1 : 0;
}
