/*
 * metropolis.c — random-walk Metropolis with a Gaussian proposal on the
 * method's coordinates, jointly, its scale adapted during warm-up.
 *
 * Proposal: theta'_i = theta_i + s z_i, z ~ N(0, I), for every i in idx;
 * accepted with probability min(1, p(theta') / p(theta)) (Metropolis et al.
 * 1953). A proposal with log p = -inf, +inf or NaN is never accepted.
 *
 * Warm-up: a Robbins-Monro recursion on log s toward a target acceptance
 * rate a* (Andrieu & Thoms 2008, section 5.1, Algorithm 4 with a scalar
 * scale): after tuning iteration t with acceptance probability alpha_t,
 *   log s += (alpha_t - a*) / t^METROPOLIS_RM_KAPPA.
 * The gains sum to infinity and their squares do not, so s settles; the
 * first steps move log s by up to about 0.8, so a bad initial scale is
 * corrected within the first hundred iterations. The scale kept after
 * warm-up is the average of log s over the second half of the tuning
 * iterations (Polyak & Juditsky 1992), which removes most of the last
 * iterate's noise; without a known tune count it is the last iterate.
 * a* is 0.234 for two or
 * more coordinates (Roberts, Gelman & Gilks 1997) and 0.44 for one
 * (Roberts & Rosenthal 2001); StepOptions.target_accept overrides it.
 * end_tuning freezes s, so the draws after warm-up form a Markov chain.
 *
 * Coordinates are treated as continuous: discrete free variables need a
 * proposal on their support, which the chain driver provides (or routes to
 * another method); this file does not know which coordinates are integers.
 *
 * Stats: accept_stat = alpha, step_size = s, other fields 0 (energy NAN).
 *
 * References: Metropolis, Rosenbluth, Rosenbluth, Teller & Teller (1953);
 * Roberts, Gelman & Gilks (1997), Ann. Appl. Probab. 7, 110-120; Roberts &
 * Rosenthal (2001), Statist. Sci. 16, 351-367; Andrieu & Thoms (2008), A
 * tutorial on adaptive MCMC, Stat. Comput. 18, 343-373; Polyak & Juditsky
 * (1992), Acceleration of stochastic approximation by averaging, SIAM J.
 * Control Optim. 30, 838-855.
 */
#include <config.h>
#include "mcmc.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* Optimal acceptance rates of the random-walk Metropolis in high and in one
 * dimension (references above). */
#define METROPOLIS_TARGET 0.234
#define METROPOLIS_TARGET_1D 0.44
/* Robbins-Monro gain exponent, in (1/2, 1] (Andrieu & Thoms 2008). */
#define METROPOLIS_RM_KAPPA 0.6
/* Initial proposal sd when none is given (PyMC's scaling = 1). */
#define METROPOLIS_SCALE 1.0

typedef struct Metropolis {
  size_t dim, n;
  size_t *idx;
  double *prop;            /* dim: the proposed point */
  double log_s;            /* log of the proposal sd */
  double target;           /* target acceptance rate */
  double t;                /* tuning iterations so far */
  double tune;             /* tuning iterations planned (0: unknown) */
  double sum_log_s, n_avg; /* the average over the second half */
  bool tuned;
  bool discrete;           /* round the increments (integer coordinates) */
} Metropolis;

static void metropolis_free(void *state) {
  Metropolis *s = state;
  if (!s)
    return;
  free(s->idx);
  free(s->prop);
  free(s);
}

static void *metropolis_alloc(const StepOptions *opt, size_t dim,
                              const size_t *idx, size_t nidx) {
  Metropolis *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->dim = dim;
  s->n = nidx;
  s->discrete = opt && opt->discrete;
  s->idx = malloc((nidx ? nidx : 1) * sizeof(size_t));
  s->prop = malloc((dim ? dim : 1) * sizeof(double));
  if (!s->idx || !s->prop) {
    metropolis_free(s);
    return NULL;
  }
  if (nidx)
    memcpy(s->idx, idx, nidx * sizeof(size_t));
  const double s0 = opt ? opt->proposal_scale : NAN;
  s->log_s = log(s0 > 0.0 && isfinite(s0) ? s0 : METROPOLIS_SCALE);
  s->tune = opt && opt->tune > 0 ? opt->tune : 0;
  const double ta = opt ? opt->target_accept : NAN;
  if (ta > 0.0 && ta < 1.0)
    s->target = ta;
  else
    s->target = nidx == 1 ? METROPOLIS_TARGET_1D : METROPOLIS_TARGET;
  return s;
}

/* log p at x, -INFINITY for anything not finite. */
static double log_density(const LogDensity *d, const double *x) {
  const double lp = d->fn(d->ctx, x, NULL);
  return isfinite(lp) ? lp : -INFINITY;
}

static void metropolis_step(void *state, const LogDensity *d, Rng *rng,
                            double *theta, double *logp, double *grad,
                            bool tuning, StepStats *stats) {
  Metropolis *s = state;
  gsl_rng *r = rng_gsl(rng);
  const double scale = exp(s->log_s);
  memset(stats, 0, sizeof *stats);
  stats->energy = NAN;
  stats->step_size = scale;
  if (s->n == 0)
    return;
  memcpy(s->prop, theta, s->dim * sizeof(double));
  for (size_t k = 0; k < s->n; k++) {
    /* Rounding a symmetric increment keeps the proposal symmetric on the
     * integers (PyMC's DiscreteMetropolis). */
    const double step = scale * gsl_ran_gaussian(r, 1.0);
    s->prop[s->idx[k]] += s->discrete ? round(step) : step;
  }
  const double lp = log_density(d, s->prop);
  double alpha = 0.0;
  if (lp != -INFINITY)
    alpha = !isfinite(*logp) || lp >= *logp ? 1.0 : exp(lp - *logp);
  stats->accept_stat = alpha;
  if (rng_uniform(rng) < alpha) {
    for (size_t k = 0; k < s->n; k++)
      theta[s->idx[k]] = s->prop[s->idx[k]];
    *logp = lp;
    /* Keep the driver's gradient true to theta if it passed one. */
    if (grad)
      d->fn(d->ctx, theta, grad);
  }
  if (tuning && !s->tuned) {
    s->t += 1.0;
    s->log_s += (alpha - s->target) / pow(s->t, METROPOLIS_RM_KAPPA);
    if (s->t > 0.5 * s->tune && s->tune > 0) {
      s->sum_log_s += s->log_s;
      s->n_avg += 1.0;
    }
  }
}

static void metropolis_end_tuning(void *state) {
  Metropolis *s = state;
  if (!s->tuned && s->n_avg > 0)
    s->log_s = s->sum_log_s / s->n_avg;
  s->tuned = true;
}

static void metropolis_warm_start(void *state, const void *from) {
  Metropolis *s = state;
  const Metropolis *f = from;
  s->log_s = f->log_s;
}

const StepMethod mcmc_metropolis = {
    .name = "Metropolis",
    .needs_gradient = false,
    .alloc = metropolis_alloc,
    .free = metropolis_free,
    .step = metropolis_step,
    .end_tuning = metropolis_end_tuning,
    .warm_start = metropolis_warm_start,
};
