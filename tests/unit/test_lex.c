/*
 * test_lex.c — unit tests of the scanner: every token kind, positions,
 * numbers, string escapes, error tokens and newline handling.
 *
 * Each test lexes a small literal source and checks the token stream
 * against the expectation written next to it.
 */
#include <config.h>

#include <string.h>

#include "check.h"
#include "lex.h"
#include "mem.h"

enum { MAX_TOKENS = 128 };

typedef struct Lexed {
  Source *src;
  Token t[MAX_TOKENS];
  int n; /* tokens before EOF */
} Lexed;

/* Lexes text up to (not including) EOF. */
static Lexed lex_all(const char *text) {
  Lexed r;
  memset(&r, 0, sizeof r);
  r.src = source_new("test.ppl", text, strlen(text));
  Lexer lx;
  lex_init(&lx, r.src);
  for (;;) {
    Token t = lex_next(&lx);
    if (t.kind == TOK_EOF || r.n == MAX_TOKENS)
      break;
    r.t[r.n++] = t;
  }
  return r;
}

/* The single token of text. */
static Token lex_one(const char *text) {
  Lexed r = lex_all(text);
  CHECK_EQ_INT(r.n, 1);
  return r.t[0];
}

static bool kinds_are(const Lexed *r, const TokenKind *want, int n) {
  if (r->n != n)
    return false;
  for (int i = 0; i < n; i++)
    if (r->t[i].kind != want[i])
      return false;
  return true;
}

static void test_operators(void) {
  Lexed r = lex_all("( ) [ ] { } , . : ; ~ + - * / // % ** @ = == != < <= > "
                    ">= ! && || += -= *= /= ->");
  static const TokenKind want[] = {
      TOK_LPAREN,     TOK_RPAREN,  TOK_LBRACKET, TOK_RBRACKET, TOK_LBRACE,
      TOK_RBRACE,     TOK_COMMA,   TOK_DOT,      TOK_COLON,    TOK_SEMICOLON,
      TOK_TILDE,      TOK_PLUS,    TOK_MINUS,    TOK_STAR,     TOK_SLASH,
      TOK_SLASHSLASH, TOK_PERCENT, TOK_STARSTAR, TOK_AT,       TOK_EQ,
      TOK_EQEQ,       TOK_BANGEQ,  TOK_LT,       TOK_LE,       TOK_GT,
      TOK_GE,         TOK_BANG,    TOK_ANDAND,   TOK_OROR,     TOK_PLUSEQ,
      TOK_MINUSEQ,    TOK_STAREQ,  TOK_SLASHEQ,  TOK_ARROW,
  };
  CHECK(kinds_are(&r, want, (int)(sizeof want / sizeof want[0])));
  /* Maximal munch without spaces: "a**-b" is a ** - b; "x//=y" is // =. */
  Lexed m = lex_all("a**-b x//=y");
  static const TokenKind want_m[] = {TOK_IDENT, TOK_STARSTAR, TOK_MINUS,
                                     TOK_IDENT, TOK_IDENT,    TOK_SLASHSLASH,
                                     TOK_EQ,    TOK_IDENT};
  CHECK(kinds_are(&m, want_m, 8));
}

static void test_keywords(void) {
  Lexed r = lex_all("and or not let fn return if else while for in break "
                    "continue true false nil model import");
  static const TokenKind want[] = {
      TOK_AND,      TOK_OR,   TOK_NOT,   TOK_LET, TOK_FN,    TOK_RETURN,
      TOK_IF,       TOK_ELSE, TOK_WHILE, TOK_FOR, TOK_IN,    TOK_BREAK,
      TOK_CONTINUE, TOK_TRUE, TOK_FALSE, TOK_NIL, TOK_MODEL, TOK_IMPORT,
  };
  CHECK(kinds_are(&r, want, 18));

  const char *const *kw = lex_keywords();
  int n = 0;
  while (kw[n])
    n++;
  CHECK_EQ_INT(n, 18);
  CHECK_EQ_STR(kw[0], "and");

  /* Keywords are whole words; identifiers may contain them. */
  Lexed ids = lex_all("iffy _x x1 model_2 Let");
  CHECK_EQ_INT(ids.n, 5);
  for (int i = 0; i < ids.n; i++)
    CHECK_EQ_INT(ids.t[i].kind, TOK_IDENT);
  CHECK_EQ_INT(ids.t[1].len, 2);
}

static void test_token_names(void) {
  CHECK_EQ_STR(lex_token_name(TOK_RPAREN), "')'");
  CHECK_EQ_STR(lex_token_name(TOK_IDENT), "a name");
  CHECK_EQ_STR(lex_token_name(TOK_NEWLINE), "end of line");
  CHECK_EQ_STR(lex_token_name(TOK_EOF), "end of input");
  CHECK_EQ_STR(lex_token_name(TOK_LET), "'let'");
}

static void test_positions(void) {
  Lexed r = lex_all("let x = 1\n  y ~ N(mu,\n\tsigma)");
  /* let x = 1 NEWLINE y ~ N ( mu , sigma ) */
  CHECK_EQ_INT(r.n, 13);
  CHECK_EQ_INT(r.t[0].line, 1);
  CHECK_EQ_INT(r.t[0].col, 1);
  CHECK_EQ_INT(r.t[3].col, 9); /* 1 */
  CHECK_EQ_INT(r.t[4].kind, TOK_NEWLINE);
  CHECK_EQ_INT(r.t[4].col, 10); /* at the '\n' */
  CHECK_EQ_INT(r.t[5].line, 2); /* y */
  CHECK_EQ_INT(r.t[5].col, 3);
  CHECK_EQ_INT(r.t[8].col, 8);   /* ( */
  CHECK_EQ_INT(r.t[11].line, 3); /* sigma: a tab counts one column */
  CHECK_EQ_INT(r.t[11].col, 2);
  CHECK_EQ_INT(r.t[11].len, 5);
  CHECK(memcmp(r.t[11].start, "sigma", 5) == 0);

  /* EOF repeats and sits at the end. */
  Source *src = source_new("t", "x", 1);
  Lexer lx;
  lex_init(&lx, src);
  lex_next(&lx);
  Token e1 = lex_next(&lx);
  Token e2 = lex_next(&lx);
  CHECK_EQ_INT(e1.kind, TOK_EOF);
  CHECK_EQ_INT(e2.kind, TOK_EOF);
  CHECK_EQ_INT(e2.col, 2);
}

static void test_numbers(void) {
  CHECK_NEAR(lex_one("1").num, 1.0, 0.0);
  CHECK_NEAR(lex_one("2.385").num, 2.385, 0.0);
  CHECK_NEAR(lex_one(".5").num, 0.5, 0.0);
  CHECK_NEAR(lex_one("1.").num, 1.0, 0.0);
  CHECK_NEAR(lex_one("1e-3").num, 1e-3, 0.0);
  CHECK_NEAR(lex_one("1E+5").num, 1e5, 0.0);
  CHECK_NEAR(lex_one("6.02e23").num, 6.02e23, 0.0);
  CHECK_NEAR(lex_one("0x1F").num, 31.0, 0.0);
  CHECK_NEAR(lex_one("0xff").num, 255.0, 0.0);
  CHECK_EQ_INT(lex_one("007").kind, TOK_NUMBER);

  Token bad = lex_one("12abc");
  CHECK_EQ_INT(bad.kind, TOK_ERROR);
  CHECK_EQ_STR(bad.error, "invalid number '12abc'");
  CHECK_EQ_INT(lex_one("1e").kind, TOK_ERROR);
  CHECK_EQ_INT(lex_one("0x").kind, TOK_ERROR);
  CHECK_EQ_INT(lex_one("0x1G").kind, TOK_ERROR);
  CHECK_EQ_STR(lex_one("1.5.3").error, "invalid number '1.5.3'");

  /* A minus is an operator; a field access is not a number. */
  Lexed neg = lex_all("-2.5");
  CHECK_EQ_INT(neg.n, 2);
  CHECK_EQ_INT(neg.t[0].kind, TOK_MINUS);
  Lexed fld = lex_all("r.a");
  CHECK_EQ_INT(fld.n, 3);
  CHECK_EQ_INT(fld.t[1].kind, TOK_DOT);
}

static void test_strings(void) {
  Token t = lex_one("\"a\\n\\t\\r\\\\\\\"\\'\\0\\x41\\u{3B1}\"");
  CHECK_EQ_INT(t.kind, TOK_STRING);
  size_t len = 0;
  char *v = lex_string_value(&t, &len);
  /* a \n \t \r \ " ' NUL A then U+03B1 as two UTF-8 bytes */
  static const char want[] = "a\n\t\r\\\"'\0A\xCE\xB1";
  CHECK_EQ_INT(len, sizeof want - 1);
  CHECK(memcmp(v, want, sizeof want - 1) == 0);
  CHECK_EQ_INT(v[len], '\0');

  Token sq = lex_one("'say \"hi\"'");
  CHECK_EQ_INT(sq.kind, TOK_STRING);
  CHECK_EQ_STR(lex_string_value(&sq, NULL), "say \"hi\"");

  Token emoji = lex_one("\"\\u{1F600}\"");
  CHECK_EQ_STR(lex_string_value(&emoji, NULL), "\xF0\x9F\x98\x80");

  Token empty = lex_one("''");
  CHECK_EQ_INT(empty.kind, TOK_STRING);
  CHECK_EQ_STR(lex_string_value(&empty, &len), "");
  CHECK_EQ_INT(len, 0);

  /* Strings may span lines; the next token's line accounts for it. */
  Lexed ml = lex_all("\"a\nb\" x");
  CHECK_EQ_INT(ml.n, 2);
  CHECK_EQ_INT(ml.t[1].line, 2);
  CHECK_EQ_INT(ml.t[1].col, 4);
}

static void test_string_errors(void) {
  Lexed r = lex_all("x = \"abc");
  CHECK_EQ_INT(r.n, 3);
  CHECK_EQ_INT(r.t[2].kind, TOK_ERROR);
  CHECK_EQ_STR(r.t[2].error, "unterminated string");
  CHECK_EQ_INT(r.t[2].col, 5); /* the opening quote */

  Token esc = lex_one("\"ab\\qc\"");
  CHECK_EQ_INT(esc.kind, TOK_ERROR);
  CHECK_EQ_INT(esc.col, 4); /* the backslash */
  CHECK(strstr(esc.error, "unknown escape '\\q'") != NULL);

  CHECK_EQ_INT(lex_one("\"\\x4\"").kind, TOK_ERROR);
  CHECK_EQ_INT(lex_one("\"\\u{110000}\"").kind, TOK_ERROR);
  CHECK_EQ_INT(lex_one("\"\\u{D800}\"").kind, TOK_ERROR);
  CHECK_EQ_INT(lex_one("\"\\u41\"").kind, TOK_ERROR);
  /* An escaped quote does not end the string. */
  CHECK_EQ_STR(lex_one("'it\\'s").error, "unterminated string");
}

static void test_unexpected(void) {
  Lexed r = lex_all("a $ b");
  CHECK_EQ_INT(r.n, 3);
  CHECK_EQ_INT(r.t[1].kind, TOK_ERROR);
  CHECK_EQ_STR(r.t[1].error, "unexpected character '$'");
  CHECK_EQ_INT(r.t[1].col, 3);
  CHECK_EQ_INT(r.t[2].kind, TOK_IDENT); /* scanning resumes */

  Token arrow = lex_one("\xE2\x86\x92"); /* U+2192, one token for 3 bytes */
  CHECK_EQ_INT(arrow.kind, TOK_ERROR);
  CHECK_EQ_STR(arrow.error, "unexpected character '\xE2\x86\x92'");
  CHECK_EQ_INT(lex_one("&").kind, TOK_ERROR);
}

static void test_newlines(void) {
  /* No NEWLINE before the first token; runs and comments collapse. */
  Lexed r = lex_all("\n\n# c\na\n\n  # c\n\nb # c\n");
  static const TokenKind want[] = {TOK_IDENT, TOK_NEWLINE, TOK_IDENT,
                                   TOK_NEWLINE};
  CHECK(kinds_are(&r, want, 4));
  CHECK_EQ_INT(r.t[2].line, 8);

  /* Suppressed inside ( and [ ... */
  Lexed p = lex_all("f(a,\n  b)\nv = [1,\n 2]\n");
  static const TokenKind want_p[] = {
      TOK_IDENT,  TOK_LPAREN,  TOK_IDENT,  TOK_COMMA,    TOK_IDENT,
      TOK_RPAREN, TOK_NEWLINE, TOK_IDENT,  TOK_EQ,       TOK_LBRACKET,
      TOK_NUMBER, TOK_COMMA,   TOK_NUMBER, TOK_RBRACKET, TOK_NEWLINE};
  CHECK(kinds_are(&p, want_p, 15));

  /* ... but not inside { }, even when the { is inside ( */
  Lexed b = lex_all("{\na\n}");
  static const TokenKind want_b[] = {TOK_LBRACE, TOK_NEWLINE, TOK_IDENT,
                                     TOK_NEWLINE, TOK_RBRACE};
  CHECK(kinds_are(&b, want_b, 5));
  Lexed fb = lex_all("g(fn(x) {\na\nb\n}\n)");
  int newlines = 0;
  for (int i = 0; i < fb.n; i++)
    newlines += fb.t[i].kind == TOK_NEWLINE;
  CHECK_EQ_INT(newlines, 3); /* after '{', a and b; not after '}' */
  CHECK_EQ_INT(fb.t[fb.n - 1].kind, TOK_RPAREN);

  /* An unbalanced ')' does not turn suppression on or off for good. */
  Lexed u = lex_all(")\na");
  CHECK_EQ_INT(u.n, 3);
  CHECK_EQ_INT(u.t[1].kind, TOK_NEWLINE);
}

static void test_bom(void) {
  Lexed r = lex_all("\xEF\xBB\xBFx");
  CHECK_EQ_INT(r.n, 1);
  CHECK_EQ_INT(r.t[0].kind, TOK_IDENT);
  CHECK_EQ_INT(r.t[0].len, 1);
}

int main(void) {
  mem_init();
  test_operators();
  test_keywords();
  test_token_names();
  test_positions();
  test_numbers();
  test_strings();
  test_string_errors();
  test_unexpected();
  test_newlines();
  test_bom();
  return check_summary();
}
