/*
 * value.c — truth, equality, type names and the printed form of values.
 */
#include <config.h>
#include "value.h"

#include <math.h>
#include <string.h>

#include "object.h"
#include "strbuf.h"
#include "tensor.h"

/* Nesting depth past which printing stops, so a list that contains itself
 * prints as [...] instead of recursing forever. */
enum { FORMAT_MAX_DEPTH = 64 };
/* Integers print without a decimal point up to this magnitude. */
#define INTEGER_PRINT_LIMIT 1e15
/* Significant digits of a printed non-integer, as R's default. */
enum { NUMBER_DIGITS = 7 };

/* Python's rule: nil, false, 0, "" and empty lists and records are false.
 * (Vectors are decided by the VM: one element is its value, more is an
 * error, as in numpy.) */
bool value_truthy(Value v) {
  switch (v.type) {
  case VAL_NIL:
  case VAL_UNDEF:
    return false;
  case VAL_BOOL:
    return AS_BOOL(v);
  case VAL_NUM:
    return AS_NUM(v) != 0.0;
  case VAL_OBJ:
    break;
  }
  switch (OBJ_KIND(v)) {
  case OBJ_STRING: return AS_STRING(v)->len > 0;
  case OBJ_LIST: return AS_LIST(v)->len > 0;
  case OBJ_RECORD: return AS_RECORD(v)->fields.count > 0;
  case OBJ_TENSOR: return AS_TENSOR(v)->len > 0;
  default: return true;
  }
}

static bool tensor_equal(const ObjTensor *a, const ObjTensor *b) {
  if (a->ndim != b->ndim || a->shape[0] != b->shape[0] ||
      a->shape[1] != b->shape[1])
    return false;
  for (size_t i = 0; i < a->len; i++)
    if (a->data[i] != b->data[i])
      return false;
  return true;
}

/* Pairs of containers being compared, so that lists which contain
 * themselves compare without endless recursion (a pair met again is
 * assumed equal: any difference shows up elsewhere). */
typedef struct Comparing {
  const Obj *a[FORMAT_MAX_DEPTH + 1], *b[FORMAT_MAX_DEPTH + 1];
  int depth;
} Comparing;

static bool equal_in(Value a, Value b, Comparing *c);

static bool list_equal(const ObjList *a, const ObjList *b, Comparing *c) {
  if (a->len != b->len)
    return false;
  for (size_t i = 0; i < a->len; i++)
    if (!equal_in(a->items[i], b->items[i], c))
      return false;
  return true;
}

static bool record_equal(const ObjRecord *a, const ObjRecord *b,
                         Comparing *c) {
  if (a->fields.count != b->fields.count)
    return false;
  for (size_t i = 0; i < a->fields.count; i++) {
    Value other;
    if (!table_get(&b->fields, a->fields.entries[i].key, &other) ||
        !equal_in(a->fields.entries[i].value, other, c))
      return false;
  }
  return true;
}

static bool containers_equal(Value a, Value b, Comparing *c) {
  for (int i = 0; i < c->depth; i++)
    if (c->a[i] == AS_OBJ(a) && c->b[i] == AS_OBJ(b))
      return true;
  if (c->depth >= FORMAT_MAX_DEPTH)
    return false;
  c->a[c->depth] = AS_OBJ(a);
  c->b[c->depth] = AS_OBJ(b);
  c->depth++;
  bool eq = IS_LIST(a) ? list_equal(AS_LIST(a), AS_LIST(b), c)
                       : record_equal(AS_RECORD(a), AS_RECORD(b), c);
  c->depth--;
  return eq;
}

bool value_equal(Value a, Value b) {
  Comparing c;
  c.depth = 0;
  return equal_in(a, b, &c);
}

static bool equal_in(Value a, Value b, Comparing *c) {
  if (a.type != b.type)
    return false;
  switch (a.type) {
  case VAL_NIL:
  case VAL_UNDEF:
    return true;
  case VAL_BOOL:
    return AS_BOOL(a) == AS_BOOL(b);
  case VAL_NUM:
    return AS_NUM(a) == AS_NUM(b);
  case VAL_OBJ:
    break;
  }
  if (AS_OBJ(a) == AS_OBJ(b))
    return true;
  if (OBJ_KIND(a) != OBJ_KIND(b))
    return false;
  switch (OBJ_KIND(a)) {
  case OBJ_STRING:
    return string_equal(AS_STRING(a), AS_STRING(b));
  case OBJ_TENSOR:
    return tensor_equal(AS_TENSOR(a), AS_TENSOR(b));
  case OBJ_LIST:
  case OBJ_RECORD:
    return containers_equal(a, b, c);
  case OBJ_RANGE: {
    const ObjRange *x = AS_RANGE(a), *y = AS_RANGE(b);
    return x->start == y->start && x->stop == y->stop && x->step == y->step &&
           x->has_start == y->has_start && x->has_stop == y->has_stop;
  }
  default:
    return false;
  }
}

const char *value_type_name(Value v) {
  switch (v.type) {
  case VAL_NIL:
  case VAL_UNDEF:
    return "nil";
  case VAL_BOOL:
    return "bool";
  case VAL_NUM:
    return "number";
  case VAL_OBJ:
    break;
  }
  if (IS_TENSOR(v))
    return AS_TENSOR(v)->ndim == 2 ? "matrix" : "vector";
  if (IS_HANDLE(v))
    return AS_HANDLE(v)->cls->name;
  static const char *const names[] = {
#define X(kind, name) name,
      OBJ_KINDS(X)
#undef X
  };
  return names[OBJ_KIND(v)];
}

void value_format_number(StrBuf *sb, double x) {
  if (isnan(x)) {
    strbuf_puts(sb, "nan");
  } else if (isinf(x)) {
    strbuf_puts(sb, x > 0 ? "inf" : "-inf");
  } else if (x == floor(x) && fabs(x) < INTEGER_PRINT_LIMIT) {
    strbuf_printf(sb, "%.0f", x == 0.0 ? 0.0 : x); /* no "-0" */
  } else {
    strbuf_printf(sb, "%.*g", NUMBER_DIGITS, x);
  }
}

static void format_string_repr(StrBuf *sb, const ObjString *s) {
  strbuf_putc(sb, '"');
  for (size_t i = 0; i < s->len; i++) {
    unsigned char c = (unsigned char)s->chars[i];
    switch (c) {
    case '"': strbuf_puts(sb, "\\\""); break;
    case '\\': strbuf_puts(sb, "\\\\"); break;
    case '\n': strbuf_puts(sb, "\\n"); break;
    case '\t': strbuf_puts(sb, "\\t"); break;
    case '\r': strbuf_puts(sb, "\\r"); break;
    default:
      if (c < 0x20)
        strbuf_printf(sb, "\\x%02x", c);
      else
        strbuf_putc(sb, (char)c);
    }
  }
  strbuf_putc(sb, '"');
}

/* A record key prints bare when it is an identifier, else quoted. */
static void format_key(StrBuf *sb, const ObjString *k) {
  bool ident = k->len > 0 && !(k->chars[0] >= '0' && k->chars[0] <= '9');
  for (size_t i = 0; ident && i < k->len; i++) {
    char c = k->chars[i];
    ident = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9');
  }
  if (ident)
    strbuf_append(sb, k->chars, k->len);
  else
    format_string_repr(sb, k);
}

/* The containers being printed, outermost first: a list or record met again
 * inside itself prints as [...] or {...}, as Python does. */
typedef struct Printing {
  const Obj *open[FORMAT_MAX_DEPTH + 1];
  int depth;
} Printing;

static void format_depth(StrBuf *sb, Value v, bool repr, Printing *p);

static bool printing_already(const Printing *p, const Obj *o) {
  for (int i = 0; i < p->depth; i++)
    if (p->open[i] == o)
      return true;
  return false;
}

static void format_object(StrBuf *sb, Value v, bool repr, Printing *p) {
  switch (OBJ_KIND(v)) {
  case OBJ_STRING:
    if (repr)
      format_string_repr(sb, AS_STRING(v));
    else
      strbuf_append(sb, AS_STRING(v)->chars, AS_STRING(v)->len);
    return;
  case OBJ_TENSOR:
    tensor_format(sb, AS_TENSOR(v));
    return;
  case OBJ_LIST: {
    const ObjList *l = AS_LIST(v);
    if (printing_already(p, AS_OBJ(v))) {
      strbuf_puts(sb, "[...]");
      return;
    }
    p->open[p->depth++] = AS_OBJ(v);
    strbuf_putc(sb, '[');
    for (size_t i = 0; i < l->len; i++) {
      if (i)
        strbuf_puts(sb, ", ");
      format_depth(sb, l->items[i], true, p);
    }
    strbuf_putc(sb, ']');
    p->depth--;
    return;
  }
  case OBJ_RECORD: {
    const Table *t = &AS_RECORD(v)->fields;
    if (printing_already(p, AS_OBJ(v))) {
      strbuf_puts(sb, "{...}");
      return;
    }
    p->open[p->depth++] = AS_OBJ(v);
    strbuf_putc(sb, '{');
    for (size_t i = 0; i < t->count; i++) {
      if (i)
        strbuf_puts(sb, ", ");
      format_key(sb, t->entries[i].key);
      strbuf_puts(sb, ": ");
      format_depth(sb, t->entries[i].value, true, p);
    }
    strbuf_putc(sb, '}');
    p->depth--;
    return;
  }
  case OBJ_RANGE: {
    const ObjRange *r = AS_RANGE(v);
    strbuf_puts(sb, "range(");
    value_format_number(sb, r->start);
    strbuf_puts(sb, ", ");
    value_format_number(sb, r->stop);
    if (r->step != 1.0) {
      strbuf_puts(sb, ", ");
      value_format_number(sb, r->step);
    }
    strbuf_putc(sb, ')');
    return;
  }
  case OBJ_FUNCTION:
  case OBJ_CLOSURE: {
    const ObjFunction *f = OBJ_KIND(v) == OBJ_CLOSURE
                               ? AS_CLOSURE(v)->function
                               : AS_FUNCTION(v);
    if (f->is_model)
      strbuf_printf(sb, "<model %s>", f->name ? f->name->chars : "?");
    else
      strbuf_printf(sb, "<fn %s>", f->name ? f->name->chars : "anonymous");
    return;
  }
  case OBJ_UPVALUE:
    strbuf_puts(sb, "<upvalue>");
    return;
  case OBJ_NATIVE:
    strbuf_printf(sb, "<builtin %s>", AS_NATIVE(v)->name);
    return;
  case OBJ_HANDLE:
    AS_HANDLE(v)->cls->format(sb, AS_HANDLE(v)->data, repr);
    return;
  }
}

static void format_depth(StrBuf *sb, Value v, bool repr, Printing *p) {
  switch (v.type) {
  case VAL_NIL:
  case VAL_UNDEF:
    strbuf_puts(sb, "nil");
    return;
  case VAL_BOOL:
    strbuf_puts(sb, AS_BOOL(v) ? "true" : "false");
    return;
  case VAL_NUM:
    value_format_number(sb, AS_NUM(v));
    return;
  case VAL_OBJ:
    if (p->depth >= FORMAT_MAX_DEPTH) {
      strbuf_puts(sb, "...");
      return;
    }
    format_object(sb, v, repr, p);
    return;
  }
}

void value_format(StrBuf *sb, Value v, bool repr) {
  Printing p;
  p.depth = 0;
  format_depth(sb, v, repr, &p);
}

void value_print(FILE *out, Value v, bool repr) {
  StrBuf sb;
  strbuf_init(&sb);
  value_format(&sb, v, repr);
  fwrite(sb.data, 1, sb.len, out);
}
