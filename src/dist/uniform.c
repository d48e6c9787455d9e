/*
 * uniform.c — the Uniform family on [lower, upper], both finite.
 *
 *   w = upper - lower,
 *   log U(x | lower, upper) = -log w  for lower <= x <= upper;
 *   d/dx = 0,  d/dlower = 1 / w,  d/dupper = -1 / w.
 *
 * The bounds are parameters 0 and 1 (support.lower_param/upper_param), so
 * the model layer gives a free Uniform variable the interval transform.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { UNIFORM_K = 3 }; /* inputs: x, lower, upper */

static const char *const uniform_params[] = {"lower", "upper"};
static const double uniform_defaults[] = {0.0, 1.0};

/* Finite bounds with lower < upper. */
static bool uniform_bounds_ok(double lower, double upper) {
  return isfinite(lower) && isfinite(upper) && lower < upper;
}

static double uniform_lpdf(const DistTensor *in, double adj,
                           double *const *grad) {
  const size_t n = dist_broadcast_len(in, UNIFORM_K);
  if (n == 0)
    return dist_lpdf_empty(in, UNIFORM_K);
  DistArg a[UNIFORM_K];
  dist_args_init(a, in, grad, UNIFORM_K);
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i);
    const double lower = dist_at(&a[1], i), upper = dist_at(&a[2], i);
    if (!uniform_bounds_ok(lower, upper) || !(lower <= x && x <= upper))
      return -INFINITY;
  }
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double width = dist_at(&a[2], i) - dist_at(&a[1], i);
    lp -= log(width);
    dist_grad(&a[1], i, adj, 1.0 / width);
    dist_grad(&a[2], i, adj, -1.0 / width);
  }
  dist_args_flush(a, UNIFORM_K, adj);
  return lp;
}

static bool uniform_random(Rng *rng, const DistTensor *p, double *out,
                           size_t n) {
  if (!dist_random_lens(p, 2, n))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++) {
    const double lower = dist_param(&p[0], i), upper = dist_param(&p[1], i);
    if (!uniform_bounds_ok(lower, upper))
      return false;
    out[i] = gsl_ran_flat(r, lower, upper);
  }
  return true;
}

const DistFamily dist_uniform = {
    .name = "Uniform",
    .nparams = 2,
    .params = uniform_params,
    .defaults = uniform_defaults,
    .support = {SUPPORT_INTERVAL, 0, 1, -INFINITY, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = uniform_lpdf,
    .random = uniform_random,
    .check = NULL,
};
