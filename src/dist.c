/*
 * dist.c — the registry of distribution families: lookup by name and the
 * list of them all.
 *
 * Each family is a const DistFamily in its own file under dist/ (dist.h);
 * this file only lists them, in the order of dist.h's declaration
 * (continuous univariate, discrete univariate, multivariate), which is
 * the order :help and completion show. Names are matched exactly, as they
 * are written in a model ("Normal", "HalfCauchy", "LKJCorrCholesky"):
 * a user's "normal" is an unknown name, for which the caller can suggest
 * the family whose name differs only in case.
 */
#include <config.h>
#include "dist.h"

#include <string.h>

static const DistFamily *const families[] = {
    &dist_normal,
    &dist_halfnormal,
    &dist_truncatednormal,
    &dist_uniform,
    &dist_flat,
    &dist_halfflat,
    &dist_beta,
    &dist_gamma,
    &dist_inversegamma,
    &dist_exponential,
    &dist_studentt,
    &dist_halfstudentt,
    &dist_cauchy,
    &dist_halfcauchy,
    &dist_lognormal,
    &dist_laplace,
    &dist_logistic,
    &dist_weibull,
    &dist_chisquared,
    &dist_vonmises,
    &dist_bernoulli,
    &dist_binomial,
    &dist_betabinomial,
    &dist_poisson,
    &dist_negativebinomial,
    &dist_geometric,
    &dist_discreteuniform,
    &dist_categorical,
    &dist_dirichlet,
    &dist_multinomial,
    &dist_mvnormal,
    &dist_lkjcorrcholesky,
    NULL,
};

/* The family whose name is exactly name, or NULL (also for a NULL name).
 * A linear scan: 32 short strings, called when a model is bound, never
 * while sampling. */
const DistFamily *dist_lookup(const char *name) {
  if (!name)
    return NULL;
  for (const DistFamily *const *f = families; *f; f++)
    if (strcmp((*f)->name, name) == 0)
      return *f;
  return NULL;
}

/* Every family, NULL-terminated; the array is static and read-only. */
const DistFamily *const *dist_all(void) { return families; }
