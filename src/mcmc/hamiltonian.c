/*
 * hamiltonian.c — Euclidean Hamiltonian dynamics for HMC and NUTS: metric,
 * kinetic energy, leapfrog, momentum draws, the step-size heuristic, and
 * the warm-up adaptation that ties them to adapt.c.
 *
 * With inverse metric M^-1 = Sigma (the adapted posterior covariance, or
 * its diagonal):
 *   K(p) = p' Sigma p / 2,   dK/dp = Sigma p,   p ~ N(0, Sigma^-1).
 * Dense: Sigma = L L' (GSL's Cholesky, computed once per metric update,
 * not per step), and p = L'^-1 u with u ~ N(0, I), since
 * Cov(L'^-1 u) = (L L')^-1. Diagonal: p_k = u_k / sqrt(Sigma_kk).
 *
 * Leapfrog (Neal 2011, eq. 5.18-5.20), velocity Verlet for a unit of
 * log p's gradient g:  p += eps/2 g;  q += eps Sigma p;  p += eps/2 g.
 *
 * Initial step size: Hoffman & Gelman (2014), Algorithm 4, in Stan's form
 * (base_hmc::init_stepsize): from eps, take one leapfrog step with fresh
 * momentum; double eps while the acceptance exp(H0 - H1) stays above 0.8,
 * or halve it while it stays below, and stop at the first crossing.
 *
 * Invariant: theta[] in struct Hamiltonian always holds the driver's values
 * of the coordinates outside idx; coordinates in idx are written from a
 * point before every evaluation.
 *
 * References: Neal (2011), MCMC using Hamiltonian dynamics, Handbook of
 * MCMC ch. 5; Hoffman & Gelman (2014), JMLR 15; Betancourt (2017),
 * arXiv:1701.02434; Stan's base_hmc.hpp, diag_e_metric.hpp,
 * dense_e_metric.hpp.
 */
#include <config.h>
#include "hamiltonian.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* Acceptance probability the step-size heuristic aims to cross (H&G 2014,
 * Algorithm 4; Stan). */
#define HAM_HEURISTIC_ACCEPT 0.8
/* The heuristic gives up beyond these: Stan stops at 1e7 ("posterior is
 * improper"); below 1e-12 the chain is stuck anyway and dual averaging
 * carries on from there. */
#define HAM_EPS_MAX 1e7
#define HAM_EPS_MIN 1e-12
/* Step size when the user gave none, before the heuristic (Stan). */
#define HAM_EPS_DEFAULT 1.0

static double *vec_alloc(size_t len) {
  return calloc(len ? len : 1, sizeof(double));
}

bool hamiltonian_point_init(const Hamiltonian *h, HamPoint *z) {
  z->q = vec_alloc(h->n);
  z->p = vec_alloc(h->n);
  z->g = vec_alloc(h->dim);
  z->logp = -INFINITY;
  return z->q && z->p && z->g;
}

void hamiltonian_point_clear(HamPoint *z) {
  free(z->q);
  free(z->p);
  free(z->g);
  z->q = z->p = z->g = NULL;
}

void hamiltonian_point_copy(const Hamiltonian *h, HamPoint *dst,
                            const HamPoint *src) {
  memcpy(dst->q, src->q, h->n * sizeof(double));
  memcpy(dst->p, src->p, h->n * sizeof(double));
  memcpy(dst->g, src->g, h->dim * sizeof(double));
  dst->logp = src->logp;
}

/* The unit metric: Sigma = I, L = I. */
static void metric_identity(Hamiltonian *h) {
  const size_t n = h->n;
  if (!h->dense) {
    for (size_t k = 0; k < n; k++)
      h->inv_metric[k] = 1.0;
    return;
  }
  memset(h->inv_metric, 0, n * n * sizeof(double));
  memset(h->chol, 0, n * n * sizeof(double));
  for (size_t k = 0; k < n; k++)
    h->inv_metric[k * n + k] = h->chol[k * n + k] = 1.0;
}

bool hamiltonian_init(Hamiltonian *h, const StepOptions *opt, size_t dim,
                      const size_t *idx, size_t nidx, double default_target) {
  memset(h, 0, sizeof *h);
  h->dim = dim;
  h->n = nidx;
  h->dense = opt && opt->dense_mass;
  const size_t mlen = h->dense ? nidx * nidx : nidx;
  h->idx = malloc((nidx ? nidx : 1) * sizeof(size_t));
  h->inv_metric = vec_alloc(mlen);
  h->scratch = vec_alloc(mlen);
  h->chol = h->dense ? vec_alloc(mlen) : NULL;
  h->chol_try = h->dense ? vec_alloc(mlen) : NULL;
  h->theta = vec_alloc(dim);
  h->v = vec_alloc(nidx);
  if (!h->idx || !h->inv_metric || !h->scratch || !h->theta || !h->v ||
      (h->dense && (!h->chol || !h->chol_try)) ||
      !hamiltonian_point_init(h, &h->z0) || !hamiltonian_point_init(h, &h->z1))
    return false;
  if (nidx)
    memcpy(h->idx, idx, nidx * sizeof(size_t));
  metric_identity(h);

  const bool user_eps = opt && opt->step_size > 0 && isfinite(opt->step_size);
  h->eps = user_eps ? opt->step_size : HAM_EPS_DEFAULT;
  h->user_eps = user_eps;
  h->need_search = true;
  const double ta = opt ? opt->target_accept : NAN;
  h->target = ta > 0.0 && ta < 1.0 ? ta : default_target;
  adapt_step_size_restart(&h->ss, h->target, h->eps);
  const long tune = opt && opt->tune > 0 ? opt->tune : 0;
  h->metric = adapt_metric_alloc(nidx, h->dense, tune, opt && opt->grad_mass);
  return h->metric != NULL;
}

void hamiltonian_clear(Hamiltonian *h) {
  free(h->idx);
  free(h->inv_metric);
  free(h->scratch);
  free(h->chol);
  free(h->chol_try);
  free(h->theta);
  free(h->v);
  hamiltonian_point_clear(&h->z0);
  hamiltonian_point_clear(&h->z1);
  adapt_metric_free(h->metric);
  memset(h, 0, sizeof *h);
}

void hamiltonian_sample_p(const Hamiltonian *h, Rng *rng, double *p) {
  const size_t n = h->n;
  gsl_rng *r = rng_gsl(rng);
  for (size_t k = 0; k < n; k++)
    p[k] = gsl_ran_gaussian(r, 1.0);
  if (!h->dense) {
    for (size_t k = 0; k < n; k++)
      p[k] /= sqrt(h->inv_metric[k]);
    return;
  }
  /* Back substitution L' p = u, in place: p[j] for j > i is final when
   * row i is solved. L'[i][j] = L[j][i] = chol[j * n + i]. */
  const double *L = h->chol;
  for (size_t i = n; i-- > 0;) {
    double s = p[i];
    for (size_t j = i + 1; j < n; j++)
      s -= L[j * n + i] * p[j];
    p[i] = s / L[i * n + i];
  }
}

/* a . b with four partial sums, which lets the compiler keep several
 * multiply-adds in flight (the dense metric's products dominate a
 * leapfrog step for n in the hundreds). */
static double dot4(const double *a, const double *b, size_t n) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    s0 += a[j] * b[j];
    s1 += a[j + 1] * b[j + 1];
    s2 += a[j + 2] * b[j + 2];
    s3 += a[j + 3] * b[j + 3];
  }
  for (; j < n; j++)
    s0 += a[j] * b[j];
  return (s0 + s1) + (s2 + s3);
}

void hamiltonian_dtau_dp(const Hamiltonian *h, const double *p, double *out) {
  const size_t n = h->n;
  if (!h->dense) {
    for (size_t k = 0; k < n; k++)
      out[k] = h->inv_metric[k] * p[k];
    return;
  }
  for (size_t i = 0; i < n; i++)
    out[i] = dot4(h->inv_metric + i * n, p, n);
}

/* K(p) = p' Sigma p / 2. */
static double kinetic(const Hamiltonian *h, const double *p) {
  const size_t n = h->n;
  double s = 0.0;
  if (!h->dense) {
    for (size_t k = 0; k < n; k++)
      s += h->inv_metric[k] * p[k] * p[k];
    return 0.5 * s;
  }
  for (size_t i = 0; i < n; i++)
    s += p[i] * dot4(h->inv_metric + i * n, p, n);
  return 0.5 * s;
}

double hamiltonian_energy(const Hamiltonian *h, const HamPoint *z) {
  if (z->logp == -INFINITY)
    return INFINITY;
  return -z->logp + kinetic(h, z->p);
}

/* log p at h->theta into g; -INFINITY for -inf, +inf, NaN, or a
 * non-finite partial in a moved coordinate. */
static double evaluate(const Hamiltonian *h, const LogDensity *d, double *g) {
  const double lp = d->fn(d->ctx, h->theta, g);
  if (!isfinite(lp))
    return -INFINITY;
  for (size_t k = 0; k < h->n; k++)
    if (!isfinite(g[h->idx[k]]))
      return -INFINITY;
  return lp;
}

bool hamiltonian_leapfrog(Hamiltonian *h, const LogDensity *d, HamPoint *z,
                          double eps) {
  const size_t n = h->n;
  const size_t *idx = h->idx;
  const double half = 0.5 * eps;
  for (size_t k = 0; k < n; k++)
    z->p[k] += half * z->g[idx[k]];
  hamiltonian_dtau_dp(h, z->p, h->v);
  for (size_t k = 0; k < n; k++) {
    z->q[k] += eps * h->v[k];
    h->theta[idx[k]] = z->q[k];
  }
  z->logp = evaluate(h, d, z->g);
  if (z->logp == -INFINITY)
    return false;
  for (size_t k = 0; k < n; k++)
    z->p[k] += half * z->g[idx[k]];
  return true;
}

/* H0 - H1 for one leapfrog step of size eps from h->z0 with fresh
 * momentum; -INFINITY when the step leaves the support. */
static double trial_energy_drop(Hamiltonian *h, const LogDensity *d, Rng *rng,
                                double eps) {
  hamiltonian_point_copy(h, &h->z1, &h->z0);
  hamiltonian_sample_p(h, rng, h->z1.p);
  const double H0 = hamiltonian_energy(h, &h->z1);
  double H1 = INFINITY;
  if (hamiltonian_leapfrog(h, d, &h->z1, eps))
    H1 = hamiltonian_energy(h, &h->z1);
  const double drop = H0 - H1;
  return isnan(drop) ? -INFINITY : drop;
}

/* Hoffman & Gelman's Algorithm 4 as Stan's init_stepsize, from z. */
static void find_step_size(Hamiltonian *h, const LogDensity *d, Rng *rng,
                           const HamPoint *z) {
  if (!(h->eps > 0.0) || h->eps > HAM_EPS_MAX || !isfinite(z->logp))
    return;
  hamiltonian_point_copy(h, &h->z0, z);
  const double log_target = log(HAM_HEURISTIC_ACCEPT);
  const int direction =
      trial_energy_drop(h, d, rng, h->eps) > log_target ? 1 : -1;
  for (;;) {
    const double drop = trial_energy_drop(h, d, rng, h->eps);
    if (direction == 1 && !(drop > log_target))
      break;
    if (direction == -1 && !(drop < log_target))
      break;
    const double next = direction == 1 ? 2.0 * h->eps : 0.5 * h->eps;
    if (next > HAM_EPS_MAX || next < HAM_EPS_MIN)
      break;
    h->eps = next;
  }
}

void hamiltonian_begin(Hamiltonian *h, const LogDensity *d, Rng *rng,
                       const double *theta, double logp, const double *grad,
                       HamPoint *z, bool tuning) {
  memcpy(h->theta, theta, h->dim * sizeof(double));
  for (size_t k = 0; k < h->n; k++)
    z->q[k] = theta[h->idx[k]];
  if (grad) {
    memcpy(z->g, grad, h->dim * sizeof(double));
    z->logp = isfinite(logp) ? logp : -INFINITY;
  } else {
    z->logp = evaluate(h, d, z->g);
  }
  if (!h->need_search || h->n == 0)
    return;
  /* A user's step size is kept as given when there is no warm-up;
   * otherwise the heuristic starts from it (Stan). */
  if (tuning || !h->user_eps)
    find_step_size(h, d, rng, z);
  adapt_step_size_restart(&h->ss, h->target, h->eps);
  h->need_search = false;
}

void hamiltonian_store(const Hamiltonian *h, const HamPoint *z, double *theta,
                       double *logp, double *grad) {
  for (size_t k = 0; k < h->n; k++)
    theta[h->idx[k]] = z->q[k];
  *logp = z->logp;
  if (grad)
    memcpy(grad, z->g, h->dim * sizeof(double));
}

/* Installs the estimate in h->scratch as the metric. Dense: factorises a
 * copy first and keeps the old metric if it is not positive definite
 * (regularisation makes that a rounding accident). */
static void install_metric(Hamiltonian *h) {
  double *t;
  if (!h->dense) {
    t = h->inv_metric, h->inv_metric = h->scratch, h->scratch = t;
    return;
  }
  const size_t n = h->n;
  memcpy(h->chol_try, h->scratch, n * n * sizeof(double));
  gsl_matrix_view m = gsl_matrix_view_array(h->chol_try, n, n);
  if (gsl_linalg_cholesky_decomp1(&m.matrix) != GSL_SUCCESS)
    return;
  t = h->inv_metric, h->inv_metric = h->scratch, h->scratch = t;
  t = h->chol, h->chol = h->chol_try, h->chol_try = t;
}

void hamiltonian_adapt(Hamiltonian *h, const LogDensity *d, Rng *rng,
                       const HamPoint *z, double accept_stat) {
  if (h->tuned)
    return;
  h->eps = adapt_step_size_learn(&h->ss, accept_stat);
  /* z->g is the full gradient; the estimator wants its moved coordinates
   * (h->v is free between transitions). */
  for (size_t k = 0; k < h->n; k++)
    h->v[k] = z->g[h->idx[k]];
  if (!adapt_metric_learn(h->metric, z->q, h->v, h->scratch))
    return;
  install_metric(h);
  /* A new metric changes the scale of a good step: search again and
   * restart the averaging around the result (Stan's adapt_diag_e_nuts). */
  find_step_size(h, d, rng, z);
  adapt_step_size_restart(&h->ss, h->target, h->eps);
}

void hamiltonian_warm_start(Hamiltonian *h, const Hamiltonian *from) {
  const size_t len = h->dense ? h->n * h->n : h->n;
  memcpy(h->inv_metric, from->inv_metric, len * sizeof(double));
  if (h->dense && from->dense)
    memcpy(h->chol, from->chol, len * sizeof(double));
  h->eps = from->eps;
  h->need_search = false;
  adapt_step_size_restart(&h->ss, h->target, h->eps);
}

void hamiltonian_end_tuning(Hamiltonian *h) {
  if (h->tuned)
    return;
  h->eps = adapt_step_size_final(&h->ss, h->eps);
  h->tuned = true;
}
