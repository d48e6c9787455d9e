/*
 * report.c — diagnostics in the gcc/rustc layout:
 *
 *   model.ppl:3:25: error: expected ')' after arguments
 *       3 |     y ~ Normal(mu, sigma
 *         |                         ^
 *
 * The line number sits right-aligned in a field at least REPORT_NUM_WIDTH
 * wide; the caret line has the same gutter. Tabs in the excerpt are expanded
 * to the next multiple of REPORT_TAB_WIDTH and UTF-8 continuation bytes take
 * no column, so the caret stays under the byte `col` points at. Colour
 * (ANSI escapes) only when the stream is a terminal and NO_COLOR is unset
 * (https://no-color.org).
 *
 * report_suggest uses the optimal-string-alignment variant of the
 * Damerau-Levenshtein distance (adjacent transpositions cost one edit, as
 * typing slips do): Damerau (1964), CACM 7(3).
 */
#include <config.h>
#include "report.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Minimum width of the line-number gutter (as gcc's " %4d | "). */
enum { REPORT_NUM_WIDTH = 4 };
/* Tab stops of the excerpt; gcc's default -ftabstop. */
enum { REPORT_TAB_WIDTH = 8 };
/* Names longer than this are never compared by report_suggest. */
enum { REPORT_SUGGEST_MAX_LEN = 64 };

#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"

static const char *level_word(ReportLevel level) {
  switch (level) {
  case REPORT_ERROR:
    return "error";
  case REPORT_WARNING:
    return "warning";
  case REPORT_NOTE:
    return "note";
  }
  return "error";
}

static const char *level_colour(ReportLevel level) {
  switch (level) {
  case REPORT_ERROR:
    return "\033[1;31m"; /* bold red */
  case REPORT_WARNING:
    return "\033[1;35m"; /* bold magenta */
  case REPORT_NOTE:
    return "\033[1;36m"; /* bold cyan */
  }
  return ANSI_BOLD;
}

static bool use_colour(FILE *out) {
  const char *no_colour = getenv("NO_COLOR");
  if (no_colour != NULL)
    return false;
  int fd = fileno(out);
  return fd >= 0 && isatty(fd);
}

static int digits(int n) {
  int d = 1;
  while (n >= 10) {
    n /= 10;
    d++;
  }
  return d;
}

static bool is_continuation_byte(unsigned char c) { return (c & 0xC0) == 0x80; }

/* Output is gathered in a small buffer: stderr is unbuffered, and a long
 * line must not cost one write per byte. */
enum { REPORT_OUT_BUF = 256 };

typedef struct OutBuf {
  FILE *out;
  size_t n;
  char data[REPORT_OUT_BUF];
} OutBuf;

static void outbuf_flush(OutBuf *b) {
  if (b->n > 0)
    fwrite(b->data, 1, b->n, b->out);
  b->n = 0;
}

static void outbuf_putc(OutBuf *b, char c) {
  if (b->n == sizeof b->data)
    outbuf_flush(b);
  b->data[b->n++] = c;
}

/* Prints the excerpt line with tabs expanded and control bytes as spaces. */
static void print_excerpt(FILE *out, const char *line, size_t len) {
  OutBuf b = {.out = out};
  int vcol = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)line[i];
    if (c == '\t') {
      do {
        outbuf_putc(&b, ' ');
        vcol++;
      } while (vcol % REPORT_TAB_WIDTH != 0);
    } else if (c < 0x20 || c == 0x7F) {
      outbuf_putc(&b, ' ');
      vcol++;
    } else {
      outbuf_putc(&b, (char)c);
      if (!is_continuation_byte(c))
        vcol++;
    }
  }
  outbuf_flush(&b);
}

/* The display column (0-based) of byte offset `upto` in the line; bytes past
 * the end of the line count one column each. */
static int display_col(const char *line, size_t len, size_t upto) {
  int vcol = 0;
  for (size_t i = 0; i < upto; i++) {
    unsigned char c = i < len ? (unsigned char)line[i] : ' ';
    if (c == '\t')
      vcol += REPORT_TAB_WIDTH - vcol % REPORT_TAB_WIDTH;
    else if (!is_continuation_byte(c))
      vcol++;
  }
  return vcol;
}

static void print_snippet(FILE *out, const Source *src, int line, int col,
                          const char *colour) {
  size_t len = 0;
  const char *text = source_line(src, line, &len);
  if (!text)
    return;
  int width = digits(line);
  if (width < REPORT_NUM_WIDTH)
    width = REPORT_NUM_WIDTH;
  if (len == 0) {
    fprintf(out, " %*d |\n", width, line);
  } else {
    fprintf(out, " %*d | ", width, line);
    print_excerpt(out, text, len);
    fputc('\n', out);
  }
  if (col <= 0)
    return;
  int pad = display_col(text, len, (size_t)col - 1);
  fprintf(out, " %*s | %*s%s^%s\n", width, "", pad, "", colour ? colour : "",
          colour ? ANSI_RESET : "");
}

void report_vat(FILE *out, ReportLevel level, const Source *src, int line,
                int col, const char *fmt, va_list ap) {
  if (!out)
    return;
  bool colour = use_colour(out);
  const char *lc = colour ? level_colour(level) : "";
  const char *reset = colour ? ANSI_RESET : "";
  if (src) {
    fprintf(out, "%s%s", colour ? ANSI_BOLD : "", src->name);
    if (line > 0)
      fprintf(out, ":%d", line);
    if (line > 0 && col > 0)
      fprintf(out, ":%d", col);
    fprintf(out, ":%s ", reset);
  }
  fprintf(out, "%s%s:%s ", lc, level_word(level), reset);
  vfprintf(out, fmt, ap);
  fputc('\n', out);
  if (src && line > 0)
    print_snippet(out, src, line, col, colour ? lc : NULL);
  fflush(out);
}

void report_at(FILE *out, ReportLevel level, const Source *src, int line,
               int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report_vat(out, level, src, line, col, fmt, ap);
  va_end(ap);
}

static int min3(int a, int b, int c) {
  int m = a < b ? a : b;
  return m < c ? m : c;
}

/* Optimal-string-alignment distance between a[0..n) and b[0..m), both at
 * most REPORT_SUGGEST_MAX_LEN long; three rolling rows. */
static int osa_distance(const char *a, int n, const char *b, int m) {
  int rows[3][REPORT_SUGGEST_MAX_LEN + 1];
  int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
  for (int j = 0; j <= m; j++)
    prev[j] = j;
  for (int i = 1; i <= n; i++) {
    cur[0] = i;
    for (int j = 1; j <= m; j++) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          prev2[j - 2] + 1 < cur[j])
        cur[j] = prev2[j - 2] + 1;
    }
    int *t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[m];
}

const char *report_suggest(const char *name, const char *const *known,
                           size_t nknown) {
  if (!name || !known)
    return NULL;
  size_t n = strlen(name);
  /* A one-letter name is one edit from every other one-letter name: any
   * suggestion would be noise. */
  if (n <= 1 || n > REPORT_SUGGEST_MAX_LEN)
    return NULL;
  int limit = n <= 3 ? 1 : 2;
  const char *best = NULL;
  int best_d = limit + 1;
  for (size_t i = 0; i < nknown; i++) {
    const char *k = known[i];
    if (!k)
      continue;
    size_t m = strlen(k);
    if (m > REPORT_SUGGEST_MAX_LEN || m + (size_t)limit < n ||
        n + (size_t)limit < m || strcmp(k, name) == 0)
      continue;
    int d = osa_distance(name, (int)n, k, (int)m);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}
