/*
 * lib_trace.c — the builtins that read traces: summary(), save_csv(),
 * load_csv(), and the single diagnostics rhat(), ess(), mcse(), hdi() on
 * the draws of one quantity.
 *
 * The work is summary.c's, tracecsv.c's and diag.c's; this file turns
 * arguments into their C inputs and their failures into runtime errors
 * that name the builtin and the argument. Draws of one quantity arrive as
 * trace["mu"] gives them — a draws x chains matrix — or as a vector (one
 * chain).
 */
#include <config.h>
#include "builtin.h"
#include "lib_trace.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "mem.h"
#include "model.h"
#include "strbuf.h"
#include "summary.h"
#include "tensor.h"
#include "trace.h"
#include "tracecsv.h"

#define DEFAULT_HDI_PROB 0.94 /* ArviZ's default, rcParams stats.ci_prob */

/* A probability strictly between 0 and 1 (default dflt). */
static bool prob_arg(Args *a, int i, double dflt, double *out) {
  if (!args_num_or(a, i, dflt, out))
    return false;
  if (!(*out > 0.0 && *out < 1.0))
    return args_error(a, i, "must be between 0 and 1 (exclusive), got %g",
                      *out);
  return true;
}

/* ---- summary ------------------------------------------------------------ */

bool lib_trace_name_arg(Args *a, int i, const Trace *t, const char *name,
                        int *var, size_t *first, size_t *count) {
  *var = trace_find(t, name);
  if (*var >= 0) {
    *first = 0;
    *count = t->vars[*var].len;
    return true;
  }
  if (trace_parse_elem(t, name, var, first)) {
    *count = 1;
    return true;
  }
  StrBuf sb;
  strbuf_init(&sb);
  for (int v = 0; v < t->nvars; v++)
    strbuf_printf(&sb, "%s%s", v ? ", " : "", t->vars[v].name);
  return args_error(a, i, "names '%s', which the trace does not have (it "
                          "has: %s)",
                    name, sb.len ? sb.data : "no variables");
}

/* Appends the rows of `name` (a whole variable or one element). */
static bool add_rows(Args *a, int i, const Trace *t, const char *name,
                     SummaryItem *items, size_t *n) {
  int v;
  size_t first, count;
  if (!lib_trace_name_arg(a, i, t, name, &v, &first, &count))
    return false;
  for (size_t e = first; e < first + count; e++)
    items[(*n)++] = (SummaryItem){v, e};
  return true;
}

/* vars=: a name or a list of names; nil means every variable. */
static bool summary_items(Args *a, int i, const Trace *t,
                          SummaryItem **items, size_t *n) {
  *items = NULL;
  *n = 0;
  if (!args_given(a, i))
    return true;
  Value v = a->v[i];
  size_t count = IS_LIST(v) ? AS_LIST(v)->len : 1;
  if (!IS_STRING(v) && !IS_LIST(v))
    return args_error(a, i, "must be a variable name or a list of names, "
                            "got a %s",
                      value_type_name(v));
  /* a whole variable adds at most t->width rows per name */
  *items = mem_alloc_atomic((count * (t->width + 1) + 1) * sizeof **items);
  if (IS_STRING(v))
    return add_rows(a, i, t, AS_CSTRING(v), *items, n);
  const ObjList *l = AS_LIST(v);
  for (size_t k = 0; k < l->len; k++) {
    if (!IS_STRING(l->items[k]))
      return args_error(a, i, "must be a list of variable names, but item "
                              "%zu is a %s",
                        k, value_type_name(l->items[k]));
    if (!add_rows(a, i, t, AS_CSTRING(l->items[k]), *items, n))
      return false;
  }
  return true;
}

static bool b_summary(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"trace", "vars", "hdi_prob", NULL};
  Args a;
  Trace *t;
  SummaryItem *items;
  size_t n;
  double prob;
  if (!args_bind(&a, vm, call, "summary", names, 1) ||
      !(t = trace_get(vm, a.v[0], "summary")) ||
      !summary_items(&a, 1, t, &items, &n) ||
      !prob_arg(&a, 2, DEFAULT_HDI_PROB, &prob))
    return false;
  Summary *s = summary_compute(t, items, n, prob);
  summary_warn(t, s, vm_err(vm));
  *result = summary_wrap(s);
  return true;
}

/* ---- save_csv / load_csv ------------------------------------------------ */

static const char *model_name(const Trace *t) {
  if (!object_is_handle(t->model, &model_class))
    return NULL;
  const Model *m = AS_HANDLE(t->model)->data;
  return m->name ? m->name->chars : NULL;
}

static bool b_save_csv(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"trace", "path", "chains", NULL};
  Args a;
  Trace *t;
  ObjString *path;
  const char *how;
  if (!args_bind(&a, vm, call, "save_csv", names, 2) ||
      !(t = trace_get(vm, a.v[0], "save_csv")) ||
      !args_string(&a, 1, &path) ||
      !args_string_or(&a, 2, "per_chain", &how))
    return false;
  TraceCsvLayout layout;
  if (strcmp(how, "per_chain") == 0)
    layout = TRACECSV_PER_CHAIN;
  else if (strcmp(how, "one_file") == 0)
    layout = TRACECSV_ONE_FILE;
  else
    return args_error(&a, 2, "must be \"per_chain\" or \"one_file\", got "
                             "\"%s\"",
                      how);
  char err[TRACECSV_ERR_LEN];
  if (!tracecsv_write(t, path->chars, layout, model_name(t), err))
    return vm_error(vm, "save_csv(): %s", err);
  bool one = layout == TRACECSV_ONE_FILE || t->nchains <= 1;
  ObjList *written = list_new(one ? 1 : (size_t)t->nchains);
  for (int c = 0; c < (one ? 1 : t->nchains); c++) {
    StrBuf sb;
    strbuf_init(&sb);
    tracecsv_chain_path(path->chars, one ? 1 : t->nchains, c, &sb);
    list_push(written, OBJ_VAL(string_new(sb.data, sb.len)));
  }
  *result = OBJ_VAL(written);
  return true;
}

/* The files save_csv wrote for path: path itself when it exists, else
 * path_1, path_2 ... as long as they exist (path alone when none does, so
 * the error names it). */
static const char **chain_files(const char *path, size_t *n) {
  const char **files = NULL;
  *n = 0;
  for (int c = 0; access(path, F_OK) != 0; c++) {
    StrBuf sb;
    strbuf_init(&sb);
    tracecsv_chain_path(path, 2, c, &sb);
    if (access(sb.data, F_OK) != 0)
      break;
    files = mem_realloc(files, (*n + 1) * sizeof *files);
    files[(*n)++] = sb.data;
  }
  if (*n == 0) {
    files = mem_alloc(sizeof *files);
    files[(*n)++] = path;
  }
  return files;
}

static bool b_load_csv(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"path", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "load_csv", names, 1))
    return false;
  Value v = a.v[0];
  const char **files;
  size_t n;
  if (IS_STRING(v)) {
    files = chain_files(AS_CSTRING(v), &n);
  } else if (IS_LIST(v) && AS_LIST(v)->len > 0) {
    const ObjList *l = AS_LIST(v);
    n = l->len;
    files = mem_alloc(n * sizeof *files);
    for (size_t k = 0; k < n; k++) {
      if (!IS_STRING(l->items[k]))
        return args_error(&a, 0, "must be a list of file names, but item "
                                 "%zu is a %s",
                          k, value_type_name(l->items[k]));
      files[k] = AS_CSTRING(l->items[k]);
    }
  } else {
    return args_error(&a, 0, "must be a file name or a non-empty list of "
                             "file names (one per chain)");
  }
  char err[TRACECSV_ERR_LEN];
  Trace *t = tracecsv_read(files, n, err);
  if (!t)
    return vm_error(vm, "load_csv(): %s", err);
  *result = trace_wrap(t);
  return true;
}

/* ---- diagnostics of one quantity ---------------------------------------- */

/* Draws of one quantity, chain-major (n per chain, m chains): a matrix is
 * draws x chains, anything args_vector takes is one chain. */
static bool draws_arg(Args *a, int i, double **x, size_t *n, size_t *m) {
  Value v = a->v[i];
  if (IS_TENSOR(v) && AS_TENSOR(v)->ndim == 2) {
    const ObjTensor *t = AS_TENSOR(v);
    *n = t->shape[0];
    *m = t->shape[1];
    *x = mem_alloc_atomic((*n * *m + 1) * sizeof **x);
    for (size_t d = 0; d < *n; d++)
      for (size_t c = 0; c < *m; c++)
        (*x)[c * *n + d] = t->data[d * *m + c];
    return true;
  }
  ObjTensor *t;
  if (!args_vector(a, i, &t))
    return false;
  *x = t->data;
  *n = t->len;
  *m = 1;
  return true;
}

static bool b_rhat(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  double *x;
  size_t n, m;
  if (!args_bind(&a, vm, call, "rhat", names, 1) ||
      !draws_arg(&a, 0, &x, &n, &m))
    return false;
  *result = NUM_VAL(diag_rhat(x, n, m));
  return true;
}

static bool b_ess(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "method", NULL};
  Args a;
  double *x;
  size_t n, m;
  const char *method;
  if (!args_bind(&a, vm, call, "ess", names, 1) ||
      !draws_arg(&a, 0, &x, &n, &m) ||
      !args_string_or(&a, 1, "bulk", &method))
    return false;
  if (strcmp(method, "bulk") == 0)
    *result = NUM_VAL(diag_ess_bulk(x, n, m));
  else if (strcmp(method, "tail") == 0)
    *result = NUM_VAL(diag_ess_tail(x, n, m));
  else if (strcmp(method, "mean") == 0)
    *result = NUM_VAL(diag_ess_mean(x, n, m));
  else
    return args_error(&a, 1, "must be \"bulk\", \"tail\" or \"mean\", "
                             "got \"%s\"",
                      method);
  return true;
}

static bool b_mcse(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "method", NULL};
  Args a;
  double *x;
  size_t n, m;
  const char *method;
  if (!args_bind(&a, vm, call, "mcse", names, 1) ||
      !draws_arg(&a, 0, &x, &n, &m) ||
      !args_string_or(&a, 1, "mean", &method))
    return false;
  if (strcmp(method, "mean") == 0)
    *result = NUM_VAL(diag_mcse_mean(x, n, m));
  else if (strcmp(method, "sd") == 0)
    *result = NUM_VAL(diag_mcse_sd(x, n, m));
  else
    return args_error(&a, 1, "must be \"mean\" or \"sd\", got \"%s\"",
                      method);
  return true;
}

static bool b_hdi(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "prob", NULL};
  Args a;
  double *x, prob;
  size_t n, m;
  if (!args_bind(&a, vm, call, "hdi", names, 1) ||
      !draws_arg(&a, 0, &x, &n, &m) ||
      !prob_arg(&a, 1, DEFAULT_HDI_PROB, &prob))
    return false;
  if (n * m == 0)
    return args_error(&a, 0, "must hold at least one draw");
  ObjTensor *out = tensor_vector(2);
  diag_hdi(x, n * m, prob, &out->data[0], &out->data[1]);
  *result = OBJ_VAL(out);
  return true;
}

static const BuiltinDef trace_builtins[] = {
    {"summary", b_summary,
     "summary(trace, vars=nil, hdi_prob=0.94): a table of mean, sd, HDI, "
     "mcse_mean, mcse_sd, ess_bulk, ess_tail and r_hat per element, as "
     "ArviZ's az.summary; warns about r_hat, ESS, divergences, tree depth"},
    {"save_csv", b_save_csv,
     "save_csv(trace, path, chains=\"per_chain\"): write the draws in "
     "CmdStan's CSV layout, one file per chain (path_1.csv, ...) or "
     "chains=\"one_file\" with a chain__ column; returns the file names"},
    {"load_csv", b_load_csv,
     "load_csv(path): a trace from CmdStan CSV files: a file, a list of "
     "files (one per chain), or the path given to save_csv"},
    {"rhat", b_rhat,
     "rhat(x): rank-normalised split R-hat of draws x (draws x chains, or "
     "a vector for one chain), Vehtari et al. (2021)"},
    {"ess", b_ess,
     "ess(x, method=\"bulk\"): effective sample size of draws x (draws x "
     "chains): \"bulk\", \"tail\" or \"mean\""},
    {"mcse", b_mcse,
     "mcse(x, method=\"mean\"): Monte Carlo standard error of the mean or "
     "(method=\"sd\") of the sd of draws x (draws x chains)"},
    {"hdi", b_hdi,
     "hdi(x, prob=0.94): the narrowest interval [lower, upper] holding a "
     "fraction prob of the draws x (as ArviZ's hdi)"},
    {NULL, NULL, NULL},
};

void lib_trace_register(VM *vm) { builtin_register(vm, trace_builtins); }
