/*
 * lib_gp.c — the builtins of Gaussian-process regression: covariance
 * functions (ExpQuad(...), ..., combined with + and *), gp_fit, predict,
 * gp_sample, log_marginal_likelihood, kernel_matrix; the kernel and fit
 * handle classes.
 *
 * Names follow PyMC's pm.gp.cov (ExpQuad(input_dim, ls=...)) and the
 * fitting conventions scikit-learn's GaussianProcessRegressor (alpha,
 * normalize_y, n_restarts_optimizer as restarts, log_marginal_likelihood).
 * Inputs are a vector (one column) or a matrix with one row per point.
 * A mean function (a number, or a function of the inputs returning one
 * value per point) is subtracted before fitting and added back to
 * predictions and draws; the numerics in src/gp/ never see the VM.
 *
 * Inside a model block a hyperparameter may be a model variable
 * (ExpQuad(ls=ls), eta**2 * k): the kernel then keeps it in the group's
 * `sym` (a boxed Value) for GPMarginal (lib_gp_model.c), which builds the
 * covariance on the model's tape. Such a kernel prints its symbolic values
 * as <model variable>, and gp_fit / kernel_matrix reject it.
 */
#include <config.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "gp/gp.h"
#include "gp/kernel.h"
#include "lib_gp.h"
#include "mem.h"
#include "model.h"
#include "opcodes.h"
#include "rng.h"
#include "strbuf.h"
#include "tensor.h"
#include "vmops.h"

/* scikit-learn's default alpha: a variance added to K's diagonal. */
#define GP_DEFAULT_ALPHA 1e-10

/* ---- kernel values ------------------------------------------------------- */

static void format_kernel(StrBuf *sb, const GpKernel *k, GpKernelKind parent);

static void format_values(StrBuf *sb, const GpParam *p) {
  if (p->sym) {
    strbuf_puts(sb, "<model variable>");
    return;
  }
  if (p->n == 1) {
    value_format_number(sb, p->v[0]);
    return;
  }
  strbuf_putc(sb, '[');
  for (int t = 0; t < p->n; t++) {
    if (t)
      strbuf_puts(sb, ", ");
    value_format_number(sb, p->v[t]);
  }
  strbuf_putc(sb, ']');
}

static int nfixed(const GpKernel *k) {
  int n = 0;
  for (int g = 0; g < k->ngroups; g++)
    n += k->group[g].fixed;
  return n;
}

static void format_fixed(StrBuf *sb, const GpKernel *k) {
  int nf = nfixed(k);
  if (nf == 0)
    return;
  if (nf == k->ngroups) {
    strbuf_puts(sb, ", fixed=true");
    return;
  }
  strbuf_puts(sb, ", fixed=[");
  for (int g = 0, i = 0; g < k->ngroups; g++)
    if (k->group[g].fixed)
      strbuf_printf(sb, "%s\"%s\"", i++ ? ", " : "", k->group[g].name);
  strbuf_putc(sb, ']');
}

static void format_leaf(StrBuf *sb, const GpKernel *k) {
  strbuf_printf(sb, "%s(", gp_kernel_name(k->kind));
  for (int g = 0; g < k->ngroups; g++) {
    strbuf_printf(sb, "%s%s=", g ? ", " : "", k->group[g].name);
    format_values(sb, &k->group[g]);
  }
  if (k->kind == GPK_POLYNOMIAL)
    strbuf_printf(sb, ", d=%d", k->degree);
  if (k->ard && k->group[k->ngroups - 1].n == 1)
    strbuf_puts(sb, ", ard=true");
  if (k->dims && !k->all_dims) {
    strbuf_puts(sb, ", active_dims=[");
    for (int t = 0; t < k->ndims; t++)
      strbuf_printf(sb, "%s%d", t ? ", " : "", k->dims[t]);
    strbuf_putc(sb, ']');
  }
  format_fixed(sb, k);
  strbuf_putc(sb, ')');
}

/* A free Constant inside a product is a scale: printed as the number. */
static void format_kernel(StrBuf *sb, const GpKernel *k, GpKernelKind parent) {
  if (k->kind == GPK_SUM || k->kind == GPK_PROD) {
    bool parens = k->kind == GPK_SUM && parent == GPK_PROD;
    if (parens)
      strbuf_putc(sb, '(');
    format_kernel(sb, k->left, k->kind);
    strbuf_printf(sb, " %s ", gp_kernel_name(k->kind));
    format_kernel(sb, k->right, k->kind);
    if (parens)
      strbuf_putc(sb, ')');
    return;
  }
  if (k->kind == GPK_CONSTANT && parent == GPK_PROD && !k->group[0].fixed)
    format_values(sb, &k->group[0]);
  else
    format_leaf(sb, k);
}

static void kernel_format(StrBuf *sb, void *data, bool repr) {
  PPL_UNUSED(repr);
  format_kernel(sb, data, GPK_SUM);
}

/* Leaf labels for records of hyperparameters: the kernel's name, with
 * _2, _3, ... for its second and later occurrences. */
typedef struct Labels {
  int count[GPK_SUM];
} Labels;

static const char *leaf_label(Labels *l, const GpKernel *k) {
  int c = ++l->count[k->kind];
  if (c == 1)
    return gp_kernel_name(k->kind);
  return string_format("%s_%d", gp_kernel_name(k->kind), c)->chars;
}

static Value param_value(const GpParam *p) {
  if (p->sym)
    return *(Value *)p->sym;
  if (p->n == 1)
    return NUM_VAL(p->v[0]);
  return OBJ_VAL(tensor_from_array(p->v, (size_t)p->n));
}

static void collect_params(const GpKernel *k, Labels *l, ObjRecord *out) {
  if (k->kind == GPK_SUM || k->kind == GPK_PROD) {
    collect_params(k->left, l, out);
    collect_params(k->right, l, out);
    return;
  }
  ObjRecord *r = record_new();
  for (int g = 0; g < k->ngroups; g++)
    record_set(r, k->group[g].name, param_value(&k->group[g]));
  record_set(out, leaf_label(l, k), OBJ_VAL(r));
}

/* {ExpQuad: {ls: 1.5}, White: {sigma: 0.1}, ...} */
static ObjRecord *params_record(const GpKernel *k) {
  Labels l = {{0}};
  ObjRecord *out = record_new();
  collect_params(k, &l, out);
  return out;
}

/* The name of free parameter `index` (theta order), as "ExpQuad.ls[1]". */
typedef struct NameCtx {
  Labels labels;
  int want, seen;
  const char *found;
} NameCtx;

static void find_name(const GpKernel *k, NameCtx *c) {
  if (c->found)
    return;
  if (k->kind == GPK_SUM || k->kind == GPK_PROD) {
    find_name(k->left, c);
    find_name(k->right, c);
    return;
  }
  const char *label = leaf_label(&c->labels, k);
  for (int g = 0; g < k->ngroups && !c->found; g++) {
    const GpParam *p = &k->group[g];
    if (p->fixed)
      continue;
    if (c->want < c->seen + p->n) {
      int t = c->want - c->seen;
      c->found = p->n == 1
                     ? string_format("%s.%s", label, p->name)->chars
                     : string_format("%s.%s[%d]", label, p->name, t)->chars;
    }
    c->seen += p->n;
  }
}

static const char *free_param_name(const GpKernel *k, int index) {
  NameCtx c = {{{0}}, index, 0, NULL};
  find_name(k, &c);
  return c.found ? c.found : "?";
}

static bool kernel_field(VM *vm, void *data, ObjString *name, Value *out) {
  if (strcmp(name->chars, "params") == 0) {
    *out = OBJ_VAL(params_record(data));
    return true;
  }
  return vm_error(vm, "a kernel has no field '%s' (it has: params)",
                  name->chars);
}

static bool kernel_binary(VM *vm, int op, Value a, Value b, Value *out);

static const HandleClass kernel_class = {
    .name = "kernel",
    .format = kernel_format,
    .get_field = kernel_field,
    .binary = kernel_binary,
};

static Value kernel_wrap(GpKernel *k) {
  return OBJ_VAL(handle_new(&kernel_class, k));
}

static GpKernel *as_kernel(Value v) {
  return object_is_handle(v, &kernel_class) ? AS_HANDLE(v)->data : NULL;
}

GpKernel *lib_gp_kernel_of(Value v) { return as_kernel(v); }

/* Makes p stand for model variable v: the boxed value, and n NaNs in
 * p->v that give the parameter its size (their values are never read). */
static void set_symbolic(GpParam *p, Value v, size_t n) {
  Value *box = mem_alloc(sizeof *box);
  *box = v;
  p->sym = box;
  p->n = (int)n;
  p->v = mem_alloc_atomic(n * sizeof(double));
  for (size_t t = 0; t < n; t++)
    p->v[t] = NAN;
}

/* Elements of a model variable that is a scalar or a vector, else 0. */
static size_t var_elements(Value v) {
  int ndim;
  size_t rows, cols;
  if (model_var_slot(v, &ndim, &rows, &cols) == TAPE_NONE)
    return 0;
  return ndim == 0 ? 1 : ndim == 1 ? rows : rows * cols == 1 ? 1 : 0;
}

static GpKernel *constant_kernel(double c) {
  GpKernel *k = gp_kernel_leaf(GPK_CONSTANT);
  k->group[0].v[0] = c;
  return k;
}

/* k * v, v * k, k / v or k + v for a scalar model variable v: a symbolic
 * Constant leaf (1 / v for the division). */
static bool symbolic_scale(VM *vm, int op, GpKernel *k, Value v, Value *out) {
  if (var_elements(v) != 1)
    return vm_error(vm, "a kernel can only be %s a scalar model variable, "
                        "not a vector or matrix one",
                    op == OP_ADD ? "added to" : "scaled by");
  if (op == OP_DIV && !vmops_binary(vm, OP_DIV, NUM_VAL(1.0), v, &v))
    return false;
  GpKernel *ck = gp_kernel_leaf(GPK_CONSTANT);
  set_symbolic(&ck->group[0], v, 1);
  *out = kernel_wrap(op == OP_ADD ? gp_kernel_combine(GPK_SUM, k, ck)
                                  : gp_kernel_combine(GPK_PROD, ck, k));
  return true;
}

/* k + k, k * k; a positive number on either side of * (or after /) scales,
 * one on either side of + adds a Constant; so does a model variable. */
static bool kernel_binary(VM *vm, int op, Value a, Value b, Value *out) {
  GpKernel *ka = as_kernel(a), *kb = as_kernel(b);
  const char *sym = op == OP_ADD   ? "+"
                    : op == OP_MUL ? "*"
                    : op == OP_DIV ? "/"
                    : op == OP_SUB ? "-"
                                   : NULL;
  if (ka && kb && (op == OP_ADD || op == OP_MUL)) {
    *out = kernel_wrap(
        gp_kernel_combine(op == OP_ADD ? GPK_SUM : GPK_PROD, ka, kb));
    return true;
  }
  Value num = ka ? b : a;
  GpKernel *k = ka ? ka : kb;
  bool symbolic = model_is_var(num);
  bool scalable = k && (IS_NUM(num) || symbolic) &&
                  (op == OP_ADD || op == OP_MUL || (op == OP_DIV && ka));
  if (!scalable)
    return vm_error(vm,
                    "kernels combine with '+' and '*' and are scaled by "
                    "a positive number; '%s' %s '%s' is not supported",
                    value_type_name(a), sym ? sym : "with", value_type_name(b));
  if (symbolic) /* a model variable: its sign is the model's business */
    return symbolic_scale(vm, op, k, num, out);
  double c = AS_NUM(num);
  if (!(c > 0.0) || !isfinite(c))
    return vm_error(vm,
                    "a kernel can only be %s a positive number (a "
                    "covariance must stay positive definite), got %g",
                    op == OP_ADD ? "added to" : "scaled by", c);
  if (op == OP_DIV)
    c = 1.0 / c;
  GpKernel *ck = constant_kernel(c);
  *out = kernel_wrap(op == OP_ADD ? gp_kernel_combine(GPK_SUM, k, ck)
                                  : gp_kernel_combine(GPK_PROD, ck, k));
  return true;
}

/* ---- kernel constructors ------------------------------------------------- */

/* Parameters every leaf on input columns takes besides its groups. */
enum { OPT_INPUT_DIM, OPT_ACTIVE_DIMS, OPT_ARD, OPT_FIXED, OPT_DEGREE };

typedef struct Ctor {
  const char *fn;
  GpKernelKind kind;
  const char *const *names; /* parameter names, NULL-terminated */
} Ctor;

#define COLUMNS_TAIL "active_dims", "ard", "fixed", NULL
static const char *const stationary_names[] = {"input_dim", "ls", COLUMNS_TAIL};
static const char *const ratquad_names[] = {"input_dim", "alpha", "ls",
                                            COLUMNS_TAIL};
static const char *const periodic_names[] = {"input_dim", "period", "ls",
                                             COLUMNS_TAIL};
static const char *const linear_names[] = {"input_dim", "c", COLUMNS_TAIL};
static const char *const poly_names[] = {"input_dim", "c", "d", "offset",
                                         COLUMNS_TAIL};
static const char *const constant_names[] = {"c", "fixed", NULL};
static const char *const white_names[] = {"sigma", "fixed", NULL};

static const Ctor ctors[] = {
    {"ExpQuad", GPK_EXPQUAD, stationary_names},
    {"Matern12", GPK_MATERN12, stationary_names},
    {"Matern32", GPK_MATERN32, stationary_names},
    {"Matern52", GPK_MATERN52, stationary_names},
    {"RationalQuadratic", GPK_RATQUAD, ratquad_names},
    {"RatQuad", GPK_RATQUAD, ratquad_names},
    {"Periodic", GPK_PERIODIC, periodic_names},
    {"Linear", GPK_LINEAR, linear_names},
    {"Polynomial", GPK_POLYNOMIAL, poly_names},
    {"Constant", GPK_CONSTANT, constant_names},
    {"White", GPK_WHITE, white_names},
    {"WhiteNoise", GPK_WHITE, white_names},
};

static int option_of(const char *name) {
  if (strcmp(name, "input_dim") == 0)
    return OPT_INPUT_DIM;
  if (strcmp(name, "active_dims") == 0)
    return OPT_ACTIVE_DIMS;
  if (strcmp(name, "ard") == 0)
    return OPT_ARD;
  if (strcmp(name, "fixed") == 0)
    return OPT_FIXED;
  if (strcmp(name, "d") == 0)
    return OPT_DEGREE;
  return -1;
}

/* ls=[l0, l1] with a model variable among the items: stacked into one
 * vector variable (the model's concat), in place of the list. */
static bool stack_symbolic(Args *a, int i) {
  const ObjList *l = AS_LIST(a->v[i]);
  bool any = false;
  for (size_t e = 0; e < l->len; e++)
    any = any || model_is_var(l->items[e]);
  if (!any)
    return true;
  Value concat;
  if (!vm_get_builtin(a->vm, "concat", &concat))
    return vm_error(a->vm, "internal: builtin 'concat' is missing");
  if (l->len > 255)
    return args_error(a, i, "has more than 255 items");
  return vm_call(a->vm, concat, (int)l->len, l->items, &a->v[i]);
}

/* A group's value: a number, or (per-column groups) a vector; or a model
 * variable of one of those shapes. */
static bool group_arg(Args *a, int i, GpParam *p) {
  ObjTensor *t;
  if (IS_LIST(a->v[i]) && p->per_column && !stack_symbolic(a, i))
    return false;
  if (model_is_var(a->v[i])) {
    size_t n = var_elements(a->v[i]);
    if (n == 0 || (n > 1 && !p->per_column))
      return args_error(a, i, "is a model variable with %s; it must be a "
                              "scalar%s",
                        n == 0 ? "two dimensions" : "several values",
                        p->per_column ? " or a vector (one value per column)"
                                      : "");
    set_symbolic(p, a->v[i], n);
    return true;
  }
  if (IS_NUM(a->v[i]) || !p->per_column) {
    double x;
    if (!args_num(a, i, &x))
      return false;
    t = tensor_from_array(&x, 1);
  } else if (!args_vector(a, i, &t)) {
    return false;
  }
  if (t->len == 0)
    return args_error(a, i, "must hold at least one value");
  for (size_t e = 0; e < t->len; e++) {
    double x = t->data[e];
    bool bad = !isfinite(x) || (p->positive && !(x > 0.0));
    if (bad && t->len == 1)
      return args_error(a, i, "must be %s, got %g",
                        p->positive ? "positive" : "finite", x);
    if (bad)
      return args_error(a, i, "must be %s; element %zu is %g",
                        p->positive ? "positive" : "finite", e, x);
  }
  p->n = (int)t->len;
  p->v = mem_alloc_atomic(t->len * sizeof(double));
  memcpy(p->v, t->data, t->len * sizeof(double));
  return true;
}

static bool active_dims_arg(Args *a, int i, GpKernel *k) {
  ObjTensor *t;
  if (!args_vector(a, i, &t))
    return false;
  if (t->len == 0)
    return args_error(a, i, "must name at least one column");
  k->ndims = (int)t->len;
  k->dims = mem_alloc_atomic(t->len * sizeof(int));
  for (size_t e = 0; e < t->len; e++) {
    double x = t->data[e];
    if (!(x >= 0 && x == floor(x) && x < 1e6))
      return args_error(a, i,
                        "must hold column numbers (whole numbers from "
                        "0); element %zu is %g",
                        e, x);
    for (size_t f = 0; f < e; f++)
      if (t->data[f] == x)
        return args_error(a, i, "names column %g twice", x);
    k->dims[e] = (int)x;
  }
  return true;
}

static bool fix_group(Args *a, int i, GpKernel *k, Value name) {
  if (!IS_STRING(name))
    return args_error(a, i,
                      "must be true, false, a parameter name or a "
                      "list of them, got a %s",
                      value_type_name(name));
  GpParam *p = gp_kernel_group(k, AS_CSTRING(name));
  if (p) {
    p->fixed = true;
    return true;
  }
  StrBuf sb;
  strbuf_init(&sb);
  for (int g = 0; g < k->ngroups; g++)
    strbuf_printf(&sb, "%s%s", g ? ", " : "", k->group[g].name);
  return args_error(a, i,
                    "names '%s', which is not a parameter of %s (it "
                    "has: %s)",
                    AS_CSTRING(name), gp_kernel_name(k->kind), sb.data);
}

/* fixed=true, fixed="period" or fixed=["period", "ls"]. */
static bool fixed_arg(Args *a, int i, GpKernel *k) {
  Value v = a->v[i];
  if (IS_BOOL(v)) {
    for (int g = 0; g < k->ngroups; g++)
      k->group[g].fixed = AS_BOOL(v);
    return true;
  }
  if (IS_LIST(v)) {
    for (size_t e = 0; e < AS_LIST(v)->len; e++)
      if (!fix_group(a, i, k, AS_LIST(v)->items[e]))
        return false;
    return true;
  }
  return fix_group(a, i, k, v);
}

static bool option_arg(Args *a, int i, int opt, GpKernel *k) {
  int64_t n;
  switch (opt) {
  case OPT_INPUT_DIM:
    if (!args_int(a, i, &n))
      return false;
    if (n < 1 || n > 1000000)
      return args_error(a, i,
                        "must be a number of columns (1 or more), got "
                        "%lld",
                        (long long)n);
    k->input_dim = (int)n;
    return true;
  case OPT_ACTIVE_DIMS:
    return active_dims_arg(a, i, k);
  case OPT_ARD:
    return args_bool_or(a, i, false, &k->ard);
  case OPT_FIXED:
    return fixed_arg(a, i, k);
  case OPT_DEGREE:
    if (!args_int(a, i, &n))
      return false;
    if (n < 1 || n > 1000)
      return args_error(a, i,
                        "must be a whole number from 1 to 1000, got "
                        "%lld",
                        (long long)n);
    k->degree = (int)n;
    return true;
  default:
    return false;
  }
}

/* The vector groups must match the active columns named here. */
static bool check_columns(Args *a, const GpKernel *k) {
  int cols = k->dims ? k->ndims : k->input_dim;
  for (int g = 0; g < k->ngroups && cols > 0; g++) {
    const GpParam *p = &k->group[g];
    if (p->n != 1 && p->n != cols)
      return vm_error(a->vm, "%s(): %s has %d values but %s %d column%s", a->fn,
                      p->name, p->n,
                      k->dims ? "active_dims names" : "input_dim is", cols,
                      cols == 1 ? "" : "s");
  }
  if (k->dims && k->input_dim > 0)
    for (int t = 0; t < k->ndims; t++)
      if (k->dims[t] >= k->input_dim)
        return vm_error(a->vm,
                        "%s(): active_dims names column %d but "
                        "input_dim is %d (columns 0 to %d)",
                        a->fn, k->dims[t], k->input_dim, k->input_dim - 1);
  return true;
}

static bool b_kernel(VM *vm, const CallArgs *call, Value *result) {
  const Ctor *c = call->ctx;
  Args a;
  if (!args_bind(&a, vm, call, c->fn, c->names, 0))
    return false;
  GpKernel *k = gp_kernel_leaf(c->kind);
  int fixed_at = -1;
  for (int i = 0; c->names[i]; i++) {
    if (!args_given(&a, i))
      continue;
    int opt = option_of(c->names[i]);
    GpParam *p = opt < 0 ? gp_kernel_group(k, c->names[i]) : NULL;
    if (opt == OPT_FIXED) { /* after the groups it names have values */
      fixed_at = i;
      continue;
    }
    if (p ? !group_arg(&a, i, p) : !option_arg(&a, i, opt, k))
      return false;
  }
  if (fixed_at >= 0 && !fixed_arg(&a, fixed_at, k))
    return false;
  if (!check_columns(&a, k))
    return false;
  *result = kernel_wrap(k);
  return true;
}

/* ---- inputs -------------------------------------------------------------- */

typedef GpPoints Points;

bool lib_gp_finite_values(Args *a, int i, const double *v, size_t n,
                          size_t ncols) {
  for (size_t e = 0; e < n * ncols; e++)
    if (!isfinite(v[e])) {
      const char *what = isnan(v[e]) ? "a NaN" : "an infinite value";
      if (ncols == 1)
        return args_error(a, i, "has %s at position %zu", what, e);
      return args_error(a, i, "has %s at row %zu, column %zu", what, e / ncols,
                        e % ncols);
    }
  return true;
}

bool lib_gp_points_arg(Args *a, int i, Points *p) {
  ObjTensor *t;
  if (IS_TENSOR(a->v[i]) && AS_TENSOR(a->v[i])->ndim == 2) {
    t = AS_TENSOR(a->v[i]);
    p->n = t->shape[0];
    p->ncols = t->shape[1];
  } else {
    if (!args_vector(a, i, &t))
      return false;
    p->n = t->len;
    p->ncols = 1;
  }
  if (p->n == 0 || p->ncols == 0)
    return args_error(a, i, "must hold at least one point");
  p->value = OBJ_VAL(t);
  p->x = t->data;
  return lib_gp_finite_values(a, i, p->x, p->n, p->ncols);
}

/* New points for a fit over ncols columns. */
bool lib_gp_new_points_arg(Args *a, int i, size_t ncols, Points *p) {
  if (!lib_gp_points_arg(a, i, p))
    return false;
  if (p->ncols == ncols)
    return true;
  if (ncols == 1)
    return args_error(a, i,
                      "must be a vector (the fit has one input "
                      "column), got a matrix with %zu columns",
                      p->ncols);
  if (p->ncols == 1 && !IS_TENSOR(a->v[i]))
    return args_error(a, i,
                      "must be a matrix with %zu columns (one row per "
                      "point)",
                      ncols);
  if (p->ncols == 1 && AS_TENSOR(a->v[i])->ndim == 1)
    return args_error(a, i,
                      "must be a matrix with %zu columns (one row per "
                      "point), got a vector",
                      ncols);
  return args_error(a, i, "has %zu columns but the fit has %zu", p->ncols,
                    ncols);
}

/* The mean function at the points: mean is nil (zeros), a number, or a
 * function of the points returning a number or one value per point. */
bool lib_gp_mean_values(VM *vm, const char *fn, Value mean, const Points *p,
                        double *out) {
  if (IS_NIL(mean) || IS_UNDEF(mean) || IS_NUM(mean)) {
    double c = IS_NUM(mean) ? AS_NUM(mean) : 0.0;
    for (size_t i = 0; i < p->n; i++)
      out[i] = c;
    return true;
  }
  Value r;
  if (!vm_call(vm, mean, 1, &p->value, &r))
    return false;
  ObjTensor *t = builtin_to_vector(r);
  if (!t || (t->len != 1 && t->len != p->n))
    return vm_error(vm,
                    "%s(): the mean function must return a number or "
                    "one number per point (%zu), got %s",
                    fn, p->n,
                    t ? string_format("%zu values", t->len)->chars
                      : value_type_name(r));
  for (size_t i = 0; i < p->n; i++) {
    out[i] = t->data[t->len == 1 ? 0 : i];
    if (!isfinite(out[i]))
      return vm_error(vm, "%s(): the mean function returned %g at point %zu",
                      fn, out[i], i);
  }
  return true;
}

static bool mean_arg(Args *a, int i, Value *out) {
  Value v = a->v[i];
  if (!args_given(a, i)) {
    *out = NIL_VAL;
    return true;
  }
  if (IS_NUM(v) && !isfinite(AS_NUM(v)))
    return args_error(a, i, "must be finite, got %g", AS_NUM(v));
  if (IS_NUM(v) || IS_CLOSURE(v) || IS_NATIVE(v)) {
    *out = v;
    return true;
  }
  return args_error(a, i,
                    "must be a number or a function of the inputs, "
                    "got a %s",
                    value_type_name(v));
}

/* noise= (standard deviations) or alpha= (variances): n variances. */
static bool noise_arg(Args *a, int inoise, int ialpha, size_t n, double **out) {
  bool has_noise = args_given(a, inoise), has_alpha = args_given(a, ialpha);
  if (has_noise && has_alpha)
    return vm_error(a->vm,
                    "%s(): give noise (a standard deviation) or alpha "
                    "(a variance), not both",
                    a->fn);
  double *v = mem_alloc_atomic(n * sizeof(double));
  if (!has_noise && !has_alpha) {
    for (size_t i = 0; i < n; i++)
      v[i] = GP_DEFAULT_ALPHA;
    *out = v;
    return true;
  }
  int i = has_noise ? inoise : ialpha;
  ObjTensor *t;
  if (!args_vector(a, i, &t))
    return false;
  if (t->len != 1 && t->len != n)
    return args_error(a, i,
                      "must be a number or one number per point (%zu), "
                      "got %zu values",
                      n, t->len);
  for (size_t e = 0; e < n; e++) {
    double s = t->data[t->len == 1 ? 0 : e];
    if (!(s >= 0.0) || !isfinite(s))
      return args_error(a, i, "must be non-negative and finite, got %g", s);
    v[e] = has_noise ? s * s : s;
  }
  *out = v;
  return true;
}

/* ---- fits ---------------------------------------------------------------- */

typedef struct FitValue {
  GpFit *fit;
  Value mean; /* nil, a number or a function */
  bool normalize_y;
} FitValue;

static void fit_format(StrBuf *sb, void *data, bool repr) {
  PPL_UNUSED(repr);
  const FitValue *fv = data;
  const GpFit *f = fv->fit;
  strbuf_puts(sb, "<gp fit: ");
  format_kernel(sb, f->kernel, GPK_SUM);
  strbuf_puts(sb, "; log marginal likelihood ");
  value_format_number(sb, f->lml);
  strbuf_printf(sb, "; %zu point%s", f->n, f->n == 1 ? "" : "s");
  if (f->ncols > 1)
    strbuf_printf(sb, " x %zu columns", f->ncols);
  strbuf_putc(sb, '>');
}

static Value free_theta(const GpFit *f) {
  size_t nf = gp_kernel_nfree(f->kernel);
  ObjTensor *t = tensor_vector(nf);
  gp_kernel_get_theta(f->kernel, t->data, true);
  return OBJ_VAL(t);
}

static bool fit_field(VM *vm, void *data, ObjString *name, Value *out) {
  const FitValue *fv = data;
  const GpFit *f = fv->fit;
  const char *s = name->chars;
  if (strcmp(s, "kernel") == 0)
    *out = kernel_wrap(f->kernel);
  else if (strcmp(s, "lml") == 0 || strcmp(s, "log_marginal_likelihood") == 0)
    *out = NUM_VAL(f->lml);
  else if (strcmp(s, "params") == 0)
    *out = OBJ_VAL(params_record(f->kernel));
  else if (strcmp(s, "theta") == 0)
    *out = free_theta(f);
  else if (strcmp(s, "n") == 0)
    *out = NUM_VAL((double)f->n);
  else if (strcmp(s, "input_dim") == 0)
    *out = NUM_VAL((double)f->ncols);
  else if (strcmp(s, "converged") == 0)
    *out = BOOL_VAL(f->converged);
  else if (strcmp(s, "starts") == 0)
    *out = NUM_VAL(f->starts);
  else if (strcmp(s, "iterations") == 0)
    *out = NUM_VAL(f->iterations);
  else if (strcmp(s, "evaluations") == 0)
    *out = NUM_VAL(f->evaluations);
  else if (strcmp(s, "jitter") == 0)
    *out = NUM_VAL(f->jitter);
  else if (strcmp(s, "y_mean") == 0)
    *out = NUM_VAL(f->y_shift);
  else if (strcmp(s, "y_std") == 0)
    *out = NUM_VAL(f->y_scale);
  else
    return vm_error(vm,
                    "a gp fit has no field '%s' (it has: kernel, lml, "
                    "params, theta, n, input_dim, converged, starts, "
                    "iterations, evaluations, jitter, y_mean, y_std)",
                    s);
  return true;
}

static const HandleClass fit_class = {
    .name = "gp fit",
    .format = fit_format,
    .get_field = fit_field,
};

static FitValue *fit_arg(Args *a, int i) {
  if (object_is_handle(a->v[i], &fit_class))
    return AS_HANDLE(a->v[i])->data;
  args_error(a, i, "must be a gp fit (what gp_fit() returns), got a %s",
             value_type_name(a->v[i]));
  return NULL;
}

static bool kernel_arg(Args *a, int i, GpKernel **out) {
  *out = as_kernel(a->v[i]);
  const GpKernel *leaf;
  const GpParam *group;
  if (*out && gp_kernel_symbolic(*out, &leaf, &group))
    return args_error(a, i,
                      "has a hyperparameter that is a model variable (%s's "
                      "%s); such a kernel belongs inside a model block, in "
                      "y ~ GPMarginal(k, x, noise=...)",
                      gp_kernel_name(leaf->kind), group->name);
  if (*out)
    return true;
  return args_error(a, i,
                    "must be a kernel (ExpQuad(), Matern52(), ... "
                    "combined with + and *), got a %s",
                    value_type_name(a->v[i]));
}

static bool poll_interrupt(void *vm) { return vm_interrupted(vm); }

/* The warnings a fit deserves, on the VM's diagnostics stream. */
static void fit_warnings(VM *vm, const GpFit *f) {
  FILE *err = vm_err(vm);
  if (f->jitter > 0.0)
    fprintf(err,
            "warning: gp_fit(): the covariance matrix is not positive "
            "definite; added %.3g to its diagonal\n",
            f->jitter);
  if (!f->converged)
    fprintf(err,
            "warning: gp_fit(): the optimiser stopped before "
            "converging (%d iterations); the hyperparameters may not "
            "maximise the marginal likelihood\n",
            f->iterations);
  if (f->at_bound >= 0)
    fprintf(err,
            "warning: gp_fit(): hyperparameter %s ended at a bound of "
            "its search range (%g to %g); consider another kernel or "
            "fixing it\n",
            free_param_name(f->kernel, f->at_bound), GP_BOUND_LO, GP_BOUND_HI);
}

enum {
  FIT_K,
  FIT_X,
  FIT_Y,
  FIT_RESTARTS,
  FIT_NORMALIZE,
  FIT_MEAN,
  FIT_NOISE,
  FIT_ALPHA,
  FIT_SEED,
  FIT_OPTIMIZE
};

static bool b_gp_fit(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "k",     "x",     "y",    "restarts", "normalize_y", "mean",
      "noise", "alpha", "seed", "optimize", NULL};
  Args a;
  GpKernel *k;
  Points p;
  ObjTensor *y;
  size_t restarts;
  bool normalize, optimize;
  Value mean;
  if (!args_bind(&a, vm, call, "gp_fit", names, 3) || !kernel_arg(&a, 0, &k) ||
      !lib_gp_points_arg(&a, FIT_X, &p) || !args_vector(&a, FIT_Y, &y) ||
      !args_count_or(&a, FIT_RESTARTS, 3, &restarts) ||
      !args_bool_or(&a, FIT_NORMALIZE, false, &normalize) ||
      !mean_arg(&a, FIT_MEAN, &mean) ||
      !args_bool_or(&a, FIT_OPTIMIZE, true, &optimize))
    return false;
  if (y->len != p.n)
    return args_error(&a, FIT_Y,
                      "has %zu value%s but x has %zu point%s (one "
                      "target per point)",
                      y->len, y->len == 1 ? "" : "s", p.n, p.n == 1 ? "" : "s");
  if (restarts > 1000)
    return args_error(&a, FIT_RESTARTS, "must be at most 1000, got %zu",
                      restarts);
  double *noise = NULL;
  if (!lib_gp_finite_values(&a, FIT_Y, y->data, y->len, 1) ||
      !noise_arg(&a, FIT_NOISE, FIT_ALPHA, p.n, &noise))
    return false;
  int64_t seed = 0;
  bool seeded = args_given(&a, FIT_SEED);
  if (seeded && !args_int(&a, FIT_SEED, &seed))
    return false;
  char err[GP_ERR_LEN];
  if (!gp_kernel_bind(k, p.ncols, err))
    return args_error(&a, FIT_K, "does not fit x: %s", err);
  double *r = mem_alloc_atomic(p.n * sizeof(double));
  if (!lib_gp_mean_values(vm, "gp_fit", mean, &p, r))
    return false;
  for (size_t i = 0; i < p.n; i++)
    r[i] = y->data[i] - r[i];
  Rng *rng = seeded ? rng_alloc((uint64_t)seed) : vm_rng(vm);
  GpData d = {p.n, p.ncols, p.x, r, noise};
  GpFitOptions o = {.optimize = optimize,
                    .restarts = (int)restarts,
                    .normalize_y = normalize,
                    .rng = rng,
                    .stop = poll_interrupt,
                    .stop_ctx = vm};
  GpFit *f = gp_fit(k, &d, &o, err);
  if (seeded)
    rng_free(rng);
  if (!f)
    return strcmp(err, "interrupted") == 0 ? vm_error(vm, "interrupted")
                                           : vm_error(vm, "gp_fit(): %s", err);
  fit_warnings(vm, f);
  FitValue *fv = mem_alloc(sizeof *fv);
  *fv = (FitValue){f, mean, normalize};
  *result = OBJ_VAL(handle_new(&fit_class, fv));
  return true;
}

/* ---- predict, gp_sample -------------------------------------------------- */

static ObjTensor *from_colmajor(const double *c, size_t rows, size_t cols) {
  ObjTensor *t = tensor_matrix(rows, cols);
  for (size_t i = 0; i < rows; i++)
    for (size_t j = 0; j < cols; j++)
      t->data[i * cols + j] = c[i + j * rows];
  return t;
}

static bool b_predict(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"fit", "xnew", "level", "full_cov", NULL};
  Args a;
  Points p;
  double level;
  bool full;
  FitValue *fv;
  if (!args_bind(&a, vm, call, "predict", names, 2) || !(fv = fit_arg(&a, 0)) ||
      !lib_gp_new_points_arg(&a, 1, fv->fit->ncols, &p) ||
      !args_num_or(&a, 2, 0.95, &level) || !args_bool_or(&a, 3, false, &full))
    return false;
  if (full && p.n * p.n > BUILTIN_MAX_ELEMENTS)
    return args_error(&a, 3, "needs a %zu x %zu matrix for %zu points, "
                             "which is too large", p.n, p.n, p.n);
  if (!(level > 0.0 && level < 1.0))
    return args_error(&a, 2, "must be between 0 and 1 (exclusive), got %g",
                      level);
  size_t m = p.n;
  ObjTensor *mean = tensor_vector(m), *var = tensor_vector(m);
  double *m0 = mem_alloc_atomic(m * sizeof(double));
  if (!lib_gp_mean_values(vm, "predict", fv->mean, &p, m0))
    return false;
  double *cov = full ? mem_alloc_atomic(m * m * sizeof(double)) : NULL;
  gp_predict(fv->fit, p.x, m, mean->data, var->data, cov);
  double z = gsl_cdf_ugaussian_Pinv(0.5 + 0.5 * level);
  ObjTensor *sd = tensor_vector(m), *lo = tensor_vector(m),
            *hi = tensor_vector(m);
  for (size_t j = 0; j < m; j++) {
    mean->data[j] += m0[j];
    sd->data[j] = sqrt(var->data[j]);
    lo->data[j] = mean->data[j] - z * sd->data[j];
    hi->data[j] = mean->data[j] + z * sd->data[j];
  }
  ObjRecord *r = record_new();
  record_set(r, "mean", OBJ_VAL(mean));
  record_set(r, "sd", OBJ_VAL(sd));
  record_set(r, "var", OBJ_VAL(var));
  record_set(r, "lower", OBJ_VAL(lo));
  record_set(r, "upper", OBJ_VAL(hi));
  if (full)
    record_set(r, "cov", OBJ_VAL(from_colmajor(cov, m, m)));
  *result = OBJ_VAL(r);
  return true;
}

static bool b_gp_sample(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"fit", "xnew", "n", "seed", NULL};
  Args a;
  Points p;
  size_t n;
  FitValue *fv;
  if (!args_bind(&a, vm, call, "gp_sample", names, 2) ||
      !(fv = fit_arg(&a, 0)) ||
      !lib_gp_new_points_arg(&a, 1, fv->fit->ncols, &p))
    return false;
  n = 1;
  if (args_given(&a, 2) && !args_size(&a, 2, &n))
    return false;
  if (p.n * p.n > BUILTIN_MAX_ELEMENTS / 2)
    return args_error(&a, 1, "has %zu points; draws need their %zu x %zu "
                             "covariance matrix (twice), which is too large",
                      p.n, p.n, p.n);
  if (n * p.n > BUILTIN_MAX_ELEMENTS)
    return args_error(&a, 2,
                      "asks for %zu draws of %zu points: too many "
                      "numbers",
                      n, p.n);
  int64_t seed = 0;
  bool seeded = args_given(&a, 3);
  if (seeded && !args_int(&a, 3, &seed))
    return false;
  double *m0 = mem_alloc_atomic(p.n * sizeof(double));
  if (!lib_gp_mean_values(vm, "gp_sample", fv->mean, &p, m0))
    return false;
  Rng *rng = seeded ? rng_alloc((uint64_t)seed) : vm_rng(vm);
  ObjTensor *out = tensor_matrix(n, p.n);
  double jitter;
  GpStatus st = gp_sample(fv->fit, p.x, p.n, n, rng, out->data, &jitter);
  if (seeded)
    rng_free(rng);
  if (st != GP_OK)
    return vm_error(vm,
                    "gp_sample(): the posterior covariance is not "
                    "positive definite, even with %g times its mean "
                    "diagonal added",
                    GP_JITTER_MAX);
  if (jitter > 0.0)
    fprintf(vm_err(vm),
            "warning: gp_sample(): the posterior covariance is "
            "not positive definite; added %.3g to its diagonal\n",
            jitter);
  for (size_t r = 0; r < n; r++)
    for (size_t j = 0; j < p.n; j++)
      out->data[r * p.n + j] += m0[j];
  *result = OBJ_VAL(out);
  return true;
}

/* ---- log_marginal_likelihood, kernel_matrix ------------------------------ */

static bool b_lml(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"fit", "theta", "eval_gradient", NULL};
  Args a;
  FitValue *fv;
  bool want_grad;
  if (!args_bind(&a, vm, call, "log_marginal_likelihood", names, 1) ||
      !(fv = fit_arg(&a, 0)) || !args_bool_or(&a, 2, false, &want_grad))
    return false;
  const GpFit *f = fv->fit;
  size_t nf = gp_kernel_nfree(f->kernel);
  ObjTensor *theta = NULL;
  if (args_given(&a, 1)) {
    if (!args_vector(&a, 1, &theta))
      return false;
    if (theta->len != nf)
      return args_error(&a, 1,
                        "must hold the %zu free hyperparameters on "
                        "the scale of fit.theta, got %zu values",
                        nf, theta->len);
    if (!lib_gp_finite_values(&a, 1, theta->data, nf, 1))
      return false;
  }
  ObjTensor *g = want_grad ? tensor_vector(nf) : NULL;
  double lml;
  GpStatus st =
      gp_fit_lml(f, theta ? theta->data : NULL, &lml, g ? g->data : NULL);
  if (st != GP_OK)
    lml = -INFINITY;
  if (!want_grad) {
    *result = NUM_VAL(lml);
    return true;
  }
  if (st != GP_OK)
    for (size_t i = 0; i < nf; i++)
      g->data[i] = NAN;
  ObjRecord *r = record_new();
  record_set(r, "value", NUM_VAL(lml));
  record_set(r, "gradient", OBJ_VAL(g));
  *result = OBJ_VAL(r);
  return true;
}

static bool b_kernel_matrix(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"k", "x", "xnew", "diag", NULL};
  Args a;
  GpKernel *k;
  Points p, q;
  bool diag;
  if (!args_bind(&a, vm, call, "kernel_matrix", names, 2) ||
      !kernel_arg(&a, 0, &k) || !lib_gp_points_arg(&a, 1, &p) ||
      !args_bool_or(&a, 3, false, &diag))
    return false;
  bool cross = args_given(&a, 2);
  if (cross && (diag || !lib_gp_new_points_arg(&a, 2, p.ncols, &q)))
    return diag ? args_error(&a, 3,
                             "cannot be true with xnew: the diagonal "
                             "is that of K(x)")
                : false;
  char err[GP_ERR_LEN];
  GpKernel *b = gp_kernel_bind(k, p.ncols, err);
  if (!b)
    return vm_error(vm, "kernel_matrix(): %s", err);
  if (diag) {
    ObjTensor *d = tensor_vector(p.n);
    gp_kernel_diag(b, p.x, p.n, p.ncols, d->data);
    *result = OBJ_VAL(d);
    return true;
  }
  const Points *other = cross ? &q : &p;
  if (p.n * other->n > BUILTIN_MAX_ELEMENTS)
    return vm_error(vm, "kernel_matrix(): a %zu x %zu matrix is too large", p.n,
                    other->n);
  double *K = mem_alloc_atomic(p.n * other->n * sizeof(double));
  gp_kernel_block(b, p.x, p.n, other->x, other->n, p.ncols,
                  cross ? GP_NO_DIAG : 0, K, p.n, NULL, NULL);
  *result = OBJ_VAL(from_colmajor(K, p.n, other->n));
  return true;
}

/* ---- registration -------------------------------------------------------- */

static const BuiltinDef gp_builtins[] = {
    {"gp_fit", b_gp_fit,
     "gp_fit(k, x, y, restarts=3, normalize_y=false, mean=nil, noise=nil, "
     "alpha=nil, seed=nil, optimize=true): GP regression, hyperparameters "
     "by maximum marginal likelihood"},
    {"predict", b_predict,
     "predict(fit, xnew, level=0.95, full_cov=false): {mean, sd, var, lower, "
     "upper, cov} of a gp fit at new points"},
    {"gp_sample", b_gp_sample,
     "gp_sample(fit, xnew, n=1, seed=nil): n functions drawn from a gp "
     "fit's posterior at xnew, one per row"},
    {"log_marginal_likelihood", b_lml,
     "log_marginal_likelihood(fit, theta=nil, eval_gradient=false): a gp "
     "fit's log marginal likelihood, at fit.theta or another theta"},
    {"kernel_matrix", b_kernel_matrix,
     "kernel_matrix(k, x, xnew=nil, diag=false): the covariance matrix "
     "K(x), K(x, xnew) or the diagonal of K(x)"},
    {NULL, NULL, NULL},
};

static const char *ctor_help(const Ctor *c) {
#define STATIONARY "(input_dim=nil, ls=1, active_dims=nil, ard=false, " \
                   "fixed=false): "
  switch (c->kind) {
  case GPK_EXPQUAD: return STATIONARY "exp(-r^2 / 2), r = |x - x'| / ls";
  case GPK_MATERN12: return STATIONARY "exp(-r), r = |x - x'| / ls";
  case GPK_MATERN32:
    return STATIONARY "(1 + sqrt(3) r) exp(-sqrt(3) r), r = |x - x'| / ls";
  case GPK_MATERN52:
    return STATIONARY "(1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r), "
                      "r = |x - x'| / ls";
  case GPK_RATQUAD:
    return "(input_dim=nil, alpha=1, ls=1, active_dims=nil, ard=false, "
           "fixed=false): (1 + r^2 / (2 alpha))^-alpha, r = |x - x'| / ls";
  case GPK_PERIODIC:
    return "(input_dim=nil, period=1, ls=1, active_dims=nil, ard=false, "
           "fixed=false): exp(-sum sin^2(pi dx / period) / (2 ls^2))";
  case GPK_LINEAR:
    return "(input_dim=nil, c=0, active_dims=nil, ard=false, fixed=false): "
           "(x - c) . (x' - c)";
  case GPK_POLYNOMIAL:
    return "(input_dim=nil, c=0, d=2, offset=1, active_dims=nil, ard=false, "
           "fixed=false): ((x - c) . (x' - c) + offset)^d";
  case GPK_CONSTANT: return "(c=1, fixed=false): the covariance c";
  case GPK_WHITE:
    return "(sigma=1, fixed=false): sigma^2 between a point and itself";
  default: return "";
  }
#undef STATIONARY
}

void lib_gp_register(VM *vm) {
  builtin_register(vm, gp_builtins);
  lib_gp_model_register(vm);
  for (size_t i = 0; i < sizeof ctors / sizeof ctors[0]; i++) {
    const Ctor *c = &ctors[i];
    char *help = mem_strdup(string_format("%s%s", c->fn, ctor_help(c))->chars);
    vm_define_global(vm, c->fn,
                     OBJ_VAL(native_new(c->fn, b_kernel, help, (void *)c)));
  }
}
