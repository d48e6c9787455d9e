/*
 * test_dist_multivariate.c — the families of src/dist/ whose values are
 * vectors or matrices: Categorical, Dirichlet, Multinomial, MvNormal and
 * LKJCorrCholesky.
 *
 * Log densities are compared with GSL (gsl_ran_dirichlet_lnpdf,
 * gsl_ran_multinomial_lnpdf, gsl_ran_multivariate_gaussian_log_pdf) or
 * closed forms, including stacked rows and shared or per-row parameters;
 * LKJ's normalising constant against numerical integration (n = 2), the
 * volume of the 3 x 3 elliptope, and the Beta-function form of
 * Lewandowski, Kurowicka & Joe (2009). Every continuous partial is checked
 * against finite differences; invalid inputs give -INFINITY with the
 * gradients untouched; `check` gives the value's shape or a sentence; 10^4
 * draws at fixed seeds are checked by a chi-square test or by their
 * moments (within 5 standard errors).
 *
 * Partials are checked with adj = 0.7 and gradients that start at 0.25.
 * Inputs confined to a surface (a simplex, unit rows of a correlation
 * factor) are only valid within 1e-8 of it, so their differences use a
 * step of 1e-9 and a looser tolerance; the others a step of 1e-4 with one
 * Richardson step.
 */
#include <config.h>
#include "dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_vector.h>

#include "check.h"
#include "rng.h"

enum { MAXIN = DIST_MAX_PARAMS + 1, MAXLEN = 64, NDRAWS = 10000 };

#define ADJ 0.7
#define G0 0.25
#define LP_RTOL 1e-10
#define FD_STEP 1e-4
#define FD_RTOL 1e-6
/* Differences on a surface: step and relative tolerance. */
#define FD_STEP_TIGHT 1e-9
#define FD_RTOL_TIGHT 2e-5
#define CHISQ_ALPHA 1e-4
#define MOMENT_SE 5.0
#define PI 3.14159265358979323846

/* A literal array of doubles. */
#define V(...) ((double[]){__VA_ARGS__})

static int gsl_errors;

static void count_gsl_error(const char *reason, const char *file, int line,
                            int gsl_errno) {
  (void)reason;
  (void)file;
  (void)line;
  (void)gsl_errno;
  gsl_errors++;
}

/* ---- building calls ----------------------------------------------------- */

static DistTensor scal(double *d) {
  return (DistTensor){.data = d, .len = 1, .ndim = 0, .rows = 1, .cols = 1};
}

static DistTensor vec(double *d, size_t n) {
  return (DistTensor){.data = d, .len = n, .ndim = 1, .rows = n, .cols = 1};
}

static DistTensor mat(double *d, size_t r, size_t c) {
  return (DistTensor){.data = d, .len = r * c, .ndim = 2, .rows = r, .cols = c};
}

static double lp_of(const DistFamily *f, const DistTensor *in) {
  return f->lpdf(in, ADJ, NULL);
}

static double lp_tol(double want) { return LP_RTOL * fmax(1.0, fabs(want)); }

typedef struct Grads {
  double buf[MAXIN][MAXLEN];
  double *ptr[MAXIN];
} Grads;

static void grads_init(Grads *g, int nin) {
  for (int j = 0; j < MAXIN; j++) {
    for (int i = 0; i < MAXLEN; i++)
      g->buf[j][i] = G0;
    g->ptr[j] = j < nin ? g->buf[j] : NULL;
  }
}

static bool untouched(const double *g, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (g[i] != G0)
      return false;
  return true;
}

/* Central difference in element i of input k; with richardson, one
 * Richardson step on top. */
static double fd(const DistFamily *f, DistTensor *in, int k, size_t i, double h,
                 bool richardson) {
  double *d = (double *)in[k].data;
  const double x0 = d[i];
  double dh[2];
  for (int r = 0; r < (richardson ? 2 : 1); r++) {
    const double step = r == 0 ? h : h / 2.0;
    d[i] = x0 + step;
    const double up = lp_of(f, in);
    d[i] = x0 - step;
    const double dn = lp_of(f, in);
    dh[r] = (up - dn) / (2.0 * step);
  }
  d[i] = x0;
  return richardson ? (4.0 * dh[1] - dh[0]) / 3.0 : dh[0];
}

/* How one input's partials are checked. */
typedef enum {
  PART_NONE,      /* no partial: the gradient stays untouched */
  PART_FREE,      /* finite differences with FD_STEP */
  PART_TIGHT,     /* on a surface: FD_STEP_TIGHT */
  PART_LOWER,     /* a square matrix on a surface: lower triangle by
                     FD_STEP_TIGHT, the upper untouched */
  PART_LOWER_FREE /* a square matrix: lower by FD_STEP, upper untouched */
} PartKind;

/* Checks every input's partials as kinds[j] says, and that the gradient
 * call returns the same value as the plain one. */
static void check_partials(const DistFamily *f, DistTensor *in,
                           const PartKind *kinds) {
  const int nin = f->nparams + 1;
  Grads g;
  grads_init(&g, nin);
  const double lp = f->lpdf(in, ADJ, g.ptr);
  if (!CHECK(isfinite(lp)))
    return;
  CHECK_NEAR(lp, lp_of(f, in), lp_tol(lp));
  for (int j = 0; j < nin; j++) {
    const PartKind kind = kinds[j];
    if (kind == PART_NONE) {
      CHECK(untouched(g.buf[j], in[j].len));
      continue;
    }
    const size_t k = in[j].cols;
    for (size_t i = 0; i < in[j].len; i++) {
      const bool square = kind == PART_LOWER || kind == PART_LOWER_FREE;
      if (square && i % k > i / k) {
        CHECK(g.buf[j][i] == G0);
        continue;
      }
      const bool tight = kind == PART_TIGHT || kind == PART_LOWER;
      const double want =
          ADJ * fd(f, in, j, i, tight ? FD_STEP_TIGHT : FD_STEP, !tight);
      const double rtol = tight ? FD_RTOL_TIGHT : FD_RTOL;
      if (!CHECK_NEAR(g.buf[j][i] - G0, want, rtol * fmax(1.0, fabs(want))))
        fprintf(stderr, "  %s: partial in input %d, element %zu\n", f->name, j,
                i);
    }
  }
}

/* The call gives -INFINITY and leaves every gradient untouched. */
static void check_invalid(const DistFamily *f, const DistTensor *in, int line) {
  Grads g;
  grads_init(&g, f->nparams + 1);
  const double lp = f->lpdf(in, ADJ, g.ptr);
  bool clean = true;
  for (int j = 0; j <= f->nparams; j++)
    clean &= untouched(g.buf[j], in[j].len < MAXLEN ? in[j].len : MAXLEN);
  if (!CHECK(lp == -INFINITY && clean))
    fprintf(stderr, "  %s, invalid case at line %d: lp = %g\n", f->name, line,
            lp);
}
#define INVALID(f, ...)                                                        \
  check_invalid((f), (DistTensor[]){__VA_ARGS__}, __LINE__)

/* check() on params: true with the given shape, or false with err. */
static bool shape_is(const DistFamily *f, const DistTensor *prm, int ndim,
                     size_t rows, size_t cols) {
  int nd = -1;
  size_t r = 0, c = 0;
  char err[DIST_ERR_LEN] = "";
  if (!f->check(prm, &nd, &r, &c, err)) {
    fprintf(stderr, "  %s: check failed: %s\n", f->name, err);
    return false;
  }
  return nd == ndim && r == rows && c == cols;
}

/* check() on params fails with exactly the sentence want. */
static void check_error(const DistFamily *f, const DistTensor *prm,
                        const char *want) {
  int nd;
  size_t r, c;
  char err[DIST_ERR_LEN] = "";
  CHECK(!f->check(prm, &nd, &r, &c, err));
  CHECK_EQ_STR(err, want);
}

static Rng *test_rng(uint64_t seed) { return rng_alloc(seed); }

/* Mean and standard error of column j of an n x k sample. */
static void column_mean(const double *x, size_t n, size_t k, size_t j,
                        double *mean, double *se) {
  double s = 0.0, ss = 0.0;
  for (size_t i = 0; i < n; i++)
    s += x[i * k + j];
  *mean = s / n;
  for (size_t i = 0; i < n; i++)
    ss += (x[i * k + j] - *mean) * (x[i * k + j] - *mean);
  *se = sqrt(ss / (n - 1) / n);
}

/* ---- Categorical ----------------------------------------------------------*/

static void test_categorical(void) {
  const DistFamily *f = &dist_categorical;
  double p[] = {0.2385, 0.4417, 0.3198};
  double x[] = {0, 2, 1, 2, 2};
  DistTensor in[2] = {vec(x, 5), vec(p, 3)};
  CHECK_NEAR(lp_of(f, in), log(p[0]) + log(p[1]) + 3 * log(p[2]), 1e-14);
  double x1 = 1;
  DistTensor in1[2] = {scal(&x1), vec(p, 3)};
  CHECK_NEAR(lp_of(f, in1), log(0.4417), 1e-15);
  check_partials(f, in, (PartKind[]){PART_NONE, PART_TIGHT});
  /* one row of p per element of x */
  double pm[] = {0.2385, 0.4417, 0.3198, 0.1, 0.1, 0.8, 0.7713, 0.0, 0.2287};
  double xm[] = {2, 0, 2};
  DistTensor inm[2] = {vec(xm, 3), mat(pm, 3, 3)};
  CHECK_NEAR(lp_of(f, inm), log(0.3198) + log(0.1) + log(0.2287), 1e-14);
  check_partials(f, inm, (PartKind[]){PART_NONE, PART_TIGHT});
  /* rows recycled: six elements over three rows, element i uses i mod 3 */
  double x6[] = {2, 0, 2, 1, 2, 0};
  DistTensor in6[2] = {vec(x6, 6), mat(pm, 3, 3)};
  CHECK_NEAR(lp_of(f, in6),
             log(0.3198) + log(0.1) + log(0.2287) + log(0.4417) + log(0.8) +
                 log(0.7713),
             1e-14);
  check_partials(f, in6, (PartKind[]){PART_NONE, PART_TIGHT});
  /* a 1 x K matrix is shared */
  DistTensor in1k[2] = {vec(x, 5), mat(p, 1, 3)};
  CHECK_NEAR(lp_of(f, in1k), lp_of(f, in), 1e-14);
  /* x of any shape with a vector p */
  double xx[] = {0, 1, 2, 2};
  DistTensor inx[2] = {mat(xx, 2, 2), vec(p, 3)};
  CHECK_NEAR(lp_of(f, inx), log(p[0]) + log(p[1]) + 2 * log(p[2]), 1e-14);
  /* invalid */
  double bad_x[] = {3, -1, 1.5, NAN};
  for (int i = 0; i < 4; i++)
    INVALID(f, scal(&bad_x[i]), vec(p, 3));
  INVALID(f, vec(x, 5), vec(V(0.2385, 0.4417, 0.3), 3));
  INVALID(f, vec(x, 5), vec(V(-0.1, 0.6, 0.5), 3));
  INVALID(f, vec(x, 5), vec(V(0.5, 0.5, NAN), 3));
  INVALID(f, scal(V(1)), vec(V(0.5, 0.0, 0.5), 3));
  INVALID(f, vec(xm, 2), mat(pm, 3, 3));
  INVALID(f, vec(x, 5), vec(p, 0));
  /* random: chi-square over the categories */
  static double draws[NDRAWS];
  Rng *rng = test_rng(31);
  DistTensor prm[1] = {vec(p, 3)};
  if (CHECK(f->random(rng, prm, draws, NDRAWS))) {
    double count[3] = {0, 0, 0}, chi2 = 0.0;
    for (int i = 0; i < NDRAWS; i++)
      count[(int)draws[i]] += 1.0;
    for (int j = 0; j < 3; j++)
      chi2 += (count[j] - NDRAWS * p[j]) * (count[j] - NDRAWS * p[j]) /
              (NDRAWS * p[j]);
    CHECK(gsl_cdf_chisq_Q(chi2, 2) > CHISQ_ALPHA);
  }
  /* a matrix p: draw i uses row i mod R; a zero probability never drawn */
  DistTensor prm2[1] = {mat(V(0.9, 0.1, 0.0, 0.0, 0.0, 1.0), 2, 3)};
  bool rows_ok = true;
  if (CHECK(f->random(rng, prm2, draws, 1000)))
    for (int i = 0; i < 1000; i++)
      rows_ok &= i % 2 ? draws[i] == 2.0 : draws[i] < 2.0;
  CHECK(rows_ok);
  CHECK(!f->random(rng, prm2, draws, 999));
  DistTensor bad[1] = {vec(V(0.5, 0.6), 2)};
  CHECK(!f->random(rng, bad, draws, 10));
  rng_free(rng);
  /* check */
  CHECK(shape_is(f, (DistTensor[]){vec(p, 3)}, 0, 1, 1));
  CHECK(shape_is(f, (DistTensor[]){mat(pm, 3, 3)}, 1, 3, 1));
  check_error(f, (DistTensor[]){scal(V(0.5))},
              "Categorical: p must be a vector of probabilities, one per "
              "category, got a single number");
  check_error(f, (DistTensor[]){vec(p, 0)},
              "Categorical: p is empty; it needs one probability per "
              "category");
}

/* ---- Dirichlet
 * --------------------------------------------------------------*/

static double ref_dirichlet(const double *a, const double *x, size_t k) {
  return gsl_ran_dirichlet_lnpdf(k, a, x);
}

static void test_dirichlet(void) {
  const DistFamily *f = &dist_dirichlet;
  double a[] = {2.385, 0.7713, 4.1};
  double x[] = {0.2, 0.3, 0.5};
  DistTensor in[2] = {vec(x, 3), vec(a, 3)};
  CHECK_NEAR(lp_of(f, in), ref_dirichlet(a, x, 3), 1e-12);
  /* a = 1 is uniform: density (K - 1)! */
  DistTensor inu[2] = {vec(x, 3), vec(V(1, 1, 1), 3)};
  CHECK_NEAR(lp_of(f, inu), log(2.0), 1e-14);
  double x4[] = {0.1113, 0.0917, 0.4466, 0.3504};
  double a4[] = {0.5, 1.5, 3.25, 7.0};
  DistTensor in4[2] = {vec(x4, 4), vec(a4, 4)};
  CHECK_NEAR(lp_of(f, in4), ref_dirichlet(a4, x4, 4), 1e-12);
  check_partials(f, in, (PartKind[]){PART_TIGHT, PART_FREE});
  check_partials(f, in4, (PartKind[]){PART_TIGHT, PART_FREE});
  /* stacked rows with a shared a */
  double xs[] = {0.2, 0.3, 0.5, 0.6113, 0.0887, 0.3, 0.05, 0.9, 0.05};
  DistTensor ins[2] = {mat(xs, 3, 3), vec(a, 3)};
  CHECK_NEAR(lp_of(f, ins),
             ref_dirichlet(a, xs, 3) + ref_dirichlet(a, xs + 3, 3) +
                 ref_dirichlet(a, xs + 6, 3),
             1e-11);
  check_partials(f, ins, (PartKind[]){PART_TIGHT, PART_FREE});
  /* one row of a per row of x */
  double as[] = {2.385, 0.7713, 4.1, 1.0, 2.0, 3.0, 0.31, 0.47, 0.52};
  DistTensor inr[2] = {mat(xs, 3, 3), mat(as, 3, 3)};
  CHECK_NEAR(lp_of(f, inr),
             ref_dirichlet(as, xs, 3) + ref_dirichlet(as + 3, xs + 3, 3) +
                 ref_dirichlet(as + 6, xs + 6, 3),
             1e-11);
  check_partials(f, inr, (PartKind[]){PART_TIGHT, PART_FREE});
  /* two rows of a recycled over four rows of x */
  double x4r[] = {0.2,  0.3, 0.5,  0.6113, 0.0887, 0.3,
                  0.05, 0.9, 0.05, 0.25,   0.25,   0.5};
  DistTensor inc[2] = {mat(x4r, 4, 3), mat(as, 2, 3)};
  CHECK_NEAR(lp_of(f, inc),
             ref_dirichlet(as, x4r, 3) + ref_dirichlet(as + 3, x4r + 3, 3) +
                 ref_dirichlet(as, x4r + 6, 3) +
                 ref_dirichlet(as + 3, x4r + 9, 3),
             1e-11);
  check_partials(f, inc, (PartKind[]){PART_TIGHT, PART_FREE});
  /* invalid */
  INVALID(f, vec(V(0.2, 0.3, 0.51), 3), vec(a, 3));
  INVALID(f, vec(V(0.0, 0.5, 0.5), 3), vec(a, 3));
  INVALID(f, vec(V(-0.1, 0.6, 0.5), 3), vec(a, 3));
  INVALID(f, vec(V(0.2, 0.3, NAN), 3), vec(a, 3));
  INVALID(f, vec(x, 3), vec(V(2.385, 0.0, 4.1), 3));
  INVALID(f, vec(x, 3), vec(V(2.385, -1.0, 4.1), 3));
  INVALID(f, vec(x, 3), vec(V(2.385, NAN, 4.1), 3));
  INVALID(f, vec(x, 3), vec(V(2.385, INFINITY, 4.1), 3));
  INVALID(f, vec(x, 3), vec(a4, 4));
  INVALID(f, mat(xs, 3, 3), mat(as, 2, 3));
  /* random: moments and the simplex */
  static double draws[NDRAWS * 3];
  Rng *rng = test_rng(32);
  DistTensor prm[1] = {vec(a, 3)};
  if (CHECK(f->random(rng, prm, draws, NDRAWS * 3))) {
    const double sum_a = a[0] + a[1] + a[2];
    bool simplex = true;
    for (int i = 0; i < NDRAWS; i++)
      simplex &= fabs(draws[3 * i] + draws[3 * i + 1] + draws[3 * i + 2] -
                      1.0) < 1e-12;
    CHECK(simplex);
    for (size_t j = 0; j < 3; j++) {
      double m, se;
      column_mean(draws, NDRAWS, 3, j, &m, &se);
      CHECK_NEAR(m, a[j] / sum_a, MOMENT_SE * se);
      const double var =
          a[j] * (sum_a - a[j]) / (sum_a * sum_a * (sum_a + 1.0));
      CHECK_NEAR(se * se * NDRAWS, var, 0.05 * var);
    }
    DistTensor all[2] = {mat(draws, NDRAWS, 3), vec(a, 3)};
    CHECK(isfinite(lp_of(f, all)));
  }
  /* a matrix a: row i of the output uses row i mod R */
  DistTensor prm2[1] = {mat(V(1e3, 1e-3, 1e-3, 1e-3, 1e-3, 1e3), 2, 3)};
  if (CHECK(f->random(rng, prm2, draws, 12)))
    CHECK(draws[0] > 0.99 && draws[5] > 0.99 && draws[6] > 0.99 &&
          draws[11] > 0.99);
  CHECK(!f->random(rng, prm2, draws, 9));
  CHECK(!f->random(rng, (DistTensor[]){vec(V(1, -1), 2)}, draws, 2));
  rng_free(rng);
  /* check */
  CHECK(shape_is(f, (DistTensor[]){vec(a, 3)}, 1, 3, 1));
  CHECK(shape_is(f, (DistTensor[]){mat(as, 3, 3)}, 2, 3, 3));
  check_error(f, (DistTensor[]){scal(V(2.0))},
              "Dirichlet: a must be a vector of concentrations, one per "
              "category, got a single number");
  check_error(f, (DistTensor[]){vec(V(2.0), 1)},
              "Dirichlet: a needs at least 2 concentrations, got 1");
}

/* ---- Multinomial
 * --------------------------------------------------------------*/

static double ref_multinomial(const double *p, const double *x, size_t k) {
  unsigned n[8];
  for (size_t j = 0; j < k; j++)
    n[j] = (unsigned)x[j];
  return gsl_ran_multinomial_lnpdf(k, p, n);
}

static void test_multinomial(void) {
  const DistFamily *f = &dist_multinomial;
  double p[] = {0.2385, 0.4417, 0.3198}, n = 10;
  double x[] = {2, 5, 3};
  DistTensor in[3] = {vec(x, 3), scal(&n), vec(p, 3)};
  CHECK_NEAR(lp_of(f, in), ref_multinomial(p, x, 3), 1e-12);
  check_partials(f, in, (PartKind[]){PART_NONE, PART_NONE, PART_TIGHT});
  /* edge: an impossible category with no counts */
  double pz[] = {0.5, 0.0, 0.5}, xz[] = {3, 0, 2}, nz = 5;
  DistTensor inz[3] = {vec(xz, 3), scal(&nz), vec(pz, 3)};
  CHECK_NEAR(lp_of(f, inz), log(10.0) + 5 * log(0.5), 1e-13);
  /* n = 0: the empty draw has probability 1 */
  double x0[] = {0, 0, 0}, n0 = 0;
  DistTensor in0[3] = {vec(x0, 3), scal(&n0), vec(p, 3)};
  CHECK_NEAR(lp_of(f, in0), 0.0, 1e-15);
  /* stacked rows, one n per row, shared p */
  double xs[] = {2, 5, 3, 0, 7, 0, 1, 1, 1};
  double ns[] = {10, 7, 3};
  DistTensor ins[3] = {mat(xs, 3, 3), vec(ns, 3), vec(p, 3)};
  CHECK_NEAR(lp_of(f, ins),
             ref_multinomial(p, xs, 3) + ref_multinomial(p, xs + 3, 3) +
                 ref_multinomial(p, xs + 6, 3),
             1e-11);
  check_partials(f, ins, (PartKind[]){PART_NONE, PART_NONE, PART_TIGHT});
  /* one row of p per row */
  double ps[] = {0.2385, 0.4417, 0.3198, 0.1, 0.8, 0.1, 0.6, 0.3, 0.1};
  DistTensor inr[3] = {mat(xs, 3, 3), vec(ns, 3), mat(ps, 3, 3)};
  CHECK_NEAR(lp_of(f, inr),
             ref_multinomial(ps, xs, 3) + ref_multinomial(ps + 3, xs + 3, 3) +
                 ref_multinomial(ps + 6, xs + 6, 3),
             1e-11);
  check_partials(f, inr, (PartKind[]){PART_NONE, PART_NONE, PART_TIGHT});
  /* two rows of p recycled over four rows of x, n shared */
  double x4r[] = {2, 5, 3, 1, 1, 8, 4, 4, 2, 0, 10, 0};
  DistTensor inc[3] = {mat(x4r, 4, 3), scal(&n), mat(ps, 2, 3)};
  CHECK_NEAR(lp_of(f, inc),
             ref_multinomial(ps, x4r, 3) + ref_multinomial(ps + 3, x4r + 3, 3) +
                 ref_multinomial(ps, x4r + 6, 3) +
                 ref_multinomial(ps + 3, x4r + 9, 3),
             1e-11);
  check_partials(f, inc, (PartKind[]){PART_NONE, PART_NONE, PART_TIGHT});
  /* invalid */
  INVALID(f, vec(V(2, 5, 4), 3), scal(&n), vec(p, 3));
  INVALID(f, vec(V(2, 5.5, 2.5), 3), scal(&n), vec(p, 3));
  INVALID(f, vec(V(-2, 9, 3), 3), scal(&n), vec(p, 3));
  INVALID(f, vec(V(2, 5, 3), 3), scal(V(10.5)), vec(p, 3));
  INVALID(f, vec(V(2, 5, 3), 3), scal(&n), vec(V(0.2, 0.4, 0.3), 3));
  INVALID(f, vec(V(2, 5, 3), 3), scal(&n), vec(V(0.6, 0.0, 0.4), 3));
  INVALID(f, vec(V(2, 5, 3), 3), scal(&n), vec(V(0.6, -0.1, 0.5), 3));
  INVALID(f, vec(V(2, 5, 3), 3), scal(&n), vec(V(0.5, 0.5), 2));
  INVALID(f, mat(xs, 3, 3), vec(ns, 2), vec(p, 3));
  INVALID(f, mat(xs, 3, 3), vec(ns, 3), mat(ps, 2, 3));
  /* random: moments and row totals */
  static double draws[NDRAWS * 3];
  Rng *rng = test_rng(33);
  double nn = 20;
  DistTensor prm[2] = {scal(&nn), vec(p, 3)};
  if (CHECK(f->random(rng, prm, draws, NDRAWS * 3))) {
    bool totals = true;
    for (int i = 0; i < NDRAWS; i++)
      totals &= draws[3 * i] + draws[3 * i + 1] + draws[3 * i + 2] == nn;
    CHECK(totals);
    for (size_t j = 0; j < 3; j++) {
      double m, se;
      column_mean(draws, NDRAWS, 3, j, &m, &se);
      CHECK_NEAR(m, nn * p[j], MOMENT_SE * se);
      const double var = nn * p[j] * (1.0 - p[j]);
      CHECK_NEAR(se * se * NDRAWS, var, 0.05 * var);
    }
    DistTensor all[3] = {mat(draws, NDRAWS, 3), scal(&nn), vec(p, 3)};
    CHECK(isfinite(lp_of(f, all)));
  }
  /* per-row n, recycled */
  DistTensor prm2[2] = {vec(V(5, 50), 2), vec(p, 3)};
  if (CHECK(f->random(rng, prm2, draws, 12)))
    CHECK(draws[0] + draws[1] + draws[2] == 5 &&
          draws[3] + draws[4] + draws[5] == 50 &&
          draws[6] + draws[7] + draws[8] == 5);
  CHECK(!f->random(rng, prm2, draws, 9));
  CHECK(!f->random(rng, (DistTensor[]){scal(V(2.5)), vec(p, 3)}, draws, 3));
  CHECK(!f->random(rng, (DistTensor[]){scal(&nn), vec(V(0.5, 0.6), 2)}, draws,
                   2));
  rng_free(rng);
  /* check */
  CHECK(shape_is(f, (DistTensor[]){scal(&n), vec(p, 3)}, 1, 3, 1));
  CHECK(shape_is(f, (DistTensor[]){vec(ns, 3), vec(p, 3)}, 2, 3, 3));
  CHECK(shape_is(f, (DistTensor[]){scal(&n), mat(ps, 3, 3)}, 2, 3, 3));
  CHECK(shape_is(f, (DistTensor[]){vec(ns, 3), mat(ps, 3, 3)}, 2, 3, 3));
  check_error(f,
              (DistTensor[]){vec(ns, 3), mat(V(0, 0, 0, 0, 0, 0, 0, 0), 4, 2)},
              "Multinomial: n has 3 counts but p has 4 rows");
  check_error(f, (DistTensor[]){scal(&n), scal(V(1))},
              "Multinomial: p must be a vector of probabilities, one per "
              "category, got a single number");
  check_error(f, (DistTensor[]){mat(ns, 1, 3), vec(p, 3)},
              "Multinomial: n must be a number of trials or a vector of "
              "them, one per row");
}

/* ---- MvNormal
 * ----------------------------------------------------------------*/

static double ref_mvnormal(const double *x, const double *mu, const double *l,
                           size_t k) {
  gsl_vector_const_view xv = gsl_vector_const_view_array(x, k);
  gsl_vector_const_view mv = gsl_vector_const_view_array(mu, k);
  gsl_matrix_const_view lv = gsl_matrix_const_view_array(l, k, k);
  gsl_vector *work = gsl_vector_alloc(k);
  double r;
  gsl_ran_multivariate_gaussian_log_pdf(&xv.vector, &mv.vector, &lv.matrix, &r,
                                        work);
  gsl_vector_free(work);
  return r;
}

static void test_mvnormal(void) {
  const DistFamily *f = &dist_mvnormal;
  double l[] = {1.3, 0, 0, 0.4417, 0.9, 0, -0.31, 0.2385, 0.71};
  double mu[] = {0.5, -1.2, 2.0};
  double x[] = {0.9, -0.3, 1.1};
  DistTensor in[3] = {vec(x, 3), vec(mu, 3), mat(l, 3, 3)};
  CHECK_NEAR(lp_of(f, in), ref_mvnormal(x, mu, l, 3), 1e-12);
  check_partials(f, in, (PartKind[]){PART_FREE, PART_FREE, PART_LOWER_FREE});
  /* stacked rows with a shared mean */
  double xs[] = {0.9,  -0.3, 1.1, 2.5, -1.0, 0.0,
                 -0.7, 0.2,  3.3, 0.1, -2.2, 1.9};
  DistTensor ins[3] = {mat(xs, 4, 3), vec(mu, 3), mat(l, 3, 3)};
  double want = 0.0;
  for (int i = 0; i < 4; i++)
    want += ref_mvnormal(xs + 3 * i, mu, l, 3);
  CHECK_NEAR(lp_of(f, ins), want, 1e-11);
  check_partials(f, ins, (PartKind[]){PART_FREE, PART_FREE, PART_LOWER_FREE});
  /* one mean per row */
  double ms[] = {0.5, -1.2, 2.0, 2.0, -0.5, 0.3, 0.0, 0.0, 0.0, -1.0, 1.0, 2.0};
  DistTensor inr[3] = {mat(xs, 4, 3), mat(ms, 4, 3), mat(l, 3, 3)};
  want = 0.0;
  for (int i = 0; i < 4; i++)
    want += ref_mvnormal(xs + 3 * i, ms + 3 * i, l, 3);
  CHECK_NEAR(lp_of(f, inr), want, 1e-11);
  check_partials(f, inr, (PartKind[]){PART_FREE, PART_FREE, PART_LOWER_FREE});
  /* two mean rows recycled over four rows of x: row i uses i mod 2 */
  DistTensor inc[3] = {mat(xs, 4, 3), mat(ms, 2, 3), mat(l, 3, 3)};
  want = 0.0;
  for (int i = 0; i < 4; i++)
    want += ref_mvnormal(xs + 3 * i, ms + 3 * (i % 2), l, 3);
  CHECK_NEAR(lp_of(f, inc), want, 1e-11);
  check_partials(f, inc, (PartKind[]){PART_FREE, PART_FREE, PART_LOWER_FREE});
  /* a single number as the mean of every component */
  double m1 = 0.4417;
  DistTensor in1[3] = {mat(xs, 4, 3), scal(&m1), mat(l, 3, 3)};
  double m1v[] = {m1, m1, m1};
  want = 0.0;
  for (int i = 0; i < 4; i++)
    want += ref_mvnormal(xs + 3 * i, m1v, l, 3);
  CHECK_NEAR(lp_of(f, in1), want, 1e-11);
  check_partials(f, in1, (PartKind[]){PART_FREE, PART_FREE, PART_LOWER_FREE});
  /* K = 1 is the normal distribution */
  double s1 = 1.7, x1[] = {0.3, -2.0}, mu0 = 0.25;
  DistTensor ink[3] = {mat(x1, 2, 1), scal(&mu0), mat(&s1, 1, 1)};
  CHECK_NEAR(lp_of(f, ink),
             log(gsl_ran_gaussian_pdf(0.3 - 0.25, 1.7)) +
                 log(gsl_ran_gaussian_pdf(-2.0 - 0.25, 1.7)),
             1e-13);
  /* a larger K: the work space leaves the stack */
  enum { BIGK = 70 };
  static double lb[BIGK * BIGK], xb[BIGK], mb[BIGK];
  for (int i = 0; i < BIGK; i++) {
    xb[i] = sin(1.0 + i);
    mb[i] = 0.1 * cos(2.0 * i);
    for (int j = 0; j < BIGK; j++)
      lb[i * BIGK + j] = j > i    ? 0.0
                         : j == i ? 1.0 + 0.01 * i
                                  : 0.05 / (1 + i - j);
  }
  DistTensor inb[3] = {vec(xb, BIGK), vec(mb, BIGK), mat(lb, BIGK, BIGK)};
  CHECK_NEAR(lp_of(f, inb), ref_mvnormal(xb, mb, lb, BIGK), 1e-10);
  /* invalid */
  INVALID(f, vec(x, 3), vec(mu, 3),
          mat(V(1.3, 0, 0, 0.4, 0.0, 0, -0.3, 0.2, 0.7), 3, 3));
  INVALID(f, vec(x, 3), vec(mu, 3),
          mat(V(1.3, 0, 0, 0.4, -0.9, 0, -0.3, 0.2, 0.7), 3, 3));
  INVALID(f, vec(x, 3), vec(mu, 3),
          mat(V(1.3, 0.1, 0, 0.4, 0.9, 0, -0.3, 0.2, 0.7), 3, 3));
  INVALID(f, vec(x, 3), vec(mu, 3),
          mat(V(1.3, 0, 0, 0.4, NAN, 0, -0.3, 0.2, 0.7), 3, 3));
  INVALID(f, vec(V(0.9, NAN, 1.1), 3), vec(mu, 3), mat(l, 3, 3));
  INVALID(f, vec(V(0.9, INFINITY, 1.1), 3), vec(mu, 3), mat(l, 3, 3));
  INVALID(f, vec(x, 3), vec(V(0.5, -INFINITY, 2.0), 3), mat(l, 3, 3));
  INVALID(f, vec(x, 3), vec(mu, 2), mat(l, 3, 3));
  INVALID(f, vec(x, 2), vec(mu, 2), mat(l, 3, 3));
  INVALID(f, mat(xs, 4, 3), mat(ms, 3, 3), mat(l, 3, 3));
  INVALID(f, vec(x, 3), vec(mu, 3), mat(l, 1, 9));
  /* random: mean and covariance L L^T */
  static double draws[NDRAWS * 3];
  Rng *rng = test_rng(34);
  DistTensor prm[2] = {vec(mu, 3), mat(l, 3, 3)};
  if (CHECK(f->random(rng, prm, draws, NDRAWS * 3))) {
    double sigma[9], mean[3], se;
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) {
        double s = 0.0;
        for (int c = 0; c < 3; c++)
          s += l[a * 3 + c] * l[b * 3 + c];
        sigma[a * 3 + b] = s;
      }
    for (size_t j = 0; j < 3; j++) {
      column_mean(draws, NDRAWS, 3, j, &mean[j], &se);
      CHECK_NEAR(mean[j], mu[j], MOMENT_SE * sqrt(sigma[j * 4] / NDRAWS));
    }
    for (int a = 0; a < 3; a++)
      for (int b = 0; b <= a; b++) {
        double s = 0.0;
        for (int i = 0; i < NDRAWS; i++)
          s += (draws[3 * i + a] - mean[a]) * (draws[3 * i + b] - mean[b]);
        const double cov = s / (NDRAWS - 1);
        const double sab = sigma[a * 3 + b];
        const double se_cov =
            sqrt((sigma[a * 4] * sigma[b * 4] + sab * sab) / NDRAWS);
        CHECK_NEAR(cov, sab, MOMENT_SE * se_cov);
      }
  }
  /* a matrix of means: row i uses mean row i mod R */
  DistTensor prm2[2] = {mat(V(100, 100, 100, -100, -100, -100), 2, 3),
                        mat(l, 3, 3)};
  if (CHECK(f->random(rng, prm2, draws, 12)))
    CHECK(draws[0] > 50 && draws[3] < -50 && draws[6] > 50 && draws[9] < -50);
  CHECK(!f->random(rng, prm2, draws, 9));
  CHECK(!f->random(rng, (DistTensor[]){vec(mu, 3), mat(V(1, 0, 1, 1), 2, 2)},
                   draws, 2));
  rng_free(rng);
  /* check */
  CHECK(shape_is(f, (DistTensor[]){vec(mu, 3), mat(l, 3, 3)}, 1, 3, 1));
  CHECK(shape_is(f, (DistTensor[]){scal(&m1), mat(l, 3, 3)}, 1, 3, 1));
  CHECK(shape_is(f, (DistTensor[]){mat(ms, 4, 3), mat(l, 3, 3)}, 2, 4, 3));
  static double l4[16];
  check_error(f, (DistTensor[]){vec(mu, 3), mat(l4, 4, 4)},
              "MvNormal: mu has 3 elements but chol is 4 x 4");
  check_error(f, (DistTensor[]){mat(ms, 4, 3), mat(l4, 4, 4)},
              "MvNormal: mu has 3 columns but chol is 4 x 4");
  check_error(f, (DistTensor[]){vec(mu, 3), vec(l, 3)},
              "MvNormal: chol must be a square matrix (the lower Cholesky "
              "factor of the covariance), got a vector of 3");
  check_error(f, (DistTensor[]){vec(mu, 3), mat(l, 3, 2)},
              "MvNormal: chol must be a square matrix (the lower Cholesky "
              "factor of the covariance), got a 3 x 2 matrix");
}

/* ---- LKJCorrCholesky
 * -----------------------------------------------------------*/

/* log of the LKJ normalising constant as Lewandowski, Kurowicka & Joe
 * (2009) write it: sum_k (2 eta - 2 + n - k)(n - k) log 2
 * + (n - k) log B(eta + (n - k - 1) / 2, the same), k = 1 .. n - 1. */
static double lkj_log_z_beta(double eta, int n) {
  double s = 0.0;
  for (int k = 1; k < n; k++) {
    const double b = eta + 0.5 * (n - k - 1);
    s += (2.0 * eta - 2.0 + n - k) * (n - k) * log(2.0) +
         (n - k) * gsl_sf_lnbeta(b, b);
  }
  return s;
}

static double lkj_at(double *l, size_t n, double eta) {
  double nn = (double)n;
  DistTensor in[3] = {mat(l, n, n), scal(&eta), scal(&nn)};
  return lp_of(&dist_lkjcorrcholesky, in);
}

typedef struct LkjEta {
  double eta;
} LkjEta;

/* The n = 2 density as a function of r = L[1][0]. */
static double lkj2_density(double r, void *ctx) {
  double l[4] = {1.0, 0.0, r, sqrt(1.0 - r * r)};
  return exp(lkj_at(l, 2, ((LkjEta *)ctx)->eta));
}

/* The lower Cholesky factor of the correlation matrix omega (n x n), by
 * GSL. */
static void chol_of(const double *omega, size_t n, double *l) {
  gsl_matrix *m = gsl_matrix_alloc(n, n);
  memcpy(m->data, omega, n * n * sizeof *l);
  gsl_linalg_cholesky_decomp1(m);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      l[i * n + j] = j > i ? 0.0 : gsl_matrix_get(m, i, j);
  gsl_matrix_free(m);
}

static double log_det(const double *omega, size_t n) {
  gsl_matrix *m = gsl_matrix_alloc(n, n);
  memcpy(m->data, omega, n * n * sizeof *omega);
  gsl_permutation *perm = gsl_permutation_alloc(n);
  int sign;
  gsl_linalg_LU_decomp(m, perm, &sign);
  const double d = gsl_linalg_LU_lndet(m);
  gsl_permutation_free(perm);
  gsl_matrix_free(m);
  return d;
}

static void test_lkj(void) {
  const DistFamily *f = &dist_lkjcorrcholesky;
  /* n = 2 integrates to 1 over r in (-1, 1) */
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(200);
  static const double etas[] = {2.385, 1.0, 0.7};
  for (int i = 0; i < 3; i++) {
    LkjEta ctx = {etas[i]};
    gsl_function fn = {lkj2_density, &ctx};
    double total, err;
    gsl_integration_qags(&fn, -1.0, 1.0, 1e-12, 1e-10, 200, ws, &total, &err);
    CHECK_NEAR(total, 1.0, 1e-8);
  }
  gsl_integration_workspace_free(ws);
  /* eta = 1, n = 3: uniform over the elliptope, whose volume is pi^2 / 2 */
  double id3[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  CHECK_NEAR(lkj_at(id3, 3, 1.0), -log(PI * PI / 2.0), 1e-13);
  /* at the identity log p = -log Z: the Beta-function form */
  static const double etas2[] = {0.5, 1.0, 2.385, 17.2};
  for (int n = 2; n <= 6; n++)
    for (int e = 0; e < 4; e++) {
      double id[36] = {0};
      for (int i = 0; i < n; i++)
        id[i * n + i] = 1.0;
      const double want = -lkj_log_z_beta(etas2[e], n);
      CHECK_NEAR(lkj_at(id, n, etas2[e]), want, 1e-11 * fmax(1, fabs(want)));
    }
  /* away from the identity: (eta - 1) log det Omega + the Jacobian
   * sum_i (n - i - 1) log L_ii - log Z */
  double omega[16] = {1.0,  0.3, -0.2, 0.45,  0.3,  1.0, 0.4,   0.1,
                      -0.2, 0.4, 1.0,  -0.35, 0.45, 0.1, -0.35, 1.0};
  double l[16];
  chol_of(omega, 4, l);
  const double eta = 2.385;
  double jac = 0.0;
  for (int i = 0; i < 4; i++)
    jac += (4 - i - 1) * log(l[i * 4 + i]);
  const double want =
      (eta - 1.0) * log_det(omega, 4) + jac - lkj_log_z_beta(eta, 4);
  CHECK_NEAR(lkj_at(l, 4, eta), want, 1e-11);
  /* partials: the factor (a surface) and eta */
  double eta_v = eta, n4 = 4;
  DistTensor in[3] = {mat(l, 4, 4), scal(&eta_v), scal(&n4)};
  check_partials(f, in, (PartKind[]){PART_LOWER, PART_FREE, PART_NONE});
  eta_v = 0.6113;
  check_partials(f, in, (PartKind[]){PART_LOWER, PART_FREE, PART_NONE});
  double l3[9], omega3[9] = {1.0, -0.7, 0.2, -0.7, 1.0, 0.1, 0.2, 0.1, 1.0};
  chol_of(omega3, 3, l3);
  double n3 = 3;
  eta_v = 1.0;
  DistTensor in3[3] = {mat(l3, 3, 3), scal(&eta_v), scal(&n3)};
  check_partials(f, in3, (PartKind[]){PART_LOWER, PART_FREE, PART_NONE});
  /* n = 1: the 1 x 1 factor [1] */
  double one = 1.0, n1 = 1.0;
  eta_v = 2.0;
  DistTensor in1[3] = {mat(&one, 1, 1), scal(&eta_v), scal(&n1)};
  CHECK(lp_of(f, in1) == 0.0);
  /* invalid */
  INVALID(f, mat(l, 4, 4), scal(V(0.0)), scal(&n4));
  INVALID(f, mat(l, 4, 4), scal(V(-1.0)), scal(&n4));
  INVALID(f, mat(l, 4, 4), scal(V(NAN)), scal(&n4));
  INVALID(f, mat(l, 4, 4), scal(V(INFINITY)), scal(&n4));
  INVALID(f, mat(l, 4, 4), scal(V(2.0)), scal(V(3.0)));
  INVALID(f, mat(l, 4, 4), scal(V(2.0)), scal(V(4.5)));
  INVALID(f, mat(l, 4, 4), vec(V(2.0, 1.0), 2), scal(&n4));
  INVALID(f, mat(l, 2, 8), scal(V(2.0)), scal(&n4));
  INVALID(f, mat(V(1, 0, 0, 0.6, 0.8, 0.1, 0, 0, 1), 3, 3), scal(V(2.0)),
          scal(&n3));
  INVALID(f, mat(V(1, 0, 0, 0.6, -0.8, 0, 0, 0, 1), 3, 3), scal(V(2.0)),
          scal(&n3));
  INVALID(f, mat(V(1, 0, 0, 0.6, 0.81, 0, 0, 0, 1), 3, 3), scal(V(2.0)),
          scal(&n3));
  INVALID(f, mat(V(1.1, 0, 0, 0.6, 0.8, 0, 0, 0, 1), 3, 3), scal(V(2.0)),
          scal(&n3));
  INVALID(f, mat(V(1, 0, 0, 0.6, 0.8, 0, 0, NAN, 1), 3, 3), scal(V(2.0)),
          scal(&n3));
  /* random: valid factors; each correlation has mean 0 and variance
   * 1 / (2 eta + n - 1) (its marginal is a Beta on (-1, 1)) */
  static const struct {
    double eta;
    int n;
  } cases[] = {{2.385, 4}, {1.0, 3}, {0.5, 5}};
  static double draws[NDRAWS * 25];
  for (int c = 0; c < 3; c++) {
    const int n = cases[c].n;
    double e = cases[c].eta, nd = n;
    Rng *rng = test_rng(35 + c);
    DistTensor prm[2] = {scal(&e), scal(&nd)};
    if (!CHECK(f->random(rng, prm, draws, (size_t)NDRAWS * n * n))) {
      rng_free(rng);
      continue;
    }
    rng_free(rng);
    bool valid = true;
    for (int i = 0; i < NDRAWS; i++)
      valid &= isfinite(lkj_at(draws + (size_t)i * n * n, n, e));
    CHECK(valid);
    const double var = 1.0 / (2.0 * e + n - 1.0);
    for (int a = 1; a < n; a++)
      for (int b = 0; b < a; b++) {
        double s = 0.0, ss = 0.0, s4 = 0.0;
        for (int i = 0; i < NDRAWS; i++) {
          const double *li = draws + (size_t)i * n * n;
          double r = 0.0;
          for (int k = 0; k <= b; k++)
            r += li[a * n + k] * li[b * n + k];
          s += r;
          ss += r * r;
          s4 += r * r * r * r;
        }
        const double m = s / NDRAWS, v = ss / NDRAWS;
        CHECK_NEAR(m, 0.0, MOMENT_SE * sqrt(var / NDRAWS));
        CHECK_NEAR(v, var, MOMENT_SE * sqrt((s4 / NDRAWS - v * v) / NDRAWS));
      }
  }
  Rng *rng = test_rng(40);
  CHECK(!f->random(rng, (DistTensor[]){scal(V(0.0)), scal(&n3)}, draws, 9));
  CHECK(!f->random(rng, (DistTensor[]){scal(V(1.0)), scal(&n3)}, draws, 8));
  CHECK(!f->random(rng, (DistTensor[]){scal(V(1.0)), scal(V(2.5))}, draws, 4));
  rng_free(rng);
  /* check */
  CHECK(shape_is(f, (DistTensor[]){scal(V(2.0)), scal(&n4)}, 2, 4, 4));
  check_error(f, (DistTensor[]){vec(V(1, 2), 2), scal(&n4)},
              "LKJCorrCholesky: eta must be a single number, got 2 of them");
  check_error(f, (DistTensor[]){scal(V(2.0)), scal(V(2.5))},
              "LKJCorrCholesky: n must be a whole number from 2 to 65535, "
              "got 2.5");
  check_error(f, (DistTensor[]){scal(V(2.0)), scal(V(1.0))},
              "LKJCorrCholesky: n must be a whole number from 2 to 65535, "
              "got 1");
  DistTensor unknown = {
      .data = NULL, .len = 1, .ndim = 0, .rows = 1, .cols = 1};
  check_error(f, (DistTensor[]){scal(V(2.0)), unknown},
              "LKJCorrCholesky: n must be a constant whole number, the "
              "dimension of the correlation matrix");
}

int main(void) {
  gsl_set_error_handler(count_gsl_error);
  test_categorical();
  test_dirichlet();
  test_multinomial();
  test_mvnormal();
  test_lkj();
  CHECK_EQ_INT(gsl_errors, 0);
  return check_summary();
}
