/*
 * categorical.c — the Categorical family: x is one of the categories
 * 0 .. K-1 (0-based, as PyMC), category k having probability p[k].
 *
 * Parameterisation (PyMC): p, the K probabilities, either
 *   - a vector of K, shared by every element of x (x of any shape, each
 *     element one draw), or
 *   - an R x K matrix, one row of probabilities per element of x: element
 *     i uses row i mod R, so x holds a whole number of R-element events
 *     (R must divide the length of x; a 1 x K matrix acts as a vector).
 * Every row must lie on the simplex: entries in [0, 1] summing to 1 within
 * CATEGORICAL_SIMPLEX_TOL. Rows are not rescaled here (PyMC rescales
 * constant weights when the distribution is built: the model layer's
 * business).
 *   log p(x | p) = sum_i log p[row(i), x_i],
 *   d/dp[r, k]   = (number of i with row(i) = r and x_i = k) / p[r, k].
 * The partial is that of the expression as written, off the simplex too;
 * on the simplex it differs from any other extension only along
 * (1, .., 1), which a simplex transform's Jacobian removes.
 *
 * x is discrete: its partial is never written (grad[0] is ignored). An x
 * that is not an integer in 0 .. K-1, a row of p off the simplex or a zero
 * probability for an observed category gives -INFINITY.
 *
 * check: p a vector of K >= 1 -> a value is a scalar (ndim 0); p an R x K
 * matrix -> a vector of R categories. random: out_len draws, draw i from
 * row i mod R (R must divide out_len), each by inverting the cumulative
 * sum of its row at one uniform variate.
 */
#include <config.h>
#include "dist.h"

#include <math.h>
#include <stdio.h>

#include "rng.h"

/* How far from 1 a row of probabilities may sum: well above the rounding
 * of a simplex transform or a softmax over millions of categories (about
 * K * 1e-16), well below any probability a user would write by hand. */
#define CATEGORICAL_SIMPLEX_TOL 1e-8

static const char *const categorical_params[] = {"p"};
static const double categorical_defaults[] = {NAN};

/* Rows and columns of p: a matrix is R x K, anything else one row. */
static void categorical_prob_dims(const DistTensor *p, size_t *rows,
                                  size_t *k) {
  if (p->ndim == 2) {
    *rows = p->rows;
    *k = p->cols;
  } else {
    *rows = 1;
    *k = p->len;
  }
}

/* Whether the k probabilities at row lie on the simplex. */
static bool categorical_is_simplex(const double *row, size_t k) {
  double sum = 0.0;
  for (size_t j = 0; j < k; j++) {
    if (!(row[j] >= 0.0 && row[j] <= 1.0))
      return false;
    sum += row[j];
  }
  return fabs(sum - 1.0) <= CATEGORICAL_SIMPLEX_TOL;
}

/* Whether p has nrows rows of k probabilities, all on the simplex. */
static bool categorical_probs_ok(const DistTensor *p, size_t nrows, size_t k) {
  if (k == 0 || p->len != nrows * k)
    return false;
  for (size_t r = 0; r < nrows; r++)
    if (!categorical_is_simplex(p->data + r * k, k))
      return false;
  return true;
}

/* The offset in p of element i's category x, or -1 when x is not one. */
static ptrdiff_t categorical_cell(double x, size_t row, size_t k) {
  if (!(x >= 0.0 && x < (double)k && x == floor(x)))
    return -1;
  return (ptrdiff_t)(row * k + (size_t)x);
}

static double categorical_lpdf(const DistTensor *in, double adj,
                               double *const *grad) {
  const DistTensor *x = &in[0], *p = &in[1];
  size_t rows, k;
  categorical_prob_dims(p, &rows, &k);
  const size_t n = x->len;
  if (rows == 0 || n % rows != 0 || !categorical_probs_ok(p, rows, k))
    return -INFINITY;
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const ptrdiff_t c = categorical_cell(x->data[i], i % rows, k);
    if (c < 0)
      return -INFINITY;
    lp += log(p->data[c]);
  }
  if (!(lp > -INFINITY))
    return -INFINITY;
  if (grad && grad[1])
    for (size_t i = 0; i < n; i++) {
      const ptrdiff_t c = categorical_cell(x->data[i], i % rows, k);
      grad[1][c] += adj / p->data[c];
    }
  return lp;
}

/* One category drawn from the k probabilities at row (on the simplex). */
static double categorical_draw_one(Rng *rng, const double *row, size_t k) {
  const double u = rng_uniform(rng);
  double cum = 0.0;
  size_t last = 0;
  for (size_t j = 0; j < k; j++) {
    if (row[j] > 0.0)
      last = j;
    cum += row[j];
    if (u < cum && row[j] > 0.0)
      return (double)j;
  }
  return (double)last; /* u beyond a sum rounded just below 1 */
}

static bool categorical_random(Rng *rng, const DistTensor *prm, double *out,
                               size_t out_len) {
  const DistTensor *p = &prm[0];
  size_t rows, k;
  categorical_prob_dims(p, &rows, &k);
  if (rows == 0 || out_len % rows != 0 || !categorical_probs_ok(p, rows, k))
    return false;
  for (size_t i = 0; i < out_len; i++)
    out[i] = categorical_draw_one(rng, p->data + (i % rows) * k, k);
  return true;
}

static bool categorical_check(const DistTensor *prm, int *ndim, size_t *rows,
                              size_t *cols, char *err) {
  const DistTensor *p = &prm[0];
  if (p->ndim == 0) {
    snprintf(err, DIST_ERR_LEN,
             "Categorical: p must be a vector of probabilities, one per "
             "category, got a single number");
    return false;
  }
  size_t r, k;
  categorical_prob_dims(p, &r, &k);
  if (k == 0 || r == 0) {
    snprintf(err, DIST_ERR_LEN,
             "Categorical: p is empty; it needs one probability per "
             "category");
    return false;
  }
  *ndim = p->ndim == 2 ? 1 : 0;
  *rows = p->ndim == 2 ? r : 1;
  *cols = 1;
  return true;
}

const DistFamily dist_categorical = {
    .name = "Categorical",
    .nparams = 1,
    .params = categorical_params,
    .defaults = categorical_defaults,
    .support = {SUPPORT_CATEGORY, -1, -1, 0.0, INFINITY},
    .discrete = true,
    .multivariate = true,
    .lpdf = categorical_lpdf,
    .random = categorical_random,
    .check = categorical_check,
};
