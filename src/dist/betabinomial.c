/*
 * betabinomial.c — the BetaBinomial family: a binomial count whose success
 * probability is itself Beta(alpha, beta).
 *
 * Parameterisation (PyMC): alpha > 0, beta > 0, n a non-negative integer.
 *   log p(x | alpha, beta, n) = log C(n, x) + log B(x + alpha, n - x + beta)
 *                               - log B(alpha, beta);
 *   d/dalpha = psi(x + alpha) - psi(n + alpha + beta)
 *              - psi(alpha) + psi(alpha + beta),
 *   d/dbeta  = psi(n - x + beta) - psi(n + alpha + beta)
 *              - psi(beta) + psi(alpha + beta).
 * The ratio of Beta functions is computed as rising factorials,
 *   log B(x + a, n - x + b) - log B(a, b)
 *     = R(a, x) + R(b, n - x) - R(a + b, n),
 *   R(a, x) = log Gamma(a + x) - log Gamma(a)   (Stirling's series for
 *             large a),
 * which stays accurate when alpha and beta are large (the binomial limit),
 * where the two log Betas would cancel. When alpha and beta are scalars,
 * their digammas are computed once per call. n is an integer parameter
 * and gets no partial; neither does the discrete x (grad[0] and grad[3]
 * are ignored).
 *
 * Support 0 .. n (upper bound: parameter 2). A non-integer or out-of-range
 * x or n, or alpha or beta not positive and finite (NaN included), gives
 * -INFINITY; counts above 2^53 are rejected. Elementwise over broadcast
 * inputs (dist.h).
 * Random: p ~ Beta(alpha, beta) by gsl_ran_beta, then gsl_ran_binomial.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <limits.h>

#include "dist_util.h"
#include "rng.h"

enum { BETABINOMIAL_K = 4 }; /* inputs: x, alpha, beta, n */

/* 2^53: the largest count a double holds with every integer below it. */
#define BETABINOMIAL_MAX_COUNT 9007199254740992.0

static const char *const betabinomial_params[] = {"alpha", "beta", "n"};
static const double betabinomial_defaults[] = {NAN, NAN, NAN};

static bool betabinomial_count_ok(double v) {
  return v >= 0.0 && v <= BETABINOMIAL_MAX_COUNT && v == floor(v);
}

/* log C(n, k) for integer counts 0 <= k <= n; gsl_sf_lnchoose takes
 * unsigned ints, so larger n go through log Gamma. */
static double betabinomial_log_choose(double n, double k) {
  if (n <= UINT_MAX)
    return gsl_sf_lnchoose((unsigned)n, (unsigned)k);
  return gsl_sf_lngamma(n + 1.0) - gsl_sf_lngamma(k + 1.0) -
         gsl_sf_lngamma(n - k + 1.0);
}

/* Below this a, log Gamma(a + x) - log Gamma(a) is taken directly: the
 * cancellation costs about 1e-16 * a log a, under 1e-12 here. Above it,
 * Stirling's series (Abramowitz & Stegun 6.1.41) to z^-7 is exact to
 * double precision. */
#define BETABINOMIAL_STIRLING_MIN 1e3

/* Stirling's correction log Gamma(z) - [(z - 1/2) log z - z + log(2 pi)/2]
 * for z >= BETABINOMIAL_STIRLING_MIN. */
static double betabinomial_stirling_corr(double z) {
  const double r = 1.0 / z, r2 = r * r;
  return r *
         (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 / 1680.0)));
}

/* log Gamma(a + x) - log Gamma(a) for a > 0, x >= 0, without the
 * cancellation of the two log Gammas when a is large (GSL's lnpoch takes
 * the plain difference there). */
static double betabinomial_log_rising(double a, double x) {
  if (x == 0.0)
    return 0.0;
  if (a < BETABINOMIAL_STIRLING_MIN)
    return gsl_sf_lngamma(a + x) - gsl_sf_lngamma(a);
  return x * log(a) + (a + x - 0.5) * log1p(x / a) - x +
         betabinomial_stirling_corr(a + x) - betabinomial_stirling_corr(a);
}

/* Digammas of alpha and beta only. */
typedef struct BetaBinomialTerms {
  double psi_a, psi_b, psi_ab; /* psi(alpha), psi(beta), psi(alpha + beta) */
} BetaBinomialTerms;

static void betabinomial_terms(BetaBinomialTerms *c, double al, double be) {
  c->psi_a = gsl_sf_psi(al);
  c->psi_b = gsl_sf_psi(be);
  c->psi_ab = gsl_sf_psi(al + be);
}

static double betabinomial_lpdf(const DistTensor *in, double adj,
                                double *const *grad) {
  const size_t len = dist_broadcast_len(in, BETABINOMIAL_K);
  if (len == 0)
    return dist_lpdf_empty(in, BETABINOMIAL_K);
  if (!dist_check(&in[1], dist_positive) ||
      !dist_check(&in[2], dist_positive) ||
      !dist_check(&in[3], betabinomial_count_ok))
    return -INFINITY;
  DistArg a[BETABINOMIAL_K];
  dist_args_init(a, in, grad, BETABINOMIAL_K);
  a[0].g = a[3].g = NULL; /* x and n are integers */
  for (size_t i = 0; i < len; i++) {
    const double x = dist_at(&a[0], i);
    if (!betabinomial_count_ok(x) || x > dist_at(&a[3], i))
      return -INFINITY;
  }
  const bool vary = a[1].s || a[2].s;
  const bool digammas = a[1].g || a[2].g;
  BetaBinomialTerms c = {0.0, 0.0, 0.0};
  if (digammas)
    betabinomial_terms(&c, dist_at(&a[1], 0), dist_at(&a[2], 0));
  double lp = 0.0;
  for (size_t i = 0; i < len; i++) {
    const double x = dist_at(&a[0], i), n = dist_at(&a[3], i);
    const double al = dist_at(&a[1], i), be = dist_at(&a[2], i);
    lp += betabinomial_log_choose(n, x) + betabinomial_log_rising(al, x) +
          betabinomial_log_rising(be, n - x) -
          betabinomial_log_rising(al + be, n);
    if (!digammas)
      continue;
    if (vary)
      betabinomial_terms(&c, al, be);
    const double common = c.psi_ab - gsl_sf_psi(n + al + be);
    if (a[1].g)
      dist_grad(&a[1], i, adj, gsl_sf_psi(x + al) - c.psi_a + common);
    if (a[2].g)
      dist_grad(&a[2], i, adj, gsl_sf_psi(n - x + be) - c.psi_b + common);
  }
  dist_args_flush(a, BETABINOMIAL_K, adj);
  return isnan(lp) ? -INFINITY : lp;
}

static bool betabinomial_trials_ok(double n) {
  return betabinomial_count_ok(n) && n <= UINT_MAX;
}

static bool betabinomial_random(Rng *rng, const DistTensor *p, double *out,
                                size_t len) {
  if (!dist_random_lens(p, 3, len) || !dist_check(&p[0], dist_positive) ||
      !dist_check(&p[1], dist_positive) ||
      !dist_check(&p[2], betabinomial_trials_ok))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < len; i++) {
    const double q =
        gsl_ran_beta(r, dist_param(&p[0], i), dist_param(&p[1], i));
    out[i] = (double)gsl_ran_binomial(r, q, (unsigned)dist_param(&p[2], i));
  }
  return true;
}

const DistFamily dist_betabinomial = {
    .name = "BetaBinomial",
    .nparams = 3,
    .params = betabinomial_params,
    .defaults = betabinomial_defaults,
    .support = {SUPPORT_NATURAL, -1, 2, 0.0, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = betabinomial_lpdf,
    .random = betabinomial_random,
    .check = NULL,
};
