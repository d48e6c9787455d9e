/*
 * test_tape_fd.h — the C unit tests' check of a tape's gradient against
 * central differences (include after check.h).
 */
#ifndef PPL_TEST_TAPE_FD_H
#define PPL_TEST_TAPE_FD_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tape.h"

/* Compares g, the gradient at theta of the tape of st, with central
 * differences of tape_logp, component by component: relative step `step`,
 * tolerance tol * (1 + |difference|). x is n doubles of scratch. */
static inline void check_fd_gradient(TapeState *st, const double *theta,
                                     const double *g, double *x, size_t n,
                                     double step, double tol,
                                     const char *what) {
  for (size_t i = 0; i < n; i++)
    x[i] = theta[i];
  for (size_t i = 0; i < n; i++) {
    const double h = step * fmax(1.0, fabs(theta[i]));
    x[i] = theta[i] + h;
    const double fp = tape_logp(st, x);
    x[i] = theta[i] - h;
    const double fm = tape_logp(st, x);
    x[i] = theta[i];
    const double fd = (fp - fm) / (2.0 * h);
    if (!CHECK_NEAR(g[i], fd, tol * (1.0 + fabs(fd))))
      fprintf(stderr, "  in %s: component %zu of %zu\n", what, i, n);
  }
}

#endif
