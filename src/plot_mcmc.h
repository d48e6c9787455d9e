/*
 * plot_mcmc.h — figures of MCMC draws in the style of ArviZ: trace plots,
 * pair plots, forest plots, the energy plot and posterior histograms.
 *
 * Each function reads a Trace and builds a PlotFigure (plot.h) that the
 * caller writes with plot_write; none of them draws or prints. Which
 * quantities to show is a list of PlotMcmcSel: a variable and some of its
 * elements. On bad input (no draws, nothing to show, a statistic the
 * sampler did not record) they return NULL with a message in err that
 * reads after "plot_xxx(): ".
 */
#ifndef PPL_PLOT_MCMC_H
#define PPL_PLOT_MCMC_H

#include <stdbool.h>
#include <stddef.h>

#include "plot.h"
#include "trace.h"

/* Variable `var` of the trace, elements elems[0..nelems) (0-based). */
typedef struct PlotMcmcSel {
  int var;
  size_t *elems;
  size_t nelems;
} PlotMcmcSel;

/* Every element of every variable: one selection per variable. */
PlotMcmcSel *plot_mcmc_select_all(const Trace *t, size_t *nsel);

/* Total elements of a selection. */
size_t plot_mcmc_count(const PlotMcmcSel *sel, size_t nsel);

/* Figure size; 0 takes the plot's default. */
typedef struct PlotMcmcSize {
  double width, height;
} PlotMcmcSize;

/* The most panels a figure of one quantity per panel (or row) gets, and
 * the most quantities of a pair plot (ArviZ's plot.max_subplots is 40). */
enum { PLOT_MCMC_MAX_PANELS = 40, PLOT_MCMC_MAX_PAIR = 10 };

/* ArviZ's plot_trace: a row per selection, the marginal density of each
 * chain (Gaussian KDE) on the left, the draws against the iteration on
 * the right. A scalar gets a colour per chain; a vector or matrix a colour
 * per element, with the chains in different line styles. Divergent draws
 * are marked by a rug of black ticks along the bottom of both panels. */
PlotFigure *plot_mcmc_trace(const Trace *t, const PlotMcmcSel *sel,
                            size_t nsel, PlotMcmcSize size,
                            char err[PLOT_ERR_LEN]);

/* ArviZ's plot_pair with marginals: for k >= 2 quantities a k x k grid,
 * scatter plots of every pair below the diagonal (divergent draws in red
 * on top), each quantity's histogram on the diagonal, shared axes per
 * column and row. At most PLOT_MCMC_MAX_PAIR quantities. */
PlotFigure *plot_mcmc_pair(const Trace *t, const PlotMcmcSel *sel,
                           size_t nsel, PlotMcmcSize size,
                           char err[PLOT_ERR_LEN]);

/* ArviZ's plot_forest: a row per element, a marker at the mean (median
 * when use_median), a thick line over the interquartile range and a thin
 * one over the hdi_prob highest-density interval. combined pools the
 * chains; otherwise each chain gets its own line in its own colour.
 * With ref finite, a dashed vertical line marks it. */
typedef struct PlotForestOpts {
  double hdi_prob;
  bool combined;
  bool use_median;
  double ref;
} PlotForestOpts;

PlotFigure *plot_mcmc_forest(const Trace *t, const PlotMcmcSel *sel,
                             size_t nsel, const PlotForestOpts *o,
                             PlotMcmcSize size, char err[PLOT_ERR_LEN]);

/* ArviZ's plot_energy: densities of the centred energy ("marginal
 * energy") and of its changes between draws ("energy transition"), with
 * the E-BFMI of each chain (Betancourt 2016, "Diagnosing suboptimal
 * cotangent disintegrations in Hamiltonian Monte Carlo"), as ArviZ's bfmi
 * computes it: the mean of (E_i - E_{i-1})^2 over the variance of E
 * (divisor n). */
PlotFigure *plot_mcmc_energy(const Trace *t, PlotMcmcSize size,
                             char err[PLOT_ERR_LEN]);

/* E-BFMI of each chain into bfmi[0..nchains) (NAN where undefined);
 * false when the trace holds no finite energy. */
bool plot_mcmc_bfmi(const Trace *t, double *bfmi);

/* ArviZ's plot_posterior, with step histograms: a panel per element,
 * the mean written above and the hdi_prob HDI as a black bar along the
 * bottom with its ends labelled. */
PlotFigure *plot_mcmc_posterior(const Trace *t, const PlotMcmcSel *sel,
                                size_t nsel, double hdi_prob,
                                PlotMcmcSize size, char err[PLOT_ERR_LEN]);

#endif
