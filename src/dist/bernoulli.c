/*
 * bernoulli.c — the Bernoulli distribution: one trial that succeeds (x = 1)
 * with probability p.
 *
 * Parameterisation (PyMC): p in [0, 1]. The logit_p form is turned into p
 * by the model layer (p = logistic(logit_p)), on the graph.
 *   log p(x | p) = log p        when x = 1
 *                = log(1 - p)   when x = 0
 *   d/dp         = 1 / p  or  -1 / (1 - p)
 * The partial is taken only where the log mass is finite (p = 0 with x = 1
 * is -INFINITY; p = 0 with x = 0 has log mass 0 and partial -1).
 *
 * x is discrete: its partial is never written (grad[0] is ignored and may
 * be NULL). x outside {0, 1} or p outside [0, 1] (NaN included) gives
 * -INFINITY. Elementwise over broadcast inputs (dist.h).
 * Random: gsl_ran_bernoulli.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <math.h>

#include "rng.h"

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

static double lpdf(const DistTensor *in, double adj, double *const *grad) {
  size_t n;
  if (!call_len(in, 2, &n))
    return -INFINITY;
  const DistTensor *x = &in[0], *p = &in[1];
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double xi = at(x, i), pr = at(p, i);
    if (!(pr >= 0.0 && pr <= 1.0) || !(xi == 0.0 || xi == 1.0))
      return -INFINITY;
    lp += xi == 1.0 ? log(pr) : log1p(-pr);
  }
  if (!(lp > -INFINITY))
    return -INFINITY;
  if (!grad || !grad[1])
    return lp;
  for (size_t i = 0; i < n; i++) {
    const double xi = at(x, i), pr = at(p, i);
    const double d = xi == 1.0 ? 1.0 / pr : -1.0 / (1.0 - pr);
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
    if (!(p->data[i] >= 0.0 && p->data[i] <= 1.0))
      return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < out_len; i++)
    out[i] = (double)gsl_ran_bernoulli(r, at(p, i));
  return true;
}

const DistFamily dist_bernoulli = {
    .name = "Bernoulli",
    .nparams = 1,
    .params = params,
    .defaults = defaults,
    .support = {SUPPORT_BINARY, -1, -1, 0.0, 1.0},
    .discrete = true,
    .multivariate = false,
    .lpdf = lpdf,
    .random = draw,
    .check = NULL,
};
