/*
 * strbuf.h — a growable string on the GC heap, for formatting output.
 */
#ifndef PPL_STRBUF_H
#define PPL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct StrBuf {
  char *data; /* NUL-terminated, GC atomic memory */
  size_t len;
  size_t cap;
} StrBuf;

void strbuf_init(StrBuf *sb);
void strbuf_append(StrBuf *sb, const char *s, size_t n);
void strbuf_puts(StrBuf *sb, const char *s);
void strbuf_putc(StrBuf *sb, char c);
void strbuf_printf(StrBuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(StrBuf *sb, const char *fmt, va_list ap);

#endif
