/*
 * studentt.c — the StudentT family: degrees of freedom nu, location mu,
 * scale sigma (PyMC's lam = 1 / sigma^2 is converted by the model layer).
 *
 *   z = (x - mu) / sigma,  q = z^2 / nu,
 *   log t(x | nu, mu, sigma) = -log B(nu / 2, 1 / 2) - log(nu) / 2 - log sigma
 *                              - (nu + 1) / 2 log(1 + q),
 * (log B(nu/2, 1/2) = log Gamma(nu/2) + log Gamma(1/2) - log Gamma((nu+1)/2),
 * from gsl_sf_lnbeta, which keeps the difference of log-gammas accurate);
 * with f = nu / (nu + z^2) (so 1 - f = z^2 / (nu + z^2), free of overflow):
 *   d/dx = -(nu + 1) z / (sigma (nu + z^2)),  d/dmu = -d/dx,
 *   d/dsigma = ((nu + 1)(1 - f) - 1) / sigma,
 *   d/dnu = (psi((nu + 1) / 2) - psi(nu / 2) - 1 / nu - log(1 + q)
 *            + (nu + 1)(1 - f) / nu) / 2.
 * Draws: mu + sigma * gsl_ran_tdist.
 *
 * Precision: the terms of d/dnu are each O(1 / nu) and cancel to
 * (1 + 2 z^2 - z^4) / (4 nu^2), so beyond nu ~ 1e6 that partial is exact
 * only to about 1e-15 absolute (the log density itself stays accurate to
 * nu = 1e15, where the family is a Normal for every purpose).
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "dist_util.h"
#include "rng.h"

enum { STUDENTT_K = 4 }; /* inputs: x, nu, mu, sigma */

static const char *const studentt_params[] = {"nu", "mu", "sigma"};
static const double studentt_defaults[] = {NAN, 0.0, 1.0};

/* Terms of nu and sigma only; the digamma part of d/dnu only when that
 * partial is wanted. */
typedef struct StudentTTerms {
  double log_norm; /* -log B(nu/2, 1/2) - log(nu) / 2 - log sigma */
  double inv_sigma, inv_sqrt_nu;
  double dnu_const; /* (psi((nu+1)/2) - psi(nu/2) - 1/nu) / 2 */
} StudentTTerms;

static void studentt_terms(StudentTTerms *c, double nu, double sigma,
                           bool dnu) {
  c->log_norm = -gsl_sf_lnbeta(0.5 * nu, 0.5) - 0.5 * log(nu) - log(sigma);
  c->inv_sigma = 1.0 / sigma;
  c->inv_sqrt_nu = 1.0 / sqrt(nu);
  c->dnu_const = 0.0;
  if (dnu)
    c->dnu_const =
        0.5 * (gsl_sf_psi(0.5 * (nu + 1.0)) - gsl_sf_psi(0.5 * nu) - 1.0 / nu);
}

static double studentt_lpdf(const DistTensor *in, double adj,
                            double *const *grad) {
  const size_t n = dist_broadcast_len(in, STUDENTT_K);
  if (n == 0)
    return dist_lpdf_empty(in, STUDENTT_K);
  if (!dist_check(&in[0], dist_finite) || !dist_check(&in[1], dist_positive) ||
      !dist_check(&in[2], dist_finite) || !dist_check(&in[3], dist_positive))
    return -INFINITY;
  DistArg a[STUDENTT_K];
  dist_args_init(a, in, grad, STUDENTT_K);
  const bool vary = dist_params_vary(a, STUDENTT_K);
  const bool want = dist_args_want(a, STUDENTT_K);
  const bool dnu = a[1].g != NULL;
  StudentTTerms c;
  studentt_terms(&c, dist_at(&a[1], 0), dist_at(&a[3], 0), dnu);
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double nu = dist_at(&a[1], i);
    if (vary)
      studentt_terms(&c, nu, dist_at(&a[3], i), dnu);
    const double z = (dist_at(&a[0], i) - dist_at(&a[2], i)) * c.inv_sigma;
    const double log1p_q = dist_log1p_sq(z * c.inv_sqrt_nu);
    lp += c.log_norm - 0.5 * (nu + 1.0) * log1p_q;
    if (want) {
      const double f = nu / (nu + z * z), one_m_f = 1.0 - f;
      const double dz = -(nu + 1.0) * z / (nu + z * z) * c.inv_sigma;
      dist_grad(&a[0], i, adj, dz);
      dist_grad(&a[1], i, adj,
                c.dnu_const + 0.5 * ((nu + 1.0) * one_m_f / nu - log1p_q));
      dist_grad(&a[2], i, adj, -dz);
      dist_grad(&a[3], i, adj, ((nu + 1.0) * one_m_f - 1.0) * c.inv_sigma);
    }
  }
  dist_args_flush(a, STUDENTT_K, adj);
  return lp;
}

static bool studentt_random(Rng *rng, const DistTensor *p, double *out,
                            size_t n) {
  if (!dist_random_lens(p, 3, n) || !dist_check(&p[0], dist_positive) ||
      !dist_check(&p[1], dist_finite) || !dist_check(&p[2], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = dist_param(&p[1], i) +
             dist_param(&p[2], i) * gsl_ran_tdist(r, dist_param(&p[0], i));
  return true;
}

const DistFamily dist_studentt = {
    .name = "StudentT",
    .nparams = 3,
    .params = studentt_params,
    .defaults = studentt_defaults,
    .support = {SUPPORT_REAL, -1, -1, -INFINITY, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = studentt_lpdf,
    .random = studentt_random,
    .check = NULL,
};
