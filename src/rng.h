/*
 * rng.h — seeded random streams (GSL's mt19937), one per user request or
 * per chain, so that the same seed gives the same numbers bit for bit.
 *
 * An Rng is malloc-owned (it wraps a gsl_rng): rng_alloc / rng_free.
 * Streams for chains derive from (seed, index) by rng_alloc_stream, so chain
 * k's draws do not depend on how many threads run.
 */
#ifndef PPL_RNG_H
#define PPL_RNG_H

#include <stdint.h>

/* GSL declares gsl_rng as a typedef of an anonymous struct, so it cannot be
 * forward-declared: callers of rng_gsl need the header anyway. */
#include <gsl/gsl_rng.h>

typedef struct Rng Rng;

Rng *rng_alloc(uint64_t seed);
/* Stream `index` of a family seeded by seed (a hash of both seeds the
 * generator). */
Rng *rng_alloc_stream(uint64_t seed, uint64_t index);
void rng_free(Rng *rng);
void rng_seed(Rng *rng, uint64_t seed);
/* The underlying GSL generator for gsl_ran_* calls. */
gsl_rng *rng_gsl(Rng *rng);
/* Uniform on (0, 1), never 0 or 1. */
double rng_uniform(Rng *rng);
/* A seed from the clock and process id, for runs without seed=. */
uint64_t rng_entropy_seed(void);

#endif
