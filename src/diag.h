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

/* Scratch memory for diagnosing many quantities of n draws x m chains
 * (summaries, the progress bar's R-hat): reusing one saves allocating
 * per call. malloc-owned; use from one thread at a time. NULL when out of
 * memory. */
typedef struct DiagWork DiagWork;
DiagWork *diag_work_alloc(size_t n, size_t m);
void diag_work_free(DiagWork *w);

/* diag_rhat on the n x m draws x the workspace was made for. */
double diag_rhat_w(DiagWork *w, const double *x);

/* What summary() shows of one quantity, plus ess_mean; every value equal
 * to what the functions above give. mean and sd (divisor S - 1) over all
 * S draws; NAN where those give NAN. */
typedef struct DiagSummary {
  double mean, sd, hdi_low, hdi_high, mcse_mean, mcse_sd;
  double ess_bulk, ess_tail, ess_mean, rhat;
} DiagSummary;
void diag_summarise(DiagWork *w, const double *x, double hdi_prob,
                    DiagSummary *out);

#endif
