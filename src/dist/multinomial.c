/*
 * multinomial.c — the Multinomial family: the counts of each of K
 * categories in n independent draws with category probabilities p.
 *
 * Parameterisation (PyMC): n a non-negative integer; p the K
 * probabilities, entries in [0, 1] summing to 1 within
 * MULTINOMIAL_SIMPLEX_TOL (not rescaled here).
 *   log p(x | n, p) = log Gamma(n + 1) - sum_j log Gamma(x_j + 1)
 *                     + sum_j x_j log p_j;
 *   d/dp_j = x_j / p_j.
 * Terms with x_j = 0 are left out, so p_j = 0 is allowed where x_j = 0.
 * The partial is that of the expression as written; on the simplex it
 * differs from any other extension only along (1, .., 1).
 * n is an integer parameter and x discrete: neither gets a partial
 * (grad[0] and grad[1] are ignored).
 *
 * Shapes: x is one vector of K counts or an N x K matrix, one per row. n
 * is a number or a vector of counts, one per row; p a vector of K or an
 * R x K matrix. Row i of x uses n[i mod len(n)] and p row i mod R (each
 * of len(n) and R must divide N; length 1 is shared by every row).
 * A row whose counts do not sum to its n, a non-integer count, or a row of
 * p off the simplex gives -INFINITY; counts above 2^53 are rejected.
 *
 * check: a value is a vector of K, or a B x K matrix when p is a matrix
 * or n a vector (B the larger of their row counts, which must be equal
 * when both exceed 1). random: gsl_ran_multinomial (a chain of
 * conditional binomials) per row, rows recycling n and p as above;
 * out_len must be a multiple of K, its rows a multiple of both counts.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "rng.h"

/* How far from 1 a row of probabilities may sum: well above the rounding
 * of a simplex transform or a softmax (about K * 1e-16), well below any
 * probability a user would write by hand. */
#define MULTINOMIAL_SIMPLEX_TOL 1e-8

/* 2^53: the largest count a double holds with every integer below it. */
#define MULTINOMIAL_MAX_COUNT 9007199254740992.0

static const char *const multinomial_params[] = {"n", "p"};
static const double multinomial_defaults[] = {NAN, NAN};

/* Rows and columns of a stack of vectors: a matrix is rows x cols,
 * anything else one row. */
static void multinomial_stack_dims(const DistTensor *t, size_t *rows,
                                   size_t *k) {
  if (t->ndim == 2) {
    *rows = t->rows;
    *k = t->cols;
  } else {
    *rows = 1;
    *k = t->len;
  }
}

static bool multinomial_is_count(double v) {
  return v >= 0.0 && v <= MULTINOMIAL_MAX_COUNT && v == floor(v);
}

/* Whether the k probabilities at row lie on the simplex. */
static bool multinomial_is_simplex(const double *row, size_t k) {
  double sum = 0.0;
  for (size_t j = 0; j < k; j++) {
    if (!(row[j] >= 0.0 && row[j] <= 1.0))
      return false;
    sum += row[j];
  }
  return fabs(sum - 1.0) <= MULTINOMIAL_SIMPLEX_TOL;
}

/* Whether every one of the prows rows of k probabilities is a simplex. */
static bool multinomial_probs_ok(const DistTensor *p, size_t prows, size_t k) {
  for (size_t r = 0; r < prows; r++)
    if (!multinomial_is_simplex(p->data + r * k, k))
      return false;
  return true;
}

/* The log mass of one row of k counts x with total nr and probabilities
 * pr, or -INFINITY when the counts are invalid or impossible. */
static double multinomial_lpmf_row(const double *x, double nr, const double *pr,
                                   size_t k) {
  double lp = gsl_sf_lngamma(nr + 1.0), total = 0.0;
  for (size_t j = 0; j < k; j++) {
    if (!multinomial_is_count(x[j]))
      return -INFINITY;
    total += x[j];
    lp -= gsl_sf_lngamma(x[j] + 1.0);
    if (x[j] > 0.0)
      lp += x[j] * log(pr[j]);
  }
  return total == nr ? lp : -INFINITY;
}

static double multinomial_lpdf(const DistTensor *in, double adj,
                               double *const *grad) {
  const DistTensor *x = &in[0], *n = &in[1], *p = &in[2];
  size_t rows, k, prows, pk;
  multinomial_stack_dims(x, &rows, &k);
  multinomial_stack_dims(p, &prows, &pk);
  if (pk != k || k == 0 || prows == 0 || rows % prows != 0 || n->len == 0 ||
      rows % n->len != 0 || !multinomial_probs_ok(p, prows, k))
    return -INFINITY;
  double lp = 0.0;
  for (size_t i = 0; i < rows; i++) {
    const double ni = n->data[i % n->len];
    if (!multinomial_is_count(ni))
      return -INFINITY;
    lp +=
        multinomial_lpmf_row(x->data + i * k, ni, p->data + (i % prows) * k, k);
  }
  if (!(lp > -INFINITY))
    return -INFINITY;
  if (!grad || !grad[2])
    return lp;
  for (size_t i = 0; i < rows; i++) {
    const size_t pr = i % prows;
    for (size_t j = 0; j < k; j++) {
      const double xij = x->data[i * k + j];
      if (xij > 0.0)
        grad[2][pr * k + j] += adj * xij / p->data[pr * k + j];
    }
  }
  return lp;
}

static bool multinomial_random(Rng *rng, const DistTensor *prm, double *out,
                               size_t out_len) {
  const DistTensor *n = &prm[0], *p = &prm[1];
  size_t prows, k;
  multinomial_stack_dims(p, &prows, &k);
  if (k == 0 || prows == 0 || n->len == 0 || out_len % k != 0)
    return false;
  const size_t rows = out_len / k;
  if (rows % prows != 0 || rows % n->len != 0 ||
      !multinomial_probs_ok(p, prows, k))
    return false;
  for (size_t i = 0; i < n->len; i++)
    if (!multinomial_is_count(n->data[i]) || n->data[i] > UINT_MAX)
      return false;
  unsigned *counts = malloc(k * sizeof *counts);
  if (!counts)
    PANIC("out of memory");
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < rows; i++) {
    gsl_ran_multinomial(r, k, (unsigned)n->data[i % n->len],
                        p->data + (i % prows) * k, counts);
    for (size_t j = 0; j < k; j++)
      out[i * k + j] = (double)counts[j];
  }
  free(counts);
  return true;
}

static bool multinomial_check(const DistTensor *prm, int *ndim, size_t *rows,
                              size_t *cols, char *err) {
  const DistTensor *n = &prm[0], *p = &prm[1];
  if (p->ndim == 0) {
    snprintf(err, DIST_ERR_LEN,
             "Multinomial: p must be a vector of probabilities, one per "
             "category, got a single number");
    return false;
  }
  size_t prows, k;
  multinomial_stack_dims(p, &prows, &k);
  if (k == 0 || prows == 0) {
    snprintf(err, DIST_ERR_LEN, "Multinomial: p is empty");
    return false;
  }
  if (n->ndim == 2 || n->len == 0) {
    snprintf(err, DIST_ERR_LEN,
             "Multinomial: n must be a number of trials or a vector of them, "
             "one per row");
    return false;
  }
  if (n->len > 1 && prows > 1 && n->len != prows) {
    snprintf(err, DIST_ERR_LEN,
             "Multinomial: n has %zu counts but p has %zu rows", n->len, prows);
    return false;
  }
  const size_t b = n->len > prows ? n->len : prows;
  const bool stacked = p->ndim == 2 || n->len > 1;
  *ndim = stacked ? 2 : 1;
  *rows = stacked ? b : k;
  *cols = stacked ? k : 1;
  return true;
}

const DistFamily dist_multinomial = {
    .name = "Multinomial",
    .nparams = 2,
    .params = multinomial_params,
    .defaults = multinomial_defaults,
    .support = {SUPPORT_NATURAL, -1, 0, 0.0, INFINITY},
    .discrete = true,
    .multivariate = true,
    .lpdf = multinomial_lpdf,
    .random = multinomial_random,
    .check = multinomial_check,
};
