/*
 * poisson.c — the Poisson distribution over counts 0, 1, 2, ...
 *
 * Parameterisation (PyMC): mu > 0, the mean (and the variance).
 *   log p(x | mu) = x log mu - mu - log Gamma(x + 1)
 *   d/dmu         = x / mu - 1
 * mu = 0 is rejected like any non-positive mean, although its limit puts
 * all mass on 0: a sampler stepping onto it has left the support anyway.
 *
 * x is discrete: its partial is never written (grad[0] is ignored). A
 * negative or non-integer x, mu <= 0 or not finite (NaN included) gives
 * -INFINITY; counts above 2^53 are rejected. Elementwise over broadcast
 * inputs (dist.h).
 * Random: gsl_ran_poisson (Knuth's multiplication method below mu = 10,
 * a gamma/binomial reduction above).
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>

#include "rng.h"

/* 2^53: the largest count a double holds with every integer below it. */
#define MAX_COUNT 9007199254740992.0

static const char *const params[] = {"mu"};
static const double defaults[] = {NAN};

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

static bool is_rate(double mu) { return mu > 0.0 && isfinite(mu); }

static double lpdf(const DistTensor *in, double adj, double *const *grad) {
  size_t n;
  if (!call_len(in, 2, &n))
    return -INFINITY;
  const DistTensor *x = &in[0], *mu = &in[1];
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double xi = at(x, i), mi = at(mu, i);
    if (!is_count(xi) || !is_rate(mi))
      return -INFINITY;
    lp += (xi > 0.0 ? xi * log(mi) : 0.0) - mi - gsl_sf_lngamma(xi + 1.0);
  }
  if (!(lp > -INFINITY))
    return -INFINITY;
  if (!grad || !grad[1])
    return lp;
  for (size_t i = 0; i < n; i++)
    grad[1][mu->len == 1 ? 0 : i] += adj * (at(x, i) / at(mu, i) - 1.0);
  return lp;
}

static bool draw(Rng *rng, const DistTensor *prm, double *out,
                 size_t out_len) {
  const DistTensor *mu = &prm[0];
  if (mu->len != 1 && mu->len != out_len)
    return false;
  for (size_t i = 0; i < mu->len; i++)
    if (!is_rate(mu->data[i]))
      return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < out_len; i++)
    out[i] = (double)gsl_ran_poisson(r, at(mu, i));
  return true;
}

const DistFamily dist_poisson = {
    .name = "Poisson",
    .nparams = 1,
    .params = params,
    .defaults = defaults,
    .support = {SUPPORT_NATURAL, -1, -1, 0.0, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = lpdf,
    .random = draw,
    .check = NULL,
};
