/*
 * plot.h — figures of data drawn with cairo: a grid of panels, each with
 * axes (nice ticks, labels, title, legend) and layers of data (lines,
 * markers, bands, histograms, bars, reference lines, text), written as
 * SVG, PNG or PDF by the file's extension.
 *
 * The model is matplotlib's, reduced: a PlotFigure of rows x cols cells
 * holds PlotPanels (an Axes); a panel holds PlotLayers in drawing order.
 * Everything is GC memory (mem.h), built by the caller and read by
 * plot_write, which lays the figure out (margins measured from the text
 * they hold, aligned across each row and column as tight_layout does),
 * draws it and records what it chose (view limits, ticks) back in each
 * panel's axes so tests and the language can see them.
 *
 * Units are pixels of the output image (SVG and PDF: CSS px and points,
 * one unit each). Colours without an explicit value take the next colour
 * of the panel's cycle (tab10, matplotlib's default), as matplotlib does.
 */
#ifndef PPL_PLOT_H
#define PPL_PLOT_H

#include <stdbool.h>
#include <stddef.h>

enum { PLOT_ERR_LEN = 512 };

/* ---- colours and line styles ------------------------------------------ */

typedef struct PlotColor {
  double r, g, b; /* 0..1 */
} PlotColor;

/* Colour i of the tab10 cycle (i taken modulo 10). */
PlotColor plot_palette(size_t i);

/* "C0".."C9", "tab:blue" ... "tab:cyan", a basic name ("black", "red",
 * "gray", ...), "#rgb" or "#rrggbb". False when s is none of these. */
bool plot_color_parse(const char *s, PlotColor *out);

typedef enum {
  PLOT_SOLID,
  PLOT_DASHED,
  PLOT_DOTTED,
  PLOT_DASHDOT,
} PlotDash;

/* "-", "--", ":", "-." or "solid", "dashed", "dotted", "dashdot". */
bool plot_dash_parse(const char *s, PlotDash *out);

/* ---- layers ------------------------------------------------------------ */

typedef enum {
  PLOT_LINE,   /* (x[i], y[i]) joined; a non-finite value breaks the line */
  PLOT_POINTS, /* a round marker of radius `size` at each (x[i], y[i]) */
  PLOT_BAND,   /* filled between y[i] (lower) and y2[i] (upper) over x[i] */
  PLOT_STEP,   /* histogram outline: n bins, edges x[0..n], heights y[0..n) */
  PLOT_BARS,   /* n filled rectangles [x[i], y2[i]] x [0, y[i]] */
  PLOT_HLINE,  /* across the axes at y = value */
  PLOT_VLINE,  /* across the axes at x = value */
  PLOT_TEXT,   /* `text` at (x[0], y[0]) */
  PLOT_RUG,    /* short upward ticks on the bottom edge at each x[i] */
} PlotKind;

typedef enum { PLOT_ALIGN_LEFT, PLOT_ALIGN_CENTER, PLOT_ALIGN_RIGHT } PlotAlign;

typedef struct PlotLayer {
  PlotKind kind;
  size_t n;           /* points, bins, bars or rug ticks */
  double *x, *y, *y2; /* GC atomic arrays; which are used: see PlotKind */
  double value;       /* PLOT_HLINE, PLOT_VLINE */
  const char *text;   /* PLOT_TEXT */
  PlotAlign align;    /* PLOT_TEXT: which end of the text is at x */
  bool x_axes, y_axes; /* PLOT_TEXT: x or y in axes fractions (0..1) */
  bool fill;          /* PLOT_STEP: also fill under the outline */
  const char *label;  /* legend entry, or NULL */
  PlotColor color;
  bool color_set;     /* else the panel's next cycle colour */
  double alpha;       /* opacity 0..1 */
  double width;       /* line width (px) */
  double size;        /* marker radius, or PLOT_TEXT's font size (px) */
  PlotDash dash;
} PlotLayer;

/* A layer of kind with room for n values in the arrays the kind uses
 * (PLOT_STEP: x has n + 1), uninitialised, and the default style: cycle
 * colour (black for PLOT_HLINE, PLOT_VLINE, PLOT_TEXT and PLOT_RUG),
 * opaque (bands 0.3), line width 1.8, marker radius 3, text size 12. */
PlotLayer *plot_layer_new(PlotKind kind, size_t n);

/* A PLOT_LINE or PLOT_POINTS layer with copies of x and y. */
PlotLayer *plot_layer_xy(PlotKind kind, const double *x, const double *y,
                         size_t n);

/* A PLOT_TEXT layer at (x, y) in data coordinates; s is copied. */
PlotLayer *plot_layer_text(double x, double y, const char *s);

/* How a histogram bins its data: explicit edges (strictly increasing,
 * nedges >= 2), else nbins equal bins (0: numpy's "auto", the smaller
 * width of Sturges' and Freedman-Diaconis' rules) over `range` when
 * range_set, else over [min, max]. Values outside the edges are not
 * counted; the last bin holds its right edge (numpy.histogram). density
 * divides counts by n * bin width, so the bars integrate to 1. */
typedef struct PlotHistSpec {
  const double *edges;
  size_t nedges;
  size_t nbins;
  bool range_set;
  double range[2];
  bool density;
} PlotHistSpec;

/* Bin count of numpy's "auto" rule for n finite values, between 1 and
 * PLOT_MAX_BINS. */
enum { PLOT_MAX_BINS = 1000 };
size_t plot_hist_auto_bins(const double *x, size_t n);

/* The histogram of x[0..n) (all finite, n >= 1) as a PLOT_STEP (outline)
 * or PLOT_BARS (filled) layer. */
PlotLayer *plot_layer_hist(const double *x, size_t n, const PlotHistSpec *spec,
                           PlotKind kind);

/* ---- axes, panels, figures --------------------------------------------- */

typedef enum {
  PLOT_LEGEND_AUTO, /* "best" when any layer has a label, else none */
  PLOT_LEGEND_NONE,
  PLOT_LEGEND_BEST, /* the place that covers the least data */
  PLOT_LEGEND_UPPER_RIGHT,
  PLOT_LEGEND_UPPER_LEFT,
  PLOT_LEGEND_LOWER_LEFT,
  PLOT_LEGEND_LOWER_RIGHT,
} PlotLegendLoc;

/* "best", "upper right", ...; false for anything else. */
bool plot_legend_parse(const char *s, PlotLegendLoc *out);

typedef struct PlotAxis {
  const char *label;     /* axis label, or NULL */
  bool lim_set;          /* lim is the view, else it follows the data */
  double lim[2];
  size_t nfixed;         /* > 0: ticks at fixed[] labelled fixed_labels[] */
  double *fixed;
  const char **fixed_labels;
  bool hide_ticks;       /* no ticks, no tick labels */
  bool hide_labels;      /* ticks without labels (inner panels) */
  bool integer;          /* ticks only at whole numbers */
  int share;             /* > 0: axes of the same figure with the same
                            share number (and view) get the same ticks */
  /* Written by plot_write: the view and the ticks it drew. */
  double view[2];
  double *ticks;
  size_t nticks;
} PlotAxis;

typedef struct PlotPanel {
  PlotLayer **layers;
  size_t nlayers, cap;
  const char *title;
  PlotAxis x, y;
  PlotLegendLoc legend;
  bool grid;             /* light grid lines at the ticks */
  bool frame;            /* all four spines (default); else the bottom
                            one, and the left one when y has ticks */
} PlotPanel;

PlotPanel *plot_panel_new(void);
void plot_panel_add(PlotPanel *p, PlotLayer *layer);

typedef struct PlotFigure {
  int rows, cols;
  PlotPanel **cells; /* rows x cols, row-major; NULL leaves a cell empty */
  double width, height;
  const char *title; /* above everything, or NULL */
} PlotFigure;

/* An empty figure of rows x cols cells, width x height px. */
PlotFigure *plot_figure_new(int rows, int cols, double width, double height);

/* The view limits plot_write would use for p's axes when they are not set:
 * the data's range (non-finite values ignored; reference lines and text
 * included) widened by 5% each side, except at a baseline of histogram or
 * bars (matplotlib's margins and sticky edges); a range of zero width
 * opens to +-0.5 (or +-5% of the value). Reads only p. */
void plot_panel_limits(const PlotPanel *p, double xlim[2], double ylim[2]);

/* ---- ticks and scales -------------------------------------------------- */

/* Tick positions for a view [lo, hi]: the multiples of a step in
 * {1, 2, 2.5, 5} x 10^k that lie in the view, for the smallest such step
 * giving at most max_intervals intervals (the nice numbers of Heckbert
 * 1990, "Nice numbers for graph labels", Graphics Gems; the 2.5 and the
 * ticks-inside-the-view rule are matplotlib's MaxNLocator). integer allows
 * only whole steps. Writes at most cap ticks and the step; returns the
 * count. lo < hi, both finite. */
size_t plot_ticks(double lo, double hi, size_t max_intervals, bool integer,
                  double *ticks, size_t cap, double *step);

/* The label of tick v on an axis of ticks `step` apart whose largest
 * magnitude is maxabs: as many decimals as the step needs ("0.25", "1.0",
 * "2.5"), scientific ("2.5e-6", "1.2e7") when maxabs >= 1e5 or step < 1e-4;
 * the minus sign is U+2212 as in matplotlib. */
void plot_tick_label(double v, double step, double maxabs, char *buf,
                     size_t n);

/* The affine map of a data interval [d0, d1] onto pixels [p0, p1] (p1 < p0
 * for a y axis, whose pixels grow downwards). */
typedef struct PlotScale {
  double d0, d1, p0, p1;
} PlotScale;

double plot_scale_map(const PlotScale *s, double v);
double plot_scale_inverse(const PlotScale *s, double px);

/* ---- output ------------------------------------------------------------ */

typedef enum { PLOT_FORMAT_NONE, PLOT_SVG, PLOT_PNG, PLOT_PDF } PlotFormat;

/* The format a path's extension names (.svg, .png, .pdf, any case). */
PlotFormat plot_format_of(const char *path);

/* Lays out, draws and writes f to path in the format of its extension.
 * False with a message in err (unknown extension, cairo missing, a file
 * that cannot be written, a figure too small for its panels). Fills each
 * panel's x.view/y.view/ticks. */
bool plot_write(PlotFigure *f, const char *path, char err[PLOT_ERR_LEN]);

#endif
