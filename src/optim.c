/*
 * optim.c — MAP estimation: GSL's vector_bfgs2 (Fletcher's BFGS with a
 * More-Thuente-like line search) minimising -log p.
 *
 * GSL's fdf interface asks for f and df separately or together; every call
 * evaluates the log density and its gradient once (the gradient is almost
 * free next to the value on the tape). An infinite -log p during a line
 * search is reported to GSL as a huge value so the search backs off.
 *
 * Reference: Nocedal & Wright (2006), Numerical Optimization, ch. 6; GSL
 * manual, "Multidimensional Minimization".
 */
#include <config.h>
#include "optim.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdlib.h>

#include "common.h"

/* What GSL sees instead of +inf: large enough to reject any step. */
#define OPTIM_BIG 1e300
/* First trial step of the line search, and its tolerance (GSL's advice). */
#define OPTIM_STEP 1e-2
#define OPTIM_LINE_TOL 1e-1

typedef struct Ctx {
  const LogDensity *d;
  double *grad;
} Ctx;

static double neg_logp(const gsl_vector *x, void *params, gsl_vector *g) {
  Ctx *c = params;
  double lp = c->d->fn(c->d->ctx, x->data, g ? c->grad : NULL);
  if (!isfinite(lp)) {
    if (g)
      gsl_vector_set_zero(g);
    return OPTIM_BIG;
  }
  if (g)
    for (size_t i = 0; i < c->d->dim; i++)
      gsl_vector_set(g, i, -c->grad[i]);
  return -lp;
}

static double f_only(const gsl_vector *x, void *params) {
  return neg_logp(x, params, NULL);
}

static void df_only(const gsl_vector *x, void *params, gsl_vector *g) {
  neg_logp(x, params, g);
}

static void fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g) {
  *f = neg_logp(x, params, g);
}

bool optim_maximize(const LogDensity *d, double *theta,
                    const OptimOptions *opt, OptimResult *r) {
  size_t n = d->dim;
  int max_iter = opt && opt->max_iter > 0 ? opt->max_iter : OPTIM_MAX_ITER;
  double gtol = opt && opt->gtol > 0 ? opt->gtol : OPTIM_GTOL;
  r->iterations = 0;
  r->converged = false;
  double *grad = malloc((n + 1) * sizeof(double));
  if (!grad)
    PANIC("out of memory");
  r->lp = d->fn(d->ctx, theta, grad);
  if (!isfinite(r->lp)) {
    r->message = "the log density is -inf at the starting point";
    free(grad);
    return false;
  }
  if (n == 0) {
    r->converged = true;
    r->message = "nothing to optimise: the model has no free variables";
    free(grad);
    return true;
  }
  Ctx c = {d, grad};
  gsl_multimin_function_fdf fn = {f_only, df_only, fdf, n, &c};
  gsl_vector_view x0 = gsl_vector_view_array(theta, n);
  gsl_multimin_fdfminimizer *s =
      gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, n);
  gsl_multimin_fdfminimizer_set(s, &fn, &x0.vector, OPTIM_STEP,
                                OPTIM_LINE_TOL);
  int status = GSL_CONTINUE;
  r->message = "the iteration limit was reached";
  while (r->iterations < max_iter) {
    r->iterations++;
    status = gsl_multimin_fdfminimizer_iterate(s);
    if (status == GSL_ENOPROG) {
      /* No downhill step: converged to rounding precision, or stuck. */
      r->converged = gsl_multimin_test_gradient(s->gradient, gtol * 1e3) ==
                     GSL_SUCCESS;
      r->message = r->converged ? "converged (no further progress possible)"
                                : "the line search made no progress";
      break;
    }
    if (status != GSL_SUCCESS) {
      r->message = gsl_strerror(status);
      break;
    }
    if (gsl_multimin_test_gradient(s->gradient, gtol) == GSL_SUCCESS) {
      r->converged = true;
      r->message = "converged";
      break;
    }
  }
  for (size_t i = 0; i < n; i++)
    theta[i] = gsl_vector_get(s->x, i);
  r->lp = -s->f;
  gsl_multimin_fdfminimizer_free(s);
  free(grad);
  return true;
}
