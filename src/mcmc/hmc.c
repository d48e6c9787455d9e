/*
 * hmc.c — static Hamiltonian Monte Carlo: a fixed integration time, a
 * Metropolis correction, and the same warm-up adaptation as NUTS.
 *
 * A transition draws p ~ N(0, M), runs L = max(1, floor(T / eps)) leapfrog
 * steps (capped at HMC_MAX_STEPS) for the integration time T = path_length
 * (default 2, as PyMC's HamiltonianMC), and accepts the end point with
 * probability min(1, exp(H0 - H1)) (Neal 2011, section 5.3.2). The step
 * size of each transition is jittered uniformly within +-15% of the
 * nominal one (PyMC's default step_rand), which breaks the resonances a
 * fixed L can fall into on near-Gaussian targets (Neal 2011, section
 * 5.4.2.2); L follows the jittered eps. A trajectory that leaves the
 * support stops there and is rejected.
 *
 * Stats: accept_stat = min(1, exp(H0 - H1)); divergent when H1 - H0 exceeds
 * HMC_MAX_DELTA_H or the trajectory left the support; energy = H at the
 * state kept; n_leapfrog = steps taken; step_size = the jittered eps used.
 *
 * References: Duane, Kennedy, Pendleton & Roweth (1987), Hybrid Monte
 * Carlo; Neal (2011), MCMC using Hamiltonian dynamics, Handbook of MCMC
 * ch. 5; Hoffman & Gelman (2014) for the dual averaging; PyMC's
 * pymc/step_methods/hmc/hmc.py for the defaults.
 */
#include <config.h>
#include "mcmc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mcmc/hamiltonian.h"
#include "rng.h"

/* PyMC's HamiltonianMC defaults: path_length, max_steps, target_accept. */
#define HMC_PATH_LENGTH 2.0
enum { HMC_MAX_STEPS = 1024 };
#define HMC_TARGET_ACCEPT 0.65
/* Half-width of the uniform step-size jitter (PyMC's unif, 0.85 .. 1.15). */
#define HMC_JITTER 0.15
/* Energy error counted as a divergence (Stan's and PyMC's Emax). */
#define HMC_MAX_DELTA_H 1000.0

typedef struct Hmc {
  Hamiltonian h;
  double path_length;
  HamPoint z0, z; /* start and end of the trajectory */
} Hmc;

static void hmc_free(void *state) {
  Hmc *s = state;
  if (!s)
    return;
  hamiltonian_point_clear(&s->z0);
  hamiltonian_point_clear(&s->z);
  hamiltonian_clear(&s->h);
  free(s);
}

static void *hmc_alloc(const StepOptions *opt, size_t dim, const size_t *idx,
                       size_t nidx) {
  Hmc *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  const double T = opt ? opt->path_length : NAN;
  s->path_length = T > 0.0 && isfinite(T) ? T : HMC_PATH_LENGTH;
  if (!hamiltonian_init(&s->h, opt, dim, idx, nidx, HMC_TARGET_ACCEPT) ||
      !hamiltonian_point_init(&s->h, &s->z0) ||
      !hamiltonian_point_init(&s->h, &s->z)) {
    hmc_free(s);
    return NULL;
  }
  return s;
}

/* The number of leapfrog steps for step size eps. */
static int n_steps(double path_length, double eps) {
  const double L = floor(path_length / eps);
  if (!(L >= 1.0))
    return 1;
  return L > HMC_MAX_STEPS ? HMC_MAX_STEPS : (int)L;
}

/* Integrates s->z for the path length; returns H at the end (+inf when it
 * left the support) and the steps taken in *taken. */
static double integrate(Hmc *s, const LogDensity *d, double eps, int *taken) {
  const int L = n_steps(s->path_length, eps);
  for (*taken = 0; *taken < L;) {
    ++*taken;
    if (!hamiltonian_leapfrog(&s->h, d, &s->z, eps))
      return INFINITY;
  }
  const double H = hamiltonian_energy(&s->h, &s->z);
  return isnan(H) ? INFINITY : H;
}

static void hmc_step(void *state, const LogDensity *d, Rng *rng, double *theta,
                     double *logp, double *grad, bool tuning,
                     StepStats *stats) {
  Hmc *s = state;
  Hamiltonian *h = &s->h;
  memset(stats, 0, sizeof *stats);
  stats->energy = NAN;
  hamiltonian_begin(h, d, rng, theta, *logp, grad, &s->z0, tuning);
  stats->step_size = h->eps;
  if (h->n == 0 || s->z0.logp == -INFINITY)
    return;
  const double eps =
      h->eps * (1.0 + HMC_JITTER * (2.0 * rng_uniform(rng) - 1.0));
  hamiltonian_sample_p(h, rng, s->z0.p);
  const double H0 = hamiltonian_energy(h, &s->z0);
  hamiltonian_point_copy(h, &s->z, &s->z0);
  const double H1 = integrate(s, d, eps, &stats->n_leapfrog);

  const double alpha = H0 - H1 > 0.0 ? 1.0 : exp(H0 - H1);
  const HamPoint *kept = rng_uniform(rng) < alpha ? &s->z : &s->z0;
  stats->accept_stat = alpha;
  stats->step_size = eps;
  stats->divergent = H1 - H0 > HMC_MAX_DELTA_H;
  stats->energy = kept == &s->z ? H1 : H0;
  hamiltonian_store(h, kept, theta, logp, grad);
  if (tuning)
    hamiltonian_adapt(h, d, rng, kept, alpha);
}

static void hmc_end_tuning(void *state) {
  Hmc *s = state;
  hamiltonian_end_tuning(&s->h);
}

static void hmc_warm_start(void *state, const void *from) {
  hamiltonian_warm_start(&((Hmc *)state)->h, &((const Hmc *)from)->h);
}

const StepMethod mcmc_hmc = {
    .name = "HMC",
    .needs_gradient = true,
    .alloc = hmc_alloc,
    .free = hmc_free,
    .step = hmc_step,
    .end_tuning = hmc_end_tuning,
    .warm_start = hmc_warm_start,
};
