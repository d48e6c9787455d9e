/*
 * test_tensor.c — unit tests of tensor.c: broadcasting over every pair of
 * shapes, each operator (floored % and // with negative operands), the four
 * rank combinations of the matrix product, transpose, reshape, reductions
 * and printing.
 *
 * Expected values were worked out by hand or with Python's float arithmetic
 * and statistics module; inputs are high-entropy (2.385, not 1) so that a
 * dropped term or a swapped operand cannot cancel out.
 */
#include <config.h>

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "check.h"
#include "mem.h"
#include "strbuf.h"
#include "tensor.h"

/* Tolerance for results of a few floating-point operations. */
#define TOL 1e-12

static ObjTensor *vec_of(size_t n, const double *x) {
  return tensor_from_array(x, n);
}

static ObjTensor *mat_of(size_t rows, size_t cols, const double *x) {
  ObjTensor *m = tensor_matrix(rows, cols);
  memcpy(m->data, x, rows * cols * sizeof(double));
  return m;
}

#define NARGS(...) (sizeof((double[]){__VA_ARGS__}) / sizeof(double))
#define VEC(...) vec_of(NARGS(__VA_ARGS__), (double[]){__VA_ARGS__})
#define MAT(r, c, ...) mat_of((r), (c), (double[]){__VA_ARGS__})

/* Does t hold exactly n values near want? Prints the first mismatch. */
static int data_near(const ObjTensor *t, const double *want, size_t n) {
  if (!t) {
    fprintf(stderr, "  tensor is NULL\n");
    return 0;
  }
  if (t->len != n) {
    fprintf(stderr, "  length %zu, want %zu\n", t->len, n);
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (!(t->data[i] == want[i] || fabs(t->data[i] - want[i]) <= TOL)) {
      fprintf(stderr, "  element %zu is %.17g, want %.17g\n", i, t->data[i],
              want[i]);
      return 0;
    }
  }
  return 1;
}

#define CHECK_DATA(t, ...)                                                    \
  CHECK(data_near((t), (double[]){__VA_ARGS__}, NARGS(__VA_ARGS__)))

static const char *shape_of(const ObjTensor *t) {
  static char buf[64];
  if (!t)
    return "NULL";
  return tensor_shape_str(t, buf, sizeof buf);
}

static const char *format(const ObjTensor *t) {
  StrBuf sb;
  strbuf_init(&sb);
  tensor_format(&sb, t);
  return sb.data;
}

static ObjTensor *iota(size_t n) {
  ObjTensor *t = tensor_vector(n);
  for (size_t i = 0; i < n; i++)
    t->data[i] = (double)i;
  return t;
}

static void test_scalar_ops(void) {
  CHECK_EQ_STR(tensor_op_symbol(TOP_ADD), "+");
  CHECK_EQ_STR(tensor_op_symbol(TOP_FLOORDIV), "//");
  CHECK_EQ_STR(tensor_op_symbol(TOP_GE), ">=");
  CHECK_NEAR(tensor_apply(TOP_ADD, 2.385, -1.25), 1.135, TOL);
  CHECK_NEAR(tensor_apply(TOP_SUB, 2.385, -1.25), 3.635, TOL);
  CHECK_NEAR(tensor_apply(TOP_MUL, 2.385, -1.25), -2.98125, TOL);
  CHECK_NEAR(tensor_apply(TOP_DIV, 2.385, -1.25), -1.908, TOL);
  CHECK_NEAR(tensor_apply(TOP_POW, 2.385, 1.5), 3.683261682938099, TOL);
  CHECK(isnan(tensor_apply(TOP_POW, -2.385, 0.5)));
  /* Floored, as Python: the remainder has the sign of the divisor. */
  CHECK_EQ_INT(tensor_apply(TOP_MOD, -7, 3), 2);
  CHECK_EQ_INT(tensor_apply(TOP_MOD, 7, -3), -2);
  CHECK_EQ_INT(tensor_apply(TOP_MOD, -7, -3), -1);
  CHECK_EQ_INT(tensor_apply(TOP_MOD, 7, 3), 1);
  CHECK_NEAR(tensor_apply(TOP_MOD, -7.5, 2), 0.5, TOL);
  CHECK_EQ_INT(tensor_apply(TOP_FLOORDIV, -7, 2), -4);
  CHECK_EQ_INT(tensor_apply(TOP_FLOORDIV, 7, -2), -4);
  CHECK_EQ_INT(tensor_apply(TOP_FLOORDIV, -7, -2), 3);
  CHECK_EQ_INT(tensor_apply(TOP_FLOORDIV, 7, 2), 3);
  CHECK_EQ_INT(tensor_apply(TOP_FLOORDIV, -7.5, 2), -4);
  /* Python: 0.7 // 0.1 == 6.0, -0.5 // 0.1 == -5.0 (not floor(a/b)). */
  CHECK_EQ_INT(tensor_apply(TOP_FLOORDIV, 0.7, 0.1), 6);
  CHECK_EQ_INT(tensor_apply(TOP_FLOORDIV, -0.5, 0.1), -5);
  /* (a - a mod b) / b is 2.9999999999999996 here; Python rounds it to 3 */
  CHECK_EQ_INT(tensor_apply(TOP_FLOORDIV, 6.421, 1.823), 3);
  CHECK_EQ_INT(tensor_apply(TOP_FLOORDIV, 8.73, 0.046), 189);
  /* Division by zero: IEEE values, as numpy. */
  CHECK(isinf(tensor_apply(TOP_FLOORDIV, 2.385, 0)) &&
        tensor_apply(TOP_FLOORDIV, 2.385, 0) > 0);
  CHECK(isinf(tensor_apply(TOP_FLOORDIV, -2.385, 0)) &&
        tensor_apply(TOP_FLOORDIV, -2.385, 0) < 0);
  CHECK(isnan(tensor_apply(TOP_MOD, 2.385, 0)));
  CHECK(isinf(tensor_apply(TOP_DIV, 2.385, 0)));
  CHECK_EQ_INT(tensor_apply(TOP_EQ, 2.385, 2.385), 1);
  CHECK_EQ_INT(tensor_apply(TOP_EQ, 2.385, 2.386), 0);
  CHECK_EQ_INT(tensor_apply(TOP_NE, 2.385, 2.386), 1);
  CHECK_EQ_INT(tensor_apply(TOP_LT, -1.25, 2.385), 1);
  CHECK_EQ_INT(tensor_apply(TOP_LT, 2.385, 2.385), 0);
  CHECK_EQ_INT(tensor_apply(TOP_LE, 2.385, 2.385), 1);
  CHECK_EQ_INT(tensor_apply(TOP_GT, 2.385, -1.25), 1);
  CHECK_EQ_INT(tensor_apply(TOP_GE, -1.25, 2.385), 0);
  CHECK_EQ_INT(tensor_apply(TOP_EQ, NAN, NAN), 0);
  CHECK_EQ_INT(tensor_apply(TOP_NE, NAN, NAN), 1);
}

static void test_creation(void) {
  ObjTensor *v = tensor_vector(4);
  CHECK(v->obj.kind == OBJ_TENSOR);
  CHECK_EQ_INT(v->ndim, 1);
  CHECK_EQ_INT(v->shape[0], 4);
  CHECK_EQ_INT(v->shape[1], 1);
  CHECK_EQ_INT(v->len, 4);
  ObjTensor *m = tensor_matrix(2, 3);
  CHECK_EQ_INT(m->ndim, 2);
  CHECK_EQ_INT(m->len, 6);
  CHECK_EQ_STR(shape_of(v), "(4)");
  CHECK_EQ_STR(shape_of(m), "(2, 3)");
  CHECK_DATA(tensor_zeros(2, 2, 2), 0, 0, 0, 0);
  ObjTensor *z = tensor_zeros(1, 3, 99);
  CHECK_EQ_INT(z->ndim, 1);
  CHECK_DATA(z, 0, 0, 0);
  /* Copies do not share storage. */
  ObjTensor *a = VEC(2.385, -1.25);
  ObjTensor *c = tensor_copy(a);
  c->data[0] = 7.5;
  CHECK_NEAR(a->data[0], 2.385, 0);
  ObjTensor *l = tensor_like(m);
  CHECK_EQ_STR(shape_of(l), "(2, 3)");
  CHECK(l->data != m->data);
  CHECK_EQ_INT(tensor_vector(0)->len, 0);
}

/* The five shapes: scalar, vector, row matrix, column matrix, full matrix. */
static void test_broadcast_shapes(void) {
  char err[TENSOR_ERR_LEN];
  ObjTensor *v = VEC(2.385, -1.25, 0.5);
  ObjTensor *v1 = VEC(10.5);
  ObjTensor *row = MAT(1, 3, 100, 200, 300);
  ObjTensor *col = MAT(2, 1, 1000, 2000);
  ObjTensor *full = MAT(2, 3, 1, 2, 3, 4, 5, 6);
  ObjTensor *one = MAT(1, 1, 0.25);
  ObjTensor *r;

  /* scalar with everything */
  r = tensor_binop_scalar(TOP_SUB, v, 0.125, false);
  CHECK_DATA(r, 2.26, -1.375, 0.375);
  r = tensor_binop_scalar(TOP_SUB, v, 0.125, true);
  CHECK_DATA(r, -2.26, 1.375, -0.375);
  r = tensor_binop_scalar(TOP_DIV, full, 4, true);
  CHECK_EQ_STR(shape_of(r), "(2, 3)");
  CHECK_DATA(r, 4, 2, 4.0 / 3, 1, 0.8, 4.0 / 6);
  r = tensor_binop_scalar(TOP_MUL, col, 0.5, false);
  CHECK_EQ_STR(shape_of(r), "(2, 1)");
  CHECK_DATA(r, 500, 1000);

  /* vector with vector: same length, and length 1 on either side */
  r = tensor_binop(TOP_SUB, v, v, err);
  CHECK_EQ_STR(shape_of(r), "(3)");
  CHECK_DATA(r, 0, 0, 0);
  r = tensor_binop(TOP_SUB, v, v1, err);
  CHECK_EQ_STR(shape_of(r), "(3)");
  CHECK_DATA(r, -8.115, -11.75, -10);
  r = tensor_binop(TOP_SUB, v1, v, err);
  CHECK_DATA(r, 8.115, 11.75, 10);

  /* vector with row matrix: a 1 x 3 matrix */
  r = tensor_binop(TOP_SUB, v, row, err);
  CHECK_EQ_STR(shape_of(r), "(1, 3)");
  CHECK_DATA(r, -97.615, -201.25, -299.5);
  r = tensor_binop(TOP_SUB, row, v, err);
  CHECK_DATA(r, 97.615, 201.25, 299.5);

  /* vector with column matrix: every pair (an outer sum) */
  r = tensor_binop(TOP_SUB, col, v, err);
  CHECK_EQ_STR(shape_of(r), "(2, 3)");
  CHECK_DATA(r, 997.615, 1001.25, 999.5, 1997.615, 2001.25, 1999.5);
  r = tensor_binop(TOP_SUB, v, col, err);
  CHECK_DATA(r, -997.615, -1001.25, -999.5, -1997.615, -2001.25, -1999.5);

  /* vector with full matrix: added to each row */
  r = tensor_binop(TOP_SUB, full, v, err);
  CHECK_EQ_STR(shape_of(r), "(2, 3)");
  CHECK_DATA(r, -1.385, 3.25, 2.5, 1.615, 6.25, 5.5);
  r = tensor_binop(TOP_SUB, v, full, err);
  CHECK_DATA(r, 1.385, -3.25, -2.5, -1.615, -6.25, -5.5);

  /* row with column, both ways */
  r = tensor_binop(TOP_SUB, col, row, err);
  CHECK_EQ_STR(shape_of(r), "(2, 3)");
  CHECK_DATA(r, 900, 800, 700, 1900, 1800, 1700);
  r = tensor_binop(TOP_SUB, row, col, err);
  CHECK_DATA(r, -900, -800, -700, -1900, -1800, -1700);

  /* full matrix with row, column, itself */
  r = tensor_binop(TOP_SUB, full, row, err);
  CHECK_DATA(r, -99, -198, -297, -96, -195, -294);
  r = tensor_binop(TOP_SUB, row, full, err);
  CHECK_DATA(r, 99, 198, 297, 96, 195, 294);
  r = tensor_binop(TOP_SUB, full, col, err);
  CHECK_DATA(r, -999, -998, -997, -1996, -1995, -1994);
  r = tensor_binop(TOP_SUB, col, full, err);
  CHECK_DATA(r, 999, 998, 997, 1996, 1995, 1994);
  r = tensor_binop(TOP_MUL, full, full, err);
  CHECK_DATA(r, 1, 4, 9, 16, 25, 36);

  /* 1 x 1 matrix with a vector: a 1 x 3 matrix */
  r = tensor_binop(TOP_SUB, one, v, err);
  CHECK_EQ_STR(shape_of(r), "(1, 3)");
  CHECK_DATA(r, -2.135, 1.5, -0.25);
  r = tensor_binop(TOP_SUB, full, v1, err);
  CHECK_EQ_STR(shape_of(r), "(2, 3)");
  CHECK_DATA(r, -9.5, -8.5, -7.5, -6.5, -5.5, -4.5);

  /* inputs never change */
  CHECK_DATA(v, 2.385, -1.25, 0.5);
  CHECK_DATA(full, 1, 2, 3, 4, 5, 6);
}

static void test_broadcast_errors(void) {
  char err[TENSOR_ERR_LEN];
  ObjTensor *v3 = VEC(1, 2, 3), *v4 = VEC(1, 2, 3, 4), *v2 = VEC(1, 2);
  ObjTensor *full = MAT(2, 3, 1, 2, 3, 4, 5, 6);
  ObjTensor *col3 = MAT(3, 1, 1, 2, 3);
  ObjTensor *row2 = MAT(1, 2, 1, 2);
  ObjTensor *m32 = MAT(3, 2, 1, 2, 3, 4, 5, 6);
  CHECK(tensor_binop(TOP_ADD, v3, v4, err) == NULL);
  CHECK_EQ_STR(err, "shapes (3) and (4) do not broadcast");
  CHECK(tensor_binop(TOP_ADD, full, v2, err) == NULL);
  CHECK_EQ_STR(err, "shapes (2, 3) and (2) do not broadcast");
  CHECK(tensor_binop(TOP_ADD, full, col3, err) == NULL);
  CHECK_EQ_STR(err, "shapes (2, 3) and (3, 1) do not broadcast");
  CHECK(tensor_binop(TOP_ADD, row2, full, err) == NULL);
  CHECK_EQ_STR(err, "shapes (1, 2) and (2, 3) do not broadcast");
  CHECK(tensor_binop(TOP_MUL, full, m32, err) == NULL);
  CHECK_EQ_STR(err, "shapes (2, 3) and (3, 2) do not broadcast");
  /* an empty vector meets a length-1 one: an empty result, not an error */
  ObjTensor *r = tensor_binop(TOP_ADD, tensor_vector(0), VEC(2.385), err);
  CHECK(r != NULL && r->len == 0);
}

static void test_every_op(void) {
  char err[TENSOR_ERR_LEN];
  ObjTensor *a = VEC(-7, 7, -7.5, 2.385, 3);
  ObjTensor *b = VEC(3, -3, 2, 2.385, -1.25);
  CHECK_DATA(tensor_binop(TOP_ADD, a, b, err), -4, 4, -5.5, 4.77, 1.75);
  CHECK_DATA(tensor_binop(TOP_SUB, a, b, err), -10, 10, -9.5, 0, 4.25);
  CHECK_DATA(tensor_binop(TOP_MUL, a, b, err), -21, -21, -15, 5.688225,
             -3.75);
  CHECK_DATA(tensor_binop(TOP_DIV, a, b, err), -7.0 / 3, -7.0 / 3, -3.75, 1,
             -2.4);
  CHECK_DATA(tensor_binop(TOP_FLOORDIV, a, b, err), -3, -3, -4, 1, -3);
  CHECK_DATA(tensor_binop(TOP_MOD, a, b, err), 2, -2, 0.5, 0, -0.75);
  CHECK_DATA(tensor_binop(TOP_POW, VEC(2.385, 4, 9), VEC(2, 0.5, -0.5), err),
             5.688225, 2, 1.0 / 3);
  CHECK_DATA(tensor_binop(TOP_EQ, a, b, err), 0, 0, 0, 1, 0);
  CHECK_DATA(tensor_binop(TOP_NE, a, b, err), 1, 1, 1, 0, 1);
  CHECK_DATA(tensor_binop(TOP_LT, a, b, err), 1, 0, 1, 0, 0);
  CHECK_DATA(tensor_binop(TOP_LE, a, b, err), 1, 0, 1, 1, 0);
  CHECK_DATA(tensor_binop(TOP_GT, a, b, err), 0, 1, 0, 0, 1);
  CHECK_DATA(tensor_binop(TOP_GE, a, b, err), 0, 1, 0, 1, 1);
  /* floored ops through the scalar kernels, both sides */
  CHECK_DATA(tensor_binop_scalar(TOP_MOD, VEC(-7, 7, -1.5), 3, false), 2, 1,
             1.5);
  CHECK_DATA(tensor_binop_scalar(TOP_MOD, VEC(3, -3, 4), -7, true), 2, -1,
             1);
  CHECK_DATA(tensor_binop_scalar(TOP_FLOORDIV, VEC(-7, 7, 0.5), 2, false),
             -4, 3, 0);
  CHECK_DATA(tensor_binop_scalar(TOP_POW, VEC(2, -1, 0.5), 2.385, true),
             pow(2.385, 2), 1 / 2.385, sqrt(2.385));
  CHECK_DATA(tensor_neg(MAT(1, 2, 2.385, -1.25)), -2.385, 1.25);
  CHECK_EQ_STR(shape_of(tensor_neg(MAT(1, 2, 2.385, -1.25))), "(1, 2)");
  CHECK_DATA(tensor_map(VEC(2.385, 0.25), sqrt), sqrt(2.385), 0.5);
}

static void test_matmul(void) {
  char err[TENSOR_ERR_LEN];
  bool scalar = true;
  ObjTensor *A = MAT(2, 3, 2.385, -1.25, 0.5, 3.75, 0.125, -2.5);
  ObjTensor *B = MAT(3, 2, 1.5, -0.75, 2.25, 4.125, -3.5, 0.625);
  ObjTensor *v = VEC(0.3, -1.7, 2.9);
  ObjTensor *w = VEC(1.1, -0.6);
  ObjTensor *r;

  r = tensor_matmul(A, B, &scalar, err);
  CHECK(!scalar);
  CHECK_EQ_STR(shape_of(r), "(2, 2)");
  CHECK_DATA(r, -0.985, -6.6325, 14.65625, -3.859375);

  r = tensor_matmul(A, v, &scalar, err);
  CHECK(!scalar);
  CHECK_EQ_STR(shape_of(r), "(2)");
  CHECK_DATA(r, 4.2905, -6.3375);

  r = tensor_matmul(w, A, &scalar, err);
  CHECK(!scalar);
  CHECK_EQ_STR(shape_of(r), "(3)");
  CHECK_DATA(r, 0.3735, -1.45, 2.05);

  r = tensor_matmul(v, v, &scalar, err);
  CHECK(scalar);
  CHECK_DATA(r, 11.39);

  /* B . A is 3 x 3: checks the other orientation of dgemm's arguments */
  r = tensor_matmul(B, A, NULL, err);
  CHECK_EQ_STR(shape_of(r), "(3, 3)");
  CHECK_DATA(r, 0.765, -1.96875, 2.625, 20.835, -2.296875, -9.1875,
             -6.00375, 4.453125, -3.3125);

  CHECK(tensor_matmul(A, A, &scalar, err) == NULL);
  CHECK_EQ_STR(err, "inner dimensions 3 and 2 differ");
  CHECK(tensor_matmul(A, w, &scalar, err) == NULL);
  CHECK_EQ_STR(err, "inner dimensions 3 and 2 differ");
  CHECK(tensor_matmul(v, A, &scalar, err) == NULL);
  CHECK_EQ_STR(err, "inner dimensions 3 and 2 differ");
  CHECK(tensor_matmul(v, w, &scalar, err) == NULL);
  CHECK_EQ_STR(err, "inner dimensions 3 and 2 differ");
  CHECK(!scalar);

  /* an empty inner dimension gives zeros */
  r = tensor_matmul(tensor_matrix(2, 0), tensor_matrix(0, 3), NULL, err);
  CHECK_EQ_STR(shape_of(r), "(2, 3)");
  CHECK_DATA(r, 0, 0, 0, 0, 0, 0);
}

static void test_transpose_reshape(void) {
  char err[TENSOR_ERR_LEN];
  ObjTensor *A = MAT(2, 3, 2.385, -1.25, 0.5, 3.75, 0.125, -2.5);
  ObjTensor *t = tensor_transpose(A);
  CHECK_EQ_STR(shape_of(t), "(3, 2)");
  CHECK_DATA(t, 2.385, 3.75, -1.25, 0.125, 0.5, -2.5);
  ObjTensor *tv = tensor_transpose(VEC(2.385, -1.25));
  CHECK_EQ_STR(shape_of(tv), "(2, 1)");
  CHECK_DATA(tv, 2.385, -1.25);

  /* larger than one tile of the blocked transpose, ragged edges */
  const size_t rows = 70, cols = 45;
  ObjTensor *big = tensor_matrix(rows, cols);
  for (size_t i = 0; i < big->len; i++)
    big->data[i] = (double)i * 0.5;
  ObjTensor *bt = tensor_transpose(big);
  int ok = bt->shape[0] == cols && bt->shape[1] == rows;
  for (size_t i = 0; ok && i < rows; i++)
    for (size_t j = 0; ok && j < cols; j++)
      ok = bt->data[j * rows + i] == big->data[i * cols + j];
  CHECK(ok);

  ObjTensor *v = VEC(2.385, -1.25, 0.5, 3.75, 0.125, -2.5);
  ObjTensor *m = tensor_reshape(v, 2, 3, 2, err);
  CHECK_EQ_STR(shape_of(m), "(3, 2)");
  CHECK_DATA(m, 2.385, -1.25, 0.5, 3.75, 0.125, -2.5);
  m->data[0] = 99;
  CHECK_NEAR(v->data[0], 2.385, 0);
  ObjTensor *back = tensor_reshape(A, 1, 6, 0, err);
  CHECK_EQ_STR(shape_of(back), "(6)");
  CHECK_DATA(back, 2.385, -1.25, 0.5, 3.75, 0.125, -2.5);
  CHECK(tensor_reshape(v, 2, 4, 2, err) == NULL);
  CHECK_EQ_STR(err, "cannot reshape 6 elements into shape (4, 2)");
  CHECK(tensor_reshape(A, 1, 5, 0, err) == NULL);
  CHECK_EQ_STR(err, "cannot reshape 6 elements into shape (5)");
  CHECK(tensor_reshape(v, 2, 0, 6, err) == NULL);
  CHECK_EQ_STR(err, "cannot reshape 6 elements into shape (0, 6)");
}

static void test_reductions(void) {
  ObjTensor *x = VEC(2.385, -1.25, 0.5, 3.75, 0.125, -2.5);
  CHECK_NEAR(tensor_sum(x), 3.01, TOL);
  CHECK_NEAR(tensor_mean(x), 0.5016666666666666, TOL);
  /* n-1 denominator: statistics.variance gives 5.263766666666666 */
  CHECK_NEAR(tensor_var(x), 5.263766666666666, TOL);
  CHECK_NEAR(tensor_sd(x), 2.2942900136353, TOL);
  CHECK_NEAR(tensor_min(x), -2.5, 0);
  CHECK_NEAR(tensor_max(x), 3.75, 0);
  /* matrices reduce over every element */
  ObjTensor *A = MAT(2, 3, 2.385, -1.25, 0.5, 3.75, 0.125, -2.5);
  CHECK_NEAR(tensor_var(A), 5.263766666666666, TOL);

  ObjTensor *empty = tensor_vector(0);
  CHECK_NEAR(tensor_sum(empty), 0, 0);
  CHECK(isnan(tensor_mean(empty)));
  CHECK(isnan(tensor_min(empty)));
  CHECK(isnan(tensor_max(empty)));
  CHECK(isnan(tensor_var(VEC(2.385))));
  CHECK(isnan(tensor_min(VEC(2.385, NAN, -1))));
  CHECK(isnan(tensor_max(VEC(NAN, 2.385))));

  /* a large variance offset: the two-pass algorithm keeps precision */
  CHECK_NEAR(tensor_var(VEC(1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16)), 30, 1e-6);
  /* the pairwise sum of 10^6 copies of 0.1 */
  ObjTensor *tenths = tensor_vector(1000000);
  for (size_t i = 0; i < tenths->len; i++)
    tenths->data[i] = 0.1;
  CHECK_NEAR(tensor_sum(tenths), 100000, 1e-8);
}

static void test_reduce_axis(void) {
  char err[TENSOR_ERR_LEN];
  ObjTensor *A = MAT(2, 3, 2.385, -1.25, 0.5, 3.75, 0.125, -2.5);
  ObjTensor *r = tensor_reduce_axis(A, "sum", 0, err);
  CHECK_EQ_STR(shape_of(r), "(3)");
  CHECK_DATA(r, 6.135, -1.125, -2);
  CHECK_DATA(tensor_reduce_axis(A, "sum", 1, err), 1.635, 1.375);
  CHECK_DATA(tensor_reduce_axis(A, "mean", 0, err), 3.0675, -0.5625, -1);
  CHECK_DATA(tensor_reduce_axis(A, "var", 0, err), 0.9316125, 0.9453125,
             4.5);
  CHECK_DATA(tensor_reduce_axis(A, "var", 1, err), 3.3048249999999997,
             9.848958333333334);
  CHECK_DATA(tensor_reduce_axis(A, "sd", 1, err), 1.8179177649167741,
             3.1383050096084246);
  CHECK_DATA(tensor_reduce_axis(A, "min", 0, err), 2.385, -1.25, -2.5);
  CHECK_DATA(tensor_reduce_axis(A, "max", 1, err), 2.385, 3.75);
  r = tensor_reduce_axis(VEC(2.385, -1.25), "sum", 0, err);
  CHECK_EQ_STR(shape_of(r), "(1)");
  CHECK_DATA(r, 1.135);
  CHECK(tensor_reduce_axis(A, "sum", 2, err) == NULL);
  CHECK_EQ_STR(err, "axis 2 is out of range for a matrix (axes are 0 and 1)");
  CHECK(tensor_reduce_axis(VEC(1, 2), "mean", 1, err) == NULL);
  CHECK_EQ_STR(err,
               "axis 1 is out of range for a vector (its only axis is 0)");
  CHECK(tensor_reduce_axis(A, "median", 0, err) == NULL);
  CHECK_EQ_STR(err, "unknown reduction 'median' (expected sum, mean, var, "
                    "sd, min or max)");
}

static void test_format(void) {
  CHECK_EQ_STR(format(VEC(1, 2.5, 3)), "[1, 2.5, 3]");
  CHECK_EQ_STR(format(tensor_vector(0)), "[]");
  CHECK_EQ_STR(format(VEC(-2.385, 1e20, NAN)), "[-2.385, 1e+20, nan]");
  /* up to TENSOR_PRINT_MAX elements print in full */
  const char *full = format(iota(TENSOR_PRINT_MAX));
  CHECK(strncmp(full, "[0, 1, 2, 3, ", 13) == 0);
  CHECK(strstr(full, "...") == NULL);
  CHECK(strstr(full, ", 998, 999]") != NULL);
  CHECK_EQ_STR(format(iota(TENSOR_PRINT_MAX + 1)),
               "[0, 1, 2, ..., 998, 999, 1000]");
  CHECK_EQ_STR(format(MAT(2, 3, 1, 2, 3, 4, 5, 6)),
               "[[1, 2, 3],\n [4, 5, 6]]");
  CHECK_EQ_STR(format(MAT(2, 3, 1, -22.5, 3, 400, 5, 0.125)),
               "[[    1, -22.5,     3],\n [  400,     5, 0.125]]");
  CHECK_EQ_STR(format(MAT(1, 2, 2.385, -1.25)), "[[2.385, -1.25]]");
  CHECK_EQ_STR(format(tensor_matrix(0, 3)), "[]");
  /* a 40 x 40 matrix (1600 elements) shows its corners */
  ObjTensor *big = tensor_matrix(40, 40);
  for (size_t i = 0; i < big->len; i++)
    big->data[i] = (double)i;
  CHECK_EQ_STR(format(big),
               "[[   0,    1,    2, ...,   37,   38,   39],\n"
               " [  40,   41,   42, ...,   77,   78,   79],\n"
               " [  80,   81,   82, ...,  117,  118,  119],\n"
               " ...,\n"
               " [1480, 1481, 1482, ..., 1517, 1518, 1519],\n"
               " [1520, 1521, 1522, ..., 1557, 1558, 1559],\n"
               " [1560, 1561, 1562, ..., 1597, 1598, 1599]]");
}

int main(void) {
  mem_init();
  test_scalar_ops();
  test_creation();
  test_broadcast_shapes();
  test_broadcast_errors();
  test_every_op();
  test_matmul();
  test_transpose_reshape();
  test_reductions();
  test_reduce_axis();
  test_format();
  return check_summary();
}
