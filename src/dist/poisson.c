/*
 * poisson.c — the Poisson family over counts 0, 1, 2, ...
 *
 * Parameterisation (PyMC): mu > 0, the mean (and the variance).
 *   log p(x | mu) = x log mu - mu - log Gamma(x + 1);
 *   d/dmu = x / mu - 1.
 * With a scalar mu, log mu is computed once per call. mu = 0 is rejected
 * like any non-positive mean, although its limit puts all mass on 0: a
 * sampler stepping onto it has left the support anyway.
 *
 * x is discrete: its partial is never written (grad[0] is ignored). A
 * negative or non-integer x, or mu not positive and finite (NaN included),
 * gives -INFINITY; counts above 2^53 are rejected. Elementwise over
 * broadcast inputs (dist.h).
 * Random: gsl_ran_poisson.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "dist_util.h"
#include "rng.h"

enum { POISSON_K = 2 }; /* inputs: x, mu */

/* 2^53: the largest count a double holds with every integer below it. */
#define POISSON_MAX_COUNT 9007199254740992.0

static const char *const poisson_params[] = {"mu"};
static const double poisson_defaults[] = {NAN};

static bool poisson_count_ok(double v) {
  return v >= 0.0 && v <= POISSON_MAX_COUNT && v == floor(v);
}

static double poisson_lpdf(const DistTensor *in, double adj,
                           double *const *grad) {
  const size_t n = dist_broadcast_len(in, POISSON_K);
  if (n == 0)
    return dist_lpdf_empty(in, POISSON_K);
  if (!dist_check(&in[0], poisson_count_ok) ||
      !dist_check(&in[1], dist_positive))
    return -INFINITY;
  DistArg a[POISSON_K];
  dist_args_init(a, in, grad, POISSON_K);
  a[0].g = NULL; /* x is discrete */
  double log_mu = log(dist_at(&a[1], 0)), lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i), mu = dist_at(&a[1], i);
    if (a[1].s)
      log_mu = log(mu);
    lp += x * log_mu - mu - gsl_sf_lngamma(x + 1.0);
    dist_grad(&a[1], i, adj, x / mu - 1.0);
  }
  dist_args_flush(a, POISSON_K, adj);
  return lp;
}

static bool poisson_random(Rng *rng, const DistTensor *p, double *out,
                           size_t n) {
  if (!dist_random_lens(p, 1, n) || !dist_check(&p[0], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = (double)gsl_ran_poisson(r, dist_param(&p[0], i));
  return true;
}

const DistFamily dist_poisson = {
    .name = "Poisson",
    .nparams = 1,
    .params = poisson_params,
    .defaults = poisson_defaults,
    .support = {SUPPORT_NATURAL, -1, -1, 0.0, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = poisson_lpdf,
    .random = poisson_random,
    .check = NULL,
};
