/*
 * test_dist_discrete.c — the discrete univariate families of src/dist/
 * (Bernoulli, Binomial, BetaBinomial, Poisson, NegativeBinomial, Geometric,
 * DiscreteUniform) and the registry of src/dist.c.
 *
 * Log masses are compared with GSL's pdfs (gsl_ran_binomial_pdf, ...) or
 * closed forms written differently from the code under test, at several
 * points including the edges of the support; every partial in a continuous
 * parameter against finite differences; broadcasting (a length-1 parameter
 * receives the summed partials); -INFINITY (never NaN, gradients untouched)
 * for every kind of invalid input; and 10^4 draws at a fixed seed against
 * the mass function by a chi-square test (plus mean and variance).
 *
 * Partials are checked with adj = 0.7 and gradients that start at 0.25, so
 * a missing scale factor or an `=` instead of `+=` shows. Finite
 * differences are central with one Richardson step (error O(h^4)). The
 * discrete x never gets a partial: its gradient buffer must stay at 0.25.
 */
#include <config.h>
#include "dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "check.h"
#include "rng.h"

enum { MAXIN = DIST_MAX_PARAMS + 1, MAXLEN = 8, NDRAWS = 10000 };

#define ADJ 0.7
#define G0 0.25
#define LP_RTOL 1e-10
#define FD_RTOL 1e-6
#define FD_STEP 1e-4
/* A chi-square test at a fixed seed fails a correct sampler with this
 * probability; the seeds are fixed, so the outcome is reproducible. */
#define CHISQ_ALPHA 1e-4
/* Sample moments must lie within this many standard errors. */
#define MOMENT_SE 5.0

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

/* A vector tensor over data (a scalar when len is 1). */
static DistTensor vec(double *data, size_t len) {
  return (DistTensor){.data = data,
                      .len = len,
                      .ndim = len == 1 ? 0 : 1,
                      .rows = len,
                      .cols = 1};
}

static double lp_of(const DistFamily *f, const DistTensor *in) {
  return f->lpdf(in, ADJ, NULL);
}

/* lpdf at scalar inputs v (x then the parameters), no gradient. */
static double lp_at(const DistFamily *f, double *v) {
  DistTensor in[MAXIN];
  for (int j = 0; j <= f->nparams; j++)
    in[j] = vec(&v[j], 1);
  return lp_of(f, in);
}

static double lp_tol(double want) { return LP_RTOL * fmax(1.0, fabs(want)); }

/* Gradient buffers of the inputs' lengths, every element G0. */
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

/* Whether every element of a gradient is still G0. */
static bool untouched(const double *g, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (g[i] != G0)
      return false;
  return true;
}

/* Central difference of the lpdf in element i of input k, with one
 * Richardson step. */
static double fd(const DistFamily *f, DistTensor *in, int k, size_t i,
                 double h) {
  double *d = (double *)in[k].data;
  const double x0 = d[i];
  double dh[2];
  for (int r = 0; r < 2; r++) {
    const double step = r == 0 ? h : h / 2.0;
    d[i] = x0 + step;
    const double up = lp_of(f, in);
    d[i] = x0 - step;
    const double dn = lp_of(f, in);
    dh[r] = (up - dn) / (2.0 * step);
  }
  d[i] = x0;
  return (4.0 * dh[1] - dh[0]) / 3.0;
}

/* Checks the partials in the inputs listed in ks (nk of them) against
 * finite differences, that x and the other inputs' gradients stay
 * untouched, and that the gradient call returns the same log mass. */
static void check_partials(const DistFamily *f, DistTensor *in, const int *ks,
                           int nk) {
  const int nin = f->nparams + 1;
  Grads g;
  grads_init(&g, nin);
  const double lp = f->lpdf(in, ADJ, g.ptr);
  CHECK_NEAR(lp, lp_of(f, in), lp_tol(lp));
  for (int j = 0; j < nin; j++) {
    bool listed = false;
    for (int m = 0; m < nk; m++)
      listed |= ks[m] == j;
    if (!listed) {
      CHECK(untouched(g.buf[j], in[j].len));
      continue;
    }
    for (size_t i = 0; i < in[j].len; i++) {
      const double want = ADJ * fd(f, in, j, i, FD_STEP);
      if (!CHECK_NEAR(g.buf[j][i] - G0, want, FD_RTOL * fmax(1.0, fabs(want))))
        fprintf(stderr, "  %s: partial in input %d, element %zu\n", f->name, j,
                i);
    }
  }
}

/* The call at scalar inputs v gives -INFINITY and leaves every gradient
 * untouched. */
static void check_invalid(const DistFamily *f, double *v) {
  DistTensor in[MAXIN];
  for (int j = 0; j <= f->nparams; j++)
    in[j] = vec(&v[j], 1);
  Grads g;
  grads_init(&g, f->nparams + 1);
  const double lp = f->lpdf(in, ADJ, g.ptr);
  bool clean = true;
  for (int j = 0; j <= f->nparams; j++)
    clean &= untouched(g.buf[j], 1);
  if (!CHECK(lp == -INFINITY && clean))
    fprintf(stderr, "  %s at x = %g: lp = %g\n", f->name, v[0], lp);
}

/* ---- draws ----------------------------------------------------------------*/

typedef double (*PmfFn)(double k, const double *prm);

/* Chi-square p-value of the draws (integers from lo up) against pmf: one
 * bin per value, neighbours merged until a bin expects at least 5 draws;
 * once fewer than 5 draws are expected beyond the current value, the rest
 * of the support joins the last bin (which then expects at least 5). */
static double chisq_pvalue(const double *draws, size_t n, PmfFn pmf,
                           const double *prm, int lo) {
  enum { MAXBINS = 2000 };
  static double count[MAXBINS];
  memset(count, 0, sizeof count);
  for (size_t i = 0; i < n; i++) {
    const double b = draws[i] - lo;
    count[b < MAXBINS - 1 ? (size_t)b : MAXBINS - 1] += 1.0;
  }
  double chi2 = 0.0, o = 0.0, e = 0.0, cum = 0.0;
  int bins = 0;
  size_t b = 0;
  for (; b < MAXBINS - 1; b++) {
    const double p = pmf(lo + (double)b, prm);
    o += count[b];
    e += n * p;
    cum += p;
    if (n * (1.0 - cum) < 5.0) {
      b++;
      break;
    }
    if (e >= 5.0) {
      chi2 += (o - e) * (o - e) / e;
      bins++;
      o = e = 0.0;
    }
  }
  for (; b < MAXBINS; b++)
    o += count[b];
  e += n * fmax(0.0, 1.0 - cum);
  chi2 += (o - e) * (o - e) / e;
  bins++;
  return gsl_cdf_chisq_Q(chi2, bins - 1);
}

/* Draws n values of f at the parameters prm (scalars) with seed. */
static bool draw_n(const DistFamily *f, double *prm, uint64_t seed, double *out,
                   size_t n) {
  DistTensor p[DIST_MAX_PARAMS];
  for (int j = 0; j < f->nparams; j++)
    p[j] = vec(&prm[j], 1);
  Rng *rng = rng_alloc(seed);
  const bool ok = f->random(rng, p, out, n);
  rng_free(rng);
  return ok;
}

/* Sample mean and variance, and the standard error of the variance,
 * sqrt((m4 - var^2) / n), from the sample's fourth central moment. */
static void moments(const double *x, size_t n, double *mean, double *var,
                    double *se_var) {
  double s = 0.0, s2 = 0.0, s4 = 0.0;
  for (size_t i = 0; i < n; i++)
    s += x[i];
  *mean = s / n;
  for (size_t i = 0; i < n; i++) {
    const double d2 = (x[i] - *mean) * (x[i] - *mean);
    s2 += d2;
    s4 += d2 * d2;
  }
  *var = s2 / (n - 1);
  *se_var = sqrt(fmax(s4 / n - (s2 / n) * (s2 / n), 0.0) / n);
}

/* Draws 10^4 values, checks the chi-square fit, the mean and variance
 * (within MOMENT_SE standard errors, the variance's
 * from the sample's fourth moment) and that every draw has a finite log
 * mass. */
static void check_draws(const DistFamily *f, double *prm, PmfFn pmf, int lo,
                        double mean, double var, uint64_t seed) {
  static double x[NDRAWS];
  if (!CHECK(draw_n(f, prm, seed, x, NDRAWS)))
    return;
  const double pv = chisq_pvalue(x, NDRAWS, pmf, prm, lo);
  if (!CHECK(pv > CHISQ_ALPHA))
    fprintf(stderr, "  %s draws: chi-square p-value %g\n", f->name, pv);
  double m, v, se_v;
  moments(x, NDRAWS, &m, &v, &se_v);
  CHECK_NEAR(m, mean, MOMENT_SE * sqrt(var / NDRAWS));
  CHECK_NEAR(v, var, MOMENT_SE * se_v);
  DistTensor in[MAXIN];
  in[0] = vec(x, NDRAWS);
  for (int j = 0; j < f->nparams; j++)
    in[j + 1] = vec(&prm[j], 1);
  CHECK(isfinite(lp_of(f, in)));
}

/* ---- Bernoulli ------------------------------------------------------------*/

static double pmf_bernoulli(double k, const double *prm) {
  return gsl_ran_bernoulli_pdf((unsigned)k, prm[0]);
}

static void test_bernoulli(void) {
  const DistFamily *f = &dist_bernoulli;
  CHECK_NEAR(lp_at(f, V(1, 0.3817)), log(0.3817), 1e-15);
  CHECK_NEAR(lp_at(f, V(0, 0.3817)), log(0.6183), 1e-15);
  CHECK_NEAR(lp_at(f, V(1, 0.9999)), log(0.9999), 1e-15);
  /* the edges: certain outcomes have log mass 0 */
  CHECK(lp_at(f, V(0, 0.0)) == 0.0);
  CHECK(lp_at(f, V(1, 1.0)) == 0.0);
  /* a vector of outcomes with one shared p */
  double x[] = {1, 0, 0, 1, 1}, p = 0.2385;
  DistTensor in[2] = {vec(x, 5), vec(&p, 1)};
  CHECK_NEAR(lp_of(f, in), 3 * log(p) + 2 * log1p(-p), 1e-13);
  check_partials(f, in, (int[]){1}, 1);
  /* one p per outcome */
  double pv[] = {0.2385, 0.7141, 0.5113, 0.0917, 0.8832};
  in[1] = vec(pv, 5);
  check_partials(f, in, (int[]){1}, 1);
  /* p at the edges, where the outcome is certain */
  double xe[] = {0, 1}, pe[] = {0.0, 1.0};
  DistTensor ine[2] = {vec(xe, 2), vec(pe, 2)};
  Grads g;
  grads_init(&g, 2);
  CHECK(f->lpdf(ine, ADJ, g.ptr) == 0.0);
  CHECK_NEAR(g.buf[1][0] - G0, -ADJ, 1e-15);
  CHECK_NEAR(g.buf[1][1] - G0, ADJ, 1e-15);
  /* invalid */
  check_invalid(f, V(1, 0.0));
  check_invalid(f, V(0, 1.0));
  check_invalid(f, V(0.5, 0.3));
  check_invalid(f, V(2, 0.3));
  check_invalid(f, V(-1, 0.3));
  check_invalid(f, V(1, -0.1));
  check_invalid(f, V(1, 1.1));
  check_invalid(f, V(1, NAN));
  check_invalid(f, V(NAN, 0.3));
  check_draws(f, V(0.3141), pmf_bernoulli, 0, 0.3141, 0.3141 * 0.6859, 11);
}

/* ---- Binomial -------------------------------------------------------------*/

static double pmf_binomial(double k, const double *prm) {
  return gsl_ran_binomial_pdf((unsigned)k, prm[1], (unsigned)prm[0]);
}

static void test_binomial(void) {
  const DistFamily *f = &dist_binomial;
  static const double pts[][3] = {{0, 17, 0.3817},   {6, 17, 0.3817},
                                  {17, 17, 0.3817},  {3, 5, 0.9123},
                                  {40, 113, 0.2385}, {1, 1, 0.5}};
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    double v[3] = {pts[i][0], pts[i][1], pts[i][2]};
    const double want =
        log(gsl_ran_binomial_pdf((unsigned)v[0], v[2], (unsigned)v[1]));
    CHECK_NEAR(lp_at(f, v), want, 1e-10 * fmax(1.0, fabs(want)));
  }
  /* edges */
  CHECK_NEAR(lp_at(f, V(0, 9, 0.0)), 0.0, 1e-15);
  CHECK_NEAR(lp_at(f, V(9, 9, 1.0)), 0.0, 1e-15);
  CHECK_NEAR(lp_at(f, V(0, 0, 0.3)), 0.0, 1e-15);
  /* n beyond unsigned int: log C(n, x) through log Gamma */
  {
    const double n = 6e9, x = 2e9, p = 0.3;
    const double want = gsl_sf_lngamma(n + 1) - gsl_sf_lngamma(x + 1) -
                        gsl_sf_lngamma(n - x + 1) + x * log(p) +
                        (n - x) * log1p(-p);
    CHECK_NEAR(lp_at(f, V(x, n, p)), want, 1e-9 * fabs(want));
  }
  double x[] = {3, 0, 7, 11}, n[] = {12, 7, 9, 11}, p = 0.3817;
  DistTensor in[3] = {vec(x, 4), vec(n, 4), vec(&p, 1)};
  check_partials(f, in, (int[]){2}, 1);
  double pv[] = {0.2385, 0.7141, 0.5113, 0.8832};
  in[2] = vec(pv, 4);
  check_partials(f, in, (int[]){2}, 1);
  /* the partial at p = 0 with x = 0 is -n */
  double x0 = 0, n0 = 9, p0 = 0.0;
  DistTensor in0[3] = {vec(&x0, 1), vec(&n0, 1), vec(&p0, 1)};
  Grads g;
  grads_init(&g, 3);
  CHECK(f->lpdf(in0, ADJ, g.ptr) == 0.0);
  CHECK_NEAR(g.buf[2][0] - G0, -9.0 * ADJ, 1e-14);
  check_invalid(f, V(4, 3, 0.5));
  check_invalid(f, V(-1, 3, 0.5));
  check_invalid(f, V(1.5, 3, 0.5));
  check_invalid(f, V(1, 3.5, 0.5));
  check_invalid(f, V(1, -3, 0.5));
  check_invalid(f, V(1, 3, 1.5));
  check_invalid(f, V(1, 3, -0.5));
  check_invalid(f, V(1, 3, NAN));
  check_invalid(f, V(1, 3, 0.0));
  check_invalid(f, V(1, 3, 1.0));
  check_invalid(f, V(1, INFINITY, 0.5));
  check_draws(f, V(17, 0.3817), pmf_binomial, 0, 17 * 0.3817,
              17 * 0.3817 * 0.6183, 12);
  check_draws(f, V(250, 0.1234), pmf_binomial, 0, 250 * 0.1234,
              250 * 0.1234 * 0.8766, 13);
}

/* ---- BetaBinomial
 * -----------------------------------------------------------*/

/* The mass as Gamma-function ratios (not through log B). */
static double ref_betabinomial(double x, double al, double be, double n) {
  return gsl_sf_lngamma(n + 1) - gsl_sf_lngamma(x + 1) -
         gsl_sf_lngamma(n - x + 1) + gsl_sf_lngamma(x + al) +
         gsl_sf_lngamma(n - x + be) - gsl_sf_lngamma(n + al + be) +
         gsl_sf_lngamma(al + be) - gsl_sf_lngamma(al) - gsl_sf_lngamma(be);
}

static double pmf_betabinomial(double k, const double *prm) {
  return exp(ref_betabinomial(k, prm[0], prm[1], prm[2]));
}

static void test_betabinomial(void) {
  const DistFamily *f = &dist_betabinomial;
  static const double pts[][4] = {{0, 2.385, 1.117, 13},
                                  {5, 2.385, 1.117, 13},
                                  {13, 2.385, 1.117, 13},
                                  {2, 0.3141, 0.7713, 4},
                                  {31, 41.7, 12.3, 50}};
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    double v[4] = {pts[i][0], pts[i][1], pts[i][2], pts[i][3]};
    const double want = ref_betabinomial(v[0], v[1], v[2], v[3]);
    CHECK_NEAR(lp_at(f, v), want, 1e-10 * fmax(1.0, fabs(want)));
  }
  /* the masses over 0 .. n sum to 1 */
  double total = 0.0;
  for (int k = 0; k <= 13; k++)
    total += exp(lp_at(f, V(k, 2.385, 1.117, 13)));
  CHECK_NEAR(total, 1.0, 1e-12);
  /* large alpha + beta tends to Binomial(n, alpha / (alpha + beta)) */
  CHECK_NEAR(lp_at(f, V(6, 0.3817e11, 0.6183e11, 17)),
             log(gsl_ran_binomial_pdf(6, 0.3817, 17)), 1e-8);
  /* alpha = beta = 1 is uniform on 0 .. n */
  CHECK_NEAR(lp_at(f, V(3, 1, 1, 7)), -log(8.0), 1e-13);
  double x[] = {3, 0, 7, 11}, n[] = {12, 7, 9, 11}, al = 2.385, be = 0.7713;
  DistTensor in[4] = {vec(x, 4), vec(&al, 1), vec(&be, 1), vec(n, 4)};
  check_partials(f, in, (int[]){1, 2}, 2);
  double alv[] = {2.385, 0.4417, 5.113, 1.9}, bev[] = {0.77, 3.14, 1.5, 9.2};
  in[1] = vec(alv, 4);
  in[2] = vec(bev, 4);
  check_partials(f, in, (int[]){1, 2}, 2);
  double n1 = 20;
  in[3] = vec(&n1, 1);
  check_partials(f, in, (int[]){1, 2}, 2);
  check_invalid(f, V(4, 1, 1, 3));
  check_invalid(f, V(-1, 1, 1, 3));
  check_invalid(f, V(0.5, 1, 1, 3));
  check_invalid(f, V(1, 0, 1, 3));
  check_invalid(f, V(1, 1, -2, 3));
  check_invalid(f, V(1, NAN, 1, 3));
  check_invalid(f, V(1, INFINITY, 1, 3));
  check_invalid(f, V(1, 1, 1, 2.5));
  check_invalid(f, V(1, 1, 1, -3));
  const double a = 2.385, b = 1.117, nn = 13, s = a + b;
  check_draws(f, V(2.385, 1.117, 13), pmf_betabinomial, 0, nn * a / s,
              nn * a * b * (s + nn) / (s * s * (s + 1)), 14);
}

/* ---- Poisson --------------------------------------------------------------*/

static double pmf_poisson(double k, const double *prm) {
  return gsl_ran_poisson_pdf((unsigned)k, prm[0]);
}

static void test_poisson(void) {
  const DistFamily *f = &dist_poisson;
  static const double pts[][2] = {{0, 3.719},  {3, 3.719},  {11, 3.719},
                                  {0, 0.0137}, {2, 0.0137}, {950, 1011.3}};
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    double v[2] = {pts[i][0], pts[i][1]};
    const double want = log(gsl_ran_poisson_pdf((unsigned)v[0], v[1]));
    CHECK_NEAR(lp_at(f, v), want, 1e-10 * fmax(1.0, fabs(want)));
  }
  CHECK_NEAR(lp_at(f, V(0, 2.5)), -2.5, 1e-15);
  double x[] = {3, 0, 7, 11, 2}, mu = 3.719;
  DistTensor in[2] = {vec(x, 5), vec(&mu, 1)};
  check_partials(f, in, (int[]){1}, 1);
  double muv[] = {2.385, 0.4417, 5.113, 12.9, 0.0311};
  in[1] = vec(muv, 5);
  check_partials(f, in, (int[]){1}, 1);
  check_invalid(f, V(1, 0.0));
  check_invalid(f, V(1, -2.0));
  check_invalid(f, V(0, 0.0));
  check_invalid(f, V(1, INFINITY));
  check_invalid(f, V(1, NAN));
  check_invalid(f, V(-1, 2.0));
  check_invalid(f, V(2.5, 2.0));
  check_invalid(f, V(INFINITY, 2.0));
  check_invalid(f, V(1e17, 2.0));
  check_draws(f, V(3.719), pmf_poisson, 0, 3.719, 3.719, 15);
  check_draws(f, V(41.3), pmf_poisson, 0, 41.3, 41.3, 16);
}

/* ---- NegativeBinomial
 * --------------------------------------------------------*/

/* GSL's (p, n) form with n = alpha, p = alpha / (mu + alpha). */
static double pmf_negbin(double k, const double *prm) {
  const double mu = prm[0], al = prm[1];
  return gsl_ran_negative_binomial_pdf((unsigned)k, al / (mu + al), al);
}

static void test_negativebinomial(void) {
  const DistFamily *f = &dist_negativebinomial;
  static const double pts[][3] = {{0, 3.719, 2.385},  {4, 3.719, 2.385},
                                  {23, 3.719, 2.385}, {1, 0.317, 0.0771},
                                  {12, 10.2, 811.0},  {0, 55.1, 0.5}};
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    double v[3] = {pts[i][0], pts[i][1], pts[i][2]};
    const double want = log(pmf_negbin(v[0], &v[1]));
    CHECK_NEAR(lp_at(f, v), want, 1e-9 * fmax(1.0, fabs(want)));
  }
  /* large alpha, on both sides of the switch to Stirling's series, against
   * log Gamma(x + alpha) - log Gamma(alpha) as a sum of logs */
  static const double big[] = {999.9, 1000.1, 5.3e4, 7.1e8};
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
    const double al = big[i], mu = 3.719, x = 7;
    double want = -gsl_sf_lnfact(7) - al * log1p(mu / al) - x * log1p(al / mu);
    for (int j = 0; j < 7; j++)
      want += log(al + j);
    CHECK_NEAR(lp_at(f, V(x, mu, al)), want, 1e-11);
  }
  /* alpha -> inf tends to Poisson(mu) */
  CHECK_NEAR(lp_at(f, V(4, 3.719, 1e12)), log(gsl_ran_poisson_pdf(4, 3.719)),
             1e-9);
  double x[] = {3, 0, 7, 11, 2}, mu = 3.719, al = 2.385;
  DistTensor in[3] = {vec(x, 5), vec(&mu, 1), vec(&al, 1)};
  check_partials(f, in, (int[]){1, 2}, 2);
  double muv[] = {2.385, 0.4417, 5.113, 12.9, 0.0311};
  double alv[] = {0.71, 3.3, 19.2, 1.05, 0.2};
  in[1] = vec(muv, 5);
  check_partials(f, in, (int[]){1, 2}, 2);
  in[2] = vec(alv, 5);
  check_partials(f, in, (int[]){1, 2}, 2);
  in[1] = vec(&mu, 1);
  check_partials(f, in, (int[]){1, 2}, 2);
  check_invalid(f, V(1, 0.0, 1.0));
  check_invalid(f, V(1, 2.0, 0.0));
  check_invalid(f, V(1, -2.0, 1.0));
  check_invalid(f, V(1, 2.0, -1.0));
  check_invalid(f, V(1, NAN, 1.0));
  check_invalid(f, V(1, 2.0, INFINITY));
  check_invalid(f, V(-1, 2.0, 1.0));
  check_invalid(f, V(1.5, 2.0, 1.0));
  const double m = 3.719, a = 2.385;
  check_draws(f, V(3.719, 2.385), pmf_negbin, 0, m, m + m * m / a, 17);
  check_draws(f, V(20.5, 0.8), pmf_negbin, 0, 20.5, 20.5 + 20.5 * 20.5 / 0.8,
              18);
}

/* ---- Geometric
 * --------------------------------------------------------------*/

static double pmf_geometric(double k, const double *prm) {
  return gsl_ran_geometric_pdf((unsigned)k, prm[0]);
}

static void test_geometric(void) {
  const DistFamily *f = &dist_geometric;
  static const double pts[][2] = {{1, 0.3817}, {2, 0.3817},   {9, 0.3817},
                                  {1, 0.0213}, {140, 0.0213}, {3, 0.95}};
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    double v[2] = {pts[i][0], pts[i][1]};
    const double want = log(gsl_ran_geometric_pdf((unsigned)v[0], v[1]));
    CHECK_NEAR(lp_at(f, v), want, 1e-10 * fmax(1.0, fabs(want)));
  }
  CHECK(lp_at(f, V(1, 1.0)) == 0.0);
  double x[] = {3, 1, 7, 11, 2}, p = 0.3817;
  DistTensor in[2] = {vec(x, 5), vec(&p, 1)};
  check_partials(f, in, (int[]){1}, 1);
  double pv[] = {0.2385, 0.7141, 0.5113, 0.0917, 0.8832};
  in[1] = vec(pv, 5);
  check_partials(f, in, (int[]){1}, 1);
  check_invalid(f, V(0, 0.5));
  check_invalid(f, V(-2, 0.5));
  check_invalid(f, V(2.5, 0.5));
  check_invalid(f, V(2, 1.0));
  check_invalid(f, V(2, 0.0));
  check_invalid(f, V(2, 1.5));
  check_invalid(f, V(2, NAN));
  check_draws(f, V(0.3817), pmf_geometric, 1, 1.0 / 0.3817,
              (1.0 - 0.3817) / (0.3817 * 0.3817), 19);
}

/* ---- DiscreteUniform
 * ----------------------------------------------------------*/

static double pmf_discreteuniform(double k, const double *prm) {
  return k >= prm[0] && k <= prm[1] ? 1.0 / (prm[1] - prm[0] + 1.0) : 0.0;
}

static void test_discreteuniform(void) {
  const DistFamily *f = &dist_discreteuniform;
  CHECK_NEAR(lp_at(f, V(2, -3, 4)), -log(8.0), 1e-15);
  CHECK_NEAR(lp_at(f, V(-3, -3, 4)), -log(8.0), 1e-15);
  CHECK_NEAR(lp_at(f, V(4, -3, 4)), -log(8.0), 1e-15);
  CHECK(lp_at(f, V(5, 5, 5)) == 0.0);
  double x[] = {0, 1, 2}, lo[] = {0, 0, -5}, hi = 2;
  DistTensor in[3] = {vec(x, 3), vec(lo, 3), vec(&hi, 1)};
  CHECK_NEAR(lp_of(f, in), -2 * log(3.0) - log(8.0), 1e-14);
  /* no partials at all */
  Grads g;
  grads_init(&g, 3);
  f->lpdf(in, ADJ, g.ptr);
  CHECK(untouched(g.buf[0], 3) && untouched(g.buf[1], 3) &&
        untouched(g.buf[2], 1));
  check_invalid(f, V(5, -3, 4));
  check_invalid(f, V(-4, -3, 4));
  check_invalid(f, V(1.5, -3, 4));
  check_invalid(f, V(1, -3.5, 4));
  check_invalid(f, V(1, -3, 4.5));
  check_invalid(f, V(1, 4, -3));
  check_invalid(f, V(1, NAN, 4));
  check_invalid(f, V(1, -INFINITY, 4));
  check_draws(f, V(-3, 4), pmf_discreteuniform, -3, 0.5, (64.0 - 1.0) / 12.0,
              20);
  /* a range wider than the generator's cannot be drawn */
  double out[2];
  CHECK(!draw_n(f, V(0, 1e12), 1, out, 2));
}

/* ---- broadcasting and shapes
 * ----------------------------------------------------*/

static void test_broadcast(void) {
  /* lengths 3 and 2 do not broadcast */
  double x[] = {1, 2, 3}, mu[] = {1, 2};
  DistTensor in[2] = {vec(x, 3), vec(mu, 2)};
  CHECK(dist_poisson.lpdf(in, ADJ, NULL) == -INFINITY);
  /* an empty x is an empty sum */
  in[0] = vec(x, 0);
  in[1] = vec(mu, 1);
  CHECK(dist_poisson.lpdf(in, ADJ, NULL) == 0.0);
  /* random: parameters of length 1 or n only */
  double out[3];
  DistTensor p[1] = {vec(mu, 2)};
  Rng *rng = rng_alloc(3);
  CHECK(!dist_poisson.random(rng, p, out, 3));
  double mus[] = {0.5, 40.0, 900.0};
  p[0] = vec(mus, 3);
  CHECK(dist_poisson.random(rng, p, out, 3));
  CHECK(out[0] < 10 && out[2] > 700);
  /* random: an invalid parameter */
  double bad = -1.0;
  p[0] = vec(&bad, 1);
  CHECK(!dist_poisson.random(rng, p, out, 3));
  CHECK(!dist_bernoulli.random(rng, p, out, 3));
  CHECK(!dist_geometric.random(rng, p, out, 3));
  double nb[2] = {2.0, -1.0};
  DistTensor p2[2] = {vec(&nb[0], 1), vec(&nb[1], 1)};
  CHECK(!dist_negativebinomial.random(rng, p2, out, 3));
  CHECK(!dist_binomial.random(rng, p2, out, 3));
  double bb[3] = {1.0, 1.0, 2.5};
  DistTensor p3[3] = {vec(&bb[0], 1), vec(&bb[1], 1), vec(&bb[2], 1)};
  CHECK(!dist_betabinomial.random(rng, p3, out, 3));
  rng_free(rng);
  /* the same seed gives the same draws */
  double a[5], b[5];
  CHECK(draw_n(&dist_negativebinomial, V(3.1, 2.2), 99, a, 5));
  CHECK(draw_n(&dist_negativebinomial, V(3.1, 2.2), 99, b, 5));
  CHECK(memcmp(a, b, sizeof a) == 0);
}

/* ---- the registry
 * ------------------------------------------------------------*/

static void test_registry(void) {
  static const char *const mine[] = {
      "Bernoulli",        "Binomial",    "BetaBinomial",    "Poisson",
      "NegativeBinomial", "Geometric",   "DiscreteUniform", "Categorical",
      "Dirichlet",        "Multinomial", "MvNormal",        "LKJCorrCholesky"};
  for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
    const DistFamily *f = dist_lookup(mine[i]);
    if (CHECK(f != NULL))
      CHECK_EQ_STR(f->name, mine[i]);
  }
  CHECK(dist_lookup("Poisson") == &dist_poisson);
  CHECK(dist_lookup("Normal") == &dist_normal);
  CHECK(dist_lookup("poisson") == NULL);
  CHECK(dist_lookup("Poisso") == NULL);
  CHECK(dist_lookup("") == NULL);
  CHECK(dist_lookup(NULL) == NULL);
  const DistFamily *const *all = dist_all();
  int n = 0;
  bool consistent = true;
  for (; all[n]; n++) {
    const DistFamily *f = all[n];
    consistent &= dist_lookup(f->name) == f;
    consistent &= f->nparams >= 0 && f->nparams <= DIST_MAX_PARAMS;
    for (int j = 0; j < f->nparams; j++)
      consistent &= f->params[j] != NULL;
    consistent &= f->lpdf != NULL && f->random != NULL;
    consistent &= (f->check != NULL) == f->multivariate;
  }
  CHECK_EQ_INT(n, 32);
  CHECK(consistent);
  /* discrete and multivariate flags of the families here */
  CHECK(dist_bernoulli.discrete && !dist_bernoulli.multivariate);
  CHECK(dist_categorical.discrete && dist_categorical.multivariate);
  CHECK(dist_multinomial.discrete && dist_multinomial.multivariate);
  CHECK(!dist_dirichlet.discrete && dist_dirichlet.multivariate);
  CHECK(!dist_mvnormal.discrete && !dist_lkjcorrcholesky.discrete);
  CHECK(dist_binomial.support.upper_param == 0);
  CHECK(dist_betabinomial.support.upper_param == 2);
  CHECK(dist_discreteuniform.support.lower_param == 0 &&
        dist_discreteuniform.support.upper_param == 1);
}

int main(void) {
  gsl_set_error_handler(count_gsl_error);
  test_bernoulli();
  test_binomial();
  test_betabinomial();
  test_poisson();
  test_negativebinomial();
  test_geometric();
  test_discreteuniform();
  test_broadcast();
  test_registry();
  CHECK_EQ_INT(gsl_errors, 0);
  return check_summary();
}
