/*
 * gamma.c — the Gamma family on x > 0: shape alpha, RATE beta (PyMC's
 * parametrisation; the mean is alpha / beta). PyMC's mu/sigma form is
 * converted to alpha, beta by the model layer.
 *
 *   log Gamma(x | a, b) = a log b - log Gamma(a) + (a - 1) log x - b x;
 *   d/dx = (a - 1) / x - b,  d/da = log b - psi(a) + log x,  d/db = a / b - x.
 *
 * x = 0 is outside the support (the density there is 0, or infinite for
 * a < 1). GSL's sampler takes a SCALE, so draws use 1 / beta.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "dist_util.h"
#include "rng.h"

enum { GAMMA_K = 3 }; /* inputs: x, alpha, beta */

static const char *const gamma_params[] = {"alpha", "beta"};
static const double gamma_defaults[] = {NAN, NAN};

/* Terms of the parameters only; psi(alpha) only when its partial is
 * wanted. */
typedef struct GammaTerms {
  double lgamma_a, log_b, psi_a;
} GammaTerms;

static void gamma_terms(GammaTerms *c, double al, double be, bool digamma) {
  c->lgamma_a = gsl_sf_lngamma(al);
  c->log_b = log(be);
  c->psi_a = digamma ? gsl_sf_psi(al) : 0.0;
}

static double gamma_lpdf(const DistTensor *in, double adj,
                         double *const *grad) {
  const size_t n = dist_broadcast_len(in, GAMMA_K);
  if (n == 0)
    return dist_lpdf_empty(in, GAMMA_K);
  if (!dist_check(&in[0], dist_positive) ||
      !dist_check(&in[1], dist_positive) || !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[GAMMA_K];
  dist_args_init(a, in, grad, GAMMA_K);
  const bool vary = dist_params_vary(a, GAMMA_K);
  const bool want = dist_args_want(a, GAMMA_K);
  const bool digamma = a[1].g != NULL;
  GammaTerms c;
  gamma_terms(&c, dist_at(&a[1], 0), dist_at(&a[2], 0), digamma);
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i);
    const double al = dist_at(&a[1], i), be = dist_at(&a[2], i);
    if (vary)
      gamma_terms(&c, al, be, digamma);
    const double log_x = log(x);
    lp += al * c.log_b - c.lgamma_a + (al - 1.0) * log_x - be * x;
    if (want) {
      dist_grad(&a[0], i, adj, (al - 1.0) / x - be);
      dist_grad(&a[1], i, adj, c.log_b - c.psi_a + log_x);
      dist_grad(&a[2], i, adj, al / be - x);
    }
  }
  dist_args_flush(a, GAMMA_K, adj);
  return lp;
}

static bool gamma_random(Rng *rng, const DistTensor *p, double *out, size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_positive) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++) {
    const double scale = 1.0 / dist_param(&p[1], i);
    out[i] = dist_clamp_positive(gsl_ran_gamma(r, dist_param(&p[0], i), scale));
  }
  return true;
}

const DistFamily dist_gamma = {
    .name = "Gamma",
    .nparams = 2,
    .params = gamma_params,
    .defaults = gamma_defaults,
    .support = {SUPPORT_POSITIVE, -1, -1, 0.0, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = gamma_lpdf,
    .random = gamma_random,
    .check = NULL,
};
