/*
 * negativebinomial.c — the NegativeBinomial family in PyMC's mean /
 * overdispersion form: a Poisson count whose mean is Gamma distributed.
 *
 * Parameterisation (PyMC): mu > 0 the mean, alpha > 0 the overdispersion;
 * the variance is mu + mu^2 / alpha (alpha -> inf tends to Poisson(mu)).
 * In GSL's (p, n) form: n = alpha, p = alpha / (mu + alpha).
 *   log p(x | mu, alpha) = log Gamma(x + alpha) - log Gamma(alpha)
 *                          - log Gamma(x + 1)
 *                          + alpha log(alpha / (mu + alpha))
 *                          + x log(mu / (mu + alpha));
 *   d/dmu    = x / mu - (x + alpha) / (mu + alpha),
 *   d/dalpha = psi(x + alpha) - psi(alpha) + log(alpha / (mu + alpha))
 *              + (mu - x) / (mu + alpha).
 * The logarithms are taken as -log1p(mu / alpha) and -log1p(alpha / mu),
 * and log Gamma(x + alpha) - log Gamma(alpha) by Stirling's series when
 * alpha is large, so the mass stays accurate near the Poisson limit, where
 * the two log Gammas would cancel to nothing (GSL's lnpoch does not avoid
 * that). With scalar mu and alpha, the terms of the parameters
 * alone are computed once per call.
 *
 * x is discrete: its partial is never written (grad[0] is ignored). A
 * negative or non-integer x, or mu or alpha not positive and finite (NaN
 * included), gives -INFINITY; counts above 2^53 are rejected. Elementwise
 * over broadcast inputs (dist.h).
 * Random: the gamma-Poisson mixture, lambda ~ Gamma(shape alpha, scale
 * mu / alpha) by gsl_ran_gamma, then x ~ Poisson(lambda) by gsl_ran_poisson.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "dist_util.h"
#include "rng.h"

enum { NEGATIVEBINOMIAL_K = 3 }; /* inputs: x, mu, alpha */

/* 2^53: the largest count a double holds with every integer below it. */
#define NEGATIVEBINOMIAL_MAX_COUNT 9007199254740992.0

static const char *const negativebinomial_params[] = {"mu", "alpha"};
static const double negativebinomial_defaults[] = {NAN, NAN};

static bool negativebinomial_count_ok(double v) {
  return v >= 0.0 && v <= NEGATIVEBINOMIAL_MAX_COUNT && v == floor(v);
}

/* Below this a, log Gamma(a + x) - log Gamma(a) is taken directly: the
 * cancellation costs about 1e-16 * a log a, under 1e-12 here. Above it,
 * Stirling's series (Abramowitz & Stegun 6.1.41) to z^-7 is exact to
 * double precision. */
#define NEGATIVEBINOMIAL_STIRLING_MIN 1e3

/* Stirling's correction log Gamma(z) - [(z - 1/2) log z - z + log(2 pi)/2]
 * for z >= NEGATIVEBINOMIAL_STIRLING_MIN. */
static double negativebinomial_stirling_corr(double z) {
  const double r = 1.0 / z, r2 = r * r;
  return r *
         (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 / 1680.0)));
}

/* log Gamma(a + x) - log Gamma(a) for a > 0, x >= 0, without the
 * cancellation of the two log Gammas when a is large (GSL's lnpoch takes
 * the plain difference there). */
static double negativebinomial_log_rising(double a, double x) {
  if (x == 0.0)
    return 0.0;
  if (a < NEGATIVEBINOMIAL_STIRLING_MIN)
    return gsl_sf_lngamma(a + x) - gsl_sf_lngamma(a);
  return x * log(a) + (a + x - 0.5) * log1p(x / a) - x +
         negativebinomial_stirling_corr(a + x) -
         negativebinomial_stirling_corr(a);
}

/* Terms of mu and alpha only. */
typedef struct NegBinTerms {
  double psi_a;   /* psi(alpha), when the alpha partial is wanted */
  double log_p;   /* log(alpha / (mu + alpha)) */
  double log_q;   /* log(mu / (mu + alpha)) */
  double inv_sum; /* 1 / (mu + alpha) */
} NegBinTerms;

static void negativebinomial_terms(NegBinTerms *c, double mu, double al,
                                   bool digamma) {
  c->psi_a = digamma ? gsl_sf_psi(al) : 0.0;
  c->log_p = -log1p(mu / al);
  c->log_q = -log1p(al / mu);
  c->inv_sum = 1.0 / (mu + al);
}

static double negativebinomial_lpdf(const DistTensor *in, double adj,
                                    double *const *grad) {
  const size_t n = dist_broadcast_len(in, NEGATIVEBINOMIAL_K);
  if (n == 0)
    return dist_lpdf_empty(in, NEGATIVEBINOMIAL_K);
  if (!dist_check(&in[0], negativebinomial_count_ok) ||
      !dist_check(&in[1], dist_positive) || !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[NEGATIVEBINOMIAL_K];
  dist_args_init(a, in, grad, NEGATIVEBINOMIAL_K);
  a[0].g = NULL; /* x is discrete */
  const bool vary = dist_params_vary(a, NEGATIVEBINOMIAL_K);
  NegBinTerms c;
  negativebinomial_terms(&c, dist_at(&a[1], 0), dist_at(&a[2], 0),
                         a[2].g != NULL);
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i);
    const double mu = dist_at(&a[1], i), al = dist_at(&a[2], i);
    if (vary)
      negativebinomial_terms(&c, mu, al, a[2].g != NULL);
    lp += negativebinomial_log_rising(al, x) - gsl_sf_lngamma(x + 1.0) +
          al * c.log_p + (x > 0.0 ? x * c.log_q : 0.0);
    dist_grad(&a[1], i, adj, x / mu - (x + al) * c.inv_sum);
    if (a[2].g)
      dist_grad(&a[2], i, adj,
                gsl_sf_psi(x + al) - c.psi_a + c.log_p + (mu - x) * c.inv_sum);
  }
  dist_args_flush(a, NEGATIVEBINOMIAL_K, adj);
  return isnan(lp) ? -INFINITY : lp;
}

static bool negativebinomial_random(Rng *rng, const DistTensor *p, double *out,
                                    size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_positive) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++) {
    const double mu = dist_param(&p[0], i), al = dist_param(&p[1], i);
    out[i] = (double)gsl_ran_poisson(r, gsl_ran_gamma(r, al, mu / al));
  }
  return true;
}

const DistFamily dist_negativebinomial = {
    .name = "NegativeBinomial",
    .nparams = 2,
    .params = negativebinomial_params,
    .defaults = negativebinomial_defaults,
    .support = {SUPPORT_NATURAL, -1, -1, 0.0, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = negativebinomial_lpdf,
    .random = negativebinomial_random,
    .check = NULL,
};
