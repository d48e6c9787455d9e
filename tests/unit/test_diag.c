/*
 * test_diag.c — diag.c against R's posterior package.
 *
 * tests/tools/diag_reference.R wrote fixed draw sets (AR(1) chains of
 * several rho, a shifted chain, unequal scales, heavy tails, ties, one
 * chain, odd and very short lengths, a constant) and what posterior 1.4
 * computes for them into tests/data/diag/. The algorithms are the same
 * step by step, so agreement is to rounding: 1e-6 relative for the
 * diagnostics, 1e-12 for quantiles and HDI ends (they are draws, or
 * interpolations between two).
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

#define REL_TOL 1e-6
#define EXACT_TOL 1e-12

static const char *data_dir(void) {
  static char dir[1024];
  const char *src = getenv("PPL_SRCDIR");
  snprintf(dir, sizeof dir, "%s/tests/data/diag", src ? src : ".");
  return dir;
}

/* Draws of a set, chain-major; NULL when the file cannot be read. */
static double *read_draws(const char *name, size_t *n, size_t *m) {
  char path[1200], err[CSVFILE_ERR_LEN];
  snprintf(path, sizeof path, "%s/%s.csv", data_dir(), name);
  CsvTable *t = csvfile_read(path, NULL, 0, err);
  if (!CHECK(t != NULL)) {
    fprintf(stderr, "  %s\n", err);
    return NULL;
  }
  *n = t->nrows;
  *m = t->ncols;
  double *x = malloc(*n * *m * sizeof *x);
  for (size_t c = 0; c < *m; c++)
    memcpy(x + c * *n, t->cols[c], *n * sizeof *x);
  return x;
}

static CsvTable *read_ref(const char *name) {
  char path[1200], err[CSVFILE_ERR_LEN];
  snprintf(path, sizeof path, "%s/%s.ref.csv", data_dir(), name);
  CsvTable *t = csvfile_read(path, NULL, 0, err);
  if (!CHECK(t != NULL && t->nrows == 1))
    fprintf(stderr, "  %s\n", t ? "expected one row" : err);
  return t && t->nrows == 1 ? t : NULL;
}

static double ref_value(const CsvTable *t, const char *col) {
  for (size_t j = 0; j < t->ncols; j++)
    if (strcmp(t->names[j], col) == 0)
      return t->cols[j][0];
  fprintf(stderr, "reference has no column %s\n", col);
  return NAN;
}

/* got ~ want to rel (relative), both NaN counting as agreement. */
static void check_rel(const char *set, const char *what, double got,
                      double want, double rel) {
  bool ok = (isnan(got) && isnan(want)) ||
            fabs(got - want) <= rel * fmax(fabs(want), 1e-300);
  check_record(ok);
  if (!ok)
    fprintf(stderr, "%s: %s: got %.17g, posterior %.17g (rel. diff %.3g)\n",
            set, what, got, want, fabs(got - want) / fabs(want));
}

static bool same(double a, double b) {
  return a == b || (isnan(a) && isnan(b));
}

/* diag_summarise and diag_rhat_w on a reused workspace give exactly what
 * the one-call functions give. */
static void check_summarise(const char *name, const double *x, size_t n,
                            size_t m) {
  DiagWork *w = diag_work_alloc(n, m);
  if (!CHECK(w != NULL))
    return;
  DiagSummary d;
  for (int twice = 0; twice < 2; twice++) { /* the second reuses w */
    diag_summarise(w, x, 0.94, &d);
    double lo, hi;
    diag_hdi(x, n * m, 0.94, &lo, &hi);
    bool ok = same(d.rhat, diag_rhat(x, n, m)) &&
              same(d.ess_bulk, diag_ess_bulk(x, n, m)) &&
              same(d.ess_tail, diag_ess_tail(x, n, m)) &&
              same(d.ess_mean, diag_ess_mean(x, n, m)) &&
              same(d.mcse_mean, diag_mcse_mean(x, n, m)) &&
              same(d.mcse_sd, diag_mcse_sd(x, n, m)) &&
              same(d.hdi_low, lo) && same(d.hdi_high, hi) &&
              same(diag_rhat_w(w, x), d.rhat);
    if (!CHECK(ok))
      fprintf(stderr, "  %s: diag_summarise differs\n", name);
  }
  diag_work_free(w);
}

static void check_set(const char *name) {
  size_t n, m;
  double *x = read_draws(name, &n, &m);
  CsvTable *ref = read_ref(name);
  if (!x || !ref) {
    free(x);
    return;
  }
  check_rel(name, "rhat", diag_rhat(x, n, m), ref_value(ref, "rhat"),
            REL_TOL);
  check_rel(name, "ess_bulk", diag_ess_bulk(x, n, m),
            ref_value(ref, "ess_bulk"), REL_TOL);
  check_rel(name, "ess_tail", diag_ess_tail(x, n, m),
            ref_value(ref, "ess_tail"), REL_TOL);
  check_rel(name, "ess_mean", diag_ess_mean(x, n, m),
            ref_value(ref, "ess_mean"), REL_TOL);
  check_rel(name, "mcse_mean", diag_mcse_mean(x, n, m),
            ref_value(ref, "mcse_mean"), REL_TOL);
  check_rel(name, "mcse_sd", diag_mcse_sd(x, n, m),
            ref_value(ref, "mcse_sd"), REL_TOL);
  check_rel(name, "q05", diag_quantile(x, n * m, 0.05),
            ref_value(ref, "q05"), EXACT_TOL);
  check_rel(name, "q50", diag_quantile(x, n * m, 0.5),
            ref_value(ref, "q50"), EXACT_TOL);
  check_rel(name, "q95", diag_quantile(x, n * m, 0.95),
            ref_value(ref, "q95"), EXACT_TOL);
  double lo, hi;
  diag_hdi(x, n * m, 0.94, &lo, &hi);
  check_rel(name, "hdi_lo", lo, ref_value(ref, "hdi_lo"), EXACT_TOL);
  check_rel(name, "hdi_hi", hi, ref_value(ref, "hdi_hi"), EXACT_TOL);
  check_summarise(name, x, n, m);
  free(x);
}

static void test_reference_sets(void) {
  static const char *const sets[] = {
      "ar03",   "ar095",    "arneg",  "shifted", "scale",  "heavy",
      "poisson", "onechain", "odd",   "short4",  "short5", "short6",
      "short7", "short10",  "big",    "constant", NULL};
  for (int i = 0; sets[i]; i++)
    check_set(sets[i]);
}

/* What the sets are there to show, independent of posterior. */
static void test_reference_meaning(void) {
  size_t n, m;
  double *x = read_draws("shifted", &n, &m);
  if (x)
    CHECK(diag_rhat(x, n, m) > 1.1); /* one chain sits 1.5 sd away */
  free(x);
  x = read_draws("arneg", &n, &m);
  if (x)
    CHECK(diag_ess_mean(x, n, m) > (double)(n * m)); /* antithetic */
  free(x);
  x = read_draws("ar095", &n, &m);
  if (x) /* ESS ~ S (1 - rho) / (1 + rho) = 4000 / 39 ~ 103 */
    CHECK(diag_ess_mean(x, n, m) > 50 && diag_ess_mean(x, n, m) < 200);
  free(x);
}

static void test_quantile_hdi_by_hand(void) {
  const double x[] = {3.5, 1.25, 9.0, 2.75, 4.125};
  /* sorted 1.25 2.75 3.5 4.125 9; type 7 at 0.3: position 1.2 */
  CHECK_NEAR(diag_quantile(x, 5, 0.3), 2.75 + 0.2 * (3.5 - 2.75), 1e-15);
  CHECK_NEAR(diag_quantile(x, 5, 0.0), 1.25, 0.0);
  CHECK_NEAR(diag_quantile(x, 5, 1.0), 9.0, 0.0);
  CHECK(isnan(diag_quantile(x, 5, 1.5)));
  CHECK(isnan(diag_quantile(x, 0, 0.5)));
  /* prob 0.6: k = floor(3) = 3; widths 4.125-1.25, 9-2.75 -> first */
  double lo, hi;
  diag_hdi(x, 5, 0.6, &lo, &hi);
  CHECK_NEAR(lo, 1.25, 0.0);
  CHECK_NEAR(hi, 4.125, 0.0);
  /* a skewed sample: the HDI hugs the mode, unlike the central interval */
  double s[100];
  for (int i = 0; i < 100; i++)
    s[i] = -log(1.0 - (i + 0.5) / 100.0); /* exponential quantiles */
  diag_hdi(s, 100, 0.9, &lo, &hi);
  CHECK_NEAR(lo, s[0], 0.0);
  CHECK_NEAR(hi, s[90], 0.0);
  diag_hdi(s, 100, 1.0, &lo, &hi);
  CHECK(isnan(lo) && isnan(hi));
  const double withnan[] = {1.0, NAN, 2.0};
  diag_hdi(withnan, 3, 0.5, &lo, &hi);
  CHECK(isnan(lo) && isnan(hi));
}

static void test_degenerate_input(void) {
  double x[12];
  for (int i = 0; i < 12; i++)
    x[i] = sin(2.385 * i);
  /* fewer than 4 draws per chain */
  CHECK(isnan(diag_rhat(x, 3, 4)));
  CHECK(isnan(diag_ess_bulk(x, 3, 4)));
  CHECK(isnan(diag_mcse_sd(x, 3, 4)));
  CHECK(isnan(diag_rhat(x, 12, 0)));
  /* 6 x 2 is enough */
  CHECK(isfinite(diag_rhat(x, 6, 2)));
  CHECK(isfinite(diag_ess_bulk(x, 6, 2)));
  /* a NaN or an infinity anywhere */
  x[7] = NAN;
  CHECK(isnan(diag_rhat(x, 6, 2)));
  CHECK(isnan(diag_ess_tail(x, 6, 2)));
  CHECK(isnan(diag_mcse_mean(x, 6, 2)));
  x[7] = INFINITY;
  CHECK(isnan(diag_ess_mean(x, 6, 2)));
  /* constant */
  for (int i = 0; i < 12; i++)
    x[i] = 2.385;
  CHECK(isnan(diag_rhat(x, 6, 2)));
  CHECK(isnan(diag_ess_bulk(x, 6, 2)));
  CHECK(isnan(diag_mcse_mean(x, 6, 2)));
}

/* Long chains go through the FFT path in reasonable time, and the answer
 * is that of theory: iid draws have ESS ~ S and R-hat ~ 1. */
static void test_long_chains(void) {
  const size_t n = 10000, m = 4;
  double *x = malloc(n * m * sizeof *x);
  uint64_t s = 88172645463325252ULL; /* xorshift64: fixed draws */
  for (size_t i = 0; i < n * m; i++) {
    double u1, u2;
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    u1 = ((s >> 11) + 0.5) / 9007199254740992.0;
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    u2 = ((s >> 11) + 0.5) / 9007199254740992.0;
    x[i] = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
  }
  double rhat = diag_rhat(x, n, m);
  double ess = diag_ess_bulk(x, n, m);
  CHECK(rhat > 0.999 && rhat < 1.002);
  /* the sd of an ESS estimate of iid draws is a few percent of S */
  CHECK(ess > 0.9 * (double)(n * m) && ess < 1.1 * (double)(n * m));
  CHECK_NEAR(diag_mcse_mean(x, n, m), 1.0 / sqrt((double)(n * m)), 5e-4);
  free(x);
}

typedef struct Job {
  const double *x;
  size_t n, m;
  double rhat;
} Job;

static void *run_job(void *arg) {
  Job *j = arg;
  for (int k = 0; k < 20; k++)
    j->rhat = diag_rhat(j->x, j->n, j->m);
  return NULL;
}

/* diag_rhat from two threads at once gives what one thread gives (the
 * progress bar calls it from the sampler's watcher thread). */
static void test_threads(void) {
  size_t n, m;
  double *x = read_draws("ar03", &n, &m);
  if (!x)
    return;
  double want = diag_rhat(x, n, m);
  Job a = {x, n, m, NAN}, b = {x, n, m, NAN};
  pthread_t ta, tb;
  pthread_create(&ta, NULL, run_job, &a);
  pthread_create(&tb, NULL, run_job, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  CHECK(a.rhat == want && b.rhat == want);
  free(x);
}

int main(void) {
  mem_init();
  test_reference_sets();
  test_reference_meaning();
  test_quantile_hdi_by_hand();
  test_degenerate_input();
  test_long_chains();
  test_threads();
  return check_summary();
}
