/*
 * report.h — error and warning display: "file:line:col: error: message",
 * then the source line and a caret under the column (as gcc and rustc do).
 *
 *   model.ppl:3:25: error: expected ')' to close the call to 'Normal'
 *       3 |     y ~ Normal(mu, sigma
 *         |                         ^
 *
 * Output goes to the given stream; colour is used only when it is a
 * terminal and NO_COLOR is not set.
 */
#ifndef PPL_REPORT_H
#define PPL_REPORT_H

#include <stdarg.h>
#include <stdio.h>

#include "source.h"

typedef enum { REPORT_ERROR, REPORT_WARNING, REPORT_NOTE } ReportLevel;

/* Prints one diagnostic. src may be NULL (then only "message" is printed);
 * line <= 0 omits the position and the excerpt. */
void report_at(FILE *out, ReportLevel level, const Source *src, int line,
               int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void report_vat(FILE *out, ReportLevel level, const Source *src, int line,
                int col, const char *fmt, va_list ap);

/* The known name closest to `name` by edit distance (at most 2 edits, or 1
 * for names of 2 or 3 characters; never for one-letter names), or NULL. For "did you mean 'sigma'?". */
const char *report_suggest(const char *name, const char *const *known,
                           size_t nknown);

#endif
