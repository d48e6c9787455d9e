/*
 * test_dist_continuous.c — the continuous univariate families of src/dist/:
 * log densities against GSL's pdfs and closed forms, every partial against
 * finite differences, broadcasting, draws against their cdfs, and -inf
 * (never NaN, grads untouched) off the support or for bad parameters.
 *
 * Partials are checked with adj = 0.7 and gradients that start at 0.25, so
 * a missing scale factor or an `=` instead of `+=` shows. Finite differences
 * are central with one Richardson step (error O(h^4)). Draws are checked
 * with the Dvoretzky–Kiefer–Wolfowitz bound (Massart 1990):
 * P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2), at a fixed seed.
 */
#include <config.h>
#include "dist.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_bessel.h>
#include <gsl/gsl_sf_gamma.h>

#include "check.h"
#include "rng.h"

enum { MAXIN = 5, NVEC = 3, NDRAWS = 10000, NPOINTS = 6 };

/* Failure probability of one KS check under a correct sampler. */
#define DKW_ALPHA 1e-6
#define ADJ 0.7
#define G0 0.25
#define LP_RTOL 1e-10
#define FD_RTOL 1e-6
#define HALF_LOG_2PI 0.918938533204672741780

/* A literal array of doubles: V(x, mu, sigma). */
#define V(...) ((const double[]){__VA_ARGS__})

/* ---- calling a family at one point ------------------------------------ */

static void scalar_inputs(DistTensor *in, const double *v, int k) {
  for (int j = 0; j < k; j++)
    in[j] =
        (DistTensor){.data = &v[j], .len = 1, .ndim = 0, .rows = 1, .cols = 1};
}

/* lpdf at the scalar inputs v (x then parameters); g (may be NULL) gets
 * adj * partials added. */
static double lp_at(const DistFamily *f, const double *v, double adj,
                    double *g) {
  const int k = f->nparams + 1;
  DistTensor in[MAXIN];
  double *gp[MAXIN];
  scalar_inputs(in, v, k);
  for (int j = 0; j < k; j++)
    gp[j] = g ? &g[j] : NULL;
  return f->lpdf(in, adj, g ? gp : NULL);
}

/* Relative closeness for log densities (absolute below 1). */
static double lp_tol(double want) { return LP_RTOL * fmax(1.0, fabs(want)); }

/* ---- reference log densities (GSL pdfs and closed forms) -------------- */

typedef double (*RefFn)(const double *v);
typedef double (*CdfFn)(double x, const double *p);
typedef void (*PointFn)(gsl_rng *r, double *v);

static double ref_normal(const double *v) {
  return log(gsl_ran_gaussian_pdf(v[0] - v[1], v[2]));
}
static double ref_halfnormal(const double *v) {
  return log(2.0 * gsl_ran_gaussian_pdf(v[0], v[1]));
}
/* P(a < N(0,1) < b) through whichever tail keeps precision. */
static double normal_mass(double a, double b) {
  if (a > 0.0)
    return gsl_cdf_ugaussian_Q(a) -
           (b == INFINITY ? 0.0 : gsl_cdf_ugaussian_Q(b));
  return (b == INFINITY ? 1.0 : gsl_cdf_ugaussian_P(b)) -
         (a == -INFINITY ? 0.0 : gsl_cdf_ugaussian_P(a));
}
static double ref_tn(const double *v) {
  const double mu = v[1], sigma = v[2];
  const double a = (v[3] - mu) / sigma, b = (v[4] - mu) / sigma;
  const double z = (v[0] - mu) / sigma;
  return -0.5 * z * z - HALF_LOG_2PI - log(sigma) - log(normal_mass(a, b));
}
static double ref_uniform(const double *v) {
  return log(gsl_ran_flat_pdf(v[0], v[1], v[2]));
}
static double ref_flat(const double *v) {
  (void)v;
  return 0.0;
}
static double ref_beta(const double *v) {
  return log(gsl_ran_beta_pdf(v[0], v[1], v[2]));
}
static double ref_gamma(const double *v) {
  return log(gsl_ran_gamma_pdf(v[0], v[1], 1.0 / v[2]));
}
static double ref_invgamma(const double *v) {
  return log(gsl_ran_gamma_pdf(1.0 / v[0], v[1], 1.0 / v[2])) - 2.0 * log(v[0]);
}
static double ref_exp(const double *v) {
  return log(gsl_ran_exponential_pdf(v[0], 1.0 / v[1]));
}
static double ref_studentt(const double *v) {
  return log(gsl_ran_tdist_pdf((v[0] - v[2]) / v[3], v[1]) / v[3]);
}
static double ref_halft(const double *v) {
  return log(2.0 * gsl_ran_tdist_pdf(v[0] / v[2], v[1]) / v[2]);
}
static double ref_cauchy(const double *v) {
  return log(gsl_ran_cauchy_pdf(v[0] - v[1], v[2]));
}
static double ref_halfcauchy(const double *v) {
  return log(2.0 * gsl_ran_cauchy_pdf(v[0], v[1]));
}
static double ref_lognormal(const double *v) {
  return log(gsl_ran_lognormal_pdf(v[0], v[1], v[2]));
}
static double ref_laplace(const double *v) {
  return log(gsl_ran_laplace_pdf(v[0] - v[1], v[2]));
}
static double ref_logistic(const double *v) {
  return log(gsl_ran_logistic_pdf(v[0] - v[1], v[2]));
}
static double ref_weibull(const double *v) {
  return log(gsl_ran_weibull_pdf(v[0], v[2], v[1]));
}
static double ref_chisq(const double *v) {
  return log(gsl_ran_chisq_pdf(v[0], v[1]));
}
static double ref_vonmises(const double *v) {
  return v[2] * cos(v[0] - v[1]) - log(2.0 * M_PI * gsl_sf_bessel_I0(v[2]));
}

/* ---- cdfs for the draw tests ------------------------------------------ */

static double cdf_normal(double x, const double *p) {
  return gsl_cdf_gaussian_P(x - p[0], p[1]);
}
static double cdf_halfnormal(double x, const double *p) {
  return 2.0 * gsl_cdf_gaussian_P(x, p[0]) - 1.0;
}
static double cdf_tn(double x, const double *p) {
  const double a = (p[2] - p[0]) / p[1], b = (p[3] - p[0]) / p[1];
  const double z = (x - p[0]) / p[1];
  return normal_mass(a, z) / normal_mass(a, b);
}
static double cdf_uniform(double x, const double *p) {
  return gsl_cdf_flat_P(x, p[0], p[1]);
}
static double cdf_beta(double x, const double *p) {
  return gsl_cdf_beta_P(x, p[0], p[1]);
}
static double cdf_gamma(double x, const double *p) {
  return gsl_cdf_gamma_P(x, p[0], 1.0 / p[1]);
}
static double cdf_invgamma(double x, const double *p) {
  return gsl_cdf_gamma_Q(1.0 / x, p[0], 1.0 / p[1]);
}
static double cdf_exp(double x, const double *p) {
  return gsl_cdf_exponential_P(x, 1.0 / p[0]);
}
static double cdf_studentt(double x, const double *p) {
  return gsl_cdf_tdist_P((x - p[1]) / p[2], p[0]);
}
static double cdf_halft(double x, const double *p) {
  return 2.0 * gsl_cdf_tdist_P(x / p[1], p[0]) - 1.0;
}
static double cdf_cauchy(double x, const double *p) {
  return gsl_cdf_cauchy_P(x - p[0], p[1]);
}
static double cdf_halfcauchy(double x, const double *p) {
  return 2.0 * gsl_cdf_cauchy_P(x, p[0]) - 1.0;
}
static double cdf_lognormal(double x, const double *p) {
  return gsl_cdf_lognormal_P(x, p[0], p[1]);
}
static double cdf_laplace(double x, const double *p) {
  return gsl_cdf_laplace_P(x - p[0], p[1]);
}
static double cdf_logistic(double x, const double *p) {
  return gsl_cdf_logistic_P(x - p[0], p[1]);
}
static double cdf_weibull(double x, const double *p) {
  return gsl_cdf_weibull_P(x, p[1], p[0]);
}
static double cdf_chisq(double x, const double *p) {
  return gsl_cdf_chisq_P(x, p[0]);
}

/* ---- random interior points for finite differences -------------------- */

static double unif(gsl_rng *r, double lo, double hi) {
  return lo + (hi - lo) * gsl_rng_uniform(r);
}

static void pt_normal(gsl_rng *r, double *v) {
  v[0] = unif(r, -3, 3), v[1] = unif(r, -2, 2), v[2] = unif(r, 0.3, 3);
}
static void pt_halfnormal(gsl_rng *r, double *v) {
  v[0] = unif(r, 0.05, 4), v[1] = unif(r, 0.3, 3);
}
/* Mostly finite bounds; one draw in four has an infinite one. */
static void pt_tn(gsl_rng *r, double *v) {
  v[1] = unif(r, -2, 2), v[2] = unif(r, 0.4, 2.5);
  v[3] = unif(r, -3, 0.5), v[4] = v[3] + unif(r, 0.5, 4);
  v[0] = v[3] + (v[4] - v[3]) * unif(r, 0.1, 0.9);
  const double u = gsl_rng_uniform(r);
  if (u < 0.125)
    v[3] = -INFINITY;
  else if (u < 0.25)
    v[4] = INFINITY;
}
static void pt_uniform(gsl_rng *r, double *v) {
  v[1] = unif(r, -3, 1), v[2] = v[1] + unif(r, 0.5, 3);
  v[0] = v[1] + (v[2] - v[1]) * unif(r, 0.1, 0.9);
}
static void pt_flat(gsl_rng *r, double *v) { v[0] = unif(r, -5, 5); }
static void pt_halfflat(gsl_rng *r, double *v) { v[0] = unif(r, 0.1, 5); }
static void pt_beta(gsl_rng *r, double *v) {
  v[0] = unif(r, 0.05, 0.95), v[1] = unif(r, 0.5, 5), v[2] = unif(r, 0.5, 5);
}
static void pt_gamma(gsl_rng *r, double *v) {
  v[0] = unif(r, 0.1, 5), v[1] = unif(r, 0.5, 5), v[2] = unif(r, 0.3, 3);
}
static void pt_exp(gsl_rng *r, double *v) {
  v[0] = unif(r, 0.1, 5), v[1] = unif(r, 0.3, 3);
}
static void pt_studentt(gsl_rng *r, double *v) {
  v[0] = unif(r, -4, 4), v[1] = unif(r, 0.7, 30), v[2] = unif(r, -2, 2);
  v[3] = unif(r, 0.3, 3);
}
static void pt_halft(gsl_rng *r, double *v) {
  v[0] = unif(r, 0.05, 4), v[1] = unif(r, 0.7, 30), v[2] = unif(r, 0.3, 3);
}
static void pt_cauchy(gsl_rng *r, double *v) {
  v[0] = unif(r, -5, 5), v[1] = unif(r, -2, 2), v[2] = unif(r, 0.3, 3);
}
static void pt_halfcauchy(gsl_rng *r, double *v) {
  v[0] = unif(r, 0.05, 5), v[1] = unif(r, 0.3, 3);
}
static void pt_lognormal(gsl_rng *r, double *v) {
  v[0] = unif(r, 0.1, 5), v[1] = unif(r, -1, 1), v[2] = unif(r, 0.3, 2);
}
/* Away from the kink at x = mu. */
static void pt_laplace(gsl_rng *r, double *v) {
  v[1] = unif(r, -2, 2), v[2] = unif(r, 0.3, 3);
  v[0] = v[1] + (gsl_rng_uniform(r) < 0.5 ? -1 : 1) * unif(r, 0.1, 3);
}
static void pt_logistic(gsl_rng *r, double *v) {
  v[0] = unif(r, -4, 4), v[1] = unif(r, -2, 2), v[2] = unif(r, 0.3, 3);
}
static void pt_weibull(gsl_rng *r, double *v) {
  v[0] = unif(r, 0.1, 4), v[1] = unif(r, 0.5, 4), v[2] = unif(r, 0.5, 3);
}
static void pt_chisq(gsl_rng *r, double *v) {
  v[0] = unif(r, 0.1, 8), v[1] = unif(r, 0.5, 10);
}
static void pt_vonmises(gsl_rng *r, double *v) {
  v[0] = unif(r, -3, 3), v[1] = unif(r, -2, 2), v[2] = unif(r, 0.2, 10);
}

/* ---- the table of families -------------------------------------------- */

typedef struct Spec {
  const DistFamily *f;
  RefFn ref;
  PointFn point;
  CdfFn cdf;         /* NULL: no closed-form cdf (tested separately) */
  double rparams[4]; /* parameters of the draw test */
} Spec;

static const Spec specs[] = {
    {&dist_normal, ref_normal, pt_normal, cdf_normal, {1.7, 2.3}},
    {&dist_halfnormal, ref_halfnormal, pt_halfnormal, cdf_halfnormal, {1.9}},
    {&dist_truncatednormal, ref_tn, pt_tn, cdf_tn, {0.4, 1.3, -1.1, 2.9}},
    {&dist_uniform, ref_uniform, pt_uniform, cdf_uniform, {-1.3, 2.6}},
    {&dist_flat, ref_flat, pt_flat, NULL, {0}},
    {&dist_halfflat, ref_flat, pt_halfflat, NULL, {0}},
    {&dist_beta, ref_beta, pt_beta, cdf_beta, {0.7, 2.4}},
    {&dist_gamma, ref_gamma, pt_gamma, cdf_gamma, {0.6, 1.7}},
    {&dist_inversegamma, ref_invgamma, pt_gamma, cdf_invgamma, {3.3, 1.9}},
    {&dist_exponential, ref_exp, pt_exp, cdf_exp, {1.7}},
    {&dist_studentt, ref_studentt, pt_studentt, cdf_studentt, {3.4, -1.1, 2.2}},
    {&dist_halfstudentt, ref_halft, pt_halft, cdf_halft, {2.5, 1.4}},
    {&dist_cauchy, ref_cauchy, pt_cauchy, cdf_cauchy, {0.8, 1.9}},
    {&dist_halfcauchy, ref_halfcauchy, pt_halfcauchy, cdf_halfcauchy, {2.1}},
    {&dist_lognormal, ref_lognormal, pt_lognormal, cdf_lognormal, {0.4, 0.8}},
    {&dist_laplace, ref_laplace, pt_laplace, cdf_laplace, {-0.6, 1.3}},
    {&dist_logistic, ref_logistic, pt_logistic, cdf_logistic, {0.9, 0.7}},
    {&dist_weibull, ref_weibull, pt_weibull, cdf_weibull, {1.6, 2.3}},
    {&dist_chisquared, ref_chisq, pt_chisq, cdf_chisq, {3.7}},
    {&dist_vonmises, ref_vonmises, pt_vonmises, NULL, {0.9, 2.6}},
};
enum { NSPECS = sizeof specs / sizeof specs[0] };

static const Spec *spec_of(const DistFamily *f) {
  for (int i = 0; i < NSPECS; i++)
    if (specs[i].f == f)
      return &specs[i];
  return NULL;
}

/* ---- (0) the family objects ------------------------------------------- */

static void check_family(const DistFamily *f, const char *name, int nparams,
                         const char *const *params, const double *defaults,
                         SupportKind kind) {
  CHECK_EQ_STR(f->name, name);
  if (!CHECK_EQ_INT(f->nparams, nparams))
    return;
  for (int j = 0; j < nparams; j++) {
    CHECK_EQ_STR(f->params[j], params[j]);
    if (isnan(defaults[j]))
      CHECK(isnan(f->defaults[j]));
    else
      CHECK_NEAR(f->defaults[j], defaults[j], 0.0);
  }
  CHECK_EQ_INT(f->support.kind, kind);
  CHECK(!f->discrete && !f->multivariate && f->check == NULL);
  CHECK(f->lpdf != NULL && f->random != NULL);
}

static void test_family_objects(void) {
  const double req = NAN;
  check_family(&dist_normal, "Normal", 2, (const char *[]){"mu", "sigma"},
               V(0, 1), SUPPORT_REAL);
  check_family(&dist_halfnormal, "HalfNormal", 1, (const char *[]){"sigma"},
               V(1), SUPPORT_POSITIVE);
  check_family(&dist_truncatednormal, "TruncatedNormal", 4,
               (const char *[]){"mu", "sigma", "lower", "upper"},
               V(0, 1, -INFINITY, INFINITY), SUPPORT_INTERVAL);
  CHECK_EQ_INT(dist_truncatednormal.support.lower_param, 2);
  CHECK_EQ_INT(dist_truncatednormal.support.upper_param, 3);
  check_family(&dist_uniform, "Uniform", 2, (const char *[]){"lower", "upper"},
               V(0, 1), SUPPORT_INTERVAL);
  CHECK_EQ_INT(dist_uniform.support.lower_param, 0);
  CHECK_EQ_INT(dist_uniform.support.upper_param, 1);
  check_family(&dist_flat, "Flat", 0, NULL, NULL, SUPPORT_REAL);
  check_family(&dist_halfflat, "HalfFlat", 0, NULL, NULL, SUPPORT_POSITIVE);
  check_family(&dist_beta, "Beta", 2, (const char *[]){"alpha", "beta"},
               V(req, req), SUPPORT_UNIT);
  check_family(&dist_gamma, "Gamma", 2, (const char *[]){"alpha", "beta"},
               V(req, req), SUPPORT_POSITIVE);
  check_family(&dist_inversegamma, "InverseGamma", 2,
               (const char *[]){"alpha", "beta"}, V(req, 1), SUPPORT_POSITIVE);
  check_family(&dist_exponential, "Exponential", 1, (const char *[]){"lam"},
               V(req), SUPPORT_POSITIVE);
  check_family(&dist_studentt, "StudentT", 3,
               (const char *[]){"nu", "mu", "sigma"}, V(req, 0, 1),
               SUPPORT_REAL);
  check_family(&dist_halfstudentt, "HalfStudentT", 2,
               (const char *[]){"nu", "sigma"}, V(1, 1), SUPPORT_POSITIVE);
  check_family(&dist_cauchy, "Cauchy", 2, (const char *[]){"alpha", "beta"},
               V(req, req), SUPPORT_REAL);
  check_family(&dist_halfcauchy, "HalfCauchy", 1, (const char *[]){"beta"},
               V(req), SUPPORT_POSITIVE);
  check_family(&dist_lognormal, "LogNormal", 2, (const char *[]){"mu", "sigma"},
               V(0, 1), SUPPORT_POSITIVE);
  check_family(&dist_laplace, "Laplace", 2, (const char *[]){"mu", "b"},
               V(req, req), SUPPORT_REAL);
  check_family(&dist_logistic, "Logistic", 2, (const char *[]){"mu", "s"},
               V(0, 1), SUPPORT_REAL);
  check_family(&dist_weibull, "Weibull", 2, (const char *[]){"alpha", "beta"},
               V(req, req), SUPPORT_POSITIVE);
  check_family(&dist_chisquared, "ChiSquared", 1, (const char *[]){"nu"},
               V(req), SUPPORT_POSITIVE);
  check_family(&dist_vonmises, "VonMises", 2, (const char *[]){"mu", "kappa"},
               V(0, 1), SUPPORT_CIRCULAR);
  /* Half families and the positive ones start at 0. */
  CHECK_NEAR(dist_halfnormal.support.lower, 0.0, 0.0);
  CHECK_NEAR(dist_vonmises.support.upper, M_PI, 0.0);
}

/* ---- (1) log densities at chosen points ------------------------------- */

/* lpdf(v) against the family's reference. */
#define CHECK_REF(fam, ...)                                                    \
  do {                                                                         \
    const double *v_ = V(__VA_ARGS__);                                         \
    const double want_ = spec_of(fam)->ref(v_);                                \
    if (!CHECK_NEAR(lp_at(fam, v_, 1.0, NULL), want_, lp_tol(want_)))          \
      fprintf(stderr, "  family %s\n", (fam)->name);                           \
  } while (0)

/* lpdf(v) against a closed-form value. */
#define CHECK_LP(fam, want, ...)                                               \
  do {                                                                         \
    const double want_ = (want);                                               \
    if (!CHECK_NEAR(lp_at(fam, V(__VA_ARGS__), 1.0, NULL), want_,              \
                    lp_tol(want_)))                                            \
      fprintf(stderr, "  family %s\n", (fam)->name);                           \
  } while (0)

static void test_values_location_scale(void) {
  CHECK_REF(&dist_normal, 0.3, -1.2, 2.5);
  CHECK_REF(&dist_normal, -7.31, 2.27, 0.413);
  CHECK_REF(&dist_normal, 1e3, 1e3 + 1e-3, 1e-4);
  CHECK_REF(&dist_normal, 36.5, 0.0, 1.0);
  CHECK_LP(&dist_normal, -5e19 - HALF_LOG_2PI, 1e10, 0.0, 1.0);
  CHECK_LP(&dist_normal, -0.5 * 0.81 - log(1e-300) - HALF_LOG_2PI, 2.9e-300,
           2e-300, 1e-300);
  CHECK_LP(&dist_normal, -0.5 - HALF_LOG_2PI, 1.0, 0.0, 1.0);

  CHECK_REF(&dist_halfnormal, 0.0, 1.7);
  CHECK_REF(&dist_halfnormal, 2.713, 0.61);
  CHECK_REF(&dist_halfnormal, 1e-300, 3.3);
  CHECK_LP(&dist_halfnormal, -0.5 * 4e20 + log(sqrt(2 / M_PI)), 2e10, 1.0);
  CHECK_LP(&dist_halfnormal, -0.5 * 2.25 - log(1e-300) + log(sqrt(2 / M_PI)),
           1.5e-300, 1e-300);

  CHECK_REF(&dist_cauchy, 0.37, -1.25, 0.83);
  CHECK_REF(&dist_cauchy, -41.9, 3.1, 7.7);
  CHECK_REF(&dist_cauchy, 1e-310, 0.0, 1e-300);
  CHECK_LP(&dist_cauchy, -log(M_PI) - 400.0 * log(10.0), 1e200, 0.0, 1.0);
  CHECK_LP(&dist_cauchy, -log(M_PI) - log(2e-5) - log1p(0.25), 1e-5, 0.0, 2e-5);

  CHECK_REF(&dist_halfcauchy, 0.0, 2.3);
  CHECK_REF(&dist_halfcauchy, 17.2, 0.47);
  CHECK_LP(&dist_halfcauchy, log(2 / M_PI) - 600.0 * log(10.0), 1e300, 1.0);

  CHECK_REF(&dist_laplace, 0.37, -1.25, 0.83);
  CHECK_REF(&dist_laplace, -1.25, -1.25, 0.83);
  CHECK_REF(&dist_laplace, 31.4, 2.0, 4.1);
  CHECK_LP(&dist_laplace, -log(2.0) - 1e10, 1e10, 0.0, 1.0);

  CHECK_REF(&dist_logistic, 0.37, -1.25, 0.83);
  CHECK_REF(&dist_logistic, -19.7, 1.1, 2.2);
  CHECK_REF(&dist_logistic, 61.0, 0.0, 1.0);
  CHECK_LP(&dist_logistic, -1000.0 - log(0.5), -500.0, 0.0, 0.5);
  CHECK_LP(&dist_logistic, -2.0 * log(2.0), 0.0, 0.0, 1.0);

  CHECK_REF(&dist_studentt, 0.37, 3.3, -1.25, 0.83);
  CHECK_REF(&dist_studentt, -14.1, 1.0, 2.0, 1.9);
  CHECK_REF(&dist_studentt, 2.9, 0.31, 0.0, 1.0);
  CHECK_REF(&dist_studentt, 0.8, 97.0, 0.3, 0.25);
  /* nu = 1 is the Cauchy. */
  CHECK_LP(&dist_studentt, lp_at(&dist_cauchy, V(7.3, 0.4, 2.1), 1, NULL), 7.3,
           1.0, 0.4, 2.1);
  CHECK_LP(&dist_studentt, -log(M_PI) - 400.0 * log(10.0), 1e200, 1.0, 0.0,
           1.0);

  CHECK_REF(&dist_halfstudentt, 0.0, 3.3, 0.83);
  CHECK_REF(&dist_halfstudentt, 5.17, 1.7, 2.2);
  CHECK_REF(&dist_halfstudentt, 1e-300, 12.0, 1e-3);
  CHECK_LP(&dist_halfstudentt, lp_at(&dist_halfcauchy, V(0.93, 1.8), 1, NULL),
           0.93, 1.0, 1.8);

  CHECK_REF(&dist_lognormal, 0.37, -1.25, 0.83);
  CHECK_REF(&dist_lognormal, 55.0, 2.1, 0.3);
  CHECK_REF(&dist_lognormal, 1e-5, 0.0, 4.0);
  CHECK_LP(&dist_lognormal,
           -log(1e-300) - log(0.5) - HALF_LOG_2PI -
               0.5 * pow(log(1e-300) / 0.5, 2),
           1e-300, 0.0, 0.5);
}

static void test_values_positive(void) {
  CHECK_REF(&dist_gamma, 1.37, 2.25, 0.83);
  CHECK_REF(&dist_gamma, 0.011, 0.37, 4.5);
  CHECK_REF(&dist_gamma, 73.0, 41.0, 0.6);
  CHECK_REF(&dist_gamma, 1e-300, 0.5, 1.0);
  CHECK_LP(&dist_gamma, 0.5 * log(2.0) - lgamma(0.5) - 0.5 * log(1e-300),
           1e-300, 0.5, 2.0);
  CHECK_LP(&dist_gamma, log(3.0) - 3e10, 1e10, 1.0, 3.0);
  CHECK_REF(&dist_gamma, DBL_MIN, 1.0, 2.0);

  CHECK_REF(&dist_inversegamma, 1.37, 2.25, 0.83);
  CHECK_REF(&dist_inversegamma, 0.021, 0.8, 0.1);
  CHECK_REF(&dist_inversegamma, 250.0, 3.0, 4.0);
  CHECK_LP(&dist_inversegamma,
           3.0 * log(2.0) - lgamma(3.0) - 4.0 * log(1e-3) - 2.0 / 1e-3, 1e-3,
           3.0, 2.0);

  CHECK_REF(&dist_exponential, 0.0, 1.7);
  CHECK_REF(&dist_exponential, 2.91, 0.37);
  CHECK_REF(&dist_exponential, 1e-300, 12.5);
  CHECK_LP(&dist_exponential, log(2.0) - 2e300, 1e300, 2.0);

  CHECK_REF(&dist_weibull, 1.37, 2.25, 0.83);
  CHECK_REF(&dist_weibull, 0.05, 0.6, 1.9);
  CHECK_REF(&dist_weibull, 7.3, 4.4, 5.1);
  CHECK_LP(&dist_weibull, log(0.5) - 0.5 * log(1e-300) - 1e-150, 1e-300, 0.5,
           1.0);

  CHECK_REF(&dist_chisquared, 1.37, 2.25);
  CHECK_REF(&dist_chisquared, 0.002, 0.8);
  CHECK_REF(&dist_chisquared, 41.0, 30.0);
  CHECK_REF(&dist_chisquared, 5.5, 2.0);
  CHECK_LP(&dist_chisquared, -log(2.0) - 0.5e10, 1e10, 2.0);
}

static void test_values_bounded(void) {
  CHECK_REF(&dist_beta, 0.37, 2.25, 0.83);
  CHECK_REF(&dist_beta, 0.013, 0.4, 0.7);
  CHECK_REF(&dist_beta, 0.999, 11.0, 1.3);
  CHECK_REF(&dist_beta, 0.5, 1.0, 1.0);
  CHECK_LP(&dist_beta, -gsl_sf_lnbeta(0.5, 2.0) - 0.5 * log(1e-300), 1e-300,
           0.5, 2.0);
  CHECK_LP(&dist_beta, -gsl_sf_lnbeta(2.0, 0.5) - 0.5 * log1p(-(1 - 1e-15)),
           1 - 1e-15, 2.0, 0.5);

  CHECK_REF(&dist_uniform, 0.37, -1.25, 0.83);
  CHECK_REF(&dist_uniform, -1.25, -1.25, 0.83);
  CHECK_REF(&dist_uniform, 0.83, -1.25, 0.83);
  {
    const double lower = 5.0, upper = 5.0 + 1e-10; /* width not 1e-10 */
    CHECK_LP(&dist_uniform, -log(upper - lower), lower, lower, upper);
  }

  CHECK_REF(&dist_truncatednormal, 0.37, -0.2, 1.3, -1.25, 0.83);
  CHECK_REF(&dist_truncatednormal, 0.37, -0.2, 1.3, -INFINITY, 0.83);
  CHECK_REF(&dist_truncatednormal, 0.37, -0.2, 1.3, -1.25, INFINITY);
  CHECK_REF(&dist_truncatednormal, -1.25, -0.2, 1.3, -1.25, 0.83);
  CHECK_REF(&dist_truncatednormal, 10.5, 0.0, 1.0, 10.0, INFINITY);
  CHECK_REF(&dist_truncatednormal, 8.0005, 0.0, 1.0, 8.0, 8.001);
  CHECK_REF(&dist_truncatednormal, -9.3, 0.0, 1.0, -9.5, -9.0);
  CHECK_REF(&dist_truncatednormal, 3.1, 2.0, 0.5, 1.0, 3.2);
  CHECK_LP(&dist_truncatednormal,
           lp_at(&dist_normal, V(0.37, -0.2, 1.3), 1, NULL), 0.37, -0.2, 1.3,
           -INFINITY, INFINITY);
  /* Far in the tail: phi(z) / Q(a) with Q(a) ~ phi(a) / a (Mills ratio,
   * relative error ~ 1 / a^2 corrected by the next term). */
  {
    const double a = 40.0, x = 40.01;
    const double log_q = -0.5 * a * a - HALF_LOG_2PI - log(a) +
                         log1p(-1 / (a * a) + 3 / pow(a, 4) - 15 / pow(a, 6));
    CHECK_LP(&dist_truncatednormal, -0.5 * x * x - HALF_LOG_2PI - log_q, x, 0.0,
             1.0, a, INFINITY);
  }
  /* A half normal is a normal truncated at its mean. */
  CHECK_LP(&dist_truncatednormal, lp_at(&dist_halfnormal, V(1.3, 0.7), 1, NULL),
           1.3, 0.0, 0.7, 0.0, INFINITY);

  CHECK_REF(&dist_vonmises, 0.37, -1.25, 0.83);
  CHECK_REF(&dist_vonmises, M_PI, 0.5, 2.0);
  CHECK_REF(&dist_vonmises, -M_PI, 0.5, 2.0);
  CHECK_REF(&dist_vonmises, 2.5, 10.0, 30.0);
  CHECK_REF(&dist_vonmises, 0.1, 0.0, 1e-8);
  /* Large kappa: I0(k) e^-k ~ 1 / sqrt(2 pi k) (1 + 1 / (8k) + 9 / (128 k^2)).
   */
  {
    const double k = 1e6, d = 1e-3;
    const double log_i0s =
        -0.5 * log(2 * M_PI * k) + log1p(1 / (8 * k) + 9 / (128 * k * k));
    CHECK_LP(&dist_vonmises, k * (cos(d) - 1) - log(2 * M_PI) - log_i0s, d, 0.0,
             k);
  }

  CHECK_LP(&dist_flat, 0.0, -3.7e300);
  CHECK_LP(&dist_halfflat, 0.0, 0.0);
  CHECK_LP(&dist_halfflat, 0.0, 1e300);
}

/* ---- (2) partials against finite differences -------------------------- */

/* One Richardson step on central differences of lpdf in input j. */
static double fd_partial(const DistFamily *f, const double *v, int j) {
  double w[MAXIN];
  const int k = f->nparams + 1;
  const double h = 1e-3 * fmax(fabs(v[j]), 0.05);
  double d[2];
  for (int s = 0; s < 2; s++) {
    const double hs = s == 0 ? h : 0.5 * h;
    memcpy(w, v, (size_t)k * sizeof *w);
    w[j] = v[j] + hs;
    const double up = lp_at(f, w, 1.0, NULL);
    w[j] = v[j] - hs;
    const double down = lp_at(f, w, 1.0, NULL);
    d[s] = (up - down) / (2.0 * hs);
  }
  return (4.0 * d[1] - d[0]) / 3.0;
}

/* Every analytic partial at v against finite differences; inputs that are
 * infinite (TruncatedNormal bounds) must get exactly 0. */
static void check_partials_at(const DistFamily *f, const double *v) {
  const int k = f->nparams + 1;
  double g[MAXIN];
  for (int j = 0; j < k; j++)
    g[j] = G0;
  const double lp = lp_at(f, v, ADJ, g);
  const double lp_plain = lp_at(f, v, 1.0, NULL);
  if (!CHECK(isfinite(lp) && lp == lp_plain))
    fprintf(stderr, "  family %s: lp %g vs %g\n", f->name, lp, lp_plain);
  for (int j = 0; j < k; j++) {
    if (!isfinite(v[j])) {
      CHECK_NEAR(g[j], G0, 0.0);
      continue;
    }
    const double fd = fd_partial(f, v, j);
    const double got = (g[j] - G0) / ADJ;
    if (!CHECK_NEAR(got, fd, FD_RTOL * fmax(1.0, fabs(fd))))
      fprintf(stderr, "  family %s, input %d, at (%g, %g, %g, %g, %g)\n",
              f->name, j, v[0], k > 1 ? v[1] : 0.0, k > 2 ? v[2] : 0.0,
              k > 3 ? v[3] : 0.0, k > 4 ? v[4] : 0.0);
  }
}

static void test_partials(gsl_rng *r) {
  for (int s = 0; s < NSPECS; s++) {
    double v[MAXIN];
    for (int t = 0; t < NPOINTS; t++) {
      specs[s].point(r, v);
      check_partials_at(specs[s].f, v);
    }
  }
  /* Hand-picked points: tiny scales, heavy tails, shapes below 1. */
  check_partials_at(&dist_normal, V(0.0123, 0.0119, 0.0021));
  check_partials_at(&dist_studentt, V(8.3, 0.31, 0.7, 1.3));
  check_partials_at(&dist_studentt, V(0.3, 150.0, 0.1, 0.9));
  check_partials_at(&dist_gamma, V(0.013, 0.37, 2.2));
  check_partials_at(&dist_beta, V(0.013, 0.37, 0.62));
  check_partials_at(&dist_vonmises, V(-2.9, 2.9, 0.01));
  check_partials_at(&dist_vonmises, V(0.02, 0.01, 700.0));
  check_partials_at(&dist_truncatednormal, V(6.3, 0.1, 1.1, 6.2, 6.5));
  check_partials_at(&dist_truncatednormal, V(-4.1, 0.2, 0.9, -4.4, -3.9));
  check_partials_at(&dist_truncatednormal, V(0.01, 0.0, 1.0, -0.03, 0.02));
  check_partials_at(&dist_weibull, V(3.7, 0.45, 1.1));
  check_partials_at(&dist_logistic, V(25.0, 0.5, 0.8));
}

/* ---- broadcasting ----------------------------------------------------- */

/* For each subset `mask` of inputs given as vectors of NVEC elements (the
 * others broadcast from element 0): the sum of the lpdf and every partial
 * against NVEC scalar calls. */
static void check_broadcast(const Spec *s, gsl_rng *r, unsigned mask) {
  const DistFamily *f = s->f;
  const int k = f->nparams + 1;
  double pts[NVEC][MAXIN];
  bool ok = false;
  for (int attempt = 0; attempt < 100 && !ok; attempt++) {
    for (int e = 0; e < NVEC; e++) {
      s->point(r, pts[e]);
      for (int j = 0; j < k; j++)
        if (!(mask >> j & 1u))
          pts[e][j] = pts[0][j];
    }
    ok = true;
    for (int e = 0; e < NVEC; e++)
      ok = ok && isfinite(lp_at(f, pts[e], 1.0, NULL));
  }
  if (!CHECK(ok))
    return;

  double data[MAXIN][NVEC], grad[MAXIN][NVEC];
  DistTensor in[MAXIN];
  double *gp[MAXIN];
  for (int j = 0; j < k; j++) {
    const size_t len = (mask >> j & 1u) ? NVEC : 1;
    for (int e = 0; e < NVEC; e++) {
      data[j][e] = pts[e][j];
      grad[j][e] = G0;
    }
    in[j] = (DistTensor){
        .data = data[j], .len = len, .ndim = len > 1, .rows = len, .cols = 1};
    gp[j] = grad[j];
  }
  const double lp = f->lpdf(in, ADJ, gp);

  double want_lp = 0.0, want_g[MAXIN][NVEC] = {{0}};
  const int n = mask ? NVEC : 1; /* no vector input: one element */
  for (int e = 0; e < n; e++) {
    double g1[MAXIN] = {0};
    want_lp += lp_at(f, pts[e], 1.0, g1);
    for (int j = 0; j < k; j++)
      want_g[j][(mask >> j & 1u) ? e : 0] += g1[j];
  }
  if (!CHECK_NEAR(lp, want_lp, 1e-12 * fmax(1.0, fabs(want_lp))))
    fprintf(stderr, "  family %s, mask %u\n", f->name, mask);
  for (int j = 0; j < k; j++) {
    const int len = (mask >> j & 1u) ? NVEC : 1;
    for (int e = 0; e < len; e++) {
      const double want = G0 + ADJ * want_g[j][e];
      if (!CHECK_NEAR(grad[j][e], want, 1e-12 * fmax(1.0, fabs(want))))
        fprintf(stderr, "  family %s, mask %u, input %d, element %d\n", f->name,
                mask, j, e);
    }
    for (int e = len; e < NVEC; e++)
      CHECK_NEAR(grad[j][e], G0, 0.0); /* past a broadcast input's end */
  }

  /* No gradient wanted, or only one: the same sum. */
  CHECK_NEAR(f->lpdf(in, ADJ, NULL), lp, 0.0);
  double *only[MAXIN] = {NULL};
  double gk[NVEC] = {0};
  only[k - 1] = gk;
  CHECK_NEAR(f->lpdf(in, ADJ, only), lp, 0.0);
}

static void test_broadcast(gsl_rng *r) {
  for (int s = 0; s < NSPECS; s++) {
    const int k = specs[s].f->nparams + 1;
    for (unsigned mask = 0; mask < (1u << k); mask++)
      check_broadcast(&specs[s], r, mask);
  }
}

/* Empty inputs sum to 0; lengths that do not broadcast give -inf. */
static void test_lengths(void) {
  const double x[3] = {0.1, 0.2, 0.3}, mu[2] = {0.0, 1.0}, sigma = 1.0;
  DistTensor in[3] = {
      {.data = x, .len = 3, .ndim = 1, .rows = 3, .cols = 1},
      {.data = mu, .len = 2, .ndim = 1, .rows = 2, .cols = 1},
      {.data = &sigma, .len = 1, .ndim = 0, .rows = 1, .cols = 1},
  };
  CHECK_EQ_INT(dist_broadcast_len(in, 3), 0);
  CHECK(dist_normal.lpdf(in, 1.0, NULL) == -INFINITY);
  in[1].len = 1;
  CHECK_EQ_INT(dist_broadcast_len(in, 3), 3);
  in[0].len = 0;
  CHECK_EQ_INT(dist_broadcast_len(in, 3), 0);
  CHECK_NEAR(dist_normal.lpdf(in, 1.0, NULL), 0.0, 0.0);
  CHECK_NEAR(dist_flat.lpdf(in, 1.0, NULL), 0.0, 0.0);
  in[0].len = 1;
  CHECK_EQ_INT(dist_broadcast_len(in, 3), 1);
}

/* ---- (4) outside the support, invalid parameters ---------------------- */

/* lpdf(v) is exactly -inf and leaves every gradient as it was. */
#define CHECK_OUT(fam, ...)                                                    \
  do {                                                                         \
    double g_[MAXIN] = {G0, G0, G0, G0, G0};                                   \
    const double lp_ = lp_at(fam, V(__VA_ARGS__), ADJ, g_);                    \
    bool same_ = true;                                                         \
    for (int j_ = 0; j_ < MAXIN; j_++)                                         \
      same_ = same_ && g_[j_] == G0;                                           \
    if (!CHECK(lp_ == -INFINITY && same_))                                     \
      fprintf(stderr, "  family %s gave %g\n", (fam)->name, lp_);              \
  } while (0)

static void test_outside(void) {
  const double tiny = -DBL_MIN, below_pi = nextafter(-M_PI, -4.0);
  CHECK_OUT(&dist_normal, NAN, 0.0, 1.0);
  CHECK_OUT(&dist_normal, INFINITY, 0.0, 1.0);
  CHECK_OUT(&dist_normal, 0.5, NAN, 1.0);
  CHECK_OUT(&dist_normal, 0.5, -INFINITY, 1.0);
  CHECK_OUT(&dist_normal, 0.5, 0.0, 0.0);
  CHECK_OUT(&dist_normal, 0.5, 0.0, -1.3);
  CHECK_OUT(&dist_normal, 0.5, 0.0, NAN);
  CHECK_OUT(&dist_normal, 0.5, 0.0, INFINITY);
  CHECK_OUT(&dist_halfnormal, tiny, 1.0);
  CHECK_OUT(&dist_halfnormal, -2.0, 1.0);
  CHECK_OUT(&dist_halfnormal, 1.0, 0.0);
  CHECK_OUT(&dist_halfnormal, NAN, 1.0);
  CHECK_OUT(&dist_truncatednormal, nextafter(-1.0, -2.0), 0.0, 1.0, -1.0, 2.0);
  CHECK_OUT(&dist_truncatednormal, nextafter(2.0, 3.0), 0.0, 1.0, -1.0, 2.0);
  CHECK_OUT(&dist_truncatednormal, 1.0, 0.0, 1.0, 1.0, 1.0);
  CHECK_OUT(&dist_truncatednormal, 1.0, 0.0, 1.0, 2.0, -1.0);
  CHECK_OUT(&dist_truncatednormal, 1.0, 0.0, 0.0, -1.0, 2.0);
  CHECK_OUT(&dist_truncatednormal, 1.0, 0.0, 1.0, NAN, 2.0);
  CHECK_OUT(&dist_truncatednormal, 1.0, 0.0, 1.0, INFINITY, INFINITY);
  CHECK_OUT(&dist_truncatednormal, 1e300, 0.0, 1.0, 1e300, INFINITY);
  CHECK_OUT(&dist_uniform, nextafter(0.0, -1.0), 0.0, 1.0);
  CHECK_OUT(&dist_uniform, nextafter(1.0, 2.0), 0.0, 1.0);
  CHECK_OUT(&dist_uniform, 1.0, 1.0, 1.0);
  CHECK_OUT(&dist_uniform, 0.5, 1.0, 0.0);
  CHECK_OUT(&dist_uniform, 0.5, -INFINITY, 1.0);
  CHECK_OUT(&dist_uniform, NAN, 0.0, 1.0);
  CHECK_OUT(&dist_flat, NAN);
  CHECK_OUT(&dist_flat, -INFINITY);
  CHECK_OUT(&dist_halfflat, tiny);
  CHECK_OUT(&dist_halfflat, INFINITY);
  CHECK_OUT(&dist_beta, 0.0, 2.0, 2.0);
  CHECK_OUT(&dist_beta, 1.0, 2.0, 2.0);
  CHECK_OUT(&dist_beta, -0.5, 2.0, 2.0);
  CHECK_OUT(&dist_beta, 1.5, 2.0, 2.0);
  CHECK_OUT(&dist_beta, 0.5, 0.0, 2.0);
  CHECK_OUT(&dist_beta, 0.5, 2.0, -1.0);
  CHECK_OUT(&dist_beta, 0.5, NAN, 1.0);
  CHECK_OUT(&dist_gamma, 0.0, 2.0, 1.0);
  CHECK_OUT(&dist_gamma, -1.0, 2.0, 1.0);
  CHECK_OUT(&dist_gamma, 1.0, 0.0, 1.0);
  CHECK_OUT(&dist_gamma, 1.0, 2.0, 0.0);
  CHECK_OUT(&dist_gamma, 1.0, 2.0, INFINITY);
  CHECK_OUT(&dist_gamma, INFINITY, 2.0, 1.0);
  CHECK_OUT(&dist_inversegamma, 0.0, 2.0, 1.0);
  CHECK_OUT(&dist_inversegamma, 1.0, -1.0, 1.0);
  CHECK_OUT(&dist_inversegamma, 1.0, 1.0, 0.0);
  CHECK_OUT(&dist_exponential, tiny, 1.0);
  CHECK_OUT(&dist_exponential, 1.0, 0.0);
  CHECK_OUT(&dist_exponential, 1.0, -2.0);
  CHECK_OUT(&dist_exponential, NAN, 1.0);
  CHECK_OUT(&dist_studentt, 0.5, 0.0, 0.0, 1.0);
  CHECK_OUT(&dist_studentt, 0.5, 3.0, 0.0, 0.0);
  CHECK_OUT(&dist_studentt, INFINITY, 3.0, 0.0, 1.0);
  CHECK_OUT(&dist_studentt, 0.5, 3.0, NAN, 1.0);
  CHECK_OUT(&dist_halfstudentt, tiny, 3.0, 1.0);
  CHECK_OUT(&dist_halfstudentt, 1.0, -1.0, 1.0);
  CHECK_OUT(&dist_halfstudentt, 1.0, 3.0, 0.0);
  CHECK_OUT(&dist_cauchy, 0.5, 0.0, 0.0);
  CHECK_OUT(&dist_cauchy, -INFINITY, 0.0, 1.0);
  CHECK_OUT(&dist_cauchy, 0.5, INFINITY, 1.0);
  CHECK_OUT(&dist_halfcauchy, tiny, 1.0);
  CHECK_OUT(&dist_halfcauchy, 1.0, 0.0);
  CHECK_OUT(&dist_lognormal, 0.0, 0.0, 1.0);
  CHECK_OUT(&dist_lognormal, -1.0, 0.0, 1.0);
  CHECK_OUT(&dist_lognormal, 1.0, 0.0, 0.0);
  CHECK_OUT(&dist_lognormal, 1.0, NAN, 1.0);
  CHECK_OUT(&dist_laplace, 0.5, 0.0, 0.0);
  CHECK_OUT(&dist_laplace, NAN, 0.0, 1.0);
  CHECK_OUT(&dist_logistic, 0.5, 0.0, 0.0);
  CHECK_OUT(&dist_logistic, 0.5, 0.0, -1.0);
  CHECK_OUT(&dist_weibull, 0.0, 1.5, 1.0);
  CHECK_OUT(&dist_weibull, 1.0, 0.0, 1.0);
  CHECK_OUT(&dist_weibull, 1.0, 1.5, 0.0);
  CHECK_OUT(&dist_chisquared, 0.0, 3.0);
  CHECK_OUT(&dist_chisquared, 1.0, 0.0);
  CHECK_OUT(&dist_chisquared, 1.0, NAN);
  CHECK_OUT(&dist_vonmises, 3.2, 0.0, 1.0);
  CHECK_OUT(&dist_vonmises, below_pi, 0.0, 1.0);
  CHECK_OUT(&dist_vonmises, 1.0, 0.0, 0.0);
  CHECK_OUT(&dist_vonmises, 1.0, 0.0, -1.0);
  CHECK_OUT(&dist_vonmises, 1.0, INFINITY, 1.0);
}

/* One bad element in the middle of a vector: -inf, no gradient touched, for
 * both of Normal's loops. */
static void test_outside_vector(void) {
  const double x[4] = {0.1, 0.2, NAN, 0.4}, mu = 0.3;
  const double sigma_s = 1.2, sigma_v[4] = {1.0, 1.1, 1.2, 1.3};
  double gx[4] = {G0, G0, G0, G0}, gmu = G0, gs[4] = {G0, G0, G0, G0};
  double *gp[3] = {gx, &gmu, gs};
  DistTensor in[3] = {
      {.data = x, .len = 4, .ndim = 1, .rows = 4, .cols = 1},
      {.data = &mu, .len = 1, .ndim = 0, .rows = 1, .cols = 1},
      {.data = &sigma_s, .len = 1, .ndim = 0, .rows = 1, .cols = 1},
  };
  CHECK(dist_normal.lpdf(in, ADJ, gp) == -INFINITY);
  in[2] =
      (DistTensor){.data = sigma_v, .len = 4, .ndim = 1, .rows = 4, .cols = 1};
  CHECK(dist_normal.lpdf(in, ADJ, gp) == -INFINITY);
  bool same = gmu == G0;
  for (int i = 0; i < 4; i++)
    same = same && gx[i] == G0 && gs[i] == G0;
  CHECK(same);

  /* Every family with a support bound: a vector x with one bad element. */
  for (int s = 0; s < NSPECS; s++) {
    const DistFamily *f = specs[s].f;
    if (f->support.kind == SUPPORT_REAL)
      continue;
    const double bad = f->support.kind == SUPPORT_CIRCULAR ? 4.0 : -1.0;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double v[MAXIN], xs[3], g[MAXIN] = {G0, G0, G0, G0, G0};
    specs[s].point(r, v);
    gsl_rng_free(r);
    xs[0] = xs[2] = v[0];
    xs[1] = f == &dist_uniform || f == &dist_truncatednormal ? v[1] - 1.0 : bad;
    if (f == &dist_truncatednormal)
      xs[1] = isfinite(v[3]) ? v[3] - 1.0 : v[4] + 1.0;
    DistTensor vin[MAXIN];
    double *vg[MAXIN];
    scalar_inputs(vin, v, f->nparams + 1);
    vin[0] =
        (DistTensor){.data = xs, .len = 3, .ndim = 1, .rows = 3, .cols = 1};
    double gxs[3] = {G0, G0, G0};
    for (int j = 0; j <= f->nparams; j++)
      vg[j] = j == 0 ? gxs : &g[j];
    const double lp = f->lpdf(vin, ADJ, vg);
    bool untouched = gxs[0] == G0 && gxs[1] == G0 && gxs[2] == G0;
    for (int j = 1; j <= f->nparams; j++)
      untouched = untouched && g[j] == G0;
    if (!CHECK(lp == -INFINITY && untouched))
      fprintf(stderr, "  family %s\n", f->name);
  }
}

/* ---- (3) draws -------------------------------------------------------- */

static int compare_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* sup |F_n - F| over sorted draws x given the cdf values F(x[i]). */
static double ks_from_cdf(const double *cdf, size_t n) {
  double d = 0.0;
  for (size_t i = 0; i < n; i++) {
    d = fmax(d, cdf[i] - (double)i / (double)n);
    d = fmax(d, (double)(i + 1) / (double)n - cdf[i]);
  }
  return d;
}

static double dkw_eps(size_t n) {
  return sqrt(log(2.0 / DKW_ALPHA) / (2.0 * (double)n));
}

/* n draws of f at scalar parameters p. */
static bool draw(const DistFamily *f, Rng *rng, const double *p, double *out,
                 size_t n) {
  DistTensor in[MAXIN];
  scalar_inputs(in, p, f->nparams);
  return f->random(rng, in, out, n);
}

/* NDRAWS draws at p: in the support, and KS distance below the DKW bound. */
static void check_draws(const DistFamily *f, CdfFn cdf, const double *p,
                        Rng *rng) {
  static double x[NDRAWS], F[NDRAWS];
  if (!CHECK(draw(f, rng, p, x, NDRAWS)))
    return;
  qsort(x, NDRAWS, sizeof *x, compare_double);
  bool inside = true;
  DistTensor in[MAXIN];
  for (size_t i = 0; i < NDRAWS; i++) {
    double v[MAXIN];
    v[0] = x[i];
    memcpy(v + 1, p, (size_t)f->nparams * sizeof *v);
    scalar_inputs(in, v, f->nparams + 1);
    inside = inside && isfinite(f->lpdf(in, 1.0, NULL));
    F[i] = cdf(x[i], p);
  }
  const double d = ks_from_cdf(F, NDRAWS);
  if (!CHECK(inside && d < dkw_eps(NDRAWS)))
    fprintf(stderr, "  family %s: KS distance %g, all in support %d\n", f->name,
            d, inside);
}

static void test_draws(Rng *rng) {
  for (int s = 0; s < NSPECS; s++)
    if (specs[s].cdf)
      check_draws(specs[s].f, specs[s].cdf, specs[s].rparams, rng);
  /* Other corners of the samplers. */
  check_draws(&dist_beta, cdf_beta, V(3.1, 1.2), rng);
  check_draws(&dist_beta, cdf_beta, V(0.2, 0.3), rng);
  check_draws(&dist_gamma, cdf_gamma, V(4.2, 0.35), rng);
  check_draws(&dist_gamma, cdf_gamma, V(0.05, 2.0), rng);
  check_draws(&dist_studentt, cdf_studentt, V(0.6, 0.0, 1.0), rng);
  check_draws(&dist_weibull, cdf_weibull, V(0.4, 0.7), rng);
  check_draws(&dist_chisquared, cdf_chisq, V(0.3), rng);
  /* TruncatedNormal regimes (Robert 1995): wide and narrow across the mode,
   * wide and narrow in either tail, one-sided. */
  check_draws(&dist_truncatednormal, cdf_tn, V(0.0, 1.0, -0.3, 0.4), rng);
  check_draws(&dist_truncatednormal, cdf_tn, V(1.0, 2.0, 7.0, INFINITY), rng);
  check_draws(&dist_truncatednormal, cdf_tn, V(0.0, 1.0, 4.0, 4.15), rng);
  check_draws(&dist_truncatednormal, cdf_tn, V(0.0, 1.0, 0.4, 1.3), rng);
  check_draws(&dist_truncatednormal, cdf_tn, V(0.0, 1.0, -3.5, -2.2), rng);
  check_draws(&dist_truncatednormal, cdf_tn, V(2.0, 0.5, -INFINITY, 1.1), rng);
  check_draws(&dist_truncatednormal, cdf_tn, V(-1.0, 3.0, -INFINITY, INFINITY),
              rng);
}

/* The von Mises cdf by Gauss–Legendre quadrature between sorted draws. */
static void check_vonmises_draws(const double *p, Rng *rng) {
  static double x[NDRAWS], F[NDRAWS];
  if (!CHECK(draw(&dist_vonmises, rng, p, x, NDRAWS)))
    return;
  qsort(x, NDRAWS, sizeof *x, compare_double);
  gsl_integration_glfixed_table *gl = gsl_integration_glfixed_table_alloc(20);
  const double log_norm = log(2 * M_PI * gsl_sf_bessel_I0_scaled(p[1]));
  double cum = 0.0, prev = -M_PI, sum_c = 0.0, sum_c2 = 0.0;
  for (size_t i = 0; i < NDRAWS; i++) {
    double xi, wi;
    for (size_t q = 0; q < 20; q++) {
      gsl_integration_glfixed_point(prev, x[i], q, &xi, &wi, gl);
      cum += wi * exp(p[1] * (cos(xi - p[0]) - 1.0) - log_norm);
    }
    prev = x[i];
    F[i] = cum;
    const double c = cos(x[i] - p[0]);
    sum_c += c;
    sum_c2 += c * c;
  }
  gsl_integration_glfixed_table_free(gl);
  const double d = ks_from_cdf(F, NDRAWS);
  CHECK(x[0] >= -M_PI && x[NDRAWS - 1] <= M_PI);
  if (!CHECK(d < dkw_eps(NDRAWS)))
    fprintf(stderr, "  VonMises(%g, %g): KS distance %g\n", p[0], p[1], d);
  /* E cos(x - mu) = I1(kappa) / I0(kappa), within 5 standard errors. */
  const double mean = sum_c / NDRAWS;
  const double se = sqrt((sum_c2 / NDRAWS - mean * mean) / NDRAWS);
  const double want =
      gsl_sf_bessel_I1_scaled(p[1]) / gsl_sf_bessel_I0_scaled(p[1]);
  CHECK_NEAR(mean, want, 5.0 * se + 1e-12);
}

static void test_vonmises_draws(Rng *rng) {
  check_vonmises_draws(V(0.9, 2.6), rng);
  check_vonmises_draws(V(-2.8, 0.3), rng);  /* wraps around -pi */
  check_vonmises_draws(V(3.0, 40.0), rng);  /* wraps around pi */
  check_vonmises_draws(V(0.2, 3e-6), rng);  /* Taylor branch */
  check_vonmises_draws(V(-1.0, 1e-9), rng); /* uniform branch */
  /* The wrapped-normal branch: moments only (the cdf is a step at this
   * resolution). */
  static double x[NDRAWS];
  if (CHECK(draw(&dist_vonmises, rng, V(1.0, 4e6), x, NDRAWS))) {
    double sum = 0.0, sum2 = 0.0;
    for (size_t i = 0; i < NDRAWS; i++) {
      sum += x[i] - 1.0;
      sum2 += (x[i] - 1.0) * (x[i] - 1.0);
    }
    CHECK_NEAR(sum / NDRAWS, 0.0, 5.0 * sqrt(1.0 / 4e6 / NDRAWS));
    CHECK_NEAR(sum2 / NDRAWS, 1.0 / 4e6, 5.0 * sqrt(2.0 / NDRAWS) / 4e6);
  }
}

/* Parameters one per draw; invalid and mismatched parameters; improper
 * families; extreme tails stay in the support; same seed, same draws. */
static void test_draw_contracts(void) {
  Rng *rng = rng_alloc(20240611);
  enum { N = 50 };
  double mu[N], out[N], out2[N], sigma = 0.01;
  for (int i = 0; i < N; i++)
    mu[i] = 100.0 * i - 2000.0;
  DistTensor p[2] = {
      {.data = mu, .len = N, .ndim = 1, .rows = N, .cols = 1},
      {.data = &sigma, .len = 1, .ndim = 0, .rows = 1, .cols = 1},
  };
  bool near = true;
  if (CHECK(dist_normal.random(rng, p, out, N)))
    for (int i = 0; i < N; i++)
      near = near && fabs(out[i] - mu[i]) < 1.0;
  CHECK(near);
  CHECK(!dist_normal.random(rng, p, out, N - 1)); /* length mismatch */
  sigma = -1.0;
  CHECK(!dist_normal.random(rng, p, out, N));
  sigma = 0.01;
  CHECK(dist_normal.random(rng, p, out, 0) == false); /* 0 != N */

  CHECK(!draw(&dist_gamma, rng, V(0.0, 1.0), out, 5));
  CHECK(!draw(&dist_beta, rng, V(1.0, NAN), out, 5));
  CHECK(!draw(&dist_uniform, rng, V(2.0, 1.0), out, 5));
  CHECK(!draw(&dist_truncatednormal, rng, V(0.0, 1.0, 1.0, 1.0), out, 5));
  CHECK(!draw(&dist_vonmises, rng, V(0.0, 0.0), out, 5));
  CHECK(!draw(&dist_studentt, rng, V(-1.0, 0.0, 1.0), out, 5));
  CHECK(!draw(&dist_exponential, rng, V(INFINITY), out, 5));
  CHECK(!draw(&dist_flat, rng, NULL, out, 5));
  CHECK(!draw(&dist_halfflat, rng, NULL, out, 5));

  /* Far tails: finite, inside the bounds. */
  bool ok =
      draw(&dist_truncatednormal, rng, V(0.0, 1.0, 1e9, INFINITY), out, N);
  ok = ok &&
       draw(&dist_truncatednormal, rng, V(0.0, 1.0, -40.0, -39.999), out2, N);
  for (int i = 0; i < N; i++)
    ok = ok && out[i] >= 1e9 && isfinite(out[i]) && out2[i] >= -40.0 &&
         out2[i] <= -39.999;
  CHECK(ok);
  ok = draw(&dist_beta, rng, V(0.01, 0.01), out, N);
  for (int i = 0; i < N; i++)
    ok = ok && out[i] > 0.0 && out[i] < 1.0;
  CHECK(ok);
  ok = draw(&dist_gamma, rng, V(0.005, 1.0), out, N);
  for (int i = 0; i < N; i++)
    ok = ok && out[i] > 0.0;
  CHECK(ok);

  rng_seed(rng, 7);
  draw(&dist_gamma, rng, V(2.5, 1.5), out, N);
  rng_seed(rng, 7);
  draw(&dist_gamma, rng, V(2.5, 1.5), out2, N);
  CHECK(memcmp(out, out2, sizeof out) == 0);
  rng_free(rng);
}

int main(void) {
  gsl_set_error_handler_off();
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 314159);
  Rng *rng = rng_alloc(2718281828u);

  test_family_objects();
  test_values_location_scale();
  test_values_positive();
  test_values_bounded();
  test_partials(r);
  test_broadcast(r);
  test_lengths();
  test_outside();
  test_outside_vector();
  test_draws(rng);
  test_vonmises_draws(rng);
  test_draw_contracts();

  rng_free(rng);
  gsl_rng_free(r);
  return check_summary();
}
