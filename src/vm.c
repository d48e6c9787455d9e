/*
 * vm.c — the bytecode interpreter: a stack machine with call frames,
 * closures over upvalues, and globals in an array indexed by slot (one
 * namespace per imported module; see "globals" below).
 *
 * Dispatch is by computed goto where the compiler has it (configure checks),
 * else a switch. Number-only arithmetic and comparisons stay in the loop;
 * everything else (vectors, strings, lists, indexing) is in helpers called
 * from short cases.
 *
 * Errors: a helper or native sets the pending error (vm_error) and returns
 * false; the loop then records where it happened (the innermost ppl
 * position) and, frame by frame, a stack trace, unwinds to the run() that
 * started at this C depth and returns false. vm_interpret prints it.
 *
 * Reference: Nystrom, Crafting Interpreters (clox vm.c); Lua 5.4 lvm.c.
 */
#include <config.h>
#include "vm.h"

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <gsl/gsl_errno.h>

#include "builtin.h"
#include "compile.h"
#include "mem.h"
#include "opcodes.h"
#include "parse.h"
#include "report.h"
#include "rng.h"
#include "strbuf.h"
#include "tensor.h"
#include "vmops.h"

/* Values on the stack and nested calls; recursion deeper than FRAMES_MAX is
 * a user's runaway recursion, reported as such. */
enum { STACK_MAX = 1 << 17, FRAMES_MAX = 8000, SLOTS_PER_FRAME_MAX = 256 };
/* Nested vm_call()s (a builtin calling back into ppl, which calls the
 * builtin again...) each use C stack; past this depth it is a runaway
 * recursion. 8 MB of C stack holds several times this many. */
enum { C_DEPTH_MAX = 400 };

typedef struct CallFrame {
  ObjClosure *closure;
  uint8_t *ip;
  Value *slots;
} CallFrame;

typedef struct PendingError {
  bool pending;
  bool located;
  StrBuf msg;
  const Source *src;
  int line, col;
  StrBuf trace;
  int trace_frames;
  char last_frame[256]; /* the previous trace line, to fold repeats */
  int repeats;          /* how often last_frame repeated, not yet written */
  int omitted;          /* frames past TRACE_MAX_LINES */
  int lines;
} PendingError;

/* A runaway recursion unwinds thousands of identical frames: repeats fold
 * into one line, and the trace stops after this many lines. */
enum { TRACE_MAX_LINES = 40 };

/* Namespaces. The main program, the REPL and :load share the root
 * namespace (0); each imported module has its own (1, 2, ...), so that what
 * a program defines never changes what a module's code sees (a program's
 * `fn mean` does not replace the builtin inside stats.ppl). A slot belongs
 * to one namespace and points to a cell holding the value. A module's slot
 * for a builtin's name starts as a copy of the builtin. When a module has
 * run, `import` links every name it defined or imported into the
 * importer's namespace: the importer's slot then points to the module's
 * cell, so assigning the name on either side changes the one variable,
 * while a new `let`/`fn`/`model` of the name gives the definer's slot a
 * cell of its own and leaves the module's alone. */
typedef struct GlobalSlot {
  Value *cell;     /* GC box holding the value; shared when linked */
  ObjString *name; /* the bare name, for messages and :vars */
  int ns;          /* 0 root, else a module's namespace */
  bool owned;      /* the cell was made for this slot (not linked) */
  bool builtin;    /* a module's copy of a builtin, not its own name */
} GlobalSlot;

struct VM {
  Value *stack;
  Value *sp;
  CallFrame *frames;
  int frame_count;
  ObjUpvalue *open_upvalues;

  Table global_index; /* name, or "@ns:name" in a module -> slot number */
  GlobalSlot *globals;
  int nglobals;
  int cap_globals;
  Table builtins; /* name -> the builtin's value, as registered */

  Table imported; /* resolved path -> its namespace number */
  const Source **module_src; /* namespace n > 0 is module_src[n - 1]'s */
  int nmodules;
  int cap_modules;
  ObjList *import_paths;

  PendingError error;
  volatile sig_atomic_t interrupt;
  FILE *err;
  FILE *out;
  Rng *rng;
  const ModelHooks *model_hooks;
  void *model_ctx;
  int c_depth; /* vm_call()s in progress */
};

/* ---- globals ---------------------------------------------------------- */

static Value *new_cell(Value v) {
  Value *cell = mem_alloc(sizeof *cell);
  *cell = v;
  return cell;
}

/* The slot of name in namespace ns, made (undefined, or a module's copy of
 * the builtin) when new. May grow vm->globals. */
static int ns_slot(VM *vm, int ns, const char *name) {
  StrBuf key;
  strbuf_init(&key);
  if (ns)
    strbuf_printf(&key, "@%d:", ns);
  strbuf_puts(&key, name);
  Value slot;
  if (table_get_cstr(&vm->global_index, key.data, key.len, &slot))
    return (int)AS_NUM(slot);
  if (vm->nglobals == vm->cap_globals) {
    int cap = vm->cap_globals ? vm->cap_globals * 2 : 256;
    GlobalSlot *g = mem_alloc((size_t)cap * sizeof *g);
    if (vm->nglobals)
      memcpy(g, vm->globals, (size_t)vm->nglobals * sizeof *g);
    vm->globals = g;
    vm->cap_globals = cap;
  }
  int index = vm->nglobals++;
  GlobalSlot *g = &vm->globals[index];
  Value builtin = UNDEF_VAL;
  g->builtin = ns != 0 && table_get_cstr(&vm->builtins, name, strlen(name),
                                         &builtin);
  g->cell = new_cell(builtin);
  g->name = string_from_cstr(name);
  g->ns = ns;
  g->owned = true;
  table_set(&vm->global_index, string_from_cstr(key.data), NUM_VAL(index));
  return index;
}

int vm_namespace_slot(VM *vm, int ns, const char *name) {
  return ns_slot(vm, ns, name);
}

int vm_source_namespace(VM *vm, const Source *src) {
  for (int i = 0; i < vm->nmodules; i++)
    if (vm->module_src[i] == src)
      return i + 1;
  return 0;
}

/* `let`, `fn` or `model` of the slot's name: a linked slot gets a cell of
 * its own first, so the module it was linked to keeps its value. */
static void define_slot(VM *vm, int slot, Value v) {
  GlobalSlot *g = &vm->globals[slot];
  if (!g->owned) {
    g->cell = new_cell(v);
    g->owned = true;
  }
  *g->cell = v;
  g->builtin = false;
}

/* Makes every name namespace from defined (or imported) visible in
 * namespace into, sharing from's cells. A name from has not defined yet (a
 * module imported again while it runs, by a circular import) is linked
 * only where into has nothing of that name, so it appears there once
 * defined. */
static void link_exports(VM *vm, int from, int into) {
  if (from == into)
    return;
  int n = vm->nglobals; /* slots made below belong to `into` */
  for (int i = 0; i < n; i++) {
    const GlobalSlot *g = &vm->globals[i];
    if (g->ns != from || g->builtin)
      continue;
    bool later = IS_UNDEF(*g->cell);
    int t = ns_slot(vm, into, g->name->chars); /* may move vm->globals */
    GlobalSlot *to = &vm->globals[t];
    if (to->cell == vm->globals[i].cell ||
        (later && (to->builtin || !IS_UNDEF(*to->cell))))
      continue; /* already linked (a circular import), or keep into's */
    to->cell = vm->globals[i].cell;
    to->owned = false;
    to->builtin = false;
  }
}

bool vm_global_defined(VM *vm, int slot) {
  return slot >= 0 && slot < vm->nglobals &&
         !IS_UNDEF(*vm->globals[slot].cell);
}

const char *vm_global_name(VM *vm, int slot) {
  return vm->globals[slot].name->chars;
}

const char *vm_suggest_global(VM *vm, const char *name) {
  const char **known = mem_alloc((size_t)(vm->nglobals + 1) * sizeof *known);
  size_t n = 0;
  for (int i = 0; i < vm->nglobals; i++)
    if (vm->globals[i].ns == 0 && !IS_UNDEF(*vm->globals[i].cell))
      known[n++] = vm->globals[i].name->chars;
  return report_suggest(name, known, n);
}

void vm_define_global(VM *vm, const char *name, Value v) {
  define_slot(vm, ns_slot(vm, 0, name), v);
}

bool vm_get_global(VM *vm, const char *name, Value *out) {
  Value slot;
  if (!table_get_cstr(&vm->global_index, name, strlen(name), &slot))
    return false;
  Value v = *vm->globals[(int)AS_NUM(slot)].cell;
  if (IS_UNDEF(v))
    return false;
  *out = v;
  return true;
}

bool vm_get_builtin(VM *vm, const char *name, Value *out) {
  return table_get_cstr(&vm->builtins, name, strlen(name), out);
}

void vm_each_global(VM *vm, void (*fn)(const char *name, Value v, void *ctx),
                    void *ctx) {
  for (int i = 0; i < vm->nglobals; i++) {
    const GlobalSlot *g = &vm->globals[i];
    if (g->ns == 0 && !IS_UNDEF(*g->cell))
      fn(g->name->chars, *g->cell, ctx);
  }
}

/* Remembers every root global defined so far as a builtin (vm_new, after
 * registration). */
static void snapshot_builtins(VM *vm) {
  for (int i = 0; i < vm->nglobals; i++) {
    const GlobalSlot *g = &vm->globals[i];
    if (g->ns == 0 && !IS_UNDEF(*g->cell))
      table_set(&vm->builtins, g->name, *g->cell);
  }
}

/* ---- small accessors -------------------------------------------------- */

Rng *vm_rng(VM *vm) { return vm->rng; }
void vm_set_model_hooks(VM *vm, const ModelHooks *h) { vm->model_hooks = h; }
void vm_set_model_context(VM *vm, void *ctx) { vm->model_ctx = ctx; }
void *vm_model_context(VM *vm) { return vm->model_ctx; }
FILE *vm_err(VM *vm) { return vm->err; }
FILE *vm_out(VM *vm) { return vm->out; }
void vm_set_out(VM *vm, FILE *out) { vm->out = out; }
void vm_interrupt(VM *vm) { vm->interrupt = 1; }
bool vm_interrupted(VM *vm) { return vm->interrupt != 0; }
void vm_clear_interrupt(VM *vm) { vm->interrupt = 0; }

void vm_add_import_path(VM *vm, const char *dir) {
  list_push(vm->import_paths, OBJ_VAL(string_from_cstr(dir)));
}

void vm_set_args(VM *vm, int argc, char **argv) {
  ObjList *args = list_new((size_t)argc);
  for (int i = 0; i < argc; i++)
    list_push(args, OBJ_VAL(string_from_cstr(argv[i])));
  vm_define_global(vm, "args", OBJ_VAL(args));
  table_set(&vm->builtins, string_from_cstr("args"), OBJ_VAL(args));
}

/* ---- errors ----------------------------------------------------------- */

bool vm_error(VM *vm, const char *fmt, ...) {
  PendingError *e = &vm->error;
  if (e->pending)
    return false; /* keep the first (innermost) message */
  e->pending = true;
  e->located = false;
  e->trace_frames = 0;
  e->last_frame[0] = '\0';
  e->repeats = 0;
  e->omitted = 0;
  e->lines = 0;
  strbuf_init(&e->msg);
  strbuf_init(&e->trace);
  va_list ap;
  va_start(ap, fmt);
  strbuf_vprintf(&e->msg, fmt, ap);
  va_end(ap);
  return false;
}

static void clear_error(VM *vm) { vm->error.pending = false; }

static int frame_line(const CallFrame *f, int *col) {
  const Chunk *ch = &f->closure->function->chunk;
  int offset = (int)(f->ip - ch->code) - 1;
  if (offset < 0)
    offset = 0;
  if (offset >= ch->count) {
    *col = 0;
    return 0;
  }
  *col = ch->cols[offset];
  return ch->lines[offset];
}

static void flush_repeats(PendingError *e) {
  if (e->repeats > 0)
    strbuf_printf(&e->trace, "  ... the line above repeated %d more time%s\n",
                  e->repeats, e->repeats == 1 ? "" : "s");
  e->repeats = 0;
}

/* Adds frame f to the pending error: the first frame seen is where the
 * error happened; each frame becomes one line of the stack trace. */
static void note_frame(VM *vm, const CallFrame *f) {
  PendingError *e = &vm->error;
  const ObjFunction *fn = f->closure->function;
  int col;
  int line = frame_line(f, &col);
  if (!e->located) {
    e->located = true;
    e->src = fn->source;
    e->line = line;
    e->col = col;
  }
  const char *file = fn->source ? fn->source->name : "?";
  char entry[256];
  if (fn->name)
    snprintf(entry, sizeof entry, "  in %s '%s' at %s:%d\n",
             fn->is_model ? "model" : "function", fn->name->chars, file, line);
  else
    snprintf(entry, sizeof entry, "  at top level of %s:%d\n", file, line);
  e->trace_frames++;
  if (strcmp(entry, e->last_frame) == 0) {
    e->repeats++;
    return;
  }
  flush_repeats(e);
  if (e->lines >= TRACE_MAX_LINES) {
    e->omitted++;
    return;
  }
  strbuf_puts(&e->trace, entry);
  e->lines++;
  snprintf(e->last_frame, sizeof e->last_frame, "%s", entry);
}

static void print_error(VM *vm) {
  PendingError *e = &vm->error;
  report_at(vm->err, REPORT_ERROR, e->located ? e->src : NULL,
            e->located ? e->line : 0, e->col, "%s", e->msg.data);
  flush_repeats(e);
  if (e->omitted > 0)
    strbuf_printf(&e->trace, "  ... and %d more frame%s\n", e->omitted,
                  e->omitted == 1 ? "" : "s");
  if (e->trace_frames > 1)
    fprintf(vm->err, "stack trace (innermost first):\n%s", e->trace.data);
  fflush(vm->err);
  clear_error(vm);
}

const char *vm_current_file(VM *vm) {
  if (vm->frame_count == 0)
    return "?";
  const ObjFunction *fn = vm->frames[vm->frame_count - 1].closure->function;
  return fn->source ? fn->source->name : "?";
}

int vm_current_line(VM *vm) {
  if (vm->frame_count == 0)
    return 0;
  int col;
  return frame_line(&vm->frames[vm->frame_count - 1], &col);
}

/* ---- upvalues --------------------------------------------------------- */

static ObjUpvalue *capture_upvalue(VM *vm, Value *slot) {
  ObjUpvalue *prev = NULL, *u = vm->open_upvalues;
  while (u && u->location > slot) {
    prev = u;
    u = u->next;
  }
  if (u && u->location == slot)
    return u;
  ObjUpvalue *created = upvalue_new(slot);
  created->next = u;
  if (prev)
    prev->next = created;
  else
    vm->open_upvalues = created;
  return created;
}

static void close_upvalues(VM *vm, Value *last) {
  while (vm->open_upvalues && vm->open_upvalues->location >= last) {
    ObjUpvalue *u = vm->open_upvalues;
    u->closed = *u->location;
    u->location = &u->closed;
    vm->open_upvalues = u->next;
  }
}

/* ---- calls ------------------------------------------------------------ */

static bool push_frame(VM *vm, ObjClosure *closure, Value *base) {
  if (vm->frame_count == FRAMES_MAX ||
      base + SLOTS_PER_FRAME_MAX >= vm->stack + STACK_MAX)
    return vm_error(vm, "stack overflow: more than %d nested calls (is a "
                        "recursion missing its base case?)",
                    vm->frame_count);
  CallFrame *f = &vm->frames[vm->frame_count++];
  f->closure = closure;
  f->ip = closure->function->chunk.code;
  f->slots = base;
  return true;
}

static const char *callable_name(const ObjFunction *fn) {
  return fn->name ? fn->name->chars : "anonymous function";
}

/* Puts a closure call's arguments in parameter order: positional ones,
 * then keywords by name; parameters not given become UNDEF so the callee's
 * prologue evaluates their defaults. Leaves exactly arity values above the
 * callee. */
static bool bind_arguments(VM *vm, ObjFunction *fn, Value *callee, int argc,
                           int kwc, ObjList *kwnames) {
  const char *name = callable_name(fn);
  if (argc > fn->arity)
    return vm_error(vm, "%s() takes %d argument%s but %d were given", name,
                    fn->arity, fn->arity == 1 ? "" : "s", argc);
  Value kw[256];
  for (int i = 0; i < kwc; i++)
    kw[i] = callee[1 + argc + i];
  for (int i = argc; i < fn->arity; i++)
    callee[1 + i] = UNDEF_VAL;
  for (int k = 0; k < kwc; k++) {
    ObjString *key = AS_STRING(kwnames->items[k]);
    int p = 0;
    while (p < fn->arity && !string_equal(fn->params[p], key))
      p++;
    if (p == fn->arity) {
      const char **known = mem_alloc((size_t)(fn->arity + 1) * sizeof *known);
      for (int i = 0; i < fn->arity; i++)
        known[i] = fn->params[i]->chars;
      const char *best = report_suggest(key->chars, known, (size_t)fn->arity);
      if (best)
        return vm_error(vm, "%s() has no parameter '%s' (did you mean '%s'?)",
                        name, key->chars, best);
      return vm_error(vm, "%s() has no parameter '%s'", name, key->chars);
    }
    if (p < argc || !IS_UNDEF(callee[1 + p]))
      return vm_error(vm, "%s() got two values for parameter '%s'", name,
                      key->chars);
    callee[1 + p] = kw[k];
  }
  for (int i = 0; i < fn->nrequired; i++)
    if (IS_UNDEF(callee[1 + i]))
      return vm_error(vm, "%s() is missing required argument '%s'", name,
                      fn->params[i]->chars);
  vm->sp = callee + 1 + fn->arity;
  return true;
}

/* Lets a handle class among the arguments take over the call (a builtin
 * applied to a model variable builds a graph node instead). */
static ApplyResult overload_call(VM *vm, const ObjNative *native,
                                 const CallArgs *call, Value *result) {
  int n = call->argc + call->kwc;
  for (int i = 0; i < n; i++) {
    Value v = i < call->argc ? call->argv[i] : call->kwv[i - call->argc];
    if (IS_HANDLE(v) && AS_HANDLE(v)->cls->apply) {
      ApplyResult r = AS_HANDLE(v)->cls->apply(vm, native, call, result);
      if (r != APPLY_PASS)
        return r;
    }
  }
  return APPLY_PASS;
}

static bool has_list_arg(const CallArgs *call) {
  for (int i = 0; i < call->argc; i++)
    if (IS_LIST(call->argv[i]))
      return true;
  return false;
}

static bool call_native(VM *vm, ObjNative *native, Value *callee, int argc,
                        int kwc, ObjList *kwnames) {
  ObjString *names[256];
  for (int i = 0; i < kwc; i++)
    names[i] = AS_STRING(kwnames->items[i]);
  CallArgs call = {
      .argc = argc,
      .argv = callee + 1,
      .kwc = kwc,
      .kwnames = names,
      .kwv = callee + 1 + argc,
      .ctx = native->ctx,
  };
  Value result = NIL_VAL;
  ApplyResult over = overload_call(vm, native, &call, &result);
  if (over == APPLY_PASS && vm->model_ctx && vm->model_hooks &&
      vm->model_hooks->apply_lists &&
      has_list_arg(&call))
    over = vm->model_hooks->apply_lists(vm, native, &call, &result);
  if (over == APPLY_FAILED)
    return false;
  if (over == APPLY_DONE) {
    vm->sp = callee;
    *vm->sp++ = result;
    return true;
  }
  if (!native->fn(vm, &call, &result)) {
    if (!vm->error.pending)
      vm_error(vm, "%s() failed", native->name);
    return false;
  }
  vm->sp = callee;
  *vm->sp++ = result;
  return true;
}

/* Calling a model block binds it (the model library's bind hook runs the
 * body once with the data); the result replaces callee and arguments. */
static bool bind_model(VM *vm, ObjClosure *model, Value *callee) {
  const ObjFunction *fn = model->function;
  if (!vm->model_hooks)
    return vm_error(vm, "model '%s' cannot be bound: the model library is "
                        "not loaded",
                    fn->name->chars);
  int nargs = fn->arity;
  Value args[256];
  memcpy(args, callee + 1, (size_t)nargs * sizeof(Value));
  Value result;
  if (!vm->model_hooks->bind(vm, model, args, nargs, &result))
    return false;
  vm->sp = callee;
  *vm->sp++ = result;
  return true;
}

/* Calls the value below its argc positional and kwc keyword arguments on
 * the stack. A closure gets a new frame (run() continues in it); a native
 * runs to completion and its result replaces callee and arguments. */
static bool call_value(VM *vm, int argc, int kwc, ObjList *kwnames) {
  Value *callee = vm->sp - 1 - argc - kwc;
  Value f = *callee;
  if (IS_CLOSURE(f)) {
    ObjClosure *closure = AS_CLOSURE(f);
    ObjFunction *fn = closure->function;
    if (kwc != 0 || argc != fn->arity) {
      if (!bind_arguments(vm, fn, callee, argc, kwc, kwnames))
        return false;
    }
    if (fn->is_model && !vm->model_ctx)
      return bind_model(vm, closure, callee);
    return push_frame(vm, closure, callee);
  }
  if (IS_NATIVE(f))
    return call_native(vm, AS_NATIVE(f), callee, argc, kwc, kwnames);
  return vm_error(vm, "cannot call a %s", value_type_name(f));
}

/* ---- truth ------------------------------------------------------------ */

static bool truth(VM *vm, Value v, bool *out) {
  if (IS_TENSOR(v)) {
    const ObjTensor *t = AS_TENSOR(v);
    if (t->len == 0) {
      *out = false;
      return true;
    }
    if (t->len != 1)
      return vm_error(vm, "the truth value of a %s of %zu elements is "
                          "ambiguous; use any() or all()",
                      value_type_name(v), t->len);
    *out = t->data[0] != 0.0;
    return true;
  }
  *out = value_truthy(v);
  return true;
}

/* ---- imports ---------------------------------------------------------- */

static bool import_module(VM *vm, const Source *from, ObjString *name);

/* A model statement outside a binding (a model body called through some
 * other path) has no graph to go to. */
static bool model_step(VM *vm) {
  if (vm->model_hooks && vm->model_ctx)
    return true;
  return vm_error(vm, "'~' and model variables only work while a model is "
                      "being bound (call the model with its data)");
}

/* ---- the dispatch loop ------------------------------------------------ */

#define READ_BYTE() (*ip++)
#define READ_U16() (ip += 2, (uint16_t)((ip[-2] << 8) | ip[-1]))
#define PUSH(v) (*sp++ = (v))
#define POP() (*--sp)
#define PEEK(n) (sp[-1 - (n)])

/* Runs until the frame at depth base_frame returns, leaving its result on
 * the stack. Returns false with vm->error pending and every frame above
 * base_frame unwound. */
static bool run(VM *vm, int base_frame) {
  CallFrame *frame = &vm->frames[vm->frame_count - 1];
  uint8_t *ip = frame->ip;
  Value *slots = frame->slots;
  Value *sp = vm->sp;
  Value *k = frame->closure->function->chunk.constants;

#define SAVE() (frame->ip = ip, vm->sp = sp)
#define LOAD()                                                                \
  do {                                                                        \
    frame = &vm->frames[vm->frame_count - 1];                                 \
    ip = frame->ip;                                                           \
    slots = frame->slots;                                                     \
    sp = vm->sp;                                                              \
    k = frame->closure->function->chunk.constants;                            \
  } while (0)
#define TRY(expr)                                                             \
  do {                                                                        \
    SAVE();                                                                   \
    if (!(expr))                                                              \
      goto fail;                                                              \
    sp = vm->sp;                                                              \
  } while (0)

#ifdef HAVE_COMPUTED_GOTO
  static void *const dispatch[] = {
#define X(name, layout, doc) &&L_##name,
      OPCODES(X)
#undef X
  };
#define CASE(name) L_##name:
#define NEXT goto *dispatch[*ip++]
  NEXT;
#else
#define CASE(name) case OP_##name:
#define NEXT break
  for (;;) {
    switch (*ip++) {
#endif

  CASE(CONST) { PUSH(k[READ_U16()]); NEXT; }
  CASE(NIL) { PUSH(NIL_VAL); NEXT; }
  CASE(TRUE) { PUSH(BOOL_VAL(true)); NEXT; }
  CASE(FALSE) { PUSH(BOOL_VAL(false)); NEXT; }
  CASE(UNDEF) { PUSH(UNDEF_VAL); NEXT; }
  CASE(POP) { sp--; NEXT; }
  CASE(DUP) { Value v = PEEK(0); PUSH(v); NEXT; }
  CASE(SWAP) {
    Value t = sp[-1];
    sp[-1] = sp[-2];
    sp[-2] = t;
    NEXT;
  }
  CASE(ROT3) {
    Value z = sp[-1];
    sp[-1] = sp[-2];
    sp[-2] = sp[-3];
    sp[-3] = z;
    NEXT;
  }
  CASE(GET_LOCAL) { PUSH(slots[READ_BYTE()]); NEXT; }
  CASE(SET_LOCAL) { slots[READ_BYTE()] = POP(); NEXT; }
  CASE(GET_GLOBAL) {
    uint16_t slot = READ_U16();
    Value v = *vm->globals[slot].cell;
    if (IS_UNDEF(v)) {
      SAVE();
      const char *name = vm->globals[slot].name->chars;
      const char *best = vm_suggest_global(vm, name);
      if (best)
        vm_error(vm, "'%s' is not defined (did you mean '%s'?)", name, best);
      else
        vm_error(vm, "'%s' is not defined", name);
      goto fail;
    }
    PUSH(v);
    NEXT;
  }
  CASE(SET_GLOBAL) {
    uint16_t slot = READ_U16();
    if (IS_UNDEF(*vm->globals[slot].cell)) {
      SAVE();
      vm_error(vm, "assignment to undeclared name '%s'; declare it first "
                   "with 'let %s = ...'",
               vm->globals[slot].name->chars, vm->globals[slot].name->chars);
      goto fail;
    }
    *vm->globals[slot].cell = POP();
    NEXT;
  }
  CASE(DEFINE_GLOBAL) {
    uint16_t slot = READ_U16();
    define_slot(vm, slot, POP());
    NEXT;
  }
  CASE(GET_UPVALUE) {
    PUSH(*frame->closure->upvalues[READ_BYTE()]->location);
    NEXT;
  }
  CASE(SET_UPVALUE) {
    *frame->closure->upvalues[READ_BYTE()]->location = POP();
    NEXT;
  }
  CASE(GET_FIELD) {
    ObjString *name = AS_STRING(k[READ_U16()]);
    Value out;
    TRY(vmops_get_field(vm, PEEK(0), name, &out));
    sp[-1] = out;
    NEXT;
  }
  CASE(SET_FIELD) {
    ObjString *name = AS_STRING(k[READ_U16()]);
    TRY(vmops_set_field(vm, PEEK(1), name, PEEK(0)));
    sp -= 2;
    NEXT;
  }
  CASE(INDEX) {
    int n = READ_BYTE();
    Value out;
    TRY(vmops_index(vm, sp[-1 - n], sp - n, n, &out));
    sp -= n;
    sp[-1] = out;
    NEXT;
  }
  CASE(SET_INDEX) {
    int n = READ_BYTE();
    TRY(vmops_set_index(vm, sp[-2 - n], sp - 1 - n, n, sp[-1]));
    sp -= n + 2;
    NEXT;
  }
  CASE(SLICE) {
    int flags = READ_BYTE();
    ObjRange *r = range_new(0, 0, 1);
    r->has_start = r->has_stop = false;
    Value *arg = sp;
    if (flags & 4) arg--;
    if (flags & 2) arg--;
    if (flags & 1) arg--;
    Value *part = arg;
    SAVE();
    if (!vmops_slice_part(vm, flags & 1, &part, &r->start, &r->has_start) ||
        !vmops_slice_part(vm, flags & 2, &part, &r->stop, &r->has_stop))
      goto fail;
    if (flags & 4) {
      bool given;
      if (!vmops_slice_part(vm, true, &part, &r->step, &given))
        goto fail;
      if (r->step == 0.0) {
        vm_error(vm, "slice step cannot be 0");
        goto fail;
      }
    }
    sp = arg;
    PUSH(OBJ_VAL(r));
    NEXT;
  }

#define ARITH(name, expr)                                                     \
  CASE(name) {                                                                \
    Value b = sp[-1], a = sp[-2];                                             \
    if (IS_NUM(a) && IS_NUM(b)) {                                             \
      double x = AS_NUM(a), y = AS_NUM(b);                                    \
      sp[-2] = expr;                                                          \
      sp--;                                                                   \
      NEXT;                                                                   \
    }                                                                         \
    Value out;                                                                \
    TRY(vmops_binary(vm, OP_##name, a, b, &out));                             \
    sp[-2] = out;                                                             \
    sp--;                                                                     \
    NEXT;                                                                     \
  }
  ARITH(ADD, NUM_VAL(x + y))
  ARITH(SUB, NUM_VAL(x - y))
  ARITH(MUL, NUM_VAL(x * y))
  ARITH(DIV, NUM_VAL(x / y))
  ARITH(FLOORDIV, NUM_VAL(tensor_apply(TOP_FLOORDIV, x, y)))
  ARITH(MOD, NUM_VAL(tensor_apply(TOP_MOD, x, y)))
  ARITH(POW, NUM_VAL(pow(x, y)))
  ARITH(LT, BOOL_VAL(x < y))
  ARITH(LE, BOOL_VAL(x <= y))
  ARITH(GT, BOOL_VAL(x > y))
  ARITH(GE, BOOL_VAL(x >= y))
  ARITH(EQ, BOOL_VAL(x == y))
  ARITH(NE, BOOL_VAL(x != y))
#undef ARITH
  CASE(MATMUL) {
    Value out;
    TRY(vmops_binary(vm, OP_MATMUL, sp[-2], sp[-1], &out));
    sp[-2] = out;
    sp--;
    NEXT;
  }
  CASE(NEG) {
    if (IS_NUM(sp[-1])) {
      sp[-1] = NUM_VAL(-AS_NUM(sp[-1]));
      NEXT;
    }
    Value out;
    TRY(vmops_unary(vm, OP_NEG, sp[-1], &out));
    sp[-1] = out;
    NEXT;
  }
  CASE(POS) {
    Value out;
    TRY(vmops_unary(vm, OP_POS, sp[-1], &out));
    sp[-1] = out;
    NEXT;
  }
  CASE(NOT) {
    bool t;
    TRY(truth(vm, sp[-1], &t));
    sp[-1] = BOOL_VAL(!t);
    NEXT;
  }
  CASE(JUMP) {
    uint16_t off = READ_U16();
    ip += off;
    NEXT;
  }
  CASE(JUMP_IF_FALSE) {
    uint16_t off = READ_U16();
    Value c = POP();
    if (IS_BOOL(c)) {
      if (!AS_BOOL(c))
        ip += off;
      NEXT;
    }
    bool t;
    TRY(truth(vm, c, &t));
    if (!t)
      ip += off;
    NEXT;
  }
  CASE(AND) {
    uint16_t off = READ_U16();
    bool t;
    TRY(truth(vm, sp[-1], &t));
    if (!t)
      ip += off;
    else
      sp--;
    NEXT;
  }
  CASE(OR) {
    uint16_t off = READ_U16();
    bool t;
    TRY(truth(vm, sp[-1], &t));
    if (t)
      ip += off;
    else
      sp--;
    NEXT;
  }
  CASE(LOOP) {
    uint16_t off = READ_U16();
    ip -= off;
    if (vm->interrupt) {
      SAVE();
      vm_error(vm, "interrupted");
      goto fail;
    }
    NEXT;
  }
  CASE(LT_JUMP_IF_FALSE) {
    uint16_t off = READ_U16();
    Value b = sp[-1], a = sp[-2];
    sp -= 2;
    if (IS_NUM(a) && IS_NUM(b)) {
      if (!(AS_NUM(a) < AS_NUM(b)))
        ip += off;
      NEXT;
    }
    Value out;
    bool t;
    TRY(vmops_binary(vm, OP_LT, a, b, &out) && truth(vm, out, &t));
    if (!t)
      ip += off;
    NEXT;
  }
#define FUSED(name, OPC, expr, rhs_read)                                       \
  CASE(name) {                                                                \
    Value a = slots[READ_BYTE()];                                             \
    Value b = rhs_read;                                                       \
    if (IS_NUM(a) && IS_NUM(b)) {                                             \
      double x = AS_NUM(a), y = AS_NUM(b);                                    \
      PUSH(NUM_VAL(expr));                                                    \
      NEXT;                                                                   \
    }                                                                         \
    Value out;                                                                \
    TRY(vmops_binary(vm, OPC, a, b, &out));                                   \
    PUSH(out);                                                                \
    NEXT;                                                                     \
  }
  FUSED(ADD_LL, OP_ADD, x + y, slots[READ_BYTE()])
  FUSED(SUB_LL, OP_SUB, x - y, slots[READ_BYTE()])
  FUSED(MUL_LL, OP_MUL, x * y, slots[READ_BYTE()])
  FUSED(ADD_LK, OP_ADD, x + y, k[READ_U16()])
  FUSED(SUB_LK, OP_SUB, x - y, k[READ_U16()])
  FUSED(MUL_LK, OP_MUL, x * y, k[READ_U16()])
#undef FUSED
#define FUSED_SET(name, OPC, expr, rhs_read)                                   \
  CASE(name) {                                                                \
    uint8_t d = READ_BYTE();                                                  \
    Value a = slots[READ_BYTE()];                                             \
    Value b = rhs_read;                                                       \
    if (IS_NUM(a) && IS_NUM(b)) {                                             \
      double x = AS_NUM(a), y = AS_NUM(b);                                    \
      slots[d] = NUM_VAL(expr);                                               \
      NEXT;                                                                   \
    }                                                                         \
    Value out;                                                                \
    TRY(vmops_binary(vm, OPC, a, b, &out));                                   \
    slots[d] = out;                                                           \
    NEXT;                                                                     \
  }
  FUSED_SET(SET_ADD_LL, OP_ADD, x + y, slots[READ_BYTE()])
  FUSED_SET(SET_SUB_LL, OP_SUB, x - y, slots[READ_BYTE()])
  FUSED_SET(SET_MUL_LL, OP_MUL, x * y, slots[READ_BYTE()])
  FUSED_SET(SET_ADD_LK, OP_ADD, x + y, k[READ_U16()])
  FUSED_SET(SET_SUB_LK, OP_SUB, x - y, k[READ_U16()])
  FUSED_SET(SET_MUL_LK, OP_MUL, x * y, k[READ_U16()])
#undef FUSED_SET
#define FUSED_LT_JUMP(name, rhs_read)                                         \
  CASE(name) {                                                                \
    Value a = slots[READ_BYTE()];                                             \
    Value b = rhs_read;                                                       \
    uint16_t off = READ_U16();                                                \
    if (IS_NUM(a) && IS_NUM(b)) {                                             \
      if (!(AS_NUM(a) < AS_NUM(b)))                                           \
        ip += off;                                                            \
      NEXT;                                                                   \
    }                                                                         \
    Value out;                                                                \
    bool t;                                                                   \
    TRY(vmops_binary(vm, OP_LT, a, b, &out) && truth(vm, out, &t));           \
    if (!t)                                                                   \
      ip += off;                                                              \
    NEXT;                                                                     \
  }
  FUSED_LT_JUMP(LT_LL_JUMP, slots[READ_BYTE()])
  FUSED_LT_JUMP(LT_LK_JUMP, k[READ_U16()])
#undef FUSED_LT_JUMP
  CASE(CALL) {
    int argc = READ_BYTE();
    SAVE();
    Value *callee = sp - 1 - argc;
    /* Fast path: a closure called with exactly its parameters. */
    if (IS_CLOSURE(*callee) && !vm->interrupt &&
        AS_CLOSURE(*callee)->function->arity == argc &&
        !AS_CLOSURE(*callee)->function->is_model &&
        vm->frame_count < FRAMES_MAX &&
        callee + SLOTS_PER_FRAME_MAX < vm->stack + STACK_MAX) {
      ObjClosure *closure = AS_CLOSURE(*callee);
      frame = &vm->frames[vm->frame_count++];
      frame->closure = closure;
      frame->slots = slots = callee;
      ip = closure->function->chunk.code;
      k = closure->function->chunk.constants;
      NEXT;
    }
    if (vm->interrupt) {
      vm_error(vm, "interrupted");
      goto fail;
    }
    if (!call_value(vm, argc, 0, NULL))
      goto fail;
    LOAD();
    NEXT;
  }
  CASE(CALL_KW) {
    int argc = READ_BYTE();
    int kwc = READ_BYTE();
    ObjList *names = AS_LIST(k[READ_U16()]);
    SAVE();
    if (!call_value(vm, argc, kwc, names))
      goto fail;
    LOAD();
    NEXT;
  }
  CASE(CLOSURE) {
    ObjFunction *fn = AS_FUNCTION(k[READ_U16()]);
    ObjClosure *closure = closure_new(fn);
    for (int i = 0; i < closure->upvalue_count; i++) {
      uint8_t is_local = READ_BYTE();
      uint8_t index = READ_BYTE();
      closure->upvalues[i] = is_local ? capture_upvalue(vm, slots + index)
                                      : frame->closure->upvalues[index];
    }
    PUSH(OBJ_VAL(closure));
    NEXT;
  }
  CASE(CLOSE_UPVALUE) {
    close_upvalues(vm, sp - 1);
    sp--;
    NEXT;
  }
  CASE(RETURN) {
    Value result = POP();
    close_upvalues(vm, slots);
    vm->frame_count--;
    sp = slots;
    PUSH(result);
    if (vm->frame_count == base_frame) {
      vm->sp = sp;
      return true;
    }
    vm->sp = sp;
    LOAD();
    NEXT;
  }
  CASE(BUILD_LIST) {
    int n = READ_U16();
    sp -= n;
    sp[0] = vmops_build_list(sp, n);
    sp++;
    NEXT;
  }
  CASE(BUILD_RECORD) {
    int n = READ_U16();
    sp -= 2 * n;
    ObjRecord *r = record_new();
    for (int i = 0; i < n; i++)
      table_set(&r->fields, AS_STRING(sp[2 * i]), sp[2 * i + 1]);
    PUSH(OBJ_VAL(r));
    NEXT;
  }
  CASE(FOR_PREP) {
    int b = READ_BYTE();
    TRY(vmops_for_prep(vm, &slots[b]));
    slots[b + 1] = NUM_VAL(0);
    NEXT;
  }
  CASE(FOR_NEXT) {
    int b = READ_BYTE();
    uint16_t off = READ_U16();
    Value it = slots[b];
    double pos = AS_NUM(slots[b + 1]);
    if (IS_RANGE(it)) {
      const ObjRange *r = AS_RANGE(it);
      double x = r->start + pos * r->step;
      if (r->step > 0 ? x < r->stop : x > r->stop) {
        slots[b + 2] = NUM_VAL(x);
        slots[b + 1] = NUM_VAL(pos + 1);
      } else {
        ip += off;
      }
      NEXT;
    }
    if (!vmops_for_item(it, (size_t)pos, &slots[b + 2]))
      ip += off;
    else
      slots[b + 1] = NUM_VAL(pos + 1);
    NEXT;
  }
  CASE(DEFAULT) {
    int b = READ_BYTE();
    uint16_t off = READ_U16();
    if (!IS_UNDEF(slots[b]))
      ip += off;
    NEXT;
  }
  CASE(IMPORT) {
    ObjString *name = AS_STRING(k[READ_U16()]);
    TRY(import_module(vm, frame->closure->function->source, name));
    NEXT;
  }
  CASE(TILDE) {
    ObjString *name = AS_STRING(k[READ_U16()]);
    Value out;
    TRY(model_step(vm) &&
        vm->model_hooks->tilde(vm, name, sp[-2], sp[-1], &out));
    sp -= 2;
    PUSH(out);
    NEXT;
  }
  CASE(TILDE_INDEXED) {
    ObjString *name = AS_STRING(k[READ_U16()]);
    TRY(model_step(vm) &&
        vm->model_hooks->tilde_indexed(vm, name, sp[-3], sp[-2], sp[-1]));
    sp -= 3;
    NEXT;
  }
  CASE(DETERMINISTIC) {
    ObjString *name = AS_STRING(k[READ_U16()]);
    Value out;
    TRY(model_step(vm) &&
        vm->model_hooks->deterministic(vm, name, sp[-1], &out));
    sp[-1] = out;
    NEXT;
  }

#ifndef HAVE_COMPUTED_GOTO
    default:
      PANIC("unknown opcode");
    }
  }
#endif

fail:
  /* Unwind every frame this run() owns, recording the trace. */
  while (vm->frame_count > base_frame) {
    note_frame(vm, &vm->frames[vm->frame_count - 1]);
    vm->frame_count--;
  }
  return false;
#undef SAVE
#undef LOAD
#undef TRY
#undef CASE
#undef NEXT
}

/* ---- calling from C --------------------------------------------------- */

bool vm_call(VM *vm, Value callee, int argc, const Value *argv, Value *result) {
  Value *base = vm->sp;
  if (base + argc + SLOTS_PER_FRAME_MAX >= vm->stack + STACK_MAX ||
      vm->c_depth >= C_DEPTH_MAX)
    return vm_error(vm, "stack overflow: more than %d nested calls through "
                        "builtins such as map() (is a recursion missing its "
                        "base case?)",
                    C_DEPTH_MAX);
  *vm->sp++ = callee;
  for (int i = 0; i < argc; i++)
    *vm->sp++ = argv[i];
  int depth = vm->frame_count;
  vm->c_depth++;
  bool ok = call_value(vm, argc, 0, NULL);
  if (ok && vm->frame_count > depth)
    ok = run(vm, depth);
  vm->c_depth--;
  if (!ok) {
    close_upvalues(vm, base);
    vm->sp = base;
    return false;
  }
  *result = *--vm->sp;
  vm->sp = base;
  return true;
}

/* ---- units, files and imports ----------------------------------------- */

static ObjFunction *compile_source(VM *vm, const Source *src,
                                   CompileMode mode) {
  int nerrors = 0;
  Ast *program = parse_program(src, vm->err, &nerrors);
  if (!program)
    return NULL;
  return compile_program(vm, program, src, mode, vm->err);
}

static VMResult run_unit(VM *vm, const Source *src, CompileMode mode,
                         Value *result) {
  bool echo = mode == COMPILE_REPL;
  clear_error(vm);
  ObjFunction *fn = compile_source(vm, src, mode);
  if (!fn) {
    fflush(vm->err);
    return VM_COMPILE_ERROR;
  }
  Value out;
  if (!vm_call(vm, OBJ_VAL(closure_new(fn)), 0, NULL, &out)) {
    fflush(vm->out);
    print_error(vm);
    vm->sp = vm->stack;
    vm->frame_count = 0;
    vm->open_upvalues = NULL;
    return VM_RUNTIME_ERROR;
  }
  if (echo && !IS_NIL(out)) {
    value_print(vm->out, out, true);
    fputc('\n', vm->out);
  }
  fflush(vm->out);
  if (result)
    *result = out;
  return VM_OK;
}

VMResult vm_interpret(VM *vm, const Source *src, bool echo, Value *result) {
  return run_unit(vm, src, echo ? COMPILE_REPL : COMPILE_GLOBALS, result);
}

VMResult vm_run_script(VM *vm, const Source *src) {
  return run_unit(vm, src, COMPILE_SCRIPT, NULL);
}

VMResult vm_run_file(VM *vm, const char *path) {
  Source *src = source_read_file(path);
  if (!src) {
    report_at(vm->err, REPORT_ERROR, NULL, 0, 0, "cannot read '%s': %s", path,
              strerror(errno));
    return VM_RUNTIME_ERROR;
  }
  return vm_interpret(vm, src, false, NULL);
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return mem_strdup(".");
  size_t n = (size_t)(slash - path);
  char *d = mem_alloc_atomic(n + 1);
  memcpy(d, path, n);
  d[n] = '\0';
  return d;
}

/* Finds a module: the importing file's directory first, then each import
 * path. Returns a GC string with the real path, or NULL. */
static char *resolve_module(VM *vm, const Source *from, const char *name) {
  StrBuf file;
  strbuf_init(&file);
  strbuf_puts(&file, name);
  if (!has_suffix(name, ".ppl"))
    strbuf_puts(&file, ".ppl");
  char resolved[PATH_MAX];
  if (file.data[0] == '/')
    return realpath(file.data, resolved) ? mem_strdup(resolved) : NULL;
  size_t ndirs = vm->import_paths->len + 1;
  for (size_t i = 0; i < ndirs; i++) {
    const char *dir = i == 0 ? (from && from->name[0] != '<'
                                    ? dir_of(from->name)
                                    : ".")
                             : AS_CSTRING(vm->import_paths->items[i - 1]);
    StrBuf p;
    strbuf_init(&p);
    strbuf_printf(&p, "%s/%s", dir, file.data);
    if (access(p.data, R_OK) == 0 && realpath(p.data, resolved))
      return mem_strdup(resolved);
  }
  return NULL;
}

/* A new namespace for the module read from src. */
static int new_module(VM *vm, const Source *src) {
  if (vm->nmodules == vm->cap_modules) {
    int cap = vm->cap_modules ? vm->cap_modules * 2 : 8;
    const Source **m = mem_alloc((size_t)cap * sizeof *m);
    if (vm->nmodules)
      memcpy(m, vm->module_src, (size_t)vm->nmodules * sizeof *m);
    vm->module_src = m;
    vm->cap_modules = cap;
  }
  vm->module_src[vm->nmodules++] = src;
  return vm->nmodules;
}

/* Runs the module (once per VM) in its own namespace, then links its
 * names into the namespace of the file that imports it. */
static bool import_module(VM *vm, const Source *from, ObjString *name) {
  char *path = resolve_module(vm, from, name->chars);
  if (!path)
    return vm_error(vm, "cannot find module '%s' (looked next to this file, "
                        "in $PPL_PATH and in the standard library)",
                    name->chars);
  int into = vm_source_namespace(vm, from);
  ObjString *key = string_from_cstr(path);
  Value seen;
  if (table_get(&vm->imported, key, &seen)) {
    link_exports(vm, (int)AS_NUM(seen), into);
    return true;
  }
  Source *src = source_read_file(path);
  if (!src)
    return vm_error(vm, "cannot read module '%s': %s", path, strerror(errno));
  int ns = new_module(vm, src);
  table_set(&vm->imported, key, NUM_VAL(ns));
  ObjFunction *fn = compile_source(vm, src, COMPILE_GLOBALS);
  if (!fn) {
    table_delete(&vm->imported, key);
    return vm_error(vm, "module '%s' has errors (shown above)", name->chars);
  }
  Value ignored;
  if (!vm_call(vm, OBJ_VAL(closure_new(fn)), 0, NULL, &ignored))
    return false;
  link_exports(vm, ns, into);
  return true;
}

/* ---- lifetime --------------------------------------------------------- */

static void add_default_import_paths(VM *vm) {
  const char *env = getenv("PPL_PATH");
  if (env && *env) {
    char *copy = mem_strdup(env);
    for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir;
         dir = strtok_r(NULL, ":", &save))
      vm_add_import_path(vm, dir);
  }
  vm_add_import_path(vm, PPL_STDLIB_SRCDIR);
  vm_add_import_path(vm, PPL_STDLIB_DIR);
}

VM *vm_new(FILE *err) {
  gsl_set_error_handler_off(); /* GSL's default handler aborts the process */
  VM *vm = mem_alloc(sizeof(VM));
  vm->stack = mem_alloc_roots(STACK_MAX * sizeof(Value));
  vm->sp = vm->stack;
  vm->frames = mem_alloc_roots(FRAMES_MAX * sizeof(CallFrame));
  vm->err = err;
  vm->out = stdout;
  table_init(&vm->global_index);
  table_init(&vm->builtins);
  table_init(&vm->imported);
  vm->import_paths = list_new(4);
  vm->rng = rng_alloc(rng_entropy_seed());
  add_default_import_paths(vm);
  vm_set_args(vm, 0, NULL);
  builtin_register_all(vm);
  snapshot_builtins(vm);
  return vm;
}

void vm_free(VM *vm) {
  if (!vm)
    return;
  rng_free(vm->rng);
  vm->rng = NULL;
  mem_free_roots(vm->stack, STACK_MAX * sizeof(Value));
  mem_free_roots(vm->frames, FRAMES_MAX * sizeof(CallFrame));
  vm->stack = NULL;
  vm->frames = NULL;
}
