/*
 * vm.h — the virtual machine: globals, running compiled code, calling
 * functions from C, runtime errors.
 *
 * A runtime error is a value that travels back through the VM (no longjmp
 * across GSL, libffi or readline frames): a native calls vm_error() and
 * returns false; the dispatch loop unwinds to the nearest vm_interpret or
 * vm_call, which reports it with file:line:col, the source line, a caret and
 * a stack trace. Globals survive errors (the REPL keeps everything).
 */
#ifndef PPL_VM_H
#define PPL_VM_H

#include <stdio.h>

#include "object.h"
#include "source.h"

typedef struct VM VM;
typedef struct Rng Rng;

typedef enum {
  VM_OK = 0,
  VM_COMPILE_ERROR,
  VM_RUNTIME_ERROR,
} VMResult;

/* A new VM with every builtin registered. err receives diagnostics (stderr
 * in the binary; a memory stream in tests). Free with vm_free. */
VM *vm_new(FILE *err);
void vm_free(VM *vm);

/* Compiles and runs a unit. With echo (the REPL) the value of a final
 * expression statement is printed unless it is nil. *result (may be NULL)
 * receives the unit's value. */
VMResult vm_interpret(VM *vm, const Source *src, bool echo, Value *result);

/* Runs a file (reads it; an unreadable file is a runtime error naming the
 * path); its top-level definitions become globals (the REPL's :load). */
VMResult vm_run_file(VM *vm, const char *path);

/* Runs the main program (a file or -e): as vm_interpret without echo, but
 * top-level variables no function refers to may live in the script's
 * frame instead of the globals, which makes top-level loops fast. */
VMResult vm_run_script(VM *vm, const Source *src);

/* Calls a ppl closure or native from C (higher-order builtins). Returns
 * false when the call raised an error, which stays pending: the caller
 * should return false itself so the error travels on. */
bool vm_call(VM *vm, Value callee, int argc, const Value *argv, Value *result);

/* Sets the pending runtime error message; always returns false so natives
 * can `return vm_error(vm, ...)`. The position is the instruction being
 * executed; the message should say what and which argument. */
bool vm_error(VM *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Globals of the main program's namespace by name (defining creates the
 * slot). */
void vm_define_global(VM *vm, const char *name, Value v);
bool vm_get_global(VM *vm, const char *name, Value *out);
/* The builtin called name as registered, whatever the program has since
 * bound to that name: for natives that call other builtins. */
bool vm_get_builtin(VM *vm, const char *name, Value *out);
/* Calls fn for every defined global name of the main program's namespace
 * (completion, :help). */
void vm_each_global(VM *vm, void (*fn)(const char *name, Value v, void *ctx),
                    void *ctx);

/* Compiler support: the slot of global `name` in namespace ns (created
 * undefined when new), whether it holds a value, and the defined global
 * closest to name. Each imported module compiles in a namespace of its own
 * (a number > 0; 0 is the main program's, the REPL's and :load's):
 * vm_source_namespace gives the namespace of the unit read from src. In a
 * module, a builtin's name starts out bound to the builtin. */
int vm_source_namespace(VM *vm, const Source *src);
int vm_namespace_slot(VM *vm, int ns, const char *name);
bool vm_global_defined(VM *vm, int slot);
const char *vm_global_name(VM *vm, int slot);
const char *vm_suggest_global(VM *vm, const char *name);

/* How the model library takes part in running a model block (model.c
 * registers these; the VM knows nothing of models otherwise):
 *  bind           a model closure was called outside a binding: args holds
 *                 its arity parameters (UNDEF where a default applies);
 *                 the hook runs the body with vm_call, with its own context
 *                 set (vm_set_model_context), and returns the bound model;
 *  tilde          `name ~ dist` ran; observed is the variable's current
 *                 value (data) or UNDEF (a free variable); *out becomes
 *                 the variable's value in the rest of the body;
 *  tilde_indexed  `name[index] ~ dist` with name bound to data;
 *  deterministic  `let name = v` at the top of a model body;
 *  apply_lists    a builtin was called, while a body is being bound, with
 *                 a list among its arguments and no handle argument that
 *                 took the call: it may build a graph node from model
 *                 variables inside the lists (concat([a, b])), or pass. */
typedef struct ModelHooks {
  bool (*bind)(VM *vm, ObjClosure *model, const Value *args, int nargs,
               Value *out);
  bool (*tilde)(VM *vm, ObjString *name, Value dist, Value observed,
                Value *out);
  bool (*tilde_indexed)(VM *vm, ObjString *name, Value dist, Value data,
                        Value index);
  bool (*deterministic)(VM *vm, ObjString *name, Value v, Value *out);
  ApplyResult (*apply_lists)(VM *vm, const ObjNative *fn,
                             const CallArgs *args, Value *out);
} ModelHooks;

void vm_set_model_hooks(VM *vm, const ModelHooks *hooks);
/* The binding in progress (NULL outside one). */
void vm_set_model_context(VM *vm, void *ctx);
void *vm_model_context(VM *vm);

/* The source position (file name and line) of the instruction running in
 * the innermost frame, for messages that name a model line. */
const char *vm_current_file(VM *vm);
int vm_current_line(VM *vm);

/* The VM's default random stream (seeded from the clock unless
 * set_seed() was called). */
Rng *vm_rng(VM *vm);

/* Where diagnostics and program output go. */
FILE *vm_err(VM *vm);
FILE *vm_out(VM *vm);
void vm_set_out(VM *vm, FILE *out);

/* Asks the running computation to stop at the next safe point (backward
 * jump, call, or a native polling vm_interrupted); it then fails with
 * "interrupted". Async-signal-safe: the REPL's SIGINT handler calls it. */
void vm_interrupt(VM *vm);
bool vm_interrupted(VM *vm);
void vm_clear_interrupt(VM *vm);

/* Command-line arguments visible to scripts as the global `args`. */
void vm_set_args(VM *vm, int argc, char **argv);

/* Directory list searched by `import` before the importing file's own
 * directory: $PPL_PATH entries, then the installed and source stdlib. */
void vm_add_import_path(VM *vm, const char *dir);

#endif
