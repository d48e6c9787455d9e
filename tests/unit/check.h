/*
 * check.h — a tiny header-only harness for the C unit tests.
 *
 * Each CHECK* macro evaluates its arguments once, counts a pass or a
 * failure, and on failure prints "file:line: check failed: <expression>"
 * with the values it compared, then carries on (every failure in a run is
 * shown, as in GSL's gsl_test). main() ends with `return check_summary();`,
 * which prints exactly "N passed, N failed" on its own line and returns the
 * process exit code: 0 when nothing failed, 1 otherwise.
 *
 *   #include "check.h"
 *   int main(void) {
 *     CHECK(1 + 1 == 2);
 *     CHECK_EQ_INT(strlen("abc"), 3);
 *     CHECK_EQ_STR(name, "sigma");
 *     CHECK_NEAR(sqrt(2.0), 1.41421356, 1e-8);
 *     return check_summary();
 *   }
 *
 * State is static to the including file: include it from one .c per test
 * program.
 */
#ifndef PPL_CHECK_H
#define PPL_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_npassed;
static int check_nfailed;

static inline void check_record(int ok) {
  if (ok)
    check_npassed++;
  else
    check_nfailed++;
}

static inline int check_true(int ok, const char *file, int line,
                             const char *expr) {
  check_record(ok);
  if (!ok)
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
  return ok;
}

static inline int check_eq_int(long long got, long long want, const char *file,
                               int line, const char *expr_got,
                               const char *expr_want) {
  int ok = got == want;
  check_record(ok);
  if (!ok)
    fprintf(stderr,
            "%s:%d: check failed: %s == %s\n  got:  %lld\n  want: %lld\n", file,
            line, expr_got, expr_want, got, want);
  return ok;
}

static inline int check_eq_str(const char *got, const char *want,
                               const char *file, int line, const char *expr_got,
                               const char *expr_want) {
  int ok = (got == NULL && want == NULL) ||
           (got != NULL && want != NULL && strcmp(got, want) == 0);
  check_record(ok);
  if (!ok)
    fprintf(stderr,
            "%s:%d: check failed: %s == %s\n  got:  %s%s%s\n  want: %s%s%s\n",
            file, line, expr_got, expr_want, got ? "\"" : "",
            got ? got : "NULL", got ? "\"" : "", want ? "\"" : "",
            want ? want : "NULL", want ? "\"" : "");
  return ok;
}

/* |got - want| <= tol; equal infinities pass, NaN never does. */
static inline int check_near(double got, double want, double tol,
                             const char *file, int line, const char *expr_got,
                             const char *expr_want) {
  int ok = got == want || fabs(got - want) <= tol;
  check_record(ok);
  if (!ok)
    fprintf(stderr,
            "%s:%d: check failed: %s ~= %s\n  got:  %.17g\n  want: %.17g"
            "\n  diff: %.3g (tolerance %.3g)\n",
            file, line, expr_got, expr_want, got, want, fabs(got - want), tol);
  return ok;
}

/* Prints "N passed, N failed"; returns the exit code for main. */
static inline int check_summary(void) {
  fflush(stdout);
  printf("%d passed, %d failed\n", check_npassed, check_nfailed);
  fflush(stdout);
  return check_nfailed == 0 ? 0 : 1;
}

/* Each macro is an expression yielding 1 on success, so a test can skip
 * dependent checks: if (CHECK(p != NULL)) CHECK_EQ_INT(p->n, 3); */
#define CHECK(cond) check_true(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ_INT(got, want)                                                \
  check_eq_int((long long)(got), (long long)(want), __FILE__, __LINE__, #got,  \
               #want)
#define CHECK_EQ_STR(got, want)                                                \
  check_eq_str((got), (want), __FILE__, __LINE__, #got, #want)
#define CHECK_NEAR(got, want, tol)                                             \
  check_near((double)(got), (double)(want), (double)(tol), __FILE__, __LINE__, \
             #got, #want)

#endif
