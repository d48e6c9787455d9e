/*
 * compile.c — a single pass over the AST emitting bytecode.
 *
 * Each function being compiled has a FnState: its locals (stack slots in
 * declaration order; slot 0 holds the callee), its upvalues, the depth of
 * the current block and the innermost loop (for break/continue). Names
 * resolve to a local, then an upvalue of an enclosing function, then a
 * global slot of the VM. At the top level of a unit, `let`, `fn` and `model`
 * define globals; everywhere else they declare locals.
 *
 * A function's value is its `return`, else its last expression statement:
 * statements in tail position are compiled with compile_tail, which turns a
 * final expression into a return (through if/else branches too).
 *
 * References: Nystrom, Crafting Interpreters (clox compiler, upvalues);
 * Ierusalimschy et al., The Implementation of Lua 5.0 (closures).
 */
#include <config.h>
#include "compile.h"

#include <stdarg.h>
#include <string.h>

#include "mem.h"
#include "opcodes.h"
#include "report.h"
#include "vm.h"

enum { MAX_LOCALS = 256, MAX_UPVALUES = 256, MAX_ARGS = 255,
       MAX_JUMP = 65535, MAX_CONSTANTS = 65536 };

/* Block depth of the statements of a function body: parameters are at
 * depth 1, the body's block opens depth 2. */
enum { MODEL_BODY_DEPTH = 2 };

typedef struct Local {
  const char *name; /* "" for hidden slots */
  int depth;        /* -1 while its initialiser is being compiled */
  bool captured;
} Local;

typedef struct UpvalueRef {
  uint8_t index;
  bool is_local;
} UpvalueRef;

typedef struct Loop {
  struct Loop *enclosing;
  int continue_target; /* bytecode offset to jump back to */
  int scope_depth;     /* locals deeper than this are popped on break */
  int *breaks;         /* offsets of forward jumps to patch */
  int nbreaks;
  int cap_breaks;
} Loop;

typedef struct FnState {
  struct FnState *enclosing;
  ObjFunction *fn;
  Local locals[MAX_LOCALS];
  int nlocals;
  UpvalueRef upvalues[MAX_UPVALUES];
  int scope_depth;
  Loop *loop;
  bool is_model;
  bool is_script;
} FnState;

typedef struct Compiler {
  VM *vm;
  const Source *src;
  FILE *err;
  int nerrors;
  FnState *fs;
  const char **unit_names; /* globals this unit defines at its top level */
  int nunit_names;
  bool check_names; /* false when the unit imports (names arrive at run time) */
  int ns;           /* the unit's global namespace (vm_source_namespace) */
  bool script_locals; /* COMPILE_SCRIPT: top-level lets may be locals */
  const char **captured; /* names used inside the unit's functions */
  int ncaptured;
  int cap_captured;
} Compiler;

static void compile_stmt(Compiler *c, const Ast *node);
static void compile_expr(Compiler *c, const Ast *node);
static void compile_tail(Compiler *c, const Ast *node);
static void compile_block_body(Compiler *c, const Ast *block);
static void compile_function(Compiler *c, const Ast *node, const char *name,
                             bool is_model);

/* ---- errors and emission ---------------------------------------------- */

static void error_at(Compiler *c, const Ast *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_at(Compiler *c, const Ast *node, const char *fmt, ...) {
  if (c->nerrors++ >= 20)
    return;
  va_list ap;
  va_start(ap, fmt);
  report_vat(c->err, REPORT_ERROR, c->src, node->line, node->col, fmt, ap);
  va_end(ap);
}

static Chunk *chunk(Compiler *c) { return &c->fs->fn->chunk; }

/* at may be NULL for bytes no source token stands for (an implicit nil). */
static void emit(Compiler *c, const Ast *at, uint8_t byte) {
  chunk_write(chunk(c), byte, at ? at->line : 0, at ? at->col : 0);
}

static void emit2(Compiler *c, const Ast *at, uint8_t a, uint8_t b) {
  emit(c, at, a);
  emit(c, at, b);
}

static void emit_u16(Compiler *c, const Ast *at, int v) {
  emit(c, at, (uint8_t)((v >> 8) & 0xff));
  emit(c, at, (uint8_t)(v & 0xff));
}

static void emit_op_u16(Compiler *c, const Ast *at, OpCode op, int v) {
  emit(c, at, op);
  emit_u16(c, at, v);
}

static int make_constant(Compiler *c, const Ast *at, Value v) {
  int k = chunk_add_constant(chunk(c), v);
  if (k >= MAX_CONSTANTS) {
    error_at(c, at, "too many constants in one function (at most %d)",
             MAX_CONSTANTS);
    return 0;
  }
  return k;
}

static int name_constant(Compiler *c, const Ast *at, const char *name) {
  return make_constant(c, at, OBJ_VAL(string_from_cstr(name)));
}

static void emit_constant(Compiler *c, const Ast *at, Value v) {
  emit_op_u16(c, at, OP_CONST, make_constant(c, at, v));
}

/* Emits a forward jump with a placeholder offset; returns where to patch. */
static int emit_jump(Compiler *c, const Ast *at, OpCode op) {
  emit_op_u16(c, at, op, 0xffff);
  return chunk(c)->count - 2;
}

static void patch_jump_to(Compiler *c, const Ast *at, int where, int target) {
  int offset = target - (where + 2);
  if (offset > MAX_JUMP) {
    error_at(c, at, "too much code to jump over in one block");
    return;
  }
  chunk(c)->code[where] = (uint8_t)((offset >> 8) & 0xff);
  chunk(c)->code[where + 1] = (uint8_t)(offset & 0xff);
}

static void patch_jump(Compiler *c, const Ast *at, int where) {
  patch_jump_to(c, at, where, chunk(c)->count);
}

static void emit_loop(Compiler *c, const Ast *at, int target) {
  emit(c, at, OP_LOOP);
  int offset = chunk(c)->count - target + 2;
  if (offset > MAX_JUMP)
    error_at(c, at, "loop body is too large");
  emit_u16(c, at, offset);
}

/* ---- scopes and names ------------------------------------------------- */

static bool at_global_scope(const Compiler *c) {
  return c->fs->is_script && c->fs->scope_depth == 0;
}

static void begin_scope(Compiler *c) { c->fs->scope_depth++; }

/* Emits the pops (closing captured slots) for locals deeper than depth,
 * without forgetting them: used by break/continue and by end_scope. */
static void emit_pops_to(Compiler *c, const Ast *at, int depth) {
  FnState *fs = c->fs;
  for (int i = fs->nlocals - 1; i >= 0 && fs->locals[i].depth > depth; i--)
    emit(c, at, fs->locals[i].captured ? OP_CLOSE_UPVALUE : OP_POP);
}

static void end_scope(Compiler *c, const Ast *at) {
  FnState *fs = c->fs;
  fs->scope_depth--;
  emit_pops_to(c, at, fs->scope_depth);
  while (fs->nlocals > 0 && fs->locals[fs->nlocals - 1].depth > fs->scope_depth)
    fs->nlocals--;
}

static int add_local(Compiler *c, const Ast *at, const char *name) {
  FnState *fs = c->fs;
  if (fs->nlocals == MAX_LOCALS) {
    error_at(c, at, "too many local variables in one function (at most %d)",
             MAX_LOCALS);
    return 0;
  }
  Local *l = &fs->locals[fs->nlocals];
  l->name = name;
  l->depth = fs->scope_depth;
  l->captured = false;
  return fs->nlocals++;
}

/* Declares a named local in the current scope; a second declaration of the
 * same name in one scope is an error (shadowing an outer scope is fine). */
static int declare_local(Compiler *c, const Ast *at, const char *name) {
  FnState *fs = c->fs;
  for (int i = fs->nlocals - 1; i >= 0; i--) {
    Local *l = &fs->locals[i];
    if (l->depth < fs->scope_depth)
      break;
    if (strcmp(l->name, name) == 0) {
      error_at(c, at, "'%s' is already declared in this block", name);
      break;
    }
  }
  return add_local(c, at, name);
}

static int resolve_local(FnState *fs, const char *name) {
  for (int i = fs->nlocals - 1; i >= 0; i--)
    if (fs->locals[i].name[0] && strcmp(fs->locals[i].name, name) == 0)
      return i;
  return -1;
}

static int add_upvalue(Compiler *c, const Ast *at, FnState *fs, int index,
                       bool is_local) {
  int n = fs->fn->upvalue_count;
  for (int i = 0; i < n; i++)
    if (fs->upvalues[i].index == index && fs->upvalues[i].is_local == is_local)
      return i;
  if (n == MAX_UPVALUES) {
    error_at(c, at, "too many captured variables in one function");
    return 0;
  }
  fs->upvalues[n].index = (uint8_t)index;
  fs->upvalues[n].is_local = is_local;
  return fs->fn->upvalue_count++;
}

static int resolve_upvalue(Compiler *c, const Ast *at, FnState *fs,
                           const char *name) {
  if (!fs->enclosing)
    return -1;
  int local = resolve_local(fs->enclosing, name);
  if (local >= 0) {
    fs->enclosing->locals[local].captured = true;
    return add_upvalue(c, at, fs, local, true);
  }
  int up = resolve_upvalue(c, at, fs->enclosing, name);
  if (up >= 0)
    return add_upvalue(c, at, fs, up, false);
  return -1;
}

static bool unit_defines(const Compiler *c, const char *name) {
  for (int i = 0; i < c->nunit_names; i++)
    if (strcmp(c->unit_names[i], name) == 0)
      return true;
  return false;
}

static const char *suggest_local(const Compiler *c, const char *name) {
  int n = 0;
  for (const FnState *fs = c->fs; fs; fs = fs->enclosing)
    n += fs->nlocals;
  const char **known = mem_alloc((size_t)(n + 1) * sizeof *known);
  int k = 0;
  for (const FnState *fs = c->fs; fs; fs = fs->enclosing)
    for (int i = 0; i < fs->nlocals; i++)
      if (fs->locals[i].name[0])
        known[k++] = fs->locals[i].name;
  return report_suggest(name, known, (size_t)k);
}

/* Checks that a global read or assigned will exist, so a typo is reported
 * before anything runs, with the closest known name. */
static void check_global(Compiler *c, const Ast *at, const char *name,
                         int slot, bool is_set) {
  if (!c->check_names || vm_global_defined(c->vm, slot) ||
      unit_defines(c, name))
    return;
  /* The closest name among the VM's globals, this unit's definitions and
   * the locals in scope (of this function and those around it). */
  const char *candidates[3] = {
      suggest_local(c, name),
      report_suggest(name, c->unit_names, (size_t)c->nunit_names),
      vm_suggest_global(c->vm, name)}; /* on a tie, the nearest scope wins */
  int ncand = 0;
  const char *pool[3];
  for (int i = 0; i < 3; i++)
    if (candidates[i])
      pool[ncand++] = candidates[i];
  const char *best = report_suggest(name, pool, (size_t)ncand);
  if (is_set)
    error_at(c, at, "assignment to undeclared name '%s'; declare it first "
             "with 'let %s = ...'", name, name);
  else if (best)
    error_at(c, at, "unknown name '%s' (did you mean '%s'?)", name, best);
  else
    error_at(c, at, "unknown name '%s'", name);
}

typedef enum { NAME_LOCAL, NAME_UPVALUE, NAME_GLOBAL } NameKind;

static NameKind resolve_name(Compiler *c, const Ast *at, const char *name,
                             int *index, bool is_set) {
  int i = resolve_local(c->fs, name);
  if (i >= 0) {
    if (c->fs->locals[i].depth < 0)
      error_at(c, at, "'%s' is used in its own initialiser", name);
    *index = i;
    return NAME_LOCAL;
  }
  i = resolve_upvalue(c, at, c->fs, name);
  if (i >= 0) {
    *index = i;
    return NAME_UPVALUE;
  }
  *index = vm_namespace_slot(c->vm, c->ns, name);
  check_global(c, at, name, *index, is_set);
  return NAME_GLOBAL;
}

static void emit_get_name(Compiler *c, const Ast *at, const char *name) {
  int index;
  switch (resolve_name(c, at, name, &index, false)) {
  case NAME_LOCAL:
    emit2(c, at, OP_GET_LOCAL, (uint8_t)index);
    break;
  case NAME_UPVALUE:
    emit2(c, at, OP_GET_UPVALUE, (uint8_t)index);
    break;
  case NAME_GLOBAL:
    emit_op_u16(c, at, OP_GET_GLOBAL, index);
    break;
  }
}

static void emit_set_name(Compiler *c, const Ast *at, const char *name) {
  int index;
  switch (resolve_name(c, at, name, &index, true)) {
  case NAME_LOCAL:
    emit2(c, at, OP_SET_LOCAL, (uint8_t)index);
    break;
  case NAME_UPVALUE:
    emit2(c, at, OP_SET_UPVALUE, (uint8_t)index);
    break;
  case NAME_GLOBAL:
    emit_op_u16(c, at, OP_SET_GLOBAL, index);
    break;
  }
}

static bool is_captured(const Compiler *c, const char *name) {
  for (int i = 0; i < c->ncaptured; i++)
    if (strcmp(c->captured[i], name) == 0)
      return true;
  return false;
}

/* A top-level `let` of a script becomes (or reassigns) a local of the
 * script's frame when no function of the unit mentions the name. */
static bool define_script_local(Compiler *c, const Ast *at, const char *name) {
  FnState *fs = c->fs;
  if (!c->script_locals || is_captured(c, name) ||
      fs->nlocals >= MAX_LOCALS / 2)
    return false;
  int existing = resolve_local(fs, name);
  if (existing >= 0 && fs->locals[existing].depth == 0) {
    emit2(c, at, OP_SET_LOCAL, (uint8_t)existing); /* `let x` again */
    return true;
  }
  add_local(c, at, name);
  return true;
}

/* Binds the value on top of the stack to a new name: a global at the top
 * level of a unit, else a local in the current block. */
static void define_name(Compiler *c, const Ast *at, const char *name) {
  if (at_global_scope(c)) {
    emit_op_u16(c, at, OP_DEFINE_GLOBAL,
                vm_namespace_slot(c->vm, c->ns, name));
    return;
  }
  int slot = declare_local(c, at, name);
  c->fs->locals[slot].depth = c->fs->scope_depth;
}

/* ---- expressions ------------------------------------------------------ */

static OpCode binary_opcode(TokenKind op) {
  switch (op) {
  case TOK_PLUS: return OP_ADD;
  case TOK_MINUS: return OP_SUB;
  case TOK_STAR: return OP_MUL;
  case TOK_SLASH: return OP_DIV;
  case TOK_SLASHSLASH: return OP_FLOORDIV;
  case TOK_PERCENT: return OP_MOD;
  case TOK_STARSTAR: return OP_POW;
  case TOK_AT: return OP_MATMUL;
  case TOK_EQEQ: return OP_EQ;
  case TOK_BANGEQ: return OP_NE;
  case TOK_LT: return OP_LT;
  case TOK_LE: return OP_LE;
  case TOK_GT: return OP_GT;
  case TOK_GE: return OP_GE;
  case TOK_PLUSEQ: return OP_ADD;
  case TOK_MINUSEQ: return OP_SUB;
  case TOK_STAREQ: return OP_MUL;
  case TOK_SLASHEQ: return OP_DIV;
  default: return OP_COUNT;
  }
}

/* a op1 b op2 c: b is evaluated once; a false link short-circuits.
 * Stack discipline per link: [b] -> DUP ROT3 -> [b a b] -> op -> [b r]. */
static void compile_compare(Compiler *c, const Ast *node) {
  int n = node->list.count;
  int *exits = mem_alloc_atomic((size_t)n * sizeof(int));
  int nexits = 0;
  compile_expr(c, node->list.items[0]);
  for (int i = 1; i < n; i++) {
    compile_expr(c, node->list.items[i]);
    bool last = i == n - 1;
    if (!last) {
      emit(c, node, OP_DUP);
      emit(c, node, OP_ROT3);
    }
    emit(c, node, binary_opcode(node->ops[i - 1]));
    if (!last) {
      exits[nexits++] = emit_jump(c, node, OP_AND);
    }
  }
  if (nexits == 0)
    return;
  int done = emit_jump(c, node, OP_JUMP);
  for (int i = 0; i < nexits; i++)
    patch_jump(c, node, exits[i]);
  emit(c, node, OP_SWAP); /* [b false] -> [false b] */
  emit(c, node, OP_POP);
  patch_jump(c, node, done);
}

static void compile_call(Compiler *c, const Ast *node) {
  int argc = node->list.count, kwc = node->nnames;
  if (argc > MAX_ARGS || kwc > MAX_ARGS) {
    error_at(c, node, "too many arguments in one call (at most %d)", MAX_ARGS);
    return;
  }
  compile_expr(c, node->a);
  for (int i = 0; i < argc; i++)
    compile_expr(c, node->list.items[i]);
  if (kwc == 0) {
    emit2(c, node, OP_CALL, (uint8_t)argc);
    return;
  }
  ObjList *names = list_new((size_t)kwc);
  for (int i = 0; i < kwc; i++) {
    for (int j = 0; j < i; j++)
      if (strcmp(node->names[i], node->names[j]) == 0)
        error_at(c, node->list2.items[i], "keyword argument '%s' is repeated",
                 node->names[i]);
    list_push(names, OBJ_VAL(string_from_cstr(node->names[i])));
    compile_expr(c, node->list2.items[i]);
  }
  int k = make_constant(c, node, OBJ_VAL(names));
  emit2(c, node, OP_CALL_KW, (uint8_t)argc);
  emit(c, node, (uint8_t)kwc);
  emit_u16(c, node, k);
}

static void compile_slice(Compiler *c, const Ast *node) {
  int flags = 0;
  if (node->a) {
    compile_expr(c, node->a);
    flags |= 1;
  }
  if (node->b) {
    compile_expr(c, node->b);
    flags |= 2;
  }
  if (node->c) {
    compile_expr(c, node->c);
    flags |= 4;
  }
  emit2(c, node, OP_SLICE, (uint8_t)flags);
}

static void compile_index_parts(Compiler *c, const Ast *node) {
  if (node->list.count > MAX_ARGS) {
    error_at(c, node, "too many indices");
    return;
  }
  for (int i = 0; i < node->list.count; i++) {
    const Ast *ix = node->list.items[i];
    if (ix->kind == AST_SLICE)
      compile_slice(c, ix);
    else
      compile_expr(c, ix);
  }
}

static void compile_collection(Compiler *c, const Ast *node) {
  int n = node->list.count;
  if (n > MAX_JUMP) {
    error_at(c, node, "too many items in one literal");
    return;
  }
  if (node->kind == AST_LIST) {
    for (int i = 0; i < n; i++)
      compile_expr(c, node->list.items[i]);
    emit_op_u16(c, node, OP_BUILD_LIST, n);
    return;
  }
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < i; j++)
      if (strcmp(node->names[i], node->names[j]) == 0)
        error_at(c, node->list.items[i], "field '%s' is repeated",
                 node->names[i]);
    emit_constant(c, node, OBJ_VAL(string_from_cstr(node->names[i])));
    compile_expr(c, node->list.items[i]);
  }
  emit_op_u16(c, node, OP_BUILD_RECORD, n);
}

static void compile_if_expr(Compiler *c, const Ast *node);

/* The value of a branch of an if used as an expression: one expression
 * (blocks that declare things would need stack slots under the temporaries
 * of the enclosing expression, so they are rejected with advice). */
static void compile_branch_value(Compiler *c, const Ast *branch) {
  if (!branch) {
    emit(c, NULL, OP_NIL);
    return;
  }
  if (branch->kind == AST_IF) {
    compile_expr(c, branch);
    return;
  }
  if (branch->list.count == 0) {
    emit(c, branch, OP_NIL);
    return;
  }
  const Ast *only = branch->list.items[0];
  if (branch->list.count == 1 && only->kind == AST_IF) {
    compile_if_expr(c, only);
    return;
  }
  if (branch->list.count != 1 || only->kind != AST_EXPR_STMT) {
    error_at(c, branch,
             "an 'if' used as a value needs a single expression in each "
             "branch; use a function for longer computations");
    return;
  }
  compile_expr(c, only->a);
}

static void compile_if_expr(Compiler *c, const Ast *node) {
  compile_expr(c, node->a);
  int to_else = emit_jump(c, node, OP_JUMP_IF_FALSE);
  compile_branch_value(c, node->b);
  int to_end = emit_jump(c, node, OP_JUMP);
  patch_jump(c, node, to_else);
  if (node->c)
    compile_branch_value(c, node->c);
  else
    emit(c, node, OP_NIL);
  patch_jump(c, node, to_end);
}

/* The slot of a name that is a local of the function being compiled, or -1
 * (upvalues and globals are not eligible for the fused opcodes). */
static int local_slot(Compiler *c, const Ast *node) {
  if (node->kind != AST_NAME)
    return -1;
  int i = resolve_local(c->fs, node->str);
  return i >= 0 && c->fs->locals[i].depth >= 0 ? i : -1;
}

/* local op local and local op number, for + - *: one instruction instead
 * of three. Returns false when the operands do not have that shape. */
static bool compile_fused_binary(Compiler *c, const Ast *node) {
  static const struct {
    TokenKind tok;
    OpCode ll, lk;
  } fused[] = {{TOK_PLUS, OP_ADD_LL, OP_ADD_LK},
               {TOK_MINUS, OP_SUB_LL, OP_SUB_LK},
               {TOK_STAR, OP_MUL_LL, OP_MUL_LK}};
  int f = 0;
  while (f < 3 && fused[f].tok != node->op)
    f++;
  if (f == 3)
    return false;
  int a = local_slot(c, node->a);
  if (a < 0)
    return false;
  int b = local_slot(c, node->b);
  if (b >= 0) {
    emit2(c, node, fused[f].ll, (uint8_t)a);
    emit(c, node, (uint8_t)b);
    return true;
  }
  if (node->b->kind != AST_NUMBER)
    return false;
  emit2(c, node, fused[f].lk, (uint8_t)a);
  emit_u16(c, node, make_constant(c, node, NUM_VAL(node->b->num)));
  return true;
}

static void compile_unary(Compiler *c, const Ast *node) {
  compile_expr(c, node->a);
  switch (node->op) {
  case TOK_MINUS: emit(c, node, OP_NEG); break;
  case TOK_PLUS: emit(c, node, OP_POS); break;
  default: emit(c, node, OP_NOT); break;
  }
}

static void compile_expr(Compiler *c, const Ast *node) {
  switch (node->kind) {
  case AST_NUMBER:
    emit_constant(c, node, NUM_VAL(node->num));
    break;
  case AST_STRING:
    emit_constant(c, node, OBJ_VAL(string_new(node->str, node->str_len)));
    break;
  case AST_TRUE: emit(c, node, OP_TRUE); break;
  case AST_FALSE: emit(c, node, OP_FALSE); break;
  case AST_NIL: emit(c, node, OP_NIL); break;
  case AST_NAME:
    emit_get_name(c, node, node->str);
    break;
  case AST_UNARY:
    compile_unary(c, node);
    break;
  case AST_BINARY:
    if (compile_fused_binary(c, node))
      break;
    compile_expr(c, node->a);
    compile_expr(c, node->b);
    emit(c, node, binary_opcode(node->op));
    break;
  case AST_COMPARE:
    compile_compare(c, node);
    break;
  case AST_AND:
  case AST_OR: {
    compile_expr(c, node->a);
    int end = emit_jump(c, node, node->kind == AST_AND ? OP_AND : OP_OR);
    compile_expr(c, node->b);
    patch_jump(c, node, end);
    break;
  }
  case AST_CALL:
    compile_call(c, node);
    break;
  case AST_INDEX:
    compile_expr(c, node->a);
    compile_index_parts(c, node);
    emit2(c, node, OP_INDEX, (uint8_t)node->list.count);
    break;
  case AST_SLICE:
    error_at(c, node, "a slice a:b can only appear inside [ ]");
    break;
  case AST_FIELD:
    compile_expr(c, node->a);
    emit_op_u16(c, node, OP_GET_FIELD, name_constant(c, node, node->str));
    break;
  case AST_LIST:
  case AST_RECORD:
    compile_collection(c, node);
    break;
  case AST_FUNC:
    compile_function(c, node, node->str, false);
    break;
  case AST_IF:
    compile_if_expr(c, node);
    break;
  default:
    error_at(c, node, "expected an expression, found a %s statement",
             ast_kind_name(node->kind));
    break;
  }
}

/* ---- functions -------------------------------------------------------- */

static void compile_defaults(Compiler *c, const Ast *node) {
  for (int i = 0; i < node->nnames; i++) {
    const Ast *dflt = i < node->list2.count ? node->list2.items[i] : NULL;
    if (!dflt)
      continue;
    int slot = i + 1;
    emit2(c, dflt, OP_DEFAULT, (uint8_t)slot);
    int skip = chunk(c)->count;
    emit_u16(c, dflt, 0xffff);
    compile_expr(c, dflt);
    emit2(c, dflt, OP_SET_LOCAL, (uint8_t)slot);
    patch_jump(c, dflt, skip);
  }
}

static int count_required(const Ast *node) {
  int n = 0;
  while (n < node->nnames &&
         !(n < node->list2.count && node->list2.items[n]))
    n++;
  return n;
}

static ObjString **param_names(const Ast *node) {
  ObjString **names = mem_alloc((size_t)(node->nnames + 1) * sizeof *names);
  for (int i = 0; i < node->nnames; i++)
    names[i] = string_from_cstr(node->names[i]);
  return names;
}

/* Compiles a function literal or model block and emits OP_CLOSURE. The body
 * (node->a) is compiled in tail position so its last expression is the
 * function's value. */
static void compile_function(Compiler *c, const Ast *node, const char *name,
                             bool is_model) {
  FnState fs;
  memset(&fs, 0, sizeof fs);
  fs.enclosing = c->fs;
  fs.fn = function_new();
  fs.fn->name = name ? string_from_cstr(name) : NULL;
  fs.fn->source = c->src;
  fs.fn->line = node->line;
  fs.fn->is_model = is_model;
  fs.fn->arity = node->nnames;
  fs.fn->nrequired = count_required(node);
  fs.fn->params = param_names(node);
  fs.is_model = is_model;
  fs.scope_depth = 1;
  c->fs = &fs;

  add_local(c, node, ""); /* slot 0: the callee */
  if (node->nnames > MAX_ARGS)
    error_at(c, node, "too many parameters (at most %d)", MAX_ARGS);
  for (int i = 0; i < node->nnames; i++)
    declare_local(c, node, node->names[i]);
  compile_defaults(c, node);
  compile_tail(c, node->a);

  c->fs = fs.enclosing;
  int k = make_constant(c, node, OBJ_VAL(fs.fn));
  emit_op_u16(c, node, OP_CLOSURE, k);
  for (int i = 0; i < fs.fn->upvalue_count; i++) {
    emit(c, node, fs.upvalues[i].is_local ? 1 : 0);
    emit(c, node, fs.upvalues[i].index);
  }
}

/* ---- statements ------------------------------------------------------- */

static void predeclare_functions(Compiler *c, const Ast *block);

static void compile_block(Compiler *c, const Ast *block) {
  begin_scope(c);
  compile_block_body(c, block);
  end_scope(c, block);
}

/* Functions declared in a block are visible to each other wherever they
 * are declared (mutual recursion), so their slots exist from the block's
 * start. At the top level they are globals, which already behave so. */
static void predeclare_functions(Compiler *c, const Ast *block) {
  if (at_global_scope(c))
    return;
  for (int i = 0; i < block->list.count; i++) {
    const Ast *s = block->list.items[i];
    if (s->kind != AST_FN_DECL)
      continue;
    emit(c, s, OP_NIL);
    declare_local(c, s, s->a->str);
  }
}

static void compile_block_body(Compiler *c, const Ast *block) {
  predeclare_functions(c, block);
  for (int i = 0; i < block->list.count; i++)
    compile_stmt(c, block->list.items[i]);
}

static void compile_condition_jump(Compiler *c, const Ast *cond, int *exit);

static void compile_if_stmt(Compiler *c, const Ast *node) {
  int to_else;
  compile_condition_jump(c, node->a, &to_else);
  compile_block(c, node->b);
  if (!node->c) {
    patch_jump(c, node, to_else);
    return;
  }
  int to_end = emit_jump(c, node, OP_JUMP);
  patch_jump(c, node, to_else);
  if (node->c->kind == AST_IF)
    compile_if_stmt(c, node->c);
  else
    compile_block(c, node->c);
  patch_jump(c, node, to_end);
}

static void loop_begin(Compiler *c, Loop *loop, int continue_target) {
  memset(loop, 0, sizeof *loop);
  loop->enclosing = c->fs->loop;
  loop->continue_target = continue_target;
  loop->scope_depth = c->fs->scope_depth;
  c->fs->loop = loop;
}

static void loop_end(Compiler *c, const Ast *at, Loop *loop) {
  for (int i = 0; i < loop->nbreaks; i++)
    patch_jump(c, at, loop->breaks[i]);
  c->fs->loop = loop->enclosing;
}

/* `while a < b` is common enough in hot loops to get fused opcodes: with
 * a local on the left and a local or number on the right, one instruction
 * compares and jumps. */
static void compile_condition_jump(Compiler *c, const Ast *cond, int *exit) {
  if (cond->kind == AST_COMPARE && cond->list.count == 2 &&
      cond->ops[0] == TOK_LT) {
    const Ast *lhs = cond->list.items[0], *rhs = cond->list.items[1];
    int a = local_slot(c, lhs), b = local_slot(c, rhs);
    if (a >= 0 && b >= 0) {
      emit2(c, cond, OP_LT_LL_JUMP, (uint8_t)a);
      emit(c, cond, (uint8_t)b);
      *exit = chunk(c)->count;
      emit_u16(c, cond, 0xffff);
      return;
    }
    if (a >= 0 && rhs->kind == AST_NUMBER) {
      emit2(c, cond, OP_LT_LK_JUMP, (uint8_t)a);
      emit_u16(c, cond, make_constant(c, cond, NUM_VAL(rhs->num)));
      *exit = chunk(c)->count;
      emit_u16(c, cond, 0xffff);
      return;
    }
    compile_expr(c, cond->list.items[0]);
    compile_expr(c, cond->list.items[1]);
    *exit = emit_jump(c, cond, OP_LT_JUMP_IF_FALSE);
    return;
  }
  compile_expr(c, cond);
  *exit = emit_jump(c, cond, OP_JUMP_IF_FALSE);
}

static void compile_while(Compiler *c, const Ast *node) {
  int start = chunk(c)->count;
  int exit;
  compile_condition_jump(c, node->a, &exit);
  Loop loop;
  loop_begin(c, &loop, start);
  compile_block(c, node->b);
  emit_loop(c, node, start);
  patch_jump(c, node, exit);
  loop_end(c, node, &loop);
}

/* for x in e { body }: three hidden slots hold the iterable, the position
 * and the loop variable; FOR_NEXT advances or leaves the loop. */
static void compile_for(Compiler *c, const Ast *node) {
  begin_scope(c);
  compile_expr(c, node->a);
  int base = add_local(c, node, "");
  emit(c, node, OP_NIL);
  add_local(c, node, "");
  emit(c, node, OP_NIL);
  add_local(c, node, node->str);
  emit2(c, node, OP_FOR_PREP, (uint8_t)base);

  int start = chunk(c)->count;
  emit2(c, node, OP_FOR_NEXT, (uint8_t)base);
  int exit = chunk(c)->count;
  emit_u16(c, node, 0xffff);
  Loop loop;
  loop_begin(c, &loop, start);
  compile_block(c, node->b);
  emit_loop(c, node, start);
  patch_jump(c, node, exit);
  loop_end(c, node, &loop);
  end_scope(c, node);
}

static void compile_break(Compiler *c, const Ast *node, bool is_break) {
  Loop *loop = c->fs->loop;
  if (!loop) {
    error_at(c, node, "'%s' outside a loop", is_break ? "break" : "continue");
    return;
  }
  emit_pops_to(c, node, loop->scope_depth);
  if (!is_break) {
    emit_loop(c, node, loop->continue_target);
    return;
  }
  if (loop->nbreaks == loop->cap_breaks) {
    int cap = loop->cap_breaks ? loop->cap_breaks * 2 : 4;
    int *b = mem_alloc_atomic((size_t)cap * sizeof(int));
    if (loop->nbreaks)
      memcpy(b, loop->breaks, (size_t)loop->nbreaks * sizeof(int));
    loop->breaks = b;
    loop->cap_breaks = cap;
  }
  loop->breaks[loop->nbreaks++] = emit_jump(c, node, OP_JUMP);
}

static void compile_let(Compiler *c, const Ast *node) {
  if (at_global_scope(c)) {
    if (node->a)
      compile_expr(c, node->a);
    else
      emit(c, node, OP_NIL);
    if (!define_script_local(c, node, node->str))
      define_name(c, node, node->str);
    return;
  }
  /* The new local is not visible in its own initialiser: `let x = x + 1`
   * reads an outer x. */
  if (node->a)
    compile_expr(c, node->a);
  else
    emit(c, node, OP_NIL);
  /* A `let` at the top of a model body is a deterministic node: the model
   * keeps its value in the trace under this name. */
  if (c->fs->is_model && c->fs->scope_depth == MODEL_BODY_DEPTH)
    emit_op_u16(c, node, OP_DETERMINISTIC, name_constant(c, node, node->str));
  define_name(c, node, node->str);
}

/* Stores the top of the stack into an assignable target whose object and
 * indices have been saved in hidden locals from slot `saved` on. */
static void compile_store_saved(Compiler *c, const Ast *target, int saved) {
  if (target->kind == AST_FIELD) {
    /* [value] -> [obj value] */
    emit2(c, target, OP_GET_LOCAL, (uint8_t)saved);
    emit(c, target, OP_SWAP);
    emit_op_u16(c, target, OP_SET_FIELD, name_constant(c, target, target->str));
    return;
  }
  int n = target->list.count;
  int tmp = add_local(c, target, ""); /* the value, parked */
  PPL_UNUSED(tmp);
  for (int i = 0; i <= n; i++)
    emit2(c, target, OP_GET_LOCAL, (uint8_t)(saved + i));
  emit2(c, target, OP_GET_LOCAL, (uint8_t)tmp);
  emit2(c, target, OP_SET_INDEX, (uint8_t)n);
}

/* v[i] op= x and r.f op= x evaluate v, i and r once: they go to hidden
 * locals in a scope of their own. */
static void compile_compound_saved(Compiler *c, const Ast *node) {
  const Ast *t = node->a;
  begin_scope(c);
  int saved = c->fs->nlocals;
  compile_expr(c, t->a);
  add_local(c, t, "");
  if (t->kind == AST_INDEX) {
    compile_index_parts(c, t);
    for (int i = 0; i < t->list.count; i++)
      add_local(c, t, "");
  }
  /* current value */
  emit2(c, t, OP_GET_LOCAL, (uint8_t)saved);
  if (t->kind == AST_FIELD) {
    emit_op_u16(c, t, OP_GET_FIELD, name_constant(c, t, t->str));
  } else {
    for (int i = 0; i < t->list.count; i++)
      emit2(c, t, OP_GET_LOCAL, (uint8_t)(saved + 1 + i));
    emit2(c, t, OP_INDEX, (uint8_t)t->list.count);
  }
  compile_expr(c, node->b);
  emit(c, node, binary_opcode(node->op));
  compile_store_saved(c, t, saved);
  end_scope(c, node);
}

/* x = a op b and x op= b with x, a locals and b a local or a number, for
 * + - *: one instruction that computes and stores. */
static bool compile_fused_assign(Compiler *c, const Ast *node) {
  static const struct {
    TokenKind tok, compound;
    OpCode ll, lk;
  } fused[] = {{TOK_PLUS, TOK_PLUSEQ, OP_SET_ADD_LL, OP_SET_ADD_LK},
               {TOK_MINUS, TOK_MINUSEQ, OP_SET_SUB_LL, OP_SET_SUB_LK},
               {TOK_STAR, TOK_STAREQ, OP_SET_MUL_LL, OP_SET_MUL_LK}};
  int d = local_slot(c, node->a);
  if (d < 0)
    return false;
  int a;
  const Ast *rhs;
  TokenKind op;
  if (node->op == TOK_EQ) {
    if (node->b->kind != AST_BINARY)
      return false;
    a = local_slot(c, node->b->a);
    rhs = node->b->b;
    op = node->b->op;
  } else {
    a = d;
    rhs = node->b;
    op = node->op;
  }
  int f = 0;
  while (f < 3 && fused[f].tok != op && fused[f].compound != op)
    f++;
  if (f == 3 || a < 0)
    return false;
  int b = local_slot(c, rhs);
  if (b >= 0) {
    emit2(c, node, fused[f].ll, (uint8_t)d);
    emit2(c, node, (uint8_t)a, (uint8_t)b);
    return true;
  }
  if (rhs->kind != AST_NUMBER)
    return false;
  emit2(c, node, fused[f].lk, (uint8_t)d);
  emit(c, node, (uint8_t)a);
  emit_u16(c, node, make_constant(c, node, NUM_VAL(rhs->num)));
  return true;
}

static void compile_assign(Compiler *c, const Ast *node) {
  const Ast *t = node->a;
  bool compound = node->op != TOK_EQ;
  switch (t->kind) {
  case AST_NAME:
    if (compile_fused_assign(c, node))
      return;
    if (compound) {
      emit_get_name(c, t, t->str);
      compile_expr(c, node->b);
      emit(c, node, binary_opcode(node->op));
    } else {
      compile_expr(c, node->b);
    }
    emit_set_name(c, t, t->str);
    return;
  case AST_FIELD:
    if (compound) {
      compile_compound_saved(c, node);
      return;
    }
    compile_expr(c, t->a);
    compile_expr(c, node->b);
    emit_op_u16(c, t, OP_SET_FIELD, name_constant(c, t, t->str));
    return;
  case AST_INDEX:
    if (compound) {
      compile_compound_saved(c, node);
      return;
    }
    compile_expr(c, t->a);
    compile_index_parts(c, t);
    compile_expr(c, node->b);
    emit2(c, t, OP_SET_INDEX, (uint8_t)t->list.count);
    return;
  default:
    error_at(c, t, "cannot assign to this expression");
  }
}

/* Pushes the current value of a name that is a local or upvalue of the
 * model body (its data), or UNDEF when the body has no such variable (the
 * tilde then declares a free variable). Globals are not data. */
static void emit_observed(Compiler *c, const Ast *at, const char *name) {
  int slot = resolve_local(c->fs, name);
  if (slot >= 0) {
    emit2(c, at, OP_GET_LOCAL, (uint8_t)slot);
    return;
  }
  int up = resolve_upvalue(c, at, c->fs, name);
  if (up >= 0) {
    emit2(c, at, OP_GET_UPVALUE, (uint8_t)up);
    return;
  }
  emit(c, at, OP_UNDEF);
}

/* name ~ dist: the model library gets the distribution and the name's data
 * (if any) and returns the variable's value, which the name then holds:
 * its data when observed, a symbolic variable when free. */
static void compile_tilde(Compiler *c, const Ast *node) {
  if (!c->fs->is_model) {
    error_at(c, node,
             "'~' declares a random variable and can only appear inside a "
             "model block");
    return;
  }
  const Ast *lhs = node->a;
  if (lhs->kind == AST_NAME) {
    compile_expr(c, node->b);
    emit_observed(c, lhs, lhs->str);
    emit_op_u16(c, node, OP_TILDE, name_constant(c, node, lhs->str));
    int slot = resolve_local(c->fs, lhs->str);
    if (slot >= 0)
      emit2(c, node, OP_SET_LOCAL, (uint8_t)slot);
    else if (resolve_upvalue(c, lhs, c->fs, lhs->str) >= 0)
      emit_set_name(c, lhs, lhs->str);
    else
      define_name(c, lhs, lhs->str);
    return;
  }
  if (lhs->kind == AST_INDEX && lhs->a->kind == AST_NAME &&
      lhs->list.count == 1 && lhs->list.items[0]->kind != AST_SLICE) {
    const char *name = lhs->a->str;
    if (resolve_local(c->fs, name) < 0 &&
        resolve_upvalue(c, lhs, c->fs, name) < 0) {
      error_at(c, lhs,
               "'%s[...] ~' needs '%s' to be data passed to the model; for a "
               "vector of free variables write '%s ~ Dist(..., shape=n)'",
               name, name, name);
      return;
    }
    compile_expr(c, node->b);
    emit_observed(c, lhs->a, name);
    compile_expr(c, lhs->list.items[0]);
    emit_op_u16(c, node, OP_TILDE_INDEXED, name_constant(c, node, name));
    return;
  }
  error_at(c, lhs,
           "the left side of '~' must be a name or a name with one index");
}

static void compile_fn_decl(Compiler *c, const Ast *node) {
  const Ast *fn = node->a;
  if (at_global_scope(c)) {
    compile_function(c, fn, fn->str, false);
    define_name(c, node, fn->str);
    return;
  }
  /* Declared before its body so it can call itself (blocks predeclare
   * their functions; see predeclare_functions). */
  int slot = resolve_local(c->fs, fn->str);
  if (slot < 0 || c->fs->locals[slot].depth != c->fs->scope_depth) {
    slot = declare_local(c, node, fn->str);
    emit(c, node, OP_NIL);
  }
  compile_function(c, fn, fn->str, false);
  emit2(c, node, OP_SET_LOCAL, (uint8_t)slot);
}

static void compile_model(Compiler *c, const Ast *node) {
  if (!at_global_scope(c)) {
    error_at(c, node, "a model block must be at the top level of a file");
    return;
  }
  compile_function(c, node, node->str, true);
  define_name(c, node, node->str);
}

static void compile_stmt(Compiler *c, const Ast *node) {
  switch (node->kind) {
  case AST_EXPR_STMT:
    compile_expr(c, node->a);
    emit(c, node, OP_POP);
    break;
  case AST_LET:
    compile_let(c, node);
    break;
  case AST_ASSIGN:
    compile_assign(c, node);
    break;
  case AST_BLOCK:
    compile_block(c, node);
    break;
  case AST_IF:
    compile_if_stmt(c, node);
    break;
  case AST_WHILE:
    compile_while(c, node);
    break;
  case AST_FOR:
    compile_for(c, node);
    break;
  case AST_BREAK:
  case AST_CONTINUE:
    compile_break(c, node, node->kind == AST_BREAK);
    break;
  case AST_RETURN:
    if (c->fs->is_script) {
      error_at(c, node, "'return' outside a function");
      break;
    }
    if (node->a)
      compile_expr(c, node->a);
    else
      emit(c, node, OP_NIL);
    emit(c, node, OP_RETURN);
    break;
  case AST_FN_DECL:
    compile_fn_decl(c, node);
    break;
  case AST_MODEL:
    compile_model(c, node);
    break;
  case AST_TILDE:
    compile_tilde(c, node);
    break;
  case AST_IMPORT:
    if (!at_global_scope(c)) {
      error_at(c, node, "'import' must be at the top level of a file");
      break;
    }
    emit_op_u16(c, node, OP_IMPORT, name_constant(c, node, node->str));
    break;
  default:
    compile_expr(c, node);
    emit(c, node, OP_POP);
    break;
  }
}

/* Compiles a statement whose value, if it has one, is the function's. */
static void compile_tail(Compiler *c, const Ast *node) {
  if (!node) {
    emit(c, NULL, OP_NIL);
    emit(c, NULL, OP_RETURN);
    return;
  }
  switch (node->kind) {
  case AST_EXPR_STMT:
    compile_expr(c, node->a);
    emit(c, node, OP_RETURN);
    return;
  case AST_BLOCK: {
    int n = node->list.count;
    if (n == 0) {
      emit(c, node, OP_NIL);
      emit(c, node, OP_RETURN);
      return;
    }
    begin_scope(c);
    predeclare_functions(c, node);
    for (int i = 0; i < n - 1; i++)
      compile_stmt(c, node->list.items[i]);
    compile_tail(c, node->list.items[n - 1]);
    end_scope(c, node);
    return;
  }
  case AST_IF: {
    int to_else;
    compile_condition_jump(c, node->a, &to_else);
    compile_tail(c, node->b);
    patch_jump(c, node, to_else);
    if (node->c) {
      compile_tail(c, node->c);
    } else {
      emit(c, node, OP_NIL);
      emit(c, node, OP_RETURN);
    }
    return;
  }
  default:
    compile_stmt(c, node);
    emit(c, node, OP_NIL);
    emit(c, node, OP_RETURN);
  }
}

/* ---- units ------------------------------------------------------------ */

static void push_unit_name(Compiler *c, const char *name, int *cap) {
  if (c->nunit_names == *cap) {
    *cap = *cap ? *cap * 2 : 16;
    const char **n = mem_alloc((size_t)*cap * sizeof *n);
    if (c->nunit_names)
      memcpy(n, c->unit_names, (size_t)c->nunit_names * sizeof *n);
    c->unit_names = n;
  }
  c->unit_names[c->nunit_names++] = name;
}

static void push_captured(Compiler *c, const char *name) {
  if (is_captured(c, name))
    return;
  if (c->ncaptured == c->cap_captured) {
    c->cap_captured = c->cap_captured ? c->cap_captured * 2 : 16;
    const char **n = mem_alloc((size_t)c->cap_captured * sizeof *n);
    if (c->ncaptured)
      memcpy(n, c->captured, (size_t)c->ncaptured * sizeof *n);
    c->captured = n;
  }
  c->captured[c->ncaptured++] = name;
}

/* Records every name mentioned inside a function or model body of the
 * unit: those top-level variables must stay globals. */
static void collect_captured(Compiler *c, const Ast *node, bool inside) {
  if (!node)
    return;
  if (node->kind == AST_FUNC || node->kind == AST_MODEL)
    inside = true;
  if (inside && node->kind == AST_NAME)
    push_captured(c, node->str);
  collect_captured(c, node->a, inside);
  collect_captured(c, node->b, inside);
  collect_captured(c, node->c, inside);
  for (int i = 0; i < node->list.count; i++)
    collect_captured(c, node->list.items[i], inside);
  for (int i = 0; i < node->list2.count; i++)
    collect_captured(c, node->list2.items[i], inside);
}

/* Top-level definitions of the unit, so functions may refer to globals
 * defined further down the file. */
static void collect_unit_names(Compiler *c, const Ast *program) {
  int cap = 0;
  for (int i = 0; i < program->list.count; i++) {
    const Ast *s = program->list.items[i];
    if (s->kind == AST_LET || s->kind == AST_MODEL)
      push_unit_name(c, s->str, &cap);
    else if (s->kind == AST_FN_DECL)
      push_unit_name(c, s->a->str, &cap);
    else if (s->kind == AST_IMPORT)
      c->check_names = false;
  }
}

ObjFunction *compile_program(VM *vm, const Ast *program, const Source *src,
                             CompileMode mode, FILE *err) {
  Compiler c;
  memset(&c, 0, sizeof c);
  c.vm = vm;
  c.src = src;
  c.err = err;
  c.check_names = true;
  c.ns = vm_source_namespace(vm, src);
  c.script_locals = mode == COMPILE_SCRIPT;
  bool echo = mode == COMPILE_REPL;
  collect_unit_names(&c, program);
  if (c.script_locals)
    collect_captured(&c, program, false);

  FnState fs;
  memset(&fs, 0, sizeof fs);
  fs.fn = function_new();
  fs.fn->source = src;
  fs.fn->line = 1;
  fs.is_script = true;
  c.fs = &fs;
  add_local(&c, program, "");

  int n = program->list.count;
  const Ast *last = n ? program->list.items[n - 1] : NULL;
  for (int i = 0; i < n - 1; i++)
    compile_stmt(&c, program->list.items[i]);
  if (last && echo && last->kind == AST_EXPR_STMT) {
    compile_expr(&c, last->a);
    emit(&c, last, OP_RETURN);
  } else {
    if (last)
      compile_stmt(&c, last);
    emit(&c, program, OP_NIL);
    emit(&c, program, OP_RETURN);
  }
  return c.nerrors ? NULL : fs.fn;
}
