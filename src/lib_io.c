/*
 * lib_io.c — files from scripts: read_csv, write_csv, read_text, write_text,
 * file_exists.
 *
 * A CSV file is a record of columns: read_csv returns {name: vector, ...}
 * in header order, and write_csv takes such a record (or a matrix and a
 * list of names). The file format and its missing-value rules are
 * csvfile.h's; this file only converts between its C arrays and values and
 * puts "read_csv(): " before its messages. Relative paths are relative to
 * the working directory.
 */
#include <config.h>
#include "builtin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "csvfile.h"
#include "mem.h"
#include "strbuf.h"
#include "tensor.h"

/* Reads the columns= argument (a string or a list of strings) into a GC
 * array of names. */
static bool column_names(Args *a, int i, const char ***names, size_t *n) {
  const Value v = a->v[i];
  if (IS_STRING(v)) {
    *names = mem_alloc(sizeof(char *));
    (*names)[0] = AS_CSTRING(v);
    *n = 1;
    return true;
  }
  ObjList *l;
  if (!IS_LIST(v) || (l = AS_LIST(v))->len == 0)
    return args_error(a, i, "must be a non-empty list of column names");
  *names = mem_alloc(l->len * sizeof(char *));
  for (size_t k = 0; k < l->len; k++) {
    if (!IS_STRING(l->items[k]))
      return args_error(a, i, "must be a list of column names, but item %zu "
                        "is a %s", k, value_type_name(l->items[k]));
    (*names)[k] = AS_CSTRING(l->items[k]);
  }
  *n = l->len;
  return true;
}

static bool b_read_csv(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"path", "columns", NULL};
  Args a;
  ObjString *path;
  const char **select = NULL;
  size_t nselect = 0;
  if (!args_bind(&a, vm, call, "read_csv", names, 1) ||
      !args_string(&a, 0, &path) ||
      (args_given(&a, 1) && !column_names(&a, 1, &select, &nselect)))
    return false;
  char err[CSVFILE_ERR_LEN];
  CsvTable *t = csvfile_read(path->chars, select, nselect, err);
  if (!t)
    return vm_error(vm, "read_csv(): %s", err);
  ObjRecord *r = record_new();
  for (size_t j = 0; j < t->ncols; j++)
    record_set(r, t->names[j], OBJ_VAL(tensor_from_array(t->cols[j],
                                                          t->nrows)));
  *result = OBJ_VAL(r);
  return true;
}

/* Columns to write: ncols names and ncols arrays of nrows numbers. */
typedef struct Columns {
  size_t ncols, nrows;
  const char **names;
  const double **cols;
} Columns;

static void columns_alloc(Columns *c, size_t ncols, size_t nrows) {
  c->ncols = ncols;
  c->nrows = nrows;
  c->names = mem_alloc((ncols + 1) * sizeof(char *));
  c->cols = mem_alloc((ncols + 1) * sizeof(double *));
}

/* A record of equal-length vectors (lists of numbers and ranges too). */
static bool columns_from_record(Args *a, int i, const ObjRecord *r,
                                Columns *c) {
  const Table *fields = &r->fields;
  if (fields->count == 0)
    return args_error(a, i, "must have at least one column");
  columns_alloc(c, fields->count, 0);
  for (size_t j = 0; j < fields->count; j++) {
    const TableEntry *e = &fields->entries[j];
    const ObjTensor *t = IS_TENSOR(e->value) && AS_TENSOR(e->value)->ndim == 2
                             ? NULL
                             : builtin_to_vector(e->value);
    if (!t)
      return args_error(a, i, "must hold vectors, but field '%s' is a %s",
                        e->key->chars, value_type_name(e->value));
    if (j == 0)
      c->nrows = t->len;
    else if (t->len != c->nrows)
      return args_error(a, i, "must hold vectors of equal length, but '%s' "
                        "has %zu values and '%s' has %zu",
                        fields->entries[0].key->chars, c->nrows,
                        e->key->chars, t->len);
    c->names[j] = e->key->chars;
    c->cols[j] = t->data;
  }
  return true;
}

/* A matrix, its columns named by header (a list of strings) or col0... */
static bool columns_from_matrix(Args *a, const ObjTensor *m, int header_arg,
                                Columns *c) {
  const size_t rows = m->shape[0], cols = m->shape[1];
  columns_alloc(c, cols, rows);
  const ObjList *header = NULL;
  if (args_given(a, header_arg)) {
    ObjList *l;
    if (!args_list(a, header_arg, &l))
      return false;
    if (l->len != cols)
      return args_error(a, header_arg, "must name all %zu columns, got %zu "
                        "names", cols, l->len);
    header = l;
  }
  for (size_t j = 0; j < cols; j++) {
    if (header && !IS_STRING(header->items[j]))
      return args_error(a, header_arg, "must be a list of strings, but item "
                        "%zu is a %s", j, value_type_name(header->items[j]));
    c->names[j] = header ? AS_CSTRING(header->items[j])
                         : string_format("col%zu", j)->chars;
    double *col = mem_alloc_atomic((rows + 1) * sizeof(double));
    for (size_t r = 0; r < rows; r++)
      col[r] = m->data[r * cols + j];
    c->cols[j] = col;
  }
  return true;
}

static bool b_write_csv(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"path", "data", "header", NULL};
  Args a;
  ObjString *path;
  if (!args_bind(&a, vm, call, "write_csv", names, 2) ||
      !args_string(&a, 0, &path))
    return false;
  Columns c = {0};
  const Value data = a.v[1];
  if (IS_RECORD(data)) {
    if (args_given(&a, 2))
      return args_error(&a, 2, "is only for a matrix (a record's field names "
                        "are its header)");
    if (!columns_from_record(&a, 1, AS_RECORD(data), &c))
      return false;
  } else if (IS_TENSOR(data) && AS_TENSOR(data)->ndim == 2) {
    if (!columns_from_matrix(&a, AS_TENSOR(data), 2, &c))
      return false;
  } else {
    return args_error(&a, 1, "must be a record of vectors or a matrix, got "
                      "a %s (write {x: v} for one column)",
                      value_type_name(data));
  }
  char err[CSVFILE_ERR_LEN];
  if (!csvfile_write(path->chars, c.names, c.cols, c.ncols, c.nrows, err))
    return vm_error(vm, "write_csv(): %s", err);
  *result = NIL_VAL;
  return true;
}

/* ---- plain text ---------------------------------------------------------- */

static bool b_file_exists(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"path", NULL};
  Args a;
  ObjString *path;
  if (!args_bind(&a, vm, call, "file_exists", names, 1) ||
      !args_string(&a, 0, &path))
    return false;
  *result = BOOL_VAL(access(path->chars, F_OK) == 0);
  return true;
}

static bool b_read_text(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"path", NULL};
  Args a;
  ObjString *path;
  if (!args_bind(&a, vm, call, "read_text", names, 1) ||
      !args_string(&a, 0, &path))
    return false;
  FILE *fp = fopen(path->chars, "rb");
  if (!fp)
    return vm_error(vm, "read_text(): cannot open '%s': %s", path->chars,
                    strerror(errno));
  StrBuf sb;
  strbuf_init(&sb);
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
    strbuf_append(&sb, buf, n);
  const bool failed = ferror(fp);
  const int saved = errno;
  fclose(fp);
  if (failed)
    return vm_error(vm, "read_text(): cannot read '%s': %s", path->chars,
                    strerror(saved));
  *result = OBJ_VAL(string_new(sb.data, sb.len));
  return true;
}

static bool b_write_text(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"path", "s", "append", NULL};
  Args a;
  ObjString *path, *s;
  bool append;
  if (!args_bind(&a, vm, call, "write_text", names, 2) ||
      !args_string(&a, 0, &path) || !args_string(&a, 1, &s) ||
      !args_bool_or(&a, 2, false, &append))
    return false;
  FILE *fp = fopen(path->chars, append ? "ab" : "wb");
  if (!fp)
    return vm_error(vm, "write_text(): cannot write '%s': %s", path->chars,
                    strerror(errno));
  bool ok = fwrite(s->chars, 1, s->len, fp) == s->len;
  int saved = errno;
  if (fclose(fp) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok)
    return vm_error(vm, "write_text(): cannot write '%s': %s", path->chars,
                    strerror(saved));
  *result = NIL_VAL;
  return true;
}

static const BuiltinDef io_defs[] = {
    {"read_csv", b_read_csv,
     "read_csv(path, columns=nil): record of numeric columns {name: vector} "
     "from a CSV file with a header (NA and empty fields read as nan)"},
    {"write_csv", b_write_csv,
     "write_csv(path, data, header=nil): write a record of equal-length "
     "vectors (or a matrix with header names) as CSV"},
    {"file_exists", b_file_exists,
     "file_exists(path): is there a file or directory at path?"},
    {"read_text", b_read_text, "read_text(path): a whole file as a string"},
    {"write_text", b_write_text,
     "write_text(path, s, append=false): write string s to a file"},
    {NULL, NULL, NULL},
};

void lib_io_register(VM *vm) { builtin_register(vm, io_defs); }
