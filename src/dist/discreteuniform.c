/*
 * discreteuniform.c — the DiscreteUniform family: every integer from lower
 * to upper (both included) equally likely.
 *
 * Parameterisation (PyMC): lower <= upper, both integers.
 *   log p(x | lower, upper) = -log(upper - lower + 1).
 * Both parameters are integers and x is discrete: no partial is ever
 * written (every grad[k] is ignored).
 *
 * Support lower .. upper (bounds: parameters 0 and 1). A non-integer x,
 * lower or upper, lower > upper, or x outside the bounds gives -INFINITY;
 * magnitudes beyond 2^53 are rejected. Elementwise over broadcast inputs.
 * Random: lower + gsl_rng_uniform_int(upper - lower + 1); the number of
 * values must not exceed the generator's range (2^32 for mt19937), else
 * the draw fails as for an invalid parameter.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_rng.h>

#include "common.h"
#include "dist_util.h"
#include "rng.h"

enum { DISCRETEUNIFORM_K = 3 }; /* inputs: x, lower, upper */

/* 2^53: the largest magnitude at which a double holds every integer. */
#define DISCRETEUNIFORM_MAX_INT 9007199254740992.0

static const char *const discreteuniform_params[] = {"lower", "upper"};
static const double discreteuniform_defaults[] = {NAN, NAN};

static bool discreteuniform_int_ok(double v) {
  return fabs(v) <= DISCRETEUNIFORM_MAX_INT && v == floor(v);
}

static double discreteuniform_lpdf(const DistTensor *in, double adj,
                                   double *const *grad) {
  PPL_UNUSED(adj); /* no partials: every input is an integer */
  PPL_UNUSED(grad);
  const size_t n = dist_broadcast_len(in, DISCRETEUNIFORM_K);
  if (n == 0)
    return dist_lpdf_empty(in, DISCRETEUNIFORM_K);
  for (int k = 0; k < DISCRETEUNIFORM_K; k++)
    if (!dist_check(&in[k], discreteuniform_int_ok))
      return -INFINITY;
  DistArg a[DISCRETEUNIFORM_K];
  dist_args_init(a, in, NULL, DISCRETEUNIFORM_K);
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i);
    const double lower = dist_at(&a[1], i), upper = dist_at(&a[2], i);
    if (!(lower <= x && x <= upper))
      return -INFINITY;
    lp -= log(upper - lower + 1.0);
  }
  return lp;
}

static bool discreteuniform_random(Rng *rng, const DistTensor *p, double *out,
                                   size_t n) {
  if (!dist_random_lens(p, 2, n) ||
      !dist_check(&p[0], discreteuniform_int_ok) ||
      !dist_check(&p[1], discreteuniform_int_ok))
    return false;
  gsl_rng *r = rng_gsl(rng);
  const double range = (double)(gsl_rng_max(r) - gsl_rng_min(r));
  for (size_t i = 0; i < n; i++) {
    const double lower = dist_param(&p[0], i), upper = dist_param(&p[1], i);
    if (!(lower <= upper && upper - lower < range))
      return false;
  }
  for (size_t i = 0; i < n; i++) {
    const double lower = dist_param(&p[0], i), upper = dist_param(&p[1], i);
    const unsigned long width = (unsigned long)(upper - lower) + 1;
    out[i] = lower + (double)gsl_rng_uniform_int(r, width);
  }
  return true;
}

const DistFamily dist_discreteuniform = {
    .name = "DiscreteUniform",
    .nparams = 2,
    .params = discreteuniform_params,
    .defaults = discreteuniform_defaults,
    .support = {SUPPORT_NATURAL, 0, 1, -INFINITY, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = discreteuniform_lpdf,
    .random = discreteuniform_random,
    .check = NULL,
};
