/*
 * dirichlet.c — the Dirichlet family over the probability simplex: vectors
 * of K positive entries summing to 1.
 *
 * Parameterisation (PyMC): a, the K concentrations (all > 0).
 *   log p(x | a) = log Gamma(A) - sum_j log Gamma(a_j)
 *                  + sum_j (a_j - 1) log x_j,      A = sum_j a_j;
 *   d/dx_j = (a_j - 1) / x_j,
 *   d/da_j = psi(A) - psi(a_j) + log x_j.
 * The x partials are those of the expression as written; on the simplex
 * they differ from any other extension only along (1, .., 1), which the
 * simplex transform's Jacobian removes.
 *
 * Shapes: x is one simplex (a vector of K) or a stack of N (an N x K
 * matrix, one per row). a is a vector of K shared by every row, or an
 * R x K matrix: row i of x uses row i mod R of a, so x holds a whole
 * number of R x K events (R must divide N). The normalising term and its
 * digammas are computed once per row of a, not once per row of x.
 *
 * x must be on the open simplex: entries in (0, 1] summing to 1 within
 * DIRICHLET_SIMPLEX_TOL; anything else, or an a_j that is not positive and
 * finite, gives -INFINITY.
 *
 * check: a a vector of K -> a value is a vector of K; a an R x K matrix ->
 * an R x K matrix. random: gsl_ran_dirichlet per row (normalised Gamma
 * draws); out_len must be a multiple of R * K, and output row i uses row
 * i mod R of a.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <stdio.h>

#include "rng.h"

/* How far from 1 a simplex may sum: well above the rounding of a simplex
 * transform (a few ulps per entry), well below anything a user would
 * mean as a different point. */
#define DIRICHLET_SIMPLEX_TOL 1e-8

static const char *const dirichlet_params[] = {"a"};
static const double dirichlet_defaults[] = {NAN};

/* Rows and columns of a stack of vectors: a matrix is rows x cols,
 * anything else one row. */
static void dirichlet_stack_dims(const DistTensor *t, size_t *rows, size_t *k) {
  if (t->ndim == 2) {
    *rows = t->rows;
    *k = t->cols;
  } else {
    *rows = 1;
    *k = t->len;
  }
}

/* Whether every concentration is positive and finite. */
static bool dirichlet_conc_ok(const DistTensor *a) {
  for (size_t i = 0; i < a->len; i++)
    if (!(a->data[i] > 0.0) || isinf(a->data[i]))
      return false;
  return true;
}

/* Whether the k entries at row lie on the open simplex. */
static bool dirichlet_is_simplex(const double *row, size_t k) {
  double sum = 0.0;
  for (size_t j = 0; j < k; j++) {
    if (!(row[j] > 0.0 && row[j] <= 1.0))
      return false;
    sum += row[j];
  }
  return fabs(sum - 1.0) <= DIRICHLET_SIMPLEX_TOL;
}

/* log Gamma(A) - sum_j log Gamma(a_j) of one row of k concentrations. */
static double dirichlet_log_norm(const double *a, size_t k) {
  double sum = 0.0, lg = 0.0;
  for (size_t j = 0; j < k; j++) {
    sum += a[j];
    lg += gsl_sf_lngamma(a[j]);
  }
  return gsl_sf_lngamma(sum) - lg;
}

/* Adds w * (psi(A) - psi(a_j)) into g[j] for one row of concentrations. */
static void dirichlet_add_norm_grad(const double *a, size_t k, double w,
                                    double *g) {
  double sum = 0.0;
  for (size_t j = 0; j < k; j++)
    sum += a[j];
  const double psi_sum = gsl_sf_psi(sum);
  for (size_t j = 0; j < k; j++)
    g[j] += w * (psi_sum - gsl_sf_psi(a[j]));
}

static double dirichlet_lpdf(const DistTensor *in, double adj,
                             double *const *grad) {
  const DistTensor *x = &in[0], *a = &in[1];
  size_t n, k, arows, ak;
  dirichlet_stack_dims(x, &n, &k);
  dirichlet_stack_dims(a, &arows, &ak);
  if (ak != k || k == 0 || arows == 0 || n % arows != 0 ||
      !dirichlet_conc_ok(a))
    return -INFINITY;
  double lp = 0.0;
  for (size_t r = 0; r < arows; r++)
    lp += (double)(n / arows) * dirichlet_log_norm(a->data + r * k, k);
  for (size_t i = 0; i < n; i++) {
    const double *xi = x->data + i * k, *ai = a->data + (i % arows) * k;
    if (!dirichlet_is_simplex(xi, k))
      return -INFINITY;
    for (size_t j = 0; j < k; j++)
      lp += (ai[j] - 1.0) * log(xi[j]);
  }
  if (!isfinite(lp))
    return -INFINITY;
  if (!grad)
    return lp;
  for (size_t i = 0; i < n; i++) {
    const size_t ar = i % arows;
    const double *xi = x->data + i * k, *ai = a->data + ar * k;
    for (size_t j = 0; j < k; j++) {
      if (grad[0])
        grad[0][i * k + j] += adj * (ai[j] - 1.0) / xi[j];
      if (grad[1])
        grad[1][ar * k + j] += adj * log(xi[j]);
    }
  }
  if (grad[1])
    for (size_t r = 0; r < arows; r++)
      dirichlet_add_norm_grad(a->data + r * k, k, adj * (double)(n / arows),
                              grad[1] + r * k);
  return lp;
}

static bool dirichlet_random(Rng *rng, const DistTensor *prm, double *out,
                             size_t out_len) {
  const DistTensor *a = &prm[0];
  size_t arows, k;
  dirichlet_stack_dims(a, &arows, &k);
  if (k == 0 || arows == 0 || out_len % (arows * k) != 0 ||
      !dirichlet_conc_ok(a))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < out_len / k; i++)
    gsl_ran_dirichlet(r, k, a->data + (i % arows) * k, out + i * k);
  return true;
}

static bool dirichlet_check(const DistTensor *prm, int *ndim, size_t *rows,
                            size_t *cols, char *err) {
  const DistTensor *a = &prm[0];
  if (a->ndim == 0) {
    snprintf(err, DIST_ERR_LEN,
             "Dirichlet: a must be a vector of concentrations, one per "
             "category, got a single number");
    return false;
  }
  size_t r, k;
  dirichlet_stack_dims(a, &r, &k);
  if (k < 2) {
    snprintf(err, DIST_ERR_LEN,
             "Dirichlet: a needs at least 2 concentrations, got %zu", k);
    return false;
  }
  if (r == 0) {
    snprintf(err, DIST_ERR_LEN, "Dirichlet: the matrix a has no rows");
    return false;
  }
  *ndim = a->ndim;
  *rows = a->ndim == 2 ? r : k;
  *cols = a->ndim == 2 ? k : 1;
  return true;
}

const DistFamily dist_dirichlet = {
    .name = "Dirichlet",
    .nparams = 1,
    .params = dirichlet_params,
    .defaults = dirichlet_defaults,
    .support = {SUPPORT_SIMPLEX, -1, -1, 0.0, 1.0},
    .discrete = false,
    .multivariate = true,
    .lpdf = dirichlet_lpdf,
    .random = dirichlet_random,
    .check = dirichlet_check,
};
