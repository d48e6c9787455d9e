/*
 * binomial.c — the Binomial family: successes in n independent trials, each
 * with success probability p.
 *
 * Parameterisation (PyMC): n a non-negative integer, p in [0, 1].
 *   log p(x | n, p) = log C(n, x) + x log p + (n - x) log(1 - p);
 *   d/dp = x / p - (n - x) / (1 - p).
 * Terms with a zero count are left out of both, so p = 0 with x = 0 (or
 * p = 1 with x = n) has log mass 0 and a finite partial; the impossible
 * outcomes (x > 0 with p = 0, x < n with p = 1) give -INFINITY.
 * n is an integer parameter and gets no partial; neither does the discrete
 * x (grad[0] and grad[1] are ignored).
 *
 * Support 0 .. n (upper bound: parameter 0). A non-integer or out-of-range
 * x or n, or p outside [0, 1] (NaN included), gives -INFINITY. Counts above
 * 2^53 are rejected: doubles no longer hold every integer there.
 * Elementwise over broadcast inputs (dist.h).
 * Random: gsl_ran_binomial (Kachitvichyanukul & Schmeiser's BTPE); n must
 * fit an unsigned int there.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <limits.h>

#include "dist_util.h"
#include "rng.h"

enum { BINOMIAL_K = 3 }; /* inputs: x, n, p */

/* 2^53: the largest count a double holds with every integer below it. */
#define BINOMIAL_MAX_COUNT 9007199254740992.0

static const char *const binomial_params[] = {"n", "p"};
static const double binomial_defaults[] = {NAN, NAN};

static bool binomial_count_ok(double v) {
  return v >= 0.0 && v <= BINOMIAL_MAX_COUNT && v == floor(v);
}

static bool binomial_prob_ok(double p) { return p >= 0.0 && p <= 1.0; }

/* log C(n, k) for integer counts 0 <= k <= n; gsl_sf_lnchoose takes
 * unsigned ints, so larger n go through log Gamma. */
static double binomial_log_choose(double n, double k) {
  if (n <= UINT_MAX)
    return gsl_sf_lnchoose((unsigned)n, (unsigned)k);
  return gsl_sf_lngamma(n + 1.0) - gsl_sf_lngamma(k + 1.0) -
         gsl_sf_lngamma(n - k + 1.0);
}

/* Whether x successes in n trials are possible with probability p. */
static bool binomial_possible(double x, double n, double p) {
  return binomial_count_ok(x) && x <= n && (x == 0.0 || p > 0.0) &&
         (x == n || p < 1.0);
}

static double binomial_lpdf(const DistTensor *in, double adj,
                            double *const *grad) {
  const size_t len = dist_broadcast_len(in, BINOMIAL_K);
  if (len == 0)
    return dist_lpdf_empty(in, BINOMIAL_K);
  if (!dist_check(&in[1], binomial_count_ok) ||
      !dist_check(&in[2], binomial_prob_ok))
    return -INFINITY;
  DistArg a[BINOMIAL_K];
  dist_args_init(a, in, grad, BINOMIAL_K);
  a[0].g = a[1].g = NULL; /* x and n are integers */
  for (size_t i = 0; i < len; i++)
    if (!binomial_possible(dist_at(&a[0], i), dist_at(&a[1], i),
                           dist_at(&a[2], i)))
      return -INFINITY;
  double lp = 0.0;
  for (size_t i = 0; i < len; i++) {
    const double x = dist_at(&a[0], i), n = dist_at(&a[1], i);
    const double p = dist_at(&a[2], i);
    double d = 0.0;
    lp += binomial_log_choose(n, x);
    if (x > 0.0) {
      lp += x * log(p);
      d += x / p;
    }
    if (n - x > 0.0) {
      lp += (n - x) * log1p(-p);
      d -= (n - x) / (1.0 - p);
    }
    dist_grad(&a[2], i, adj, d);
  }
  dist_args_flush(a, BINOMIAL_K, adj);
  return lp;
}

static bool binomial_trials_ok(double n) {
  return binomial_count_ok(n) && n <= UINT_MAX;
}

static bool binomial_random(Rng *rng, const DistTensor *p, double *out,
                            size_t len) {
  if (!dist_random_lens(p, 2, len) || !dist_check(&p[0], binomial_trials_ok) ||
      !dist_check(&p[1], binomial_prob_ok))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < len; i++)
    out[i] = (double)gsl_ran_binomial(r, dist_param(&p[1], i),
                                      (unsigned)dist_param(&p[0], i));
  return true;
}

const DistFamily dist_binomial = {
    .name = "Binomial",
    .nparams = 2,
    .params = binomial_params,
    .defaults = binomial_defaults,
    .support = {SUPPORT_NATURAL, -1, 0, 0.0, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = binomial_lpdf,
    .random = binomial_random,
    .check = NULL,
};
