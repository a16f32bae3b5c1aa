/* synovia fit FILE.fit --evaluate — the objective of a fit at one point: its
 * value, its parts and its gradient (include/synovia/objective.h). The
 * optimisers come later; until then --evaluate is the only mode. */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "synovia/fit.h"
#include "synovia/objective.h"
#include "synovia/optim.h"
#include "synovia/sweep.h"

static const char fit_help[] =
    "usage: synovia fit FILE.fit [--starts N] [--seed S] [--optimizer NAME] [-q]\n"
    "       synovia fit FILE.fit --evaluate [--at NAME=VALUE]...\n"
    "\n"
    "Evaluate a fit's objective (docs/fitting.md): the negative log-likelihood of\n"
    "its data with PEtab's constant terms, plus the negative log-priors, at the\n"
    "estimated parameters' starts (the middle of their bounds on their scale when\n"
    "they have none), and its exact gradient from the forward sensitivities.\n"
    "Prints the objective, its parts (data, priors), a table of the parameters\n"
    "(name, scale, value, d objective / d scaled value) and whether the fit has\n"
    "a residual form for least-squares methods. Without --evaluate: estimate the\n"
    "parameters from N starts (serial multistart) and print each start's outcome\n"
    "and the best estimate.\n"
    "\n"
    "options:\n"
    "  --evaluate        evaluate the objective and its gradient at one point\n"
    "  --at NAME=VALUE   a parameter's value (linear scale, in the unit of its\n"
    "                    bounds; NAME as the table prints it, 'w_p[control]' for\n"
    "                    a per-arm copy); repeatable\n"
    "  --starts N        starts (default: the fit file's `starts`)\n"
    "  --seed S          seed of the start design (default: the fit file's `seed`)\n"
    "  --optimizer NAME  lm, lbfgs, slsqp or bobyqa (default: the fit file's)\n"
    "  -q                no progress line on stderr\n"
    "Exit status: 0 evaluated, 1 the fit file or the evaluation failed, 2 bad usage.\n";

/* Apply "NAME=VALUE" to x (parameter scale). */
static int apply_at(const syn_fit *fit, const char *arg, double *x) {
  const char *eq = strrchr(arg, '=');
  if (eq == NULL || eq == arg) {
    cli_usage_error("fit", "--at '%s' is not NAME=VALUE", arg);
    return 0;
  }
  size_t n = (size_t)(eq - arg), np = syn_fit_param_count(fit);
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    if (strlen(p->name) != n || strncmp(p->name, arg, n) != 0) continue;
    double v;
    if (!cli_parse_double(eq + 1, &v) || (p->scale != SYN_FIT_LIN && !(v > 0))) {
      cli_usage_error("fit", "--at %s: '%s' is not a %snumber", p->name, eq + 1,
                      p->scale != SYN_FIT_LIN ? "positive " : "");
      return 0;
    }
    x[j] = syn_objective_to_scale(p, v);
    return 1;
  }
  cli_usage_error("fit", "--at: '%.*s' is not an estimated parameter of %s (see the table "
                  "'synovia fit FILE --evaluate' prints)", (int)n, arg, syn_fit_path(fit));
  return 0;
}

static const char *scale_name(syn_fit_scale s) {
  return s == SYN_FIT_LOG ? "log" : s == SYN_FIT_LOG10 ? "log10" : "lin";
}

static void print_evaluation(const syn_fit *fit, const double *x, const syn_objective_value *v,
                             const double *grad) {
  printf("%s: objective %.12g (data %.12g, priors %.12g)\n", syn_fit_path(fit), v->total, v->data,
         v->prior);
  printf("%-32s %-6s %-16s %s\n", "parameter", "scale", "value", "d objective/d scaled value");
  for (size_t j = 0; j < syn_fit_param_count(fit); j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    double val = syn_objective_unscale(p, x[j]);
    int outside = val < p->lower || val > p->upper;
    printf("%-32s %-6s %-16.10g %.10g%s\n", p->name, scale_name(p->scale), val, grad[j],
           outside ? "   (outside the bounds)" : "");
  }
  char why[256];
  if (syn_objective_residual_form(fit, why, sizeof why))
    printf("residual form: yes (%zu residuals)\n", syn_objective_residual_count(fit));
  else
    printf("residual form: no (%s)\n", why);
}

static int evaluate(const char *path, const char *const *at, size_t nat) {
  syn_error err;
  syn_error_clear(&err);
  syn_fit *fit = NULL;
  syn_objective *obj = NULL;
  double *x = NULL, *grad = NULL;
  int rc = CLI_FAILED;
  if (syn_fit_load(path, &fit, &err) != SYN_OK) {
    cli_print_error(&err);
    goto done;
  }
  size_t np = syn_fit_param_count(fit);
  x = malloc((np ? np : 1) * sizeof *x);
  grad = malloc((np ? np : 1) * sizeof *grad);
  if (x == NULL || grad == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    goto done;
  }
  syn_objective_default_x(fit, x);
  for (size_t i = 0; i < nat; i++)
    if (!apply_at(fit, at[i], x)) {
      rc = CLI_USAGE;
      goto done;
    }
  syn_objective_value v;
  if (syn_objective_create(fit, &obj, &err) != SYN_OK ||
      syn_objective_eval(obj, x, &v, grad, &err) != SYN_OK) {
    fprintf(stderr, "synovia fit: error: %s: %s\n", path, err.message);
    goto done;
  }
  print_evaluation(fit, x, &v, grad);
  rc = CLI_OK;
done:
  syn_objective_destroy(obj);
  syn_fit_destroy(fit);
  free(x);
  free(grad);
  return rc;
}

/* ---- serial multistart ------------------------------------------------------ */

typedef struct fit_ctx {
  syn_objective *obj;
  size_t n;
} fit_ctx;

static int f_cb(const double *x, double *f, double *grad, void *user) {
  fit_ctx *c = user;
  syn_error err;
  syn_error_clear(&err);
  syn_objective_value v;
  if (syn_objective_eval(c->obj, x, &v, grad, &err) != SYN_OK) return 1;
  *f = v.total;
  return 0;
}

static int r_cb(const double *x, double *r, double *jac, void *user) {
  fit_ctx *c = user;
  syn_error err;
  syn_error_clear(&err);
  double constant;
  return syn_objective_residuals(c->obj, x, r, jac, &constant, &err) != SYN_OK;
}

typedef struct ms_opts {
  long starts, seed;  /* -1: the fit file's */
  const char *optimizer;
  int quiet;
} ms_opts;

/* The optimiser: --optimizer, else the fit file's; LM needs the residual form,
 * so without it the gradient method (lbfgs) is used instead. */
static const syn_optim_type *choose_type(const syn_fit *fit, const ms_opts *o) {
  const char *name = o->optimizer ? o->optimizer : syn_fit_optimizer(fit);
  const syn_optim_type *t = syn_optim_type_find(name);
  if (t == NULL) {
    const char *near = NULL;
    for (size_t i = 0; i < syn_optim_type_count(); i++) {
      const char *c = syn_optim_type_name(syn_optim_type_at(i));
      if (strncmp(c, name, 2) == 0) near = c;
    }
    if (near)
      cli_usage_error("fit", "unknown optimizer '%s' (did you mean '%s'? lm, lbfgs, slsqp or "
                      "bobyqa)", name, near);
    else
      cli_usage_error("fit", "unknown optimizer '%s' (lm, lbfgs, slsqp or bobyqa)", name);
    return NULL;
  }
  if (syn_optim_type_needs_residuals(t) && !syn_objective_residual_form(fit, NULL, 0))
    t = syn_optim_lbfgs();
  return t;
}

/* Start k on the parameter scale, mapped into the bounds from a point of the
 * fit file's design; start 0 takes the fit file's `start` values where given.
 * Start k must not depend on how many starts run (--starts), but an lhs point
 * depends on the design's size: so the designs have the fit file's `starts`
 * points each, start k is point k mod that of design k / that, whose seed is
 * the seed plus the design's number. The file's first N starts are one LHS. */
static int start_point(const syn_fit *fit, const char *design, uint64_t seed, size_t k,
                       const double *lo, const double *hi, double *x, syn_error *err) {
  size_t np = syn_fit_param_count(fit), block = syn_fit_starts(fit);
  if (block == 0) block = 1;
  if (syn_sweep_design_unit(design, seed + k / block, block, np, k % block, x, err) != SYN_OK)
    return 0;
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    x[j] = lo[j] + x[j] * (hi[j] - lo[j]);
    if (k == 0 && p->has_start) x[j] = syn_objective_to_scale(p, p->start);
  }
  return 1;
}

static int multistart(const char *path, const ms_opts *o) {
  syn_error err;
  syn_error_clear(&err);
  syn_fit *fit = NULL;
  syn_objective *obj = NULL;
  syn_optim *opt = NULL;
  double *lo = NULL, *hi = NULL, *x = NULL, *best = NULL;
  const char **names = NULL;
  int rc = CLI_FAILED;
  if (syn_fit_load(path, &fit, &err) != SYN_OK) {
    cli_print_error(&err);
    goto done;
  }
  const syn_optim_type *t = choose_type(fit, o);
  if (t == NULL) {
    rc = CLI_USAGE;
    goto done;
  }
  size_t np = syn_fit_param_count(fit), m = syn_objective_residual_count(fit);
  size_t nstarts = o->starts >= 0 ? (size_t)o->starts : syn_fit_starts(fit);
  uint64_t seed = o->seed >= 0 ? (uint64_t)o->seed : syn_fit_seed(fit);
  lo = malloc((np + 1) * sizeof *lo);
  hi = malloc((np + 1) * sizeof *hi);
  x = malloc((np + 1) * sizeof *x);
  best = malloc((np + 1) * sizeof *best);
  names = malloc((np + 1) * sizeof *names);
  if (!lo || !hi || !x || !best || !names) {
    fputs("synovia fit: error: out of memory\n", stderr);
    goto done;
  }
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    lo[j] = syn_objective_to_scale(p, p->lower);
    hi[j] = syn_objective_to_scale(p, p->upper);
    names[j] = p->name;
  }
  if (syn_objective_create(fit, &obj, &err) != SYN_OK ||
      syn_optim_create(t, np, m, &opt, &err) != SYN_OK) {
    fprintf(stderr, "synovia fit: error: %s: %s\n", path, err.message);
    goto done;
  }
  fit_ctx ctx = {obj, np};
  syn_optim_problem prob = {np, syn_optim_type_needs_residuals(t) ? m : 0, f_cb,
                            syn_optim_type_needs_residuals(t) ? r_cb : NULL, 0.0, lo, hi,
                            names, &ctx};
  if (prob.residuals) { /* f_const: the objective's constant terms */
    double *r = malloc((m ? m : 1) * sizeof *r);
    if (r == NULL) { fputs("synovia fit: error: out of memory\n", stderr); goto done; }
    syn_objective_default_x(fit, x);
    syn_status st = syn_objective_residuals(obj, x, r, NULL, &prob.f_const, &err);
    free(r);
    if (st != SYN_OK) {
      fprintf(stderr, "synovia fit: error: %s: %s\n", path, err.message);
      goto done;
    }
  }
  syn_optim_settings s;
  syn_optim_settings_default(&s);
  double fbest = INFINITY;
  size_t kbest = 0;
  printf("%s: %zu starts, optimizer %s, design %s, seed %llu\n", syn_fit_path(fit), nstarts,
         syn_optim_type_name(t), syn_fit_start_design(fit), (unsigned long long)seed);
  printf("%-6s %-20s %-12s %-12s %s\n", "start", "objective", "iterations", "evaluations",
         "status");
  for (size_t k = 0; k < nstarts; k++) {
    if (!o->quiet)
      fprintf(stderr, "\rsynovia fit: start %zu/%zu, best so far %.10g", k + 1, nstarts, fbest);
    syn_optim_result res;
    if (!start_point(fit, syn_fit_start_design(fit), seed, k, lo, hi, x, &err) ||
        syn_optim_minimize(opt, &prob, &s, x, &res, &err) != SYN_OK) {
      printf("%-6zu %-20s %-12s %-12s failed: %s\n", k, "nan", "0", "0", err.message);
      syn_error_clear(&err);
      continue;
    }
    printf("%-6zu %-20.14g %-12zu %-12zu %s\n", k, res.f, res.iterations, res.evaluations,
           res.message);
    /* The returned x is the best point the run found, even when it stopped
     * with a failure (NLopt's lbfgs reports one from rounding at a minimum):
     * its status stays recorded in the table, its point still counts. */
    if (isfinite(res.f) && res.f < fbest) {
      fbest = res.f;
      kbest = k;
      memcpy(best, x, np * sizeof *x);
    }
  }
  if (!o->quiet) fputs("\n", stderr);
  if (!isfinite(fbest)) {
    fprintf(stderr, "synovia fit: error: %s: every start failed (see the table)\n", path);
    goto done;
  }
  printf("best: objective %.14g (start %zu)\n", fbest, kbest);
  printf("%-32s %-6s %-16s %-12s %-12s\n", "parameter", "scale", "value", "lower", "upper");
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    printf("%-32s %-6s %-16.10g %-12g %-12g\n", p->name, scale_name(p->scale),
           syn_objective_unscale(p, best[j]), p->lower, p->upper);
  }
  rc = CLI_OK;
done:
  syn_optim_destroy(opt);
  syn_objective_destroy(obj);
  syn_fit_destroy(fit);
  free(lo);
  free(hi);
  free(x);
  free(best);
  free(names);
  return rc;
}

int cmd_fit(int argc, char **argv) {
  const char *path = NULL;
  const char **at = calloc((size_t)argc + 1, sizeof *at);
  size_t nat = 0;
  int evaluate_flag = 0, rc = CLI_USAGE;
  ms_opts ms = {-1, -1, NULL, 0};
  if (at == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return CLI_FAILED;
  }
  for (int i = 0; i < argc; i++) {
    const char *value = NULL;
    int took;
    if (cli_is_help(argv[i])) {
      fputs(fit_help, stdout);
      rc = CLI_OK;
      goto done;
    }
    if (strcmp(argv[i], "--evaluate") == 0) {
      evaluate_flag = 1;
    } else if (strcmp(argv[i], "-q") == 0) {
      ms.quiet = 1;
    } else if ((took = cli_take_value(argc, argv, &i, "--optimizer", "fit", &value)) != 0) {
      if (took < 0) goto done;
      ms.optimizer = value;
    } else if ((took = cli_take_value(argc, argv, &i, "--starts", "fit", &value)) != 0) {
      if (took < 0) goto done;
      if (!cli_parse_long(value, &ms.starts) || ms.starts < 1) {
        cli_usage_error("fit", "--starts '%s' is not a positive integer (give 1 or more)", value);
        goto done;
      }
    } else if ((took = cli_take_value(argc, argv, &i, "--seed", "fit", &value)) != 0) {
      if (took < 0) goto done;
      if (!cli_parse_long(value, &ms.seed) || ms.seed < 0) {
        cli_usage_error("fit", "--seed '%s' is not a non-negative integer", value);
        goto done;
      }
    } else if ((took = cli_take_value(argc, argv, &i, "--at", "fit", &value)) != 0) {
      if (took < 0) goto done;
      at[nat++] = value;
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      cli_usage_error("fit", "unknown option '%s'", argv[i]);
      goto done;
    } else if (path != NULL) {
      cli_usage_error("fit", "one fit file at a time ('%s' and '%s')", path, argv[i]);
      goto done;
    } else {
      path = argv[i];
    }
  }
  if (path == NULL) {
    cli_usage_error("fit", "no fit file given");
  } else if (!evaluate_flag) {
    rc = multistart(path, &ms);
  } else {
    rc = evaluate(path, at, nat);
  }
done:
  free(at);
  return rc;
}
