/*
 * diag.h — convergence diagnostics and summaries of MCMC draws, as in
 * Vehtari, Gelman, Simpson, Carpenter & Buerkner (2021), "Rank-normalization,
 * folding, and localization: an improved R-hat", and as ArviZ and R's
 * posterior package compute them.
 *
 * Draws of one scalar quantity come as a chain-major array: x[c * n + i] is
 * draw i of chain c, for m chains of n draws each. Functions return NAN
 * when the input is too short to say anything (n < 4, or a constant
 * quantity where a ratio is undefined), never crash.
 */
#ifndef PPL_DIAG_H
#define PPL_DIAG_H

#include <stddef.h>

/* Rank-normalised split R-hat: the larger of the bulk R-hat (rank-normalised
 * split chains) and the tail R-hat (the same on the folded draws |x - median|). */
double diag_rhat(const double *x, size_t n, size_t m);

/* Bulk effective sample size: the ESS of the rank-normalised split chains. */
double diag_ess_bulk(const double *x, size_t n, size_t m);

/* Tail effective sample size: the smaller of the ESS of the indicators
 * x <= q05 and x <= q95 (split chains). */
double diag_ess_tail(const double *x, size_t n, size_t m);

/* ESS of the mean (split chains, no rank normalisation), Geyer's initial
 * monotone sequence on the combined autocorrelation estimate. */
double diag_ess_mean(const double *x, size_t n, size_t m);

/* Monte Carlo standard errors of the mean and of the sd (as ArviZ). */
double diag_mcse_mean(const double *x, size_t n, size_t m);
double diag_mcse_sd(const double *x, size_t n, size_t m);

/* The narrowest interval holding a fraction prob of the len draws (ArviZ's
 * hdi for unimodal draws). */
void diag_hdi(const double *x, size_t len, double prob, double *lo,
              double *hi);

/* Quantile by linear interpolation (type 7, as R and numpy). */
double diag_quantile(const double *x, size_t len, double q);

#endif
