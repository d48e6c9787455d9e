/*
 * test_summary.c — summary.c: the table's numbers against R's posterior
 * (tests/data/diag/fit_summary.csv, written by tests/tools/
 * diag_reference.R for the fit_*.csv run), its printed form, the
 * warnings, and the worst R-hat the progress bar reads from another
 * thread.
 */
#include <config.h>

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csvfile.h"
#include "diag.h"
#include "mem.h"
#include "summary.h"
#include "trace.h"
#include "tracecsv.h"

static const char *data_path(const char *name) {
  static char buf[8][1024];
  static int k;
  const char *src = getenv("PPL_SRCDIR");
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/tests/data/diag/%s", src ? src : ".",
           name);
  return buf[k];
}

static Trace *load(const char *prefix, int nchains) {
  const char *files[4];
  for (int c = 0; c < nchains; c++) {
    char name[64];
    snprintf(name, sizeof name, "%s_%d.csv", prefix, c + 1);
    files[c] = data_path(name);
  }
  char err[TRACECSV_ERR_LEN];
  Trace *t = tracecsv_read(files, (size_t)nchains, err);
  if (!CHECK(t != NULL))
    fprintf(stderr, "  %s\n", err);
  return t;
}

/* posterior's numbers (rows in ppl's element order, L row-major). */
static void test_against_posterior(const Trace *t) {
  char err[CSVFILE_ERR_LEN];
  CsvTable *ref = csvfile_read(data_path("fit_summary.csv"), NULL, 0, err);
  if (!CHECK(ref != NULL) || !CHECK_EQ_INT(ref->ncols, SUMMARY_NCOLS))
    return;
  Summary *s = summary_compute(t, NULL, 0, 0.94);
  if (!CHECK_EQ_INT(s->nrows, ref->nrows))
    return;
  size_t bad = 0;
  for (size_t r = 0; r < s->nrows; r++)
    for (int c = 0; c < SUMMARY_NCOLS; c++) {
      double got = s->values[r * SUMMARY_NCOLS + c], want = ref->cols[c][r];
      /* moments and HDI ends to rounding; diagnostics to 1e-6 */
      double tol = (c <= SUMMARY_HDI_HIGH ? 1e-12 : 1e-6) * fabs(want);
      if (!(fabs(got - want) <= tol)) {
        bad++;
        fprintf(stderr, "row %s, column %s: got %.17g, posterior %.17g\n",
                s->names[r], summary_col_name(s, (SummaryCol)c), got, want);
      }
    }
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_STR(s->names[6], "L[0,1]");
}

static void test_table(const Trace *t) {
  Summary *s = summary_compute(t, NULL, 0, 0.94);
  StrBuf sb;
  strbuf_init(&sb);
  summary_format(s, &sb);
  const char *want_head =
      "           mean     sd  hdi_3%  hdi_97%  mcse_mean  mcse_sd  "
      "ess_bulk  ess_tail  r_hat\n"
      "mu        4.496  3.304  -1.661   10.480      0.138    0.089       "
      "575       615   1.01\n"
      "tau       2.647  1.752   0.532    5.522      0.064    0.100       "
      "736       750   1.00\n";
  CHECK(strncmp(sb.data, want_head, strlen(want_head)) == 0);
  if (strncmp(sb.data, want_head, strlen(want_head)) != 0)
    fprintf(stderr, "got:\n%s\n", sb.data);
  CHECK(sb.data[sb.len - 1] != '\n');
  /* a selection, and other HDI probabilities' labels */
  SummaryItem items[] = {{trace_find(t, "L"), 2}, {0, 0}};
  s = summary_compute(t, items, 2, 0.89);
  CHECK_EQ_INT(s->nrows, 2);
  CHECK_EQ_STR(s->names[0], "L[1,0]");
  CHECK_EQ_STR(summary_col_name(s, SUMMARY_HDI_LOW), "hdi_5.5%");
  CHECK_EQ_STR(summary_col_name(s, SUMMARY_HDI_HIGH), "hdi_94.5%");
  CHECK_EQ_INT(summary_find_col(s, "hdi_94.5%"), SUMMARY_HDI_HIGH);
  CHECK_EQ_INT(summary_find_col(s, "r_hat"), SUMMARY_R_HAT);
  CHECK_EQ_INT(summary_find_row(s, "mu"), 1);
  CHECK_EQ_INT(summary_find_row(s, "nope"), -1);
  s = summary_compute(t, items, 1, 0.5);
  CHECK_EQ_STR(summary_col_name(s, SUMMARY_HDI_LOW), "hdi_25%");
}

/* A constant element prints NaN where nothing can be estimated, and a
 * tiny negative mean prints as 0.000, not -0.000. */
static void test_cells(void) {
  Trace *t = trace_new(2);
  trace_add_var(t, "c", 0, 1, 1, true, false);
  trace_add_var(t, "e", 0, 1, 1, false, false);
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < 10; i++) {
      double row[2] = {2.385, (i % 2 ? -0.0002 : 0.0) + 1e-7 * i * c};
      double stats[TRACE_NSTATS] = {0};
      trace_append(t, c, row, stats);
    }
  Summary *s = summary_compute(t, NULL, 0, 0.94);
  StrBuf sb;
  strbuf_init(&sb);
  summary_format(s, &sb);
  const char *c_row = strstr(sb.data, "\nc  ");
  const char *e_row = strstr(sb.data, "\ne  ");
  if (CHECK(c_row && e_row)) {
    CHECK(strncmp(c_row, "\nc  2.385  0.000   2.385    2.385        NaN",
                  strlen("\nc  2.385  0.000   2.385    2.385        NaN")) ==
          0);
    CHECK(strncmp(e_row, "\ne  0.000", 9) == 0);
  }
  CHECK(s->values[SUMMARY_NCOLS + SUMMARY_MEAN] < 0.0);
}

/* Runs summary_warn into a string. */
static char *warnings_of(const Trace *t, const Summary *s, int *n) {
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  *n = summary_warn(t, s, fp);
  fclose(fp);
  return buf;
}

static void test_warnings(const Trace *fit, const Trace *stuck) {
  int n;
  char *w = warnings_of(fit, summary_compute(fit, NULL, 0, 0.94), &n);
  CHECK_EQ_INT(n, 2); /* r_hat and ESS are fine */
  CHECK(strstr(w, "warning: 10 divergent transitions after warm-up (1.2% "
                  "of 800 draws)") != NULL);
  CHECK(strstr(w, "warning: 224 of 800 draws (28.0%) reached the maximum "
                  "tree depth 3") != NULL);
  CHECK(strstr(w, "r_hat") == NULL);
  free(w);
  w = warnings_of(stuck, summary_compute(stuck, NULL, 0, 0.94), &n);
  CHECK_EQ_INT(n, 4);
  CHECK(strstr(w, "warning: r_hat is larger than 1.01 for 2 of 2 elements "
                  "(worst: a 1.98, b 1.09)") != NULL);
  CHECK(strstr(w, "warning: the effective sample size per chain is smaller "
                  "than 100 for 2 of 2 elements (lowest bulk or tail ESS: "
                  "a 3, b 20; 200 needed with 2 chains)") != NULL);
  if (n != 4)
    fprintf(stderr, "%s", w);
  free(w);
  /* without a tree-depth limit there is nothing to saturate */
  Trace copy = *stuck;
  copy.max_treedepth = 0;
  w = warnings_of(&copy, summary_compute(stuck, NULL, 0, 0.94), &n);
  CHECK_EQ_INT(n, 3);
  CHECK(strstr(w, "tree depth") == NULL);
  free(w);
}

/* The divergence warning is one sentence from one function, which
 * summary() and sample()/resume() (lib_sample.c) both call. */
static void test_divergence_warning(const Trace *fit) {
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  int n = summary_warn_divergences(fit, fp);
  fclose(fp);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_STR(buf, "warning: 10 divergent transitions after warm-up (1.2% "
                    "of 800 draws): the posterior may be biased; increase "
                    "target_accept or reparameterise\n");
  int nw;
  char *all = warnings_of(fit, summary_compute(fit, NULL, 0, 0.94), &nw);
  CHECK(strstr(all, buf) != NULL);
  free(all);
  free(buf);
  /* nothing for a trace without divergences */
  buf = NULL;
  fp = open_memstream(&buf, &len);
  Trace *none = trace_new(2);
  trace_add_var(none, "x", 0, 1, 1, false, false);
  double x = 0.5, stats[TRACE_NSTATS] = {0};
  for (int c = 0; c < 2; c++)
    trace_append(none, c, &x, stats);
  CHECK_EQ_INT(summary_warn_divergences(none, fp), 0);
  fclose(fp);
  CHECK_EQ_INT(len, 0);
  free(buf);
}

static void test_worst_rhat(const Trace *stuck) {
  int v = -1;
  size_t e = 99;
  double worst = summary_worst_rhat_at(stuck, &v, &e);
  Summary *s = summary_compute(stuck, NULL, 0, 0.94);
  CHECK_NEAR(worst, s->values[SUMMARY_R_HAT], 0);
  CHECK_EQ_INT(v, 0);
  CHECK_EQ_INT(e, 0);
  CHECK_NEAR(summary_worst_rhat(stuck), worst, 0);
  Trace *t = trace_new(2);
  trace_add_var(t, "x", 0, 1, 1, false, false);
  CHECK(isnan(summary_worst_rhat(t)));
}

/* A writer thread appends draws as the chain driver does (room reserved,
 * the row written, then ndraws published); the reader's worst R-hat on
 * the partial trace always equals the R-hat of the draws published. */
typedef struct Shared {
  Trace *t;
  size_t total;
} Shared;

static void *writer(void *arg) {
  Shared *sh = arg;
  Trace *t = sh->t;
  for (size_t i = 0; i < sh->total; i++)
    for (int c = 0; c < t->nchains; c++) {
      TraceChain *ch = &t->chains[c];
      ch->values[i * t->width] = sin(2.385 * (double)(i + 1) * (c + 1));
      ch->values[i * t->width + 1] = cos(0.731 * (double)i) + c;
      __atomic_store_n(&ch->ndraws, i + 1, __ATOMIC_RELEASE);
    }
  return NULL;
}

static size_t min_draws(const Trace *t) {
  size_t n = SIZE_MAX;
  for (int c = 0; c < t->nchains; c++) {
    size_t k = __atomic_load_n(&t->chains[c].ndraws, __ATOMIC_ACQUIRE);
    n = k < n ? k : n;
  }
  return n;
}

/* The worst R-hat of the first n draws of t, computed serially. */
static double worst_of_first(const Trace *t, size_t n) {
  double *x = malloc(n * 3 * sizeof *x + 1);
  double worst = NAN;
  for (size_t e = 0; e < 2; e++) {
    for (int c = 0; c < 3; c++)
      for (size_t i = 0; i < n; i++)
        x[(size_t)c * n + i] = t->chains[c].values[i * t->width + e];
    double r = diag_rhat(x, n, 3);
    if (!isnan(r) && !(worst >= r))
      worst = r;
  }
  free(x);
  return worst;
}

static void test_partial_trace(void) {
  Trace *t = trace_new(3);
  trace_add_var(t, "v", 1, 2, 1, false, false);
  Shared sh = {t, 3000};
  for (int c = 0; c < 3; c++)
    trace_reserve(t, c, sh.total);
  enum { CALLS = 40 };
  size_t seen[CALLS];
  double got[CALLS];
  pthread_t th;
  pthread_create(&th, NULL, writer, &sh);
  for (int k = 0; k < CALLS; k++) {
    size_t before = min_draws(t);
    got[k] = summary_worst_rhat(t);
    seen[k] = min_draws(t) == before ? before : SIZE_MAX;
  }
  pthread_join(th, NULL);
  /* whenever no draw arrived during a call, it saw exactly those draws */
  size_t bad = 0;
  for (int k = 0; k < CALLS; k++)
    if (seen[k] != SIZE_MAX) {
      double want = worst_of_first(t, seen[k]);
      bad += !(got[k] == want || (isnan(got[k]) && isnan(want)));
    }
  CHECK_EQ_INT(bad, 0);
  CHECK_NEAR(summary_worst_rhat(t), worst_of_first(t, sh.total), 0);
  CHECK(summary_worst_rhat(t) > 1.5); /* the chains are offset by 1, 2 */
}

int main(void) {
  mem_init();
  Trace *fit = load("fit", 4);
  Trace *stuck = load("stuck", 2);
  if (fit && stuck) {
    test_against_posterior(fit);
    test_table(fit);
    test_warnings(fit, stuck);
    test_divergence_warning(fit);
    test_worst_rhat(stuck);
  }
  test_cells();
  test_partial_trace();
  return check_summary();
}
