/*
 * mvnormal.c — the MvNormal family: the multivariate normal distribution,
 * parameterised by the lower Cholesky factor of its covariance.
 *
 * Parameterisation: mu, the mean (K); chol = L, the LOWER Cholesky factor
 * of the covariance Sigma = L L^T (K x K, positive diagonal). PyMC's cov=
 * and tau= forms are converted to chol by the model layer.
 * With r = x - mu, z = L^{-1} r (forward substitution), w = L^{-T} z
 * (back substitution, so w = Sigma^{-1} r):
 *   log p(x | mu, L) = -K/2 log(2 pi) - sum_i log L_ii - z.z / 2;
 *   d/dx    = -w,
 *   d/dmu   =  w,
 *   d/dL_ij =  w_i z_j - [i == j] / L_ii        (i >= j).
 * The last follows from dz = -L^{-1} dL z, so d(-z.z/2) = w^T dL z
 * (Stan Math's multi_normal_cholesky_lpdf uses the same identities).
 *
 * Shapes: x is one vector of K or an N x K matrix of N rows, each an
 * independent MvNormal. mu is a number (every component), a vector of K
 * shared by every row, or an R x K matrix: row i of x uses mean row
 * i mod R (R must divide N). chol is K x K. Only its lower triangle is
 * read; the upper triangle must be exactly 0 (a full covariance passed as
 * chol is caught, not misread) and gets no partial. A non-positive or
 * non-finite diagonal, a non-finite entry, or a non-finite x or mu gives
 * -INFINITY.
 *
 * Every input is checked before anything is computed, so the -INFINITY
 * cases above leave the gradients untouched. A finite input can still
 * overflow z.z (|x - mu| / L_ii beyond about 1e154), which gives -INFINITY
 * with meaningless partials; the forward value at such a point is already
 * -INFINITY, so no sampler asks for its gradient.
 * Work space: two vectors of K, on the stack up to MVNORMAL_STACK_K and
 * malloc'd above (the interface has no workspace argument; the O(K)
 * buffer is small against the O(N K^2) solves).
 *
 * check: "MvNormal: mu has 3 elements but chol is 4 x 4"; a value is a
 * vector of K, or an R x K matrix when mu is a matrix of R rows. random:
 * gsl_ran_multivariate_gaussian (x = mu + L z, z standard normal); out_len
 * must be a multiple of K and its rows a multiple of R, row i using mean
 * row i mod R.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "dist_util.h"
#include "rng.h"

/* Components up to which the work space lives on the stack: 2 * 64
 * doubles is 1 KiB, and covers every model we expect in practice. */
enum { MVNORMAL_STACK_K = 64 };

static const char *const mvnormal_params[] = {"mu", "chol"};
static const double mvnormal_defaults[] = {NAN, NAN};

/* Rows and columns of a stack of vectors: a matrix is rows x cols,
 * anything else one row. */
static void mvnormal_stack_dims(const DistTensor *t, size_t *rows, size_t *k) {
  if (t->ndim == 2) {
    *rows = t->rows;
    *k = t->cols;
  } else {
    *rows = 1;
    *k = t->len;
  }
}

/* Whether L is a K x K lower-triangular factor with a positive diagonal. */
static bool mvnormal_chol_ok(const DistTensor *l, size_t k) {
  if (l->len != k * k || (l->ndim == 2 && (l->rows != k || l->cols != k)))
    return false;
  for (size_t i = 0; i < k; i++)
    for (size_t j = 0; j < k; j++) {
      const double v = l->data[i * k + j];
      if ((j > i && v != 0.0) || !isfinite(v) || (j == i && !(v > 0.0)))
        return false;
    }
  return true;
}

static bool mvnormal_all_finite(const DistTensor *t) {
  for (size_t i = 0; i < t->len; i++)
    if (!isfinite(t->data[i]))
      return false;
  return true;
}

/* How mu lines up with n rows of k: its row count (1 when shared), or 0
 * when it does not fit. A single number is spread over all components. */
static size_t mvnormal_mean_rows(const DistTensor *mu, size_t n, size_t k) {
  if (mu->len == 1 && mu->ndim != 2)
    return 1;
  size_t rows, mk;
  mvnormal_stack_dims(mu, &rows, &mk);
  if (mk != k || rows == 0 || n % rows != 0)
    return 0;
  return rows;
}

/* Component j of row i's mean. */
static inline double mvnormal_mean_at(const DistTensor *mu, size_t mrows,
                                      size_t i, size_t j, size_t k) {
  if (mu->len == 1)
    return mu->data[0];
  return mu->data[(i % mrows) * k + j];
}

/* z = L^{-1} (x_i - mu_i) by forward substitution; returns z.z. */
static double mvnormal_whiten(const DistTensor *x, const DistTensor *mu,
                              size_t mrows, const double *l, size_t i, size_t k,
                              double *z) {
  double zz = 0.0;
  for (size_t a = 0; a < k; a++) {
    double s = x->data[i * k + a] - mvnormal_mean_at(mu, mrows, i, a, k);
    for (size_t b = 0; b < a; b++)
      s -= l[a * k + b] * z[b];
    z[a] = s / l[a * k + a];
    zz += z[a] * z[a];
  }
  return zz;
}

/* w = L^{-T} z by back substitution. */
static void mvnormal_unwhiten(const double *l, const double *z, size_t k,
                              double *w) {
  for (size_t a = k; a-- > 0;) {
    double s = z[a];
    for (size_t b = a + 1; b < k; b++)
      s -= l[b * k + a] * w[b];
    w[a] = s / l[a * k + a];
  }
}

/* Adds the partials of row i (z, w known) into the gradients. */
static void mvnormal_add_row_grad(const DistTensor *mu, size_t mrows, size_t i,
                                  size_t k, const double *z, const double *w,
                                  double adj, double *const *grad) {
  for (size_t a = 0; a < k; a++) {
    if (grad[0])
      grad[0][i * k + a] -= adj * w[a];
    if (grad[1])
      grad[1][mu->len == 1 ? 0 : (i % mrows) * k + a] += adj * w[a];
    if (grad[2])
      for (size_t b = 0; b <= a; b++)
        grad[2][a * k + b] += adj * w[a] * z[b];
  }
}

static double mvnormal_lpdf(const DistTensor *in, double adj,
                            double *const *grad) {
  const DistTensor *x = &in[0], *mu = &in[1], *l = &in[2];
  size_t n, k;
  mvnormal_stack_dims(x, &n, &k);
  const size_t mrows = mvnormal_mean_rows(mu, n, k);
  if (k == 0 || mrows == 0 || !mvnormal_chol_ok(l, k) ||
      !mvnormal_all_finite(x) || !mvnormal_all_finite(mu))
    return -INFINITY;
  const bool want = grad && (grad[0] || grad[1] || grad[2]);
  double stack[2 * MVNORMAL_STACK_K];
  double *z = k <= MVNORMAL_STACK_K ? stack : malloc(2 * k * sizeof *z);
  if (!z)
    PANIC("out of memory");
  double *w = z + k, log_det = 0.0, zz = 0.0;
  for (size_t a = 0; a < k; a++)
    log_det += log(l->data[a * k + a]);
  for (size_t i = 0; i < n; i++) {
    zz += mvnormal_whiten(x, mu, mrows, l->data, i, k, z);
    if (want) {
      mvnormal_unwhiten(l->data, z, k, w);
      mvnormal_add_row_grad(mu, mrows, i, k, z, w, adj, grad);
    }
  }
  if (want && grad[2])
    for (size_t a = 0; a < k; a++)
      grad[2][a * k + a] -= adj * (double)n / l->data[a * k + a];
  if (z != stack)
    free(z);
  const double lp =
      -(double)n * ((double)k * DIST_HALF_LOG_2PI + log_det) - 0.5 * zz;
  return isfinite(lp) ? lp : -INFINITY;
}

static bool mvnormal_random(Rng *rng, const DistTensor *prm, double *out,
                            size_t out_len) {
  const DistTensor *mu = &prm[0], *l = &prm[1];
  const size_t k = l->ndim == 2 ? l->rows : 0;
  if (k == 0 || !mvnormal_chol_ok(l, k) || !mvnormal_all_finite(mu) ||
      out_len % k != 0)
    return false;
  const size_t n = out_len / k;
  size_t mrows = 1, mk = k;
  if (mu->len != 1 || mu->ndim == 2)
    mvnormal_stack_dims(mu, &mrows, &mk);
  if (mk != k || mrows == 0 || n % mrows != 0)
    return false;
  gsl_rng *r = rng_gsl(rng);
  gsl_matrix_const_view lv = gsl_matrix_const_view_array(l->data, k, k);
  double stack[MVNORMAL_STACK_K];
  double *m = k <= MVNORMAL_STACK_K ? stack : malloc(k * sizeof *m);
  if (!m)
    PANIC("out of memory");
  for (size_t i = 0; i < n; i++) {
    for (size_t a = 0; a < k; a++)
      m[a] = mvnormal_mean_at(mu, mrows, i, a, k);
    gsl_vector_const_view mv = gsl_vector_const_view_array(m, k);
    gsl_vector_view xv = gsl_vector_view_array(out + i * k, k);
    gsl_ran_multivariate_gaussian(r, &mv.vector, &lv.matrix, &xv.vector);
  }
  if (m != stack)
    free(m);
  return true;
}

/* Describes t's shape for a message: "a number", "a vector of 3", ... */
static void mvnormal_shape_words(const DistTensor *t, char *buf, size_t size) {
  if (t->ndim == 0)
    snprintf(buf, size, "a single number");
  else if (t->ndim == 1)
    snprintf(buf, size, "a vector of %zu", t->len);
  else
    snprintf(buf, size, "a %zu x %zu matrix", t->rows, t->cols);
}

static bool mvnormal_check(const DistTensor *prm, int *ndim, size_t *rows,
                           size_t *cols, char *err) {
  const DistTensor *mu = &prm[0], *l = &prm[1];
  char what[64];
  if (l->ndim != 2 || l->rows != l->cols || l->rows == 0) {
    mvnormal_shape_words(l, what, sizeof what);
    snprintf(err, DIST_ERR_LEN,
             "MvNormal: chol must be a square matrix (the lower Cholesky "
             "factor of the covariance), got %s",
             what);
    return false;
  }
  const size_t k = l->rows;
  if (mu->ndim == 2 && (mu->cols != k || mu->rows == 0)) {
    snprintf(err, DIST_ERR_LEN,
             "MvNormal: mu has %zu columns but chol is %zu x %zu", mu->cols, k,
             k);
    return false;
  }
  if (mu->ndim != 2 && mu->len != 1 && mu->len != k) {
    snprintf(err, DIST_ERR_LEN,
             "MvNormal: mu has %zu elements but chol is %zu x %zu", mu->len, k,
             k);
    return false;
  }
  *ndim = mu->ndim == 2 ? 2 : 1;
  *rows = mu->ndim == 2 ? mu->rows : k;
  *cols = mu->ndim == 2 ? k : 1;
  return true;
}

const DistFamily dist_mvnormal = {
    .name = "MvNormal",
    .nparams = 2,
    .params = mvnormal_params,
    .defaults = mvnormal_defaults,
    .support = {SUPPORT_REAL, -1, -1, -INFINITY, INFINITY},
    .discrete = false,
    .multivariate = true,
    .lpdf = mvnormal_lpdf,
    .random = mvnormal_random,
    .check = mvnormal_check,
};
