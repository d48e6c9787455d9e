/*
 * tensor.h — vectors and matrices of double: creation, broadcasting
 * arithmetic, reductions, matrix product.
 *
 * Shapes follow numpy: a vector of length n broadcasts like a 1 x n row; a
 * matrix with one row or one column stretches along that axis; a scalar
 * stretches everywhere. Results are new tensors (inputs never change) except
 * where a function says "in place". Functions that can fail on user input
 * return NULL and write a sentence into err (TENSOR_ERR_LEN bytes), e.g.
 * "shapes (3) and (4) do not broadcast". This layer knows nothing of the VM.
 */
#ifndef PPL_TENSOR_H
#define PPL_TENSOR_H

#include "object.h"

enum { TENSOR_ERR_LEN = 160 };

/* Binary elementwise operators. Comparisons give 1.0 / 0.0. */
#define TENSOR_BINOPS(X)                                                     \
  X(ADD, "+")                                                                 \
  X(SUB, "-")                                                                 \
  X(MUL, "*")                                                                 \
  X(DIV, "/")                                                                 \
  X(FLOORDIV, "//")                                                           \
  X(MOD, "%")                                                                 \
  X(POW, "**")                                                                \
  X(EQ, "==")                                                                 \
  X(NE, "!=")                                                                 \
  X(LT, "<")                                                                  \
  X(LE, "<=")                                                                 \
  X(GT, ">")                                                                  \
  X(GE, ">=")

typedef enum {
#define X(op, sym) TOP_##op,
  TENSOR_BINOPS(X)
#undef X
} TensorOp;

/* The operator's symbol, e.g. "+". */
const char *tensor_op_symbol(TensorOp op);

/* Applies op to two doubles (the scalar path of every kernel; % and // are
 * floored as in Python: -7 % 3 == 2, -7 // 2 == -4). */
double tensor_apply(TensorOp op, double a, double b);

/* Creation. _vector/_matrix leave data uninitialised; _zeros fills 0. */
ObjTensor *tensor_vector(size_t n);
ObjTensor *tensor_matrix(size_t rows, size_t cols);
ObjTensor *tensor_zeros(int ndim, size_t rows, size_t cols);
ObjTensor *tensor_from_array(const double *x, size_t n);
ObjTensor *tensor_copy(const ObjTensor *t);
/* A tensor with t's shape (uninitialised data). */
ObjTensor *tensor_like(const ObjTensor *t);

/* Elementwise a op b with broadcasting; NULL + err when shapes disagree. */
ObjTensor *tensor_binop(TensorOp op, const ObjTensor *a, const ObjTensor *b,
                        char *err);
/* a op s (scalar_left false) or s op a (scalar_left true). Never fails. */
ObjTensor *tensor_binop_scalar(TensorOp op, const ObjTensor *a, double s,
                               bool scalar_left);
/* -a. */
ObjTensor *tensor_neg(const ObjTensor *a);
/* f applied to every element. */
ObjTensor *tensor_map(const ObjTensor *a, double (*f)(double));

/* Matrix product with numpy's matmul rules for 1-D/2-D operands:
 * vector.vector = scalar (returned as a 1-element vector, *scalar set true),
 * matrix.vector = vector, vector.matrix = vector, matrix.matrix = matrix.
 * Uses CBLAS dgemm/dgemv. NULL + err ("matmul: inner dimensions 3 and 4
 * differ") on mismatch. */
ObjTensor *tensor_matmul(const ObjTensor *a, const ObjTensor *b, bool *scalar,
                         char *err);
ObjTensor *tensor_transpose(const ObjTensor *a);
/* Same data, new shape (ndim 1: rows = n; ndim 2: rows x cols); NULL + err
 * when the element count differs. */
ObjTensor *tensor_reshape(const ObjTensor *a, int ndim, size_t rows,
                          size_t cols, char *err);

/* Reductions over all elements; nan for an empty tensor (sum is 0). */
double tensor_sum(const ObjTensor *a);
double tensor_mean(const ObjTensor *a);
/* Sample variance / sd with the n-1 denominator (nan when len < 2). */
double tensor_var(const ObjTensor *a);
double tensor_sd(const ObjTensor *a);
double tensor_min(const ObjTensor *a);
double tensor_max(const ObjTensor *a);
/* Reduction along an axis of a matrix: axis 0 gives one value per column,
 * axis 1 one per row. kind is one of "sum", "mean", "var", "sd", "min",
 * "max". NULL + err for a bad axis or kind. */
ObjTensor *tensor_reduce_axis(const ObjTensor *a, const char *kind, int axis,
                              char *err);

/* Writes the printed form: [1, 2.5, 3] for vectors; matrices one row per
 * line, columns aligned; long vectors elided in the middle ("...") past
 * TENSOR_PRINT_MAX elements. */
enum { TENSOR_PRINT_MAX = 1000 };
void tensor_format(StrBuf *sb, const ObjTensor *t);

/* "(3)" or "(2, 3)": the shape as written in error messages. */
const char *tensor_shape_str(const ObjTensor *t, char *buf, size_t n);

#endif
