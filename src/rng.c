/*
 * rng.c — seeded random streams over GSL's Mersenne Twister (mt19937).
 *
 * A user seed never goes to the generator as it is: it is hashed with
 * SplitMix64 first, so nearby seeds (1, 2, 3) and stream indices give
 * unrelated states, and stream k of a family depends only on (seed, k),
 * never on how many other streams exist or which thread draws from them.
 * gsl_rng_set for mt19937 keeps 32 bits of its seed, so the 64-bit hash is
 * folded to 32 bits; two streams collide with probability about
 * k^2 / 2^33 for k streams, which is negligible for chains and calls.
 * References: Matsumoto & Nishimura (1998), Mersenne Twister; Steele, Lea &
 * Flood (2014), Fast splittable pseudorandom number generators (SplitMix64).
 */
#include <config.h>
#include "rng.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

struct Rng {
  gsl_rng *gen;
};

/* SplitMix64's additive constant: 2^64 / golden ratio, odd. */
#define SPLITMIX_GAMMA UINT64_C(0x9e3779b97f4a7c15)

/* SplitMix64's output function applied to x + gamma: a bijective 64-bit
 * mixer whose every output bit depends on every input bit. */
static uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + SPLITMIX_GAMMA;
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* The 32-bit generator seed of stream `index` of the family `seed`. */
static unsigned long stream_seed(uint64_t seed, uint64_t index) {
  const uint64_t h = splitmix64(splitmix64(seed) ^ splitmix64(~index));
  return (unsigned long)((h ^ (h >> 32)) & UINT64_C(0xffffffff));
}

/* Allocates and seeds stream (seed, index). PANICs when out of memory. */
Rng *rng_alloc_stream(uint64_t seed, uint64_t index) {
  Rng *rng = malloc(sizeof *rng);
  if (!rng)
    PANIC("out of memory");
  rng->gen = gsl_rng_alloc(gsl_rng_mt19937);
  if (!rng->gen)
    PANIC("out of memory");
  gsl_rng_set(rng->gen, stream_seed(seed, index));
  return rng;
}

/* rng_alloc(seed) is stream 0 of the family `seed`. */
Rng *rng_alloc(uint64_t seed) { return rng_alloc_stream(seed, 0); }

void rng_free(Rng *rng) {
  if (!rng)
    return;
  gsl_rng_free(rng->gen);
  free(rng);
}

/* Restarts the generator as rng_alloc(seed) would have started it. */
void rng_seed(Rng *rng, uint64_t seed) {
  gsl_rng_set(rng->gen, stream_seed(seed, 0));
}

gsl_rng *rng_gsl(Rng *rng) { return rng->gen; }

double rng_uniform(Rng *rng) { return gsl_rng_uniform_pos(rng->gen); }

/* Mixes the wall clock, the monotonic clock (nanoseconds) and the process
 * id, so two runs started in the same second still differ. Not for
 * cryptography. */
uint64_t rng_entropy_seed(void) {
  struct timespec wall = {0}, mono = {0};
  clock_gettime(CLOCK_REALTIME, &wall);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  uint64_t h = splitmix64((uint64_t)wall.tv_sec);
  h = splitmix64(h ^ (uint64_t)wall.tv_nsec);
  h = splitmix64(h ^ ((uint64_t)mono.tv_sec << 30) ^ (uint64_t)mono.tv_nsec);
  h = splitmix64(h ^ (uint64_t)getpid());
  return h;
}
