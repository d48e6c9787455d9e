/*
 * test_random.h — the C unit tests' own uniform numbers: xorshift64*, so a
 * test's random points do not depend on GSL's generators or on ppl's rng
 * streams, which are themselves under test. State is static to the
 * including file (one .c per test program); a test may reseed it by
 * assigning test_rng_state.
 */
#ifndef PPL_TEST_RANDOM_H
#define PPL_TEST_RANDOM_H

#include <stddef.h>
#include <stdint.h>

static uint64_t test_rng_state = 0x2545F4914F6CDD1DULL;

/* Uniform in [0, 1). */
static inline double unif01(void) {
  test_rng_state ^= test_rng_state >> 12;
  test_rng_state ^= test_rng_state << 25;
  test_rng_state ^= test_rng_state >> 27;
  return (double)((test_rng_state * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

static inline double unif(double lo, double hi) {
  return lo + (hi - lo) * unif01();
}

static inline void fill(double *x, size_t n, double lo, double hi) {
  for (size_t i = 0; i < n; i++)
    x[i] = unif(lo, hi);
}

#endif
