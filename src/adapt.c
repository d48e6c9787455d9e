/*
 * adapt.c — dual-averaging step size and windowed mass-matrix estimation
 * for HMC and NUTS warm-up.
 *
 * Step size: Nesterov's dual averaging on x = log eps (Hoffman & Gelman
 * 2014, section 3.2): after t transitions with acceptance statistics a_i,
 *   s_bar_t = (1 - 1/(t + t0)) s_bar_{t-1} + (delta - a_t) / (t + t0),
 *   x_t     = mu - sqrt(t) / gamma * s_bar_t,
 *   x_bar_t = t^-kappa x_t + (1 - t^-kappa) x_bar_{t-1},
 * and warm-up ends on eps = exp(x_bar). The update order and the cap of
 * a_t at 1 are Stan's stepsize_adaptation::learn_stepsize.
 *
 * Metric: Stan's windows over the warm-up iterations 0 .. N-1. Iterations
 * in [init_buffer, N - term_buffer) feed a Welford estimator; a window
 * closes at next_window, where the estimate becomes the inverse metric and
 * the estimator restarts, and the next window is twice as long (stretched
 * to the terminal buffer when the one after it would not fit). For
 * N = 1000 the windows are 75 | 25 50 100 200 500 | 50.
 * Invariant: the estimator holds only draws of the current window.
 *
 * References: Hoffman & Gelman (2014), JMLR 15, 1593-1623; Stan Reference
 * Manual, "HMC algorithm parameters"; Stan's windowed_adaptation.hpp,
 * var_adaptation.hpp, covar_adaptation.hpp, welford_var_estimator.hpp;
 * Welford (1962), Technometrics 4, 419-420.
 */
#include <config.h>
#include "adapt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Dual-averaging constants of Hoffman & Gelman (2014), section 3.2, also
 * Stan's defaults. */
#define ADAPT_GAMMA 0.05
#define ADAPT_T0 10.0
#define ADAPT_KAPPA 0.75

/* Stan's default warm-up windows (init_buffer, window, term_buffer), and
 * the fallback split when they overflow num_warmup. */
enum {
  ADAPT_INIT_BUFFER = 75,
  ADAPT_BASE_WINDOW = 25,
  ADAPT_TERM_BUFFER = 50,
  ADAPT_MIN_WARMUP = 20
};
#define ADAPT_INIT_FRACTION 0.15
#define ADAPT_TERM_FRACTION 0.10

/* Regularisation of the estimate toward ADAPT_REG_SCALE * I with the weight
 * of ADAPT_REG_DRAWS pseudo-draws (Stan's var_adaptation). */
#define ADAPT_REG_DRAWS 5.0
#define ADAPT_REG_SCALE 1e-3

void adapt_step_size_restart(AdaptStepSize *a, double delta, double eps0) {
  a->delta = delta;
  a->mu = log(10.0 * eps0);
  a->s_bar = 0.0;
  a->x_bar = 0.0;
  a->counter = 0.0;
}

double adapt_step_size_learn(AdaptStepSize *a, double accept_stat) {
  double alpha = accept_stat > 1.0 ? 1.0 : accept_stat;
  if (!(alpha >= 0.0))
    alpha = 0.0;
  a->counter += 1.0;
  const double t = a->counter;
  const double eta = 1.0 / (t + ADAPT_T0);
  a->s_bar = (1.0 - eta) * a->s_bar + eta * (a->delta - alpha);
  const double x = a->mu - a->s_bar * sqrt(t) / ADAPT_GAMMA;
  const double x_eta = pow(t, -ADAPT_KAPPA);
  a->x_bar = (1.0 - x_eta) * a->x_bar + x_eta * x;
  return exp(x);
}

double adapt_step_size_final(const AdaptStepSize *a, double eps_now) {
  return a->counter > 0.0 ? exp(a->x_bar) : eps_now;
}

/* Stan's windowed_adaptation::restart. */
static void windows_restart(AdaptWindows *w) {
  w->counter = 0;
  w->window_size = w->base_window;
  w->next_window = w->init_buffer + w->window_size - 1;
}

void adapt_windows_init(AdaptWindows *w, long num_warmup) {
  memset(w, 0, sizeof *w);
  if (num_warmup < ADAPT_MIN_WARMUP) {
    /* All zero: adapt_windows_inside is never true. */
    windows_restart(w);
    return;
  }
  w->num_warmup = num_warmup;
  if (ADAPT_INIT_BUFFER + ADAPT_BASE_WINDOW + ADAPT_TERM_BUFFER > num_warmup) {
    w->init_buffer = (long)(ADAPT_INIT_FRACTION * (double)num_warmup);
    w->term_buffer = (long)(ADAPT_TERM_FRACTION * (double)num_warmup);
    w->base_window = num_warmup - (w->init_buffer + w->term_buffer);
  } else {
    w->init_buffer = ADAPT_INIT_BUFFER;
    w->term_buffer = ADAPT_TERM_BUFFER;
    w->base_window = ADAPT_BASE_WINDOW;
  }
  windows_restart(w);
}

bool adapt_windows_inside(const AdaptWindows *w) {
  return w->counter >= w->init_buffer &&
         w->counter < w->num_warmup - w->term_buffer &&
         w->counter != w->num_warmup;
}

bool adapt_windows_closing(const AdaptWindows *w) {
  return w->counter == w->next_window && w->counter != w->num_warmup;
}

void adapt_windows_advance(AdaptWindows *w) {
  const long last = w->num_warmup - w->term_buffer - 1;
  if (w->next_window == last)
    return;
  w->window_size *= 2;
  w->next_window = w->counter + w->window_size;
  if (w->next_window == last)
    return;
  /* The boundary of the window after this one: if it would overrun the
   * slow phase, this window takes the rest of it. */
  if (w->next_window + 2 * w->window_size >= w->num_warmup - w->term_buffer)
    w->next_window = last;
}

struct AdaptMetric {
  AdaptWindows w;
  size_t n;
  bool dense;
  double m;      /* draws in the current window */
  double *mean;  /* n */
  double *m2;    /* n (diagonal) or n*n (dense): sums of cross-deviations */
  double *delta; /* n, scratch */
  bool use_gradients;
  double *gmean, *gm2; /* n each: Welford moments of the gradients */
};

AdaptMetric *adapt_metric_alloc(size_t n, bool dense, long num_warmup,
                                bool use_gradients) {
  AdaptMetric *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  const size_t nm2 = dense ? n * n : n;
  a->n = n;
  a->dense = dense;
  a->mean = calloc(n ? n : 1, sizeof(double));
  a->m2 = calloc(nm2 ? nm2 : 1, sizeof(double));
  a->delta = calloc(n ? n : 1, sizeof(double));
  a->use_gradients = use_gradients && !dense;
  a->gmean = calloc(n ? n : 1, sizeof(double));
  a->gm2 = calloc(n ? n : 1, sizeof(double));
  if (!a->mean || !a->m2 || !a->delta || !a->gmean || !a->gm2) {
    adapt_metric_free(a);
    return NULL;
  }
  adapt_windows_init(&a->w, num_warmup);
  return a;
}

void adapt_metric_free(AdaptMetric *a) {
  if (!a)
    return;
  free(a->mean);
  free(a->m2);
  free(a->delta);
  free(a->gmean);
  free(a->gm2);
  free(a);
}

/* Welford's update of the running mean and the sums of (cross-)deviation
 * products (Stan's welford_var_estimator / welford_covar_estimator). */
static void welford_add(AdaptMetric *a, const double *q) {
  const size_t n = a->n;
  a->m += 1.0;
  for (size_t i = 0; i < n; i++) {
    a->delta[i] = q[i] - a->mean[i];
    a->mean[i] += a->delta[i] / a->m;
  }
  if (!a->dense) {
    for (size_t i = 0; i < n; i++)
      a->m2[i] += (q[i] - a->mean[i]) * a->delta[i];
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const double ri = q[i] - a->mean[i];
    for (size_t j = 0; j < n; j++)
      a->m2[i * n + j] += ri * a->delta[j];
  }
}

/* The regularised sample (co)variance of the window into out. */
static void welford_estimate(const AdaptMetric *a, double *out) {
  const size_t n = a->n, len = a->dense ? n * n : n;
  const double m = a->m;
  const double w = m / (m + ADAPT_REG_DRAWS);
  const double shrink =
      ADAPT_REG_SCALE * ADAPT_REG_DRAWS / (m + ADAPT_REG_DRAWS);
  for (size_t k = 0; k < len; k++)
    out[k] = w * (m > 1.0 ? a->m2[k] / (m - 1.0) : 0.0);
  for (size_t i = 0; i < n; i++)
    out[a->dense ? i * n + i : i] += shrink;
  if (!a->dense)
    return;
  /* Symmetrise: the Welford cross terms agree only up to rounding. */
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      const double s = 0.5 * (out[i * n + j] + out[j * n + i]);
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
}

static void welford_restart(AdaptMetric *a) {
  const size_t len = a->dense ? a->n * a->n : a->n;
  a->m = 0.0;
  memset(a->mean, 0, a->n * sizeof(double));
  memset(a->m2, 0, len * sizeof(double));
  memset(a->gmean, 0, a->n * sizeof(double));
  memset(a->gm2, 0, a->n * sizeof(double));
}

/* The gradients' running moments (a->m already counts this draw). */
static void welford_add_gradient(AdaptMetric *a, const double *g) {
  for (size_t i = 0; i < a->n; i++) {
    const double d = g[i] - a->gmean[i];
    a->gmean[i] += d / a->m;
    a->gm2[i] += (g[i] - a->gmean[i]) * d;
  }
}

/* Replaces the variance estimate var_i by sqrt(var_i / var(g_i)). */
static void gradient_estimate(const AdaptMetric *a, double *inv_metric) {
  if (a->m < 2.0)
    return;
  for (size_t i = 0; i < a->n; i++) {
    const double vg = a->gm2[i] / (a->m - 1.0);
    if (vg > 0.0 && isfinite(vg)) {
      const double v = sqrt(inv_metric[i] / vg);
      if (isfinite(v) && v > 0.0)
        inv_metric[i] = v;
    }
  }
}

bool adapt_metric_learn(AdaptMetric *a, const double *q, const double *g,
                        double *inv_metric) {
  AdaptWindows *w = &a->w;
  if (adapt_windows_inside(w)) {
    welford_add(a, q);
    if (a->use_gradients && g)
      welford_add_gradient(a, g);
  }
  if (!adapt_windows_closing(w)) {
    w->counter++;
    return false;
  }
  adapt_windows_advance(w);
  welford_estimate(a, inv_metric);
  if (a->use_gradients)
    gradient_estimate(a, inv_metric);
  welford_restart(a);
  w->counter++;
  return true;
}
