/*
 * foreign.h — calling C functions in shared libraries through libffi.
 *
 * A ForeignLib is a library opened with dlopen; a ForeignFn is one of its
 * symbols together with a C signature, ready to be called with ppl values.
 * Both live on the GC heap. This layer knows values and objects but not the
 * VM: failures return false/NULL and write a sentence for the user into err
 * (FOREIGN_ERR_LEN bytes), which lib_ffi.c turns into a runtime error.
 *
 * C types and the ppl values they take and give:
 *   double, float, int, int64, long   a number (whole for the integer types;
 *                                     true/false pass as 1/0)
 *   string (char*)                    a string in; a returned char* is
 *                                     copied into a new string, NULL gives
 *                                     nil
 *   ptr_double (double*)              a vector or matrix: C receives a
 *                                     pointer to its data and may read and
 *                                     write it in place; argument only
 *   void                              return type only; the call gives nil
 * NULL cannot be passed: nil is refused, because most C functions taking
 * a pointer crash on NULL and a nil there is nearly always a mistake.
 */
#ifndef PPL_FOREIGN_H
#define PPL_FOREIGN_H

#include "object.h"

enum {
  FOREIGN_ERR_LEN = 256,
  FOREIGN_MAX_ARGS = 32 /* more than any C function users are likely to call */
};

/* X(KIND, name users write, C spelling used in messages and signatures) */
#define FOREIGN_TYPES(X)                                                     \
  X(VOID, "void", "void")                                                     \
  X(DOUBLE, "double", "double")                                               \
  X(FLOAT, "float", "float")                                                  \
  X(INT, "int", "int")                                                        \
  X(INT64, "int64", "int64_t")                                                \
  X(LONG, "long", "long")                                                     \
  X(STRING, "string", "char*")                                                \
  X(PTR_DOUBLE, "ptr_double", "double*")

typedef enum {
#define X(kind, name, cname) FT_##kind,
  FOREIGN_TYPES(X)
#undef X
} ForeignType;

typedef struct ForeignLib ForeignLib;
typedef struct ForeignFn ForeignFn;

/* Parses a type name: the names above, their C spellings, and
 * "const char*". False when the name is unknown. */
bool foreign_type_parse(const char *name, ForeignType *out);

/* The C spelling of a type ("double*"), for messages. */
const char *foreign_type_name(ForeignType t);

/* NULL-terminated list of the names users write, for messages. */
const char *const *foreign_type_names(void);

/* Opens a shared library with dlopen (RTLD_NOW | RTLD_LOCAL); path NULL
 * opens the running process itself (libc, libm and ppl's own symbols).
 * Returns a GC object, or NULL with err set to
 *   "cannot load 'libfoo.so': <dlerror text>".
 * Libraries stay loaded until the process exits: functions declared from
 * them may still be reachable. */
ForeignLib *foreign_open(const char *path, char *err);

/* The path the library was opened with, or "<process>" for NULL. */
const char *foreign_lib_name(const ForeignLib *lib);

/* Looks up symbol `name` in lib and prepares a call with return type ret
 * and nargs argument types (copied). Returns a GC object, or NULL with err
 * set: "symbol 'coz' not found in 'libm.so.6'", a void or pointer argument
 * or return type where it cannot be, or too many arguments. */
ForeignFn *foreign_declare(ForeignLib *lib, const char *name, ForeignType ret,
                           const ForeignType *args, int nargs, char *err);

/* The symbol name, the library and the signature of a declared function. */
const char *foreign_fn_name(const ForeignFn *fn);
const ForeignLib *foreign_fn_lib(const ForeignFn *fn);
/* Writes "double cos(double)" into sb. */
void foreign_fn_signature(StrBuf *sb, const ForeignFn *fn);

/* Converts argv to C, calls the function and converts its result to
 * *result. False with err set when the count or a type is wrong, e.g.
 *   "cos(): argument 1 must be a number for C type double, got a string".
 * argv must stay reachable during the call (strings and vector data are
 * passed to C without copying). */
bool foreign_call(const ForeignFn *fn, int argc, const Value *argv,
                  Value *result, char *err);

#endif
