/*
 * kde.c — reflected Gaussian kernel density estimates (see kde.h).
 *
 * Linear binning (Wand & Jones 1995, Kernel Smoothing, appendix D): each
 * draw splits its unit weight between the two nearest of KDE_BINS equally
 * spaced points, and the kernel sum runs over those points instead of the
 * draws. With the bandwidth at least a few bin widths the error is far
 * below what a plot shows (tests/unit/test_plot.c compares with the direct
 * sum).
 */
#include <config.h>
#include "kde.h"

#include <math.h>
#include <stdlib.h>

/* Bin points: enough that a bin is a small fraction of Scott's bandwidth
 * for any sample size a plot will see (h/range ~ n^(-1/5)/8). */
#define KDE_BINS 2048
/* Kernel terms further than this many bandwidths away are below 1e-14 of
 * the peak and skipped. */
#define KDE_CUTOFF 8.0
#define INV_SQRT_2PI 0.39894228040143267794

double kde_bandwidth_scott(const double *x, size_t n) {
  if (n < 2)
    return 0.0;
  double mean = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i]))
      return 0.0;
    mean += x[i];
  }
  mean /= (double)n;
  double ss = 0.0;
  for (size_t i = 0; i < n; i++)
    ss += (x[i] - mean) * (x[i] - mean);
  const double sd = sqrt(ss / (double)(n - 1));
  return sd * pow((double)n, -0.2);
}

/* Adds the kernel mass of a bin point at c (weight w) to dens over grid. */
static void add_kernel(double c, double w, double h, double lo, double step,
                       size_t ngrid, double *dens) {
  /* only grid points within KDE_CUTOFF bandwidths of c */
  double kfirst = ceil((c - KDE_CUTOFF * h - lo) / step);
  double klast = floor((c + KDE_CUTOFF * h - lo) / step);
  if (klast < 0 || kfirst > (double)(ngrid - 1))
    return;
  size_t k0 = kfirst < 0 ? 0 : (size_t)kfirst;
  size_t k1 = klast > (double)(ngrid - 1) ? ngrid - 1 : (size_t)klast;
  for (size_t k = k0; k <= k1; k++) {
    const double z = (lo + (double)k * step - c) / h;
    dens[k] += w * exp(-0.5 * z * z);
  }
}

bool kde_eval(const double *x, size_t n, double h, size_t ngrid,
              double *grid, double *dens) {
  if (n == 0 || !(h > 0.0) || ngrid < 2)
    return false;
  double lo = x[0], hi = x[0];
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i]))
      return false;
    if (x[i] < lo)
      lo = x[i];
    if (x[i] > hi)
      hi = x[i];
  }
  if (!(hi > lo))
    return false;
  double *w = calloc(KDE_BINS, sizeof *w);
  if (!w)
    return false;
  const double delta = (hi - lo) / (KDE_BINS - 1);
  for (size_t i = 0; i < n; i++) {
    double t = (x[i] - lo) / delta;
    size_t j = (size_t)t;
    if (j >= KDE_BINS - 1)
      j = KDE_BINS - 2;
    const double frac = t - (double)j;
    w[j] += 1.0 - frac;
    w[j + 1] += frac;
  }
  const double step = (hi - lo) / (double)(ngrid - 1);
  for (size_t k = 0; k < ngrid; k++) {
    grid[k] = lo + (double)k * step;
    dens[k] = 0.0;
  }
  for (size_t j = 0; j < KDE_BINS; j++) {
    if (w[j] == 0.0)
      continue;
    const double c = lo + (double)j * delta;
    add_kernel(c, w[j], h, lo, step, ngrid, dens);
    add_kernel(2.0 * lo - c, w[j], h, lo, step, ngrid, dens);
    add_kernel(2.0 * hi - c, w[j], h, lo, step, ngrid, dens);
  }
  free(w);
  const double norm = INV_SQRT_2PI / ((double)n * h);
  for (size_t k = 0; k < ngrid; k++)
    dens[k] *= norm;
  grid[ngrid - 1] = hi;
  return true;
}
