/*
 * disasm.h — human-readable bytecode listings (`ppl --dis FILE`).
 */
#ifndef PPL_DISASM_H
#define PPL_DISASM_H

#include <stdio.h>

#include "object.h"

/* Lists fn's instructions with offsets, source lines, operands and
 * constants, then every function nested in its constants. */
void disasm_function(FILE *out, const ObjFunction *fn);

/* Lists one instruction; returns the offset of the next. */
int disasm_instruction(FILE *out, const Chunk *chunk, int offset);

#endif
