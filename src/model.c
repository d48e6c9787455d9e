/*
 * model.c — binding a model block: running its body once with model
 * variables in place of free random variables, and recording everything
 * on the model's log-density tape.
 *
 * While a body runs, the VM's model context is a Binder. Each `name ~ dist`
 * comes to tilde(): a free variable gets a view of theta, the transform to
 * its support and its log density; an observed one its data and its log
 * density; an intervened one (do) just its fixed value. A model variable is
 * a handle (model_var_class) holding a tape slot and the ids of the
 * variables it depends on; its operators and the math builtins append tape
 * instructions (binary, unary, index, apply below). Plain numbers and data
 * stay plain: work on data costs nothing per evaluation.
 *
 * When the body returns, the log-density terms are summed into the tape's
 * output and the tape is frozen. The Model (GC) owns its Tape (malloc),
 * freed by the finaliser of a small owner object (see "binding" below for
 * why the finaliser is not on the Model itself).
 */
#include <config.h>
#include "model.h"

#include <math.h>
#include <string.h>

#include "builtin.h"
#include "mem.h"
#include "opcodes.h"
#include "report.h"
#include "strbuf.h"
#include "tensor.h"
#include "vmops.h"

/* A model variable: a slot of the binder's tape. */
typedef struct ModelVar {
  struct Binder *binder;
  TapeSlot slot;
  int ndim;
  size_t rows, cols, len;
  int *deps; /* ids (indices into Model.vars) it depends on, sorted */
  int ndeps;
} ModelVar;

typedef struct Binder {
  Model *model;
  Tape *tape;
  TapeSlot *terms; /* scalar log-density terms */
  int nterms;
  int cap_terms;
  int cap_vars;
  bool finished; /* the body has returned: the tape takes no more ops */
} Binder;

/* ---- small helpers ---------------------------------------------------- */

static Binder *binder_of(VM *vm) { return vm_model_context(vm); }

static void add_term(Binder *b, TapeSlot s) {
  if (s == TAPE_NONE)
    return;
  if (b->nterms == b->cap_terms) {
    b->cap_terms = b->cap_terms ? b->cap_terms * 2 : 16;
    TapeSlot *t = mem_alloc_atomic((size_t)b->cap_terms * sizeof *t);
    if (b->nterms)
      memcpy(t, b->terms, (size_t)b->nterms * sizeof *t);
    b->terms = t;
  }
  b->terms[b->nterms++] = s;
}

static int add_var(Binder *b, RandomVar *rv) {
  Model *m = b->model;
  if (m->nvars == b->cap_vars) {
    b->cap_vars = b->cap_vars ? b->cap_vars * 2 : 8;
    RandomVar **v = mem_alloc((size_t)b->cap_vars * sizeof *v);
    if (m->nvars)
      memcpy(v, m->vars, (size_t)m->nvars * sizeof *v);
    m->vars = v;
  }
  m->vars[m->nvars] = rv;
  return m->nvars++;
}

int model_find(const Model *m, const char *name) {
  for (int i = 0; i < m->nvars; i++)
    if (strcmp(m->vars[i]->name->chars, name) == 0)
      return i;
  return -1;
}

/* Sorted union of two id lists (GC memory). */
static int merge_deps(const int *a, int na, const int *b, int nb, int **out) {
  int *r = mem_alloc_atomic((size_t)(na + nb + 1) * sizeof(int));
  int i = 0, j = 0, n = 0;
  while (i < na || j < nb) {
    int x = j >= nb || (i < na && a[i] <= b[j]) ? a[i++] : b[j++];
    if (n == 0 || r[n - 1] != x)
      r[n++] = x;
  }
  *out = r;
  return n;
}

static ModelVar *as_var(Value v) {
  return object_is_handle(v, &model_var_class) ? AS_HANDLE(v)->data : NULL;
}

static Value wrap_slot(Binder *b, TapeSlot s, const int *deps, int ndeps) {
  ModelVar *mv = mem_alloc(sizeof *mv);
  mv->binder = b;
  mv->slot = s;
  mv->len = tape_shape(b->tape, s, &mv->ndim, &mv->rows, &mv->cols);
  mv->deps = (int *)deps;
  mv->ndeps = ndeps;
  return OBJ_VAL(handle_new(&model_var_class, mv));
}

/* ---- values to slots -------------------------------------------------- */

typedef struct Operand {
  TapeSlot slot;
  const int *deps;
  int ndeps;
} Operand;

static bool list_operand(VM *vm, Binder *b, const ObjList *l, Operand *out);

/* A model variable kept past its binding (stored in a global, say) has a
 * tape that is complete: nothing can be added to it any more. */
static bool finished_error(VM *vm) {
  return vm_error(vm, "this model variable belongs to a model that has "
                      "finished binding; compute with it inside the model "
                      "block");
}

/* A value as a tape slot: numbers and data become constants, model
 * variables are their slot, lists of scalars (some symbolic) are stacked. */
static bool operand(VM *vm, Binder *b, Value v, const char *what,
                    Operand *out) {
  if (b->finished)
    return finished_error(vm);
  out->deps = NULL;
  out->ndeps = 0;
  ModelVar *mv = as_var(v);
  if (mv) {
    if (mv->binder != b)
      return vm_error(vm, "%s is a variable of another model binding; "
                          "variables cannot cross models",
                      what);
    out->slot = mv->slot;
    out->deps = mv->deps;
    out->ndeps = mv->ndeps;
    return true;
  }
  if (IS_NUM(v)) {
    out->slot = tape_scalar(b->tape, AS_NUM(v));
    return true;
  }
  if (IS_BOOL(v)) {
    out->slot = tape_scalar(b->tape, AS_BOOL(v) ? 1.0 : 0.0);
    return true;
  }
  if (IS_TENSOR(v)) {
    const ObjTensor *t = AS_TENSOR(v);
    out->slot = tape_const(b->tape, t->ndim, t->shape[0],
                           t->ndim == 2 ? t->shape[1] : 1, t->data);
    return true;
  }
  if (IS_LIST(v))
    return list_operand(vm, b, AS_LIST(v), out);
  if (IS_RANGE(v)) {
    ObjTensor *t = builtin_to_vector(v);
    if (t) {
      out->slot = tape_const(b->tape, 1, t->len, 1, t->data);
      return true;
    }
  }
  return vm_error(vm, "%s must be a number, a vector or a model variable, "
                      "got a %s",
                  what, value_type_name(v));
}

static bool list_operand(VM *vm, Binder *b, const ObjList *l, Operand *out) {
  if (l->len == 0)
    return vm_error(vm, "an empty list cannot be used in a model expression");
  TapeSlot *parts = mem_alloc_atomic(l->len * sizeof *parts);
  int *deps = NULL, ndeps = 0;
  for (size_t i = 0; i < l->len; i++) {
    Operand o;
    if (!operand(vm, b, l->items[i], "a list item", &o))
      return false;
    parts[i] = o.slot;
    ndeps = merge_deps(deps, ndeps, o.deps, o.ndeps, &deps);
  }
  char err[TAPE_ERR_LEN];
  out->slot = tape_op(b->tape, TAPE_STACK, parts, (int)l->len, NULL, 0, err);
  if (out->slot == TAPE_NONE)
    return vm_error(vm, "%s", err);
  out->deps = deps;
  out->ndeps = ndeps;
  return true;
}

/* Appends op over inputs and wraps the result with the merged deps. */
static bool emit_op(VM *vm, Binder *b, TapeOp op, const Operand *in, int nin,
                    const void *aux, size_t naux, Value *out) {
  if (b->finished)
    return finished_error(vm);
  TapeSlot slots[8];
  int *deps = NULL, ndeps = 0;
  for (int i = 0; i < nin; i++) {
    slots[i] = in[i].slot;
    ndeps = merge_deps(deps, ndeps, in[i].deps, in[i].ndeps, &deps);
  }
  char err[TAPE_ERR_LEN];
  TapeSlot s = tape_op(b->tape, op, slots, nin, aux, naux, err);
  if (s == TAPE_NONE)
    return vm_error(vm, "%s", err);
  *out = wrap_slot(b, s, deps, ndeps);
  return true;
}

static Binder *binder_for(VM *vm, Value a, Value b) {
  ModelVar *mv = as_var(a);
  if (!mv)
    mv = as_var(b);
  return mv ? mv->binder : binder_of(vm);
}

/* ---- operators on model variables -------------------------------------- */

static bool matmul_op(VM *vm, Binder *b, const Operand *o, Value *out) {
  int na, nb;
  size_t r, c;
  tape_shape(b->tape, o[0].slot, &na, &r, &c);
  tape_shape(b->tape, o[1].slot, &nb, &r, &c);
  TapeOp op = na == 2 && nb == 2   ? TAPE_MATMUL
              : na == 2 && nb == 1 ? TAPE_MATVEC
              : na == 1 && nb == 1 ? TAPE_DOT
                                   : TAPE_NOPS;
  if (op == TAPE_NOPS) {
    if (na == 1 && nb == 2) { /* v @ M = M^T v */
      Value mt;
      Operand t[2];
      if (!emit_op(vm, b, TAPE_TRANSPOSE, &o[1], 1, NULL, 0, &mt) ||
          !operand(vm, b, mt, "the matrix", &t[0]))
        return false;
      t[1] = o[0];
      return emit_op(vm, b, TAPE_MATVEC, t, 2, NULL, 0, out);
    }
    return vm_error(vm, "'@' needs vectors or matrices on both sides");
  }
  return emit_op(vm, b, op, o, 2, NULL, 0, out);
}

/* The class of a handle among a, b that is not a model variable but
 * overloads operators itself (a GP kernel in `eta * k`), or NULL. */
static const HandleClass *other_overloader(Value a, Value b) {
  if (IS_HANDLE(a) && !as_var(a) && AS_HANDLE(a)->cls->binary)
    return AS_HANDLE(a)->cls;
  if (IS_HANDLE(b) && !as_var(b) && AS_HANDLE(b)->cls->binary)
    return AS_HANDLE(b)->cls;
  return NULL;
}

static bool var_binary(VM *vm, int op, Value a, Value b, Value *out) {
  const HandleClass *other = other_overloader(a, b);
  if (other) /* that class decides what `variable op handle` means */
    return other->binary(vm, op, a, b, out);
  Binder *bd = binder_for(vm, a, b);
  if (!bd)
    return vm_error(vm, "this model variable belongs to a binding that has "
                        "finished");
  Operand o[2];
  if (!operand(vm, bd, a, "the left operand", &o[0]) ||
      !operand(vm, bd, b, "the right operand", &o[1]))
    return false;
  switch (op) {
  case OP_ADD: return emit_op(vm, bd, TAPE_ADD, o, 2, NULL, 0, out);
  case OP_SUB: return emit_op(vm, bd, TAPE_SUB, o, 2, NULL, 0, out);
  case OP_MUL: return emit_op(vm, bd, TAPE_MUL, o, 2, NULL, 0, out);
  case OP_DIV: return emit_op(vm, bd, TAPE_DIV, o, 2, NULL, 0, out);
  case OP_POW: return emit_op(vm, bd, TAPE_POW, o, 2, NULL, 0, out);
  case OP_MATMUL: return matmul_op(vm, bd, o, out);
  case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
    return vm_error(vm, "a model variable has no value while the model is "
                        "being built, so it cannot be compared; write the "
                        "condition into the model's arithmetic instead");
  default:
    return vm_error(vm, "this operator is not differentiable and cannot be "
                        "applied to a model variable");
  }
}

static bool var_unary(VM *vm, int op, Value a, Value *out) {
  ModelVar *mv = as_var(a);
  Operand o = {mv->slot, mv->deps, mv->ndeps};
  if (op == OP_NEG)
    return emit_op(vm, mv->binder, TAPE_NEG, &o, 1, NULL, 0, out);
  if (op == OP_POS) {
    *out = a;
    return true;
  }
  return vm_error(vm, "a model variable has no value while the model is "
                      "being built, so it cannot decide an 'if', 'while', "
                      "'and', 'or' or 'not'");
}

static bool var_index(VM *vm, Value target, const Value *idx, int n,
                      Value *out) {
  ModelVar *mv = as_var(target);
  if (!mv)
    return vm_error(vm, "indexing by a model variable is not supported: "
                        "positions must be known when the model is built");
  for (int i = 0; i < n; i++)
    if (as_var(idx[i]))
      return vm_error(vm, "indexing by a model variable is not supported: "
                          "positions must be known when the model is built");
  size_t *pos, npos, rows, cols;
  int ndim;
  if (!vmops_positions(vm, idx, n, mv->ndim, mv->rows, mv->cols, &pos, &npos,
                       &ndim, &rows, &cols))
    return false;
  Binder *b = mv->binder;
  Operand src = {mv->slot, mv->deps, mv->ndeps};
  if (mv->ndim == 2) { /* gather from the flattened matrix */
    size_t shape[3] = {1, mv->len, 1};
    Value flat;
    if (!emit_op(vm, b, TAPE_RESHAPE, &src, 1, shape, 3, &flat))
      return false;
    src.slot = as_var(flat)->slot;
  }
  Value g;
  if (!emit_op(vm, b, TAPE_GATHER, &src, 1, pos, npos, &g))
    return false;
  if (ndim == 1) {
    *out = g;
    return true;
  }
  size_t shape[3] = {(size_t)ndim, ndim == 0 ? 1 : rows, cols};
  Operand go = {as_var(g)->slot, mv->deps, mv->ndeps};
  return emit_op(vm, b, TAPE_RESHAPE, &go, 1, shape, 3, out);
}

/* Builtins that mean an elementwise tape op on a model variable. */
static const struct {
  const char *name;
  TapeOp op;
} unary_builtins[] = {
    {"exp", TAPE_EXP},         {"log", TAPE_LOG},
    {"log1p", TAPE_LOG1P},     {"expm1", TAPE_EXPM1},
    {"sqrt", TAPE_SQRT},       {"abs", TAPE_ABS},
    {"lgamma", TAPE_LGAMMA},   {"digamma", TAPE_DIGAMMA},
    {"invlogit", TAPE_LOGISTIC}, {"expit", TAPE_LOGISTIC},
    {"sigmoid", TAPE_LOGISTIC}, {"softplus", TAPE_SOFTPLUS},
    {"log1pexp", TAPE_SOFTPLUS}, {"tanh", TAPE_TANH},
    {"sin", TAPE_SIN},         {"cos", TAPE_COS},
    {"erf", TAPE_ERF},         {"logsumexp", TAPE_LOGSUMEXP},
    {"transpose", TAPE_TRANSPOSE}, {"relu", TAPE_RELU},
};

static ApplyResult done(bool ok) { return ok ? APPLY_DONE : APPLY_FAILED; }

/* cholesky(A) of a model matrix: the tape's CHOLESKY (a matrix that is not
 * positive definite at a point makes the log density -inf there). */
static bool cholesky_var(VM *vm, ModelVar *mv, Value *out) {
  if (mv->ndim != 2)
    return vm_error(vm, "cholesky(): argument 1 'A' must be a square matrix, "
                        "got a model %s",
                    mv->ndim == 0 ? "scalar" : "vector");
  if (mv->rows != mv->cols)
    return vm_error(vm, "cholesky(): argument 1 'A' must be a square matrix, "
                        "got %zu x %zu",
                    mv->rows, mv->cols);
  Operand o = {mv->slot, mv->deps, mv->ndeps};
  return emit_op(vm, mv->binder, TAPE_CHOLESKY, &o, 1, NULL, 0, out);
}

static ApplyResult apply_reduction(VM *vm, Binder *b, const char *name,
                                   const CallArgs *call, Value *out) {
  Operand o;
  if (!operand(vm, b, call->argv[0], "argument 1", &o))
    return APPLY_FAILED;
  Value axis = call->kwc == 1 && strcmp(call->kwnames[0]->chars, "axis") == 0
                   ? call->kwv[0]
               : call->argc > 1 ? call->argv[1]
                                : NIL_VAL;
  TapeOp op = TAPE_SUM;
  if (IS_NUM(axis))
    op = AS_NUM(axis) == 0 ? TAPE_SUM_ROWS : TAPE_SUM_COLS;
  Value s;
  if (!emit_op(vm, b, op, &o, 1, NULL, 0, &s))
    return APPLY_FAILED;
  if (strcmp(name, "sum") == 0) {
    *out = s;
    return APPLY_DONE;
  }
  int ndim;
  size_t rows, cols;
  size_t len = tape_shape(b->tape, o.slot, &ndim, &rows, &cols);
  double n = op == TAPE_SUM ? (double)len : op == TAPE_SUM_ROWS ? rows : cols;
  return done(var_binary(vm, OP_DIV, s, NUM_VAL(n), out));
}

static ApplyResult apply_shape(VM *vm, const char *name, ModelVar *mv,
                               Value *out) {
  PPL_UNUSED(vm);
  if (strcmp(name, "len") == 0) {
    *out = NUM_VAL(mv->ndim == 0 ? 1.0 : (double)mv->rows);
    return APPLY_DONE;
  }
  ObjTensor *t = tensor_vector(mv->ndim == 2 ? 2 : 1);
  t->data[0] = mv->ndim == 0 ? 1.0 : (double)mv->rows;
  if (mv->ndim == 2)
    t->data[1] = (double)mv->cols;
  *out = OBJ_VAL(t);
  return APPLY_DONE;
}

/* logit(p) = log(p) - log1p(-p), built from differentiable pieces. */
static ApplyResult apply_logit(VM *vm, Value p, Value *out) {
  Value lp, negp, l1p;
  Binder *b = as_var(p)->binder;
  ModelVar *mv = as_var(p);
  Operand o = {mv->slot, mv->deps, mv->ndeps};
  if (!emit_op(vm, b, TAPE_LOG, &o, 1, NULL, 0, &lp) ||
      !var_unary(vm, OP_NEG, p, &negp))
    return APPLY_FAILED;
  ModelVar *nv = as_var(negp);
  Operand on = {nv->slot, nv->deps, nv->ndeps};
  if (!emit_op(vm, b, TAPE_LOG1P, &on, 1, NULL, 0, &l1p))
    return APPLY_FAILED;
  return done(var_binary(vm, OP_SUB, lp, l1p, out));
}

/* concat(parts...): the parts (numbers, vectors, model variables, lists
 * of those) end to end, one STACK instruction. */
static bool concat_values(VM *vm, Binder *b, const Value *parts, int n,
                          Value *out) {
  if (n == 0)
    return vm_error(vm, "concat() needs at least one argument in a model");
  ObjList *l = list_new((size_t)n);
  for (int i = 0; i < n; i++)
    list_push(l, parts[i]);
  Operand o;
  if (!list_operand(vm, b, l, &o))
    return false;
  *out = wrap_slot(b, o.slot, o.deps, o.ndeps);
  return true;
}

static ApplyResult var_apply(VM *vm, const ObjNative *fn,
                             const CallArgs *call, Value *out) {
  const char *name = fn->name;
  ModelVar *first = call->argc > 0 ? as_var(call->argv[0]) : NULL;
  if (first && (strcmp(name, "len") == 0 || strcmp(name, "shape") == 0))
    return apply_shape(vm, name, first, out);
  if (call->argc == 1 && call->kwc == 0 && first) {
    for (size_t i = 0; i < sizeof unary_builtins / sizeof *unary_builtins;
         i++)
      if (strcmp(name, unary_builtins[i].name) == 0) {
        Operand o = {first->slot, first->deps, first->ndeps};
        return done(emit_op(vm, first->binder, unary_builtins[i].op, &o, 1,
                            NULL, 0, out));
      }
    if (strcmp(name, "logit") == 0)
      return apply_logit(vm, call->argv[0], out);
    if (strcmp(name, "cholesky") == 0)
      return done(cholesky_var(vm, first, out));
  }
  Binder *b = binder_of(vm);
  if (!b && first)
    b = first->binder;
  if (!b)
    return APPLY_PASS;
  if ((strcmp(name, "sum") == 0 || strcmp(name, "mean") == 0) &&
      call->argc >= 1 && first)
    return apply_reduction(vm, b, name, call, out);
  if ((strcmp(name, "dot") == 0 || strcmp(name, "matmul") == 0) &&
      call->argc == 2)
    return done(var_binary(vm, OP_MATMUL, call->argv[0], call->argv[1], out));
  if (strcmp(name, "pow") == 0 && call->argc == 2)
    return done(var_binary(vm, OP_POW, call->argv[0], call->argv[1], out));
  if (strcmp(name, "concat") == 0 && call->kwc == 0)
    return done(concat_values(vm, b, call->argv, call->argc, out));
  return APPLY_PASS;
}

/* ---- builtins over lists holding model variables ------------------------ */

/* Whether v is a model variable or a list holding one at any depth. */
static bool holds_var(Value v) {
  if (as_var(v))
    return true;
  if (!IS_LIST(v))
    return false;
  const ObjList *l = AS_LIST(v);
  for (size_t i = 0; i < l->len; i++)
    if (holds_var(l->items[i]))
      return true;
  return false;
}

/* matrix(rows): each row (a list, a number or a vector; some items model
 * variables) stacked into one vector, reshaped to rows x cols. */
static bool matrix_of_rows(VM *vm, Binder *b, const char *fn,
                           const ObjList *rows, Value *out) {
  if (rows->len == 0)
    return vm_error(vm, "%s(): argument 1 must hold at least one row", fn);
  TapeSlot *parts = mem_alloc_atomic(rows->len * sizeof *parts);
  int *deps = NULL, ndeps = 0;
  size_t cols = 0;
  for (size_t i = 0; i < rows->len; i++) {
    char what[64];
    snprintf(what, sizeof what, "%s(): row %zu", fn, i);
    Operand o;
    if (!operand(vm, b, rows->items[i], what, &o))
      return false;
    int nd;
    size_t r, c;
    size_t len = tape_shape(b->tape, o.slot, &nd, &r, &c);
    if (nd == 2)
      return vm_error(vm, "%s(): row %zu is a matrix; rows must be lists or "
                          "vectors", fn, i);
    if (i == 0)
      cols = len;
    else if (len != cols)
      return vm_error(vm, "%s(): argument 1 has rows of different lengths: "
                          "row 0 has %zu elements, row %zu has %zu",
                      fn, cols, i, len);
    parts[i] = o.slot;
    ndeps = merge_deps(deps, ndeps, o.deps, o.ndeps, &deps);
  }
  char err[TAPE_ERR_LEN];
  TapeSlot flat = tape_op(b->tape, TAPE_STACK, parts, (int)rows->len, NULL, 0,
                          err);
  if (flat == TAPE_NONE)
    return vm_error(vm, "%s", err);
  Operand f = {flat, deps, ndeps};
  size_t shape[3] = {2, rows->len, cols};
  return emit_op(vm, b, TAPE_RESHAPE, &f, 1, shape, 3, out);
}

/* cholesky(rows) of a matrix written as a list of rows. */
static bool cholesky_of_rows(VM *vm, Binder *b, const ObjList *rows,
                             Value *out) {
  Value m;
  return matrix_of_rows(vm, b, "cholesky", rows, &m) &&
         cholesky_var(vm, as_var(m), out);
}

/* The builtins that take lists whose items may be model variables:
 * concat([a, b, c]), matrix([[s, 0], [r, s]]), cholesky of such a list of
 * rows, sum and mean of a list. Called by the VM while a body is being
 * bound, for calls with a list among their arguments that no handle took
 * (HandleClass.apply only sees top-level arguments). */
static ApplyResult var_apply_lists(VM *vm, const ObjNative *fn,
                                   const CallArgs *call, Value *out) {
  const char *name = fn->name;
  bool concat = strcmp(name, "concat") == 0;
  bool rows = call->argc == 1 && call->kwc == 0 && IS_LIST(call->argv[0]) &&
              (strcmp(name, "matrix") == 0 || strcmp(name, "cholesky") == 0);
  bool reduce = call->argc >= 1 && IS_LIST(call->argv[0]) &&
                (strcmp(name, "sum") == 0 || strcmp(name, "mean") == 0);
  Binder *b = binder_of(vm);
  if (!b || !(concat || rows || reduce))
    return APPLY_PASS;
  bool any = false;
  for (int i = 0; i < call->argc && !any; i++)
    any = holds_var(call->argv[i]);
  if (!any)
    return APPLY_PASS;
  if (reduce)
    return apply_reduction(vm, b, name, call, out);
  if (rows)
    return done(name[0] == 'm' ? matrix_of_rows(vm, b, "matrix",
                                                 AS_LIST(call->argv[0]), out)
                               : cholesky_of_rows(vm, b,
                                                  AS_LIST(call->argv[0]), out));
  if (call->kwc > 0)
    return done(vm_error(vm, "concat() takes no keyword arguments"));
  return done(concat_values(vm, b, call->argv, call->argc, out));
}

bool model_is_var(Value v) { return as_var(v) != NULL; }

TapeSlot model_var_slot(Value v, int *ndim, size_t *rows, size_t *cols) {
  const ModelVar *mv = as_var(v);
  if (!mv)
    return TAPE_NONE;
  if (ndim)
    *ndim = mv->ndim;
  if (rows)
    *rows = mv->rows;
  if (cols)
    *cols = mv->cols;
  return mv->slot;
}

bool model_apply_op(VM *vm, TapeOp op, Value v, Value *out) {
  ModelVar *mv = as_var(v);
  if (!mv)
    return vm_error(vm, "expected a model variable, got a %s",
                    value_type_name(v));
  Operand o = {mv->slot, mv->deps, mv->ndeps};
  return emit_op(vm, mv->binder, op, &o, 1, NULL, 0, out);
}

static void var_format(StrBuf *sb, void *data, bool repr) {
  PPL_UNUSED(repr);
  const ModelVar *mv = data;
  if (mv->ndim == 0)
    strbuf_puts(sb, "<model variable: scalar>");
  else if (mv->ndim == 1)
    strbuf_printf(sb, "<model variable: vector(%zu)>", mv->rows);
  else
    strbuf_printf(sb, "<model variable: matrix(%zu, %zu)>", mv->rows,
                  mv->cols);
}

const HandleClass model_var_class = {
    .name = "model variable",
    .format = var_format,
    .binary = var_binary,
    .unary = var_unary,
    .index = var_index,
    .apply = var_apply,
};

/* ---- shapes of new variables ------------------------------------------ */

typedef struct Shape {
  int ndim;
  size_t rows, cols;
} Shape;

static Shape shape_of_slot(const Tape *t, TapeSlot s) {
  Shape sh;
  tape_shape(t, s, &sh.ndim, &sh.rows, &sh.cols);
  return sh;
}

/* numpy broadcasting of two shapes (vectors as 1 x n rows). */
static bool broadcast(Shape a, Shape b, Shape *out) {
  if (a.ndim == 0) {
    *out = b;
    return true;
  }
  if (b.ndim == 0) {
    *out = a;
    return true;
  }
  size_t ar = a.ndim == 2 ? a.rows : 1, ac = a.ndim == 2 ? a.cols : a.rows;
  size_t br = b.ndim == 2 ? b.rows : 1, bc = b.ndim == 2 ? b.cols : b.rows;
  if ((ar != br && ar != 1 && br != 1) || (ac != bc && ac != 1 && bc != 1))
    return false;
  size_t r = ar > br ? ar : br, c = ac > bc ? ac : bc;
  if (a.ndim == 2 || b.ndim == 2) {
    *out = (Shape){2, r, c};
  } else {
    *out = (Shape){1, c, 1};
  }
  return true;
}

/* shape= as written: a number n (vector n) or [rows, cols]. */
static bool shape_arg(VM *vm, Value v, Shape *out) {
  ObjTensor *t = builtin_to_vector(v);
  if (!t || t->len < 1 || t->len > 2)
    return vm_error(vm, "shape= must be a number or [rows, cols]");
  for (size_t i = 0; i < t->len; i++)
    if (!(t->data[i] >= 1) || t->data[i] != floor(t->data[i]))
      return vm_error(vm, "shape= must hold positive whole numbers, got %g",
                      t->data[i]);
  if (t->len == 1)
    *out = (Shape){1, (size_t)t->data[0], 1};
  else
    *out = (Shape){2, (size_t)t->data[0], (size_t)t->data[1]};
  return true;
}

/* ---- tilde ------------------------------------------------------------- */

static DistValue *as_dist(VM *vm, Value v, ObjString *name) {
  if (object_is_handle(v, &dist_class))
    return AS_HANDLE(v)->data;
  vm_error(vm, "the right side of '%s ~' must be a distribution such as "
               "Normal(0, 1), got a %s",
           name->chars, value_type_name(v));
  return NULL;
}

static bool declared_twice(VM *vm, Binder *b, ObjString *name) {
  if (model_find(b->model, name->chars) < 0)
    return false;
  vm_error(vm, "'%s' is declared twice in model '%s'", name->chars,
           b->model->name->chars);
  return true;
}

/* The distribution's parameters as slots; their deps become the
 * variable's parents. */
static bool param_slots(VM *vm, Binder *b, const DistValue *d,
                        TapeSlot *slots, RandomVar *rv) {
  int *deps = NULL, ndeps = 0;
  for (int i = 0; i < d->family->nparams; i++) {
    Operand o;
    char what[64];
    snprintf(what, sizeof what, "%s(): parameter '%s'", d->family->name,
             d->family->params[i]);
    if (!operand(vm, b, d->params[i], what, &o))
      return false;
    slots[i] = o.slot;
    rv->params[i] = o.slot;
    ndeps = merge_deps(deps, ndeps, o.deps, o.ndeps, &deps);
  }
  rv->parents = deps;
  rv->nparents = ndeps;
  return true;
}

static RandomVar *new_var(VM *vm, Binder *b, ObjString *name,
                          DistValue *d) {
  PPL_UNUSED(b);
  RandomVar *rv = mem_alloc(sizeof *rv);
  rv->name = name;
  rv->line = vm_current_line(vm);
  rv->file = vm_current_file(vm);
  rv->dist = d;
  rv->family = d ? d->family : NULL;
  rv->value = TAPE_NONE;
  rv->term = rv->jac = TAPE_NONE;
  rv->lower_slot = rv->upper_slot = TAPE_NONE;
  rv->lower = -INFINITY;
  rv->upper = INFINITY;
  return rv;
}

static bool add_density(VM *vm, Binder *b, RandomVar *rv, const TapeSlot *ps) {
  char err[TAPE_ERR_LEN];
  TapeSlot term = tape_dist(b->tape, rv->family, rv->value, ps,
                            rv->family->nparams, err);
  if (term == TAPE_NONE)
    return vm_error(vm, "'%s': %s", rv->name->chars, err);
  add_term(b, term);
  rv->term = term;
  return true;
}

static void set_shape(Binder *b, RandomVar *rv) {
  rv->len = tape_shape(b->tape, rv->value, &rv->ndim, &rv->rows, &rv->cols);
}

static bool observed_var(VM *vm, Binder *b, RandomVar *rv, Value data,
                         const TapeSlot *ps) {
  Operand o;
  if (IS_HANDLE(data) && as_var(data))
    return vm_error(vm, "'%s' is observed, so its data must be numbers, not "
                        "a model variable",
                    rv->name->chars);
  if (!operand(vm, b, data, "observed data", &o))
    return false;
  rv->role = RV_OBSERVED;
  rv->value = o.slot;
  set_shape(b, rv);
  return add_density(vm, b, rv, ps);
}

/* Bound of a transform from a parameter or a lower=/upper= argument. */
static bool bound(VM *vm, Binder *b, Value v, TapeSlot *slot, double *x,
                  int *parents_n, int **parents) {
  *slot = TAPE_NONE;
  if (IS_UNDEF(v) || IS_NIL(v))
    return true;
  if (IS_NUM(v)) {
    *x = AS_NUM(v);
    return true;
  }
  Operand o;
  if (!operand(vm, b, v, "a bound", &o))
    return false;
  *slot = o.slot;
  *parents_n = merge_deps(*parents, *parents_n, o.deps, o.ndeps, parents);
  return true;
}

static bool free_shape(VM *vm, Binder *b, const DistValue *d,
                       const TapeSlot *ps, Shape *sh) {
  if (!IS_UNDEF(d->shape) && !IS_NIL(d->shape))
    return shape_arg(vm, d->shape, sh);
  if (d->family->check) {
    DistTensor params[DIST_MAX_PARAMS];
    /* Shapes of every parameter; values only of those given as plain
     * numbers or data (a symbolic one has no value yet: data NULL). */
    for (int i = 0; i < d->family->nparams; i++) {
      Shape p = shape_of_slot(b->tape, ps[i]);
      Value v = d->params[i];
      const double *data = IS_NUM(v)      ? &d->params[i].as.num
                           : IS_TENSOR(v) ? AS_TENSOR(v)->data
                                          : NULL;
      params[i] = (DistTensor){data,
                               p.ndim == 0 ? 1 : p.ndim == 1 ? p.rows
                                                             : p.rows * p.cols,
                               p.ndim, p.rows, p.cols};
    }
    char err[DIST_ERR_LEN];
    if (!d->family->check(params, &sh->ndim, &sh->rows, &sh->cols, err))
      return vm_error(vm, "%s", err);
    return true;
  }
  *sh = (Shape){0, 1, 1};
  for (int i = 0; i < d->family->nparams; i++)
    if (!broadcast(*sh, shape_of_slot(b->tape, ps[i]), sh))
      return vm_error(vm, "the parameters of %s() have shapes that do not "
                          "broadcast together",
                      d->family->name);
  return true;
}

static bool free_var(VM *vm, Binder *b, RandomVar *rv, const TapeSlot *ps) {
  const DistValue *d = rv->dist;
  const DistSupport *sup = &d->family->support;
  Shape sh;
  if (!free_shape(vm, b, d, ps, &sh))
    return false;
  Value lo = !IS_UNDEF(d->lower) ? d->lower
             : sup->lower_param >= 0 ? d->params[sup->lower_param]
                                     : NUM_VAL(sup->lower);
  Value hi = !IS_UNDEF(d->upper) ? d->upper
             : sup->upper_param >= 0 ? d->params[sup->upper_param]
                                     : NUM_VAL(sup->upper);
  if (!bound(vm, b, lo, &rv->lower_slot, &rv->lower, &rv->nparents,
             &rv->parents) ||
      !bound(vm, b, hi, &rv->upper_slot, &rv->upper, &rv->nparents,
             &rv->parents))
    return false;
  bool has_lower = !IS_UNDEF(d->lower) && !IS_NIL(d->lower);
  bool has_upper = !IS_UNDEF(d->upper) && !IS_NIL(d->upper);
  rv->transform = transform_for(sup, has_lower, has_upper);
  /* An interval with a constant infinite end (TruncatedNormal's default
   * bounds) is one-sided, or no constraint at all. */
  if (rv->transform == TR_INTERVAL) {
    bool open_lo = rv->lower_slot == TAPE_NONE && isinf(rv->lower);
    bool open_hi = rv->upper_slot == TAPE_NONE && isinf(rv->upper);
    rv->transform = open_lo && open_hi ? TR_IDENTITY
                    : open_lo          ? TR_UPPER
                    : open_hi          ? TR_LOWER
                                       : TR_INTERVAL;
  }
  if (IS_STRING(d->transform)) { /* transform="ordered" */
    if (rv->transform != TR_IDENTITY || sh.ndim != 1)
      return vm_error(vm, "'%s': transform=\"ordered\" needs a vector "
                          "variable on the whole real line",
                      rv->name->chars);
    rv->transform = TR_ORDERED;
  }
  rv->role = RV_FREE;
  size_t len = sh.ndim == 0 ? 1 : sh.ndim == 1 ? sh.rows : sh.rows * sh.cols;
  rv->size = transform_size(rv->transform, len, sh.rows);
  rv->offset = b->model->dim;
  b->model->dim += rv->size;
  if (d->family->discrete)
    b->model->nfree_discrete++;
  bool plain = rv->transform == TR_IDENTITY || rv->transform == TR_LOWER ||
               rv->transform == TR_UPPER || rv->transform == TR_INTERVAL;
  TapeSlot u = plain ? tape_param(b->tape, rv->offset, sh.ndim, sh.rows,
                                  sh.ndim == 2 ? sh.cols : 1)
                     : tape_param(b->tape, rv->offset, 1, rv->size, 1);
  TransformBounds tb = {rv->lower_slot, rv->upper_slot, rv->lower, rv->upper};
  TapeSlot jac;
  char err[TAPE_ERR_LEN];
  rv->value = transform_emit(b->tape, rv->transform, u, &tb, sh.ndim, sh.rows,
                             sh.ndim == 2 ? sh.cols : 1, &jac, err);
  if (rv->value == TAPE_NONE)
    return vm_error(vm, "'%s': %s", rv->name->chars, err);
  if (!b->model->without_jacobian)
    add_term(b, jac);
  rv->jac = jac;
  set_shape(b, rv);
  return add_density(vm, b, rv, ps);
}

static bool tilde(VM *vm, ObjString *name, Value dist, Value observed,
                  Value *out);
static bool deterministic(VM *vm, ObjString *name, Value v, Value *out);

/* chol ~ LKJCholeskyCov(eta, n, sd_dist): the Cholesky factor of a
 * covariance, diag(stds) L, from two free variables declared under it:
 * chol_corr ~ LKJCorrCholesky(eta, n) and chol_stds ~ sd_dist (n of them);
 * chol itself is a deterministic node (as PyMC's LKJCholeskyCov). */
static bool tilde_lkj_cov(VM *vm, ObjString *name, DistValue *d,
                          Value observed, Value *out) {
  if (!IS_UNDEF(observed) && !IS_NIL(observed))
    return vm_error(vm, "'%s ~ LKJCholeskyCov' cannot be observed; observe "
                        "the data it is the covariance of",
                    name->chars);
  if (!IS_NUM(d->params[1]))
    return vm_error(vm, "LKJCholeskyCov(): n must be a number");
  DistValue *corr = mem_alloc(sizeof *corr);
  *corr = *d;
  corr->sd_dist = UNDEF_VAL;
  DistValue *sd = AS_HANDLE(d->sd_dist)->data;
  DistValue *stds = mem_alloc(sizeof *stds);
  *stds = *sd;
  stds->shape = d->params[1];
  Value l, s;
  if (!tilde(vm, string_format("%s_corr", name->chars),
             OBJ_VAL(handle_new(&dist_class, corr)), UNDEF_VAL, &l) ||
      !tilde(vm, string_format("%s_stds", name->chars),
             OBJ_VAL(handle_new(&dist_class, stds)), UNDEF_VAL, &s))
    return false;
  size_t n = (size_t)AS_NUM(d->params[1]);
  size_t column[3] = {2, n, 1};
  ModelVar *sv = as_var(s), *lv = as_var(l);
  Operand so = {sv->slot, sv->deps, sv->ndeps};
  Value col, chol;
  if (!emit_op(vm, sv->binder, TAPE_RESHAPE, &so, 1, column, 3, &col))
    return false;
  Operand ops[2] = {{as_var(col)->slot, sv->deps, sv->ndeps},
                    {lv->slot, lv->deps, lv->ndeps}};
  if (!emit_op(vm, sv->binder, TAPE_MUL, ops, 2, NULL, 0, &chol))
    return false;
  return deterministic(vm, name, chol, out);
}

static bool tilde(VM *vm, ObjString *name, Value dist, Value observed,
                  Value *out) {
  Binder *b = binder_of(vm);
  DistValue *d = as_dist(vm, dist, name);
  if (!d || declared_twice(vm, b, name))
    return false;
  if (!IS_UNDEF(d->sd_dist))
    return tilde_lkj_cov(vm, name, d, observed, out);
  RandomVar *rv = new_var(vm, b, name, d);
  Value fixed;
  if (b->model->interventions &&
      record_get(b->model->interventions, name->chars, &fixed)) {
    rv->role = RV_INTERVENED;
    add_var(b, rv);
    *out = fixed; /* do(): the value is set, not drawn: no density term */
    return true;
  }
  Value data = observed;
  if (b->model->observations)
    record_get(b->model->observations, name->chars, &data);
  if (!IS_UNDEF(d->observed))
    data = d->observed;
  if (d->check_data && !IS_UNDEF(data) && !IS_NIL(data) &&
      !d->check_data(vm, d, name, data))
    return false;
  TapeSlot ps[DIST_MAX_PARAMS];
  if (!param_slots(vm, b, d, ps, rv))
    return false;
  int id = add_var(b, rv);
  if (!IS_UNDEF(data) && !IS_NIL(data)) {
    if (!observed_var(vm, b, rv, data, ps))
      return false;
    *out = data;
    return true;
  }
  if (!free_var(vm, b, rv, ps))
    return false;
  int *self = mem_alloc_atomic(sizeof(int));
  self[0] = id;
  *out = wrap_slot(b, rv->value, self, 1);
  return true;
}

/* y[i] ~ dist inside a loop over data: one observed term per element; all
 * of them appear as the single observed variable `y` of the model. */
static bool tilde_indexed(VM *vm, ObjString *name, Value dist, Value data,
                          Value index) {
  Binder *b = binder_of(vm);
  DistValue *d = as_dist(vm, dist, name);
  if (!d)
    return false;
  Value item;
  if (!vmops_index(vm, data, &index, 1, &item))
    return false;
  int id = model_find(b->model, name->chars);
  RandomVar *rv = id >= 0 ? b->model->vars[id] : new_var(vm, b, name, d);
  RandomVar *elem = new_var(vm, b, name, d);
  TapeSlot ps[DIST_MAX_PARAMS];
  if (!param_slots(vm, b, d, ps, elem) ||
      !observed_var(vm, b, elem, item, ps))
    return false;
  if (id < 0) {
    rv->role = RV_OBSERVED;
    Operand o;
    if (!operand(vm, b, data, "observed data", &o))
      return false;
    rv->value = o.slot;
    set_shape(b, rv);
    add_var(b, rv);
  }
  rv->nparents = merge_deps(rv->parents, rv->nparents, elem->parents,
                            elem->nparents, &rv->parents);
  return true;
}

static bool deterministic(VM *vm, ObjString *name, Value v, Value *out) {
  Binder *b = binder_of(vm);
  ModelVar *mv = as_var(v);
  if (!mv) { /* plain values are not part of the model's graph */
    *out = v;
    return true;
  }
  if (declared_twice(vm, b, name))
    return false;
  RandomVar *rv = new_var(vm, b, name, NULL);
  rv->deterministic = true;
  rv->value = mv->slot;
  rv->parents = mv->deps;
  rv->nparents = mv->ndeps;
  set_shape(b, rv);
  int id = add_var(b, rv);
  int *self = mem_alloc_atomic(sizeof(int));
  self[0] = id;
  *out = wrap_slot(b, mv->slot, self, 1);
  return true;
}

bool model_add_potential(VM *vm, Value term) {
  Binder *b = binder_of(vm);
  if (!b)
    return vm_error(vm, "Potential() adds a term to a model's log density "
                        "and only works inside a model block");
  Operand o;
  if (!operand(vm, b, term, "Potential()'s term", &o))
    return false;
  int ndim;
  size_t rows, cols;
  if (tape_shape(b->tape, o.slot, &ndim, &rows, &cols) != 1 || ndim != 0) {
    char err[TAPE_ERR_LEN];
    o.slot = tape_op1(b->tape, TAPE_SUM, o.slot, err);
  }
  add_term(b, o.slot);
  return true;
}

/* ---- binding ----------------------------------------------------------- */

/* The finaliser that frees a model's tape sits on this owner, not on the
 * Model. Boehm's collector finalises in reachability order and never
 * finalises an object reachable from itself ("Finalization cycle"), and a
 * Model is: Model -> vars -> DistValue.params -> ModelVar.binder ->
 * Binder.model -> Model (any variable whose distribution takes another
 * variable as a parameter). The owner is atomic memory (it holds only the
 * malloc'd tape), so nothing is reachable from it and it is on no cycle;
 * the Model is its only referent, so it dies with the Model. A
 * finalisable object that reaches the Model (a Trace: its run state is
 * freed by its own finaliser) is finalised before the owner, as ordered
 * finalisation guarantees. GC_register_finalizer_no_order would also break
 * the cycle, but would drop that ordering for every finaliser the Model
 * reaches. */
typedef struct ModelTapeOwner {
  Tape *tape;
} ModelTapeOwner;

/* Tapes allocated and not yet freed (atomic: finalisers may run in any
 * thread that allocates). */
static size_t live_tapes;

size_t model_live_tapes(void) {
  return __atomic_load_n(&live_tapes, __ATOMIC_RELAXED);
}

static void free_tape(void *obj, void *data) {
  PPL_UNUSED(data);
  ModelTapeOwner *o = obj;
  tape_free(o->tape);
  o->tape = NULL;
  __atomic_sub_fetch(&live_tapes, 1, __ATOMIC_RELAXED);
}

static Tape *own_tape(Model *m) {
  ModelTapeOwner *o = mem_alloc_atomic(sizeof *o);
  o->tape = tape_alloc(0);
  __atomic_add_fetch(&live_tapes, 1, __ATOMIC_RELAXED);
  mem_finalize(o, free_tape);
  m->owner = o;
  m->tape = o->tape;
  return o->tape;
}

/* Terms that depend on no free variable (data under fixed parameters)
 * have their value as soon as the tape is built: -inf there is the user's
 * data or constants, reported now with the line that declared them. */
static bool check_constant_terms(VM *vm, Binder *b) {
  const Model *m = b->model;
  TapeState *st = NULL;
  bool ok = true;
  for (int i = 0; i < m->nvars && ok; i++) {
    const RandomVar *rv = m->vars[i];
    if (rv->term == TAPE_NONE || tape_depends(b->tape, rv->term))
      continue;
    if (!st)
      st = tape_state_alloc(b->tape);
    double t = tape_value(st, rv->term)[0];
    if (isfinite(t))
      continue;
    ok = vm_error(vm, "in model '%s', '%s ~ %s' (line %d) has log density "
                      "%s: a parameter given as data is outside its range "
                      "(a scale <= 0, a probability outside [0, 1]) or the "
                      "data are outside the support of %s",
                  m->name->chars, rv->name->chars, rv->family->name, rv->line,
                  isnan(t) ? "NaN" : "-inf", rv->family->name);
  }
  if (st)
    tape_state_free(st);
  return ok;
}

static bool finish(VM *vm, Binder *b) {
  Tape *t = b->tape;
  char err[TAPE_ERR_LEN];
  TapeSlot lp = b->nterms > 0 ? tape_op(t, TAPE_SUM_SCALARS, b->terms,
                                        b->nterms, NULL, 0, err)
                              : tape_scalar(t, 0.0);
  if (lp == TAPE_NONE)
    return vm_error(vm, "%s", err);
  tape_set_output(t, lp);
  tape_finish(t);
  return check_constant_terms(vm, b);
}

static bool run_binding(VM *vm, Model *m, Value *out) {
  Binder *b = mem_alloc(sizeof *b);
  b->model = m;
  b->tape = own_tape(m);
  void *outer = vm_model_context(vm);
  vm_set_model_context(vm, b);
  Value ignored;
  bool ok = vm_call(vm, OBJ_VAL(m->closure), m->nargs, m->args, &ignored);
  vm_set_model_context(vm, outer);
  ok = ok && finish(vm, b);
  b->finished = true;
  if (!ok)
    return false;
  *out = OBJ_VAL(handle_new(&model_class, m));
  return true;
}

static bool bind(VM *vm, ObjClosure *model, const Value *args, int nargs,
                 Value *out) {
  Model *m = mem_alloc(sizeof *m);
  m->name = model->function->name;
  m->closure = model;
  m->nargs = nargs;
  m->args = mem_alloc((size_t)(nargs + 1) * sizeof(Value));
  memcpy(m->args, args, (size_t)nargs * sizeof(Value));
  return run_binding(vm, m, out);
}

bool model_rebind(VM *vm, const Model *old, ObjRecord *interventions,
                  ObjRecord *observations, Value *out) {
  Model *m = mem_alloc(sizeof *m);
  m->name = old->name;
  m->closure = old->closure;
  m->nargs = old->nargs;
  m->args = old->args;
  m->interventions = interventions;
  m->observations = observations;
  return run_binding(vm, m, out);
}

Model *model_without_jacobian(VM *vm, Model *m) {
  if (m->without_jacobian)
    return m;
  if (m->map_model)
    return m->map_model;
  Model *twin = mem_alloc(sizeof *twin);
  twin->name = m->name;
  twin->closure = m->closure;
  twin->nargs = m->nargs;
  twin->args = m->args;
  twin->interventions = m->interventions;
  twin->observations = m->observations;
  twin->without_jacobian = true;
  Value ignored;
  if (!run_binding(vm, twin, &ignored))
    return NULL;
  m->map_model = twin;
  return twin;
}

static const ModelHooks hooks = {
    .bind = bind,
    .tilde = tilde,
    .tilde_indexed = tilde_indexed,
    .deterministic = deterministic,
    .apply_lists = var_apply_lists,
};

void model_install(VM *vm) { vm_set_model_hooks(vm, &hooks); }

/* ---- bound models as values ------------------------------------------- */

Model *model_get(VM *vm, Value v, const char *fn) {
  if (object_is_handle(v, &model_class))
    return AS_HANDLE(v)->data;
  if (IS_CLOSURE(v) && AS_CLOSURE(v)->function->is_model)
    vm_error(vm, "%s(): this is the model block itself; call it with its "
                 "data first, e.g. %s(m) where m = %s(y)",
             fn, fn, AS_CLOSURE(v)->function->name->chars);
  else
    vm_error(vm, "%s(): argument 1 must be a bound model, got a %s", fn,
             value_type_name(v));
  return NULL;
}

static void format_shape(StrBuf *sb, const RandomVar *rv) {
  if (rv->ndim == 0)
    strbuf_puts(sb, "scalar");
  else if (rv->ndim == 1)
    strbuf_printf(sb, "vector(%zu)", rv->rows);
  else
    strbuf_printf(sb, "matrix(%zu, %zu)", rv->rows, rv->cols);
}

static void format_bound(StrBuf *sb, TapeSlot slot, double x) {
  if (slot != TAPE_NONE)
    strbuf_puts(sb, "<variable>");
  else
    value_format_number(sb, x);
}

static void format_var(StrBuf *sb, const RandomVar *rv) {
  strbuf_printf(sb, "    %-12s ", rv->name->chars);
  if (rv->family)
    strbuf_printf(sb, "%-16s ", rv->family->name);
  else
    strbuf_printf(sb, "%-16s ", "deterministic");
  format_shape(sb, rv);
  if (rv->role == RV_FREE && !rv->deterministic) {
    strbuf_printf(sb, "  %s", transform_name(rv->transform));
    if (rv->transform == TR_INTERVAL || rv->transform == TR_LOWER ||
        rv->transform == TR_UPPER) {
      strbuf_puts(sb, " (");
      format_bound(sb, rv->lower_slot, rv->lower);
      strbuf_puts(sb, ", ");
      format_bound(sb, rv->upper_slot, rv->upper);
      strbuf_puts(sb, ")");
    }
  }
  strbuf_putc(sb, '\n');
}

static void format_section(StrBuf *sb, const Model *m, const char *title,
                           int want) {
  bool any = false;
  for (int i = 0; i < m->nvars; i++) {
    const RandomVar *rv = m->vars[i];
    int kind = rv->deterministic ? 3 : (int)rv->role;
    if (kind != want)
      continue;
    if (!any)
      strbuf_printf(sb, "  %s:\n", title);
    any = true;
    format_var(sb, rv);
  }
}

static void model_format(StrBuf *sb, void *data, bool repr) {
  PPL_UNUSED(repr);
  const Model *m = data;
  strbuf_printf(sb, "<bound model %s: %zu free parameter%s>\n",
                m->name->chars, m->dim, m->dim == 1 ? "" : "s");
  format_section(sb, m, "free", RV_FREE);
  format_section(sb, m, "observed", RV_OBSERVED);
  format_section(sb, m, "intervened (do)", RV_INTERVENED);
  format_section(sb, m, "deterministic", 3);
  if (sb->len && sb->data[sb->len - 1] == '\n')
    sb->data[--sb->len] = '\0';
}

static ObjList *names_with(const Model *m, int want) {
  ObjList *l = list_new((size_t)m->nvars);
  for (int i = 0; i < m->nvars; i++) {
    const RandomVar *rv = m->vars[i];
    int kind = rv->deterministic ? 3 : (int)rv->role;
    if (kind == want)
      list_push(l, OBJ_VAL(rv->name));
  }
  return l;
}

static bool model_field(VM *vm, void *data, ObjString *name, Value *out) {
  const Model *m = data;
  const char *f = name->chars;
  if (strcmp(f, "free") == 0)
    *out = OBJ_VAL(names_with(m, RV_FREE));
  else if (strcmp(f, "observed") == 0)
    *out = OBJ_VAL(names_with(m, RV_OBSERVED));
  else if (strcmp(f, "deterministic") == 0)
    *out = OBJ_VAL(names_with(m, 3));
  else if (strcmp(f, "dim") == 0)
    *out = NUM_VAL((double)m->dim);
  else if (strcmp(f, "name") == 0)
    *out = OBJ_VAL(m->name);
  else
    return vm_error(vm, "a bound model has no field '%s' (it has: free, "
                        "observed, deterministic, dim, name)",
                    f);
  return true;
}

const HandleClass model_class = {
    .name = "model",
    .format = model_format,
    .get_field = model_field,
};
