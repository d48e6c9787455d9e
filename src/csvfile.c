/*
 * csvfile.c — numeric CSV files over libcsv (Robert Gamble's callback
 * parser, Debian's libcsv-dev).
 *
 * Reading feeds libcsv one physical line at a time so the line number is
 * known in the callbacks: a row is reported at the line where its first
 * field ends (for a quoted field spanning lines, its last line). libcsv
 * calls on_field per field and on_row at each row end; the first error is
 * kept and later callbacks do nothing, since libcsv cannot be stopped from
 * inside a callback. Strict mode (RFC 4180 quoting) turns a stray quote
 * into an error rather than a silently mangled field. Columns grow by
 * doubling on the GC heap.
 * Invariant while reading: every kept column holds exactly st->nrows values
 * before a row starts.
 */
#include <config.h>
#include "csvfile.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"

/* Initial capacity of a column, in rows; doubled as needed. */
enum { COLUMN_INIT_CAP = 64 };

/* Parser state shared with the libcsv callbacks. Lives on the C stack, so
 * the GC pointers in it stay visible to the collector. */
typedef struct ReadState {
  const char *path;
  char *err;
  bool failed;
  size_t line;      /* physical line being fed, 1-based */
  size_t row_line;  /* line of the current row */
  bool in_header;   /* the first row has not ended yet */
  size_t field;     /* index of the next field in the current row */
  /* header, as read */
  size_t nheader;
  size_t header_cap;
  char **header;
  /* the selection: keep[j] = output column of file column j, or -1 */
  const char *const *select;
  size_t nselect;
  long *keep;
  /* comment lines ('#' first), or not (csvfile_read_commented) */
  bool comments;
  CsvCommentFn on_comment;
  void *comment_ctx;
  /* output */
  size_t nout;
  size_t nrows;
  size_t cap;
  double **cols;
} ReadState;

static void fail(ReadState *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the first error (later ones are consequences of it). */
static void fail(ReadState *st, const char *fmt, ...) {
  if (st->failed)
    return;
  st->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(st->err, CSVFILE_ERR_LEN, fmt, ap);
  va_end(ap);
}

static bool is_missing(const char *s, size_t len) {
  static const char *const spellings[] = {"NA", "N/A", "NaN", NULL};
  for (int i = 0; spellings[i]; i++)
    if (len == strlen(spellings[i]) && strncasecmp(s, spellings[i], len) == 0)
      return true;
  return len == 0;
}

bool csvfile_parse_number(const char *text, size_t len, double *out) {
  while (len > 0 && isspace((unsigned char)text[0])) {
    text++;
    len--;
  }
  while (len > 0 && isspace((unsigned char)text[len - 1]))
    len--;
  if (is_missing(text, len)) {
    *out = NAN;
    return true;
  }
  /* strtod needs a terminated copy; numbers are short, so use the stack
   * and refuse anything longer than any sensible number. */
  char buf[128];
  if (len >= sizeof buf)
    return false;
  memcpy(buf, text, len);
  buf[len] = '\0';
  char *end;
  errno = 0;
  double x = strtod(buf, &end);
  if (end != buf + len || end == buf)
    return false;
  *out = x; /* overflow gives +-HUGE_VAL = inf, underflow 0: both fine */
  return true;
}

static void header_field(ReadState *st, const char *s, size_t len) {
  if (st->nheader == st->header_cap) {
    st->header_cap = st->header_cap ? 2 * st->header_cap : 16;
    st->header = mem_realloc(st->header, st->header_cap * sizeof(char *));
  }
  char *name;
  if (len == 0) {
    char buf[32];
    snprintf(buf, sizeof buf, "col%zu", st->nheader);
    name = mem_strdup(buf);
  } else {
    name = mem_alloc_atomic(len + 1);
    memcpy(name, s, len);
    name[len] = '\0';
  }
  for (size_t j = 0; j < st->nheader; j++)
    if (strcmp(st->header[j], name) == 0)
      fail(st, "%s:%zu: column name '%s' appears twice", st->path,
           st->row_line, name);
  st->header[st->nheader++] = name;
}

static void grow_columns(ReadState *st) {
  st->cap = st->cap ? 2 * st->cap : COLUMN_INIT_CAP;
  for (size_t k = 0; k < st->nout; k++)
    st->cols[k] = mem_realloc(st->cols[k], st->cap * sizeof(double));
}

static void data_field(ReadState *st, const char *s, size_t len) {
  const size_t j = st->field;
  if (j >= st->nheader || st->keep[j] < 0)
    return; /* too many fields is reported at the row end */
  double x;
  if (!csvfile_parse_number(s, len, &x)) {
    fail(st, "%s:%zu: column '%s': '%.*s' is not a number", st->path,
         st->row_line, st->header[j], (int)(len > 40 ? 40 : len), s);
    return;
  }
  st->cols[st->keep[j]][st->nrows] = x;
}

/* libcsv field callback. */
static void on_field(void *text, size_t len, void *data) {
  ReadState *st = data;
  if (st->failed)
    return;
  if (st->field == 0) {
    st->row_line = st->line;
    if (!st->in_header && st->nrows == st->cap)
      grow_columns(st);
  }
  const char *s = text ? text : "";
  if (st->in_header)
    header_field(st, s, len);
  else
    data_field(st, s, len);
  st->field++;
}

/* Maps file columns to output columns once the header is known. */
static void resolve_selection(ReadState *st) {
  st->keep = mem_alloc_atomic((st->nheader + 1) * sizeof(long));
  for (size_t j = 0; j < st->nheader; j++)
    st->keep[j] = st->select ? -1 : (long)j;
  st->nout = st->select ? st->nselect : st->nheader;
  for (size_t k = 0; st->select && k < st->nselect; k++) {
    size_t j = 0;
    while (j < st->nheader && strcmp(st->header[j], st->select[k]) != 0)
      j++;
    if (j == st->nheader) {
      char list[256] = "";
      for (size_t i = 0; i < st->nheader && strlen(list) < 200; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? ", " : "", st->header[i]);
      fail(st, "%s: no column '%s' (columns: %s)", st->path, st->select[k],
           list);
      return;
    }
    if (st->keep[j] >= 0) {
      fail(st, "%s: column '%s' is selected twice", st->path, st->select[k]);
      return;
    }
    st->keep[j] = (long)k;
  }
  st->cols = mem_alloc((st->nout + 1) * sizeof(double *));
}

/* libcsv row-end callback. */
static void on_row(int term, void *data) {
  ReadState *st = data;
  (void)term;
  if (st->failed)
    return;
  if (st->in_header) {
    st->in_header = false;
    resolve_selection(st);
  } else if (st->field != st->nheader) {
    fail(st, "%s:%zu: row has %zu field%s but the header has %zu",
         st->path, st->row_line, st->field, st->field == 1 ? "" : "s",
         st->nheader);
  } else {
    st->nrows++;
  }
  st->field = 0;
}

/* Hands a comment line (without its line end) to the caller. */
static void comment_line(ReadState *st, char *s, size_t n) {
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
    n--;
  s[n] = '\0'; /* getline's buffer: the line end is ours to overwrite */
  if (st->on_comment)
    st->on_comment(s, st->line, st->comment_ctx);
}

/* Feeds the file to libcsv line by line; false on a read or parse error. */
static bool parse_lines(ReadState *st, FILE *fp, struct csv_parser *p) {
  char *buf = NULL;
  size_t bufcap = 0;
  ssize_t n;
  while (!st->failed && (n = getline(&buf, &bufcap, fp)) >= 0) {
    st->line++;
    const char *s = buf;
    if (st->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
      s += 3; /* UTF-8 byte-order mark */
      n -= 3;
    }
    if (st->comments && n > 0 && s[0] == '#') {
      comment_line(st, buf + (s - buf), (size_t)n);
      continue;
    }
    if (csv_parse(p, s, (size_t)n, on_field, on_row, st) == (size_t)n)
      continue;
    if (csv_error(p) == CSV_EPARSE)
      fail(st, "%s:%zu: misplaced quote (quote the whole field, and write "
           "\"\" for a quote inside it)", st->path, st->line);
    else
      fail(st, "%s:%zu: %s", st->path, st->line, csv_strerror(csv_error(p)));
  }
  free(buf);
  if (ferror(fp))
    fail(st, "cannot read '%s': %s", st->path, strerror(errno));
  if (!st->failed && csv_fini(p, on_field, on_row, st) != 0)
    fail(st, "%s:%zu: a quoted field is not closed", st->path, st->line);
  return !st->failed;
}

static CsvTable *table_from_state(ReadState *st) {
  CsvTable *t = mem_alloc(sizeof *t);
  t->ncols = st->nout;
  t->nrows = st->nrows;
  t->names = mem_alloc((st->nout + 1) * sizeof(char *));
  t->cols = st->cols;
  for (size_t j = 0; j < st->nheader; j++)
    if (st->keep[j] >= 0)
      t->names[st->keep[j]] = st->header[j];
  for (size_t k = 0; k < st->nout; k++)
    if (!t->cols[k])
      t->cols[k] = mem_alloc_atomic(sizeof(double)); /* zero rows */
  return t;
}

static CsvTable *read_table(const char *path, ReadState *st, char *err) {
  FILE *fp = fopen(path, "r");
  if (!fp) {
    snprintf(err, CSVFILE_ERR_LEN, "cannot open '%s': %s", path,
             strerror(errno));
    return NULL;
  }
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    fclose(fp);
    snprintf(err, CSVFILE_ERR_LEN, "cannot read '%s': out of memory", path);
    return NULL;
  }
  bool ok = parse_lines(st, fp, &p);
  csv_free(&p);
  fclose(fp);
  if (ok && st->in_header) {
    snprintf(err, CSVFILE_ERR_LEN, "%s: the file is empty (expected a "
             "header row of column names)", path);
    return NULL;
  }
  return ok ? table_from_state(st) : NULL;
}

CsvTable *csvfile_read(const char *path, const char *const *select,
                       size_t nselect, char *err) {
  ReadState st = {.path = path, .err = err, .in_header = true,
                  .select = select, .nselect = nselect};
  return read_table(path, &st, err);
}

CsvTable *csvfile_read_commented(const char *path, CsvCommentFn on_comment,
                                 void *ctx, char *err) {
  ReadState st = {.path = path, .err = err, .in_header = true,
                  .comments = true, .on_comment = on_comment,
                  .comment_ctx = ctx};
  return read_table(path, &st, err);
}

/* Writes a header name, quoting it only when a reader would need quotes. */
static void write_name(FILE *fp, const char *name) {
  size_t len = strlen(name);
  bool quote = strpbrk(name, ",\"\r\n") != NULL ||
               (len > 0 && (isspace((unsigned char)name[0]) ||
                            isspace((unsigned char)name[len - 1])));
  if (quote)
    csv_fwrite(fp, name, len);
  else
    fputs(name, fp);
}

/* The shortest of %.15g, %.16g, %.17g that reads back as exactly x
 * (17 significant digits always do: IEEE 754-2008, 5.12.2). */
static void write_number(FILE *fp, double x) {
  if (isnan(x)) {
    fputs("NaN", fp);
  } else if (isinf(x)) {
    fputs(x > 0 ? "Inf" : "-Inf", fp);
  } else {
    char buf[40];
    for (int digits = 15; digits <= 17; digits++) {
      snprintf(buf, sizeof buf, "%.*g", digits, x);
      if (strtod(buf, NULL) == x)
        break;
    }
    fputs(buf, fp);
  }
}

bool csvfile_write(const char *path, const char *const *names,
                   const double *const *cols, size_t ncols, size_t nrows,
                   char *err) {
  FILE *fp = fopen(path, "w");
  if (!fp) {
    snprintf(err, CSVFILE_ERR_LEN, "cannot write '%s': %s", path,
             strerror(errno));
    return false;
  }
  for (size_t j = 0; j < ncols; j++) {
    if (j)
      fputc(',', fp);
    write_name(fp, names[j]);
  }
  fputc('\n', fp);
  for (size_t i = 0; i < nrows; i++) {
    for (size_t j = 0; j < ncols; j++) {
      if (j)
        fputc(',', fp);
      write_number(fp, cols[j][i]);
    }
    fputc('\n', fp);
  }
  bool ok = !ferror(fp);
  int saved = errno;
  if (fclose(fp) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok)
    snprintf(err, CSVFILE_ERR_LEN, "cannot write '%s': %s", path,
             strerror(saved));
  return ok;
}
