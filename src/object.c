/*
 * object.c — constructors for the VM's heap objects.
 *
 * Strings are allocated atomic (no pointers inside); everything else is
 * scanned by the collector.
 */
#include <config.h>
#include "object.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "strbuf.h"

static void *obj_alloc(size_t size, ObjKind kind) {
  Obj *o = mem_alloc(size);
  o->kind = kind;
  return o;
}

bool object_is_handle(Value v, const HandleClass *cls) {
  return IS_HANDLE(v) && AS_HANDLE(v)->cls == cls;
}

/* FNV-1a, 32 bits. */
uint32_t string_hash(const char *chars, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) {
    h ^= (uint8_t)chars[i];
    h *= 16777619u;
  }
  return h;
}

ObjString *string_new(const char *chars, size_t len) {
  ObjString *s = mem_alloc_atomic(sizeof(ObjString) + len + 1);
  s->obj.kind = OBJ_STRING;
  s->len = len;
  if (len)
    memcpy(s->chars, chars, len);
  s->chars[len] = '\0';
  s->hash = string_hash(s->chars, len);
  return s;
}

ObjString *string_from_cstr(const char *s) { return string_new(s, strlen(s)); }

ObjString *string_format(const char *fmt, ...) {
  StrBuf sb;
  strbuf_init(&sb);
  va_list ap;
  va_start(ap, fmt);
  strbuf_vprintf(&sb, fmt, ap);
  va_end(ap);
  return string_new(sb.data, sb.len);
}

bool string_equal(const ObjString *a, const ObjString *b) {
  return a == b || (a->hash == b->hash && a->len == b->len &&
                    memcmp(a->chars, b->chars, a->len) == 0);
}

ObjList *list_new(size_t cap) {
  ObjList *l = obj_alloc(sizeof(ObjList), OBJ_LIST);
  l->cap = cap;
  l->items = cap ? mem_alloc(cap * sizeof(Value)) : NULL;
  return l;
}

void list_push(ObjList *list, Value v) {
  if (list->len == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 8;
    Value *items = mem_alloc(cap * sizeof(Value));
    if (list->len)
      memcpy(items, list->items, list->len * sizeof(Value));
    list->items = items;
    list->cap = cap;
  }
  list->items[list->len++] = v;
}

ObjRecord *record_new(void) {
  ObjRecord *r = obj_alloc(sizeof(ObjRecord), OBJ_RECORD);
  table_init(&r->fields);
  return r;
}

void record_set(ObjRecord *r, const char *key, Value v) {
  table_set(&r->fields, string_from_cstr(key), v);
}

bool record_get(const ObjRecord *r, const char *key, Value *out) {
  return table_get_cstr(&r->fields, key, strlen(key), out);
}

ObjRange *range_new(double start, double stop, double step) {
  ObjRange *r = obj_alloc(sizeof(ObjRange), OBJ_RANGE);
  r->start = start;
  r->stop = stop;
  r->step = step;
  r->has_start = true;
  r->has_stop = true;
  return r;
}

size_t range_length(const ObjRange *r) {
  if (r->step == 0.0)
    return 0;
  double n = ceil((r->stop - r->start) / r->step);
  return n > 0 ? (size_t)n : 0;
}

ObjFunction *function_new(void) {
  ObjFunction *f = obj_alloc(sizeof(ObjFunction), OBJ_FUNCTION);
  chunk_init(&f->chunk);
  return f;
}

ObjClosure *closure_new(ObjFunction *function) {
  ObjClosure *c = obj_alloc(sizeof(ObjClosure), OBJ_CLOSURE);
  c->function = function;
  c->upvalue_count = function->upvalue_count;
  if (c->upvalue_count)
    c->upvalues = mem_alloc((size_t)c->upvalue_count * sizeof(ObjUpvalue *));
  return c;
}

ObjUpvalue *upvalue_new(Value *slot) {
  ObjUpvalue *u = obj_alloc(sizeof(ObjUpvalue), OBJ_UPVALUE);
  u->location = slot;
  u->closed = NIL_VAL;
  return u;
}

ObjNative *native_new(const char *name, NativeFn fn, const char *help,
                      void *ctx) {
  ObjNative *n = obj_alloc(sizeof(ObjNative), OBJ_NATIVE);
  n->name = name;
  n->fn = fn;
  n->help = help;
  n->ctx = ctx;
  return n;
}

ObjHandle *handle_new(const HandleClass *cls, void *data) {
  ObjHandle *h = obj_alloc(sizeof(ObjHandle), OBJ_HANDLE);
  h->cls = cls;
  h->data = data;
  return h;
}
