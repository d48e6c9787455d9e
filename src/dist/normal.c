/*
 * normal.c — the Normal family: location mu, scale sigma (a standard
 * deviation; PyMC's precision tau = 1 / sigma^2 is converted by the model
 * layer).
 *
 *   log N(x | mu, sigma) = -z^2 / 2 - log sigma - log sqrt(2 pi),
 *   z = (x - mu) / sigma;
 *   d/dx = -z / sigma,  d/dmu = z / sigma,  d/dsigma = (z^2 - 1) / sigma.
 *
 * This lpdf is the hot instruction of every regression model: one call over
 * all observations with x data, mu a vector and sigma a scalar. So the
 * scalar-sigma case has its own loop with 1 / sigma and log sigma hoisted,
 * one partial per element shared by x and mu (d/dx = -d/dmu), and the
 * partials of broadcast inputs summed in locals, as Stan Math's normal_lpdf
 * does. Reference: Carpenter et al. (2015), The Stan Math Library.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { NORMAL_K = 3 }; /* inputs: x, mu, sigma */

static const char *const normal_params[] = {"mu", "sigma"};
static const double normal_defaults[] = {0.0, 1.0};

/* Whether x and mu are finite and sigma is positive and finite. */
static bool normal_valid(const DistTensor *in) {
  return dist_check(&in[0], dist_finite) && dist_check(&in[1], dist_finite) &&
         dist_check(&in[2], dist_positive);
}

/* The sum over n elements when sigma is a scalar. */
static double normal_lpdf_scalar_sigma(const DistTensor *in, size_t n,
                                       double adj, double *const *grad) {
  const double *x = in[0].data, *mu = in[1].data;
  const size_t sx = dist_stride(&in[0]), smu = dist_stride(&in[1]);
  const double sigma = in[2].data[0], inv_sigma = 1.0 / sigma;
  double *gx = grad ? grad[0] : NULL;
  double *gmu = grad ? grad[1] : NULL;
  double *gsigma = grad ? grad[2] : NULL;
  double *gx_each = sx ? gx : NULL, *gmu_each = smu ? gmu : NULL;
  double sum_z2 = 0.0, sum_z = 0.0;

  if (gx_each || gmu_each) {
    const double c = adj * inv_sigma;
    for (size_t i = 0; i < n; i++) {
      const double z = (x[i * sx] - mu[i * smu]) * inv_sigma;
      sum_z2 += z * z;
      sum_z += z;
      if (gx_each)
        gx_each[i] -= c * z;
      if (gmu_each)
        gmu_each[i] += c * z;
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      const double z = (x[i * sx] - mu[i * smu]) * inv_sigma;
      sum_z2 += z * z;
      sum_z += z;
    }
  }
  if (gx && !sx)
    gx[0] -= adj * sum_z * inv_sigma;
  if (gmu && !smu)
    gmu[0] += adj * sum_z * inv_sigma;
  if (gsigma)
    gsigma[0] += adj * (sum_z2 - (double)n) * inv_sigma;
  return -0.5 * sum_z2 - (double)n * (log(sigma) + DIST_HALF_LOG_2PI);
}

/* The sum over n elements when sigma has one value per element. */
static double normal_lpdf_vector_sigma(const DistTensor *in, size_t n,
                                       double adj, double *const *grad) {
  DistArg a[NORMAL_K];
  dist_args_init(a, in, grad, NORMAL_K);
  const bool want = dist_args_want(a, NORMAL_K);
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double sigma = dist_at(&a[2], i), inv_sigma = 1.0 / sigma;
    const double z = (dist_at(&a[0], i) - dist_at(&a[1], i)) * inv_sigma;
    lp += -0.5 * z * z - log(sigma);
    if (want) {
      dist_grad(&a[0], i, adj, -z * inv_sigma);
      dist_grad(&a[1], i, adj, z * inv_sigma);
      dist_grad(&a[2], i, adj, (z * z - 1.0) * inv_sigma);
    }
  }
  dist_args_flush(a, NORMAL_K, adj);
  return lp - (double)n * DIST_HALF_LOG_2PI;
}

static double normal_lpdf(const DistTensor *in, double adj,
                          double *const *grad) {
  const size_t n = dist_broadcast_len(in, NORMAL_K);
  if (n == 0)
    return dist_lpdf_empty(in, NORMAL_K);
  if (!normal_valid(in))
    return -INFINITY;
  if (in[2].len == 1)
    return normal_lpdf_scalar_sigma(in, n, adj, grad);
  return normal_lpdf_vector_sigma(in, n, adj, grad);
}

/* mu + sigma * a standard normal draw (GSL's ziggurat). */
static bool normal_random(Rng *rng, const DistTensor *p, double *out,
                          size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_finite) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = dist_param(&p[0], i) +
             gsl_ran_gaussian_ziggurat(r, dist_param(&p[1], i));
  return true;
}

const DistFamily dist_normal = {
    .name = "Normal",
    .nparams = 2,
    .params = normal_params,
    .defaults = normal_defaults,
    .support = {SUPPORT_REAL, -1, -1, -INFINITY, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = normal_lpdf,
    .random = normal_random,
    .check = NULL,
};
