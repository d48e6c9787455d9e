/*
 * builtin.c — registration of builtin libraries and the argument binding
 * and checking helpers every builtin uses, so that all of them word their
 * errors alike: "name(): argument 2 'sigma' must be positive, got -1".
 */
#include <config.h>
#include "builtin.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "report.h"
#include "strbuf.h"
#include "tensor.h"

void builtin_register(VM *vm, const BuiltinDef *defs) {
  for (const BuiltinDef *d = defs; d->name; d++)
    vm_define_global(vm, d->name,
                     OBJ_VAL(native_new(d->name, d->fn, d->help, NULL)));
}

void builtin_register_all(VM *vm) {
  lib_core_register(vm);
  lib_math_register(vm);
  lib_vector_register(vm);
  lib_random_register(vm);
  lib_io_register(vm);
  lib_string_register(vm);
  lib_ffi_register(vm);
  lib_model_register(vm);
  lib_json_register(vm);
  lib_gp_register(vm);
  lib_sample_register(vm);
  lib_trace_register(vm);
  lib_nn_register(vm);
  lib_plot_register(vm);
}

/* ---- binding ---------------------------------------------------------- */

static int param_index(const Args *a, const char *name) {
  for (int i = 0; i < a->n; i++)
    if (strcmp(a->names[i], name) == 0)
      return i;
  return -1;
}

bool args_bind(Args *a, VM *vm, const CallArgs *call, const char *fn,
               const char *const names[], int nrequired) {
  a->vm = vm;
  a->fn = fn;
  a->names = names;
  a->n = 0;
  while (names[a->n])
    a->n++;
  ASSERT(a->n <= ARGS_MAX);
  for (int i = 0; i < a->n; i++)
    a->v[i] = UNDEF_VAL;
  if (call->argc > a->n)
    return vm_error(vm, "%s() takes at most %d argument%s, got %d", fn, a->n,
                    a->n == 1 ? "" : "s", call->argc);
  for (int i = 0; i < call->argc; i++)
    a->v[i] = call->argv[i];
  for (int k = 0; k < call->kwc; k++) {
    const char *key = call->kwnames[k]->chars;
    int i = param_index(a, key);
    if (i < 0) {
      const char *best = report_suggest(key, (const char **)names, (size_t)a->n);
      if (best)
        return vm_error(vm, "%s(): unknown keyword argument '%s' (did you "
                            "mean '%s'?)",
                        fn, key, best);
      return vm_error(vm, "%s(): unknown keyword argument '%s'", fn, key);
    }
    if (!IS_UNDEF(a->v[i]))
      return vm_error(vm, "%s(): argument '%s' given twice", fn, key);
    a->v[i] = call->kwv[k];
  }
  for (int i = 0; i < nrequired; i++)
    if (IS_UNDEF(a->v[i]))
      return vm_error(vm, "%s(): missing required argument '%s'", fn,
                      names[i]);
  return true;
}

bool args_given(const Args *a, int i) {
  return i < a->n && !IS_UNDEF(a->v[i]) && !IS_NIL(a->v[i]);
}

bool args_error(Args *a, int i, const char *fmt, ...) {
  StrBuf sb;
  strbuf_init(&sb);
  va_list ap;
  va_start(ap, fmt);
  strbuf_vprintf(&sb, fmt, ap);
  va_end(ap);
  return vm_error(a->vm, "%s(): argument %d '%s' %s", a->fn, i + 1,
                  a->names[i], sb.data);
}

static bool missing(Args *a, int i) {
  return vm_error(a->vm, "%s(): missing required argument '%s'", a->fn,
                  a->names[i]);
}

static bool wrong_type(Args *a, int i, const char *what) {
  return args_error(a, i, "must be %s, got a %s", what,
                    value_type_name(a->v[i]));
}

/* ---- numbers ---------------------------------------------------------- */

bool args_num(Args *a, int i, double *out) {
  if (!args_given(a, i))
    return missing(a, i);
  Value v = a->v[i];
  if (IS_NUM(v)) {
    *out = AS_NUM(v);
    return true;
  }
  if (IS_TENSOR(v) && AS_TENSOR(v)->len == 1) {
    *out = AS_TENSOR(v)->data[0];
    return true;
  }
  return wrong_type(a, i, "a number");
}

bool args_num_or(Args *a, int i, double dflt, double *out) {
  if (!args_given(a, i)) {
    *out = dflt;
    return true;
  }
  return args_num(a, i, out);
}

bool args_positive(Args *a, int i, double *out) {
  if (!args_num(a, i, out))
    return false;
  if (!(*out > 0))
    return args_error(a, i, "must be positive, got %g", *out);
  return true;
}

bool args_positive_or(Args *a, int i, double dflt, double *out) {
  if (!args_given(a, i)) {
    *out = dflt;
    return true;
  }
  return args_positive(a, i, out);
}

/* Whole numbers are exact in a double up to 2^53. */
#define WHOLE_LIMIT 9007199254740992.0

bool args_int(Args *a, int i, int64_t *out) {
  double x;
  if (!args_num(a, i, &x))
    return false;
  if (x != floor(x) || fabs(x) > WHOLE_LIMIT)
    return args_error(a, i, "must be a whole number, got %g", x);
  *out = (int64_t)x;
  return true;
}

bool args_int_or(Args *a, int i, int64_t dflt, int64_t *out) {
  if (!args_given(a, i)) {
    *out = dflt;
    return true;
  }
  return args_int(a, i, out);
}

bool args_count(Args *a, int i, size_t *out) {
  int64_t n;
  if (!args_int(a, i, &n))
    return false;
  if (n < 0)
    return args_error(a, i, "must not be negative, got %lld", (long long)n);
  *out = (size_t)n;
  return true;
}

bool args_size(Args *a, int i, size_t *out) {
  if (!args_count(a, i, out))
    return false;
  if (*out > BUILTIN_MAX_ELEMENTS)
    return args_error(a, i, "asks for %zu elements, more than the limit of "
                            "%zu",
                      *out, BUILTIN_MAX_ELEMENTS);
  return true;
}

bool args_count_or(Args *a, int i, size_t dflt, size_t *out) {
  if (!args_given(a, i)) {
    *out = dflt;
    return true;
  }
  return args_count(a, i, out);
}

bool args_bool_or(Args *a, int i, bool dflt, bool *out) {
  if (!args_given(a, i)) {
    *out = dflt;
    return true;
  }
  if (!IS_BOOL(a->v[i]))
    return wrong_type(a, i, "true or false");
  *out = AS_BOOL(a->v[i]);
  return true;
}

/* ---- objects ---------------------------------------------------------- */

bool args_string(Args *a, int i, ObjString **out) {
  if (!args_given(a, i))
    return missing(a, i);
  if (!IS_STRING(a->v[i]))
    return wrong_type(a, i, "a string");
  *out = AS_STRING(a->v[i]);
  return true;
}

bool args_string_or(Args *a, int i, const char *dflt, const char **out) {
  if (!args_given(a, i)) {
    *out = dflt;
    return true;
  }
  ObjString *s;
  if (!args_string(a, i, &s))
    return false;
  *out = s->chars;
  return true;
}

bool args_tensor(Args *a, int i, ObjTensor **out) {
  if (!args_given(a, i))
    return missing(a, i);
  if (!IS_TENSOR(a->v[i]))
    return wrong_type(a, i, "a vector or matrix");
  *out = AS_TENSOR(a->v[i]);
  return true;
}

ObjTensor *builtin_to_vector(Value v) {
  if (IS_NUM(v))
    return tensor_from_array(&AS_NUM(v), 1);
  if (IS_TENSOR(v))
    return AS_TENSOR(v);
  if (IS_RANGE(v)) {
    const ObjRange *r = AS_RANGE(v);
    if (!r->has_start || !r->has_stop)
      return NULL;
    size_t n = range_length(r);
    if (n > BUILTIN_MAX_ELEMENTS)
      return NULL;
    ObjTensor *t = tensor_vector(n);
    for (size_t i = 0; i < n; i++)
      t->data[i] = r->start + (double)i * r->step;
    return t;
  }
  if (IS_LIST(v)) {
    const ObjList *l = AS_LIST(v);
    ObjTensor *t = tensor_vector(l->len);
    for (size_t i = 0; i < l->len; i++) {
      if (!IS_NUM(l->items[i]))
        return NULL;
      t->data[i] = AS_NUM(l->items[i]);
    }
    return t;
  }
  return NULL;
}

bool args_vector(Args *a, int i, ObjTensor **out) {
  if (!args_given(a, i))
    return missing(a, i);
  Value v = a->v[i];
  if (IS_TENSOR(v) && AS_TENSOR(v)->ndim == 2)
    return args_error(a, i, "must be a vector, got a %zu x %zu matrix",
                      AS_TENSOR(v)->shape[0], AS_TENSOR(v)->shape[1]);
  if (IS_RANGE(v) && range_length(AS_RANGE(v)) > BUILTIN_MAX_ELEMENTS)
    return args_error(a, i, "is a range of %zu numbers, more than the limit "
                            "of %zu",
                      range_length(AS_RANGE(v)), BUILTIN_MAX_ELEMENTS);
  ObjTensor *t = builtin_to_vector(v);
  if (!t) {
    if (IS_LIST(v))
      return args_error(a, i, "must be a vector; this list holds values "
                              "that are not numbers");
    return wrong_type(a, i, "a vector");
  }
  *out = t;
  return true;
}

bool args_list(Args *a, int i, ObjList **out) {
  if (!args_given(a, i))
    return missing(a, i);
  if (!IS_LIST(a->v[i]))
    return wrong_type(a, i, "a list");
  *out = AS_LIST(a->v[i]);
  return true;
}

bool args_record(Args *a, int i, ObjRecord **out) {
  if (!args_given(a, i))
    return missing(a, i);
  if (!IS_RECORD(a->v[i]))
    return wrong_type(a, i, "a record");
  *out = AS_RECORD(a->v[i]);
  return true;
}

bool args_callable(Args *a, int i, Value *out) {
  if (!args_given(a, i))
    return missing(a, i);
  if (!IS_CLOSURE(a->v[i]) && !IS_NATIVE(a->v[i]))
    return wrong_type(a, i, "a function");
  *out = a->v[i];
  return true;
}
