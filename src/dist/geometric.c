/*
 * geometric.c — the geometric distribution: the number of the trial that
 * brings the first success, so x = 1, 2, 3, ... (as PyMC and GSL).
 *
 * Parameterisation (PyMC): p in (0, 1], the success probability.
 *   log p(x | p) = log p + (x - 1) log(1 - p)
 *   d/dp         = 1 / p - (x - 1) / (1 - p)
 * The (x - 1) term is left out when x = 1, so p = 1 with x = 1 has log
 * mass 0 and partial 1.
 *
 * x is discrete: its partial is never written (grad[0] is ignored). A
 * non-integer x or x < 1, or p outside (0, 1] (NaN included), gives
 * -INFINITY; counts above 2^53 are rejected. Elementwise over broadcast
 * inputs (dist.h).
 * Random: gsl_ran_geometric (inversion).
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <math.h>

#include "rng.h"

/* 2^53: the largest count a double holds with every integer below it. */
#define MAX_COUNT 9007199254740992.0

static const char *const params[] = {"p"};
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

static bool is_trial(double v) {
  return v >= 1.0 && v <= MAX_COUNT && v == floor(v);
}

static bool is_prob(double p) { return p > 0.0 && p <= 1.0; }

static double lpdf(const DistTensor *in, double adj, double *const *grad) {
  size_t n;
  if (!call_len(in, 2, &n))
    return -INFINITY;
  const DistTensor *x = &in[0], *p = &in[1];
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double xi = at(x, i), pr = at(p, i);
    if (!is_trial(xi) || !is_prob(pr))
      return -INFINITY;
    lp += log(pr);
    if (xi > 1.0)
      lp += (xi - 1.0) * log1p(-pr);
  }
  if (!(lp > -INFINITY))
    return -INFINITY;
  if (!grad || !grad[1])
    return lp;
  for (size_t i = 0; i < n; i++) {
    const double xi = at(x, i), pr = at(p, i);
    double d = 1.0 / pr;
    if (xi > 1.0)
      d -= (xi - 1.0) / (1.0 - pr);
    grad[1][p->len == 1 ? 0 : i] += adj * d;
  }
  return lp;
}

static bool draw(Rng *rng, const DistTensor *prm, double *out,
                 size_t out_len) {
  const DistTensor *p = &prm[0];
  if (p->len != 1 && p->len != out_len)
    return false;
  for (size_t i = 0; i < p->len; i++)
    if (!is_prob(p->data[i]))
      return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < out_len; i++)
    out[i] = (double)gsl_ran_geometric(r, at(p, i));
  return true;
}

const DistFamily dist_geometric = {
    .name = "Geometric",
    .nparams = 1,
    .params = params,
    .defaults = defaults,
    .support = {SUPPORT_NATURAL, -1, -1, 1.0, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = lpdf,
    .random = draw,
    .check = NULL,
};
