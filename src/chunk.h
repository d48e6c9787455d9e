/*
 * chunk.h — a function's bytecode: instructions, constants, source positions.
 *
 * Each instruction byte carries the line and column of the source it came
 * from, so runtime errors can show the line with a caret and stack traces
 * can name file:line.
 */
#ifndef PPL_CHUNK_H
#define PPL_CHUNK_H

#include "value.h"

typedef struct Chunk {
  uint8_t *code;
  int count;
  int cap;
  int32_t *lines; /* per byte */
  int32_t *cols;  /* per byte */
  Value *constants;
  int nconstants;
  int cap_constants;
} Chunk;

void chunk_init(Chunk *c);
void chunk_write(Chunk *c, uint8_t byte, int line, int col);
/* Adds v to the constant table (reusing an equal number or string constant)
 * and returns its index. */
int chunk_add_constant(Chunk *c, Value v);

#endif
