/*
 * gp.c — GP regression: log marginal likelihood with its analytic
 * gradient, hyperparameter fitting with GSL's BFGS, prediction, draws.
 *
 * One n x n buffer serves an evaluation: the lower triangle of K is built
 * in place, factorised by dpotrf, used for a = K^-1 y (dpotrs), and, when
 * the gradient is asked for, overwritten by K^-1 (dpotri). The gradient
 * 1/2 tr((a a^T - K^-1) dK/dtheta) is accumulated tile by tile over the
 * lower triangle, the tiles of dK/dtheta computed as needed: memory stays
 * at one n x n matrix however many hyperparameters there are (scikit-learn
 * forms an n x n x p array). The factor is n^3/3 flops, the inverse 2n^3/3.
 *
 * The optimiser sees -lml over the free theta, projected onto the bounds
 * (flat beyond them). Where K cannot be factorised it sees a huge value,
 * so line searches back off (as optim.c does for -inf log densities). GSL
 * asks for f, df and fdf at the same point separately; the last point's
 * value, gradient and factor are cached so no factorisation is repeated.
 *
 * References: Rasmussen & Williams (2006), algorithm 2.1 and eq. 5.9;
 * Nocedal & Wright (2006), ch. 6 (BFGS); scikit-learn's
 * GaussianProcessRegressor for the conventions (alpha, normalize_y,
 * n_restarts_optimizer, bounds, convergence tolerances).
 */
#include <config.h>
#include "gp/gp.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "common.h"
#include "mem.h"
#include "rng.h"

/* Doubles per tile of kernel values and gradients: 1 MiB, so a tile and
 * its gradient planes stay in the second-level cache while they are
 * summed. */
#define GP_TILE 131072
/* log(2 pi) / 2 */
#define HALF_LOG_2PI 0.91893853320467274178
/* What the optimiser sees where -lml cannot be evaluated. */
#define GP_BIG 1e300
/* The line search's curvature tolerance (GSL's advice for vector_bfgs2),
 * the longest first step before any curvature is known (theta units: a
 * factor e on a positive parameter), and the longest quasi-Newton step
 * tried (in the preconditioned coordinates, where the Hessian is about
 * the identity). */
#define GP_LINE_TOL 0.1
#define GP_FIRST_STEP 1.0
#define GP_MAX_STEP 10.0
/* A step updates the inverse Hessian only when s.y > this * |s| |y|
 * (the curvature condition with a margin for rounding). */
#define GP_CURVATURE_MIN 1e-10
/* A free parameter within this distance (theta units) of a bound is
 * reported as at the bound. */
#define GP_AT_BOUND 1e-3

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    PANIC("out of memory");
  return p;
}

/* ---- workspace ----------------------------------------------------------- */

struct GpWork {
  size_t n, p;
  double *K;   /* n x n: K, then its factor, then its inverse */
  double *a;   /* K^-1 y */
  double *col; /* n: one column of a a^T - K^-1 */
  double jitter;
  bool factored; /* K holds the factor of the current hyperparameters */
};

GpWork *gp_work_alloc(size_t n, size_t nparams) {
  GpWork *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  w->n = n;
  w->p = nparams;
  w->K = malloc(n * n * sizeof(double) + 1);
  w->a = malloc(n * sizeof(double) + 1);
  w->col = malloc(n * sizeof(double) + 1);
  if (!w->K || !w->a || !w->col) {
    gp_work_free(w);
    return NULL;
  }
  return w;
}

void gp_work_free(GpWork *w) {
  if (!w)
    return;
  free(w->K);
  free(w->a);
  free(w->col);
  free(w);
}

double gp_work_jitter(const GpWork *w) { return w->jitter; }

/* ---- K and its factor ---------------------------------------------------- */

/* The lower triangle of K(X) + diag(noise) (+ jitter) into K, column tiles
 * at a time. Returns the mean diagonal, or NaN when an entry is not
 * finite. */
static double build(const GpKernel *k, const GpData *d, double *K,
                    double jitter) {
  size_t n = d->n, nc = d->ncols;
  double *work =
      xmalloc(gp_kernel_work(k, 1, GP_TILE > n ? GP_TILE : n) * sizeof(double));
  for (size_t j0 = 0; j0 < n;) {
    size_t na = n - j0, nb = GP_TILE / na;
    nb = nb < 1 ? 1 : nb > na ? na : nb;
    gp_kernel_block(k, d->x + j0 * nc, na, d->x + j0 * nc, nb, nc, 0,
                    K + j0 + j0 * n, n, NULL, work);
    j0 += nb;
  }
  free(work);
  double diag = 0.0;
  for (size_t j = 0; j < n; j++) {
    K[j + j * n] += d->noise_var[j] + jitter;
    diag += K[j + j * n];
    for (size_t i = j; i < n; i++)
      if (!isfinite(K[i + j * n]))
        return NAN;
  }
  return diag / (double)n;
}

/* Factorises K + noise into w->K, adding jitter when needed. */
static GpStatus factor(const GpKernel *k, const GpData *d, GpWork *w) {
  const BlasFns *b = blas();
  int n = (int)d->n, info = 0;
  w->jitter = 0.0;
  w->factored = false;
  double mean_diag = build(k, d, w->K, 0.0);
  if (isnan(mean_diag))
    return GP_NONFINITE;
  b->dpotrf("L", &n, w->K, &n, &info);
  double scale = mean_diag > 0.0 ? mean_diag : 1.0;
  for (double level = GP_JITTER_MIN; info != 0 && level <= GP_JITTER_MAX * 1.5;
       level *= 10.0) {
    w->jitter = level * scale;
    build(k, d, w->K, w->jitter);
    b->dpotrf("L", &n, w->K, &n, &info);
  }
  if (info != 0)
    return GP_NOT_PD;
  w->factored = true;
  return GP_OK;
}

/* a = K^-1 y from the factor; the log marginal likelihood. */
static double lml_from_factor(const GpData *d, GpWork *w) {
  int n = (int)d->n, one = 1, info = 0;
  memcpy(w->a, d->y, d->n * sizeof(double));
  blas()->dpotrs("L", &n, &one, w->K, &n, w->a, &n, &info);
  double fit = 0.0, logdet = 0.0;
  for (size_t i = 0; i < d->n; i++) {
    fit += d->y[i] * w->a[i];
    logdet += log(w->K[i + i * d->n]);
  }
  return -0.5 * fit - logdet - (double)d->n * HALF_LOG_2PI;
}

/* d lml / d theta for every parameter, from the factor in w (destroyed). */
static void lml_grad(const GpKernel *k, const GpData *d, GpWork *w,
                     double *grad) {
  int ni = (int)d->n, info = 0;
  blas()->dpotri("L", &ni, w->K, &ni, &info);
  w->factored = false;
  size_t n = d->n, nc = d->ncols, p = w->p;
  size_t cap = GP_TILE > (p + 1) * n ? GP_TILE : (p + 1) * n;
  double *tile = xmalloc(cap * sizeof(double));
  double *work = xmalloc(gp_kernel_work(k, 1, cap / (p + 1)) * sizeof(double));
  for (size_t q = 0; q < p; q++)
    grad[q] = 0.0;
  for (size_t j0 = 0; j0 < n;) {
    size_t na = n - j0, nb = cap / ((p + 1) * na);
    nb = nb < 1 ? 1 : nb > na ? na : nb;
    size_t plane = na * nb;
    double *dK = tile + plane;
    gp_kernel_block(k, d->x + j0 * nc, na, d->x + j0 * nc, nb, nc, 0, tile, na,
                    dK, work);
    for (size_t jb = 0; jb < nb; jb++) {
      size_t j = j0 + jb;
      /* column j of W = a a^T - K^-1 below the diagonal, halved on it */
      for (size_t i = j; i < n; i++)
        w->col[i] = w->a[i] * w->a[j] - w->K[i + j * n];
      w->col[j] *= 0.5;
      for (size_t q = 0; q < p; q++) {
        const double *dk = dK + q * plane + jb * na + jb;
        double s = 0.0;
        for (size_t i = j; i < n; i++)
          s += w->col[i] * dk[i - j];
        grad[q] += s;
      }
    }
    j0 += nb;
  }
  free(tile);
  free(work);
}

GpStatus gp_lml(const GpKernel *k, const GpData *d, GpWork *w, double *lml,
                double *grad) {
  ASSERT(w->n == d->n && w->p == gp_kernel_nparams(k));
  *lml = -INFINITY;
  GpStatus st = factor(k, d, w);
  if (st != GP_OK)
    return st;
  double v = lml_from_factor(d, w);
  if (!isfinite(v))
    return GP_NONFINITE;
  *lml = v;
  if (grad)
    lml_grad(k, d, w, grad);
  return GP_OK;
}

/* ---- the optimiser ------------------------------------------------------- */

typedef struct Opt {
  GpKernel *k;
  const GpData *d;
  GpWork *w;
  size_t p, nfree;
  size_t *free_idx; /* free parameter -> index in theta */
  double *lo, *hi;  /* bounds of the free parameters */
  double *grad_all; /* p */
  double *last;     /* the last point evaluated (nfree) */
  double last_f, *last_g;
  bool have_last, have_last_g;
  int evals;
  /* bfgs2 works in z, with theta = ref + M z (M lower triangular,
   * row-major nfree x nfree); th and gth are scratch for theta and its
   * gradient */
  double *ref, *M, *th, *gth;
  double *proj; /* scratch: theta projected onto the bounds */
} Opt;

static bool at_last(const Opt *o, const double *theta) {
  return o->have_last && memcmp(o->last, theta, o->nfree * sizeof(double)) == 0;
}

static double cached(Opt *o, const double *theta, double *g);

/* theta projected onto the bounds, into clamped. */
static void project(const Opt *o, const double *theta, double *clamped) {
  for (size_t i = 0; i < o->nfree; i++)
    clamped[i] = fmin(fmax(theta[i], o->lo[i]), o->hi[i]);
}

/* -lml at the free parameters theta projected onto the bounds, and its
 * projected gradient into g (nfree) when g is not NULL: zero in the
 * components beyond a bound (the objective is flat there) and in those on
 * a bound that point out of the box, so the optimiser settles on a bound
 * instead of pushing into it, and its gradient tests see a stationary
 * point there (as L-BFGS-B's projected gradient). */
static double objective(Opt *o, const double *theta_in, double *g) {
  size_t nf = o->nfree;
  double *theta = o->proj;
  project(o, theta_in, theta);
  double f = cached(o, theta, g);
  for (size_t i = 0; g && i < nf; i++) {
    bool beyond = theta[i] != theta_in[i];
    bool out = (theta[i] >= o->hi[i] && g[i] < 0.0) ||
               (theta[i] <= o->lo[i] && g[i] > 0.0);
    if (beyond || out)
      g[i] = 0.0;
  }
  return f;
}

/* -lml at theta inside the bounds; the last point's value, gradient and
 * factor are reused. */
static double cached(Opt *o, const double *theta, double *g) {
  size_t nf = o->nfree;
  if (at_last(o, theta) && (!g || o->have_last_g)) {
    if (g)
      memcpy(g, o->last_g, nf * sizeof(double));
    return o->last_f;
  }
  if (!(at_last(o, theta) && o->w->factored)) {
    gp_kernel_set_theta(o->k, theta, true);
    o->evals++;
    memcpy(o->last, theta, nf * sizeof(double));
    o->have_last = true;
    o->have_last_g = false;
    double lml = -INFINITY;
    if (factor(o->k, o->d, o->w) == GP_OK)
      lml = lml_from_factor(o->d, o->w);
    o->last_f = isfinite(lml) ? -lml : GP_BIG;
    if (!isfinite(lml)) { /* nothing to differentiate: flat and huge */
      o->w->factored = false;
      memset(o->last_g, 0, nf * sizeof(double));
      o->have_last_g = true;
    }
  }
  if (g && !o->have_last_g) {
    lml_grad(o->k, o->d, o->w, o->grad_all);
    for (size_t i = 0; i < nf; i++)
      o->last_g[i] = -o->grad_all[o->free_idx[i]];
    o->have_last_g = true;
  }
  if (g)
    memcpy(g, o->last_g, nf * sizeof(double));
  return o->last_f;
}

/* The objective in bfgs2's coordinates: theta = ref + M z, and the
 * gradient in z is M^T times the gradient in theta. */
static double objective_z(Opt *o, const double *z, double *gz) {
  size_t n = o->nfree;
  for (size_t i = 0; i < n; i++) {
    double t = o->ref[i];
    for (size_t j = 0; j <= i; j++)
      t += o->M[i * n + j] * z[j];
    o->th[i] = t;
  }
  double f = objective(o, o->th, gz ? o->gth : NULL);
  for (size_t j = 0; gz && j < n; j++) {
    double s = 0.0;
    for (size_t i = j; i < n; i++)
      s += o->M[i * n + j] * o->gth[i];
    gz[j] = s;
  }
  return f;
}

static double fn_f(const gsl_vector *x, void *ctx) {
  return objective_z(ctx, x->data, NULL);
}

static void fn_df(const gsl_vector *x, void *ctx, gsl_vector *g) {
  objective_z(ctx, x->data, g->data);
}

static void fn_fdf(const gsl_vector *x, void *ctx, double *f, gsl_vector *g) {
  *f = objective_z(ctx, x->data, g->data);
}

typedef struct StartResult {
  double f;
  int iterations;
  bool converged;
} StartResult;

static double inf_norm(const double *g, size_t n) {
  double m = 0.0;
  for (size_t i = 0; i < n; i++)
    m = fmax(m, fabs(g[i]));
  return m;
}

static double dot(const double *a, const double *b, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

static void scaled_identity(double *H, size_t n, double c) {
  for (size_t i = 0; i < n * n; i++)
    H[i] = i % (n + 1) == 0 ? c : 0.0;
}

/* H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T, rho = 1 / y.s: the
 * BFGS update of an inverse Hessian (Nocedal & Wright eq. 6.17),
 * expanded as H - rho (Hy s^T + s y^T H) + (rho^2 y.Hy + rho) s s^T. */
static void bfgs_update(double *H, const double *s, const double *y, size_t n,
                        double *Hy) {
  double rho = 1.0 / dot(y, s, n);
  for (size_t i = 0; i < n; i++)
    Hy[i] = dot(H + i * n, y, n);
  double c = rho * rho * dot(y, Hy, n) + rho;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      H[i * n + j] += c * s[i] * s[j] - rho * (Hy[i] * s[j] + s[i] * Hy[j]);
}

/* M M^T = H (small, dense); false when H is not positive definite. */
static bool cholesky_small(const double *H, double *M, size_t n) {
  memset(M, 0, n * n * sizeof(double));
  for (size_t j = 0; j < n; j++) {
    double d = H[j * n + j];
    for (size_t k = 0; k < j; k++)
      d -= M[j * n + k] * M[j * n + k];
    if (!(d > 0.0))
      return false;
    M[j * n + j] = sqrt(d);
    for (size_t i = j + 1; i < n; i++) {
      double v = H[i * n + j];
      for (size_t k = 0; k < j; k++)
        v -= M[i * n + k] * M[j * n + k];
      M[i * n + j] = v / M[j * n + j];
    }
  }
  return true;
}

static bool stopped(const GpFitOptions *o) {
  return o->stop && o->stop(o->stop_ctx);
}

/* The state of one start: the point, its value and gradient, the inverse
 * Hessian estimate, scratch. */
typedef struct Bfgs {
  double f, *theta, *g, *H;
  double *theta1, *g1, *s, *y, *tmp;
  bool scaled; /* H has been scaled from the first curvature pair */
} Bfgs;

/*
 * One quasi-Newton iteration: bfgs2 restarted at the current point in
 * coordinates z with theta = theta_k + M z, M M^T = H, so that its first
 * (steepest-descent) direction in z is the BFGS direction -H g in theta
 * and its line search (strong Wolfe conditions) tries the full step first.
 * Then H is updated from the step. Why: GSL's vector_bfgs2 remembers only
 * the last step (a memoryless update), which crawls along the long ridges
 * of GP likelihoods; keeping the full p x p estimate here costs nothing
 * next to one likelihood evaluation. Returns the GSL status.
 */
static int bfgs_iteration(Opt *o, gsl_multimin_fdfminimizer *m, Bfgs *b) {
  size_t n = o->nfree;
  if (!cholesky_small(b->H, o->M, n)) { /* lost positivity to rounding */
    scaled_identity(b->H, n, 1.0);
    b->scaled = false;
    cholesky_small(b->H, o->M, n);
  }
  memcpy(o->ref, b->theta, n * sizeof(double));
  double gz = 0.0;
  for (size_t j = 0; j < n; j++) {
    double s = 0.0;
    for (size_t i = j; i < n; i++)
      s += o->M[i * n + j] * b->g[i];
    gz += s * s;
  }
  double step = fmin(sqrt(gz), b->scaled ? GP_MAX_STEP : GP_FIRST_STEP);
  gsl_vector *z0 = gsl_vector_calloc(n);
  gsl_multimin_function_fdf fn = {fn_f, fn_df, fn_fdf, n, o};
  gsl_multimin_fdfminimizer_set(m, &fn, z0, step, GP_LINE_TOL);
  gsl_vector_free(z0);
  int status = gsl_multimin_fdfminimizer_iterate(m);
  if (status != GSL_SUCCESS)
    return status;
  objective_z(o, m->x->data, NULL);
  memcpy(b->theta1, o->th, n * sizeof(double));
  double f1 = objective(o, b->theta1, b->g1);
  for (size_t i = 0; i < n; i++) {
    b->s[i] = b->theta1[i] - b->theta[i];
    b->y[i] = b->g1[i] - b->g[i];
  }
  double sy = dot(b->s, b->y, n), yy = dot(b->y, b->y, n);
  if (sy > GP_CURVATURE_MIN * sqrt(dot(b->s, b->s, n) * yy)) {
    if (!b->scaled) /* Nocedal & Wright eq. 6.20 */
      scaled_identity(b->H, n, sy / yy);
    b->scaled = true;
    bfgs_update(b->H, b->s, b->y, n, b->tmp);
  }
  memcpy(b->theta, b->theta1, n * sizeof(double));
  memcpy(b->g, b->g1, n * sizeof(double));
  b->f = f1;
  return GSL_SUCCESS;
}

/* One optimisation from theta (overwritten with the end point). Stops on
 * a small gradient; on a small relative improvement where the gradient is
 * smallish (an improvement test alone stops on the flat ridges of these
 * likelihoods, short of scikit-learn's optimum); or when the line search
 * finds no lower point even from a fresh (identity) Hessian estimate. */
static void run_start(Opt *o, double *theta, const GpFitOptions *fo,
                      StartResult *r) {
  int max_iter = fo->max_iter > 0 ? fo->max_iter : GP_MAX_ITER;
  size_t n = o->nfree;
  double *buf = xmalloc((6 * n + n * n) * sizeof(double));
  Bfgs b = {.theta = theta,
            .g = buf,
            .theta1 = buf + n,
            .g1 = buf + 2 * n,
            .s = buf + 3 * n,
            .y = buf + 4 * n,
            .tmp = buf + 5 * n,
            .H = buf + 6 * n};
  scaled_identity(b.H, n, 1.0);
  gsl_multimin_fdfminimizer *m = gsl_multimin_fdfminimizer_alloc(
      gsl_multimin_fdfminimizer_vector_bfgs2, n);
  if (!m)
    PANIC("out of memory");
  b.f = objective(o, theta, b.g);
  r->iterations = 0;
  r->converged = false;
  while (b.f < GP_BIG && r->iterations < max_iter && !stopped(fo)) {
    double before = b.f;
    bool fresh = !b.scaled;
    r->iterations++;
    if (bfgs_iteration(o, m, &b) != GSL_SUCCESS) {
      if (!fresh) { /* retry along the gradient before giving up */
        scaled_identity(b.H, n, 1.0);
        b.scaled = false;
        continue;
      }
      r->converged = inf_norm(b.g, n) < GP_GTOL_STALL;
      break;
    }
    double change = (before - b.f) / fmax(fmax(fabs(before), fabs(b.f)), 1);
    double gmax = inf_norm(b.g, n);
    if (gmax < GP_GTOL || (change <= GP_FTOL && gmax < GP_GTOL_STALL)) {
      r->converged = true;
      break;
    }
  }
  r->f = b.f;
  gsl_multimin_fdfminimizer_free(m);
  free(buf);
}

/* Starting point number `start` (0: the kernel's own values). */
static void start_point(const Opt *o, const double *theta0, int start, Rng *rng,
                        const bool *positive, double *theta) {
  for (size_t i = 0; i < o->nfree; i++) {
    double u = theta0[i];
    if (start > 0) {
      double e = 2.0 * rng_uniform(rng) - 1.0;
      u += positive[o->free_idx[i]] ? e * log(GP_RESTART_SPREAD)
                                    : e * GP_RESTART_SPREAD * fmax(1, fabs(u));
    }
    theta[i] = fmin(fmax(u, o->lo[i]), o->hi[i]);
  }
}

/* Bounds, free-parameter map and buffers for optimising k. */
static void opt_init(Opt *o, GpKernel *k, const GpData *d, GpWork *w,
                     const double *theta0, bool *positive) {
  bool *is_free = xmalloc(w->p * sizeof(bool));
  gp_kernel_param_info(k, is_free, positive);
  *o = (Opt){.k = k, .d = d, .w = w, .p = w->p, .nfree = gp_kernel_nfree(k)};
  size_t nf = o->nfree;
  o->free_idx = xmalloc(nf * sizeof(size_t));
  o->lo = xmalloc(nf * sizeof(double));
  o->hi = xmalloc(nf * sizeof(double));
  o->last = xmalloc(nf * sizeof(double));
  o->last_g = xmalloc(nf * sizeof(double));
  o->grad_all = xmalloc(o->p * sizeof(double));
  o->ref = xmalloc(nf * sizeof(double));
  o->M = xmalloc(nf * nf * sizeof(double));
  o->th = xmalloc(nf * sizeof(double));
  o->gth = xmalloc(nf * sizeof(double));
  o->proj = xmalloc(nf * sizeof(double));
  for (size_t q = 0, i = 0; q < o->p; q++) {
    if (!is_free[q])
      continue;
    o->free_idx[i] = q;
    double lo = positive[q] ? log(GP_BOUND_LO) : -GP_BOUND_HI;
    double hi = positive[q] ? log(GP_BOUND_HI) : GP_BOUND_HI;
    o->lo[i] = fmin(lo, theta0[i]);
    o->hi[i] = fmax(hi, theta0[i]);
    i++;
  }
  free(is_free);
}

static void opt_clear(Opt *o) {
  free(o->free_idx);
  free(o->lo);
  free(o->hi);
  free(o->last);
  free(o->last_g);
  free(o->grad_all);
  free(o->ref);
  free(o->M);
  free(o->th);
  free(o->gth);
  free(o->proj);
}

static int bound_hit(const Opt *o, const double *theta) {
  for (size_t i = 0; i < o->nfree; i++)
    if (theta[i] - o->lo[i] < GP_AT_BOUND || o->hi[i] - theta[i] < GP_AT_BOUND)
      return (int)i;
  return -1;
}

/* Runs every start; leaves the best point in k. False when none could be
 * evaluated. */
static bool optimise(GpFit *f, GpKernel *k, const GpData *d, GpWork *w,
                     const GpFitOptions *o) {
  Opt opt;
  size_t nf = gp_kernel_nfree(k);
  double *theta0 = xmalloc(nf * sizeof(double));
  double *theta = xmalloc(nf * sizeof(double));
  double *best = xmalloc(nf * sizeof(double));
  bool *positive = xmalloc(w->p * sizeof(bool));
  gp_kernel_get_theta(k, theta0, true);
  opt_init(&opt, k, d, w, theta0, positive);
  double best_f = GP_BIG;
  for (int s = 0; s <= o->restarts && !stopped(o); s++) {
    start_point(&opt, theta0, s, o->rng, positive, theta);
    StartResult r;
    run_start(&opt, theta, o, &r);
    project(&opt, theta, theta);
    f->starts++;
    f->iterations += r.iterations;
    if (r.f >= GP_BIG) {
      f->starts_failed++;
      continue;
    }
    if (r.f < best_f) {
      best_f = r.f;
      f->converged = r.converged;
      memcpy(best, theta, nf * sizeof(double));
    }
  }
  f->evaluations = opt.evals;
  bool ok = best_f < GP_BIG;
  if (ok) {
    gp_kernel_set_theta(k, best, true);
    f->at_bound = bound_hit(&opt, best);
  }
  opt_clear(&opt);
  free(theta0);
  free(theta);
  free(best);
  free(positive);
  return ok;
}

/* ---- fitting ------------------------------------------------------------- */

static double *gc_copy(const double *x, size_t n) {
  double *c = mem_alloc_atomic(n * sizeof(double) + 1);
  memcpy(c, x, n * sizeof(double));
  return c;
}

/* The fit's modelled targets: y itself, or standardised (scikit-learn's
 * normalize_y: n denominator, a zero spread left unscaled). */
static void targets(GpFit *f, const double *y, bool normalize) {
  size_t n = f->n;
  double mean = 0.0, ss = 0.0;
  if (normalize) {
    for (size_t i = 0; i < n; i++)
      mean += y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
      ss += (y[i] - mean) * (y[i] - mean);
  }
  double sd = sqrt(ss / (double)n);
  f->y_shift = mean;
  f->y_scale = normalize && sd > 10.0 * 2.220446049250313e-16 ? sd : 1.0;
  f->y = mem_alloc_atomic(n * sizeof(double) + 1);
  for (size_t i = 0; i < n; i++)
    f->y[i] = (y[i] - f->y_shift) / f->y_scale;
}

static void status_error(GpStatus st, char *err) {
  if (st == GP_NONFINITE)
    snprintf(err, GP_ERR_LEN,
             "the covariance matrix has infinite or NaN "
             "entries at the hyperparameters");
  else
    snprintf(err, GP_ERR_LEN,
             "the covariance matrix is not positive "
             "definite, even with %g times its mean diagonal added to it",
             GP_JITTER_MAX);
}

GpFit *gp_fit(const GpKernel *k, const GpData *d, const GpFitOptions *o,
              char *err) {
  GpFit *f = mem_alloc(sizeof *f);
  f->n = d->n;
  f->ncols = d->ncols;
  f->x = gc_copy(d->x, d->n * d->ncols);
  f->noise_var = gc_copy(d->noise_var, d->n);
  f->at_bound = -1;
  targets(f, d->y, o->normalize_y);
  f->kernel = gp_kernel_bind(k, d->ncols, err);
  if (!f->kernel)
    return NULL;
  GpData md = {d->n, d->ncols, f->x, f->y, f->noise_var};
  GpWork *w = gp_work_alloc(d->n, gp_kernel_nparams(f->kernel));
  if (!w) {
    snprintf(err, GP_ERR_LEN,
             "not enough memory for the %zu x %zu "
             "covariance matrix",
             d->n, d->n);
    return NULL;
  }
  f->converged = true;
  bool ok = !o->optimize || gp_kernel_nfree(f->kernel) == 0 ||
            optimise(f, f->kernel, &md, w, o);
  if (stopped(o)) {
    snprintf(err, GP_ERR_LEN, "interrupted");
    gp_work_free(w);
    return NULL;
  }
  if (!ok) {
    snprintf(err, GP_ERR_LEN,
             "the marginal likelihood could not be "
             "evaluated at any of the %d starting points: the covariance "
             "matrix is not positive definite there",
             f->starts);
    gp_work_free(w);
    return NULL;
  }
  /* The factor the fit keeps is GC memory, so the collector counts it
   * (programs that fit in a loop would otherwise outrun the finalisers). */
  free(w->K);
  w->K = mem_alloc_atomic(d->n * d->n * sizeof(double) + 1);
  GpStatus st = factor(f->kernel, &md, w);
  if (st == GP_OK) {
    f->lml = lml_from_factor(&md, w);
    f->jitter = w->jitter;
    f->alpha = gc_copy(w->a, d->n);
    f->L = w->K;
  }
  w->K = NULL; /* not the work's to free */
  gp_work_free(w);
  if (st != GP_OK) {
    status_error(st, err);
    return NULL;
  }
  return f;
}

GpStatus gp_fit_lml(const GpFit *f, const double *theta, double *lml,
                    double *grad) {
  char err[GP_ERR_LEN];
  GpKernel *k = gp_kernel_bind(f->kernel, f->ncols, err);
  ASSERT(k);
  if (theta)
    gp_kernel_set_theta(k, theta, true);
  size_t p = gp_kernel_nparams(k);
  GpWork *w = gp_work_alloc(f->n, p);
  if (!w)
    return GP_NOT_PD;
  GpData d = {f->n, f->ncols, f->x, f->y, f->noise_var};
  double *all = grad ? xmalloc(p * sizeof(double)) : NULL;
  GpStatus st = gp_lml(k, &d, w, lml, all);
  if (grad && st == GP_OK) {
    bool *is_free = xmalloc(p * sizeof(bool));
    gp_kernel_param_info(k, is_free, NULL);
    for (size_t q = 0, i = 0; q < p; q++)
      if (is_free[q])
        grad[i++] = all[q];
    free(is_free);
  }
  free(all);
  gp_work_free(w);
  return st;
}

/* ---- prediction ---------------------------------------------------------- */

/* Columns [j0, j0 + mb) of the prediction: mean, variance; V = L^-1 K*
 * left in Ks (n x mb). */
static void predict_cols(const GpFit *f, const double *xs, size_t j0, size_t mb,
                         double *Ks, double *work, double *mean, double *var) {
  const BlasFns *b = blas();
  size_t n = f->n, nc = f->ncols;
  gp_kernel_block(f->kernel, f->x, n, xs + j0 * nc, mb, nc, GP_NO_DIAG, Ks, n,
                  NULL, work);
  b->dgemv(CblasColMajor, CblasTrans, (int)n, (int)mb, 1.0, Ks, (int)n,
           f->alpha, 1, 0.0, mean + j0, 1);
  b->dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
           (int)n, (int)mb, 1.0, f->L, (int)n, Ks, (int)n);
  if (!var)
    return;
  gp_kernel_diag(f->kernel, xs + j0 * nc, mb, nc, var + j0);
  for (size_t j = 0; j < mb; j++) {
    const double *v = Ks + j * n;
    var[j0 + j] -= b->ddot((int)n, v, 1, v, 1);
  }
}

void gp_predict(const GpFit *f, const double *xs, size_t m, double *mean,
                double *var, double *cov) {
  size_t n = f->n, nc = f->ncols;
  double s2 = f->y_scale * f->y_scale;
  /* with cov, one pass keeps all of V = L^-1 K* for V^T V */
  size_t chunk = cov ? m : (GP_TILE * 16) / (n ? n : 1);
  chunk = chunk < 1 ? 1 : chunk > m ? m : chunk;
  double *Ks = xmalloc(n * chunk * sizeof(double));
  double *work = xmalloc(gp_kernel_work(f->kernel, n, chunk) * sizeof(double));
  for (size_t j0 = 0; j0 < m; j0 += chunk) {
    size_t mb = m - j0 < chunk ? m - j0 : chunk;
    predict_cols(f, xs, j0, mb, Ks, work, mean, var);
  }
  free(work);
  if (cov && m > 0) {
    gp_kernel_block(f->kernel, xs, m, xs, m, nc, 0, cov, m, NULL, NULL);
    blas()->dsyrk(CblasColMajor, CblasLower, CblasTrans, (int)m, (int)n, -1.0,
                  Ks, (int)n, 1.0, cov, (int)m);
    for (size_t j = 0; j < m; j++)
      for (size_t i = j; i < m; i++) {
        cov[i + j * m] *= s2;
        cov[j + i * m] = cov[i + j * m];
      }
  }
  free(Ks);
  for (size_t j = 0; j < m; j++) {
    mean[j] = f->y_shift + f->y_scale * mean[j];
    if (var)
      var[j] = var[j] > 0.0 ? var[j] * s2 : 0.0;
  }
}

GpStatus gp_sample(const GpFit *f, const double *xs, size_t m, size_t ndraws,
                   Rng *rng, double *out, double *jitter) {
  double *mean = xmalloc(m * sizeof(double));
  double *cov = xmalloc(m * m * sizeof(double));
  double *c = xmalloc(m * m * sizeof(double));
  double *z = xmalloc(m * sizeof(double));
  gp_predict(f, xs, m, mean, NULL, cov);
  double diag = 0.0;
  for (size_t j = 0; j < m; j++)
    diag += cov[j + j * m];
  double scale = m && diag > 0.0 ? diag / (double)m : 1.0;
  int mi = (int)m, info = 0;
  *jitter = 0.0;
  memcpy(c, cov, m * m * sizeof(double));
  blas()->dpotrf("L", &mi, c, &mi, &info);
  for (double level = GP_JITTER_MIN; info != 0 && level <= GP_JITTER_MAX * 1.5;
       level *= 10.0) {
    *jitter = level * scale;
    memcpy(c, cov, m * m * sizeof(double));
    for (size_t j = 0; j < m; j++)
      c[j + j * m] += *jitter;
    blas()->dpotrf("L", &mi, c, &mi, &info);
  }
  GpStatus st = info == 0 ? GP_OK : GP_NOT_PD;
  for (size_t r = 0; st == GP_OK && r < ndraws; r++) {
    for (size_t j = 0; j < m; j++)
      z[j] = gsl_ran_gaussian_ziggurat(rng_gsl(rng), 1.0);
    double *row = out + r * m;
    for (size_t i = 0; i < m; i++) { /* row_i = mean_i + sum_{j<=i} C_ij z_j */
      double s = mean[i];
      for (size_t j = 0; j <= i; j++)
        s += c[i + j * m] * z[j];
      row[i] = s;
    }
  }
  free(mean);
  free(cov);
  free(c);
  free(z);
  return st;
}
