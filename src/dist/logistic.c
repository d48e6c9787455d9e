/*
 * logistic.c — the Logistic family: location mu, scale s (defaults 0 and
 * 1, as in PyMC).
 *
 *   z = (x - mu) / s,  log Lg(x | mu, s) = -|z| - log s - 2 log(1 + e^-|z|)
 * (the density is symmetric in z; this form never overflows);
 *   d/dx = -tanh(z / 2) / s,  d/dmu = tanh(z / 2) / s,
 *   d/ds = (z tanh(z / 2) - 1) / s.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { LOGISTIC_K = 3 }; /* inputs: x, mu, s */

static const char *const logistic_params[] = {"mu", "s"};
static const double logistic_defaults[] = {0.0, 1.0};

static double logistic_lpdf(const DistTensor *in, double adj,
                            double *const *grad) {
  const size_t n = dist_broadcast_len(in, LOGISTIC_K);
  if (n == 0)
    return dist_lpdf_empty(in, LOGISTIC_K);
  if (!dist_check(&in[0], dist_finite) || !dist_check(&in[1], dist_finite) ||
      !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[LOGISTIC_K];
  dist_args_init(a, in, grad, LOGISTIC_K);
  const bool vary = dist_params_vary(a, LOGISTIC_K);
  const bool want = dist_args_want(a, LOGISTIC_K);
  double inv_s = 1.0 / dist_at(&a[2], 0), log_s = log(dist_at(&a[2], 0));
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (vary) {
      inv_s = 1.0 / dist_at(&a[2], i);
      log_s = log(dist_at(&a[2], i));
    }
    const double z = (dist_at(&a[0], i) - dist_at(&a[1], i)) * inv_s;
    const double az = fabs(z);
    lp += -az - log_s - 2.0 * log1p(exp(-az));
    if (want) {
      const double th = tanh(0.5 * z);
      dist_grad(&a[0], i, adj, -th * inv_s);
      dist_grad(&a[1], i, adj, th * inv_s);
      dist_grad(&a[2], i, adj, (z * th - 1.0) * inv_s);
    }
  }
  dist_args_flush(a, LOGISTIC_K, adj);
  return lp;
}

static bool logistic_random(Rng *rng, const DistTensor *p, double *out,
                            size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_finite) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = dist_param(&p[0], i) + gsl_ran_logistic(r, dist_param(&p[1], i));
  return true;
}

const DistFamily dist_logistic = {
    .name = "Logistic",
    .nparams = 2,
    .params = logistic_params,
    .defaults = logistic_defaults,
    .support = {SUPPORT_REAL, -1, -1, -INFINITY, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = logistic_lpdf,
    .random = logistic_random,
    .check = NULL,
};
