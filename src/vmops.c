/*
 * vmops.c — the VM's operations on values other than plain numbers.
 *
 * Indexing works per axis: each index (a number, a slice/range or a vector
 * or list of positions) becomes a Selection of positions along one axis,
 * checked against that axis's length; the result's shape follows from which
 * selections are scalars (numpy's basic and integer-array indexing, without
 * boolean masks: positions come from which()). Slices clamp to the bounds
 * as in Python; single positions and position lists are checked.
 */
#include <config.h>
#include "vmops.h"

#include <math.h>
#include <string.h>

#include "mem.h"
#include "report.h"
#include "strbuf.h"
#include "tensor.h"

/* ---- arithmetic ------------------------------------------------------- */

static const char *op_symbol(OpCode op) {
  switch (op) {
  case OP_ADD: return "+";
  case OP_SUB: return "-";
  case OP_MUL: return "*";
  case OP_DIV: return "/";
  case OP_FLOORDIV: return "//";
  case OP_MOD: return "%";
  case OP_POW: return "**";
  case OP_MATMUL: return "@";
  case OP_EQ: return "==";
  case OP_NE: return "!=";
  case OP_LT: return "<";
  case OP_LE: return "<=";
  case OP_GT: return ">";
  case OP_GE: return ">=";
  default: return "?";
  }
}

static bool tensor_opcode(OpCode op, TensorOp *out) {
  switch (op) {
  case OP_ADD: *out = TOP_ADD; return true;
  case OP_SUB: *out = TOP_SUB; return true;
  case OP_MUL: *out = TOP_MUL; return true;
  case OP_DIV: *out = TOP_DIV; return true;
  case OP_FLOORDIV: *out = TOP_FLOORDIV; return true;
  case OP_MOD: *out = TOP_MOD; return true;
  case OP_POW: *out = TOP_POW; return true;
  case OP_EQ: *out = TOP_EQ; return true;
  case OP_NE: *out = TOP_NE; return true;
  case OP_LT: *out = TOP_LT; return true;
  case OP_LE: *out = TOP_LE; return true;
  case OP_GT: *out = TOP_GT; return true;
  case OP_GE: *out = TOP_GE; return true;
  default: return false;
  }
}

static bool unsupported(VM *vm, OpCode op, Value a, Value b) {
  return vm_error(vm, "unsupported operand types for '%s': %s and %s",
                  op_symbol(op), value_type_name(a), value_type_name(b));
}

static bool tensor_binary(VM *vm, OpCode op, Value a, Value b, Value *out) {
  TensorOp top;
  if (op == OP_MATMUL) {
    if (!IS_TENSOR(a) || !IS_TENSOR(b))
      return unsupported(vm, op, a, b);
    char err[TENSOR_ERR_LEN];
    bool scalar = false;
    ObjTensor *r = tensor_matmul(AS_TENSOR(a), AS_TENSOR(b), &scalar, err);
    if (!r)
      return vm_error(vm, "%s", err);
    *out = scalar ? NUM_VAL(r->data[0]) : OBJ_VAL(r);
    return true;
  }
  if (!tensor_opcode(op, &top))
    return unsupported(vm, op, a, b);
  if (IS_NUM(a)) {
    *out = OBJ_VAL(tensor_binop_scalar(top, AS_TENSOR(b), AS_NUM(a), true));
    return true;
  }
  if (IS_NUM(b)) {
    *out = OBJ_VAL(tensor_binop_scalar(top, AS_TENSOR(a), AS_NUM(b), false));
    return true;
  }
  char err[TENSOR_ERR_LEN];
  ObjTensor *r = tensor_binop(top, AS_TENSOR(a), AS_TENSOR(b), err);
  if (!r)
    return vm_error(vm, "'%s': %s", op_symbol(op), err);
  *out = OBJ_VAL(r);
  return true;
}

static bool concat(VM *vm, Value a, Value b, Value *out) {
  if (IS_STRING(a) && IS_STRING(b)) {
    const ObjString *x = AS_STRING(a), *y = AS_STRING(b);
    char *buf = mem_alloc_atomic(x->len + y->len + 1);
    memcpy(buf, x->chars, x->len);
    memcpy(buf + x->len, y->chars, y->len);
    *out = OBJ_VAL(string_new(buf, x->len + y->len));
    return true;
  }
  if (IS_LIST(a) && IS_LIST(b)) {
    const ObjList *x = AS_LIST(a), *y = AS_LIST(b);
    ObjList *r = list_new(x->len + y->len);
    for (size_t i = 0; i < x->len; i++)
      list_push(r, x->items[i]);
    for (size_t i = 0; i < y->len; i++)
      list_push(r, y->items[i]);
    *out = OBJ_VAL(r);
    return true;
  }
  if (IS_STRING(a) || IS_STRING(b))
    return vm_error(vm, "cannot add a %s and a %s; use str() or format() to "
                        "build text",
                    value_type_name(a), value_type_name(b));
  return unsupported(vm, OP_ADD, a, b);
}

/* Byte order over the whole strings (they may contain \0), then length. */
static bool string_compare(OpCode op, Value a, Value b, Value *out) {
  const ObjString *x = AS_STRING(a), *y = AS_STRING(b);
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->chars, y->chars, n);
  if (c == 0)
    c = x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
  switch (op) {
  case OP_LT: *out = BOOL_VAL(c < 0); return true;
  case OP_LE: *out = BOOL_VAL(c <= 0); return true;
  case OP_GT: *out = BOOL_VAL(c > 0); return true;
  case OP_GE: *out = BOOL_VAL(c >= 0); return true;
  default: return false;
  }
}

/* The handle class that overloads an operator on a or b, or NULL. */
static const HandleClass *overloader(Value a, Value b) {
  if (IS_HANDLE(a) && AS_HANDLE(a)->cls->binary)
    return AS_HANDLE(a)->cls;
  if (IS_HANDLE(b) && AS_HANDLE(b)->cls->binary)
    return AS_HANDLE(b)->cls;
  return NULL;
}

bool vmops_binary(VM *vm, OpCode op, Value a, Value b, Value *out) {
  const HandleClass *cls = overloader(a, b);
  if (cls)
    return cls->binary(vm, op, a, b, out);
  bool ta = IS_TENSOR(a), tb = IS_TENSOR(b);
  if ((ta && (tb || IS_NUM(b))) || (tb && IS_NUM(a)))
    return tensor_binary(vm, op, a, b, out);
  if (op == OP_EQ || op == OP_NE) {
    bool eq = value_equal(a, b);
    *out = BOOL_VAL(op == OP_EQ ? eq : !eq);
    return true;
  }
  if (IS_NUM(a) && IS_NUM(b)) {
    TensorOp top;
    if (!tensor_opcode(op, &top))
      return unsupported(vm, op, a, b);
    double r = tensor_apply(top, AS_NUM(a), AS_NUM(b));
    *out = op >= OP_LT && op <= OP_GE ? BOOL_VAL(r != 0.0) : NUM_VAL(r);
    return true;
  }
  if (op == OP_ADD)
    return concat(vm, a, b, out);
  if (IS_STRING(a) && IS_STRING(b) && string_compare(op, a, b, out))
    return true;
  return unsupported(vm, op, a, b);
}

bool vmops_unary(VM *vm, OpCode op, Value a, Value *out) {
  if (IS_HANDLE(a) && AS_HANDLE(a)->cls->unary)
    return AS_HANDLE(a)->cls->unary(vm, op, a, out);
  if (IS_NUM(a)) {
    *out = op == OP_NEG ? NUM_VAL(-AS_NUM(a)) : a;
    return true;
  }
  if (IS_TENSOR(a)) {
    *out = op == OP_NEG ? OBJ_VAL(tensor_neg(AS_TENSOR(a))) : a;
    return true;
  }
  return vm_error(vm, "unsupported operand type for unary '%s': %s",
                  op == OP_NEG ? "-" : "+", value_type_name(a));
}

/* ---- selections ------------------------------------------------------- */

typedef struct Selection {
  bool scalar; /* a single position: that axis disappears */
  size_t n;
  size_t *pos;
} Selection;

static bool whole_number(double x) { return x == floor(x) && fabs(x) < 9e15; }

/* Checks one position against an axis of length len. */
static bool position(VM *vm, double x, size_t len, const char *axis,
                     const char *container, size_t *out) {
  if (!whole_number(x))
    return vm_error(vm, "%s must be a whole number, got %g", axis, x);
  double p = x < 0 ? x + (double)len : x;
  if (p < 0 || p >= (double)len)
    return vm_error(vm, "%s %.0f is out of range for %s of length %zu", axis,
                    x, container, len);
  *out = (size_t)p;
  return true;
}

static double clamp(double x, double lo, double hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

/* Python's slice.indices: open ends default to the whole axis, negative
 * ends count from the end, and ends past the axis are clamped. */
static bool slice_selection(VM *vm, const ObjRange *r, size_t len,
                            Selection *sel) {
  double n = (double)len, step = r->step;
  if (!whole_number(r->start) || !whole_number(r->stop) || !whole_number(step))
    return vm_error(vm, "slice bounds must be whole numbers");
  double start, stop;
  if (step > 0) {
    start = r->has_start ? clamp(r->start < 0 ? r->start + n : r->start, 0, n)
                         : 0;
    stop = r->has_stop ? clamp(r->stop < 0 ? r->stop + n : r->stop, 0, n) : n;
  } else {
    start = r->has_start
                ? clamp(r->start < 0 ? r->start + n : r->start, -1, n - 1)
                : n - 1;
    stop = r->has_stop ? clamp(r->stop < 0 ? r->stop + n : r->stop, -1, n - 1)
                       : -1;
  }
  double count = ceil((stop - start) / step);
  sel->scalar = false;
  sel->n = count > 0 ? (size_t)count : 0;
  sel->pos = mem_alloc_atomic((sel->n + 1) * sizeof(size_t));
  for (size_t i = 0; i < sel->n; i++)
    sel->pos[i] = (size_t)(start + (double)i * step);
  return true;
}

static bool list_selection(VM *vm, const double *x, size_t n, size_t len,
                           const char *axis, const char *container,
                           Selection *sel) {
  sel->scalar = false;
  sel->n = n;
  sel->pos = mem_alloc_atomic((n + 1) * sizeof(size_t));
  for (size_t i = 0; i < n; i++)
    if (!position(vm, x[i], len, axis, container, &sel->pos[i]))
      return false;
  return true;
}

static bool selection(VM *vm, Value idx, size_t len, const char *axis,
                      const char *container, Selection *sel) {
  if (IS_NUM(idx)) {
    sel->scalar = true;
    sel->n = 1;
    sel->pos = mem_alloc_atomic(sizeof(size_t));
    return position(vm, AS_NUM(idx), len, axis, container, &sel->pos[0]);
  }
  if (IS_RANGE(idx))
    return slice_selection(vm, AS_RANGE(idx), len, sel);
  if (IS_TENSOR(idx) && AS_TENSOR(idx)->ndim == 1)
    return list_selection(vm, AS_TENSOR(idx)->data, AS_TENSOR(idx)->len, len,
                          axis, container, sel);
  if (IS_LIST(idx)) {
    const ObjList *l = AS_LIST(idx);
    double *x = mem_alloc_atomic((l->len + 1) * sizeof(double));
    for (size_t i = 0; i < l->len; i++) {
      if (!IS_NUM(l->items[i]))
        return vm_error(vm, "%s list must hold numbers, found a %s", axis,
                        value_type_name(l->items[i]));
      x[i] = AS_NUM(l->items[i]);
    }
    return list_selection(vm, x, l->len, len, axis, container, sel);
  }
  return vm_error(vm, "%s must be a number, a slice or a vector of positions, "
                      "got a %s",
                  axis, value_type_name(idx));
}

bool vmops_positions(VM *vm, const Value *idx, int n, int ndim, size_t rows,
                     size_t cols, size_t **pos, size_t *npos, int *out_ndim,
                     size_t *out_rows, size_t *out_cols) {
  Selection rs, cs;
  if (ndim < 2) {
    size_t len = ndim == 0 ? 1 : rows;
    if (n != 1)
      return vm_error(vm, "a vector takes 1 index, got %d", n);
    if (!selection(vm, idx[0], len, "index", "a vector", &rs))
      return false;
    *pos = rs.pos;
    *npos = rs.n;
    *out_ndim = rs.scalar ? 0 : 1;
    *out_rows = rs.n;
    *out_cols = 1;
    return true;
  }
  if (n != 1 && n != 2)
    return vm_error(vm, "a matrix takes 1 or 2 indices, got %d", n);
  if (!selection(vm, idx[0], rows, "row index", "a matrix's rows", &rs))
    return false;
  if (n == 1) {
    ObjRange all = {.step = 1};
    if (!slice_selection(vm, &all, cols, &cs))
      return false;
  } else if (!selection(vm, idx[1], cols, "column index",
                        "a matrix's columns", &cs)) {
    return false;
  }
  size_t count = rs.n * cs.n;
  size_t *p = mem_alloc_atomic((count + 1) * sizeof(size_t));
  for (size_t i = 0; i < rs.n; i++)
    for (size_t j = 0; j < cs.n; j++)
      p[i * cs.n + j] = rs.pos[i] * cols + cs.pos[j];
  *pos = p;
  *npos = count;
  bool row_scalar = rs.scalar, col_scalar = n == 2 && cs.scalar;
  *out_ndim = row_scalar && col_scalar ? 0 : (row_scalar || col_scalar) ? 1 : 2;
  *out_rows = *out_ndim == 2 ? rs.n : count;
  *out_cols = *out_ndim == 2 ? cs.n : 1;
  return true;
}

/* ---- indexing --------------------------------------------------------- */

static bool index_count(VM *vm, Value target, int n, int max) {
  if (n == max)
    return true;
  return vm_error(vm, "a %s takes %d index%s, got %d", value_type_name(target),
                  max, max == 1 ? "" : "es", n);
}

static bool index_list(VM *vm, const ObjList *l, Value idx, Value *out) {
  Selection s;
  if (!selection(vm, idx, l->len, "index", "a list", &s))
    return false;
  if (s.scalar) {
    *out = l->items[s.pos[0]];
    return true;
  }
  ObjList *r = list_new(s.n);
  for (size_t i = 0; i < s.n; i++)
    list_push(r, l->items[s.pos[i]]);
  *out = OBJ_VAL(r);
  return true;
}

static bool index_string(VM *vm, const ObjString *str, Value idx, Value *out) {
  Selection s;
  if (!selection(vm, idx, str->len, "index", "a string", &s))
    return false;
  char *buf = mem_alloc_atomic(s.n + 1);
  for (size_t i = 0; i < s.n; i++)
    buf[i] = str->chars[s.pos[i]];
  *out = OBJ_VAL(string_new(buf, s.n));
  return true;
}

static bool index_vector(VM *vm, const ObjTensor *t, Value idx, Value *out) {
  Selection s;
  if (!selection(vm, idx, t->len, "index", "a vector", &s))
    return false;
  if (s.scalar) {
    *out = NUM_VAL(t->data[s.pos[0]]);
    return true;
  }
  ObjTensor *r = tensor_vector(s.n);
  for (size_t i = 0; i < s.n; i++)
    r->data[i] = t->data[s.pos[i]];
  *out = OBJ_VAL(r);
  return true;
}

static bool matrix_selections(VM *vm, const ObjTensor *m, const Value *idx,
                              int n, Selection *rs, Selection *cs) {
  if (!selection(vm, idx[0], m->shape[0], "row index", "a matrix's rows", rs))
    return false;
  if (n == 1) {
    ObjRange all = {.step = 1};
    return slice_selection(vm, &all, m->shape[1], cs);
  }
  return selection(vm, idx[1], m->shape[1], "column index",
                   "a matrix's columns", cs);
}

static bool index_matrix(VM *vm, const ObjTensor *m, const Value *idx, int n,
                         Value *out) {
  if (n != 1 && n != 2)
    return index_count(vm, OBJ_VAL(m), n, 2);
  Selection rs, cs;
  if (!matrix_selections(vm, m, idx, n, &rs, &cs))
    return false;
  size_t cols = m->shape[1];
  if (rs.scalar && cs.scalar && n == 2) {
    *out = NUM_VAL(m->data[rs.pos[0] * cols + cs.pos[0]]);
    return true;
  }
  ObjTensor *r = (rs.scalar || (cs.scalar && n == 2))
                     ? tensor_vector(rs.n * cs.n)
                     : tensor_matrix(rs.n, cs.n);
  for (size_t i = 0; i < rs.n; i++)
    for (size_t j = 0; j < cs.n; j++)
      r->data[i * cs.n + j] = m->data[rs.pos[i] * cols + cs.pos[j]];
  *out = OBJ_VAL(r);
  return true;
}

static bool field_missing(VM *vm, const ObjRecord *r, const char *name) {
  const char **known = mem_alloc((r->fields.count + 1) * sizeof *known);
  for (size_t i = 0; i < r->fields.count; i++)
    known[i] = r->fields.entries[i].key->chars;
  const char *best = report_suggest(name, known, r->fields.count);
  if (best)
    return vm_error(vm, "record has no field '%s' (did you mean '%s'?)", name,
                    best);
  return vm_error(vm, "record has no field '%s'", name);
}

static bool index_record(VM *vm, const ObjRecord *r, Value idx, Value *out) {
  if (!IS_STRING(idx))
    return vm_error(vm, "a record is indexed by a field name (a string), "
                        "got a %s",
                    value_type_name(idx));
  if (table_get(&r->fields, AS_STRING(idx), out))
    return true;
  return field_missing(vm, r, AS_CSTRING(idx));
}

static bool index_range(VM *vm, const ObjRange *r, Value idx, Value *out) {
  Selection s;
  if (!selection(vm, idx, range_length(r), "index", "a range", &s))
    return false;
  if (s.scalar) {
    *out = NUM_VAL(r->start + (double)s.pos[0] * r->step);
    return true;
  }
  ObjTensor *t = tensor_vector(s.n);
  for (size_t i = 0; i < s.n; i++)
    t->data[i] = r->start + (double)s.pos[i] * r->step;
  *out = OBJ_VAL(t);
  return true;
}

bool vmops_index(VM *vm, Value target, const Value *idx, int n, Value *out) {
  if (IS_HANDLE(target) && AS_HANDLE(target)->cls->index)
    return AS_HANDLE(target)->cls->index(vm, target, idx, n, out);
  for (int i = 0; i < n; i++)
    if (IS_HANDLE(idx[i]) && AS_HANDLE(idx[i])->cls->index)
      return AS_HANDLE(idx[i])->cls->index(vm, target, idx, n, out);
  if (IS_TENSOR(target) && AS_TENSOR(target)->ndim == 2)
    return index_matrix(vm, AS_TENSOR(target), idx, n, out);
  if (!IS_OBJ(target))
    return vm_error(vm, "cannot index a %s", value_type_name(target));
  if (n != 1 && (IS_TENSOR(target) || IS_LIST(target) || IS_STRING(target) ||
                 IS_RECORD(target) || IS_RANGE(target)))
    return index_count(vm, target, n, 1);
  switch (OBJ_KIND(target)) {
  case OBJ_TENSOR: return index_vector(vm, AS_TENSOR(target), idx[0], out);
  case OBJ_LIST: return index_list(vm, AS_LIST(target), idx[0], out);
  case OBJ_STRING: return index_string(vm, AS_STRING(target), idx[0], out);
  case OBJ_RECORD: return index_record(vm, AS_RECORD(target), idx[0], out);
  case OBJ_RANGE: return index_range(vm, AS_RANGE(target), idx[0], out);
  default:
    return vm_error(vm, "cannot index a %s", value_type_name(target));
  }
}

/* Writes v (a number, or a tensor with exactly count elements) into the
 * positions dst[0..count) of data. */
static bool store_numbers(VM *vm, double *data, const size_t *dst,
                          size_t count, Value v) {
  if (IS_NUM(v)) {
    for (size_t i = 0; i < count; i++)
      data[dst[i]] = AS_NUM(v);
    return true;
  }
  if (IS_TENSOR(v) && AS_TENSOR(v)->len == count) {
    const double *src = AS_TENSOR(v)->data;
    double *copy = mem_alloc_atomic((count + 1) * sizeof(double));
    memcpy(copy, src, count * sizeof(double)); /* v may alias data */
    for (size_t i = 0; i < count; i++)
      data[dst[i]] = copy[i];
    return true;
  }
  if (IS_TENSOR(v))
    return vm_error(vm, "cannot assign %zu values to %zu positions",
                    AS_TENSOR(v)->len, count);
  return vm_error(vm, "a vector holds numbers; cannot store a %s in it",
                  value_type_name(v));
}

static bool set_tensor(VM *vm, ObjTensor *t, const Value *idx, int n,
                       Value v) {
  Selection rs, cs;
  size_t *dst;
  size_t count;
  if (t->ndim == 1) {
    if (n != 1)
      return index_count(vm, OBJ_VAL(t), n, 1);
    if (!selection(vm, idx[0], t->len, "index", "a vector", &rs))
      return false;
    dst = rs.pos;
    count = rs.n;
  } else {
    if (n != 1 && n != 2)
      return index_count(vm, OBJ_VAL(t), n, 2);
    if (!matrix_selections(vm, t, idx, n, &rs, &cs))
      return false;
    count = rs.n * cs.n;
    dst = mem_alloc_atomic((count + 1) * sizeof(size_t));
    for (size_t i = 0; i < rs.n; i++)
      for (size_t j = 0; j < cs.n; j++)
        dst[i * cs.n + j] = rs.pos[i] * t->shape[1] + cs.pos[j];
  }
  return store_numbers(vm, t->data, dst, count, v);
}

bool vmops_set_index(VM *vm, Value target, const Value *idx, int n, Value v) {
  if (IS_TENSOR(target))
    return set_tensor(vm, AS_TENSOR(target), idx, n, v);
  if (IS_LIST(target)) {
    if (n != 1)
      return index_count(vm, target, n, 1);
    ObjList *l = AS_LIST(target);
    if (!IS_NUM(idx[0]))
      return vm_error(vm, "list positions are assigned one at a time: the "
                          "index must be a number, got a %s",
                      value_type_name(idx[0]));
    size_t p;
    if (!position(vm, AS_NUM(idx[0]), l->len, "index", "a list", &p))
      return false;
    l->items[p] = v;
    return true;
  }
  if (IS_RECORD(target)) {
    if (n != 1)
      return index_count(vm, target, n, 1);
    if (!IS_STRING(idx[0]))
      return vm_error(vm, "a record is indexed by a field name (a string), "
                          "got a %s",
                      value_type_name(idx[0]));
    table_set(&AS_RECORD(target)->fields, AS_STRING(idx[0]), v);
    return true;
  }
  if (IS_STRING(target))
    return vm_error(vm, "strings cannot be changed in place; build a new one");
  return vm_error(vm, "cannot assign into a %s by index",
                  value_type_name(target));
}

bool vmops_slice_part(VM *vm, bool present, Value **part, double *out,
                      bool *given) {
  *given = false;
  if (!present)
    return true;
  Value v = *(*part)++;
  if (IS_NIL(v))
    return true;
  if (!IS_NUM(v))
    return vm_error(vm, "slice bounds must be numbers, got a %s",
                    value_type_name(v));
  *out = AS_NUM(v);
  *given = true;
  return true;
}

/* ---- fields ----------------------------------------------------------- */

bool vmops_get_field(VM *vm, Value target, ObjString *name, Value *out) {
  if (IS_RECORD(target)) {
    if (table_get(&AS_RECORD(target)->fields, name, out))
      return true;
    return field_missing(vm, AS_RECORD(target), name->chars);
  }
  if (IS_HANDLE(target)) {
    const ObjHandle *h = AS_HANDLE(target);
    if (h->cls->get_field)
      return h->cls->get_field(vm, h->data, name, out);
  }
  return vm_error(vm, "a %s has no field '%s'", value_type_name(target),
                  name->chars);
}

bool vmops_set_field(VM *vm, Value target, ObjString *name, Value v) {
  if (IS_RECORD(target)) {
    table_set(&AS_RECORD(target)->fields, name, v);
    return true;
  }
  return vm_error(vm, "cannot set field '%s' of a %s; only records have "
                      "settable fields",
                  name->chars, value_type_name(target));
}

/* ---- literals and iteration ------------------------------------------- */

Value vmops_build_list(const Value *items, int n) {
  bool numbers = n > 0;
  for (int i = 0; i < n && numbers; i++)
    numbers = IS_NUM(items[i]);
  if (numbers) {
    ObjTensor *t = tensor_vector((size_t)n);
    for (int i = 0; i < n; i++)
      t->data[i] = AS_NUM(items[i]);
    return OBJ_VAL(t);
  }
  ObjList *l = list_new((size_t)n);
  for (int i = 0; i < n; i++)
    list_push(l, items[i]);
  return OBJ_VAL(l);
}

bool vmops_for_prep(VM *vm, Value *iterable) {
  Value v = *iterable;
  if (IS_RANGE(v) || IS_TENSOR(v) || IS_LIST(v) || IS_STRING(v))
    return true;
  if (IS_RECORD(v)) {
    const Table *t = &AS_RECORD(v)->fields;
    ObjList *keys = list_new(t->count);
    for (size_t i = 0; i < t->count; i++)
      list_push(keys, OBJ_VAL(t->entries[i].key));
    *iterable = OBJ_VAL(keys);
    return true;
  }
  if (IS_NUM(v))
    return vm_error(vm, "cannot loop over a number; use range(n) to count");
  return vm_error(vm, "cannot loop over a %s", value_type_name(v));
}

bool vmops_for_item(Value it, size_t pos, Value *out) {
  switch (OBJ_KIND(it)) {
  case OBJ_TENSOR: {
    const ObjTensor *t = AS_TENSOR(it);
    if (pos >= t->shape[0])
      return false;
    if (t->ndim == 1) {
      *out = NUM_VAL(t->data[pos]);
    } else {
      size_t cols = t->shape[1];
      *out = OBJ_VAL(tensor_from_array(t->data + pos * cols, cols));
    }
    return true;
  }
  case OBJ_LIST:
    if (pos >= AS_LIST(it)->len)
      return false;
    *out = AS_LIST(it)->items[pos];
    return true;
  case OBJ_STRING:
    if (pos >= AS_STRING(it)->len)
      return false;
    *out = OBJ_VAL(string_new(AS_STRING(it)->chars + pos, 1));
    return true;
  default:
    return false;
  }
}
