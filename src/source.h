/*
 * source.h — a unit of source text (a file, a -e string, a REPL entry) and
 * the mapping from positions to lines, for error messages.
 *
 * Lines and columns are 1-based; a column counts bytes from the line start
 * (tabs count as one column; report.c expands them so carets line up).
 */
#ifndef PPL_SOURCE_H
#define PPL_SOURCE_H

#include <stddef.h>

typedef struct Source {
  const char *name; /* "model.ppl", "<-e>", "<repl>" */
  const char *text; /* NUL-terminated, owned by the Source (GC memory) */
  size_t len;
} Source;

/* A Source over a copy of text. */
Source *source_new(const char *name, const char *text, size_t len);
/* Reads a file; NULL (errno set) when it cannot be read. */
Source *source_read_file(const char *path);
/* Start of line `line` (1-based) and its length without the newline; NULL
 * when the line does not exist. */
const char *source_line(const Source *src, int line, size_t *len);

#endif
