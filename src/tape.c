/*
 * tape.c — reverse-mode automatic differentiation over a flat list of
 * vectorised instructions (the contract is tape.h; the design notes and
 * how to add an op are in doc/tape.md).
 *
 * Building. Slots and instructions go into malloc-owned arrays that grow by
 * doubling; constant data is copied into a pool owned by the tape. Each
 * builder works out the output shape at once and reports user errors
 * (shapes, indices) as sentences. Whether a slot depends on theta is known
 * when it is made: theta and its views do, constants do not, and an
 * instruction's output does when one of its inputs does. theta grows to
 * cover every view (the model layer allocates the tape with dimension 0
 * and discovers the parameters as it runs).
 *
 * Freezing (tape_finish) marks the instructions the output depends on
 * (live; the others, such as deterministic nodes kept for the trace, run
 * only in tape_forward), the DISTs it can fuse (below), and the operands
 * whose adjoint can share their consumer's (mark_forward); then it lays
 * out the value buffer of every TapeState:
 *
 *   [ theta | outputs with adjoints of their own | the other outputs ]
 *   0       dim                                  nadj                nval
 *
 * Adjoints exist only for the first nadj doubles, so one memset zeroes
 * them and the gradient is adj[0 .. dim). theta is copied into the buffer
 * at each evaluation (dim doubles, nothing next to a sweep), and parameter
 * views point into that copy. Constants point into the tape's pool, shared
 * read-only by every state. RESHAPE, COPY and TRANSPOSE of a vector share
 * their input's values and adjoints and cost nothing when evaluated.
 * Input slots (tape_input) live in the state's buffer too, written by the
 * caller. A slot varies when it depends on theta or on an input;
 * instructions that do not vary run once, in tape_state_alloc.
 *
 * Evaluating. The forward sweep runs the live varying instructions in
 * order, the reverse sweep the live theta-dependent ones backwards, each
 * adding its output's adjoint times its partials into the adjoints of
 * those inputs that depend on theta (the others have none: their adjoint
 * pointer is NULL). An op is
 * a case of a switch with one tight loop per broadcasting mode (same grid,
 * scalar a, scalar b, general strides) chosen when the op is built, so no
 * loop branches on shapes.
 *
 * DIST fusion. A family computes a log density and its partials in one
 * pass. When the adjoint of a DIST's output is 1 at every evaluation (the
 * output reaches the tape's output only through SUM_SCALARS, scalar ADD or
 * an alias, once), tape_logp_grad asks for value and partials during the
 * forward sweep, adding straight into the input adjoints (zeroed before the
 * sweep), and skips the DIST on the way back. Other DISTs call the family
 * again in the reverse sweep with their output adjoint.
 *
 * Matrix products and solves go through blas.h (OpenBLAS, loaded on first
 * use; gslcblas otherwise), looked up once per state.
 *
 * Failure. A NaN output, a non-positive-definite matrix given to CHOLESKY,
 * or a gradient that is not finite all make the log density -INFINITY with
 * the gradient zeroed: a sampler treats the point as outside the support.
 *
 * Invariant: an instruction reads only slots made before its output, so one
 * sweep forward and one backward are correct; nothing allocates after
 * tape_state_alloc.
 *
 * References: Carpenter et al. (2015), The Stan Math Library: Reverse-Mode
 * Automatic Differentiation in C++; Griewank & Walther (2008), Evaluating
 * Derivatives, 2nd ed.; Giles (2008), An extended collection of matrix
 * derivative results for forward and reverse mode AD (MATMUL, TRI_SOLVE);
 * Murray (2016), Differentiation of the Cholesky decomposition,
 * arXiv:1602.07527 (CHOLESKY forward and reverse, blocked).
 */
#include <config.h>
#include "tape.h"

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "common.h"
#include "dist.h"
#include "tape_fuse.h"

/* Slot storage starts on a 64-byte cache line (8 doubles), so vector loops
 * over a slot never straddle a line at their first element. */
enum { ALIGN_DOUBLES = 8, ALIGN_BYTES = ALIGN_DOUBLES * sizeof(double) };

/* Block size of the blocked Cholesky factorisation and its reverse: LAPACK's
 * default for dpotrf (ilaenv returns 64 on common platforms). */
enum { CHOL_BLOCK = 64 };

/* Partial sums in a reduction: 4 covers the latency of a floating-point
 * addition (3-4 cycles) at one addition per cycle. The final line of
 * REV_SUM and sum_of adds exactly four. */
enum { SUM_LANES = 4 };

/* First capacity of every growing array. */
enum { INITIAL_CAP = 16 };

static const double INV_SQRT_2PI = 0.39894228040143267794; /* 1/sqrt(2 pi) */

/* ---- the tape ------------------------------------------------------------ */

typedef enum {
  SLOT_THETA, /* slot 0: the whole parameter vector */
  SLOT_PARAM, /* a view of theta: off is its offset into theta */
  SLOT_CONST, /* data in the tape's pool at off */
  SLOT_VALUE, /* an instruction's output in the state's buffer at off */
  SLOT_ALIAS, /* shares the storage of slot src */
  SLOT_INPUT, /* set per state (tape_input_data), in its buffer at off */
} SlotKind;

typedef struct Slot {
  size_t rows, cols;   /* as tape_shape reports: a vector is rows x 1 */
  size_t grows, gcols; /* as broadcasting sees it: a vector is 1 x n */
  size_t len;
  size_t off;   /* see SlotKind */
  TapeSlot src; /* SLOT_ALIAS only */
  TapeSlot fwd; /* shares the adjoint of slot fwd (see mark_forward) */
  int8_t ndim;
  uint8_t kind;
  bool dep;   /* its value depends on theta */
  bool var;   /* it changes between evaluations: dep, or reads an input */
  bool noadj; /* inside a fused DIST's location: no adjoint (tape_fuse.h) */
} Slot;

/* Broadcasting mode of a binary op (and of BROADCAST). */
typedef enum {
  BC_SAME, /* a and b have the output's grid */
  BC_SA,   /* a has one element */
  BC_SB,   /* b has one element */
  BC_GEN,  /* general: strides per row and column */
} BcMode;

typedef struct Instr {
  uint8_t op;   /* TapeOp */
  uint8_t mode; /* BcMode of a binary op */
  bool dep;     /* the output depends on theta */
  bool var;     /* the output changes between evaluations (Slot.var) */
  bool unit;    /* a DIST whose output adjoint is always 1 (fused) */
  bool live;    /* the tape's output depends on it */
  uint8_t fwd;  /* 1: a's adjoint is the output's (mark_forward); 2: b's */
  int32_t nin;
  TapeSlot out;
  TapeSlot a, b;  /* the first two inputs, or TAPE_NONE */
  size_t in_off;  /* all nin inputs: Tape.ins[in_off ..] */
  size_t aux_off; /* GATHER, GATHER_ROWS: indices at Tape.idx[aux_off ..] */
  size_t naux;
  double alpha; /* LEAKY_RELU, STEP: value for a <= 0; losses: a scale */
  const DistFamily *family;
  size_t scratch_off; /* doubles of per-state scratch */
  size_t view_off;    /* DIST: TapeState.views / grads [view_off ..] */
  int32_t fused;      /* tape_fuse.h: k > 0 a DIST run by fused program k - 1;
                         -1 absorbed into one (not run by tape_logp*) */
} Instr;

struct Tape {
  size_t dim;
  Slot *slots;
  size_t nslots, cap_slots;
  Instr *instrs;
  size_t ninstr, cap_instrs;
  TapeSlot *ins;
  size_t nins, cap_ins;
  size_t *idx;
  size_t nidx, cap_idx;
  double *pool;
  size_t npool, cap_pool;
  size_t nscratch; /* doubles of scratch per state */
  size_t nviews;   /* DIST inputs over all DIST instructions */
  TapeSlot out;
  bool finished;
  /* Set by tape_finish. */
  size_t nval, nadj;
  /* Instruction numbers: on constants (run once per state), varying
   * (tape_forward), the live ones of those (tape_logp, grad; without the
   * ones absorbed by fused DISTs), and the live ones depending on theta
   * that the reverse sweep visits. */
  uint32_t *run_const, *run_dep, *run_live, *run_rev;
  size_t nrun_const, nrun_dep, nrun_live, nrun_rev;
  TapeFusion *fusion; /* fused DISTs (tape_fuse.c), or NULL */
  bool nofuse;        /* tape_set_fusion(t, false) */
};

struct TapeState {
  const Tape *t;
  const BlasFns *bl; /* CBLAS (blas.h), looked up once */
  double *val;       /* t->nval doubles: theta, then instruction outputs */
  double *adj;       /* t->nadj doubles: adjoints of theta-dependent slots */
  double *scratch;   /* t->nscratch doubles */
  const double **v;  /* per slot: its values */
  double **a;        /* per slot: its adjoints, NULL when not dependent */
  DistTensor *views; /* per DIST input: a view of its values */
  double **grads;    /* per DIST input: its adjoints or NULL */
  bool const_failed; /* a constant instruction failed (CHOLESKY) */
  bool failed;       /* the current sweep failed */
};

static const int8_t op_nin[] = {
#define X(name, nin, doc) nin,
    TAPE_OPS(X)
#undef X
};

const char *tape_op_name(TapeOp op) {
  static const char *const names[] = {
#define X(name, nin, doc) #name,
      TAPE_OPS(X)
#undef X
  };
  ASSERT((unsigned)op < TAPE_NOPS);
  return names[op];
}

/* ---- memory -------------------------------------------------------------- */

static void *xrealloc(void *p, size_t n, size_t size) {
  if (n != 0 && size > SIZE_MAX / n)
    PANIC("tape: allocation size overflows");
  void *q = realloc(p, n * size == 0 ? 1 : n * size);
  if (!q)
    PANIC("tape: out of memory");
  return q;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
  if (!p)
    PANIC("tape: out of memory");
  return p;
}

/* n zeroed doubles aligned to a cache line. */
static double *alloc_doubles(size_t n) {
  if (n > SIZE_MAX / sizeof(double) - ALIGN_DOUBLES)
    PANIC("tape: allocation size overflows");
  const size_t bytes = (n + ALIGN_DOUBLES) / ALIGN_DOUBLES * ALIGN_BYTES;
  double *p = aligned_alloc(ALIGN_BYTES, bytes);
  if (!p)
    PANIC("tape: out of memory");
  memset(p, 0, bytes);
  return p;
}

/* p (capacity *cap elements of size) with room for need elements. */
static void *reserve(void *p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return p;
  size_t c = *cap ? *cap : INITIAL_CAP;
  while (c < need)
    c *= 2;
  *cap = c;
  return xrealloc(p, c, size);
}

static size_t align_up(size_t n) {
  return (n + ALIGN_DOUBLES - 1) / ALIGN_DOUBLES * ALIGN_DOUBLES;
}

/* ---- building: slots ----------------------------------------------------- */

static Slot shaped(int ndim, size_t rows, size_t cols);

/* Slot 0 is theta, a vector of t->dim elements. */
static void set_theta(Tape *t) {
  Slot theta = shaped(1, t->dim, 1);
  theta.kind = SLOT_THETA;
  theta.dep = true;
  theta.var = true;
  t->slots[0] = theta;
}

Tape *tape_alloc(size_t dim) {
  Tape *t = xcalloc(1, sizeof *t);
  t->out = TAPE_NONE;
  t->dim = dim;
  t->slots = reserve(t->slots, &t->cap_slots, 1, sizeof *t->slots);
  t->nslots = 1;
  set_theta(t);
  return t;
}

void tape_free(Tape *t) {
  if (!t)
    return;
  free(t->slots);
  free(t->instrs);
  free(t->ins);
  free(t->idx);
  free(t->pool);
  free(t->run_const);
  free(t->run_dep);
  free(t->run_live);
  tape_fuse_free(t->fusion);
  free(t->run_rev);
  free(t);
}

/* A slot of the given shape, normalised: a scalar is 1 x 1, a vector of n
 * is n x 1 (rows = n) and broadcasts as 1 x n. */
static Slot shaped(int ndim, size_t rows, size_t cols) {
  ASSERT(ndim >= 0 && ndim <= 2);
  Slot s = {.src = TAPE_NONE, .fwd = TAPE_NONE, .ndim = (int8_t)ndim};
  if (ndim == 0)
    rows = cols = 1;
  else if (ndim == 1)
    cols = 1;
  if (cols != 0 && rows > SIZE_MAX / cols)
    PANIC("tape: slot size overflows");
  s.rows = rows;
  s.cols = cols;
  s.len = rows * cols;
  s.grows = ndim == 2 ? rows : 1;
  s.gcols = ndim == 2 ? cols : s.len;
  return s;
}

static TapeSlot push_slot(Tape *t, Slot s) {
  ASSERT(!t->finished);
  ASSERT(t->nslots < (size_t)INT32_MAX);
  t->slots = reserve(t->slots, &t->cap_slots, t->nslots + 1, sizeof s);
  t->slots[t->nslots] = s;
  return (TapeSlot)t->nslots++;
}

static const Slot *slot_at(const Tape *t, TapeSlot s) {
  ASSERT(s >= 0 && (size_t)s < t->nslots);
  return &t->slots[s];
}

TapeSlot tape_const(Tape *t, int ndim, size_t rows, size_t cols,
                    const double *data) {
  Slot s = shaped(ndim, rows, cols);
  ASSERT(data != NULL || s.len == 0);
  s.kind = SLOT_CONST;
  s.off = align_up(t->npool);
  t->pool = reserve(t->pool, &t->cap_pool, s.off + s.len, sizeof(double));
  if (s.len > 0)
    memcpy(t->pool + s.off, data, s.len * sizeof(double));
  t->npool = s.off + s.len;
  return push_slot(t, s);
}

TapeSlot tape_scalar(Tape *t, double x) { return tape_const(t, 0, 1, 1, &x); }

TapeSlot tape_param(Tape *t, size_t offset, int ndim, size_t rows,
                    size_t cols) {
  Slot s = shaped(ndim, rows, cols);
  s.kind = SLOT_PARAM;
  s.off = offset;
  s.dep = true;
  s.var = true;
  ASSERT(offset <= SIZE_MAX - s.len);
  if (offset + s.len > t->dim) {
    t->dim = offset + s.len;
    set_theta(t);
  }
  return push_slot(t, s);
}

TapeSlot tape_input(Tape *t, int ndim, size_t rows, size_t cols) {
  Slot s = shaped(ndim, rows, cols);
  s.kind = SLOT_INPUT;
  s.var = true;
  return push_slot(t, s);
}

/* ---- building: shape rules ----------------------------------------------- */

/* Writes a sentence into err (TAPE_ERR_LEN bytes; err may be NULL). */
static bool fail(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool fail(char *err, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, TAPE_ERR_LEN, fmt, ap);
    va_end(ap);
  }
  return false;
}

enum { SHAPE_STR_LEN = 48 };

/* "()", "(3)" or "(2, 3)", as numpy and tensor_shape_str write shapes. */
static const char *shape_str(const Slot *s, char *buf) {
  if (s->ndim == 0)
    snprintf(buf, SHAPE_STR_LEN, "()");
  else if (s->ndim == 1)
    snprintf(buf, SHAPE_STR_LEN, "(%zu)", s->len);
  else
    snprintf(buf, SHAPE_STR_LEN, "(%zu, %zu)", s->rows, s->cols);
  return buf;
}

/* BLAS counts in int. */
static bool blas_fits(const Slot *s, const char *op, char *err) {
  if (s->rows <= (size_t)INT_MAX && s->cols <= (size_t)INT_MAX)
    return true;
  return fail(err, "%s: a %zu x %zu matrix is too large", op, s->rows, s->cols);
}

/* The broadcast length of one axis; false when x and y differ and neither
 * is 1 (numpy). */
static bool bc_axis(size_t x, size_t y, size_t *out) {
  if (x == y || y == 1) {
    *out = x;
    return true;
  }
  if (x == 1) {
    *out = y;
    return true;
  }
  return false;
}

/* An instruction being built: its fields and the output shape. */
typedef struct Build {
  Tape *t;
  Instr ins;
  const Slot *in[2]; /* the first two input slots */
  Slot out;
  size_t nscratch;
  char *err;
} Build;

static bool shape_binary(Build *b) {
  const Slot *x = b->in[0], *y = b->in[1];
  size_t rows, cols;
  if (!bc_axis(x->grows, y->grows, &rows) ||
      !bc_axis(x->gcols, y->gcols, &cols)) {
    char sx[SHAPE_STR_LEN], sy[SHAPE_STR_LEN];
    return fail(b->err, "shapes %s and %s do not broadcast", shape_str(x, sx),
                shape_str(y, sy));
  }
  if (x->ndim <= 1 && y->ndim <= 1)
    b->out = shaped(x->ndim > y->ndim ? x->ndim : y->ndim, cols, 1);
  else
    b->out = shaped(2, rows, cols);
  if (x->grows == y->grows && x->gcols == y->gcols)
    b->ins.mode = BC_SAME;
  else if (x->len == 1)
    b->ins.mode = BC_SA;
  else if (y->len == 1)
    b->ins.mode = BC_SB;
  else
    b->ins.mode = BC_GEN;
  return true;
}

static bool need_matrix(const Slot *s, const char *op, const char *what,
                        char *err) {
  char buf[SHAPE_STR_LEN];
  if (s->ndim == 2)
    return true;
  return fail(err, "%s: %s must be a matrix, got shape %s", op, what,
              shape_str(s, buf));
}

static bool need_vector(const Slot *s, const char *op, const char *what,
                        char *err) {
  char buf[SHAPE_STR_LEN];
  if (s->ndim == 1)
    return true;
  return fail(err, "%s: %s must be a vector, got shape %s", op, what,
              shape_str(s, buf));
}

static bool need_square(const Slot *s, const char *op, char *err) {
  if (!need_matrix(s, op, "the input", err) || !blas_fits(s, op, err))
    return false;
  if (s->rows == s->cols)
    return true;
  return fail(err, "%s: the matrix must be square, got %zu x %zu", op, s->rows,
              s->cols);
}

static bool shape_dot(Build *b) {
  const Slot *x = b->in[0], *y = b->in[1];
  if (!need_vector(x, "DOT", "the first input", b->err) ||
      !need_vector(y, "DOT", "the second input", b->err))
    return false;
  if (x->len != y->len)
    return fail(b->err, "DOT: the vectors have %zu and %zu elements", x->len,
                y->len);
  if (x->len > (size_t)INT_MAX)
    return fail(b->err, "DOT: a vector of %zu elements is too long", x->len);
  b->out = shaped(0, 1, 1);
  return true;
}

static bool shape_matvec(Build *b) {
  const Slot *m = b->in[0], *x = b->in[1];
  if (!need_matrix(m, "MATVEC", "the first input", b->err) ||
      !need_vector(x, "MATVEC", "the second input", b->err) ||
      !blas_fits(m, "MATVEC", b->err))
    return false;
  if (m->cols != x->len)
    return fail(b->err,
                "MATVEC: the matrix has %zu columns but the vector has %zu "
                "elements",
                m->cols, x->len);
  b->out = shaped(1, m->rows, 1);
  return true;
}

static bool shape_matmul(Build *b) {
  const Slot *x = b->in[0], *y = b->in[1];
  if (!need_matrix(x, "MATMUL", "the first input", b->err) ||
      !need_matrix(y, "MATMUL", "the second input", b->err) ||
      !blas_fits(x, "MATMUL", b->err) || !blas_fits(y, "MATMUL", b->err))
    return false;
  if (x->cols != y->rows)
    return fail(b->err,
                "MATMUL: the first matrix has %zu columns but the second has "
                "%zu rows",
                x->cols, y->rows);
  b->out = shaped(2, x->rows, y->cols);
  return true;
}

static bool shape_transpose(Build *b) {
  const Slot *x = b->in[0];
  b->out = x->ndim == 2 ? shaped(2, x->cols, x->rows) : *x;
  return true;
}

static bool shape_sum_axis(Build *b) {
  const Slot *x = b->in[0];
  const char *name = tape_op_name((TapeOp)b->ins.op);
  if (!need_matrix(x, name, "the input", b->err))
    return false;
  b->out = shaped(1, b->ins.op == TAPE_SUM_ROWS ? x->cols : x->rows, 1);
  return true;
}

/* Copies the index list of GATHER / GATHER_ROWS after checking it against
 * n (elements or rows). */
static bool take_indices(Build *b, const size_t *idx, size_t n) {
  ASSERT(idx != NULL || b->ins.naux == 0);
  for (size_t i = 0; i < b->ins.naux; i++) {
    if (idx[i] < n)
      continue;
    if (b->ins.op == TAPE_GATHER)
      return fail(b->err,
                  "GATHER: index %zu is out of range for a vector of length "
                  "%zu",
                  idx[i], n);
    return fail(b->err,
                "GATHER_ROWS: row %zu is out of range for a matrix of %zu "
                "rows",
                idx[i], n);
  }
  Tape *t = b->t;
  t->idx = reserve(t->idx, &t->cap_idx, t->nidx + b->ins.naux, sizeof *t->idx);
  if (b->ins.naux > 0)
    memcpy(t->idx + t->nidx, idx, b->ins.naux * sizeof *idx);
  b->ins.aux_off = t->nidx;
  t->nidx += b->ins.naux;
  return true;
}

static bool shape_gather(Build *b, const size_t *idx) {
  const Slot *x = b->in[0];
  char buf[SHAPE_STR_LEN];
  if (x->ndim == 2)
    return fail(b->err, "GATHER: the input must be a vector, got shape %s",
                shape_str(x, buf));
  if (!take_indices(b, idx, x->len))
    return false;
  b->out = shaped(1, b->ins.naux, 1);
  return true;
}

static bool shape_gather_rows(Build *b, const size_t *idx) {
  const Slot *x = b->in[0];
  if (!need_matrix(x, "GATHER_ROWS", "the input", b->err) ||
      !take_indices(b, idx, x->rows))
    return false;
  b->out = shaped(2, b->ins.naux, x->cols);
  return true;
}

static bool shape_stack(Build *b, const TapeSlot *in, int nin) {
  size_t n = 0;
  for (int k = 0; k < nin; k++) {
    const Slot *s = slot_at(b->t, in[k]);
    char buf[SHAPE_STR_LEN];
    if (s->ndim == 2)
      return fail(b->err,
                  "STACK: input %d has shape %s; only scalars and vectors "
                  "stack",
                  k + 1, shape_str(s, buf));
    n += s->len;
  }
  b->out = shaped(1, n, 1);
  return true;
}

/* The shape in aux = size_t[3] {ndim, rows, cols} of RESHAPE / BROADCAST. */
static bool aux_shape(Build *b, const size_t *aux, size_t naux, Slot *s) {
  const char *name = tape_op_name((TapeOp)b->ins.op);
  ASSERT(aux != NULL && naux == 3);
  if (aux[0] > 2)
    return fail(b->err, "%s: a shape has 0, 1 or 2 dimensions, not %zu", name,
                aux[0]);
  if (aux[0] == 2 && aux[2] != 0 && aux[1] > SIZE_MAX / aux[2])
    return fail(b->err, "%s: a %zu x %zu matrix is too large", name, aux[1],
                aux[2]);
  *s = shaped((int)aux[0], aux[1], aux[2]);
  return true;
}

static bool shape_reshape(Build *b, const size_t *aux, size_t naux) {
  const Slot *x = b->in[0];
  Slot s;
  if (!aux_shape(b, aux, naux, &s))
    return false;
  if (s.len != x->len) {
    char sx[SHAPE_STR_LEN], ss[SHAPE_STR_LEN];
    return fail(b->err,
                "RESHAPE: cannot reshape shape %s (%zu elements) into "
                "shape %s",
                shape_str(x, sx), x->len, shape_str(&s, ss));
  }
  b->out = s;
  return true;
}

static bool shape_broadcast(Build *b, const size_t *aux, size_t naux) {
  const Slot *x = b->in[0];
  Slot s;
  size_t rows, cols;
  if (!aux_shape(b, aux, naux, &s))
    return false;
  if (!bc_axis(s.grows, x->grows, &rows) ||
      !bc_axis(s.gcols, x->gcols, &cols) || rows != s.grows ||
      cols != s.gcols || (x->ndim == 2 && s.ndim < 2)) {
    char sx[SHAPE_STR_LEN], ss[SHAPE_STR_LEN];
    return fail(b->err, "BROADCAST: shape %s does not broadcast to %s",
                shape_str(x, sx), shape_str(&s, ss));
  }
  b->out = s;
  b->ins.mode = x->len == s.len ? BC_SAME : x->len == 1 ? BC_SA : BC_GEN;
  return true;
}

static bool shape_cholesky(Build *b) {
  const Slot *x = b->in[0];
  if (!need_square(x, "CHOLESKY", b->err))
    return false;
  b->out = *x;
  size_t blk = x->rows < CHOL_BLOCK ? x->rows : CHOL_BLOCK;
  b->nscratch = x->len + blk * blk; /* the adjoint being built, one block */
  return true;
}

static bool shape_tri_solve(Build *b) {
  const Slot *l = b->in[0], *r = b->in[1];
  char buf[SHAPE_STR_LEN];
  if (!need_square(l, "TRI_SOLVE", b->err) ||
      !blas_fits(r, "TRI_SOLVE", b->err))
    return false;
  if (r->ndim == 0)
    return fail(b->err,
                "TRI_SOLVE: the right-hand side must be a vector or "
                "a matrix, got shape %s",
                shape_str(r, buf));
  if (r->rows != l->rows)
    return fail(b->err,
                "TRI_SOLVE: the matrix is %zu x %zu but the "
                "right-hand side has %zu rows",
                l->rows, l->cols, r->rows);
  b->out = *r;
  b->nscratch = r->len;
  return true;
}

static bool shape_log_diag_sum(Build *b) {
  if (!need_square(b->in[0], "LOG_DIAG_SUM", b->err))
    return false;
  b->out = shaped(0, 1, 1);
  return true;
}

static bool shape_sum_scalars(Build *b, const TapeSlot *in, int nin) {
  for (int k = 0; k < nin; k++) {
    const Slot *s = slot_at(b->t, in[k]);
    char buf[SHAPE_STR_LEN];
    if (s->len != 1)
      return fail(b->err, "SUM_SCALARS: input %d has shape %s, not a scalar",
                  k + 1, shape_str(s, buf));
  }
  b->out = shaped(0, 1, 1);
  return true;
}

static bool shape_affine(Build *b, const TapeSlot *in) {
  const Slot *x = b->in[0], *w = b->in[1], *c = slot_at(b->t, in[2]);
  char buf[SHAPE_STR_LEN];
  if (!need_matrix(x, "AFFINE", "the input", b->err) ||
      !need_matrix(w, "AFFINE", "the weight", b->err) ||
      !blas_fits(x, "AFFINE", b->err) || !blas_fits(w, "AFFINE", b->err))
    return false;
  if (x->cols != w->rows)
    return fail(b->err,
                "AFFINE: the input has %zu columns but the weight matrix has "
                "%zu rows",
                x->cols, w->rows);
  if (c->len != w->cols || (c->ndim == 2 && c->rows != 1))
    return fail(b->err,
                "AFFINE: the bias must be a vector of %zu elements, got "
                "shape %s",
                w->cols, shape_str(c, buf));
  b->out = shaped(2, x->rows, w->cols);
  b->nscratch = x->rows; /* a vector of ones for the bias's adjoint */
  return true;
}

/* The scale of a loss, or the slope of LEAKY_RELU / STEP: aux double. */
static void take_alpha(Build *b, const void *aux, size_t naux, double dflt) {
  ASSERT(naux <= 1 && (naux == 0 || aux != NULL));
  b->ins.alpha = naux == 1 ? *(const double *)aux : dflt;
}

/* BCE_LOGITS, SQ_ERR, GAUSS_KL: the second input has the first's length
 * (or, for the first two, one element); the result is a scalar. */
static bool shape_loss(Build *b, const void *aux, size_t naux) {
  const Slot *x = b->in[0], *y = b->in[1];
  const TapeOp op = (TapeOp)b->ins.op;
  take_alpha(b, aux, naux, 1.0);
  if (y->len != x->len && (y->len != 1 || op == TAPE_GAUSS_KL)) {
    char sx[SHAPE_STR_LEN], sy[SHAPE_STR_LEN];
    return fail(b->err, "%s: shapes %s and %s have different lengths",
                tape_op_name(op), shape_str(x, sx), shape_str(y, sy));
  }
  b->out = shaped(0, 1, 1);
  return true;
}

static bool shape_layer_norm(Build *b) {
  const Slot *x = b->in[0];
  if (!need_matrix(x, "LAYER_NORM", "the input", b->err))
    return false;
  b->out = *x;
  b->nscratch = x->rows; /* 1 / sd of each row */
  return true;
}

/* Works out the output shape of op (and its mode, scratch and aux). */
static bool infer(Build *b, const TapeSlot *in, int nin, const void *aux,
                  size_t naux) {
  const TapeOp op = (TapeOp)b->ins.op;
  switch (op) {
  case TAPE_ADD:
  case TAPE_SUB:
  case TAPE_MUL:
  case TAPE_DIV:
  case TAPE_POW:
    return shape_binary(b);
  case TAPE_LEAKY_RELU:
  case TAPE_STEP:
    take_alpha(b, aux, naux, op == TAPE_LEAKY_RELU ? 0.01 : 0.0);
    b->out = *b->in[0];
    return true;
  case TAPE_AFFINE:
    return shape_affine(b, in);
  case TAPE_BCE_LOGITS:
  case TAPE_SQ_ERR:
  case TAPE_GAUSS_KL:
    return shape_loss(b, aux, naux);
  case TAPE_LAYER_NORM:
    return shape_layer_norm(b);
  case TAPE_SUM:
  case TAPE_LOGSUMEXP:
    b->out = shaped(0, 1, 1);
    b->nscratch = op == TAPE_LOGSUMEXP ? 2 : 0; /* see logsumexp */
    return true;
  case TAPE_SUM_ROWS:
  case TAPE_SUM_COLS:
    return shape_sum_axis(b);
  case TAPE_DOT:
    return shape_dot(b);
  case TAPE_MATVEC:
    return shape_matvec(b);
  case TAPE_MATMUL:
    return shape_matmul(b);
  case TAPE_TRANSPOSE:
    return shape_transpose(b);
  case TAPE_GATHER:
    b->ins.naux = naux;
    return shape_gather(b, aux);
  case TAPE_GATHER_ROWS:
    b->ins.naux = naux;
    return shape_gather_rows(b, aux);
  case TAPE_STACK:
    return shape_stack(b, in, nin);
  case TAPE_RESHAPE:
    return shape_reshape(b, aux, naux);
  case TAPE_BROADCAST:
    return shape_broadcast(b, aux, naux);
  case TAPE_CHOLESKY:
    return shape_cholesky(b);
  case TAPE_TRI_SOLVE:
    return shape_tri_solve(b);
  case TAPE_LOG_DIAG_SUM:
    return shape_log_diag_sum(b);
  case TAPE_SUM_SCALARS:
    return shape_sum_scalars(b, in, nin);
  case TAPE_DIST:
    PANIC("tape_op: build DIST with tape_dist");
  case TAPE_COPY:
  default: /* the elementwise unary ops */
    b->out = *b->in[0];
    return true;
  }
}

/* Ops whose output shares its input's storage. */
static bool is_alias(const Tape *t, const Instr *I) {
  return I->op == TAPE_RESHAPE || I->op == TAPE_COPY ||
         (I->op == TAPE_TRANSPOSE && t->slots[I->a].ndim < 2) ||
         (I->op == TAPE_SUM && t->slots[I->a].len == 1); /* a Jacobian */
}

/* Appends the built instruction and its output slot. */
static TapeSlot push_instr(Build *b, const TapeSlot *in, int nin) {
  Tape *t = b->t;
  Instr *I = &b->ins;
  I->nin = nin;
  I->in_off = t->nins;
  t->ins = reserve(t->ins, &t->cap_ins, t->nins + (size_t)nin, sizeof *in);
  for (int k = 0; k < nin; k++) {
    t->ins[t->nins++] = in[k];
    I->dep = I->dep || t->slots[in[k]].dep;
    I->var = I->var || t->slots[in[k]].var;
  }
  I->scratch_off = t->nscratch;
  t->nscratch += align_up(b->nscratch);
  Slot out = b->out;
  out.dep = I->dep;
  out.var = I->var;
  out.kind = SLOT_VALUE;
  out.src = TAPE_NONE;
  if (is_alias(t, I)) {
    out.kind = SLOT_ALIAS;
    out.src = I->a;
  }
  I->out = push_slot(t, out);
  t->instrs = reserve(t->instrs, &t->cap_instrs, t->ninstr + 1, sizeof *I);
  t->instrs[t->ninstr++] = *I;
  return I->out;
}

static void build_init(Build *b, Tape *t, TapeOp op, const TapeSlot *in,
                       int nin, char *err) {
  ASSERT(!t->finished);
  ASSERT((unsigned)op < TAPE_NOPS);
  ASSERT(op_nin[op] < 0 ? nin >= 0 : nin == op_nin[op]);
  ASSERT(nin == 0 || in != NULL);
  memset(b, 0, sizeof *b);
  b->t = t;
  b->err = err;
  b->ins.op = (uint8_t)op;
  b->ins.a = b->ins.b = TAPE_NONE;
  for (int k = 0; k < nin; k++)
    slot_at(t, in[k]);
  if (nin >= 1) {
    b->ins.a = in[0];
    b->in[0] = &t->slots[in[0]];
  }
  if (nin >= 2) {
    b->ins.b = in[1];
    b->in[1] = &t->slots[in[1]];
  }
}

TapeSlot tape_op(Tape *t, TapeOp op, const TapeSlot *in, int nin,
                 const void *aux, size_t naux, char *err) {
  Build b;
  build_init(&b, t, op, in, nin, err);
  if (!infer(&b, in, nin, aux, naux))
    return TAPE_NONE;
  return push_instr(&b, in, nin);
}

TapeSlot tape_op1(Tape *t, TapeOp op, TapeSlot a, char *err) {
  return tape_op(t, op, &a, 1, NULL, 0, err);
}

TapeSlot tape_op2(Tape *t, TapeOp op, TapeSlot a, TapeSlot b, char *err) {
  const TapeSlot in[2] = {a, b};
  return tape_op(t, op, in, 2, NULL, 0, err);
}

/* A view of a slot's shape for a family's check (data only for constants:
 * the other slots have no values yet). */
static DistTensor build_view(const Tape *t, TapeSlot s) {
  const Slot *x = &t->slots[s];
  DistTensor d = {.data = x->kind == SLOT_CONST ? t->pool + x->off : NULL,
                  .len = x->len,
                  .ndim = x->ndim,
                  .rows = x->rows,
                  .cols = x->cols};
  return d;
}

static const char *input_name(const DistFamily *f, int k, char *buf) {
  if (k == 0)
    return "the value";
  snprintf(buf, 64, "parameter '%s'", f->params[k - 1]);
  return buf;
}

/* Univariate families: every input has 1 or n elements. */
static bool check_univariate(const Tape *t, const DistFamily *f,
                             const TapeSlot *in, int nin, char *err) {
  int big = 0;
  for (int k = 1; k < nin; k++)
    if (t->slots[in[k]].len > t->slots[in[big]].len)
      big = k;
  const size_t n = t->slots[in[big]].len;
  for (int k = 0; k < nin; k++) {
    const size_t len = t->slots[in[k]].len;
    char bk[64], bb[64];
    if (len != 1 && len != n)
      return fail(err, "%s: %s has %zu elements but %s has %zu", f->name,
                  input_name(f, k, bk), len, input_name(f, big, bb), n);
  }
  return true;
}

/* Multivariate families: the family checks its parameters; the value holds
 * a whole number of events. */
static bool check_multivariate(const Tape *t, const DistFamily *f,
                               const TapeSlot *in, int nin, char *err) {
  if (!f->check)
    return true;
  DistTensor params[DIST_MAX_PARAMS];
  for (int k = 1; k < nin; k++)
    params[k - 1] = build_view(t, in[k]);
  int ndim = 0;
  size_t rows = 1, cols = 1;
  char msg[DIST_ERR_LEN] = "";
  if (!f->check(params, &ndim, &rows, &cols, msg))
    return fail(err, "%s", msg);
  const Slot ev = shaped(ndim, rows, cols);
  const Slot *x = &t->slots[in[0]];
  if (ev.len == 0 || x->len % ev.len == 0)
    return true;
  char sx[SHAPE_STR_LEN], se[SHAPE_STR_LEN];
  return fail(err, "%s: the value has shape %s but one draw has shape %s",
              f->name, shape_str(x, sx), shape_str(&ev, se));
}

TapeSlot tape_dist(Tape *t, const DistFamily *family, TapeSlot x,
                   const TapeSlot *params, int nparams, char *err) {
  ASSERT(family != NULL && family->lpdf != NULL);
  ASSERT(nparams >= 0 && nparams <= DIST_MAX_PARAMS);
  if (nparams != family->nparams) {
    fail(err, "%s takes %d parameter%s, got %d", family->name, family->nparams,
         family->nparams == 1 ? "" : "s", nparams);
    return TAPE_NONE;
  }
  TapeSlot in[1 + DIST_MAX_PARAMS];
  in[0] = x;
  for (int k = 0; k < nparams; k++)
    in[k + 1] = params[k];
  const int nin = 1 + nparams;
  Build b;
  build_init(&b, t, TAPE_DIST, in, nin, err);
  bool ok = family->multivariate ? check_multivariate(t, family, in, nin, err)
                                 : check_univariate(t, family, in, nin, err);
  if (!ok)
    return TAPE_NONE;
  b.ins.family = family;
  b.ins.view_off = t->nviews;
  t->nviews += (size_t)nin;
  b.out = shaped(0, 1, 1);
  return push_instr(&b, in, nin);
}

void tape_set_output(Tape *t, TapeSlot out) {
  ASSERT(!t->finished);
  ASSERT(slot_at(t, out)->len == 1);
  t->out = out;
}

/* ---- freezing ------------------------------------------------------------ */

/* Marks the instructions the output depends on (live): walking backwards,
 * an instruction is live when its output is the tape's output or an input
 * of a live instruction. The others (deterministic nodes kept for the
 * trace) run only in tape_forward, so they cost tape_logp nothing and
 * cannot spoil the gradient (0 * inf from a dead LOG(0)). */
static void mark_live(Tape *t, bool *live_slot) {
  if (t->out == TAPE_NONE)
    return;
  live_slot[t->out] = true;
  for (size_t i = t->ninstr; i-- > 0;) {
    Instr *I = &t->instrs[i];
    I->live = live_slot[I->out];
    if (I->live)
      for (int k = 0; k < I->nin; k++)
        live_slot[t->ins[I->in_off + (size_t)k]] = true;
  }
}

/* Marks DISTs whose output adjoint is 1 at every evaluation: the output is
 * the tape's output, or is read by exactly one live instruction, which is
 * SUM_SCALARS, ADD of two scalars or an alias and whose own output has
 * that property. (The tape's output itself always has adjoint 1: whatever
 * reads it comes later and cannot reach it.) Walks the instructions
 * backwards so that a consumer is settled before its inputs. */
static void mark_unit(Tape *t, const uint32_t *uses) {
  if (t->out == TAPE_NONE)
    return;
  bool *unit = xcalloc(t->nslots, sizeof *unit);
  unit[t->out] = true;
  for (size_t i = t->ninstr; i-- > 0;) {
    Instr *I = &t->instrs[i];
    const bool passes = I->op == TAPE_SUM_SCALARS || is_alias(t, I) ||
                        (I->op == TAPE_ADD && t->slots[I->a].len == 1 &&
                         t->slots[I->b].len == 1);
    if (I->live && passes && unit[I->out])
      for (int k = 0; k < I->nin; k++) {
        TapeSlot s = t->ins[I->in_off + (size_t)k];
        unit[s] = uses[s] == 1;
      }
    I->unit = I->op == TAPE_DIST && I->dep && I->live && unit[I->out];
  }
  free(unit);
}

/* How many live instructions read each slot. */
static uint32_t *count_uses(const Tape *t) {
  uint32_t *uses = xcalloc(t->nslots, sizeof *uses);
  for (size_t i = 0; i < t->ninstr; i++) {
    const Instr *I = &t->instrs[i];
    for (int k = 0; I->live && k < I->nin; k++)
      uses[t->ins[I->in_off + (size_t)k]]++;
  }
  return uses;
}

static bool forwardable(const Tape *t, const uint32_t *uses, TapeSlot s) {
  const Slot *x = &t->slots[s];
  return x->kind == SLOT_VALUE && x->dep && uses[s] == 1;
}

/* Adjoint forwarding: when an operand of ADD (either side) or SUB (the
 * left side) has as many elements as the output (so the output's grid)
 * and no other reader, its adjoint is the output's adjoint, so it shares
 * that memory and the reverse pass skips it: y ~ Normal(X beta + alpha,
 * s) then costs no pass over N for the ADD's X beta side. Such slots need
 * no adjoint storage of their own. */
static void mark_forward(Tape *t, const uint32_t *uses) {
  for (size_t i = 0; i < t->ninstr; i++) {
    Instr *I = &t->instrs[i];
    if (!I->live || !I->dep || I->fused < 0 ||
        (I->op != TAPE_ADD && I->op != TAPE_SUB))
      continue;
    const size_t n = t->slots[I->out].len;
    if (t->slots[I->a].len == n && forwardable(t, uses, I->a)) {
      t->slots[I->a].fwd = I->out;
      I->fwd |= 1;
    }
    if (I->op == TAPE_ADD && t->slots[I->b].len == n &&
        forwardable(t, uses, I->b)) {
      t->slots[I->b].fwd = I->out;
      I->fwd |= 2;
    }
  }
}

/* Offsets into the value buffer: the slots with adjoints of their own
 * first, so that adjoints are the first nadj doubles. */
static void lay_out(Tape *t) {
  size_t off = align_up(t->dim);
  for (int pass = 0; pass < 2; pass++) {
    for (size_t s = 0; s < t->nslots; s++) {
      Slot *x = &t->slots[s];
      const bool own_adj = x->dep && x->fwd == TAPE_NONE && !x->noadj;
      const bool stored = x->kind == SLOT_VALUE || x->kind == SLOT_INPUT;
      if (!stored || own_adj != (pass == 0))
        continue;
      x->off = off;
      off = align_up(off + x->len);
    }
    if (pass == 0)
      t->nadj = off;
  }
  t->nval = off;
}

/* Fusion (tape_fuse.c): describes the instructions and slots to the
 * planner and applies its plan: DISTs evaluated by fused programs,
 * instructions absorbed into them (they leave run_live; tape_forward still
 * runs them), and their outputs, which need no adjoint. */
static void fuse(Tape *t, const uint32_t *uses) {
  FuseInstr *fi = xcalloc(t->ninstr, sizeof *fi);
  FuseSlot *fs = xcalloc(t->nslots, sizeof *fs);
  int32_t *mark = xcalloc(t->ninstr, sizeof *mark);
  bool *noadj = xcalloc(t->nslots, sizeof *noadj);
  for (size_t s = 0; s < t->nslots; s++) {
    const Slot *x = &t->slots[s];
    fs[s] = (FuseSlot){.len = x->len,
                       .dep = x->dep,
                       .data = x->kind == SLOT_CONST ? t->pool + x->off : NULL,
                       .alias = x->kind == SLOT_ALIAS ? x->src : TAPE_NONE,
                       .instr = -1,
                       .uses = uses[s]};
  }
  for (size_t i = 0; i < t->ninstr; i++) {
    const Instr *I = &t->instrs[i];
    const bool gather = I->op == TAPE_GATHER && I->naux > 0;
    fi[i] = (FuseInstr){.op = I->op,
                        .live = I->live,
                        .dep = I->dep,
                        .out = I->out,
                        .nin = I->nin,
                        .in = I->nin > 0 ? t->ins + I->in_off : NULL,
                        .idx = gather ? t->idx + I->aux_off : NULL,
                        .naux = I->naux,
                        .family = I->family};
    fs[I->out].instr = (int32_t)i;
  }
  t->fusion = tape_fuse_plan(fi, t->ninstr, fs, t->nslots, t->out, mark, noadj);
  for (size_t i = 0; i < t->ninstr; i++) {
    Instr *I = &t->instrs[i];
    I->fused = mark[i];
    if (I->fused > 0) { /* a DIST has no scratch of its own: give it some */
      I->scratch_off = t->nscratch;
      t->nscratch += align_up(tape_fuse_scratch(t->fusion, I->fused - 1));
    }
  }
  for (size_t s = 0; s < t->nslots; s++)
    t->slots[s].noadj = noadj[s];
  free(fi);
  free(fs);
  free(mark);
  free(noadj);
}

void tape_finish(Tape *t) {
  ASSERT(!t->finished);
  ASSERT(t->ninstr <= UINT32_MAX);
  t->finished = true;
  bool *live_slot = xcalloc(t->nslots, sizeof *live_slot);
  mark_live(t, live_slot);
  free(live_slot);
  uint32_t *uses = count_uses(t);
  mark_unit(t, uses);
  if (!t->nofuse)
    fuse(t, uses);
  mark_forward(t, uses);
  free(uses);
  lay_out(t);
  t->run_const = xcalloc(t->ninstr, sizeof *t->run_const);
  t->run_dep = xcalloc(t->ninstr, sizeof *t->run_dep);
  t->run_live = xcalloc(t->ninstr, sizeof *t->run_live);
  t->run_rev = xcalloc(t->ninstr, sizeof *t->run_rev);
  for (size_t i = 0; i < t->ninstr; i++) {
    const Instr *I = &t->instrs[i];
    if (is_alias(t, I))
      continue;
    if (!I->var)
      t->run_const[t->nrun_const++] = (uint32_t)i;
    else
      t->run_dep[t->nrun_dep++] = (uint32_t)i;
    if (I->var && I->live && I->fused >= 0)
      t->run_live[t->nrun_live++] = (uint32_t)i;
    if (I->dep && I->live && !I->unit && I->fused >= 0)
      t->run_rev[t->nrun_rev++] = (uint32_t)i;
  }
}

/* ---- inspecting ---------------------------------------------------------- */

size_t tape_dim(const Tape *t) { return t->dim; }
size_t tape_nslots(const Tape *t) { return t->nslots; }
size_t tape_ninstr(const Tape *t) { return t->ninstr; }

size_t tape_shape(const Tape *t, TapeSlot s, int *ndim, size_t *rows,
                  size_t *cols) {
  const Slot *x = slot_at(t, s);
  if (ndim)
    *ndim = x->ndim;
  if (rows)
    *rows = x->rows;
  if (cols)
    *cols = x->cols;
  return x->len;
}

bool tape_depends(const Tape *t, TapeSlot s) { return slot_at(t, s)->dep; }

void tape_set_fusion(Tape *t, bool on) {
  ASSERT(!t->finished);
  t->nofuse = !on;
}

size_t tape_nfused(const Tape *t) { return tape_fuse_count(t->fusion); }

/* ---- elementwise kernels ------------------------------------------------- */

/* Strides of a general broadcast: element (i, j) of the output grid reads
 * a[i * ars + j * acs] and b[i * brs + j * bcs]. */
typedef struct Grid {
  size_t rows, cols;
  size_t ars, acs, brs, bcs;
} Grid;

static void strides(const Slot *x, size_t *rs, size_t *cs) {
  *rs = x->grows == 1 ? 0 : x->gcols;
  *cs = x->gcols == 1 ? 0 : 1;
}

static Grid grid_of(const Tape *t, const Instr *I) {
  const Slot *o = &t->slots[I->out];
  Grid g = {.rows = o->grows, .cols = o->gcols};
  strides(&t->slots[I->a], &g.ars, &g.acs);
  if (I->b != TAPE_NONE)
    strides(&t->slots[I->b], &g.brs, &g.bcs);
  return g;
}

/* Y[k] = EXPR(a, b) over the output, for each broadcasting mode. Needs
 * A, B, Y, n, I and t in scope. */
#define BIN_FWD(EXPR)                                                          \
  do {                                                                         \
    switch (I->mode) {                                                         \
    case BC_SAME:                                                              \
      for (size_t k = 0; k < n; k++) {                                         \
        const double a = A[k], b = B[k];                                       \
        Y[k] = (EXPR);                                                         \
      }                                                                        \
      break;                                                                   \
    case BC_SA: {                                                              \
      const double a = A[0];                                                   \
      for (size_t k = 0; k < n; k++) {                                         \
        const double b = B[k];                                                 \
        Y[k] = (EXPR);                                                         \
      }                                                                        \
      break;                                                                   \
    }                                                                          \
    case BC_SB: {                                                              \
      const double b = B[0];                                                   \
      for (size_t k = 0; k < n; k++) {                                         \
        const double a = A[k];                                                 \
        Y[k] = (EXPR);                                                         \
      }                                                                        \
      break;                                                                   \
    }                                                                          \
    default: {                                                                 \
      const Grid gr = grid_of(t, I);                                           \
      for (size_t i = 0, k = 0; i < gr.rows; i++)                              \
        for (size_t j = 0; j < gr.cols; j++, k++) {                            \
          const double a = A[i * gr.ars + j * gr.acs];                         \
          const double b = B[i * gr.brs + j * gr.bcs];                         \
          Y[k] = (EXPR);                                                       \
        }                                                                      \
    }                                                                          \
    }                                                                          \
  } while (0)

/* One term of a reverse loop: a, b, y, g in scope for the partial D. */
#define REV_TERM(AK, BK)                                                       \
  const double a = (AK), b = (BK), y = Y[k], g = G[k];                         \
  (void)a, (void)b, (void)y

/* GX[XK] += D for every output element k (fast modes). */
#define REV_LOOP(GX, D, AK, BK, XK)                                            \
  do {                                                                         \
    for (size_t k = 0; k < n; k++) {                                           \
      REV_TERM(AK, BK);                                                        \
      GX[XK] += (D);                                                           \
    }                                                                          \
  } while (0)

/* GX[0] += the sum of D: the one-element side of a broadcast. SUM_LANES
 * partial sums break the chain of dependent additions (see sum_of). */
#define REV_SUM(GX, D, AK, BK)                                                 \
  do {                                                                         \
    double acc[SUM_LANES] = {0.0};                                             \
    size_t k0 = 0;                                                             \
    for (; k0 + SUM_LANES <= n; k0 += SUM_LANES)                               \
      for (size_t u = 0; u < SUM_LANES; u++) {                                 \
        const size_t k = k0 + u;                                               \
        REV_TERM(AK, BK);                                                      \
        acc[u] += (D);                                                         \
      }                                                                        \
    for (size_t k = k0; k < n; k++) {                                          \
      REV_TERM(AK, BK);                                                        \
      acc[0] += (D);                                                           \
    }                                                                          \
    GX[0] += (acc[0] + acc[1]) + (acc[2] + acc[3]);                            \
  } while (0)

/* General broadcast: GX[i * RS + j * CS] += D, RS and CS being the strides
 * of the input that GX belongs to. */
#define REV_GEN(GX, D, RS, CS)                                                 \
  do {                                                                         \
    const Grid gr = grid_of(t, I);                                             \
    for (size_t i = 0, k = 0; i < gr.rows; i++)                                \
      for (size_t j = 0; j < gr.cols; j++, k++) {                              \
        REV_TERM(A[i * gr.ars + j * gr.acs], B[i * gr.brs + j * gr.bcs]);      \
        GX[i * gr.RS + j * gr.CS] += (D);                                      \
      }                                                                        \
  } while (0)

/* Both inputs of a binary op: DA and DB are g times the partials in a and
 * b. The one-element operand of BC_SA / BC_SB is read once, before the
 * loop (it has an element: the mode implies it). */
#define BIN_REV(DA, DB)                                                        \
  do {                                                                         \
    switch (I->mode) {                                                         \
    case BC_SAME:                                                              \
      if (GA)                                                                  \
        REV_LOOP(GA, DA, A[k], B[k], k);                                       \
      if (GB)                                                                  \
        REV_LOOP(GB, DB, A[k], B[k], k);                                       \
      break;                                                                   \
    case BC_SA: {                                                              \
      const double a0 = A[0];                                                  \
      if (GA)                                                                  \
        REV_SUM(GA, DA, a0, B[k]);                                             \
      if (GB)                                                                  \
        REV_LOOP(GB, DB, a0, B[k], k);                                         \
      break;                                                                   \
    }                                                                          \
    case BC_SB: {                                                              \
      const double b0 = B[0];                                                  \
      if (GA)                                                                  \
        REV_LOOP(GA, DA, A[k], b0, k);                                         \
      if (GB)                                                                  \
        REV_SUM(GB, DB, A[k], b0);                                             \
      break;                                                                   \
    }                                                                          \
    default:                                                                   \
      if (GA)                                                                  \
        REV_GEN(GA, DA, ars, acs);                                             \
      if (GB)                                                                  \
        REV_GEN(GB, DB, brs, bcs);                                             \
    }                                                                          \
  } while (0)

/* d/da a^b = b a^(b-1), taken as 0 when b = 0 (a^0 = 1 for every a, so
 * 0 * 0^-1 must not give NaN). */
static inline double pow_da(double a, double b) {
  return b == 0.0 ? 0.0 : b * pow(a, b - 1.0);
}

/* d/db a^b = a^b log a, taken as 0 at a = 0 (the limit from b > 0). */
static inline double pow_db(double a, double y) {
  return a == 0.0 ? 0.0 : y * log(a);
}

static void fwd_binary(const Tape *t, const Instr *I, const double *A,
                       const double *B, double *Y, size_t n) {
  switch ((TapeOp)I->op) {
  case TAPE_ADD:
    BIN_FWD(a + b);
    break;
  case TAPE_SUB:
    BIN_FWD(a - b);
    break;
  case TAPE_MUL:
    BIN_FWD(a * b);
    break;
  case TAPE_DIV:
    BIN_FWD(a / b);
    break;
  case TAPE_POW:
    BIN_FWD(pow(a, b));
    break;
  default:
    PANIC("fwd_binary: not a binary op");
  }
}

static void rev_binary(const Tape *t, const Instr *I, const double *A,
                       const double *B, const double *Y, const double *G,
                       double *GA, double *GB, size_t n) {
  switch ((TapeOp)I->op) {
  case TAPE_ADD:
    BIN_REV(g, g);
    break;
  case TAPE_SUB:
    BIN_REV(g, -g);
    break;
  case TAPE_MUL:
    BIN_REV(g * b, g * a);
    break;
  case TAPE_DIV:
    BIN_REV(g / b, -g * y / b);
    break;
  case TAPE_POW:
    BIN_REV(g * pow_da(a, b), g * pow_db(a, y));
    break;
  default:
    PANIC("rev_binary: not a binary op");
  }
}

/* The logistic function, stable for large |a|. */
static inline double logistic(double a) {
  const double e = exp(-fabs(a));
  return a >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/* logistic'(a) = e / (1 + e)^2 with e = exp(-|a|): no cancellation in
 * 1 - logistic(a) for large a. */
static inline double logistic_d(double a) {
  const double e = exp(-fabs(a));
  return e / ((1.0 + e) * (1.0 + e));
}

/* A pole of Gamma: 0, -1, -2, ... */
static inline bool gamma_pole(double a) { return a <= 0.0 && a == floor(a); }

/* log|Gamma(a)|: +inf at the poles (as C's lgamma). The guards keep
 * arguments GSL rejects away from its error handler. */
static double lgamma_at(double a) {
  if (isnan(a) || a == INFINITY)
    return a;
  if (a == -INFINITY || gamma_pole(a))
    return INFINITY;
  return gsl_sf_lngamma(a);
}

/* psi(a) = d/da log Gamma(a); NaN at the poles. */
static double digamma_at(double a) {
  if (isnan(a) || a == INFINITY)
    return a;
  if (a == -INFINITY || gamma_pole(a))
    return NAN;
  return gsl_sf_psi(a);
}

/* psi'(a), the trigamma function; NaN at the poles. */
static double trigamma_at(double a) {
  if (isnan(a))
    return a;
  if (a == INFINITY)
    return 0.0;
  if (a == -INFINITY || gamma_pole(a))
    return NAN;
  return gsl_sf_psi_1(a);
}

/* c ? x : y without a branch: the piecewise-linear activations see signs
 * that a branch predictor cannot guess (half the units of a layer are
 * negative, at random), and a mispredicted branch per element cost more
 * than the rest of the loop. */
static inline double pick(bool c, double x, double y) {
  uint64_t bx, by;
  memcpy(&bx, &x, sizeof bx);
  memcpy(&by, &y, sizeof by);
  const uint64_t m = -(uint64_t)c;
  const uint64_t r = (bx & m) | (by & ~m);
  double out;
  memcpy(&out, &r, sizeof out);
  return out;
}

#define UN_FWD(EXPR)                                                           \
  do {                                                                         \
    for (size_t k = 0; k < n; k++) {                                           \
      const double a = A[k];                                                   \
      Y[k] = (EXPR);                                                           \
    }                                                                          \
  } while (0)

#define UN_REV(EXPR)                                                           \
  do {                                                                         \
    for (size_t k = 0; k < n; k++) {                                           \
      const double a = A[k], y = Y[k], g = G[k];                               \
      (void)a, (void)y, (void)g;                                               \
      GA[k] += (EXPR);                                                         \
    }                                                                          \
  } while (0)

/* The elementwise unary ops: X(NAME, value in a, g times derivative in a, y
 * and g). alpha is LEAKY_RELU's slope. */
/* clang-format off */
#define UNARY_OPS(X)                                                        \
  X(NEG, -a, -g)                                                            \
  X(EXP, exp(a), g * y)                                                     \
  X(LOG, log(a), g / a)                                                     \
  X(LOG1P, log1p(a), g / (1.0 + a))                                         \
  X(EXPM1, expm1(a), g * (y + 1.0))                                         \
  X(SQRT, sqrt(a), 0.5 * g / y)                                             \
  X(SQUARE, a * a, 2.0 * g * a)                                             \
  X(ABS, fabs(a), a > 0.0 ? g : a < 0.0 ? -g : 0.0)                         \
  X(LGAMMA, lgamma_at(a), g * digamma_at(a))                                \
  X(DIGAMMA, digamma_at(a), g * trigamma_at(a))                             \
  X(LOGISTIC, logistic(a), g * logistic_d(a))                               \
  X(LOG_LOGISTIC, fmin(a, 0.0) - log1p(exp(-fabs(a))), g * logistic(-a))    \
  X(SOFTPLUS, fmax(a, 0.0) + log1p(exp(-fabs(a))), g * logistic(a))         \
  X(TANH, tanh(a), g * (1.0 - y * y))                                       \
  X(SIN, sin(a), g * cos(a))                                                \
  X(COS, cos(a), -g * sin(a))                                               \
  X(ERF, erf(a), g * M_2_SQRTPI * exp(-a * a))                              \
  X(PHI, 0.5 * erfc(-a * M_SQRT1_2), g * INV_SQRT_2PI * exp(-0.5 * a * a))  \
  X(RELU, pick(a < 0.0, 0.0, a), pick(a > 0.0, g, 0.0))                     \
  X(LEAKY_RELU, a * pick(a > 0.0, 1.0, alpha), g * pick(a > 0.0, 1.0, alpha)) \
  X(ELU, a > 0.0 ? a : expm1(a), a > 0.0 ? g : g * (y + 1.0))             \
  X(STEP, pick(a > 0.0, 1.0, alpha), 0.0)
/* clang-format on */

static void fwd_unary(const Instr *I, const double *A, double *Y, size_t n) {
  const double alpha = I->alpha;
  (void)alpha;
  switch ((TapeOp)I->op) {
#define X(name, value, deriv)                                                  \
  case TAPE_##name:                                                            \
    UN_FWD(value);                                                             \
    break;
    UNARY_OPS(X)
#undef X
  default:
    PANIC("fwd_unary: not a unary op");
  }
}

static void rev_unary(const Instr *I, const double *A, const double *Y,
                      const double *G, double *GA, size_t n) {
  const double alpha = I->alpha;
  (void)alpha;
  switch ((TapeOp)I->op) {
#define X(name, value, deriv)                                                  \
  case TAPE_##name:                                                            \
    UN_REV(deriv);                                                             \
    break;
    UNARY_OPS(X)
#undef X
  default:
    PANIC("rev_unary: not a unary op");
  }
}

/* ---- reductions and rearrangements --------------------------------------- */

/* The sum of x[0 .. n) in SUM_LANES interleaved partial sums, so that the
 * additions do not wait on each other (a single running sum is bound by
 * the latency of one addition per element; -O2 may not reassociate). */
static double sum_of(const double *x, size_t n) {
  double acc[SUM_LANES] = {0.0};
  size_t k0 = 0;
  for (; k0 + SUM_LANES <= n; k0 += SUM_LANES)
    for (size_t u = 0; u < SUM_LANES; u++)
      acc[u] += x[k0 + u];
  for (size_t k = k0; k < n; k++)
    acc[0] += x[k];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

/* Whether every x[k] is finite: x * 0 is 0 for a finite x and NaN for an
 * infinite or NaN one, summed in SUM_LANES lanes (a branch per element
 * cost more than the copy beside it). */
static bool all_finite(const double *x, size_t n) {
  double acc[SUM_LANES] = {0.0};
  size_t k0 = 0;
  for (; k0 + SUM_LANES <= n; k0 += SUM_LANES)
    for (size_t u = 0; u < SUM_LANES; u++)
      acc[u] += x[k0 + u] * 0.0;
  for (size_t k = k0; k < n; k++)
    acc[0] += x[k] * 0.0;
  return (acc[0] + acc[1]) + (acc[2] + acc[3]) == 0.0;
}

static void add_scalar(double *gx, double g, size_t n) {
  for (size_t k = 0; k < n; k++)
    gx[k] += g;
}

/* log sum exp(x), shifted by the largest element m (Blanchard, Higham &
 * Higham 2021, Accurately computing the log-sum-exp and softmax
 * functions). -inf for an empty x or when every element is -inf; NaN
 * propagates through the sum. Keeps m and log(sum exp(x - m)) in
 * shift[0..1], so the reverse pass gets softmax(x) = exp(x - m - shift[1])
 * without the rounding of the large result. */
static double logsumexp(const double *x, size_t n, double shift[2]) {
  double m = -INFINITY;
  for (size_t k = 0; k < n; k++)
    if (x[k] > m)
      m = x[k];
  shift[0] = m;
  shift[1] = 0.0;
  if (isinf(m))
    return n > 0 && isnan(sum_of(x, n)) ? NAN : m;
  double s = 0.0;
  for (size_t k = 0; k < n; k++)
    s += exp(x[k] - m);
  shift[1] = log(s);
  return m + shift[1];
}

static void sum_rows_fwd(const double *x, size_t r, size_t c, double *y) {
  memset(y, 0, c * sizeof *y);
  for (size_t i = 0; i < r; i++)
    for (size_t j = 0; j < c; j++)
      y[j] += x[i * c + j];
}

static void sum_cols_fwd(const double *x, size_t r, size_t c, double *y) {
  for (size_t i = 0; i < r; i++)
    y[i] = sum_of(x + i * c, c);
}

static void transpose_fwd(const double *x, size_t r, size_t c, double *y) {
  for (size_t i = 0; i < r; i++)
    for (size_t j = 0; j < c; j++)
      y[j * r + i] = x[i * c + j];
}

/* gx (r x c) += transpose of g (c x r). */
static void transpose_rev(const double *g, size_t r, size_t c, double *gx) {
  for (size_t i = 0; i < r; i++)
    for (size_t j = 0; j < c; j++)
      gx[i * c + j] += g[j * r + i];
}

/* BROADCAST: y (the output grid) from x, and its reverse. */
static void broadcast_fwd(const Tape *t, const Instr *I, const double *x,
                          double *y, size_t n) {
  if (I->mode == BC_SAME) {
    memcpy(y, x, n * sizeof *y);
  } else if (I->mode == BC_SA) {
    for (size_t k = 0; k < n; k++)
      y[k] = x[0];
  } else {
    const Grid gr = grid_of(t, I);
    for (size_t i = 0, k = 0; i < gr.rows; i++)
      for (size_t j = 0; j < gr.cols; j++, k++)
        y[k] = x[i * gr.ars + j * gr.acs];
  }
}

static void broadcast_rev(const Tape *t, const Instr *I, const double *g,
                          double *gx, size_t n) {
  if (I->mode == BC_SAME) {
    for (size_t k = 0; k < n; k++)
      gx[k] += g[k];
  } else if (I->mode == BC_SA) {
    gx[0] += sum_of(g, n);
  } else {
    const Grid gr = grid_of(t, I);
    for (size_t i = 0, k = 0; i < gr.rows; i++)
      for (size_t j = 0; j < gr.cols; j++, k++)
        gx[i * gr.ars + j * gr.acs] += g[k];
  }
}

/* ---- linear algebra ------------------------------------------------------ */

/* Cholesky factor of the b x b block D (leading dimension lda) in place,
 * reading its lower triangle: the unblocked Cholesky–Banachiewicz order.
 * False when a pivot is not positive (NaN included). */
static bool chol_unblocked(double *D, size_t b, size_t lda) {
  for (size_t j = 0; j < b; j++) {
    double *rj = D + j * lda;
    double d = rj[j];
    for (size_t k = 0; k < j; k++)
      d -= rj[k] * rj[k];
    if (!(d > 0.0))
      return false;
    d = sqrt(d);
    rj[j] = d;
    for (size_t i = j + 1; i < b; i++) {
      double *ri = D + i * lda;
      double s = ri[j];
      for (size_t k = 0; k < j; k++)
        s -= ri[k] * rj[k];
      ri[j] = s / d;
    }
  }
  return true;
}

/* L = chol(A) for the n x n row-major A (lower triangle read; the upper
 * triangle of L is zero). Right-looking blocked algorithm: factor a
 * diagonal block, solve the panel below it (dtrsm), update the trailing
 * matrix (dsyrk) — Golub & Van Loan (2013), Matrix Computations, 4th ed.,
 * Algorithm 4.2.4. False when A is not positive definite. */
static bool chol_factor(const BlasFns *bl, const double *A, double *L,
                        size_t n) {
  for (size_t i = 0; i < n; i++) {
    memcpy(L + i * n, A + i * n, (i + 1) * sizeof *L);
    memset(L + i * n + i + 1, 0, (n - i - 1) * sizeof *L);
  }
  const int ld = (int)n;
  for (size_t k = 0; k < n; k += CHOL_BLOCK) {
    const size_t b = n - k < CHOL_BLOCK ? n - k : CHOL_BLOCK;
    const size_t m = n - k - b;
    double *D = L + k * n + k;
    if (!chol_unblocked(D, b, n))
      return false;
    if (m == 0)
      break;
    double *C = D + b * n;
    bl->dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit,
              (int)m, (int)b, 1.0, D, ld, C, ld);
    bl->dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, (int)m, (int)b, -1.0, C,
              ld, 1.0, C + b, ld);
  }
  return true;
}

/* Reverse of chol_unblocked on one b x b block: on entry Dbar holds the
 * adjoint of the factor D (lower triangle), on exit the adjoint of the
 * block it came from (lower triangle; a change to A[i][j], i > j, is read
 * as the same change to A[j][i]). Murray (2016), chol_unblocked_rev. */
static void chol_unblocked_rev(const double *D, double *Dbar, size_t b,
                               size_t lda) {
  for (size_t j = b; j-- > 0;) {
    const double *r = D + j * lda;
    double *rbar = Dbar + j * lda;
    const double d = r[j];
    double dbar = rbar[j];
    for (size_t i = j + 1; i < b; i++)
      dbar -= D[i * lda + j] * Dbar[i * lda + j] / d;
    dbar /= d;
    for (size_t k = 0; k < j; k++)
      rbar[k] -= dbar * r[k];
    for (size_t i = j + 1; i < b; i++) {
      const double *Bi = D + i * lda;
      double *Bbar_i = Dbar + i * lda;
      const double cbar = Bbar_i[j] / d;
      Bbar_i[j] = cbar;
      for (size_t k = 0; k < j; k++) {
        rbar[k] -= cbar * Bi[k];
        Bbar_i[k] -= cbar * r[k];
      }
    }
    rbar[j] = dbar / 2.0;
  }
}

/* W (n x n, lower triangle): on entry the adjoint of L = chol(A), on exit
 * the adjoint of A's lower triangle. Murray (2016), chol_blocked_rev:
 * blocks from the last to the first; T is scratch for one block. */
static void chol_rev(const BlasFns *bl, const double *L, double *W, double *T,
                     size_t n) {
  const int ld = (int)n;
  for (size_t end = n; end > 0;) {
    const size_t b = (end - 1) % CHOL_BLOCK + 1, j = end - b, m = n - end;
    const double *R = L + j * n, *D = R + j, *B = L + end * n, *C = B + j;
    double *Rbar = W + j * n, *Dbar = Rbar + j, *Bbar = W + end * n,
           *Cbar = Bbar + j;
    if (m > 0) {
      bl->dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans,
                CblasNonUnit, (int)m, (int)b, 1.0, D, ld, Cbar, ld);
      if (j > 0)
        bl->dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)j,
                  (int)b, -1.0, Cbar, ld, R, ld, 1.0, Bbar, ld);
      bl->dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)b, (int)b, (int)m,
                1.0, Cbar, ld, C, ld, 0.0, T, (int)b);
      for (size_t p = 0; p < b; p++)
        for (size_t q = 0; q <= p; q++)
          Dbar[p * n + q] -= T[p * b + q];
    }
    chol_unblocked_rev(D, Dbar, b, n);
    if (j > 0) {
      if (m > 0)
        bl->dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)b, (int)j,
                  (int)m, -1.0, Cbar, ld, B, ld, 1.0, Rbar, ld);
      /* Rbar -= (Dbar + Dbar^T) R: dsymm reads the lower triangle of a
       * symmetric matrix whose diagonal is 2 diag(Dbar). */
      for (size_t p = 0; p < b; p++)
        Dbar[p * n + p] *= 2.0;
      bl->dsymm(CblasRowMajor, CblasLeft, CblasLower, (int)b, (int)j, -1.0,
                Dbar, ld, R, ld, 1.0, Rbar, ld);
      for (size_t p = 0; p < b; p++)
        Dbar[p * n + p] /= 2.0;
    }
    end = j;
  }
}

/* x = L \ b for lower-triangular L (n x n; lower triangle read), b a vector
 * of n or an n x k matrix, written over x. */
static void tri_solve(const BlasFns *bl, const double *L, size_t n, double *x,
                      size_t k, bool vector, enum CBLAS_TRANSPOSE trans) {
  if (n == 0 || k == 0)
    return;
  if (vector)
    bl->dtrsv(CblasRowMajor, CblasLower, trans, CblasNonUnit, (int)n, L, (int)n,
              x, 1);
  else
    bl->dtrsm(CblasRowMajor, CblasLeft, CblasLower, trans, CblasNonUnit, (int)n,
              (int)k, 1.0, L, (int)n, x, (int)k);
}

/* ---- the sweeps ---------------------------------------------------------- */

static inline const Slot *slot_of(const TapeState *st, TapeSlot s) {
  return &st->t->slots[s];
}

static inline TapeSlot input(const TapeState *st, const Instr *I, int k) {
  return st->t->ins[I->in_off + (size_t)k];
}

static void cholesky_fwd(TapeState *st, const Instr *I, double *y) {
  const size_t n = slot_of(st, I->a)->rows;
  if (chol_factor(st->bl, st->v[I->a], y, n))
    return;
  st->failed = true;
  for (size_t k = 0; k < n * n; k++)
    y[k] = NAN;
}

static void cholesky_rev(TapeState *st, const Instr *I, const double *g,
                         double *ga) {
  const size_t n = slot_of(st, I->a)->rows;
  double *W = st->scratch + I->scratch_off, *T = W + n * n;
  for (size_t i = 0; i < n; i++) {
    memcpy(W + i * n, g + i * n, (i + 1) * sizeof *W);
    memset(W + i * n + i + 1, 0, (n - i - 1) * sizeof *W);
  }
  chol_rev(st->bl, st->v[I->out], W, T, n);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j <= i; j++)
      ga[i * n + j] += W[i * n + j];
}

static void tri_solve_fwd(TapeState *st, const Instr *I, double *y) {
  const Slot *r = slot_of(st, I->b);
  memcpy(y, st->v[I->b], r->len * sizeof *y);
  tri_solve(st->bl, st->v[I->a], r->rows, y, r->cols, r->ndim == 1,
            CblasNoTrans);
}

/* x = L \ b:  bbar += L^-T xbar;  Lbar -= tril((L^-T xbar) x^T)
 * (Giles 2008, section 2.3.1). */
static void tri_solve_rev(TapeState *st, const Instr *I, const double *g,
                          double *gl, double *gb) {
  const Slot *r = slot_of(st, I->b);
  const size_t n = r->rows, k = r->cols;
  const double *L = st->v[I->a], *x = st->v[I->out];
  double *u = st->scratch + I->scratch_off;
  memcpy(u, g, r->len * sizeof *u);
  tri_solve(st->bl, L, n, u, k, r->ndim == 1, CblasTrans);
  if (gb)
    for (size_t i = 0; i < r->len; i++)
      gb[i] += u[i];
  if (!gl || k == 0)
    return;
  for (size_t i = 0; i < n; i++) {
    if (r->ndim == 1)
      st->bl->daxpy((int)(i + 1), -u[i], x, 1, gl + i * n, 1);
    else
      st->bl->dgemv(CblasRowMajor, CblasNoTrans, (int)(i + 1), (int)k, -1.0, x,
                    (int)k, u + i * k, 1, 1.0, gl + i * n, 1);
  }
}

static void matvec_fwd(const TapeState *st, const Instr *I, double *y) {
  const Slot *m = slot_of(st, I->a);
  if (m->rows == 0)
    return;
  if (m->cols == 0) {
    memset(y, 0, m->rows * sizeof *y);
    return;
  }
  st->bl->dgemv(CblasRowMajor, CblasNoTrans, (int)m->rows, (int)m->cols, 1.0,
                st->v[I->a], (int)m->cols, st->v[I->b], 1, 0.0, y, 1);
}

/* y = M x:  Mbar += g x^T;  xbar += M^T g. */
static void matvec_rev(const TapeState *st, const Instr *I, const double *g,
                       double *gm, double *gx) {
  const Slot *m = slot_of(st, I->a);
  const int r = (int)m->rows, c = (int)m->cols;
  if (r == 0 || c == 0)
    return;
  if (gm)
    st->bl->dger(CblasRowMajor, r, c, 1.0, g, 1, st->v[I->b], 1, gm, c);
  if (gx)
    st->bl->dgemv(CblasRowMajor, CblasTrans, r, c, 1.0, st->v[I->a], c, g, 1,
                  1.0, gx, 1);
}

static void matmul_fwd(const TapeState *st, const Instr *I, double *y) {
  const Slot *x = slot_of(st, I->a), *z = slot_of(st, I->b);
  const int r = (int)x->rows, k = (int)x->cols, c = (int)z->cols;
  if (r == 0 || c == 0)
    return;
  if (k == 0) {
    memset(y, 0, (size_t)r * (size_t)c * sizeof *y);
    return;
  }
  st->bl->dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, c, k, 1.0,
                st->v[I->a], k, st->v[I->b], c, 0.0, y, c);
}

/* Y = A B:  Abar += G B^T;  Bbar += A^T G. */
static void matmul_rev(const TapeState *st, const Instr *I, const double *g,
                       double *ga, double *gb) {
  const Slot *x = slot_of(st, I->a), *z = slot_of(st, I->b);
  const int r = (int)x->rows, k = (int)x->cols, c = (int)z->cols;
  if (r == 0 || c == 0 || k == 0)
    return;
  if (ga)
    st->bl->dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r, k, c, 1.0, g, c,
                  st->v[I->b], c, 1.0, ga, k);
  if (gb)
    st->bl->dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, c, r, 1.0,
                  st->v[I->a], k, g, c, 1.0, gb, c);
}

/* Y = X W + 1 b^T: b copied into every row, then one dgemm adding X W. */
static void affine_fwd(const TapeState *st, const Instr *I, double *y) {
  const Slot *x = slot_of(st, I->a), *w = slot_of(st, I->b);
  const int r = (int)x->rows, k = (int)x->cols, c = (int)w->cols;
  const double *bias = st->v[input(st, I, 2)];
  for (int i = 0; i < r; i++)
    memcpy(y + (size_t)i * (size_t)c, bias, (size_t)c * sizeof *y);
  if (r == 0 || c == 0 || k == 0)
    return;
  st->bl->dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, c, k, 1.0,
                st->v[I->a], k, st->v[I->b], c, 1.0, y, c);
}

/* Y = X W + 1 b^T:  Xbar += G W^T;  Wbar += X^T G;  bbar += G^T 1 (the
 * column sums of G, by dgemv against ones in the scratch). */
static void affine_rev(const TapeState *st, const Instr *I, const double *g,
                       double *gx, double *gw) {
  const Slot *x = slot_of(st, I->a), *w = slot_of(st, I->b);
  const int r = (int)x->rows, k = (int)x->cols, c = (int)w->cols;
  double *gb = st->a[input(st, I, 2)];
  if (r == 0 || c == 0)
    return;
  if (gx && k > 0)
    st->bl->dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r, k, c, 1.0, g, c,
                  st->v[I->b], c, 1.0, gx, k);
  if (gw && k > 0)
    st->bl->dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, c, r, 1.0,
                  st->v[I->a], k, g, c, 1.0, gw, c);
  if (!gb)
    return;
  double *ones = st->scratch + I->scratch_off;
  for (int i = 0; i < r; i++)
    ones[i] = 1.0;
  st->bl->dgemv(CblasRowMajor, CblasTrans, r, c, 1.0, g, c, ones, 1, 1.0, gb,
                1);
}

/* softplus(z) - y z = -[y log s(z) + (1 - y) log(1 - s(z))], s the
 * logistic function, without overflow or cancellation for any z (the
 * form PyTorch's BCEWithLogitsLoss uses). */
static inline double bce_logits1(double z, double y) {
  return fmax(z, 0.0) - y * z + log1p(exp(-fabs(z)));
}

static inline double sq_err1(double a, double b) {
  return (a - b) * (a - b);
}

/* KL(N(mu, exp(lv)) || N(0, 1)) (Kingma & Welling 2014, appendix B). */
static inline double gauss_kl1(double mu, double lv) {
  return 0.5 * (mu * mu + exp(lv) - 1.0 - lv);
}

/* NAME(A, B, nb, n): the sum over k of F(A[k], B[k]) where B has one
 * element (nb = 1) or n; SUM_LANES partial sums (see sum_of). */
#define PAIR_SUM(NAME, F)                                                      \
  static double NAME(const double *A, const double *B, size_t nb, size_t n) { \
    double acc[SUM_LANES] = {0.0};                                             \
    const size_t sb = nb == 1 ? 0 : 1;                                         \
    size_t k0 = 0;                                                             \
    for (; k0 + SUM_LANES <= n; k0 += SUM_LANES)                               \
      for (size_t u = 0; u < SUM_LANES; u++)                                   \
        acc[u] += F(A[k0 + u], B[(k0 + u) * sb]);                              \
    for (size_t k = k0; k < n; k++)                                            \
      acc[0] += F(A[k], B[k * sb]);                                            \
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);                              \
  }

PAIR_SUM(bce_logits_sum, bce_logits1)
PAIR_SUM(sq_err_sum, sq_err1)
PAIR_SUM(gauss_kl_sum, gauss_kl1)

static double loss_fwd(const TapeState *st, const Instr *I) {
  const size_t n = slot_of(st, I->a)->len, nb = slot_of(st, I->b)->len;
  const double *A = st->v[I->a], *B = st->v[I->b];
  switch ((TapeOp)I->op) {
  case TAPE_BCE_LOGITS:
    return I->alpha * bce_logits_sum(A, B, nb, n);
  case TAPE_SQ_ERR:
    return I->alpha * sq_err_sum(A, B, nb, n);
  default:
    return I->alpha * gauss_kl_sum(A, B, nb, n);
  }
}

/* The partials of the losses times c = g alpha: BCE_LOGITS: s(z) - y and
 * -z; SQ_ERR: 2 (a - b) and its negative; GAUSS_KL: mu and (exp(lv) -
 * 1) / 2. b's adjoint (one element or n) gets the sum or each term. */
static void loss_rev(const TapeState *st, const Instr *I, double g,
                     double *ga, double *gb) {
  const size_t n = slot_of(st, I->a)->len;
  const size_t sb = slot_of(st, I->b)->len == 1 ? 0 : 1;
  const double *A = st->v[I->a], *B = st->v[I->b], c = g * I->alpha;
  for (size_t k = 0; k < n; k++) {
    const double a = A[k], b = B[k * sb];
    double da, db;
    switch ((TapeOp)I->op) {
    case TAPE_BCE_LOGITS:
      da = logistic(a) - b;
      db = -a;
      break;
    case TAPE_SQ_ERR:
      da = 2.0 * (a - b);
      db = -da;
      break;
    default:
      da = a;
      db = 0.5 * expm1(b);
    }
    if (ga)
      ga[k] += c * da;
    if (gb)
      gb[k * sb] += c * db;
  }
}

/* Each row of x (r x c) centred and scaled: y = (x - m) / sqrt(v + eps),
 * m and v the row's mean and (biased) variance; 1 / sqrt(v + eps) of each
 * row is kept in the scratch for the reverse pass (Ba, Kiros & Hinton
 * 2016, Layer normalization; eps as PyTorch's LayerNorm). */
static const double LAYER_NORM_EPS = 1e-5;

static void layer_norm_fwd(TapeState *st, const Instr *I, double *y) {
  const Slot *x = slot_of(st, I->a);
  const size_t r = x->rows, c = x->cols;
  double *inv = st->scratch + I->scratch_off;
  for (size_t i = 0; i < r; i++) {
    const double *xi = st->v[I->a] + i * c;
    double *yi = y + i * c;
    const double m = c > 0 ? sum_of(xi, c) / (double)c : 0.0;
    double v = 0.0;
    for (size_t j = 0; j < c; j++)
      v += (xi[j] - m) * (xi[j] - m);
    inv[i] = 1.0 / sqrt((c > 0 ? v / (double)c : 0.0) + LAYER_NORM_EPS);
    for (size_t j = 0; j < c; j++)
      yi[j] = (xi[j] - m) * inv[i];
  }
}

/* xbar += inv (g - mean(g) - y mean(g y)) row by row. */
static void layer_norm_rev(const TapeState *st, const Instr *I,
                           const double *g, double *gx) {
  const Slot *x = slot_of(st, I->a);
  const size_t r = x->rows, c = x->cols;
  const double *inv = st->scratch + I->scratch_off, *y = st->v[I->out];
  for (size_t i = 0; i < r; i++) {
    const double *gi = g + i * c, *yi = y + i * c;
    double gm = 0.0, gy = 0.0;
    for (size_t j = 0; j < c; j++) {
      gm += gi[j];
      gy += gi[j] * yi[j];
    }
    gm /= (double)c;
    gy /= (double)c;
    for (size_t j = 0; j < c; j++)
      gx[i * c + j] += inv[i] * (gi[j] - gm - yi[j] * gy);
  }
}

static void gather_fwd(const TapeState *st, const Instr *I, double *y) {
  const size_t *idx = st->t->idx + I->aux_off;
  const double *x = st->v[I->a];
  for (size_t i = 0; i < I->naux; i++)
    y[i] = x[idx[i]];
}

static void gather_rev(const TapeState *st, const Instr *I, const double *g,
                       double *gx) {
  const size_t *idx = st->t->idx + I->aux_off;
  for (size_t i = 0; i < I->naux; i++)
    gx[idx[i]] += g[i];
}

static void gather_rows_fwd(const TapeState *st, const Instr *I, double *y) {
  const size_t *idx = st->t->idx + I->aux_off;
  const size_t c = slot_of(st, I->a)->cols;
  for (size_t i = 0; i < I->naux; i++)
    memcpy(y + i * c, st->v[I->a] + idx[i] * c, c * sizeof *y);
}

static void gather_rows_rev(const TapeState *st, const Instr *I,
                            const double *g, double *gx) {
  const size_t *idx = st->t->idx + I->aux_off;
  const size_t c = slot_of(st, I->a)->cols;
  for (size_t i = 0; i < I->naux; i++) {
    double *row = gx + idx[i] * c;
    for (size_t j = 0; j < c; j++)
      row[j] += g[i * c + j];
  }
}

static void stack_fwd(const TapeState *st, const Instr *I, double *y) {
  for (int k = 0; k < I->nin; k++) {
    const TapeSlot s = input(st, I, k);
    const size_t len = slot_of(st, s)->len;
    memcpy(y, st->v[s], len * sizeof *y);
    y += len;
  }
}

static void stack_rev(const TapeState *st, const Instr *I, const double *g) {
  for (int k = 0; k < I->nin; k++) {
    const TapeSlot s = input(st, I, k);
    const size_t len = slot_of(st, s)->len;
    double *gx = st->a[s];
    if (gx)
      for (size_t i = 0; i < len; i++)
        gx[i] += g[i];
    g += len;
  }
}

static double log_diag_sum(const double *x, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += log(x[i * n + i]);
  return s;
}

static double sum_scalars(const TapeState *st, const Instr *I) {
  double s = 0.0;
  for (int k = 0; k < I->nin; k++)
    s += st->v[input(st, I, k)][0];
  return s;
}

/* Runs instruction I forward: its output from its inputs. */
static void forward(TapeState *st, const Instr *I) {
  const Tape *t = st->t;
  const Slot *o = &t->slots[I->out];
  double *y = st->val + o->off;
  const double *A = I->a != TAPE_NONE ? st->v[I->a] : NULL;
  const size_t n = o->len;
  switch ((TapeOp)I->op) {
  case TAPE_ADD:
  case TAPE_SUB:
  case TAPE_MUL:
  case TAPE_DIV:
  case TAPE_POW:
    fwd_binary(t, I, A, st->v[I->b], y, n);
    break;
  case TAPE_SUM:
    y[0] = sum_of(A, slot_of(st, I->a)->len);
    break;
  case TAPE_SUM_ROWS:
    sum_rows_fwd(A, slot_of(st, I->a)->rows, slot_of(st, I->a)->cols, y);
    break;
  case TAPE_SUM_COLS:
    sum_cols_fwd(A, slot_of(st, I->a)->rows, slot_of(st, I->a)->cols, y);
    break;
  case TAPE_LOGSUMEXP:
    y[0] = logsumexp(A, slot_of(st, I->a)->len, st->scratch + I->scratch_off);
    break;
  case TAPE_DOT:
    y[0] =
        slot_of(st, I->a)->len == 0
            ? 0.0
            : st->bl->ddot((int)slot_of(st, I->a)->len, A, 1, st->v[I->b], 1);
    break;
  case TAPE_MATVEC:
    matvec_fwd(st, I, y);
    break;
  case TAPE_MATMUL:
    matmul_fwd(st, I, y);
    break;
  case TAPE_AFFINE:
    affine_fwd(st, I, y);
    break;
  case TAPE_BCE_LOGITS:
  case TAPE_SQ_ERR:
  case TAPE_GAUSS_KL:
    y[0] = loss_fwd(st, I);
    break;
  case TAPE_LAYER_NORM:
    layer_norm_fwd(st, I, y);
    break;
  case TAPE_TRANSPOSE:
    transpose_fwd(A, slot_of(st, I->a)->rows, slot_of(st, I->a)->cols, y);
    break;
  case TAPE_GATHER:
    gather_fwd(st, I, y);
    break;
  case TAPE_GATHER_ROWS:
    gather_rows_fwd(st, I, y);
    break;
  case TAPE_STACK:
    stack_fwd(st, I, y);
    break;
  case TAPE_BROADCAST:
    broadcast_fwd(t, I, A, y, n);
    break;
  case TAPE_CHOLESKY:
    cholesky_fwd(st, I, y);
    break;
  case TAPE_TRI_SOLVE:
    tri_solve_fwd(st, I, y);
    break;
  case TAPE_LOG_DIAG_SUM:
    y[0] = log_diag_sum(A, slot_of(st, I->a)->rows);
    break;
  case TAPE_DIST:
    y[0] = I->fused > 0 ? tape_fuse_value(t->fusion, I->fused - 1, st->v)
                        : I->family->lpdf(st->views + I->view_off, 1.0, NULL);
    break;
  case TAPE_SUM_SCALARS:
    y[0] = sum_scalars(st, I);
    break;
  case TAPE_RESHAPE:
  case TAPE_COPY: /* aliases: never run */
  case TAPE_NOPS:
    PANIC("forward: an alias op was scheduled");
  default:
    fwd_unary(I, A, y, n);
  }
}

/* DIST in the forward sweep of tape_logp_grad when its output adjoint is
 * known to be 1: the family adds its partials straight into the inputs'
 * adjoints. */
static void dist_forward_grad(TapeState *st, const Instr *I) {
  double *y = st->val + st->t->slots[I->out].off;
  if (I->fused > 0)
    y[0] = tape_fuse_grad(st->t->fusion, I->fused - 1, st->v, st->a, 1.0,
                          st->scratch + I->scratch_off);
  else
    y[0] =
        I->family->lpdf(st->views + I->view_off, 1.0, st->grads + I->view_off);
}

/* Runs instruction I backwards: adds its output adjoint times its partials
 * into the adjoints of the inputs that depend on theta. */
static void reverse(TapeState *st, const Instr *I) {
  const Tape *t = st->t;
  const Slot *o = &t->slots[I->out];
  const size_t n = o->len;
  const double *G = st->a[I->out], *Y = st->v[I->out];
  ASSERT(I->a != TAPE_NONE); /* an op with no input never depends on theta */
  const double *A = st->v[I->a];
  double *GA = st->a[I->a];
  double *GB = I->b != TAPE_NONE ? st->a[I->b] : NULL;
  if (I->fwd & 1) /* shares the output's adjoint: nothing to add */
    GA = NULL;
  if (I->fwd & 2)
    GB = NULL;
  switch ((TapeOp)I->op) {
  case TAPE_ADD:
  case TAPE_SUB:
  case TAPE_MUL:
  case TAPE_DIV:
  case TAPE_POW:
    rev_binary(t, I, A, st->v[I->b], Y, G, GA, GB, n);
    break;
  case TAPE_SUM:
    add_scalar(GA, G[0], slot_of(st, I->a)->len);
    break;
  case TAPE_SUM_ROWS: {
    const size_t r = slot_of(st, I->a)->rows, c = slot_of(st, I->a)->cols;
    for (size_t i = 0; i < r; i++)
      for (size_t j = 0; j < c; j++)
        GA[i * c + j] += G[j];
    break;
  }
  case TAPE_SUM_COLS: {
    const size_t r = slot_of(st, I->a)->rows, c = slot_of(st, I->a)->cols;
    for (size_t i = 0; i < r; i++)
      add_scalar(GA + i * c, G[i], c);
    break;
  }
  case TAPE_LOGSUMEXP: {
    const double *shift = st->scratch + I->scratch_off;
    if (isfinite(Y[0]))
      for (size_t k = 0; k < slot_of(st, I->a)->len; k++)
        GA[k] += G[0] * exp(A[k] - shift[0] - shift[1]);
    break;
  }
  case TAPE_DOT: {
    const int len = (int)slot_of(st, I->a)->len;
    if (GA && len > 0)
      st->bl->daxpy(len, G[0], st->v[I->b], 1, GA, 1);
    if (GB && len > 0)
      st->bl->daxpy(len, G[0], A, 1, GB, 1);
    break;
  }
  case TAPE_MATVEC:
    matvec_rev(st, I, G, GA, GB);
    break;
  case TAPE_MATMUL:
    matmul_rev(st, I, G, GA, GB);
    break;
  case TAPE_AFFINE:
    affine_rev(st, I, G, GA, GB);
    break;
  case TAPE_BCE_LOGITS:
  case TAPE_SQ_ERR:
  case TAPE_GAUSS_KL:
    loss_rev(st, I, G[0], GA, GB);
    break;
  case TAPE_LAYER_NORM:
    layer_norm_rev(st, I, G, GA);
    break;
  case TAPE_TRANSPOSE:
    transpose_rev(G, slot_of(st, I->a)->rows, slot_of(st, I->a)->cols, GA);
    break;
  case TAPE_GATHER:
    gather_rev(st, I, G, GA);
    break;
  case TAPE_GATHER_ROWS:
    gather_rows_rev(st, I, G, GA);
    break;
  case TAPE_STACK:
    stack_rev(st, I, G);
    break;
  case TAPE_BROADCAST:
    broadcast_rev(t, I, G, GA, n);
    break;
  case TAPE_CHOLESKY:
    cholesky_rev(st, I, G, GA);
    break;
  case TAPE_TRI_SOLVE:
    tri_solve_rev(st, I, G, GA, GB);
    break;
  case TAPE_LOG_DIAG_SUM: {
    const size_t m = slot_of(st, I->a)->rows;
    for (size_t i = 0; i < m; i++)
      GA[i * m + i] += G[0] / A[i * m + i];
    break;
  }
  case TAPE_DIST:
    if (G[0] != 0.0 && I->fused > 0)
      tape_fuse_grad(t->fusion, I->fused - 1, st->v, st->a, G[0],
                     st->scratch + I->scratch_off);
    else if (G[0] != 0.0)
      I->family->lpdf(st->views + I->view_off, G[0], st->grads + I->view_off);
    break;
  case TAPE_SUM_SCALARS:
    for (int k = 0; k < I->nin; k++) {
      double *gx = st->a[input(st, I, k)];
      if (gx)
        gx[0] += G[0];
    }
    break;
  case TAPE_RESHAPE:
  case TAPE_COPY:
  case TAPE_NOPS:
    PANIC("reverse: an alias op was scheduled");
  default:
    if (GA)
      rev_unary(I, A, Y, G, GA, n);
  }
}

/* ---- evaluating ---------------------------------------------------------- */

/* Per-slot pointers into the state's buffers (constants: the tape's pool). */
static void bind_slots(TapeState *st) {
  const Tape *t = st->t;
  for (size_t s = 0; s < t->nslots; s++) {
    const Slot *x = &t->slots[s];
    switch ((SlotKind)x->kind) {
    case SLOT_THETA:
    case SLOT_PARAM:
    case SLOT_VALUE:
      st->v[s] = st->val + x->off;
      st->a[s] = x->dep && !x->noadj ? st->adj + x->off : NULL;
      break;
    case SLOT_CONST:
      st->v[s] = t->pool + x->off;
      st->a[s] = NULL;
      break;
    case SLOT_INPUT:
      st->v[s] = st->val + x->off;
      st->a[s] = NULL;
      break;
    case SLOT_ALIAS:
      break;
    }
  }
  /* Forwarded adjoints, last first: x -> y -> z all end at z's. */
  for (size_t s = t->nslots; s-- > 0;)
    if (t->slots[s].fwd != TAPE_NONE)
      st->a[s] = st->a[t->slots[s].fwd];
  for (size_t s = 0; s < t->nslots; s++) {
    const Slot *x = &t->slots[s];
    if (x->kind == SLOT_ALIAS) {
      st->v[s] = st->v[x->src];
      st->a[s] = st->a[x->src];
    }
  }
}

/* The DistTensor views and adjoint pointers of every DIST's inputs. */
static void bind_views(TapeState *st) {
  const Tape *t = st->t;
  for (size_t i = 0; i < t->ninstr; i++) {
    const Instr *I = &t->instrs[i];
    if (I->op != TAPE_DIST)
      continue;
    for (int k = 0; k < I->nin; k++) {
      const TapeSlot s = input(st, I, k);
      const Slot *x = &t->slots[s];
      st->views[I->view_off + (size_t)k] = (DistTensor){.data = st->v[s],
                                                        .len = x->len,
                                                        .ndim = x->ndim,
                                                        .rows = x->rows,
                                                        .cols = x->cols};
      st->grads[I->view_off + (size_t)k] = st->a[s];
    }
  }
}

TapeState *tape_state_alloc(const Tape *t) {
  ASSERT(t->finished);
  TapeState *st = xcalloc(1, sizeof *st);
  st->t = t;
  st->bl = blas();
  st->val = alloc_doubles(t->nval);
  st->adj = alloc_doubles(t->nadj);
  st->scratch = alloc_doubles(t->nscratch);
  st->v = xcalloc(t->nslots, sizeof *st->v);
  st->a = xcalloc(t->nslots, sizeof *st->a);
  st->views = xcalloc(t->nviews, sizeof *st->views);
  st->grads = xcalloc(t->nviews, sizeof *st->grads);
  bind_slots(st);
  bind_views(st);
  for (size_t i = 0; i < t->nrun_const; i++)
    forward(st, &t->instrs[t->run_const[i]]);
  st->const_failed = st->failed;
  return st;
}

void tape_state_free(TapeState *st) {
  if (!st)
    return;
  free(st->val);
  free(st->adj);
  free(st->scratch);
  free(st->v);
  free(st->a);
  free(st->views);
  free(st->grads);
  free(st);
}

static void load_theta(TapeState *st, const double *theta) {
  if (st->t->dim > 0)
    memcpy(st->val, theta, st->t->dim * sizeof *theta);
  st->failed = st->const_failed;
}

void tape_forward(TapeState *st, const double *theta) {
  const Tape *t = st->t;
  load_theta(st, theta);
  for (size_t i = 0; i < t->nrun_dep; i++)
    forward(st, &t->instrs[t->run_dep[i]]);
}

/* The output after a forward sweep: -INFINITY for NaN or a failed sweep. */
static double output_value(const TapeState *st) {
  ASSERT(st->t->out != TAPE_NONE);
  const double lp = st->v[st->t->out][0];
  return st->failed || isnan(lp) ? -INFINITY : lp;
}

double tape_logp(TapeState *st, const double *theta) {
  const Tape *t = st->t;
  load_theta(st, theta);
  for (size_t i = 0; i < t->nrun_live; i++)
    forward(st, &t->instrs[t->run_live[i]]);
  return output_value(st);
}

static double zero_grad(const Tape *t, double *grad, double lp) {
  if (t->dim > 0)
    memset(grad, 0, t->dim * sizeof *grad);
  return lp;
}

double tape_logp_grad(TapeState *st, const double *theta, double *grad) {
  const Tape *t = st->t;
  ASSERT(t->out != TAPE_NONE);
  load_theta(st, theta);
  memset(st->adj, 0, t->nadj * sizeof *st->adj);
  for (size_t i = 0; i < t->nrun_live; i++) {
    const Instr *I = &t->instrs[t->run_live[i]];
    if (I->unit)
      dist_forward_grad(st, I);
    else
      forward(st, I);
  }
  const double lp = output_value(st);
  if (lp == -INFINITY || !t->slots[t->out].dep)
    return zero_grad(t, grad, lp);
  st->a[t->out][0] += 1.0;
  for (size_t i = t->nrun_rev; i-- > 0;)
    reverse(st, &t->instrs[t->run_rev[i]]);
  if (t->dim > 0)
    memcpy(grad, st->adj, t->dim * sizeof *grad);
  if (!all_finite(grad, t->dim))
    return zero_grad(t, grad, -INFINITY);
  return lp;
}

const double *tape_value(const TapeState *st, TapeSlot s) {
  slot_at(st->t, s);
  return st->v[s];
}

double *tape_input_data(TapeState *st, TapeSlot s) {
  const Slot *x = slot_at(st->t, s);
  ASSERT(x->kind == SLOT_INPUT);
  return st->val + x->off;
}
