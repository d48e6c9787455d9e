/*
 * plot_draw.h — laying out and drawing a PlotFigure with cairo, and
 * writing the drawing as SVG, PNG or PDF. plot_write (plot.h) is the entry
 * point users of the plotting layer call; this is its cairo half.
 */
#ifndef PPL_PLOT_DRAW_H
#define PPL_PLOT_DRAW_H

#include "plot.h"

/* Draws f into a new file at path in format fmt (not PLOT_FORMAT_NONE).
 * False with err set when cairo cannot be loaded, the file cannot be
 * created or written (a partial file is removed), or the figure is too
 * small for its panels. Fills each panel's view and ticks. */
bool plot_draw_write(PlotFigure *f, const char *path, PlotFormat fmt,
                     char err[PLOT_ERR_LEN]);

#endif
