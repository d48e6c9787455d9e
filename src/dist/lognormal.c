/*
 * lognormal.c — the LogNormal family on x > 0: log x ~ Normal(mu, sigma),
 * sigma a standard deviation on the log scale (PyMC's tau is converted by
 * the model layer).
 *
 *   z = (log x - mu) / sigma,
 *   log LN(x | mu, sigma) = -log x - log sigma - log sqrt(2 pi) - z^2 / 2;
 *   d/dx = -(1 + z / sigma) / x,  d/dmu = z / sigma,
 *   d/dsigma = (z^2 - 1) / sigma.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { LOGNORMAL_K = 3 }; /* inputs: x, mu, sigma */

static const char *const lognormal_params[] = {"mu", "sigma"};
static const double lognormal_defaults[] = {0.0, 1.0};

static double lognormal_lpdf(const DistTensor *in, double adj,
                             double *const *grad) {
  const size_t n = dist_broadcast_len(in, LOGNORMAL_K);
  if (n == 0)
    return dist_lpdf_empty(in, LOGNORMAL_K);
  if (!dist_check(&in[0], dist_positive) || !dist_check(&in[1], dist_finite) ||
      !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[LOGNORMAL_K];
  dist_args_init(a, in, grad, LOGNORMAL_K);
  const bool vary = dist_params_vary(a, LOGNORMAL_K);
  const bool want = dist_args_want(a, LOGNORMAL_K);
  double inv_sigma = 1.0 / dist_at(&a[2], 0);
  double log_sigma = log(dist_at(&a[2], 0));
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (vary) {
      inv_sigma = 1.0 / dist_at(&a[2], i);
      log_sigma = log(dist_at(&a[2], i));
    }
    const double x = dist_at(&a[0], i), log_x = log(x);
    const double z = (log_x - dist_at(&a[1], i)) * inv_sigma;
    lp += -log_x - log_sigma - 0.5 * z * z;
    if (want) {
      dist_grad(&a[0], i, adj, -(1.0 + z * inv_sigma) / x);
      dist_grad(&a[1], i, adj, z * inv_sigma);
      dist_grad(&a[2], i, adj, (z * z - 1.0) * inv_sigma);
    }
  }
  dist_args_flush(a, LOGNORMAL_K, adj);
  return lp - (double)n * DIST_HALF_LOG_2PI;
}

static bool lognormal_random(Rng *rng, const DistTensor *p, double *out,
                             size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_finite) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = dist_clamp_positive(
        gsl_ran_lognormal(r, dist_param(&p[0], i), dist_param(&p[1], i)));
  return true;
}

const DistFamily dist_lognormal = {
    .name = "LogNormal",
    .nparams = 2,
    .params = lognormal_params,
    .defaults = lognormal_defaults,
    .support = {SUPPORT_POSITIVE, -1, -1, 0.0, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = lognormal_lpdf,
    .random = lognormal_random,
    .check = NULL,
};
