/*
 * binomial.c — the binomial distribution: successes in n independent
 * trials, each with success probability p.
 *
 * Parameterisation (PyMC): n a non-negative integer, p in [0, 1].
 *   log p(x | n, p) = log C(n, x) + x log p + (n - x) log(1 - p)
 *   d/dp            = x / p - (n - x) / (1 - p)
 * Terms with a zero count are left out of both (so p = 0 with x = 0 has
 * log mass 0 and partial -n). n is an integer parameter and gets no
 * partial; neither does the discrete x (grad[0] and grad[1] are ignored).
 *
 * Support 0 .. n (upper bound: parameter n). A non-integer or out-of-range
 * x or n, or p outside [0, 1] (NaN included), gives -INFINITY. Counts above
 * 2^53 are rejected: doubles no longer hold every integer there.
 * Elementwise over broadcast inputs (dist.h).
 * Random: gsl_ran_binomial (Kachitvichyanukul & Schmeiser's BTPE).
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <limits.h>
#include <math.h>

#include "rng.h"

/* 2^53: the largest count a double holds with every integer below it. */
#define MAX_COUNT 9007199254740992.0

static const char *const params[] = {"n", "p"};
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

/* log C(n, k) for integer counts 0 <= k <= n. */
static double log_choose(double n, double k) {
  if (n <= UINT_MAX)
    return gsl_sf_lnchoose((unsigned)n, (unsigned)k);
  return gsl_sf_lngamma(n + 1.0) - gsl_sf_lngamma(k + 1.0) -
         gsl_sf_lngamma(n - k + 1.0);
}

static double lpdf(const DistTensor *in, double adj, double *const *grad) {
  size_t len;
  if (!call_len(in, 3, &len))
    return -INFINITY;
  const DistTensor *x = &in[0], *n = &in[1], *p = &in[2];
  double lp = 0.0;
  for (size_t i = 0; i < len; i++) {
    const double xi = at(x, i), ni = at(n, i), pr = at(p, i);
    if (!is_count(ni) || !is_count(xi) || xi > ni ||
        !(pr >= 0.0 && pr <= 1.0))
      return -INFINITY;
    lp += log_choose(ni, xi);
    if (xi > 0.0)
      lp += xi * log(pr);
    if (ni - xi > 0.0)
      lp += (ni - xi) * log1p(-pr);
  }
  if (!(lp > -INFINITY))
    return -INFINITY;
  if (!grad || !grad[2])
    return lp;
  for (size_t i = 0; i < len; i++) {
    const double xi = at(x, i), ni = at(n, i), pr = at(p, i);
    double d = 0.0;
    if (xi > 0.0)
      d += xi / pr;
    if (ni - xi > 0.0)
      d -= (ni - xi) / (1.0 - pr);
    grad[2][p->len == 1 ? 0 : i] += adj * d;
  }
  return lp;
}

static bool draw(Rng *rng, const DistTensor *prm, double *out,
                 size_t out_len) {
  const DistTensor *n = &prm[0], *p = &prm[1];
  if ((n->len != 1 && n->len != out_len) || (p->len != 1 && p->len != out_len))
    return false;
  for (size_t i = 0; i < n->len; i++)
    if (!is_count(n->data[i]) || n->data[i] > UINT_MAX)
      return false;
  for (size_t i = 0; i < p->len; i++)
    if (!(p->data[i] >= 0.0 && p->data[i] <= 1.0))
      return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < out_len; i++)
    out[i] = (double)gsl_ran_binomial(r, at(p, i), (unsigned)at(n, i));
  return true;
}

const DistFamily dist_binomial = {
    .name = "Binomial",
    .nparams = 2,
    .params = params,
    .defaults = defaults,
    .support = {SUPPORT_NATURAL, -1, 0, 0.0, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = lpdf,
    .random = draw,
    .check = NULL,
};
