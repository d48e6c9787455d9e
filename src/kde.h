/*
 * kde.h — Gaussian kernel density estimates of MCMC draws, for the density
 * curves of trace and energy plots.
 *
 * The bandwidth is Scott's rule as scipy.stats.gaussian_kde applies it,
 * h = sd * n^(-1/5) (Scott 1992, Multivariate Density Estimation, 6.3).
 * The estimate lives on the range of the draws and is reflected at both
 * ends, so that a density piled against a bound (a scale parameter near
 * 0) is not halved there: the boundary correction ArviZ's kde applies.
 */
#ifndef PPL_KDE_H
#define PPL_KDE_H

#include <stdbool.h>
#include <stddef.h>

/* Scott's bandwidth sd * n^(-1/5) (sd with divisor n - 1); 0 when n < 2,
 * when the draws are constant, or when any draw is not finite. */
double kde_bandwidth_scott(const double *x, size_t n);

/* The estimate with bandwidth h at ngrid >= 2 points equally spaced over
 * [min x, max x]: grid[k] = min + k (max - min) / (ngrid - 1),
 *   dens[k] = 1/(n h) sum_i [phi((g - x_i)/h) + phi((g - (2 min - x_i))/h)
 *                            + phi((g - (2 max - x_i))/h)],  g = grid[k].
 * The draws are first binned linearly onto KDE_BINS points, so the cost
 * does not grow with n. False (outputs untouched) when n == 0, h <= 0,
 * ngrid < 2 or the draws span no range. */
bool kde_eval(const double *x, size_t n, double h, size_t ngrid,
              double *grid, double *dens);

#endif
