/* synovia fit FILE.fit --evaluate — the objective of a fit at one point: its
 * value, its parts and its gradient (include/synovia/objective.h). The
 * optimisers come later; until then --evaluate is the only mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "synovia/fit.h"
#include "synovia/objective.h"

static const char fit_help[] =
    "usage: synovia fit FILE.fit --evaluate [--at NAME=VALUE]...\n"
    "\n"
    "Evaluate a fit's objective (docs/fitting.md): the negative log-likelihood of\n"
    "its data with PEtab's constant terms, plus the negative log-priors, at the\n"
    "estimated parameters' starts (the middle of their bounds on their scale when\n"
    "they have none), and its exact gradient from the forward sensitivities.\n"
    "Prints the objective, its parts (data, priors), a table of the parameters\n"
    "(name, scale, value, d objective / d scaled value) and whether the fit has\n"
    "a residual form for least-squares methods. Estimating the parameters (the\n"
    "optimisers, multistart) is not in this release: --evaluate is required.\n"
    "\n"
    "options:\n"
    "  --evaluate        evaluate the objective and its gradient at one point\n"
    "  --at NAME=VALUE   a parameter's value (linear scale, in the unit of its\n"
    "                    bounds; NAME as the table prints it, 'w_p[control]' for\n"
    "                    a per-arm copy); repeatable\n"
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

int cmd_fit(int argc, char **argv) {
  const char *path = NULL;
  const char **at = calloc((size_t)argc + 1, sizeof *at);
  size_t nat = 0;
  int evaluate_flag = 0, rc = CLI_USAGE;
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
    cli_usage_error("fit", "estimating parameters is not in this release: give --evaluate to "
                    "evaluate the objective and its gradient");
  } else {
    rc = evaluate(path, at, nat);
  }
done:
  free(at);
  return rc;
}
