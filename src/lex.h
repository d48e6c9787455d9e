/*
 * lex.h — the scanner: source text to tokens, each with line and column.
 *
 * NEWLINE tokens end statements; the lexer does not emit them while the
 * innermost open bracket is ( or [, so expressions continue across lines
 * inside brackets. Braces do not suppress newlines (they delimit blocks, and
 * a { inside ( turns them back on until its }: a function body passed as an
 * argument); the parser skips newlines where a statement cannot end (inside
 * a record literal, after a binary operator or a comma). Consecutive
 * newlines collapse into one token.
 */
#ifndef PPL_LEX_H
#define PPL_LEX_H

#include <stdbool.h>

#include "source.h"

/* X(KIND, spelling used in error messages) */
#define TOKEN_KINDS(X)                                                       \
  X(LPAREN, "'('") X(RPAREN, "')'") X(LBRACKET, "'['") X(RBRACKET, "']'")     \
  X(LBRACE, "'{'") X(RBRACE, "'}'") X(COMMA, "','") X(DOT, "'.'")             \
  X(COLON, "':'") X(SEMICOLON, "';'") X(TILDE, "'~'")                         \
  X(PLUS, "'+'") X(MINUS, "'-'") X(STAR, "'*'") X(SLASH, "'/'")               \
  X(SLASHSLASH, "'//'") X(PERCENT, "'%'") X(STARSTAR, "'**'") X(AT, "'@'")    \
  X(EQ, "'='") X(EQEQ, "'=='") X(BANGEQ, "'!='") X(LT, "'<'") X(LE, "'<='")   \
  X(GT, "'>'") X(GE, "'>='") X(BANG, "'!'") X(ANDAND, "'&&'")                 \
  X(OROR, "'||'") X(PLUSEQ, "'+='") X(MINUSEQ, "'-='") X(STAREQ, "'*='")      \
  X(SLASHEQ, "'/='") X(ARROW, "'->'")                                         \
  X(IDENT, "a name") X(NUMBER, "a number") X(STRING, "a string")              \
  X(AND, "'and'") X(OR, "'or'") X(NOT, "'not'") X(LET, "'let'")               \
  X(FN, "'fn'") X(RETURN, "'return'") X(IF, "'if'") X(ELSE, "'else'")         \
  X(WHILE, "'while'") X(FOR, "'for'") X(IN, "'in'") X(BREAK, "'break'")       \
  X(CONTINUE, "'continue'") X(TRUE, "'true'") X(FALSE, "'false'")             \
  X(NIL, "'nil'") X(MODEL, "'model'") X(IMPORT, "'import'")                   \
  X(NEWLINE, "end of line") X(EOF, "end of input") X(ERROR, "an error")

typedef enum {
#define X(kind, spelling) TOK_##kind,
  TOKEN_KINDS(X)
#undef X
} TokenKind;

/* Brackets open at once before the lexer reports "nested too deeply". */
enum { LEX_MAX_NESTING = 256 };

typedef struct Token {
  TokenKind kind;
  const char *start; /* into the source text */
  size_t len;
  int line;
  int col;
  double num;        /* TOK_NUMBER: its value */
  const char *error; /* TOK_ERROR: what is wrong ("unterminated string") */
} Token;

typedef struct Lexer {
  const Source *src;
  const char *cur;
  int line;
  int col;
  int depth; /* open ( and [ */
  bool last_was_newline;
  char nest[LEX_MAX_NESTING]; /* the open brackets, innermost last */
  int nnest;
} Lexer;

void lex_init(Lexer *lx, const Source *src);
/* The next token. After TOK_EOF, keeps returning TOK_EOF. */
Token lex_next(Lexer *lx);
/* "'('", "a name", ... for messages. */
const char *lex_token_name(TokenKind kind);
/* NULL-terminated list of keywords, for REPL completion. */
const char *const *lex_keywords(void);
/* Decodes a string token's escapes (\n \t \\ \" \' \0 \xHH \u{...}) into GC
 * memory; *len receives the decoded length. */
char *lex_string_value(const Token *t, size_t *len);

#endif
