/*
 * inversegamma.c — the InverseGamma family on x > 0: shape alpha, SCALE
 * beta (PyMC's parametrisation: 1 / x ~ Gamma(alpha, rate beta); beta
 * defaults to 1 as in PyMC).
 *
 *   log IG(x | a, b) = a log b - log Gamma(a) - (a + 1) log x - b / x;
 *   d/dx = -(a + 1) / x + b / x^2,  d/da = log b - psi(a) - log x,
 *   d/db = a / b - 1 / x.
 *
 * Draws are 1 / Gamma(alpha, scale 1 / beta), clamped to (0, inf).
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "dist_util.h"
#include "rng.h"

enum { INVGAMMA_K = 3 }; /* inputs: x, alpha, beta */

static const char *const invgamma_params[] = {"alpha", "beta"};
static const double invgamma_defaults[] = {NAN, 1.0};

/* Terms of the parameters only; psi(alpha) only when its partial is
 * wanted. */
typedef struct InvGammaTerms {
  double lgamma_a, log_b, psi_a;
} InvGammaTerms;

static void invgamma_terms(InvGammaTerms *c, double al, double be,
                           bool digamma) {
  c->lgamma_a = gsl_sf_lngamma(al);
  c->log_b = log(be);
  c->psi_a = digamma ? gsl_sf_psi(al) : 0.0;
}

static double invgamma_lpdf(const DistTensor *in, double adj,
                            double *const *grad) {
  const size_t n = dist_broadcast_len(in, INVGAMMA_K);
  if (n == 0)
    return dist_lpdf_empty(in, INVGAMMA_K);
  if (!dist_check(&in[0], dist_positive) ||
      !dist_check(&in[1], dist_positive) || !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[INVGAMMA_K];
  dist_args_init(a, in, grad, INVGAMMA_K);
  const bool vary = dist_params_vary(a, INVGAMMA_K);
  const bool want = dist_args_want(a, INVGAMMA_K);
  const bool digamma = a[1].g != NULL;
  InvGammaTerms c;
  invgamma_terms(&c, dist_at(&a[1], 0), dist_at(&a[2], 0), digamma);
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i), inv_x = 1.0 / x;
    const double al = dist_at(&a[1], i), be = dist_at(&a[2], i);
    if (vary)
      invgamma_terms(&c, al, be, digamma);
    const double log_x = log(x);
    lp += al * c.log_b - c.lgamma_a - (al + 1.0) * log_x - be * inv_x;
    if (want) {
      dist_grad(&a[0], i, adj, (be * inv_x - (al + 1.0)) * inv_x);
      dist_grad(&a[1], i, adj, c.log_b - c.psi_a - log_x);
      dist_grad(&a[2], i, adj, al / be - inv_x);
    }
  }
  dist_args_flush(a, INVGAMMA_K, adj);
  return lp;
}

static bool invgamma_random(Rng *rng, const DistTensor *p, double *out,
                            size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_positive) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++) {
    const double scale = 1.0 / dist_param(&p[1], i);
    const double g = gsl_ran_gamma(r, dist_param(&p[0], i), scale);
    out[i] = dist_clamp_positive(1.0 / g);
  }
  return true;
}

const DistFamily dist_inversegamma = {
    .name = "InverseGamma",
    .nparams = 2,
    .params = invgamma_params,
    .defaults = invgamma_defaults,
    .support = {SUPPORT_POSITIVE, -1, -1, 0.0, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = invgamma_lpdf,
    .random = invgamma_random,
    .check = NULL,
};
