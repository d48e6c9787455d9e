/*
 * value.h — the VM's tagged value.
 *
 * A Value is nil, a boolean, a number (double: integers are doubles whose
 * fractional part is zero) or a pointer to a GC heap object (object.h).
 * VAL_UNDEF never escapes to users: it marks a parameter the caller did not
 * pass (so the callee evaluates its default) and a global slot not yet set.
 */
#ifndef PPL_VALUE_H
#define PPL_VALUE_H

#include <stdio.h>

#include "common.h"

typedef struct Obj Obj;
typedef struct StrBuf StrBuf;

typedef enum { VAL_NIL, VAL_BOOL, VAL_NUM, VAL_OBJ, VAL_UNDEF } ValueType;

typedef struct Value {
  ValueType type;
  union {
    bool b;
    double num;
    Obj *obj;
  } as;
} Value;

#define NIL_VAL ((Value){VAL_NIL, {.num = 0}})
#define UNDEF_VAL ((Value){VAL_UNDEF, {.num = 0}})
#define BOOL_VAL(x) ((Value){VAL_BOOL, {.b = (x)}})
#define NUM_VAL(x) ((Value){VAL_NUM, {.num = (x)}})
#define OBJ_VAL(o) ((Value){VAL_OBJ, {.obj = (Obj *)(o)}})

#define IS_NIL(v) ((v).type == VAL_NIL)
#define IS_UNDEF(v) ((v).type == VAL_UNDEF)
#define IS_BOOL(v) ((v).type == VAL_BOOL)
#define IS_NUM(v) ((v).type == VAL_NUM)
#define IS_OBJ(v) ((v).type == VAL_OBJ)

#define AS_BOOL(v) ((v).as.b)
#define AS_NUM(v) ((v).as.num)
#define AS_OBJ(v) ((v).as.obj)

/* As in Python: nil, false, 0, "", [] and {} are false; everything else is
 * true. */
bool value_truthy(Value v);

/* Structural equality: numbers by value, strings by contents, vectors and
 * lists elementwise, records by fields; other objects by identity. */
bool value_equal(Value a, Value b);

/* The user-facing type name: "nil", "bool", "number", "string", "vector",
 * "matrix", "list", "record", "function", "range", or a handle's class. */
const char *value_type_name(Value v);

/* Appends the printed form of v. repr=true quotes and escapes strings (the
 * REPL echo and items inside lists); repr=false writes strings raw (print). */
void value_format(StrBuf *sb, Value v, bool repr);

/* Formats a number the way ppl prints it: integers without a decimal point,
 * others with 7 significant digits (as R prints), nan, inf, -inf. */
void value_format_number(StrBuf *sb, double x);

/* value_format to a stream. */
void value_print(FILE *out, Value v, bool repr);

#endif
