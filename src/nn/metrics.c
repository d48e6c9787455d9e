/*
 * metrics.c — two-sample statistics for generated data (metrics.h).
 */
#include <config.h>
#include "nn/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static double sqdist(const double *a, const double *b, size_t d) {
  double s = 0.0;
  for (size_t k = 0; k < d; k++)
    s += (a[k] - b[k]) * (a[k] - b[k]);
  return s;
}

static int cmp_double(const void *pa, const void *pb) {
  const double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

static const double *pooled_row(const double *x, size_t n, const double *y,
                                size_t i, size_t d) {
  return i < n ? x + i * d : y + (i - n) * d;
}

/* The median distance between rows of the pooled sample (evenly spaced
 * rows when there are more than NN_MMD_MEDIAN_ROWS). */
static double median_distance(const double *x, size_t n, const double *y,
                              size_t m, size_t d) {
  const size_t N = n + m, k = N < NN_MMD_MEDIAN_ROWS ? N : NN_MMD_MEDIAN_ROWS;
  size_t *rows = malloc(k * sizeof *rows);
  double *dist = malloc((k * (k - 1) / 2 + 1) * sizeof *dist);
  if (!rows || !dist)
    PANIC("mmd: out of memory");
  for (size_t i = 0; i < k; i++)
    rows[i] = i * N / k;
  size_t q = 0;
  for (size_t i = 0; i < k; i++)
    for (size_t j = i + 1; j < k; j++)
      dist[q++] = sqdist(pooled_row(x, n, y, rows[i], d),
                         pooled_row(x, n, y, rows[j], d), d);
  qsort(dist, q, sizeof *dist, cmp_double);
  const double med = q % 2 ? dist[q / 2] : 0.5 * (dist[q / 2 - 1] + dist[q / 2]);
  free(rows);
  free(dist);
  return sqrt(med);
}

/* The mean of k over pairs of distinct rows of a (within) or all pairs of
 * a and b. */
static double kernel_mean(const double *a, size_t na, const double *b,
                          size_t nb, size_t d, double gamma, bool within) {
  double s = 0.0;
  for (size_t i = 0; i < na; i++)
    for (size_t j = within ? i + 1 : 0; j < nb; j++)
      s += exp(-gamma * sqdist(a + i * d, b + j * d, d));
  if (within)
    return 2.0 * s / ((double)na * (double)(na - 1));
  return s / ((double)na * (double)nb);
}

double nn_mmd2(const double *x, size_t n, const double *y, size_t m,
               size_t d, double *s) {
  ASSERT(n >= 2 && m >= 2);
  if (!(*s > 0.0))
    *s = median_distance(x, n, y, m, d);
  if (!(*s > 0.0)) /* every row the same: any bandwidth gives 0 */
    *s = 1.0;
  const double gamma = 1.0 / (2.0 * *s * *s);
  return kernel_mean(x, n, x, n, d, gamma, true) +
         kernel_mean(y, m, y, m, d, gamma, true) -
         2.0 * kernel_mean(x, n, y, m, d, gamma, false);
}

/* Q_KS(lambda) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 lambda^2), the
 * Kolmogorov distribution's upper tail (Numerical Recipes, 14.3.7). */
static double kolmogorov_q(double lambda) {
  if (lambda < 0.2) /* the series converges slowly; Q is 1 to 1e-9 here */
    return 1.0;
  double sum = 0.0, sign = 1.0;
  for (int k = 1; k <= 100; k++) {
    const double term = sign * exp(-2.0 * k * k * lambda * lambda);
    sum += term;
    if (fabs(term) < 1e-12 * fabs(sum))
      break;
    sign = -sign;
  }
  const double q = 2.0 * sum;
  return q < 0.0 ? 0.0 : q > 1.0 ? 1.0 : q;
}

double nn_ks2(const double *x, size_t n, const double *y, size_t m,
              double *p) {
  double *a = malloc((n + 1) * sizeof *a), *b = malloc((m + 1) * sizeof *b);
  if (!a || !b)
    PANIC("ks: out of memory");
  memcpy(a, x, n * sizeof *a);
  memcpy(b, y, m * sizeof *b);
  qsort(a, n, sizeof *a, cmp_double);
  qsort(b, m, sizeof *b, cmp_double);
  size_t i = 0, j = 0;
  double D = 0.0;
  while (i < n && j < m) {
    const double v = a[i] < b[j] ? a[i] : b[j];
    while (i < n && a[i] <= v)
      i++;
    while (j < m && b[j] <= v)
      j++;
    const double diff = fabs((double)i / (double)n - (double)j / (double)m);
    if (diff > D)
      D = diff;
  }
  free(a);
  free(b);
  const double ne = sqrt((double)n * (double)m / (double)(n + m));
  *p = kolmogorov_q((ne + 0.12 + 0.11 / ne) * D);
  return D;
}

void nn_corr(const double *x, size_t n, size_t d, double *r) {
  double *mean = calloc(d + 1, sizeof *mean), *sd = calloc(d + 1, sizeof *sd);
  if (!mean || !sd)
    PANIC("corr: out of memory");
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < d; k++)
      mean[k] += x[i * d + k] / (double)n;
  for (size_t a = 0; a < d; a++)
    for (size_t b = a; b < d; b++) {
      double s = 0.0;
      for (size_t i = 0; i < n; i++)
        s += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]);
      r[a * d + b] = r[b * d + a] = s;
    }
  for (size_t k = 0; k < d; k++)
    sd[k] = sqrt(r[k * d + k]);
  for (size_t a = 0; a < d; a++)
    for (size_t b = 0; b < d; b++)
      r[a * d + b] = a == b ? 1.0 : r[a * d + b] / (sd[a] * sd[b]);
  free(mean);
  free(sd);
}
