/*
 * halfnormal.c — the HalfNormal family: |N(0, sigma)| on x >= 0, sigma a
 * scale (standard deviation of the underlying normal).
 *
 *   log HN(x | sigma) = log sqrt(2 / pi) - log sigma - t^2 / 2,  t = x / sigma;
 *   d/dx = -t / sigma,  d/dsigma = (t^2 - 1) / sigma.
 *
 * The density is twice the normal one on x >= 0; x = 0 is in the support
 * (the density there is finite), x < 0 gives -inf.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { HALFNORMAL_K = 2 }; /* inputs: x, sigma */

static const char *const halfnormal_params[] = {"sigma"};
static const double halfnormal_defaults[] = {1.0};

static double halfnormal_lpdf(const DistTensor *in, double adj,
                              double *const *grad) {
  const size_t n = dist_broadcast_len(in, HALFNORMAL_K);
  if (n == 0)
    return dist_lpdf_empty(in, HALFNORMAL_K);
  if (!dist_check(&in[0], dist_nonnegative) ||
      !dist_check(&in[1], dist_positive))
    return -INFINITY;
  DistArg a[HALFNORMAL_K];
  dist_args_init(a, in, grad, HALFNORMAL_K);
  const bool vary = dist_params_vary(a, HALFNORMAL_K);
  const bool want = dist_args_want(a, HALFNORMAL_K);
  double inv_sigma = 1.0 / dist_at(&a[1], 0);
  double log_sigma = log(dist_at(&a[1], 0));
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (vary) {
      inv_sigma = 1.0 / dist_at(&a[1], i);
      log_sigma = log(dist_at(&a[1], i));
    }
    const double t = dist_at(&a[0], i) * inv_sigma;
    lp += -0.5 * t * t - log_sigma;
    if (want) {
      dist_grad(&a[0], i, adj, -t * inv_sigma);
      dist_grad(&a[1], i, adj, (t * t - 1.0) * inv_sigma);
    }
  }
  dist_args_flush(a, HALFNORMAL_K, adj);
  return lp + (double)n * DIST_HALF_LOG_2_PI;
}

/* |sigma * a standard normal draw|. */
static bool halfnormal_random(Rng *rng, const DistTensor *p, double *out,
                              size_t n) {
  if (!dist_random_lens(p, 1, n) || !dist_check(&p[0], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = fabs(gsl_ran_gaussian_ziggurat(r, dist_param(&p[0], i)));
  return true;
}

const DistFamily dist_halfnormal = {
    .name = "HalfNormal",
    .nparams = 1,
    .params = halfnormal_params,
    .defaults = halfnormal_defaults,
    .support = {SUPPORT_POSITIVE, -1, -1, 0.0, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = halfnormal_lpdf,
    .random = halfnormal_random,
    .check = NULL,
};
