/*
 * dist_util.h — small helpers shared by the univariate family files in
 * src/dist/: log constants, the stride/gradient bookkeeping of an
 * elementwise lpdf loop, input checks, and clamping of draws.
 *
 * An elementwise lpdf sees k inputs (x, then the parameters), each of
 * length 1 (stride 0, broadcast) or n (stride 1). A DistArg holds one
 * input's data, stride and gradient target. Partials of a length-n input
 * go straight into its gradient, scaled by adj; partials of a broadcast
 * input are summed in `acc` and added once, scaled, by dist_args_flush
 * (dist.h: a broadcast input receives the sum over the elements).
 *
 * Everything is static inline so that the per-element calls vanish from the
 * family loops; dist_broadcast_len itself lives in dist_util.c.
 */
#ifndef PPL_DIST_UTIL_H
#define PPL_DIST_UTIL_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "dist.h"

/* Log constants, to 21 significant digits. */
#define DIST_LOG_2 0.693147180559945309417          /* log 2 */
#define DIST_LOG_PI 1.14472988584940017414          /* log pi */
#define DIST_LOG_2PI 1.83787706640934548356         /* log 2 pi */
#define DIST_HALF_LOG_2PI 0.918938533204672741780   /* log sqrt(2 pi) */
#define DIST_HALF_LOG_2_PI -0.225791352644727432364 /* log sqrt(2 / pi) */

/* log(1 + w^2) without overflow for large |w| (Cauchy and Student-t
 * kernels). */
static inline double dist_log1p_sq(double w) {
  const double aw = fabs(w);
  if (aw <= 1.0)
    return log1p(aw * aw);
  const double v = 1.0 / aw;
  return 2.0 * log(aw) + log1p(v * v);
}

/* Length-1 inputs have stride 0, the others 1. */
static inline size_t dist_stride(const DistTensor *t) {
  return t->len == 1 ? 0 : 1;
}

/* One input of an elementwise loop. */
typedef struct DistArg {
  const double *v; /* data */
  size_t s;        /* stride: 0 broadcast, 1 one value per element */
  double *g;       /* gradient to add into, or NULL */
  double acc;      /* summed partials of a broadcast input */
} DistArg;

/* Fills a[0 .. k) from in[0 .. k) and grad (which may be NULL). */
static inline void dist_args_init(DistArg *a, const DistTensor *in,
                                  double *const *grad, int k) {
  for (int j = 0; j < k; j++) {
    a[j].v = in[j].data;
    a[j].s = dist_stride(&in[j]);
    a[j].g = grad ? grad[j] : NULL;
    a[j].acc = 0.0;
  }
}

/* Element i of an input. */
static inline double dist_at(const DistArg *a, size_t i) {
  return a->v[i * a->s];
}

/* Records d = d(log density of element i) / d(a at element i). */
static inline void dist_grad(DistArg *a, size_t i, double adj, double d) {
  if (!a->g)
    return;
  if (a->s)
    a->g[i] += adj * d;
  else
    a->acc += d;
}

/* Adds the summed partials of broadcast inputs into their gradients. */
static inline void dist_args_flush(DistArg *a, int k, double adj) {
  for (int j = 0; j < k; j++)
    if (a[j].g && !a[j].s)
      a[j].g[0] += adj * a[j].acc;
}

/* Whether any gradient is wanted. */
static inline bool dist_args_want(const DistArg *a, int k) {
  for (int j = 0; j < k; j++)
    if (a[j].g)
      return true;
  return false;
}

/* Whether some parameter (inputs 1 .. k-1) has one value per element, so
 * terms that depend on parameters only must be recomputed per element. */
static inline bool dist_params_vary(const DistArg *a, int k) {
  for (int j = 1; j < k; j++)
    if (a[j].s)
      return true;
  return false;
}

/* The lpdf of a call whose inputs did not give a common length n > 0 (see
 * dist_broadcast_len): 0 (an empty sum) when some input is empty, -inf for
 * lengths that do not broadcast (callers check shapes first; this only
 * keeps a bad call from reading out of bounds). */
static inline double dist_lpdf_empty(const DistTensor *in, int k) {
  for (int j = 0; j < k; j++)
    if (in[j].len == 0)
      return 0.0;
  return -INFINITY;
}

/* Whether every element of t satisfies ok (NaN fails every predicate
 * below). */
static inline bool dist_check(const DistTensor *t, bool (*ok)(double)) {
  for (size_t i = 0; i < t->len; i++)
    if (!ok(t->data[i]))
      return false;
  return true;
}

static inline bool dist_finite(double v) { return isfinite(v); }
static inline bool dist_positive(double v) { return v > 0.0 && v < INFINITY; }
static inline bool dist_nonnegative(double v) {
  return v >= 0.0 && v < INFINITY;
}
static inline bool dist_open_unit(double v) { return v > 0.0 && v < 1.0; }

/* Whether every parameter has length 1 or n (the random() contract). */
static inline bool dist_random_lens(const DistTensor *p, int np, size_t n) {
  for (int j = 0; j < np; j++)
    if (p[j].len != 1 && p[j].len != n)
      return false;
  return true;
}

/* Element i of parameter p (broadcast when it has length 1). */
static inline double dist_param(const DistTensor *p, size_t i) {
  return p->data[p->len == 1 ? 0 : i];
}

/* A draw for a family on (0, inf) moved off 0 and inf, where an underflow
 * or overflow of the generator would put it outside the support. */
static inline double dist_clamp_positive(double v) {
  return fmin(fmax(v, DBL_MIN), DBL_MAX);
}

#endif
