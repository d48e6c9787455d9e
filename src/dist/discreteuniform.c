/*
 * discreteuniform.c — the discrete uniform distribution: every integer
 * from lower to upper (both included) equally likely.
 *
 * Parameterisation (PyMC): lower <= upper, both integers.
 *   log p(x | lower, upper) = -log(upper - lower + 1)
 * Both parameters are integers and x is discrete: no partial is ever
 * written (every grad[k] is ignored).
 *
 * Support lower .. upper (bounds: parameters 0 and 1). A non-integer x,
 * lower or upper, lower > upper, or x outside the bounds gives -INFINITY;
 * values beyond +-2^53 are rejected. Elementwise over broadcast inputs.
 * Random: lower + gsl_rng_uniform_int(upper - lower + 1); the number of
 * values must not exceed the generator's range (2^32 for mt19937), else
 * the draw fails as for an invalid parameter.
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_rng.h>
#include <math.h>

#include "rng.h"

/* 2^53: the largest magnitude at which a double holds every integer. */
#define MAX_INTEGER 9007199254740992.0

static const char *const params[] = {"lower", "upper"};
static const double defaults[] = {NAN, NAN};

/* Element i of a broadcast input (length 1 or n). */
static inline double at(const DistTensor *t, size_t i) {
  return t->data[t->len == 1 ? 0 : i];
}

/* Whether the nin inputs broadcast: sets *n to the element count. */
static bool call_len(const DistTensor *in, int nin, size_t *n) {
  *n = dist_broadcast_len(in, nin);
  for (int k = 0; k < nin; k++)
    if (in[k].len != 1 && in[k].len != *n)
      return false;
  return true;
}

static bool is_integer(double v) {
  return fabs(v) <= MAX_INTEGER && v == floor(v);
}

static bool is_range(double lo, double hi) {
  return is_integer(lo) && is_integer(hi) && lo <= hi;
}

static double lpdf(const DistTensor *in, double adj, double *const *grad) {
  (void)adj;
  (void)grad;
  size_t n;
  if (!call_len(in, 3, &n))
    return -INFINITY;
  const DistTensor *x = &in[0], *lo = &in[1], *hi = &in[2];
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double xi = at(x, i), li = at(lo, i), ui = at(hi, i);
    if (!is_range(li, ui) || !is_integer(xi) || xi < li || xi > ui)
      return -INFINITY;
    lp -= log(ui - li + 1.0);
  }
  return lp;
}

static bool draw(Rng *rng, const DistTensor *prm, double *out,
                 size_t out_len) {
  const DistTensor *lo = &prm[0], *hi = &prm[1];
  if ((lo->len != 1 && lo->len != out_len) ||
      (hi->len != 1 && hi->len != out_len))
    return false;
  gsl_rng *r = rng_gsl(rng);
  const double range = (double)(gsl_rng_max(r) - gsl_rng_min(r));
  for (size_t i = 0; i < out_len; i++) {
    const double li = at(lo, i), ui = at(hi, i);
    if (!is_range(li, ui) || ui - li >= range)
      return false;
  }
  for (size_t i = 0; i < out_len; i++) {
    const double li = at(lo, i), ui = at(hi, i);
    const unsigned long width = (unsigned long)(ui - li) + 1;
    out[i] = li + (double)gsl_rng_uniform_int(r, width);
  }
  return true;
}

const DistFamily dist_discreteuniform = {
    .name = "DiscreteUniform",
    .nparams = 2,
    .params = params,
    .defaults = defaults,
    .support = {SUPPORT_NATURAL, 0, 1, -INFINITY, INFINITY},
    .discrete = true,
    .multivariate = false,
    .lpdf = lpdf,
    .random = draw,
    .check = NULL,
};
