/*
 * test_parse.c — unit tests of the parser (through ast_dump), its error
 * messages and recovery, parse_incomplete, and the diagnostic layout of
 * report.c.
 *
 * Trees are compared as ast_dump S-expressions; diagnostics as the exact
 * text a user sees (written to a memory stream, so never in colour).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mem.h"
#include "parse.h"
#include "report.h"

typedef struct Parsed {
  Ast *program;
  int nerrors;
  char *errors; /* everything printed to the error stream */
} Parsed;

static Parsed parse_text(const char *text) {
  Parsed r = {0};
  size_t size = 0;
  FILE *err = open_memstream(&r.errors, &size);
  Source *src = source_new("model.ppl", text, strlen(text));
  r.program = parse_program(src, err, &r.nerrors);
  fclose(err);
  return r;
}

/* ast_dump of node as a string, without the final newline. */
static char *dump(const Ast *node) {
  char *buf = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&buf, &size);
  ast_dump(out, node, 0);
  fclose(out);
  if (size > 0 && buf[size - 1] == '\n')
    buf[size - 1] = '\0';
  return buf;
}

/* The dump of the expression of a one-statement program, or "ERROR". */
static char *expr(const char *text) {
  Parsed r = parse_text(text);
  free(r.errors);
  if (!r.program || r.program->list.count != 1 ||
      r.program->list.items[0]->kind != AST_EXPR_STMT)
    return strdup("ERROR");
  return dump(r.program->list.items[0]->a);
}

/* The dump of a whole program, or "ERROR". */
static char *program(const char *text) {
  Parsed r = parse_text(text);
  free(r.errors);
  return r.program ? dump(r.program) : strdup("ERROR");
}

/* The first line of the diagnostics for text (the "file:l:c: error:" line),
 * or "" when it parses. */
static char *first_error(const char *text) {
  Parsed r = parse_text(text);
  char *nl = r.errors ? strchr(r.errors, '\n') : NULL;
  if (nl)
    *nl = '\0';
  return r.errors;
}

#define CHECK_EXPR(text, want)                                                 \
  do {                                                                         \
    char *got_ = expr(text);                                                   \
    CHECK_EQ_STR(got_, want);                                                  \
    free(got_);                                                                \
  } while (0)

#define CHECK_PROGRAM(text, want)                                              \
  do {                                                                         \
    char *got_ = program(text);                                                \
    CHECK_EQ_STR(got_, want);                                                  \
    free(got_);                                                                \
  } while (0)

#define CHECK_ERROR(text, want)                                                \
  do {                                                                         \
    char *got_ = first_error(text);                                            \
    CHECK_EQ_STR(got_, want);                                                  \
    free(got_);                                                                \
  } while (0)

static void test_precedence(void) {
  CHECK_EXPR("-2**2", "(UNARY - (BINARY ** (NUMBER 2) (NUMBER 2)))");
  CHECK_EXPR("2**-1", "(BINARY ** (NUMBER 2) (UNARY - (NUMBER 1)))");
  CHECK_EXPR("2**3**2",
             "(BINARY ** (NUMBER 2) (BINARY ** (NUMBER 3) (NUMBER 2)))");
  CHECK_EXPR("a or b and c", "(OR (NAME a) (AND (NAME b) (NAME c)))");
  CHECK_EXPR("a || b && c", "(OR (NAME a) (AND (NAME b) (NAME c)))");
  CHECK_EXPR("a < b < c", "(COMPARE (NAME a) < (NAME b) < (NAME c))");
  CHECK_EXPR("a == b != c >= d",
             "(COMPARE (NAME a) == (NAME b) != (NAME c) >= (NAME d))");
  CHECK_EXPR("1 + 2 * 3",
             "(BINARY + (NUMBER 1) (BINARY * (NUMBER 2) (NUMBER 3)))");
  CHECK_EXPR("(1 + 2) * 3",
             "(BINARY * (BINARY + (NUMBER 1) (NUMBER 2)) (NUMBER 3))");
  CHECK_EXPR("a - b - c", "(BINARY - (BINARY - (NAME a) (NAME b)) (NAME c))");
  CHECK_EXPR("a @ b // c % d",
             "(BINARY % (BINARY // (BINARY @ (NAME a) (NAME b)) (NAME c)) "
             "(NAME d))");
  CHECK_EXPR("f(x)[1].y",
             "(FIELD (INDEX (CALL (NAME f) (NAME x)) (NUMBER 1)) y)");
  CHECK_EXPR("-x.y", "(UNARY - (FIELD (NAME x) y))");
  CHECK_EXPR("not a == b", "(UNARY not (COMPARE (NAME a) == (NAME b)))");
  CHECK_EXPR("not a and b", "(AND (UNARY not (NAME a)) (NAME b))");
  CHECK_EXPR("!a || b", "(OR (UNARY ! (NAME a)) (NAME b))");
  CHECK_EXPR("a + b < c * d", "(COMPARE (BINARY + (NAME a) (NAME b)) < "
                              "(BINARY * (NAME c) (NAME d)))");
  CHECK_EXPR("- -x", "(UNARY - (UNARY - (NAME x)))");
  CHECK_EXPR("+x ** 2", "(UNARY + (BINARY ** (NAME x) (NUMBER 2)))");
  CHECK_EXPR("a +\n b", "(BINARY + (NAME a) (NAME b))");
  CHECK_EXPR("a and\n b", "(AND (NAME a) (NAME b))");
}

static void test_postfix_and_literals(void) {
  CHECK_EXPR("f(1, b=2)", "(CALL (NAME f) (NUMBER 1) (KW b (NUMBER 2)))");
  CHECK_EXPR("f()", "(CALL (NAME f))");
  CHECK_EXPR("f(\n  1,\n  2,\n)", "(CALL (NAME f) (NUMBER 1) (NUMBER 2))");
  CHECK_EXPR("m[i, j]", "(INDEX (NAME m) (NAME i) (NAME j))");
  CHECK_EXPR("m[:, 0]", "(INDEX (NAME m) (SLICE _ _ _) (NUMBER 0))");
  CHECK_EXPR("v[1:3]", "(INDEX (NAME v) (SLICE (NUMBER 1) (NUMBER 3) _))");
  CHECK_EXPR("v[:3]", "(INDEX (NAME v) (SLICE _ (NUMBER 3) _))");
  CHECK_EXPR("v[::2]", "(INDEX (NAME v) (SLICE _ _ (NUMBER 2)))");
  CHECK_EXPR("v[-1]", "(INDEX (NAME v) (UNARY - (NUMBER 1)))");
  CHECK_EXPR("[1, 2, 3,]", "(LIST (NUMBER 1) (NUMBER 2) (NUMBER 3))");
  CHECK_EXPR("[]", "(LIST)");
  CHECK_EXPR("[1,\n 2]", "(LIST (NUMBER 1) (NUMBER 2))");
  CHECK_EXPR("{a: 1, \"b c\": 2, c: x}",
             "(RECORD (KEY \"a\" (NUMBER 1)) (KEY \"b c\" (NUMBER 2)) "
             "(KEY \"c\" (NAME x)))");
  CHECK_EXPR("{}", "(RECORD)");
  CHECK_EXPR("{\n  a: 1,\n  b: 2\n}",
             "(RECORD (KEY \"a\" (NUMBER 1)) (KEY \"b\" (NUMBER 2)))");
  CHECK_EXPR("r.model", "(FIELD (NAME r) model)");
  CHECK_EXPR("\"a\\tb\"", "(STRING \"a\\tb\")");
  CHECK_EXPR("2.5e-3", "(NUMBER 0.0025)");
  CHECK_EXPR("true", "(TRUE)");
  CHECK_EXPR("nil", "(NIL)");
  CHECK_EXPR("fn(x) { x * 2 }",
             "(FUNC _ (PARAM x) (BLOCK\n"
             "  (EXPR_STMT (BINARY * (NAME x) (NUMBER 2)))))");
}

static void test_statements(void) {
  CHECK_PROGRAM("let x = 1\nlet y\nx += 2; y = x",
                "(PROGRAM\n"
                "  (LET x (NUMBER 1))\n"
                "  (LET y)\n"
                "  (ASSIGN += (NAME x) (NUMBER 2))\n"
                "  (ASSIGN = (NAME y) (NAME x)))");
  CHECK_PROGRAM("v[i] = 1\nr.a *= 2",
                "(PROGRAM\n"
                "  (ASSIGN = (INDEX (NAME v) (NAME i)) (NUMBER 1))\n"
                "  (ASSIGN *= (FIELD (NAME r) a) (NUMBER 2)))");
  CHECK_PROGRAM("fn add(a, b=1) { return a + b }",
                "(PROGRAM\n"
                "  (FN_DECL (FUNC add (PARAM a) (PARAM b (NUMBER 1)) (BLOCK\n"
                "    (RETURN (BINARY + (NAME a) (NAME b)))))))");
  CHECK_PROGRAM("fn f() {\n  return\n}", "(PROGRAM\n"
                                         "  (FN_DECL (FUNC f (BLOCK\n"
                                         "    (RETURN)))))");
  CHECK_PROGRAM("model m(y) {\n  mu ~ Normal(0, 1)\n  y[i] ~ Normal(mu, 1)\n}",
                "(PROGRAM\n"
                "  (MODEL m (PARAM y) (BLOCK\n"
                "    (TILDE (NAME mu) (CALL (NAME Normal) (NUMBER 0) "
                "(NUMBER 1)))\n"
                "    (TILDE (INDEX (NAME y) (NAME i)) (CALL (NAME Normal) "
                "(NAME mu) (NUMBER 1))))))");
  CHECK_PROGRAM("import \"stats\"\nimport stats", "(PROGRAM\n"
                                                  "  (IMPORT \"stats\")\n"
                                                  "  (IMPORT \"stats\"))");
  CHECK_PROGRAM("for i in range(3) { if i > 1 { break }; continue }",
                "(PROGRAM\n"
                "  (FOR i (CALL (NAME range) (NUMBER 3)) (BLOCK\n"
                "    (IF (COMPARE (NAME i) > (NUMBER 1)) (BLOCK\n"
                "      (BREAK)) _)\n"
                "    (CONTINUE))))");
  CHECK_PROGRAM("while x { x = x - 1 }",
                "(PROGRAM\n"
                "  (WHILE (NAME x) (BLOCK\n"
                "    (ASSIGN = (NAME x) (BINARY - (NAME x) (NUMBER 1))))))");
  /* else if chains, an else on the next line, if as an expression */
  CHECK_PROGRAM("if a { 1 }\nelse if b { 2 }\n# note\nelse { 3 }",
                "(PROGRAM\n"
                "  (IF (NAME a) (BLOCK\n"
                "    (EXPR_STMT (NUMBER 1))) (IF (NAME b) (BLOCK\n"
                "    (EXPR_STMT (NUMBER 2))) (BLOCK\n"
                "    (EXPR_STMT (NUMBER 3))))))");
  CHECK_PROGRAM("let y = if c { 1 } else { 2 }",
                "(PROGRAM\n"
                "  (LET y (IF (NAME c) (BLOCK\n"
                "    (EXPR_STMT (NUMBER 1))) (BLOCK\n"
                "    (EXPR_STMT (NUMBER 2))))))");
  /* an anonymous function as an argument keeps its statements apart */
  CHECK_PROGRAM("map(v, fn(x) {\n  let z = x\n  z\n})",
                "(PROGRAM\n"
                "  (EXPR_STMT (CALL (NAME map) (NAME v) (FUNC _ (PARAM x) "
                "(BLOCK\n"
                "    (LET z (NAME x))\n"
                "    (EXPR_STMT (NAME z)))))))");
  CHECK_PROGRAM("while x\n{\n  f()\n}", "(PROGRAM\n"
                                        "  (WHILE (NAME x) (BLOCK\n"
                                        "    (EXPR_STMT (CALL (NAME f))))))");
  CHECK_PROGRAM("", "(PROGRAM)");
  CHECK_PROGRAM("\n# only a comment\n\n", "(PROGRAM)");

  /* Positions: operators for unary/binary, '(' for calls. */
  Parsed r = parse_text("x = a +\n  f(b)");
  if (CHECK(r.program != NULL)) {
    Ast *assign = r.program->list.items[0];
    CHECK_EQ_INT(assign->b->line, 1);
    CHECK_EQ_INT(assign->b->col, 7);
    CHECK_EQ_INT(assign->b->b->line, 2);
    CHECK_EQ_INT(assign->b->b->col, 4);
  }
  free(r.errors);
}

static void test_error_messages(void) {
  CHECK_ERROR("f(1, 2", "model.ppl:1:7: error: expected ')' after arguments");
  CHECK_ERROR("if x {\n  a\n",
              "model.ppl:2:4: error: expected '}' to close the block opened "
              "at line 1");
  CHECK_ERROR("let x = )",
              "model.ppl:1:9: error: expected an expression, found ')'");
  CHECK_ERROR("let = 1", "model.ppl:1:5: error: expected a name after 'let'");
  CHECK_ERROR("x = \"abc", "model.ppl:1:5: error: unterminated string");
  CHECK_ERROR("fn f(a, b=1, c) { }",
              "model.ppl:1:14: error: default values must come last: "
              "parameter 'c' has none but 'b' has one");
  CHECK_ERROR("break", "model.ppl:1:1: error: 'break' outside a loop");
  CHECK_ERROR("while x { fn g() { continue } }",
              "model.ppl:1:20: error: 'continue' outside a loop");
  CHECK_ERROR("return 1", "model.ppl:1:1: error: 'return' outside a function");
  CHECK_ERROR("f(b=1, 2)",
              "model.ppl:1:8: error: positional argument after keyword "
              "argument");
  CHECK_ERROR("f(x) = 1",
              "model.ppl:1:1: error: cannot assign to this expression");
  CHECK_ERROR("f(x) ~ Normal(0, 1)",
              "model.ppl:1:1: error: the left side of '~' must be a name or "
              "an indexed name, such as y or y[i]");
  CHECK_ERROR("x = 12abc", "model.ppl:1:5: error: invalid number '12abc'");
  CHECK_ERROR("a $ b", "model.ppl:1:3: error: unexpected character '$'");
  CHECK_ERROR("let x = 1 2",
              "model.ppl:1:11: error: expected end of line or ';' after the "
              "statement, found '2'");
  CHECK_ERROR("x = [1, 2",
              "model.ppl:1:10: error: expected ']' after the list items");
  CHECK_ERROR("}", "model.ppl:1:1: error: '}' without a matching '{'");
  CHECK_ERROR("fn f(a, a) { }",
              "model.ppl:1:9: error: parameter 'a' appears twice");
  CHECK_ERROR("let x = 1 +",
              "model.ppl:1:12: error: expected an expression, found end of "
              "input");
  CHECK_ERROR("if x = 1 { }",
              "model.ppl:1:6: error: expected '{' after the condition of "
              "'if', found '=' (use '==' to compare)");

  /* The full layout: gutter, excerpt, caret after the last token. */
  Parsed r = parse_text("model m(y) {\n  mu ~ Normal(0, 1)\n"
                        "    y ~ Normal(mu, sigma");
  CHECK(r.program == NULL);
  CHECK(strncmp(r.errors,
                "model.ppl:3:25: error: expected ')' after arguments\n"
                "    3 |     y ~ Normal(mu, sigma\n"
                "      |                         ^\n",
                strlen("model.ppl:3:25: error: expected ')' after arguments\n"
                       "    3 |     y ~ Normal(mu, sigma\n"
                       "      |                         ^\n")) == 0);
  free(r.errors);
}

static void test_recovery(void) {
  /* One error per broken statement, good statements in between ignored. */
  Parsed r = parse_text("let a = )\nlet b = 1\nlet c = (\n]\nlet d = 2 3\n"
                        "fn f() {\n  x = * 2\n  y = 1\n}\nlet e = 1");
  CHECK(r.program == NULL);
  CHECK_EQ_INT(r.nerrors, 4);
  free(r.errors);

  /* A broken record does not make its '}' look stray. */
  r = parse_text("let r = {a: 1\n b: 2}\nlet y = 3");
  CHECK_EQ_INT(r.nerrors, 1);
  free(r.errors);

  /* At most PARSE_MAX_ERRORS, then a note. */
  char text[40 * 10 + 1] = "";
  for (int i = 0; i < 40; i++)
    strcat(text, "let = 1\n");
  r = parse_text(text);
  CHECK_EQ_INT(r.nerrors, PARSE_MAX_ERRORS);
  CHECK(strstr(r.errors, "note: too many errors") != NULL);
  free(r.errors);

  /* Deep nesting is an error, not a stack overflow. */
  enum { DEEP = 100000 };
  char *deep = malloc(DEEP + 2);
  memset(deep, '(', DEEP);
  deep[DEEP] = '1';
  deep[DEEP + 1] = '\0';
  r = parse_text(deep);
  CHECK(r.program == NULL);
  CHECK(strstr(r.errors, "nested too deeply") != NULL);
  free(r.errors);
  free(deep);
}

static void test_incomplete(void) {
  CHECK(parse_incomplete("f(1,"));
  CHECK(parse_incomplete("let v = [1, 2"));
  CHECK(parse_incomplete("fn f(x) {\n  let y = x"));
  CHECK(parse_incomplete("let s = \"abc"));
  CHECK(parse_incomplete("x = 1 +"));
  CHECK(parse_incomplete("x = 1 +   # more below\n"));
  CHECK(parse_incomplete("let x ="));
  CHECK(parse_incomplete("a,"));
  CHECK(!parse_incomplete("x = 1"));
  CHECK(!parse_incomplete("f(1)\n# a comment\n\n"));
  CHECK(!parse_incomplete("fn f(x) { x }"));
  CHECK(!parse_incomplete("x)"));
  CHECK(!parse_incomplete("let s = \"a # b\""));
  CHECK(!parse_incomplete(""));
}

static void test_report(void) {
  char *buf = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&buf, &size);
  Source *src = source_new("t.ppl", "a\n\tb = ?\n", 9);
  report_at(out, REPORT_WARNING, src, 2, 6, "odd %s", "thing");
  report_at(out, REPORT_NOTE, NULL, 0, 0, "just text");
  report_at(out, REPORT_ERROR, src, 0, 0, "no position");
  fclose(out);
  CHECK_EQ_STR(buf, "t.ppl:2:6: warning: odd thing\n"
                    "    2 |         b = ?\n"
                    "      |             ^\n"
                    "note: just text\n"
                    "t.ppl: error: no position\n");
  free(buf);

  size_t len = 0;
  const char *line = source_line(src, 2, &len);
  CHECK_EQ_INT(len, 6);
  CHECK(line && line[0] == '\t');
  CHECK(source_line(src, 3, &len) == NULL);

  static const char *const known[] = {"sigma", "mu", "tau", "normal_fit"};
  CHECK_EQ_STR(report_suggest("sigam", known, 4), "sigma");
  CHECK_EQ_STR(report_suggest("simga", known, 4), "sigma");
  CHECK_EQ_STR(report_suggest("mue", known, 4), "mu");
  CHECK_EQ_STR(report_suggest("normal_fti", known, 4), "normal_fit");
  CHECK(report_suggest("xyz", known, 4) == NULL);
  CHECK_EQ_STR(report_suggest("ta", known, 4), "tau");
  CHECK(report_suggest("sgm", known, 4) == NULL); /* 3 letters: 1 edit */
}

int main(void) {
  mem_init();
  test_precedence();
  test_postfix_and_literals();
  test_statements();
  test_error_messages();
  test_recovery();
  test_incomplete();
  test_report();
  return check_summary();
}
