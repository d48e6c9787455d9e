/*
 * tape.h — reverse-mode automatic differentiation over a flat list of
 * vectorised instructions. The one gradient engine of ppl: samplers, MAP,
 * GP hyperparameters and neural networks all evaluate a Tape.
 *
 * A Tape is a program: slots (tensors of double: scalars, vectors, row-major
 * matrices) and instructions that each read input slots and write one
 * output slot. It is built once (tape_const, tape_param, tape_op, ...) and
 * then frozen (tape_finish). Slot 0..: the parameter vector theta of length
 * tape_dim() is itself a slot; tape_param() makes views into it, so the
 * unconstrained value of each model variable costs no copy.
 *
 * Evaluation state (values and adjoints of every slot) lives in a TapeState,
 * one per chain, allocated once: evaluating allocates nothing, so chains
 * evaluate the same Tape in parallel threads. Instructions whose inputs do
 * not depend on theta (data transformations) run once, when the state is
 * created; the others run on every evaluation. The reverse pass visits only
 * instructions that depend on theta. Input slots (tape_input) hold values
 * set per state before each evaluation (a minibatch): instructions that
 * read them run on every evaluation but, unless theta is among their
 * inputs too, not in the reverse pass.
 *
 * Broadcasting follows numpy (tensor.h): a vector of length n acts as a
 * 1 x n row; dimensions of length 1 stretch. The reverse pass sums the
 * adjoints of stretched inputs back to their own shape.
 *
 * Invariant: an instruction reads only slots written by earlier
 * instructions (or constants and theta), so one forward sweep in order and
 * one reverse sweep backwards are correct.
 *
 * The tape knows nothing of the VM: its memory is malloc-owned, freed by
 * tape_free / tape_state_free, and safe to use from any thread.
 *
 * Reference: Carpenter et al. (2015), The Stan Math Library: Reverse-Mode
 * Automatic Differentiation in C++; Griewank & Walther (2008), Evaluating
 * Derivatives.
 */
#ifndef PPL_TAPE_H
#define PPL_TAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Tape Tape;
typedef struct TapeState TapeState;
typedef struct DistFamily DistFamily;

/* A slot number. TAPE_NONE marks "no slot" (and failure of a builder). */
typedef int32_t TapeSlot;
#define TAPE_NONE ((TapeSlot)-1)

enum { TAPE_ERR_LEN = 200 };

/* X(NAME, number of inputs (-1: variable), "meaning")
 * Shapes: E = elementwise with broadcasting; S = scalar result. */
#define TAPE_OPS(X)                                                          \
  X(ADD, 2, "E: a + b")                                                       \
  X(SUB, 2, "E: a - b")                                                       \
  X(MUL, 2, "E: a * b")                                                       \
  X(DIV, 2, "E: a / b")                                                       \
  X(POW, 2, "E: a ** b")                                                      \
  X(NEG, 1, "E: -a")                                                          \
  X(EXP, 1, "E: exp(a)")                                                      \
  X(LOG, 1, "E: log(a)")                                                      \
  X(LOG1P, 1, "E: log(1 + a)")                                                \
  X(EXPM1, 1, "E: exp(a) - 1")                                                \
  X(SQRT, 1, "E: sqrt(a)")                                                    \
  X(SQUARE, 1, "E: a * a")                                                    \
  X(ABS, 1, "E: |a|")                                                         \
  X(LGAMMA, 1, "E: log Gamma(a)")                                             \
  X(DIGAMMA, 1, "E: psi(a) (its derivative is trigamma)")                     \
  X(LOGISTIC, 1, "E: 1 / (1 + exp(-a))")                                      \
  X(LOG_LOGISTIC, 1, "E: log(logistic(a)) = -log1p(exp(-a)), stable")         \
  X(SOFTPLUS, 1, "E: log(1 + exp(a)), stable")                                \
  X(TANH, 1, "E: tanh(a)")                                                    \
  X(SIN, 1, "E: sin(a)")                                                      \
  X(COS, 1, "E: cos(a)")                                                      \
  X(ERF, 1, "E: erf(a)")                                                      \
  X(PHI, 1, "E: standard normal cdf of a")                                    \
  X(RELU, 1, "E: max(a, 0)")                                                  \
  X(LEAKY_RELU, 1, "E: a if a > 0 else alpha * a; aux: double alpha")         \
  X(ELU, 1, "E: a if a > 0 else exp(a) - 1")                                  \
  X(SUM, 1, "S: sum of all elements of a")                                    \
  X(SUM_ROWS, 1, "matrix r x c -> vector of c column sums (sum over rows)")   \
  X(SUM_COLS, 1, "matrix r x c -> vector of r row sums (sum over columns)")   \
  X(LOGSUMEXP, 1, "S: log(sum(exp(a))), stable")                              \
  X(DOT, 2, "S: sum(a * b) of two vectors of equal length")                   \
  X(MATVEC, 2, "matrix r x c times vector c -> vector r")                     \
  X(MATMUL, 2, "matrix r x k times matrix k x c -> matrix r x c")             \
  X(TRANSPOSE, 1, "matrix r x c -> c x r")                                    \
  X(GATHER, 1, "vector: a[idx[i]] for a constant index list (aux)")           \
  X(GATHER_ROWS, 1, "matrix: rows idx[i] of a (aux)")                         \
  X(STACK, -1, "vector: the inputs (scalars or vectors) end to end")          \
  X(RESHAPE, 1, "the same elements in a new shape; aux: size_t[3] ndim, "   \
                "rows, cols")                                                 \
  X(BROADCAST, 1, "a stretched (numpy rules) to the shape in aux: size_t[3]") \
  X(CHOLESKY, 1, "lower Cholesky factor of a symmetric positive-definite "    \
                 "matrix (error: lp = -inf)")                                 \
  X(TRI_SOLVE, 2, "L \\ b: solve with lower-triangular L (b vector/matrix)")  \
  X(LOG_DIAG_SUM, 1, "S: sum(log(diag(a))), e.g. half log det from Chol")     \
  X(DIST, -1, "S: sum of log densities; aux = DistFamily, inputs x then "     \
              "the family's parameters")                                      \
  X(SUM_SCALARS, -1, "S: the sum of scalar inputs (the log density total)")   \
  X(COPY, 1, "the same values (a named node's own slot)")                     \
  X(AFFINE, 3, "x (r,k) times W (k,c) plus b (c) on every row -> (r,c)")     \
  X(BCE_LOGITS, 2, "S: alpha * sum(softplus(z) - y z), the binary cross-"    \
                   "entropy of targets y (z's length or 1) given logits z; " \
                   "aux: double alpha (default 1)")                          \
  X(SQ_ERR, 2, "S: alpha * sum((a - b)^2), b of a's length or 1; aux: "      \
               "double alpha (default 1)")                                   \
  X(GAUSS_KL, 2, "S: alpha * sum(KL(N(mu, exp(lv)) || N(0, 1))) = alpha * " \
                 "sum((mu^2 + exp(lv) - 1 - lv) / 2) for mu, lv of one "     \
                 "length; aux: double alpha (default 1)")                    \
  X(LAYER_NORM, 1, "matrix (r,c): each row centred and scaled to variance " \
                   "1, (x - mean) / sqrt(var + 1e-5)")                       \
  X(STEP, 1, "E: 1 if a > 0 else alpha, a derivative of LEAKY_RELU with "   \
             "zero gradient; aux: double alpha (default 0)")

typedef enum {
#define X(name, nin, doc) TAPE_##name,
  TAPE_OPS(X)
#undef X
      TAPE_NOPS
} TapeOp;

/* The name of an op, e.g. "MATVEC" (for dumps and errors). */
const char *tape_op_name(TapeOp op);

/* ---- building --------------------------------------------------------- */

/* A tape whose parameter vector theta has dim elements. */
Tape *tape_alloc(size_t dim);
void tape_free(Tape *t);

/* A constant tensor (data copied). ndim 0 = scalar (rows = cols = 1),
 * 1 = vector of rows elements, 2 = rows x cols matrix (row-major). */
TapeSlot tape_const(Tape *t, int ndim, size_t rows, size_t cols,
                    const double *data);
TapeSlot tape_scalar(Tape *t, double x);

/* A view of theta[offset .. offset + rows * cols) with the given shape. */
TapeSlot tape_param(Tape *t, size_t offset, int ndim, size_t rows,
                    size_t cols);

/* An input: a tensor of the given shape (as tape_const) whose values are
 * set in each TapeState (tape_input_data) before an evaluation, such as a
 * minibatch, a noise draw, a dropout mask or weights held fixed. It does
 * not depend on theta (its gradient is not computed), but unlike a
 * constant, instructions that read it run at every evaluation. */
TapeSlot tape_input(Tape *t, int ndim, size_t rows, size_t cols);

/* Appends an instruction; its output shape follows from the inputs (for
 * RESHAPE and BROADCAST it is given in aux as size_t[3] {ndim, rows,
 * cols}). aux is copied (naux elements of the op's aux type: size_t for
 * GATHER, GATHER_ROWS, RESHAPE, BROADCAST; double for LEAKY_RELU, STEP,
 * BCE_LOGITS, SQ_ERR and GAUSS_KL); for DIST use tape_dist.
 * Returns the output slot, or TAPE_NONE with a sentence in err (shapes that
 * do not broadcast, an index out of range). */
TapeSlot tape_op(Tape *t, TapeOp op, const TapeSlot *in, int nin,
                 const void *aux, size_t naux, char *err);

/* Convenience forms of tape_op. */
TapeSlot tape_op1(Tape *t, TapeOp op, TapeSlot a, char *err);
TapeSlot tape_op2(Tape *t, TapeOp op, TapeSlot a, TapeSlot b, char *err);

/* sum over elements of log family(x | params): a scalar slot. The family
 * checks shapes (dist.h); params broadcast against x. */
TapeSlot tape_dist(Tape *t, const DistFamily *family, TapeSlot x,
                   const TapeSlot *params, int nparams, char *err);

/* The slot whose value tape_logp returns (a scalar). */
void tape_set_output(Tape *t, TapeSlot out);

/* Freezes the tape: works out which instructions depend on theta. No
 * builder may be called afterwards. */
void tape_finish(Tape *t);

/* ---- inspecting ------------------------------------------------------- */

size_t tape_dim(const Tape *t);
size_t tape_nslots(const Tape *t);
size_t tape_ninstr(const Tape *t);
/* Shape of a slot: ndim (0, 1, 2), rows, cols; returns its length. */
size_t tape_shape(const Tape *t, TapeSlot s, int *ndim, size_t *rows,
                  size_t *cols);
/* Whether the slot's value depends on theta (after tape_finish). */
bool tape_depends(const Tape *t, TapeSlot s);

/* ---- evaluating ------------------------------------------------------- */

/* Buffers for one evaluator (one chain); runs the constant instructions. */
TapeState *tape_state_alloc(const Tape *t);
void tape_state_free(TapeState *st);

/* The output at theta (forward sweep only). -INFINITY outside the support;
 * never NaN: a NaN anywhere makes the result -INFINITY. */
double tape_logp(TapeState *st, const double *theta);

/* The output and its gradient with respect to theta (grad: tape_dim
 * doubles, overwritten). When the result is -INFINITY grad is zeroed. */
double tape_logp_grad(TapeState *st, const double *theta, double *grad);

/* The value of slot s after the last evaluation (tape_shape elements).
 * tape_logp and tape_logp_grad skip the instructions that a fused DIST
 * absorbed (doc/tape.md, "Location fusion"), so their slots are current
 * only after tape_forward, which computes every slot. */
const double *tape_value(const TapeState *st, TapeSlot s);

/* The storage of input slot s in this state (tape_shape elements, zero
 * until written): write the values before evaluating. They stay until
 * overwritten. */
double *tape_input_data(TapeState *st, TapeSlot s);

/* Runs the forward sweep at theta so that tape_value can read any slot
 * (deterministic nodes of a draw, predictions of a network). */
void tape_forward(TapeState *st, const double *theta);

#endif
