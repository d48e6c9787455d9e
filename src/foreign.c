/*
 * foreign.c — calling C functions in shared libraries through libffi.
 *
 * foreign_open wraps dlopen, foreign_declare wraps dlsym and ffi_prep_cif,
 * foreign_call converts ppl values to C, calls ffi_call and converts back.
 *
 * Memory: a ForeignFn is one GC block (mem_alloc, so it is scanned) holding
 * the ffi_cif by value; the cif points at an ffi_type* array that must live
 * as long as the cif, so that array is GC memory too, reachable from the
 * ForeignFn. The ffi_type objects themselves are libffi's static ones. No GC
 * pointer is ever stored in malloc'd or libffi-owned memory.
 *
 * Arguments are converted into a fixed array of unions on the C stack (no
 * allocation per call). Strings and vector data are passed without copying,
 * which is why the caller's argv must stay reachable during the call.
 *
 * Reference: libffi manual, "Using libffi" (ffi_prep_cif, ffi_call, and the
 * rule that integral results narrower than ffi_arg are widened to it).
 */
#include <config.h>
#include "foreign.h"

#include <dlfcn.h>
#include <ffi.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "strbuf.h"

/* Exclusive upper bound of int64_t as a double (2^63); -2^63 is in range. */
#define INT64_BOUND 9223372036854775808.0

struct ForeignLib {
  void *handle;
  const char *name;
};

struct ForeignFn {
  ForeignLib *lib;
  const char *name;
  void (*fnptr)(void);
  ForeignType ret;
  int nargs;
  ForeignType *args;  /* nargs, GC atomic */
  ffi_type **atypes;  /* nargs, GC scanned; the cif points here */
  ffi_cif cif;
};

/* One converted argument; avalues[i] points at one of these. */
typedef union CArg {
  double d;
  float f;
  int i;
  int64_t i64;
  long l;
  const char *s;
  double *p;
} CArg;

/* The return slot: at least ffi_arg wide, as libffi requires. */
typedef union CRet {
  ffi_arg a;
  ffi_sarg sa;
  double d;
  float f;
  int64_t i64;
  char *s;
} CRet;

static const char *const type_names[] = {
#define X(kind, name, cname) name,
    FOREIGN_TYPES(X)
#undef X
        NULL};

static const char *const type_cnames[] = {
#define X(kind, name, cname) cname,
    FOREIGN_TYPES(X)
#undef X
};

bool foreign_type_parse(const char *name, ForeignType *out) {
  for (int t = 0; type_names[t]; t++) {
    if (strcmp(name, type_names[t]) == 0 ||
        strcmp(name, type_cnames[t]) == 0) {
      *out = (ForeignType)t;
      return true;
    }
  }
  if (strcmp(name, "const char*") == 0) {
    *out = FT_STRING;
    return true;
  }
  return false;
}

const char *foreign_type_name(ForeignType t) { return type_cnames[t]; }

const char *const *foreign_type_names(void) { return type_names; }

static ffi_type *ffi_type_of(ForeignType t) {
  switch (t) {
  case FT_VOID:
    return &ffi_type_void;
  case FT_DOUBLE:
    return &ffi_type_double;
  case FT_FLOAT:
    return &ffi_type_float;
  case FT_INT:
    return &ffi_type_sint;
  case FT_INT64:
    return &ffi_type_sint64;
  case FT_LONG:
    return &ffi_type_slong;
  case FT_STRING:
  case FT_PTR_DOUBLE:
    return &ffi_type_pointer;
  }
  PANIC("unknown foreign type");
}

static void set_err(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(char *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, FOREIGN_ERR_LEN, fmt, ap);
  va_end(ap);
}

ForeignLib *foreign_open(const char *path, char *err) {
  dlerror();
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    set_err(err, "cannot load '%s': %s", path ? path : "<process>",
            why ? why : "unknown error");
    return NULL;
  }
  ForeignLib *lib = mem_alloc(sizeof(ForeignLib));
  lib->handle = handle;
  lib->name = mem_strdup(path ? path : "<process>");
  return lib;
}

const char *foreign_lib_name(const ForeignLib *lib) { return lib->name; }

/* Checks the signature; false with err set when a type is misplaced. */
static bool check_signature(const char *name, ForeignType ret,
                            const ForeignType *args, int nargs, char *err) {
  if (nargs > FOREIGN_MAX_ARGS) {
    set_err(err, "'%s' has %d arguments; at most %d are supported", name,
            nargs, FOREIGN_MAX_ARGS);
    return false;
  }
  if (ret == FT_PTR_DOUBLE) {
    set_err(err, "return type double* of '%s' is not supported (a returned "
                 "pointer has no length to make a vector from)",
            name);
    return false;
  }
  for (int i = 0; i < nargs; i++) {
    if (args[i] == FT_VOID) {
      set_err(err, "argument %d of '%s' cannot have type void (write [] for "
                   "a function without arguments)",
              i + 1, name);
      return false;
    }
  }
  return true;
}

/* dlsym, telling "not found" apart from a symbol whose value is NULL. */
static bool lookup(ForeignLib *lib, const char *name, void **sym, char *err) {
  dlerror();
  *sym = dlsym(lib->handle, name);
  if (dlerror() != NULL || *sym == NULL) {
    set_err(err, "symbol '%s' not found in '%s'", name, lib->name);
    return false;
  }
  return true;
}

ForeignFn *foreign_declare(ForeignLib *lib, const char *name, ForeignType ret,
                           const ForeignType *args, int nargs, char *err) {
  void *sym;
  if (!check_signature(name, ret, args, nargs, err) ||
      !lookup(lib, name, &sym, err))
    return NULL;
  ForeignFn *fn = mem_alloc(sizeof(ForeignFn));
  fn->lib = lib;
  fn->name = mem_strdup(name);
  fn->fnptr = FFI_FN(sym);
  fn->ret = ret;
  fn->nargs = nargs;
  fn->args = mem_alloc_atomic(sizeof(ForeignType) * (size_t)(nargs + 1));
  fn->atypes = mem_alloc(sizeof(ffi_type *) * (size_t)(nargs + 1));
  for (int i = 0; i < nargs; i++) {
    fn->args[i] = args[i];
    fn->atypes[i] = ffi_type_of(args[i]);
  }
  ffi_status st = ffi_prep_cif(&fn->cif, FFI_DEFAULT_ABI, (unsigned)nargs,
                               ffi_type_of(ret), fn->atypes);
  if (st != FFI_OK) {
    set_err(err, "libffi cannot prepare a call to '%s' (status %d)", name,
            (int)st);
    return NULL;
  }
  return fn;
}

const char *foreign_fn_name(const ForeignFn *fn) { return fn->name; }

const ForeignLib *foreign_fn_lib(const ForeignFn *fn) { return fn->lib; }

void foreign_fn_signature(StrBuf *sb, const ForeignFn *fn) {
  strbuf_printf(sb, "%s %s(", foreign_type_name(fn->ret), fn->name);
  for (int i = 0; i < fn->nargs; i++)
    strbuf_printf(sb, "%s%s", i ? ", " : "", foreign_type_name(fn->args[i]));
  strbuf_putc(sb, ')');
}

/* "cos(): argument 1 must be a number for C type double, got a string" */
static bool arg_error(const ForeignFn *fn, int i, const char *what,
                      const char *got, char *err) {
  set_err(err, "%s(): argument %d %s for C type %s, got %s", fn->name, i + 1,
          what, foreign_type_name(fn->args[i]), got);
  return false;
}

/* An argument of the wrong kind: names the kind it has ("got a list"), as
 * the args_* checkers of builtin.c do. */
static bool kind_error(const ForeignFn *fn, int i, const char *what, Value v,
                       char *err) {
  char got[64];
  snprintf(got, sizeof got, "%s%s", IS_NIL(v) ? "" : "a ",
           value_type_name(v));
  return arg_error(fn, i, what, got, err);
}

/* A number of the right kind but a wrong value: shows the value. */
static bool number_error(const ForeignFn *fn, int i, const char *what,
                         double x, char *err) {
  StrBuf got;
  strbuf_init(&got);
  value_format_number(&got, x);
  return arg_error(fn, i, what, got.data, err);
}

/* A number (or boolean) for a numeric C type. */
static bool to_number(const ForeignFn *fn, int i, Value v, double *x,
                      char *err) {
  if (IS_BOOL(v)) {
    *x = AS_BOOL(v) ? 1.0 : 0.0;
    return true;
  }
  if (!IS_NUM(v))
    return kind_error(fn, i, "must be a number", v, err);
  *x = AS_NUM(v);
  return true;
}

/* A whole number within [lo, hi) for an integer C type. */
static bool to_integer(const ForeignFn *fn, int i, Value v, double lo,
                       double hi, double *x, char *err) {
  if (!to_number(fn, i, v, x, err))
    return false;
  if (*x != floor(*x))
    return number_error(fn, i, "must be a whole number", *x, err);
  if (!(*x >= lo && *x < hi))
    return number_error(fn, i, "is out of range", *x, err);
  return true;
}

/* Converts argument i into *slot. */
static bool convert_arg(const ForeignFn *fn, int i, Value v, CArg *slot,
                        char *err) {
  double x = 0.0;
  switch (fn->args[i]) {
  case FT_DOUBLE:
    if (!to_number(fn, i, v, &x, err))
      return false;
    slot->d = x;
    return true;
  case FT_FLOAT:
    if (!to_number(fn, i, v, &x, err))
      return false;
    slot->f = (float)x;
    return true;
  case FT_INT:
    if (!to_integer(fn, i, v, INT_MIN, (double)INT_MAX + 1.0, &x, err))
      return false;
    slot->i = (int)x;
    return true;
  case FT_INT64:
    if (!to_integer(fn, i, v, -INT64_BOUND, INT64_BOUND, &x, err))
      return false;
    slot->i64 = (int64_t)x;
    return true;
  case FT_LONG:
    if (!to_integer(fn, i, v, (double)LONG_MIN, -(double)LONG_MIN, &x, err))
      return false;
    slot->l = (long)x;
    return true;
  case FT_STRING:
    if (!IS_STRING(v))
      return kind_error(fn, i, "must be a string", v, err);
    slot->s = AS_CSTRING(v);
    return true;
  case FT_PTR_DOUBLE:
    if (!IS_TENSOR(v))
      return kind_error(fn, i, "must be a vector", v, err);
    slot->p = AS_TENSOR(v)->data;
    return true;
  case FT_VOID:
    break;
  }
  PANIC("void argument type survived foreign_declare");
}

/* The ppl value of a C result. */
static Value convert_result(ForeignType t, const CRet *r) {
  switch (t) {
  case FT_VOID:
    return NIL_VAL;
  case FT_DOUBLE:
    return NUM_VAL(r->d);
  case FT_FLOAT:
    return NUM_VAL((double)r->f);
  case FT_INT:
    return NUM_VAL((double)(int)r->sa);
  case FT_INT64:
    return NUM_VAL(sizeof(ffi_sarg) >= sizeof(int64_t) ? (double)r->sa
                                                       : (double)r->i64);
  case FT_LONG:
    return NUM_VAL((double)(long)r->sa);
  case FT_STRING:
    return r->s ? OBJ_VAL(string_from_cstr(r->s)) : NIL_VAL;
  case FT_PTR_DOUBLE:
    break;
  }
  PANIC("pointer return type survived foreign_declare");
}

bool foreign_call(const ForeignFn *fn, int argc, const Value *argv,
                  Value *result, char *err) {
  if (argc != fn->nargs) {
    StrBuf sig;
    strbuf_init(&sig);
    foreign_fn_signature(&sig, fn);
    set_err(err, "%s(): expected %d argument%s, got %d (C signature: %s)",
            fn->name, fn->nargs, fn->nargs == 1 ? "" : "s", argc, sig.data);
    return false;
  }
  CArg slots[FOREIGN_MAX_ARGS];
  void *avalues[FOREIGN_MAX_ARGS];
  for (int i = 0; i < argc; i++) {
    if (!convert_arg(fn, i, argv[i], &slots[i], err))
      return false;
    avalues[i] = &slots[i];
  }
  CRet r;
  memset(&r, 0, sizeof r);
  /* ffi_call wants a non-const cif; libffi does not modify it here. */
  ffi_call((ffi_cif *)&fn->cif, fn->fnptr, &r, avalues);
  *result = convert_result(fn->ret, &r);
  return true;
}
