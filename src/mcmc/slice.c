/*
 * slice.c — univariate slice sampling, one coordinate of idx after
 * another, with stepping out and shrinkage (Neal 2003).
 *
 * For coordinate x = theta_i with the others fixed (Neal 2003, section 4):
 *   1. the slice level: log y = log p(x0) - e, e ~ Exponential(1);
 *   2. stepping out (fig. 3): an interval [L, R) of width w placed
 *      uniformly around x0, then widened by w on the left while
 *      log p(L) > log y, for at most J steps, and on the right for at most
 *      K steps, with J = floor(m V), K = m - 1 - J, V ~ U(0, 1), so the
 *      interval spans at most m w and the split keeps detailed balance;
 *   3. shrinkage (fig. 5): x1 ~ U(L, R); accept when log p(x1) > log y,
 *      else move the end on x1's side of x0 to x1 and draw again.
 * A point with log p = -inf (or NaN) is never in the slice, so the chain
 * never enters a -inf region. Shrinkage ends in theory (x0 is in the
 * slice); after SLICE_MAX_SHRINK rejections in floating point (an interval
 * collapsed onto x0) the coordinate keeps x0.
 *
 * Warm-up: each coordinate's width w_i becomes the running mean of its
 * final (shrunk) intervals, w_i <- w_i t/(t+1) + (R - L)/(t+1) after t
 * tuning updates (PyMC's Slice). end_tuning freezes w.
 *
 * Stats: accept_stat = 1 (a slice step always moves, except after the
 * shrink cap: then 0), step_size = mean of the widths, other fields 0
 * (energy NAN). Log-density evaluations only, no gradients; when the
 * driver passes grad, it is refreshed once at the end.
 *
 * References: Neal (2003), Slice sampling, Ann. Statist. 31, 705-767
 * (figures 3 and 5); PyMC's pymc/step_methods/slicer.py for the tuning.
 */
#include <config.h>
#include "mcmc.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* Neal's m: the interval spans at most m initial widths (Neal 2003,
 * fig. 3). With w tuned to the slice's scale, 100 widths are never reached
 * on light tails; it bounds the work on heavy ones. */
enum { SLICE_MAX_STEPS = 100 };
/* Shrinkage draws before giving up on a collapsed interval: halving a
 * double interval 200 times reaches below its spacing. */
enum { SLICE_MAX_SHRINK = 200 };
/* Initial width when none is given (PyMC's w = 1). */
#define SLICE_WIDTH 1.0

typedef struct Slice {
  size_t dim, n;
  size_t *idx;
  double *w; /* n widths */
  double t;  /* tuning updates so far */
  bool tuned;
} Slice;

static void slice_free(void *state) {
  Slice *s = state;
  if (!s)
    return;
  free(s->idx);
  free(s->w);
  free(s);
}

static void *slice_alloc(const StepOptions *opt, size_t dim, const size_t *idx,
                         size_t nidx) {
  Slice *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->dim = dim;
  s->n = nidx;
  s->idx = malloc((nidx ? nidx : 1) * sizeof(size_t));
  s->w = malloc((nidx ? nidx : 1) * sizeof(double));
  if (!s->idx || !s->w) {
    slice_free(s);
    return NULL;
  }
  if (nidx)
    memcpy(s->idx, idx, nidx * sizeof(size_t));
  const double w0 = opt ? opt->slice_width : NAN;
  for (size_t k = 0; k < nidx; k++)
    s->w[k] = w0 > 0.0 && isfinite(w0) ? w0 : SLICE_WIDTH;
  return s;
}

/* log p with theta[i] = x; -INFINITY for anything not finite. */
static double log_density_at(const LogDensity *d, double *theta, size_t i,
                             double x) {
  theta[i] = x;
  const double lp = d->fn(d->ctx, theta, NULL);
  return isfinite(lp) ? lp : -INFINITY;
}

/* One slice update of theta[i] with width w. Updates *logp; returns the
 * final interval width R - L, or -1 when the shrink cap was hit. */
static double slice_coordinate(const LogDensity *d, Rng *rng, double *theta,
                               size_t i, double w, double *logp) {
  gsl_rng *r = rng_gsl(rng);
  const double x0 = theta[i];
  const double log_y = *logp - gsl_ran_exponential(r, 1.0);
  double L = x0 - w * rng_uniform(rng);
  double R = L + w;
  int J = (int)floor(SLICE_MAX_STEPS * rng_uniform(rng));
  int K = SLICE_MAX_STEPS - 1 - J;
  for (; J > 0 && log_density_at(d, theta, i, L) > log_y; J--)
    L -= w;
  for (; K > 0 && log_density_at(d, theta, i, R) > log_y; K--)
    R += w;
  for (int tries = 0; tries < SLICE_MAX_SHRINK; tries++) {
    const double x1 = L + rng_uniform(rng) * (R - L);
    const double lp = log_density_at(d, theta, i, x1);
    if (lp > log_y && lp != -INFINITY) {
      *logp = lp;
      return R - L;
    }
    if (x1 < x0)
      L = x1;
    else
      R = x1;
  }
  theta[i] = x0;
  return -1.0;
}

static void slice_step(void *state, const LogDensity *d, Rng *rng,
                       double *theta, double *logp, double *grad, bool tuning,
                       StepStats *stats) {
  Slice *s = state;
  memset(stats, 0, sizeof *stats);
  stats->energy = NAN;
  stats->accept_stat = 1.0;
  const bool adapt = tuning && !s->tuned;
  double wsum = 0.0;
  for (size_t k = 0; k < s->n; k++) {
    wsum += s->w[k];
    const double width =
        slice_coordinate(d, rng, theta, s->idx[k], s->w[k], logp);
    if (width < 0.0) {
      stats->accept_stat = 0.0;
      continue;
    }
    if (adapt)
      s->w[k] = (s->w[k] * s->t + width) / (s->t + 1.0);
  }
  if (adapt)
    s->t += 1.0;
  stats->step_size = s->n ? wsum / (double)s->n : NAN;
  if (grad && s->n)
    d->fn(d->ctx, theta, grad);
}

static void slice_end_tuning(void *state) {
  Slice *s = state;
  s->tuned = true;
}

static void slice_warm_start(void *state, const void *from) {
  Slice *s = state;
  const Slice *f = from;
  memcpy(s->w, f->w, s->n * sizeof(double));
  s->t = f->t;
}

const StepMethod mcmc_slice = {
    .name = "Slice",
    .needs_gradient = false,
    .alloc = slice_alloc,
    .free = slice_free,
    .step = slice_step,
    .end_tuning = slice_end_tuning,
    .warm_start = slice_warm_start,
};
