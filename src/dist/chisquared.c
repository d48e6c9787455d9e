/*
 * chisquared.c — the ChiSquared family on x > 0 with nu degrees of freedom
 * (nu > 0, not necessarily an integer): Gamma(nu / 2, rate 1 / 2).
 *
 *   log Chi2(x | nu) = (nu / 2 - 1) log x - x / 2 - (nu / 2) log 2
 *                      - log Gamma(nu / 2);
 *   d/dx = (nu / 2 - 1) / x - 1 / 2,
 *   d/dnu = (log x - log 2 - psi(nu / 2)) / 2.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "dist_util.h"
#include "rng.h"

enum { CHISQ_K = 2 }; /* inputs: x, nu */

static const char *const chisq_params[] = {"nu"};
static const double chisq_defaults[] = {NAN};

/* Terms of nu only: the log normalising constant and psi(nu / 2) (only when
 * its partial is wanted). */
typedef struct ChisqTerms {
  double log_norm, psi_half;
} ChisqTerms;

static void chisq_terms(ChisqTerms *c, double nu, bool digamma) {
  const double h = 0.5 * nu;
  c->log_norm = h * DIST_LOG_2 + gsl_sf_lngamma(h);
  c->psi_half = digamma ? gsl_sf_psi(h) : 0.0;
}

static double chisq_lpdf(const DistTensor *in, double adj,
                         double *const *grad) {
  const size_t n = dist_broadcast_len(in, CHISQ_K);
  if (n == 0)
    return dist_lpdf_empty(in, CHISQ_K);
  if (!dist_check(&in[0], dist_positive) || !dist_check(&in[1], dist_positive))
    return -INFINITY;
  DistArg a[CHISQ_K];
  dist_args_init(a, in, grad, CHISQ_K);
  const bool vary = dist_params_vary(a, CHISQ_K);
  const bool want = dist_args_want(a, CHISQ_K);
  const bool digamma = a[1].g != NULL;
  ChisqTerms c;
  chisq_terms(&c, dist_at(&a[1], 0), digamma);
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i), nu = dist_at(&a[1], i);
    if (vary)
      chisq_terms(&c, nu, digamma);
    const double log_x = log(x);
    lp += (0.5 * nu - 1.0) * log_x - 0.5 * x - c.log_norm;
    if (want) {
      dist_grad(&a[0], i, adj, (0.5 * nu - 1.0) / x - 0.5);
      dist_grad(&a[1], i, adj, 0.5 * (log_x - DIST_LOG_2 - c.psi_half));
    }
  }
  dist_args_flush(a, CHISQ_K, adj);
  return lp;
}

static bool chisq_random(Rng *rng, const DistTensor *p, double *out, size_t n) {
  if (!dist_random_lens(p, 1, n) || !dist_check(&p[0], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    out[i] = dist_clamp_positive(gsl_ran_chisq(r, dist_param(&p[0], i)));
  return true;
}

const DistFamily dist_chisquared = {
    .name = "ChiSquared",
    .nparams = 1,
    .params = chisq_params,
    .defaults = chisq_defaults,
    .support = {SUPPORT_POSITIVE, -1, -1, 0.0, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = chisq_lpdf,
    .random = chisq_random,
    .check = NULL,
};
