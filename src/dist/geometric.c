/*
 * geometric.c — the Geometric family: the number of the trial that brings
 * the first success, so x = 1, 2, 3, ... (as PyMC and GSL).
 *
 * Parameterisation (PyMC): p in (0, 1], the success probability.
 *   log p(x | p) = log p + (x - 1) log(1 - p);
 *   d/dp = 1 / p - (x - 1) / (1 - p).
 * The (x - 1) term is left out when x = 1, so p = 1 with x = 1 has log mass
 * 0 and partial 1; x > 1 with p = 1 is impossible (-INFINITY).
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

#include "dist_util.h"
#include "rng.h"

enum { GEOMETRIC_K = 2 }; /* inputs: x, p */

/* 2^53: the largest count a double holds with every integer below it. */
#define GEOMETRIC_MAX_COUNT 9007199254740992.0

static const char *const geometric_params[] = {"p"};
static const double geometric_defaults[] = {NAN};

static bool geometric_trial_ok(double v) {
  return v >= 1.0 && v <= GEOMETRIC_MAX_COUNT && v == floor(v);
}

static bool geometric_prob_ok(double p) { return p > 0.0 && p <= 1.0; }

static double geometric_lpdf(const DistTensor *in, double adj,
                             double *const *grad) {
  const size_t n = dist_broadcast_len(in, GEOMETRIC_K);
  if (n == 0)
    return dist_lpdf_empty(in, GEOMETRIC_K);
  if (!dist_check(&in[0], geometric_trial_ok) ||
      !dist_check(&in[1], geometric_prob_ok))
    return -INFINITY;
  DistArg a[GEOMETRIC_K];
  dist_args_init(a, in, grad, GEOMETRIC_K);
  a[0].g = NULL; /* x is discrete */
  for (size_t i = 0; i < n; i++)
    if (dist_at(&a[1], i) == 1.0 && dist_at(&a[0], i) > 1.0)
      return -INFINITY;
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i), p = dist_at(&a[1], i);
    double d = 1.0 / p;
    lp += log(p);
    if (x > 1.0) {
      lp += (x - 1.0) * log1p(-p);
      d -= (x - 1.0) / (1.0 - p);
    }
    dist_grad(&a[1], i, adj, d);
  }
  dist_args_flush(a, GEOMETRIC_K, adj);
  return lp;
}

static bool geometric_random(Rng *rng, const DistTensor *p, double *out,
                             size_t n) {
  if (!dist_random_lens(p, 1, n) || !dist_check(&p[0], geometric_prob_ok))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = (double)gsl_ran_geometric(r, dist_param(&p[0], i));
  return true;
}

const DistFamily dist_geometric = {
    .name = "Geometric",
    .nparams = 1,
    .params = geometric_params,
    .defaults = geometric_defaults,
    .support = {SUPPORT_NATURAL, -1, -1, 1.0, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = geometric_lpdf,
    .random = geometric_random,
    .check = NULL,
};
