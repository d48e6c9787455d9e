/*
 * optim.h — maximising a log density (MAP estimation) with GSL's
 * quasi-Newton minimiser (vector_bfgs2) on -log p in unconstrained space.
 */
#ifndef PPL_OPTIM_H
#define PPL_OPTIM_H

#include <stdbool.h>

#include "logdensity.h"

typedef struct OptimResult {
  double lp;          /* log p at the optimum found */
  int iterations;
  bool converged;     /* gradient norm below tolerance */
  const char *message; /* why it stopped, in words */
} OptimResult;

typedef struct OptimOptions {
  int max_iter;       /* default OPTIM_MAX_ITER */
  double gtol;        /* gradient-norm tolerance, default OPTIM_GTOL */
} OptimOptions;

enum { OPTIM_MAX_ITER = 5000 };
#define OPTIM_GTOL 1e-6

/* Maximises d from theta (overwritten with the argmax). Returns false only
 * when the start itself has log p = -inf or a NaN gradient (r->message
 * says which); otherwise true, with r->converged telling whether the
 * gradient criterion was met. */
bool optim_maximize(const LogDensity *d, double *theta,
                    const OptimOptions *opt, OptimResult *r);

#endif
