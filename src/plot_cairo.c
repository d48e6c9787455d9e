/*
 * plot_cairo.c — loads libcairo at the first plot (see plot_cairo.h).
 *
 * All symbols or none: a table with a hole would crash in the middle of a
 * drawing, so a library missing any function counts as no library. The
 * handle is never closed once the table is in use (cairo keeps font caches
 * that outlive any one drawing).
 */
#include <config.h>
#include "plot_cairo.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define INSTALL_HINT "plots need the cairo library: apt-get install libcairo2"

bool plot_cairo_load(const char *soname, PlotCairo *out,
                     char err[PLOT_CAIRO_ERR_LEN]) {
  void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(err, PLOT_CAIRO_ERR_LEN, INSTALL_HINT " (%s)", dlerror());
    return false;
  }
  PlotCairo t;
  const char *missing = NULL;
#define X(name)                                                              \
  t.name = (__typeof__(cairo_##name) *)dlsym(h, "cairo_" #name);             \
  if (!t.name && !missing)                                                   \
    missing = "cairo_" #name;
  PLOT_CAIRO_FNS(X)
#undef X
  if (missing) {
    snprintf(err, PLOT_CAIRO_ERR_LEN,
             INSTALL_HINT " (%s lacks %s; cairo 1.10 or later is needed)",
             soname, missing);
    dlclose(h);
    return false;
  }
  t.svg_set_document_unit =
      (__typeof__(cairo_svg_surface_set_document_unit) *)dlsym(
          h, "cairo_svg_surface_set_document_unit");
  *out = t;
  return true;
}

static PlotCairo table;
static bool loaded;
static char load_err[PLOT_CAIRO_ERR_LEN];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
  const char *soname = getenv("PPL_CAIRO");
  loaded = plot_cairo_load(soname && *soname ? soname : PLOT_CAIRO_SONAME,
                           &table, load_err);
}

const PlotCairo *plot_cairo(char err[PLOT_CAIRO_ERR_LEN]) {
  pthread_once(&once, load);
  if (!loaded) {
    snprintf(err, PLOT_CAIRO_ERR_LEN, "%s", load_err);
    return NULL;
  }
  return &table;
}
