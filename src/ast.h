/*
 * ast.h — the syntax tree the parser builds and the compiler walks.
 *
 * One node type with a few generic slots whose meaning depends on the kind;
 * the table below is the contract between parse.c and compile.c. Every node
 * has the line and column of the token that best identifies it (for errors):
 * the operator of a unary/binary node, the '(' of a call, the '[' of an
 * index, the name of a field access, otherwise the node's first token.
 * Nodes live on the GC heap; strings are NUL-terminated GC copies.
 *
 *  kind            fields used
 *  --------------  ----------------------------------------------------------
 *  AST_NUMBER      num
 *  AST_STRING      str, str_len (escapes already decoded)
 *  AST_TRUE/FALSE/NIL
 *  AST_NAME        str = identifier
 *  AST_UNARY       op (TOK_MINUS, TOK_PLUS, TOK_NOT, TOK_BANG), a = operand
 *  AST_BINARY      op (TOK_PLUS .. TOK_AT arithmetic tokens), a, b
 *  AST_COMPARE     chain a op1 b op2 c ...: list = operands (n >= 2),
 *                  ops[i] = TokenKind between list[i] and list[i+1]
 *                  (TOK_EQEQ TOK_BANGEQ TOK_LT TOK_LE TOK_GT TOK_GE)
 *  AST_AND/AST_OR  a, b (short-circuit; `and`/`&&`, `or`/`||`)
 *  AST_CALL        a = callee, list = positional args,
 *                  names[i]/list2[i] = keyword args (nnames of them)
 *  AST_INDEX       a = target, list = indices (each an expression or an
 *                  AST_SLICE): v[i], m[i, j], m[:, j]
 *  AST_SLICE       a = start, b = stop, c = step; each may be NULL
 *  AST_FIELD       a = target, str = field name  (r.name)
 *  AST_LIST        list = items: [a, b, c] (a vector when all are numbers
 *                  at run time, else a list)
 *  AST_RECORD      names[i] = key, list[i] = value  ({a: 1, "b c": 2})
 *  AST_FUNC        str = name or NULL (anonymous), names = parameter names
 *                  (nnames), list2[i] = default expression of parameter i or
 *                  NULL (required; required ones come first, else a parse
 *                  error), a = body (AST_BLOCK). The body's value is the
 *                  value of a `return`, else of its last expression
 *                  statement, else nil.
 *  AST_IF          a = condition, b = then block, c = else block, an AST_IF
 *                  (else if) or NULL. Also an expression: its value is the
 *                  last expression statement of the branch taken (nil when
 *                  there is none, or no else).
 *  --- statements ---
 *  AST_EXPR_STMT   a = expression
 *  AST_LET         str = name, a = initialiser or NULL (nil)
 *  AST_ASSIGN      a = target (AST_NAME, AST_INDEX or AST_FIELD), b = value,
 *                  op = TOK_EQ or a compound (TOK_PLUSEQ, TOK_MINUSEQ,
 *                  TOK_STAREQ, TOK_SLASHEQ)
 *  AST_BLOCK       list = statements
 *  AST_WHILE       a = condition, b = body block
 *  AST_FOR         str = loop variable, a = iterable, b = body block
 *  AST_BREAK, AST_CONTINUE
 *  AST_RETURN      a = value or NULL
 *  AST_FN_DECL     a = AST_FUNC with its name (`fn name(...) { ... }`)
 *  AST_MODEL       str = name, names/nnames = parameters, list2 = defaults
 *                  (as AST_FUNC), a = body block
 *  AST_TILDE       a = left side (AST_NAME, or AST_INDEX such as y[i]),
 *                  b = right side (usually a call: Normal(mu, sigma))
 *  AST_IMPORT      str = module name or path as written
 *  AST_PROGRAM     list = top-level statements
 */
#ifndef PPL_AST_H
#define PPL_AST_H

#include <stddef.h>
#include <stdio.h>

#include "lex.h"

#define AST_KINDS(X)                                                         \
  X(NUMBER) X(STRING) X(TRUE) X(FALSE) X(NIL) X(NAME) X(UNARY) X(BINARY)      \
  X(COMPARE) X(AND) X(OR) X(CALL) X(INDEX) X(SLICE) X(FIELD) X(LIST)          \
  X(RECORD) X(FUNC) X(IF) X(EXPR_STMT) X(LET) X(ASSIGN) X(BLOCK) X(WHILE)     \
  X(FOR) X(BREAK) X(CONTINUE) X(RETURN) X(FN_DECL) X(MODEL) X(TILDE)          \
  X(IMPORT) X(PROGRAM)

typedef enum {
#define X(kind) AST_##kind,
  AST_KINDS(X)
#undef X
} AstKind;

typedef struct Ast Ast;

typedef struct AstList {
  Ast **items;
  int count;
  int cap;
} AstList;

struct Ast {
  AstKind kind;
  int line;
  int col;
  TokenKind op;
  double num;
  const char *str;
  size_t str_len;
  Ast *a, *b, *c;
  AstList list;
  AstList list2;
  const char **names;
  int nnames;
  TokenKind *ops; /* AST_COMPARE: list.count - 1 operators */
};

/* A zeroed node of the given kind at line:col. */
Ast *ast_new(AstKind kind, int line, int col);
void ast_list_push(AstList *l, Ast *node);
/* Appends a name to node->names (growing it). */
void ast_push_name(Ast *node, const char *name);
/* "NUMBER", "CALL", ... */
const char *ast_kind_name(AstKind kind);
/* An indented S-expression dump, for parser tests and debugging. */
void ast_dump(FILE *out, const Ast *node, int indent);

#endif
