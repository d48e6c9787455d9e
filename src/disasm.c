/*
 * disasm.c — bytecode listings. The operand layout of each opcode comes
 * from opcodes.h (A: none, B: u8, S: u16), with special cases for the
 * instructions that carry more.
 */
#include <config.h>
#include "disasm.h"

#include "opcodes.h"
#include "source.h"
#include "strbuf.h"

typedef enum {
  LAYOUT_A,
  LAYOUT_B,
  LAYOUT_S,
  LAYOUT_BB,
  LAYOUT_BS,
  LAYOUT_BBB,
  LAYOUT_BBS,
  LAYOUT_BSS
} Layout;

static const char *const op_names[] = {
#define X(name, layout, doc) #name,
    OPCODES(X)
#undef X
};

static const Layout op_layouts[] = {
#define X(name, layout, doc) LAYOUT_##layout,
    OPCODES(X)
#undef X
};

static int u16_at(const Chunk *c, int offset) {
  return (c->code[offset] << 8) | c->code[offset + 1];
}

static void print_constant(FILE *out, const Chunk *c, int k) {
  StrBuf sb;
  strbuf_init(&sb);
  value_format(&sb, c->constants[k], true);
  if (sb.len > 40)
    fprintf(out, "  ; %.37s...", sb.data);
  else
    fprintf(out, "  ; %s", sb.data);
}

static bool uses_constant(OpCode op) {
  return op == OP_CONST || op == OP_GET_FIELD || op == OP_SET_FIELD ||
         op == OP_IMPORT || op == OP_TILDE || op == OP_TILDE_INDEXED ||
         op == OP_DETERMINISTIC ||
         op == OP_CLOSURE;
}

static bool is_jump(OpCode op) {
  return op == OP_JUMP || op == OP_JUMP_IF_FALSE || op == OP_AND ||
         op == OP_OR || op == OP_LT_JUMP_IF_FALSE;
}

int disasm_instruction(FILE *out, const Chunk *c, int offset) {
  OpCode op = c->code[offset];
  int line = c->lines[offset];
  bool same_line = offset > 0 && c->lines[offset - 1] == line;
  fprintf(out, "%04d ", offset);
  if (same_line)
    fprintf(out, "   | ");
  else
    fprintf(out, "%4d ", line);
  if (op >= OP_COUNT) {
    fprintf(out, "?? %d\n", op);
    return offset + 1;
  }
  fprintf(out, "%-18s", op_names[op]);
  int next = offset + 1;
  switch (op_layouts[op]) {
  case LAYOUT_A:
    break;
  case LAYOUT_B:
    fprintf(out, " %d", c->code[next]);
    next += 1;
    break;
  case LAYOUT_BB:
    fprintf(out, " %d %d", c->code[next], c->code[next + 1]);
    next += 2;
    break;
  case LAYOUT_BS:
    fprintf(out, " %d", c->code[next]);
    print_constant(out, c, u16_at(c, next + 1));
    next += 3;
    break;
  case LAYOUT_BBB:
    fprintf(out, " %d %d %d", c->code[next], c->code[next + 1],
            c->code[next + 2]);
    next += 3;
    break;
  case LAYOUT_BBS:
    if (op != OP_LT_LL_JUMP) { /* SET_*_LK: dst, local, constant */
      fprintf(out, " %d %d", c->code[next], c->code[next + 1]);
      print_constant(out, c, u16_at(c, next + 2));
      next += 4;
      break;
    }
    fprintf(out, " %d %d -> %04d", c->code[next], c->code[next + 1],
            next + 4 + u16_at(c, next + 2));
    next += 4;
    break;
  case LAYOUT_BSS:
    fprintf(out, " %d -> %04d", c->code[next],
            next + 5 + u16_at(c, next + 3));
    print_constant(out, c, u16_at(c, next + 1));
    next += 5;
    break;
  case LAYOUT_S: {
    int v = u16_at(c, next);
    next += 2;
    if (op == OP_LOOP)
      fprintf(out, " -> %04d", next - v);
    else if (is_jump(op))
      fprintf(out, " -> %04d", next + v);
    else
      fprintf(out, " %d", v);
    if (uses_constant(op))
      print_constant(out, c, v);
    break;
  }
  }
  if (op == OP_CALL_KW) {
    fprintf(out, " kw=%d", c->code[next]);
    print_constant(out, c, u16_at(c, next + 1));
    next += 3;
  } else if (op == OP_FOR_NEXT || op == OP_DEFAULT) {
    int v = u16_at(c, next);
    next += 2;
    fprintf(out, " -> %04d", next + v);
  } else if (op == OP_CLOSURE) {
    const ObjFunction *fn = AS_FUNCTION(c->constants[u16_at(c, offset + 1)]);
    for (int i = 0; i < fn->upvalue_count; i++) {
      fprintf(out, "\n%04d    |   %s %d", next,
              c->code[next] ? "local" : "upvalue", c->code[next + 1]);
      next += 2;
    }
  }
  fputc('\n', out);
  return next;
}

void disasm_function(FILE *out, const ObjFunction *fn) {
  const Chunk *c = &fn->chunk;
  if (fn->name)
    fprintf(out, "== %s %s (%d parameter%s) ==\n",
            fn->is_model ? "model" : "fn", fn->name->chars, fn->arity,
            fn->arity == 1 ? "" : "s");
  else
    fprintf(out, "== %s ==\n", fn->source ? fn->source->name : "<script>");
  for (int offset = 0; offset < c->count;)
    offset = disasm_instruction(out, c, offset);
  for (int i = 0; i < c->nconstants; i++) {
    Value k = c->constants[i];
    if (IS_KIND(k, OBJ_FUNCTION)) {
      fputc('\n', out);
      disasm_function(out, AS_FUNCTION(k));
    }
  }
}
