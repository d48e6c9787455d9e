/*
 * ast.c — syntax-tree nodes: construction, growable child lists, and a dump
 * as an S-expression for parser tests and debugging.
 *
 * Dump format: each node is "(KIND attributes children...)", with operators
 * spelled as written ("(BINARY + (NAME x) (NUMBER 1))"). Expressions print on
 * one line; the statements of a PROGRAM or BLOCK go one per line, indented
 * two spaces deeper than the block. A missing optional child prints as "_".
 *   (IF (NAME c) (BLOCK
 *     (EXPR_STMT (NUMBER 1))) _)
 */
#include <config.h>
#include "ast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "mem.h"

/* First capacity of a child or name list; lists double from there. */
enum { AST_LIST_MIN_CAP = 4 };

Ast *ast_new(AstKind kind, int line, int col) {
  Ast *node = mem_alloc(sizeof *node);
  node->kind = kind;
  node->line = line;
  node->col = col;
  return node;
}

void ast_list_push(AstList *l, Ast *node) {
  if (l->count == l->cap) {
    int cap = l->cap ? l->cap * 2 : AST_LIST_MIN_CAP;
    l->items = l->items ? mem_realloc(l->items, (size_t)cap * sizeof(Ast *))
                        : mem_alloc((size_t)cap * sizeof(Ast *));
    l->cap = cap;
  }
  l->items[l->count++] = node;
}

/* Names grow by doubling; the capacity is implied by the count (the next
 * power of two, at least AST_LIST_MIN_CAP) since Ast keeps no field for it. */
static bool names_full(int n) {
  return n == 0 || (n >= AST_LIST_MIN_CAP && (n & (n - 1)) == 0);
}

void ast_push_name(Ast *node, const char *name) {
  int n = node->nnames;
  if (names_full(n)) {
    int cap = n == 0 ? AST_LIST_MIN_CAP : n * 2;
    const char **names = mem_alloc((size_t)cap * sizeof(const char *));
    if (n > 0)
      memcpy(names, node->names, (size_t)n * sizeof(const char *));
    node->names = names;
  }
  node->names[n] = name;
  node->nnames = n + 1;
}

static const char *const kind_names[] = {
#define X(kind) #kind,
    AST_KINDS(X)
#undef X
};

const char *ast_kind_name(AstKind kind) {
  if ((int)kind < 0 || (size_t)kind >= sizeof kind_names / sizeof kind_names[0])
    return "?";
  return kind_names[kind];
}

/* ---- dump ---- */

/* "+" from "'+'"; "and" from "'and'". */
static void put_op(FILE *out, TokenKind op) {
  const char *s = lex_token_name(op);
  size_t n = strlen(s);
  if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'')
    fprintf(out, "%.*s", (int)(n - 2), s + 1);
  else
    fputs(s, out);
}

static void put_quoted(FILE *out, const char *s, size_t len) {
  fputc('"', out);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"':
      fputs("\\\"", out);
      break;
    case '\\':
      fputs("\\\\", out);
      break;
    case '\n':
      fputs("\\n", out);
      break;
    case '\t':
      fputs("\\t", out);
      break;
    case '\r':
      fputs("\\r", out);
      break;
    default:
      if (c < 0x20 || c == 0x7F)
        fprintf(out, "\\x%02X", c);
      else
        fputc(c, out);
    }
  }
  fputc('"', out);
}

/* Integers below this print without an exponent (2^53: exact in a double). */
#define AST_DUMP_EXACT_INT 9007199254740992.0

/* The shortest %g form that reads back as the same double. */
static void put_number(FILE *out, double x) {
  char buf[32];
  if (x == (double)(long long)x && fabs(x) < AST_DUMP_EXACT_INT) {
    fprintf(out, "%lld", (long long)x);
    return;
  }
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (strtod(buf, NULL) == x || isnan(x))
      break;
  }
  fputs(buf, out);
}

static void dump_node(FILE *out, const Ast *node, int indent);

static void dump_child(FILE *out, const Ast *node, int indent) {
  fputc(' ', out);
  if (node)
    dump_node(out, node, indent);
  else
    fputc('_', out);
}

static void dump_list(FILE *out, const AstList *l, int indent) {
  for (int i = 0; i < l->count; i++)
    dump_child(out, l->items[i], indent);
}

/* Statements one per line, two spaces deeper than the block. */
static void dump_statements(FILE *out, const AstList *l, int indent) {
  for (int i = 0; i < l->count; i++) {
    fprintf(out, "\n%*s", indent + 2, "");
    if (l->items[i])
      dump_node(out, l->items[i], indent + 2);
    else
      fputc('_', out);
  }
}

static const char *name_at(const Ast *node, int i) {
  return node->names && i < node->nnames && node->names[i] ? node->names[i]
                                                           : "?";
}

/* (PARAM a) or (PARAM b default) for each parameter of a FUNC or MODEL. */
static void dump_params(FILE *out, const Ast *node, int indent) {
  for (int i = 0; i < node->nnames; i++) {
    fprintf(out, " (PARAM %s", name_at(node, i));
    if (i < node->list2.count && node->list2.items[i])
      dump_child(out, node->list2.items[i], indent);
    fputc(')', out);
  }
}

static void dump_call(FILE *out, const Ast *node, int indent) {
  dump_child(out, node->a, indent);
  dump_list(out, &node->list, indent);
  for (int i = 0; i < node->nnames; i++) {
    fprintf(out, " (KW %s", name_at(node, i));
    dump_child(out, i < node->list2.count ? node->list2.items[i] : NULL,
               indent);
    fputc(')', out);
  }
}

static void dump_record(FILE *out, const Ast *node, int indent) {
  for (int i = 0; i < node->nnames; i++) {
    const char *key = name_at(node, i);
    fputs(" (KEY ", out);
    put_quoted(out, key, strlen(key));
    dump_child(out, i < node->list.count ? node->list.items[i] : NULL, indent);
    fputc(')', out);
  }
}

static void dump_compare(FILE *out, const Ast *node, int indent) {
  for (int i = 0; i < node->list.count; i++) {
    if (i > 0 && node->ops) {
      fputc(' ', out);
      put_op(out, node->ops[i - 1]);
    }
    dump_child(out, node->list.items[i], indent);
  }
}

static void dump_fields(FILE *out, const Ast *node, int indent) {
  switch (node->kind) {
  case AST_NUMBER:
    fputc(' ', out);
    put_number(out, node->num);
    break;
  case AST_STRING:
    fputc(' ', out);
    put_quoted(out, node->str ? node->str : "", node->str ? node->str_len : 0);
    break;
  case AST_IMPORT:
    fputc(' ', out);
    put_quoted(out, node->str ? node->str : "",
               node->str ? strlen(node->str) : 0);
    break;
  case AST_NAME:
  case AST_BREAK:
  case AST_CONTINUE:
  case AST_TRUE:
  case AST_FALSE:
  case AST_NIL:
    if (node->str)
      fprintf(out, " %s", node->str);
    break;
  case AST_UNARY:
  case AST_BINARY:
    fputc(' ', out);
    put_op(out, node->op);
    dump_child(out, node->a, indent);
    if (node->kind == AST_BINARY)
      dump_child(out, node->b, indent);
    break;
  case AST_COMPARE:
    dump_compare(out, node, indent);
    break;
  case AST_AND:
  case AST_OR:
  case AST_TILDE:
  case AST_WHILE:
    dump_child(out, node->a, indent);
    dump_child(out, node->b, indent);
    break;
  case AST_CALL:
    dump_call(out, node, indent);
    break;
  case AST_INDEX:
    dump_child(out, node->a, indent);
    dump_list(out, &node->list, indent);
    break;
  case AST_SLICE:
  case AST_IF:
    dump_child(out, node->a, indent);
    dump_child(out, node->b, indent);
    dump_child(out, node->c, indent);
    break;
  case AST_FIELD:
    dump_child(out, node->a, indent);
    fprintf(out, " %s", node->str ? node->str : "?");
    break;
  case AST_LIST:
    dump_list(out, &node->list, indent);
    break;
  case AST_RECORD:
    dump_record(out, node, indent);
    break;
  case AST_FUNC:
  case AST_MODEL:
    fprintf(out, " %s", node->str ? node->str : "_");
    dump_params(out, node, indent);
    dump_child(out, node->a, indent);
    break;
  case AST_EXPR_STMT:
  case AST_RETURN:
  case AST_FN_DECL:
    if (node->a || node->kind != AST_RETURN)
      dump_child(out, node->a, indent);
    break;
  case AST_LET:
    fprintf(out, " %s", node->str ? node->str : "?");
    if (node->a)
      dump_child(out, node->a, indent);
    break;
  case AST_ASSIGN:
    fputc(' ', out);
    put_op(out, node->op);
    dump_child(out, node->a, indent);
    dump_child(out, node->b, indent);
    break;
  case AST_FOR:
    fprintf(out, " %s", node->str ? node->str : "?");
    dump_child(out, node->a, indent);
    dump_child(out, node->b, indent);
    break;
  case AST_BLOCK:
  case AST_PROGRAM:
    dump_statements(out, &node->list, indent);
    break;
  }
}

static void dump_node(FILE *out, const Ast *node, int indent) {
  fprintf(out, "(%s", ast_kind_name(node->kind));
  dump_fields(out, node, indent);
  fputc(')', out);
}

void ast_dump(FILE *out, const Ast *node, int indent) {
  if (indent < 0)
    indent = 0;
  fprintf(out, "%*s", indent, "");
  if (node)
    dump_node(out, node, indent);
  else
    fputc('_', out);
  fputc('\n', out);
}
