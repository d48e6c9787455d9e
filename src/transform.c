/*
 * transform.c — constraining transforms as tape instructions, and their
 * numeric inverses (see transform.h for the table of formulas).
 *
 * Bounded scalar transforms are composed from elementwise tape ops, so the
 * bounds may be model variables (sigma ~ Uniform(0, tau)) and gradients
 * flow into them. The vector transforms (ordered, simplex, Cholesky
 * correlation) are single tape ops with their own log-Jacobian ops.
 *
 * Reference: Stan Reference Manual, "Constraint Transforms".
 */
#include <config.h>
#include "transform.h"

#include <math.h>
#include <stdio.h>

#include "common.h"

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
  case TR_SIMPLEX:
  case TR_CHOL_CORR:
    snprintf(err, TAPE_ERR_LEN, "the %s transform has no tape instruction",
             transform_name(k));
    return TAPE_NONE;
  }
  return e.failed ? TAPE_NONE : x;
}

/* ---- unconstraining --------------------------------------------------- */

bool transform_unconstrain(TransformKind k, const double *x, size_t len,
                           size_t rows, double lower, double upper,
                           double *u) {
  PPL_UNUSED(rows);
  for (size_t i = 0; i < len && k <= TR_INTERVAL; i++) {
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
  return k <= TR_INTERVAL;
}
