/*
 * vonmises.c — the VonMises (circular normal) family on [-pi, pi]: mean
 * direction mu, concentration kappa > 0 (defaults 0 and 1, as in PyMC; 1 /
 * kappa plays the part of sigma^2).
 *
 *   log VM(x | mu, kappa) = kappa cos(x - mu) - log(2 pi I0(kappa))
 *     = -2 kappa sin^2((x - mu) / 2) - log 2 pi - log(e^-kappa I0(kappa)),
 * the second form free of overflow and of cancellation near x = mu, with the
 * scaled Bessel function gsl_sf_bessel_I0_scaled;
 *   d/dx = -kappa sin(x - mu),  d/dmu = kappa sin(x - mu),
 *   d/dkappa = cos(x - mu) - I1(kappa) / I0(kappa)
 * (the ratio of the scaled functions, I1_scaled / I0_scaled).
 *
 * Draws: Best & Fisher (1979), Efficient simulation of the von Mises
 * distribution, Applied Statistics 28:152-157, with NumPy's guards: a
 * uniform angle below kappa = 1e-8, a Taylor form of the envelope parameter
 * below 1e-5, and the wrapped-normal limit N(mu, 1 / kappa) above 1e6. The
 * angle is then wrapped into [-pi, pi].
 */
#include <config.h>
#include "dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_bessel.h>

#include "dist_util.h"
#include "rng.h"

enum { VONMISES_K = 3 }; /* inputs: x, mu, kappa */

static const char *const vonmises_params[] = {"mu", "kappa"};
static const double vonmises_defaults[] = {0.0, 1.0};

/* Regimes of the sampler (NumPy's legacy/distributions.c thresholds). */
#define VM_KAPPA_UNIFORM 1e-8
#define VM_KAPPA_TAYLOR 1e-5
#define VM_KAPPA_NORMAL 1e6

/* x in the support [-pi, pi]. */
static bool vonmises_in_support(double x) { return x >= -M_PI && x <= M_PI; }

/* Terms of kappa only. */
typedef struct VonMisesTerms {
  double log_norm; /* log 2 pi + log I0_scaled(kappa) */
  double ratio;    /* I1(kappa) / I0(kappa) */
} VonMisesTerms;

static void vonmises_terms(VonMisesTerms *c, double kappa) {
  const double i0 = gsl_sf_bessel_I0_scaled(kappa);
  c->log_norm = DIST_LOG_2PI + log(i0);
  c->ratio = gsl_sf_bessel_I1_scaled(kappa) / i0;
}

static double vonmises_lpdf(const DistTensor *in, double adj,
                            double *const *grad) {
  const size_t n = dist_broadcast_len(in, VONMISES_K);
  if (n == 0)
    return dist_lpdf_empty(in, VONMISES_K);
  if (!dist_check(&in[0], vonmises_in_support) ||
      !dist_check(&in[1], dist_finite) || !dist_check(&in[2], dist_positive))
    return -INFINITY;
  DistArg a[VONMISES_K];
  dist_args_init(a, in, grad, VONMISES_K);
  const bool vary = dist_params_vary(a, VONMISES_K);
  const bool want = dist_args_want(a, VONMISES_K);
  VonMisesTerms c;
  vonmises_terms(&c, dist_at(&a[2], 0));
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double kappa = dist_at(&a[2], i);
    if (vary)
      vonmises_terms(&c, kappa);
    const double d = dist_at(&a[0], i) - dist_at(&a[1], i);
    const double s = sin(0.5 * d);
    lp += -2.0 * kappa * s * s - c.log_norm;
    if (want) {
      const double sin_d = sin(d);
      dist_grad(&a[0], i, adj, -kappa * sin_d);
      dist_grad(&a[1], i, adj, kappa * sin_d);
      dist_grad(&a[2], i, adj, cos(d) - c.ratio);
    }
  }
  dist_args_flush(a, VONMISES_K, adj);
  return lp;
}

/* An angle theta of VonMises(0, kappa) (Best & Fisher 1979). */
static double vonmises_angle(gsl_rng *r, double kappa) {
  if (kappa < VM_KAPPA_UNIFORM)
    return M_PI * (2.0 * gsl_rng_uniform(r) - 1.0);
  if (kappa > VM_KAPPA_NORMAL)
    return gsl_ran_gaussian_ziggurat(r, 1.0 / sqrt(kappa));
  double s;
  if (kappa < VM_KAPPA_TAYLOR) {
    s = 1.0 / kappa + kappa;
  } else {
    const double tau = 1.0 + sqrt(1.0 + 4.0 * kappa * kappa);
    const double rho = (tau - sqrt(2.0 * tau)) / (2.0 * kappa);
    s = (1.0 + rho * rho) / (2.0 * rho);
  }
  double w;
  for (;;) {
    const double z = cos(M_PI * gsl_rng_uniform(r));
    w = (1.0 + s * z) / (s + z);
    const double y = kappa * (s - w);
    const double v = gsl_rng_uniform_pos(r);
    if (y * (2.0 - y) - v >= 0.0 || log(y / v) + 1.0 - y >= 0.0)
      break;
  }
  const double theta = acos(fmin(fmax(w, -1.0), 1.0));
  return gsl_rng_uniform(r) < 0.5 ? -theta : theta;
}

static bool vonmises_random(Rng *rng, const DistTensor *p, double *out,
                            size_t n) {
  if (!dist_random_lens(p, 2, n) || !dist_check(&p[0], dist_finite) ||
      !dist_check(&p[1], dist_positive))
    return false;
  gsl_rng *r = rng_gsl(rng);
  for (size_t i = 0; i < n; i++) {
    const double x =
        dist_param(&p[0], i) + vonmises_angle(r, dist_param(&p[1], i));
    out[i] = fmin(fmax(remainder(x, 2.0 * M_PI), -M_PI), M_PI);
  }
  return true;
}

const DistFamily dist_vonmises = {
    .name = "VonMises",
    .nparams = 2,
    .params = vonmises_params,
    .defaults = vonmises_defaults,
    .support = {SUPPORT_CIRCULAR, -1, -1, -M_PI, M_PI},
    .discrete = false,
    .multivariate = false,
    .lpdf = vonmises_lpdf,
    .random = vonmises_random,
    .check = NULL,
};
