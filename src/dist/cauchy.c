/*
 * cauchy.c — the Cauchy family: location alpha, scale beta (PyMC's names;
 * both required).
 *
 *   z = (x - alpha) / beta,  log C(x) = -log pi - log beta - log(1 + z^2);
 *   d/dx = -2 z / (beta (1 + z^2)),  d/dalpha = -d/dx,
 *   d/dbeta = (1 - 2 / (1 + z^2)) / beta,
 * written so that no z^2 / z^2 appears (|x| up to DBL_MAX stays finite).
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { CAUCHY_K = 3 }; /* inputs: x, alpha, beta */

static const char *const cauchy_params[] = {"alpha", "beta"};
static const double cauchy_defaults[] = {NAN, NAN};

static double cauchy_lpdf(const DistTensor *in, double adj,
                          double *const *grad) {
  const size_t n = dist_broadcast_len(in, CAUCHY_K);
  if (n == 0)
    return dist_lpdf_empty(in, CAUCHY_K);
  if (!dist_check(&in[0], dist_finite) || !dist_check(&in[1], dist_finite) ||
      !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[CAUCHY_K];
  dist_args_init(a, in, grad, CAUCHY_K);
  const bool vary = dist_params_vary(a, CAUCHY_K);
  const bool want = dist_args_want(a, CAUCHY_K);
  double inv_beta = 1.0 / dist_at(&a[2], 0);
  double log_beta = log(dist_at(&a[2], 0));
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (vary) {
      inv_beta = 1.0 / dist_at(&a[2], i);
      log_beta = log(dist_at(&a[2], i));
    }
    const double z = (dist_at(&a[0], i) - dist_at(&a[1], i)) * inv_beta;
    lp += -log_beta - dist_log1p_sq(z);
    if (want) {
      const double inv_1pz2 = 1.0 / (1.0 + z * z);
      const double dz = -2.0 * z * inv_1pz2 * inv_beta;
      dist_grad(&a[0], i, adj, dz);
      dist_grad(&a[1], i, adj, -dz);
      dist_grad(&a[2], i, adj, (1.0 - 2.0 * inv_1pz2) * inv_beta);
    }
  }
  dist_args_flush(a, CAUCHY_K, adj);
  return lp - (double)n * DIST_LOG_PI;
}

static bool cauchy_random(Rng *rng, const DistTensor *p, double *out,
                          size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_finite) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = dist_param(&p[0], i) + gsl_ran_cauchy(r, dist_param(&p[1], i));
  return true;
}

const DistFamily dist_cauchy = {
    .name = "Cauchy",
    .nparams = 2,
    .params = cauchy_params,
    .defaults = cauchy_defaults,
    .support = {SUPPORT_REAL, -1, -1, -INFINITY, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = cauchy_lpdf,
    .random = cauchy_random,
    .check = NULL,
};
