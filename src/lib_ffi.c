/*
 * lib_ffi.c — builtins for calling C: ffi_open and ffi_fn.
 *
 *   let libm = ffi_open("libm.so.6")
 *   let cos_c = ffi_fn(libm, "cos", "double", ["double"])
 *   cos_c(0.5)                                  # 0.8775826
 *
 * A library is a handle of class "ffi_library" whose data is the
 * ForeignLib; a declared function is an ObjNative named after the C symbol
 * whose ctx is the ForeignFn, so it prints, is called and reports errors
 * like any builtin. The libffi work itself is in foreign.c.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "foreign.h"
#include "mem.h"
#include "report.h"
#include "strbuf.h"

static void library_format(StrBuf *sb, void *data, bool repr) {
  PPL_UNUSED(repr);
  strbuf_printf(sb, "<ffi_library '%s'>",
                foreign_lib_name((const ForeignLib *)data));
}

/* lib.path: the path the library was opened with. */
static bool library_get_field(VM *vm, void *data, ObjString *name,
                              Value *out) {
  if (strcmp(name->chars, "path") == 0) {
    *out = OBJ_VAL(string_from_cstr(foreign_lib_name(data)));
    return true;
  }
  return vm_error(vm, "an ffi_library has no field '%s' (it has: path)",
                  name->chars);
}

static const HandleClass library_class = {
    .name = "ffi_library",
    .format = library_format,
    .get_field = library_get_field,
};

/* Opens path (NULL: the process) as an error-reporting builtin would. */
static ForeignLib *open_library(VM *vm, const char *fn, const char *path) {
  char err[FOREIGN_ERR_LEN];
  ForeignLib *lib = foreign_open(path, err);
  if (!lib)
    vm_error(vm, "%s(): %s", fn, err);
  return lib;
}

static bool b_ffi_open(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"path", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "ffi_open", names, 0))
    return false;
  const char *path = NULL;
  if (args_given(&a, 0)) {
    ObjString *s;
    if (!args_string(&a, 0, &s))
      return false;
    path = s->chars;
  }
  ForeignLib *lib = open_library(vm, "ffi_open", path);
  if (!lib)
    return false;
  *result = OBJ_VAL(handle_new(&library_class, lib));
  return true;
}

/* The library argument of ffi_fn: a library, a path to open, or nil for
 * the process itself. */
static bool library_arg(Args *a, int i, ForeignLib **out) {
  Value v = a->v[i];
  if (object_is_handle(v, &library_class)) {
    *out = AS_HANDLE(v)->data;
    return true;
  }
  if (IS_NIL(v) || IS_STRING(v)) {
    *out = open_library(a->vm, a->fn, IS_NIL(v) ? NULL : AS_CSTRING(v));
    return *out != NULL;
  }
  return args_error(a, i, "must be a library from ffi_open(), got a %s",
                    value_type_name(v));
}

/* One type name, with a suggestion when it is misspelt. item is "" for
 * the return type, or "item 2 " for an entry of the argument list. */
static bool parse_type(Args *a, int i, const char *item, Value v,
                       ForeignType *out) {
  if (!IS_STRING(v))
    return args_error(a, i, "%smust be a C type name such as \"double\", "
                            "got a %s",
                      item, value_type_name(v));
  if (foreign_type_parse(AS_CSTRING(v), out))
    return true;
  const char *const *known = foreign_type_names();
  size_t nknown = 0;
  while (known[nknown])
    nknown++;
  const char *near = report_suggest(AS_CSTRING(v), known, nknown);
  if (near)
    return args_error(a, i, "%sis an unknown C type '%s' (did you mean "
                            "'%s'?)",
                      item, AS_CSTRING(v), near);
  StrBuf list;
  strbuf_init(&list);
  for (size_t k = 0; k < nknown; k++)
    strbuf_printf(&list, "%s%s", k ? ", " : "", known[k]);
  return args_error(a, i, "%sis an unknown C type '%s' (known: %s)", item,
                    AS_CSTRING(v), list.data);
}

/* The argument types: a list of type names, one name, or an empty
 * vector ([] with no items). */
static bool arg_types(Args *a, int i, ForeignType *types, int *n) {
  Value v = a->v[i];
  *n = 0;
  if (!args_given(a, i) || (IS_TENSOR(v) && AS_TENSOR(v)->len == 0))
    return true;
  if (IS_STRING(v)) {
    *n = 1;
    return parse_type(a, i, "", v, &types[0]);
  }
  if (!IS_LIST(v))
    return args_error(a, i, "must be a list of C type names such as "
                            "[\"double\", \"int\"], got a %s",
                      value_type_name(v));
  ObjList *list = AS_LIST(v);
  if (list->len > FOREIGN_MAX_ARGS)
    return args_error(a, i, "has %zu types; at most %d are supported",
                      list->len, FOREIGN_MAX_ARGS);
  for (size_t k = 0; k < list->len; k++) {
    char item[32];
    snprintf(item, sizeof item, "item %zu ", k);
    if (!parse_type(a, i, item, list->items[k], &types[k]))
      return false;
  }
  *n = (int)list->len;
  return true;
}

/* The native behind every declared C function: ctx is its ForeignFn. */
static bool call_foreign(VM *vm, const CallArgs *call, Value *result) {
  const ForeignFn *fn = call->ctx;
  if (call->kwc > 0)
    return vm_error(vm, "%s(): C functions take no keyword arguments (got "
                        "'%s')",
                    foreign_fn_name(fn), call->kwnames[0]->chars);
  char err[FOREIGN_ERR_LEN];
  if (!foreign_call(fn, call->argc, call->argv, result, err))
    return vm_error(vm, "%s", err);
  return true;
}

static bool b_ffi_fn(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"lib", "name", "ret", "args", NULL};
  Args a;
  ForeignLib *lib = NULL;
  ObjString *name;
  ForeignType ret;
  ForeignType types[FOREIGN_MAX_ARGS];
  int ntypes;
  if (!args_bind(&a, vm, call, "ffi_fn", names, 3) ||
      !args_string(&a, 1, &name) || !parse_type(&a, 2, "", a.v[2], &ret) ||
      !arg_types(&a, 3, types, &ntypes) || !library_arg(&a, 0, &lib))
    return false;
  char err[FOREIGN_ERR_LEN];
  ForeignFn *fn = foreign_declare(lib, name->chars, ret, types, ntypes, err);
  if (!fn)
    return vm_error(vm, "ffi_fn(): %s", err);
  StrBuf help;
  strbuf_init(&help);
  foreign_fn_signature(&help, fn);
  strbuf_printf(&help, ": C function from '%s'", foreign_lib_name(lib));
  *result = OBJ_VAL(native_new(foreign_fn_name(fn), call_foreign, help.data,
                               fn));
  return true;
}

static const BuiltinDef ffi_builtins[] = {
    {"ffi_open", b_ffi_open,
     "ffi_open(path=nil): load a shared library (\"libm.so.6\"); nil means "
     "the running process"},
    {"ffi_fn", b_ffi_fn,
     "ffi_fn(lib, name, ret, args=[]): a C function from a library, e.g. "
     "ffi_fn(libm, \"ldexp\", \"double\", [\"double\", \"int\"]); types: "
     "double float int int64 long string ptr_double void"},
    {NULL, NULL, NULL},
};

void lib_ffi_register(VM *vm) { builtin_register(vm, ffi_builtins); }
