/*
 * test_plot.c — the plotting layer: nice ticks and their labels, the
 * data-to-pixel map, view limits, colours, histograms, the Gaussian KDE,
 * text histograms; then files drawn by cairo (SVG, PNG, PDF and the
 * errors), and the ArviZ-style figures of a trace built here in C.
 *
 * Files go to a fresh directory under $TMPDIR (or /tmp) that is removed
 * at the end.
 */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "diag.h"
#include "kde.h"
#include "mem.h"
#include "plot.h"
#include "plot_cairo.h"
#include "plot_mcmc.h"
#include "plot_text.h"
#include "strbuf.h"
#include "trace.h"

/* ---- deterministic random numbers (xorshift64*, Box-Muller) --------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static double unif(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ULL) >> 11) * 0x1.0p-53;
}

static double gauss(void) {
  double u = unif(), v = unif();
  return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

/* ---- ticks ---------------------------------------------------------------- */

static bool is_nice_step(double step) {
  double mag = pow(10.0, floor(log10(step)));
  double m = step / mag;
  const double nice[] = {1.0, 2.0, 2.5, 5.0, 10.0};
  for (size_t i = 0; i < 5; i++)
    if (fabs(m - nice[i]) < 1e-9)
      return true;
  return false;
}

static void test_ticks_examples(void) {
  double t[32], step;
  size_t n = plot_ticks(-0.05, 1.05, 9, false, t, 32, &step);
  CHECK_EQ_INT(n, 6);
  CHECK_NEAR(step, 0.2, 1e-12);
  CHECK_NEAR(t[0], 0.0, 0.0);
  CHECK_NEAR(t[5], 1.0, 1e-12);

  n = plot_ticks(1234, 5678, 5, false, t, 32, &step);
  CHECK_NEAR(step, 1000, 0);
  CHECK_EQ_INT(n, 4);
  CHECK_NEAR(t[0], 2000, 0);
  CHECK_NEAR(t[3], 5000, 0);

  n = plot_ticks(-2.7, -0.3, 5, false, t, 32, &step);
  CHECK_NEAR(step, 0.5, 0);
  CHECK_EQ_INT(n, 5);
  CHECK_NEAR(t[0], -2.5, 1e-12);
  CHECK_NEAR(t[4], -0.5, 1e-12);

  /* 2.5 steps, as matplotlib's MaxNLocator */
  n = plot_ticks(0, 10, 4, false, t, 32, &step);
  CHECK_NEAR(step, 2.5, 0);
  CHECK_EQ_INT(n, 5);

  /* a tick at zero is exactly zero, not 1e-17 */
  n = plot_ticks(-0.3, 0.3, 6, false, t, 32, &step);
  CHECK_NEAR(step, 0.1, 1e-15);
  size_t zeros = 0;
  for (size_t i = 0; i < n; i++)
    zeros += t[i] == 0.0;
  CHECK_EQ_INT(zeros, 1);

  /* integer axes never step below 1 nor by 2.5 */
  n = plot_ticks(-0.3, 3.3, 9, true, t, 32, &step);
  CHECK_NEAR(step, 1, 0);
  CHECK_EQ_INT(n, 4);
  n = plot_ticks(0, 10, 4, true, t, 32, &step);
  CHECK(step == 5.0);
  n = plot_ticks(0.2, 0.7, 5, true, t, 32, &step);
  CHECK_EQ_INT(n, 0); /* no whole number inside */
}

/* For many random views: every tick inside the view, evenly spaced by a
 * nice step, no more intervals than asked, and at least two ticks. */
static void test_ticks_properties(void) {
  size_t bad = 0;
  for (int trial = 0; trial < 2000; trial++) {
    double scale = pow(10.0, floor(unif() * 16) - 8);
    double lo = (unif() - 0.5) * 20 * scale;
    double hi = lo + (0.01 + unif() * 10) * scale;
    size_t maxint = 1 + (size_t)(unif() * 9);
    double t[32], step;
    size_t n = plot_ticks(lo, hi, maxint, false, t, 32, &step);
    bool ok = n >= 1 && n - 1 <= maxint && is_nice_step(step);
    for (size_t i = 0; ok && i < n; i++) {
      double slack = 1e-9 * step;
      ok = t[i] >= lo - slack && t[i] <= hi + slack;
      if (i > 0)
        ok = ok && fabs(t[i] - t[i - 1] - step) < 1e-9 * step;
    }
    /* with room for two intervals, a step at least a tenth of the view */
    if (ok && maxint >= 2)
      ok = n >= 2 && step <= (hi - lo);
    if (!ok && bad++ < 5)
      fprintf(stderr, "  ticks of [%g, %g] in %zu: n=%zu step=%g\n", lo, hi,
              maxint, n, step);
  }
  CHECK_EQ_INT(bad, 0);
}

static void test_tick_labels(void) {
  char b[64];
  plot_tick_label(0.25, 0.25, 1, b, sizeof b);
  CHECK_EQ_STR(b, "0.25");
  plot_tick_label(1.0, 0.5, 2, b, sizeof b);
  CHECK_EQ_STR(b, "1.0");
  plot_tick_label(3.0, 1.0, 5, b, sizeof b);
  CHECK_EQ_STR(b, "3");
  plot_tick_label(-2.5, 2.5, 10, b, sizeof b);
  CHECK_EQ_STR(b, "\xe2\x88\x92" "2.5"); /* U+2212 minus */
  plot_tick_label(0.1 + 0.2 - 0.3, 0.1, 1, b, sizeof b);
  CHECK_EQ_STR(b, "0.0"); /* rounding dust is zero, not -0.0 */
  plot_tick_label(1500, 500, 3000, b, sizeof b);
  CHECK_EQ_STR(b, "1500");
  plot_tick_label(1.5e6, 5e5, 2e6, b, sizeof b);
  CHECK_EQ_STR(b, "1.5e6");
  plot_tick_label(2e6, 5e5, 2e6, b, sizeof b);
  CHECK_EQ_STR(b, "2.0e6");
  plot_tick_label(2.5e-6, 5e-7, 3e-6, b, sizeof b);
  CHECK_EQ_STR(b, "2.5e-6");
  plot_tick_label(0.0, 5e-7, 3e-6, b, sizeof b);
  CHECK_EQ_STR(b, "0");
}

static void test_scale(void) {
  PlotScale x = {2.0, 6.0, 100.0, 500.0};
  CHECK_NEAR(plot_scale_map(&x, 2.0), 100.0, 1e-12);
  CHECK_NEAR(plot_scale_map(&x, 6.0), 500.0, 1e-12);
  CHECK_NEAR(plot_scale_map(&x, 3.0), 200.0, 1e-12);
  CHECK_NEAR(plot_scale_map(&x, 7.0), 600.0, 1e-12); /* beyond the view */
  CHECK_NEAR(plot_scale_inverse(&x, 200.0), 3.0, 1e-12);
  /* a y axis: data grow upwards, pixels downwards */
  PlotScale y = {0.0, 10.0, 400.0, 50.0};
  CHECK_NEAR(plot_scale_map(&y, 0.0), 400.0, 1e-12);
  CHECK_NEAR(plot_scale_map(&y, 10.0), 50.0, 1e-12);
  CHECK_NEAR(plot_scale_map(&y, 2.5), 312.5, 1e-12);
  CHECK_NEAR(plot_scale_inverse(&y, 312.5), 2.5, 1e-12);
  for (int i = 0; i < 100; i++) {
    double v = (unif() - 0.5) * 1e3;
    CHECK_NEAR(plot_scale_inverse(&y, plot_scale_map(&y, v)), v, 1e-9);
  }
}

/* ---- limits, colours, histograms ------------------------------------------ */

static void test_limits(void) {
  double x[11], y[11];
  for (int i = 0; i <= 10; i++) {
    x[i] = i;
    y[i] = 1.0 + 0.2 * i;
  }
  PlotPanel *p = plot_panel_new();
  plot_panel_add(p, plot_layer_xy(PLOT_LINE, x, y, 11));
  double xl[2], yl[2];
  plot_panel_limits(p, xl, yl);
  CHECK_NEAR(xl[0], -0.5, 1e-12);
  CHECK_NEAR(xl[1], 10.5, 1e-12);
  CHECK_NEAR(yl[0], 0.9, 1e-12);
  CHECK_NEAR(yl[1], 3.1, 1e-12);
  /* a reference line widens the view; NaN is ignored */
  PlotLayer *h = plot_layer_new(PLOT_HLINE, 0);
  h->value = 5.0;
  plot_panel_add(p, h);
  double nan_x[1] = {NAN}, nan_y[1] = {100};
  plot_panel_add(p, plot_layer_xy(PLOT_POINTS, nan_x, nan_y, 1));
  plot_panel_limits(p, xl, yl);
  CHECK_NEAR(yl[0], 0.8, 1e-12);
  CHECK_NEAR(yl[1], 5.2, 1e-12);
  CHECK_NEAR(xl[1], 10.5, 1e-12);
  /* a histogram sits on y = 0 exactly */
  PlotPanel *q = plot_panel_new();
  const double data[5] = {1, 2, 2, 3, 5};
  PlotHistSpec spec = {.nbins = 2};
  plot_panel_add(q, plot_layer_hist(data, 5, &spec, PLOT_BARS));
  plot_panel_limits(q, xl, yl);
  CHECK_NEAR(yl[0], 0.0, 0.0);
  CHECK_NEAR(yl[1], 3.15, 1e-12);
  CHECK_NEAR(xl[0], 0.8, 1e-12);
  /* explicit limits win; an empty panel shows [0, 1] */
  q->x.lim_set = true;
  q->x.lim[0] = -4, q->x.lim[1] = 4;
  plot_panel_limits(q, xl, yl);
  CHECK(xl[0] == -4 && xl[1] == 4);
  plot_panel_limits(plot_panel_new(), xl, yl);
  CHECK(xl[0] == 0 && xl[1] == 1 && yl[0] == 0 && yl[1] == 1);
  /* a single value opens to +-5% */
  PlotPanel *r = plot_panel_new();
  double one = 20.0;
  plot_panel_add(r, plot_layer_xy(PLOT_POINTS, &one, &one, 1));
  plot_panel_limits(r, xl, yl);
  CHECK_NEAR(xl[0], 19.0, 1e-12);
  CHECK_NEAR(xl[1], 21.0, 1e-12);
}

static bool color_is(PlotColor c, int r, int g, int b) {
  return fabs(c.r * 255 - r) < 1e-9 && fabs(c.g * 255 - g) < 1e-9 &&
         fabs(c.b * 255 - b) < 1e-9;
}

static void test_colors(void) {
  PlotColor c;
  CHECK(plot_color_parse("C1", &c) && color_is(c, 0xff, 0x7f, 0x0e));
  CHECK(plot_color_parse("tab:red", &c) && color_is(c, 0xd6, 0x27, 0x28));
  CHECK(plot_color_parse("tab:grey", &c) && color_is(c, 0x7f, 0x7f, 0x7f));
  CHECK(plot_color_parse("#abc", &c) && color_is(c, 0xaa, 0xbb, 0xcc));
  CHECK(plot_color_parse("#1F77b4", &c) && color_is(c, 0x1f, 0x77, 0xb4));
  CHECK(plot_color_parse("black", &c) && color_is(c, 0, 0, 0));
  CHECK(plot_color_parse("Red", &c) && color_is(c, 255, 0, 0));
  CHECK(!plot_color_parse("nope", &c));
  CHECK(!plot_color_parse("#12", &c));
  CHECK(!plot_color_parse("#12345g", &c));
  CHECK(!plot_color_parse("C10", &c));
  CHECK(!plot_color_parse("tab:lime", &c));
  CHECK(color_is(plot_palette(12), 0x2c, 0xa0, 0x2c)); /* wraps: C2 */
  PlotDash d;
  CHECK(plot_dash_parse("--", &d) && d == PLOT_DASHED);
  CHECK(plot_dash_parse("dashdot", &d) && d == PLOT_DASHDOT);
  CHECK(!plot_dash_parse("==", &d));
  PlotLegendLoc loc;
  CHECK(plot_legend_parse("lower left", &loc) && loc == PLOT_LEGEND_LOWER_LEFT);
  CHECK(!plot_legend_parse("left", &loc));
}

static void test_hist(void) {
  const double x[5] = {1, 2, 2, 3, 5};
  PlotHistSpec spec = {.nbins = 2};
  PlotLayer *l = plot_layer_hist(x, 5, &spec, PLOT_STEP);
  CHECK_EQ_INT(l->n, 2);
  CHECK(l->x[0] == 1 && l->x[1] == 3 && l->x[2] == 5);
  CHECK(l->y[0] == 3 && l->y[1] == 2); /* the last bin holds its edge */
  spec.density = true;
  l = plot_layer_hist(x, 5, &spec, PLOT_BARS);
  CHECK_NEAR(l->y[0], 0.3, 1e-12);
  CHECK_NEAR(l->y[1], 0.2, 1e-12);
  CHECK(l->x[1] == 3 && l->y2[1] == 5); /* bar 1 spans [3, 5] */
  const double edges[3] = {0, 2, 4};
  PlotHistSpec e = {.edges = edges, .nedges = 3};
  l = plot_layer_hist(x, 5, &e, PLOT_STEP);
  CHECK(l->y[0] == 1 && l->y[1] == 3); /* 5 lies outside */
  PlotHistSpec r = {.nbins = 4, .range_set = true, .range = {0, 8}};
  l = plot_layer_hist(x, 5, &r, PLOT_STEP);
  CHECK(l->x[4] == 8 && l->y[0] == 1 && l->y[1] == 3 && l->y[2] == 1);
  /* numpy's "auto" (max(sturges, fd) bins): 8 for 0..99, 1 for a constant */
  double ramp[100];
  for (int i = 0; i < 100; i++)
    ramp[i] = i;
  CHECK_EQ_INT(plot_hist_auto_bins(ramp, 100), 8);
  const double same[3] = {4, 4, 4};
  CHECK_EQ_INT(plot_hist_auto_bins(same, 3), 1);
  PlotHistSpec a = {0};
  l = plot_layer_hist(same, 3, &a, PLOT_STEP);
  CHECK(l->n == 1 && l->x[0] == 3.5 && l->x[1] == 4.5 && l->y[0] == 3);
  /* 1000 normal draws: FD's width wins, about 2 IQR n^(-1/3) */
  double g[1000];
  for (int i = 0; i < 1000; i++)
    g[i] = gauss();
  size_t nb = plot_hist_auto_bins(g, 1000);
  CHECK(nb >= 20 && nb <= 35);
}

/* ---- KDE and text histograms -------------------------------------------- */

static double direct_kde(const double *x, size_t n, double h, double lo,
                         double hi, double g) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double c[3] = {x[i], 2 * lo - x[i], 2 * hi - x[i]};
    for (int k = 0; k < 3; k++) {
      double z = (g - c[k]) / h;
      s += exp(-0.5 * z * z);
    }
  }
  return s / ((double)n * h * sqrt(2 * M_PI));
}

static void test_kde(void) {
  enum { N = 3000, G = 200 };
  static double x[N];
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < N; i++) {
    x[i] = i % 3 ? gauss() : 4.0 + 0.5 * gauss(); /* bimodal */
    lo = fmin(lo, x[i]);
    hi = fmax(hi, x[i]);
  }
  double mean = 0, ss = 0;
  for (size_t i = 0; i < N; i++)
    mean += x[i] / N;
  for (size_t i = 0; i < N; i++)
    ss += (x[i] - mean) * (x[i] - mean);
  double h = kde_bandwidth_scott(x, N);
  CHECK_NEAR(h, sqrt(ss / (N - 1)) * pow(N, -0.2), 1e-12);
  double grid[G], dens[G];
  CHECK(kde_eval(x, N, h, G, grid, dens));
  CHECK(grid[0] == lo && grid[G - 1] == hi);
  double worst = 0, peak = 0, area = 0;
  for (size_t k = 0; k < G; k++) {
    double want = direct_kde(x, N, h, lo, hi, grid[k]);
    worst = fmax(worst, fabs(dens[k] - want));
    peak = fmax(peak, want);
    if (k)
      area += 0.5 * (dens[k] + dens[k - 1]) * (grid[k] - grid[k - 1]);
  }
  CHECK(worst < 1e-3 * peak); /* binning error, far below a pixel */
  CHECK_NEAR(area, 1.0, 0.01); /* reflection keeps the mass inside */
  /* degenerate inputs */
  const double c[3] = {2, 2, 2};
  CHECK(kde_bandwidth_scott(c, 3) == 0.0);
  CHECK(!kde_eval(c, 3, 1.0, G, grid, dens));
  CHECK(kde_bandwidth_scott(c, 1) == 0.0);
  const double bad[3] = {1, NAN, 2};
  CHECK(kde_bandwidth_scott(bad, 3) == 0.0);
  CHECK(!kde_eval(bad, 3, 0.5, G, grid, dens));
}

static void test_text_hist(void) {
  StrBuf sb;
  strbuf_init(&sb);
  const double x[4] = {0, 0, 0, 1};
  plot_text_hist(x, 4, 2, 1, &sb);
  /* counts 3 and 1: a full block and round(8/3) = 3 eighths */
  CHECK_EQ_STR(sb.data, "\xe2\x96\x88\xe2\x96\x83\n0 1\n");
  strbuf_init(&sb);
  const double y[6] = {1, 2, 2, 2, 2, NAN};
  plot_text_hist(y, 6, 4, 2, &sb);
  /* counts 1, 0, 0, 4 over two lines: 16 eighths tall */
  CHECK_EQ_STR(sb.data, "   \xe2\x96\x88\n"
                        "\xe2\x96\x84  \xe2\x96\x88\n"
                        "1  2\n");
  strbuf_init(&sb);
  const double none[2] = {NAN, INFINITY};
  plot_text_hist(none, 2, 4, 2, &sb);
  CHECK_EQ_STR(sb.data, "(no finite values)\n");
}

/* ---- files ---------------------------------------------------------------- */

static char tmpdir[256];

static const char *tmp_path(const char *name) {
  static char buf[8][512];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

/* The whole file, NUL-terminated, or NULL. */
static char *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, fp);
  fclose(fp);
  s[got] = '\0';
  if (len)
    *len = got;
  return s;
}

/* Occurrences of needle in s, blanks in s ignored (cairo after 1.16
 * writes "rgb(10%, 20%, 30%)"). */
static size_t count_of(const char *s, const char *needle) {
  char *packed = malloc(strlen(s) + 1), *q = packed;
  for (const char *p = s; *p; p++)
    if (*p != ' ')
      *q++ = *p;
  *q = '\0';
  size_t n = 0;
  for (const char *p = packed; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  free(packed);
  return n;
}

/* cairo's SVG writes colours as percentages: "0%", "100%" and
 * "49.803922%". */
static void svg_percent(double v, char *buf, size_t n) {
  double p = v * 100;
  if (p == floor(p))
    snprintf(buf, n, "%d%%", (int)p);
  else
    snprintf(buf, n, "%f%%", p);
}

static const char *svg_color(PlotColor c, char *buf, size_t n) {
  char r[32], g[32], b[32];
  svg_percent(c.r, r, sizeof r);
  svg_percent(c.g, g, sizeof g);
  svg_percent(c.b, b, sizeof b);
  snprintf(buf, n, "rgb(%s,%s,%s)", r, g, b);
  return buf;
}

static PlotFigure *simple_figure(void) {
  double x[50], y[50];
  for (int i = 0; i < 50; i++) {
    x[i] = i * 0.2;
    y[i] = sin(x[i]);
  }
  PlotPanel *p = plot_panel_new();
  p->title = "sine";
  p->x.label = "x";
  p->y.label = "sin(x)";
  PlotLayer *l = plot_layer_xy(PLOT_LINE, x, y, 50);
  l->label = "sin";
  plot_panel_add(p, l);
  PlotLayer *pts = plot_layer_xy(PLOT_POINTS, x, y, 10);
  pts->alpha = 0.5;
  pts->label = "first ten";
  plot_panel_add(p, pts);
  PlotFigure *f = plot_figure_new(1, 1, 640, 480);
  f->cells[0] = p;
  return f;
}

static void test_cairo_missing(void) {
  PlotCairo c;
  char err[PLOT_CAIRO_ERR_LEN];
  CHECK(!plot_cairo_load("libppl-no-such-cairo.so.9", &c, err));
  CHECK(strstr(err, "plots need the cairo library: apt-get install "
                    "libcairo2") != NULL);
  /* a library without cairo's functions is no cairo either */
  CHECK(!plot_cairo_load("libm.so.6", &c, err));
  CHECK(strstr(err, "lacks cairo_create") != NULL);
}

static void test_formats(void) {
  char err[PLOT_ERR_LEN], col[128];
  PlotFigure *f = simple_figure();
  if (!CHECK(plot_write(f, tmp_path("a.svg"), err)))
    fprintf(stderr, "  %s\n", err);
  char *svg = slurp(tmp_path("a.svg"), NULL);
  if (CHECK(svg != NULL)) {
    CHECK(strncmp(svg, "<?xml", 5) == 0);
    CHECK(strstr(svg, "width=\"640px\"") || strstr(svg, "width=\"640pt\""));
    /* C0: the line, its legend key, and 10 translucent markers one by
     * one, and their legend key */
    size_t c0 = count_of(svg, svg_color(plot_palette(0), col, sizeof col));
    CHECK_EQ_INT(c0, 2);
    size_t c1 = count_of(svg, svg_color(plot_palette(1), col, sizeof col));
    CHECK_EQ_INT(c1, 11);
    free(svg);
  }
  /* what was drawn is recorded */
  const PlotPanel *p = f->cells[0];
  CHECK_NEAR(p->x.view[0], -0.49, 1e-12);
  CHECK_NEAR(p->x.view[1], 10.29, 1e-12);
  CHECK(p->x.nticks >= 3 && p->y.nticks >= 3);
  CHECK(p->x.ticks[0] >= p->x.view[0] && p->y.ticks[0] >= p->y.view[0]);

  CHECK(plot_write(f, tmp_path("a.PNG"), err));
  size_t len;
  char *png = slurp(tmp_path("a.PNG"), &len);
  if (CHECK(png != NULL))
    CHECK(len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
  free(png);
  CHECK(plot_write(f, tmp_path("a.pdf"), err));
  char *pdf = slurp(tmp_path("a.pdf"), NULL);
  if (CHECK(pdf != NULL))
    CHECK(strncmp(pdf, "%PDF", 4) == 0);
  free(pdf);
}

static void test_write_errors(void) {
  char err[PLOT_ERR_LEN];
  PlotFigure *f = simple_figure();
  CHECK(!plot_write(f, tmp_path("a.jpg"), err));
  CHECK(strstr(err, "unknown extension '.jpg'") != NULL);
  CHECK(!plot_write(f, tmp_path("noext"), err));
  CHECK(strstr(err, "no file extension") != NULL);
  CHECK(!plot_write(f, tmp_path("no/such/dir/a.svg"), err));
  CHECK(strstr(err, "cannot write") && strstr(err, "No such file"));
  CHECK(access(tmp_path("no/such/dir/a.svg"), F_OK) != 0);
  /* too small: nothing is written, an existing file is kept */
  CHECK(plot_write(f, tmp_path("keep.svg"), err));
  size_t before;
  free(slurp(tmp_path("keep.svg"), &before));
  PlotFigure *tiny = simple_figure();
  tiny->width = 60;
  tiny->height = 40;
  CHECK(!plot_write(tiny, tmp_path("keep.svg"), err));
  CHECK(strstr(err, "too small") != NULL);
  size_t after;
  free(slurp(tmp_path("keep.svg"), &after));
  CHECK_EQ_INT(after, before);
}

/* Grids: empty cells stay empty; every kind of layer draws. */
static void test_grid(void) {
  char err[PLOT_ERR_LEN];
  PlotFigure *f = plot_figure_new(2, 2, 800, 600);
  double x[5] = {0, 1, 2, 3, 4}, lo[5] = {0, 1, 1, 2, 2}, hi[5] = {1, 2, 3, 3, 4};
  PlotPanel *a = plot_panel_new();
  PlotLayer *b = plot_layer_new(PLOT_BAND, 5);
  memcpy(b->x, x, sizeof x);
  memcpy(b->y, lo, sizeof lo);
  memcpy(b->y2, hi, sizeof hi);
  plot_panel_add(a, b);
  PlotLayer *v = plot_layer_new(PLOT_VLINE, 0);
  v->value = 2;
  v->dash = PLOT_DASHED;
  plot_panel_add(a, v);
  plot_panel_add(a, plot_layer_text(1, 3, "note"));
  PlotPanel *c = plot_panel_new();
  const double data[6] = {1, 2, 2, 3, 3, 3};
  PlotHistSpec spec = {0};
  plot_panel_add(c, plot_layer_hist(data, 6, &spec, PLOT_BARS));
  PlotLayer *r = plot_layer_new(PLOT_RUG, 2);
  r->x[0] = 1.5, r->x[1] = 2.5;
  plot_panel_add(c, r);
  c->grid = true;
  f->cells[0] = a;
  f->cells[3] = c;
  f->title = "two of four";
  if (!CHECK(plot_write(f, tmp_path("grid.svg"), err)))
    fprintf(stderr, "  %s\n", err);
  CHECK(c->y.view[0] == 0.0); /* bars stand on the axis */
  CHECK(f->cells[1] == NULL && f->cells[2] == NULL);
}

/* ---- trace figures ------------------------------------------------------ */

/* Two chains of 300 draws: mu ~ N(1, 0.5), theta[3] ~ N(k, 1), with
 * energies of a random walk and draws 10 and 20 of chain 1 divergent. */
static Trace *make_trace(bool with_energy) {
  Trace *t = trace_new(2);
  trace_add_var(t, "mu", 0, 1, 1, false, false);
  trace_add_var(t, "theta", 1, 3, 1, false, false);
  snprintf(t->method, sizeof t->method, "%s", with_energy ? "NUTS" : "Slice");
  for (int c = 0; c < 2; c++) {
    double e = 10.0;
    for (int i = 0; i < 300; i++) {
      double v[4] = {1.0 + 0.5 * gauss(), gauss(), 1 + gauss(), 2 + gauss()};
      double s[TRACE_NSTATS] = {0};
      e += gauss();
      s[TRACE_ENERGY] = with_energy ? e : NAN;
      s[TRACE_DIVERGENT] = c == 1 && (i == 10 || i == 20);
      trace_append(t, c, v, s);
    }
  }
  return t;
}

static void test_trace_plot(void) {
  char err[PLOT_ERR_LEN];
  Trace *t = make_trace(true);
  size_t nsel;
  PlotMcmcSel *sel = plot_mcmc_select_all(t, &nsel);
  CHECK_EQ_INT(nsel, 2);
  CHECK_EQ_INT(plot_mcmc_count(sel, nsel), 4);
  PlotFigure *f = plot_mcmc_trace(t, sel, nsel, (PlotMcmcSize){0, 0}, err);
  if (!CHECK(f != NULL))
    return;
  CHECK(f->rows == 2 && f->cols == 2);
  const PlotPanel *kde = f->cells[0], *draws = f->cells[1];
  CHECK_EQ_STR(kde->title, "mu");
  CHECK(kde->y.hide_ticks && draws->x.integer);
  /* mu: a density per chain and the divergences' rug on the left; a line
   * per chain and the rug at iterations 10 and 20 on the right */
  CHECK_EQ_INT(kde->nlayers, 3);
  CHECK_EQ_INT(draws->nlayers, 3);
  const PlotLayer *rug = draws->layers[2];
  CHECK(rug->kind == PLOT_RUG && rug->n == 2 && rug->x[0] == 10 &&
        rug->x[1] == 20);
  CHECK(kde->layers[1]->color_set &&
        color_is(kde->layers[1]->color, 0xff, 0x7f, 0x0e)); /* chain 1: C1 */
  /* theta: colour per element, line style per chain */
  const PlotPanel *tk = f->cells[2];
  CHECK_EQ_INT(tk->nlayers, 3 * 2 + 1);
  CHECK(tk->layers[0]->dash == PLOT_SOLID && tk->layers[1]->dash == PLOT_DASHED);
  CHECK(color_is(tk->layers[2]->color, 0xff, 0x7f, 0x0e)); /* theta[1] */
  if (!CHECK(plot_write(f, tmp_path("trace.png"), err)))
    fprintf(stderr, "  %s\n", err);
  CHECK(f->cells[1]->x.view[0] < 0 && f->cells[1]->x.view[1] > 299);
  for (size_t i = 0; i < f->cells[1]->x.nticks; i++)
    CHECK(f->cells[1]->x.ticks[i] == floor(f->cells[1]->x.ticks[i]));
  /* one element of a vector is titled by its name */
  size_t e = 1;
  PlotMcmcSel one = {1, &e, 1};
  f = plot_mcmc_trace(t, &one, 1, (PlotMcmcSize){500, 200}, err);
  CHECK(f && strcmp(f->cells[0]->title, "theta[1]") == 0 && f->width == 500);
  /* a trace without draws */
  Trace *empty = trace_new(2);
  trace_add_var(empty, "mu", 0, 1, 1, false, false);
  CHECK(plot_mcmc_trace(empty, sel, 1, (PlotMcmcSize){0, 0}, err) == NULL);
  CHECK(strstr(err, "no draws") != NULL);
  CHECK(plot_mcmc_trace(t, sel, 0, (PlotMcmcSize){0, 0}, err) == NULL);
  CHECK(strstr(err, "empty") != NULL);
}

static void test_pair_plot(void) {
  char err[PLOT_ERR_LEN], col[128];
  Trace *t = make_trace(true);
  size_t e0 = 0;
  PlotMcmcSel sel[2] = {{0, &e0, 1}, {1, &e0, 1}}; /* mu, theta[0] */
  PlotFigure *f = plot_mcmc_pair(t, sel, 2, (PlotMcmcSize){0, 0}, err);
  if (!CHECK(f != NULL))
    return;
  CHECK(f->rows == 2 && f->cols == 2 && f->cells[1] == NULL);
  const PlotPanel *sc = f->cells[2];
  CHECK_EQ_INT(sc->nlayers, 2); /* all draws, then the divergent ones */
  CHECK(sc->layers[0]->n == 600 && sc->layers[1]->n == 2);
  CHECK_EQ_STR(sc->x.label, "mu");
  CHECK_EQ_STR(sc->y.label, "theta[0]");
  CHECK(f->cells[0]->x.hide_labels && !sc->x.hide_labels);
  /* shared columns: the histogram above a scatter has its x view */
  CHECK(f->cells[0]->x.lim[0] == sc->x.lim[0]);
  if (!CHECK(plot_write(f, tmp_path("pair.svg"), err)))
    fprintf(stderr, "  %s\n", err);
  char *svg = slurp(tmp_path("pair.svg"), NULL);
  if (CHECK(svg != NULL)) {
    /* 600 translucent markers each its own path; 2 red ones */
    CHECK_EQ_INT(count_of(svg, svg_color(plot_palette(3), col, sizeof col)),
                 2);
    CHECK(count_of(svg, svg_color(plot_palette(0), col, sizeof col)) >= 600);
    free(svg);
  }
  CHECK(plot_mcmc_pair(t, sel, 1, (PlotMcmcSize){0, 0}, err) == NULL);
  CHECK(strstr(err, "at least 2") != NULL);
}

static void test_forest_plot(void) {
  char err[PLOT_ERR_LEN];
  Trace *t = make_trace(true);
  size_t nsel;
  PlotMcmcSel *sel = plot_mcmc_select_all(t, &nsel);
  PlotForestOpts o = {.hdi_prob = 0.9, .combined = true, .ref = 0.0};
  PlotFigure *f = plot_mcmc_forest(t, sel, nsel, &o, (PlotMcmcSize){0, 0}, err);
  if (!CHECK(f != NULL))
    return;
  const PlotPanel *p = f->cells[0];
  CHECK_EQ_STR(p->title, "90% HDI");
  CHECK_EQ_INT(p->y.nfixed, 4);
  CHECK_EQ_STR(p->y.fixed_labels[0], "mu");
  CHECK_EQ_STR(p->y.fixed_labels[3], "theta[2]");
  CHECK(p->y.fixed[0] == 4 && p->y.fixed[3] == 1); /* the first on top */
  /* per element: HDI line, quartile line, point; then the ref line */
  CHECK_EQ_INT(p->nlayers, 4 * 3 + 1);
  double x[600], lo, hi;
  trace_column(t, 0, 0, x);
  diag_hdi(x, 600, 0.9, &lo, &hi);
  CHECK(p->layers[0]->x[0] == lo && p->layers[0]->x[1] == hi);
  CHECK(p->layers[1]->width > p->layers[0]->width);
  CHECK(plot_write(f, tmp_path("forest.svg"), err));
  CHECK_EQ_INT(p->y.nticks, 4);
  /* per chain: two entries a row, and a legend of chains */
  o.combined = false;
  f = plot_mcmc_forest(t, sel, nsel, &o, (PlotMcmcSize){0, 0}, err);
  CHECK(f && f->cells[0]->nlayers == 4 * 2 * 3 + 2 + 1);
  CHECK(f && plot_write(f, tmp_path("forest_chains.png"), err));
}

static void test_energy_plot(void) {
  char err[PLOT_ERR_LEN];
  Trace *t = make_trace(true);
  double bfmi[2];
  CHECK(plot_mcmc_bfmi(t, bfmi));
  /* against the formula, chain 0 */
  double e[600];
  trace_stat_column(t, TRACE_ENERGY, e);
  double mean = 0, var = 0, dd = 0;
  for (int i = 0; i < 300; i++)
    mean += e[i] / 300;
  for (int i = 0; i < 300; i++)
    var += (e[i] - mean) * (e[i] - mean) / 300;
  for (int i = 1; i < 300; i++)
    dd += (e[i] - e[i - 1]) * (e[i] - e[i - 1]) / 299;
  CHECK_NEAR(bfmi[0], dd / var, 1e-12);
  CHECK(bfmi[0] < 0.3); /* a random walk: the energy barely moves */
  PlotFigure *f = plot_mcmc_energy(t, (PlotMcmcSize){0, 0}, err);
  if (!CHECK(f != NULL))
    return;
  const PlotPanel *p = f->cells[0];
  CHECK_EQ_INT(p->nlayers, 2 + 2);
  CHECK(p->layers[0]->kind == PLOT_BAND &&
        strcmp(p->layers[0]->label, "Marginal energy") == 0);
  CHECK(p->layers[2]->kind == PLOT_TEXT &&
        strstr(p->layers[2]->text, "E-BFMI") != NULL);
  CHECK(plot_write(f, tmp_path("energy.pdf"), err));
  Trace *slice = make_trace(false);
  CHECK(plot_mcmc_energy(slice, (PlotMcmcSize){0, 0}, err) == NULL);
  CHECK(strstr(err, "no energy") && strstr(err, "Slice"));
}

static void test_posterior_plot(void) {
  char err[PLOT_ERR_LEN];
  Trace *t = make_trace(true);
  size_t nsel;
  PlotMcmcSel *sel = plot_mcmc_select_all(t, &nsel);
  PlotFigure *f = plot_mcmc_posterior(t, sel, nsel, 0.94,
                                      (PlotMcmcSize){0, 0}, err);
  if (!CHECK(f != NULL))
    return;
  CHECK(f->rows == 2 && f->cols == 3);
  CHECK(f->cells[3] != NULL && f->cells[4] == NULL);
  const PlotPanel *p = f->cells[1];
  CHECK_EQ_STR(p->title, "theta[0]");
  CHECK(p->layers[0]->kind == PLOT_STEP && !p->frame && p->y.hide_ticks);
  double x[600], lo, hi;
  trace_column(t, 1, 0, x);
  diag_hdi(x, 600, 0.94, &lo, &hi);
  const PlotLayer *bar = p->layers[1];
  CHECK(bar->kind == PLOT_LINE && bar->x[0] == lo && bar->x[1] == hi);
  double sum = 0;
  for (int i = 0; i < 600; i++)
    sum += x[i];
  char want[64], got[64];
  double mean = sum / 600; /* three significant digits */
  snprintf(want, sizeof want, "mean=%.*f",
           2 - (int)floor(log10(fabs(mean))), mean);
  snprintf(got, sizeof got, "%s", p->layers[p->nlayers - 1]->text);
  CHECK_EQ_STR(got, want);
  if (!CHECK(plot_write(f, tmp_path("posterior.svg"), err)))
    fprintf(stderr, "  %s\n", err);
}

static void cleanup(void) {
  const char *names[] = {"a.svg", "a.PNG", "a.pdf", "keep.svg", "grid.svg",
                         "trace.png", "pair.svg", "forest.svg",
                         "forest_chains.png", "energy.pdf", "posterior.svg"};
  if (getenv("PPL_KEEP_PLOTS")) {
    fprintf(stderr, "plots kept in %s\n", tmpdir);
    return;
  }
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    remove(tmp_path(names[i]));
  rmdir(tmpdir);
}

int main(void) {
  mem_init();
  test_ticks_examples();
  test_ticks_properties();
  test_tick_labels();
  test_scale();
  test_limits();
  test_colors();
  test_hist();
  test_kde();
  test_text_hist();
  test_cairo_missing();

  const char *base = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/ppl-test-plot-XXXXXX",
           base && *base ? base : "/tmp");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 99;
  }
  char err[PLOT_CAIRO_ERR_LEN];
  if (!plot_cairo(err)) {
    fprintf(stderr, "skipping the drawing tests: %s\n", err);
  } else {
    test_formats();
    test_write_errors();
    test_grid();
    test_trace_plot();
    test_pair_plot();
    test_forest_plot();
    test_energy_plot();
    test_posterior_plot();
  }
  cleanup();
  return check_summary();
}
