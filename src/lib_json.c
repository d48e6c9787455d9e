/*
 * lib_json.c — read_json(path): Stan-style data files (names to numbers and
 * arrays) as records, so data can be shared with Stan and PyMC users.
 *
 * An array of numbers becomes a vector, an array of equal-length arrays of
 * numbers a matrix (rows as in the file), other arrays lists; objects
 * become records, true/false bools, null nil. Parsing is jansson's
 * (Debian's libjansson-dev).
 */
#include <config.h>

#include <string.h>

#include "builtin.h"
#include "tensor.h"

#include <jansson.h>

static bool to_value(VM *vm, json_t *j, Value *out);

static bool all_numbers(json_t *arr) {
  size_t i;
  json_t *x;
  json_array_foreach(arr, i, x) {
    if (!json_is_number(x))
      return false;
  }
  return true;
}

/* An array of equal-length arrays of numbers: the rows of a matrix. */
static bool matrix_shape(json_t *arr, size_t *rows, size_t *cols) {
  *rows = json_array_size(arr);
  if (*rows == 0)
    return false;
  json_t *first = json_array_get(arr, 0);
  if (!json_is_array(first) || json_array_size(first) == 0)
    return false;
  *cols = json_array_size(first);
  size_t i;
  json_t *row;
  json_array_foreach(arr, i, row) {
    if (!json_is_array(row) || json_array_size(row) != *cols ||
        !all_numbers(row))
      return false;
  }
  return true;
}

static bool array_value(VM *vm, json_t *arr, Value *out) {
  size_t n = json_array_size(arr), rows, cols;
  if (n > 0 && all_numbers(arr)) {
    ObjTensor *t = tensor_vector(n);
    for (size_t i = 0; i < n; i++)
      t->data[i] = json_number_value(json_array_get(arr, i));
    *out = OBJ_VAL(t);
    return true;
  }
  if (matrix_shape(arr, &rows, &cols)) {
    ObjTensor *t = tensor_matrix(rows, cols);
    for (size_t i = 0; i < rows; i++)
      for (size_t j = 0; j < cols; j++)
        t->data[i * cols + j] =
            json_number_value(json_array_get(json_array_get(arr, i), j));
    *out = OBJ_VAL(t);
    return true;
  }
  ObjList *l = list_new(n);
  for (size_t i = 0; i < n; i++) {
    Value item;
    if (!to_value(vm, json_array_get(arr, i), &item))
      return false;
    list_push(l, item);
  }
  *out = OBJ_VAL(l);
  return true;
}

static bool to_value(VM *vm, json_t *j, Value *out) {
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    ObjRecord *r = record_new();
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) {
      Value item;
      if (!to_value(vm, v, &item))
        return false;
      record_set(r, key, item);
    }
    *out = OBJ_VAL(r);
    return true;
  }
  case JSON_ARRAY:
    return array_value(vm, j, out);
  case JSON_STRING:
    *out = OBJ_VAL(string_new(json_string_value(j), json_string_length(j)));
    return true;
  case JSON_INTEGER:
  case JSON_REAL:
    *out = NUM_VAL(json_number_value(j));
    return true;
  case JSON_TRUE:
  case JSON_FALSE:
    *out = BOOL_VAL(json_is_true(j));
    return true;
  case JSON_NULL:
    *out = NIL_VAL;
    return true;
  }
  return vm_error(vm, "read_json(): unexpected JSON value");
}

static bool b_read_json(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"path", NULL};
  Args a;
  ObjString *path;
  if (!args_bind(&a, vm, call, "read_json", names, 1) ||
      !args_string(&a, 0, &path))
    return false;
  json_error_t err;
  json_t *root = json_load_file(path->chars, 0, &err);
  if (!root) {
    if (err.line < 0)
      return vm_error(vm, "read_json(): cannot read '%s': %s", path->chars,
                      err.text);
    return vm_error(vm, "read_json(): %s:%d:%d: %s", path->chars, err.line,
                    err.column, err.text);
  }
  bool ok = to_value(vm, root, result);
  json_decref(root);
  return ok;
}

static const BuiltinDef json_builtins[] = {
    {"read_json", b_read_json,
     "read_json(path): a JSON data file as a record (arrays of numbers as "
     "vectors, arrays of rows as matrices), e.g. Stan data files"},
    {NULL, NULL, NULL},
};

void lib_json_register(VM *vm) { builtin_register(vm, json_builtins); }
