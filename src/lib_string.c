/*
 * lib_string.c — strings: str, repr, format, split, join, replace, strip,
 * upper, lower, startswith, endswith, contains, find, substr, number,
 * chr, ord.
 *
 * Strings are immutable byte strings holding UTF-8; positions and lengths
 * are in bytes, 0-based, and a negative start counts from the end (as
 * vector indices do). upper/lower change ASCII letters only.
 *
 * format() follows Python's str.format for the common cases:
 *   {} {0} {name}   next positional argument, argument 0, keyword name=
 *   {:spec}         spec = [[fill]align][sign][0][width][.precision][type]
 *                   align < > ^; sign + - space; type d f F e E g G % s
 *   {{ }}           literal braces
 * With no type, numbers print as print() shows them, strings raw, and
 * other values in their printed form. A numeric type applied to a vector
 * or matrix formats every element: format("{:.2f}", [1, 2.5]) is
 * "[1.00, 2.50]". Like Python, unused arguments are ignored.
 */
#include <config.h>
#include "builtin.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "tensor.h"

/* Longest width or precision a format spec may ask for: wider is surely
 * a mistake, and it bounds the printf buffer. */
enum { FORMAT_MAX_WIDTH = 1000 };

static Value string_value(const char *s, size_t len) {
  return OBJ_VAL(string_new(s, len));
}

static Value strbuf_value(const StrBuf *sb) {
  return string_value(sb->data, sb->len);
}

/* ---- str, repr ----------------------------------------------------------- */

static bool formatted(VM *vm, const CallArgs *call, const char *fn, bool repr,
                      Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  if (!args_bind(&a, vm, call, fn, names, 1))
    return false;
  if (!repr && IS_STRING(a.v[0])) {
    *result = a.v[0];
    return true;
  }
  StrBuf sb;
  strbuf_init(&sb);
  value_format(&sb, a.v[0], repr);
  *result = strbuf_value(&sb);
  return true;
}

static bool b_str(VM *vm, const CallArgs *call, Value *result) {
  return formatted(vm, call, "str", false, result);
}

static bool b_repr(VM *vm, const CallArgs *call, Value *result) {
  return formatted(vm, call, "repr", true, result);
}

/* ---- format -------------------------------------------------------------- */

/* A parsed format spec (Python's mini-language, the supported part). */
typedef struct FormatSpec {
  char fill;
  char align; /* '<', '>', '^', or 0 for the type's default */
  char sign;  /* '+', ' ', or 0 */
  bool zero;  /* '0' before the width: pad numbers with zeros */
  int width;  /* -1 when absent */
  int precision;
  char type; /* one of "dfFeEgG%s", or 0 */
} FormatSpec;

/* State of one format() call, for error messages. */
typedef struct Formatter {
  VM *vm;
  const CallArgs *call;
  int placeholder; /* 1-based number of the placeholder being expanded */
} Formatter;

static bool read_int(const char **p, const char *end, int *out) {
  int v = 0;
  if (*p == end || !isdigit((unsigned char)**p))
    return false;
  while (*p < end && isdigit((unsigned char)**p)) {
    v = v * 10 + (**p - '0');
    if (v > FORMAT_MAX_WIDTH)
      return false;
    (*p)++;
  }
  *out = v;
  return true;
}

static bool is_align(char c) { return c == '<' || c == '>' || c == '^'; }

/* Parses spec text s[0..len) into *fs; false when it is malformed. */
static bool spec_parse(const char *s, size_t len, FormatSpec *fs) {
  const char *p = s, *end = s + len;
  *fs = (FormatSpec){.fill = ' ', .width = -1, .precision = -1};
  if (end - p >= 2 && is_align(p[1])) {
    fs->fill = p[0];
    fs->align = p[1];
    p += 2;
  } else if (p < end && is_align(*p)) {
    fs->align = *p++;
  }
  if (p < end && (*p == '+' || *p == '-' || *p == ' ')) {
    fs->sign = *p == '-' ? 0 : *p;
    p++;
  }
  if (p < end && *p == '0') {
    fs->zero = true;
    p++;
  }
  if (p < end && isdigit((unsigned char)*p) && !read_int(&p, end, &fs->width))
    return false;
  if (p < end && *p == '.') {
    p++;
    if (!read_int(&p, end, &fs->precision))
      return false;
  }
  if (p < end && *p && strchr("dfFeEgG%s", *p))
    fs->type = *p++;
  return p == end;
}

/* Pads text to the spec's width; numbers align right by default. */
static void pad(StrBuf *out, const char *text, size_t len, const FormatSpec *fs,
                bool number) {
  size_t width = fs->width > 0 ? (size_t)fs->width : 0;
  if (len >= width) {
    strbuf_append(out, text, len);
    return;
  }
  size_t gap = width - len, left = 0;
  char align = fs->align ? fs->align : number ? '>' : '<';
  if (align == '>')
    left = gap;
  else if (align == '^')
    left = gap / 2;
  for (size_t i = 0; i < left; i++)
    strbuf_putc(out, fs->fill);
  strbuf_append(out, text, len);
  for (size_t i = left; i < gap; i++)
    strbuf_putc(out, fs->fill);
}

/* One number under a numeric type (d f F e E g G %), unpadded unless the
 * spec asks for zero padding, which printf does sign-aware. */
static void number_text(StrBuf *sb, double x, const FormatSpec *fs) {
  char conv[16];
  int k = 0;
  conv[k++] = '%';
  if (fs->sign)
    conv[k++] = fs->sign;
  if (fs->zero && !fs->align)
    conv[k++] = '0';
  conv[k++] = '*';
  conv[k++] = '.';
  conv[k++] = '*';
  const int width = fs->zero && !fs->align && fs->width > 0 ? fs->width : 0;
  int prec = fs->precision >= 0 ? fs->precision : 6;
  char type = fs->type;
  if (type == 'd') {
    prec = 0;
    type = 'f';
  } else if (type == '%') {
    x *= 100.0;
    type = 'f';
  }
  conv[k++] = type;
  conv[k] = '\0';
  strbuf_printf(sb, conv, width, prec, x);
  if (fs->type == '%')
    strbuf_putc(sb, '%');
}

/* A number with no type: print()'s form, or %g-like with a precision. */
static void plain_number(StrBuf *sb, double x, const FormatSpec *fs) {
  if (fs->precision >= 0 || fs->sign || fs->zero) {
    FormatSpec g = *fs;
    g.type = 'g';
    if (g.precision < 0)
      g.precision = 7;
    number_text(sb, x, &g);
    return;
  }
  value_format_number(sb, x);
}

static bool format_error(Formatter *f, const char *what, double x) {
  return vm_error(f->vm, "format(): placeholder %d %s, got %g", f->placeholder,
                  what, x);
}

/* Formats a number under fs into sb (unpadded). */
static bool number_into(Formatter *f, StrBuf *sb, double x,
                        const FormatSpec *fs) {
  if (fs->type == 'd' && isfinite(x) && x != floor(x))
    return format_error(f, "uses {:d} but the value is not whole", x);
  if (fs->type && fs->type != 's')
    number_text(sb, x, fs);
  else
    plain_number(sb, x, fs);
  return true;
}

/* A vector or matrix with every element under fs: [a, b] or [[a, b], ...]. */
static bool tensor_into(Formatter *f, StrBuf *sb, const ObjTensor *t,
                        const FormatSpec *fs) {
  FormatSpec inner = *fs;
  inner.width = -1;
  inner.zero = false;
  const size_t cols = t->ndim == 2 ? t->shape[1] : t->len;
  const size_t rows = t->ndim == 2 ? t->shape[0] : 1;
  if (t->ndim == 2)
    strbuf_putc(sb, '[');
  for (size_t r = 0; r < rows; r++) {
    strbuf_puts(sb, r ? ", [" : "[");
    for (size_t c = 0; c < cols; c++) {
      if (c)
        strbuf_puts(sb, ", ");
      if (!number_into(f, sb, t->data[r * cols + c], &inner))
        return false;
    }
    strbuf_putc(sb, ']');
  }
  if (t->ndim == 2)
    strbuf_putc(sb, ']');
  return true;
}

/* Formats one value under its spec and appends it, padded, to out. */
static bool format_value(Formatter *f, StrBuf *out, Value v,
                         const FormatSpec *fs) {
  StrBuf sb;
  strbuf_init(&sb);
  const bool numeric_type = fs->type && fs->type != 's';
  bool number = IS_NUM(v);
  if (IS_NUM(v)) {
    if (!number_into(f, &sb, AS_NUM(v), fs))
      return false;
  } else if (IS_TENSOR(v) && numeric_type) {
    if (!tensor_into(f, &sb, AS_TENSOR(v), fs))
      return false;
  } else if (numeric_type) {
    return vm_error(f->vm, "format(): placeholder %d uses {:%c}, which needs "
                    "a number, got a %s", f->placeholder, fs->type,
                    value_type_name(v));
  } else {
    value_format(&sb, v, false);
    if (fs->precision >= 0 && (size_t)fs->precision < sb.len)
      sb.len = (size_t)fs->precision; /* {:.3s} truncates, as in Python */
  }
  pad(out, sb.data, sb.len, fs, number);
  return true;
}

/* Finds the argument a field names: "" (next), digits, or a keyword. */
static bool field_value(Formatter *f, const char *name, size_t len,
                        int *next_auto, Value *out) {
  const CallArgs *call = f->call;
  const int npos = call->argc - 1;
  if (len == 0 || isdigit((unsigned char)name[0])) {
    int k = len == 0 ? (*next_auto)++ : atoi(name);
    if (len > 0)
      for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)name[i]))
          return vm_error(f->vm, "format(): placeholder %d has a bad field "
                          "name '%.*s'", f->placeholder, (int)len, name);
    if (k >= npos)
      return len == 0
                 ? vm_error(f->vm, "format(): placeholder %d has no argument "
                            "(%d given after the format)", f->placeholder,
                            npos)
                 : vm_error(f->vm, "format(): placeholder %d refers to "
                            "argument {%d}, but only %d %s given after the "
                            "format", f->placeholder, k, npos,
                            npos == 1 ? "was" : "were");
    *out = call->argv[1 + k];
    return true;
  }
  for (int k = 0; k < call->kwc; k++)
    if (call->kwnames[k]->len == len &&
        memcmp(call->kwnames[k]->chars, name, len) == 0) {
      *out = call->kwv[k];
      return true;
    }
  return vm_error(f->vm, "format(): placeholder %d refers to {%.*s}, but no "
                  "keyword argument %.*s= was given", f->placeholder,
                  (int)len, name, (int)len, name);
}

/* Expands one placeholder whose text (between the braces) is s[0..len). */
static bool placeholder(Formatter *f, StrBuf *out, const char *s, size_t len,
                        int *next_auto) {
  const char *colon = memchr(s, ':', len);
  const size_t name_len = colon ? (size_t)(colon - s) : len;
  FormatSpec fs;
  if (!spec_parse(colon ? colon + 1 : s + len,
                  colon ? len - name_len - 1 : 0, &fs))
    return vm_error(f->vm, "format(): placeholder %d has a bad format spec "
                    "'{%.*s}' (expected e.g. {:.3f}, {:>8}, {:d})",
                    f->placeholder, (int)len, s);
  Value v;
  return field_value(f, s, name_len, next_auto, &v) &&
         format_value(f, out, v, &fs);
}

static bool b_format(VM *vm, const CallArgs *call, Value *result) {
  if (call->argc < 1)
    return vm_error(vm, "format(): missing required argument 'fmt'");
  if (!IS_STRING(call->argv[0]))
    return vm_error(vm, "format(): argument 1 'fmt' must be a string, got "
                    "a %s", value_type_name(call->argv[0]));
  const ObjString *fmt = AS_STRING(call->argv[0]);
  const char *s = fmt->chars, *end = s + fmt->len;
  Formatter f = {vm, call, 0};
  int next_auto = 0;
  StrBuf out;
  strbuf_init(&out);
  while (s < end) {
    if ((*s == '{' || *s == '}') && s + 1 < end && s[1] == *s) {
      strbuf_putc(&out, *s);
      s += 2;
    } else if (*s == '}') {
      return vm_error(vm, "format(): '}' at position %td has no '{' (write "
                      "'}}' for a literal brace)", s - fmt->chars);
    } else if (*s == '{') {
      const char *close = memchr(s, '}', (size_t)(end - s));
      if (!close)
        return vm_error(vm, "format(): '{' at position %td is not closed "
                        "(write '{{' for a literal brace)", s - fmt->chars);
      f.placeholder++;
      if (!placeholder(&f, &out, s + 1, (size_t)(close - s - 1), &next_auto))
        return false;
      s = close + 1;
    } else {
      strbuf_putc(&out, *s++);
    }
  }
  *result = strbuf_value(&out);
  return true;
}

/* ---- case, whitespace, search -------------------------------------------- */

static bool one_string(VM *vm, const CallArgs *call, const char *fn,
                       ObjString **s) {
  static const char *const names[] = {"s", NULL};
  Args a;
  return args_bind(&a, vm, call, fn, names, 1) && args_string(&a, 0, s);
}

static bool change_case(VM *vm, const CallArgs *call, const char *fn,
                        int (*conv)(int), Value *result) {
  ObjString *s;
  if (!one_string(vm, call, fn, &s))
    return false;
  ObjString *out = string_new(s->chars, s->len);
  for (size_t i = 0; i < out->len; i++)
    if ((unsigned char)out->chars[i] < 0x80)
      out->chars[i] = (char)conv((unsigned char)out->chars[i]);
  out->hash = string_hash(out->chars, out->len);
  *result = OBJ_VAL(out);
  return true;
}

static bool b_upper(VM *vm, const CallArgs *call, Value *result) {
  return change_case(vm, call, "upper", toupper, result);
}

static bool b_lower(VM *vm, const CallArgs *call, Value *result) {
  return change_case(vm, call, "lower", tolower, result);
}

/* Which ends strip() and friends trim. */
enum { STRIP_LEFT = 1, STRIP_RIGHT = 2 };

static bool strip_chars(VM *vm, const CallArgs *call, const char *fn,
                        int ends, Value *result) {
  static const char *const names[] = {"s", "chars", NULL};
  Args a;
  ObjString *s;
  const char *chars;
  if (!args_bind(&a, vm, call, fn, names, 1) || !args_string(&a, 0, &s) ||
      !args_string_or(&a, 1, " \t\n\r\f\v", &chars))
    return false;
  size_t lo = 0, hi = s->len;
  while ((ends & STRIP_LEFT) && lo < hi && strchr(chars, s->chars[lo]))
    lo++;
  while ((ends & STRIP_RIGHT) && hi > lo && strchr(chars, s->chars[hi - 1]))
    hi--;
  *result = string_value(s->chars + lo, hi - lo);
  return true;
}

static bool b_strip(VM *vm, const CallArgs *call, Value *result) {
  return strip_chars(vm, call, "strip", STRIP_LEFT | STRIP_RIGHT, result);
}

static bool b_lstrip(VM *vm, const CallArgs *call, Value *result) {
  return strip_chars(vm, call, "lstrip", STRIP_LEFT, result);
}

static bool b_rstrip(VM *vm, const CallArgs *call, Value *result) {
  return strip_chars(vm, call, "rstrip", STRIP_RIGHT, result);
}

/* The first position of needle in hay at or after from, or -1. */
static long find_at(const ObjString *hay, const ObjString *needle,
                    size_t from) {
  if (needle->len > hay->len)
    return -1;
  for (size_t i = from; i + needle->len <= hay->len; i++)
    if (memcmp(hay->chars + i, needle->chars, needle->len) == 0)
      return (long)i;
  return -1;
}

/* Binds (s, other) for the two-string predicates. */
static bool two_strings(Args *a, VM *vm, const CallArgs *call, const char *fn,
                        const char *const names[], ObjString **s,
                        ObjString **t) {
  return args_bind(a, vm, call, fn, names, 2) && args_string(a, 0, s) &&
         args_string(a, 1, t);
}

static bool b_startswith(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"s", "prefix", NULL};
  Args a;
  ObjString *s, *p;
  if (!two_strings(&a, vm, call, "startswith", names, &s, &p))
    return false;
  *result =
      BOOL_VAL(p->len <= s->len && memcmp(s->chars, p->chars, p->len) == 0);
  return true;
}

static bool b_endswith(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"s", "suffix", NULL};
  Args a;
  ObjString *s, *p;
  if (!two_strings(&a, vm, call, "endswith", names, &s, &p))
    return false;
  *result = BOOL_VAL(p->len <= s->len &&
                     memcmp(s->chars + s->len - p->len, p->chars, p->len) == 0);
  return true;
}

static bool b_contains(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"s", "sub", NULL};
  Args a;
  ObjString *s, *sub;
  if (!two_strings(&a, vm, call, "contains", names, &s, &sub))
    return false;
  *result = BOOL_VAL(find_at(s, sub, 0) >= 0);
  return true;
}

static bool b_find(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"s", "sub", NULL};
  Args a;
  ObjString *s, *sub;
  if (!two_strings(&a, vm, call, "find", names, &s, &sub))
    return false;
  *result = NUM_VAL((double)find_at(s, sub, 0));
  return true;
}

/* ---- split, join, replace, substr ---------------------------------------- */

/* Python's sep=None split: runs of whitespace separate, no empty items. */
static ObjList *split_whitespace(const ObjString *s) {
  ObjList *out = list_new(8);
  size_t i = 0;
  while (i < s->len) {
    while (i < s->len && isspace((unsigned char)s->chars[i]))
      i++;
    size_t start = i;
    while (i < s->len && !isspace((unsigned char)s->chars[i]))
      i++;
    if (i > start)
      list_push(out, string_value(s->chars + start, i - start));
  }
  return out;
}

static bool b_split(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"s", "sep", NULL};
  Args a;
  ObjString *s, *sep;
  if (!args_bind(&a, vm, call, "split", names, 1) || !args_string(&a, 0, &s))
    return false;
  if (!args_given(&a, 1)) {
    *result = OBJ_VAL(split_whitespace(s));
    return true;
  }
  if (!args_string(&a, 1, &sep))
    return false;
  if (sep->len == 0)
    return args_error(&a, 1, "must not be empty");
  ObjList *out = list_new(8);
  size_t start = 0;
  long at;
  while ((at = find_at(s, sep, start)) >= 0) {
    list_push(out, string_value(s->chars + start, (size_t)at - start));
    start = (size_t)at + sep->len;
  }
  list_push(out, string_value(s->chars + start, s->len - start));
  *result = OBJ_VAL(out);
  return true;
}

static bool b_join(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"items", "sep", NULL};
  Args a;
  const char *sep;
  if (!args_bind(&a, vm, call, "join", names, 1) ||
      !args_string_or(&a, 1, "", &sep))
    return false;
  StrBuf sb;
  strbuf_init(&sb);
  const Value v = a.v[0];
  if (IS_LIST(v)) {
    const ObjList *l = AS_LIST(v);
    for (size_t i = 0; i < l->len; i++) {
      if (i)
        strbuf_puts(&sb, sep);
      value_format(&sb, l->items[i], false);
    }
  } else if (IS_TENSOR(v) || IS_RANGE(v)) {
    const ObjTensor *t = builtin_to_vector(v);
    for (size_t i = 0; t && i < t->len; i++) {
      if (i)
        strbuf_puts(&sb, sep);
      value_format_number(&sb, t->data[i]);
    }
  } else {
    return args_error(&a, 0, "must be a list or vector, got a %s",
                      value_type_name(v));
  }
  *result = strbuf_value(&sb);
  return true;
}

static bool b_replace(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"s", "old", "new", NULL};
  Args a;
  ObjString *s, *old, *new_;
  if (!args_bind(&a, vm, call, "replace", names, 3) ||
      !args_string(&a, 0, &s) || !args_string(&a, 1, &old) ||
      !args_string(&a, 2, &new_))
    return false;
  if (old->len == 0)
    return args_error(&a, 1, "must not be empty");
  StrBuf sb;
  strbuf_init(&sb);
  size_t start = 0;
  long at;
  while ((at = find_at(s, old, start)) >= 0) {
    strbuf_append(&sb, s->chars + start, (size_t)at - start);
    strbuf_append(&sb, new_->chars, new_->len);
    start = (size_t)at + old->len;
  }
  strbuf_append(&sb, s->chars + start, s->len - start);
  *result = strbuf_value(&sb);
  return true;
}

static bool b_substr(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"s", "start", "len", NULL};
  Args a;
  ObjString *s;
  int64_t start;
  size_t len;
  if (!args_bind(&a, vm, call, "substr", names, 2) ||
      !args_string(&a, 0, &s) || !args_int(&a, 1, &start) ||
      !args_count_or(&a, 2, SIZE_MAX, &len))
    return false;
  const int64_t n = (int64_t)s->len;
  const int64_t from = start < 0 ? start + n : start;
  if (from < 0 || from > n)
    return args_error(&a, 1, "is %lld, outside a string of length %lld",
                      (long long)start, (long long)n);
  const size_t avail = (size_t)(n - from);
  *result = string_value(s->chars + from, len < avail ? len : avail);
  return true;
}

/* ---- conversions --------------------------------------------------------- */

/* Parses all of s (surrounding spaces allowed) as a number. */
static bool parse_full(const char *s, double *out) {
  while (isspace((unsigned char)*s))
    s++;
  if (!*s)
    return false;
  char *end;
  errno = 0;
  *out = strtod(s, &end);
  while (isspace((unsigned char)*end))
    end++;
  return *end == '\0' && end != s;
}

static bool to_number(VM *vm, const CallArgs *call, const char *fn,
                      Value *result) {
  static const char *const names[] = {"s", NULL};
  Args a;
  if (!args_bind(&a, vm, call, fn, names, 1))
    return false;
  const Value v = a.v[0];
  if (IS_NUM(v)) {
    *result = v;
    return true;
  }
  if (IS_BOOL(v)) {
    *result = NUM_VAL(AS_BOOL(v) ? 1.0 : 0.0);
    return true;
  }
  ObjString *s;
  if (!args_string(&a, 0, &s))
    return false;
  double x;
  if (!parse_full(s->chars, &x))
    return args_error(&a, 0, "is not a number: \"%.60s\"", s->chars);
  *result = NUM_VAL(x);
  return true;
}

static bool b_number(VM *vm, const CallArgs *call, Value *result) {
  return to_number(vm, call, "number", result);
}

static bool b_parse_number(VM *vm, const CallArgs *call, Value *result) {
  return to_number(vm, call, "parse_number", result);
}

/* Largest Unicode code point. */
#define UNICODE_MAX 0x10FFFF

static bool b_chr(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"code", NULL};
  Args a;
  int64_t c;
  if (!args_bind(&a, vm, call, "chr", names, 1) || !args_int(&a, 0, &c))
    return false;
  if (c < 0 || c > UNICODE_MAX || (c >= 0xD800 && c <= 0xDFFF))
    return args_error(&a, 0, "must be a Unicode code point, got %lld",
                      (long long)c);
  char buf[4];
  size_t n;
  if (c < 0x80) {
    buf[0] = (char)c;
    n = 1;
  } else if (c < 0x800) {
    buf[0] = (char)(0xC0 | (c >> 6));
    buf[1] = (char)(0x80 | (c & 0x3F));
    n = 2;
  } else if (c < 0x10000) {
    buf[0] = (char)(0xE0 | (c >> 12));
    buf[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    buf[2] = (char)(0x80 | (c & 0x3F));
    n = 3;
  } else {
    buf[0] = (char)(0xF0 | (c >> 18));
    buf[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (c & 0x3F));
    n = 4;
  }
  *result = string_value(buf, n);
  return true;
}

/* Decodes the one UTF-8 character of s; -1 when s is not exactly one. */
static long utf8_single(const unsigned char *s, size_t len) {
  if (len == 0)
    return -1;
  size_t n = 0; /* the sequence length announced by the lead byte */
  if (s[0] < 0x80)
    n = 1;
  else if ((s[0] >> 5) == 0x6)
    n = 2;
  else if ((s[0] >> 4) == 0xE)
    n = 3;
  else if ((s[0] >> 3) == 0x1E)
    n = 4;
  if (n == 0 || n != len)
    return -1;
  long c = n == 1 ? s[0] : s[0] & (0x3F >> (n - 1));
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return -1;
    c = (c << 6) | (s[i] & 0x3F);
  }
  return c;
}

static bool b_ord(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"c", NULL};
  Args a;
  ObjString *s;
  if (!args_bind(&a, vm, call, "ord", names, 1) || !args_string(&a, 0, &s))
    return false;
  long c = utf8_single((const unsigned char *)s->chars, s->len);
  if (c < 0)
    return args_error(&a, 0, "must be a string of one character, got \"%.20s\""
                      " (%zu bytes)", s->chars, s->len);
  *result = NUM_VAL((double)c);
  return true;
}

static const BuiltinDef string_defs[] = {
    {"str", b_str, "str(x): x as print() shows it, as a string"},
    {"repr", b_repr, "repr(x): x as the REPL echoes it (strings quoted)"},
    {"format", b_format,
     "format(fmt, ...): fill {} / {0} / {name} / {:.3f} / {:>8} placeholders, "
     "as Python's str.format"},
    {"upper", b_upper, "upper(s): s with ASCII letters in upper case"},
    {"lower", b_lower, "lower(s): s with ASCII letters in lower case"},
    {"strip", b_strip,
     "strip(s, chars=nil): s without leading and trailing whitespace (or "
     "chars)"},
    {"lstrip", b_lstrip, "lstrip(s, chars=nil): s without leading whitespace"},
    {"rstrip", b_rstrip, "rstrip(s, chars=nil): s without trailing whitespace"},
    {"split", b_split,
     "split(s, sep=nil): list of the parts of s between sep (nil: runs of "
     "whitespace)"},
    {"join", b_join,
     "join(items, sep=\"\"): the items' printed forms joined by sep"},
    {"replace", b_replace,
     "replace(s, old, new): s with every old replaced by new"},
    {"startswith", b_startswith,
     "startswith(s, prefix): does s begin with prefix?"},
    {"endswith", b_endswith, "endswith(s, suffix): does s end with suffix?"},
    {"contains", b_contains, "contains(s, sub): does sub occur in s?"},
    {"find", b_find,
     "find(s, sub): 0-based byte position of the first sub in s, or -1"},
    {"substr", b_substr,
     "substr(s, start, len=nil): len bytes of s from 0-based start (negative "
     "counts from the end)"},
    {"number", b_number,
     "number(s): the number written in string s (error if it is not one)"},
    {"parse_number", b_parse_number,
     "parse_number(s): the number written in string s (= number)"},
    {"chr", b_chr, "chr(code): the one-character string of a code point"},
    {"ord", b_ord, "ord(c): the code point of a one-character string"},
    {NULL, NULL, NULL},
};

void lib_string_register(VM *vm) { builtin_register(vm, string_defs); }
