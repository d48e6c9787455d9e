/*
 * betabinomial.c — the beta-binomial distribution: a binomial count whose
 * success probability is itself Beta(alpha, beta).
 *
 * Parameterisation (PyMC): alpha > 0, beta > 0, n a non-negative integer.
 *   log p(x | alpha, beta, n) = log C(n, x) + log B(x + alpha, n - x + beta)
 *                               - log B(alpha, beta)
 *   d/dalpha = psi(x + alpha) - psi(n + alpha + beta)
 *              - psi(alpha) + psi(alpha + beta)
 *   d/dbeta  = psi(n - x + beta) - psi(n + alpha + beta)
 *              - psi(beta) + psi(alpha + beta)
 * n is an integer parameter and gets no partial; neither does the discrete
 * x (grad[0] and grad[3] are ignored).
 *
 * Support 0 .. n (upper bound: parameter n). A non-integer or out-of-range
 * x or n, or a non-positive alpha or beta (NaN included), gives -INFINITY;
 * counts above 2^53 are rejected. Elementwise over broadcast inputs.
 * Random: p ~ Beta(alpha, beta) by gsl_ran_beta, then gsl_ran_binomial.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <limits.h>
#include <math.h>

#include "rng.h"

/* 2^53: the largest count a double holds with every integer below it. */
#define MAX_COUNT 9007199254740992.0

static const char *const params[] = {"alpha", "beta", "n"};
static const double defaults[] = {NAN, NAN, NAN};

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

/* log C(n, k) for integer counts 0 <= k <= n. */
static double log_choose(double n, double k) {
  if (n <= UINT_MAX)
    return gsl_sf_lnchoose((unsigned)n, (unsigned)k);
  return gsl_sf_lngamma(n + 1.0) - gsl_sf_lngamma(k + 1.0) -
         gsl_sf_lngamma(n - k + 1.0);
}

static double lpdf(const DistTensor *in, double adj, double *const *grad) {
  size_t len;
  if (!call_len(in, 4, &len))
    return -INFINITY;
  const DistTensor *x = &in[0], *a = &in[1], *b = &in[2], *n = &in[3];
  double lp = 0.0;
  for (size_t i = 0; i < len; i++) {
    const double xi = at(x, i), ai = at(a, i), bi = at(b, i), ni = at(n, i);
    if (!is_count(ni) || !is_count(xi) || xi > ni || !(ai > 0.0) ||
        !(bi > 0.0) || isinf(ai) || isinf(bi))
      return -INFINITY;
    lp += log_choose(ni, xi) + gsl_sf_lnbeta(xi + ai, ni - xi + bi) -
          gsl_sf_lnbeta(ai, bi);
  }
  if (!(lp > -INFINITY))
    return -INFINITY;
  if (!grad || (!grad[1] && !grad[2]))
    return lp;
  for (size_t i = 0; i < len; i++) {
    const double xi = at(x, i), ai = at(a, i), bi = at(b, i), ni = at(n, i);
    const double common = gsl_sf_psi(ai + bi) - gsl_sf_psi(ni + ai + bi);
    if (grad[1])
      grad[1][a->len == 1 ? 0 : i] +=
          adj * (gsl_sf_psi(xi + ai) - gsl_sf_psi(ai) + common);
    if (grad[2])
      grad[2][b->len == 1 ? 0 : i] +=
          adj * (gsl_sf_psi(ni - xi + bi) - gsl_sf_psi(bi) + common);
  }
  return lp;
}

static bool draw(Rng *rng, const DistTensor *prm, double *out,
                 size_t out_len) {
  for (int k = 0; k < 3; k++)
    if (prm[k].len != 1 && prm[k].len != out_len)
      return false;
  const DistTensor *a = &prm[0], *b = &prm[1], *n = &prm[2];
  for (size_t i = 0; i < a->len; i++)
    if (!(a->data[i] > 0.0) || isinf(a->data[i]))
      return false;
  for (size_t i = 0; i < b->len; i++)
    if (!(b->data[i] > 0.0) || isinf(b->data[i]))
      return false;
  for (size_t i = 0; i < n->len; i++)
    if (!is_count(n->data[i]) || n->data[i] > UINT_MAX)
      return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < out_len; i++) {
    const double pr = gsl_ran_beta(r, at(a, i), at(b, i));
    out[i] = (double)gsl_ran_binomial(r, pr, (unsigned)at(n, i));
  }
  return true;
}

const DistFamily dist_betabinomial = {
    .name = "BetaBinomial",
    .nparams = 3,
    .params = params,
    .defaults = defaults,
    .support = {SUPPORT_NATURAL, -1, 2, 0.0, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = lpdf,
    .random = draw,
    .check = NULL,
};
