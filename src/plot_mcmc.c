/*
 * plot_mcmc.c — ArviZ-style figures of a Trace (see plot_mcmc.h).
 *
 * Draws come from trace_column, chain-major: x[c * n + i] is draw i of
 * chain c. Non-finite draws (a deterministic that overflowed) are left
 * out of densities and histograms and break trace lines. Intervals are
 * diag.c's (the same HDI summary() prints). References: ArviZ's
 * plots/traceplot.py, pairplot.py, forestplot.py, energyplot.py and
 * posteriorplot.py (Kumar et al. 2019, "ArviZ a unified library for
 * exploratory analysis of Bayesian models in Python").
 */
#include <config.h>
#include "plot_mcmc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "kde.h"
#include "mem.h"
#include "strbuf.h"

/* Density curves are evaluated at this many points (ArviZ uses 512 for
 * a full-width plot; 256 is smooth at these panel sizes). */
#define KDE_GRID 256
#define TRACE_ROW_HEIGHT 190.0
#define TRACE_WIDTH 1000.0
#define PAIR_CELL 210.0
#define FOREST_ROW 26.0
#define POSTERIOR_COLS 3
#define POSTERIOR_CELL_W 330.0
#define POSTERIOR_CELL_H 250.0
/* Scatter markers of a pair plot: many overlapping draws, so small and
 * translucent (ArviZ: marker size 6 pt^2, alpha .5 for fewer draws). */
#define PAIR_MARKER 1.6
#define PAIR_ALPHA 0.25
#define DIVERGENT_MARKER 2.6
#define HDI_BAR_WIDTH 4.0
#define FOREST_THICK 4.5
#define FOREST_THIN 1.5
#define FOREST_POINT 4.0
/* Chains of one element in a forest plot spread over this much of the
 * row's height. */
#define FOREST_CHAIN_SPREAD 0.5

/* ---- selections and columns ------------------------------------------------ */

PlotMcmcSel *plot_mcmc_select_all(const Trace *t, size_t *nsel) {
  PlotMcmcSel *sel = mem_alloc(((size_t)t->nvars + 1) * sizeof *sel);
  for (int v = 0; v < t->nvars; v++) {
    size_t len = t->vars[v].len;
    sel[v].var = v;
    sel[v].nelems = len;
    sel[v].elems = mem_alloc_atomic((len + 1) * sizeof *sel[v].elems);
    for (size_t e = 0; e < len; e++)
      sel[v].elems[e] = e;
  }
  *nsel = (size_t)t->nvars;
  return sel;
}

size_t plot_mcmc_count(const PlotMcmcSel *sel, size_t nsel) {
  size_t k = 0;
  for (size_t i = 0; i < nsel; i++)
    k += sel[i].nelems;
  return k;
}

/* One scalar quantity: its name and draws. */
typedef struct Quantity {
  const char *name;
  double *x; /* n * m draws, chain-major */
} Quantity;

static const char *elem_name(const Trace *t, int v, size_t e) {
  StrBuf sb;
  strbuf_init(&sb);
  trace_elem_name(t, v, e, &sb);
  return sb.data;
}

static double *draws_of(const Trace *t, int v, size_t e) {
  size_t len = trace_ndraws(t) * (size_t)t->nchains;
  double *x = mem_alloc_atomic((len + 1) * sizeof *x);
  trace_column(t, v, e, x);
  return x;
}

/* The selection flattened to scalar quantities. */
static Quantity *quantities(const Trace *t, const PlotMcmcSel *sel,
                            size_t nsel, size_t *k) {
  *k = plot_mcmc_count(sel, nsel);
  Quantity *q = mem_alloc((*k + 1) * sizeof *q);
  size_t j = 0;
  for (size_t i = 0; i < nsel; i++)
    for (size_t e = 0; e < sel[i].nelems; e++) {
      q[j].name = elem_name(t, sel[i].var, sel[i].elems[e]);
      q[j].x = draws_of(t, sel[i].var, sel[i].elems[e]);
      j++;
    }
  return q;
}

/* Copies the finite values of x[0..n) to a new array; *m gets the count. */
static double *finite_copy(const double *x, size_t n, size_t *m) {
  double *y = mem_alloc_atomic((n + 1) * sizeof *y);
  *m = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i]))
      y[(*m)++] = x[i];
  return y;
}

static bool check_draws(const Trace *t, char err[PLOT_ERR_LEN]) {
  if (t->nchains == 0 || trace_ndraws(t) == 0) {
    snprintf(err, PLOT_ERR_LEN, "the trace holds no draws");
    return false;
  }
  return true;
}

static bool check_count(size_t k, size_t most, const char *what,
                        char err[PLOT_ERR_LEN]) {
  if (k == 0) {
    snprintf(err, PLOT_ERR_LEN, "nothing to plot: the selection is empty");
    return false;
  }
  if (k > most) {
    snprintf(err, PLOT_ERR_LEN,
             "%zu %s are more than the %zu one figure shows: choose some "
             "with vars=",
             k, what, most);
    return false;
  }
  return true;
}

static double size_or(double given, double dflt) {
  return given > 0 ? given : dflt;
}

/* ---- building blocks ------------------------------------------------------ */

/* The KDE of the finite values of x[0..n) as a line; a vertical line at
 * the value when they are all equal; NULL when none is finite. */
static PlotLayer *density_layer(const double *x, size_t n) {
  size_t m;
  double *y = finite_copy(x, n, &m);
  if (m == 0)
    return NULL;
  double h = kde_bandwidth_scott(y, m);
  PlotLayer *l = plot_layer_new(PLOT_LINE, KDE_GRID);
  if (kde_eval(y, m, h, KDE_GRID, l->x, l->y))
    return l;
  PlotLayer *v = plot_layer_new(PLOT_VLINE, 0);
  v->value = y[0];
  v->color_set = false; /* a density, not a reference line */
  return v;
}

/* The values (x given) or iteration numbers (x NULL) of the divergent
 * draws of chain-major stats, as a black rug; NULL when none diverged. */
static PlotLayer *divergence_rug(const Trace *t, const double *div,
                                 const double *x) {
  size_t n = trace_ndraws(t), total = n * (size_t)t->nchains, k = 0;
  for (size_t i = 0; i < total; i++)
    k += div[i] != 0.0;
  if (k == 0)
    return NULL;
  PlotLayer *l = plot_layer_new(PLOT_RUG, k);
  k = 0;
  for (size_t i = 0; i < total; i++)
    if (div[i] != 0.0)
      l->x[k++] = x ? x[i] : (double)(i % n);
  return l;
}

static double *divergent_flags(const Trace *t) {
  size_t total = trace_ndraws(t) * (size_t)t->nchains;
  double *d = mem_alloc_atomic((total + 1) * sizeof *d);
  trace_stat_column(t, TRACE_DIVERGENT, d);
  for (size_t i = 0; i < total; i++)
    if (!isfinite(d[i]))
      d[i] = 0.0;
  return d;
}

static PlotPanel *panel_titled(const char *title) {
  PlotPanel *p = plot_panel_new();
  p->title = title;
  return p;
}

/* ---- plot_trace --------------------------------------------------------------- */

static const PlotDash CHAIN_DASH[] = {PLOT_SOLID, PLOT_DASHED, PLOT_DOTTED,
                                      PLOT_DASHDOT};

/* The left (density) and right (draws) panels of one selection. */
static void trace_row(const Trace *t, const PlotMcmcSel *s, const double *div,
                      PlotPanel *left, PlotPanel *right) {
  size_t n = trace_ndraws(t);
  bool scalar = s->nelems == 1;
  double *iter = mem_alloc_atomic((n + 1) * sizeof *iter);
  for (size_t i = 0; i < n; i++)
    iter[i] = (double)i;
  double *first = NULL; /* the rug of divergences shows element 0 */
  for (size_t e = 0; e < s->nelems; e++) {
    double *x = draws_of(t, s->var, s->elems[e]);
    if (e == 0)
      first = x;
    for (int c = 0; c < t->nchains; c++) {
      PlotColor col = plot_palette(scalar ? (size_t)c : e);
      PlotLayer *k = density_layer(x + (size_t)c * n, n);
      if (k) {
        k->color = col, k->color_set = true;
        k->dash = scalar ? PLOT_SOLID : CHAIN_DASH[c % 4];
        k->width = 1.5;
        plot_panel_add(left, k);
      }
      PlotLayer *line = plot_layer_xy(PLOT_LINE, iter, x + (size_t)c * n, n);
      line->color = col, line->color_set = true;
      line->width = 0.8;
      line->alpha = scalar ? 0.75 : 0.5;
      plot_panel_add(right, line);
    }
  }
  PlotLayer *r = divergence_rug(t, div, first);
  if (r)
    plot_panel_add(left, r);
  r = divergence_rug(t, div, NULL);
  if (r)
    plot_panel_add(right, r);
  left->y.hide_ticks = true;
  right->x.integer = true;
}

static const char *selection_title(const Trace *t, const PlotMcmcSel *s) {
  const TraceVar *v = &t->vars[s->var];
  if (s->nelems == 1 && v->len > 1)
    return elem_name(t, s->var, s->elems[0]);
  return v->name;
}

PlotFigure *plot_mcmc_trace(const Trace *t, const PlotMcmcSel *sel,
                            size_t nsel, PlotMcmcSize size,
                            char err[PLOT_ERR_LEN]) {
  if (!check_draws(t, err) ||
      !check_count(nsel, PLOT_MCMC_MAX_PANELS, "variables", err))
    return NULL;
  PlotFigure *f = plot_figure_new(
      (int)nsel, 2, size_or(size.width, TRACE_WIDTH),
      size_or(size.height, TRACE_ROW_HEIGHT * (double)nsel + 10.0));
  const double *div = divergent_flags(t);
  for (size_t r = 0; r < nsel; r++) {
    const char *title = selection_title(t, &sel[r]);
    PlotPanel *left = panel_titled(title), *right = panel_titled(title);
    trace_row(t, &sel[r], div, left, right);
    f->cells[2 * r] = left;
    f->cells[2 * r + 1] = right;
  }
  return f;
}

/* ---- plot_pair ---------------------------------------------------------------- */

/* The view of a quantity's finite draws, with matplotlib's 5% margins. */
static void draws_view(const double *x, size_t n, double lim[2]) {
  PlotPanel p = {0};
  PlotLayer *l = plot_layer_new(PLOT_RUG, 0);
  l->x = (double *)x;
  l->n = n;
  PlotLayer *layers[1] = {l};
  p.layers = layers;
  p.nlayers = 1;
  double ylim[2];
  plot_panel_limits(&p, lim, ylim);
}

static PlotPanel *pair_scatter(const Quantity *qx, const Quantity *qy,
                               size_t total, const double *div) {
  PlotPanel *p = plot_panel_new();
  PlotLayer *pts = plot_layer_xy(PLOT_POINTS, qx->x, qy->x, total);
  pts->size = PAIR_MARKER;
  pts->alpha = PAIR_ALPHA;
  plot_panel_add(p, pts);
  size_t k = 0;
  for (size_t i = 0; i < total; i++)
    k += div[i] != 0.0;
  if (k) {
    PlotLayer *d = plot_layer_new(PLOT_POINTS, k);
    k = 0;
    for (size_t i = 0; i < total; i++)
      if (div[i] != 0.0) {
        d->x[k] = qx->x[i];
        d->y[k++] = qy->x[i];
      }
    d->size = DIVERGENT_MARKER;
    d->color = plot_palette(3), d->color_set = true;
    d->alpha = 0.9;
    plot_panel_add(p, d);
  }
  return p;
}

static PlotPanel *pair_marginal(const Quantity *q, size_t total) {
  PlotPanel *p = plot_panel_new();
  size_t m;
  double *y = finite_copy(q->x, total, &m);
  if (m > 0) {
    PlotHistSpec spec = {0};
    PlotLayer *h = plot_layer_hist(y, m, &spec, PLOT_STEP);
    h->width = 1.4;
    plot_panel_add(p, h);
  }
  p->y.hide_ticks = true;
  return p;
}

PlotFigure *plot_mcmc_pair(const Trace *t, const PlotMcmcSel *sel,
                           size_t nsel, PlotMcmcSize size,
                           char err[PLOT_ERR_LEN]) {
  size_t k;
  if (!check_draws(t, err))
    return NULL;
  Quantity *q = quantities(t, sel, nsel, &k);
  if (!check_count(k, PLOT_MCMC_MAX_PAIR, "quantities", err))
    return NULL;
  if (k < 2) {
    snprintf(err, PLOT_ERR_LEN,
             "a pair plot needs at least 2 quantities, the selection has "
             "1 (%s)",
             q[0].name);
    return NULL;
  }
  size_t total = trace_ndraws(t) * (size_t)t->nchains;
  double side = PAIR_CELL * (double)k + 40.0;
  PlotFigure *f = plot_figure_new((int)k, (int)k, size_or(size.width, side),
                                  size_or(size.height, side));
  const double *div = divergent_flags(t);
  double (*lim)[2] = mem_alloc_atomic(k * sizeof *lim);
  for (size_t i = 0; i < k; i++)
    draws_view(q[i].x, total, lim[i]);
  for (size_t i = 0; i < k; i++)
    for (size_t j = 0; j <= i; j++) {
      PlotPanel *p = i == j ? pair_marginal(&q[i], total)
                            : pair_scatter(&q[j], &q[i], total, div);
      p->x.lim_set = true;
      p->x.lim[0] = lim[j][0], p->x.lim[1] = lim[j][1];
      p->x.share = (int)j + 1; /* a column shares x, a row y */
      if (i != j) {
        p->y.share = (int)i + 1;
        p->y.lim_set = true;
        p->y.lim[0] = lim[i][0], p->y.lim[1] = lim[i][1];
      }
      p->x.hide_labels = i + 1 < k;
      p->y.hide_labels = j > 0;
      if (i + 1 == k)
        p->x.label = q[j].name;
      if (j == 0 && i > 0)
        p->y.label = q[i].name;
      if (i == 0 && j == 0) /* the top-left histogram names its quantity */
        p->title = q[0].name;
      f->cells[i * k + j] = p;
    }
  return f;
}

/* ---- plot_forest -------------------------------------------------------------- */

static double mean_of(const double *x, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += x[i];
  return s / (double)n;
}

/* One interval line of the forest at height y. */
static void forest_segment(PlotPanel *p, double lo, double hi, double y,
                           double width, PlotColor c) {
  const double xs[2] = {lo, hi}, ys[2] = {y, y};
  PlotLayer *l = plot_layer_xy(PLOT_LINE, xs, ys, 2);
  l->width = width;
  l->color = c, l->color_set = true;
  plot_panel_add(p, l);
}

/* The marker, quartile line and HDI line of draws x[0..n) at height y. */
static void forest_entry(PlotPanel *p, const double *x, size_t n, double y,
                         const PlotForestOpts *o, PlotColor c) {
  size_t m;
  double *v = finite_copy(x, n, &m);
  if (m == 0)
    return;
  double lo, hi;
  diag_hdi(v, m, o->hdi_prob, &lo, &hi);
  forest_segment(p, lo, hi, y, FOREST_THIN, c);
  forest_segment(p, diag_quantile(v, m, 0.25), diag_quantile(v, m, 0.75), y,
                 FOREST_THICK, c);
  double at = o->use_median ? diag_quantile(v, m, 0.5) : mean_of(v, m);
  PlotLayer *pt = plot_layer_xy(PLOT_POINTS, &at, &y, 1);
  pt->size = FOREST_POINT;
  pt->color = c, pt->color_set = true;
  plot_panel_add(p, pt);
}

PlotFigure *plot_mcmc_forest(const Trace *t, const PlotMcmcSel *sel,
                             size_t nsel, const PlotForestOpts *o,
                             PlotMcmcSize size, char err[PLOT_ERR_LEN]) {
  size_t k;
  if (!check_draws(t, err))
    return NULL;
  Quantity *q = quantities(t, sel, nsel, &k);
  if (!check_count(k, 200, "quantities", err))
    return NULL;
  size_t n = trace_ndraws(t);
  int m = t->nchains;
  double rows = (double)k * (o->combined || m == 1 ? 1.0 : 1.0 + 0.15 * m);
  PlotFigure *f = plot_figure_new(
      1, 1, size_or(size.width, 640.0),
      size_or(size.height, fmax(220.0, 90.0 + FOREST_ROW * rows)));
  PlotPanel *p = plot_panel_new();
  char title[64];
  snprintf(title, sizeof title, "%g%% HDI", 100.0 * o->hdi_prob);
  p->title = mem_strdup(title);
  p->y.nfixed = k;
  p->y.fixed = mem_alloc_atomic(k * sizeof *p->y.fixed);
  p->y.fixed_labels = mem_alloc(k * sizeof *p->y.fixed_labels);
  for (size_t i = 0; i < k; i++) {
    double y = (double)(k - i); /* the first quantity on top */
    p->y.fixed[i] = y;
    p->y.fixed_labels[i] = q[i].name;
    if (o->combined || m == 1) {
      forest_entry(p, q[i].x, n * (size_t)m, y, o, plot_palette(0));
      continue;
    }
    for (int c = 0; c < m; c++) {
      double off = FOREST_CHAIN_SPREAD * (0.5 - (c + 0.5) / m);
      forest_entry(p, q[i].x + (size_t)c * n, n, y + off, o,
                   plot_palette((size_t)c));
    }
  }
  if (!o->combined && m > 1)
    for (int c = 0; c < m; c++) { /* legend entries, drawn off the view */
      PlotLayer *l = plot_layer_new(PLOT_LINE, 0);
      char label[32];
      snprintf(label, sizeof label, "chain %d", c);
      l->label = mem_strdup(label);
      l->color = plot_palette((size_t)c), l->color_set = true;
      l->width = FOREST_THICK;
      plot_panel_add(p, l);
    }
  if (isfinite(o->ref)) {
    PlotLayer *r = plot_layer_new(PLOT_VLINE, 0);
    r->value = o->ref;
    r->dash = PLOT_DASHED;
    r->color = (PlotColor){0.45, 0.45, 0.45};
    plot_panel_add(p, r);
  }
  p->y.lim_set = true;
  p->y.lim[0] = 0.4, p->y.lim[1] = (double)k + 0.6;
  p->grid = false;
  f->cells[0] = p;
  return f;
}

/* ---- plot_energy ---------------------------------------------------------------- */

bool plot_mcmc_bfmi(const Trace *t, double *bfmi) {
  size_t n = trace_ndraws(t);
  size_t total = n * (size_t)t->nchains;
  double *e = mem_alloc_atomic((total + 1) * sizeof *e);
  trace_stat_column(t, TRACE_ENERGY, e);
  bool any = false;
  for (int c = 0; c < t->nchains; c++) {
    const double *x = e + (size_t)c * n;
    double mean = 0.0, ss = 0.0, dd = 0.0;
    bool finite = n >= 2;
    for (size_t i = 0; i < n && finite; i++)
      finite = isfinite(x[i]);
    if (!finite) {
      bfmi[c] = NAN;
      continue;
    }
    any = true;
    mean = mean_of(x, n);
    for (size_t i = 0; i < n; i++)
      ss += (x[i] - mean) * (x[i] - mean);
    for (size_t i = 1; i < n; i++)
      dd += (x[i] - x[i - 1]) * (x[i] - x[i - 1]);
    /* ArviZ: mean of squared differences over the variance (divisor n) */
    bfmi[c] = ss > 0 ? (dd / (double)(n - 1)) / (ss / (double)n) : NAN;
  }
  return any;
}

/* A filled density of x[0..n) (the KDE under its curve). */
static PlotLayer *density_band(const double *x, size_t n, PlotColor c,
                               double alpha, const char *label) {
  PlotLayer *k = density_layer(x, n);
  if (!k || k->kind != PLOT_LINE)
    return k;
  PlotLayer *b = plot_layer_new(PLOT_BAND, k->n);
  memcpy(b->x, k->x, k->n * sizeof *b->x);
  memcpy(b->y2, k->y, k->n * sizeof *b->y2);
  for (size_t i = 0; i < k->n; i++)
    b->y[i] = 0.0;
  b->color = c, b->color_set = true;
  b->alpha = alpha;
  b->label = label;
  return b;
}

PlotFigure *plot_mcmc_energy(const Trace *t, PlotMcmcSize size,
                             char err[PLOT_ERR_LEN]) {
  if (!check_draws(t, err))
    return NULL;
  size_t n = trace_ndraws(t), m = (size_t)t->nchains;
  double *bfmi = mem_alloc_atomic(m * sizeof *bfmi);
  if (!plot_mcmc_bfmi(t, bfmi)) {
    snprintf(err, PLOT_ERR_LEN,
             "the trace has no energy statistic (it was sampled with %s); "
             "HMC and NUTS record it",
             t->method);
    return NULL;
  }
  double *e = mem_alloc_atomic((n * m + 1) * sizeof *e);
  trace_stat_column(t, TRACE_ENERGY, e);
  size_t ne;
  double *fin = finite_copy(e, n * m, &ne);
  double mean = mean_of(fin, ne);
  double *marginal = mem_alloc_atomic((n * m + 1) * sizeof *marginal);
  double *transition = mem_alloc_atomic((n * m + 1) * sizeof *transition);
  size_t nt = 0;
  for (size_t i = 0; i < n * m; i++)
    marginal[i] = e[i] - mean;
  for (size_t c = 0; c < m; c++)
    for (size_t i = 1; i < n; i++)
      transition[nt++] = e[c * n + i] - e[c * n + i - 1];
  PlotFigure *f = plot_figure_new(1, 1, size_or(size.width, 640.0),
                                  size_or(size.height, 480.0));
  PlotPanel *p = plot_panel_new();
  /* ArviZ's colours and opacities: C0 opaque, C5 at 0.75 over it */
  PlotLayer *a = density_band(marginal, n * m, plot_palette(0), 1.0,
                              "Marginal energy");
  PlotLayer *b = density_band(transition, nt, plot_palette(5), 0.75,
                              "Energy transition");
  if (a)
    plot_panel_add(p, a);
  if (b)
    plot_panel_add(p, b);
  for (size_t c = 0; c < m; c++) {
    char text[64];
    snprintf(text, sizeof text, "chain %zu: E-BFMI %.2f", c, bfmi[c]);
    PlotLayer *l = plot_layer_text(0.02, 0.94 - 0.06 * (double)c, text);
    l->x_axes = l->y_axes = true;
    plot_panel_add(p, l);
  }
  p->legend = PLOT_LEGEND_UPPER_RIGHT;
  p->y.hide_ticks = true;
  p->x.label = "energy (centred)";
  /* headroom above the densities for the E-BFMI lines */
  double lim[2], ylim[2];
  plot_panel_limits(p, lim, ylim);
  p->y.lim_set = true;
  p->y.lim[0] = 0.0;
  p->y.lim[1] = ylim[1] * (1.15 + 0.06 * (double)m);
  f->cells[0] = p;
  return f;
}

/* ---- plot_posterior ------------------------------------------------------------- */

static PlotLayer *text_at(double x, bool x_axes, double y, const char *s,
                          PlotAlign align, double size) {
  PlotLayer *l = plot_layer_text(x, y, s);
  l->x_axes = x_axes;
  l->y_axes = true;
  l->align = align;
  l->size = size;
  return l;
}

/* v to 3 significant digits, trailing zeros kept ("3.00", "0.0123",
 * "1235"), so the two ends of an interval read alike. */
static const char *fmt3(double v) {
  char buf[48];
  int mag = v == 0.0 ? 0 : (int)floor(log10(fabs(v)));
  int decimals = 2 - mag;
  if (decimals < 0)
    decimals = 0;
  if (decimals > 8)
    decimals = 8;
  snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return mem_strdup(buf);
}

static PlotPanel *posterior_panel(const Quantity *q, size_t total,
                                  double hdi_prob) {
  PlotPanel *p = panel_titled(q->name);
  p->frame = false;
  p->y.hide_ticks = true;
  size_t m;
  double *v = finite_copy(q->x, total, &m);
  if (m == 0)
    return p;
  PlotHistSpec spec = {0};
  PlotLayer *h = plot_layer_hist(v, m, &spec, PLOT_STEP);
  h->width = 1.5;
  plot_panel_add(p, h);
  double top = 0.0;
  for (size_t b = 0; b < h->n; b++)
    top = fmax(top, h->y[b]);
  double lo, hi;
  diag_hdi(v, m, hdi_prob, &lo, &hi);
  const double xs[2] = {lo, hi}, ys[2] = {0.0, 0.0};
  PlotLayer *bar = plot_layer_xy(PLOT_LINE, xs, ys, 2);
  bar->color = (PlotColor){0, 0, 0}, bar->color_set = true;
  bar->width = HDI_BAR_WIDTH;
  plot_panel_add(p, bar);
  char what[48];
  snprintf(what, sizeof what, "%g%% HDI", 100.0 * hdi_prob);
  plot_panel_add(p, text_at((lo + hi) / 2, false, 0.10, what,
                            PLOT_ALIGN_CENTER, 12));
  plot_panel_add(p, text_at(lo, false, 0.035, fmt3(lo), PLOT_ALIGN_CENTER,
                            11));
  plot_panel_add(p, text_at(hi, false, 0.035, fmt3(hi), PLOT_ALIGN_CENTER,
                            11));
  char mean[64];
  snprintf(mean, sizeof mean, "mean=%s", fmt3(mean_of(v, m)));
  plot_panel_add(p, text_at(0.5, true, 0.9, mean, PLOT_ALIGN_CENTER, 13));
  p->y.lim_set = true;
  p->y.lim[0] = -0.02 * top;
  p->y.lim[1] = top > 0 ? 1.25 * top : 1.0;
  return p;
}

PlotFigure *plot_mcmc_posterior(const Trace *t, const PlotMcmcSel *sel,
                                size_t nsel, double hdi_prob,
                                PlotMcmcSize size, char err[PLOT_ERR_LEN]) {
  size_t k;
  if (!check_draws(t, err))
    return NULL;
  Quantity *q = quantities(t, sel, nsel, &k);
  if (!check_count(k, PLOT_MCMC_MAX_PANELS, "quantities", err))
    return NULL;
  size_t cols = k < POSTERIOR_COLS ? k : POSTERIOR_COLS;
  size_t rows = (k + cols - 1) / cols;
  PlotFigure *f = plot_figure_new(
      (int)rows, (int)cols, size_or(size.width, POSTERIOR_CELL_W * cols),
      size_or(size.height, POSTERIOR_CELL_H * rows));
  size_t total = trace_ndraws(t) * (size_t)t->nchains;
  for (size_t i = 0; i < k; i++)
    f->cells[i] = posterior_panel(&q[i], total, hdi_prob);
  return f;
}
