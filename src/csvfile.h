/*
 * csvfile.h — numeric CSV files: read a header and columns of doubles, write
 * them back.
 *
 * (Named csvfile, not csv, so that `#include <csv.h>` still finds libcsv's
 * header while src/ is on the include path.)
 *
 * A file has one header row of column names, then rows of numbers, comma
 * separated, "." as the decimal point; fields may be quoted ("1,5" is one
 * field). Missing values: an empty field, NA, N/A, NaN or nan (any case)
 * reads as NaN; inf, -inf, Inf and Infinity read as infinities. Blank lines
 * are skipped. A UTF-8 byte-order mark before the header is ignored. An empty
 * header name becomes "col<i>" (i the 0-based column), as for the unnamed
 * row-name column R's write.csv puts first.
 *
 * This layer knows nothing of the VM: tables live on the GC heap (mem.h)
 * and errors are sentences written into a caller buffer, naming file:line.
 */
#ifndef PPL_CSVFILE_H
#define PPL_CSVFILE_H

#include <stdbool.h>
#include <stddef.h>

enum { CSVFILE_ERR_LEN = 512 };

/* A numeric table: ncols names (NUL-terminated) and ncols columns of nrows
 * doubles, cols[j][i] being row i of column j. Everything is GC memory. */
typedef struct CsvTable {
  size_t ncols;
  size_t nrows;
  char **names;
  double **cols;
} CsvTable;

/*
 * Reads the CSV file at path. With select == NULL every column is read, in
 * header order; otherwise only the nselect named columns, in the order
 * given (other columns may hold text: they are not converted). Returns a
 * new table, or NULL with a sentence in err (CSVFILE_ERR_LEN bytes), e.g.
 *   cannot open 'x.csv': No such file or directory
 *   data.csv:17: row has 5 fields but the header has 4
 *   data.csv:9: column 'age': 'abc' is not a number
 *   data.csv: no column 'agee' (columns: age, bmi)
 *   data.csv:1: column name 'x' appears twice
 */
CsvTable *csvfile_read(const char *path, const char *const *select,
                       size_t nselect, char *err);

/* Receives one comment line: its text without the line end, and its
 * 1-based line number. */
typedef void (*CsvCommentFn)(const char *text, size_t line, void *ctx);

/*
 * As csvfile_read with every column, for files that carry comment lines
 * (CmdStan's output): a line whose first character is '#' is not data. It
 * still counts in the line numbers of messages, and on_comment (when not
 * NULL) receives it, in file order, with ctx.
 */
CsvTable *csvfile_read_commented(const char *path, CsvCommentFn on_comment,
                                 void *ctx, char *err);

/*
 * Writes a header of ncols names and nrows rows to path (created or
 * truncated). Column j's values are cols[j][0..nrows-1]. Numbers are written
 * in the shortest of %.15g, %.16g, %.17g that reads back exactly; NaN as
 * NaN and infinities as Inf / -Inf (what R's read.csv and pandas both read).
 * Names are quoted only when they contain a comma, quote, newline or edge
 * space.
 * Returns false with a sentence in err when the file cannot be written.
 */
bool csvfile_write(const char *path, const char *const *names,
                   const double *const *cols, size_t ncols, size_t nrows,
                   char *err);

/*
 * Parses one field as a number under the rules above (surrounding spaces
 * allowed; missing-value spellings give NaN). False when text is not a
 * number. text need not be NUL-terminated.
 */
bool csvfile_parse_number(const char *text, size_t len, double *out);

#endif
