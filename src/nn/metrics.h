/*
 * metrics.h — did a generative model learn the data? Two-sample
 * statistics between real rows and generated rows (row-major, d columns).
 *
 *  - MMD^2 with a Gaussian kernel k(a, b) = exp(-|a - b|^2 / (2 s^2)), the
 *    unbiased estimate of Gretton et al. (2012), JMLR 13, equation 3; s
 *    by the median heuristic (section 8 there) unless given: the square
 *    root of the median squared distance between rows of the pooled
 *    sample.
 *  - The two-sample Kolmogorov-Smirnov statistic of each column with its
 *    asymptotic p-value (Kolmogorov's distribution with Stephens' 1970
 *    small-sample correction, as Numerical Recipes' kstwo).
 *  - Pearson correlation matrices (to compare real and generated ones).
 * The classifier two-sample test (Lopez-Paz & Oquab 2017) trains a
 * network and lives with the builtins (lib_nn.c), using fit.h.
 */
#ifndef PPL_NN_METRICS_H
#define PPL_NN_METRICS_H

#include <stddef.h>

/* At most this many rows of the pooled sample enter the median (evenly
 * spaced): the median of ~500,000 distances is stable to a few percent. */
enum { NN_MMD_MEDIAN_ROWS = 1000 };

/* The unbiased MMD^2 between x (n rows) and y (m rows), n, m >= 2; the
 * bandwidth used in *s (given when *s > 0 on entry). */
double nn_mmd2(const double *x, size_t n, const double *y, size_t m,
               size_t d, double *s);

/* KS statistic D = sup |F_x - F_y| of x (n values) and y (m values), and
 * its p-value in *p. */
double nn_ks2(const double *x, size_t n, const double *y, size_t m,
              double *p);

/* The d x d correlation matrix of the n rows of x into r (a column with
 * no variance gets NaN correlations and 1 on the diagonal). */
void nn_corr(const double *x, size_t n, size_t d, double *r);

#endif
