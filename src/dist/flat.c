/*
 * flat.c — the improper Flat (on the reals) and HalfFlat (on x >= 0)
 * families: no parameters, log density 0 on the support and -inf off it,
 * all partials 0.
 *
 * They have no normalised density, so nothing can be drawn from them:
 * random() returns false, as PyMC refuses to sample a Flat variable.
 */
#include <config.h>
#include "dist.h"

#include "common.h"
#include "dist_util.h"

/* 0 when every x satisfies in_support, else -inf; nothing to add to any
 * gradient. */
static double flat_sum(const DistTensor *in, bool (*in_support)(double)) {
  if (in[0].len == 0)
    return 0.0;
  return dist_check(&in[0], in_support) ? 0.0 : -INFINITY;
}

static double flat_lpdf(const DistTensor *in, double adj, double *const *grad) {
  PPL_UNUSED(adj);
  PPL_UNUSED(grad);
  return flat_sum(in, dist_finite);
}

static double halfflat_lpdf(const DistTensor *in, double adj,
                            double *const *grad) {
  PPL_UNUSED(adj);
  PPL_UNUSED(grad);
  return flat_sum(in, dist_nonnegative);
}

/* Improper: no draws. */
static bool flat_random(Rng *rng, const DistTensor *p, double *out, size_t n) {
  PPL_UNUSED(rng);
  PPL_UNUSED(p);
  PPL_UNUSED(out);
  PPL_UNUSED(n);
  return false;
}

const DistFamily dist_flat = {
    .name = "Flat",
    .nparams = 0,
    .params = NULL,
    .defaults = NULL,
    .support = {SUPPORT_REAL, -1, -1, -INFINITY, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = flat_lpdf,
    .random = flat_random,
    .check = NULL,
};

const DistFamily dist_halfflat = {
    .name = "HalfFlat",
    .nparams = 0,
    .params = NULL,
    .defaults = NULL,
    .support = {SUPPORT_POSITIVE, -1, -1, 0.0, INFINITY},
    .discrete = false,
    .multivariate = false,
    .lpdf = halfflat_lpdf,
    .random = flat_random,
    .check = NULL,
};
