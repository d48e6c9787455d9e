/*
 * helper.c — a tiny shared library for tests/ffi/helper.ppl: functions that
 * read and write a double* in place, return strings and take no arguments.
 * tests/ffi/run.sh compiles it with cc -shared when a compiler is present.
 */
#include <stddef.h>
#include <stdint.h>

void helper_scale(double *x, int n, double a);
double helper_dot(const double *x, const double *y, int n);
int helper_fill(double *x, int64_t n, double value);
const char *helper_greeting(int polite);
int64_t helper_answer(void);

void helper_scale(double *x, int n, double a) {
  for (int i = 0; i < n; i++)
    x[i] *= a;
}

double helper_dot(const double *x, const double *y, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += x[i] * y[i];
  return s;
}

int helper_fill(double *x, int64_t n, double value) {
  for (int64_t i = 0; i < n; i++)
    x[i] = value;
  return (int)n;
}

const char *helper_greeting(int polite) {
  return polite ? "hello from C" : NULL;
}

int64_t helper_answer(void) { return 42; }
