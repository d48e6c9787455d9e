/*
 * chunk.c — growable bytecode arrays with per-byte source positions.
 */
#include <config.h>
#include "chunk.h"

#include <string.h>

#include "mem.h"
#include "object.h"

enum { CHUNK_MIN_CAP = 16 };

void chunk_init(Chunk *c) { memset(c, 0, sizeof *c); }

void chunk_write(Chunk *c, uint8_t byte, int line, int col) {
  if (c->count == c->cap) {
    int cap = c->cap ? c->cap * 2 : CHUNK_MIN_CAP;
    uint8_t *code = mem_alloc_atomic((size_t)cap);
    int32_t *lines = mem_alloc_atomic((size_t)cap * sizeof(int32_t));
    int32_t *cols = mem_alloc_atomic((size_t)cap * sizeof(int32_t));
    if (c->count) {
      memcpy(code, c->code, (size_t)c->count);
      memcpy(lines, c->lines, (size_t)c->count * sizeof(int32_t));
      memcpy(cols, c->cols, (size_t)c->count * sizeof(int32_t));
    }
    c->code = code;
    c->lines = lines;
    c->cols = cols;
    c->cap = cap;
  }
  c->code[c->count] = byte;
  c->lines[c->count] = line;
  c->cols[c->count] = col;
  c->count++;
}

/* Only numbers and strings are shared; a linear scan is fine because chunks
 * have few constants and compilation is not a hot path. */
static int find_constant(const Chunk *c, Value v) {
  for (int i = 0; i < c->nconstants; i++) {
    Value k = c->constants[i];
    if (IS_NUM(v) && IS_NUM(k)) {
      if (memcmp(&AS_NUM(v), &AS_NUM(k), sizeof(double)) == 0)
        return i;
    } else if (IS_STRING(v) && IS_STRING(k) &&
               string_equal(AS_STRING(v), AS_STRING(k))) {
      return i;
    }
  }
  return -1;
}

int chunk_add_constant(Chunk *c, Value v) {
  if (IS_NUM(v) || IS_STRING(v)) {
    int found = find_constant(c, v);
    if (found >= 0)
      return found;
  }
  if (c->nconstants == c->cap_constants) {
    int cap = c->cap_constants ? c->cap_constants * 2 : CHUNK_MIN_CAP;
    Value *k = mem_alloc((size_t)cap * sizeof(Value));
    if (c->nconstants)
      memcpy(k, c->constants, (size_t)c->nconstants * sizeof(Value));
    c->constants = k;
    c->cap_constants = cap;
  }
  c->constants[c->nconstants] = v;
  return c->nconstants++;
}
