/*
 * transform.c — constraining transforms as tape instructions, and their
 * numeric inverses (see transform.h for the table of formulas).
 *
 * Every transform is composed from existing tape ops, so its gradient comes
 * from the one autodiff engine with no rule of its own. The bounded scalar
 * transforms are elementwise, and their bounds may be model variables
 * (sigma ~ Uniform(0, tau)) with gradients flowing into them. The vector
 * transforms (ordered, simplex, Cholesky correlation) are built element by
 * element: O(K) or O(n^2) scalar instructions, fine at the sizes such
 * variables have (up to a few hundred elements).
 *
 * Reference: Stan Reference Manual, "Constraint Transforms".
 */
#include <config.h>
#include "transform.h"

#include <math.h>
#include <stdio.h>

#include "common.h"
#include "mem.h"

const char *transform_name(TransformKind k) {
  switch (k) {
  case TR_IDENTITY: return "identity";
  case TR_LOWER: return "log";
  case TR_UPPER: return "upper-log";
  case TR_INTERVAL: return "interval";
  case TR_ORDERED: return "ordered";
  case TR_SIMPLEX: return "simplex";
  case TR_CHOL_CORR: return "cholesky-corr";
  }
  return "?";
}

TransformKind transform_for(const DistSupport *s, bool has_lower,
                            bool has_upper) {
  switch (s->kind) {
  case SUPPORT_POSITIVE:
    return has_upper ? TR_INTERVAL : TR_LOWER;
  case SUPPORT_UNIT:
  case SUPPORT_INTERVAL:
  case SUPPORT_CIRCULAR:
    return TR_INTERVAL;
  case SUPPORT_SIMPLEX:
    return TR_SIMPLEX;
  case SUPPORT_CHOL_CORR:
    return TR_CHOL_CORR;
  default:
    break;
  }
  if (has_lower && has_upper)
    return TR_INTERVAL;
  if (has_lower)
    return TR_LOWER;
  if (has_upper)
    return TR_UPPER;
  return TR_IDENTITY;
}

size_t transform_size(TransformKind k, size_t len, size_t rows) {
  switch (k) {
  case TR_SIMPLEX:
    return len > 0 ? len - 1 : 0;
  case TR_CHOL_CORR:
    return rows * (rows - 1) / 2;
  default:
    return len;
  }
}

/* ---- emitting --------------------------------------------------------- */

typedef struct Emit {
  Tape *t;
  char *err;
  bool failed;
} Emit;

static TapeSlot op1(Emit *e, TapeOp op, TapeSlot a) {
  if (e->failed)
    return TAPE_NONE;
  TapeSlot s = tape_op1(e->t, op, a, e->err);
  e->failed = s == TAPE_NONE;
  return s;
}

static TapeSlot op2(Emit *e, TapeOp op, TapeSlot a, TapeSlot b) {
  if (e->failed)
    return TAPE_NONE;
  TapeSlot s = tape_op2(e->t, op, a, b, e->err);
  e->failed = s == TAPE_NONE;
  return s;
}

static TapeSlot bound_slot(Emit *e, TapeSlot slot, double x) {
  return slot != TAPE_NONE ? slot : tape_scalar(e->t, x);
}

/* x = a + exp(u) (sign +1) or b - exp(u) (sign -1); log|J| = sum(u). */
static TapeSlot emit_one_sided(Emit *e, TapeSlot u, TapeSlot bound, int sign,
                               TapeSlot *jac) {
  TapeSlot ex = op1(e, TAPE_EXP, u);
  *jac = op1(e, TAPE_SUM, u);
  return op2(e, sign > 0 ? TAPE_ADD : TAPE_SUB, bound, ex);
}

/* x = a + (b - a) logistic(u);
 * log|J| = sum(log(b - a) + log_logistic(u) + log_logistic(-u)). */
static TapeSlot emit_interval(Emit *e, TapeSlot u, TapeSlot lo, TapeSlot hi,
                              TapeSlot *jac) {
  TapeSlot width = op2(e, TAPE_SUB, hi, lo);
  TapeSlot p = op1(e, TAPE_LOGISTIC, u);
  TapeSlot x = op2(e, TAPE_ADD, lo, op2(e, TAPE_MUL, width, p));
  TapeSlot lj = op2(e, TAPE_ADD, op1(e, TAPE_LOG_LOGISTIC, u),
                    op1(e, TAPE_LOG_LOGISTIC, op1(e, TAPE_NEG, u)));
  /* log(width) broadcast against u so a scalar width counts per element */
  TapeSlot terms = op2(e, TAPE_ADD, lj, op1(e, TAPE_LOG, width));
  *jac = op1(e, TAPE_SUM, terms);
  return x;
}

/* u[i] as a one-element vector (broadcasts like a scalar). */
static TapeSlot elem(Emit *e, TapeSlot u, size_t i) {
  if (e->failed)
    return TAPE_NONE;
  TapeSlot s = tape_op(e->t, TAPE_GATHER, &u, 1, &i, 1, e->err);
  e->failed = s == TAPE_NONE;
  return s;
}

static TapeSlot stack(Emit *e, const TapeSlot *parts, size_t n) {
  if (e->failed)
    return TAPE_NONE;
  TapeSlot s = tape_op(e->t, TAPE_STACK, parts, (int)n, NULL, 0, e->err);
  e->failed = s == TAPE_NONE;
  return s;
}

static TapeSlot *new_slots(size_t n) {
  return mem_alloc_atomic((n + 1) * sizeof(TapeSlot));
}

/* x0 = u0, xk = x(k-1) + exp(uk); log|J| = sum over k > 0 of uk. */
static TapeSlot emit_ordered(Emit *e, TapeSlot u, size_t K, TapeSlot *jac) {
  TapeSlot *parts = new_slots(K);
  parts[0] = elem(e, u, 0);
  for (size_t k = 1; k < K; k++)
    parts[k] = op2(e, TAPE_ADD, parts[k - 1], op1(e, TAPE_EXP, elem(e, u, k)));
  if (K > 1) {
    TapeSlot *tail = new_slots(K - 1);
    for (size_t k = 1; k < K; k++)
      tail[k - 1] = elem(e, u, k);
    *jac = op1(e, TAPE_SUM, stack(e, tail, K - 1));
  }
  return stack(e, parts, K);
}

/* Stick-breaking: zk = logistic(uk - log(K - 1 - k)), xk = Sk zk with Sk
 * the stick left; the last x takes the rest.
 * log|J| = sum_k log zk + log(1 - zk) + log Sk. */
static TapeSlot emit_simplex(Emit *e, TapeSlot u, size_t K, TapeSlot *jac) {
  TapeSlot *parts = new_slots(K), *terms = new_slots(K);
  TapeSlot stick = tape_scalar(e->t, 1.0);
  for (size_t k = 0; k + 1 < K; k++) {
    TapeSlot shift = tape_scalar(e->t, log((double)(K - 1 - k)));
    TapeSlot v = op2(e, TAPE_SUB, elem(e, u, k), shift);
    TapeSlot z = op1(e, TAPE_LOGISTIC, v);
    parts[k] = op2(e, TAPE_MUL, stick, z);
    TapeSlot lz = op2(e, TAPE_ADD, op1(e, TAPE_LOG_LOGISTIC, v),
                      op1(e, TAPE_LOG_LOGISTIC, op1(e, TAPE_NEG, v)));
    terms[k] = op2(e, TAPE_ADD, lz, op1(e, TAPE_LOG, stick));
    stick = op2(e, TAPE_SUB, stick, parts[k]);
  }
  parts[K - 1] = stick;
  if (K > 1)
    *jac = op1(e, TAPE_SUM, stack(e, terms, K - 1));
  return stack(e, parts, K);
}

/* Cholesky factor of a correlation matrix from canonical partial
 * correlations z = tanh(u), row by row: L[i][0] = z,
 * L[i][j] = z sqrt(1 - sum_{k<j} L[i][k]^2), L[i][i] = the rest.
 * log|J| = sum log(1 - z^2) + sum_{j>0} 0.5 log(1 - sum_{k<j} L[i][k]^2). */
static TapeSlot emit_chol_corr(Emit *e, TapeSlot u, size_t n, TapeSlot *jac) {
  TapeSlot z = op1(e, TAPE_TANH, u);
  TapeSlot one = tape_scalar(e->t, 1.0), zero = tape_scalar(e->t, 0.0);
  TapeSlot *cells = new_slots(n * n), *terms = new_slots(n * n + 1);
  size_t nterms = 0, pos = 0;
  terms[nterms++] = op1(
      e, TAPE_SUM,
      op1(e, TAPE_LOG1P, op1(e, TAPE_NEG, op1(e, TAPE_SQUARE, z))));
  for (size_t i = 0; i < n; i++) {
    TapeSlot sumsq = zero;
    for (size_t j = 0; j < i; j++) {
      TapeSlot l = elem(e, z, pos++);
      if (j > 0) {
        TapeSlot w = op1(e, TAPE_SQRT, op2(e, TAPE_SUB, one, sumsq));
        l = op2(e, TAPE_MUL, l, w);
        terms[nterms++] = op1(e, TAPE_LOG, w);
      }
      cells[i * n + j] = l;
      sumsq = op2(e, TAPE_ADD, sumsq, op1(e, TAPE_SQUARE, l));
    }
    cells[i * n + i] =
        i == 0 ? one : op1(e, TAPE_SQRT, op2(e, TAPE_SUB, one, sumsq));
    for (size_t j = i + 1; j < n; j++)
      cells[i * n + j] = zero;
  }
  *jac = op1(e, TAPE_SUM, stack(e, terms, nterms));
  TapeSlot flat = stack(e, cells, n * n);
  size_t shape[3] = {2, n, n};
  if (e->failed)
    return TAPE_NONE;
  TapeSlot x = tape_op(e->t, TAPE_RESHAPE, &flat, 1, shape, 3, e->err);
  e->failed = x == TAPE_NONE;
  return x;
}

TapeSlot transform_emit(Tape *t, TransformKind k, TapeSlot u,
                        const TransformBounds *b, int ndim, size_t rows,
                        size_t cols, TapeSlot *jac, char *err) {
  Emit e = {t, err, false};
  PPL_UNUSED(ndim);
  PPL_UNUSED(rows);
  PPL_UNUSED(cols);
  *jac = TAPE_NONE;
  TapeSlot x = TAPE_NONE;
  switch (k) {
  case TR_IDENTITY:
    return u;
  case TR_LOWER:
    x = emit_one_sided(&e, u, bound_slot(&e, b->lower_slot, b->lower), 1,
                       jac);
    break;
  case TR_UPPER:
    x = emit_one_sided(&e, u, bound_slot(&e, b->upper_slot, b->upper), -1,
                       jac);
    break;
  case TR_INTERVAL:
    x = emit_interval(&e, u, bound_slot(&e, b->lower_slot, b->lower),
                      bound_slot(&e, b->upper_slot, b->upper), jac);
    break;
  case TR_ORDERED:
    x = emit_ordered(&e, u, rows, jac);
    break;
  case TR_SIMPLEX:
    x = emit_simplex(&e, u, rows, jac);
    break;
  case TR_CHOL_CORR:
    x = emit_chol_corr(&e, u, rows, jac);
    break;
  }
  return e.failed ? TAPE_NONE : x;
}

/* ---- unconstraining --------------------------------------------------- */

/* Tolerance for a simplex's sum and a correlation factor's unit rows. */
#define TRANSFORM_TOL 1e-8

static bool unconstrain_ordered(const double *x, size_t K, double *u) {
  if (K == 0)
    return true;
  u[0] = x[0];
  for (size_t k = 1; k < K; k++) {
    if (!(x[k] > x[k - 1]))
      return false;
    u[k] = log(x[k] - x[k - 1]);
  }
  return isfinite(x[0]);
}

static bool unconstrain_simplex(const double *x, size_t K, double *u) {
  double stick = 1.0, total = 0.0;
  for (size_t k = 0; k < K; k++) {
    if (!(x[k] > 0))
      return false;
    total += x[k];
  }
  if (fabs(total - 1.0) > TRANSFORM_TOL * (double)K)
    return false;
  for (size_t k = 0; k + 1 < K; k++) {
    double z = x[k] / stick;
    u[k] = log(z) - log1p(-z) + log((double)(K - 1 - k));
    stick -= x[k];
  }
  return true;
}

static bool unconstrain_chol_corr(const double *x, size_t n, double *u) {
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    double sumsq = 0.0;
    for (size_t j = 0; j < i; j++) {
      double l = x[i * n + j];
      double z = l / sqrt(1.0 - sumsq);
      if (!(fabs(z) < 1.0))
        return false;
      u[pos++] = atanh(z);
      sumsq += l * l;
    }
    double d = x[i * n + i];
    if (!(d > 0) || fabs(sumsq + d * d - 1.0) > TRANSFORM_TOL)
      return false;
  }
  return true;
}

bool transform_unconstrain(TransformKind k, const double *x, size_t len,
                           size_t rows, double lower, double upper,
                           double *u) {
  if (k == TR_ORDERED)
    return unconstrain_ordered(x, len, u);
  if (k == TR_SIMPLEX)
    return unconstrain_simplex(x, len, u);
  if (k == TR_CHOL_CORR)
    return unconstrain_chol_corr(x, rows, u);
  for (size_t i = 0; i < len; i++) {
    double xi = x[i];
    switch (k) {
    case TR_IDENTITY:
      if (!isfinite(xi))
        return false;
      u[i] = xi;
      break;
    case TR_LOWER:
      if (!(xi > lower) || !isfinite(xi))
        return false;
      u[i] = log(xi - lower);
      break;
    case TR_UPPER:
      if (!(xi < upper) || !isfinite(xi))
        return false;
      u[i] = log(upper - xi);
      break;
    case TR_INTERVAL: {
      if (!(xi > lower && xi < upper))
        return false;
      double p = (xi - lower) / (upper - lower);
      u[i] = log(p) - log1p(-p);
      break;
    }
    default:
      break;
    }
  }
  return true;
}
