/*
 * bernoulli.c — the Bernoulli family: one trial that succeeds (x = 1) with
 * probability p.
 *
 * Parameterisation (PyMC): p in [0, 1]. The logit_p form is turned into p by
 * the model layer (p = logistic(logit_p)), on the graph.
 *   log p(x | p) = log p  (x = 1),  log(1 - p)  (x = 0);
 *   d/dp = 1 / p  (x = 1),  -1 / (1 - p)  (x = 0).
 * p = 0 with x = 0 (and p = 1 with x = 1) has log mass 0 and a finite
 * partial; the impossible outcomes (x = 1 with p = 0, x = 0 with p = 1)
 * give -INFINITY.
 *
 * x is discrete: its partial is never written (grad[0] is ignored and may
 * be NULL). x outside {0, 1}, or p outside [0, 1] (NaN included), gives
 * -INFINITY. Elementwise over broadcast inputs (dist.h).
 * Random: gsl_ran_bernoulli.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>

#include "dist_util.h"
#include "rng.h"

enum { BERNOULLI_K = 2 }; /* inputs: x, p */

static const char *const bernoulli_params[] = {"p"};
static const double bernoulli_defaults[] = {NAN};

static bool bernoulli_prob_ok(double p) { return p >= 0.0 && p <= 1.0; }

/* Whether outcome x is possible under p (both already valid). */
static bool bernoulli_possible(double x, double p) {
  return x == 1.0 ? p > 0.0 : p < 1.0;
}

static double bernoulli_lpdf(const DistTensor *in, double adj,
                             double *const *grad) {
  const size_t n = dist_broadcast_len(in, BERNOULLI_K);
  if (n == 0)
    return dist_lpdf_empty(in, BERNOULLI_K);
  DistArg a[BERNOULLI_K];
  dist_args_init(a, in, grad, BERNOULLI_K);
  a[0].g = NULL; /* x is discrete */
  if (!dist_check(&in[1], bernoulli_prob_ok))
    return -INFINITY;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i);
    if (!(x == 0.0 || x == 1.0) || !bernoulli_possible(x, dist_at(&a[1], i)))
      return -INFINITY;
  }
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double p = dist_at(&a[1], i);
    if (dist_at(&a[0], i) == 1.0) {
      lp += log(p);
      dist_grad(&a[1], i, adj, 1.0 / p);
    } else {
      lp += log1p(-p);
      dist_grad(&a[1], i, adj, -1.0 / (1.0 - p));
    }
  }
  dist_args_flush(a, BERNOULLI_K, adj);
  return lp;
}

static bool bernoulli_random(Rng *rng, const DistTensor *p, double *out,
                             size_t n) {
  if (!dist_random_lens(p, 1, n) || !dist_check(&p[0], bernoulli_prob_ok))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = (double)gsl_ran_bernoulli(r, dist_param(&p[0], i));
  return true;
}

const DistFamily dist_bernoulli = {
    .name = "Bernoulli",
    .nparams = 1,
    .params = bernoulli_params,
    .defaults = bernoulli_defaults,
    .support = {SUPPORT_BINARY, -1, -1, 0.0, 1.0},
    .discrete = true,
    .multivariate = false,
    .lpdf = bernoulli_lpdf,
    .random = bernoulli_random,
    .check = NULL,
};
