/*
 * halfcauchy.c — the HalfCauchy family: |Cauchy(0, beta)| on x >= 0, beta a
 * scale (required, as in PyMC).
 *
 *   z = x / beta,  log HC(x) = log 2 - log pi - log beta - log(1 + z^2);
 *   d/dx = -2 z / (beta (1 + z^2)),  d/dbeta = (1 - 2 / (1 + z^2)) / beta.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { HALFCAUCHY_K = 2 }; /* inputs: x, beta */

static const char *const halfcauchy_params[] = {"beta"};
static const double halfcauchy_defaults[] = {NAN};

static double halfcauchy_lpdf(const DistTensor *in, double adj,
                              double *const *grad) {
  const size_t n = dist_broadcast_len(in, HALFCAUCHY_K);
  if (n == 0)
    return dist_lpdf_empty(in, HALFCAUCHY_K);
  if (!dist_check(&in[0], dist_nonnegative) ||
      !dist_check(&in[1], dist_positive))
    return -INFINITY;
  DistArg a[HALFCAUCHY_K];
  dist_args_init(a, in, grad, HALFCAUCHY_K);
  const bool vary = dist_params_vary(a, HALFCAUCHY_K);
  const bool want = dist_args_want(a, HALFCAUCHY_K);
  double inv_beta = 1.0 / dist_at(&a[1], 0);
  double log_beta = log(dist_at(&a[1], 0));
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (vary) {
      inv_beta = 1.0 / dist_at(&a[1], i);
      log_beta = log(dist_at(&a[1], i));
    }
    const double z = dist_at(&a[0], i) * inv_beta;
    lp += -log_beta - dist_log1p_sq(z);
    if (want) {
      const double inv_1pz2 = 1.0 / (1.0 + z * z);
      dist_grad(&a[0], i, adj, -2.0 * z * inv_1pz2 * inv_beta);
      dist_grad(&a[1], i, adj, (1.0 - 2.0 * inv_1pz2) * inv_beta);
    }
  }
  dist_args_flush(a, HALFCAUCHY_K, adj);
  return lp + (double)n * (DIST_LOG_2 - DIST_LOG_PI);
}

static bool halfcauchy_random(Rng *rng, const DistTensor *p, double *out,
                              size_t n) {
  if (!dist_random_lens(p, 1, n) || !dist_check(&p[0], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = fabs(gsl_ran_cauchy(r, dist_param(&p[0], i)));
  return true;
}

const DistFamily dist_halfcauchy = {
    .name = "HalfCauchy",
    .nparams = 1,
    .params = halfcauchy_params,
    .defaults = halfcauchy_defaults,
    .support = {SUPPORT_POSITIVE, -1, -1, 0.0, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = halfcauchy_lpdf,
    .random = halfcauchy_random,
    .check = NULL,
};
