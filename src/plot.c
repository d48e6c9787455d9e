/*
 * plot.c — the figure model of plot.h: colours, layers, histograms, view
 * limits, nice ticks and scales. Drawing is plot_draw.c's.
 *
 * Nothing here needs cairo, so all of it is tested without a display or
 * the library (tests/unit/test_plot.c).
 */
#include <config.h>
#include "plot.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "mem.h"
#include "plot_draw.h"

/* ---- colours ------------------------------------------------------------ */

/* matplotlib's tab10 (Vega's category10), the default colour cycle. */
static const char *const TAB10[10] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};
static const char *const TAB10_NAMES[10] = {
    "blue", "orange", "green", "red", "purple",
    "brown", "pink", "gray", "olive", "cyan",
};

/* Basic names with CSS values (matplotlib's single-letter colours and
 * common names). */
static const struct {
  const char *name, *hex;
} NAMED[] = {
    {"black", "#000000"},   {"white", "#ffffff"},  {"red", "#ff0000"},
    {"green", "#008000"},   {"blue", "#0000ff"},   {"gray", "#808080"},
    {"grey", "#808080"},    {"orange", "#ffa500"}, {"purple", "#800080"},
    {"brown", "#a52a2a"},   {"pink", "#ffc0cb"},   {"olive", "#808000"},
    {"cyan", "#00ffff"},    {"magenta", "#ff00ff"}, {"yellow", "#ffff00"},
    {"navy", "#000080"},    {"teal", "#008080"},   {"lightgray", "#d3d3d3"},
    {"darkgray", "#a9a9a9"}, {"k", "#000000"},     {"w", "#ffffff"},
    {"r", "#ff0000"},       {"g", "#008000"},      {"b", "#0000ff"},
    {"c", "#00bfbf"},       {"m", "#bf00bf"},      {"y", "#bfbf00"},
};

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)tolower((unsigned char)c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool parse_hex(const char *s, PlotColor *out) {
  size_t len = strlen(s);
  if (s[0] != '#' || (len != 4 && len != 7))
    return false;
  int v[6];
  for (size_t i = 1; i < len; i++)
    if ((v[i - 1] = hex_digit(s[i])) < 0)
      return false;
  if (len == 4) {
    *out = (PlotColor){v[0] * 17 / 255.0, v[1] * 17 / 255.0,
                       v[2] * 17 / 255.0};
  } else {
    *out = (PlotColor){(v[0] * 16 + v[1]) / 255.0,
                       (v[2] * 16 + v[3]) / 255.0,
                       (v[4] * 16 + v[5]) / 255.0};
  }
  return true;
}

PlotColor plot_palette(size_t i) {
  PlotColor c;
  parse_hex(TAB10[i % 10], &c);
  return c;
}

bool plot_color_parse(const char *s, PlotColor *out) {
  if ((s[0] == 'C' || s[0] == 'c') && isdigit((unsigned char)s[1]) &&
      s[2] == '\0') {
    *out = plot_palette((size_t)(s[1] - '0'));
    return true;
  }
  if (strncasecmp(s, "tab:", 4) == 0) {
    for (size_t i = 0; i < 10; i++)
      if (strcasecmp(s + 4, TAB10_NAMES[i]) == 0 ||
          (i == 7 && strcasecmp(s + 4, "grey") == 0)) {
        *out = plot_palette(i);
        return true;
      }
    return false;
  }
  for (size_t i = 0; i < sizeof NAMED / sizeof NAMED[0]; i++)
    if (strcasecmp(s, NAMED[i].name) == 0)
      return parse_hex(NAMED[i].hex, out);
  return parse_hex(s, out);
}

bool plot_dash_parse(const char *s, PlotDash *out) {
  static const struct {
    const char *a, *b;
    PlotDash d;
  } STYLES[] = {
      {"-", "solid", PLOT_SOLID},
      {"--", "dashed", PLOT_DASHED},
      {":", "dotted", PLOT_DOTTED},
      {"-.", "dashdot", PLOT_DASHDOT},
  };
  for (size_t i = 0; i < sizeof STYLES / sizeof STYLES[0]; i++)
    if (strcmp(s, STYLES[i].a) == 0 || strcmp(s, STYLES[i].b) == 0) {
      *out = STYLES[i].d;
      return true;
    }
  return false;
}

bool plot_legend_parse(const char *s, PlotLegendLoc *out) {
  static const struct {
    const char *name;
    PlotLegendLoc loc;
  } LOCS[] = {
      {"best", PLOT_LEGEND_BEST},
      {"upper right", PLOT_LEGEND_UPPER_RIGHT},
      {"upper left", PLOT_LEGEND_UPPER_LEFT},
      {"lower left", PLOT_LEGEND_LOWER_LEFT},
      {"lower right", PLOT_LEGEND_LOWER_RIGHT},
  };
  for (size_t i = 0; i < sizeof LOCS / sizeof LOCS[0]; i++)
    if (strcmp(s, LOCS[i].name) == 0) {
      *out = LOCS[i].loc;
      return true;
    }
  return false;
}

/* ---- layers ------------------------------------------------------------- */

/* Default look, close to matplotlib's rcParams at 100 dpi. */
#define DEFAULT_LINE_WIDTH 1.8
#define DEFAULT_MARKER_RADIUS 3.0
#define DEFAULT_TEXT_SIZE 12.0
#define DEFAULT_BAND_ALPHA 0.3

static double *numbers(size_t n) {
  return mem_alloc_atomic((n ? n : 1) * sizeof(double));
}

PlotLayer *plot_layer_new(PlotKind kind, size_t n) {
  PlotLayer *l = mem_alloc(sizeof *l);
  l->kind = kind;
  l->n = n;
  l->alpha = kind == PLOT_BAND ? DEFAULT_BAND_ALPHA : 1.0;
  l->width = DEFAULT_LINE_WIDTH;
  l->size = kind == PLOT_TEXT ? DEFAULT_TEXT_SIZE : DEFAULT_MARKER_RADIUS;
  l->dash = PLOT_SOLID;
  switch (kind) {
  case PLOT_HLINE:
  case PLOT_VLINE:
  case PLOT_TEXT:
  case PLOT_RUG:
    l->color_set = true; /* black: references, not data series */
    l->width = kind == PLOT_RUG ? 1.0 : 1.2;
    break;
  default:
    break;
  }
  switch (kind) {
  case PLOT_LINE:
  case PLOT_POINTS:
    l->x = numbers(n);
    l->y = numbers(n);
    break;
  case PLOT_BAND:
  case PLOT_BARS:
    l->x = numbers(n);
    l->y = numbers(n);
    l->y2 = numbers(n);
    break;
  case PLOT_STEP:
    l->x = numbers(n + 1);
    l->y = numbers(n);
    break;
  case PLOT_TEXT:
    l->x = numbers(1);
    l->y = numbers(1);
    break;
  case PLOT_RUG:
    l->x = numbers(n);
    break;
  case PLOT_HLINE:
  case PLOT_VLINE:
    break;
  }
  return l;
}

PlotLayer *plot_layer_xy(PlotKind kind, const double *x, const double *y,
                         size_t n) {
  PlotLayer *l = plot_layer_new(kind, n);
  memcpy(l->x, x, n * sizeof *x);
  memcpy(l->y, y, n * sizeof *y);
  return l;
}

PlotLayer *plot_layer_text(double x, double y, const char *s) {
  PlotLayer *l = plot_layer_new(PLOT_TEXT, 1);
  l->x[0] = x;
  l->y[0] = y;
  l->text = mem_strdup(s);
  return l;
}

/* ---- histograms ----------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Quantile q of sorted s[0..n) by linear interpolation (type 7). */
static double sorted_quantile(const double *s, size_t n, double q) {
  double h = (double)(n - 1) * q;
  size_t i = (size_t)floor(h);
  if (i + 1 >= n)
    return s[n - 1];
  return s[i] + (h - (double)i) * (s[i + 1] - s[i]);
}

size_t plot_hist_auto_bins(const double *x, size_t n) {
  if (n < 2)
    return 1;
  double *s = malloc(n * sizeof *s);
  if (!s)
    return 10;
  memcpy(s, x, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_double);
  const double range = s[n - 1] - s[0];
  const double iqr = sorted_quantile(s, n, 0.75) - sorted_quantile(s, n, 0.25);
  free(s);
  if (!(range > 0))
    return 1;
  /* numpy's "auto": the smaller bin width of Sturges and Freedman-Diaconis
   * (FD is skipped when the IQR is 0). */
  double width = range / (log2((double)n) + 1.0);
  const double fd = 2.0 * iqr * pow((double)n, -1.0 / 3.0);
  if (fd > 0 && fd < width)
    width = fd;
  double bins = ceil(range / width);
  if (bins < 1)
    bins = 1;
  return bins > PLOT_MAX_BINS ? PLOT_MAX_BINS : (size_t)bins;
}

/* Index of the bin of v among edges e[0..nb] (nb bins), or -1 outside. */
static long find_bin(const double *e, size_t nb, double v) {
  if (v < e[0] || v > e[nb])
    return -1;
  if (v == e[nb])
    return (long)nb - 1;
  size_t lo = 0, hi = nb; /* e[lo] <= v < e[hi] */
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (v < e[mid])
      hi = mid;
    else
      lo = mid;
  }
  return (long)lo;
}

/* Equal-width edges over [lo, hi] (a zero-width range opens to +-0.5, as
 * numpy does). */
static void equal_edges(double lo, double hi, size_t nb, double *e) {
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  for (size_t i = 0; i <= nb; i++)
    e[i] = lo + (hi - lo) * (double)i / (double)nb;
  e[nb] = hi;
}

PlotLayer *plot_layer_hist(const double *x, size_t n, const PlotHistSpec *spec,
                           PlotKind kind) {
  ASSERT(kind == PLOT_STEP || kind == PLOT_BARS);
  size_t nb = spec->edges ? spec->nedges - 1
                          : (spec->nbins ? spec->nbins
                                         : plot_hist_auto_bins(x, n));
  double *e = numbers(nb + 1);
  if (spec->edges) {
    memcpy(e, spec->edges, (nb + 1) * sizeof *e);
  } else {
    double lo = x[0], hi = x[0];
    for (size_t i = 1; i < n; i++) {
      lo = fmin(lo, x[i]);
      hi = fmax(hi, x[i]);
    }
    if (spec->range_set) {
      lo = spec->range[0];
      hi = spec->range[1];
    }
    equal_edges(lo, hi, nb, e);
  }
  double *count = numbers(nb);
  for (size_t b = 0; b < nb; b++)
    count[b] = 0.0;
  for (size_t i = 0; i < n; i++) {
    long b = find_bin(e, nb, x[i]);
    if (b >= 0)
      count[b] += 1.0;
  }
  if (spec->density) {
    double total = 0.0;
    for (size_t b = 0; b < nb; b++)
      total += count[b];
    for (size_t b = 0; b < nb; b++)
      count[b] = total > 0 ? count[b] / (total * (e[b + 1] - e[b])) : 0.0;
  }
  PlotLayer *l = plot_layer_new(kind, nb);
  if (kind == PLOT_STEP) {
    memcpy(l->x, e, (nb + 1) * sizeof *e);
  } else {
    memcpy(l->x, e, nb * sizeof *e);
    memcpy(l->y2, e + 1, nb * sizeof *e);
  }
  memcpy(l->y, count, nb * sizeof *count);
  return l;
}

/* ---- panels and figures -------------------------------------------------- */

PlotPanel *plot_panel_new(void) {
  PlotPanel *p = mem_alloc(sizeof *p);
  p->legend = PLOT_LEGEND_AUTO;
  p->frame = true;
  return p;
}

void plot_panel_add(PlotPanel *p, PlotLayer *layer) {
  if (p->nlayers == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 8;
    PlotLayer **grown = mem_alloc(p->cap * sizeof *grown);
    if (p->nlayers)
      memcpy(grown, p->layers, p->nlayers * sizeof *grown);
    p->layers = grown;
  }
  p->layers[p->nlayers++] = layer;
}

PlotFigure *plot_figure_new(int rows, int cols, double width, double height) {
  ASSERT(rows > 0 && cols > 0);
  PlotFigure *f = mem_alloc(sizeof *f);
  f->rows = rows;
  f->cols = cols;
  f->width = width;
  f->height = height;
  f->cells = mem_alloc((size_t)rows * (size_t)cols * sizeof *f->cells);
  return f;
}

/* ---- view limits -------------------------------------------------------- */

/* matplotlib's axes.xmargin / axes.ymargin. */
#define VIEW_MARGIN 0.05

typedef struct Extent {
  double lo, hi;
  bool sticky0; /* a histogram or bar baseline lies at 0 */
} Extent;

static void extend(Extent *e, double v) {
  if (!isfinite(v))
    return;
  if (v < e->lo)
    e->lo = v;
  if (v > e->hi)
    e->hi = v;
}

static void extend_all(Extent *e, const double *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    extend(e, v[i]);
}

/* Points count only when both coordinates are finite. */
static void extend_xy(Extent *x, Extent *y, const double *xs,
                      const double *ys, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (isfinite(xs[i]) && isfinite(ys[i])) {
      extend(x, xs[i]);
      extend(y, ys[i]);
    }
}

static void layer_extent(const PlotLayer *l, Extent *x, Extent *y) {
  switch (l->kind) {
  case PLOT_LINE:
  case PLOT_POINTS:
    extend_xy(x, y, l->x, l->y, l->n);
    break;
  case PLOT_BAND:
    extend_xy(x, y, l->x, l->y, l->n);
    extend_xy(x, y, l->x, l->y2, l->n);
    break;
  case PLOT_STEP:
    extend_all(x, l->x, l->n + 1);
    extend_all(y, l->y, l->n);
    extend(y, 0.0);
    y->sticky0 = true;
    break;
  case PLOT_BARS:
    extend_all(x, l->x, l->n);
    extend_all(x, l->y2, l->n);
    extend_all(y, l->y, l->n);
    extend(y, 0.0);
    y->sticky0 = true;
    break;
  case PLOT_HLINE:
    extend(y, l->value);
    break;
  case PLOT_VLINE:
    extend(x, l->value);
    break;
  case PLOT_TEXT:
    if (!l->x_axes)
      extend(x, l->x[0]);
    if (!l->y_axes)
      extend(y, l->y[0]);
    break;
  case PLOT_RUG:
    extend_all(x, l->x, l->n);
    break;
  }
}

/* The view of one axis from the data's extent. */
static void view_of(const Extent *e, double out[2]) {
  double lo = e->lo, hi = e->hi;
  if (!(lo <= hi)) { /* no data at all */
    out[0] = 0.0;
    out[1] = 1.0;
    return;
  }
  if (hi == lo) {
    double pad = lo == 0 ? 0.5 : 0.05 * fabs(lo);
    out[0] = lo - pad;
    out[1] = hi + pad;
    return;
  }
  double m = VIEW_MARGIN * (hi - lo);
  out[0] = e->sticky0 && lo == 0.0 ? 0.0 : lo - m;
  out[1] = e->sticky0 && hi == 0.0 ? 0.0 : hi + m;
}

void plot_panel_limits(const PlotPanel *p, double xlim[2], double ylim[2]) {
  Extent x = {INFINITY, -INFINITY, false}, y = {INFINITY, -INFINITY, false};
  for (size_t i = 0; i < p->nlayers; i++)
    layer_extent(p->layers[i], &x, &y);
  view_of(&x, xlim);
  view_of(&y, ylim);
  if (p->x.lim_set) {
    xlim[0] = p->x.lim[0];
    xlim[1] = p->x.lim[1];
  }
  if (p->y.lim_set) {
    ylim[0] = p->y.lim[0];
    ylim[1] = p->y.lim[1];
  }
}

/* ---- ticks -------------------------------------------------------------- */

/* Slack when testing whether a multiple of the step lies in the view, so
 * a limit that is a tick up to rounding keeps its tick. */
#define TICK_EPS 1e-9
/* Tick indexes k (tick = k * step) beyond this are not exact doubles
 * apart (2^52): no ticks then. */
#define TICK_MAX_INDEX 4503599627370496.0

size_t plot_ticks(double lo, double hi, size_t max_intervals, bool integer,
                  double *ticks, size_t cap, double *step) {
  static const double NICE[] = {1.0, 2.0, 2.5, 5.0, 10.0};
  if (max_intervals < 1)
    max_intervals = 1;
  const double raw = (hi - lo) / (double)max_intervals;
  double mag = pow(10.0, floor(log10(raw)));
  double s = 0.0, k0 = 0.0, k1 = -1.0;
  for (int decade = 0; decade < 3 && s == 0.0; decade++, mag *= 10.0)
    for (size_t i = 0; i < sizeof NICE / sizeof NICE[0]; i++) {
      double c = NICE[i] * mag;
      if (integer && (c < 1.0 || c != floor(c)))
        continue;
      double a = ceil(lo / c - TICK_EPS), b = floor(hi / c + TICK_EPS);
      if (b - a <= (double)max_intervals) {
        s = c;
        k0 = a;
        k1 = b;
        break;
      }
    }
  if (s == 0.0) { /* integer ticks on a view narrower than 1 */
    s = 1.0;
    k0 = ceil(lo - TICK_EPS);
    k1 = floor(hi + TICK_EPS);
  }
  *step = s;
  size_t n = 0;
  if (fabs(k0) > TICK_MAX_INDEX || fabs(k1) > TICK_MAX_INDEX)
    return 0; /* a view narrower than doubles resolve at its offset */
  for (double k = k0; k <= k1 && n < cap; k++) {
    double v = k * s;
    ticks[n++] = fabs(v) < s * TICK_EPS ? 0.0 : v;
  }
  return n;
}

/* Decimals needed to write multiples of step exactly (at most 12). */
static int step_decimals(double step) {
  for (int d = 0; d < 12; d++) {
    double scaled = step * pow(10.0, d);
    if (fabs(scaled - round(scaled)) < 1e-6 * scaled)
      return d;
  }
  return 12;
}

/* Writes s into buf with a leading '-' replaced by U+2212. */
static void put_label(const char *s, char *buf, size_t n) {
  if (s[0] == '-')
    snprintf(buf, n, "\xe2\x88\x92%s", s + 1);
  else
    snprintf(buf, n, "%s", s);
}

void plot_tick_label(double v, double step, double maxabs, char *buf,
                     size_t n) {
  char tmp[64];
  if (fabs(v) < step * TICK_EPS)
    v = 0.0;
  if (maxabs >= 1e5 || step < 1e-4) {
    /* mantissa digits enough to tell ticks apart at this step */
    int e = v == 0.0 ? 0 : (int)floor(log10(fabs(v)) + 1e-12);
    double mant = v / pow(10.0, e);
    int d = step_decimals(step / pow(10.0, e));
    if (d > 6)
      d = 6;
    if (v == 0.0)
      snprintf(tmp, sizeof tmp, "0");
    else
      snprintf(tmp, sizeof tmp, "%.*fe%d", d, mant, e);
  } else {
    snprintf(tmp, sizeof tmp, "%.*f", step_decimals(step), v);
  }
  put_label(tmp, buf, n);
}

double plot_scale_map(const PlotScale *s, double v) {
  return s->p0 + (v - s->d0) / (s->d1 - s->d0) * (s->p1 - s->p0);
}

double plot_scale_inverse(const PlotScale *s, double px) {
  return s->d0 + (px - s->p0) / (s->p1 - s->p0) * (s->d1 - s->d0);
}

/* ---- output ------------------------------------------------------------- */

PlotFormat plot_format_of(const char *path) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash))
    return PLOT_FORMAT_NONE;
  if (strcasecmp(dot, ".svg") == 0)
    return PLOT_SVG;
  if (strcasecmp(dot, ".png") == 0)
    return PLOT_PNG;
  if (strcasecmp(dot, ".pdf") == 0)
    return PLOT_PDF;
  return PLOT_FORMAT_NONE;
}

bool plot_write(PlotFigure *f, const char *path, char err[PLOT_ERR_LEN]) {
  PlotFormat fmt = plot_format_of(path);
  if (fmt == PLOT_FORMAT_NONE) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
      snprintf(err, PLOT_ERR_LEN,
               "'%s' has no file extension: end it in .svg, .png or .pdf",
               path);
    else
      snprintf(err, PLOT_ERR_LEN,
               "cannot write '%s': unknown extension '%s' (use .svg, .png or "
               ".pdf)",
               path, dot);
    return false;
  }
  return plot_draw_write(f, path, fmt, err);
}
