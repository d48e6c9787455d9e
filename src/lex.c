/*
 * lex.c — the scanner: one token per call, with its 1-based line and column.
 *
 * The lexer never fails: anything it cannot read becomes a TOK_ERROR token
 * whose `error` says what is wrong, positioned where the problem starts (the
 * opening quote of an unterminated string, the backslash of a bad escape),
 * and scanning resumes after it. The parser reports those tokens.
 *
 * Newlines: a stack of the open brackets decides whether a '\n' is a token.
 * It is not while the innermost bracket is ( or [; it is at top level and
 * directly inside { (a block, or a record literal whose newlines the parser
 * skips). Runs of newlines, and newlines before the first token, produce no
 * token. Comments run from '#' to the end of the line.
 *
 * Numbers: 12, 2.5, 1., .5, 1e-3, 1E+5, 0x1F. A number running straight into
 * letters or digits that do not belong to it ("12abc", "1e", "0x") is one
 * error token. Decimal values are converted with strtod_l in the C locale,
 * so a user locale with a decimal comma cannot change what 2.5 means.
 *
 * Strings: "..." or '...', which may span lines; escapes \n \t \r \\ \" \'
 * \0 \xHH (one byte) and \u{H...} (a code point up to 10FFFF, UTF-8
 * encoded). The lexer validates escapes; lex_string_value decodes them.
 */
/* strtod_l and newlocale are POSIX 2008 / GNU extensions; config.h defines
 * _GNU_SOURCE the same way when AC_USE_SYSTEM_EXTENSIONS is in use. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <config.h>
#include "lex.h"

#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* A lexeme quoted in an error message is cut to this many bytes. */
enum { LEX_QUOTE_MAX = 32 };
/* Decimal lexemes shorter than this are converted from a stack buffer. */
enum { LEX_NUMBER_BUF = 64 };
/* Highest Unicode code point, and the UTF-16 surrogate range. */
enum {
  LEX_MAX_CODE_POINT = 0x10FFFF,
  LEX_SURROGATE_LO = 0xD800,
  LEX_SURROGATE_HI = 0xDFFF
};
/* At most six hex digits in \u{...}. */
enum { LEX_MAX_U_DIGITS = 6 };

static const char *const token_names[] = {
#define X(kind, spelling) spelling,
    TOKEN_KINDS(X)
#undef X
};

/* X(spelling, KIND): one list for the scanner and for REPL completion. */
#define KEYWORDS(X)                                                            \
  X("and", AND)                                                                \
  X("or", OR) X("not", NOT) X("let", LET) X("fn", FN) X("return", RETURN)      \
      X("if", IF) X("else", ELSE) X("while", WHILE) X("for", FOR) X("in", IN)  \
          X("break", BREAK) X("continue", CONTINUE) X("true", TRUE)            \
              X("false", FALSE) X("nil", NIL) X("model", MODEL)                \
                  X("import", IMPORT)

static const struct {
  const char *word;
  TokenKind kind;
} keywords[] = {
#define X(word, kind) {word, TOK_##kind},
    KEYWORDS(X)
#undef X
};

enum { NKEYWORDS = sizeof keywords / sizeof keywords[0] };

static const char *const keyword_list[] = {
#define X(word, kind) word,
    KEYWORDS(X)
#undef X
        NULL,
};

const char *lex_token_name(TokenKind kind) {
  if ((int)kind < 0 ||
      (size_t)kind >= sizeof token_names / sizeof token_names[0])
    return "a token";
  return token_names[kind];
}

const char *const *lex_keywords(void) { return keyword_list; }

void lex_init(Lexer *lx, const Source *src) {
  memset(lx, 0, sizeof *lx);
  lx->src = src;
  lx->cur = src->text;
  lx->line = 1;
  lx->col = 1;
  lx->depth = 0;
  lx->last_was_newline = true;
  lx->nnest = 0;
  /* A UTF-8 byte-order mark is not part of the program. */
  if (src->len >= 3 && memcmp(src->text, "\xEF\xBB\xBF", 3) == 0)
    lx->cur += 3;
}

/* ---- character helpers ---- */

static bool at_end(const Lexer *lx) {
  return lx->cur >= lx->src->text + lx->src->len;
}

static char peek_char(const Lexer *lx) { return at_end(lx) ? '\0' : *lx->cur; }

static char peek_next(const Lexer *lx) {
  if (lx->cur + 1 >= lx->src->text + lx->src->len)
    return '\0';
  return lx->cur[1];
}

static char advance(Lexer *lx) {
  char c = *lx->cur++;
  if (c == '\n') {
    lx->line++;
    lx->col = 1;
  } else {
    lx->col++;
  }
  return c;
}

static bool match(Lexer *lx, char expected) {
  if (at_end(lx) || *lx->cur != expected)
    return false;
  advance(lx);
  return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* ---- token construction ---- */

typedef struct Mark {
  const char *start;
  int line;
  int col;
} Mark;

static Mark mark(const Lexer *lx) {
  return (Mark){.start = lx->cur, .line = lx->line, .col = lx->col};
}

static Token make(const Lexer *lx, Mark m, TokenKind kind) {
  Token t = {0};
  t.kind = kind;
  t.start = m.start;
  t.len = (size_t)(lx->cur - m.start);
  t.line = m.line;
  t.col = m.col;
  return t;
}

static Token make_error(const Lexer *lx, Mark m, const char *message) {
  Token t = make(lx, m, TOK_ERROR);
  t.error = message;
  return t;
}

/* A message in GC memory. */
static const char *format(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static const char *format(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return "invalid input";
  char *s = mem_alloc_atomic((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* The lexeme for a message, cut to LEX_QUOTE_MAX bytes with "...". */
static const char *quote(const char *s, size_t len) {
  if (len <= LEX_QUOTE_MAX)
    return format("%.*s", (int)len, s);
  return format("%.*s...", LEX_QUOTE_MAX, s);
}

/* ---- whitespace, comments, newlines ---- */

static bool newlines_suppressed(const Lexer *lx) {
  return lx->nnest > 0 && lx->nest[lx->nnest - 1] != '{';
}

static void skip_blanks(Lexer *lx) {
  while (!at_end(lx)) {
    char c = *lx->cur;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      advance(lx);
    } else if (c == '#') {
      while (!at_end(lx) && *lx->cur != '\n')
        advance(lx);
    } else {
      return;
    }
  }
}

/* ---- numbers ---- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void) {
  c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static double decimal_value(const char *s, size_t len) {
  char small[LEX_NUMBER_BUF];
  char *buf = len < sizeof small ? small : mem_alloc_atomic(len + 1);
  memcpy(buf, s, len);
  buf[len] = '\0';
  pthread_once(&c_locale_once, make_c_locale);
  if (c_locale)
    return strtod_l(buf, NULL, c_locale);
  return strtod(buf, NULL);
}

static Token bad_number(Lexer *lx, Mark m) {
  while (!at_end(lx) && (is_alnum(*lx->cur) || *lx->cur == '.'))
    advance(lx);
  Token t = make(lx, m, TOK_ERROR);
  t.error = format("invalid number '%s'", quote(t.start, t.len));
  return t;
}

static Token hex_number(Lexer *lx, Mark m) {
  advance(lx); /* 0 */
  advance(lx); /* x */
  double v = 0.0;
  int ndigits = 0;
  while (!at_end(lx) && hex_value(*lx->cur) >= 0) {
    v = v * 16.0 + hex_value(advance(lx));
    ndigits++;
  }
  if (ndigits == 0 || is_alnum(peek_char(lx)) || peek_char(lx) == '.')
    return bad_number(lx, m);
  Token t = make(lx, m, TOK_NUMBER);
  t.num = v;
  return t;
}

/* number -> digits ('.' digits?)? exponent? | '.' digits exponent?
 * exponent -> [eE] [+-]? digits */
static Token number(Lexer *lx, Mark m) {
  if (peek_char(lx) == '0' && (peek_next(lx) == 'x' || peek_next(lx) == 'X'))
    return hex_number(lx, m);
  while (is_digit(peek_char(lx)))
    advance(lx);
  if (peek_char(lx) == '.') {
    advance(lx);
    while (is_digit(peek_char(lx)))
      advance(lx);
  }
  if (peek_char(lx) == 'e' || peek_char(lx) == 'E') {
    advance(lx);
    if (peek_char(lx) == '+' || peek_char(lx) == '-')
      advance(lx);
    if (!is_digit(peek_char(lx)))
      return bad_number(lx, m);
    while (is_digit(peek_char(lx)))
      advance(lx);
  }
  if (is_alnum(peek_char(lx)) ||
      (peek_char(lx) == '.' && is_digit(peek_next(lx))))
    return bad_number(lx, m);
  Token t = make(lx, m, TOK_NUMBER);
  t.num = decimal_value(t.start, t.len);
  return t;
}

/* ---- strings ---- */

/* Checks the escape whose backslash was just consumed; NULL when valid,
 * else what is wrong. Consumes the escape's characters. */
static const char *check_escape(Lexer *lx) {
  if (at_end(lx))
    return NULL; /* the caller reports the unterminated string */
  char c = advance(lx);
  switch (c) {
  case 'n':
  case 't':
  case 'r':
  case '\\':
  case '"':
  case '\'':
  case '0':
    return NULL;
  case 'x':
    for (int i = 0; i < 2; i++) {
      if (at_end(lx) || hex_value(*lx->cur) < 0)
        return "'\\x' must be followed by two hex digits, as in \\x41";
      advance(lx);
    }
    return NULL;
  case 'u': {
    if (!match(lx, '{'))
      return "'\\u' must be followed by a code point in braces, as in "
             "\\u{3B1}";
    long cp = 0;
    int ndigits = 0;
    while (!at_end(lx) && hex_value(*lx->cur) >= 0) {
      cp = cp * 16 + hex_value(advance(lx));
      if (++ndigits > LEX_MAX_U_DIGITS)
        return "too many hex digits in '\\u{...}'";
    }
    if (ndigits == 0 || !match(lx, '}'))
      return "'\\u' must be followed by a code point in braces, as in "
             "\\u{3B1}";
    if (cp > LEX_MAX_CODE_POINT ||
        (cp >= LEX_SURROGATE_LO && cp <= LEX_SURROGATE_HI))
      return format("'\\u{%lX}' is not a valid Unicode code point", cp);
    return NULL;
  }
  default:
    if (c > ' ' && c < 0x7F)
      return format("unknown escape '\\%c' in string (write '\\\\' for a "
                    "backslash)",
                    c);
    return "unknown escape in string (write '\\\\' for a backslash)";
  }
}

static Token string(Lexer *lx, Mark m) {
  char q = advance(lx);
  const char *bad = NULL;
  Mark bad_at = {0};
  for (;;) {
    if (at_end(lx))
      return make_error(lx, m, "unterminated string");
    if (*lx->cur == q)
      break;
    if (*lx->cur == '\\') {
      Mark here = mark(lx);
      advance(lx);
      const char *why = check_escape(lx);
      if (why && !bad) {
        bad = why;
        bad_at = here;
      }
      continue;
    }
    advance(lx);
  }
  advance(lx); /* closing quote */
  if (bad) {
    Token t = make(lx, m, TOK_ERROR);
    t.line = bad_at.line;
    t.col = bad_at.col;
    t.error = bad;
    return t;
  }
  return make(lx, m, TOK_STRING);
}

/* Appends the UTF-8 encoding of code point cp to out; returns bytes. */
static size_t utf8_encode(unsigned long cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decodes one escape at s[0..] (after the backslash, before end) into out;
 * returns the number of source bytes consumed. Escapes were validated by
 * the lexer; anything else is copied literally. */
static size_t decode_escape(const char *s, const char *end, char *out,
                            size_t *nout) {
  if (s >= end)
    return 0;
  size_t n = 0;
  switch (s[0]) {
  case 'n':
    out[n++] = '\n';
    break;
  case 't':
    out[n++] = '\t';
    break;
  case 'r':
    out[n++] = '\r';
    break;
  case '0':
    out[n++] = '\0';
    break;
  case 'x':
    if (end - s >= 3 && hex_value(s[1]) >= 0 && hex_value(s[2]) >= 0) {
      out[n++] = (char)(hex_value(s[1]) * 16 + hex_value(s[2]));
      *nout = n;
      return 3;
    }
    out[n++] = 'x';
    break;
  case 'u': {
    const char *p = s + 1;
    unsigned long cp = 0;
    if (p < end && *p == '{') {
      p++;
      while (p < end && hex_value(*p) >= 0 && cp <= LEX_MAX_CODE_POINT)
        cp = cp * 16 + (unsigned long)hex_value(*p++);
      if (p < end && *p == '}' && cp <= LEX_MAX_CODE_POINT) {
        *nout = utf8_encode(cp, out);
        return (size_t)(p + 1 - s);
      }
    }
    out[n++] = 'u';
    break;
  }
  default:
    out[n++] = s[0];
    break;
  }
  *nout = n;
  return 1;
}

char *lex_string_value(const Token *t, size_t *len) {
  if (t->len < 2) {
    char *empty = mem_alloc_atomic(1);
    empty[0] = '\0';
    if (len)
      *len = 0;
    return empty;
  }
  const char *s = t->start + 1;
  const char *end = t->start + t->len - 1;
  /* Every escape decodes to no more bytes than it is written with. */
  char *out = mem_alloc_atomic(t->len);
  size_t n = 0;
  while (s < end) {
    if (*s != '\\') {
      out[n++] = *s++;
      continue;
    }
    size_t produced = 0;
    size_t used = decode_escape(s + 1, end, out + n, &produced);
    n += produced;
    s += 1 + used;
  }
  out[n] = '\0';
  if (len)
    *len = n;
  return out;
}

/* ---- names, brackets, strays ---- */

static Token identifier(Lexer *lx, Mark m) {
  while (is_alnum(peek_char(lx)))
    advance(lx);
  Token t = make(lx, m, TOK_IDENT);
  for (int i = 0; i < NKEYWORDS; i++) {
    if (strlen(keywords[i].word) == t.len &&
        memcmp(keywords[i].word, t.start, t.len) == 0) {
      t.kind = keywords[i].kind;
      break;
    }
  }
  return t;
}

static Token open_bracket(Lexer *lx, Mark m, char c, TokenKind kind) {
  if (lx->nnest >= LEX_MAX_NESTING)
    return make_error(
        lx, m,
        format("brackets nested too deeply (more than %d)", LEX_MAX_NESTING));
  lx->nest[lx->nnest++] = c;
  if (c != '{')
    lx->depth++;
  return make(lx, m, kind);
}

/* Pops up to the matching opener. A closer that matches nothing open is a
 * syntax error the parser reports; for recovery it still closes an
 * innermost ( or [ (so "(1]" does not silence newlines to the end of the
 * file), but never a { (blocks are structure). */
static Token close_bracket(Lexer *lx, Mark m, char opener, TokenKind kind) {
  int i = lx->nnest - 1;
  while (i >= 0 && lx->nest[i] != opener)
    i--;
  if (i < 0 && lx->nnest > 0 && lx->nest[lx->nnest - 1] != '{')
    i = lx->nnest - 1;
  if (i >= 0) {
    while (lx->nnest > i) {
      char popped = lx->nest[--lx->nnest];
      if (popped != '{' && lx->depth > 0)
        lx->depth--;
    }
  }
  return make(lx, m, kind);
}

/* Length of the UTF-8 sequence starting at the lexer, 0 when invalid. */
static int utf8_length(const Lexer *lx) {
  unsigned char c = (unsigned char)*lx->cur;
  int n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || lx->cur + n > lx->src->text + lx->src->len)
    return 0;
  for (int i = 1; i < n; i++)
    if (((unsigned char)lx->cur[i] & 0xC0) != 0x80)
      return 0;
  return n;
}

static Token unexpected(Lexer *lx, Mark m) {
  unsigned char c = (unsigned char)*lx->cur;
  if (c >= 0x80) {
    int n = utf8_length(lx);
    if (n == 0) {
      advance(lx);
      return make_error(lx, m,
                        format("unexpected byte 0x%02X (the file is "
                               "not valid UTF-8)",
                               c));
    }
    for (int i = 0; i < n; i++)
      advance(lx);
    return make_error(lx, m, format("unexpected character '%.*s'", n, m.start));
  }
  advance(lx);
  if (c == '&')
    return make_error(lx, m, "unexpected character '&' (use '&&' or 'and')");
  if (c == '|')
    return make_error(lx, m, "unexpected character '|' (use '||' or 'or')");
  if (c < 0x20 || c == 0x7F)
    return make_error(lx, m, format("unexpected control character 0x%02X", c));
  return make_error(lx, m, format("unexpected character '%c'", c));
}

/* The operator or punctuation starting with c (already consumed). */
static Token punctuation(Lexer *lx, Mark m, char c) {
  switch (c) {
  case '(':
    return open_bracket(lx, m, '(', TOK_LPAREN);
  case '[':
    return open_bracket(lx, m, '[', TOK_LBRACKET);
  case '{':
    return open_bracket(lx, m, '{', TOK_LBRACE);
  case ')':
    return close_bracket(lx, m, '(', TOK_RPAREN);
  case ']':
    return close_bracket(lx, m, '[', TOK_RBRACKET);
  case '}':
    return close_bracket(lx, m, '{', TOK_RBRACE);
  case ',':
    return make(lx, m, TOK_COMMA);
  case '.':
    return make(lx, m, TOK_DOT);
  case ':':
    return make(lx, m, TOK_COLON);
  case ';':
    return make(lx, m, TOK_SEMICOLON);
  case '~':
    return make(lx, m, TOK_TILDE);
  case '%':
    return make(lx, m, TOK_PERCENT);
  case '@':
    return make(lx, m, TOK_AT);
  case '+':
    return make(lx, m, match(lx, '=') ? TOK_PLUSEQ : TOK_PLUS);
  case '-':
    if (match(lx, '>'))
      return make(lx, m, TOK_ARROW);
    return make(lx, m, match(lx, '=') ? TOK_MINUSEQ : TOK_MINUS);
  case '*':
    if (match(lx, '*'))
      return make(lx, m, TOK_STARSTAR);
    return make(lx, m, match(lx, '=') ? TOK_STAREQ : TOK_STAR);
  case '/':
    if (match(lx, '/'))
      return make(lx, m, TOK_SLASHSLASH);
    return make(lx, m, match(lx, '=') ? TOK_SLASHEQ : TOK_SLASH);
  case '=':
    return make(lx, m, match(lx, '=') ? TOK_EQEQ : TOK_EQ);
  case '!':
    return make(lx, m, match(lx, '=') ? TOK_BANGEQ : TOK_BANG);
  case '<':
    return make(lx, m, match(lx, '=') ? TOK_LE : TOK_LT);
  case '>':
    return make(lx, m, match(lx, '=') ? TOK_GE : TOK_GT);
  case '&':
    if (match(lx, '&'))
      return make(lx, m, TOK_ANDAND);
    break;
  case '|':
    if (match(lx, '|'))
      return make(lx, m, TOK_OROR);
    break;
  default:
    break;
  }
  /* Not an operator: back up so unexpected() sees and reports it. */
  lx->cur = m.start;
  lx->line = m.line;
  lx->col = m.col;
  return unexpected(lx, m);
}

static Token scan(Lexer *lx, Mark m) {
  char c = *lx->cur;
  if (is_alpha(c))
    return identifier(lx, m);
  if (is_digit(c) || (c == '.' && is_digit(peek_next(lx))))
    return number(lx, m);
  if (c == '"' || c == '\'')
    return string(lx, m);
  advance(lx);
  return punctuation(lx, m, c);
}

Token lex_next(Lexer *lx) {
  for (;;) {
    skip_blanks(lx);
    Mark m = mark(lx);
    if (at_end(lx))
      return make(lx, m, TOK_EOF);
    if (*lx->cur != '\n')
      break;
    advance(lx);
    if (newlines_suppressed(lx) || lx->last_was_newline)
      continue;
    lx->last_was_newline = true;
    return make(lx, m, TOK_NEWLINE);
  }
  lx->last_was_newline = false;
  return scan(lx, mark(lx));
}
