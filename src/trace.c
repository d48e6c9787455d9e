/*
 * trace.c — storage of MCMC draws and the `trace` handle users index:
 * trace["mu"], trace["theta[2]"], trace["lp"], trace.chains ...
 */
#include <config.h>
#include "trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "mem.h"
#include "tensor.h"
#include "vm.h"

static const char *const stat_names[] = {
#define X(id, name, csv) name,
    TRACE_STATS(X)
#undef X
};
static const char *const stat_csv_names[] = {
#define X(id, name, csv) csv,
    TRACE_STATS(X)
#undef X
};

const char *trace_stat_name(TraceStat s) { return stat_names[s]; }
const char *trace_stat_csv_name(TraceStat s) { return stat_csv_names[s]; }

int trace_stat_lookup(const char *name) {
  for (int s = 0; s < TRACE_NSTATS; s++)
    if (strcmp(name, stat_names[s]) == 0 || strcmp(name, stat_csv_names[s]) == 0)
      return s;
  return -1;
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    PANIC("out of memory growing a trace");
  return q;
}

static void trace_finalize(void *obj, void *data) {
  (void)data;
  Trace *t = obj;
  for (int v = 0; v < t->nvars; v++)
    free(t->vars[v].name);
  free(t->vars);
  for (int c = 0; c < t->nchains; c++) {
    free(t->chains[c].values);
    free(t->chains[c].stats);
  }
  free(t->chains);
  if (t->run && t->run_free)
    t->run_free(t->run);
  t->run = NULL;
}

Trace *trace_new(int nchains) {
  Trace *t = mem_alloc(sizeof *t);
  t->nchains = nchains;
  t->chains = calloc((size_t)nchains, sizeof *t->chains);
  if (!t->chains)
    PANIC("out of memory allocating a trace");
  t->model = NIL_VAL;
  snprintf(t->method, sizeof t->method, "?");
  mem_finalize(t, trace_finalize);
  return t;
}

void trace_add_var(Trace *t, const char *name, int ndim, size_t rows,
                   size_t cols, bool deterministic, bool discrete) {
  t->vars = xrealloc(t->vars, (size_t)(t->nvars + 1) * sizeof *t->vars);
  TraceVar *v = &t->vars[t->nvars++];
  v->name = strdup(name);
  if (!v->name)
    PANIC("out of memory");
  v->ndim = ndim;
  v->rows = ndim == 0 ? 1 : rows;
  v->cols = ndim == 2 ? cols : 1;
  v->len = v->rows * v->cols;
  v->offset = t->width;
  v->deterministic = deterministic;
  v->discrete = discrete;
  t->width += v->len;
}

void trace_reserve(Trace *t, int c, size_t more) {
  TraceChain *ch = &t->chains[c];
  if (ch->ndraws + more <= ch->cap)
    return;
  size_t cap = ch->cap ? ch->cap : 64;
  while (cap < ch->ndraws + more)
    cap *= 2;
  ch->values = xrealloc(ch->values, cap * (t->width ? t->width : 1) *
                                        sizeof(double));
  ch->stats = xrealloc(ch->stats, cap * TRACE_NSTATS * sizeof(double));
  ch->cap = cap;
}

void trace_append(Trace *t, int c, const double *values, const double *stats) {
  trace_reserve(t, c, 1);
  TraceChain *ch = &t->chains[c];
  memcpy(ch->values + ch->ndraws * t->width, values,
         t->width * sizeof(double));
  memcpy(ch->stats + ch->ndraws * TRACE_NSTATS, stats,
         TRACE_NSTATS * sizeof(double));
  ch->ndraws++;
}

size_t trace_ndraws(const Trace *t) {
  if (t->nchains == 0)
    return 0;
  size_t n = t->chains[0].ndraws;
  for (int c = 1; c < t->nchains; c++)
    if (t->chains[c].ndraws < n)
      n = t->chains[c].ndraws;
  return n;
}

int trace_find(const Trace *t, const char *name) {
  for (int v = 0; v < t->nvars; v++)
    if (strcmp(t->vars[v].name, name) == 0)
      return v;
  return -1;
}

void trace_column(const Trace *t, int v, size_t elem, double *out) {
  size_t n = trace_ndraws(t);
  size_t col = t->vars[v].offset + elem;
  for (int c = 0; c < t->nchains; c++) {
    const double *row = t->chains[c].values;
    for (size_t i = 0; i < n; i++)
      out[(size_t)c * n + i] = row[i * t->width + col];
  }
}

void trace_stat_column(const Trace *t, TraceStat s, double *out) {
  size_t n = trace_ndraws(t);
  for (int c = 0; c < t->nchains; c++) {
    const double *st = t->chains[c].stats;
    for (size_t i = 0; i < n; i++)
      out[(size_t)c * n + i] = st[i * TRACE_NSTATS + s];
  }
}

void trace_elem_name(const Trace *t, int v, size_t elem, StrBuf *sb) {
  const TraceVar *tv = &t->vars[v];
  if (tv->ndim == 0)
    strbuf_puts(sb, tv->name);
  else if (tv->ndim == 1)
    strbuf_printf(sb, "%s[%zu]", tv->name, elem);
  else
    strbuf_printf(sb, "%s[%zu,%zu]", tv->name, elem / tv->cols,
                  elem % tv->cols);
}

bool trace_parse_elem(const Trace *t, const char *name, int *v,
                      size_t *elem) {
  int whole = trace_find(t, name);
  if (whole >= 0 && t->vars[whole].ndim == 0) {
    *v = whole;
    *elem = 0;
    return true;
  }
  const char *br = strchr(name, '[');
  if (!br)
    return false;
  char base[256];
  size_t blen = (size_t)(br - name);
  if (blen == 0 || blen >= sizeof base)
    return false;
  memcpy(base, name, blen);
  base[blen] = '\0';
  int k = trace_find(t, base);
  if (k < 0 || t->vars[k].ndim == 0)
    return false;
  const TraceVar *tv = &t->vars[k];
  unsigned long i = 0, j = 0;
  int used = 0;
  if (tv->ndim == 1) {
    if (sscanf(br, "[%lu]%n", &i, &used) != 1 || br[used] != '\0' ||
        i >= tv->len)
      return false;
    *elem = i;
  } else {
    if (sscanf(br, "[%lu,%lu]%n", &i, &j, &used) != 2 || br[used] != '\0' ||
        i >= tv->rows || j >= tv->cols)
      return false;
    *elem = i * tv->cols + j;
  }
  *v = k;
  return true;
}

size_t trace_divergences(const Trace *t) {
  size_t n = trace_ndraws(t), d = 0;
  for (int c = 0; c < t->nchains; c++)
    for (size_t i = 0; i < n; i++) {
      double x = t->chains[c].stats[i * TRACE_NSTATS + TRACE_DIVERGENT];
      d += x != 0.0 && !isnan(x); /* NaN: not recorded */
    }
  return d;
}

/* ---- the handle ------------------------------------------------------- */

static void trace_format(StrBuf *sb, void *data, bool repr) {
  (void)repr;
  const Trace *t = data;
  size_t n = trace_ndraws(t);
  strbuf_printf(sb, "<trace: %d chain%s x %zu draw%s (%s, %zu tuning)", t->nchains,
                t->nchains == 1 ? "" : "s", n, n == 1 ? "" : "s", t->method,
                t->tune);
  strbuf_puts(sb, "; ");
  for (int v = 0; v < t->nvars; v++) {
    if (v)
      strbuf_puts(sb, ", ");
    strbuf_puts(sb, t->vars[v].name);
    if (t->vars[v].ndim == 1)
      strbuf_printf(sb, "[%zu]", t->vars[v].len);
    else if (t->vars[v].ndim == 2)
      strbuf_printf(sb, "[%zu,%zu]", t->vars[v].rows, t->vars[v].cols);
  }
  size_t div = trace_divergences(t);
  if (div)
    strbuf_printf(sb, "; %zu divergence%s", div, div == 1 ? "" : "s");
  if (t->interrupted)
    strbuf_puts(sb, "; interrupted");
  strbuf_puts(sb, ">");
}

/* draws x chains: column c holds chain c. */
static Value draws_by_chain(const Trace *t, const double *chain_major) {
  size_t n = trace_ndraws(t);
  ObjTensor *m = tensor_matrix(n, (size_t)t->nchains);
  for (int c = 0; c < t->nchains; c++)
    for (size_t i = 0; i < n; i++)
      m->data[i * (size_t)t->nchains + (size_t)c] =
          chain_major[(size_t)c * n + i];
  return OBJ_VAL(m);
}

/* The value users see for name, or false when the trace has no such. */
static bool lookup(const Trace *t, const char *name, Value *out) {
  size_t n = trace_ndraws(t);
  size_t total = n * (size_t)t->nchains;
  int v = trace_find(t, name);
  if (v >= 0 && t->vars[v].ndim > 0) {
    /* all draws of every chain, chain after chain, one row per draw */
    const TraceVar *tv = &t->vars[v];
    ObjTensor *m = tensor_matrix(total, tv->len);
    for (int c = 0; c < t->nchains; c++)
      for (size_t i = 0; i < n; i++)
        memcpy(m->data + ((size_t)c * n + i) * tv->len,
               t->chains[c].values + i * t->width + tv->offset,
               tv->len * sizeof(double));
    *out = OBJ_VAL(m);
    return true;
  }
  size_t elem;
  double *col = malloc((total ? total : 1) * sizeof(double));
  if (!col)
    PANIC("out of memory");
  bool found = true;
  if (trace_parse_elem(t, name, &v, &elem))
    trace_column(t, v, elem, col);
  else {
    int s = trace_stat_lookup(name);
    if (s >= 0)
      trace_stat_column(t, (TraceStat)s, col);
    else
      found = false;
  }
  if (found)
    *out = draws_by_chain(t, col);
  free(col);
  return found;
}

static bool no_such(VM *vm, const Trace *t, const char *name) {
  StrBuf sb;
  strbuf_init(&sb);
  for (int v = 0; v < t->nvars; v++)
    strbuf_printf(&sb, "%s%s", v ? ", " : "", t->vars[v].name);
  bool r = vm_error(vm, "the trace has no variable '%s' (it has: %s; and the "
                        "statistics lp, accept_stat, step_size, tree_depth, "
                        "n_leapfrog, divergent, energy)",
                    name, sb.len ? sb.data : "none");
  return r;
}

static ObjList *var_names(const Trace *t) {
  ObjList *l = list_new((size_t)t->nvars);
  for (int v = 0; v < t->nvars; v++)
    list_push(l, OBJ_VAL(string_from_cstr(t->vars[v].name)));
  return l;
}

static bool trace_field(VM *vm, void *data, ObjString *name, Value *out) {
  const Trace *t = data;
  const char *f = name->chars;
  if (lookup(t, f, out))
    return true;
  if (strcmp(f, "chains") == 0)
    *out = NUM_VAL(t->nchains);
  else if (strcmp(f, "draws") == 0)
    *out = NUM_VAL((double)trace_ndraws(t));
  else if (strcmp(f, "tune") == 0)
    *out = NUM_VAL((double)t->tune);
  else if (strcmp(f, "method") == 0)
    *out = OBJ_VAL(string_from_cstr(t->method));
  else if (strcmp(f, "vars") == 0)
    *out = OBJ_VAL(var_names(t));
  else if (strcmp(f, "divergences") == 0)
    *out = NUM_VAL((double)trace_divergences(t));
  else if (strcmp(f, "model") == 0)
    *out = t->model;
  else if (strcmp(f, "seed") == 0)
    *out = t->has_seed ? NUM_VAL((double)t->seed) : NIL_VAL;
  else
    return no_such(vm, t, f);
  return true;
}

static bool trace_index(VM *vm, Value target, const Value *idx, int n,
                        Value *out) {
  if (!IS_HANDLE(target) || AS_HANDLE(target)->cls != &trace_class)
    return vm_error(vm, "a trace cannot be used as an index");
  const Trace *t = AS_HANDLE(target)->data;
  if (n != 1 || !IS_STRING(idx[0]))
    return vm_error(vm, "index a trace by a variable name, as "
                        "trace[\"mu\"] or trace[\"theta[0]\"]");
  const char *name = AS_STRING(idx[0])->chars;
  if (lookup(t, name, out))
    return true;
  return no_such(vm, t, name);
}

const HandleClass trace_class = {
    .name = "trace",
    .format = trace_format,
    .get_field = trace_field,
    .index = trace_index,
};

Value trace_wrap(Trace *t) { return OBJ_VAL(handle_new(&trace_class, t)); }

Trace *trace_get(VM *vm, Value v, const char *fn) {
  if (IS_HANDLE(v) && AS_HANDLE(v)->cls == &trace_class)
    return AS_HANDLE(v)->data;
  vm_error(vm, "%s(): expected a trace (what sample() returns), got a %s", fn,
           value_type_name(v));
  return NULL;
}
