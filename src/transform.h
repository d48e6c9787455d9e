/*
 * transform.h — constraining transforms: every free variable is sampled in
 * unconstrained space u and mapped to its support by x = f(u); the log
 * density gains log |det df/du| (the log-Jacobian of the constrain
 * direction).
 *
 *  kind          support        x = f(u)                         log|J|
 *  TR_IDENTITY   real           u                                0
 *  TR_LOWER      (a, inf)       a + exp(u)                       sum u
 *  TR_UPPER      (-inf, b)      b - exp(u)                       sum u
 *  TR_INTERVAL   (a, b)         a + (b - a) logistic(u)          sum log(b-a)
 *                                                                + log_logistic(u)
 *                                                                + log_logistic(-u)
 *  TR_ORDERED    x0 < x1 < ...  x0 = u0, xk = x(k-1) + exp(uk)   sum_{k>0} uk
 *  TR_SIMPLEX    K-simplex      stick-breaking from K-1 values   (Stan ref.)
 *  TR_CHOL_CORR  Cholesky of a  from n(n-1)/2 values via tanh    (Stan ref.)
 *                correlation
 *
 * The constrain direction is emitted as tape instructions (so gradients
 * flow through it, and bounds may themselves be model variables); the
 * unconstrain direction is numeric, for starting points and for turning a
 * user's point into theta.
 *
 * Reference: Stan Reference Manual, "Constraint Transforms".
 */
#ifndef PPL_TRANSFORM_H
#define PPL_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "dist.h"
#include "tape.h"

typedef enum {
  TR_IDENTITY,
  TR_LOWER,
  TR_UPPER,
  TR_INTERVAL,
  TR_ORDERED,
  TR_SIMPLEX,
  TR_CHOL_CORR,
} TransformKind;

/* Bounds of a transform: a slot (a bound that is a model variable or
 * computed from one) or a constant when the slot is TAPE_NONE. */
typedef struct TransformBounds {
  TapeSlot lower_slot, upper_slot;
  double lower, upper;
} TransformBounds;

/* "identity", "log", "upper", "interval", "ordered", "simplex",
 * "cholesky-corr" — as printed when a model is shown. */
const char *transform_name(TransformKind k);

/* The transform for a support, given whether explicit lower=/upper= were
 * set (which turn a real variable into a bounded one). */
TransformKind transform_for(const DistSupport *s, bool has_lower,
                            bool has_upper);

/* Unconstrained length of a value with len elements (rows x cols). */
size_t transform_size(TransformKind k, size_t len, size_t rows);

/* Emits x = f(u) for the theta view u. Writes the scalar slot of log|J| to
 * *jac (TAPE_NONE for the identity). shape: of x (ndim, rows, cols).
 * Returns x's slot, or TAPE_NONE with a sentence in err. */
TapeSlot transform_emit(Tape *t, TransformKind k, TapeSlot u,
                        const TransformBounds *b, int ndim, size_t rows,
                        size_t cols, TapeSlot *jac, char *err);

/* u = f^-1(x) with numeric bounds; false when x is outside the support
 * (then u is unspecified). x has len elements (rows x cols); u receives
 * transform_size(k, len, rows) values. */
bool transform_unconstrain(TransformKind k, const double *x, size_t len,
                           size_t rows, double lower, double upper, double *u);

#endif
