/*
 * nuts.c — the No-U-Turn Sampler as Stan runs it: iterative trajectory
 * doubling, multinomial sampling of the new point, and the generalised
 * no-U-turn criterion checked across merged subtrees.
 *
 * A transition draws p ~ N(0, M) and doubles the trajectory, forward or
 * backward with probability 1/2, until the criterion fails, a subtree
 * diverges, or the depth reaches max_treedepth (so at most
 * 2^max_treedepth - 1 leapfrog steps). Each state of the trajectory weighs
 * exp(-H). Within a subtree the proposal is drawn uniformly by weight
 * (progressive sampling: the final half replaces the initial one with
 * probability w_final / (w_init + w_final)); across the doublings of the
 * main loop the draw is biased toward the new subtree, which replaces the
 * current sample with probability min(1, w_new / w_old) (Betancourt 2017,
 * appendix A.3.2). A subtree that diverges or turns is discarded whole.
 *
 * Generalised criterion (Betancourt 2017, section 4.2; Stan's base_nuts):
 * for a trajectory with summed momenta rho and sharp momenta
 * p# = M^-1 p at its two ends, continue while p#_minus . rho > 0 and
 * p#_plus . rho > 0. Stan also checks it across the seam of every merge:
 * on (initial subtree + first state of the final one) and (last state of
 * the initial one + final subtree), which catches U-turns that fall
 * between two halves.
 *
 * Divergence: H - H0 > NUTS_MAX_DELTA_H (1000, Stan's max_deltaH) at any
 * leapfrog step, or a step out of the support (H = +inf).
 * accept_stat: the mean of min(1, exp(H0 - H)) over every leapfrog state
 * built, rejected subtrees included (Stan). energy: H at the selected point.
 *
 * Buffers: recursion at depth j uses only the buffers of level j, and at
 * most one call per depth is live, so every vector is allocated once in
 * alloc, max_treedepth levels of them.
 *
 * References: Hoffman & Gelman (2014), JMLR 15, 1593-1623; Betancourt
 * (2017), A Conceptual Introduction to Hamiltonian Monte Carlo,
 * arXiv:1701.02434; Stan's base_nuts.hpp (the tree builder this follows
 * line for line); Stan Reference Manual, "Hamiltonian Monte Carlo sampling".
 */
#include <config.h>
#include "mcmc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mcmc/hamiltonian.h"
#include "rng.h"

/* Stan's defaults: max_depth, max_deltaH, and PyMC's and Stan's
 * delta for NUTS. */
enum { NUTS_MAX_TREEDEPTH = 10 };
#define NUTS_MAX_DELTA_H 1000.0
#define NUTS_TARGET_ACCEPT 0.8

/* Buffers of one recursion level of build_tree. */
typedef struct NutsLevel {
  double *p_init_end, *p_sharp_init_end, *rho_init;
  double *p_final_beg, *p_sharp_final_beg, *rho_final;
  HamPoint z_propose_final;
} NutsLevel;

typedef struct Nuts {
  Hamiltonian h;
  int max_depth;
  HamPoint z; /* the state being integrated */
  HamPoint z_fwd, z_bck, z_sample, z_propose;
  /* Momenta and sharp momenta at the ends of the forward and backward
   * subtrees (fwd_bck: backward end of the forward subtree, ...). */
  double *p_fwd_fwd, *p_sharp_fwd_fwd, *p_fwd_bck, *p_sharp_fwd_bck;
  double *p_bck_fwd, *p_sharp_bck_fwd, *p_bck_bck, *p_sharp_bck_bck;
  double *rho, *rho_fwd, *rho_bck, *rho_ext;
  double *block;     /* storage of every n-vector above and in levels */
  NutsLevel *levels; /* max_depth of them */

  /* Per transition. */
  const LogDensity *d;
  double eps, H0, sum_metro_prob;
  int n_leapfrog;
  bool divergent;
} Nuts;

static void nuts_free(void *state);

/* The n-vectors the transition needs outside the levels. */
enum { NUTS_TOP_VECTORS = 12, NUTS_LEVEL_VECTORS = 6 };

static bool levels_init(Nuts *s, double **next) {
  const size_t n = s->h.n;
  for (int j = 0; j < s->max_depth; j++) {
    NutsLevel *l = &s->levels[j];
    double **v[NUTS_LEVEL_VECTORS] = {
        &l->p_init_end,  &l->p_sharp_init_end,  &l->rho_init,
        &l->p_final_beg, &l->p_sharp_final_beg, &l->rho_final};
    for (int k = 0; k < NUTS_LEVEL_VECTORS; k++, *next += n)
      *v[k] = *next;
    if (!hamiltonian_point_init(&s->h, &l->z_propose_final))
      return false;
  }
  return true;
}

static void *nuts_alloc(const StepOptions *opt, size_t dim, const size_t *idx,
                        size_t nidx) {
  Nuts *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->max_depth =
      opt && opt->max_treedepth > 0 ? opt->max_treedepth : NUTS_MAX_TREEDEPTH;
  s->levels = calloc((size_t)s->max_depth, sizeof *s->levels);
  const size_t n = nidx ? nidx : 1;
  const size_t nvec =
      NUTS_TOP_VECTORS + NUTS_LEVEL_VECTORS * (size_t)s->max_depth;
  s->block = calloc(nvec * n, sizeof(double));
  if (!s->levels || !s->block ||
      !hamiltonian_init(&s->h, opt, dim, idx, nidx, NUTS_TARGET_ACCEPT)) {
    nuts_free(s);
    return NULL;
  }
  double *next = s->block;
  double **top[NUTS_TOP_VECTORS] = {
      &s->p_fwd_fwd, &s->p_sharp_fwd_fwd, &s->p_fwd_bck, &s->p_sharp_fwd_bck,
      &s->p_bck_fwd, &s->p_sharp_bck_fwd, &s->p_bck_bck, &s->p_sharp_bck_bck,
      &s->rho,       &s->rho_fwd,         &s->rho_bck,   &s->rho_ext};
  for (int k = 0; k < NUTS_TOP_VECTORS; k++, next += n)
    *top[k] = next;
  HamPoint *pts[] = {&s->z, &s->z_fwd, &s->z_bck, &s->z_sample, &s->z_propose};
  for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++)
    if (!hamiltonian_point_init(&s->h, pts[k])) {
      nuts_free(s);
      return NULL;
    }
  if (!levels_init(s, &next)) {
    nuts_free(s);
    return NULL;
  }
  return s;
}

static void nuts_free(void *state) {
  Nuts *s = state;
  if (!s)
    return;
  if (s->levels)
    for (int j = 0; j < s->max_depth; j++)
      hamiltonian_point_clear(&s->levels[j].z_propose_final);
  HamPoint *pts[] = {&s->z, &s->z_fwd, &s->z_bck, &s->z_sample, &s->z_propose};
  for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++)
    hamiltonian_point_clear(pts[k]);
  hamiltonian_clear(&s->h);
  free(s->levels);
  free(s->block);
  free(s);
}

static double log_sum_exp(double a, double b) {
  if (a == -INFINITY)
    return b;
  if (b == -INFINITY)
    return a;
  const double m = a > b ? a : b;
  return m + log1p(exp(-fabs(a - b)));
}

static double dot(const double *a, const double *b, size_t n) {
  double s = 0.0;
  for (size_t k = 0; k < n; k++)
    s += a[k] * b[k];
  return s;
}

static void copy(double *dst, const double *src, size_t n) {
  memcpy(dst, src, n * sizeof(double));
}

/* out = a + b. */
static void add(double *out, const double *a, const double *b, size_t n) {
  for (size_t k = 0; k < n; k++)
    out[k] = a[k] + b[k];
}

/* The generalised no-U-turn criterion: both ends still move along rho. */
static bool criterion(const double *p_sharp_minus, const double *p_sharp_plus,
                      const double *rho, size_t n) {
  return dot(p_sharp_plus, rho, n) > 0.0 && dot(p_sharp_minus, rho, n) > 0.0;
}

/* One leapfrog step from s->z: the tree of depth 0. */
static bool build_leaf(Nuts *s, HamPoint *z_propose, double *p_sharp_beg,
                       double *p_sharp_end, double *rho, double *p_beg,
                       double *p_end, double sign, double *log_sum_weight) {
  Hamiltonian *h = &s->h;
  const size_t n = h->n;
  double H = INFINITY;
  if (hamiltonian_leapfrog(h, s->d, &s->z, sign * s->eps)) {
    /* H from the sharp momentum, K = p . M^-1 p / 2: one product with a
     * dense metric instead of two. */
    hamiltonian_dtau_dp(h, s->z.p, p_sharp_beg);
    H = -s->z.logp + 0.5 * dot(s->z.p, p_sharp_beg, n);
  }
  if (isnan(H))
    H = INFINITY;
  s->n_leapfrog++;
  if (H - s->H0 > NUTS_MAX_DELTA_H)
    s->divergent = true;
  *log_sum_weight = log_sum_exp(*log_sum_weight, s->H0 - H);
  s->sum_metro_prob += s->H0 - H > 0.0 ? 1.0 : exp(s->H0 - H);
  if (s->divergent)
    return false;
  hamiltonian_point_copy(h, z_propose, &s->z);
  copy(p_sharp_end, p_sharp_beg, n);
  for (size_t k = 0; k < n; k++)
    rho[k] += s->z.p[k];
  copy(p_beg, s->z.p, n);
  copy(p_end, s->z.p, n);
  return true;
}

/* Extends the trajectory from s->z by 2^depth states in direction sign,
 * adding their momenta to rho and their weights to *log_sum_weight; the
 * subtree's sample goes to z_propose and its end momenta to p_beg /
 * p_end (sharp: p_sharp_beg / p_sharp_end). Returns false when it
 * diverged or turned (Stan's base_nuts::build_tree). */
static bool build_tree(Nuts *s, int depth, HamPoint *z_propose,
                       double *p_sharp_beg, double *p_sharp_end, double *rho,
                       double *p_beg, double *p_end, double sign,
                       double *log_sum_weight, Rng *rng) {
  if (depth == 0)
    return build_leaf(s, z_propose, p_sharp_beg, p_sharp_end, rho, p_beg, p_end,
                      sign, log_sum_weight);
  const size_t n = s->h.n;
  NutsLevel *l = &s->levels[depth];

  double lsw_init = -INFINITY;
  memset(l->rho_init, 0, n * sizeof(double));
  if (!build_tree(s, depth - 1, z_propose, p_sharp_beg, l->p_sharp_init_end,
                  l->rho_init, p_beg, l->p_init_end, sign, &lsw_init, rng))
    return false;

  double lsw_final = -INFINITY;
  memset(l->rho_final, 0, n * sizeof(double));
  if (!build_tree(s, depth - 1, &l->z_propose_final, l->p_sharp_final_beg,
                  p_sharp_end, l->rho_final, l->p_final_beg, p_end, sign,
                  &lsw_final, rng))
    return false;

  /* Uniform (multinomial) choice between the halves by weight. */
  const double lsw_subtree = log_sum_exp(lsw_init, lsw_final);
  *log_sum_weight = log_sum_exp(*log_sum_weight, lsw_subtree);
  if (lsw_final > lsw_subtree ||
      rng_uniform(rng) < exp(lsw_final - lsw_subtree))
    hamiltonian_point_copy(&s->h, z_propose, &l->z_propose_final);

  /* rho_ext = rho of the merged subtree; its criterion, then the two
   * seams. */
  add(s->rho_ext, l->rho_init, l->rho_final, n);
  for (size_t k = 0; k < n; k++)
    rho[k] += s->rho_ext[k];
  bool persist = criterion(p_sharp_beg, p_sharp_end, s->rho_ext, n);
  add(s->rho_ext, l->rho_init, l->p_final_beg, n);
  persist =
      persist && criterion(p_sharp_beg, l->p_sharp_final_beg, s->rho_ext, n);
  add(s->rho_ext, l->rho_final, l->p_init_end, n);
  persist =
      persist && criterion(l->p_sharp_init_end, p_sharp_end, s->rho_ext, n);
  return persist;
}

/* Doubles the trajectory once in a random direction; *lsw_subtree gets the
 * new subtree's weight. Returns false when the new subtree is invalid. */
static bool extend(Nuts *s, int depth, double *lsw_subtree, Rng *rng) {
  Hamiltonian *h = &s->h;
  const size_t n = h->n;
  memset(s->rho_fwd, 0, n * sizeof(double));
  memset(s->rho_bck, 0, n * sizeof(double));
  *lsw_subtree = -INFINITY;
  bool valid;
  if (rng_uniform(rng) > 0.5) {
    hamiltonian_point_copy(h, &s->z, &s->z_fwd);
    copy(s->rho_bck, s->rho, n);
    copy(s->p_bck_fwd, s->p_fwd_bck, n);
    copy(s->p_sharp_bck_fwd, s->p_sharp_fwd_bck, n);
    valid = build_tree(s, depth, &s->z_propose, s->p_sharp_fwd_bck,
                       s->p_sharp_fwd_fwd, s->rho_fwd, s->p_fwd_bck,
                       s->p_fwd_fwd, 1.0, lsw_subtree, rng);
    hamiltonian_point_copy(h, &s->z_fwd, &s->z);
  } else {
    hamiltonian_point_copy(h, &s->z, &s->z_bck);
    copy(s->rho_fwd, s->rho, n);
    copy(s->p_fwd_bck, s->p_bck_fwd, n);
    copy(s->p_sharp_fwd_bck, s->p_sharp_bck_fwd, n);
    valid = build_tree(s, depth, &s->z_propose, s->p_sharp_bck_fwd,
                       s->p_sharp_bck_bck, s->rho_bck, s->p_bck_fwd,
                       s->p_bck_bck, -1.0, lsw_subtree, rng);
    hamiltonian_point_copy(h, &s->z_bck, &s->z);
  }
  return valid;
}

/* The criterion over the whole trajectory and across its two halves. */
static bool trajectory_persists(Nuts *s) {
  const size_t n = s->h.n;
  add(s->rho, s->rho_bck, s->rho_fwd, n);
  bool persist = criterion(s->p_sharp_bck_bck, s->p_sharp_fwd_fwd, s->rho, n);
  add(s->rho_ext, s->rho_bck, s->p_fwd_bck, n);
  persist = persist &&
            criterion(s->p_sharp_bck_bck, s->p_sharp_fwd_bck, s->rho_ext, n);
  add(s->rho_ext, s->rho_fwd, s->p_bck_fwd, n);
  persist = persist &&
            criterion(s->p_sharp_bck_fwd, s->p_sharp_fwd_fwd, s->rho_ext, n);
  return persist;
}

/* All end momenta start as p0, all sharp ones as M^-1 p0. */
static void start_trajectory(Nuts *s) {
  Hamiltonian *h = &s->h;
  const size_t n = h->n;
  double *ends[] = {s->p_fwd_fwd, s->p_fwd_bck, s->p_bck_fwd, s->p_bck_bck,
                    s->rho};
  for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++)
    copy(ends[k], s->z.p, n);
  hamiltonian_dtau_dp(h, s->z.p, s->p_sharp_fwd_fwd);
  copy(s->p_sharp_fwd_bck, s->p_sharp_fwd_fwd, n);
  copy(s->p_sharp_bck_fwd, s->p_sharp_fwd_fwd, n);
  copy(s->p_sharp_bck_bck, s->p_sharp_fwd_fwd, n);
  hamiltonian_point_copy(h, &s->z_fwd, &s->z);
  hamiltonian_point_copy(h, &s->z_bck, &s->z);
  hamiltonian_point_copy(h, &s->z_sample, &s->z);
  hamiltonian_point_copy(h, &s->z_propose, &s->z);
}

/* Stan's base_nuts::transition; returns the tree depth reached. */
static int transition(Nuts *s, Rng *rng) {
  double log_sum_weight = 0.0; /* log exp(H0 - H0) */
  int depth = 0;
  while (depth < s->max_depth) {
    double lsw_subtree;
    if (!extend(s, depth, &lsw_subtree, rng))
      break;
    depth++;
    if (lsw_subtree > log_sum_weight ||
        rng_uniform(rng) < exp(lsw_subtree - log_sum_weight))
      hamiltonian_point_copy(&s->h, &s->z_sample, &s->z_propose);
    log_sum_weight = log_sum_exp(log_sum_weight, lsw_subtree);
    if (!trajectory_persists(s))
      break;
  }
  return depth;
}

static void nuts_step(void *state, const LogDensity *d, Rng *rng, double *theta,
                      double *logp, double *grad, bool tuning,
                      StepStats *stats) {
  Nuts *s = state;
  Hamiltonian *h = &s->h;
  memset(stats, 0, sizeof *stats);
  stats->energy = NAN;
  hamiltonian_begin(h, d, rng, theta, *logp, grad, &s->z, tuning);
  stats->step_size = h->eps;
  if (h->n == 0 || s->z.logp == -INFINITY)
    return;
  s->d = d;
  s->eps = h->eps;
  s->n_leapfrog = 0;
  s->sum_metro_prob = 0.0;
  s->divergent = false;
  hamiltonian_sample_p(h, rng, s->z.p);
  s->H0 = hamiltonian_energy(h, &s->z);
  start_trajectory(s);

  stats->tree_depth = transition(s, rng);
  stats->n_leapfrog = s->n_leapfrog;
  stats->divergent = s->divergent;
  stats->accept_stat = s->sum_metro_prob / (double)s->n_leapfrog;
  stats->energy = hamiltonian_energy(h, &s->z_sample);
  hamiltonian_store(h, &s->z_sample, theta, logp, grad);
  if (tuning)
    hamiltonian_adapt(h, d, rng, &s->z_sample, stats->accept_stat);
}

static void nuts_end_tuning(void *state) {
  Nuts *s = state;
  hamiltonian_end_tuning(&s->h);
}

static void nuts_warm_start(void *state, const void *from) {
  hamiltonian_warm_start(&((Nuts *)state)->h, &((const Nuts *)from)->h);
}

const StepMethod mcmc_nuts = {
    .name = "NUTS",
    .needs_gradient = true,
    .alloc = nuts_alloc,
    .free = nuts_free,
    .step = nuts_step,
    .end_tuning = nuts_end_tuning,
    .warm_start = nuts_warm_start,
};
