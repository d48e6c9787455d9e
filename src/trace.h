/*
 * trace.h — the draws of an MCMC run: per chain, the value of every traced
 * variable (free variables on the constrained scale, then deterministics)
 * and the sampler statistics of every kept draw.
 *
 * A Trace is what sample() returns, what summary(), save_csv() and the
 * plots read, and what resume() continues. Its storage is malloc-owned and
 * released when the GC collects the handle that wraps it (trace_wrap).
 *
 * The Trace struct itself is GC memory (so `model` stays reachable); its
 * arrays are malloc-owned and freed by a finaliser (trace_new registers it).
 *
 * Layout: a draw of chain c is one row of `width` doubles, the variables
 * side by side (variable v at vars[v].offset, vars[v].len values, a matrix
 * row-major), and one row of TRACE_NSTATS statistics. Chains may hold
 * different numbers of draws while a run is interrupted; readers use
 * trace_ndraws(), the number every chain has, so a trace always looks
 * rectangular (draws x chains).
 *
 * Element names: a scalar is "mu"; element i of a vector "theta[i]" and
 * element (i, j) of a matrix "L[i,j]", 0-based as ppl's indexing.
 */
#ifndef PPL_TRACE_H
#define PPL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "object.h"

typedef struct VM VM;
struct SampleRun; /* sample.c: chain states kept for resume() */

/* Sampler statistics per draw, in CmdStan's column order. */
#define TRACE_STATS(X)                                                        \
  X(LP, "lp", "lp__")                                                         \
  X(ACCEPT_STAT, "accept_stat", "accept_stat__")                              \
  X(STEP_SIZE, "step_size", "stepsize__")                                     \
  X(TREE_DEPTH, "tree_depth", "treedepth__")                                  \
  X(N_LEAPFROG, "n_leapfrog", "n_leapfrog__")                                 \
  X(DIVERGENT, "divergent", "divergent__")                                    \
  X(ENERGY, "energy", "energy__")

typedef enum {
#define X(id, name, csv) TRACE_##id,
  TRACE_STATS(X)
#undef X
      TRACE_NSTATS
} TraceStat;

/* "lp" and CmdStan's "lp__"; stat_lookup accepts either, or returns -1. */
const char *trace_stat_name(TraceStat s);
const char *trace_stat_csv_name(TraceStat s);
int trace_stat_lookup(const char *name);

typedef struct TraceVar {
  char *name;          /* malloc-owned */
  int ndim;            /* 0 scalar, 1 vector, 2 matrix */
  size_t rows, cols;   /* vector: rows = len, cols = 1 */
  size_t len;          /* values per draw */
  size_t offset;       /* into a draw row */
  bool deterministic;  /* a `let` node of the model */
  bool discrete;       /* integer-valued */
} TraceVar;

typedef struct TraceChain {
  size_t ndraws;       /* draws kept so far */
  size_t cap;          /* rows allocated */
  double *values;      /* cap x width */
  double *stats;       /* cap x TRACE_NSTATS */
} TraceChain;

typedef struct Trace {
  TraceVar *vars;
  int nvars;
  size_t width;        /* sum of vars[].len */
  int nchains;
  TraceChain *chains;
  size_t tune;         /* warm-up iterations each chain ran (not kept) */
  char method[64];     /* "NUTS", "Slice+Metropolis", "CSV" ... */
  int max_treedepth;   /* NUTS's limit (for the saturation warning), or 0 */
  bool interrupted;    /* the last run stopped early (Ctrl-C) */
  bool has_seed;       /* whether seed is known (not for every CSV file) */
  int64_t seed;        /* the run's seed, as sample(seed=) takes it: the
                          same seed gives the same draws */
  Value model;         /* the bound model it came from, or NIL_VAL */
  struct SampleRun *run; /* for resume(); NULL when loaded from a file */
  void (*run_free)(struct SampleRun *run); /* called by the finaliser */
} Trace;

/* A new empty trace of nchains chains. Variables are added with
 * trace_add_var before any draw. */
Trace *trace_new(int nchains);
void trace_add_var(Trace *t, const char *name, int ndim, size_t rows,
                   size_t cols, bool deterministic, bool discrete);

/* Room for `more` further draws in chain c (grows geometrically). */
void trace_reserve(Trace *t, int c, size_t more);
/* Appends one draw (width values and TRACE_NSTATS stats) to chain c. */
void trace_append(Trace *t, int c, const double *values,
                  const double *stats);

/* Draws every chain holds (the minimum over chains). */
size_t trace_ndraws(const Trace *t);
/* Index of the variable called name, or -1. */
int trace_find(const Trace *t, const char *name);

/* Element `elem` of variable v (or statistic s) for the first `n` =
 * trace_ndraws() draws of every chain, chain-major: out[c * n + i] (the
 * layout diag.h takes). out holds n * nchains doubles. */
void trace_column(const Trace *t, int v, size_t elem, double *out);
void trace_stat_column(const Trace *t, TraceStat s, double *out);

/* "theta[2]", "L[1,0]", "mu" for element elem of variable v. */
void trace_elem_name(const Trace *t, int v, size_t elem, StrBuf *sb);
/* Parses "theta[2]" / "L[1,0]" / "mu" back: variable index and element,
 * or false. */
bool trace_parse_elem(const Trace *t, const char *name, int *v,
                      size_t *elem);

/* Divergent draws among the trace_ndraws() draws of every chain (a NaN
 * divergent statistic, not recorded, does not count). */
size_t trace_divergences(const Trace *t);

/* The handle class and conversions. */
extern const HandleClass trace_class;
Value trace_wrap(Trace *t);
/* The Trace inside v, or NULL with an error naming fn. */
Trace *trace_get(VM *vm, Value v, const char *fn);

#endif
