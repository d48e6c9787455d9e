/*
 * source.c — units of source text and the line lookup used by diagnostics.
 *
 * The text is copied into GC atomic memory and NUL-terminated, so tokens and
 * AST nodes may point into it for as long as the Source is reachable. Lines
 * are found by scanning from the start: lookups happen only when a
 * diagnostic is printed, so no line table is kept.
 */
#include <config.h>
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

/* Bytes read per fread call while slurping a file. */
enum { SOURCE_READ_CHUNK = 1 << 16 };

Source *source_new(const char *name, const char *text, size_t len) {
  Source *src = mem_alloc(sizeof *src);
  char *copy = mem_alloc_atomic(len + 1);
  if (len > 0)
    memcpy(copy, text, len);
  copy[len] = '\0';
  src->name = mem_strdup(name ? name : "<input>");
  src->text = copy;
  src->len = len;
  return src;
}

/* Reads all of f into GC memory; NULL (errno set) on a read error. */
static char *read_all(FILE *f, size_t *len) {
  size_t cap = SOURCE_READ_CHUNK;
  size_t n = 0;
  char *buf = mem_alloc_atomic(cap + 1);
  for (;;) {
    if (cap - n < SOURCE_READ_CHUNK) {
      cap *= 2;
      buf = mem_realloc(buf, cap + 1);
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror(f)) {
    if (errno == 0)
      errno = EIO;
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

Source *source_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t len = 0;
  char *text = read_all(f, &len);
  int saved = errno;
  fclose(f);
  if (!text) {
    errno = saved;
    return NULL;
  }
  Source *src = mem_alloc(sizeof *src);
  src->name = mem_strdup(path);
  src->text = text;
  src->len = len;
  return src;
}

const char *source_line(const Source *src, int line, size_t *len) {
  if (!src || !src->text || line < 1)
    return NULL;
  const char *p = src->text;
  const char *end = src->text + src->len;
  for (int i = 1; i < line; i++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
      return NULL;
    p = nl + 1;
  }
  /* The empty "line" after a final newline does not exist. */
  if (p == end && line > 1)
    return NULL;
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  const char *stop = nl ? nl : end;
  if (stop > p && stop[-1] == '\r')
    stop--;
  if (len)
    *len = (size_t)(stop - p);
  return p;
}
