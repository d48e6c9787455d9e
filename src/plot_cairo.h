/*
 * plot_cairo.h — the cairo library, loaded on the first plot.
 *
 * ppl starts in a few milliseconds because its dependencies are linked
 * statically; libcairo would bring pixman, freetype, fontconfig and libpng
 * into every start. So plot.c reaches cairo through this table of function
 * pointers, which the first plot fills with dlopen("libcairo.so.2") and
 * dlsym (the pattern of blas.c). The types come from libcairo2-dev's
 * headers; nothing links against the library.
 */
#ifndef PPL_PLOT_CAIRO_H
#define PPL_PLOT_CAIRO_H

#include <stdbool.h>
#include <stddef.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>

/* The library dlopen'd unless $PPL_CAIRO names another file. */
#define PLOT_CAIRO_SONAME "libcairo.so.2"

/* X(name): every cairo function plot.c calls, as cairo_<name>. */
#define PLOT_CAIRO_FNS(X)                                                    \
  X(create)                                                                  \
  X(destroy)                                                                 \
  X(status)                                                                  \
  X(status_to_string)                                                        \
  X(save)                                                                    \
  X(restore)                                                                 \
  X(translate)                                                               \
  X(rotate)                                                                  \
  X(set_source_rgb)                                                          \
  X(set_source_rgba)                                                         \
  X(set_line_width)                                                          \
  X(set_line_cap)                                                            \
  X(set_line_join)                                                           \
  X(set_dash)                                                                \
  X(new_path)                                                                \
  X(move_to)                                                                 \
  X(line_to)                                                                 \
  X(rectangle)                                                               \
  X(arc)                                                                     \
  X(close_path)                                                              \
  X(stroke)                                                                  \
  X(fill)                                                                    \
  X(fill_preserve)                                                           \
  X(clip)                                                                    \
  X(paint)                                                                   \
  X(select_font_face)                                                        \
  X(set_font_size)                                                           \
  X(text_extents)                                                            \
  X(font_extents)                                                            \
  X(show_text)                                                               \
  X(surface_status)                                                          \
  X(surface_finish)                                                          \
  X(surface_destroy)                                                         \
  X(surface_write_to_png_stream)                                             \
  X(image_surface_create)                                                    \
  X(svg_surface_create_for_stream)                                           \
  X(pdf_surface_create_for_stream)

typedef struct PlotCairo {
#define X(name) __typeof__(cairo_##name) *name;
  PLOT_CAIRO_FNS(X)
#undef X
  /* cairo >= 1.16 only (SVG sizes in px rather than pt); NULL before. */
  __typeof__(cairo_svg_surface_set_document_unit) *svg_set_document_unit;
} PlotCairo;

enum { PLOT_CAIRO_ERR_LEN = 256 };

/* Fills *out from the shared library `soname`: true when every function of
 * PLOT_CAIRO_FNS was found. Otherwise false with a message in err that
 * says how to install cairo (the library handle, if any, is closed). */
bool plot_cairo_load(const char *soname, PlotCairo *out,
                     char err[PLOT_CAIRO_ERR_LEN]);

/* The process-wide table, loaded once (thread-safe) from $PPL_CAIRO or
 * PLOT_CAIRO_SONAME; NULL when cairo cannot be loaded, with the reason in
 * err. */
const PlotCairo *plot_cairo(char err[PLOT_CAIRO_ERR_LEN]);

#endif
