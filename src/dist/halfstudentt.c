/*
 * halfstudentt.c — the HalfStudentT family: |StudentT(nu, 0, sigma)| on
 * x >= 0, nu degrees of freedom (default 1, as in PyMC), sigma a scale
 * (default 1).
 *
 *   z = x / sigma,  q = z^2 / nu,  f = nu / (nu + z^2),
 *   log HT(x | nu, sigma) = log 2 - log B(nu / 2, 1 / 2) - log(nu) / 2
 *                           - log sigma - (nu + 1) / 2 log(1 + q);
 *   d/dx = -(nu + 1) z / (sigma (nu + z^2)),
 *   d/dsigma = ((nu + 1)(1 - f) - 1) / sigma,
 *   d/dnu = (psi((nu + 1) / 2) - psi(nu / 2) - 1 / nu - log(1 + q)
 *            + (nu + 1)(1 - f) / nu) / 2,
 * the StudentT formulas (studentt.c) with mu = 0 and the density doubled.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "dist_util.h"
#include "rng.h"

enum { HALFT_K = 3 }; /* inputs: x, nu, sigma */

static const char *const halft_params[] = {"nu", "sigma"};
static const double halft_defaults[] = {1.0, 1.0};

/* Terms of nu and sigma only (see studentt.c). */
typedef struct HalfTTerms {
  double log_norm; /* log 2 - log B(nu/2, 1/2) - log(nu) / 2 - log sigma */
  double inv_sigma, inv_sqrt_nu;
  double dnu_const; /* (psi((nu+1)/2) - psi(nu/2) - 1/nu) / 2 */
} HalfTTerms;

static void halft_terms(HalfTTerms *c, double nu, double sigma, bool dnu) {
  c->log_norm =
      DIST_LOG_2 - gsl_sf_lnbeta(0.5 * nu, 0.5) - 0.5 * log(nu) - log(sigma);
  c->inv_sigma = 1.0 / sigma;
  c->inv_sqrt_nu = 1.0 / sqrt(nu);
  c->dnu_const = 0.0;
  if (dnu)
    c->dnu_const =
        0.5 * (gsl_sf_psi(0.5 * (nu + 1.0)) - gsl_sf_psi(0.5 * nu) - 1.0 / nu);
}

static double halft_lpdf(const DistTensor *in, double adj,
                         double *const *grad) {
  const size_t n = dist_broadcast_len(in, HALFT_K);
  if (n == 0)
    return dist_lpdf_empty(in, HALFT_K);
  if (!dist_check(&in[0], dist_nonnegative) ||
      !dist_check(&in[1], dist_positive) || !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[HALFT_K];
  dist_args_init(a, in, grad, HALFT_K);
  const bool vary = dist_params_vary(a, HALFT_K);
  const bool want = dist_args_want(a, HALFT_K);
  const bool dnu = a[1].g != NULL;
  HalfTTerms c;
  halft_terms(&c, dist_at(&a[1], 0), dist_at(&a[2], 0), dnu);
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double nu = dist_at(&a[1], i);
    if (vary)
      halft_terms(&c, nu, dist_at(&a[2], i), dnu);
    const double z = dist_at(&a[0], i) * c.inv_sigma;
    const double log1p_q = dist_log1p_sq(z * c.inv_sqrt_nu);
    lp += c.log_norm - 0.5 * (nu + 1.0) * log1p_q;
    if (want) {
      const double f = nu / (nu + z * z), one_m_f = 1.0 - f;
      dist_grad(&a[0], i, adj, -(nu + 1.0) * z / (nu + z * z) * c.inv_sigma);
      dist_grad(&a[1], i, adj,
                c.dnu_const + 0.5 * ((nu + 1.0) * one_m_f / nu - log1p_q));
      dist_grad(&a[2], i, adj, ((nu + 1.0) * one_m_f - 1.0) * c.inv_sigma);
    }
  }
  dist_args_flush(a, HALFT_K, adj);
  return lp;
}

static bool halft_random(Rng *rng, const DistTensor *p, double *out, size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_positive) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] =
        dist_param(&p[1], i) * fabs(gsl_ran_tdist(r, dist_param(&p[0], i)));
  return true;
}

const DistFamily dist_halfstudentt = {
    .name = "HalfStudentT",
    .nparams = 2,
    .params = halft_params,
    .defaults = halft_defaults,
    .support = {SUPPORT_POSITIVE, -1, -1, 0.0, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = halft_lpdf,
    .random = halft_random,
    .check = NULL,
};
