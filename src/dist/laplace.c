/*
 * laplace.c — the Laplace (double exponential) family: location mu, scale b
 * (both required, as in PyMC).
 *
 *   log L(x | mu, b) = -log 2 - log b - |x - mu| / b;
 *   d/dx = -sign(x - mu) / b,  d/dmu = sign(x - mu) / b,
 *   d/db = (|x - mu| / b - 1) / b,
 * with sign(0) = 0 at the kink x = mu (a subgradient).
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { LAPLACE_K = 3 }; /* inputs: x, mu, b */

static const char *const laplace_params[] = {"mu", "b"};
static const double laplace_defaults[] = {NAN, NAN};

static double laplace_lpdf(const DistTensor *in, double adj,
                           double *const *grad) {
  const size_t n = dist_broadcast_len(in, LAPLACE_K);
  if (n == 0)
    return dist_lpdf_empty(in, LAPLACE_K);
  if (!dist_check(&in[0], dist_finite) || !dist_check(&in[1], dist_finite) ||
      !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[LAPLACE_K];
  dist_args_init(a, in, grad, LAPLACE_K);
  const bool vary = dist_params_vary(a, LAPLACE_K);
  const bool want = dist_args_want(a, LAPLACE_K);
  double inv_b = 1.0 / dist_at(&a[2], 0), log_b = log(dist_at(&a[2], 0));
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (vary) {
      inv_b = 1.0 / dist_at(&a[2], i);
      log_b = log(dist_at(&a[2], i));
    }
    const double d = dist_at(&a[0], i) - dist_at(&a[1], i);
    const double t = fabs(d) * inv_b;
    lp += -log_b - t;
    if (want) {
      const double sign = (d > 0.0) - (d < 0.0);
      dist_grad(&a[0], i, adj, -sign * inv_b);
      dist_grad(&a[1], i, adj, sign * inv_b);
      dist_grad(&a[2], i, adj, (t - 1.0) * inv_b);
    }
  }
  dist_args_flush(a, LAPLACE_K, adj);
  return lp - (double)n * DIST_LOG_2;
}

static bool laplace_random(Rng *rng, const DistTensor *p, double *out,
                           size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_finite) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = dist_param(&p[0], i) + gsl_ran_laplace(r, dist_param(&p[1], i));
  return true;
}

const DistFamily dist_laplace = {
    .name = "Laplace",
    .nparams = 2,
    .params = laplace_params,
    .defaults = laplace_defaults,
    .support = {SUPPORT_REAL, -1, -1, -INFINITY, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = laplace_lpdf,
    .random = laplace_random,
    .check = NULL,
};
