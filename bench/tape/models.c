/*
 * models.c — the tape's log density and gradient against the same written
 * by hand in C, on the three models of the performance target (issue 3):
 *
 *   linear regression    beta ~ Normal(0, 1) (K), alpha ~ Normal(0, 10),
 *                        sigma ~ HalfNormal(5),
 *                        y ~ Normal(alpha + X @ beta, sigma);  N = 1000, K = 10
 *   logistic regression  beta ~ Normal(0, 1) (K), alpha ~ Normal(0, 5),
 *                        y ~ Bernoulli(logit_p = alpha + X @ beta);
 *                        N = 2000, K = 10
 *   varying intercepts   mu_a ~ Normal(0, 5), sigma_a ~ HalfNormal(1),
 *                        a ~ Normal(mu_a, sigma_a) (J), b ~ Normal(0, 1),
 *                        sigma ~ HalfNormal(1),
 *                        y ~ Normal(a[g] + b * x, sigma);  J = 50, N = 1000
 *
 * Each density is in unconstrained space (sigma = exp(u), plus the log
 * Jacobian u), theta holding the free variables in declaration order.
 *
 * The tapes are built as src/model.c and src/lib_model.c build them for
 * the model above: a free variable is a tape_param view through
 * transform_emit (HalfNormal: ADD(0, EXP(u)) and the Jacobian SUM(u));
 * `alpha + X @ beta` is MATVEC then ADD; `a[g]` is GATHER; `b * x` is MUL;
 * `logit_p=` becomes LOGISTIC and the Bernoulli family; every density is a
 * DIST of the real family (src/dist/); the terms (each variable's Jacobian,
 * then its density) go to one SUM_SCALARS. Each tape is timed fused (the
 * default) and with fusion off (tape_set_fusion), to show what fusion buys.
 *
 * The hand-written versions are what a careful C programmer would write:
 * X @ beta and X^T r through the same CBLAS (OpenBLAS when it loads, one
 * thread), and one loop over the observations that computes the log
 * density, its partials and the reductions together, with the constants
 * (log sigma, 1 / sigma) hoisted; the logistic loop computes
 * y eta - softplus(eta) and y - logistic(eta) from one exp(-|eta|) and one
 * log1p. They check nothing (no NaN, no support), which the tape does.
 *
 * Each timing is the best of REPEATS runs of at least MIN_SECONDS, hand,
 * fused and unfused alternating, so a busy machine slows all alike. The
 * log densities and gradients of the three are compared first. Prints
 * gradient evaluations per second and tape time / hand time (1.0: as fast
 * as hand-written C; the target is at most 1.2).
 *
 * Build and run: make bench-tape (OPENBLAS_NUM_THREADS=1 is set there);
 * bench/tape/models linreg logistic varying runs the models named.
 */
#include <config.h>
#include "tape.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "dist.h"
#include "tape_fuse.h"
#include "transform.h"

enum { K = 10, N_LIN = 1000, N_LOGIT = 2000, N_VAR = 1000, J = 50 };
/* Many short runs rather than a few long ones: on a shared machine the
 * best of many short runs is the one least disturbed by other jobs. */
enum { REPEATS = 31, MAX_TERMS = 16 };
static const double MIN_SECONDS = 0.04;

static const double HALF_LOG_2PI = 0.91893853320467274178; /* log sqrt(2pi) */
static const double LOG_2 = 0.69314718055994530942;

/* Prior scales. */
static const double LIN_ALPHA_SD = 10.0, LIN_SIGMA_SD = 5.0;
static const double LOGIT_ALPHA_SD = 5.0;
static const double VAR_MU_SD = 5.0;

/* ---- data ------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static double unif01(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

static double normal01(void) {
  return sqrt(-2.0 * log(1.0 - unif01())) * cos(2.0 * M_PI * unif01());
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  return p;
}

/* log N(x | 0, s) and log HalfNormal(x | s). */
static double normal0_lp(double x, double s) {
  return -0.5 * (x / s) * (x / s) - log(s) - HALF_LOG_2PI;
}

static double halfnormal_lp(double x, double s) {
  return LOG_2 + normal0_lp(x, s);
}

/* ---- building tapes as the model binder does --------------------------- */

typedef struct Builder {
  Tape *t;
  size_t off; /* the next free variable's offset into theta */
  TapeSlot terms[MAX_TERMS];
  int nterms;
  char err[TAPE_ERR_LEN];
} Builder;

static TapeSlot ok(Builder *b, TapeSlot s) {
  if (s == TAPE_NONE) {
    fprintf(stderr, "building a tape: %s\n", b->err);
    exit(1);
  }
  return s;
}

static void add_term(Builder *b, TapeSlot s) {
  if (b->nterms == MAX_TERMS) {
    fprintf(stderr, "too many terms\n");
    exit(1);
  }
  b->terms[b->nterms++] = ok(b, s);
}

/* A free variable of len elements (0: a scalar) with transform k, its
 * Jacobian term added (model.c's free_var). */
static TapeSlot free_var(Builder *b, size_t len, TransformKind k) {
  const int ndim = len == 0 ? 0 : 1;
  const size_t n = len == 0 ? 1 : len;
  TapeSlot u = tape_param(b->t, b->off, ndim, n, 1);
  b->off += n;
  TransformBounds tb = {TAPE_NONE, TAPE_NONE, 0.0, INFINITY};
  TapeSlot jac;
  TapeSlot x = ok(b, transform_emit(b->t, k, u, &tb, ndim, n, 1, &jac, b->err));
  if (jac != TAPE_NONE)
    add_term(b, jac);
  return x;
}

static void density(Builder *b, const DistFamily *f, TapeSlot x, TapeSlot p0,
                    TapeSlot p1) {
  const TapeSlot ps[2] = {p0, p1};
  add_term(b, tape_dist(b->t, f, x, ps, f->nparams, b->err));
}

static Tape *finish(Builder *b, bool fused) {
  tape_set_output(b->t, ok(b, tape_op(b->t, TAPE_SUM_SCALARS, b->terms,
                                      b->nterms, NULL, 0, b->err)));
  tape_set_fusion(b->t, fused);
  tape_finish(b->t);
  return b->t;
}

static TapeSlot scalar(Builder *b, double x) { return tape_scalar(b->t, x); }

/* ---- linear regression -------------------------------------------------- */

typedef struct LinReg {
  double X[N_LIN * K], y[N_LIN];
  double mu[N_LIN], r[N_LIN]; /* hand-written scratch */
} LinReg;

/* theta = (beta[K], alpha, u), sigma = exp(u). */
static double linreg_hand(void *ctx, const double *theta, double *grad) {
  LinReg *d = ctx;
  const double *beta = theta, alpha = theta[K], u = theta[K + 1];
  const double sigma = exp(u), inv = 1.0 / sigma;
  blas()->dgemv(CblasRowMajor, CblasNoTrans, N_LIN, K, 1.0, d->X, K, beta, 1,
                0.0, d->mu, 1);
  double zz = 0.0, rs = 0.0;
  for (int i = 0; i < N_LIN; i++) {
    const double z = (d->y[i] - d->mu[i] - alpha) * inv;
    zz += z * z;
    d->r[i] = z * inv;
    rs += d->r[i];
  }
  blas()->dgemv(CblasRowMajor, CblasTrans, N_LIN, K, 1.0, d->X, K, d->r, 1, 0.0,
                grad, 1);
  double lp = -0.5 * zz - N_LIN * (u + HALF_LOG_2PI);
  for (int k = 0; k < K; k++) {
    lp += normal0_lp(beta[k], 1.0);
    grad[k] -= beta[k];
  }
  lp +=
      normal0_lp(alpha, LIN_ALPHA_SD) + halfnormal_lp(sigma, LIN_SIGMA_SD) + u;
  grad[K] = rs - alpha / (LIN_ALPHA_SD * LIN_ALPHA_SD);
  grad[K + 1] =
      zz - N_LIN - sigma * sigma / (LIN_SIGMA_SD * LIN_SIGMA_SD) + 1.0;
  return lp;
}

static Tape *linreg_tape(const LinReg *d, bool fused) {
  Builder b = {.t = tape_alloc(0)};
  TapeSlot beta = free_var(&b, K, TR_IDENTITY);
  density(&b, &dist_normal, beta, scalar(&b, 0.0), scalar(&b, 1.0));
  TapeSlot alpha = free_var(&b, 0, TR_IDENTITY);
  density(&b, &dist_normal, alpha, scalar(&b, 0.0), scalar(&b, LIN_ALPHA_SD));
  TapeSlot sigma = free_var(&b, 0, TR_LOWER);
  density(&b, &dist_halfnormal, sigma, scalar(&b, LIN_SIGMA_SD), TAPE_NONE);
  TapeSlot X = tape_const(b.t, 2, N_LIN, K, d->X);
  TapeSlot xb = ok(&b, tape_op2(b.t, TAPE_MATVEC, X, beta, b.err));
  TapeSlot mu = ok(&b, tape_op2(b.t, TAPE_ADD, alpha, xb, b.err));
  density(&b, &dist_normal, tape_const(b.t, 1, N_LIN, 1, d->y), mu, sigma);
  return finish(&b, fused);
}

static LinReg *linreg_data(double *theta) {
  LinReg *d = xcalloc(1, sizeof *d);
  double beta[K];
  for (int k = 0; k < K; k++)
    beta[k] = normal01();
  for (int i = 0; i < N_LIN; i++) {
    double m = 0.7;
    for (int k = 0; k < K; k++) {
      d->X[i * K + k] = normal01();
      m += d->X[i * K + k] * beta[k];
    }
    d->y[i] = m + 1.3 * normal01();
  }
  for (int k = 0; k < K + 2; k++)
    theta[k] = 0.3 * normal01();
  return d;
}

/* ---- logistic regression ------------------------------------------------ */

typedef struct LogReg {
  double X[N_LOGIT * K], y[N_LOGIT];
  double eta[N_LOGIT], r[N_LOGIT]; /* hand-written scratch */
} LogReg;

/* theta = (beta[K], alpha). */
static double logreg_hand(void *ctx, const double *theta, double *grad) {
  LogReg *d = ctx;
  const double *beta = theta, alpha = theta[K];
  blas()->dgemv(CblasRowMajor, CblasNoTrans, N_LOGIT, K, 1.0, d->X, K, beta, 1,
                0.0, d->eta, 1);
  double lp = 0.0, rs = 0.0;
  for (int i = 0; i < N_LOGIT; i++) {
    const double eta = d->eta[i] + alpha, e = exp(-fabs(eta));
    lp += d->y[i] * eta - ((eta > 0.0 ? eta : 0.0) + log1p(e));
    const double q = 1.0 / (1.0 + e); /* logistic(|eta|) */
    d->r[i] = d->y[i] - (eta >= 0.0 ? q : e * q);
    rs += d->r[i];
  }
  blas()->dgemv(CblasRowMajor, CblasTrans, N_LOGIT, K, 1.0, d->X, K, d->r, 1,
                0.0, grad, 1);
  for (int k = 0; k < K; k++) {
    lp += normal0_lp(beta[k], 1.0);
    grad[k] -= beta[k];
  }
  lp += normal0_lp(alpha, LOGIT_ALPHA_SD);
  grad[K] = rs - alpha / (LOGIT_ALPHA_SD * LOGIT_ALPHA_SD);
  return lp;
}

static Tape *logreg_tape(const LogReg *d, bool fused) {
  Builder b = {.t = tape_alloc(0)};
  TapeSlot beta = free_var(&b, K, TR_IDENTITY);
  density(&b, &dist_normal, beta, scalar(&b, 0.0), scalar(&b, 1.0));
  TapeSlot alpha = free_var(&b, 0, TR_IDENTITY);
  density(&b, &dist_normal, alpha, scalar(&b, 0.0), scalar(&b, LOGIT_ALPHA_SD));
  TapeSlot X = tape_const(b.t, 2, N_LOGIT, K, d->X);
  TapeSlot xb = ok(&b, tape_op2(b.t, TAPE_MATVEC, X, beta, b.err));
  TapeSlot eta = ok(&b, tape_op2(b.t, TAPE_ADD, alpha, xb, b.err));
  TapeSlot p = ok(&b, tape_op1(b.t, TAPE_LOGISTIC, eta, b.err));
  density(&b, &dist_bernoulli, tape_const(b.t, 1, N_LOGIT, 1, d->y), p,
          TAPE_NONE);
  return finish(&b, fused);
}

static LogReg *logreg_data(double *theta) {
  LogReg *d = xcalloc(1, sizeof *d);
  double beta[K];
  for (int k = 0; k < K; k++)
    beta[k] = 0.5 * normal01();
  for (int i = 0; i < N_LOGIT; i++) {
    double eta = -0.4;
    for (int k = 0; k < K; k++) {
      d->X[i * K + k] = normal01();
      eta += d->X[i * K + k] * beta[k];
    }
    d->y[i] = unif01() < 1.0 / (1.0 + exp(-eta)) ? 1.0 : 0.0;
  }
  for (int k = 0; k < K + 1; k++)
    theta[k] = 0.3 * normal01();
  return d;
}

/* ---- varying intercepts -------------------------------------------------- */

typedef struct Varying {
  double x[N_VAR], y[N_VAR];
  size_t g[N_VAR];
} Varying;

/* theta = (mu_a, u_a, a[J], b, u); sigma_a = exp(u_a), sigma = exp(u). */
static double varying_hand(void *ctx, const double *theta, double *grad) {
  const Varying *d = ctx;
  const double mua = theta[0], ua = theta[1], *a = theta + 2;
  const double b = theta[J + 2], u = theta[J + 3];
  const double sa = exp(ua), inva = 1.0 / sa;
  const double sigma = exp(u), inv = 1.0 / sigma;
  double *ga = grad + 2;
  memset(ga, 0, J * sizeof *ga);
  double zz = 0.0, gb = 0.0;
  for (int i = 0; i < N_VAR; i++) {
    const double z = (d->y[i] - a[d->g[i]] - b * d->x[i]) * inv;
    zz += z * z;
    const double r = z * inv;
    ga[d->g[i]] += r;
    gb += r * d->x[i];
  }
  double ww = 0.0, gmu = 0.0;
  for (int j = 0; j < J; j++) {
    const double w = (a[j] - mua) * inva;
    ww += w * w;
    ga[j] -= w * inva;
    gmu += w * inva;
  }
  grad[0] = gmu - mua / (VAR_MU_SD * VAR_MU_SD);
  grad[1] = ww - J - sa * sa + 1.0;
  grad[J + 2] = gb - b;
  grad[J + 3] = zz - N_VAR - sigma * sigma + 1.0;
  return -0.5 * zz - N_VAR * (u + HALF_LOG_2PI) - 0.5 * ww -
         J * (ua + HALF_LOG_2PI) + normal0_lp(mua, VAR_MU_SD) +
         halfnormal_lp(sa, 1.0) + ua + normal0_lp(b, 1.0) +
         halfnormal_lp(sigma, 1.0) + u;
}

static Tape *varying_tape(const Varying *d, bool fused) {
  Builder b = {.t = tape_alloc(0)};
  TapeSlot mua = free_var(&b, 0, TR_IDENTITY);
  density(&b, &dist_normal, mua, scalar(&b, 0.0), scalar(&b, VAR_MU_SD));
  TapeSlot sa = free_var(&b, 0, TR_LOWER);
  density(&b, &dist_halfnormal, sa, scalar(&b, 1.0), TAPE_NONE);
  TapeSlot a = free_var(&b, J, TR_IDENTITY);
  density(&b, &dist_normal, a, mua, sa);
  TapeSlot bs = free_var(&b, 0, TR_IDENTITY);
  density(&b, &dist_normal, bs, scalar(&b, 0.0), scalar(&b, 1.0));
  TapeSlot sigma = free_var(&b, 0, TR_LOWER);
  density(&b, &dist_halfnormal, sigma, scalar(&b, 1.0), TAPE_NONE);
  TapeSlot ag = ok(&b, tape_op(b.t, TAPE_GATHER, &a, 1, d->g, N_VAR, b.err));
  TapeSlot x = tape_const(b.t, 1, N_VAR, 1, d->x);
  TapeSlot bx = ok(&b, tape_op2(b.t, TAPE_MUL, bs, x, b.err));
  TapeSlot mu = ok(&b, tape_op2(b.t, TAPE_ADD, ag, bx, b.err));
  density(&b, &dist_normal, tape_const(b.t, 1, N_VAR, 1, d->y), mu, sigma);
  return finish(&b, fused);
}

static Varying *varying_data(double *theta) {
  Varying *d = xcalloc(1, sizeof *d);
  double a[J];
  for (int j = 0; j < J; j++)
    a[j] = 0.5 + normal01();
  for (int i = 0; i < N_VAR; i++) {
    d->g[i] = (size_t)(unif01() * J);
    d->x[i] = normal01();
    d->y[i] = a[d->g[i]] + 0.8 * d->x[i] + 0.9 * normal01();
  }
  for (int k = 0; k < J + 4; k++)
    theta[k] = 0.3 * normal01();
  return d;
}

/* ---- timing ------------------------------------------------------------- */

typedef double (*GradFn)(void *ctx, const double *theta, double *grad);

static double tape_fn(void *ctx, const double *theta, double *grad) {
  return tape_logp_grad(ctx, theta, grad);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds per evaluation of one run of at least MIN_SECONDS. theta moves a
 * little each time so that nothing can be hoisted out of the loop. */
static double time_run(GradFn f, void *ctx, const double *theta0, double *theta,
                       double *grad, size_t dim, double *sink) {
  memcpy(theta, theta0, dim * sizeof *theta);
  long n = 0;
  const double t0 = now();
  double t1;
  do {
    for (int i = 0; i < 100; i++, n++) {
      theta[n % dim] += 1e-12;
      *sink += f(ctx, theta, grad) + grad[0];
    }
    t1 = now();
  } while (t1 - t0 < MIN_SECONDS);
  return (t1 - t0) / (double)n;
}

/* The largest relative difference of log density and gradient. */
static double difference(GradFn f, void *ctx, GradFn h, void *hctx,
                         const double *theta, size_t dim) {
  double *g1 = xcalloc(dim, sizeof *g1), *g2 = xcalloc(dim, sizeof *g2);
  const double l1 = h(hctx, theta, g1), l2 = f(ctx, theta, g2);
  double worst = fabs(l1 - l2) / (1.0 + fabs(l1));
  for (size_t k = 0; k < dim; k++)
    worst = fmax(worst, fabs(g1[k] - g2[k]) / (1.0 + fabs(g1[k])));
  free(g1);
  free(g2);
  return worst;
}

/* Times hand, fused tape and unfused tape in alternating runs; prints a
 * row of the table. */
static void compare(const char *name, GradFn hand, void *ctx, Tape *fused,
                    Tape *plain, const double *theta0, size_t dim) {
  TapeState *sf = tape_state_alloc(fused), *sp = tape_state_alloc(plain);
  double *theta = xcalloc(dim, sizeof *theta), *g = xcalloc(dim, sizeof *g);
  const double dif = fmax(difference(tape_fn, sf, hand, ctx, theta0, dim),
                          difference(tape_fn, sp, hand, ctx, theta0, dim));
  double th = INFINITY, tf = INFINITY, tp = INFINITY, sink = 0.0;
  for (int rep = 0; rep < REPEATS; rep++) {
    th = fmin(th, time_run(hand, ctx, theta0, theta, g, dim, &sink));
    tf = fmin(tf, time_run(tape_fn, sf, theta0, theta, g, dim, &sink));
    tp = fmin(tp, time_run(tape_fn, sp, theta0, theta, g, dim, &sink));
  }
  if (!isfinite(sink))
    printf("(a log density was not finite)\n");
  printf("| %-20s | %9.0f | %9.0f | %9.0f | %5.2f | %5.2f | %7.1e | %zu |\n",
         name, 1.0 / th, 1.0 / tf, 1.0 / tp, tf / th, tp / th, dif,
         tape_nfused(fused));
  free(theta);
  free(g);
  tape_state_free(sf);
  tape_state_free(sp);
}

/* Whether the command line (empty: run everything) names this model. */
static bool wanted(int argc, char **argv, const char *name) {
  if (argc < 2)
    return true;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return true;
  return false;
}

int main(int argc, char **argv) {
  setenv("OPENBLAS_NUM_THREADS", "1", 0); /* read when blas() loads it */
  printf("CBLAS: %s; best of %d runs of %.2f s each\n\n", blas()->name, REPEATS,
         MIN_SECONDS);
  printf("| model                | hand grad/s | fused | unfused | fused/hand "
         "| unfused/hand | max rel diff | fused DISTs |\n");
  printf("|---|--:|--:|--:|--:|--:|--:|--:|\n");
  double theta[J + 4];

  if (wanted(argc, argv, "linreg")) {
    LinReg *d = linreg_data(theta);
    Tape *f = linreg_tape(d, true), *p = linreg_tape(d, false);
    compare("linear regression", linreg_hand, d, f, p, theta, K + 2);
    tape_free(f);
    tape_free(p);
    free(d);
  }
  if (wanted(argc, argv, "logistic")) {
    LogReg *d = logreg_data(theta);
    Tape *f = logreg_tape(d, true), *p = logreg_tape(d, false);
    compare("logistic regression", logreg_hand, d, f, p, theta, K + 1);
    tape_free(f);
    tape_free(p);
    free(d);
  }
  if (wanted(argc, argv, "varying")) {
    Varying *d = varying_data(theta);
    Tape *f = varying_tape(d, true), *p = varying_tape(d, false);
    compare("varying intercepts", varying_hand, d, f, p, theta, J + 4);
    tape_free(f);
    tape_free(p);
    free(d);
  }
  return 0;
}
