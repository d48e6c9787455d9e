/*
 * logdensity.h — how samplers and optimisers see a model: a dimension and a
 * function returning log p(theta) and, on request, its gradient.
 *
 * The numerics layer (optim.c, mcmc/) knows nothing else of models, so a C
 * unit test can hand it a plain C density whose answer is known (as GSL's
 * minimisers see a gsl_multimin_function_fdf).
 */
#ifndef PPL_LOGDENSITY_H
#define PPL_LOGDENSITY_H

#include <stddef.h>

typedef struct LogDensity {
  size_t dim;
  /* log p at theta; when grad is non-NULL it receives dim partials. Returns
   * -INFINITY outside the support (grad then unspecified). */
  double (*fn)(void *ctx, const double *theta, double *grad);
  void *ctx;
} LogDensity;

#endif
