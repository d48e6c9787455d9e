/*
 * strbuf.c — growable GC strings.
 */
#include <config.h>
#include "strbuf.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"

enum { STRBUF_MIN_CAP = 32 };

void strbuf_init(StrBuf *sb) {
  sb->cap = STRBUF_MIN_CAP;
  sb->len = 0;
  sb->data = mem_alloc_atomic(sb->cap);
  sb->data[0] = '\0';
}

static void reserve(StrBuf *sb, size_t extra) {
  if (sb->len + extra + 1 <= sb->cap)
    return;
  size_t cap = sb->cap * 2;
  while (cap < sb->len + extra + 1)
    cap *= 2;
  sb->data = mem_realloc(sb->data, cap);
  sb->cap = cap;
}

void strbuf_append(StrBuf *sb, const char *s, size_t n) {
  reserve(sb, n);
  memcpy(sb->data + sb->len, s, n);
  sb->len += n;
  sb->data[sb->len] = '\0';
}

void strbuf_puts(StrBuf *sb, const char *s) { strbuf_append(sb, s, strlen(s)); }

void strbuf_putc(StrBuf *sb, char c) { strbuf_append(sb, &c, 1); }

void strbuf_vprintf(StrBuf *sb, const char *fmt, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  if (n <= 0)
    return;
  reserve(sb, (size_t)n);
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
  sb->len += (size_t)n;
}

void strbuf_printf(StrBuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  strbuf_vprintf(sb, fmt, ap);
  va_end(ap);
}
