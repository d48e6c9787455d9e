/*
 * negativebinomial.c — the negative binomial distribution in PyMC's mean /
 * overdispersion form: a Poisson count whose mean is Gamma distributed.
 *
 * Parameterisation (PyMC): mu > 0 the mean, alpha > 0 the overdispersion;
 * the variance is mu + mu^2 / alpha (alpha -> inf tends to Poisson(mu)).
 * In GSL's (p, n) form: n = alpha, p = alpha / (mu + alpha).
 *   log p(x | mu, alpha) = log Gamma(x + alpha) - log Gamma(alpha)
 *                          - log Gamma(x + 1)
 *                          + alpha log(alpha / (mu + alpha))
 *                          + x log(mu / (mu + alpha))
 *   d/dmu    = x / mu - (x + alpha) / (mu + alpha)
 *   d/dalpha = psi(x + alpha) - psi(alpha) + log(alpha / (mu + alpha))
 *              + (mu - x) / (mu + alpha)
 * The two logarithms are computed as -log1p(mu / alpha) and
 * -log1p(alpha / mu), accurate when alpha is much larger than mu.
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
#include <math.h>

#include "rng.h"

/* 2^53: the largest count a double holds with every integer below it. */
#define MAX_COUNT 9007199254740992.0

static const char *const params[] = {"mu", "alpha"};
static const double defaults[] = {NAN, NAN};

/* Element i of a broadcast input (length 1 or n). */
static inline double at(const DistTensor *t, size_t i) {
  return t->data[t->len == 1 ? 0 : i];
}

/* Whether the nin inputs broadcast: sets *n to the element count. */
static bool call_len(const DistTensor *in, int nin, size_t *n) {
  *n = dist_broadcast_len(in, nin);
  for (int k = 0; k < nin; k++)
    if (in[k].len != 1 && in[k].len != *n)
      return false;
  return true;
}

static bool is_count(double v) {
  return v >= 0.0 && v <= MAX_COUNT && v == floor(v);
}

static bool is_positive(double v) { return v > 0.0 && isfinite(v); }

/* One element's log mass; the parameters are valid. */
static double lpmf1(double x, double mu, double alpha) {
  double lp = gsl_sf_lngamma(x + alpha) - gsl_sf_lngamma(alpha) -
              gsl_sf_lngamma(x + 1.0) - alpha * log1p(mu / alpha);
  if (x > 0.0)
    lp -= x * log1p(alpha / mu);
  return lp;
}

static double lpdf(const DistTensor *in, double adj, double *const *grad) {
  size_t n;
  if (!call_len(in, 3, &n))
    return -INFINITY;
  const DistTensor *x = &in[0], *mu = &in[1], *alpha = &in[2];
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double xi = at(x, i), mi = at(mu, i), ai = at(alpha, i);
    if (!is_count(xi) || !is_positive(mi) || !is_positive(ai))
      return -INFINITY;
    lp += lpmf1(xi, mi, ai);
  }
  if (!(lp > -INFINITY))
    return -INFINITY;
  if (!grad || (!grad[1] && !grad[2]))
    return lp;
  for (size_t i = 0; i < n; i++) {
    const double xi = at(x, i), mi = at(mu, i), ai = at(alpha, i);
    if (grad[1])
      grad[1][mu->len == 1 ? 0 : i] += adj * (xi / mi - (xi + ai) / (mi + ai));
    if (grad[2])
      grad[2][alpha->len == 1 ? 0 : i] +=
          adj * (gsl_sf_psi(xi + ai) - gsl_sf_psi(ai) - log1p(mi / ai) +
                 (mi - xi) / (mi + ai));
  }
  return lp;
}

static bool draw(Rng *rng, const DistTensor *prm, double *out,
                 size_t out_len) {
  for (int k = 0; k < 2; k++) {
    if (prm[k].len != 1 && prm[k].len != out_len)
      return false;
    for (size_t i = 0; i < prm[k].len; i++)
      if (!is_positive(prm[k].data[i]))
        return false;
  }
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < out_len; i++) {
    const double mi = at(&prm[0], i), ai = at(&prm[1], i);
    const double lambda = gsl_ran_gamma(r, ai, mi / ai);
    out[i] = (double)gsl_ran_poisson(r, lambda);
  }
  return true;
}

const DistFamily dist_negativebinomial = {
    .name = "NegativeBinomial",
    .nparams = 2,
    .params = params,
    .defaults = defaults,
    .support = {SUPPORT_NATURAL, -1, -1, 0.0, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = lpdf,
    .random = draw,
    .check = NULL,
};
