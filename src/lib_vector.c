/*
 * lib_vector.c — builtins that build, reduce, reorder and combine vectors
 * and matrices: zeros, seq, sum, sort, matmul, rbind, quantile, ...
 *
 * Every builtin binds its arguments with args_bind and reads them through
 * the args_* checkers (builtin.h), so errors read alike:
 *   mean(): argument 1 'x' is empty
 * Wherever a vector is expected a list of numbers, a range or a single
 * number is accepted too (args_vector converts it); functions that also
 * take matrices say so in their help line. Errors reported by tensor.c are
 * passed on with the builtin's name in front: "matmul(): inner dimensions
 * 3 and 4 differ". Inputs are never modified: every result is new.
 *
 * Conventions shared with tensor.c: a vector behaves as a 1 x n row (so
 * nrow(v) is 1), indices are 0-based and negative ones count from the end.
 * The elementwise maths (exp, log, abs, ...) lives in lib_math.c.
 */
#include <config.h>
#include "builtin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "tensor.h"

/* Largest number of elements a builtin will allocate from user-given sizes:
 * 2^28 doubles (2 GiB). A bigger request (zeros(1e10)) is almost always a
 * typo and would otherwise end in an out-of-memory abort. */
#define VECTOR_MAX_ELEMENTS BUILTIN_MAX_ELEMENTS

/* seq()'s tolerance for a stop that the step nearly lands on, as R's
 * seq.default (n + 1e-10 before truncating). */
#define SEQ_FUZZ 1e-10

/* ---- shared helpers ---------------------------------------------------- */

static bool tensor_result(Value *result, ObjTensor *t) {
  *result = OBJ_VAL(t);
  return true;
}

static bool number_result(Value *result, double x) {
  *result = NUM_VAL(x);
  return true;
}

/* Parameter i as a vector or matrix: a tensor as it is, anything else
 * through args_vector (list of numbers, range, number). */
static bool args_data(Args *a, int i, ObjTensor **out) {
  if (IS_TENSOR(a->v[i]))
    return args_tensor(a, i, out);
  return args_vector(a, i, out);
}

/* A rows x cols request (cols 1 for a vector) checked against
 * VECTOR_MAX_ELEMENTS; parameter i is the one named in the error. */
static bool check_size(Args *a, int i, size_t rows, size_t cols) {
  if (cols == 0 || rows <= VECTOR_MAX_ELEMENTS / cols)
    return true;
  if (cols == 1)
    return args_error(a, i, "asks for %zu elements, more than the limit of "
                            "%zu", rows, VECTOR_MAX_ELEMENTS);
  return args_error(a, i, "asks for %zu x %zu elements, more than the limit "
                          "of %zu", rows, cols, VECTOR_MAX_ELEMENTS);
}

/* Passes a tensor.c error on as "fn(): <err>". */
static bool tensor_error(VM *vm, const char *fn, const char *err) {
  return vm_error(vm, "%s(): %s", fn, err);
}

/* Rejects keyword arguments for the variadic builtins. */
static bool no_keywords(VM *vm, const char *fn, const CallArgs *call) {
  if (call->kwc == 0)
    return true;
  return vm_error(vm, "%s(): unknown keyword argument '%s'", fn,
                  call->kwnames[0]->chars);
}

/* Positional argument i of a variadic builtin as a tensor (vectors and
 * matrices as they are; numbers, lists of numbers and ranges converted). */
static ObjTensor *variadic_arg(VM *vm, const char *fn, const CallArgs *call,
                               int i) {
  const Value v = call->argv[i];
  if (IS_TENSOR(v))
    return AS_TENSOR(v);
  ObjTensor *t = builtin_to_vector(v);
  if (!t)
    vm_error(vm, "%s(): argument %d must be a vector or matrix, got %s", fn,
             i + 1, value_type_name(v));
  return t;
}

/* An index into n rows or columns (named `one` or `many` in the error),
 * negative counting from the end. */
static bool args_index(Args *a, int i, size_t n, const char *one,
                       const char *many, size_t *out) {
  int64_t k;
  if (!args_int(a, i, &k))
    return false;
  const int64_t idx = k < 0 ? k + (int64_t)n : k;
  if (idx < 0 || (uint64_t)idx >= n)
    return args_error(a, i, "is %lld, out of range for %zu %s", (long long)k,
                      n, n == 1 ? one : many);
  *out = (size_t)idx;
  return true;
}

/* Ascending order with nan last. */
static int compare_doubles(const void *pa, const void *pb) {
  const double a = *(const double *)pa, b = *(const double *)pb;
  if (isnan(a))
    return isnan(b) ? 0 : 1;
  if (isnan(b))
    return -1;
  return (a > b) - (a < b);
}

/* ---- creation ---------------------------------------------------------- */

/* zeros/ones/full: a vector of n values, or an n x m matrix when m (the
 * parameter at index m_at) is given. */
static bool filled(Args *a, int m_at, double value, Value *result) {
  size_t n, m = 1;
  if (!args_count(a, 0, &n))
    return false;
  const bool matrix = args_given(a, m_at);
  if (matrix && !args_count(a, m_at, &m))
    return false;
  if (!check_size(a, 0, n, m))
    return false;
  ObjTensor *t = matrix ? tensor_matrix(n, m) : tensor_vector(n);
  for (size_t i = 0; i < t->len; i++)
    t->data[i] = value;
  return tensor_result(result, t);
}

static bool b_zeros(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"n", "m", NULL};
  Args a;
  return args_bind(&a, vm, call, "zeros", names, 1) &&
         filled(&a, 1, 0.0, result);
}

static bool b_ones(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"n", "m", NULL};
  Args a;
  return args_bind(&a, vm, call, "ones", names, 1) &&
         filled(&a, 1, 1.0, result);
}

static bool b_full(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"n", "value", "m", NULL};
  Args a;
  double value;
  return args_bind(&a, vm, call, "full", names, 2) &&
         args_num(&a, 1, &value) && filled(&a, 2, value, result);
}

/* n evenly spaced values from start to stop, both included (numpy). */
static bool b_linspace(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"start", "stop", "n", NULL};
  Args a;
  double start, stop;
  size_t n;
  if (!args_bind(&a, vm, call, "linspace", names, 2) ||
      !args_num(&a, 0, &start) || !args_num(&a, 1, &stop) ||
      !args_count_or(&a, 2, 50, &n) || !check_size(&a, 2, n, 1))
    return false;
  ObjTensor *t = tensor_vector(n);
  if (n == 1)
    t->data[0] = start;
  if (n > 1) {
    const double step = (stop - start) / (double)(n - 1);
    for (size_t i = 0; i + 1 < n; i++)
      t->data[i] = start + (double)i * step;
    t->data[n - 1] = stop;
  }
  return tensor_result(result, t);
}

/* start, start + by, ... up to stop, including stop when a step lands on it
 * (R's seq(from, to, by), with its 1e-10 fuzz and clamping at stop). */
static bool b_seq(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"start", "stop", "by", NULL};
  Args a;
  double start, stop, by;
  if (!args_bind(&a, vm, call, "seq", names, 2) ||
      !args_num(&a, 0, &start) || !args_num(&a, 1, &stop) ||
      !args_num_or(&a, 2, 1.0, &by))
    return false;
  if (!isfinite(start))
    return args_error(&a, 0, "must be finite, got %g", start);
  if (!isfinite(stop))
    return args_error(&a, 1, "must be finite, got %g", stop);
  if (by == 0.0 || !isfinite(by))
    return args_error(&a, 2, "must be a finite non-zero step, got %g", by);
  const double steps = (stop - start) / by;
  if (steps < 0.0)
    return args_error(&a, 2, "must be %s to go from %g to %g, got %g",
                      by > 0 ? "negative" : "positive", start, stop, by);
  if (steps + 1.0 > (double)VECTOR_MAX_ELEMENTS)
    return args_error(&a, 2, "gives more than %zu elements",
                      VECTOR_MAX_ELEMENTS);
  const size_t n = (size_t)floor(steps + SEQ_FUZZ) + 1;
  ObjTensor *t = tensor_vector(n);
  for (size_t i = 0; i < n; i++) {
    const double x = start + (double)i * by;
    t->data[i] = by > 0 ? fmin(x, stop) : fmax(x, stop);
  }
  return tensor_result(result, t);
}

/* A new vector from a list of numbers, range, number, vector or matrix (its
 * elements row by row). */
static bool b_vector(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  ObjTensor *x;
  if (!args_bind(&a, vm, call, "vector", names, 1) || !args_data(&a, 0, &x))
    return false;
  if (IS_TENSOR(a.v[0]))
    x = tensor_from_array(x->data, x->len);
  return tensor_result(result, x);
}

/* matrix(rows): one row per item of a list of vectors (or lists of
 * numbers), all of one length. */
static bool matrix_from_rows(Args *a, const ObjList *list, Value *result) {
  const size_t rows = list->len;
  ObjTensor **row = mem_alloc((rows ? rows : 1) * sizeof *row);
  for (size_t i = 0; i < rows; i++) {
    const Value item = list->items[i];
    row[i] = IS_TENSOR(item) && AS_TENSOR(item)->ndim == 2
                 ? NULL
                 : builtin_to_vector(item);
    if (!row[i])
      return args_error(a, 0, "must hold vectors or lists of numbers, but "
                              "item %zu is a %s", i, value_type_name(item));
    if (row[i]->len != row[0]->len)
      return args_error(a, 0, "has rows of different lengths: row 0 has %zu "
                              "elements, row %zu has %zu", row[0]->len, i,
                        row[i]->len);
  }
  const size_t cols = rows ? row[0]->len : 0;
  if (!check_size(a, 0, rows, cols))
    return false;
  ObjTensor *m = tensor_matrix(rows, cols);
  for (size_t i = 0; i < rows; i++)
    if (cols > 0)
      memcpy(m->data + i * cols, row[i]->data, cols * sizeof(double));
  return tensor_result(result, m);
}

/* matrix(x, nrow, ncol): x's elements row by row into nrow x ncol (one of
 * the two may be left out and is inferred); a single value fills it. */
static bool matrix_from_data(Args *a, const ObjTensor *x, Value *result) {
  size_t nrow = 0, ncol = 0;
  const bool has_rows = args_given(a, 1), has_cols = args_given(a, 2);
  if ((has_rows && !args_count(a, 1, &nrow)) ||
      (has_cols && !args_count(a, 2, &ncol)))
    return false;
  if (!has_cols)
    ncol = nrow == 0 ? 0 : x->len / nrow;
  if (!has_rows)
    nrow = ncol == 0 ? 0 : x->len / ncol;
  if (!check_size(a, has_rows ? 1 : 2, nrow, ncol))
    return false;
  const size_t n = nrow * ncol;
  if (x->len != n && x->len != 1)
    return args_error(a, 0, "has %zu elements, which do not fill a %zu x %zu "
                            "matrix", x->len, nrow, ncol);
  ObjTensor *m = tensor_matrix(nrow, ncol);
  for (size_t i = 0; i < n; i++)
    m->data[i] = x->data[x->len == 1 ? 0 : i];
  return tensor_result(result, m);
}

static bool b_matrix(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "nrow", "ncol", NULL};
  Args a;
  ObjTensor *x;
  if (!args_bind(&a, vm, call, "matrix", names, 1))
    return false;
  const bool shaped = args_given(&a, 1) || args_given(&a, 2);
  if (!shaped && IS_LIST(a.v[0]))
    return matrix_from_rows(&a, AS_LIST(a.v[0]), result);
  if (!args_data(&a, 0, &x))
    return false;
  if (shaped)
    return matrix_from_data(&a, x, result);
  /* One vector is one row; a matrix is copied. */
  ObjTensor *m = tensor_matrix(x->ndim == 2 ? x->shape[0] : 1,
                               x->ndim == 2 ? x->shape[1] : x->len);
  if (x->len > 0)
    memcpy(m->data, x->data, x->len * sizeof(double));
  return tensor_result(result, m);
}

static bool b_eye(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"n", NULL};
  Args a;
  size_t n;
  if (!args_bind(&a, vm, call, "eye", names, 1) || !args_count(&a, 0, &n) ||
      !check_size(&a, 0, n, n))
    return false;
  ObjTensor *m = tensor_zeros(2, n, n);
  for (size_t i = 0; i < n; i++)
    m->data[i * n + i] = 1.0;
  return tensor_result(result, m);
}

/* ---- reductions -------------------------------------------------------- */

typedef double (*WholeReduction)(const ObjTensor *t);

/* fn(x, axis=nil): the reduction `kind` over all of x (a number) or along
 * an axis of a matrix (a vector; for a vector, axis 0 gives a number). An
 * empty x is an error unless empty_ok. */
static bool reduction(VM *vm, const CallArgs *call, Value *result,
                      const char *fn, const char *kind, WholeReduction whole,
                      bool empty_ok) {
  static const char *const names[] = {"x", "axis", NULL};
  Args a;
  ObjTensor *x;
  if (!args_bind(&a, vm, call, fn, names, 1) || !args_data(&a, 0, &x))
    return false;
  if (x->len == 0 && !empty_ok)
    return args_error(&a, 0, "is empty");
  if (!args_given(&a, 1))
    return number_result(result, whole(x));
  int64_t axis;
  if (!args_int(&a, 1, &axis))
    return false;
  /* numpy's negative axes: -1 is the last. */
  const int64_t ax = axis < 0 ? axis + x->ndim : axis;
  if (ax < 0 || ax >= x->ndim)
    return args_error(&a, 1, "is %lld, out of range for a %s (%s)",
                      (long long)axis, x->ndim == 1 ? "vector" : "matrix",
                      x->ndim == 1 ? "its only axis is 0"
                                   : "its axes are 0 and 1");
  char err[TENSOR_ERR_LEN];
  ObjTensor *r = tensor_reduce_axis(x, kind, (int)ax, err);
  if (!r)
    return tensor_error(vm, fn, err);
  if (x->ndim == 1)
    return number_result(result, r->data[0]);
  return tensor_result(result, r);
}

static bool b_sum(VM *vm, const CallArgs *call, Value *result) {
  return reduction(vm, call, result, "sum", "sum", tensor_sum, true);
}

static bool b_mean(VM *vm, const CallArgs *call, Value *result) {
  return reduction(vm, call, result, "mean", "mean", tensor_mean, false);
}

static bool b_var(VM *vm, const CallArgs *call, Value *result) {
  return reduction(vm, call, result, "var", "var", tensor_var, false);
}

static bool b_sd(VM *vm, const CallArgs *call, Value *result) {
  return reduction(vm, call, result, "sd", "sd", tensor_sd, false);
}

/* min(a, b) / max(a, b) of two numbers; nan if either is nan. */
static bool pairwise_extreme(VM *vm, const CallArgs *call, Value *result,
                             const char *fn, bool want_max) {
  static const char *const names[] = {"a", "b", NULL};
  Args a;
  double x, y;
  if (!args_bind(&a, vm, call, fn, names, 2) || !args_num(&a, 0, &x) ||
      !args_num(&a, 1, &y))
    return false;
  if (isnan(x) || isnan(y))
    return number_result(result, NAN);
  return number_result(result, want_max ? fmax(x, y) : fmin(x, y));
}

static bool two_numbers(const CallArgs *call) {
  return call->argc == 2 && call->kwc == 0 && IS_NUM(call->argv[0]) &&
         IS_NUM(call->argv[1]);
}

static bool b_min(VM *vm, const CallArgs *call, Value *result) {
  if (two_numbers(call))
    return pairwise_extreme(vm, call, result, "min", false);
  return reduction(vm, call, result, "min", "min", tensor_min, false);
}

static bool b_max(VM *vm, const CallArgs *call, Value *result) {
  if (two_numbers(call))
    return pairwise_extreme(vm, call, result, "max", true);
  return reduction(vm, call, result, "max", "max", tensor_max, false);
}

/* A one-argument builtin over a vector or matrix: binds x and reads it. */
static bool bind_data(Args *a, VM *vm, const CallArgs *call, const char *fn,
                      ObjTensor **x) {
  static const char *const names[] = {"x", NULL};
  return args_bind(a, vm, call, fn, names, 1) && args_data(a, 0, x);
}

/* A one-argument builtin over a vector only. */
static bool bind_vector(Args *a, VM *vm, const CallArgs *call, const char *fn,
                        ObjTensor **x) {
  static const char *const names[] = {"x", NULL};
  return args_bind(a, vm, call, fn, names, 1) && args_vector(a, 0, x);
}

static bool b_prod(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  if (!bind_data(&a, vm, call, "prod", &x))
    return false;
  double p = 1.0;
  for (size_t i = 0; i < x->len; i++)
    p *= x->data[i];
  return number_result(result, p);
}

static bool b_cumsum(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  if (!bind_vector(&a, vm, call, "cumsum", &x))
    return false;
  ObjTensor *t = tensor_vector(x->len);
  double s = 0.0;
  for (size_t i = 0; i < x->len; i++) {
    s += x->data[i];
    t->data[i] = s;
  }
  return tensor_result(result, t);
}

static bool b_cumprod(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  if (!bind_vector(&a, vm, call, "cumprod", &x))
    return false;
  ObjTensor *t = tensor_vector(x->len);
  double p = 1.0;
  for (size_t i = 0; i < x->len; i++) {
    p *= x->data[i];
    t->data[i] = p;
  }
  return tensor_result(result, t);
}

/* x[i+1] - x[i]: one element shorter than x (empty for length 0 or 1). */
static bool b_diff(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  if (!bind_vector(&a, vm, call, "diff", &x))
    return false;
  const size_t n = x->len > 0 ? x->len - 1 : 0;
  ObjTensor *t = tensor_vector(n);
  for (size_t i = 0; i < n; i++)
    t->data[i] = x->data[i + 1] - x->data[i];
  return tensor_result(result, t);
}

/* ---- order ------------------------------------------------------------- */

static bool b_sort(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  if (!bind_vector(&a, vm, call, "sort", &x))
    return false;
  ObjTensor *t = tensor_from_array(x->data, x->len);
  qsort(t->data, t->len, sizeof(double), compare_doubles);
  return tensor_result(result, t);
}

typedef struct Keyed {
  double value;
  size_t index;
} Keyed;

/* By value (nan last), then by position: a stable order from qsort. */
static int compare_keyed(const void *pa, const void *pb) {
  const Keyed *a = pa, *b = pb;
  const int c = compare_doubles(&a->value, &b->value);
  if (c != 0)
    return c;
  return (a->index > b->index) - (a->index < b->index);
}

static bool b_argsort(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  if (!bind_vector(&a, vm, call, "argsort", &x))
    return false;
  const size_t n = x->len;
  Keyed *keys = mem_alloc_atomic((n ? n : 1) * sizeof *keys);
  for (size_t i = 0; i < n; i++)
    keys[i] = (Keyed){x->data[i], i};
  qsort(keys, n, sizeof *keys, compare_keyed);
  ObjTensor *t = tensor_vector(n);
  for (size_t i = 0; i < n; i++)
    t->data[i] = (double)keys[i].index;
  return tensor_result(result, t);
}

/* A vector or a list, back to front. */
static bool b_reverse(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  ObjTensor *x;
  if (!args_bind(&a, vm, call, "reverse", names, 1))
    return false;
  if (IS_LIST(a.v[0])) {
    const ObjList *l = AS_LIST(a.v[0]);
    ObjList *r = list_new(l->len);
    for (size_t i = l->len; i > 0; i--)
      list_push(r, l->items[i - 1]);
    *result = OBJ_VAL(r);
    return true;
  }
  if (!args_vector(&a, 0, &x))
    return false;
  ObjTensor *t = tensor_vector(x->len);
  for (size_t i = 0; i < x->len; i++)
    t->data[i] = x->data[x->len - 1 - i];
  return tensor_result(result, t);
}

/* ---- products and shape ------------------------------------------------ */

static bool b_dot(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"a", "b", NULL};
  Args a;
  ObjTensor *x, *y;
  if (!args_bind(&a, vm, call, "dot", names, 2) || !args_vector(&a, 0, &x) ||
      !args_vector(&a, 1, &y))
    return false;
  if (x->len != y->len)
    return vm_error(vm, "dot(): lengths %zu and %zu differ", x->len, y->len);
  char err[TENSOR_ERR_LEN];
  ObjTensor *r = tensor_matmul(x, y, NULL, err);
  if (!r)
    return tensor_error(vm, "dot", err);
  return number_result(result, r->data[0]);
}

static bool b_matmul(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"a", "b", NULL};
  Args a;
  ObjTensor *x, *y;
  if (!args_bind(&a, vm, call, "matmul", names, 2) || !args_data(&a, 0, &x) ||
      !args_data(&a, 1, &y))
    return false;
  char err[TENSOR_ERR_LEN];
  bool scalar = false;
  ObjTensor *r = tensor_matmul(x, y, &scalar, err);
  if (!r)
    return tensor_error(vm, "matmul", err);
  if (scalar)
    return number_result(result, r->data[0]);
  return tensor_result(result, r);
}

static bool b_transpose(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  if (!bind_data(&a, vm, call, "transpose", &x))
    return false;
  return tensor_result(result, tensor_transpose(x));
}

/* concat(a, b, ...): vectors (lists of numbers, ranges, numbers) end to
 * end. */
static bool b_concat(VM *vm, const CallArgs *call, Value *result) {
  if (!no_keywords(vm, "concat", call))
    return false;
  ObjTensor **parts = mem_alloc((call->argc ? call->argc : 1) * sizeof *parts);
  size_t total = 0;
  for (int i = 0; i < call->argc; i++) {
    parts[i] = variadic_arg(vm, "concat", call, i);
    if (!parts[i])
      return false;
    if (parts[i]->ndim == 2)
      return vm_error(vm, "concat(): argument %d must be a vector, got a "
                          "matrix (use rbind or cbind, or flatten it)", i + 1);
    total += parts[i]->len;
  }
  ObjTensor *t = tensor_vector(total);
  size_t at = 0;
  for (int i = 0; i < call->argc; i++) {
    if (parts[i]->len > 0)
      memcpy(t->data + at, parts[i]->data, parts[i]->len * sizeof(double));
    at += parts[i]->len;
  }
  return tensor_result(result, t);
}

/* A reshape dimension: a count, or -1 to infer it. */
static bool reshape_dim(Args *a, int i, int64_t *out) {
  if (!args_int(a, i, out))
    return false;
  if (*out < -1)
    return args_error(a, i, "must be a count >= 0, or -1 to infer it, "
                            "got %lld", (long long)*out);
  return true;
}

/* reshape(x, rows, cols=nil): x's elements row by row as a vector of rows
 * elements or a rows x cols matrix; one dimension may be -1 (inferred). */
static bool b_reshape(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "rows", "cols", NULL};
  Args a;
  ObjTensor *x;
  int64_t rows, cols = 1;
  if (!args_bind(&a, vm, call, "reshape", names, 2) || !args_data(&a, 0, &x) ||
      !reshape_dim(&a, 1, &rows))
    return false;
  const bool matrix = args_given(&a, 2);
  if (matrix && !reshape_dim(&a, 2, &cols))
    return false;
  if (rows == -1 && cols == -1)
    return args_error(&a, 2, "cannot be -1 when 'rows' is -1 too");
  if (rows == -1)
    rows = cols == 0 ? 0 : (int64_t)(x->len / (size_t)cols);
  if (cols == -1)
    cols = rows == 0 ? 0 : (int64_t)(x->len / (size_t)rows);
  char err[TENSOR_ERR_LEN];
  ObjTensor *r = tensor_reshape(x, matrix ? 2 : 1, (size_t)rows, (size_t)cols,
                                err);
  if (!r)
    return tensor_error(vm, "reshape", err);
  return tensor_result(result, r);
}

static bool b_flatten(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  if (!bind_data(&a, vm, call, "flatten", &x))
    return false;
  return tensor_result(result, tensor_from_array(x->data, x->len));
}

static bool b_shape(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  if (!bind_data(&a, vm, call, "shape", &x))
    return false;
  ObjTensor *s = tensor_vector((size_t)x->ndim);
  s->data[0] = (double)x->shape[0];
  if (x->ndim == 2)
    s->data[1] = (double)x->shape[1];
  return tensor_result(result, s);
}

/* Rows and columns of x, a vector counting as one row. */
static void grid_of(const ObjTensor *x, size_t *rows, size_t *cols) {
  *rows = x->ndim == 1 ? 1 : x->shape[0];
  *cols = x->ndim == 1 ? x->len : x->shape[1];
}

static bool b_nrow(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  size_t rows, cols;
  if (!bind_data(&a, vm, call, "nrow", &x))
    return false;
  grid_of(x, &rows, &cols);
  return number_result(result, (double)rows);
}

static bool b_ncol(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  size_t rows, cols;
  if (!bind_data(&a, vm, call, "ncol", &x))
    return false;
  grid_of(x, &rows, &cols);
  return number_result(result, (double)cols);
}

static bool b_row(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"m", "i", NULL};
  Args a;
  ObjTensor *m;
  size_t rows, cols, i;
  if (!args_bind(&a, vm, call, "row", names, 2) || !args_data(&a, 0, &m))
    return false;
  grid_of(m, &rows, &cols);
  if (!args_index(&a, 1, rows, "row", "rows", &i))
    return false;
  return tensor_result(result, tensor_from_array(m->data + i * cols, cols));
}

static bool b_col(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"m", "j", NULL};
  Args a;
  ObjTensor *m;
  size_t rows, cols, j;
  if (!args_bind(&a, vm, call, "col", names, 2) || !args_data(&a, 0, &m))
    return false;
  grid_of(m, &rows, &cols);
  if (!args_index(&a, 1, cols, "column", "columns", &j))
    return false;
  ObjTensor *t = tensor_vector(rows);
  for (size_t i = 0; i < rows; i++)
    t->data[i] = m->data[i * cols + j];
  return tensor_result(result, t);
}

/* The arguments of rbind (by_rows) or cbind as row blocks: for cbind each
 * matrix is transposed, so that both stack rows; a vector is one row either
 * way. Checks that all share *across columns; *along is the total of rows.
 * NULL with the error set on a bad argument. */
static ObjTensor **stack_parts(VM *vm, const char *fn, const CallArgs *call,
                               bool by_rows, size_t *across, size_t *along) {
  if (!no_keywords(vm, fn, call))
    return NULL;
  ObjTensor **parts = mem_alloc((call->argc ? call->argc : 1) * sizeof *parts);
  *across = 0;
  *along = 0;
  for (int i = 0; i < call->argc; i++) {
    ObjTensor *p = variadic_arg(vm, fn, call, i);
    if (!p)
      return NULL;
    if (!by_rows && p->ndim == 2)
      p = tensor_transpose(p);
    size_t rows, cols;
    grid_of(p, &rows, &cols);
    if (i > 0 && cols != *across) {
      vm_error(vm, "%s(): argument %d has %zu %s, argument 1 has %zu", fn,
               i + 1, cols, by_rows ? "columns" : "rows", *across);
      return NULL;
    }
    *across = cols;
    *along += rows;
    parts[i] = p;
  }
  return parts;
}

/* rbind(...) (by_rows) or cbind(...): vectors become rows (columns) and
 * matrices contribute theirs. */
static bool stack(VM *vm, const CallArgs *call, Value *result, const char *fn,
                  bool by_rows) {
  size_t across, along;
  ObjTensor **parts = stack_parts(vm, fn, call, by_rows, &across, &along);
  if (!parts)
    return false;
  ObjTensor *m = tensor_matrix(along, across);
  size_t at = 0;
  for (int i = 0; i < call->argc; i++) {
    if (parts[i]->len > 0)
      memcpy(m->data + at, parts[i]->data, parts[i]->len * sizeof(double));
    at += parts[i]->len;
  }
  if (!by_rows)
    m = tensor_transpose(m);
  return tensor_result(result, m);
}

static bool b_rbind(VM *vm, const CallArgs *call, Value *result) {
  return stack(vm, call, result, "rbind", true);
}

static bool b_cbind(VM *vm, const CallArgs *call, Value *result) {
  return stack(vm, call, result, "cbind", false);
}

/* outer(a, b)[i, j] = a[i] * b[j]. */
static bool b_outer(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"a", "b", NULL};
  Args a;
  ObjTensor *x, *y;
  if (!args_bind(&a, vm, call, "outer", names, 2) || !args_vector(&a, 0, &x) ||
      !args_vector(&a, 1, &y) || !check_size(&a, 1, x->len, y->len))
    return false;
  ObjTensor *m = tensor_matrix(x->len, y->len);
  for (size_t i = 0; i < x->len; i++)
    for (size_t j = 0; j < y->len; j++)
      m->data[i * y->len + j] = x->data[i] * y->data[j];
  return tensor_result(result, m);
}

/* ---- quantiles --------------------------------------------------------- */

/* Quantile q of sorted x[0..n), n >= 1: type 7 of Hyndman & Fan (1996),
 * "Sample quantiles in statistical packages", Am. Stat. 50(4) — the default
 * of R and numpy: h = (n-1) q, x[floor h] + (h - floor h)(x[floor h + 1] -
 * x[floor h]). */
static double quantile_sorted(const double *x, size_t n, double q) {
  const double h = (double)(n - 1) * q;
  const size_t lo = (size_t)floor(h);
  if (lo + 1 >= n || h == (double)lo)
    return x[lo < n ? lo : n - 1];
  return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

static bool check_probability(Args *a, int i, double q) {
  if (q >= 0.0 && q <= 1.0)
    return true;
  return args_error(a, i, "must be between 0 and 1, got %g", q);
}

static const double *sorted_copy(const ObjTensor *x) {
  double *s = mem_alloc_atomic((x->len ? x->len : 1) * sizeof(double));
  if (x->len > 0)
    memcpy(s, x->data, x->len * sizeof(double));
  qsort(s, x->len, sizeof(double), compare_doubles);
  return s;
}

static bool b_quantile(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "q", NULL};
  Args a;
  ObjTensor *x, *q;
  if (!args_bind(&a, vm, call, "quantile", names, 2) ||
      !args_vector(&a, 0, &x))
    return false;
  if (x->len == 0)
    return args_error(&a, 0, "is empty");
  const bool scalar_q = IS_NUM(a.v[1]);
  if (!args_vector(&a, 1, &q))
    return false;
  for (size_t i = 0; i < q->len; i++)
    if (!check_probability(&a, 1, q->data[i]))
      return false;
  const double *s = sorted_copy(x);
  if (scalar_q)
    return number_result(result, quantile_sorted(s, x->len, q->data[0]));
  ObjTensor *t = tensor_vector(q->len);
  for (size_t i = 0; i < q->len; i++)
    t->data[i] = quantile_sorted(s, x->len, q->data[i]);
  return tensor_result(result, t);
}

static bool b_median(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  ObjTensor *x;
  if (!bind_data(&a, vm, call, "median", &x))
    return false;
  if (x->len == 0)
    return args_error(&a, 0, "is empty");
  return number_result(result, quantile_sorted(sorted_copy(x), x->len, 0.5));
}

/* ---- logic ------------------------------------------------------------- */

/* Flat indices of the non-zero elements (nan counts as non-zero). */
static bool b_which(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"mask", NULL};
  Args a;
  ObjTensor *x;
  if (!args_bind(&a, vm, call, "which", names, 1) || !args_data(&a, 0, &x))
    return false;
  size_t count = 0;
  for (size_t i = 0; i < x->len; i++)
    count += x->data[i] != 0.0;
  ObjTensor *t = tensor_vector(count);
  size_t at = 0;
  for (size_t i = 0; i < x->len; i++)
    if (x->data[i] != 0.0)
      t->data[at++] = (double)i;
  return tensor_result(result, t);
}

/* The truth of list item v for any/all: a bool, or a number (non-zero). */
static bool item_truth(Args *a, const ObjList *l, size_t i, bool *out) {
  const Value v = l->items[i];
  if (IS_BOOL(v)) {
    *out = AS_BOOL(v);
    return true;
  }
  if (IS_NUM(v)) {
    *out = AS_NUM(v) != 0.0;
    return true;
  }
  return args_error(a, 0, "must hold numbers or bools, but item %zu is a %s",
                    i, value_type_name(v));
}

/* any (want true) or all (want false) over x: is some element's truth
 * equal to `want`? any over nothing is false, all over nothing true. */
static bool quantifier(VM *vm, const CallArgs *call, Value *result,
                       const char *fn, bool want) {
  static const char *const names[] = {"x", NULL};
  Args a;
  ObjTensor *x;
  bool found = false;
  if (!args_bind(&a, vm, call, fn, names, 1))
    return false;
  if (IS_BOOL(a.v[0])) {
    found = AS_BOOL(a.v[0]) == want;
  } else if (IS_LIST(a.v[0])) {
    const ObjList *l = AS_LIST(a.v[0]);
    for (size_t i = 0; i < l->len && !found; i++) {
      bool truth = false;
      if (!item_truth(&a, l, i, &truth))
        return false;
      found = truth == want;
    }
  } else {
    if (!args_data(&a, 0, &x))
      return false;
    for (size_t i = 0; i < x->len && !found; i++)
      found = (x->data[i] != 0.0) == want;
  }
  *result = BOOL_VAL(want ? found : !found);
  return true;
}

static bool b_any(VM *vm, const CallArgs *call, Value *result) {
  return quantifier(vm, call, result, "any", true);
}

static bool b_all(VM *vm, const CallArgs *call, Value *result) {
  return quantifier(vm, call, result, "all", false);
}

/* ---- registration ------------------------------------------------------ */

static const BuiltinDef vector_builtins[] = {
    {"zeros", b_zeros,
     "zeros(n, m=nil): a vector of n zeros, or an n x m matrix"},
    {"ones", b_ones, "ones(n, m=nil): a vector of n ones, or an n x m matrix"},
    {"full", b_full,
     "full(n, value, m=nil): a vector of n copies of value, or an n x m "
     "matrix"},
    {"linspace", b_linspace,
     "linspace(start, stop, n=50): n evenly spaced values from start to stop, "
     "both included"},
    {"seq", b_seq,
     "seq(start, stop, by=1): start, start+by, ... up to stop (included when "
     "a step lands on it), as R's seq"},
    {"vector", b_vector,
     "vector(x): a new vector from a list of numbers, range, number, vector "
     "or matrix (row by row)"},
    {"matrix", b_matrix,
     "matrix(x, nrow=nil, ncol=nil): a matrix from a list of equal-length "
     "rows, or x's elements filled row by row into nrow x ncol"},
    {"eye", b_eye, "eye(n): the n x n identity matrix"},
    {"sum", b_sum,
     "sum(x, axis=nil): the sum of all elements (0 when empty), or per column "
     "(axis=0) / per row (axis=1) of a matrix"},
    {"mean", b_mean,
     "mean(x, axis=nil): the mean of all elements, or per column (axis=0) / "
     "row (axis=1)"},
    {"var", b_var,
     "var(x, axis=nil): the sample variance (n-1 denominator), or per column "
     "(axis=0) / row (axis=1)"},
    {"sd", b_sd,
     "sd(x, axis=nil): the sample standard deviation (n-1 denominator), or per "
     "column (axis=0) / row (axis=1)"},
    {"min", b_min,
     "min(x, axis=nil): the smallest element (or per column/row with axis); "
     "min(a, b) of two numbers"},
    {"max", b_max,
     "max(x, axis=nil): the largest element (or per column/row with axis); "
     "max(a, b) of two numbers"},
    {"prod", b_prod, "prod(x): the product of all elements (1 when empty)"},
    {"cumsum", b_cumsum, "cumsum(x): running sums of a vector"},
    {"cumprod", b_cumprod, "cumprod(x): running products of a vector"},
    {"diff", b_diff,
     "diff(x): differences x[i+1] - x[i], one element shorter than x"},
    {"sort", b_sort, "sort(x): a sorted copy of a vector, ascending, nan last"},
    {"argsort", b_argsort,
     "argsort(x): the 0-based indices that sort x (stable: ties keep their "
     "order)"},
    {"reverse", b_reverse, "reverse(x): a vector or list back to front"},
    {"dot", b_dot, "dot(a, b): the dot product of two equal-length vectors"},
    {"matmul", b_matmul,
     "matmul(a, b): the matrix product (vector.vector is a number, as numpy)"},
    {"transpose", b_transpose,
     "transpose(m): the transposed matrix (a vector becomes a column)"},
    {"concat", b_concat, "concat(a, b, ...): vectors joined end to end"},
    {"reshape", b_reshape,
     "reshape(x, rows, cols=nil): x's elements row by row as a vector of rows "
     "elements or a rows x cols matrix (-1 infers one)"},
    {"flatten", b_flatten, "flatten(m): a matrix's elements row by row"},
    {"quantile", b_quantile,
     "quantile(x, q): sample quantile(s) at q in [0, 1] (linear "
     "interpolation, type 7 as R and numpy)"},
    {"median", b_median, "median(x): the sample median"},
    {"shape", b_shape, "shape(x): [n] for a vector, [rows, cols] for a matrix"},
    {"nrow", b_nrow, "nrow(m): the number of rows (1 for a vector)"},
    {"ncol", b_ncol,
     "ncol(m): the number of columns (a vector's length for a vector)"},
    {"row", b_row, "row(m, i): row i of a matrix as a vector (0-based)"},
    {"col", b_col, "col(m, j): column j of a matrix as a vector (0-based)"},
    {"rbind", b_rbind,
     "rbind(a, b, ...): a matrix stacking vectors as rows and matrices' rows"},
    {"cbind", b_cbind,
     "cbind(a, b, ...): a matrix placing vectors as columns and matrices' "
     "columns side by side"},
    {"outer", b_outer, "outer(a, b): the matrix of products a[i] * b[j]"},
    {"which", b_which,
     "which(mask): the 0-based indices of the non-zero (true) elements"},
    {"any", b_any, "any(x): true when some element is non-zero or true"},
    {"all", b_all, "all(x): true when every element is non-zero or true"},
    {NULL, NULL, NULL},
};

/* Defines the vector and matrix builtins as globals of vm. */
void lib_vector_register(VM *vm) { builtin_register(vm, vector_builtins); }
