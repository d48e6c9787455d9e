/*
 * plot_text.h — histograms drawn with Unicode block characters, for a
 * terminal: what the REPL prints next to a plot, and text_hist().
 */
#ifndef PPL_PLOT_TEXT_H
#define PPL_PLOT_TEXT_H

#include <stddef.h>

#include "strbuf.h"

/* Appends to sb the histogram of the finite values of x[0..n) in `bins`
 * equal bins over their range: `height` lines of columns built from the
 * eighth blocks U+2581..U+2588 (the tallest bin fills every line; any
 * non-empty bin shows at least one eighth), then a line with the range's
 * ends under the first and last column. Every line ends in '\n'. With no
 * finite value it appends "(no finite values)\n". bins and height >= 1. */
void plot_text_hist(const double *x, size_t n, size_t bins, size_t height,
                    StrBuf *sb);

#endif
