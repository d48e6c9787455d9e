/*
 * compile.h — AST to bytecode.
 *
 * Locals live in stack slots of their function's frame; captured locals
 * become upvalues (closures as in Lua and clox). Top-level `let`, `fn` and
 * `model` define globals, which the VM keeps in an array indexed by slot
 * numbers the compiler resolves once (vm_namespace_slot), so the REPL's
 * later entries see earlier definitions. A module imported by `import` has
 * a namespace of its own (see vm.c).
 */
#ifndef PPL_COMPILE_H
#define PPL_COMPILE_H

#include <stdio.h>

#include "ast.h"
#include "object.h"
#include "source.h"

/* How a unit's top level is compiled:
 *  COMPILE_GLOBALS  top-level `let`s define globals (modules, :load);
 *  COMPILE_REPL     as COMPILE_GLOBALS, and a final expression statement's
 *                   value becomes the unit's value (the REPL echoes it);
 *  COMPILE_SCRIPT   the main program: a top-level `let` that no function of
 *                   the unit refers to is a local of the script's frame,
 *                   so loops at the top level run at local-variable speed.
 */
typedef enum { COMPILE_GLOBALS, COMPILE_REPL, COMPILE_SCRIPT } CompileMode;

/* Compiles a parsed unit into its top-level function. Errors are reported
 * to err; returns NULL if any. */
ObjFunction *compile_program(VM *vm, const Ast *program, const Source *src,
                             CompileMode mode, FILE *err);

#endif
