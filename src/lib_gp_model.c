/*
 * lib_gp_model.c — a Gaussian process as a likelihood inside a model
 * block (GPMarginal, as PyMC's gp.Marginal.marginal_likelihood) and its
 * predictions averaged over posterior draws (gp_conditional).
 *
 * `y ~ GPMarginal(k, x, noise=sigma)` is
 *   y ~ MvNormal(m(x), chol = cholesky(K(x) + (sigma^2 + jitter) I)).
 * K(x) is built by ordinary arithmetic on values: model variables overload
 * the operators and math builtins (model.c), so each step of a symbolic
 * kernel appends a tape instruction with its reverse-mode rule, over
 * constant matrices computed once from x (differences and squared
 * distances per input column). A leaf whose hyperparameters are all
 * numbers is computed by kernel.c and enters as one constant; sums and
 * products of constants fold as they are built. The factor is the tape's
 * CHOLESKY and the density MvNormal's, so the gradient reaches every
 * hyperparameter through the Cholesky's reverse rule (Murray 2016).
 *
 * The one subtlety is r = sqrt(r^2) for Matern kernels with one
 * lengthscale per column: sqrt has no derivative at 0, and r^2 is 0 on the
 * diagonal and wherever two inputs coincide. There r is written as
 * (1 - Z) sqrt(r^2 + Z) with Z the constant 0/1 mask of coinciding pairs:
 * the same values, and a zero derivative where r is 0 for every
 * lengthscale. (With one lengthscale, r = D / ls for the constant
 * distances D, and no sqrt is taken on the tape.)
 *
 * The distribution value remembers the bound kernel, x, noise, mean and
 * jitter (DistValue.gp). gp_conditional reads them back: for each draw it
 * sets the model's free variables from the trace, runs the tape forward,
 * copies the hyperparameters' values from their slots into a numeric copy
 * of the kernel and conditions on the data as gp_fit / predict do (gp.c).
 * The draws' Gaussian predictions make a mixture; its mean, its variance
 * (law of total variance) and its quantiles (solved exactly by safeguarded
 * Newton iteration on the mixture's cdf) are returned.
 *
 * Reference: Rasmussen & Williams (2006), Gaussian Processes for Machine
 * Learning, ch. 2 and 5; PyMC's pm.gp.Marginal (marginal_likelihood,
 * conditional, jitter 1e-6); Murray (2016), Differentiation of the
 * Cholesky decomposition, arXiv:1602.07527.
 */
#include <config.h>

#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "gp/gp.h"
#include "gp/kernel.h"
#include "lib_gp.h"
#include "mem.h"
#include "model.h"
#include "modeleval.h"
#include "opcodes.h"
#include "strbuf.h"
#include "tensor.h"
#include "trace.h"
#include "vmops.h"

/* PyMC's default jitter for gp.Marginal: added to the covariance's
 * diagonal so that a kernel without noise stays positive definite. */
#define GP_MODEL_JITTER 1e-6

/* What `y ~ GPMarginal(...)` keeps for gp_conditional (GC memory). */
typedef struct GpTerm {
  GpKernel *kernel; /* bound to x's columns; symbolic groups keep `sym` */
  double *x;        /* n points, row-major n x ncols (a copy) */
  size_t n, ncols;
  Value noise; /* a number, a vector of n, or a model variable */
  double jitter;
  Value mean;        /* the mean at x: a number, vector or model variable */
  Value mean_fn;     /* the function the mean came from, when it returns
                        numbers (called again at new points), else nil */
  bool mean_extends; /* known at new points: zero, a number, a scalar
                        model variable, or mean_fn */
} GpTerm;

/* ---- values -------------------------------------------------------------- */

static bool bin(VM *vm, OpCode op, Value a, Value b, Value *out) {
  return vmops_binary(vm, op, a, b, out);
}

/* A math builtin (exp, sqrt, sin) on a number, tensor or model variable. */
static bool call1(VM *vm, const char *name, Value x, Value *out) {
  Value f;
  if (!vm_get_builtin(vm, name, &f))
    return vm_error(vm, "internal: builtin '%s' is missing", name);
  return vm_call(vm, f, 1, &x, out);
}

static bool is_leaf(const GpKernel *k) {
  return k->kind != GPK_SUM && k->kind != GPK_PROD;
}

/* Group value for active column t: the symbolic value (indexed when it
 * holds one value per column) or the number. */
static bool column_value(VM *vm, const GpParam *p, int t, Value *out) {
  if (!p->sym) {
    *out = NUM_VAL(p->v[p->n == 1 ? 0 : t]);
    return true;
  }
  Value v = *(Value *)p->sym;
  if (p->n == 1) {
    *out = v;
    return true;
  }
  Value idx = NUM_VAL((double)t);
  return vmops_index(vm, v, &idx, 1, out);
}

/* ---- constant matrices from x -------------------------------------------- */

typedef struct Inputs {
  const double *x;
  size_t n, ncols;
} Inputs;

/* x_i[d] - x_j[d] for input column d, n x n. */
static ObjTensor *differences(const Inputs *in, int d) {
  size_t n = in->n;
  ObjTensor *t = tensor_matrix(n, n);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      t->data[i * n + j] = in->x[i * in->ncols + d] - in->x[j * in->ncols + d];
  return t;
}

/* sum_t (x_i[t] - x_j[t])^2 over the leaf's active columns. */
static ObjTensor *sq_distances(const Inputs *in, const GpKernel *k) {
  ObjTensor *s = tensor_zeros(2, in->n, in->n);
  for (int t = 0; t < k->ndims; t++) {
    ObjTensor *d = differences(in, k->dims[t]);
    for (size_t e = 0; e < s->len; e++)
      s->data[e] += d->data[e] * d->data[e];
  }
  return s;
}

static ObjTensor *identity(size_t n) {
  ObjTensor *t = tensor_zeros(2, n, n);
  for (size_t i = 0; i < n; i++)
    t->data[i * n + i] = 1.0;
  return t;
}

/* Column d of x as an n x 1 matrix (col) or a vector (row): their
 * difference broadcasts to the n x n matrix of pairs. */
static ObjTensor *x_column(const Inputs *in, int d, bool as_col) {
  ObjTensor *t = as_col ? tensor_matrix(in->n, 1) : tensor_vector(in->n);
  for (size_t i = 0; i < in->n; i++)
    t->data[i] = in->x[i * in->ncols + d];
  return t;
}

/* A leaf whose hyperparameters are numbers: kernel.c's block (symmetric,
 * so its column-major layout is also row-major). */
static Value numeric_leaf(const Inputs *in, const GpKernel *k) {
  ObjTensor *t = tensor_matrix(in->n, in->n);
  gp_kernel_block(k, in->x, in->n, in->x, in->n, in->ncols, 0, t->data, in->n,
                  NULL, NULL);
  return OBJ_VAL(t);
}

/* ---- symbolic leaves ----------------------------------------------------- */

/* r^2 = sum_t (dx_t / ls_t)^2 with a symbolic ls (one value, or one per
 * active column). */
static bool sym_r2(VM *vm, const Inputs *in, const GpKernel *k,
                   const GpParam *ls, Value *r2) {
  if (ls->n == 1) {
    Value inv;
    return bin(vm, OP_POW, *(Value *)ls->sym, NUM_VAL(-2.0), &inv) &&
           bin(vm, OP_MUL, OBJ_VAL(sq_distances(in, k)), inv, r2);
  }
  *r2 = NUM_VAL(0.0);
  for (int t = 0; t < k->ndims; t++) {
    ObjTensor *d = differences(in, k->dims[t]);
    for (size_t e = 0; e < d->len; e++)
      d->data[e] *= d->data[e];
    Value lt, inv, term;
    if (!column_value(vm, ls, t, &lt) ||
        !bin(vm, OP_POW, lt, NUM_VAL(-2.0), &inv) ||
        !bin(vm, OP_MUL, OBJ_VAL(d), inv, &term) ||
        !bin(vm, OP_ADD, *r2, term, r2))
      return false;
  }
  return true;
}

/* r^2 with numeric lengthscales: a constant. */
static ObjTensor *const_r2(const Inputs *in, const GpKernel *k,
                           const GpParam *ls) {
  ObjTensor *s = tensor_zeros(2, in->n, in->n);
  for (int t = 0; t < k->ndims; t++) {
    ObjTensor *d = differences(in, k->dims[t]);
    double inv = 1.0 / ls->v[ls->n == 1 ? 0 : t];
    for (size_t e = 0; e < s->len; e++)
      s->data[e] += d->data[e] * d->data[e] * inv * inv;
  }
  return s;
}

/* r = sqrt(r^2), differentiable everywhere it is used (file comment). */
static bool sym_r(VM *vm, const Inputs *in, const GpKernel *k,
                  const GpParam *ls, Value r2, Value *r) {
  if (!ls->sym) {
    *r = OBJ_VAL(tensor_map(AS_TENSOR(r2), sqrt));
    return true;
  }
  ObjTensor *d2 = sq_distances(in, k);
  if (ls->n == 1)
    return bin(vm, OP_DIV, OBJ_VAL(tensor_map(d2, sqrt)), *(Value *)ls->sym, r);
  ObjTensor *z = tensor_like(d2), *keep = tensor_like(d2);
  for (size_t e = 0; e < d2->len; e++) {
    z->data[e] = d2->data[e] == 0.0 ? 1.0 : 0.0;
    keep->data[e] = 1.0 - z->data[e];
  }
  Value shifted, root;
  return bin(vm, OP_ADD, r2, OBJ_VAL(z), &shifted) &&
         call1(vm, "sqrt", shifted, &root) &&
         bin(vm, OP_MUL, OBJ_VAL(keep), root, r);
}

/* exp(c * r) for a constant c. */
static bool exp_scaled(VM *vm, double c, Value r, Value *out) {
  Value a;
  return bin(vm, OP_MUL, NUM_VAL(c), r, &a) && call1(vm, "exp", a, out);
}

static bool sym_stationary(VM *vm, const Inputs *in, const GpKernel *k,
                           Value *out) {
  const GpParam *ls = &k->group[k->ngroups - 1];
  Value r2 = ls->sym ? NIL_VAL : OBJ_VAL(const_r2(in, k, ls));
  if (ls->sym && !sym_r2(vm, in, k, ls, &r2))
    return false;
  Value r, e, a, b;
  const double s3 = sqrt(3.0), s5 = sqrt(5.0);
  switch (k->kind) {
  case GPK_EXPQUAD:
    return exp_scaled(vm, -0.5, r2, out);
  case GPK_MATERN12:
    return sym_r(vm, in, k, ls, r2, &r) && exp_scaled(vm, -1.0, r, out);
  case GPK_MATERN32: /* (1 + sqrt3 r) exp(-sqrt3 r) */
    return sym_r(vm, in, k, ls, r2, &r) && exp_scaled(vm, -s3, r, &e) &&
           bin(vm, OP_MUL, NUM_VAL(s3), r, &a) &&
           bin(vm, OP_ADD, NUM_VAL(1.0), a, &a) && bin(vm, OP_MUL, a, e, out);
  case GPK_MATERN52: /* (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r) */
    return sym_r(vm, in, k, ls, r2, &r) && exp_scaled(vm, -s5, r, &e) &&
           bin(vm, OP_MUL, NUM_VAL(s5), r, &a) &&
           bin(vm, OP_MUL, NUM_VAL(5.0 / 3.0), r2, &b) &&
           bin(vm, OP_ADD, a, b, &a) && bin(vm, OP_ADD, NUM_VAL(1.0), a, &a) &&
           bin(vm, OP_MUL, a, e, out);
  case GPK_RATQUAD: { /* (1 + r^2 / (2 alpha))^-alpha */
    Value alpha, two_alpha, neg;
    if (!column_value(vm, &k->group[0], 0, &alpha))
      return false;
    return bin(vm, OP_MUL, NUM_VAL(2.0), alpha, &two_alpha) &&
           bin(vm, OP_DIV, r2, two_alpha, &a) &&
           bin(vm, OP_ADD, NUM_VAL(1.0), a, &a) &&
           bin(vm, OP_MUL, NUM_VAL(-1.0), alpha, &neg) &&
           bin(vm, OP_POW, a, neg, out);
  }
  default:
    return vm_error(vm, "internal: %s is not a stationary kernel",
                    gp_kernel_name(k->kind));
  }
}

/* exp(-1/2 sum_t sin^2(pi dx_t / period) / ls_t^2) */
static bool sym_periodic(VM *vm, const Inputs *in, const GpKernel *k,
                         Value *out) {
  const GpParam *period = &k->group[0], *ls = &k->group[1];
  Value p, scale, q = NUM_VAL(0.0), s_all = NUM_VAL(0.0);
  if (!column_value(vm, period, 0, &p) ||
      !bin(vm, OP_DIV, NUM_VAL(M_PI), p, &scale))
    return false;
  for (int t = 0; t < k->ndims; t++) {
    Value u, s, s2;
    if (!bin(vm, OP_MUL, OBJ_VAL(differences(in, k->dims[t])), scale, &u) ||
        !call1(vm, "sin", u, &s) || !bin(vm, OP_MUL, s, s, &s2))
      return false;
    if (ls->n == 1) { /* one lengthscale: divide the sum once */
      if (!bin(vm, OP_ADD, s_all, s2, &s_all))
        return false;
      continue;
    }
    Value lt, inv;
    if (!column_value(vm, ls, t, &lt) ||
        !bin(vm, OP_POW, lt, NUM_VAL(-2.0), &inv) ||
        !bin(vm, OP_MUL, s2, inv, &s2) || !bin(vm, OP_ADD, q, s2, &q))
      return false;
  }
  if (ls->n == 1) {
    Value l, inv;
    if (!column_value(vm, ls, 0, &l) ||
        !bin(vm, OP_POW, l, NUM_VAL(-2.0), &inv) ||
        !bin(vm, OP_MUL, s_all, inv, &q))
      return false;
  }
  return exp_scaled(vm, -0.5, q, out);
}

/* sum_t (x_t - c_t)(x'_t - c_t), and Polynomial's (lin + offset)^d. */
static bool sym_dot(VM *vm, const Inputs *in, const GpKernel *k, Value *out) {
  const GpParam *c = &k->group[0];
  Value lin = NUM_VAL(0.0);
  for (int t = 0; t < k->ndims; t++) {
    Value ct, u, v, uv;
    if (!column_value(vm, c, t, &ct) ||
        !bin(vm, OP_SUB, OBJ_VAL(x_column(in, k->dims[t], true)), ct, &u) ||
        !bin(vm, OP_SUB, OBJ_VAL(x_column(in, k->dims[t], false)), ct, &v) ||
        !bin(vm, OP_MUL, u, v, &uv) || !bin(vm, OP_ADD, lin, uv, &lin))
      return false;
  }
  if (k->kind == GPK_LINEAR) {
    *out = lin;
    return true;
  }
  Value offset, base;
  return column_value(vm, &k->group[1], 0, &offset) &&
         bin(vm, OP_ADD, lin, offset, &base) &&
         bin(vm, OP_POW, base, NUM_VAL((double)k->degree), out);
}

static bool sym_leaf(VM *vm, const Inputs *in, const GpKernel *k, Value *out) {
  Value v;
  switch (k->kind) {
  case GPK_EXPQUAD:
  case GPK_MATERN12:
  case GPK_MATERN32:
  case GPK_MATERN52:
  case GPK_RATQUAD:
    return sym_stationary(vm, in, k, out);
  case GPK_PERIODIC:
    return sym_periodic(vm, in, k, out);
  case GPK_LINEAR:
  case GPK_POLYNOMIAL:
    return sym_dot(vm, in, k, out);
  case GPK_CONSTANT:
    return column_value(vm, &k->group[0], 0, out);
  case GPK_WHITE: /* sigma^2 I */
    return column_value(vm, &k->group[0], 0, &v) && bin(vm, OP_MUL, v, v, &v) &&
           bin(vm, OP_MUL, v, OBJ_VAL(identity(in->n)), out);
  default:
    return vm_error(vm, "internal: %s is not a kernel leaf",
                    gp_kernel_name(k->kind));
  }
}

/* K(x) of a bound kernel as a value: a constant matrix, or a model
 * variable when a hyperparameter is one. May be a scalar (a Constant
 * kernel alone), which the caller broadcasts. */
static bool cov_value(VM *vm, const Inputs *in, const GpKernel *k, Value *out) {
  if (!is_leaf(k)) {
    Value l, r;
    return cov_value(vm, in, k->left, &l) && cov_value(vm, in, k->right, &r) &&
           bin(vm, k->kind == GPK_SUM ? OP_ADD : OP_MUL, l, r, out);
  }
  if (!gp_kernel_symbolic(k, NULL, NULL)) {
    *out = numeric_leaf(in, k);
    return true;
  }
  return sym_leaf(vm, in, k, out);
}

/* ---- GPMarginal ---------------------------------------------------------- */

/* The lower Cholesky factor of a constant covariance. */
static bool numeric_chol(VM *vm, ObjTensor *cov, Value *out) {
  ObjTensor *l = tensor_copy(cov);
  size_t n = l->shape[0];
  gsl_matrix_view mv = gsl_matrix_view_array(l->data, n, n);
  if (gsl_linalg_cholesky_decomp1(&mv.matrix) != 0)
    return vm_error(vm, "GPMarginal(): the covariance K(x) + (noise^2 + "
                        "jitter) I is not positive definite; give a larger "
                        "noise or jitter");
  for (size_t i = 0; i < n; i++) /* keep the lower triangle only */
    for (size_t j = i + 1; j < n; j++)
      l->data[i * n + j] = 0.0;
  *out = OBJ_VAL(l);
  return true;
}

/* Elements of v when it is a number, a vector or a model variable of at
 * most one dimension; 0 otherwise. */
static size_t value_len(Value v) {
  int ndim;
  size_t rows, cols;
  if (IS_NUM(v))
    return 1;
  if (model_var_slot(v, &ndim, &rows, &cols) != TAPE_NONE)
    return ndim == 0 ? 1 : ndim == 1 ? rows : 0;
  if (IS_TENSOR(v) && AS_TENSOR(v)->ndim <= 1)
    return AS_TENSOR(v)->len;
  return 0;
}

/* noise= (or PyMC's sigma=): a standard deviation, number >= 0, one per
 * point, or a model variable of either shape. */
static bool noise_arg(Args *a, int inoise, int isigma, size_t n, Value *out) {
  if (args_given(a, inoise) && args_given(a, isigma))
    return vm_error(a->vm, "GPMarginal(): give noise or sigma (the same "
                           "thing, PyMC's two names), not both");
  int i = args_given(a, isigma) ? isigma : inoise;
  if (!args_given(a, i))
    return vm_error(a->vm, "GPMarginal(): missing required argument 'noise' "
                           "(the noise standard deviation; 0 when the kernel "
                           "has a White term for it)");
  Value v = a->v[i];
  if (IS_LIST(v) || IS_RANGE(v)) {
    ObjTensor *t;
    if (!args_vector(a, i, &t))
      return false;
    v = OBJ_VAL(t);
  }
  size_t len = value_len(v);
  if (len != 1 && len != n)
    return args_error(a, i,
                      "must be a number, one number per point (%zu) or "
                      "a model variable of either shape",
                      n);
  if (!model_is_var(v)) {
    const double *s = IS_NUM(v) ? &v.as.num : AS_TENSOR(v)->data;
    for (size_t e = 0; e < len; e++)
      if (!(s[e] >= 0.0) || !isfinite(s[e]))
        return args_error(a, i, "must be non-negative and finite, got %g",
                          s[e]);
  }
  *out = v;
  return true;
}

/* mean=: nil (zero), a number, a model variable (a scalar, or one per
 * point), or a function of x returning any of those. */
static bool mean_arg(Args *a, int i, const GpPoints *p, GpTerm *g) {
  g->mean = NUM_VAL(0.0);
  g->mean_fn = NIL_VAL;
  g->mean_extends = true;
  if (!args_given(a, i) || IS_NIL(a->v[i]))
    return true;
  Value v = a->v[i];
  bool is_fn = IS_CLOSURE(v) || IS_NATIVE(v);
  if (is_fn && !vm_call(a->vm, v, 1, &p->value, &v))
    return false;
  size_t len = value_len(v);
  if (len != 1 && len != p->n)
    return is_fn ? vm_error(a->vm,
                            "GPMarginal(): the mean function must "
                            "return a number or one value per point "
                            "(%zu), got %s",
                            p->n, value_type_name(v))
                 : args_error(a, i,
                              "must be a number, a model variable, one "
                              "value per point (%zu) or a function of "
                              "x, got a %s",
                              p->n, value_type_name(v));
  bool symbolic = model_is_var(v);
  if (!symbolic) {
    const double *m = IS_NUM(v) ? &v.as.num : AS_TENSOR(v)->data;
    for (size_t e = 0; e < len; e++)
      if (!isfinite(m[e]))
        return vm_error(a->vm, "GPMarginal(): the mean is %g at point %zu",
                        m[e], e);
  }
  g->mean = v;
  g->mean_fn = is_fn && !symbolic ? a->v[i] : NIL_VAL;
  g->mean_extends = is_fn ? !symbolic : len == 1;
  return true;
}

/* DistValue.check_data: the observed values are one finite number per
 * point of x. */
static bool check_y(VM *vm, const DistValue *d, ObjString *name, Value data) {
  const GpTerm *g = d->gp;
  size_t len;
  const double *y = model_is_var(data) ? NULL : numbers_of(data, &len);
  if (!y)
    return true; /* model.c words the wrong-type error */
  if (IS_TENSOR(data) && AS_TENSOR(data)->ndim == 2)
    return vm_error(vm,
                    "'%s ~ GPMarginal': %s must be a vector (one value "
                    "per point of x), got a matrix",
                    name->chars, name->chars);
  if (len != g->n)
    return vm_error(vm,
                    "'%s ~ GPMarginal': %s has %zu value%s but x has %zu "
                    "point%s (one value per point)",
                    name->chars, name->chars, len, len == 1 ? "" : "s", g->n,
                    g->n == 1 ? "" : "s");
  for (size_t i = 0; i < len; i++)
    if (!isfinite(y[i]))
      return vm_error(vm, "'%s ~ GPMarginal': %s has %s at position %zu",
                      name->chars, name->chars,
                      isnan(y[i]) ? "a NaN" : "an infinite value", i);
  return true;
}

/* The lower Cholesky factor of K(x) + (noise^2 + jitter) I: CHOLESKY of
 * a model variable on the tape, or a constant factorised now. */
static bool marginal_chol(VM *vm, const GpTerm *g, Value *chol) {
  Inputs in = {g->x, g->n, g->ncols};
  Value K, var, diag, cov;
  if (!cov_value(vm, &in, g->kernel, &K) ||
      !bin(vm, OP_MUL, g->noise, g->noise, &var) ||
      !bin(vm, OP_ADD, var, NUM_VAL(g->jitter), &var) ||
      !bin(vm, OP_MUL, OBJ_VAL(identity(g->n)), var, &diag) ||
      !bin(vm, OP_ADD, K, diag, &cov))
    return false;
  return model_is_var(cov) ? model_apply_op(vm, TAPE_CHOLESKY, cov, chol)
                           : numeric_chol(vm, AS_TENSOR(cov), chol);
}

enum { GM_K, GM_X, GM_NOISE, GM_MEAN, GM_JITTER, GM_SIGMA };

static bool b_gp_marginal(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"k",      "x",     "noise", "mean",
                                      "jitter", "sigma", NULL};
  Args a;
  GpPoints p;
  double jitter;
  if (!args_bind(&a, vm, call, "GPMarginal", names, 2))
    return false;
  if (!vm_model_context(vm))
    return vm_error(vm, "GPMarginal() is a likelihood for `y ~ GPMarginal(k, "
                        "x, noise=sigma)` inside a model block; outside one, "
                        "fit a GP with gp_fit(k, x, y, noise=...)");
  GpKernel *k = lib_gp_kernel_of(a.v[GM_K]);
  if (!k)
    return args_error(&a, GM_K,
                      "must be a kernel (ExpQuad(), Matern52(), ... "
                      "combined with + and *), got a %s",
                      value_type_name(a.v[GM_K]));
  if (!lib_gp_points_arg(&a, GM_X, &p) ||
      !args_num_or(&a, GM_JITTER, GP_MODEL_JITTER, &jitter))
    return false;
  if (!(jitter >= 0.0) || !isfinite(jitter))
    return args_error(&a, GM_JITTER, "must be non-negative and finite, got %g",
                      jitter);
  if (p.n * p.n > BUILTIN_MAX_ELEMENTS)
    return args_error(&a, GM_X,
                      "has %zu points: the %zu x %zu covariance "
                      "matrix is too large",
                      p.n, p.n, p.n);
  GpTerm *g = mem_alloc(sizeof *g);
  char err[GP_ERR_LEN];
  g->kernel = gp_kernel_bind(k, p.ncols, err);
  if (!g->kernel)
    return args_error(&a, GM_K, "does not fit x: %s", err);
  g->x = mem_alloc_atomic(p.n * p.ncols * sizeof(double));
  memcpy(g->x, p.x, p.n * p.ncols * sizeof(double));
  g->n = p.n;
  g->ncols = p.ncols;
  g->jitter = jitter;
  if (!noise_arg(&a, GM_NOISE, GM_SIGMA, p.n, &g->noise) ||
      !mean_arg(&a, GM_MEAN, &p, g))
    return false;
  Value chol;
  if (!marginal_chol(vm, g, &chol))
    return false;
  DistValue *d = mem_alloc(sizeof *d);
  d->family = &dist_mvnormal;
  d->params[0] = g->mean;
  d->params[1] = chol;
  d->shape = d->lower = d->upper = d->observed = d->transform = UNDEF_VAL;
  d->sd_dist = UNDEF_VAL;
  d->gp = g;
  d->check_data = check_y;
  *result = OBJ_VAL(handle_new(&dist_class, d));
  return true;
}

/* ---- gp_conditional: finding the term and the draws ---------------------- */

static const RandomVar *gp_var(VM *vm, const Model *m, const char *name) {
  const RandomVar *found = NULL;
  for (int i = 0; i < m->nvars; i++) {
    const RandomVar *rv = m->vars[i];
    bool gp = rv->dist && rv->dist->gp;
    if (name && strcmp(rv->name->chars, name) == 0) {
      if (!gp)
        vm_error(vm,
                 "gp_conditional(): '%s' in model '%s' is not declared "
                 "with GPMarginal",
                 name, m->name->chars);
      return gp ? rv : NULL;
    }
    if (!gp || name)
      continue;
    if (found) {
      vm_error(vm,
               "gp_conditional(): model '%s' has several GPMarginal "
               "variables ('%s', '%s', ...); say which with name=",
               m->name->chars, found->name->chars, rv->name->chars);
      return NULL;
    }
    found = rv;
  }
  if (!found)
    vm_error(vm,
             name ? "gp_conditional(): model '%s' has no variable '%s'"
                  : "gp_conditional(): model '%s' has no variable "
                    "declared with GPMarginal",
             m->name->chars, name);
  return found;
}

static bool is_free(const RandomVar *rv) {
  return rv->role == RV_FREE && !rv->deterministic && rv->size > 0;
}

/* For each free variable of m, the trace variable holding its draws. */
static int *trace_columns(VM *vm, const Model *m, const Trace *t) {
  int *var_of = mem_alloc_atomic((size_t)(m->nvars + 1) * sizeof(int));
  for (int k = 0; k < m->nvars; k++) {
    const RandomVar *rv = m->vars[k];
    if (!is_free(rv))
      continue;
    var_of[k] = trace_find(t, rv->name->chars);
    if (var_of[k] < 0 || t->vars[var_of[k]].len != rv->len) {
      vm_error(vm, "gp_conditional(): the trace has no draws of '%s'%s",
               rv->name->chars, var_of[k] < 0 ? "" : " of the model's shape");
      return NULL;
    }
  }
  return var_of;
}

/* theta for draw i of chain c. */
static bool draw_theta(VM *vm, Eval *e, const Trace *t, int c, size_t i,
                       const int *var_of) {
  const Model *m = e->m;
  const double *row = t->chains[c].values + i * t->width;
  for (int k = 0; k < m->nvars; k++) {
    const RandomVar *rv = m->vars[k];
    if (is_free(rv) && !unconstrain_var(e, rv, row + t->vars[var_of[k]].offset))
      return vm_error(vm,
                      "gp_conditional(): the trace's value of '%s' "
                      "(chain %d, draw %zu) is outside its support in "
                      "this model",
                      rv->name->chars, c, i);
  }
  return true;
}

/* A symbolic hyperparameter of the numeric copy and where its values are. */
typedef struct SymParam {
  GpParam *p;
  TapeSlot slot;
} SymParam;

typedef struct SymList {
  SymParam *items;
  int n, cap;
} SymList;

/* Collects the copy's symbolic groups and turns them numeric (their values
 * are written per draw; gp_fit then checks them like any other). */
static void collect_sym(GpKernel *k, SymList *l) {
  if (!is_leaf(k)) {
    collect_sym(k->left, l);
    collect_sym(k->right, l);
    return;
  }
  for (int g = 0; g < k->ngroups; g++) {
    GpParam *p = &k->group[g];
    if (!p->sym)
      continue;
    if (l->n == l->cap) {
      l->cap = l->cap ? 2 * l->cap : 8;
      SymParam *items = mem_alloc((size_t)l->cap * sizeof *items);
      if (l->n)
        memcpy(items, l->items, (size_t)l->n * sizeof *items);
      l->items = items;
    }
    l->items[l->n++] =
        (SymParam){p, model_var_slot(*(Value *)p->sym, NULL, NULL, NULL)};
    p->sym = NULL;
  }
}

/* Values of v (number, constant vector or model variable) in this draw. */
static const double *values_now(const Eval *e, Value v, size_t *len) {
  TapeSlot s = model_var_slot(v, NULL, NULL, NULL);
  if (s == TAPE_NONE)
    return numbers_of(v, len);
  int ndim;
  size_t rows, cols;
  *len = tape_shape(e->m->tape, s, &ndim, &rows, &cols);
  return tape_value(e->st, s);
}

/* ---- gp_conditional: one draw -------------------------------------------- */

typedef struct Cond {
  const GpTerm *g;
  const RandomVar *rv; /* the GPMarginal variable */
  GpKernel *kernel;    /* numeric copy, values set per draw */
  SymList sym;
  const double *xnew;
  size_t m;
  const double *mean_fn_new; /* mean_fn at xnew, or NULL */
  bool pred_noise;
  double *resid, *noise_var; /* n each */
  double max_jitter;
  size_t jittered;
} Cond;

/* The GP's prediction at xnew for the draw in e's state: mean mu and
 * variance var (m each). */
static bool predict_draw(VM *vm, Cond *c, const Eval *e, double *mu,
                         double *var, int chain, size_t draw) {
  const GpTerm *g = c->g;
  for (int i = 0; i < c->sym.n; i++) {
    SymParam *sp = &c->sym.items[i];
    memcpy(sp->p->v, tape_value(e->st, sp->slot),
           (size_t)sp->p->n * sizeof(double));
  }
  size_t nm, ns;
  const double *y = tape_value(e->st, c->rv->value);
  const double *m0 = values_now(e, g->mean, &nm);
  const double *s = values_now(e, g->noise, &ns);
  for (size_t i = 0; i < g->n; i++) {
    c->resid[i] = y[i] - m0[nm == 1 ? 0 : i];
    double si = s[ns == 1 ? 0 : i];
    c->noise_var[i] = si * si + g->jitter;
  }
  GpData d = {g->n, g->ncols, g->x, c->resid, c->noise_var};
  GpFitOptions o = {.optimize = false};
  char err[GP_ERR_LEN];
  GpFit *f = gp_fit(c->kernel, &d, &o, err);
  if (!f)
    return vm_error(vm, "gp_conditional(): at chain %d, draw %zu: %s", chain,
                    draw, err);
  if (f->jitter > 0.0) {
    c->jittered++;
    c->max_jitter = fmax(c->max_jitter, f->jitter);
  }
  gp_predict(f, c->xnew, c->m, mu, var, NULL);
  for (size_t j = 0; j < c->m; j++) {
    mu[j] += c->mean_fn_new ? c->mean_fn_new[j] : m0[0];
    if (c->pred_noise)
      var[j] += s[0] * s[0];
  }
  return true;
}

/* ---- the mixture --------------------------------------------------------- */

/* F(q) = mean_s Phi((q - mu_s) / sd_s), and its density into *pdf; a draw
 * with sd 0 is a point mass. */
static double mix_cdf(const double *mu, const double *sd, size_t S, double q,
                      double *pdf) {
  double F = 0.0, f = 0.0;
  for (size_t s = 0; s < S; s++) {
    if (sd[s] == 0.0) {
      F += q >= mu[s] ? 1.0 : 0.0;
      continue;
    }
    double z = (q - mu[s]) / sd[s];
    F += 0.5 * erfc(-z * M_SQRT1_2);
    f += exp(-0.5 * z * z) / (sd[s] * sqrt(2.0 * M_PI));
  }
  *pdf = f / (double)S;
  return F / (double)S;
}

enum { MIX_MAX_ITER = 200 };
#define MIX_RTOL 1e-12
#define MIX_SPREAD 10.0 /* sds beyond the extreme components: F < 1e-23 */

/* The p-quantile of the mixture: Newton steps on F(q) = p, kept inside a
 * shrinking bracket and replaced by bisection when they leave it (the
 * safeguard of Press et al. 2007, Numerical Recipes, rtsafe). */
static double mix_quantile(const double *mu, const double *sd, size_t S,
                           double p) {
  double lo = INFINITY, hi = -INFINITY, q = 0.0;
  for (size_t s = 0; s < S; s++) {
    lo = fmin(lo, mu[s] - MIX_SPREAD * sd[s]);
    hi = fmax(hi, mu[s] + MIX_SPREAD * sd[s]);
    q += mu[s] / (double)S;
  }
  for (int it = 0; it < MIX_MAX_ITER; it++) {
    double f, F = mix_cdf(mu, sd, S, q, &f);
    if (F < p)
      lo = q;
    else
      hi = q;
    double tol = MIX_RTOL * fmax(fabs(lo) + fabs(hi), 1e-300);
    if (hi - lo <= tol || fabs(F - p) < MIX_RTOL)
      break;
    double next = f > 0.0 ? q - (F - p) / f : NAN;
    q = next > lo && next < hi ? next : 0.5 * (lo + hi);
  }
  return q;
}

/* Mean, variance (law of total variance) and quantiles over the S draws
 * of each point: means and vars are m x S (point-major). */
static ObjRecord *mixture(const double *means, const double *vars, size_t S,
                          size_t m, double level) {
  ObjTensor *mean = tensor_vector(m), *var = tensor_vector(m),
            *sd = tensor_vector(m), *lo = tensor_vector(m),
            *hi = tensor_vector(m);
  double *sds = mem_alloc_atomic(S * sizeof(double));
  for (size_t j = 0; j < m; j++) {
    const double *mu = means + j * S, *v = vars + j * S;
    double a = 0.0, w = 0.0, b = 0.0;
    for (size_t s = 0; s < S; s++)
      a += mu[s];
    a /= (double)S;
    for (size_t s = 0; s < S; s++) {
      w += v[s];
      b += (mu[s] - a) * (mu[s] - a);
      sds[s] = sqrt(v[s]);
    }
    mean->data[j] = a;
    var->data[j] = (w + b) / (double)S;
    sd->data[j] = sqrt(var->data[j]);
    lo->data[j] = mix_quantile(mu, sds, S, 0.5 - 0.5 * level);
    hi->data[j] = mix_quantile(mu, sds, S, 0.5 + 0.5 * level);
  }
  ObjRecord *r = record_new();
  record_set(r, "mean", OBJ_VAL(mean));
  record_set(r, "sd", OBJ_VAL(sd));
  record_set(r, "var", OBJ_VAL(var));
  record_set(r, "lower", OBJ_VAL(lo));
  record_set(r, "upper", OBJ_VAL(hi));
  record_set(r, "draws", NUM_VAL((double)S));
  record_set(r, "level", NUM_VAL(level));
  return r;
}

/* ---- gp_conditional ------------------------------------------------------ */

enum { GC_TRACE, GC_MODEL, GC_XNEW, GC_LEVEL, GC_NAME, GC_PRED_NOISE, GC_THIN };

/* gp_conditional(trace, model, xnew, ...), or (trace, xnew, ...) with the
 * trace's model: the second list, so errors name and number the
 * arguments as the user wrote them. */
static const char *const cond_names[] = {"trace", "model",      "xnew", "level",
                                         "name",  "pred_noise", "thin", NULL};
static const char *const cond_names_xnew[] = {
    "trace", "xnew", "model", "level", "name", "pred_noise", "thin", NULL};

static bool cond_args(VM *vm, const CallArgs *call, Args *a, int *im, int *ix) {
  *im = GC_MODEL;
  *ix = GC_XNEW;
  if (!args_bind(a, vm, call, "gp_conditional", cond_names, 1))
    return false;
  if (args_given(a, GC_XNEW) || !args_given(a, GC_MODEL) ||
      object_is_handle(a->v[GC_MODEL], &model_class))
    return true;
  *im = GC_XNEW;
  *ix = GC_MODEL;
  return args_bind(a, vm, call, "gp_conditional", cond_names_xnew, 1);
}

/* The bound model: argument im, or the trace's own. */
static Model *cond_model(Args *a, int im, const Trace *t) {
  Value mv = args_given(a, im) ? a->v[im] : t->model;
  if (IS_NIL(mv)) {
    vm_error(a->vm, "gp_conditional(): this trace does not know its model "
                    "(it was loaded from a file): pass the bound model as "
                    "the second argument");
    return NULL;
  }
  return model_get(a->vm, mv, "gp_conditional");
}

static bool cond_setup(Args *a, Cond *c, const GpPoints *p) {
  VM *vm = a->vm;
  const GpTerm *g = c->g;
  if (!g->mean_extends)
    return vm_error(vm,
                    "gp_conditional(): the mean of '%s ~ GPMarginal' is "
                    "only known at x (it was given as one value per "
                    "point, or by a function whose values depend on "
                    "model variables); gp_conditional needs a mean it "
                    "can evaluate at xnew: a number, a scalar (a model "
                    "variable too) or a function of x returning numbers",
                    c->rv->name->chars);
  if (c->pred_noise && value_len(g->noise) != 1)
    return args_error(a, GC_PRED_NOISE,
                      "needs one noise level, but '%s ~ GPMarginal' has one "
                      "per point of x, which says nothing of xnew",
                      c->rv->name->chars);
  char err[GP_ERR_LEN];
  c->kernel = gp_kernel_bind(g->kernel, g->ncols, err);
  if (!c->kernel)
    return vm_error(vm, "gp_conditional(): %s", err);
  collect_sym(c->kernel, &c->sym);
  c->xnew = p->x;
  c->m = p->n;
  c->resid = mem_alloc_atomic(g->n * sizeof(double));
  c->noise_var = mem_alloc_atomic(g->n * sizeof(double));
  if (!IS_NIL(g->mean_fn)) {
    double *mf = mem_alloc_atomic(p->n * sizeof(double));
    if (!lib_gp_mean_values(vm, "gp_conditional", g->mean_fn, p, mf))
      return false;
    c->mean_fn_new = mf;
  }
  return true;
}

/* Every thin-th draw of each chain through predict_draw; draw s of point
 * j goes to means[j * S + s] and vars[j * S + s]. */
static bool run_draws(VM *vm, Cond *c, Model *m, const Trace *t,
                      const int *var_of, size_t thin, size_t S, double *means,
                      double *vars) {
  double *mu = mem_alloc_atomic(c->m * sizeof(double));
  double *var = mem_alloc_atomic(c->m * sizeof(double));
  size_t n = trace_ndraws(t), s = 0;
  Eval e;
  eval_open(&e, m);
  bool ok = true;
  for (int ch = 0; ch < t->nchains && ok; ch++)
    for (size_t i = 0; i < n && ok; i += thin, s++) {
      ok = vm_interrupted(vm) ? vm_error(vm, "interrupted")
                              : draw_theta(vm, &e, t, ch, i, var_of);
      if (!ok)
        break;
      tape_forward(e.st, e.theta);
      ok = predict_draw(vm, c, &e, mu, var, ch, i);
      for (size_t j = 0; j < c->m && ok; j++) {
        means[j * S + s] = mu[j];
        vars[j * S + s] = var[j];
      }
    }
  eval_close(&e);
  return ok;
}

static bool b_gp_conditional(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  int im, ix;
  double level;
  const char *name;
  size_t thin;
  Cond c = {0};
  if (!cond_args(vm, call, &a, &im, &ix))
    return false;
  const Trace *t = trace_get(vm, a.v[GC_TRACE], "gp_conditional");
  Model *m = t ? cond_model(&a, im, t) : NULL;
  if (!m || !args_bool_or(&a, GC_PRED_NOISE, false, &c.pred_noise) ||
      !args_num_or(&a, GC_LEVEL, 0.95, &level) ||
      !args_string_or(&a, GC_NAME, NULL, &name) ||
      !args_count_or(&a, GC_THIN, 1, &thin))
    return false;
  if (!(level > 0.0 && level < 1.0))
    return args_error(&a, GC_LEVEL,
                      "must be between 0 and 1 (exclusive), "
                      "got %g",
                      level);
  if (thin == 0)
    return args_error(&a, GC_THIN, "must be at least 1");
  if (!args_given(&a, ix))
    return vm_error(vm, "gp_conditional(): missing required argument 'xnew' "
                        "(the points to predict at)");
  if (!(c.rv = gp_var(vm, m, name)))
    return false;
  c.g = c.rv->dist->gp;
  GpPoints p;
  int *var_of = trace_columns(vm, m, t);
  if (!var_of || !lib_gp_new_points_arg(&a, ix, c.g->ncols, &p) ||
      !cond_setup(&a, &c, &p))
    return false;
  size_t n = trace_ndraws(t), per_chain = (n + thin - 1) / thin;
  size_t S = per_chain * (size_t)t->nchains;
  if (S == 0)
    return vm_error(vm, "gp_conditional(): the trace has no draws");
  if (S * p.n > BUILTIN_MAX_ELEMENTS)
    return args_error(&a, GC_THIN,
                      "is %zu: %zu draws at %zu points are too "
                      "many numbers; thin more",
                      thin, S, p.n);
  double *means = mem_alloc_atomic(S * p.n * sizeof(double));
  double *vars = mem_alloc_atomic(S * p.n * sizeof(double));
  if (!run_draws(vm, &c, m, t, var_of, thin, S, means, vars))
    return false;
  if (c.jittered > 0)
    fprintf(vm_err(vm),
            "warning: gp_conditional(): the covariance matrix was not "
            "positive definite at %zu of %zu draws; added up to %.3g to its "
            "diagonal\n",
            c.jittered, S, c.max_jitter);
  *result = OBJ_VAL(mixture(means, vars, S, p.n, level));
  return true;
}

/* ---- registration -------------------------------------------------------- */

static const BuiltinDef gp_model_builtins[] = {
    {"GPMarginal", b_gp_marginal,
     "GPMarginal(k, x, noise, mean=nil, jitter=1e-6): inside a model, `y ~ "
     "GPMarginal(...)` makes y = f(x) + noise with f ~ GP(mean, k); "
     "hyperparameters may be model variables (PyMC's "
     "gp.Marginal.marginal_likelihood)"},
    {"gp_conditional", b_gp_conditional,
     "gp_conditional(trace, model=nil, xnew, level=0.95, name=nil, "
     "pred_noise=false, thin=1): the GP's prediction at xnew averaged over "
     "the posterior draws: {mean, sd, var, lower, upper, draws, level}"},
    {NULL, NULL, NULL},
};

void lib_gp_model_register(VM *vm) { builtin_register(vm, gp_model_builtins); }
