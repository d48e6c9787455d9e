/*
 * vmops.h — what the VM's instructions do to values that are not plain
 * numbers: arithmetic on vectors, strings and lists, indexing and slicing,
 * fields, iteration. Each returns false with a vm_error set on bad input.
 */
#ifndef PPL_VMOPS_H
#define PPL_VMOPS_H

#include "opcodes.h"
#include "vm.h"

/* a op b for OP_ADD .. OP_GE and OP_MATMUL. */
bool vmops_binary(VM *vm, OpCode op, Value a, Value b, Value *out);
/* OP_NEG and OP_POS. */
bool vmops_unary(VM *vm, OpCode op, Value a, Value *out);

/* target[idx[0], .., idx[n-1]]; an index is a number, a range/slice, or a
 * vector/list of integer positions. 0-based; negative counts from the end. */
bool vmops_index(VM *vm, Value target, const Value *idx, int n, Value *out);
bool vmops_set_index(VM *vm, Value target, const Value *idx, int n, Value v);

/* The flat (row-major) positions that target[idx...] selects from a value
 * of shape (ndim, rows, cols), and the shape of the result (ndim 0 for a
 * single element). The same rules as vmops_index; false (error set) for an
 * index out of range or of the wrong kind. *pos is GC memory. */
bool vmops_positions(VM *vm, const Value *idx, int n, int ndim, size_t rows,
                     size_t cols, size_t **pos, size_t *npos, int *out_ndim,
                     size_t *out_rows, size_t *out_cols);

/* Reads one part of a slice from *part (advancing it) when present. */
bool vmops_slice_part(VM *vm, bool present, Value **part, double *out,
                      bool *given);

bool vmops_get_field(VM *vm, Value target, ObjString *name, Value *out);
bool vmops_set_field(VM *vm, Value target, ObjString *name, Value v);

/* [x1, .., xn]: a vector when every item is a number, else a list. */
Value vmops_build_list(const Value *items, int n);

/* Checks and normalises the iterable of a for loop in place (a record
 * becomes the list of its keys); false for values that cannot be iterated. */
bool vmops_for_prep(VM *vm, Value *iterable);
/* Item pos of a prepared iterable (not a range); false past the end. */
bool vmops_for_item(Value iterable, size_t pos, Value *out);

#endif
