/*
 * hamiltonian.h — what HMC and NUTS share (Stan's base_hmc): the
 * Euclidean kinetic energy with a diagonal or dense metric, the leapfrog
 * integrator, momentum draws, the initial step-size heuristic, and the
 * warm-up adaptation around them. Private to src/mcmc/.
 *
 * Positions are the n = nidx coordinates of theta a method updates; the
 * other coordinates stay where the chain driver left them (a subset HMC is
 * a Gibbs step). The inverse metric M^-1 is the adapted posterior
 * (co)variance of those coordinates:
 *   H(q, p) = -log p(q) + K(p),  K(p) = p' M^-1 p / 2,  p ~ N(0, M).
 */
#ifndef PPL_HAMILTONIAN_H
#define PPL_HAMILTONIAN_H

#include <stdbool.h>
#include <stddef.h>

#include "adapt.h"
#include "mcmc.h"

/* A point in phase space. g is the full gradient (dim values) at q, so a
 * selected point can be handed back to the driver without another
 * evaluation. */
typedef struct HamPoint {
  double *q;   /* n positions */
  double *p;   /* n momenta */
  double *g;   /* dim partials of log p */
  double logp; /* -INFINITY outside the support or on a non-finite value */
} HamPoint;

typedef struct Hamiltonian {
  size_t dim, n;
  size_t *idx; /* n coordinates of theta moved by the dynamics */
  bool dense;
  double *inv_metric; /* n (diagonal) or n*n row-major (dense) */
  double *chol;       /* dense: L of inv_metric = L L' in the lower part */
  double *scratch;    /* n*n (dense) or n: the metric being installed */
  double *chol_try;   /* dense: its factor, before it is accepted */
  double *theta;      /* dim: the full position passed to the density */
  double *v;          /* n: M^-1 p in the leapfrog */
  HamPoint z0, z1;    /* the step-size heuristic's start and trial */

  double eps;       /* nominal step size */
  bool user_eps;    /* the user gave the initial step size */
  bool need_search; /* the step-size heuristic has not run yet */
  double target;    /* target acceptance statistic */
  AdaptStepSize ss;
  AdaptMetric *metric; /* windows never open when tune < 20 */
  bool tuned;          /* end_tuning has run */
} Hamiltonian;

/* Sets up h for a density of dimension dim moved on idx[0 .. nidx), with
 * options opt (step_size, target_accept, dense_mass, tune) and the method's
 * default target acceptance. Unit metric. Returns false when out of
 * memory (h then needs only hamiltonian_clear). */
bool hamiltonian_init(Hamiltonian *h, const StepOptions *opt, size_t dim,
                      const size_t *idx, size_t nidx, double default_target);
void hamiltonian_clear(Hamiltonian *h);

/* Point storage for h's sizes; false when out of memory. A cleared point
 * (all NULL) may be passed to hamiltonian_point_clear. */
bool hamiltonian_point_init(const Hamiltonian *h, HamPoint *z);
void hamiltonian_point_clear(HamPoint *z);
void hamiltonian_point_copy(const Hamiltonian *h, HamPoint *dst,
                            const HamPoint *src);

/* Loads the chain state into z (positions, logp, gradient) and theta's
 * fixed coordinates into h. On the first call (or after adaptation asks
 * for it) runs the step-size heuristic from z. */
void hamiltonian_begin(Hamiltonian *h, const LogDensity *d, Rng *rng,
                       const double *theta, double logp, const double *grad,
                       HamPoint *z, bool tuning);

/* Writes z back to the chain state (theta at idx, logp, the gradient). */
void hamiltonian_store(const Hamiltonian *h, const HamPoint *z, double *theta,
                       double *logp, double *grad);

/* Warm-up bookkeeping after a transition that ended at z with acceptance
 * statistic accept_stat: dual averaging, the metric windows, and, when a
 * window closes, the new metric and a fresh step-size search from z.
 * A dense metric is factorised by GSL, whose error handler must be off
 * (vm.c turns it off at startup; tests do it themselves). */
void hamiltonian_adapt(Hamiltonian *h, const LogDensity *d, Rng *rng,
                       const HamPoint *z, double accept_stat);

/* Fixes eps at the dual-averaging average. */
void hamiltonian_end_tuning(Hamiltonian *h);

/* Takes the step size and metric adapted by `from` (same sizes), so the
 * first transition needs no step-size search. */
void hamiltonian_warm_start(Hamiltonian *h, const Hamiltonian *from);

/* p ~ N(0, M). */
void hamiltonian_sample_p(const Hamiltonian *h, Rng *rng, double *p);
/* out = M^-1 p (Stan's dtau_dp, the "sharp" momentum). */
void hamiltonian_dtau_dp(const Hamiltonian *h, const double *p, double *out);
/* H(z) = -log p + K(p); +INFINITY when log p is -inf. */
double hamiltonian_energy(const Hamiltonian *h, const HamPoint *z);

/* One leapfrog step of size eps (negative: backward in time) from z, in
 * place. Returns false when the new position has log p = -inf, a NaN or a
 * non-finite gradient (z->logp is then -INFINITY and z->p unusable). */
bool hamiltonian_leapfrog(Hamiltonian *h, const LogDensity *d, HamPoint *z,
                          double eps);

#endif
