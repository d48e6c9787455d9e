/*
 * object.h — heap objects of the VM, all on the Boehm GC heap (mem.h).
 *
 * Every object starts with an Obj header holding its kind. The list of kinds
 * is an X-macro so the kind enum and the kind names cannot drift. Objects the
 * language core does not know (models, traces, distributions, GP fits,
 * networks, foreign libraries) are OBJ_HANDLEs: a pointer to a HandleClass
 * (name, printing, field access) and GC-allocated data.
 */
#ifndef PPL_OBJECT_H
#define PPL_OBJECT_H

#include "chunk.h"
#include "table.h"
#include "value.h"

typedef struct VM VM;

/* X(KIND, user-facing type name) */
#define OBJ_KINDS(X)                                                          \
  X(STRING, "string")                                                         \
  X(TENSOR, "vector")                                                         \
  X(LIST, "list")                                                             \
  X(RECORD, "record")                                                         \
  X(RANGE, "range")                                                           \
  X(FUNCTION, "function")                                                     \
  X(CLOSURE, "function")                                                      \
  X(UPVALUE, "upvalue")                                                       \
  X(NATIVE, "builtin")                                                        \
  X(HANDLE, "handle")

typedef enum {
#define X(kind, name) OBJ_##kind,
  OBJ_KINDS(X)
#undef X
} ObjKind;

struct Obj {
  ObjKind kind;
};

/* Immutable string; chars is NUL-terminated; allocated atomic. */
typedef struct ObjString {
  Obj obj;
  uint32_t hash;
  size_t len;
  char chars[];
} ObjString;

/* Vector (ndim 1, shape {n, 1}) or row-major matrix (ndim 2, shape
 * {rows, cols}) of doubles. data is atomic GC memory of len doubles.
 * Tensors are mutable reference values (v[i] = x writes in place). */
typedef struct ObjTensor {
  Obj obj;
  int ndim;
  size_t shape[2];
  size_t len;
  double *data;
} ObjTensor;

/* Mutable, growable list of any values. */
typedef struct ObjList {
  Obj obj;
  size_t len;
  size_t cap;
  Value *items;
} ObjList;

/* Record: string keys to values, kept in insertion order. */
typedef struct ObjRecord {
  Obj obj;
  Table fields;
} ObjRecord;

/* range(start, stop, step), also the value of a slice a:b:c inside an
 * index. For slices an end may be open (has_start/has_stop false). */
typedef struct ObjRange {
  Obj obj;
  double start, stop, step;
  bool has_start, has_stop;
} ObjRange;

/* A compiled function (prototype). params holds every parameter name (for
 * keyword arguments); parameters from nrequired on have defaults, evaluated
 * by the callee's prologue when the argument arrives as VAL_UNDEF. */
typedef struct ObjFunction {
  Obj obj;
  int arity;
  int nrequired;
  ObjString **params;
  int upvalue_count;
  bool is_model; /* compiled from a `model` block */
  Chunk chunk;
  ObjString *name; /* NULL for the top level of a script */
  const struct Source *source; /* for error excerpts and stack traces */
  int line;
} ObjFunction;

typedef struct ObjUpvalue {
  Obj obj;
  Value *location;
  Value closed;
  struct ObjUpvalue *next;
} ObjUpvalue;

typedef struct ObjClosure {
  Obj obj;
  ObjFunction *function;
  ObjUpvalue **upvalues;
  int upvalue_count;
} ObjClosure;

/* The arguments of a call as a native function sees them: positional values
 * first, then keyword values with their names. Borrowed: valid for the call. */
typedef struct CallArgs {
  int argc;
  const Value *argv;
  int kwc;
  ObjString *const *kwnames;
  const Value *kwv;
  void *ctx; /* the ObjNative's ctx */
} CallArgs;

/* A builtin. Returns true and sets *result, or calls vm_error() and returns
 * false. */
typedef bool (*NativeFn)(VM *vm, const CallArgs *args, Value *result);

typedef struct ObjNative {
  Obj obj;
  const char *name;
  NativeFn fn;
  const char *help; /* one line: "rnormal(n, mu=0, sigma=1, seed=nil)..." */
  void *ctx;        /* GC memory or NULL: state of a C closure (FFI) */
} ObjNative;

/* What a handle class answers when a builtin is called with one of its
 * values among the arguments (HandleClass.apply). */
typedef enum {
  APPLY_PASS,   /* not handled: run the builtin as usual */
  APPLY_DONE,   /* handled: *out holds the result */
  APPLY_FAILED, /* handled, and an error is pending */
} ApplyResult;

/* How the core treats an object it does not know. format is required;
 * every other member may be NULL (the operation is then an error).
 * Symbolic values (model variables) overload the operators through binary,
 * unary and index, and the builtins through apply, so that `mu + x * b` and
 * `exp(b)` build a model graph instead of computing. data must be GC
 * memory. */
typedef struct HandleClass {
  const char *name;
  void (*format)(StrBuf *sb, void *data, bool repr);
  bool (*get_field)(VM *vm, void *data, ObjString *name, Value *out);
  /* a op b where a or b is of this class; op is an OpCode (opcodes.h) */
  bool (*binary)(VM *vm, int op, Value a, Value b, Value *out);
  /* op a for OP_NEG / OP_POS / OP_NOT */
  bool (*unary)(VM *vm, int op, Value a, Value *out);
  /* target[idx...] where target is of this class, or an index is */
  bool (*index)(VM *vm, Value target, const Value *idx, int n, Value *out);
  /* a builtin called with a value of this class among its arguments */
  ApplyResult (*apply)(VM *vm, const ObjNative *fn, const CallArgs *args,
                       Value *out);
} HandleClass;

typedef struct ObjHandle {
  Obj obj;
  const HandleClass *cls;
  void *data;
} ObjHandle;

#define OBJ_KIND(v) (AS_OBJ(v)->kind)
#define IS_KIND(v, k) (IS_OBJ(v) && OBJ_KIND(v) == (k))
#define IS_STRING(v) IS_KIND(v, OBJ_STRING)
#define IS_TENSOR(v) IS_KIND(v, OBJ_TENSOR)
#define IS_LIST(v) IS_KIND(v, OBJ_LIST)
#define IS_RECORD(v) IS_KIND(v, OBJ_RECORD)
#define IS_RANGE(v) IS_KIND(v, OBJ_RANGE)
#define IS_CLOSURE(v) IS_KIND(v, OBJ_CLOSURE)
#define IS_NATIVE(v) IS_KIND(v, OBJ_NATIVE)
#define IS_HANDLE(v) IS_KIND(v, OBJ_HANDLE)

#define AS_STRING(v) ((ObjString *)AS_OBJ(v))
#define AS_CSTRING(v) (((ObjString *)AS_OBJ(v))->chars)
#define AS_TENSOR(v) ((ObjTensor *)AS_OBJ(v))
#define AS_LIST(v) ((ObjList *)AS_OBJ(v))
#define AS_RECORD(v) ((ObjRecord *)AS_OBJ(v))
#define AS_RANGE(v) ((ObjRange *)AS_OBJ(v))
#define AS_FUNCTION(v) ((ObjFunction *)AS_OBJ(v))
#define AS_CLOSURE(v) ((ObjClosure *)AS_OBJ(v))
#define AS_NATIVE(v) ((ObjNative *)AS_OBJ(v))
#define AS_HANDLE(v) ((ObjHandle *)AS_OBJ(v))

/* True when v is a handle of class cls. */
bool object_is_handle(Value v, const HandleClass *cls);

/* Strings. string_new copies len bytes; string_format is printf-like. */
ObjString *string_new(const char *chars, size_t len);
ObjString *string_from_cstr(const char *s);
ObjString *string_format(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
uint32_t string_hash(const char *chars, size_t len);
bool string_equal(const ObjString *a, const ObjString *b);

/* Lists. */
ObjList *list_new(size_t cap);
void list_push(ObjList *list, Value v);

/* Records. */
ObjRecord *record_new(void);
void record_set(ObjRecord *r, const char *key, Value v);
bool record_get(const ObjRecord *r, const char *key, Value *out);

ObjRange *range_new(double start, double stop, double step);
/* Number of values a (closed) range yields. */
size_t range_length(const ObjRange *r);

ObjFunction *function_new(void);
ObjClosure *closure_new(ObjFunction *function);
ObjUpvalue *upvalue_new(Value *slot);
ObjNative *native_new(const char *name, NativeFn fn, const char *help,
                      void *ctx);
ObjHandle *handle_new(const HandleClass *cls, void *data);

#endif
