/*
 * mcmc.h — step methods: one Markov transition of a chain's state.
 *
 * A step method sees the model only as a LogDensity (logdensity.h) over
 * theta, the unconstrained vector. Each method is one const StepMethod in
 * src/mcmc/<name>.c (mcmc_metropolis, mcmc_slice, mcmc_hmc, mcmc_nuts) and
 * updates the coordinates listed in its `idx` (all of theta, or a subset
 * for compound steps such as Slice on mu and Metropolis on sigma).
 *
 * The chain driver (not here) owns the loop: it allocates one state per
 * method per chain, calls step() once per iteration (with tuning = true
 * during warm-up), calls end_tuning() when warm-up ends, and records the
 * StepStats. Step methods never print and never allocate in step(); all
 * randomness comes from the Rng passed in (one stream per chain), so a
 * chain's draws depend only on its seed.
 *
 * References: Metropolis et al. (1953); Neal (2003), Slice sampling;
 * Neal (2011), MCMC using Hamiltonian dynamics; Hoffman & Gelman (2014),
 * The No-U-Turn Sampler; Betancourt (2017), A Conceptual Introduction to
 * Hamiltonian Monte Carlo (multinomial sampling, generalised criterion);
 * Stan Reference Manual, "MCMC Sampling" (adaptation windows).
 */
#ifndef PPL_MCMC_H
#define PPL_MCMC_H

#include <stdbool.h>
#include <stddef.h>

#include "logdensity.h"

typedef struct Rng Rng;

/* Options of a step method as the user gave them; unset ones are NAN or
 * 0 and the method uses its default (as PyMC's and Stan's). */
typedef struct StepOptions {
  double target_accept;   /* NUTS/HMC: dual-averaging target (0.8) */
  int max_treedepth;      /* NUTS (10) */
  double path_length;     /* HMC: integration time (2) */
  double step_size;       /* initial step size (found by a heuristic) */
  bool dense_mass;        /* HMC/NUTS: dense mass matrix adaptation */
  bool grad_mass;         /* HMC/NUTS: fit the diagonal mass matrix to
                             gradients as well as draws (adapt.h) */
  double proposal_scale;  /* Metropolis: initial proposal sd (1) */
  double slice_width;     /* Slice: initial bracket width w (1) */
  int tune;               /* number of tuning iterations the driver runs */
  bool discrete;          /* Metropolis: the coordinates are integers; the
                             proposal rounds its increments */
} StepOptions;

/* What one transition reports (the driver stores it per draw). */
typedef struct StepStats {
  double accept_stat;  /* mean acceptance probability of the proposals */
  double step_size;
  int tree_depth;      /* NUTS */
  int n_leapfrog;      /* gradient evaluations in this transition */
  bool divergent;      /* an energy error beyond the divergence threshold */
  double energy;       /* Hamiltonian at the new state (HMC/NUTS) */
} StepStats;

typedef struct StepMethod {
  const char *name;    /* "NUTS" */
  bool needs_gradient;

  /* Per-chain state for a density of dimension dim, updating coordinates
   * idx[0 .. nidx) (copied). malloc-owned; NULL only on out-of-memory. */
  void *(*alloc)(const StepOptions *opt, size_t dim, const size_t *idx,
                 size_t nidx);
  void (*free)(void *state);

  /* One transition. theta (dim values) is updated in place; *logp holds
   * log p(theta) on entry and on exit; grad (dim values, or NULL for
   * methods without gradients) holds the gradient at theta on entry and
   * exit. During tuning the method adapts (step size, mass matrix,
   * proposal scale, slice width). */
  void (*step)(void *state, const LogDensity *d, Rng *rng, double *theta,
               double *logp, double *grad, bool tuning, StepStats *stats);

  /* Warm-up is over: fix the adapted parameters. */
  void (*end_tuning)(void *state);

  /* Starts from the adapted parameters of `from`, a state of the same
   * method and sizes from an earlier run (step size and metric, proposal
   * scale, slice widths), so a refit need not tune again. */
  void (*warm_start)(void *state, const void *from);
} StepMethod;

extern const StepMethod mcmc_metropolis, mcmc_slice, mcmc_hmc, mcmc_nuts;

/* The method called name ("NUTS", "HMC", "Slice", "Metropolis"), or NULL. */
const StepMethod *mcmc_lookup(const char *name);

#endif
