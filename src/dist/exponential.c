/*
 * exponential.c — the Exponential family on x >= 0 with RATE lam (PyMC's
 * parametrisation; the mean is 1 / lam, PyMC's scale= is converted by the
 * model layer).
 *
 *   log Exp(x | lam) = log lam - lam x;  d/dx = -lam,  d/dlam = 1 / lam - x.
 *
 * x = 0 is in the support (density lam there), as in PyMC. GSL's sampler
 * takes the mean, so draws use 1 / lam.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { EXPONENTIAL_K = 2 }; /* inputs: x, lam */

static const char *const exponential_params[] = {"lam"};
static const double exponential_defaults[] = {NAN};

static double exponential_lpdf(const DistTensor *in, double adj,
                               double *const *grad) {
  const size_t n = dist_broadcast_len(in, EXPONENTIAL_K);
  if (n == 0)
    return dist_lpdf_empty(in, EXPONENTIAL_K);
  if (!dist_check(&in[0], dist_nonnegative) ||
      !dist_check(&in[1], dist_positive))
    return -INFINITY;
  DistArg a[EXPONENTIAL_K];
  dist_args_init(a, in, grad, EXPONENTIAL_K);
  const bool vary = dist_params_vary(a, EXPONENTIAL_K);
  const bool want = dist_args_want(a, EXPONENTIAL_K);
  double log_lam = log(dist_at(&a[1], 0));
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i), lam = dist_at(&a[1], i);
    if (vary)
      log_lam = log(lam);
    lp += log_lam - lam * x;
    if (want) {
      dist_grad(&a[0], i, adj, -lam);
      dist_grad(&a[1], i, adj, 1.0 / lam - x);
    }
  }
  dist_args_flush(a, EXPONENTIAL_K, adj);
  return lp;
}

static bool exponential_random(Rng *rng, const DistTensor *p, double *out,
                               size_t n) {
  if (!dist_random_lens(p, 1, n) || !dist_check(&p[0], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = gsl_ran_exponential(r, 1.0 / dist_param(&p[0], i));
  return true;
}

const DistFamily dist_exponential = {
    .name = "Exponential",
    .nparams = 1,
    .params = exponential_params,
    .defaults = exponential_defaults,
    .support = {SUPPORT_POSITIVE, -1, -1, 0.0, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = exponential_lpdf,
    .random = exponential_random,
    .check = NULL,
};
