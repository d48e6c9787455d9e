/*
 * summary.h — the summary table of a trace: one row per scalar element
 * (mu, theta[0], theta[1], L[1,0] ...) and ArviZ's az.summary columns
 *
 *   mean  sd  hdi_3%  hdi_97%  mcse_mean  mcse_sd  ess_bulk  ess_tail  r_hat
 *
 * computed by diag.h over every chain's kept draws, with ArviZ's default
 * rounding when printed (3 decimals; ESS whole; r_hat 2 decimals), and the
 * warnings Stan and PyMC give (R-hat, ESS per chain, divergences, tree
 * depth).
 *
 * summary_worst_rhat is the one entry the sampler's watcher thread calls:
 * it touches no GC memory and no VM.
 */
#ifndef PPL_SUMMARY_H
#define PPL_SUMMARY_H

#include <stdio.h>

#include "strbuf.h"
#include "trace.h"

typedef enum {
  SUMMARY_MEAN,
  SUMMARY_SD,
  SUMMARY_HDI_LOW,
  SUMMARY_HDI_HIGH,
  SUMMARY_MCSE_MEAN,
  SUMMARY_MCSE_SD,
  SUMMARY_ESS_BULK,
  SUMMARY_ESS_TAIL,
  SUMMARY_R_HAT,
  SUMMARY_NCOLS
} SummaryCol;

/* Warnings fire above / below these (Vehtari et al. 2021, sec. 4-5:
 * R-hat < 1.01 and ESS > 100 per chain). */
#define SUMMARY_RHAT_LIMIT 1.01
#define SUMMARY_ESS_PER_CHAIN 100.0

/* One row to compute: element elem of trace variable var. */
typedef struct SummaryItem {
  int var;
  size_t elem;
} SummaryItem;

typedef struct Summary {
  size_t nrows;
  char **names;      /* GC strings, trace_elem_name's spelling */
  double *values;    /* nrows x SUMMARY_NCOLS, row-major, GC atomic */
  double hdi_prob;
  char hdi_names[2][32]; /* "hdi_3%", "hdi_97%" for hdi_prob 0.94 */
  int nchains;
  size_t ndraws;     /* per chain */
} Summary;

/* The rows given (items == NULL: every element of every variable, in
 * trace order) over trace_ndraws(t) draws of each chain, with the HDI of
 * probability hdi_prob (0 < hdi_prob < 1). A new GC object. Values that
 * cannot be estimated (too few draws, a constant element) are NaN. */
Summary *summary_compute(const Trace *t, const SummaryItem *items,
                         size_t nitems, double hdi_prob);

/* "mean", "sd", "hdi_3%" ... (the HDI names depend on s's hdi_prob). */
const char *summary_col_name(const Summary *s, SummaryCol c);
/* The column called name, or -1. */
int summary_find_col(const Summary *s, const char *name);
/* The row called name ("theta[1]"), or -1. */
long summary_find_row(const Summary *s, const char *name);

/* The aligned table, no final newline: a header of column names, then
 * one row per element, numbers rounded as ArviZ rounds them. */
void summary_format(const Summary *s, StrBuf *sb);

/* Writes "warning: ..." lines to err for what s and t show: r_hat above
 * SUMMARY_RHAT_LIMIT and ESS (bulk or tail) below SUMMARY_ESS_PER_CHAIN
 * per chain, naming the worst elements; divergent draws; draws whose tree
 * depth reached t->max_treedepth (when that is > 0). Returns how many
 * warnings it wrote. */
int summary_warn(const Trace *t, const Summary *s, FILE *err);

/* The one warning about divergent transitions, written by summary_warn and
 * by sample() and resume() after a run: "warning: N divergent transitions
 * after warm-up (P% of T draws): ...", counted over the draws every chain
 * has (trace_divergences). Returns 1 when it wrote it, 0 when no draw
 * diverged. */
int summary_warn_divergences(const Trace *t, FILE *err);

/* The largest rank-normalised split R-hat over every element of t, on the
 * draws every chain has published so far (NaN when no element has one:
 * fewer than 4 draws, or all constant). *var and *elem (may be NULL)
 * receive where it is. Safe to call from another thread while chains
 * append: it reads ndraws atomically, allocates with malloc only and
 * never touches the VM. */
double summary_worst_rhat_at(const Trace *t, int *var, size_t *elem);
double summary_worst_rhat(const Trace *t);

/* The handle users see: s["mu"] (a record of the row), s.mean (a column),
 * print(s) (the table). */
extern const HandleClass summary_class;
Value summary_wrap(Summary *s);

#endif
