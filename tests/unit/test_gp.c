/*
 * test_gp.c — unit tests of the GP covariance functions (src/gp/kernel.c)
 * and of GP regression (src/gp/gp.c), and of the Cholesky LAPACK entries
 * of blas.c.
 *
 * Every kernel, alone and inside sums and products, isotropic and ARD,
 * on all columns and on a subset: its dK/dtheta blocks against central
 * finite differences of K, at random inputs of high entropy; blocks
 * against tiles, transposes and the diagonal; a few values against the
 * formulas. The log marginal likelihood against a direct computation with
 * GSL, its gradient against finite differences; jitter; fitting
 * (stationarity at the optimum, reproducible restarts); prediction
 * against the textbook formulas; normalize_y; draws against their
 * mean and covariance within Monte Carlo error.
 */
#include <config.h>
#include "gp/gp.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "check.h"
#include "test_random.h"
#include "common.h"
#include "gp/kernel.h"
#include "mem.h"
#include "rng.h"

/* Central differences in theta: truncation O(h^2), rounding O(eps / h). */
static const double FD_STEP = 1e-5;
static const double FD_TOL = 1e-6;



static GpKernel *leaf(GpKernelKind kind) { return gp_kernel_leaf(kind); }

/* Sets a group to n values drawn from [lo, hi]. */
static void set_group(GpKernel *k, const char *name, int n, double lo,
                      double hi) {
  GpParam *p = gp_kernel_group(k, name);
  ASSERT(p);
  p->n = n;
  p->v = mem_alloc_atomic((size_t)n * sizeof(double));
  fill(p->v, (size_t)n, lo, hi);
}

static GpKernel *plus(GpKernel *a, GpKernel *b) {
  return gp_kernel_combine(GPK_SUM, a, b);
}

static GpKernel *times(GpKernel *a, GpKernel *b) {
  return gp_kernel_combine(GPK_PROD, a, b);
}

static GpKernel *bind(const GpKernel *k, size_t ncols) {
  char err[GP_ERR_LEN];
  GpKernel *b = gp_kernel_bind(k, ncols, err);
  if (!b)
    fprintf(stderr, "bind failed: %s\n", err);
  ASSERT(b);
  return b;
}

/* ---- kernel gradients ---------------------------------------------------- */

enum { NA = 6, NB = 5, NCOLS = 3 };

/* dK/dtheta of k on (xa, xb) against central differences, entry by entry;
 * diag as gp_kernel_block's. */
static void check_block_grad(const char *what, const GpKernel *k0,
                             const double *xa, size_t na, const double *xb,
                             size_t nb, ptrdiff_t diag) {
  GpKernel *k = bind(k0, NCOLS);
  size_t p = gp_kernel_nparams(k), plane = na * nb;
  double *K = malloc(plane * sizeof(double));
  double *dK = malloc((p ? p : 1) * plane * sizeof(double));
  double *Kp = malloc(plane * sizeof(double));
  double *Km = malloc(plane * sizeof(double));
  double *theta = malloc((p ? p : 1) * sizeof(double));
  gp_kernel_block(k, xa, na, xb, nb, NCOLS, diag, K, na, dK, NULL);
  gp_kernel_get_theta(k, theta, false);
  int bad = 0;
  for (size_t q = 0; q < p; q++) {
    double t0 = theta[q];
    theta[q] = t0 + FD_STEP;
    gp_kernel_set_theta(k, theta, false);
    gp_kernel_block(k, xa, na, xb, nb, NCOLS, diag, Kp, na, NULL, NULL);
    theta[q] = t0 - FD_STEP;
    gp_kernel_set_theta(k, theta, false);
    gp_kernel_block(k, xa, na, xb, nb, NCOLS, diag, Km, na, NULL, NULL);
    theta[q] = t0;
    gp_kernel_set_theta(k, theta, false);
    for (size_t e = 0; e < plane; e++) {
      double fd = (Kp[e] - Km[e]) / (2.0 * FD_STEP);
      double an = dK[q * plane + e];
      if (!(fabs(fd - an) <= FD_TOL * fmax(1.0, fabs(fd)))) {
        if (bad++ < 3)
          fprintf(stderr,
                  "%s: parameter %zu entry %zu: analytic %.12g, "
                  "finite differences %.12g\n",
                  what, q, e, an, fd);
      }
    }
  }
  CHECK(bad == 0);
  if (bad)
    fprintf(stderr, "  (in %s)\n", what);
  free(K);
  free(dK);
  free(Kp);
  free(Km);
  free(theta);
}

typedef struct Case {
  const char *name;
  GpKernel *k;
} Case;

/* Every leaf, isotropic and ARD, on all columns and on columns {2, 0}. */
static size_t leaf_cases(Case *c) {
  static const int sub[] = {2, 0};
  size_t n = 0;
  GpKernelKind stationary[] = {GPK_EXPQUAD,  GPK_MATERN12, GPK_MATERN32,
                               GPK_MATERN52, GPK_RATQUAD,  GPK_PERIODIC};
  for (size_t s = 0; s < 6; s++)
    for (int variant = 0; variant < 3; variant++) {
      GpKernel *k = leaf(stationary[s]);
      int ncol = variant == 2 ? 2 : NCOLS;
      set_group(k, "ls", variant == 0 ? 1 : ncol, 0.4, 2.7);
      if (variant == 2) {
        k->ndims = 2;
        k->dims = (int *)sub;
      }
      if (stationary[s] == GPK_RATQUAD)
        set_group(k, "alpha", 1, 0.3, 3.1);
      if (stationary[s] == GPK_PERIODIC)
        set_group(k, "period", 1, 0.8, 2.9);
      c[n++] = (Case){gp_kernel_name(stationary[s]), k};
    }
  for (int poly = 0; poly < 2; poly++)
    for (int variant = 0; variant < 3; variant++) {
      GpKernel *k = leaf(poly ? GPK_POLYNOMIAL : GPK_LINEAR);
      int ncol = variant == 2 ? 2 : NCOLS;
      set_group(k, "c", variant == 0 ? 1 : ncol, -0.7, 0.9);
      if (variant == 2) {
        k->ndims = 2;
        k->dims = (int *)sub;
      }
      if (poly) {
        set_group(k, "offset", 1, 0.2, 1.9);
        k->degree = 3;
      }
      c[n++] = (Case){poly ? "Polynomial" : "Linear", k};
    }
  GpKernel *ck = leaf(GPK_CONSTANT);
  set_group(ck, "c", 1, 0.5, 2.5);
  c[n++] = (Case){"Constant", ck};
  GpKernel *wk = leaf(GPK_WHITE);
  set_group(wk, "sigma", 1, 0.2, 0.9);
  c[n++] = (Case){"White", wk};
  return n;
}

static void test_kernel_gradients(void) {
  double xa[NA * NCOLS], xb[NB * NCOLS];
  fill(xa, NA * NCOLS, -1.7, 2.3);
  fill(xb, NB * NCOLS, -1.9, 2.1);
  Case c[32];
  size_t n = leaf_cases(c);
  for (size_t i = 0; i < n; i++) {
    check_block_grad(c[i].name, c[i].k, xa, NA, xb, NB, GP_NO_DIAG);
    check_block_grad(c[i].name, c[i].k, xa, NA, xa, NA, 0);
    /* a tile off the diagonal of K(X): White's diagonal shifted by 2 */
    check_block_grad(c[i].name, c[i].k, xa + 2 * NCOLS, NA - 2, xa, NA - 2, -2);
  }
  /* composites: sums, products, scaling, nested */
  GpKernel *sum = plus(c[0].k, c[n - 1].k);     /* ExpQuad + White */
  GpKernel *scaled = times(c[n - 2].k, c[4].k); /* c * Matern12 ARD */
  GpKernel *nested = times(plus(c[15].k, c[18].k), c[11].k);
  GpKernel *deep = plus(times(scaled, sum), times(c[12].k, c[20].k));
  Case comp[] = {
      {"sum", sum}, {"scaled", scaled}, {"nested", nested}, {"deep", deep}};
  for (size_t i = 0; i < 4; i++) {
    check_block_grad(comp[i].name, comp[i].k, xa, NA, xb, NB, GP_NO_DIAG);
    check_block_grad(comp[i].name, comp[i].k, xa, NA, xa, NA, 0);
  }
}

/* Blocks agree with tiles of themselves, with transposes, with diag. */
static void test_kernel_blocks(void) {
  enum { N = 9 };
  double x[N * NCOLS];
  fill(x, N * NCOLS, -2.2, 2.4);
  Case c[32];
  size_t n = leaf_cases(c);
  GpKernel *all = c[0].k;
  for (size_t i = 1; i < n; i++)
    all = plus(all, i % 3 ? c[i].k : times(c[i - 1].k, c[i].k));
  GpKernel *k = bind(all, NCOLS);
  double K[N * N], T[N * N], d[N];
  gp_kernel_block(k, x, N, x, N, NCOLS, 0, K, N, NULL, NULL);
  /* rows 3.., columns 3..5 as a tile written into a larger matrix */
  for (size_t e = 0; e < N * N; e++)
    T[e] = NAN;
  gp_kernel_block(k, x + 3 * NCOLS, N - 3, x + 3 * NCOLS, 3, NCOLS, 0,
                  T + 3 + 3 * N, N, NULL, NULL);
  int bad = 0;
  for (size_t j = 3; j < 6; j++)
    for (size_t i = 3; i < N; i++)
      bad += T[i + j * N] != K[i + j * N];
  CHECK(bad == 0);
  bad = 0;
  for (size_t j = 0; j < N; j++)
    for (size_t i = 0; i < N; i++)
      bad += fabs(K[i + j * N] - K[j + i * N]) > 1e-12 * fabs(K[i + j * N]);
  CHECK(bad == 0);
  gp_kernel_diag(k, x, N, NCOLS, d);
  bad = 0;
  for (size_t i = 0; i < N; i++)
    bad += fabs(d[i] - K[i + i * N]) > 1e-12 * fabs(d[i]);
  CHECK(bad == 0);
}

/* Values against the formulas at chosen distances (1-D, ls 2). */
static void test_kernel_values(void) {
  double a = 0.25, b = 1.75, r = 0.75; /* |a - b| / ls */
  struct {
    GpKernelKind kind;
    double want;
  } v[] = {
      {GPK_EXPQUAD, exp(-0.5 * r * r)},
      {GPK_MATERN12, exp(-r)},
      {GPK_MATERN32, (1 + sqrt(3) * r) * exp(-sqrt(3) * r)},
      {GPK_MATERN52, (1 + sqrt(5) * r + 5.0 / 3.0 * r * r) * exp(-sqrt(5) * r)},
      {GPK_RATQUAD, pow(1 + r * r / (2 * 1.5), -1.5)},
      {GPK_PERIODIC, exp(-0.5 * pow(sin(M_PI * 1.5 / 1.2) / 2.0, 2))},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    GpKernel *k = leaf(v[i].kind);
    gp_kernel_group(k, "ls")->v[0] = 2.0;
    if (v[i].kind == GPK_RATQUAD)
      gp_kernel_group(k, "alpha")->v[0] = 1.5;
    if (v[i].kind == GPK_PERIODIC)
      gp_kernel_group(k, "period")->v[0] = 1.2;
    double K;
    gp_kernel_block(bind(k, 1), &a, 1, &b, 1, 1, GP_NO_DIAG, &K, 1, NULL, NULL);
    CHECK_NEAR(K, v[i].want, 1e-15);
  }
  GpKernel *poly = leaf(GPK_POLYNOMIAL);
  gp_kernel_group(poly, "c")->v[0] = 0.5;
  gp_kernel_group(poly, "offset")->v[0] = 2.0;
  poly->degree = 3;
  double K;
  gp_kernel_block(bind(poly, 1), &a, 1, &b, 1, 1, GP_NO_DIAG, &K, 1, NULL,
                  NULL);
  CHECK_NEAR(K, pow((a - 0.5) * (b - 0.5) + 2.0, 3), 1e-14);
  /* White: sigma^2 on "the same point" only */
  GpKernel *w = bind(leaf(GPK_WHITE), 1);
  gp_kernel_group(w, "sigma")->v[0] = 0.3;
  double x2[2] = {1.0, 1.0}, W[4];
  gp_kernel_block(w, x2, 2, x2, 2, 1, 0, W, 2, NULL, NULL);
  CHECK_NEAR(W[0], 0.09, 1e-16);
  CHECK(W[1] == 0.0 && W[2] == 0.0);
  gp_kernel_block(w, x2, 2, x2, 2, 1, GP_NO_DIAG, W, 2, NULL, NULL);
  CHECK(W[0] == 0.0 && W[3] == 0.0);
}

static void test_kernel_bind_errors(void) {
  char err[GP_ERR_LEN];
  GpKernel *k = leaf(GPK_EXPQUAD);
  set_group(k, "ls", 3, 1, 2);
  CHECK(gp_kernel_bind(k, 2, err) == NULL);
  CHECK(strstr(err, "ls has 3 values but there are 2 active input columns"));
  k->input_dim = 4;
  CHECK(gp_kernel_bind(k, 3, err) == NULL);
  CHECK(strstr(err, "input_dim is 4 but the inputs have 3 columns"));
  GpKernel *m = leaf(GPK_MATERN32);
  static const int dims[] = {0, 5};
  m->dims = (int *)dims;
  m->ndims = 2;
  CHECK(gp_kernel_bind(m, 3, err) == NULL);
  CHECK(strstr(err, "active_dims names column 5"));
  GpKernel *a = leaf(GPK_EXPQUAD);
  a->ard = true;
  GpKernel *b = bind(a, 4);
  CHECK_EQ_INT(gp_kernel_nparams(b), 4);
  GpKernel *neg = leaf(GPK_WHITE);
  neg->group[0].v[0] = -1;
  CHECK(gp_kernel_bind(neg, 1, err) == NULL);
  CHECK(strstr(err, "White(): sigma must be positive, got -1"));
  /* theta: log scale for positive groups, fixed ones skipped */
  GpKernel *rq = leaf(GPK_RATQUAD);
  gp_kernel_group(rq, "alpha")->v[0] = 2.5;
  gp_kernel_group(rq, "alpha")->fixed = true;
  GpKernel *lin = leaf(GPK_LINEAR);
  gp_kernel_group(lin, "c")->v[0] = -0.25;
  GpKernel *kb = bind(plus(rq, lin), 1);
  CHECK_EQ_INT(gp_kernel_nparams(kb), 3);
  CHECK_EQ_INT(gp_kernel_nfree(kb), 2);
  double th[3];
  gp_kernel_get_theta(kb, th, false);
  CHECK_NEAR(th[0], log(2.5), 1e-15);
  CHECK_NEAR(th[1], 0.0, 1e-15);
  CHECK_NEAR(th[2], -0.25, 1e-15);
  gp_kernel_get_theta(kb, th, true);
  CHECK_NEAR(th[1], -0.25, 1e-15);
}

/* ---- LAPACK through blas.h ----------------------------------------------- */

static void random_spd(double *A, int n) {
  double *B = malloc((size_t)(n * n) * sizeof(double));
  fill(B, (size_t)(n * n), -1, 1);
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++) {
      double s = i == j ? n : 0.0;
      for (int t = 0; t < n; t++)
        s += B[i + t * n] * B[j + t * n];
      A[i + j * n] = s;
    }
  free(B);
}

static void test_lapack(void) {
  enum { N = 37 };
  const BlasFns *fns[2] = {blas(), blas_reference()};
  static double A[N * N], F[2][N * N], I[2][N * N], X[2][N * 2];
  random_spd(A, N);
  double rhs[N * 2];
  fill(rhs, N * 2, -1, 1);
  for (int u = 0; u < 2; u++) {
    const char *uplo = u ? "U" : "L";
    for (int t = 0; t < 2; t++) {
      int n = N, two = 2, info = -1;
      memcpy(F[t], A, sizeof A);
      fns[t]->dpotrf(uplo, &n, F[t], &n, &info);
      CHECK_EQ_INT(info, 0);
      memcpy(X[t], rhs, sizeof rhs);
      fns[t]->dpotrs(uplo, &n, &two, F[t], &n, X[t], &n, &info);
      CHECK_EQ_INT(info, 0);
      memcpy(I[t], F[t], sizeof A);
      fns[t]->dpotri(uplo, &n, I[t], &n, &info);
      CHECK_EQ_INT(info, 0);
    }
    double df = 0, dx = 0, di = 0, res = 0;
    for (int j = 0; j < N; j++)
      for (int i = 0; i < N; i++) {
        bool in = u ? i <= j : i >= j;
        if (in) {
          df = fmax(df, fabs(F[0][i + j * N] - F[1][i + j * N]));
          di = fmax(di, fabs(I[0][i + j * N] - I[1][i + j * N]));
        }
      }
    for (int e = 0; e < N * 2; e++)
      dx = fmax(dx, fabs(X[0][e] - X[1][e]));
    /* A x = rhs for the solve */
    for (int c = 0; c < 2; c++)
      for (int i = 0; i < N; i++) {
        double s = 0;
        for (int t = 0; t < N; t++)
          s += A[i + t * N] * X[0][t + c * N];
        res = fmax(res, fabs(s - rhs[i + c * N]));
      }
    CHECK(df < 1e-12);
    CHECK(di < 1e-12);
    CHECK(dx < 1e-12);
    CHECK(res < 1e-12);
  }
  /* not positive definite */
  double bad[4] = {1, 2, 2, 1};
  int n = 2, info = 0;
  blas_reference()->dpotrf("L", &n, bad, &n, &info);
  CHECK(info > 0);
  double bad2[4] = {1, 2, 2, 1};
  blas()->dpotrf("L", &n, bad2, &n, &info);
  CHECK(info > 0);
}

/* sample() runs OpenBLAS on one thread while the chains run, and gives
 * its pool back; a count the user chose is left alone. */
static void test_blas_serial(void) {
  unsetenv("OPENBLAS_NUM_THREADS");
  unsetenv("GOTO_NUM_THREADS");
  unsetenv("OMP_NUM_THREADS");
  const BlasFns *b = blas();
  if (!b->set_threads) { /* gslcblas: nothing to do, nothing done */
    CHECK_EQ_INT(blas_serial(), 0);
    blas_serial_end(0);
    return;
  }
  const int pool = b->get_threads();
  const int saved = blas_serial();
  CHECK_EQ_INT(saved, pool);
  CHECK_EQ_INT(b->get_threads(), 1);
  blas_serial_end(saved);
  CHECK_EQ_INT(b->get_threads(), pool);
  setenv("OPENBLAS_NUM_THREADS", "2", 1);
  CHECK_EQ_INT(blas_serial(), 0);
  CHECK_EQ_INT(b->get_threads(), pool);
  blas_serial_end(0);
  CHECK_EQ_INT(b->get_threads(), pool);
  unsetenv("OPENBLAS_NUM_THREADS");
}

/* ---- the log marginal likelihood ----------------------------------------- */

enum { NOBS = 23 };

static GpKernel *composite_kernel(void) {
  GpKernel *amp = leaf(GPK_CONSTANT);
  amp->group[0].v[0] = 1.7;
  GpKernel *eq = leaf(GPK_EXPQUAD);
  set_group(eq, "ls", 2, 0.8, 1.9);
  GpKernel *per = leaf(GPK_PERIODIC);
  per->group[0].v[0] = 1.3;
  per->group[1].v[0] = 0.9;
  static const int d1[] = {1};
  per->dims = (int *)d1;
  per->ndims = 1;
  GpKernel *lin = leaf(GPK_LINEAR);
  lin->group[0].v[0] = 0.35;
  GpKernel *wn = leaf(GPK_WHITE);
  wn->group[0].v[0] = 0.27;
  return plus(plus(times(amp, times(eq, per)), times(lin, leaf(GPK_CONSTANT))),
              wn);
}

static void make_data(double *x, double *y, double *noise, size_t n) {
  for (size_t i = 0; i < n; i++) {
    x[2 * i] = unif(-2, 2);
    x[2 * i + 1] = unif(0, 3);
    y[i] = sin(2 * x[2 * i]) + 0.5 * x[2 * i + 1] + unif(-0.3, 0.3);
    noise[i] = unif(0.01, 0.05);
  }
}

/* The same likelihood through GSL's Cholesky, with K from the block API
 * (checked above) and the solve and determinant done independently. */
static double direct_lml(const GpKernel *k, const GpData *d) {
  size_t n = d->n;
  gsl_matrix *K = gsl_matrix_alloc(n, n);
  gp_kernel_block(k, d->x, n, d->x, n, d->ncols, 0, K->data, n, NULL, NULL);
  for (size_t i = 0; i < n; i++)
    K->data[i * n + i] += d->noise_var[i];
  gsl_linalg_cholesky_decomp1(K);
  gsl_vector_const_view yv = gsl_vector_const_view_array(d->y, n);
  gsl_vector *a = gsl_vector_alloc(n);
  gsl_linalg_cholesky_solve(K, &yv.vector, a);
  double q = 0, logdet = 0;
  for (size_t i = 0; i < n; i++) {
    q += d->y[i] * a->data[i];
    logdet += 2 * log(K->data[i * n + i]);
  }
  gsl_matrix_free(K);
  gsl_vector_free(a);
  return -0.5 * q - 0.5 * logdet - 0.5 * (double)n * log(2 * M_PI);
}

static void test_lml(void) {
  double x[NOBS * 2], y[NOBS], noise[NOBS];
  make_data(x, y, noise, NOBS);
  GpData d = {NOBS, 2, x, y, noise};
  GpKernel *k = bind(composite_kernel(), 2);
  size_t p = gp_kernel_nparams(k);
  CHECK_EQ_INT(p, 8);
  GpWork *w = gp_work_alloc(NOBS, p);
  double lml, grad[8], theta[8];
  CHECK(gp_lml(k, &d, w, &lml, grad) == GP_OK);
  CHECK_NEAR(lml, direct_lml(k, &d), 1e-10 * fabs(lml));
  CHECK(gp_work_jitter(w) == 0.0);
  /* value alone equals value with gradient */
  double lml2;
  CHECK(gp_lml(k, &d, w, &lml2, NULL) == GP_OK);
  CHECK(lml2 == lml);
  gp_kernel_get_theta(k, theta, false);
  for (size_t q = 0; q < p; q++) {
    double t0 = theta[q], lp, lm;
    theta[q] = t0 + FD_STEP;
    gp_kernel_set_theta(k, theta, false);
    gp_lml(k, &d, w, &lp, NULL);
    theta[q] = t0 - FD_STEP;
    gp_kernel_set_theta(k, theta, false);
    gp_lml(k, &d, w, &lm, NULL);
    theta[q] = t0;
    gp_kernel_set_theta(k, theta, false);
    double fd = (lp - lm) / (2 * FD_STEP);
    if (!CHECK_NEAR(grad[q], fd, 1e-6 * fmax(1, fabs(fd))))
      fprintf(stderr, "  lml gradient, parameter %zu\n", q);
  }
  gp_work_free(w);
}

/* A tile-spanning size: the gradient's column tiles and K's tiles have
 * several widths here. */
static void test_lml_large(void) {
  enum { N = 700 };
  double *x = malloc(N * 2 * sizeof(double)), *y = malloc(N * sizeof(double));
  double *noise = malloc(N * sizeof(double));
  make_data(x, y, noise, N);
  GpData d = {N, 2, x, y, noise};
  GpKernel *k = bind(composite_kernel(), 2);
  size_t p = gp_kernel_nparams(k);
  GpWork *w = gp_work_alloc(N, p);
  double lml, grad[8], theta[8];
  CHECK(gp_lml(k, &d, w, &lml, grad) == GP_OK);
  CHECK_NEAR(lml, direct_lml(k, &d), 1e-9 * fabs(lml));
  gp_kernel_get_theta(k, theta, false);
  for (size_t q = 0; q < p; q += 3) {
    double t0 = theta[q], lp, lm;
    theta[q] = t0 + FD_STEP;
    gp_kernel_set_theta(k, theta, false);
    gp_lml(k, &d, w, &lp, NULL);
    theta[q] = t0 - FD_STEP;
    gp_kernel_set_theta(k, theta, false);
    gp_lml(k, &d, w, &lm, NULL);
    theta[q] = t0;
    gp_kernel_set_theta(k, theta, false);
    double fd = (lp - lm) / (2 * FD_STEP);
    CHECK_NEAR(grad[q], fd, 1e-5 * fmax(1, fabs(fd)));
  }
  gp_work_free(w);
  free(x);
  free(y);
  free(noise);
}

static void test_jitter(void) {
  /* repeated points and no noise: K is singular */
  double x[6] = {0.5, 0.5, 1.5, 1.5, 2.5, 2.5}, y[6] = {1, 1.1, 2, 2.1, 0, 0};
  double noise[6] = {0};
  GpData d = {6, 1, x, y, noise};
  GpKernel *k = bind(leaf(GPK_EXPQUAD), 1);
  GpWork *w = gp_work_alloc(6, 1);
  double lml, g;
  CHECK(gp_lml(k, &d, w, &lml, &g) == GP_OK);
  CHECK(gp_work_jitter(w) >= GP_JITTER_MIN && gp_work_jitter(w) <= 1e-4);
  CHECK(isfinite(lml) && isfinite(g));
  /* K beyond double range: reported, not factorised */
  GpKernel *poly = leaf(GPK_POLYNOMIAL);
  poly->degree = 400;
  gp_kernel_group(poly, "offset")->v[0] = 50;
  GpKernel *pb = bind(poly, 1);
  GpWork *w2 = gp_work_alloc(6, 2);
  double g2[2];
  CHECK(gp_lml(pb, &d, w2, &lml, g2) == GP_NONFINITE);
  CHECK(lml == -INFINITY);
  gp_work_free(w);
  gp_work_free(w2);
}

/* ---- fitting and prediction ---------------------------------------------- */

enum { NFIT = 40 };

static void fit_data(double *x, double *y, double *noise) {
  for (size_t i = 0; i < NFIT; i++) {
    x[i] = unif(0, 10);
    y[i] = 3 + 2 * sin(x[i]) + 0.4 * (unif01() + unif01() + unif01() - 1.5);
    noise[i] = 1e-10;
  }
}

static GpKernel *fit_kernel(void) {
  GpKernel *amp = leaf(GPK_CONSTANT);
  GpKernel *wn = leaf(GPK_WHITE);
  wn->group[0].v[0] = 0.5;
  return plus(times(amp, leaf(GPK_MATERN52)), wn);
}

static void test_fit(void) {
  double x[NFIT], y[NFIT], noise[NFIT];
  fit_data(x, y, noise);
  GpData d = {NFIT, 1, x, y, noise};
  char err[GP_ERR_LEN];
  Rng *rng = rng_alloc(2024);
  GpFitOptions o = {
      .optimize = true, .restarts = 2, .normalize_y = true, .rng = rng};
  GpFit *f = gp_fit(fit_kernel(), &d, &o, err);
  if (!CHECK(f != NULL))
    return;
  CHECK_EQ_INT(f->starts, 3);
  CHECK_EQ_INT(f->starts_failed, 0);
  CHECK(f->converged);
  CHECK(f->at_bound == -1);
  double g[3], lml;
  CHECK(gp_fit_lml(f, NULL, &lml, g) == GP_OK);
  CHECK_NEAR(lml, f->lml, 1e-9 * fabs(lml));
  for (int i = 0; i < 3; i++)
    CHECK(fabs(g[i]) < 1e-3);
  /* the start's likelihood is lower */
  double th0[3] = {0, 0, log(0.5)}, lml0;
  gp_fit_lml(f, th0, &lml0, NULL);
  CHECK(f->lml > lml0 + 1);
  /* the same seed gives the same fit, bit for bit */
  rng_seed(rng, 2024);
  GpFit *f2 = gp_fit(fit_kernel(), &d, &o, err);
  double t1[3], t2[3];
  gp_kernel_get_theta(f->kernel, t1, true);
  gp_kernel_get_theta(f2->kernel, t2, true);
  CHECK(memcmp(t1, t2, sizeof t1) == 0);
  /* the noise found is near the 0.4 * sd(sum of 3 uniforms) = 0.2 used */
  CHECK(fabs(gp_kernel_group(f->kernel->right, "sigma")->v[0] * f->y_scale -
             0.2) < 0.1);
  rng_free(rng);
}

/* Prediction against the formulas, with K from the block API. */
static void test_predict(void) {
  double x[NFIT], y[NFIT], noise[NFIT];
  fit_data(x, y, noise);
  for (size_t i = 0; i < NFIT; i++)
    noise[i] = 0.04;
  GpData d = {NFIT, 1, x, y, noise};
  char err[GP_ERR_LEN];
  GpFitOptions o = {.optimize = false};
  GpFit *f = gp_fit(fit_kernel(), &d, &o, err);
  if (!CHECK(f != NULL))
    return;
  enum { M = 7 };
  double xs[M], mean[M], var[M], cov[M * M];
  fill(xs, M, -1, 11);
  gp_predict(f, xs, M, mean, var, cov);
  /* direct: mean = k*^T (K + N)^-1 y; var = k** - k*^T (K + N)^-1 k* */
  gsl_matrix *K = gsl_matrix_alloc(NFIT, NFIT);
  gp_kernel_block(f->kernel, x, NFIT, x, NFIT, 1, 0, K->data, NFIT, NULL, NULL);
  for (size_t i = 0; i < NFIT; i++)
    K->data[i * NFIT + i] += noise[i];
  gsl_linalg_cholesky_decomp1(K);
  double ks[NFIT], kss[M * M];
  gp_kernel_block(f->kernel, xs, M, xs, M, 1, 0, kss, M, NULL, NULL);
  gsl_vector *sol = gsl_vector_alloc(NFIT);
  gsl_vector_view yv = gsl_vector_view_array(y, NFIT);
  gsl_vector *a = gsl_vector_alloc(NFIT);
  gsl_linalg_cholesky_solve(K, &yv.vector, a);
  for (size_t j = 0; j < M; j++) {
    gp_kernel_block(f->kernel, x, NFIT, &xs[j], 1, 1, GP_NO_DIAG, ks, NFIT,
                    NULL, NULL);
    double m = 0;
    for (size_t i = 0; i < NFIT; i++)
      m += ks[i] * a->data[i];
    gsl_vector_view kv = gsl_vector_view_array(ks, NFIT);
    gsl_linalg_cholesky_solve(K, &kv.vector, sol);
    double q = 0;
    for (size_t i = 0; i < NFIT; i++)
      q += ks[i] * sol->data[i];
    CHECK_NEAR(mean[j], m, 1e-10 * fmax(1, fabs(m)));
    CHECK_NEAR(var[j], kss[j + j * M] - q, 1e-10);
    CHECK_NEAR(cov[j + j * M], var[j], 1e-12);
  }
  int asym = 0;
  for (size_t j = 0; j < M; j++)
    for (size_t i = 0; i < M; i++)
      asym += cov[i + j * M] != cov[j + i * M];
  CHECK(asym == 0);
  /* predicting without var or cov gives the same mean */
  double mean2[M];
  gp_predict(f, xs, M, mean2, NULL, NULL);
  CHECK(memcmp(mean, mean2, sizeof mean) == 0);
  gsl_matrix_free(K);
  gsl_vector_free(sol);
  gsl_vector_free(a);
}

/* normalize_y is a change of units: 10 + 3 y gives 10 + 3 mean, 3 sd. */
static void test_normalize(void) {
  double x[NFIT], y[NFIT], y2[NFIT], noise[NFIT];
  fit_data(x, y, noise);
  for (size_t i = 0; i < NFIT; i++)
    y2[i] = 10 + 3 * y[i];
  char err[GP_ERR_LEN];
  GpFitOptions o = {.optimize = false, .normalize_y = true};
  GpData d1 = {NFIT, 1, x, y, noise}, d2 = {NFIT, 1, x, y2, noise};
  GpFit *f1 = gp_fit(fit_kernel(), &d1, &o, err);
  GpFit *f2 = gp_fit(fit_kernel(), &d2, &o, err);
  CHECK_NEAR(f1->lml, f2->lml, 1e-9 * fabs(f1->lml));
  double xs[3] = {0.5, 4.2, 12}, m1[3], v1[3], m2[3], v2[3];
  gp_predict(f1, xs, 3, m1, v1, NULL);
  gp_predict(f2, xs, 3, m2, v2, NULL);
  for (int j = 0; j < 3; j++) {
    CHECK_NEAR(m2[j], 10 + 3 * m1[j], 1e-9 * fabs(m2[j]));
    CHECK_NEAR(v2[j], 9 * v1[j], 1e-9 * v2[j]);
  }
  /* far from the data the mean reverts to the data's mean */
  double far = 1e3, mf;
  gp_predict(f1, &far, 1, &mf, NULL, NULL);
  CHECK_NEAR(mf, f1->y_shift, 1e-12);
}

/* Draws: sample mean and covariance within Monte Carlo error. */
static void test_sample(void) {
  double x[NFIT], y[NFIT], noise[NFIT];
  fit_data(x, y, noise);
  GpData d = {NFIT, 1, x, y, noise};
  char err[GP_ERR_LEN];
  GpFitOptions o = {.optimize = false};
  GpFit *f = gp_fit(fit_kernel(), &d, &o, err);
  enum { M = 4, R = 20000 };
  double xs[M] = {0.3, 0.35, 5.5, 14}, mean[M], cov[M * M], jitter;
  double *draws = malloc(R * M * sizeof(double));
  Rng *rng = rng_alloc(99);
  CHECK(gp_sample(f, xs, M, R, rng, draws, &jitter) == GP_OK);
  gp_predict(f, xs, M, mean, NULL, cov);
  for (int j = 0; j < M; j++) {
    double s = 0, ss = 0;
    for (int r = 0; r < R; r++)
      s += draws[r * M + j];
    double mj = s / R;
    for (int r = 0; r < R; r++)
      ss += (draws[r * M + j] - mj) * (draws[r * M + j] - mj);
    double vj = ss / (R - 1), sd = sqrt(cov[j + j * M]);
    /* 4 standard errors: mean sd/sqrt(R), variance var sqrt(2/(R-1)) */
    CHECK(fabs(mj - mean[j]) < 4 * sd / sqrt(R));
    CHECK(fabs(vj - cov[j + j * M]) < 4 * cov[j + j * M] * sqrt(2.0 / (R - 1)));
  }
  /* the two close points are strongly correlated, as predicted */
  double c01 = 0;
  for (int r = 0; r < R; r++)
    c01 += (draws[r * M] - mean[0]) * (draws[r * M + 1] - mean[1]);
  c01 /= R;
  double rho = c01 / sqrt(cov[0] * cov[1 + M]);
  double rho_want = cov[1] / sqrt(cov[0] * cov[1 + M]);
  CHECK(fabs(rho - rho_want) < 4 * (1 - rho_want * rho_want) / sqrt(R));
  free(draws);
  rng_free(rng);
}

int main(void) {
  test_rng_state = 0x9E3779B97F4A7C15ULL;
  mem_init();
  gsl_set_error_handler_off();
  test_kernel_gradients();
  test_kernel_blocks();
  test_kernel_values();
  test_kernel_bind_errors();
  test_lapack();
  test_blas_serial();
  test_lml();
  test_lml_large();
  test_jitter();
  test_fit();
  test_predict();
  test_normalize();
  test_sample();
  return check_summary();
}
