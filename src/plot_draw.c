/*
 * plot_draw.c — lays out a PlotFigure, draws it with cairo and writes the
 * file (see plot_draw.h).
 *
 * Layout, as matplotlib's tight_layout: the figure is split into equal
 * cells; each panel needs margins for its tick labels, axis labels and
 * title, measured with the font it will be drawn in; every panel of a
 * column gets the largest left and right margin of that column, every
 * panel of a row the largest top and bottom margin, so axes line up.
 * Ticks depend on the axes' length and the margins on the ticks, so the
 * measurement runs twice, then once more to fix the ticks that are drawn.
 *
 * The look follows matplotlib's defaults at 100 dpi: DejaVu Sans, black
 * spines on all four sides, ticks outside, a white legend box placed where
 * it covers the least data. The file is written next to its final name and
 * renamed into place only when complete, so a failed plot never leaves a
 * truncated file or clobbers an existing one.
 */
#include <config.h>
#include "plot_draw.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "plot_cairo.h"

#define FONT_FAMILY "DejaVu Sans"
#define TICK_FONT 12.0
#define LABEL_FONT 13.0
#define TITLE_FONT 14.0
#define SUPTITLE_FONT 16.0
#define LEGEND_FONT 12.0
#define TICK_LEN 5.0
#define TICK_PAD 4.0       /* tick to its label */
#define LABEL_PAD 6.0      /* tick labels to the axis label */
#define TITLE_PAD 7.0      /* axes top to the title's descent */
#define CELL_PAD 8.0       /* around the decorations of each panel */
#define OUTER_PAD 4.0      /* figure edge */
#define MIN_AXES 20.0      /* smallest axes side worth drawing */
#define SPINE_WIDTH 1.0
#define GRID_WIDTH 0.8
#define MIN_LABEL_GAP 10.0 /* px between neighbouring x tick labels */
#define Y_LABEL_GAP 6.0    /* px between neighbouring y tick labels */
/* Font sizes of axis length per tick at most: matplotlib's
 * Axis.get_tick_space uses 3 (x) and 2 (y). */
#define X_TICK_SPACE 3.4
#define Y_TICK_SPACE 2.4
#define MAX_INTERVALS 9    /* MaxNLocator(nbins='auto') caps at 9 */
#define RUG_LEN 9.0
#define LEGEND_PAD 6.0
#define LEGEND_HANDLE 24.0
#define LEGEND_INSET 8.0
#define LEGEND_ROW 1.4     /* row height in font sizes */
/* cairo's fixed-point coordinates overflow near 2^23: far-off points of a
 * zoomed view are clamped well inside that. */
#define PX_LIMIT 1e6

typedef struct Draw {
  const PlotCairo *C;
  cairo_t *cr;
  double font;   /* size last set */
  double cap;    /* digit height per unit of font size */
  double ascent, descent; /* per unit of font size */
} Draw;

typedef struct Box {
  double x0, y0, x1, y1; /* pixels, y down */
} Box;

typedef struct Ticks {
  size_t n;
  double *v;
  const char **label;
  double *w; /* label widths */
  double maxw;
} Ticks;

/* What one panel needs: its view, ticks and margins. */
typedef struct PanelLay {
  double vx[2], vy[2];
  Ticks tx, ty;
  double l, r, t, b;
} PanelLay;

/* ---- text ----------------------------------------------------------------- */

static void set_font(Draw *d, double size) {
  if (d->font != size) {
    d->C->set_font_size(d->cr, size);
    d->font = size;
  }
}

static double text_width(Draw *d, const char *s, double size) {
  set_font(d, size);
  cairo_text_extents_t e;
  d->C->text_extents(d->cr, s, &e);
  return e.x_advance;
}

/* s with its baseline at y; halign 0 puts its start at x, 0.5 its middle,
 * 1 its end. */
static void show_text(Draw *d, const char *s, double size, double x, double y,
                      double halign) {
  double w = text_width(d, s, size);
  d->C->move_to(d->cr, x - halign * w, y);
  d->C->show_text(d->cr, s);
}

static void font_metrics(Draw *d) {
  const double probe = 100.0;
  d->C->select_font_face(d->cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL,
                         CAIRO_FONT_WEIGHT_NORMAL);
  set_font(d, probe);
  cairo_text_extents_t e;
  d->C->text_extents(d->cr, "0123456789", &e);
  d->cap = e.height > 0 ? e.height / probe : 0.73;
  cairo_font_extents_t fe;
  d->C->font_extents(d->cr, &fe);
  d->ascent = fe.ascent > 0 ? fe.ascent / probe : 0.93;
  d->descent = fe.descent > 0 ? fe.descent / probe : 0.24;
}

/* ---- colours and strokes ------------------------------------------------- */

static void set_color(Draw *d, PlotColor c, double alpha) {
  if (alpha >= 1.0)
    d->C->set_source_rgb(d->cr, c.r, c.g, c.b);
  else
    d->C->set_source_rgba(d->cr, c.r, c.g, c.b, alpha);
}

static void set_gray(Draw *d, double g) {
  d->C->set_source_rgb(d->cr, g, g, g);
}

/* Line width and dash pattern (matplotlib's, scaled by the width). */
static void set_stroke(Draw *d, double width, PlotDash dash) {
  d->C->set_line_width(d->cr, width);
  double w = width < 1.0 ? 1.0 : width;
  double pat[4];
  int n = 0;
  switch (dash) {
  case PLOT_SOLID:
    break;
  case PLOT_DASHED:
    pat[0] = 3.7 * w, pat[1] = 1.6 * w, n = 2;
    break;
  case PLOT_DOTTED:
    pat[0] = 1.0 * w, pat[1] = 1.65 * w, n = 2;
    break;
  case PLOT_DASHDOT:
    pat[0] = 6.4 * w, pat[1] = 1.6 * w, pat[2] = 1.0 * w, pat[3] = 1.6 * w;
    n = 4;
    break;
  }
  d->C->set_dash(d->cr, pat, n, 0.0);
}

/* Colour per layer: its own, else the next of the tab10 cycle. */
static PlotColor *layer_colors(const PlotPanel *p) {
  PlotColor *c = mem_alloc_atomic((p->nlayers + 1) * sizeof *c);
  size_t next = 0;
  for (size_t i = 0; i < p->nlayers; i++)
    c[i] = p->layers[i]->color_set ? p->layers[i]->color
                                   : plot_palette(next++);
  return c;
}

static double clamp_px(double v) {
  return v < -PX_LIMIT ? -PX_LIMIT : v > PX_LIMIT ? PX_LIMIT : v;
}

static double map_x(const PlotScale *s, double v) {
  return clamp_px(plot_scale_map(s, v));
}

/* ---- ticks ---------------------------------------------------------------- */

static void ticks_alloc(Ticks *t, size_t n) {
  t->n = 0;
  t->maxw = 0.0;
  t->v = mem_alloc_atomic((n + 1) * sizeof *t->v);
  t->w = mem_alloc_atomic((n + 1) * sizeof *t->w);
  t->label = mem_alloc((n + 1) * sizeof *t->label);
}

static void measure_labels(Draw *d, Ticks *t) {
  t->maxw = 0.0;
  for (size_t i = 0; i < t->n; i++) {
    t->w[i] = text_width(d, t->label[i], TICK_FONT);
    if (t->w[i] > t->maxw)
      t->maxw = t->w[i];
  }
}

/* Fixed ticks that fall inside the view. */
static void fixed_ticks(Draw *d, const PlotAxis *a, const double view[2],
                        Ticks *t) {
  ticks_alloc(t, a->nfixed);
  const double slack = 1e-9 * (view[1] - view[0]);
  for (size_t i = 0; i < a->nfixed; i++) {
    if (a->fixed[i] < view[0] - slack || a->fixed[i] > view[1] + slack)
      continue;
    t->v[t->n] = a->fixed[i];
    t->label[t->n++] = a->fixed_labels ? a->fixed_labels[i] : "";
  }
  measure_labels(d, t);
}

/* Do neighbouring labels keep apart on an axis of len px? */
static bool labels_fit(Draw *d, const Ticks *t, const double view[2],
                       double len, bool is_x) {
  const PlotScale s = {view[0], view[1], 0.0, len};
  for (size_t i = 0; i + 1 < t->n; i++) {
    double gap = plot_scale_map(&s, t->v[i + 1]) - plot_scale_map(&s, t->v[i]);
    double need = is_x ? (t->w[i] + t->w[i + 1]) / 2 + MIN_LABEL_GAP
                       : d->cap * TICK_FONT + Y_LABEL_GAP;
    if (gap < need)
      return false;
  }
  return true;
}

/* The ticks of axis a over view on an axis of len px: as many as fit, at
 * most MAX_INTERVALS intervals, fewer while labels would collide. */
static void axis_ticks(Draw *d, const PlotAxis *a, const double view[2],
                       double len, bool is_x, Ticks *t) {
  if (a->hide_ticks) {
    ticks_alloc(t, 0);
    return;
  }
  if (a->nfixed) {
    fixed_ticks(d, a, view, t);
    return;
  }
  double per = TICK_FONT * (is_x ? X_TICK_SPACE : Y_TICK_SPACE);
  size_t k = len / per < 1 ? 1 : (size_t)(len / per);
  if (k > MAX_INTERVALS)
    k = MAX_INTERVALS;
  ticks_alloc(t, MAX_INTERVALS + 2);
  for (;; k--) {
    double step;
    t->n = plot_ticks(view[0], view[1], k, a->integer, t->v,
                      MAX_INTERVALS + 2, &step);
    double maxabs = 0.0;
    for (size_t i = 0; i < t->n; i++)
      maxabs = fmax(maxabs, fabs(t->v[i]));
    for (size_t i = 0; i < t->n; i++) {
      char buf[64];
      plot_tick_label(t->v[i], step, maxabs, buf, sizeof buf);
      t->label[i] = mem_strdup(buf);
    }
    measure_labels(d, t);
    /* hidden labels are still measured: a panel sharing the axis with a
     * labelled one must choose the same ticks */
    if (k == 1 || labels_fit(d, t, view, len, is_x))
      return;
  }
}

/* ---- layout --------------------------------------------------------------- */

static double line_height(const Draw *d, double size) {
  return (d->ascent + d->descent) * size;
}

static bool shows_labels(const PlotAxis *a, const Ticks *t) {
  return !a->hide_ticks && !a->hide_labels && t->n > 0;
}

/* Ticks and margins of panel p for axes aw px wide, choosing ticks as
 * for axes of tw x th px (its own size, or shorter when an axis is shared
 * with a shorter one, so that shared axes get the same ticks). */
static void measure(Draw *d, const PlotPanel *p, PanelLay *lay, double aw,
                    double tw, double th) {
  axis_ticks(d, &p->y, lay->vy, th, false, &lay->ty);
  axis_ticks(d, &p->x, lay->vx, tw, true, &lay->tx);
  double l = CELL_PAD, b = CELL_PAD, t = CELL_PAD, r = CELL_PAD;
  if (!p->y.hide_ticks)
    l += TICK_LEN;
  if (shows_labels(&p->y, &lay->ty))
    l += TICK_PAD + lay->ty.maxw;
  if (p->y.label)
    l += LABEL_PAD + line_height(d, LABEL_FONT);
  if (!p->x.hide_ticks)
    b += TICK_LEN;
  if (shows_labels(&p->x, &lay->tx))
    b += TICK_PAD + d->cap * TICK_FONT + d->descent * TICK_FONT;
  if (p->x.label)
    b += LABEL_PAD + line_height(d, LABEL_FONT);
  if (p->title)
    t += TITLE_PAD + line_height(d, TITLE_FONT);
  else if (shows_labels(&p->y, &lay->ty))
    t += d->cap * TICK_FONT / 2; /* the top tick label's upper half */
  /* x tick labels centred on ticks near the ends stick out sideways */
  if (shows_labels(&p->x, &lay->tx)) {
    const PlotScale s = {lay->vx[0], lay->vx[1], 0.0, aw};
    const Ticks *tx = &lay->tx;
    double first = plot_scale_map(&s, tx->v[0]);
    double last = plot_scale_map(&s, tx->v[tx->n - 1]);
    l = fmax(l, CELL_PAD + tx->w[0] / 2 - first);
    r = fmax(r, CELL_PAD + last + tx->w[tx->n - 1] / 2 - aw);
  }
  lay->l = l, lay->r = r, lay->t = t, lay->b = b;
}

typedef struct Grid {
  double top;      /* below the figure title */
  double cw, ch;   /* cell size */
  double *L, *R;   /* per column */
  double *T, *B;   /* per row */
} Grid;

/* Margins per row and column from the panels' measurements. */
static void gather(const PlotFigure *f, PanelLay *lays, Grid *g) {
  for (int c = 0; c < f->cols; c++)
    g->L[c] = g->R[c] = CELL_PAD;
  for (int r = 0; r < f->rows; r++)
    g->T[r] = g->B[r] = CELL_PAD;
  for (int r = 0; r < f->rows; r++)
    for (int c = 0; c < f->cols; c++) {
      size_t i = (size_t)r * (size_t)f->cols + (size_t)c;
      if (!f->cells[i])
        continue;
      g->L[c] = fmax(g->L[c], lays[i].l);
      g->R[c] = fmax(g->R[c], lays[i].r);
      g->T[r] = fmax(g->T[r], lays[i].t);
      g->B[r] = fmax(g->B[r], lays[i].b);
    }
}

static Box axes_box(const Grid *g, int r, int c) {
  double cx = OUTER_PAD + c * g->cw, cy = g->top + r * g->ch;
  return (Box){cx + g->L[c], cy + g->T[r], cx + g->cw - g->R[c],
               cy + g->ch - g->B[r]};
}

/* The axis length panel i chooses its x (or y) ticks for: its own, or the
 * shortest of the panels sharing that axis with it. */
static double shared_length(const PlotFigure *f, const double *len, size_t i,
                            bool x) {
  const PlotPanel *p = f->cells[i];
  int group = x ? p->x.share : p->y.share;
  double shortest = len[i];
  if (group == 0)
    return shortest;
  size_t ncell = (size_t)f->rows * (size_t)f->cols;
  for (size_t j = 0; j < ncell; j++) {
    const PlotPanel *q = f->cells[j];
    if (q && (x ? q->x.share : q->y.share) == group)
      shortest = fmin(shortest, len[j]);
  }
  return shortest;
}

/* Computes every panel's layout; false when the figure is too small. */
static bool layout(Draw *d, PlotFigure *f, PanelLay *lays, Grid *g,
                   char err[PLOT_ERR_LEN]) {
  size_t ncell = (size_t)f->rows * (size_t)f->cols;
  g->top = OUTER_PAD + (f->title ? line_height(d, SUPTITLE_FONT) + 4.0 : 0.0);
  g->cw = (f->width - 2 * OUTER_PAD) / f->cols;
  g->ch = (f->height - g->top - OUTER_PAD) / f->rows;
  g->L = mem_alloc_atomic((size_t)f->cols * sizeof *g->L);
  g->R = mem_alloc_atomic((size_t)f->cols * sizeof *g->R);
  g->T = mem_alloc_atomic((size_t)f->rows * sizeof *g->T);
  g->B = mem_alloc_atomic((size_t)f->rows * sizeof *g->B);
  for (size_t i = 0; i < ncell; i++)
    if (f->cells[i])
      plot_panel_limits(f->cells[i], lays[i].vx, lays[i].vy);
  /* a first guess of margins, then two refinements, then the final ticks */
  for (int c = 0; c < f->cols; c++)
    g->L[c] = 64.0, g->R[c] = 16.0;
  for (int r = 0; r < f->rows; r++)
    g->T[r] = 32.0, g->B[r] = 48.0;
  double *w = mem_alloc_atomic(ncell * sizeof *w);
  double *h = mem_alloc_atomic(ncell * sizeof *h);
  for (int pass = 0; pass < 3; pass++) {
    for (size_t i = 0; i < ncell; i++) {
      if (!f->cells[i])
        continue;
      Box b = axes_box(g, (int)(i / (size_t)f->cols), (int)(i % (size_t)f->cols));
      w[i] = b.x1 - b.x0, h[i] = b.y1 - b.y0;
      if (w[i] < MIN_AXES || h[i] < MIN_AXES) {
        snprintf(err, PLOT_ERR_LEN,
                 "the figure (%gx%g px) is too small for %d x %d panels: "
                 "make width or height larger",
                 f->width, f->height, f->rows, f->cols);
        return false;
      }
    }
    for (size_t i = 0; i < ncell; i++)
      if (f->cells[i])
        measure(d, f->cells[i], &lays[i], w[i], shared_length(f, w, i, true),
                shared_length(f, h, i, false));
    if (pass < 2)
      gather(f, lays, g);
  }
  return true;
}

/* ---- layers --------------------------------------------------------------- */

typedef struct View {
  Box ax;
  PlotScale sx, sy;
} View;

static void draw_line(Draw *d, const PlotLayer *l, PlotColor c,
                      const View *v) {
  bool pen = false;
  d->C->new_path(d->cr);
  for (size_t i = 0; i < l->n; i++) {
    if (!isfinite(l->x[i]) || !isfinite(l->y[i])) {
      pen = false;
      continue;
    }
    double px = map_x(&v->sx, l->x[i]), py = map_x(&v->sy, l->y[i]);
    if (pen)
      d->C->line_to(d->cr, px, py);
    else
      d->C->move_to(d->cr, px, py);
    pen = true;
  }
  set_color(d, c, l->alpha);
  set_stroke(d, l->width, l->dash);
  d->C->stroke(d->cr);
}

/* Translucent markers are filled one by one so overlaps darken (density
 * shows); opaque ones as one path, which looks the same and is smaller. */
static void draw_points(Draw *d, const PlotLayer *l, PlotColor c,
                        const View *v) {
  set_color(d, c, l->alpha);
  bool each = l->alpha < 1.0;
  d->C->new_path(d->cr);
  for (size_t i = 0; i < l->n; i++) {
    if (!isfinite(l->x[i]) || !isfinite(l->y[i]))
      continue;
    double px = map_x(&v->sx, l->x[i]), py = map_x(&v->sy, l->y[i]);
    d->C->move_to(d->cr, px + l->size, py);
    d->C->arc(d->cr, px, py, l->size, 0.0, 2 * M_PI);
    d->C->close_path(d->cr);
    if (each)
      d->C->fill(d->cr);
  }
  if (!each)
    d->C->fill(d->cr);
}

/* One filled polygon per run of points where x, lower and upper are all
 * finite. */
static void draw_band(Draw *d, const PlotLayer *l, PlotColor c,
                      const View *v) {
  set_color(d, c, l->alpha);
  size_t i = 0;
  while (i < l->n) {
    while (i < l->n && !(isfinite(l->x[i]) && isfinite(l->y[i]) &&
                         isfinite(l->y2[i])))
      i++;
    size_t j = i;
    while (j < l->n && isfinite(l->x[j]) && isfinite(l->y[j]) &&
           isfinite(l->y2[j]))
      j++;
    if (j > i) {
      d->C->new_path(d->cr);
      for (size_t k = i; k < j; k++)
        d->C->line_to(d->cr, map_x(&v->sx, l->x[k]), map_x(&v->sy, l->y2[k]));
      for (size_t k = j; k-- > i;)
        d->C->line_to(d->cr, map_x(&v->sx, l->x[k]), map_x(&v->sy, l->y[k]));
      d->C->close_path(d->cr);
      d->C->fill(d->cr);
    }
    i = j;
  }
}

static void step_path(Draw *d, const PlotLayer *l, const View *v) {
  double base = map_x(&v->sy, 0.0);
  d->C->new_path(d->cr);
  d->C->move_to(d->cr, map_x(&v->sx, l->x[0]), base);
  for (size_t b = 0; b < l->n; b++) {
    double h = map_x(&v->sy, l->y[b]);
    d->C->line_to(d->cr, map_x(&v->sx, l->x[b]), h);
    d->C->line_to(d->cr, map_x(&v->sx, l->x[b + 1]), h);
  }
  d->C->line_to(d->cr, map_x(&v->sx, l->x[l->n]), base);
}

static void draw_step(Draw *d, const PlotLayer *l, PlotColor c,
                      const View *v) {
  if (l->n == 0)
    return;
  if (l->fill) {
    step_path(d, l, v);
    d->C->close_path(d->cr);
    set_color(d, c, l->alpha * 0.35);
    d->C->fill(d->cr);
  }
  step_path(d, l, v);
  set_color(d, c, l->alpha);
  set_stroke(d, l->width, l->dash);
  d->C->stroke(d->cr);
}

/* Bars wider than this many px get a thin white edge, so neighbours stay
 * apart (seaborn's look); narrower ones would turn white. */
#define BAR_EDGE_MIN 6.0

static void draw_bars(Draw *d, const PlotLayer *l, PlotColor c,
                      const View *v) {
  double base = map_x(&v->sy, 0.0);
  for (size_t b = 0; b < l->n; b++) {
    double x0 = map_x(&v->sx, l->x[b]), x1 = map_x(&v->sx, l->y2[b]);
    double top = map_x(&v->sy, l->y[b]);
    d->C->new_path(d->cr);
    d->C->rectangle(d->cr, x0, top, x1 - x0, base - top);
    set_color(d, c, l->alpha);
    if (fabs(x1 - x0) < BAR_EDGE_MIN) {
      d->C->fill(d->cr);
      continue;
    }
    d->C->fill_preserve(d->cr);
    d->C->set_source_rgb(d->cr, 1.0, 1.0, 1.0);
    set_stroke(d, 0.7, PLOT_SOLID);
    d->C->stroke(d->cr);
  }
}

static void draw_refline(Draw *d, const PlotLayer *l, PlotColor c,
                         const View *v) {
  d->C->new_path(d->cr);
  if (l->kind == PLOT_HLINE) {
    double y = map_x(&v->sy, l->value);
    d->C->move_to(d->cr, v->ax.x0, y);
    d->C->line_to(d->cr, v->ax.x1, y);
  } else {
    double x = map_x(&v->sx, l->value);
    d->C->move_to(d->cr, x, v->ax.y0);
    d->C->line_to(d->cr, x, v->ax.y1);
  }
  set_color(d, c, l->alpha);
  set_stroke(d, l->width, l->dash);
  d->C->stroke(d->cr);
}

static void draw_rug(Draw *d, const PlotLayer *l, PlotColor c,
                     const View *v) {
  d->C->new_path(d->cr);
  for (size_t i = 0; i < l->n; i++) {
    if (!isfinite(l->x[i]))
      continue;
    double x = map_x(&v->sx, l->x[i]);
    d->C->move_to(d->cr, x, v->ax.y1);
    d->C->line_to(d->cr, x, v->ax.y1 - RUG_LEN);
  }
  set_color(d, c, l->alpha);
  set_stroke(d, l->width, l->dash);
  d->C->stroke(d->cr);
}

static void draw_text_layer(Draw *d, const PlotLayer *l, PlotColor c,
                            const View *v) {
  double x = l->x_axes ? v->ax.x0 + l->x[0] * (v->ax.x1 - v->ax.x0)
                       : map_x(&v->sx, l->x[0]);
  double y = l->y_axes ? v->ax.y1 - l->y[0] * (v->ax.y1 - v->ax.y0)
                       : map_x(&v->sy, l->y[0]);
  static const double HALIGN[] = {0.0, 0.5, 1.0};
  set_color(d, c, l->alpha);
  show_text(d, l->text, l->size, x, y, HALIGN[l->align]);
}

static void draw_layer(Draw *d, const PlotLayer *l, PlotColor c,
                       const View *v) {
  switch (l->kind) {
  case PLOT_LINE:
    draw_line(d, l, c, v);
    break;
  case PLOT_POINTS:
    draw_points(d, l, c, v);
    break;
  case PLOT_BAND:
    draw_band(d, l, c, v);
    break;
  case PLOT_STEP:
    draw_step(d, l, c, v);
    break;
  case PLOT_BARS:
    draw_bars(d, l, c, v);
    break;
  case PLOT_HLINE:
  case PLOT_VLINE:
    draw_refline(d, l, c, v);
    break;
  case PLOT_RUG:
    draw_rug(d, l, c, v);
    break;
  case PLOT_TEXT:
    draw_text_layer(d, l, c, v);
    break;
  }
}

/* ---- legend --------------------------------------------------------------- */

/* Does the segment (x0,y0)-(x1,y1) meet box b? (Liang-Barsky clipping.) */
static bool segment_meets(double x0, double y0, double x1, double y1,
                          const Box *b) {
  double t0 = 0.0, t1 = 1.0, dx = x1 - x0, dy = y1 - y0;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {x0 - b->x0, b->x1 - x0, y0 - b->y0, b->y1 - y0};
  for (int i = 0; i < 4; i++) {
    if (p[i] == 0.0) {
      if (q[i] < 0.0)
        return false;
      continue;
    }
    double r = q[i] / p[i];
    if (p[i] < 0.0)
      t0 = fmax(t0, r);
    else
      t1 = fmin(t1, r);
    if (t0 > t1)
      return false;
  }
  return true;
}

static bool inside(double x, double y, const Box *b) {
  return x >= b->x0 && x <= b->x1 && y >= b->y0 && y <= b->y1;
}

/* How much of layer l lies under box b: segments, markers or bars that
 * meet it. */
static size_t covered(const PlotLayer *l, const View *v, const Box *b) {
  size_t hits = 0;
  const PlotScale *sx = &v->sx, *sy = &v->sy;
  switch (l->kind) {
  case PLOT_LINE:
  case PLOT_BAND:
    for (int side = 0; side < (l->kind == PLOT_BAND ? 2 : 1); side++) {
      const double *y = side ? l->y2 : l->y;
      for (size_t i = 0; i + 1 < l->n; i++)
        if (isfinite(l->x[i]) && isfinite(y[i]) && isfinite(l->x[i + 1]) &&
            isfinite(y[i + 1]) &&
            segment_meets(map_x(sx, l->x[i]), map_x(sy, y[i]),
                          map_x(sx, l->x[i + 1]), map_x(sy, y[i + 1]), b))
          hits++;
    }
    break;
  case PLOT_POINTS:
    for (size_t i = 0; i < l->n; i++)
      if (isfinite(l->x[i]) && isfinite(l->y[i]) &&
          inside(map_x(sx, l->x[i]), map_x(sy, l->y[i]), b))
        hits++;
    break;
  case PLOT_STEP:
  case PLOT_BARS:
    for (size_t i = 0; i < l->n; i++) {
      double x0 = map_x(sx, l->x[i]);
      double x1 = map_x(sx, l->kind == PLOT_STEP ? l->x[i + 1] : l->y2[i]);
      double top = map_x(sy, l->y[i]);
      if (fmax(x0, x1) >= b->x0 && fmin(x0, x1) <= b->x1 && top <= b->y1)
        hits += 4; /* a bar hidden by the legend counts for more */
    }
    break;
  case PLOT_HLINE:
  case PLOT_VLINE:
  case PLOT_TEXT:
  case PLOT_RUG:
    break;
  }
  return hits;
}

/* The legend box at loc within the axes. */
static Box legend_at(PlotLegendLoc loc, const Box *ax, double w, double h) {
  bool right = loc == PLOT_LEGEND_UPPER_RIGHT || loc == PLOT_LEGEND_LOWER_RIGHT;
  bool upper = loc == PLOT_LEGEND_UPPER_RIGHT || loc == PLOT_LEGEND_UPPER_LEFT;
  double x0 = right ? ax->x1 - LEGEND_INSET - w : ax->x0 + LEGEND_INSET;
  double y0 = upper ? ax->y0 + LEGEND_INSET : ax->y1 - LEGEND_INSET - h;
  return (Box){x0, y0, x0 + w, y0 + h};
}

/* matplotlib's "best": the corner covering the least data, upper right
 * first on ties. */
static Box legend_best(const PlotPanel *p, const View *v, double w, double h) {
  static const PlotLegendLoc ORDER[] = {
      PLOT_LEGEND_UPPER_RIGHT, PLOT_LEGEND_UPPER_LEFT,
      PLOT_LEGEND_LOWER_LEFT, PLOT_LEGEND_LOWER_RIGHT};
  Box best = legend_at(ORDER[0], &v->ax, w, h);
  size_t best_cost = (size_t)-1;
  for (size_t k = 0; k < sizeof ORDER / sizeof ORDER[0]; k++) {
    Box b = legend_at(ORDER[k], &v->ax, w, h);
    size_t cost = 0;
    for (size_t i = 0; i < p->nlayers; i++)
      cost += covered(p->layers[i], v, &b);
    if (cost < best_cost) {
      best_cost = cost;
      best = b;
    }
  }
  return best;
}

static bool has_label(const PlotLayer *l) { return l->label && *l->label; }

/* The key of one entry, centred vertically on y. */
static void legend_handle(Draw *d, const PlotLayer *l, PlotColor c, double x,
                          double y) {
  d->C->new_path(d->cr);
  switch (l->kind) {
  case PLOT_BARS:
  case PLOT_BAND:
    set_color(d, c, l->alpha);
    d->C->rectangle(d->cr, x + 2, y - 0.35 * LEGEND_FONT, LEGEND_HANDLE - 4,
                    0.7 * LEGEND_FONT);
    d->C->fill(d->cr);
    return;
  case PLOT_POINTS:
    set_color(d, c, l->alpha < 0.6 ? 0.6 : l->alpha);
    d->C->arc(d->cr, x + LEGEND_HANDLE / 2, y, fmax(l->size, 3.0), 0.0,
              2 * M_PI);
    d->C->fill(d->cr);
    return;
  default:
    d->C->move_to(d->cr, x, y);
    d->C->line_to(d->cr, x + LEGEND_HANDLE, y);
    set_color(d, c, l->alpha);
    set_stroke(d, l->width, l->dash);
    d->C->stroke(d->cr);
  }
}

static void draw_legend(Draw *d, const PlotPanel *p, const PlotColor *cols,
                        const View *v) {
  if (p->legend == PLOT_LEGEND_NONE)
    return;
  size_t n = 0;
  double maxw = 0.0;
  for (size_t i = 0; i < p->nlayers; i++)
    if (has_label(p->layers[i])) {
      n++;
      maxw = fmax(maxw, text_width(d, p->layers[i]->label, LEGEND_FONT));
    }
  if (n == 0)
    return;
  double row = LEGEND_ROW * LEGEND_FONT;
  double w = 2 * LEGEND_PAD + LEGEND_HANDLE + LEGEND_PAD + maxw;
  double h = 2 * LEGEND_PAD + (double)n * row - (row - LEGEND_FONT);
  Box b = p->legend == PLOT_LEGEND_AUTO || p->legend == PLOT_LEGEND_BEST
              ? legend_best(p, v, w, h)
              : legend_at(p->legend, &v->ax, w, h);
  d->C->new_path(d->cr);
  d->C->rectangle(d->cr, b.x0, b.y0, w, h);
  d->C->set_source_rgba(d->cr, 1.0, 1.0, 1.0, 0.85);
  d->C->fill_preserve(d->cr);
  d->C->set_source_rgb(d->cr, 0.8, 0.8, 0.8);
  set_stroke(d, 1.0, PLOT_SOLID);
  d->C->stroke(d->cr);
  double y = b.y0 + LEGEND_PAD + LEGEND_FONT / 2;
  for (size_t i = 0; i < p->nlayers; i++) {
    const PlotLayer *l = p->layers[i];
    if (!has_label(l))
      continue;
    legend_handle(d, l, cols[i], b.x0 + LEGEND_PAD, y);
    set_gray(d, 0.0);
    show_text(d, l->label, LEGEND_FONT, b.x0 + 2 * LEGEND_PAD + LEGEND_HANDLE,
              y + d->cap * LEGEND_FONT / 2, 0.0);
    y += row;
  }
}

/* ---- axes decorations ----------------------------------------------------- */

static void draw_grid(Draw *d, const PanelLay *lay, const View *v) {
  d->C->new_path(d->cr);
  for (size_t i = 0; i < lay->tx.n; i++) {
    double x = plot_scale_map(&v->sx, lay->tx.v[i]);
    d->C->move_to(d->cr, x, v->ax.y0);
    d->C->line_to(d->cr, x, v->ax.y1);
  }
  for (size_t i = 0; i < lay->ty.n; i++) {
    double y = plot_scale_map(&v->sy, lay->ty.v[i]);
    d->C->move_to(d->cr, v->ax.x0, y);
    d->C->line_to(d->cr, v->ax.x1, y);
  }
  d->C->set_source_rgb(d->cr, 0.69, 0.69, 0.69); /* matplotlib #b0b0b0 */
  set_stroke(d, GRID_WIDTH, PLOT_SOLID);
  d->C->stroke(d->cr);
}

static void draw_spines(Draw *d, const PlotPanel *p, const Box *ax) {
  d->C->new_path(d->cr);
  if (p->frame) {
    d->C->rectangle(d->cr, ax->x0, ax->y0, ax->x1 - ax->x0, ax->y1 - ax->y0);
  } else {
    d->C->move_to(d->cr, ax->x0, ax->y1);
    d->C->line_to(d->cr, ax->x1, ax->y1);
    if (!p->y.hide_ticks) {
      d->C->move_to(d->cr, ax->x0, ax->y1);
      d->C->line_to(d->cr, ax->x0, ax->y0);
    }
  }
  set_gray(d, 0.0);
  set_stroke(d, SPINE_WIDTH, PLOT_SOLID);
  d->C->stroke(d->cr);
}

static void draw_ticks(Draw *d, const PlotPanel *p, const PanelLay *lay,
                       const View *v) {
  const Box *ax = &v->ax;
  d->C->new_path(d->cr);
  for (size_t i = 0; i < lay->tx.n; i++) {
    double x = plot_scale_map(&v->sx, lay->tx.v[i]);
    d->C->move_to(d->cr, x, ax->y1);
    d->C->line_to(d->cr, x, ax->y1 + TICK_LEN);
  }
  for (size_t i = 0; i < lay->ty.n; i++) {
    double y = plot_scale_map(&v->sy, lay->ty.v[i]);
    d->C->move_to(d->cr, ax->x0, y);
    d->C->line_to(d->cr, ax->x0 - TICK_LEN, y);
  }
  set_gray(d, 0.0);
  set_stroke(d, SPINE_WIDTH, PLOT_SOLID);
  d->C->stroke(d->cr);
  if (shows_labels(&p->x, &lay->tx))
    for (size_t i = 0; i < lay->tx.n; i++)
      show_text(d, lay->tx.label[i], TICK_FONT,
                plot_scale_map(&v->sx, lay->tx.v[i]),
                ax->y1 + TICK_LEN + TICK_PAD + d->cap * TICK_FONT, 0.5);
  if (shows_labels(&p->y, &lay->ty))
    for (size_t i = 0; i < lay->ty.n; i++)
      show_text(d, lay->ty.label[i], TICK_FONT, ax->x0 - TICK_LEN - TICK_PAD,
                plot_scale_map(&v->sy, lay->ty.v[i]) +
                    d->cap * TICK_FONT / 2,
                1.0);
}

static void draw_labels(Draw *d, const PlotPanel *p, const PanelLay *lay,
                        const Box *ax) {
  set_gray(d, 0.0);
  if (p->title)
    show_text(d, p->title, TITLE_FONT, (ax->x0 + ax->x1) / 2,
              ax->y0 - TITLE_PAD - d->descent * TITLE_FONT, 0.5);
  if (p->x.label) {
    double y = ax->y1 + (p->x.hide_ticks ? 0.0 : TICK_LEN);
    if (shows_labels(&p->x, &lay->tx))
      y += TICK_PAD + d->cap * TICK_FONT + d->descent * TICK_FONT;
    show_text(d, p->x.label, LABEL_FONT, (ax->x0 + ax->x1) / 2,
              y + LABEL_PAD + d->ascent * LABEL_FONT, 0.5);
  }
  if (p->y.label) {
    double x = ax->x0 - (p->y.hide_ticks ? 0.0 : TICK_LEN);
    if (shows_labels(&p->y, &lay->ty))
      x -= TICK_PAD + lay->ty.maxw;
    x -= LABEL_PAD + d->descent * LABEL_FONT;
    d->C->save(d->cr);
    d->C->translate(d->cr, x, (ax->y0 + ax->y1) / 2);
    d->C->rotate(d->cr, -M_PI / 2);
    show_text(d, p->y.label, LABEL_FONT, 0.0, 0.0, 0.5);
    d->C->restore(d->cr);
  }
}

/* Records what was drawn in the panel's axes. */
static void record(PlotPanel *p, const PanelLay *lay) {
  p->x.view[0] = lay->vx[0], p->x.view[1] = lay->vx[1];
  p->y.view[0] = lay->vy[0], p->y.view[1] = lay->vy[1];
  p->x.ticks = lay->tx.v, p->x.nticks = lay->tx.n;
  p->y.ticks = lay->ty.v, p->y.nticks = lay->ty.n;
}

static void draw_panel(Draw *d, PlotPanel *p, const PanelLay *lay,
                       const Box *ax) {
  View v = {*ax,
            {lay->vx[0], lay->vx[1], ax->x0, ax->x1},
            {lay->vy[0], lay->vy[1], ax->y1, ax->y0}};
  if (p->grid)
    draw_grid(d, lay, &v);
  PlotColor *cols = layer_colors(p);
  d->C->save(d->cr);
  d->C->new_path(d->cr);
  d->C->rectangle(d->cr, ax->x0, ax->y0, ax->x1 - ax->x0, ax->y1 - ax->y0);
  d->C->clip(d->cr);
  for (size_t i = 0; i < p->nlayers; i++)
    if (p->layers[i]->kind != PLOT_TEXT)
      draw_layer(d, p->layers[i], cols[i], &v);
  d->C->restore(d->cr);
  for (size_t i = 0; i < p->nlayers; i++) /* text may leave the axes */
    if (p->layers[i]->kind == PLOT_TEXT)
      draw_layer(d, p->layers[i], cols[i], &v);
  d->C->set_line_cap(d->cr, CAIRO_LINE_CAP_BUTT);
  draw_spines(d, p, ax);
  draw_ticks(d, p, lay, &v);
  draw_labels(d, p, lay, ax);
  draw_legend(d, p, cols, &v);
  record(p, lay);
}

static bool render(Draw *d, PlotFigure *f, char err[PLOT_ERR_LEN]) {
  font_metrics(d);
  d->C->set_source_rgb(d->cr, 1.0, 1.0, 1.0);
  d->C->paint(d->cr);
  d->C->set_line_join(d->cr, CAIRO_LINE_JOIN_ROUND);
  size_t ncell = (size_t)f->rows * (size_t)f->cols;
  PanelLay *lays = mem_alloc(ncell * sizeof *lays);
  Grid g;
  if (!layout(d, f, lays, &g, err))
    return false;
  if (f->title) {
    set_gray(d, 0.0);
    show_text(d, f->title, SUPTITLE_FONT, f->width / 2,
              OUTER_PAD + d->ascent * SUPTITLE_FONT, 0.5);
  }
  for (size_t i = 0; i < ncell; i++) {
    if (!f->cells[i])
      continue;
    Box ax = axes_box(&g, (int)(i / (size_t)f->cols), (int)(i % (size_t)f->cols));
    draw_panel(d, f->cells[i], &lays[i], &ax);
  }
  cairo_status_t st = d->C->status(d->cr);
  if (st != CAIRO_STATUS_SUCCESS) {
    snprintf(err, PLOT_ERR_LEN, "drawing failed: %s",
             d->C->status_to_string(st));
    return false;
  }
  return true;
}

/* ---- output --------------------------------------------------------------- */

typedef struct Sink {
  FILE *fp;
  int err; /* errno of the first failed write, or 0 */
} Sink;

static cairo_status_t sink_write(void *closure, const unsigned char *data,
                                 unsigned int len) {
  Sink *s = closure;
  if (s->err)
    return CAIRO_STATUS_WRITE_ERROR;
  if (fwrite(data, 1, len, s->fp) != len) {
    s->err = errno ? errno : EIO;
    return CAIRO_STATUS_WRITE_ERROR;
  }
  return CAIRO_STATUS_SUCCESS;
}

static cairo_surface_t *surface_new(const PlotCairo *C, PlotFormat fmt,
                                    Sink *s, double w, double h) {
  switch (fmt) {
  case PLOT_SVG: {
    cairo_surface_t *sf = C->svg_surface_create_for_stream(sink_write, s, w, h);
    if (C->svg_set_document_unit)
      C->svg_set_document_unit(sf, CAIRO_SVG_UNIT_PX);
    return sf;
  }
  case PLOT_PDF:
    return C->pdf_surface_create_for_stream(sink_write, s, w, h);
  case PLOT_PNG:
  case PLOT_FORMAT_NONE:
    break;
  }
  return C->image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(w),
                                 (int)ceil(h));
}

/* Draws f on a new surface writing to fp; false with err set. */
static bool draw_to(const PlotCairo *C, PlotFigure *f, PlotFormat fmt,
                    FILE *fp, const char *path, char err[PLOT_ERR_LEN]) {
  Sink s = {fp, 0};
  cairo_surface_t *sf = surface_new(C, fmt, &s, f->width, f->height);
  cairo_status_t st = C->surface_status(sf);
  if (st != CAIRO_STATUS_SUCCESS) {
    snprintf(err, PLOT_ERR_LEN, "cannot start the drawing: %s",
             C->status_to_string(st));
    C->surface_destroy(sf);
    return false;
  }
  cairo_t *cr = C->create(sf);
  Draw d = {.C = C, .cr = cr, .font = -1.0};
  bool ok = render(&d, f, err);
  C->destroy(cr);
  if (ok && fmt == PLOT_PNG)
    st = C->surface_write_to_png_stream(sf, sink_write, &s);
  C->surface_finish(sf);
  if (st == CAIRO_STATUS_SUCCESS)
    st = C->surface_status(sf);
  C->surface_destroy(sf);
  if (ok && (s.err || st != CAIRO_STATUS_SUCCESS)) {
    snprintf(err, PLOT_ERR_LEN, "cannot write '%s': %s", path,
             s.err ? strerror(s.err) : C->status_to_string(st));
    ok = false;
  }
  return ok;
}

bool plot_draw_write(PlotFigure *f, const char *path, PlotFormat fmt,
                     char err[PLOT_ERR_LEN]) {
  char cerr[PLOT_CAIRO_ERR_LEN];
  const PlotCairo *C = plot_cairo(cerr);
  if (!C) {
    snprintf(err, PLOT_ERR_LEN, "%s", cerr);
    return false;
  }
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >=
      (int)sizeof tmp) {
    snprintf(err, PLOT_ERR_LEN, "cannot write '%s': the path is too long",
             path);
    return false;
  }
  FILE *fp = fopen(tmp, "wb");
  if (!fp) {
    snprintf(err, PLOT_ERR_LEN, "cannot write '%s': %s", path,
             strerror(errno));
    return false;
  }
  bool ok = draw_to(C, f, fmt, fp, path, err);
  if (fclose(fp) != 0 && ok) {
    snprintf(err, PLOT_ERR_LEN, "cannot write '%s': %s", path,
             strerror(errno));
    ok = false;
  }
  if (ok && rename(tmp, path) != 0) {
    snprintf(err, PLOT_ERR_LEN, "cannot write '%s': %s", path,
             strerror(errno));
    ok = false;
  }
  if (!ok)
    remove(tmp);
  return ok;
}
