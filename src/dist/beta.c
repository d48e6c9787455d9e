/*
 * beta.c — the Beta family on the open interval (0, 1), shape parameters
 * alpha and beta (both required, as in PyMC).
 *
 *   log Beta(x | a, b) = (a - 1) log x + (b - 1) log(1 - x) - log B(a, b);
 *   d/dx = (a - 1) / x - (b - 1) / (1 - x),
 *   d/da = log x - psi(a) + psi(a + b),
 *   d/db = log(1 - x) - psi(b) + psi(a + b),
 * with log B from gsl_sf_lnbeta and psi (digamma) from gsl_sf_psi. x = 0 and
 * x = 1 are outside the support (the density there is 0 or infinite);
 * draws are clamped inside it, as PyMC's clipped_beta_rvs does.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "dist_util.h"
#include "rng.h"

enum { BETA_K = 3 }; /* inputs: x, alpha, beta */

static const char *const beta_params[] = {"alpha", "beta"};
static const double beta_defaults[] = {NAN, NAN};

/* Terms of the parameters only; the digammas only when a partial in alpha
 * or beta is wanted. */
typedef struct BetaTerms {
  double log_b;                /* log B(alpha, beta) */
  double psi_a, psi_b, psi_ab; /* psi(alpha), psi(beta), psi(alpha + beta) */
} BetaTerms;

static void beta_terms(BetaTerms *c, double al, double be, bool digammas) {
  c->log_b = gsl_sf_lnbeta(al, be);
  c->psi_a = c->psi_b = c->psi_ab = 0.0;
  if (digammas) {
    c->psi_a = gsl_sf_psi(al);
    c->psi_b = gsl_sf_psi(be);
    c->psi_ab = gsl_sf_psi(al + be);
  }
}

static double beta_lpdf(const DistTensor *in, double adj, double *const *grad) {
  const size_t n = dist_broadcast_len(in, BETA_K);
  if (n == 0)
    return dist_lpdf_empty(in, BETA_K);
  if (!dist_check(&in[0], dist_open_unit) ||
      !dist_check(&in[1], dist_positive) || !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[BETA_K];
  dist_args_init(a, in, grad, BETA_K);
  const bool vary = dist_params_vary(a, BETA_K);
  const bool want = dist_args_want(a, BETA_K);
  const bool digammas = a[1].g || a[2].g;
  BetaTerms c;
  beta_terms(&c, dist_at(&a[1], 0), dist_at(&a[2], 0), digammas);
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = dist_at(&a[0], i);
    const double al = dist_at(&a[1], i), be = dist_at(&a[2], i);
    if (vary)
      beta_terms(&c, al, be, digammas);
    const double log_x = log(x), log_1mx = log1p(-x);
    lp += (al - 1.0) * log_x + (be - 1.0) * log_1mx - c.log_b;
    if (want) {
      dist_grad(&a[0], i, adj, (al - 1.0) / x - (be - 1.0) / (1.0 - x));
      dist_grad(&a[1], i, adj, log_x - c.psi_a + c.psi_ab);
      dist_grad(&a[2], i, adj, log_1mx - c.psi_b + c.psi_ab);
    }
  }
  dist_args_flush(a, BETA_K, adj);
  return lp;
}

/* gsl_ran_beta, clamped to [DBL_MIN, 1 - DBL_EPSILON / 2] because small
 * shapes round draws to exactly 0 or 1. */
static bool beta_random(Rng *rng, const DistTensor *p, double *out, size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_positive) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++) {
    const double v =
        gsl_ran_beta(r, dist_param(&p[0], i), dist_param(&p[1], i));
    out[i] = fmin(fmax(v, DBL_MIN), 1.0 - 0.5 * DBL_EPSILON);
  }
  return true;
}

const DistFamily dist_beta = {
    .name = "Beta",
    .nparams = 2,
    .params = beta_params,
    .defaults = beta_defaults,
    .support = {SUPPORT_UNIT, -1, -1, 0.0, 1.0},
    .discrete = false,
    .multivariate = false,
    .lpdf = beta_lpdf,
    .random = beta_random,
    .check = NULL,
};
