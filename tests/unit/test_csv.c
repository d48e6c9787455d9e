/*
 * test_csv.c — csvfile: reading a reference data set, the error messages
 * for ragged and non-numeric rows (with their line numbers), quoting,
 * missing values, and a write/read round trip that must be exact.
 *
 * Usage: test_csv [faithful.csv]. Without an argument the file is looked
 * for in $PPL_REFERENCE_DIR, then in ../shared/reference/data (relative to
 * the build directory); when it is nowhere, those checks are skipped with a
 * note. Scratch files go to a fresh directory under /tmp.
 */
#include <config.h>
#include "csvfile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mem.h"

static char scratch_dir[64];

/* Writes text to a scratch file and returns its path (static buffer of
 * the caller's choosing). */
static const char *scratch(const char *name, const char *text, char *path,
                           size_t n) {
  snprintf(path, n, "%s/%s", scratch_dir, name);
  FILE *fp = fopen(path, "w");
  if (!fp) {
    perror(path);
    exit(1);
  }
  fputs(text, fp);
  fclose(fp);
  return path;
}

/* Reads text as a CSV file; on failure err holds the message. */
static CsvTable *read_text(const char *text, char *err) {
  char path[128];
  scratch("t.csv", text, path, sizeof path);
  CsvTable *t = csvfile_read(path, NULL, 0, err);
  remove(path);
  return t;
}

/* The error for text, with the scratch path replaced by "t.csv". */
static const char *error_of(const char *text) {
  static char err[CSVFILE_ERR_LEN], out[CSVFILE_ERR_LEN];
  err[0] = '\0';
  if (read_text(text, err))
    return "(no error)";
  char prefix[128];
  snprintf(prefix, sizeof prefix, "%s/", scratch_dir);
  const char *p = strstr(err, prefix);
  if (!p)
    return err;
  snprintf(out, sizeof out, "%.*s%s", (int)(p - err), err, p + strlen(prefix));
  return out;
}

static const char *find_faithful(int argc, char **argv, char *buf, size_t n) {
  if (argc > 1)
    return argv[1];
  const char *dir = getenv("PPL_REFERENCE_DIR");
  snprintf(buf, n, "%s/faithful.csv",
           dir ? dir : "../shared/reference/data");
  return access(buf, R_OK) == 0 ? buf : NULL;
}

static void test_faithful(const char *path) {
  char err[CSVFILE_ERR_LEN];
  CsvTable *t = csvfile_read(path, NULL, 0, err);
  if (!CHECK(t != NULL)) {
    fprintf(stderr, "  %s\n", err);
    return;
  }
  CHECK_EQ_INT(t->ncols, 2);
  CHECK_EQ_INT(t->nrows, 272);
  CHECK_EQ_STR(t->names[0], "eruptions");
  CHECK_EQ_STR(t->names[1], "waiting");
  CHECK(t->cols[0][0] == 3.6 && t->cols[1][0] == 79.0);
  CHECK(t->cols[0][271] == 4.467 && t->cols[1][271] == 74.0);
  double s0 = 0, s1 = 0;
  for (size_t i = 0; i < t->nrows; i++) {
    s0 += t->cols[0][i];
    s1 += t->cols[1][i];
  }
  CHECK_NEAR(s0 / 272, 3.4877830882, 1e-9);
  CHECK_NEAR(s1 / 272, 70.8970588235, 1e-9);
  /* A selection comes back in the order asked for. */
  const char *const sel[] = {"waiting", "eruptions"};
  CsvTable *u = csvfile_read(path, sel, 2, err);
  if (CHECK(u != NULL)) {
    CHECK_EQ_STR(u->names[0], "waiting");
    CHECK(u->cols[0][0] == 79.0 && u->cols[1][0] == 3.6);
  }
  const char *const bad[] = {"wait"};
  CHECK(csvfile_read(path, bad, 1, err) == NULL);
  CHECK(strstr(err, ": no column 'wait' (columns: eruptions, waiting)"));
}

static void test_errors(void) {
  CHECK_EQ_STR(error_of("a,b\n1,2\n3,4,5\n"),
               "t.csv:3: row has 3 fields but the header has 2");
  CHECK_EQ_STR(error_of("a,b\n1,2\n\n\n3\n"),
               "t.csv:5: row has 1 field but the header has 2");
  CHECK_EQ_STR(error_of("x,age\n1,2\n3,abc\n"),
               "t.csv:3: column 'age': 'abc' is not a number");
  CHECK_EQ_STR(error_of("x,x\n1,2\n"),
               "t.csv:1: column name 'x' appears twice");
  CHECK_EQ_STR(error_of(""),
               "t.csv: the file is empty (expected a header row of column "
               "names)");
  CHECK_EQ_STR(error_of("a,b\n1,\"2\n"),
               "t.csv:2: a quoted field is not closed");
  CHECK_EQ_STR(error_of("a,b\n1,2\n3,4\"\n"),
               "t.csv:3: misplaced quote (quote the whole field, and write "
               "\"\" for a quote inside it)");
  /* Lines inside a quoted field still count. */
  CHECK_EQ_STR(error_of("a,b\n\"1\n\",2\n3,x\n"),
               "t.csv:4: column 'b': 'x' is not a number");
  CHECK_EQ_STR(error_of("a,b\r\n1,2\r\n3,4,5\r\n"),
               "t.csv:3: row has 3 fields but the header has 2");
  char err[CSVFILE_ERR_LEN];
  CHECK(csvfile_read("/nonexistent/dir/x.csv", NULL, 0, err) == NULL);
  CHECK_EQ_STR(err, "cannot open '/nonexistent/dir/x.csv': No such file or "
                    "directory");
}

static void test_quoting_and_missing(void) {
  char err[CSVFILE_ERR_LEN] = "";
  CsvTable *t = read_text("\xef\xbb\xbf\"a, b\",,\"c\"\"q\"\n"
                          "\"1.5\", 2 ,NA\n"
                          "\n"
                          ",nan,N/A\n"
                          "-inf,1e300,Inf", /* no final newline */
                          err);
  if (!CHECK(t != NULL)) {
    fprintf(stderr, "  %s\n", err);
    return;
  }
  CHECK_EQ_INT(t->ncols, 3);
  CHECK_EQ_INT(t->nrows, 3);
  CHECK_EQ_STR(t->names[0], "a, b");
  CHECK_EQ_STR(t->names[1], "col1");
  CHECK_EQ_STR(t->names[2], "c\"q");
  CHECK(t->cols[0][0] == 1.5 && t->cols[1][0] == 2.0);
  CHECK(isnan(t->cols[2][0]) && isnan(t->cols[0][1]));
  CHECK(isnan(t->cols[1][1]) && isnan(t->cols[2][1]));
  CHECK(t->cols[0][2] == -INFINITY && t->cols[1][2] == 1e300);
  CHECK(t->cols[2][2] == INFINITY);
  /* A header only: columns with no rows. */
  t = read_text("a,b\n", err);
  if (CHECK(t != NULL))
    CHECK(t->ncols == 2 && t->nrows == 0);
  /* Text in a column that is not selected is never converted. */
  char path[128];
  scratch("s.csv", "name,y\n\"Smith, J\",1\n\"two\nlines\",2\n", path,
          sizeof path);
  const char *const sel[] = {"y"};
  t = csvfile_read(path, sel, 1, err);
  if (CHECK(t != NULL))
    CHECK(t->ncols == 1 && t->nrows == 2 && t->cols[0][1] == 2.0);
  remove(path);
}

static void test_parse_number(void) {
  double x = 0;
  CHECK(csvfile_parse_number(" 2.385 ", 7, &x) && x == 2.385);
  CHECK(csvfile_parse_number("-1e-3", 5, &x) && x == -1e-3);
  CHECK(csvfile_parse_number("na", 2, &x) && isnan(x));
  CHECK(csvfile_parse_number("", 0, &x) && isnan(x));
  CHECK(csvfile_parse_number("12xyz", 2, &x) && x == 12.0);
  CHECK(!csvfile_parse_number("1.2.3", 5, &x));
  CHECK(!csvfile_parse_number("TRUE", 4, &x));
  CHECK(!csvfile_parse_number("0x", 2, &x));
}

static void test_round_trip(void) {
  const double a[] = {0.1, 1.0 / 3.0, -2.385e-300, NAN, 1e300};
  const double b[] = {-INFINITY, INFINITY, 0.0, 42.0, 5e-324};
  const double *const cols[] = {a, b};
  const char *const names[] = {"alpha", "be,ta"};
  char path[128], err[CSVFILE_ERR_LEN];
  snprintf(path, sizeof path, "%s/w.csv", scratch_dir);
  if (!CHECK(csvfile_write(path, names, cols, 2, 5, err)))
    fprintf(stderr, "  %s\n", err);
  CsvTable *t = csvfile_read(path, NULL, 0, err);
  remove(path);
  if (!CHECK(t != NULL))
    return;
  CHECK_EQ_STR(t->names[1], "be,ta");
  int exact = t->nrows == 5;
  for (size_t i = 0; exact && i < 5; i++) {
    exact &= (t->cols[0][i] == a[i]) || (isnan(a[i]) && isnan(t->cols[0][i]));
    exact &= t->cols[1][i] == b[i];
  }
  CHECK(exact);
  CHECK(!csvfile_write("/nonexistent/dir/w.csv", names, cols, 2, 5, err));
  CHECK_EQ_STR(err, "cannot write '/nonexistent/dir/w.csv': No such file or "
                    "directory");
}

int main(int argc, char **argv) {
  mem_init();
  snprintf(scratch_dir, sizeof scratch_dir, "/tmp/ppl_test_csv_XXXXXX");
  if (!mkdtemp(scratch_dir)) {
    perror("mkdtemp");
    return 1;
  }
  char buf[512];
  const char *faithful = find_faithful(argc, argv, buf, sizeof buf);
  if (faithful)
    test_faithful(faithful);
  else
    fprintf(stderr, "test_csv: faithful.csv not found (pass its path or set "
                    "PPL_REFERENCE_DIR): skipping those checks\n");
  test_errors();
  test_quoting_and_missing();
  test_parse_number();
  test_round_trip();
  rmdir(scratch_dir);
  return check_summary();
}
