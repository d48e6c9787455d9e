/*
 * test_tracecsv.c — CmdStan CSV files of traces: bit-for-bit round trips
 * in both layouts, reading CmdStan's own output (comments between rows,
 * saved warm-up, statistics), and every error a user's file can cause.
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mem.h"
#include "trace.h"
#include "tracecsv.h"

static char tmpdir[] = "/tmp/ppl_test_tracecsv_XXXXXX";

static const char *tmp_path(const char *name) {
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

static const char *data_path(const char *name) {
  static char buf[4][1024];
  static int k;
  const char *src = getenv("PPL_SRCDIR");
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/tests/data/diag/%s", src ? src : ".",
           name);
  return buf[k];
}

static void write_text(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  if (!fp) {
    perror(path);
    exit(2);
  }
  fputs(text, fp);
  fclose(fp);
}

/* Values no decimal shortcut survives: thirds, extremes, subnormals,
 * signed zero, non-finite; times 1, 2, 3 ... so rows differ. */
static double awkward(size_t k) {
  static const double v[] = {1.0 / 3.0, -2.0 / 7.0, 1e-300, 5e-324,
                             -0.0, 1.7976931348623157e308, 0.1, NAN,
                             INFINITY, -INFINITY, 123456789.123456789,
                             -2.385e-12, 2.2250738585072014e-308};
  const size_t n = sizeof v / sizeof v[0];
  return v[k % n] * (double)(1 + k / n);
}

/* A trace of 3 chains x 7 draws: a scalar, a vector of 3, a 2 x 3 matrix
 * (asymmetric, so a transposed read shows), a discrete deterministic. */
static Trace *make_trace(void) {
  Trace *t = trace_new(3);
  trace_add_var(t, "mu", 0, 1, 1, false, false);
  trace_add_var(t, "theta", 1, 3, 1, false, false);
  trace_add_var(t, "L", 2, 2, 3, false, false);
  trace_add_var(t, "count", 0, 1, 1, true, true);
  t->tune = 250;
  t->max_treedepth = 8;
  snprintf(t->method, sizeof t->method, "NUTS");
  double row[11], stats[TRACE_NSTATS];
  size_t k = 0;
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 7; i++) {
      for (int j = 0; j < 10; j++)
        row[j] = awkward(k++);
      row[10] = (double)(i % 4);
      for (int s = 0; s < TRACE_NSTATS; s++)
        stats[s] = awkward(k++) * (double)(s + 1);
      stats[TRACE_DIVERGENT] = i == 3;
      stats[TRACE_TREE_DEPTH] = 1 + i % 8;
      trace_append(t, c, row, stats);
    }
  return t;
}

/* Bit-for-bit: %.17g of every value and statistic agrees (NaN with NaN),
 * and the signs of zeros. */
static bool same_number(double a, double b) {
  char x[40], y[40];
  snprintf(x, sizeof x, "%.17g", a);
  snprintf(y, sizeof y, "%.17g", b);
  return strcmp(x, y) == 0 && signbit(a) == signbit(b);
}

static void check_same_trace(const Trace *a, const Trace *b) {
  if (!CHECK_EQ_INT(b->nvars, a->nvars) ||
      !CHECK_EQ_INT(b->nchains, a->nchains) ||
      !CHECK_EQ_INT(b->width, a->width) ||
      !CHECK_EQ_INT(trace_ndraws(b), trace_ndraws(a)))
    return;
  for (int v = 0; v < a->nvars; v++) {
    CHECK_EQ_STR(b->vars[v].name, a->vars[v].name);
    CHECK_EQ_INT(b->vars[v].ndim, a->vars[v].ndim);
    CHECK_EQ_INT(b->vars[v].rows, a->vars[v].rows);
    CHECK_EQ_INT(b->vars[v].cols, a->vars[v].cols);
    CHECK_EQ_INT(b->vars[v].deterministic, a->vars[v].deterministic);
    CHECK_EQ_INT(b->vars[v].discrete, a->vars[v].discrete);
  }
  size_t n = trace_ndraws(a), bad = 0;
  for (int c = 0; c < a->nchains; c++) {
    for (size_t i = 0; i < n * a->width; i++)
      bad += !same_number(a->chains[c].values[i], b->chains[c].values[i]);
    for (size_t i = 0; i < n * TRACE_NSTATS; i++)
      bad += !same_number(a->chains[c].stats[i], b->chains[c].stats[i]);
  }
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_INT(b->tune, a->tune);
  CHECK_EQ_INT(b->max_treedepth, a->max_treedepth);
  CHECK_EQ_STR(b->method, "CSV");
}

static void test_chain_paths(void) {
  StrBuf sb;
  strbuf_init(&sb);
  tracecsv_chain_path("out.csv", 4, 1, &sb);
  CHECK_EQ_STR(sb.data, "out_2.csv");
  strbuf_init(&sb);
  tracecsv_chain_path("dir.v2/out", 4, 0, &sb);
  CHECK_EQ_STR(sb.data, "dir.v2/out_1");
  strbuf_init(&sb);
  tracecsv_chain_path("a/b.c/run.tar.csv", 2, 1, &sb);
  CHECK_EQ_STR(sb.data, "a/b.c/run.tar_2.csv");
  strbuf_init(&sb);
  tracecsv_chain_path("out.csv", 1, 0, &sb);
  CHECK_EQ_STR(sb.data, "out.csv");
}

static void test_round_trip(void) {
  Trace *t = make_trace();
  char err[TRACECSV_ERR_LEN];
  /* per chain */
  if (!CHECK(tracecsv_write(t, tmp_path("rt.csv"), TRACECSV_PER_CHAIN,
                            "my_model", err)))
    fprintf(stderr, "  %s\n", err);
  const char *files[] = {tmp_path("rt_1.csv"), tmp_path("rt_2.csv"),
                         tmp_path("rt_3.csv")};
  CHECK(access(tmp_path("rt.csv"), F_OK) != 0);
  Trace *u = tracecsv_read(files, 3, err);
  if (CHECK(u != NULL))
    check_same_trace(t, u);
  else
    fprintf(stderr, "  %s\n", err);
  /* one file with chain__ */
  CHECK(tracecsv_write(t, tmp_path("one.csv"), TRACECSV_ONE_FILE, NULL,
                       err));
  const char *one[] = {tmp_path("one.csv")};
  u = tracecsv_read(one, 1, err);
  if (CHECK(u != NULL))
    check_same_trace(t, u);
  else
    fprintf(stderr, "  %s\n", err);
}

/* The header names elements as CmdStan does: 1-based, matrices
 * column-major. */
static void test_header_layout(void) {
  Trace *t = make_trace();
  char err[TRACECSV_ERR_LEN], line[1024];
  CHECK(tracecsv_write(t, tmp_path("h.csv"), TRACECSV_PER_CHAIN, "m", err));
  FILE *fp = fopen(tmp_path("h_2.csv"), "r");
  if (!CHECK(fp != NULL))
    return;
  bool found = false, id = false, model = false;
  while (fgets(line, sizeof line, fp)) {
    if (strncmp(line, "lp__", 4) == 0) {
      CHECK_EQ_STR(line, "lp__,accept_stat__,stepsize__,treedepth__,"
                         "n_leapfrog__,divergent__,energy__,mu,theta.1,"
                         "theta.2,theta.3,L.1.1,L.2.1,L.1.2,L.2.2,L.1.3,"
                         "L.2.3,count\n");
      found = true;
    }
    id = id || strcmp(line, "# id = 2\n") == 0;
    model = model || strcmp(line, "# model = m\n") == 0;
  }
  fclose(fp);
  CHECK(found && id && model);
  /* L.2.1 is row 1, column 0: element 3 of the row-major storage */
  fp = fopen(tmp_path("h_1.csv"), "r");
  double first[18];
  while (fgets(line, sizeof line, fp) && (line[0] == '#' || line[0] == 'l'))
    ;
  fclose(fp);
  char *p = line;
  for (int j = 0; j < 18; j++) {
    first[j] = strtod(p, &p);
    p++;
  }
  CHECK(same_number(first[7 + 4 + 1], t->chains[0].values[4 + 3]));
  CHECK(same_number(first[7 + 4 + 2], t->chains[0].values[4 + 1]));
}

static void test_cmdstan_fixture(void) {
  char err[TRACECSV_ERR_LEN];
  const char *fit[] = {data_path("fit_1.csv"), data_path("fit_2.csv"),
                       data_path("fit_3.csv"), data_path("fit_4.csv")};
  Trace *t = tracecsv_read(fit, 4, err);
  if (!CHECK(t != NULL)) {
    fprintf(stderr, "  %s\n", err);
    return;
  }
  CHECK_EQ_INT(t->nchains, 4);
  CHECK_EQ_INT(trace_ndraws(t), 200);
  CHECK_EQ_INT(t->tune, 1000);
  CHECK_EQ_INT(t->max_treedepth, 3);
  CHECK_EQ_INT(t->nvars, 4);
  int v = trace_find(t, "L");
  if (CHECK(v >= 0)) {
    CHECK_EQ_INT(t->vars[v].ndim, 2);
    /* first row of fit_1: L.1.1, L.2.1, L.1.2, L.2.2 =
     * 0.979754, 0.593846, 0.377862, 0.982052 */
    const double *row = t->chains[0].values + t->vars[v].offset;
    CHECK_NEAR(row[0], 0.979754, 0);
    CHECK_NEAR(row[1], 0.377862, 0);
    CHECK_NEAR(row[2], 0.593846, 0);
    CHECK_NEAR(row[3], 0.982052, 0);
  }
  CHECK_NEAR(t->chains[0].stats[TRACE_LP], -4.258485, 0);
  CHECK_NEAR(t->chains[0].stats[TRACE_N_LEAPFROG], 7, 0);
  CHECK_EQ_INT(trace_divergences(t), 10);
  /* saved warm-up: the first 20 rows of each chain are dropped */
  const char *stuck[] = {data_path("stuck_1.csv"), data_path("stuck_2.csv")};
  t = tracecsv_read(stuck, 2, err);
  if (CHECK(t != NULL)) {
    CHECK_EQ_INT(trace_ndraws(t), 60);
    CHECK_EQ_INT(t->tune, 20);
    CHECK_NEAR(t->chains[0].values[0], -0.201588, 0);
  }
}

/* A file that lacks statistics (another program's output) reads with
 * NaN, and zero for the counts. */
static void test_missing_stats(void) {
  write_text(tmp_path("lp_only.csv"), "lp__,a,z.real\n-1.5,2,3\n-2.5,4,5\n");
  const char *f[] = {tmp_path("lp_only.csv")};
  char err[TRACECSV_ERR_LEN];
  Trace *t = tracecsv_read(f, 1, err);
  if (!CHECK(t != NULL)) {
    fprintf(stderr, "  %s\n", err);
    return;
  }
  CHECK(isnan(t->chains[0].stats[TRACE_ENERGY]));
  CHECK_NEAR(t->chains[0].stats[TRACE_DIVERGENT], 0, 0);
  CHECK_EQ_INT(trace_divergences(t), 0);
  CHECK(trace_find(t, "z.real") >= 0); /* not an index: a scalar's name */
  CHECK_EQ_INT(t->tune, 0);
  CHECK_EQ_INT(t->max_treedepth, 0);
}

/* err holds want (a substring) after reading the files. */
static void expect_error(const char *const *files, size_t n,
                         const char *want) {
  char err[TRACECSV_ERR_LEN] = "";
  Trace *t = tracecsv_read(files, n, err);
  CHECK(t == NULL);
  if (!CHECK(strstr(err, want) != NULL))
    fprintf(stderr, "  got: %s\n  want: %s\n", err, want);
}

static void expect_text_error(const char *name, const char *text,
                              const char *want) {
  write_text(tmp_path(name), text);
  const char *f[] = {tmp_path(name)};
  expect_error(f, 1, want);
}

static void test_errors(void) {
  const char *missing[] = {"/nonexistent/ppl/fit.csv"};
  expect_error(missing, 1,
               "cannot open '/nonexistent/ppl/fit.csv': No such file");
  expect_text_error("plain.csv", "a,b\n1,2\n",
                    "plain.csv: not a CmdStan CSV file: the header has no "
                    "'lp__' column (it has: a, b)");
  expect_text_error("empty.csv", "# only\n# comments\n", "the file is empty");
  expect_text_error("ragged.csv",
                    "# c\nlp__,a\n# c\n-1,2\n-1,2,3\n",
                    "ragged.csv:5: row has 3 fields but the header has 2");
  expect_text_error("word.csv", "lp__,a\n-1,two\n",
                    "word.csv:2: column 'a': 'two' is not a number");
  expect_text_error("hole.csv", "lp__,t.1,t.3\n-1,2,3\n",
                    "variable 't' has 2 element columns, but its largest "
                    "indices make 3 elements");
  expect_text_error("cube.csv", "lp__,a.1.1.1\n-1,2\n",
                    "column 'a.1.1.1' is an element of a 3-dimensional "
                    "array");
  expect_text_error("zero.csv", "lp__,a.0\n-1,2\n",
                    "column 'a.0': CmdStan's indices start at 1");
  expect_text_error("mixed.csv", "lp__,a.1,a.1.2\n-1,2,3\n",
                    "column 'a.1.2' has 2 indices but other columns of 'a' "
                    "have 1");
  expect_text_error("chainid.csv", "lp__,chain__,a\n-1,1,2\n-1,1.5,2\n",
                    "column 'chain__' must hold chain numbers, but row 2 "
                    "holds 1.5");
  expect_text_error("warm.csv",
                    "# save_warmup = 1\n# num_warmup = 5 (Default)\n"
                    "lp__,a\n-1,2\n-1,3\n",
                    "the first 5 rows of a chain are warm-up, but chain 1 "
                    "has only 2 rows");
  write_text(tmp_path("x1.csv"), "lp__,a,b\n-1,2,3\n");
  write_text(tmp_path("x2.csv"), "lp__,a,c\n-1,2,3\n");
  write_text(tmp_path("x3.csv"), "lp__,a,b\n-1,2,3\n-1,2,3\n");
  const char *differ[] = {tmp_path("x1.csv"), tmp_path("x2.csv")};
  expect_error(differ, 2, "x2.csv: column 'c' is not among the columns of");
  const char *lengths[] = {tmp_path("x1.csv"), tmp_path("x3.csv")};
  expect_error(lengths, 2, "x3.csv: chain 2 has 2 draws but chain 1");
  char err[TRACECSV_ERR_LEN];
  Trace *t = make_trace();
  CHECK(!tracecsv_write(t, "/nonexistent/dir/out.csv", TRACECSV_ONE_FILE,
                        NULL, err));
  CHECK(strstr(err, "cannot write '/nonexistent/dir/out.csv'") != NULL);
}

static void cleanup(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void) {
  mem_init();
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 2;
  }
  test_chain_paths();
  test_round_trip();
  test_header_layout();
  test_cmdstan_fixture();
  test_missing_stats();
  test_errors();
  cleanup();
  return check_summary();
}
