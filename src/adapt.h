/*
 * adapt.h — warm-up adaptation shared by HMC and NUTS: the step size by
 * Nesterov dual averaging, and the mass matrix (its inverse, the posterior
 * variance or covariance) estimated in Stan's expanding windows.
 *
 * Both are plain numeric state with no allocation after adapt_metric_alloc,
 * so a step method can call them from step(). They follow Stan's
 * stepsize_adaptation, windowed_adaptation, var_adaptation and
 * covar_adaptation classes.
 *
 * References: Nesterov (2009), Primal-dual subgradient methods for convex
 * problems; Hoffman & Gelman (2014), The No-U-Turn Sampler, section 3.2 and
 * Algorithm 5; Stan Reference Manual, "HMC algorithm parameters" (automatic
 * parameter tuning, warm-up windows); Welford (1962) for the running moments.
 */
#ifndef PPL_ADAPT_H
#define PPL_ADAPT_H

#include <stdbool.h>
#include <stddef.h>

/* Dual averaging of log(eps) toward a target mean acceptance statistic
 * delta (Hoffman & Gelman 2014, eq. 6; Stan's stepsize_adaptation). */
typedef struct AdaptStepSize {
  double delta;   /* target acceptance statistic, in (0, 1) */
  double mu;      /* shrinkage point, log(10 eps0) */
  double s_bar;   /* running mean of delta - accept_stat (H&G's H-bar) */
  double x_bar;   /* averaged iterate, log eps-bar */
  double counter; /* iterations since the last restart (H&G's t) */
} AdaptStepSize;

/* Starts (or restarts) the averaging around eps0: mu = log(10 eps0), all
 * averages zero. delta is the target acceptance statistic. */
void adapt_step_size_restart(AdaptStepSize *a, double delta, double eps0);

/* One update from the acceptance statistic of the last transition (capped
 * at 1; NaN counts as 0). Returns the step size to use next,
 * exp(mu - sqrt(t) / gamma * s_bar) with gamma = 0.05, t0 = 10,
 * kappa = 0.75 (H&G 2014, section 3.2). */
double adapt_step_size_learn(AdaptStepSize *a, double accept_stat);

/* The step size to keep after warm-up, exp(x_bar); eps_now when no update
 * happened since the last restart. */
double adapt_step_size_final(const AdaptStepSize *a, double eps_now);

/* Stan's warm-up windows for num_warmup tuning iterations: an initial fast
 * buffer (75), slow windows doubling from 25, a terminal fast buffer (50);
 * when they do not fit, 15% / 75% / 10% of num_warmup; no windows at all
 * below 20 iterations. */
typedef struct AdaptWindows {
  long num_warmup;
  long init_buffer, term_buffer, base_window;
  long counter;     /* tuning iterations seen */
  long window_size; /* size of the current slow window */
  long next_window; /* iteration at which the current window closes */
} AdaptWindows;

void adapt_windows_init(AdaptWindows *w, long num_warmup);
/* Whether iteration w->counter falls inside a slow window (its draw is
 * used for the metric estimate). */
bool adapt_windows_inside(const AdaptWindows *w);
/* Whether iteration w->counter closes a slow window. */
bool adapt_windows_closing(const AdaptWindows *w);
/* Plans the next window after one closes (doubling its size, and
 * stretching it to the terminal buffer when the one after would not fit). */
void adapt_windows_advance(AdaptWindows *w);

/* The metric estimate: Welford running mean and (co)variance of the draws
 * of one window, over n coordinates; diagonal or dense. */
typedef struct AdaptMetric AdaptMetric;

/* Allocates the estimator for n coordinates and num_warmup tuning
 * iterations. malloc-owned; NULL when out of memory. */
AdaptMetric *adapt_metric_alloc(size_t n, bool dense, long num_warmup,
                                bool use_gradients);
void adapt_metric_free(AdaptMetric *a);

/* Feeds the draw q (n values) of one tuning iteration. When this iteration
 * closes a window, writes the regularised estimate to inv_metric (n values
 * when diagonal, n*n row-major when dense), restarts the estimator and
 * returns true; otherwise leaves inv_metric alone and returns false.
 * Regularisation (Stan): var * m/(m+5) + 1e-3 * 5/(m+5) for m draws, on the
 * diagonal (covariance: the whole matrix shrunk toward 1e-3 I). */
bool adapt_metric_learn(AdaptMetric *a, const double *q, const double *g,
                        double *inv_metric);

/* With use_gradients (diagonal only), the estimate matches gradients as
 * well as draws: inv_metric_i = sqrt(var(q_i) / var(g_i)) over the window,
 * where g is the gradient of log p at q (n values, passed to
 * adapt_metric_learn). For a Gaussian with independent coordinates both
 * estimators give the variance; elsewhere this one minimises the Fisher
 * divergence between the target and a diagonal Gaussian approximation, the
 * idea behind nutpie (Seyboldt et al., 2023), which often needs fewer
 * draws to settle than the variance alone. A coordinate whose gradient
 * does not vary (var(g_i) = 0) keeps the variance estimate. */

#endif
