/*
 * tensor.c — vectors and matrices of double: storage, broadcasting kernels,
 * reductions, the matrix product and printing.
 *
 * Storage: the ObjTensor struct comes from mem_alloc (it points at its data),
 * the data array from mem_alloc_atomic (numbers only). A vector has ndim 1
 * and shape {n, 1}; a matrix ndim 2 and shape {rows, cols}, row-major.
 *
 * Broadcasting (numpy's rule for at most two axes): every operand is seen as
 * a rows x cols grid (a vector of length n is the 1 x n row); each axis must
 * agree or be 1 in one operand, which then repeats along it. The result is a
 * vector when both operands are vectors, else a matrix. The elementwise
 * kernels are generated once per operator from TENSOR_BINOPS, so the switch
 * on the operator happens once per call, never per element; each kernel is
 * told only whether each operand advances (stride 1) or repeats (stride 0),
 * so the same-shape and scalar cases are single straight loops.
 *
 * Floored % and // follow CPython's float_divmod (Objects/floatobject.c):
 * the remainder takes the sign of the divisor. Division by zero follows
 * IEEE/numpy rather than raising: x // 0 is +-inf (nan for 0 // 0) and
 * x % 0 is nan.
 *
 * Sums are pairwise (Higham 1993, "The accuracy of floating point
 * summation", SIAM J. Sci. Comput. 14(4)), as numpy's are; the variance is
 * the corrected two-pass algorithm of Chan, Golub & LeVeque (1983),
 * "Algorithms for computing the sample variance", Am. Stat. 37(3).
 * The matrix product goes through CBLAS (OpenBLAS or gslcblas).
 */
#include <config.h>
#include "tensor.h"

#include "blas.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "strbuf.h"

/* Below this many elements a sum is a plain loop; above it the range is
 * halved recursively. numpy uses the same block (PW_BLOCKSIZE = 128). */
enum { PAIRWISE_BLOCK = 128 };

/* Tile edge for the blocked transpose: a 32 x 32 tile of doubles (8 KiB)
 * each way fits a typical 32 KiB L1 data cache. */
enum { TRANSPOSE_BLOCK = 32 };

/* Items kept at each end of an elided vector or matrix axis (numpy's
 * edgeitems default). */
enum { PRINT_EDGE_ITEMS = 3 };

/* Room for "(%zu, %zu)" with two 20-digit counts. */
enum { SHAPE_STR_LEN = 48 };

/* ---- creation ---------------------------------------------------------- */

static ObjTensor *tensor_alloc(int ndim, size_t rows, size_t cols) {
  ASSERT(ndim == 1 || ndim == 2);
  ASSERT(cols == 0 || rows <= SIZE_MAX / sizeof(double) / cols);
  ObjTensor *t = mem_alloc(sizeof *t);
  t->obj.kind = OBJ_TENSOR;
  t->ndim = ndim;
  t->shape[0] = rows;
  t->shape[1] = cols;
  t->len = rows * cols;
  t->data = mem_alloc_atomic(t->len * sizeof(double));
  return t;
}

ObjTensor *tensor_vector(size_t n) { return tensor_alloc(1, n, 1); }

ObjTensor *tensor_matrix(size_t rows, size_t cols) {
  return tensor_alloc(2, rows, cols);
}

/* For ndim 1 the length is rows (cols is ignored). */
ObjTensor *tensor_zeros(int ndim, size_t rows, size_t cols) {
  ObjTensor *t = ndim == 1 ? tensor_vector(rows) : tensor_matrix(rows, cols);
  memset(t->data, 0, t->len * sizeof(double));
  return t;
}

/* A new vector holding a copy of x[0..n). */
ObjTensor *tensor_from_array(const double *x, size_t n) {
  ObjTensor *t = tensor_vector(n);
  if (n > 0)
    memcpy(t->data, x, n * sizeof(double));
  return t;
}

ObjTensor *tensor_like(const ObjTensor *t) {
  return tensor_alloc(t->ndim, t->shape[0], t->shape[1]);
}

ObjTensor *tensor_copy(const ObjTensor *t) {
  ObjTensor *c = tensor_like(t);
  if (t->len > 0)
    memcpy(c->data, t->data, t->len * sizeof(double));
  return c;
}

const char *tensor_shape_str(const ObjTensor *t, char *buf, size_t n) {
  if (t->ndim == 1)
    snprintf(buf, n, "(%zu)", t->shape[0]);
  else
    snprintf(buf, n, "(%zu, %zu)", t->shape[0], t->shape[1]);
  return buf;
}

/* ---- scalar operators -------------------------------------------------- */

const char *tensor_op_symbol(TensorOp op) {
  static const char *const symbols[] = {
#define X(name, sym) sym,
      TENSOR_BINOPS(X)
#undef X
  };
  ASSERT((size_t)op < sizeof symbols / sizeof symbols[0]);
  return symbols[op];
}

/* a mod b with the sign of b (CPython float_divmod); nan for b == 0. */
static inline double floored_mod(double a, double b) {
  double m = fmod(a, b);
  if (m != 0.0) {
    if ((b < 0.0) != (m < 0.0))
      m += b;
  } else {
    m = copysign(0.0, b);
  }
  return m;
}

/* floor(a / b) computed as CPython does, exact where a / b would round up
 * to the next integer; a / b (+-inf or nan) for b == 0, as numpy. */
static inline double floored_div(double a, double b) {
  if (b == 0.0)
    return a / b;
  const double m = fmod(a, b);
  double div = (a - m) / b;
  if (m != 0.0 && (b < 0.0) != (m < 0.0))
    div -= 1.0;
  if (div == 0.0)
    return copysign(0.0, a / b);
  double f = floor(div);
  if (div - f > 0.5)
    f += 1.0;
  return f;
}

static inline double op_ADD(double a, double b) { return a + b; }
static inline double op_SUB(double a, double b) { return a - b; }
static inline double op_MUL(double a, double b) { return a * b; }
static inline double op_DIV(double a, double b) { return a / b; }
static inline double op_FLOORDIV(double a, double b) {
  return floored_div(a, b);
}
static inline double op_MOD(double a, double b) { return floored_mod(a, b); }
static inline double op_POW(double a, double b) { return pow(a, b); }
static inline double op_EQ(double a, double b) { return a == b ? 1.0 : 0.0; }
static inline double op_NE(double a, double b) { return a != b ? 1.0 : 0.0; }
static inline double op_LT(double a, double b) { return a < b ? 1.0 : 0.0; }
static inline double op_LE(double a, double b) { return a <= b ? 1.0 : 0.0; }
static inline double op_GT(double a, double b) { return a > b ? 1.0 : 0.0; }
static inline double op_GE(double a, double b) { return a >= b ? 1.0 : 0.0; }

double tensor_apply(TensorOp op, double a, double b) {
  switch (op) {
#define X(name, sym)                                                          \
  case TOP_##name:                                                            \
    return op_##name(a, b);
    TENSOR_BINOPS(X)
#undef X
  }
  PANIC("unknown tensor operator");
}

/* ---- elementwise kernels ----------------------------------------------- */

/* out[i] = a[i*sa] op b[i*sb] for i < n, where each operand either advances
 * (step true) or repeats its first element (step false). */
typedef void (*Kernel)(const double *a, bool a_step, const double *b,
                       bool b_step, double *out, size_t n);

#define X(name, sym)                                                          \
  static void kernel_##name(const double *a, bool a_step, const double *b,   \
                            bool b_step, double *out, size_t n) {             \
    if (a_step && b_step) {                                                   \
      for (size_t i = 0; i < n; i++)                                          \
        out[i] = op_##name(a[i], b[i]);                                       \
    } else if (a_step) {                                                      \
      const double y = b[0];                                                  \
      for (size_t i = 0; i < n; i++)                                          \
        out[i] = op_##name(a[i], y);                                          \
    } else if (b_step) {                                                      \
      const double x = a[0];                                                  \
      for (size_t i = 0; i < n; i++)                                          \
        out[i] = op_##name(x, b[i]);                                          \
    } else if (n > 0) {                                                       \
      const double v = op_##name(a[0], b[0]);                                 \
      for (size_t i = 0; i < n; i++)                                          \
        out[i] = v;                                                           \
    }                                                                         \
  }
TENSOR_BINOPS(X)
#undef X

static const Kernel kernels[] = {
#define X(name, sym) kernel_##name,
    TENSOR_BINOPS(X)
#undef X
};

static Kernel kernel_for(TensorOp op) {
  ASSERT((size_t)op < sizeof kernels / sizeof kernels[0]);
  return kernels[op];
}

/* ---- broadcasting ------------------------------------------------------ */

/* t seen as a grid: a vector of length n is 1 x n. */
static void grid_of(const ObjTensor *t, size_t *rows, size_t *cols) {
  if (t->ndim == 1) {
    *rows = 1;
    *cols = t->shape[0];
  } else {
    *rows = t->shape[0];
    *cols = t->shape[1];
  }
}

/* The broadcast length of one axis; false when x and y differ and neither
 * is 1. */
static bool broadcast_axis(size_t x, size_t y, size_t *out) {
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

static ObjTensor *broadcast_error(const ObjTensor *a, const ObjTensor *b,
                                  char *err) {
  char sa[SHAPE_STR_LEN], sb[SHAPE_STR_LEN];
  snprintf(err, TENSOR_ERR_LEN, "shapes %s and %s do not broadcast",
           tensor_shape_str(a, sa, sizeof sa),
           tensor_shape_str(b, sb, sizeof sb));
  return NULL;
}

ObjTensor *tensor_binop(TensorOp op, const ObjTensor *a, const ObjTensor *b,
                        char *err) {
  size_t ra, ca, rb, cb, rows, cols;
  grid_of(a, &ra, &ca);
  grid_of(b, &rb, &cb);
  if (!broadcast_axis(ra, rb, &rows) || !broadcast_axis(ca, cb, &cols))
    return broadcast_error(a, b, err);
  const Kernel kernel = kernel_for(op);
  ObjTensor *out = (a->ndim == 1 && b->ndim == 1) ? tensor_vector(cols)
                                                   : tensor_matrix(rows, cols);
  /* Fast paths: the whole result in one straight loop. */
  if (ra == rb && ca == cb) {
    kernel(a->data, true, b->data, true, out->data, out->len);
    return out;
  }
  if (b->len == 1) {
    kernel(a->data, true, b->data, false, out->data, out->len);
    return out;
  }
  if (a->len == 1) {
    kernel(a->data, false, b->data, true, out->data, out->len);
    return out;
  }
  /* General case: row by row; a row of a 1-row operand is reused, and a
   * 1-column operand repeats its element along the row. */
  const bool a_step = ca != 1, b_step = cb != 1;
  for (size_t i = 0; i < rows; i++) {
    const double *pa = a->data + (ra == 1 ? 0 : i * ca);
    const double *pb = b->data + (rb == 1 ? 0 : i * cb);
    kernel(pa, a_step, pb, b_step, out->data + i * cols, cols);
  }
  return out;
}

ObjTensor *tensor_binop_scalar(TensorOp op, const ObjTensor *a, double s,
                               bool scalar_left) {
  const Kernel kernel = kernel_for(op);
  ObjTensor *out = tensor_like(a);
  if (scalar_left)
    kernel(&s, false, a->data, true, out->data, out->len);
  else
    kernel(a->data, true, &s, false, out->data, out->len);
  return out;
}

ObjTensor *tensor_neg(const ObjTensor *a) {
  ObjTensor *out = tensor_like(a);
  for (size_t i = 0; i < a->len; i++)
    out->data[i] = -a->data[i];
  return out;
}

ObjTensor *tensor_map(const ObjTensor *a, double (*f)(double)) {
  ObjTensor *out = tensor_like(a);
  for (size_t i = 0; i < a->len; i++)
    out->data[i] = f(a->data[i]);
  return out;
}

/* ---- matrix product, transpose, reshape -------------------------------- */

static ObjTensor *inner_error(size_t k1, size_t k2, char *err) {
  snprintf(err, TENSOR_ERR_LEN, "inner dimensions %zu and %zu differ", k1,
           k2);
  return NULL;
}

/* BLAS counts dimensions in int. */
static bool blas_fits(size_t n) { return n <= (size_t)INT_MAX; }

/* vector . vector: their dot product as a 1-element vector. */
static ObjTensor *matmul_vv(const ObjTensor *a, const ObjTensor *b,
                            char *err) {
  const size_t n = a->len;
  if (n != b->len)
    return inner_error(n, b->len, err);
  ObjTensor *out = tensor_vector(1);
  out->data[0] = n == 0 ? 0.0 : blas()->ddot((int)n, a->data, 1, b->data, 1);
  return out;
}

/* matrix (m x k) . vector (k): A x, a vector of length m. */
static ObjTensor *matmul_mv(const ObjTensor *a, const ObjTensor *x,
                            char *err) {
  const size_t m = a->shape[0], k = a->shape[1];
  if (k != x->len)
    return inner_error(k, x->len, err);
  if (m == 0 || k == 0)
    return tensor_zeros(1, m, 1);
  ObjTensor *out = tensor_vector(m);
  blas()->dgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)k, 1.0, a->data,
              (int)k, x->data, 1, 0.0, out->data, 1);
  return out;
}

/* vector (k) . matrix (k x n): B' x, a vector of length n. */
static ObjTensor *matmul_vm(const ObjTensor *x, const ObjTensor *b,
                            char *err) {
  const size_t k = b->shape[0], n = b->shape[1];
  if (x->len != k)
    return inner_error(x->len, k, err);
  if (n == 0 || k == 0)
    return tensor_zeros(1, n, 1);
  ObjTensor *out = tensor_vector(n);
  blas()->dgemv(CblasRowMajor, CblasTrans, (int)k, (int)n, 1.0, b->data, (int)n,
              x->data, 1, 0.0, out->data, 1);
  return out;
}

/* matrix (m x k) . matrix (k x n): an m x n matrix. */
static ObjTensor *matmul_mm(const ObjTensor *a, const ObjTensor *b,
                            char *err) {
  const size_t m = a->shape[0], k = a->shape[1], n = b->shape[1];
  if (k != b->shape[0])
    return inner_error(k, b->shape[0], err);
  if (m == 0 || n == 0 || k == 0)
    return tensor_zeros(2, m, n);
  ObjTensor *out = tensor_matrix(m, n);
  blas()->dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n,
              (int)k, 1.0, a->data, (int)k, b->data, (int)n, 0.0, out->data,
              (int)n);
  return out;
}

ObjTensor *tensor_matmul(const ObjTensor *a, const ObjTensor *b, bool *scalar,
                         char *err) {
  bool is_scalar = false;
  if (!blas_fits(a->shape[0]) || !blas_fits(a->shape[1]) ||
      !blas_fits(b->shape[0]) || !blas_fits(b->shape[1])) {
    snprintf(err, TENSOR_ERR_LEN, "operands too large for the matrix product");
    return NULL;
  }
  ObjTensor *out;
  if (a->ndim == 1 && b->ndim == 1) {
    out = matmul_vv(a, b, err);
    is_scalar = true;
  } else if (a->ndim == 2 && b->ndim == 1) {
    out = matmul_mv(a, b, err);
  } else if (a->ndim == 1) {
    out = matmul_vm(a, b, err);
  } else {
    out = matmul_mm(a, b, err);
  }
  if (scalar)
    *scalar = out && is_scalar;
  return out;
}

/* An n x m matrix transposed into out (m x n), tile by tile. */
static void transpose_into(const double *in, size_t n, size_t m, double *out) {
  for (size_t i0 = 0; i0 < n; i0 += TRANSPOSE_BLOCK) {
    const size_t i1 = i0 + TRANSPOSE_BLOCK < n ? i0 + TRANSPOSE_BLOCK : n;
    for (size_t j0 = 0; j0 < m; j0 += TRANSPOSE_BLOCK) {
      const size_t j1 = j0 + TRANSPOSE_BLOCK < m ? j0 + TRANSPOSE_BLOCK : m;
      for (size_t i = i0; i < i1; i++)
        for (size_t j = j0; j < j1; j++)
          out[j * n + i] = in[i * m + j];
    }
  }
}

/* A matrix's transpose; a vector (a row) becomes an n x 1 column matrix, as
 * R's t() does (numpy's .T would leave it unchanged). */
ObjTensor *tensor_transpose(const ObjTensor *a) {
  if (a->ndim == 1) {
    ObjTensor *out = tensor_matrix(a->len, 1);
    if (a->len > 0)
      memcpy(out->data, a->data, a->len * sizeof(double));
    return out;
  }
  const size_t rows = a->shape[0], cols = a->shape[1];
  ObjTensor *out = tensor_matrix(cols, rows);
  transpose_into(a->data, rows, cols, out->data);
  return out;
}

/* A new tensor (a copy: the input never changes) with a's elements in
 * row-major order and the new shape. */
ObjTensor *tensor_reshape(const ObjTensor *a, int ndim, size_t rows,
                          size_t cols, char *err) {
  ASSERT(ndim == 1 || ndim == 2);
  char shape[SHAPE_STR_LEN];
  if (ndim == 2 && cols > 0 && rows > SIZE_MAX / cols) {
    snprintf(err, TENSOR_ERR_LEN, "shape (%zu, %zu) is too large", rows, cols);
    return NULL;
  }
  const size_t want = ndim == 1 ? rows : rows * cols;
  if (want != a->len) {
    if (ndim == 1)
      snprintf(shape, sizeof shape, "(%zu)", rows);
    else
      snprintf(shape, sizeof shape, "(%zu, %zu)", rows, cols);
    snprintf(err, TENSOR_ERR_LEN, "cannot reshape %zu elements into shape %s",
             a->len, shape);
    return NULL;
  }
  ObjTensor *out =
      ndim == 1 ? tensor_vector(rows) : tensor_matrix(rows, cols);
  if (a->len > 0)
    memcpy(out->data, a->data, a->len * sizeof(double));
  return out;
}

/* ---- reductions -------------------------------------------------------- */

/* Pairwise sum of x[0..n). */
static double sum_pairwise(const double *x, size_t n) {
  if (n <= PAIRWISE_BLOCK) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
      s += x[i];
    return s;
  }
  const size_t half = n / 2;
  return sum_pairwise(x, half) + sum_pairwise(x + half, n - half);
}

static double mean_of(const double *x, size_t n) {
  return n == 0 ? NAN : sum_pairwise(x, n) / (double)n;
}

/* Corrected two-pass sample variance (n-1 denominator):
 *   var = (sum (x-m)^2 - (sum (x-m))^2 / n) / (n - 1). */
static double var_of(const double *x, size_t n) {
  if (n < 2)
    return NAN;
  const double m = mean_of(x, n);
  double ss = 0.0, comp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double d = x[i] - m;
    ss += d * d;
    comp += d;
  }
  return (ss - comp * comp / (double)n) / (double)(n - 1);
}

/* Minimum; nan when empty or when any element is nan (as numpy). */
static double min_of(const double *x, size_t n) {
  if (n == 0)
    return NAN;
  double m = x[0];
  bool has_nan = false;
  for (size_t i = 0; i < n; i++) {
    m = x[i] < m ? x[i] : m;
    has_nan |= isnan(x[i]);
  }
  return has_nan ? NAN : m;
}

static double max_of(const double *x, size_t n) {
  if (n == 0)
    return NAN;
  double m = x[0];
  bool has_nan = false;
  for (size_t i = 0; i < n; i++) {
    m = x[i] > m ? x[i] : m;
    has_nan |= isnan(x[i]);
  }
  return has_nan ? NAN : m;
}

static double sd_of(const double *x, size_t n) { return sqrt(var_of(x, n)); }

double tensor_sum(const ObjTensor *a) { return sum_pairwise(a->data, a->len); }
double tensor_mean(const ObjTensor *a) { return mean_of(a->data, a->len); }
double tensor_var(const ObjTensor *a) { return var_of(a->data, a->len); }
double tensor_sd(const ObjTensor *a) { return sd_of(a->data, a->len); }
double tensor_min(const ObjTensor *a) { return min_of(a->data, a->len); }
double tensor_max(const ObjTensor *a) { return max_of(a->data, a->len); }

typedef double (*Reducer)(const double *x, size_t n);

static Reducer reducer_named(const char *kind) {
  static const struct {
    const char *name;
    Reducer fn;
  } table[] = {{"sum", sum_pairwise}, {"mean", mean_of}, {"var", var_of},
               {"sd", sd_of},         {"min", min_of},   {"max", max_of}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(kind, table[i].name) == 0)
      return table[i].fn;
  return NULL;
}

/* One value per column (axis 0) or per row (axis 1) of a matrix, as a
 * vector. A vector has only axis 0, which reduces all of it (a 1-element
 * vector), as in numpy. Columns are reduced as rows of the transpose so
 * every reduction reads contiguous memory. */
ObjTensor *tensor_reduce_axis(const ObjTensor *a, const char *kind, int axis,
                              char *err) {
  const Reducer reduce = reducer_named(kind);
  if (!reduce) {
    snprintf(err, TENSOR_ERR_LEN,
             "unknown reduction '%s' (expected sum, mean, var, sd, min or "
             "max)",
             kind);
    return NULL;
  }
  if (a->ndim == 1) {
    if (axis != 0) {
      snprintf(err, TENSOR_ERR_LEN,
               "axis %d is out of range for a vector (its only axis is 0)",
               axis);
      return NULL;
    }
    ObjTensor *out = tensor_vector(1);
    out->data[0] = reduce(a->data, a->len);
    return out;
  }
  if (axis != 0 && axis != 1) {
    snprintf(err, TENSOR_ERR_LEN,
             "axis %d is out of range for a matrix (axes are 0 and 1)", axis);
    return NULL;
  }
  const ObjTensor *src = axis == 0 ? tensor_transpose(a) : a;
  const size_t groups = src->shape[0], n = src->shape[1];
  ObjTensor *out = tensor_vector(groups);
  for (size_t i = 0; i < groups; i++)
    out->data[i] = reduce(src->data + i * n, n);
  return out;
}

/* ---- printing ---------------------------------------------------------- */

/* Indices shown along an axis of length n: all of them, or the first and
 * last PRINT_EDGE_ITEMS when elide is set and n is longer than both. */
static bool axis_elided(size_t n, bool elide) {
  return elide && n > 2 * PRINT_EDGE_ITEMS;
}

/* The next index shown after i along an elided or full axis. */
static size_t next_shown(size_t i, size_t n, bool elided) {
  if (elided && i + 1 == PRINT_EDGE_ITEMS)
    return n - PRINT_EDGE_ITEMS;
  return i + 1;
}

static void format_vector(StrBuf *sb, const ObjTensor *t) {
  const size_t n = t->len;
  const bool elided = axis_elided(n, n > TENSOR_PRINT_MAX);
  strbuf_putc(sb, '[');
  for (size_t i = 0; i < n; i = next_shown(i, n, elided)) {
    if (i > 0)
      strbuf_puts(sb, ", ");
    if (elided && i == n - PRINT_EDGE_ITEMS)
      strbuf_puts(sb, "..., ");
    value_format_number(sb, t->data[i]);
  }
  strbuf_putc(sb, ']');
}

/* Width of the widest shown element of a matrix. */
static size_t matrix_width(const ObjTensor *t, bool rows_elided,
                           bool cols_elided) {
  const size_t rows = t->shape[0], cols = t->shape[1];
  StrBuf tmp;
  strbuf_init(&tmp);
  size_t width = 0;
  for (size_t i = 0; i < rows; i = next_shown(i, rows, rows_elided)) {
    for (size_t j = 0; j < cols; j = next_shown(j, cols, cols_elided)) {
      tmp.len = 0;
      value_format_number(&tmp, t->data[i * cols + j]);
      width = tmp.len > width ? tmp.len : width;
    }
  }
  return width;
}

static void format_cell(StrBuf *sb, StrBuf *tmp, double x, size_t width) {
  tmp->len = 0;
  value_format_number(tmp, x);
  for (size_t k = tmp->len; k < width; k++)
    strbuf_putc(sb, ' ');
  strbuf_append(sb, tmp->data, tmp->len);
}

static void format_matrix_row(StrBuf *sb, StrBuf *tmp, const double *row,
                              size_t cols, bool cols_elided, size_t width) {
  strbuf_putc(sb, '[');
  for (size_t j = 0; j < cols; j = next_shown(j, cols, cols_elided)) {
    if (j > 0)
      strbuf_puts(sb, ", ");
    if (cols_elided && j == cols - PRINT_EDGE_ITEMS)
      strbuf_puts(sb, "..., ");
    format_cell(sb, tmp, row[j], width);
  }
  strbuf_putc(sb, ']');
}

/* [[1, 2, 3],
 *  [4, 5, 6]]  with every column right-aligned to the widest element. */
static void format_matrix(StrBuf *sb, const ObjTensor *t) {
  const size_t rows = t->shape[0], cols = t->shape[1];
  const bool elide = t->len > TENSOR_PRINT_MAX;
  const bool rows_elided = axis_elided(rows, elide);
  const bool cols_elided = axis_elided(cols, elide);
  const size_t width = matrix_width(t, rows_elided, cols_elided);
  StrBuf tmp;
  strbuf_init(&tmp);
  strbuf_putc(sb, '[');
  for (size_t i = 0; i < rows; i = next_shown(i, rows, rows_elided)) {
    if (i > 0)
      strbuf_puts(sb, ",\n ");
    if (rows_elided && i == rows - PRINT_EDGE_ITEMS)
      strbuf_puts(sb, "...,\n ");
    format_matrix_row(sb, &tmp, t->data + i * cols, cols, cols_elided, width);
  }
  strbuf_putc(sb, ']');
}

void tensor_format(StrBuf *sb, const ObjTensor *t) {
  if (t->ndim == 1)
    format_vector(sb, t);
  else
    format_matrix(sb, t);
}
