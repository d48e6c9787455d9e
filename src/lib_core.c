/*
 * lib_core.c — the builtins every program uses: printing, sizes and types,
 * ranges, lists and records, errors and assertions, higher-order helpers.
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "builtin.h"
#include "mem.h"
#include "strbuf.h"
#include "tensor.h"

/* print(x, ...): values separated by spaces (or sep=), then a newline (or
 * end=); strings print without quotes. */
static bool b_print(VM *vm, const CallArgs *call, Value *result) {
  const char *sep = " ", *end = "\n";
  for (int k = 0; k < call->kwc; k++) {
    const char *key = call->kwnames[k]->chars;
    Value v = call->kwv[k];
    if (!IS_STRING(v) || (strcmp(key, "sep") != 0 && strcmp(key, "end") != 0))
      return vm_error(vm, "print(): only the keyword arguments sep= and end= "
                          "(strings) are accepted, got '%s'",
                      key);
    if (strcmp(key, "sep") == 0)
      sep = AS_CSTRING(v);
    else
      end = AS_CSTRING(v);
  }
  StrBuf sb;
  strbuf_init(&sb);
  for (int i = 0; i < call->argc; i++) {
    if (i)
      strbuf_puts(&sb, sep);
    value_format(&sb, call->argv[i], false);
  }
  strbuf_puts(&sb, end);
  fwrite(sb.data, 1, sb.len, vm_out(vm));
  *result = NIL_VAL;
  return true;
}

static bool b_len(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "len", names, 1))
    return false;
  Value v = a.v[0];
  double n;
  if (IS_STRING(v))
    n = (double)AS_STRING(v)->len;
  else if (IS_TENSOR(v))
    n = (double)AS_TENSOR(v)->shape[0];
  else if (IS_LIST(v))
    n = (double)AS_LIST(v)->len;
  else if (IS_RECORD(v))
    n = (double)AS_RECORD(v)->fields.count;
  else if (IS_RANGE(v))
    n = (double)range_length(AS_RANGE(v));
  else
    return args_error(&a, 0, "has no length: it is a %s",
                      value_type_name(v));
  *result = NUM_VAL(n);
  return true;
}

static bool b_type(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "type", names, 1))
    return false;
  *result = OBJ_VAL(string_from_cstr(value_type_name(a.v[0])));
  return true;
}

/* range(stop), range(start, stop), range(start, stop, step), as Python. */
static bool b_range(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"start", "stop", "step", NULL};
  Args a;
  double start, stop, step;
  if (!args_bind(&a, vm, call, "range", names, 1) ||
      !args_num(&a, 0, &start) || !args_num_or(&a, 2, 1.0, &step))
    return false;
  if (args_given(&a, 1)) {
    if (!args_num(&a, 1, &stop))
      return false;
  } else {
    stop = start;
    start = 0;
  }
  if (step == 0)
    return args_error(&a, 2, "must not be 0");
  *result = OBJ_VAL(range_new(start, stop, step));
  return true;
}

static bool b_list(VM *vm, const CallArgs *call, Value *result) {
  if (call->kwc)
    return vm_error(vm, "list(): takes no keyword arguments");
  if (call->argc == 1 && IS_RANGE(call->argv[0])) {
    const ObjRange *r = AS_RANGE(call->argv[0]);
    size_t n = range_length(r);
    if (n > BUILTIN_MAX_ELEMENTS)
      return vm_error(vm, "list(): the range has %zu numbers, more than the "
                          "limit of %zu",
                      n, BUILTIN_MAX_ELEMENTS);
    ObjList *l = list_new(n);
    for (size_t i = 0; i < n; i++)
      list_push(l, NUM_VAL(r->start + (double)i * r->step));
    *result = OBJ_VAL(l);
    return true;
  }
  if (call->argc == 1 && IS_TENSOR(call->argv[0])) {
    const ObjTensor *t = AS_TENSOR(call->argv[0]);
    ObjList *l = list_new(t->len);
    for (size_t i = 0; i < t->len; i++)
      list_push(l, NUM_VAL(t->data[i]));
    *result = OBJ_VAL(l);
    return true;
  }
  ObjList *l = list_new((size_t)call->argc);
  for (int i = 0; i < call->argc; i++)
    list_push(l, call->argv[i]);
  *result = OBJ_VAL(l);
  return true;
}

static bool b_push(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"list", "x", NULL};
  Args a;
  ObjList *l;
  if (!args_bind(&a, vm, call, "push", names, 2) || !args_list(&a, 0, &l))
    return false;
  list_push(l, a.v[1]);
  *result = OBJ_VAL(l);
  return true;
}

static bool b_pop(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"list", NULL};
  Args a;
  ObjList *l;
  if (!args_bind(&a, vm, call, "pop", names, 1) || !args_list(&a, 0, &l))
    return false;
  if (l->len == 0)
    return args_error(&a, 0, "is empty");
  *result = l->items[--l->len];
  return true;
}

static bool b_keys(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"record", NULL};
  Args a;
  ObjRecord *r;
  if (!args_bind(&a, vm, call, "keys", names, 1) || !args_record(&a, 0, &r))
    return false;
  ObjList *l = list_new(r->fields.count);
  for (size_t i = 0; i < r->fields.count; i++)
    list_push(l, OBJ_VAL(r->fields.entries[i].key));
  *result = OBJ_VAL(l);
  return true;
}

static bool b_values(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"record", NULL};
  Args a;
  ObjRecord *r;
  if (!args_bind(&a, vm, call, "values", names, 1) || !args_record(&a, 0, &r))
    return false;
  ObjList *l = list_new(r->fields.count);
  for (size_t i = 0; i < r->fields.count; i++)
    list_push(l, r->fields.entries[i].value);
  *result = OBJ_VAL(l);
  return true;
}

static bool b_has(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"record", "key", NULL};
  Args a;
  ObjRecord *r;
  ObjString *key;
  if (!args_bind(&a, vm, call, "has", names, 2) || !args_record(&a, 0, &r) ||
      !args_string(&a, 1, &key))
    return false;
  Value ignored;
  *result = BOOL_VAL(table_get(&r->fields, key, &ignored));
  return true;
}

static bool b_remove(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"record", "key", NULL};
  Args a;
  ObjRecord *r;
  ObjString *key;
  if (!args_bind(&a, vm, call, "remove", names, 2) ||
      !args_record(&a, 0, &r) || !args_string(&a, 1, &key))
    return false;
  *result = BOOL_VAL(table_delete(&r->fields, key));
  return true;
}

static bool b_error(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"message", NULL};
  Args a;
  PPL_UNUSED(result);
  if (!args_bind(&a, vm, call, "error", names, 1))
    return false;
  StrBuf sb;
  strbuf_init(&sb);
  value_format(&sb, a.v[0], false);
  return vm_error(vm, "%s", sb.data);
}

static bool b_assert(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"condition", "message", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "assert", names, 1))
    return false;
  Value c = a.v[0];
  bool ok = IS_TENSOR(c) ? true : value_truthy(c);
  if (IS_TENSOR(c))
    for (size_t i = 0; i < AS_TENSOR(c)->len; i++)
      ok = ok && AS_TENSOR(c)->data[i] != 0.0;
  *result = NIL_VAL;
  if (ok)
    return true;
  if (!args_given(&a, 1))
    return vm_error(vm, "assertion failed");
  StrBuf sb;
  strbuf_init(&sb);
  value_format(&sb, a.v[1], false);
  return vm_error(vm, "assertion failed: %s", sb.data);
}

static bool b_equal(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"a", "b", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "equal", names, 2))
    return false;
  *result = BOOL_VAL(value_equal(a.v[0], a.v[1]));
  return true;
}

static Value copy_value(Value v) {
  if (IS_TENSOR(v))
    return OBJ_VAL(tensor_copy(AS_TENSOR(v)));
  if (IS_LIST(v)) {
    const ObjList *l = AS_LIST(v);
    ObjList *c = list_new(l->len);
    for (size_t i = 0; i < l->len; i++)
      list_push(c, l->items[i]);
    return OBJ_VAL(c);
  }
  if (IS_RECORD(v)) {
    const Table *t = &AS_RECORD(v)->fields;
    ObjRecord *r = record_new();
    for (size_t i = 0; i < t->count; i++)
      table_set(&r->fields, t->entries[i].key, t->entries[i].value);
    return OBJ_VAL(r);
  }
  return v;
}

static bool b_copy(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "copy", names, 1))
    return false;
  *result = copy_value(a.v[0]);
  return true;
}

/* map(f, xs): f applied to each item; a vector when every result is a
 * number, else a list. */
static bool b_map(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"f", "xs", NULL};
  Args a;
  Value f;
  if (!args_bind(&a, vm, call, "map", names, 2) || !args_callable(&a, 0, &f))
    return false;
  Value xs = a.v[1];
  size_t n;
  if (IS_TENSOR(xs) && AS_TENSOR(xs)->ndim == 1)
    n = AS_TENSOR(xs)->len;
  else if (IS_LIST(xs))
    n = AS_LIST(xs)->len;
  else if (IS_RANGE(xs))
    n = range_length(AS_RANGE(xs));
  else
    return args_error(&a, 1, "must be a vector, list or range, got a %s",
                      value_type_name(xs));
  ObjList *out = list_new(n);
  bool numbers = true;
  for (size_t i = 0; i < n; i++) {
    Value item = IS_LIST(xs) ? AS_LIST(xs)->items[i]
                 : IS_RANGE(xs)
                     ? NUM_VAL(AS_RANGE(xs)->start +
                               (double)i * AS_RANGE(xs)->step)
                     : NUM_VAL(AS_TENSOR(xs)->data[i]);
    Value r;
    if (!vm_call(vm, f, 1, &item, &r))
      return false;
    numbers = numbers && IS_NUM(r);
    list_push(out, r);
  }
  if (numbers && n > 0) {
    ObjTensor *t = tensor_vector(n);
    for (size_t i = 0; i < n; i++)
      t->data[i] = AS_NUM(out->items[i]);
    *result = OBJ_VAL(t);
  } else {
    *result = OBJ_VAL(out);
  }
  return true;
}

static bool b_filter(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"f", "xs", NULL};
  Args a;
  Value f;
  if (!args_bind(&a, vm, call, "filter", names, 2) ||
      !args_callable(&a, 0, &f))
    return false;
  Value xs = a.v[1];
  bool vector = IS_TENSOR(xs) && AS_TENSOR(xs)->ndim == 1;
  if (!vector && !IS_LIST(xs))
    return args_error(&a, 1, "must be a vector or list, got a %s",
                      value_type_name(xs));
  size_t n = vector ? AS_TENSOR(xs)->len : AS_LIST(xs)->len;
  ObjList *kept = list_new(n);
  for (size_t i = 0; i < n; i++) {
    Value item = vector ? NUM_VAL(AS_TENSOR(xs)->data[i])
                        : AS_LIST(xs)->items[i];
    Value keep;
    if (!vm_call(vm, f, 1, &item, &keep))
      return false;
    if (value_truthy(keep))
      list_push(kept, item);
  }
  if (!vector) {
    *result = OBJ_VAL(kept);
    return true;
  }
  ObjTensor *t = tensor_vector(kept->len);
  for (size_t i = 0; i < kept->len; i++)
    t->data[i] = AS_NUM(kept->items[i]);
  *result = OBJ_VAL(t);
  return true;
}

/* Seconds on a monotonic clock, for timing code. */
static bool b_clock(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {NULL};
  Args a;
  if (!args_bind(&a, vm, call, "clock", names, 0))
    return false;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  *result = NUM_VAL((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
  return true;
}

static bool b_help(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"f", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "help", names, 1))
    return false;
  Value f = a.v[0];
  *result = NIL_VAL;
  if (IS_NATIVE(f) && AS_NATIVE(f)->help) {
    fprintf(vm_out(vm), "%s\n", AS_NATIVE(f)->help);
    return true;
  }
  if (IS_CLOSURE(f)) {
    const ObjFunction *fn = AS_CLOSURE(f)->function;
    fprintf(vm_out(vm), "%s(", fn->name ? fn->name->chars : "fn");
    for (int i = 0; i < fn->arity; i++)
      fprintf(vm_out(vm), "%s%s%s", i ? ", " : "", fn->params[i]->chars,
              i >= fn->nrequired ? "=..." : "");
    fprintf(vm_out(vm), "): defined at %s:%d\n",
            fn->source ? fn->source->name : "?", fn->line);
    return true;
  }
  fprintf(vm_out(vm), "a %s\n", value_type_name(f));
  return true;
}

/* The directory of the file whose code is running, so a script can find
 * data next to itself wherever it is run from. */
static bool b_script_dir(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {NULL};
  Args a;
  if (!args_bind(&a, vm, call, "script_dir", names, 0))
    return false;
  const char *file = vm_current_file(vm);
  const char *slash = strrchr(file, '/');
  if (file[0] == '<' || !slash)
    *result = OBJ_VAL(string_from_cstr("."));
  else
    *result = OBJ_VAL(string_new(file, (size_t)(slash - file)));
  return true;
}

static bool b_getenv(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"name", "default", NULL};
  Args a;
  ObjString *name;
  if (!args_bind(&a, vm, call, "getenv", names, 1) ||
      !args_string(&a, 0, &name))
    return false;
  const char *v = getenv(name->chars);
  *result = v ? OBJ_VAL(string_from_cstr(v))
              : args_given(&a, 1) ? a.v[1] : NIL_VAL;
  return true;
}

static const BuiltinDef core_builtins[] = {
    {"print", b_print, "print(x, ..., sep=\" \", end=\"\\n\"): write values"},
    {"len", b_len, "len(x): length of a string, vector (rows of a matrix), "
                   "list, record or range"},
    {"type", b_type, "type(x): the type name of x, e.g. \"vector\""},
    {"range", b_range, "range(start=0, stop, step=1): the numbers from start "
                       "up to (not including) stop"},
    {"list", b_list, "list(x, ...): a list of the arguments (or of the "
                     "elements of one vector or range)"},
    {"push", b_push, "push(list, x): append x to list (in place); returns it"},
    {"pop", b_pop, "pop(list): remove and return the last item"},
    {"keys", b_keys, "keys(record): the field names, in order"},
    {"values", b_values, "values(record): the field values, in order"},
    {"has", b_has, "has(record, key): whether the record has that field"},
    {"remove", b_remove, "remove(record, key): delete a field; whether it "
                         "existed"},
    {"error", b_error, "error(message): stop with a runtime error"},
    {"assert", b_assert, "assert(condition, message=nil): error unless "
                         "condition holds (every element, for a vector)"},
    {"equal", b_equal, "equal(a, b): structural equality as one bool (== on "
                       "vectors compares elementwise)"},
    {"copy", b_copy, "copy(x): a shallow copy of a vector, list or record"},
    {"map", b_map, "map(f, xs): f applied to each item of xs"},
    {"filter", b_filter, "filter(f, xs): the items of xs for which f is true"},
    {"clock", b_clock, "clock(): seconds on a monotonic clock"},
    {"help", b_help, "help(f): what a builtin or function does"},
    {"script_dir", b_script_dir, "script_dir(): the directory of the running "
                                 "file (\".\" for -e and the REPL)"},
    {"getenv", b_getenv, "getenv(name, default=nil): an environment "
                         "variable, or default when it is not set"},
    {NULL, NULL, NULL},
};

void lib_core_register(VM *vm) { builtin_register(vm, core_builtins); }
