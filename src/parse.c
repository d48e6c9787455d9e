/*
 * parse.c — recursive-descent parser for statements, Pratt parser for
 * expressions (Pratt 1973; the layout follows clox's compiler.c and Lua's
 * lparser.c: one function per grammar rule, its rule in the first comment).
 *
 * The parser keeps one token of lookahead (cur) and peeks one further by
 * lexing from a copy of the lexer (the Lexer is a plain value), which is
 * needed only for `fn name` versus `fn (` and for an `else` on the line after
 * a '}'. Every token is lexed at most twice, so parsing is linear in the
 * input.
 *
 * Errors: the first error in a statement sets `panic`, which silences the
 * cascade that usually follows; at the end of the statement the parser skips
 * to the next statement boundary (a newline or ';' outside braces, or the
 * '}' of the enclosing block) and reports again from there. After
 * PARSE_MAX_ERRORS errors, or when nesting exceeds PARSE_MAX_DEPTH, `stop`
 * makes the lexer look exhausted so every rule unwinds at once. Rules never
 * return NULL for an expression: after an error they return a NIL
 * placeholder, so no caller needs to check. Lexer error tokens are reported
 * in advance() and never reach the grammar.
 *
 * Invariants checked here rather than in the compiler: assignment targets
 * are names, indices or fields; `~` targets are names or indices; default
 * parameter values come last; names do not repeat in a parameter list,
 * keyword arguments or a record literal; `break`/`continue` are inside a
 * loop and `return` inside a function (not directly inside a model).
 */
#include <config.h>
#include "parse.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "report.h"

/* Nesting of expressions and blocks the parser accepts; CPython's parser
 * has the same limit of 200 nested parentheses. Keeps the C stack small for
 * REPL threads and garbage input. */
enum { PARSE_MAX_DEPTH = 200 };
/* A name or number quoted in a message is cut to this many bytes. */
enum { PARSE_QUOTE_MAX = 32 };
/* First capacity of a NameSet (a power of two). */
enum { NAMESET_MIN_CAP = 16 };

typedef enum {
  PREC_NONE,
  PREC_OR,      /* or || */
  PREC_AND,     /* and && */
  PREC_NOT,     /* not ! (prefix) */
  PREC_COMPARE, /* == != < <= > >= (chained) */
  PREC_TERM,    /* + - */
  PREC_FACTOR,  /* * / // % @ */
  PREC_UNARY,   /* - + (prefix) */
  PREC_POWER,   /* ** (right-associative) */
  PREC_CALL,    /* () [] . */
} Prec;

typedef struct Parser {
  Lexer lx;
  const Source *src;
  FILE *err;
  Token cur;  /* lookahead */
  Token last; /* the last consumed token that is not a NEWLINE */
  int nerrors;
  bool panic; /* an error was reported in this statement */
  bool stop;  /* too many errors or too deep: unwind */
  int depth;  /* current nesting of expressions and blocks */
  int braces; /* '{' consumed minus '}' consumed */
  int loop_depth;
  int fn_depth;
  bool in_model; /* directly inside a model body (not a nested fn) */
} Parser;

/* ---- names ---- */

/* An open-addressing set of names, to catch repeats in linear time. */
typedef struct NameSet {
  const char **slots;
  size_t cap;
  size_t count;
} NameSet;

static uint64_t hash_name(const char *s) {
  uint64_t h = 14695981039346656037ULL; /* FNV-1a, 64-bit */
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

static void nameset_insert(const char **slots, size_t cap, const char *name) {
  size_t i = (size_t)hash_name(name) & (cap - 1);
  while (slots[i])
    i = (i + 1) & (cap - 1);
  slots[i] = name;
}

/* Adds name; false when it was already there. */
static bool nameset_add(NameSet *s, const char *name) {
  if (s->cap == 0 || 2 * (s->count + 1) > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : NAMESET_MIN_CAP;
    const char **slots = mem_alloc(cap * sizeof *slots);
    for (size_t i = 0; i < s->cap; i++)
      if (s->slots[i])
        nameset_insert(slots, cap, s->slots[i]);
    s->slots = slots;
    s->cap = cap;
  }
  size_t i = (size_t)hash_name(name) & (s->cap - 1);
  while (s->slots[i]) {
    if (strcmp(s->slots[i], name) == 0)
      return false;
    i = (i + 1) & (s->cap - 1);
  }
  s->slots[i] = name;
  s->count++;
  return true;
}

static char *copy_text(const char *s, size_t len) {
  char *copy = mem_alloc_atomic(len + 1);
  memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}

static bool is_keyword(TokenKind k) { return k >= TOK_AND && k <= TOK_IMPORT; }

/* A name token, or a keyword where any word will do (fields, record keys). */
static bool is_word(TokenKind k) { return k == TOK_IDENT || is_keyword(k); }

/* How a token reads in "found ..." */
static const char *describe(const Token *t) {
  switch (t->kind) {
  case TOK_IDENT:
  case TOK_NUMBER: {
    size_t n = t->len < PARSE_QUOTE_MAX ? t->len : PARSE_QUOTE_MAX;
    char *s = mem_alloc_atomic(n + 6);
    snprintf(s, n + 6, "'%.*s%s'", (int)n, t->start,
             t->len > PARSE_QUOTE_MAX ? "..." : "");
    return s;
  }
  default:
    return lex_token_name(t->kind);
  }
}

/* ---- errors ---- */

static void verror_at(Parser *p, int line, int col, const char *fmt,
                      va_list ap) {
  if (p->panic || p->stop)
    return;
  p->panic = true;
  p->nerrors++;
  if (p->err)
    report_vat(p->err, REPORT_ERROR, p->src, line, col, fmt, ap);
  if (p->nerrors >= PARSE_MAX_ERRORS) {
    p->stop = true;
    if (p->err)
      report_at(p->err, REPORT_NOTE, p->src, 0, 0,
                "too many errors; stopping after %d", p->nerrors);
  }
}

static void error_at(Parser *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void error_at(Parser *p, int line, int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verror_at(p, line, col, fmt, ap);
  va_end(ap);
}

/* Line and column just after token t (strings may span lines). */
static void token_end(const Token *t, int *line, int *col) {
  *line = t->line;
  *col = t->col;
  for (size_t i = 0; i < t->len; i++) {
    if (t->start[i] == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}

static bool at_line_end(const Token *t) {
  return t->kind == TOK_NEWLINE || t->kind == TOK_EOF;
}

/* An error about what was found at cur; at a line end it points just after
 * the last token instead. */
static void error_at_cur(Parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void error_at_cur(Parser *p, const char *fmt, ...) {
  int line = p->cur.line, col = p->cur.col;
  if (at_line_end(&p->cur) && p->last.start)
    token_end(&p->last, &line, &col);
  va_list ap;
  va_start(ap, fmt);
  verror_at(p, line, col, fmt, ap);
  va_end(ap);
}

/* An error about something missing: points at cur when it is on the same
 * line as the last token, else just after the last token (where the
 * missing thing belongs, as in "f(a, b" at the end of the input). */
static void error_missing(Parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void error_missing(Parser *p, const char *fmt, ...) {
  int line = p->cur.line, col = p->cur.col;
  if (p->last.start) {
    int end_line, end_col;
    token_end(&p->last, &end_line, &end_col);
    if (at_line_end(&p->cur) || p->cur.line != end_line) {
      line = end_line;
      col = end_col;
    }
  }
  va_list ap;
  va_start(ap, fmt);
  verror_at(p, line, col, fmt, ap);
  va_end(ap);
}

/* ---- tokens ---- */

static void advance(Parser *p) {
  if (p->cur.kind != TOK_NEWLINE && p->cur.start)
    p->last = p->cur;
  if (p->cur.kind == TOK_LBRACE)
    p->braces++;
  else if (p->cur.kind == TOK_RBRACE)
    p->braces--;
  for (;;) {
    if (p->stop) {
      p->cur.kind = TOK_EOF;
      p->cur.len = 0;
      return;
    }
    p->cur = lex_next(&p->lx);
    if (p->cur.kind != TOK_ERROR)
      return;
    error_at(p, p->cur.line, p->cur.col, "%s", p->cur.error);
    p->last = p->cur;
  }
}

static bool check(const Parser *p, TokenKind kind) {
  return p->cur.kind == kind;
}

static bool match(Parser *p, TokenKind kind) {
  if (!check(p, kind))
    return false;
  advance(p);
  return true;
}

/* The token after cur. */
static Token peek(const Parser *p) {
  Lexer copy = p->lx;
  return lex_next(&copy);
}

static void skip_newlines(Parser *p) {
  while (check(p, TOK_NEWLINE))
    advance(p);
}

static bool enter(Parser *p) {
  if (++p->depth <= PARSE_MAX_DEPTH)
    return true;
  error_at(p, p->cur.line, p->cur.col,
           "this is nested too deeply (more than %d levels)", PARSE_MAX_DEPTH);
  p->stop = true;
  return false;
}

static void leave(Parser *p) { p->depth--; }

static Ast *node_at(AstKind kind, const Token *t) {
  return ast_new(kind, t->line, t->col);
}

/* What an expression rule returns after an error. */
static Ast *placeholder(const Parser *p) { return node_at(AST_NIL, &p->cur); }

static const char *token_text(const Token *t) {
  return copy_text(t->start, t->len);
}

/* ---- expressions ---- */

static Ast *expression(Parser *p);
static Ast *parse_precedence(Parser *p, Prec min);
static Ast *block(Parser *p, const char *context);
static Ast *if_expr(Parser *p);
static void params(Parser *p, Ast *node);

static Prec infix_prec(TokenKind k) {
  switch (k) {
  case TOK_OR:
  case TOK_OROR:
    return PREC_OR;
  case TOK_AND:
  case TOK_ANDAND:
    return PREC_AND;
  case TOK_EQEQ:
  case TOK_BANGEQ:
  case TOK_LT:
  case TOK_LE:
  case TOK_GT:
  case TOK_GE:
    return PREC_COMPARE;
  case TOK_PLUS:
  case TOK_MINUS:
    return PREC_TERM;
  case TOK_STAR:
  case TOK_SLASH:
  case TOK_SLASHSLASH:
  case TOK_PERCENT:
  case TOK_AT:
    return PREC_FACTOR;
  case TOK_STARSTAR:
    return PREC_POWER;
  case TOK_LPAREN:
  case TOK_LBRACKET:
  case TOK_DOT:
    return PREC_CALL;
  default:
    return PREC_NONE;
  }
}

/* literal -> NUMBER | STRING | 'true' | 'false' | 'nil' | NAME */
static Ast *literal(Parser *p) {
  Token t = p->cur;
  advance(p);
  Ast *node;
  switch (t.kind) {
  case TOK_NUMBER:
    node = node_at(AST_NUMBER, &t);
    node->num = t.num;
    return node;
  case TOK_STRING:
    node = node_at(AST_STRING, &t);
    node->str = lex_string_value(&t, &node->str_len);
    return node;
  case TOK_TRUE:
    return node_at(AST_TRUE, &t);
  case TOK_FALSE:
    return node_at(AST_FALSE, &t);
  case TOK_NIL:
    return node_at(AST_NIL, &t);
  default:
    node = node_at(AST_NAME, &t);
    node->str = token_text(&t);
    return node;
  }
}

/* grouping -> '(' expr ')' */
static Ast *grouping(Parser *p) {
  advance(p);
  Ast *e = expression(p);
  if (!match(p, TOK_RPAREN))
    error_missing(p, "expected ')' after the expression");
  return e;
}

/* unary -> ('-' | '+') expr<unary> | ('not' | '!') expr<not> */
static Ast *unary(Parser *p) {
  Token op = p->cur;
  advance(p);
  Ast *node = node_at(AST_UNARY, &op);
  node->op = op.kind;
  Prec operand =
      op.kind == TOK_MINUS || op.kind == TOK_PLUS ? PREC_UNARY : PREC_NOT;
  node->a = parse_precedence(p, operand);
  return node;
}

/* list -> '[' (expr (',' expr)* ','?)? ']' */
static Ast *list_literal(Parser *p) {
  Token open = p->cur;
  advance(p);
  Ast *node = node_at(AST_LIST, &open);
  skip_newlines(p);
  while (!check(p, TOK_RBRACKET) && !check(p, TOK_EOF)) {
    ast_list_push(&node->list, expression(p));
    skip_newlines(p);
    if (!match(p, TOK_COMMA))
      break;
    skip_newlines(p);
  }
  if (!match(p, TOK_RBRACKET))
    error_missing(p, "expected ']' after the list items");
  return node;
}

/* The key of a record entry (a word or a string), or NULL after an error. */
static const char *record_key(Parser *p) {
  if (is_word(p->cur.kind)) {
    const char *key = token_text(&p->cur);
    advance(p);
    return key;
  }
  if (check(p, TOK_STRING)) {
    const char *key = lex_string_value(&p->cur, NULL);
    advance(p);
    return key;
  }
  error_at_cur(p,
               "expected a field name or a quoted key in the record, "
               "found %s",
               describe(&p->cur));
  return NULL;
}

/* record -> '{' (key ':' expr (',' key ':' expr)* ','?)? '}'
 * key -> NAME | STRING   (newlines are allowed anywhere inside) */
static Ast *record_literal(Parser *p) {
  Token open = p->cur;
  advance(p);
  Ast *node = node_at(AST_RECORD, &open);
  NameSet seen = {0};
  skip_newlines(p);
  while (!check(p, TOK_RBRACE) && !check(p, TOK_EOF)) {
    Token key_tok = p->cur;
    const char *key = record_key(p);
    if (!key)
      break;
    if (!match(p, TOK_COLON)) {
      error_missing(p, "expected ':' after the key '%s' in the record", key);
      break;
    }
    skip_newlines(p);
    Ast *value = expression(p);
    if (!nameset_add(&seen, key))
      error_at(p, key_tok.line, key_tok.col,
               "the key '%s' appears twice in the record", key);
    ast_push_name(node, key);
    ast_list_push(&node->list, value);
    skip_newlines(p);
    if (!match(p, TOK_COMMA))
      break;
    skip_newlines(p);
  }
  if (!match(p, TOK_RBRACE))
    error_missing(p, "expected '}' to close the record opened at line %d",
                  open.line);
  return node;
}

/* The body of a function or model: a block where `return` means the
 * function and loops do not reach out. */
static Ast *function_body(Parser *p, bool is_model) {
  int loop_depth = p->loop_depth;
  int fn_depth = p->fn_depth;
  bool in_model = p->in_model;
  p->loop_depth = 0;
  p->fn_depth = is_model ? 0 : fn_depth + 1;
  p->in_model = is_model;
  Ast *body = block(p, is_model ? "to start the body of the model"
                                : "to start the body of the function");
  p->loop_depth = loop_depth;
  p->fn_depth = fn_depth;
  p->in_model = in_model;
  return body;
}

/* function -> 'fn' NAME? '(' params ')' block   (cur is 'fn') */
static Ast *function(Parser *p) {
  Token kw = p->cur;
  advance(p);
  Ast *node = node_at(AST_FUNC, &kw);
  if (check(p, TOK_IDENT)) {
    node->str = token_text(&p->cur);
    advance(p);
  }
  if (!match(p, TOK_LPAREN)) {
    error_missing(p,
                  "expected '(' to start the parameters of the function, "
                  "found %s",
                  describe(&p->cur));
    node->a = node_at(AST_BLOCK, &p->cur);
    return node;
  }
  params(p, node);
  node->a = function_body(p, false);
  return node;
}

static Ast *prefix(Parser *p) {
  switch (p->cur.kind) {
  case TOK_NUMBER:
  case TOK_STRING:
  case TOK_TRUE:
  case TOK_FALSE:
  case TOK_NIL:
  case TOK_IDENT:
    return literal(p);
  case TOK_LPAREN:
    return grouping(p);
  case TOK_LBRACKET:
    return list_literal(p);
  case TOK_LBRACE:
    return record_literal(p);
  case TOK_MINUS:
  case TOK_PLUS:
  case TOK_NOT:
  case TOK_BANG:
    return unary(p);
  case TOK_FN:
    return function(p);
  case TOK_IF:
    return if_expr(p);
  default:
    error_at_cur(p, "expected an expression, found %s", describe(&p->cur));
    return placeholder(p);
  }
}

/* binary -> expr op expr<prec + 1>, or expr<unary> for the right-
 * associative '**' (so that 2 ** -1 and 2 ** 3 ** 2 parse as in Python) */
static Ast *binary(Parser *p, Ast *left) {
  Token op = p->cur;
  Prec prec = infix_prec(op.kind);
  advance(p);
  skip_newlines(p);
  Ast *right = parse_precedence(p, prec == PREC_POWER ? PREC_UNARY : prec + 1);
  AstKind kind = prec == PREC_OR    ? AST_OR
                 : prec == PREC_AND ? AST_AND
                                    : AST_BINARY;
  Ast *node = node_at(kind, &op);
  if (kind == AST_BINARY)
    node->op = op.kind;
  node->a = left;
  node->b = right;
  return node;
}

/* compare -> expr<term> (cmp_op expr<term>)+, one node for the chain */
static Ast *compare(Parser *p, Ast *left) {
  Ast *node = node_at(AST_COMPARE, &p->cur);
  ast_list_push(&node->list, left);
  int cap = 0;
  while (infix_prec(p->cur.kind) == PREC_COMPARE) {
    int n = node->list.count - 1;
    if (n == cap) {
      cap = cap ? cap * 2 : 2;
      TokenKind *ops = mem_alloc_atomic((size_t)cap * sizeof *ops);
      if (n > 0)
        memcpy(ops, node->ops, (size_t)n * sizeof *ops);
      node->ops = ops;
    }
    node->ops[n] = p->cur.kind;
    advance(p);
    skip_newlines(p);
    ast_list_push(&node->list, parse_precedence(p, PREC_TERM));
  }
  return node;
}

/* args -> (arg (',' arg)* ','?)? ')'   arg -> expr | NAME '=' expr */
static Ast *call(Parser *p, Ast *callee) {
  Ast *node = node_at(AST_CALL, &p->cur);
  node->a = callee;
  advance(p);
  NameSet seen = {0};
  skip_newlines(p);
  while (!check(p, TOK_RPAREN) && !check(p, TOK_EOF)) {
    Token start = p->cur;
    Ast *arg = expression(p);
    if (match(p, TOK_EQ)) {
      skip_newlines(p);
      Ast *value = expression(p);
      if (arg->kind != AST_NAME)
        error_at(p, start.line, start.col,
                 "a keyword argument needs a plain name before '='");
      else if (!nameset_add(&seen, arg->str))
        error_at(p, start.line, start.col,
                 "keyword argument '%s' is given twice", arg->str);
      ast_push_name(node, arg->kind == AST_NAME ? arg->str : "?");
      ast_list_push(&node->list2, value);
    } else {
      if (node->nnames > 0)
        error_at(p, start.line, start.col,
                 "positional argument after keyword argument");
      ast_list_push(&node->list, arg);
    }
    skip_newlines(p);
    if (!match(p, TOK_COMMA))
      break;
    skip_newlines(p);
  }
  if (!match(p, TOK_RPAREN))
    error_missing(p, "expected ')' after arguments");
  return node;
}

static bool ends_subscript(const Parser *p) {
  return check(p, TOK_COMMA) || check(p, TOK_RBRACKET) || check(p, TOK_EOF);
}

/* subscript -> expr | expr? ':' expr? (':' expr?)? */
static Ast *subscript(Parser *p) {
  Token start = p->cur;
  Ast *lo = NULL;
  if (!check(p, TOK_COLON)) {
    lo = expression(p);
    if (!check(p, TOK_COLON))
      return lo;
  }
  Ast *slice = node_at(AST_SLICE, &start);
  slice->a = lo;
  advance(p); /* ':' */
  if (!ends_subscript(p) && !check(p, TOK_COLON))
    slice->b = expression(p);
  if (match(p, TOK_COLON) && !ends_subscript(p))
    slice->c = expression(p);
  return slice;
}

/* index -> '[' subscript (',' subscript)* ']' */
static Ast *index_expr(Parser *p, Ast *target) {
  Ast *node = node_at(AST_INDEX, &p->cur);
  node->a = target;
  advance(p);
  if (check(p, TOK_RBRACKET)) {
    error_at_cur(p, "expected an index inside '[ ]'");
  } else {
    do {
      ast_list_push(&node->list, subscript(p));
    } while (match(p, TOK_COMMA));
  }
  if (!match(p, TOK_RBRACKET))
    error_missing(p, "expected ']' after the index");
  return node;
}

/* field -> '.' NAME */
static Ast *field(Parser *p, Ast *target) {
  advance(p);
  if (!is_word(p->cur.kind)) {
    error_missing(p, "expected a field name after '.', found %s",
                  describe(&p->cur));
    return target;
  }
  Ast *node = node_at(AST_FIELD, &p->cur);
  node->a = target;
  node->str = token_text(&p->cur);
  advance(p);
  return node;
}

static Ast *infix(Parser *p, Ast *left) {
  switch (p->cur.kind) {
  case TOK_LPAREN:
    return call(p, left);
  case TOK_LBRACKET:
    return index_expr(p, left);
  case TOK_DOT:
    return field(p, left);
  default:
    if (infix_prec(p->cur.kind) == PREC_COMPARE)
      return compare(p, left);
    return binary(p, left);
  }
}

static Ast *parse_precedence(Parser *p, Prec min) {
  if (!enter(p))
    return placeholder(p);
  Ast *left = prefix(p);
  for (;;) {
    Prec prec = infix_prec(p->cur.kind);
    if (prec == PREC_NONE || prec < min)
      break;
    left = infix(p, left);
  }
  leave(p);
  return left;
}

/* expr -> or_expr */
static Ast *expression(Parser *p) { return parse_precedence(p, PREC_OR); }

/* ---- statements ---- */

static void statements(Parser *p, AstList *list, bool in_block);

/* block -> NEWLINE? '{' statement* '}'
 * context completes the message "expected '{' ..." */
static Ast *block(Parser *p, const char *context) {
  if (check(p, TOK_NEWLINE) && peek(p).kind == TOK_LBRACE)
    advance(p); /* a brace on its own line */
  Token open = p->cur;
  Ast *node = node_at(AST_BLOCK, &open);
  if (!check(p, TOK_LBRACE)) {
    const char *hint = check(p, TOK_EQ)      ? " (use '==' to compare)"
                       : check(p, TOK_COLON) ? " (blocks are written in "
                                               "braces, not with ':')"
                                             : "";
    error_missing(p, "expected '{' %s, found %s%s", context, describe(&p->cur),
                  hint);
    return node;
  }
  if (!enter(p))
    return node;
  advance(p);
  statements(p, &node->list, true);
  if (!match(p, TOK_RBRACE))
    error_missing(p, "expected '}' to close the block opened at line %d",
                  open.line);
  leave(p);
  return node;
}

/* Consumes a NEWLINE then 'else', or just 'else'; false when neither. */
static bool match_else(Parser *p) {
  if (check(p, TOK_NEWLINE) && peek(p).kind == TOK_ELSE)
    advance(p);
  return match(p, TOK_ELSE);
}

/* if -> 'if' expr block ('else' (if | block))?   (an else may start the
 * next line). Else-if chains are built iteratively: no recursion per arm. */
static Ast *if_expr(Parser *p) {
  Ast *root = NULL;
  Ast **slot = &root;
  for (;;) {
    Token kw = p->cur;
    advance(p); /* 'if' */
    Ast *node = node_at(AST_IF, &kw);
    *slot = node;
    node->a = expression(p);
    node->b = block(p, "after the condition of 'if'");
    if (!match_else(p))
      break;
    if (!check(p, TOK_IF)) {
      node->c = block(p, "after 'else'");
      break;
    }
    slot = &node->c;
  }
  return root;
}

/* let -> 'let' NAME ('=' expr)? */
static Ast *let_stmt(Parser *p) {
  Token kw = p->cur;
  advance(p);
  if (!check(p, TOK_IDENT)) {
    if (is_keyword(p->cur.kind))
      error_missing(p, "expected a name after 'let' (%s is a keyword)",
                    describe(&p->cur));
    else
      error_missing(p, "expected a name after 'let'");
    return NULL;
  }
  Ast *node = node_at(AST_LET, &kw);
  node->str = token_text(&p->cur);
  advance(p);
  if (match(p, TOK_EQ)) {
    skip_newlines(p);
    node->a = expression(p);
  }
  return node;
}

/* params -> (param (',' param)* ','?)? ')'   param -> NAME ('=' expr)?
 * (the '(' is consumed) */
static void params(Parser *p, Ast *node) {
  NameSet seen = {0};
  const char *last_default = NULL;
  skip_newlines(p);
  while (!check(p, TOK_RPAREN) && !check(p, TOK_EOF)) {
    if (!check(p, TOK_IDENT)) {
      error_at_cur(p, "expected a parameter name, found %s", describe(&p->cur));
      break;
    }
    Token name_tok = p->cur;
    const char *name = token_text(&name_tok);
    advance(p);
    Ast *def = NULL;
    if (match(p, TOK_EQ)) {
      skip_newlines(p);
      def = expression(p);
      last_default = name;
    } else if (last_default) {
      error_at(p, name_tok.line, name_tok.col,
               "default values must come last: parameter '%s' has none but "
               "'%s' has one",
               name, last_default);
    }
    if (!nameset_add(&seen, name))
      error_at(p, name_tok.line, name_tok.col, "parameter '%s' appears twice",
               name);
    ast_push_name(node, name);
    ast_list_push(&node->list2, def);
    skip_newlines(p);
    if (!match(p, TOK_COMMA))
      break;
    skip_newlines(p);
  }
  if (!match(p, TOK_RPAREN))
    error_missing(p, "expected ')' after parameters");
}

/* fn_decl -> 'fn' NAME '(' params ')' block */
static Ast *fn_decl(Parser *p) {
  Ast *node = node_at(AST_FN_DECL, &p->cur);
  node->a = function(p);
  return node;
}

/* model -> 'model' NAME ('(' params ')')? block */
static Ast *model_decl(Parser *p) {
  Token kw = p->cur;
  advance(p);
  if (!check(p, TOK_IDENT)) {
    error_missing(p, "expected a model name after 'model', found %s",
                  describe(&p->cur));
    return NULL;
  }
  Ast *node = node_at(AST_MODEL, &kw);
  node->str = token_text(&p->cur);
  advance(p);
  if (match(p, TOK_LPAREN))
    params(p, node);
  node->a = function_body(p, true);
  return node;
}

/* import -> 'import' (NAME | STRING) */
static Ast *import_stmt(Parser *p) {
  Token kw = p->cur;
  advance(p);
  Ast *node = node_at(AST_IMPORT, &kw);
  if (check(p, TOK_STRING)) {
    node->str = lex_string_value(&p->cur, NULL);
  } else if (check(p, TOK_IDENT)) {
    node->str = token_text(&p->cur);
  } else {
    error_missing(p,
                  "expected a module name or a quoted path after "
                  "'import', found %s",
                  describe(&p->cur));
    return NULL;
  }
  advance(p);
  return node;
}

/* while -> 'while' expr block */
static Ast *while_stmt(Parser *p) {
  Ast *node = node_at(AST_WHILE, &p->cur);
  advance(p);
  node->a = expression(p);
  p->loop_depth++;
  node->b = block(p, "after the condition of 'while'");
  p->loop_depth--;
  return node;
}

/* for -> 'for' NAME 'in' expr block */
static Ast *for_stmt(Parser *p) {
  Ast *node = node_at(AST_FOR, &p->cur);
  advance(p);
  if (!check(p, TOK_IDENT)) {
    error_missing(p, "expected a loop variable name after 'for', found %s",
                  describe(&p->cur));
    return NULL;
  }
  node->str = token_text(&p->cur);
  advance(p);
  if (!match(p, TOK_IN)) {
    error_missing(p, "expected 'in' after the loop variable '%s'", node->str);
    return NULL;
  }
  node->a = expression(p);
  p->loop_depth++;
  node->b = block(p, "to start the body of the 'for' loop");
  p->loop_depth--;
  return node;
}

/* jump -> 'break' | 'continue' */
static Ast *jump_stmt(Parser *p) {
  Token kw = p->cur;
  advance(p);
  if (p->loop_depth == 0)
    error_at(p, kw.line, kw.col, "%s outside a loop", lex_token_name(kw.kind));
  return node_at(kw.kind == TOK_BREAK ? AST_BREAK : AST_CONTINUE, &kw);
}

/* return -> 'return' expr? */
static Ast *return_stmt(Parser *p) {
  Token kw = p->cur;
  advance(p);
  if (p->fn_depth == 0)
    error_at(p, kw.line, kw.col,
             p->in_model ? "'return' is not allowed in a model block"
                         : "'return' outside a function");
  Ast *node = node_at(AST_RETURN, &kw);
  if (!at_line_end(&p->cur) && !check(p, TOK_SEMICOLON) &&
      !check(p, TOK_RBRACE))
    node->a = expression(p);
  return node;
}

static bool is_assign_op(TokenKind k) {
  return k == TOK_EQ || k == TOK_PLUSEQ || k == TOK_MINUSEQ ||
         k == TOK_STAREQ || k == TOK_SLASHEQ;
}

/* simple -> expr (assign_op expr | '~' expr)? */
static Ast *simple_stmt(Parser *p) {
  Token start = p->cur;
  Ast *e = expression(p);
  if (is_assign_op(p->cur.kind)) {
    Ast *node = node_at(AST_ASSIGN, &start);
    node->op = p->cur.kind;
    advance(p);
    skip_newlines(p);
    node->b = expression(p);
    if (e->kind != AST_NAME && e->kind != AST_INDEX && e->kind != AST_FIELD)
      error_at(p, start.line, start.col, "cannot assign to this expression");
    node->a = e;
    return node;
  }
  if (check(p, TOK_TILDE)) {
    Ast *node = node_at(AST_TILDE, &start);
    advance(p);
    skip_newlines(p);
    node->b = expression(p);
    if (e->kind != AST_NAME && e->kind != AST_INDEX)
      error_at(p, start.line, start.col,
               "the left side of '~' must be a name or an indexed name, "
               "such as y or y[i]");
    node->a = e;
    return node;
  }
  Ast *node = node_at(AST_EXPR_STMT, &start);
  node->a = e;
  return node;
}

/* statement -> let | fn_decl | model | import | if | while | for | break
 *            | continue | return | simple */
static Ast *statement(Parser *p) {
  switch (p->cur.kind) {
  case TOK_LET:
    return let_stmt(p);
  case TOK_FN:
    if (peek(p).kind == TOK_IDENT)
      return fn_decl(p);
    return simple_stmt(p);
  case TOK_MODEL:
    return model_decl(p);
  case TOK_IMPORT:
    return import_stmt(p);
  case TOK_IF:
    return if_expr(p);
  case TOK_WHILE:
    return while_stmt(p);
  case TOK_FOR:
    return for_stmt(p);
  case TOK_BREAK:
  case TOK_CONTINUE:
    return jump_stmt(p);
  case TOK_RETURN:
    return return_stmt(p);
  default:
    return simple_stmt(p);
  }
}

/* A statement ends at a newline or ';' (consumed), or before '}' or the end
 * of input. A statement that ends with its own block (if, while, for, fn,
 * model) needs no separator: `if n < 2 { return n } return f(n)`. */
static void end_statement(Parser *p, const Ast *s) {
  if (s && (s->kind == AST_IF || s->kind == AST_WHILE || s->kind == AST_FOR ||
            s->kind == AST_FN_DECL || s->kind == AST_MODEL ||
            s->kind == AST_BLOCK))
    return;
  if (match(p, TOK_NEWLINE) || match(p, TOK_SEMICOLON))
    return;
  if (check(p, TOK_RBRACE) || check(p, TOK_EOF))
    return;
  error_at_cur(p, "expected end of line or ';' after the statement, found %s",
               describe(&p->cur));
}

/* Skips to the next statement boundary of the block whose statements are
 * at brace level `level`: past a newline or ';' once every brace opened
 * since (by the broken statement, or skipped here) is closed, or up to (not
 * past) the '}' that closes the block itself. */
static void synchronize(Parser *p, int level) {
  while (!check(p, TOK_EOF) && p->braces >= level) {
    if (p->braces == level) {
      if (match(p, TOK_NEWLINE) || match(p, TOK_SEMICOLON))
        break;
      if (check(p, TOK_RBRACE))
        break;
    }
    advance(p);
  }
  p->panic = false;
}

/* statements -> (statement (NEWLINE | ';'))*, up to '}' in a block or the
 * end of input at top level. */
static void statements(Parser *p, AstList *list, bool in_block) {
  int level = p->braces;
  for (;;) {
    while (match(p, TOK_NEWLINE) || match(p, TOK_SEMICOLON))
      ;
    if (check(p, TOK_EOF))
      return;
    if (check(p, TOK_RBRACE)) {
      if (in_block)
        return;
      error_at(p, p->cur.line, p->cur.col, "'}' without a matching '{'");
      advance(p);
      p->braces = level;
      synchronize(p, level);
      continue;
    }
    Ast *s = statement(p);
    if (s)
      ast_list_push(list, s);
    if (!p->panic)
      end_statement(p, s);
    if (p->panic)
      synchronize(p, level);
  }
}

Ast *parse_program(const Source *src, FILE *err, int *nerrors) {
  Parser p;
  memset(&p, 0, sizeof p);
  p.src = src;
  p.err = err;
  lex_init(&p.lx, src);
  advance(&p);
  Ast *program = ast_new(AST_PROGRAM, 1, 1);
  statements(&p, &program->list, false);
  if (nerrors)
    *nerrors = p.nerrors;
  return p.nerrors > 0 ? NULL : program;
}

/* ---- REPL support ---- */

/* Tokens after which a line cannot end a statement. */
static const bool wants_more[] = {
    [TOK_PLUS] = true,     [TOK_MINUS] = true,      [TOK_STAR] = true,
    [TOK_SLASH] = true,    [TOK_SLASHSLASH] = true, [TOK_PERCENT] = true,
    [TOK_STARSTAR] = true, [TOK_AT] = true,         [TOK_EQEQ] = true,
    [TOK_BANGEQ] = true,   [TOK_LT] = true,         [TOK_LE] = true,
    [TOK_GT] = true,       [TOK_GE] = true,         [TOK_ANDAND] = true,
    [TOK_OROR] = true,     [TOK_AND] = true,        [TOK_OR] = true,
    [TOK_NOT] = true,      [TOK_BANG] = true,       [TOK_COMMA] = true,
    [TOK_DOT] = true,      [TOK_EQ] = true,         [TOK_PLUSEQ] = true,
    [TOK_MINUSEQ] = true,  [TOK_STAREQ] = true,     [TOK_SLASHEQ] = true,
    [TOK_TILDE] = true,    [TOK_ARROW] = true,      [TOK_LET] = true,
    [TOK_FN] = true,       [TOK_IF] = true,         [TOK_ELSE] = true,
    [TOK_WHILE] = true,    [TOK_FOR] = true,        [TOK_IN] = true,
    [TOK_MODEL] = true,    [TOK_IMPORT] = true,     [TOK_ERROR] = false,
};

bool parse_incomplete(const char *text) {
  if (!text)
    return false;
  Source src = {.name = "<repl>", .text = text, .len = strlen(text)};
  Lexer lx;
  lex_init(&lx, &src);
  int open = 0;
  TokenKind last = TOK_EOF;
  for (;;) {
    Token t = lex_next(&lx);
    if (t.kind == TOK_EOF)
      break;
    if (t.kind == TOK_NEWLINE)
      continue;
    if (t.kind == TOK_ERROR && strcmp(t.error, "unterminated string") == 0)
      return true;
    if (t.kind == TOK_LPAREN || t.kind == TOK_LBRACKET || t.kind == TOK_LBRACE)
      open++;
    else if (t.kind == TOK_RPAREN || t.kind == TOK_RBRACKET ||
             t.kind == TOK_RBRACE)
      open--;
    if (open < 0)
      return false; /* a stray closer: a syntax error, not more input */
    last = t.kind;
  }
  return open > 0 || wants_more[last];
}
