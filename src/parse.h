/*
 * parse.h — recursive-descent parser (Pratt for expressions) from tokens to
 * an AST.
 *
 * Precedence, loosest to tightest, as in Python:
 *   or/|| ; and/&& ; not/! ; comparisons (chained: a < b < c) ;
 *   + - ; * / // % @ ; unary - + ; ** (right-assoc, binds tighter than a
 *   unary minus on its left: -2**2 == -4) ; call, index, field.
 * Syntax errors are reported (report.h) with file:line:col and a caret, and
 * the parser recovers at the next statement boundary to report up to
 * PARSE_MAX_ERRORS of them.
 */
#ifndef PPL_PARSE_H
#define PPL_PARSE_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"

enum { PARSE_MAX_ERRORS = 20 };

/* Parses a whole unit. Returns the AST_PROGRAM, or NULL after printing every
 * error to err (*nerrors receives their number). */
Ast *parse_program(const Source *src, FILE *err, int *nerrors);

/* True when text stops in the middle of something: an open (, [ or {, an
 * unterminated string, or a trailing binary operator or comma. The REPL then
 * asks for a continuation line instead of reporting an error. */
bool parse_incomplete(const char *text);

#endif
