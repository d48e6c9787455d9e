/*
 * compile.h — AST to bytecode.
 *
 * Locals live in stack slots of their function's frame; captured locals
 * become upvalues (closures as in Lua and clox). Top-level `let`, `fn` and
 * `model` define globals, which the VM keeps in an array indexed by slot
 * numbers the compiler resolves once (vm_global_slot), so the REPL's later
 * entries see earlier definitions.
 */
#ifndef PPL_COMPILE_H
#define PPL_COMPILE_H

#include <stdio.h>

#include "ast.h"
#include "object.h"
#include "source.h"

/* Compiles a parsed unit into its top-level function. With echo, a final
 * expression statement's value becomes the function's return value (the
 * REPL prints it). Errors are reported to err; returns NULL if any. */
ObjFunction *compile_program(VM *vm, const Ast *program, const Source *src,
                             bool echo, FILE *err);

#endif
