/*
 * lib_plot.c — the plotting builtins.
 *
 * Plots are built from values: layer functions (line, points, band, hist,
 * bars, kde, rug, hline, vline, text) return `layer` handles; panel()
 * groups layers with a title, axis labels and limits; plot() writes one
 * panel, plot_grid() several, to a file whose extension picks the format
 * (.svg, .png, .pdf). Both return a `plot` handle that says what was drawn
 * (its panels' limits and ticks). plot_hist() is the one-call histogram;
 * plot_trace, plot_pair, plot_forest, plot_energy and plot_posterior draw
 * a trace as ArviZ does (plot_mcmc.c). text_hist() returns a histogram in
 * block characters, which plot_hist and plot_posterior also print when
 * output goes to a terminal.
 *
 * Layer data are copied when the layer is made, so later changes to the
 * user's vectors do not alter it; a panel given to plot() is copied
 * before options apply to it. Every check names the builtin and argument.
 */
#include <config.h>
#include "builtin.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kde.h"
#include "lib_trace.h"
#include "mem.h"
#include "plot.h"
#include "plot_mcmc.h"
#include "plot_text.h"
#include "strbuf.h"
#include "tensor.h"
#include "trace.h"

#define DEFAULT_WIDTH 640.0
#define DEFAULT_HEIGHT 480.0
#define GRID_CELL_W 400.0
#define GRID_CELL_H 300.0
/* Largest figure side, and pixel count (a PNG's RGB buffer of 400 MB). */
#define MAX_SIDE 20000.0
#define MAX_PIXELS 1e8
#define TEXT_HIST_BINS 24
#define TEXT_HIST_HEIGHT 3
/* The REPL's text histograms take numpy's "auto" bin count within these
 * bounds: wide enough to show a shape, narrow enough for a terminal. */
#define REPL_HIST_MIN_BINS 10
#define REPL_HIST_MAX_BINS 40
#define REPL_HIST_HEIGHT 3
#define DEFAULT_HDI_PROB 0.94 /* ArviZ's rcParams stats.ci_prob */
#define KDE_POINTS 256
#define DEFAULT_BAR_WIDTH 0.8 /* matplotlib's bar() */

/* ---- handles ---------------------------------------------------------------- */

static const char *kind_name(PlotKind k) {
  static const char *const NAMES[] = {"line",  "points", "band",
                                      "step",  "bars",   "hline",
                                      "vline", "text",   "rug"};
  return NAMES[k];
}

static void layer_format(StrBuf *sb, void *data, bool repr) {
  (void)repr;
  const PlotLayer *l = data;
  strbuf_printf(sb, "<layer %s", kind_name(l->kind));
  if (l->kind == PLOT_HLINE || l->kind == PLOT_VLINE)
    strbuf_printf(sb, " at %g", l->value);
  else if (l->kind == PLOT_TEXT)
    strbuf_printf(sb, " \"%s\"", l->text);
  else
    strbuf_printf(sb, ": %zu %s", l->n,
                  l->kind == PLOT_STEP || l->kind == PLOT_BARS ? "bins"
                                                               : "points");
  if (l->label)
    strbuf_printf(sb, ", label \"%s\"", l->label);
  strbuf_puts(sb, ">");
}

static Value vector_of(const double *x, size_t n) {
  return OBJ_VAL(tensor_from_array(x, n));
}

static bool layer_field(VM *vm, void *data, ObjString *name, Value *out) {
  const PlotLayer *l = data;
  const char *f = name->chars;
  if (strcmp(f, "kind") == 0)
    *out = OBJ_VAL(string_from_cstr(kind_name(l->kind)));
  else if (strcmp(f, "label") == 0)
    *out = l->label ? OBJ_VAL(string_from_cstr(l->label)) : NIL_VAL;
  else if (strcmp(f, "len") == 0)
    *out = NUM_VAL((double)l->n);
  else if (strcmp(f, "x") == 0 && l->x)
    *out = vector_of(l->x, l->kind == PLOT_STEP ? l->n + 1 : l->n);
  else if (strcmp(f, "y") == 0 && l->y)
    *out = vector_of(l->y, l->n);
  else
    return vm_error(vm, "a %s layer has no field '%s' (it has: kind, label, "
                        "len%s)",
                    kind_name(l->kind), f, l->y ? ", x, y" : "");
  return true;
}

static const HandleClass layer_class = {
    .name = "layer",
    .format = layer_format,
    .get_field = layer_field,
};

static void panel_format(StrBuf *sb, void *data, bool repr) {
  (void)repr;
  const PlotPanel *p = data;
  strbuf_puts(sb, "<panel");
  if (p->title)
    strbuf_printf(sb, " \"%s\"", p->title);
  strbuf_printf(sb, ": %zu layer%s>", p->nlayers, p->nlayers == 1 ? "" : "s");
}

static bool panel_field(VM *vm, void *data, ObjString *name, Value *out) {
  const PlotPanel *p = data;
  const char *f = name->chars;
  if (strcmp(f, "title") == 0) {
    *out = p->title ? OBJ_VAL(string_from_cstr(p->title)) : NIL_VAL;
  } else if (strcmp(f, "layers") == 0) {
    ObjList *l = list_new(p->nlayers);
    for (size_t i = 0; i < p->nlayers; i++)
      list_push(l, OBJ_VAL(handle_new(&layer_class, p->layers[i])));
    *out = OBJ_VAL(l);
  } else {
    return vm_error(vm, "a panel has no field '%s' (it has: title, layers)",
                    f);
  }
  return true;
}

static const HandleClass panel_class = {
    .name = "panel",
    .format = panel_format,
    .get_field = panel_field,
};

/* What plot() and friends return: the file and the figure as drawn. */
typedef struct PlotResult {
  const char *path;
  PlotFigure *fig;
} PlotResult;

static void plot_format(StrBuf *sb, void *data, bool repr) {
  (void)repr;
  const PlotResult *r = data;
  const PlotFigure *f = r->fig;
  strbuf_printf(sb, "<plot %s: %d x %d panel%s, %g x %g px>", r->path,
                f->rows, f->cols, f->rows * f->cols == 1 ? "" : "s", f->width,
                f->height);
}

static Value pair_of(const double v[2]) { return vector_of(v, 2); }

/* {title, xlim, ylim, xticks, yticks, layers} of a drawn panel. */
static Value panel_record(const PlotPanel *p) {
  ObjRecord *r = record_new();
  record_set(r, "title", p->title ? OBJ_VAL(string_from_cstr(p->title))
                                  : NIL_VAL);
  record_set(r, "xlim", pair_of(p->x.view));
  record_set(r, "ylim", pair_of(p->y.view));
  record_set(r, "xticks", vector_of(p->x.ticks, p->x.nticks));
  record_set(r, "yticks", vector_of(p->y.ticks, p->y.nticks));
  record_set(r, "layers", NUM_VAL((double)p->nlayers));
  return OBJ_VAL(r);
}

static bool plot_field(VM *vm, void *data, ObjString *name, Value *out) {
  const PlotResult *r = data;
  const PlotFigure *f = r->fig;
  const char *k = name->chars;
  if (strcmp(k, "path") == 0) {
    *out = OBJ_VAL(string_from_cstr(r->path));
  } else if (strcmp(k, "width") == 0) {
    *out = NUM_VAL(f->width);
  } else if (strcmp(k, "height") == 0) {
    *out = NUM_VAL(f->height);
  } else if (strcmp(k, "rows") == 0) {
    *out = NUM_VAL(f->rows);
  } else if (strcmp(k, "cols") == 0) {
    *out = NUM_VAL(f->cols);
  } else if (strcmp(k, "panels") == 0) {
    size_t n = (size_t)f->rows * (size_t)f->cols;
    ObjList *l = list_new(n);
    for (size_t i = 0; i < n; i++)
      list_push(l, f->cells[i] ? panel_record(f->cells[i]) : NIL_VAL);
    *out = OBJ_VAL(l);
  } else {
    return vm_error(vm, "a plot has no field '%s' (it has: path, width, "
                        "height, rows, cols, panels)",
                    k);
  }
  return true;
}

static const HandleClass plot_class = {
    .name = "plot",
    .format = plot_format,
    .get_field = plot_field,
};

static Value wrap_layer(PlotLayer *l) {
  return OBJ_VAL(handle_new(&layer_class, l));
}

/* ---- argument helpers ----------------------------------------------------- */

/* Every value finite; the error names the first bad element. */
static bool check_finite(Args *a, int i, const ObjTensor *t) {
  for (size_t k = 0; k < t->len; k++) {
    if (isfinite(t->data[k]))
      continue;
    const char *what = isnan(t->data[k]) ? "nan" : "inf";
    if (t->ndim == 2)
      return args_error(a, i, "must hold finite numbers, but element [%zu, "
                              "%zu] is %s",
                        k / t->shape[1], k % t->shape[1], what);
    return args_error(a, i, "must hold finite numbers, but element %zu is %s",
                      k, what);
  }
  return true;
}

/* A non-empty vector of finite numbers. */
static bool vector_data(Args *a, int i, ObjTensor **out) {
  if (!args_vector(a, i, out))
    return false;
  if ((*out)->len == 0)
    return args_error(a, i, "must not be empty");
  return check_finite(a, i, *out);
}

/* Draws to bin: a non-empty vector, or a matrix (trace["mu"] is draws x
 * chains), all of whose values count. */
static bool sample_data(Args *a, int i, ObjTensor **out) {
  if (args_given(a, i) && IS_TENSOR(a->v[i]) && AS_TENSOR(a->v[i])->ndim == 2)
    *out = AS_TENSOR(a->v[i]);
  else if (!args_vector(a, i, out))
    return false;
  if ((*out)->len == 0)
    return args_error(a, i, "must not be empty");
  return check_finite(a, i, *out);
}

static bool same_length(Args *a, int i, const ObjTensor *t, int j,
                        size_t n) {
  if (t->len == n)
    return true;
  return args_error(a, i, "has %zu value%s, but '%s' has %zu", t->len,
                    t->len == 1 ? "" : "s", a->names[j], n);
}

static bool string_or_nil(Args *a, int i, const char **out) {
  *out = NULL;
  if (!args_given(a, i))
    return true;
  ObjString *s;
  if (!args_string(a, i, &s))
    return false;
  *out = s->chars;
  return true;
}

static bool color_arg(Args *a, int i, PlotLayer *l) {
  if (!args_given(a, i))
    return true;
  ObjString *s;
  if (!args_string(a, i, &s))
    return false;
  if (!plot_color_parse(s->chars, &l->color))
    return args_error(a, i, "must be a colour such as \"C0\", \"tab:red\", "
                            "\"black\" or \"#1f77b4\", got \"%s\"",
                      s->chars);
  l->color_set = true;
  return true;
}

static bool alpha_arg(Args *a, int i, PlotLayer *l) {
  if (!args_num_or(a, i, l->alpha, &l->alpha))
    return false;
  if (!(l->alpha >= 0.0 && l->alpha <= 1.0))
    return args_error(a, i, "must be between 0 and 1, got %g", l->alpha);
  return true;
}

static bool dash_arg(Args *a, int i, PlotLayer *l) {
  const char *s;
  if (!string_or_nil(a, i, &s))
    return false;
  if (s && !plot_dash_parse(s, &l->dash))
    return args_error(a, i, "must be \"-\", \"--\", \":\" or \"-.\" (or "
                            "\"solid\", \"dashed\", \"dotted\", "
                            "\"dashdot\"), got \"%s\"",
                      s);
  return true;
}

/* Indexes of the style parameters a layer function takes (-1: none). */
typedef struct Style {
  int label, color, width, style, alpha, size;
} Style;

static bool style_args(Args *a, const Style *s, PlotLayer *l) {
  if (s->label >= 0 && !string_or_nil(a, s->label, &l->label))
    return false;
  if (s->color >= 0 && !color_arg(a, s->color, l))
    return false;
  if (s->width >= 0 && !args_positive_or(a, s->width, l->width, &l->width))
    return false;
  if (s->style >= 0 && !dash_arg(a, s->style, l))
    return false;
  if (s->alpha >= 0 && !alpha_arg(a, s->alpha, l))
    return false;
  if (s->size >= 0 && !args_positive_or(a, s->size, l->size, &l->size))
    return false;
  if (l->label)
    l->label = mem_strdup(l->label);
  return true;
}

/* A layer builtin's last step: the style keywords, then the value. */
static bool layer_result(Args *a, const Style *s, PlotLayer *l, Value *out) {
  if (!style_args(a, s, l))
    return false;
  *out = wrap_layer(l);
  return true;
}

/* [low, high], finite, low < high. */
static bool limits_arg(Args *a, int i, double out[2]) {
  ObjTensor *t;
  if (!args_vector(a, i, &t))
    return false;
  if (t->len != 2 || !isfinite(t->data[0]) || !isfinite(t->data[1]) ||
      !(t->data[0] < t->data[1]))
    return args_error(a, i, "must be [low, high] with finite low < high");
  out[0] = t->data[0];
  out[1] = t->data[1];
  return true;
}

/* ---- layers ------------------------------------------------------------------ */

static bool b_line(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x",     "y",     "label", "color",
                                      "width", "style", "alpha", NULL};
  static const Style style = {2, 3, 4, 5, 6, -1};
  Args a;
  ObjTensor *x, *y;
  if (!args_bind(&a, vm, call, "line", names, 1) || !vector_data(&a, 0, &x))
    return false;
  PlotLayer *l;
  if (args_given(&a, 1)) {
    if (!vector_data(&a, 1, &y) || !same_length(&a, 1, y, 0, x->len))
      return false;
    l = plot_layer_xy(PLOT_LINE, x->data, y->data, x->len);
  } else { /* line(y): against 0, 1, 2, ... as matplotlib's plot(y) */
    l = plot_layer_new(PLOT_LINE, x->len);
    for (size_t i = 0; i < x->len; i++) {
      l->x[i] = (double)i;
      l->y[i] = x->data[i];
    }
  }
  return layer_result(&a, &style, l, result);
}

static bool b_points(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x",    "y",     "label", "color",
                                      "size", "alpha", NULL};
  static const Style style = {2, 3, -1, -1, 5, 4};
  Args a;
  ObjTensor *x, *y;
  if (!args_bind(&a, vm, call, "points", names, 2) ||
      !vector_data(&a, 0, &x) || !vector_data(&a, 1, &y) ||
      !same_length(&a, 1, y, 0, x->len))
    return false;
  PlotLayer *l = plot_layer_xy(PLOT_POINTS, x->data, y->data, x->len);
  return layer_result(&a, &style, l, result);
}

static bool b_band(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x",     "lower", "upper", "label",
                                      "color", "alpha", NULL};
  static const Style style = {3, 4, -1, -1, 5, -1};
  Args a;
  ObjTensor *x, *lo, *hi;
  if (!args_bind(&a, vm, call, "band", names, 3) || !vector_data(&a, 0, &x) ||
      !vector_data(&a, 1, &lo) || !same_length(&a, 1, lo, 0, x->len) ||
      !vector_data(&a, 2, &hi) || !same_length(&a, 2, hi, 0, x->len))
    return false;
  PlotLayer *l = plot_layer_new(PLOT_BAND, x->len);
  memcpy(l->x, x->data, x->len * sizeof *l->x);
  memcpy(l->y, lo->data, x->len * sizeof *l->y);
  memcpy(l->y2, hi->data, x->len * sizeof *l->y2);
  return layer_result(&a, &style, l, result);
}

/* bins=: a count, a vector of increasing edges, or "auto". */
static bool bins_arg(Args *a, int i, PlotHistSpec *spec) {
  spec->nbins = 0;
  spec->edges = NULL;
  if (!args_given(a, i))
    return true;
  Value v = a->v[i];
  if (IS_STRING(v)) {
    if (strcmp(AS_CSTRING(v), "auto") == 0)
      return true;
    return args_error(a, i, "must be a number of bins, a vector of edges or "
                            "\"auto\", got \"%s\"",
                      AS_CSTRING(v));
  }
  if (IS_NUM(v)) {
    size_t n;
    if (!args_count(a, i, &n))
      return false;
    if (n < 1 || n > PLOT_MAX_BINS)
      return args_error(a, i, "must be between 1 and %d bins, got %zu",
                        PLOT_MAX_BINS, n);
    spec->nbins = n;
    return true;
  }
  ObjTensor *e;
  if (!args_vector(a, i, &e))
    return false;
  if (e->len < 2 || e->len > PLOT_MAX_BINS + 1)
    return args_error(a, i, "as edges must hold between 2 and %d values, "
                            "got %zu",
                      PLOT_MAX_BINS + 1, e->len);
  if (!check_finite(a, i, e))
    return false;
  for (size_t k = 1; k < e->len; k++)
    if (!(e->data[k] > e->data[k - 1]))
      return args_error(a, i, "as edges must increase, but element %zu "
                              "(%g) is not above element %zu (%g)",
                        k, e->data[k], k - 1, e->data[k - 1]);
  spec->edges = e->data;
  spec->nedges = e->len;
  return true;
}

/* histtype=: "bar", "step" or "stepfilled". */
static bool histtype_arg(Args *a, int i, PlotKind *kind, bool *fill) {
  const char *s;
  if (!args_string_or(a, i, "bar", &s))
    return false;
  *fill = strcmp(s, "stepfilled") == 0;
  if (strcmp(s, "bar") == 0)
    *kind = PLOT_BARS;
  else if (strcmp(s, "step") == 0 || *fill)
    *kind = PLOT_STEP;
  else
    return args_error(a, i, "must be \"bar\", \"step\" or \"stepfilled\", "
                            "got \"%s\"",
                      s);
  return true;
}

/* The histogram layer of x (parameters bins, histtype, density, range at
 * the given indexes; range -1 when the builtin has none). */
static bool hist_layer(Args *a, const ObjTensor *x, int bins, int histtype,
                       int density, int range, PlotLayer **out) {
  PlotHistSpec spec = {0};
  PlotKind kind = PLOT_BARS;
  bool fill;
  if (!bins_arg(a, bins, &spec) || !histtype_arg(a, histtype, &kind, &fill) ||
      !args_bool_or(a, density, false, &spec.density))
    return false;
  if (range >= 0 && args_given(a, range)) {
    if (!limits_arg(a, range, spec.range))
      return false;
    spec.range_set = true;
  }
  *out = plot_layer_hist(x->data, x->len, &spec, kind);
  (*out)->fill = fill;
  return true;
}

static bool b_hist(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "x",     "bins",  "histtype", "density", "range",
      "label", "color", "alpha",    "width",   NULL};
  static const Style style = {5, 6, 8, -1, 7, -1};
  Args a;
  ObjTensor *x;
  PlotLayer *l;
  if (!args_bind(&a, vm, call, "hist", names, 1) || !sample_data(&a, 0, &x) ||
      !hist_layer(&a, x, 1, 2, 3, 4, &l))
    return false;
  return layer_result(&a, &style, l, result);
}

static bool b_bars(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x",     "height", "width", "label",
                                      "color", "alpha",  NULL};
  static const Style style = {3, 4, -1, -1, 5, -1};
  Args a;
  ObjTensor *x, *h;
  double w;
  if (!args_bind(&a, vm, call, "bars", names, 2) || !vector_data(&a, 0, &x) ||
      !vector_data(&a, 1, &h) || !same_length(&a, 1, h, 0, x->len) ||
      !args_positive_or(&a, 2, DEFAULT_BAR_WIDTH, &w))
    return false;
  PlotLayer *l = plot_layer_new(PLOT_BARS, x->len);
  for (size_t i = 0; i < x->len; i++) {
    l->x[i] = x->data[i] - w / 2;
    l->y2[i] = x->data[i] + w / 2;
    l->y[i] = h->data[i];
  }
  return layer_result(&a, &style, l, result);
}

static bool b_kde(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x",     "label", "color", "width",
                                      "style", "alpha", "fill",  NULL};
  static const Style style = {1, 2, 3, 4, 5, -1};
  Args a;
  ObjTensor *x;
  bool fill;
  if (!args_bind(&a, vm, call, "kde", names, 1) || !sample_data(&a, 0, &x) ||
      !args_bool_or(&a, 6, false, &fill))
    return false;
  double h = kde_bandwidth_scott(x->data, x->len);
  if (!(h > 0))
    return args_error(&a, 0, "needs at least 2 different values for a "
                             "density, got %zu value%s all equal to %g",
                      x->len, x->len == 1 ? "" : "s", x->data[0]);
  PlotLayer *k = plot_layer_new(PLOT_LINE, KDE_POINTS);
  kde_eval(x->data, x->len, h, KDE_POINTS, k->x, k->y);
  PlotLayer *l = k;
  if (fill) {
    l = plot_layer_new(PLOT_BAND, KDE_POINTS);
    memcpy(l->x, k->x, KDE_POINTS * sizeof *l->x);
    memcpy(l->y2, k->y, KDE_POINTS * sizeof *l->y2);
    for (size_t i = 0; i < KDE_POINTS; i++)
      l->y[i] = 0.0;
  }
  return layer_result(&a, &style, l, result);
}

static bool b_rug(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x",     "label", "color",
                                      "width", "alpha", NULL};
  static const Style style = {1, 2, 3, -1, 4, -1};
  Args a;
  ObjTensor *x;
  if (!args_bind(&a, vm, call, "rug", names, 1) || !sample_data(&a, 0, &x))
    return false;
  PlotLayer *l = plot_layer_new(PLOT_RUG, x->len);
  memcpy(l->x, x->data, x->len * sizeof *l->x);
  return layer_result(&a, &style, l, result);
}

static bool refline(VM *vm, const CallArgs *call, Value *result,
                    const char *fn, PlotKind kind) {
  static const char *const xnames[] = {"x",     "label", "color", "width",
                                       "style", "alpha", NULL};
  static const char *const ynames[] = {"y",     "label", "color", "width",
                                       "style", "alpha", NULL};
  static const Style style = {1, 2, 3, 4, 5, -1};
  Args a;
  PlotLayer *l = plot_layer_new(kind, 0);
  if (!args_bind(&a, vm, call, fn, kind == PLOT_VLINE ? xnames : ynames, 1) ||
      !args_num(&a, 0, &l->value))
    return false;
  if (!isfinite(l->value))
    return args_error(&a, 0, "must be a finite number, got %g", l->value);
  return layer_result(&a, &style, l, result);
}

static bool b_hline(VM *vm, const CallArgs *call, Value *result) {
  return refline(vm, call, result, "hline", PLOT_HLINE);
}

static bool b_vline(VM *vm, const CallArgs *call, Value *result) {
  return refline(vm, call, result, "vline", PLOT_VLINE);
}

static bool b_text(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x",     "y",     "s", "size",
                                      "color", "align", NULL};
  static const Style style = {-1, 4, -1, -1, -1, 3};
  Args a;
  double x, y;
  ObjString *s;
  const char *align;
  if (!args_bind(&a, vm, call, "text", names, 3) || !args_num(&a, 0, &x) ||
      !args_num(&a, 1, &y) || !args_string(&a, 2, &s) ||
      !args_string_or(&a, 5, "left", &align))
    return false;
  if (!isfinite(x))
    return args_error(&a, 0, "must be a finite number, got %g", x);
  if (!isfinite(y))
    return args_error(&a, 1, "must be a finite number, got %g", y);
  PlotLayer *l = plot_layer_text(x, y, s->chars);
  if (strcmp(align, "left") == 0)
    l->align = PLOT_ALIGN_LEFT;
  else if (strcmp(align, "center") == 0 || strcmp(align, "centre") == 0)
    l->align = PLOT_ALIGN_CENTER;
  else if (strcmp(align, "right") == 0)
    l->align = PLOT_ALIGN_RIGHT;
  else
    return args_error(&a, 5, "must be \"left\", \"center\" or \"right\", got "
                             "\"%s\"",
                      align);
  return layer_result(&a, &style, l, result);
}

/* ---- panels -------------------------------------------------------------------- */

static PlotPanel *panel_copy(const PlotPanel *src) {
  PlotPanel *p = plot_panel_new();
  *p = *src;
  p->layers = NULL;
  p->nlayers = p->cap = 0;
  for (size_t i = 0; i < src->nlayers; i++)
    plot_panel_add(p, src->layers[i]);
  return p;
}

static bool is_layer(Value v) { return object_is_handle(v, &layer_class); }
static bool is_panel(Value v) { return object_is_handle(v, &panel_class); }

/* A panel from a layer, a list of layers or a panel (copied); `what`
 * names the value inside argument i in errors ("item 2 "), or is "". */
static bool panel_from(Args *a, int i, Value v, const char *what,
                       PlotPanel **out) {
  if (is_panel(v)) {
    *out = panel_copy(AS_HANDLE(v)->data);
    return true;
  }
  PlotPanel *p = plot_panel_new();
  if (is_layer(v)) {
    plot_panel_add(p, AS_HANDLE(v)->data);
  } else if (IS_LIST(v)) {
    const ObjList *l = AS_LIST(v);
    for (size_t k = 0; k < l->len; k++) {
      if (!is_layer(l->items[k]))
        return args_error(a, i, "%smust hold layers (line(), points(), "
                                "hist(), ...), but item %zu is a %s",
                          what, k, value_type_name(l->items[k]));
      plot_panel_add(p, AS_HANDLE(l->items[k])->data);
    }
  } else {
    return args_error(a, i, "%smust be a layer, a list of layers or a "
                            "panel, got a %s",
                      what, value_type_name(v));
  }
  *out = p;
  return true;
}

/* Fixed ticks from a vector (empty: no ticks at all). */
static bool ticks_arg(Args *a, int i, PlotAxis *axis) {
  ObjTensor *t;
  if (!args_vector(a, i, &t) || !check_finite(a, i, t))
    return false;
  if (t->len == 0) {
    axis->hide_ticks = true;
    return true;
  }
  double gap = INFINITY, maxabs = 0.0;
  for (size_t k = 0; k < t->len; k++) {
    maxabs = fmax(maxabs, fabs(t->data[k]));
    for (size_t j = k + 1; j < t->len; j++)
      if (t->data[j] != t->data[k])
        gap = fmin(gap, fabs(t->data[j] - t->data[k]));
  }
  if (!isfinite(gap))
    gap = maxabs > 0 ? maxabs : 1.0;
  axis->nfixed = t->len;
  axis->fixed = mem_alloc_atomic(t->len * sizeof *axis->fixed);
  axis->fixed_labels = mem_alloc(t->len * sizeof *axis->fixed_labels);
  memcpy(axis->fixed, t->data, t->len * sizeof *axis->fixed);
  for (size_t k = 0; k < t->len; k++) {
    char buf[64];
    /* labels as a nice step would write them: the decimals of the gap */
    plot_tick_label(t->data[k], pow(10.0, floor(log10(gap))), maxabs, buf,
                    sizeof buf);
    axis->fixed_labels[k] = mem_strdup(buf);
  }
  return true;
}

static bool legend_arg(Args *a, int i, PlotLegendLoc *loc) {
  Value v = a->v[i];
  if (IS_BOOL(v)) {
    *loc = AS_BOOL(v) ? PLOT_LEGEND_BEST : PLOT_LEGEND_NONE;
    return true;
  }
  if (IS_STRING(v) && plot_legend_parse(AS_CSTRING(v), loc))
    return true;
  return args_error(a, i, "must be true, false or a place: \"best\", "
                          "\"upper right\", \"upper left\", \"lower left\" "
                          "or \"lower right\"");
}

/* The panel options every panel-making builtin takes, from index first:
 * title, xlabel, ylabel, xlim, ylim, legend, grid, xticks, yticks. Only
 * the given ones change p. */
enum { PANEL_NOPTS = 9 };
#define PANEL_OPTION_NAMES                                                   \
  "title", "xlabel", "ylabel", "xlim", "ylim", "legend", "grid", "xticks",   \
      "yticks"

static bool panel_options(Args *a, int first, PlotPanel *p) {
  const char *s;
  if (args_given(a, first)) {
    if (!string_or_nil(a, first, &s))
      return false;
    p->title = mem_strdup(s);
  }
  if (args_given(a, first + 1)) {
    if (!string_or_nil(a, first + 1, &s))
      return false;
    p->x.label = mem_strdup(s);
  }
  if (args_given(a, first + 2)) {
    if (!string_or_nil(a, first + 2, &s))
      return false;
    p->y.label = mem_strdup(s);
  }
  if (args_given(a, first + 3)) {
    if (!limits_arg(a, first + 3, p->x.lim))
      return false;
    p->x.lim_set = true;
  }
  if (args_given(a, first + 4)) {
    if (!limits_arg(a, first + 4, p->y.lim))
      return false;
    p->y.lim_set = true;
  }
  if (args_given(a, first + 5) && !legend_arg(a, first + 5, &p->legend))
    return false;
  if (args_given(a, first + 6) &&
      !args_bool_or(a, first + 6, false, &p->grid))
    return false;
  if (args_given(a, first + 7) && !ticks_arg(a, first + 7, &p->x))
    return false;
  if (args_given(a, first + 8) && !ticks_arg(a, first + 8, &p->y))
    return false;
  return true;
}

static bool b_panel(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"layers", PANEL_OPTION_NAMES, NULL};
  Args a;
  PlotPanel *p;
  if (!args_bind(&a, vm, call, "panel", names, 1) ||
      !panel_from(&a, 0, a.v[0], "", &p) || !panel_options(&a, 1, p))
    return false;
  *result = OBJ_VAL(handle_new(&panel_class, p));
  return true;
}

/* ---- writing ------------------------------------------------------------------- */

/* path=: a string ending in .svg, .png or .pdf. */
static bool path_arg(Args *a, int i, const char **out) {
  ObjString *s;
  if (!args_string(a, i, &s))
    return false;
  if (plot_format_of(s->chars) == PLOT_FORMAT_NONE)
    return args_error(a, i, "must end in .svg, .png or .pdf, got \"%s\"",
                      s->chars);
  *out = s->chars;
  return true;
}

static bool side_arg(Args *a, int i, double dflt, double *out) {
  if (!args_positive_or(a, i, dflt, out))
    return false;
  if (*out > MAX_SIDE)
    return args_error(a, i, "must be at most %g px, got %g", MAX_SIDE, *out);
  return true;
}

/* width= and height= at i and i + 1 (defaults w, h). */
static bool size_args(Args *a, int i, double w, double h, double *ow,
                      double *oh) {
  if (!side_arg(a, i, w, ow) || !side_arg(a, i + 1, h, oh))
    return false;
  if (*ow * *oh > MAX_PIXELS)
    return args_error(a, i, "and height make %g pixels, more than the %g a "
                            "figure may have",
                      *ow * *oh, MAX_PIXELS);
  return true;
}

static bool write_figure(Args *a, PlotFigure *f, const char *path,
                         Value *result) {
  char err[PLOT_ERR_LEN];
  if (!plot_write(f, path, err))
    return vm_error(a->vm, "%s(): %s", a->fn, err);
  PlotResult *r = mem_alloc(sizeof *r);
  r->path = mem_strdup(path);
  r->fig = f;
  *result = OBJ_VAL(handle_new(&plot_class, r));
  return true;
}

static bool b_plot(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"layers", "path", PANEL_OPTION_NAMES,
                                      "width",  "height", NULL};
  enum { OPTS = 2, WIDTH = OPTS + PANEL_NOPTS };
  Args a;
  PlotPanel *p;
  const char *path;
  double w, h;
  if (!args_bind(&a, vm, call, "plot", names, 2) ||
      !panel_from(&a, 0, a.v[0], "", &p) || !path_arg(&a, 1, &path) ||
      !panel_options(&a, OPTS, p) ||
      !size_args(&a, WIDTH, DEFAULT_WIDTH, DEFAULT_HEIGHT, &w, &h))
    return false;
  PlotFigure *f = plot_figure_new(1, 1, w, h);
  f->cells[0] = p;
  return write_figure(&a, f, path, result);
}

/* A list of strings or nils, one per panel, applied by set(). */
static bool per_panel_strings(Args *a, int i, PlotPanel **cells, size_t n,
                              int which) {
  if (!args_given(a, i))
    return true;
  ObjList *l;
  if (!args_list(a, i, &l))
    return false;
  if (l->len != n)
    return args_error(a, i, "has %zu item%s for %zu panel%s", l->len,
                      l->len == 1 ? "" : "s", n, n == 1 ? "" : "s");
  for (size_t k = 0; k < n; k++) {
    Value v = l->items[k];
    if (IS_NIL(v))
      continue;
    if (!IS_STRING(v))
      return args_error(a, i, "must hold strings (or nil), but item %zu is "
                              "a %s",
                        k, value_type_name(v));
    if (!cells[k])
      continue;
    const char *s = mem_strdup(AS_CSTRING(v));
    if (which == 0)
      cells[k]->title = s;
    else if (which == 1)
      cells[k]->x.label = s;
    else
      cells[k]->y.label = s;
  }
  return true;
}

/* sharex / sharey: one view for all panels (the union of their views),
 * tick labels only on the outer panels, as matplotlib's label_outer. */
static void share_axis(PlotFigure *f, bool x) {
  double lo = INFINITY, hi = -INFINITY;
  size_t n = (size_t)f->rows * (size_t)f->cols;
  for (size_t i = 0; i < n; i++) {
    if (!f->cells[i])
      continue;
    double xl[2], yl[2];
    plot_panel_limits(f->cells[i], xl, yl);
    const double *v = x ? xl : yl;
    lo = fmin(lo, v[0]);
    hi = fmax(hi, v[1]);
  }
  for (size_t i = 0; i < n; i++) {
    PlotPanel *p = f->cells[i];
    if (!p)
      continue;
    PlotAxis *ax = x ? &p->x : &p->y;
    ax->share = 1;
    ax->lim_set = true;
    ax->lim[0] = lo, ax->lim[1] = hi;
    size_t r = i / (size_t)f->cols, c = i % (size_t)f->cols;
    if (x) { /* labels only where no panel lies below */
      for (size_t rr = r + 1; rr < (size_t)f->rows; rr++)
        if (f->cells[rr * (size_t)f->cols + c])
          ax->hide_labels = true;
    } else if (c > 0) {
      for (size_t cc = 0; cc < c; cc++)
        if (f->cells[r * (size_t)f->cols + cc])
          ax->hide_labels = true;
    }
  }
}

static bool b_plot_grid(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "panels", "path",   "ncols",  "title", "titles", "xlabels",
      "ylabels", "sharex", "sharey", "width", "height", NULL};
  Args a;
  ObjList *items;
  const char *path, *title;
  size_t ncols;
  bool sharex, sharey;
  if (!args_bind(&a, vm, call, "plot_grid", names, 2) ||
      !args_list(&a, 0, &items) || !path_arg(&a, 1, &path) ||
      !string_or_nil(&a, 3, &title) || !args_bool_or(&a, 7, false, &sharex) ||
      !args_bool_or(&a, 8, false, &sharey))
    return false;
  size_t n = items->len;
  if (n == 0)
    return args_error(&a, 0, "must hold at least one panel");
  size_t dflt = n <= 3 ? n : (size_t)ceil(sqrt((double)n));
  if (!args_count_or(&a, 2, dflt, &ncols))
    return false;
  if (ncols < 1 || ncols > n)
    return args_error(&a, 2, "must be between 1 and the number of panels "
                             "(%zu), got %zu",
                      n, ncols);
  size_t nrows = (n + ncols - 1) / ncols;
  double w, h;
  if (!size_args(&a, 9, GRID_CELL_W * (double)ncols,
                 GRID_CELL_H * (double)nrows, &w, &h))
    return false;
  PlotFigure *f = plot_figure_new((int)nrows, (int)ncols, w, h);
  for (size_t k = 0; k < n; k++) {
    if (IS_NIL(items->items[k]))
      continue;
    char what[48];
    snprintf(what, sizeof what, "item %zu ", k);
    if (!panel_from(&a, 0, items->items[k], what, &f->cells[k]))
      return false;
  }
  if (!per_panel_strings(&a, 4, f->cells, n, 0) ||
      !per_panel_strings(&a, 5, f->cells, n, 1) ||
      !per_panel_strings(&a, 6, f->cells, n, 2))
    return false;
  if (title)
    f->title = mem_strdup(title);
  if (sharex)
    share_axis(f, true);
  if (sharey)
    share_axis(f, false);
  return write_figure(&a, f, path, result);
}

/* ---- histograms: plot_hist, text_hist ------------------------------------------ */

/* Output goes to a terminal: the REPL, or a script run from one. */
static bool interactive(VM *vm) { return isatty(fileno(vm_out(vm))); }

static void print_text_hist(VM *vm, const char *name, const double *x,
                            size_t n) {
  StrBuf sb;
  strbuf_init(&sb);
  if (name)
    strbuf_printf(&sb, "%s\n", name);
  size_t m = 0; /* the bin rule wants finite values */
  double *fin = mem_alloc_atomic((n + 1) * sizeof *fin);
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i]))
      fin[m++] = x[i];
  size_t bins = plot_hist_auto_bins(fin, m);
  bins = bins < REPL_HIST_MIN_BINS   ? REPL_HIST_MIN_BINS
         : bins > REPL_HIST_MAX_BINS ? REPL_HIST_MAX_BINS
                                     : bins;
  plot_text_hist(fin, m, bins, REPL_HIST_HEIGHT, &sb);
  fputs(sb.data, vm_out(vm));
  fflush(vm_out(vm));
}

static bool b_plot_hist(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "x",      "path",  "bins",   "histtype", "density", "title",
      "xlabel", "ylabel", "color", "width",    "height",  NULL};
  static const Style style = {-1, 8, -1, -1, -1, -1};
  Args a;
  ObjTensor *x;
  const char *path;
  PlotLayer *l;
  PlotPanel *p = plot_panel_new();
  double w, h;
  if (!args_bind(&a, vm, call, "plot_hist", names, 2) ||
      !sample_data(&a, 0, &x) || !path_arg(&a, 1, &path) ||
      !hist_layer(&a, x, 2, 3, 4, -1, &l) || !style_args(&a, &style, l) ||
      !string_or_nil(&a, 5, &p->title) || !string_or_nil(&a, 6, &p->x.label) ||
      !string_or_nil(&a, 7, &p->y.label) ||
      !size_args(&a, 9, DEFAULT_WIDTH, DEFAULT_HEIGHT, &w, &h))
    return false;
  p->title = p->title ? mem_strdup(p->title) : NULL;
  p->x.label = p->x.label ? mem_strdup(p->x.label) : NULL;
  p->y.label = p->y.label ? mem_strdup(p->y.label) : NULL;
  plot_panel_add(p, l);
  PlotFigure *f = plot_figure_new(1, 1, w, h);
  f->cells[0] = p;
  if (!write_figure(&a, f, path, result))
    return false;
  if (interactive(vm))
    print_text_hist(vm, p->title, x->data, x->len);
  return true;
}

static bool b_text_hist(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "bins", "height", NULL};
  Args a;
  ObjTensor *x;
  size_t bins, height;
  if (!args_bind(&a, vm, call, "text_hist", names, 1) ||
      !sample_data(&a, 0, &x) ||
      !args_count_or(&a, 1, TEXT_HIST_BINS, &bins) ||
      !args_count_or(&a, 2, TEXT_HIST_HEIGHT, &height))
    return false;
  if (bins < 1 || bins > PLOT_MAX_BINS)
    return args_error(&a, 1, "must be between 1 and %d, got %zu",
                      PLOT_MAX_BINS, bins);
  if (height < 1 || height > 100)
    return args_error(&a, 2, "must be between 1 and 100 lines, got %zu",
                      height);
  StrBuf sb;
  strbuf_init(&sb);
  plot_text_hist(x->data, x->len, bins, height, &sb);
  *result = OBJ_VAL(string_new(sb.data, sb.len));
  return true;
}

/* ---- trace plots ----------------------------------------------------------------- */

/* One name: a whole variable, or one element ("theta[2]"). */
static bool select_one(Args *a, int i, const Trace *t, const char *name,
                       PlotMcmcSel *s) {
  size_t first, count;
  if (!lib_trace_name_arg(a, i, t, name, &s->var, &first, &count))
    return false;
  s->nelems = count;
  s->elems = mem_alloc_atomic((count + 1) * sizeof *s->elems);
  for (size_t k = 0; k < count; k++)
    s->elems[k] = first + k;
  return true;
}

/* vars=: nil (every variable), a name, or a list of names. */
static bool vars_arg(Args *a, int i, const Trace *t, PlotMcmcSel **sel,
                     size_t *n) {
  if (!args_given(a, i)) {
    *sel = plot_mcmc_select_all(t, n);
    return true;
  }
  Value v = a->v[i];
  if (IS_STRING(v)) {
    *sel = mem_alloc(sizeof **sel);
    *n = 1;
    return select_one(a, i, t, AS_CSTRING(v), *sel);
  }
  if (!IS_LIST(v))
    return args_error(a, i, "must be a variable name or a list of names, "
                            "got a %s",
                      value_type_name(v));
  const ObjList *l = AS_LIST(v);
  if (l->len == 0)
    return args_error(a, i, "must name at least one variable");
  *sel = mem_alloc(l->len * sizeof **sel);
  *n = l->len;
  for (size_t k = 0; k < l->len; k++) {
    if (!IS_STRING(l->items[k]))
      return args_error(a, i, "must be a list of variable names, but item "
                              "%zu is a %s",
                        k, value_type_name(l->items[k]));
    if (!select_one(a, i, t, AS_CSTRING(l->items[k]), &(*sel)[k]))
      return false;
  }
  return true;
}

/* With vars= left out, a trace of many quantities shows the first `most`
 * (rows or panels, per_elem saying which count), with a warning. */
static void trim_default(Args *a, int i, PlotMcmcSel *sel, size_t *nsel,
                         size_t most, bool per_elem) {
  if (args_given(a, i))
    return;
  size_t total = per_elem ? plot_mcmc_count(sel, *nsel) : *nsel;
  if (total <= most)
    return;
  size_t kept = 0, k = 0;
  for (; k < *nsel; k++) {
    size_t take = per_elem ? sel[k].nelems : 1;
    if (kept + take > most) {
      if (per_elem && kept < most)
        sel[k++].nelems = most - kept;
      break;
    }
    kept += take;
  }
  *nsel = k;
  fprintf(vm_err(a->vm),
          "warning: %s(): showing the first %zu of %zu %s; choose others "
          "with vars=\n",
          a->fn, most, total, per_elem ? "quantities" : "variables");
}

/* trace, path, and width/height at wi: the arguments every trace plot
 * takes. */
static bool trace_args(Args *a, Trace **t, const char **path, int wi,
                       PlotMcmcSize *size) {
  if (!(*t = trace_get(a->vm, a->v[0], a->fn)) || !path_arg(a, 1, path))
    return false;
  size->width = size->height = 0.0; /* the plot's own default */
  return (!args_given(a, wi) || side_arg(a, wi, 0.0, &size->width)) &&
         (!args_given(a, wi + 1) || side_arg(a, wi + 1, 0.0, &size->height));
}

static bool finish_trace_plot(Args *a, PlotFigure *f, const char *err,
                              const char *path, Value *result) {
  if (!f)
    return vm_error(a->vm, "%s(): %s", a->fn, err);
  return write_figure(a, f, path, result);
}

/* plot_trace and plot_pair: (trace, path, vars, width, height) to the
 * figure `build` makes. */
typedef PlotFigure *BuildFn(const Trace *t, const PlotMcmcSel *sel,
                            size_t nsel, PlotMcmcSize size,
                            char err[PLOT_ERR_LEN]);

static bool selection_plot(VM *vm, const CallArgs *call, Value *result,
                           const char *fn, BuildFn *build, bool trim) {
  static const char *const names[] = {"trace", "path", "vars", "width",
                                      "height", NULL};
  Args a;
  Trace *t;
  const char *path;
  PlotMcmcSize size;
  PlotMcmcSel *sel;
  size_t nsel;
  if (!args_bind(&a, vm, call, fn, names, 2) ||
      !trace_args(&a, &t, &path, 3, &size) ||
      !vars_arg(&a, 2, t, &sel, &nsel))
    return false;
  if (trim)
    trim_default(&a, 2, sel, &nsel, PLOT_MCMC_MAX_PANELS, false);
  char err[PLOT_ERR_LEN];
  PlotFigure *f = build(t, sel, nsel, size, err);
  return finish_trace_plot(&a, f, err, path, result);
}

static bool b_plot_trace(VM *vm, const CallArgs *call, Value *result) {
  return selection_plot(vm, call, result, "plot_trace", plot_mcmc_trace,
                        true);
}

/* A pair plot of too many quantities is unreadable: an error asks for
 * vars= rather than a silent cut. */
static bool b_plot_pair(VM *vm, const CallArgs *call, Value *result) {
  return selection_plot(vm, call, result, "plot_pair", plot_mcmc_pair, false);
}

static bool prob_arg(Args *a, int i, double *out) {
  if (!args_num_or(a, i, DEFAULT_HDI_PROB, out))
    return false;
  if (!(*out > 0.0 && *out < 1.0))
    return args_error(a, i, "must be between 0 and 1 (exclusive), got %g",
                      *out);
  return true;
}

static bool b_plot_forest(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"trace",    "path",  "vars",
                                      "hdi_prob", "combined", "point",
                                      "ref",      "width", "height", NULL};
  Args a;
  Trace *t;
  const char *path, *point;
  PlotMcmcSize size;
  PlotMcmcSel *sel;
  size_t nsel;
  PlotForestOpts o;
  if (!args_bind(&a, vm, call, "plot_forest", names, 2) ||
      !trace_args(&a, &t, &path, 7, &size) ||
      !vars_arg(&a, 2, t, &sel, &nsel) || !prob_arg(&a, 3, &o.hdi_prob) ||
      !args_bool_or(&a, 4, true, &o.combined) ||
      !args_string_or(&a, 5, "mean", &point) ||
      !args_num_or(&a, 6, NAN, &o.ref))
    return false;
  if (strcmp(point, "mean") != 0 && strcmp(point, "median") != 0)
    return args_error(&a, 5, "must be \"mean\" or \"median\", got \"%s\"",
                      point);
  if (args_given(&a, 6) && !isfinite(o.ref))
    return args_error(&a, 6, "must be a finite number, got %g", o.ref);
  o.use_median = strcmp(point, "median") == 0;
  char err[PLOT_ERR_LEN];
  PlotFigure *f = plot_mcmc_forest(t, sel, nsel, &o, size, err);
  return finish_trace_plot(&a, f, err, path, result);
}

static bool b_plot_energy(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"trace", "path", "width", "height",
                                      NULL};
  Args a;
  Trace *t;
  const char *path;
  PlotMcmcSize size;
  if (!args_bind(&a, vm, call, "plot_energy", names, 2) ||
      !trace_args(&a, &t, &path, 2, &size))
    return false;
  char err[PLOT_ERR_LEN];
  PlotFigure *f = plot_mcmc_energy(t, size, err);
  return finish_trace_plot(&a, f, err, path, result);
}

/* The REPL's text histograms of a selection. */
static void print_selection(VM *vm, const Trace *t, const PlotMcmcSel *sel,
                            size_t nsel) {
  size_t total = trace_ndraws(t) * (size_t)t->nchains;
  double *x = mem_alloc_atomic((total + 1) * sizeof *x);
  for (size_t i = 0; i < nsel; i++)
    for (size_t e = 0; e < sel[i].nelems; e++) {
      StrBuf name;
      strbuf_init(&name);
      trace_elem_name(t, sel[i].var, sel[i].elems[e], &name);
      trace_column(t, sel[i].var, sel[i].elems[e], x);
      print_text_hist(vm, name.data, x, total);
    }
}

static bool b_plot_posterior(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"trace", "path",  "vars",
                                      "hdi_prob", "width", "height", NULL};
  Args a;
  Trace *t;
  const char *path;
  PlotMcmcSize size;
  PlotMcmcSel *sel;
  size_t nsel;
  double prob;
  if (!args_bind(&a, vm, call, "plot_posterior", names, 2) ||
      !trace_args(&a, &t, &path, 4, &size) ||
      !vars_arg(&a, 2, t, &sel, &nsel) || !prob_arg(&a, 3, &prob))
    return false;
  trim_default(&a, 2, sel, &nsel, PLOT_MCMC_MAX_PANELS, true);
  char err[PLOT_ERR_LEN];
  PlotFigure *f = plot_mcmc_posterior(t, sel, nsel, prob, size, err);
  if (!finish_trace_plot(&a, f, err, path, result))
    return false;
  if (interactive(vm))
    print_selection(vm, t, sel, nsel);
  return true;
}

/* ---- registration ---------------------------------------------------------------- */

static const BuiltinDef plot_builtins[] = {
    {"line", b_line,
     "line(x, y=nil, label=nil, color=nil, width=1.8, style=\"-\", "
     "alpha=1): a line layer through (x, y); line(y) plots y against 0, 1, "
     "2, ..."},
    {"points", b_points,
     "points(x, y, label=nil, color=nil, size=3, alpha=1): a layer of round "
     "markers (size is the radius in px)"},
    {"band", b_band,
     "band(x, lower, upper, label=nil, color=nil, alpha=0.3): a shaded band "
     "between lower and upper over x (fill_between)"},
    {"hist", b_hist,
     "hist(x, bins=\"auto\", histtype=\"bar\", density=false, range=nil, "
     "label=nil, color=nil, alpha=1, width=1.8): a histogram layer; bins is "
     "a count, a vector of edges or \"auto\"; histtype \"bar\", \"step\" or "
     "\"stepfilled\""},
    {"bars", b_bars,
     "bars(x, height, width=0.8, label=nil, color=nil, alpha=1): a bar "
     "chart layer, bars centred on x"},
    {"kde", b_kde,
     "kde(x, label=nil, color=nil, width=1.8, style=\"-\", alpha=1, "
     "fill=false): a Gaussian kernel density curve of x (Scott's rule)"},
    {"rug", b_rug,
     "rug(x, label=nil, color=\"black\", width=1, alpha=1): short ticks "
     "along the bottom of the axes at x"},
    {"hline", b_hline,
     "hline(y, label=nil, color=\"black\", width=1.2, style=\"-\", "
     "alpha=1): a horizontal reference line across the axes"},
    {"vline", b_vline,
     "vline(x, label=nil, color=\"black\", width=1.2, style=\"-\", "
     "alpha=1): a vertical reference line across the axes"},
    {"text", b_text,
     "text(x, y, s, size=12, color=\"black\", align=\"left\"): text s at "
     "(x, y) in data coordinates"},
    {"panel", b_panel,
     "panel(layers, title=nil, xlabel=nil, ylabel=nil, xlim=nil, ylim=nil, "
     "legend=nil, grid=false, xticks=nil, yticks=nil): one set of axes, "
     "for plot() or plot_grid()"},
    {"plot", b_plot,
     "plot(layers, path, title=nil, xlabel=nil, ylabel=nil, xlim=nil, "
     "ylim=nil, legend=nil, grid=false, xticks=nil, yticks=nil, width=640, "
     "height=480): draw a layer, a list of layers or a panel to path "
     "(.svg, .png or .pdf)"},
    {"plot_grid", b_plot_grid,
     "plot_grid(panels, path, ncols=nil, title=nil, titles=nil, "
     "xlabels=nil, ylabels=nil, sharex=false, sharey=false, width=nil, "
     "height=nil): several panels in a grid, row by row (nil leaves a cell "
     "empty)"},
    {"plot_hist", b_plot_hist,
     "plot_hist(x, path, bins=\"auto\", histtype=\"bar\", density=false, "
     "title=nil, xlabel=nil, ylabel=nil, color=nil, width=640, height=480): "
     "a histogram of x written to path; on a terminal also printed as text"},
    {"text_hist", b_text_hist,
     "text_hist(x, bins=24, height=3): a histogram of x as lines of block "
     "characters, with the range underneath"},
    {"plot_trace", b_plot_trace,
     "plot_trace(trace, path, vars=nil, width=nil, height=nil): ArviZ's "
     "trace plot: per variable the density of each chain and the draws "
     "against the iteration; divergences marked"},
    {"plot_pair", b_plot_pair,
     "plot_pair(trace, path, vars=nil, width=nil, height=nil): scatter "
     "plots of every pair of quantities, histograms on the diagonal, "
     "divergent draws in red"},
    {"plot_forest", b_plot_forest,
     "plot_forest(trace, path, vars=nil, hdi_prob=0.94, combined=true, "
     "point=\"mean\", ref=nil, width=nil, height=nil): per element the "
     "mean, interquartile range and HDI; combined=false shows each chain"},
    {"plot_energy", b_plot_energy,
     "plot_energy(trace, path, width=nil, height=nil): marginal energy and "
     "energy transition densities with each chain's E-BFMI (HMC, NUTS)"},
    {"plot_posterior", b_plot_posterior,
     "plot_posterior(trace, path, vars=nil, hdi_prob=0.94, width=nil, "
     "height=nil): a step histogram per element with its mean and HDI; on "
     "a terminal also printed as text"},
    {NULL, NULL, NULL},
};

void lib_plot_register(VM *vm) { builtin_register(vm, plot_builtins); }
