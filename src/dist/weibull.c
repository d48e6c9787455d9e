/*
 * weibull.c — the Weibull family on x > 0: SHAPE alpha, SCALE beta (PyMC's
 * names; both required).
 *
 *   t = x / beta,  w = t^alpha,
 *   log W(x | alpha, beta) = log alpha - log beta + (alpha - 1) log t - w;
 *   d/dx = (alpha - 1 - alpha w) / x,  d/dalpha = 1 / alpha + (1 - w) log t,
 *   d/dbeta = alpha (w - 1) / beta.
 * log t is taken as log x - log beta so that x / beta cannot overflow. GSL's
 * gsl_ran_weibull(r, a, b) has a the scale and b the shape.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { WEIBULL_K = 3 }; /* inputs: x, alpha, beta */

static const char *const weibull_params[] = {"alpha", "beta"};
static const double weibull_defaults[] = {NAN, NAN};

static double weibull_lpdf(const DistTensor *in, double adj,
                           double *const *grad) {
  const size_t n = dist_broadcast_len(in, WEIBULL_K);
  if (n == 0)
    return dist_lpdf_empty(in, WEIBULL_K);
  if (!dist_check(&in[0], dist_positive) ||
      !dist_check(&in[1], dist_positive) || !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[WEIBULL_K];
  dist_args_init(a, in, grad, WEIBULL_K);
  const bool vary = dist_params_vary(a, WEIBULL_K);
  const bool want = dist_args_want(a, WEIBULL_K);
  double log_alpha = log(dist_at(&a[1], 0)), log_beta = log(dist_at(&a[2], 0));
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i);
    const double al = dist_at(&a[1], i), be = dist_at(&a[2], i);
    if (vary) {
      log_alpha = log(al);
      log_beta = log(be);
    }
    const double log_t = log(x) - log_beta, w = exp(al * log_t);
    lp += log_alpha - log_beta + (al - 1.0) * log_t - w;
    if (want) {
      dist_grad(&a[0], i, adj, (al - 1.0 - al * w) / x);
      dist_grad(&a[1], i, adj, 1.0 / al + (1.0 - w) * log_t);
      dist_grad(&a[2], i, adj, al * (w - 1.0) / be);
    }
  }
  dist_args_flush(a, WEIBULL_K, adj);
  return lp;
}

static bool weibull_random(Rng *rng, const DistTensor *p, double *out,
                           size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_positive) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = dist_clamp_positive(
        gsl_ran_weibull(r, dist_param(&p[1], i), dist_param(&p[0], i)));
  return true;
}

const DistFamily dist_weibull = {
    .name = "Weibull",
    .nparams = 2,
    .params = weibull_params,
    .defaults = weibull_defaults,
    .support = {SUPPORT_POSITIVE, -1, -1, 0.0, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = weibull_lpdf,
    .random = weibull_random,
    .check = NULL,
};
