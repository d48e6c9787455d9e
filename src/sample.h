/*
 * sample.h — the chain driver: runs MCMC chains of a bound model in
 * parallel threads and records their draws in a Trace.
 *
 * Each chain owns its tape state, its random stream (rng_alloc_stream(seed,
 * chain)) and one state per step method, so its draws depend only on the
 * seed and the chain's index, never on how many threads run or in which
 * order. The chain states outlive the call (Trace.run), so resume() can
 * continue every chain where it stopped, adaptation and stream included.
 *
 * The driver never touches the VM from the worker threads: the caller
 * (lib_sample.c) turns user options into a SampleConfig and initial points
 * first. The calling thread watches the chains: it draws the progress bar
 * and stops them on Ctrl-C.
 */
#ifndef PPL_SAMPLE_H
#define PPL_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mcmc.h"
#include "model.h"
#include "trace.h"

/* One step method over some coordinates of theta. */
typedef struct StepSpec {
  const StepMethod *method;
  StepOptions opt;
  size_t *idx; /* malloc-owned */
  size_t nidx;
} StepSpec;

typedef struct SampleConfig {
  size_t draws;     /* kept draws per chain */
  size_t tune;      /* warm-up iterations per chain */
  int chains;
  int cores;        /* worker threads (at most chains) */
  uint64_t seed;
  bool progress;    /* draw a progress bar on `err` */
  FILE *err;        /* where the progress bar and warnings go */
  StepSpec *steps;  /* malloc-owned, taken over by the run */
  int nsteps;
  const double *init; /* chains x dim unconstrained starting points */
  const Trace *warm_from; /* tune_from=: take its chains' adaptation, or
                             NULL (check with sample_compatible first) */
} SampleConfig;

/* Runs the chains and returns a new trace (the model's free variables and
 * deterministics, wrapped by the caller) whose `run` keeps the chain
 * states. m must stay reachable (trace->model holds it). Returns NULL only
 * when out of memory. *interrupted tells whether Ctrl-C (or vm_interrupt)
 * stopped the run early. */
Trace *sample_run(Model *m, SampleConfig *cfg, volatile int *stop_flag,
                  bool *interrupted);

/* Continues every chain of t until each holds trace_ndraws(t) + draws
 * draws (chains that ran ahead before an interruption run fewer). False
 * when t has no chain states (it was loaded from a file). */
bool sample_resume(Trace *t, size_t draws, bool progress, FILE *err,
                   volatile int *stop_flag, bool *interrupted);

/* Whether cfg can start from the adaptation (step size, metric, proposal
 * scales) of `from`'s chains: false when the runs' methods or sizes differ
 * (then *why says how). */
bool sample_compatible(const Trace *from, const SampleConfig *cfg,
                       size_t dim, const char **why);

/* Where chain c of t stands now (dim unconstrained values), or NULL when t
 * keeps no chain states. */
const double *sample_last_theta(const Trace *t, int c);

/* The requested draws of the run that made t (for resume's default). */
size_t sample_requested(const Trace *t);

#endif
