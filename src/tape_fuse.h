/*
 * tape_fuse.h — fusion of a distribution's location into its DIST
 * instruction: the tape's private interface to tape_fuse.c (and a switch
 * for tests and benchmarks). Callers of tape.h never see it: a fused tape
 * computes the same log density and gradient, in fewer passes.
 *
 * tape_finish describes its instructions and slots to tape_fuse_plan,
 * which picks DIST instructions (Normal's mu; Bernoulli's p when it is
 * LOGISTIC of something) whose location is an affine expression of
 *
 *   leaves: scalars, vectors and GATHERs (by constant index) of slots,
 *   ops:    ADD, SUB, NEG, MUL by a scalar (and aliases in between),
 *
 * each intermediate read by nothing else, and rewrites it as
 *
 *   eta_i = c + sum_t w_t L_t(i),   w_t = k_t (times a scalar slot s_t),
 *
 * L_t(i) a vector's element i, a gathered element, or a scalar. The DIST
 * then evaluates eta_i, the family's log density and its partial
 * d_i = d log p / d eta_i in one loop over i, adding w_t d_i into the
 * leaves' adjoints (scattered through the index for a GATHER) and summing
 * d_i L_t(i) for the scalar s_t: no vector of the expression is stored and
 * no pass over it is made in either sweep. The absorbed instructions leave
 * the tape_logp / tape_logp_grad sweeps (tape_forward still runs them, so
 * their values stay available to traces) and their outputs need no adjoint.
 */
#ifndef PPL_TAPE_FUSE_H
#define PPL_TAPE_FUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tape.h"

/* An instruction as the planner sees it. */
typedef struct FuseInstr {
  uint8_t op; /* TapeOp */
  bool live;  /* the tape's output depends on it */
  bool dep;   /* it depends on theta */
  TapeSlot out;
  int nin;
  const TapeSlot *in; /* its nin inputs */
  const size_t *idx;  /* GATHER: its naux indices */
  size_t naux;
  const DistFamily *family; /* DIST */
} FuseInstr;

/* A slot as the planner sees it. */
typedef struct FuseSlot {
  size_t len;
  bool dep;           /* its value depends on theta */
  const double *data; /* a constant's values, else NULL */
  TapeSlot alias;     /* an alias (RESHAPE, COPY): the slot it shares */
  int32_t instr;      /* the instruction that writes it, or -1 */
  uint32_t uses;      /* how many live instructions read it */
} FuseSlot;

typedef struct TapeFusion TapeFusion;

/* Plans the fusion of the tape described by ins and slots (out: the tape's
 * output). Fills mark[i] for every instruction: 0 unchanged, k > 0 a DIST
 * that fused program k - 1 evaluates, -1 absorbed into one; and noadj[s]
 * true for every slot that needs no adjoint any more (both arrays zeroed by
 * the caller). Returns the programs (malloc-owned, freed by
 * tape_fuse_free), or NULL when nothing fuses. */
TapeFusion *tape_fuse_plan(const FuseInstr *ins, size_t ninstr,
                           const FuseSlot *slots, size_t nslots, TapeSlot out,
                           int32_t *mark, bool *noadj);
void tape_fuse_free(TapeFusion *f);

/* The number of fused programs (0 for NULL). */
size_t tape_fuse_count(const TapeFusion *f);

/* Doubles of per-state scratch that program prog needs (0 for the
 * kernels of common shapes; n for the generic one). */
size_t tape_fuse_scratch(const TapeFusion *f, int32_t prog);

/* Program prog's log density, given every slot's values v. */
double tape_fuse_value(const TapeFusion *f, int32_t prog,
                       const double *const *v);

/* The same, adding adj times its partials into the adjoints a of its
 * inputs (a[s] NULL: slot s has none); the partials are meaningless when
 * the result is -INFINITY (the tape then discards the gradient). scratch:
 * tape_fuse_scratch doubles. Allocates nothing. */
double tape_fuse_grad(const TapeFusion *f, int32_t prog, const double *const *v,
                      double *const *a, double adj, double *scratch);

/* Whether tape_finish fuses (default true): tests and benchmarks compare
 * a tape with its unfused twin. Call before tape_finish. Defined in
 * tape.c. */
void tape_set_fusion(Tape *t, bool on);

/* The number of DIST instructions that tape_finish fused. */
size_t tape_nfused(const Tape *t);

#endif
