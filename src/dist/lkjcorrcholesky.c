/*
 * lkjcorrcholesky.c — the LKJ distribution over correlation matrices,
 * expressed on their lower Cholesky factor (Stan's lkj_corr_cholesky).
 *
 * Parameterisation: eta > 0 the shape (1 is uniform over correlation
 * matrices, larger concentrates on the identity), n >= 2 the dimension.
 * x = L, lower triangular n x n with a positive diagonal and rows of unit
 * length, so that Omega = L L^T has a unit diagonal. Its density with
 * respect to the strictly lower entries of L is
 *   log p(L | eta) = sum_{i=1}^{n-1} c_i log L_ii - log Z(eta, n),
 *   c_i = n - i - 1 + 2 (eta - 1)                  (0-based i)
 * since det Omega = prod L_ii^2 and the map from the lower entries of
 * Omega to those of L has Jacobian prod L_ii^(n-i-1) (Stan Math,
 * lkj_corr_cholesky_lpdf). The normalising constant includes nothing
 * Stan's propto drops: the free entries of row i (i >= 1) lie in the unit
 * ball of dimension i, and p factorises over rows, so with s_i = c_i / 2,
 *   Z = prod_{i=1}^{n-1} int_{|v| < 1} (1 - |v|^2)^s_i dv
 *     = prod_{i=1}^{n-1} pi^(i/2) Gamma(s_i + 1) / Gamma(s_i + 1 + i/2),
 * which equals the constant of Lewandowski, Kurowicka & Joe (2009),
 * section 3.3 (the tests check both forms). Partials:
 *   d/dL_ii = c_i / L_ii  (i >= 1; every other entry 0)
 *   d/deta  = sum_{i=1}^{n-1} [2 log L_ii - psi(s_i + 1)
 *                              + psi(s_i + 1 + i/2)]
 * n is an integer parameter and gets no partial (grad[2] is ignored).
 *
 * x must be n x n, with an upper triangle of exact zeros, a positive
 * diagonal, finite entries and rows of length 1 within LKJ_UNIT_TOL; eta must
 * be positive and finite, n a whole number >= 1 (1 gives the 1 x 1 factor
 * [1], log p = 0). Anything else gives -INFINITY.
 *
 * check reads n (it must be a constant), and a value is an n x n matrix.
 * random: the C-vine method of LKJ (2009), section 3.2, as Stan's
 * lkj_corr_cholesky_rng: canonical partial correlations of column i are
 * 2 Beta(b_i, b_i) - 1 with b_i = eta + (n - 2 - i) / 2 (gsl_ran_beta),
 * turned into L row by row (Stan's read_corr_L). out_len must be a
 * multiple of n * n.
 * Reference: Lewandowski, Kurowicka & Joe (2009), Generating random
 * correlation matrices based on vines and extended onion method, J.
 * Multivariate Analysis 100(9).
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dist_util.h"
#include "rng.h"

/* How far from 1 a row's squared length may be: well above the rounding of
 * the Cholesky-correlation transform (a few ulps per entry). */
#define LKJ_UNIT_TOL 1e-8

/* The largest n accepted, so that n * n counts fit any size_t. */
#define LKJ_MAX_DIM 65535.0

static const char *const lkj_params[] = {"eta", "n"};
static const double lkj_defaults[] = {NAN, NAN};

static bool lkj_is_dim(double n) {
  return n >= 1.0 && n <= LKJ_MAX_DIM && n == floor(n);
}

static bool lkj_is_shape(double eta) { return eta > 0.0 && isfinite(eta); }

/* Whether l is a k x k Cholesky factor of a correlation matrix. */
static bool lkj_factor_ok(const double *l, size_t k) {
  for (size_t i = 0; i < k; i++) {
    double len2 = 0.0;
    for (size_t j = 0; j < k; j++) {
      const double v = l[i * k + j];
      if (!isfinite(v) || (j > i && v != 0.0) || (j == i && !(v > 0.0)))
        return false;
      len2 += v * v;
    }
    if (fabs(len2 - 1.0) > LKJ_UNIT_TOL)
      return false;
  }
  return true;
}

/* c_i / 2 for row i of an n x n factor. */
static double lkj_half_power(double eta, size_t i, size_t n) {
  return 0.5 * (double)(n - i - 1) + eta - 1.0;
}

/* log Z(eta, n): the normalising constant (see the header). */
static double lkj_log_norm(double eta, size_t n) {
  double lz = 0.0;
  for (size_t i = 1; i < n; i++) {
    const double s = lkj_half_power(eta, i, n), h = 0.5 * (double)i;
    lz +=
        h * DIST_LOG_PI + gsl_sf_lngamma(s + 1.0) - gsl_sf_lngamma(s + 1.0 + h);
  }
  return lz;
}

/* d log Z / d eta. */
static double lkj_log_norm_deta(double eta, size_t n) {
  double d = 0.0;
  for (size_t i = 1; i < n; i++) {
    const double s = lkj_half_power(eta, i, n);
    d += gsl_sf_psi(s + 1.0) - gsl_sf_psi(s + 1.0 + 0.5 * (double)i);
  }
  return d;
}

static double lkj_lpdf(const DistTensor *in, double adj, double *const *grad) {
  const DistTensor *x = &in[0], *eta_t = &in[1], *n_t = &in[2];
  if (eta_t->len != 1 || n_t->len != 1 || !lkj_is_shape(eta_t->data[0]) ||
      !lkj_is_dim(n_t->data[0]))
    return -INFINITY;
  const double eta = eta_t->data[0];
  const size_t n = (size_t)n_t->data[0];
  if (x->len != n * n || (n > 1 && (x->ndim != 2 || x->rows != n)) ||
      !lkj_factor_ok(x->data, n))
    return -INFINITY;
  double lp = -lkj_log_norm(eta, n);
  for (size_t i = 1; i < n; i++)
    lp += 2.0 * lkj_half_power(eta, i, n) * log(x->data[i * n + i]);
  if (!isfinite(lp))
    return -INFINITY;
  if (!grad)
    return lp;
  if (grad[0])
    for (size_t i = 1; i < n; i++)
      grad[0][i * n + i] +=
          adj * 2.0 * lkj_half_power(eta, i, n) / x->data[i * n + i];
  if (grad[1]) {
    double d = -lkj_log_norm_deta(eta, n);
    for (size_t i = 1; i < n; i++)
      d += 2.0 * log(x->data[i * n + i]);
    grad[1][0] += adj * d;
  }
  return lp;
}

/* One factor into l (n x n, row-major) by the C-vine method. The diagonal
 * slot of each row holds the squared length still free in that row until
 * the row's column is reached (Stan's acc). */
static void lkj_draw_one(gsl_rng *r, double eta, size_t n, double *l) {
  memset(l, 0, n * n * sizeof *l);
  for (size_t i = 0; i < n; i++)
    l[i * n + i] = 1.0;
  for (size_t i = 0; i + 1 < n; i++) {
    l[i * n + i] = sqrt(l[i * n + i]);
    const double b = eta + 0.5 * (double)(n - 2 - i);
    for (size_t j = i + 1; j < n; j++) {
      const double cpc = 2.0 * gsl_ran_beta(r, b, b) - 1.0;
      l[j * n + i] = cpc * sqrt(l[j * n + j]);
      l[j * n + j] *= 1.0 - cpc * cpc;
    }
  }
  l[n * n - 1] = sqrt(l[n * n - 1]);
}

static bool lkj_random(Rng *rng, const DistTensor *prm, double *out,
                       size_t out_len) {
  const DistTensor *eta = &prm[0], *n_t = &prm[1];
  if (eta->len != 1 || n_t->len != 1 || !lkj_is_shape(eta->data[0]) ||
      !lkj_is_dim(n_t->data[0]))
    return false;
  const size_t n = (size_t)n_t->data[0];
  if (out_len % (n * n) != 0)
    return false;
  for (size_t i = 0; i < out_len / (n * n); i++)
    lkj_draw_one(rng_gsl(rng), eta->data[0], n, out + i * n * n);
  return true;
}

static bool lkj_check(const DistTensor *prm, int *ndim, size_t *rows,
                      size_t *cols, char *err) {
  const DistTensor *eta = &prm[0], *n_t = &prm[1];
  if (eta->len != 1) {
    snprintf(err, DIST_ERR_LEN,
             "LKJCorrCholesky: eta must be a single number, got %zu of them",
             eta->len);
    return false;
  }
  if (n_t->len != 1 || !n_t->data) {
    snprintf(err, DIST_ERR_LEN,
             "LKJCorrCholesky: n must be a constant whole number, the "
             "dimension of the correlation matrix");
    return false;
  }
  const double n = n_t->data[0];
  if (!lkj_is_dim(n) || n < 2.0) {
    snprintf(err, DIST_ERR_LEN,
             "LKJCorrCholesky: n must be a whole number from 2 to %.0f, got "
             "%g",
             LKJ_MAX_DIM, n);
    return false;
  }
  *ndim = 2;
  *rows = (size_t)n;
  *cols = (size_t)n;
  return true;
}

const DistFamily dist_lkjcorrcholesky = {
    .name = "LKJCorrCholesky",
    .nparams = 2,
    .params = lkj_params,
    .defaults = lkj_defaults,
    .support = {SUPPORT_CHOL_CORR, -1, -1, -1.0, 1.0},
    .discrete = false,
    .multivariate = true,
    .lpdf = lkj_lpdf,
    .random = lkj_random,
    .check = lkj_check,
};
