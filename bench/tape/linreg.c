/*
 * linreg.c — the tape's log density and gradient against the same written
 * by hand in C, for linear regression and for varying intercepts.
 *
 *   linear regression   y ~ Normal(X beta + alpha, exp(s)), N = 1000, K = 10
 *                       tape: MATVEC, ADD, EXP, DIST, SUM_SCALARS
 *   varying intercepts  y ~ Normal(a[g] + b x, exp(s)), a ~ Normal(mu_a, 1),
 *                       N = 1000, J = 20; tape: GATHER, MUL, ADD, EXP, DIST
 *
 * Both sides use the same CBLAS (blas.h: OpenBLAS when it loads, one
 * thread) and the same Normal log density (written
 * here as the DistFamily, with the fast paths a real family has: a scalar
 * sigma takes one log and one division). Prints evaluations per second of
 * each and the ratio hand / tape of their speeds (1.0: as fast as
 * hand-written C; the target is at most 1.2). Each timing is the best of
 * REPEATS runs of at least MIN_SECONDS, hand and tape alternating. The
 * gradients of both sides are compared first.
 *
 * Build and run from the top of the tree:
 *   gcc -std=gnu11 -O2 -I src -I . bench/tape/linreg.c src/tape.c \
 *       src/blas.c src/panic.c -o /tmp/bench_linreg -lgsl -lgslcblas \
 *       -ldl -lm -pthread && /tmp/bench_linreg
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

enum { N = 1000, K = 10, J = 20, REPEATS = 7 };
static const double MIN_SECONDS = 0.3;
static const double HALF_LOG_2PI = 0.91893853320467274178;

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

/* ---- the Normal family ----------------------------------------------------
 */

/* sum log Normal(x | mu, sigma); x, mu of n or 1 elements, sigma of n or 1.
 * Partials: d/dx = -z/sigma, d/dmu = z/sigma, d/dsigma = (z^2 - 1)/sigma. */
static double normal_lpdf(const DistTensor *in, double adj,
                          double *const *grad) {
  size_t n = in[0].len > in[1].len ? in[0].len : in[1].len;
  if (in[2].len > n)
    n = in[2].len;
  const double *x = in[0].data, *mu = in[1].data, *sg = in[2].data;
  const size_t sx = in[0].len > 1, sm = in[1].len > 1;
  double *gx = grad ? grad[0] : NULL, *gm = grad ? grad[1] : NULL;
  double *gs = grad ? grad[2] : NULL;
  if (in[2].len == 1) { /* the common case: one sigma */
    const double sigma = sg[0];
    if (!(sigma > 0.0))
      return -INFINITY;
    const double inv = 1.0 / sigma;
    double zz = 0.0;
    if (gx || gm) {
      for (size_t i = 0; i < n; i++) {
        const double z = (x[i * sx] - mu[i * sm]) * inv;
        zz += z * z;
        const double d = adj * z * inv;
        if (gx)
          gx[i * sx] -= d;
        if (gm)
          gm[i * sm] += d;
      }
    } else {
      for (size_t i = 0; i < n; i++) {
        const double z = (x[i * sx] - mu[i * sm]) * inv;
        zz += z * z;
      }
    }
    if (gs)
      gs[0] += adj * (zz - (double)n) * inv;
    return -0.5 * zz - (double)n * (log(sigma) + HALF_LOG_2PI);
  }
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (!(sg[i] > 0.0))
      return -INFINITY;
    const double z = (x[i * sx] - mu[i * sm]) / sg[i];
    lp += -0.5 * z * z - log(sg[i]) - HALF_LOG_2PI;
    if (gx)
      gx[i * sx] -= adj * z / sg[i];
    if (gm)
      gm[i * sm] += adj * z / sg[i];
    if (gs)
      gs[i] += adj * (z * z - 1.0) / sg[i];
  }
  return lp;
}

static const char *const normal_names[] = {"mu", "sigma"};
static const DistFamily bench_normal = {.name = "Normal",
                                        .nparams = 2,
                                        .params = normal_names,
                                        .lpdf = normal_lpdf};

/* ---- linear regression -------------------------------------------------- */

typedef struct {
  double X[N * K], y[N];
  double mu[N], r[N]; /* hand-written scratch */
} LinReg;

/* theta = (beta[K], alpha, s); sigma = exp(s), log Jacobian s. */
static double linreg_hand(LinReg *d, const double *theta, double *grad) {
  const double alpha = theta[K], s = theta[K + 1], sigma = exp(s);
  const double inv = 1.0 / sigma;
  blas()->dgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0, d->X, K, theta, 1, 0.0,
                d->mu, 1);
  double zz = 0.0, rs = 0.0;
  for (int i = 0; i < N; i++) {
    const double z = (d->y[i] - d->mu[i] - alpha) * inv;
    zz += z * z;
    d->r[i] = z * inv;
    rs += d->r[i];
  }
  blas()->dgemv(CblasRowMajor, CblasTrans, N, K, 1.0, d->X, K, d->r, 1, 0.0,
                grad, 1);
  grad[K] = rs;
  grad[K + 1] = zz - N + 1.0;
  return -0.5 * zz - N * (s + HALF_LOG_2PI) + s;
}

static Tape *linreg_tape(const LinReg *d) {
  char err[TAPE_ERR_LEN];
  Tape *t = tape_alloc(0);
  TapeSlot beta = tape_param(t, 0, 1, K, 1);
  TapeSlot alpha = tape_param(t, K, 0, 1, 1);
  TapeSlot s = tape_param(t, K + 1, 0, 1, 1);
  TapeSlot xb =
      tape_op2(t, TAPE_MATVEC, tape_const(t, 2, N, K, d->X), beta, err);
  TapeSlot ps[2] = {tape_op2(t, TAPE_ADD, xb, alpha, err),
                    tape_op1(t, TAPE_EXP, s, err)};
  TapeSlot terms[2] = {
      tape_dist(t, &bench_normal, tape_const(t, 1, N, 1, d->y), ps, 2, err), s};
  tape_set_output(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  tape_finish(t);
  return t;
}

/* ---- varying intercepts -------------------------------------------------- */

typedef struct {
  double x[N], y[N];
  size_t g[N];
  double r[N]; /* hand-written scratch */
} Varying;

/* theta = (a[J], mu_a, b, s). */
static double varying_hand(Varying *d, const double *theta, double *grad) {
  const double *a = theta, mua = theta[J], b = theta[J + 1], s = theta[J + 2];
  const double sigma = exp(s), inv = 1.0 / sigma;
  memset(grad, 0, (J + 3) * sizeof *grad);
  double zz = 0.0, gb = 0.0;
  for (int i = 0; i < N; i++) {
    const double z = (d->y[i] - a[d->g[i]] - b * d->x[i]) * inv;
    zz += z * z;
    const double r = z * inv;
    grad[d->g[i]] += r;
    gb += r * d->x[i];
  }
  double za = 0.0;
  for (int j = 0; j < J; j++) {
    const double z = a[j] - mua;
    za += z * z;
    grad[j] -= z;
    grad[J] += z;
  }
  grad[J + 1] = gb;
  grad[J + 2] = zz - N + 1.0;
  return -0.5 * zz - N * (s + HALF_LOG_2PI) + s - 0.5 * za - J * HALF_LOG_2PI;
}

static Tape *varying_tape(const Varying *d) {
  char err[TAPE_ERR_LEN];
  Tape *t = tape_alloc(0);
  TapeSlot a = tape_param(t, 0, 1, J, 1);
  TapeSlot mua = tape_param(t, J, 0, 1, 1);
  TapeSlot b = tape_param(t, J + 1, 0, 1, 1);
  TapeSlot s = tape_param(t, J + 2, 0, 1, 1);
  TapeSlot ag = tape_op(t, TAPE_GATHER, &a, 1, d->g, N, err);
  TapeSlot bx = tape_op2(t, TAPE_MUL, b, tape_const(t, 1, N, 1, d->x), err);
  TapeSlot ps[2] = {tape_op2(t, TAPE_ADD, ag, bx, err),
                    tape_op1(t, TAPE_EXP, s, err)};
  TapeSlot pa[2] = {mua, tape_scalar(t, 1.0)};
  TapeSlot terms[3] = {
      tape_dist(t, &bench_normal, tape_const(t, 1, N, 1, d->y), ps, 2, err),
      tape_dist(t, &bench_normal, a, pa, 2, err), s};
  tape_set_output(t, tape_op(t, TAPE_SUM_SCALARS, terms, 3, NULL, 0, err));
  tape_finish(t);
  return t;
}

/* ---- timing ------------------------------------------------------------- */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef double (*GradFn)(void *ctx, const double *theta, double *grad);

static double tape_fn(void *ctx, const double *theta, double *grad) {
  return tape_logp_grad(ctx, theta, grad);
}

static double linreg_fn(void *ctx, const double *theta, double *grad) {
  return linreg_hand(ctx, theta, grad);
}

static double varying_fn(void *ctx, const double *theta, double *grad) {
  return varying_hand(ctx, theta, grad);
}

/* Seconds per evaluation of one run of at least MIN_SECONDS. theta moves a
 * little each time so that nothing can be hoisted out of the loop. */
static double time_run(GradFn f, void *ctx, double *theta, double *grad,
                       size_t dim, double *sink) {
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

/* Times hand and tape in alternating runs (so that a busy machine slows
 * both alike) and keeps the best run of each. */
static void compare(const char *name, GradFn hand, void *ctx, const Tape *t,
                    const double *theta0, size_t dim) {
  TapeState *st = tape_state_alloc(t);
  double *theta = malloc(dim * sizeof *theta);
  double *g1 = malloc(dim * sizeof *g1), *g2 = malloc(dim * sizeof *g2);
  memcpy(theta, theta0, dim * sizeof *theta);
  const double l1 = hand(ctx, theta, g1), l2 = tape_logp_grad(st, theta, g2);
  double worst = fabs(l1 - l2) / (1.0 + fabs(l1));
  for (size_t k = 0; k < dim; k++)
    worst = fmax(worst, fabs(g1[k] - g2[k]) / (1.0 + fabs(g1[k])));
  double th = INFINITY, tt = INFINITY, sink = 0.0;
  for (int rep = 0; rep < REPEATS; rep++) {
    memcpy(theta, theta0, dim * sizeof *theta);
    th = fmin(th, time_run(hand, ctx, theta, g1, dim, &sink));
    memcpy(theta, theta0, dim * sizeof *theta);
    tt = fmin(tt, time_run(tape_fn, st, theta, g2, dim, &sink));
  }
  if (!isfinite(sink))
    printf("(a log density was not finite)\n");
  printf("%-20s hand %9.0f grad/s   tape %9.0f grad/s   tape/hand time "
         "%.3f   (max rel diff %.1e)\n",
         name, 1.0 / th, 1.0 / tt, tt / th, worst);
  free(theta);
  free(g1);
  free(g2);
  tape_state_free(st);
}

int main(void) {
  /* one BLAS thread, read by OpenBLAS when blas() loads it */
  setenv("OPENBLAS_NUM_THREADS", "1", 0);
  printf("CBLAS: %s\n", blas()->name);
  LinReg *lr = calloc(1, sizeof *lr);
  double beta[K], theta[J + 3];
  for (int k = 0; k < K; k++)
    beta[k] = normal01();
  for (int i = 0; i < N; i++) {
    double m = 0.7;
    for (int k = 0; k < K; k++) {
      lr->X[i * K + k] = normal01();
      m += lr->X[i * K + k] * beta[k];
    }
    lr->y[i] = m + 1.3 * normal01();
  }
  Tape *t = linreg_tape(lr);
  for (int k = 0; k < K + 2; k++)
    theta[k] = 0.3 * normal01();
  compare("linear regression", linreg_fn, lr, t, theta, K + 2);
  tape_free(t);

  Varying *vi = calloc(1, sizeof *vi);
  double a[J];
  for (int j = 0; j < J; j++)
    a[j] = normal01();
  for (int i = 0; i < N; i++) {
    vi->g[i] = (size_t)(unif01() * J);
    vi->x[i] = normal01();
    vi->y[i] = a[vi->g[i]] + 0.8 * vi->x[i] + 0.9 * normal01();
  }
  t = varying_tape(vi);
  for (int k = 0; k < J + 3; k++)
    theta[k] = 0.3 * normal01();
  compare("varying intercepts", varying_fn, vi, t, theta, J + 3);
  tape_free(t);
  free(lr);
  free(vi);
  return 0;
}
