/*
 * test_mcmc.c — the step methods on plain C densities with known moments.
 *
 * Each method runs one chain (warm-up, then draws) on: a standard normal
 * in 1 and 5 dimensions, a correlated 2-D Gaussian (sd 1 and 10,
 * correlation 0.9), Haario's banana (known mean and variance), Neal's
 * funnel (NUTS must report divergences; nobody may crash), and a
 * half-normal written as -inf on theta <= 0 (no draw may enter the -inf
 * region). Sample means and variances are compared with the truth within
 * 4 Monte Carlo standard errors, sd / sqrt(ESS), the ESS from Geyer's
 * initial monotone sequence on the draws' autocorrelations (for variances,
 * on the squared deviations); a minimum ESS keeps a tolerance from being
 * vacuous. Also: bit-identical draws for equal seeds, NUTS's tree depth
 * cap, adapted step sizes and acceptance rates, the dense metric's
 * benefit on a correlated target, a compound (Gibbs) step, and that step()
 * does not call malloc (counted by interposing malloc where glibc allows).
 *
 * Reference: Geyer (1992), Practical Markov chain Monte Carlo, Statist.
 * Sci. 7, 473-483 (initial monotone sequence estimator).
 */
#include <config.h>
#include "mcmc.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "../unit/check.h"

/* --- counting malloc calls (glibc without sanitizers) ----------------- */

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) &&                    \
    !defined(__SANITIZE_THREAD__) && !__has_feature(address_sanitizer) &&      \
    !__has_feature(thread_sanitizer) && !__has_feature(memory_sanitizer)
/* Our malloc, calloc and realloc replace libc's for the whole program
 * (symbol interposition) and count calls; glibc's own entry points do the
 * work. Sanitizers interpose malloc themselves, so counting is off there. */
#define COUNT_MALLOC 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static volatile long malloc_calls;
void *malloc(size_t n) {
  malloc_calls++;
  return __libc_malloc(n);
}
void *calloc(size_t n, size_t size) {
  malloc_calls++;
  return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n) {
  malloc_calls++;
  return __libc_realloc(p, n);
}
#else
#define COUNT_MALLOC 0
static volatile long malloc_calls;
#endif

/* --- densities ------------------------------------------------------- */

typedef struct Target {
  const char *name;
  LogDensity d;
  const double *mean, *var; /* truth per checked quantity, or NULL */
  double init;              /* every coordinate starts here */
  /* Maps a draw in place to the quantities checked, or NULL: the draw
   * itself. */
  void (*derived)(double *x);
} Target;

static size_t dim_of(void *ctx) { return *(const size_t *)ctx; }

static double std_normal(void *ctx, const double *x, double *g) {
  const size_t n = dim_of(ctx);
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    lp -= 0.5 * x[i] * x[i];
    if (g)
      g[i] = -x[i];
  }
  return lp;
}

/* N(0, Sigma), Sigma = [[1, 9], [9, 100]]: sd 1 and 10, correlation 0.9.
 * Precision = [[100, -9], [-9, 1]] / 19. */
static double corr2(void *ctx, const double *x, double *g) {
  (void)ctx;
  const double P00 = 100.0 / 19.0, P01 = -9.0 / 19.0, P11 = 1.0 / 19.0;
  const double a = P00 * x[0] + P01 * x[1], b = P01 * x[0] + P11 * x[1];
  if (g) {
    g[0] = -a;
    g[1] = -b;
  }
  return -0.5 * (x[0] * a + x[1] * b);
}

/* Haario, Saksman & Tamminen's banana: x0 ~ N(0, 10^2), and
 * u = x1 + B (x0^2 - 100) ~ N(0, 1) independently. The checks are on x0
 * and u: Var x1 = 1 + 2 B^2 10^4 = 19 is right too, but its sample
 * variance rests on the 8th moment of x0, so its Monte Carlo error is far
 * from normal and a 4-MCSE band fails often by chance. */
#define BANANA_B 0.03
static double banana(void *ctx, const double *x, double *g) {
  (void)ctx;
  const double u = x[1] + BANANA_B * (x[0] * x[0] - 100.0);
  if (g) {
    g[0] = -x[0] / 100.0 - u * 2.0 * BANANA_B * x[0];
    g[1] = -u;
  }
  return -x[0] * x[0] / 200.0 - 0.5 * u * u;
}

static void banana_u(double *x) { x[1] += BANANA_B * (x[0] * x[0] - 100.0); }

/* Neal's funnel: v ~ N(0, 3^2), x_i | v ~ N(0, exp(v / 2)^2), i = 1..k,
 * v = x[0]. */
static double funnel(void *ctx, const double *x, double *g) {
  const size_t n = dim_of(ctx);
  const double v = x[0], ev = exp(-v);
  double ss = 0.0;
  for (size_t i = 1; i < n; i++) {
    ss += x[i] * x[i];
    if (g)
      g[i] = -x[i] * ev;
  }
  const double k = (double)(n - 1);
  if (g)
    g[0] = -v / 9.0 + 0.5 * ss * ev - 0.5 * k;
  return -v * v / 18.0 - 0.5 * ss * ev - 0.5 * k * v;
}

/* Half-normal through -inf: log p = -x^2 / 2 on x > 0, -inf elsewhere.
 * Mean sqrt(2 / pi), variance 1 - 2 / pi. */
static double half_normal(void *ctx, const double *x, double *g) {
  (void)ctx;
  if (!(x[0] > 0.0))
    return -INFINITY;
  if (g)
    g[0] = -x[0];
  return -0.5 * x[0] * x[0];
}

static size_t dim1 = 1, dim5 = 5, dim_funnel = 10;
static const double zeros[5] = {0, 0, 0, 0, 0};
static const double ones[5] = {1, 1, 1, 1, 1};
static const double corr2_var[2] = {1.0, 100.0};
static const double banana_var[2] = {100.0, 1.0};
static double half_mean[1], half_var[1];

static const Target t_normal1 = {.name = "normal-1d",
                                 .d = {1, std_normal, &dim1},
                                 .mean = zeros,
                                 .var = ones,
                                 .init = 0.3};
static const Target t_normal5 = {.name = "normal-5d",
                                 .d = {5, std_normal, &dim5},
                                 .mean = zeros,
                                 .var = ones,
                                 .init = 0.3};
static const Target t_corr2 = {.name = "corr-2d",
                               .d = {2, corr2, NULL},
                               .mean = zeros,
                               .var = corr2_var,
                               .init = 0.3};
static const Target t_banana = {.name = "banana",
                                .d = {2, banana, NULL},
                                .mean = zeros,
                                .var = banana_var,
                                .init = 0.3,
                                .derived = banana_u};
static const Target t_funnel = {
    .name = "funnel", .d = {10, funnel, &dim_funnel}, .init = 0.3};
static const Target t_half = {.name = "half-normal",
                              .d = {1, half_normal, NULL},
                              .mean = half_mean,
                              .var = half_var,
                              .init = 0.3};

/* --- running a chain ------------------------------------------------- */

typedef struct Run {
  size_t dim, draws;
  double *x;       /* draws * dim, draw-major */
  double *lp;      /* log p of each draw */
  long divergent;  /* after warm-up */
  double accept;   /* mean accept_stat after warm-up */
  double leapfrog; /* mean n_leapfrog after warm-up */
  int max_depth;   /* largest tree_depth after warm-up */
  int max_leapfrog;
  double step_size; /* step_size of the last draw */
  long mallocs;     /* malloc calls during all step() calls */
} Run;

static void run_free(Run *r) {
  free(r->x);
  free(r->lp);
}

/* One chain of `tune` warm-up and `draws` kept iterations of method m,
 * updating every coordinate. */
static Run run_chain(const StepMethod *m, StepOptions opt, const Target *t,
                     uint64_t seed, int tune, size_t draws) {
  const size_t dim = t->d.dim;
  Run r = {.dim = dim, .draws = draws};
  r.x = malloc(draws * dim * sizeof(double));
  r.lp = malloc(draws * sizeof(double));
  size_t idx[16];
  double theta[16], grad[16];
  for (size_t i = 0; i < dim; i++) {
    idx[i] = i;
    theta[i] = t->init;
  }
  opt.tune = tune;
  void *state = m->alloc(&opt, dim, idx, dim);
  Rng *rng = rng_alloc_stream(seed, 0);
  double *g = m->needs_gradient ? grad : NULL;
  double lp = t->d.fn(t->d.ctx, theta, g);
  StepStats st;
  double acc = 0.0, lf = 0.0;
  const long before = malloc_calls;
  for (int i = 0; i < tune; i++)
    m->step(state, &t->d, rng, theta, &lp, g, true, &st);
  m->end_tuning(state);
  for (size_t i = 0; i < draws; i++) {
    m->step(state, &t->d, rng, theta, &lp, g, false, &st);
    memcpy(r.x + i * dim, theta, dim * sizeof(double));
    r.lp[i] = lp;
    r.divergent += st.divergent;
    acc += st.accept_stat;
    lf += st.n_leapfrog;
    if (st.tree_depth > r.max_depth)
      r.max_depth = st.tree_depth;
    if (st.n_leapfrog > r.max_leapfrog)
      r.max_leapfrog = st.n_leapfrog;
  }
  r.mallocs = malloc_calls - before;
  r.accept = acc / (double)draws;
  r.leapfrog = lf / (double)draws;
  r.step_size = st.step_size;
  rng_free(rng);
  m->free(state);
  return r;
}

static StepOptions no_options(void) {
  StepOptions o = {.target_accept = NAN,
                   .path_length = NAN,
                   .step_size = NAN,
                   .proposal_scale = NAN,
                   .slice_width = NAN};
  return o;
}

/* --- effective sample size and moment checks -------------------------- */

/* ESS of x[0], x[stride], ... (n values): n / tau, tau = -1 + 2 sum of
 * Geyer's initial monotone pair sums of autocorrelations. */
static double ess(const double *x, size_t n, size_t stride) {
  double mean = 0.0;
  for (size_t i = 0; i < n; i++)
    mean += x[i * stride];
  mean /= (double)n;
  double c0 = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double dx = x[i * stride] - mean;
    c0 += dx * dx;
  }
  if (c0 == 0.0)
    return 0.0;
  double tau = -1.0, prev = INFINITY;
  for (size_t lag = 0; lag + 1 < n; lag += 2) {
    double pair = 0.0;
    for (size_t l = lag; l <= lag + 1; l++) {
      double c = 0.0;
      for (size_t i = 0; i + l < n; i++)
        c += (x[i * stride] - mean) * (x[(i + l) * stride] - mean);
      pair += c / c0;
    }
    if (pair <= 0.0)
      break;
    if (pair > prev)
      pair = prev;
    prev = pair;
    tau += 2.0 * pair;
  }
  return (double)n / tau;
}

/* Fewer effective draws than this would make a 4-MCSE band too wide to
 * mean anything. */
#define MIN_ESS 100.0

/* Mean and variance of coordinate j against the truth, within 4 MCSE. */
static void check_moments(const char *label, const Run *r, size_t j,
                          double mean_true, double var_true) {
  const size_t n = r->draws;
  double *y = malloc(n * sizeof(double));
  double m = 0.0;
  for (size_t i = 0; i < n; i++)
    m += r->x[i * r->dim + j];
  m /= (double)n;
  double v = 0.0, vv = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double dx = r->x[i * r->dim + j] - m;
    y[i] = dx * dx;
    v += y[i];
  }
  v /= (double)n;
  for (size_t i = 0; i < n; i++)
    vv += (y[i] - v) * (y[i] - v);
  vv /= (double)(n - 1);
  const double ess_m = ess(r->x + j, n, r->dim);
  const double ess_v = ess(y, n, 1);
  const double tol_m = 4.0 * sqrt(v / ess_m);
  const double tol_v = 4.0 * sqrt(vv / ess_v);
  int ok = CHECK(ess_m > MIN_ESS) & CHECK(ess_v > MIN_ESS);
  ok &= CHECK_NEAR(m, mean_true, tol_m);
  ok &= CHECK_NEAR(v, var_true, tol_v);
  if (!ok)
    fprintf(stderr,
            "  in %s, coordinate %zu: mean %.4g (ESS %.0f), "
            "var %.4g (ESS %.0f)\n",
            label, j, m, ess_m, v, ess_v);
  free(y);
}

static void check_all_moments(const char *method, const Target *t,
                              const Run *r) {
  char label[96];
  snprintf(label, sizeof label, "%s on %s", method, t->name);
  if (t->derived)
    for (size_t i = 0; i < r->draws; i++)
      t->derived(r->x + i * r->dim);
  for (size_t j = 0; j < t->d.dim; j++)
    check_moments(label, r, j, t->mean[j], t->var[j]);
}

/* --- tests ----------------------------------------------------------- */

typedef struct Plan {
  const StepMethod *m;
  bool dense;
  int tune;
  size_t draws;
} Plan;

static const char *plan_name(const Plan *p) {
  if (p->dense)
    return p->m == &mcmc_nuts ? "NUTS (dense)" : "HMC (dense)";
  return p->m->name;
}

/* Every method recovers the moments of every Gaussian and of the
 * half-normal, never leaves the support, and never calls malloc in
 * step(). */
static void test_moments(void) {
  const Target *targets[] = {&t_normal1, &t_normal5, &t_corr2, &t_half,
                             &t_banana};
  const Plan plans[] = {{&mcmc_nuts, false, 1000, 4000},
                        {&mcmc_nuts, true, 1000, 4000},
                        {&mcmc_hmc, false, 1000, 10000},
                        {&mcmc_hmc, true, 1000, 10000},
                        {&mcmc_slice, false, 500, 50000},
                        {&mcmc_metropolis, false, 2000, 200000}};
  for (size_t ti = 0; ti < sizeof targets / sizeof targets[0]; ti++)
    for (size_t pi = 0; pi < sizeof plans / sizeof plans[0]; pi++) {
      const Target *t = targets[ti];
      const Plan *p = &plans[pi];
      /* The banana's curved ridge needs more than a random walk can give
       * in a unit test's time, and a dense metric gains nothing on it
       * (its covariance is diagonal) while its noisier warm-up missed the
       * tails of x0 in 4 of 150 seeds; the leapfrog methods need small
       * steps for the tails (at delta = 0.8 NUTS diverges there and the
       * variance of x1 comes out near 14 instead of 19). */
      StepOptions o = no_options();
      o.dense_mass = p->dense;
      if (t == &t_banana) {
        if (p->m == &mcmc_metropolis || p->dense)
          continue;
        o.target_accept = 0.99;
      }
      Run r = run_chain(p->m, o, t, 20240 + ti * 10 + pi, p->tune, p->draws);
      check_all_moments(plan_name(p), t, &r);
      bool finite = true;
      for (size_t i = 0; i < r.draws; i++)
        finite = finite && isfinite(r.lp[i]);
      CHECK(finite);
      if (t == &t_half) {
        bool inside = true;
        for (size_t i = 0; i < r.draws; i++)
          inside = inside && r.x[i] > 0.0;
        CHECK(inside);
      }
      if (COUNT_MALLOC)
        CHECK_EQ_INT(r.mallocs, 0);
      run_free(&r);
    }
}

/* NUTS reports divergences in the funnel's neck (over 40 seeds, 10000
 * adapted draws had 1-900, typically 10-300; with a fixed step of 1,
 * hundreds in 1000 draws); every method survives it with finite draws. */
static void test_funnel(void) {
  const StepMethod *ms[] = {&mcmc_nuts, &mcmc_hmc, &mcmc_slice,
                            &mcmc_metropolis};
  long nuts_divergent = 0;
  for (size_t k = 0; k < 5; k++) {
    const StepMethod *m = k < 4 ? ms[k] : &mcmc_nuts;
    const size_t draws = m == &mcmc_nuts ? 10000 : 2000;
    Run r = run_chain(m, no_options(), &t_funnel, 77 + k, 1000, draws);
    bool finite = true;
    for (size_t i = 0; i < r.draws * r.dim; i++)
      finite = finite && isfinite(r.x[i]);
    if (!CHECK(finite))
      fprintf(stderr, "  %s on the funnel\n", m->name);
    if (m == &mcmc_nuts)
      nuts_divergent += r.divergent;
    run_free(&r);
  }
  /* Two adapted chains: one alone, adapting to a tiny step, can go
   * without (1 seed in 100). */
  CHECK(nuts_divergent > 0);
  StepOptions o = no_options();
  o.step_size = 1.0;
  Run r = run_chain(&mcmc_nuts, o, &t_funnel, 81, 0, 1000);
  CHECK(r.divergent > 100);
  CHECK(r.step_size == 1.0);
  run_free(&r);
}

/* The same seed gives the same draws bit for bit; another seed does not. */
static void test_reproducible(void) {
  const StepMethod *ms[] = {&mcmc_nuts, &mcmc_hmc, &mcmc_slice,
                            &mcmc_metropolis};
  for (size_t k = 0; k < 4; k++) {
    StepOptions o = no_options();
    o.dense_mass = k < 2;
    Run a = run_chain(ms[k], o, &t_corr2, 5, 200, 300);
    Run b = run_chain(ms[k], o, &t_corr2, 5, 200, 300);
    Run c = run_chain(ms[k], o, &t_corr2, 6, 200, 300);
    const size_t bytes = a.draws * a.dim * sizeof(double);
    CHECK(memcmp(a.x, b.x, bytes) == 0);
    CHECK(memcmp(a.x, c.x, bytes) != 0);
    run_free(&a);
    run_free(&b);
    run_free(&c);
  }
}

/* With a tiny fixed step the trajectory never turns: every tree hits
 * max_treedepth = 3, i.e. 2^3 - 1 = 7 leapfrog steps, and none exceeds it. */
static void test_treedepth(void) {
  StepOptions o = no_options();
  o.max_treedepth = 3;
  o.step_size = 0.01;
  Run r = run_chain(&mcmc_nuts, o, &t_corr2, 11, 0, 500);
  CHECK_EQ_INT(r.max_depth, 3);
  CHECK_EQ_INT(r.max_leapfrog, 7);
  CHECK_NEAR(r.step_size, 0.01, 0.0);
  run_free(&r);

  o = no_options();
  o.max_treedepth = 2;
  r = run_chain(&mcmc_nuts, o, &t_funnel, 12, 300, 500);
  CHECK(r.max_depth <= 2);
  CHECK(r.max_leapfrog <= 3);
  run_free(&r);
}

/* Adapted step sizes and acceptance rates land where theory puts them. */
static void test_adaptation(void) {
  /* NUTS on N(0, I_5) with delta = 0.8: eps near 0.9 (100 seeds: a few
   * as low as 0.6; Stan gives 0.7-1.0). */
  Run r = run_chain(&mcmc_nuts, no_options(), &t_normal5, 3, 1000, 1000);
  if (!CHECK(r.step_size > 0.5 && r.step_size < 1.4))
    fprintf(stderr, "  NUTS step size %.3g\n", r.step_size);
  if (!CHECK(r.accept > 0.7 && r.accept < 0.95))
    fprintf(stderr, "  NUTS accept_stat %.3g\n", r.accept);
  run_free(&r);

  StepOptions o = no_options();
  o.target_accept = 0.95;
  r = run_chain(&mcmc_nuts, o, &t_normal5, 3, 1000, 1000);
  if (!CHECK(r.accept > 0.88))
    fprintf(stderr, "  NUTS accept_stat %.3g at target 0.95\n", r.accept);
  run_free(&r);

  /* HMC targets 0.65. */
  r = run_chain(&mcmc_hmc, no_options(), &t_normal5, 4, 1000, 2000);
  if (!CHECK(r.accept > 0.55 && r.accept < 0.9))
    fprintf(stderr, "  HMC accept_stat %.3g\n", r.accept);
  run_free(&r);

  /* Metropolis: 0.234 in 5-D, 0.44 in 1-D, from a scale far too large. */
  o = no_options();
  o.proposal_scale = 50.0;
  r = run_chain(&mcmc_metropolis, o, &t_normal5, 5, 2000, 20000);
  if (!CHECK_NEAR(r.accept, 0.234, 0.05))
    fprintf(stderr, "  Metropolis 5-D acceptance %.3g\n", r.accept);
  run_free(&r);
  r = run_chain(&mcmc_metropolis, o, &t_normal1, 5, 2000, 20000);
  if (!CHECK_NEAR(r.accept, 0.44, 0.05))
    fprintf(stderr, "  Metropolis 1-D acceptance %.3g\n", r.accept);
  run_free(&r);

  /* Slice: a width 100 times too small grows toward the slice's size. */
  o = no_options();
  o.slice_width = 0.01;
  r = run_chain(&mcmc_slice, o, &t_normal1, 6, 500, 100);
  if (!CHECK(r.step_size > 0.5 && r.step_size < 10.0))
    fprintf(stderr, "  Slice width %.3g\n", r.step_size);
  run_free(&r);

  /* A dense metric makes the correlated target isotropic: a step near 1
   * and fewer leapfrog steps, where the diagonal metric leaves
   * eigenvalues 1.9 and 0.1 and a step near 0.3 (80 seeds: dense
   * 0.76-1.10, diagonal 0.24-0.47). */
  o = no_options();
  Run diag = run_chain(&mcmc_nuts, o, &t_corr2, 8, 1000, 1000);
  o.dense_mass = true;
  Run dense = run_chain(&mcmc_nuts, o, &t_corr2, 8, 1000, 1000);
  if (!CHECK(dense.step_size > 1.5 * diag.step_size &&
             dense.leapfrog < diag.leapfrog))
    fprintf(stderr,
            "  dense: step %.3g, %.3g leapfrog steps; diagonal: "
            "step %.3g, %.3g leapfrog steps\n",
            dense.step_size, dense.leapfrog, diag.step_size, diag.leapfrog);
  run_free(&diag);
  run_free(&dense);
}

/* A compound step: NUTS on coordinate 0, Slice on coordinate 1 of the
 * correlated Gaussian, alternating; each method leaves the other
 * coordinate alone and the pair still samples the joint. */
static void test_compound(void) {
  const size_t i0 = 0, i1 = 1, n = 8000;
  StepOptions o = no_options();
  o.tune = 1000;
  void *a = mcmc_nuts.alloc(&o, 2, &i0, 1);
  void *b = mcmc_slice.alloc(&o, 2, &i1, 1);
  Rng *rng = rng_alloc(99);
  double theta[2] = {0.3, 0.3}, grad[2];
  double lp = corr2(NULL, theta, grad);
  Run r = {.dim = 2, .draws = n};
  r.x = malloc(n * 2 * sizeof(double));
  r.lp = malloc(n * sizeof(double));
  bool kept = true;
  StepStats st;
  for (size_t i = 0; i < o.tune + n; i++) {
    const bool tuning = i < (size_t)o.tune;
    if (i == (size_t)o.tune) {
      mcmc_nuts.end_tuning(a);
      mcmc_slice.end_tuning(b);
    }
    const double before1 = theta[1];
    mcmc_nuts.step(a, &t_corr2.d, rng, theta, &lp, grad, tuning, &st);
    kept = kept && theta[1] == before1;
    const double before0 = theta[0];
    mcmc_slice.step(b, &t_corr2.d, rng, theta, &lp, grad, tuning, &st);
    kept = kept && theta[0] == before0;
    if (!tuning)
      memcpy(r.x + (i - o.tune) * 2, theta, sizeof theta);
  }
  CHECK(kept);
  double g2[2];
  CHECK_NEAR(lp, corr2(NULL, theta, g2), 1e-12);
  CHECK_NEAR(grad[0], g2[0], 1e-12);
  CHECK_NEAR(grad[1], g2[1], 1e-12);
  check_moments("NUTS + Slice on corr-2d", &r, 0, 0.0, 1.0);
  check_moments("NUTS + Slice on corr-2d", &r, 1, 0.0, 100.0);
  run_free(&r);
  rng_free(rng);
  mcmc_nuts.free(a);
  mcmc_slice.free(b);
}

static void test_lookup(void) {
  CHECK(mcmc_lookup("NUTS") == &mcmc_nuts);
  CHECK(mcmc_lookup("hmc") == &mcmc_hmc);
  CHECK(mcmc_lookup("Slice") == &mcmc_slice);
  CHECK(mcmc_lookup("Metropolis") == &mcmc_metropolis);
  CHECK(mcmc_lookup("Gibbs") == NULL);
  CHECK(mcmc_lookup(NULL) == NULL);
  CHECK(mcmc_nuts.needs_gradient && mcmc_hmc.needs_gradient);
  CHECK(!mcmc_slice.needs_gradient && !mcmc_metropolis.needs_gradient);
}

int main(void) {
  gsl_set_error_handler_off();
  half_mean[0] = sqrt(2.0 / M_PI);
  half_var[0] = 1.0 - 2.0 / M_PI;
  test_lookup();
  test_moments();
  test_funnel();
  test_reproducible();
  test_treedepth();
  test_adaptation();
  test_compound();
  if (!COUNT_MALLOC)
    printf("malloc counting skipped (not glibc, or a sanitizer build)\n");
  return check_summary();
}
