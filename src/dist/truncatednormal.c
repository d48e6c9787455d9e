/*
 * truncatednormal.c — the TruncatedNormal family: Normal(mu, sigma), sigma a
 * standard deviation, restricted to [lower, upper]; either bound may be
 * infinite (the defaults are -inf and inf).
 *
 *   a = (lower - mu) / sigma,  b = (upper - mu) / sigma,  z = (x - mu) / sigma,
 *   Z = Phi(b) - Phi(a),  r_a = phi(a) / Z,  r_b = phi(b) / Z,
 *   log TN(x) = -z^2 / 2 - log sigma - log sqrt(2 pi) - log Z,
 *   d/dx = -z / sigma,           d/dmu = (z - r_a + r_b) / sigma,
 *   d/dsigma = (z^2 - 1 - a r_a + b r_b) / sigma,
 *   d/dlower = r_a / sigma,      d/dupper = -r_b / sigma,
 * with phi(+-inf) = (+-inf) phi(+-inf) = 0 for infinite bounds.
 *
 * log Z is computed without cancellation: in a tail (0 < a) as
 * log(Q(a) - Q(b)) = log Q(a) + log(1 - exp(log Q(b) - log Q(a))) with
 * log Q(t) from gsl_sf_log_erfc (Q the upper tail), mirrored for b < 0, and
 * across the mode as (erf(b / sqrt 2) - erf(a / sqrt 2)) / 2, a sum of two
 * terms of the same sign. An interval so narrow that Q(a) and Q(b) round to
 * the same double falls back to the midpoint rule phi((a + b) / 2) (b - a).
 * Reference for log(1 - e^d): Maechler (2012), Accurately Computing
 * log(1 - exp(-|a|)), the Rmpfr vignette.
 *
 * Draws follow Robert (1995), Simulation of truncated normal variables,
 * Statistics and Computing 5:121-125: rejection from the normal on a wide
 * interval across the mode, a uniform proposal on a narrow one, and in a
 * tail GSL's tail sampler (Marsaglia) or again a uniform proposal.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>

#include "dist_util.h"
#include "rng.h"

enum { TN_K = 5 }; /* inputs: x, mu, sigma, lower, upper */

static const char *const tn_params[] = {"mu", "sigma", "lower", "upper"};
static const double tn_defaults[] = {0.0, 1.0, -INFINITY, INFINITY};

/* Across the mode, an interval at least this wide (in standard units) keeps
 * at least Phi(2) - Phi(0) = 0.477 of the mass, so plain rejection from the
 * normal accepts at least that often; a narrower one takes the uniform
 * proposal, which accepts at least exp(-2^2 / 2) = 0.135 of the time. */
#define TN_WIDE 2.0

/* Beyond a = 1e8 standard units the tail beyond a is a + Exponential(rate a)
 * to relative error O(1 / a^2) = 1e-16, and GSL's tail sampler would square
 * a (overflowing past 1e154). */
#define TN_EXP_TAIL 1e8

/* log Q(t) = log P(N(0, 1) > t). */
static double log_upper_tail(double t) {
  return gsl_sf_log_erfc(t * M_SQRT1_2) - DIST_LOG_2;
}

/* log(1 - e^d) for d <= 0 (Maechler 2012: expm1 near 0, log1p below). */
static double log1m_exp(double d) {
  return d > -DIST_LOG_2 ? log(-expm1(d)) : log1p(-exp(d));
}

/* log(Q(a) - Q(b)) for 0 <= a < b <= inf. */
static double log_tail_mass(double a, double b) {
  const double la = log_upper_tail(a);
  if (b == INFINITY)
    return la;
  const double d = log_upper_tail(b) - la;
  if (!(d < 0.0)) {
    const double m = 0.5 * (a + b);
    return -0.5 * m * m - DIST_HALF_LOG_2PI + log(b - a);
  }
  return la + log1m_exp(d);
}

/* log(Phi(b) - Phi(a)) for -inf <= a < b <= inf. */
static double log_mass(double a, double b) {
  if (a > 0.0)
    return log_tail_mass(a, b);
  if (b < 0.0)
    return log_tail_mass(-b, -a);
  if (a == -INFINITY && b == INFINITY)
    return 0.0;
  const double ea = a == -INFINITY ? -1.0 : gsl_sf_erf(a * M_SQRT1_2);
  const double eb = b == INFINITY ? 1.0 : gsl_sf_erf(b * M_SQRT1_2);
  return log(0.5 * (eb - ea));
}

/* The terms that depend on the parameters only. */
typedef struct TnTerms {
  double inv_sigma, log_sigma;
  double log_z;      /* log Z */
  double r_a, r_b;   /* phi(a) / Z, phi(b) / Z */
  double ar_a, br_b; /* a r_a, b r_b */
} TnTerms;

/* Fills c; false when Z underflows to 0 (bounds some 1e154 standard
 * deviations from mu), where the density is not representable. */
static bool tn_terms(TnTerms *c, double mu, double sigma, double lower,
                     double upper) {
  c->inv_sigma = 1.0 / sigma;
  c->log_sigma = log(sigma);
  const double a = (lower - mu) * c->inv_sigma;
  const double b = (upper - mu) * c->inv_sigma;
  c->log_z = log_mass(a, b);
  if (!isfinite(c->log_z))
    return false;
  c->r_a = c->ar_a = c->r_b = c->br_b = 0.0;
  if (isfinite(a)) {
    c->r_a = exp(-0.5 * a * a - DIST_HALF_LOG_2PI - c->log_z);
    c->ar_a = a * c->r_a;
  }
  if (isfinite(b)) {
    c->r_b = exp(-0.5 * b * b - DIST_HALF_LOG_2PI - c->log_z);
    c->br_b = b * c->r_b;
  }
  return true;
}

/* Whether element i is in the support with valid parameters: x, mu finite,
 * sigma positive and finite, lower < upper (not NaN), lower <= x <= upper. */
static bool tn_valid1(double x, double mu, double sigma, double lower,
                      double upper) {
  return isfinite(x) && isfinite(mu) && dist_positive(sigma) && lower < upper &&
         lower <= x && x <= upper;
}

static bool tn_valid(const DistArg *a, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!tn_valid1(dist_at(&a[0], i), dist_at(&a[1], i), dist_at(&a[2], i),
                   dist_at(&a[3], i), dist_at(&a[4], i)))
      return false;
  return true;
}

static double tn_lpdf(const DistTensor *in, double adj, double *const *grad) {
  const size_t n = dist_broadcast_len(in, TN_K);
  if (n == 0)
    return dist_lpdf_empty(in, TN_K);
  DistArg a[TN_K];
  dist_args_init(a, in, grad, TN_K);
  if (!tn_valid(a, n))
    return -INFINITY;
  const bool vary = dist_params_vary(a, TN_K);
  const bool want = dist_args_want(a, TN_K);
  TnTerms c;
  if (!tn_terms(&c, dist_at(&a[1], 0), dist_at(&a[2], 0), dist_at(&a[3], 0),
                dist_at(&a[4], 0)))
    return -INFINITY;
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    /* An underflowing Z here can only come after earlier elements have
     * added their partials; it needs bounds 1e154 sigmas away. */
    if (vary && !tn_terms(&c, dist_at(&a[1], i), dist_at(&a[2], i),
                          dist_at(&a[3], i), dist_at(&a[4], i)))
      return -INFINITY;
    const double z = (dist_at(&a[0], i) - dist_at(&a[1], i)) * c.inv_sigma;
    lp += -0.5 * z * z - c.log_sigma - c.log_z;
    if (want) {
      const double s = c.inv_sigma;
      dist_grad(&a[0], i, adj, -z * s);
      dist_grad(&a[1], i, adj, (z - c.r_a + c.r_b) * s);
      dist_grad(&a[2], i, adj, (z * z - 1.0 - c.ar_a + c.br_b) * s);
      dist_grad(&a[3], i, adj, c.r_a * s);
      dist_grad(&a[4], i, adj, -c.r_b * s);
    }
  }
  dist_args_flush(a, TN_K, adj);
  return lp - (double)n * DIST_HALF_LOG_2PI;
}

/* A uniform proposal on [a, b] accepted with probability
 * exp((m^2 - z^2) / 2), where m is the point of [a, b] nearest 0. */
static double uniform_proposal(gsl_rng *r, double a, double b, double m) {
  for (;;) {
    const double z = a + (b - a) * gsl_rng_uniform(r);
    if (gsl_rng_uniform(r) <= exp(0.5 * (m - z) * (m + z)))
      return z;
  }
}

/* A standard normal draw restricted to [a, b], a < b (Robert 1995). */
static double std_truncated(gsl_rng *r, double a, double b) {
  if (b < 0.0)
    return -std_truncated(r, -b, -a);
  if (a <= 0.0) {
    if (b - a < TN_WIDE)
      return uniform_proposal(r, a, b, 0.0);
    for (;;) {
      const double z = gsl_ran_ugaussian(r);
      if (a <= z && z <= b)
        return z;
    }
  }
  /* 0 < a: tail draws beyond a keep at least 1 - Q(a + w) / Q(a) > 0.6 when
   * the interval is at least w = 1 / max(a, 1) wide; a narrower one keeps
   * the uniform proposal's acceptance above exp(-1.5) = 0.22. */
  if (b - a >= 1.0 / fmax(a, 1.0)) {
    for (;;) {
      const double z = a < TN_EXP_TAIL ? gsl_ran_ugaussian_tail(r, a)
                                       : a + gsl_ran_exponential(r, 1.0 / a);
      if (z <= b)
        return z;
    }
  }
  return uniform_proposal(r, a, b, a);
}

static bool tn_random(Rng *rng, const DistTensor *p, double *out, size_t n) {
  if (!dist_random_lens(p, 4, n))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++) {
    const double mu = dist_param(&p[0], i), sigma = dist_param(&p[1], i);
    const double lower = dist_param(&p[2], i), upper = dist_param(&p[3], i);
    if (!isfinite(mu) || !dist_positive(sigma) || !(lower < upper))
      return false;
    const double z =
        std_truncated(r, (lower - mu) / sigma, (upper - mu) / sigma);
    out[i] = fmin(fmax(mu + sigma * z, lower), upper);
  }
  return true;
}

const DistFamily dist_truncatednormal = {
    .name = "TruncatedNormal",
    .nparams = 4,
    .params = tn_params,
    .defaults = tn_defaults,
    .support = {SUPPORT_INTERVAL, 2, 3, -INFINITY, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = tn_lpdf,
    .random = tn_random,
    .check = NULL,
};
