/*
 * plot_text.c — text histograms (see plot_text.h).
 *
 * A column of `height` cells is 8 * height eighths tall; a bin's count
 * scaled to the largest count gives its eighths, rounded, and cell r
 * (from the bottom) shows clamp(eighths - 8 r, 0, 8) of them: U+2581 "▁"
 * is one eighth, U+2588 "█" eight, a space none.
 */
#include <config.h>
#include "plot_text.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

/* The block of k eighths (1..8), UTF-8. */
static const char *const BLOCK[9] = {
    " ",
    "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
    "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
};

/* Counts of the finite values in equal bins over [lo, hi]; false when
 * there is no finite value. */
static bool bin_counts(const double *x, size_t n, size_t bins, size_t *count,
                       double *lo, double *hi) {
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i]))
      continue;
    if (!any || x[i] < *lo)
      *lo = x[i];
    if (!any || x[i] > *hi)
      *hi = x[i];
    any = true;
  }
  if (!any)
    return false;
  memset(count, 0, bins * sizeof *count);
  double width = (*hi - *lo) / (double)bins;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i]))
      continue;
    size_t b = width > 0 ? (size_t)((x[i] - *lo) / width) : bins / 2;
    count[b < bins ? b : bins - 1]++;
  }
  return true;
}

/* Appends one line of cells (row r from the bottom), without trailing
 * blanks. */
static void cell_row(const size_t *eighths, size_t bins, size_t r,
                     StrBuf *sb) {
  size_t last = 0; /* one past the last non-blank cell */
  for (size_t b = 0; b < bins; b++)
    if (eighths[b] > 8 * r)
      last = b + 1;
  for (size_t b = 0; b < last; b++) {
    size_t k = eighths[b] > 8 * r ? eighths[b] - 8 * r : 0;
    strbuf_puts(sb, BLOCK[k > 8 ? 8 : k]);
  }
  strbuf_putc(sb, '\n');
}

void plot_text_hist(const double *x, size_t n, size_t bins, size_t height,
                    StrBuf *sb) {
  size_t *count = mem_alloc_atomic(bins * sizeof *count);
  double lo = 0.0, hi = 0.0;
  if (!bin_counts(x, n, bins, count, &lo, &hi)) {
    strbuf_puts(sb, "(no finite values)\n");
    return;
  }
  size_t top = 0;
  for (size_t b = 0; b < bins; b++)
    if (count[b] > top)
      top = count[b];
  size_t *eighths = mem_alloc_atomic(bins * sizeof *eighths);
  for (size_t b = 0; b < bins; b++) {
    double e = round((double)count[b] / (double)top * 8.0 * (double)height);
    eighths[b] = count[b] > 0 && e < 1 ? 1 : (size_t)e;
  }
  for (size_t r = height; r-- > 0;)
    cell_row(eighths, bins, r, sb);
  char a[32], z[32];
  snprintf(a, sizeof a, "%.4g", lo);
  snprintf(z, sizeof z, "%.4g", hi);
  size_t used = strlen(a) + strlen(z);
  size_t gap = bins > used ? bins - used : 1;
  strbuf_printf(sb, "%s%*s%s\n", a, (int)gap, "", z);
}
