/*
 * summary.c — the summary table of a trace and its warnings (see
 * summary.h), and the `summary` handle users index.
 *
 * Columns are ArviZ's az.summary (stat_focus "mean"): mean and sd (divisor
 * S - 1) over all S = chains x draws values; the HDI as ArviZ's hdi;
 * mcse_mean, mcse_sd, ess_bulk, ess_tail, r_hat from diag.c (R's posterior
 * package, Vehtari et al. 2021). Printing rounds as ArviZ does by default:
 * 3 decimals, except ess_* (whole) and r_hat (2 decimals).
 *
 * Warnings follow Stan's and PyMC's checks after sampling: r_hat > 1.01,
 * ESS < 100 per chain, divergent transitions after warm-up, draws at the
 * maximum tree depth.
 */
#include <config.h>
#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "diag.h"
#include "mem.h"
#include "tensor.h"
#include "vm.h"

/* Elements named in a warning, worst first. */
enum { WARN_SHOWN = 3 };

static const char *const col_names[SUMMARY_NCOLS] = {
    "mean",      "sd",       "hdi_low",  "hdi_high", "mcse_mean",
    "mcse_sd",   "ess_bulk", "ess_tail", "r_hat"};

/* ArviZ's default rounding of each column, in decimals. */
static const int col_decimals[SUMMARY_NCOLS] = {3, 3, 3, 3, 3, 3, 0, 0, 2};

const char *summary_col_name(const Summary *s, SummaryCol c) {
  if (c == SUMMARY_HDI_LOW)
    return s->hdi_names[0];
  if (c == SUMMARY_HDI_HIGH)
    return s->hdi_names[1];
  return col_names[c];
}

int summary_find_col(const Summary *s, const char *name) {
  for (int c = 0; c < SUMMARY_NCOLS; c++)
    if (strcmp(summary_col_name(s, (SummaryCol)c), name) == 0)
      return c;
  return -1;
}

long summary_find_row(const Summary *s, const char *name) {
  for (size_t r = 0; r < s->nrows; r++)
    if (strcmp(s->names[r], name) == 0)
      return (long)r;
  return -1;
}

/* ---- computing ---------------------------------------------------------- */

/* One row of the table from the draws' diagnostics. */
static void summary_row(const DiagSummary *d, double *row) {
  row[SUMMARY_MEAN] = d->mean;
  row[SUMMARY_SD] = d->sd;
  row[SUMMARY_HDI_LOW] = d->hdi_low;
  row[SUMMARY_HDI_HIGH] = d->hdi_high;
  row[SUMMARY_MCSE_MEAN] = d->mcse_mean;
  row[SUMMARY_MCSE_SD] = d->mcse_sd;
  row[SUMMARY_ESS_BULK] = d->ess_bulk;
  row[SUMMARY_ESS_TAIL] = d->ess_tail;
  row[SUMMARY_R_HAT] = d->rhat;
}

/* ArviZ's labels: hdi_{100 (1 - p) / 2:g}% and hdi_{100 (1 + p) / 2:g}%. */
static void hdi_names(Summary *s) {
  snprintf(s->hdi_names[0], sizeof s->hdi_names[0], "hdi_%g%%",
           100.0 * (1.0 - s->hdi_prob) / 2.0);
  snprintf(s->hdi_names[1], sizeof s->hdi_names[1], "hdi_%g%%",
           100.0 * (1.0 + s->hdi_prob) / 2.0);
}

Summary *summary_compute(const Trace *t, const SummaryItem *items,
                         size_t nitems, double hdi_prob) {
  if (!items) { /* every element */
    SummaryItem *all = mem_alloc_atomic((t->width + 1) * sizeof *all);
    nitems = 0;
    for (int v = 0; v < t->nvars; v++)
      for (size_t e = 0; e < t->vars[v].len; e++)
        all[nitems++] = (SummaryItem){v, e};
    items = all;
  }
  Summary *s = mem_alloc(sizeof *s);
  s->nrows = nitems;
  s->hdi_prob = hdi_prob;
  s->nchains = t->nchains;
  s->ndraws = trace_ndraws(t);
  hdi_names(s);
  s->names = mem_alloc((nitems + 1) * sizeof *s->names);
  s->values = mem_alloc_atomic((nitems * SUMMARY_NCOLS + 1) *
                               sizeof *s->values);
  const size_t n = s->ndraws, m = (size_t)t->nchains;
  double *x = malloc((n * m + 1) * sizeof *x);
  DiagWork *w = diag_work_alloc(n, m);
  if (!x || !w)
    PANIC("out of memory summarising a trace");
  for (size_t r = 0; r < nitems; r++) {
    StrBuf sb;
    strbuf_init(&sb);
    trace_elem_name(t, items[r].var, items[r].elem, &sb);
    s->names[r] = sb.data;
    trace_column(t, items[r].var, items[r].elem, x);
    DiagSummary d;
    diag_summarise(w, x, hdi_prob, &d);
    summary_row(&d, s->values + r * SUMMARY_NCOLS);
  }
  diag_work_free(w);
  free(x);
  return s;
}

/* ---- printing ----------------------------------------------------------- */

/* A cell as ArviZ's rounding shows it; NaN as pandas prints it, and no
 * "-0.000" for a small negative number. */
static void format_cell(double x, int decimals, char *buf, size_t size) {
  if (isnan(x)) {
    snprintf(buf, size, "NaN");
    return;
  }
  if (isinf(x)) {
    snprintf(buf, size, x > 0 ? "inf" : "-inf");
    return;
  }
  snprintf(buf, size, "%.*f", decimals, x);
  if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
    memmove(buf, buf + 1, strlen(buf));
}

void summary_format(const Summary *s, StrBuf *sb) {
  size_t name_w = 0;
  for (size_t r = 0; r < s->nrows; r++)
    if (strlen(s->names[r]) > name_w)
      name_w = strlen(s->names[r]);
  size_t width[SUMMARY_NCOLS];
  char cell[64];
  for (int c = 0; c < SUMMARY_NCOLS; c++) {
    width[c] = strlen(summary_col_name(s, (SummaryCol)c));
    for (size_t r = 0; r < s->nrows; r++) {
      format_cell(s->values[r * SUMMARY_NCOLS + c], col_decimals[c], cell,
                  sizeof cell);
      if (strlen(cell) > width[c])
        width[c] = strlen(cell);
    }
  }
  strbuf_printf(sb, "%*s", (int)name_w, "");
  for (int c = 0; c < SUMMARY_NCOLS; c++)
    strbuf_printf(sb, "  %*s", (int)width[c],
                  summary_col_name(s, (SummaryCol)c));
  for (size_t r = 0; r < s->nrows; r++) {
    strbuf_printf(sb, "\n%-*s", (int)name_w, s->names[r]);
    for (int c = 0; c < SUMMARY_NCOLS; c++) {
      format_cell(s->values[r * SUMMARY_NCOLS + c], col_decimals[c], cell,
                  sizeof cell);
      strbuf_printf(sb, "  %*s", (int)width[c], cell);
    }
  }
}

/* ---- warnings ----------------------------------------------------------- */

/* Rows whose column c is "bad" (above limit when high, else below),
 * worst first, into rows (nrows room); returns how many. */
static size_t bad_rows(const Summary *s, bool high, double limit,
                       size_t *rows) {
  size_t k = 0;
  for (size_t r = 0; r < s->nrows; r++) {
    const double *v = s->values + r * SUMMARY_NCOLS;
    double x = high ? v[SUMMARY_R_HAT]
                    : fmin(v[SUMMARY_ESS_BULK], v[SUMMARY_ESS_TAIL]);
    if (isnan(v[high ? SUMMARY_R_HAT : SUMMARY_ESS_BULK]) ||
        (!high && isnan(v[SUMMARY_ESS_TAIL])))
      continue;
    if (!(high ? x > limit : x < limit))
      continue;
    /* insertion keeps the worst first */
    size_t i = k++;
    while (i > 0) {
      const double *w = s->values + rows[i - 1] * SUMMARY_NCOLS;
      double y = high ? w[SUMMARY_R_HAT]
                      : fmin(w[SUMMARY_ESS_BULK], w[SUMMARY_ESS_TAIL]);
      if (high ? y >= x : y <= x)
        break;
      rows[i] = rows[i - 1];
      i--;
    }
    rows[i] = r;
  }
  return k;
}

static void list_worst(FILE *err, const Summary *s, const size_t *rows,
                       size_t k, bool rhat) {
  for (size_t i = 0; i < k && i < WARN_SHOWN; i++) {
    const double *v = s->values + rows[i] * SUMMARY_NCOLS;
    if (rhat)
      fprintf(err, "%s%s %.3g", i ? ", " : "", s->names[rows[i]],
              v[SUMMARY_R_HAT]);
    else
      fprintf(err, "%s%s %.0f", i ? ", " : "", s->names[rows[i]],
              fmin(v[SUMMARY_ESS_BULK], v[SUMMARY_ESS_TAIL]));
  }
  if (k > WARN_SHOWN)
    fputs(", ...", err);
}

static int warn_rhat(const Summary *s, size_t *rows, FILE *err) {
  size_t k = bad_rows(s, true, SUMMARY_RHAT_LIMIT, rows);
  if (k == 0)
    return 0;
  fprintf(err, "warning: r_hat is larger than %g for %zu of %zu elements "
               "(worst: ",
          SUMMARY_RHAT_LIMIT, k, s->nrows);
  list_worst(err, s, rows, k, true);
  fputs("): the chains have not converged to one distribution; run them "
        "longer or reparameterise (Vehtari et al. 2021)\n", err);
  return 1;
}

static int warn_ess(const Summary *s, size_t *rows, FILE *err) {
  double limit = SUMMARY_ESS_PER_CHAIN * s->nchains;
  size_t k = bad_rows(s, false, limit, rows);
  if (k == 0)
    return 0;
  fprintf(err, "warning: the effective sample size per chain is smaller "
               "than %g for %zu of %zu elements (lowest bulk or tail ESS: ",
          SUMMARY_ESS_PER_CHAIN, k, s->nrows);
  list_worst(err, s, rows, k, false);
  fprintf(err, "; %g needed with %d chain%s): r_hat and the ESS "
               "themselves are unreliable; draw more samples\n",
          limit, s->nchains, s->nchains == 1 ? "" : "s");
  return 1;
}

int summary_warn_divergences(const Trace *t, FILE *err) {
  size_t div = trace_divergences(t);
  size_t total = trace_ndraws(t) * (size_t)t->nchains;
  if (div == 0)
    return 0;
  fprintf(err, "warning: %zu divergent transition%s after warm-up (%.1f%% "
               "of %zu draws): the posterior may be biased; increase "
               "target_accept or reparameterise\n",
          div, div == 1 ? "" : "s", 100.0 * (double)div / (double)total,
          total);
  return 1;
}

static int warn_sampler(const Trace *t, FILE *err) {
  size_t n = trace_ndraws(t), total = n * (size_t)t->nchains;
  size_t deep = 0;
  for (int c = 0; c < t->nchains && t->max_treedepth > 0; c++)
    for (size_t i = 0; i < n; i++) {
      const double *st = t->chains[c].stats + i * TRACE_NSTATS;
      deep += st[TRACE_TREE_DEPTH] >= (double)t->max_treedepth;
    }
  int nwarn = summary_warn_divergences(t, err);
  if (deep) {
    fprintf(err, "warning: %zu of %zu draws (%.1f%%) reached the maximum "
                 "tree depth %d: NUTS stopped those trajectories early; "
                 "increase max_treedepth, increase target_accept or "
                 "reparameterise\n",
            deep, total, 100.0 * (double)deep / (double)total,
            t->max_treedepth);
    nwarn++;
  }
  return nwarn;
}

int summary_warn(const Trace *t, const Summary *s, FILE *err) {
  size_t *rows = malloc((s->nrows + 1) * sizeof *rows);
  if (!rows)
    PANIC("out of memory");
  int n = warn_rhat(s, rows, err) + warn_ess(s, rows, err);
  free(rows);
  return n + warn_sampler(t, err);
}

/* ---- worst R-hat (any thread) ------------------------------------------- */

/* Draws every chain has published (chains append while we read). */
static size_t published_draws(const Trace *t) {
  size_t n = SIZE_MAX;
  for (int c = 0; c < t->nchains; c++) {
    size_t k = __atomic_load_n(&t->chains[c].ndraws, __ATOMIC_ACQUIRE);
    if (k < n)
      n = k;
  }
  return t->nchains > 0 ? n : 0;
}

double summary_worst_rhat_at(const Trace *t, int *var, size_t *elem) {
  const size_t n = published_draws(t), m = (size_t)t->nchains;
  if (n == 0)
    return NAN;
  double *x = malloc(n * m * sizeof *x);
  DiagWork *w = diag_work_alloc(n, m);
  if (!x || !w) {
    free(x);
    diag_work_free(w);
    return NAN;
  }
  double worst = NAN;
  for (int v = 0; v < t->nvars; v++)
    for (size_t e = 0; e < t->vars[v].len; e++) {
      const size_t col = t->vars[v].offset + e;
      for (size_t c = 0; c < m; c++)
        for (size_t i = 0; i < n; i++)
          x[c * n + i] = t->chains[c].values[i * t->width + col];
      double r = diag_rhat_w(w, x);
      if (!isnan(r) && !(worst >= r)) {
        worst = r;
        if (var)
          *var = v;
        if (elem)
          *elem = e;
      }
    }
  diag_work_free(w);
  free(x);
  return worst;
}

double summary_worst_rhat(const Trace *t) {
  return summary_worst_rhat_at(t, NULL, NULL);
}

/* ---- the handle --------------------------------------------------------- */

static void summary_fmt(StrBuf *sb, void *data, bool repr) {
  (void)repr;
  summary_format(data, sb);
}

static Value row_record(const Summary *s, size_t r) {
  ObjRecord *rec = record_new();
  for (int c = 0; c < SUMMARY_NCOLS; c++)
    record_set(rec, summary_col_name(s, (SummaryCol)c),
               NUM_VAL(s->values[r * SUMMARY_NCOLS + c]));
  return OBJ_VAL(rec);
}

static Value column_vector(const Summary *s, int c) {
  ObjTensor *v = tensor_vector(s->nrows);
  for (size_t r = 0; r < s->nrows; r++)
    v->data[r] = s->values[r * SUMMARY_NCOLS + c];
  return OBJ_VAL(v);
}

static Value name_list(const Summary *s, bool columns) {
  size_t n = columns ? SUMMARY_NCOLS : s->nrows;
  ObjList *l = list_new(n);
  for (size_t i = 0; i < n; i++)
    list_push(l, OBJ_VAL(string_from_cstr(
                     columns ? summary_col_name(s, (SummaryCol)i)
                             : s->names[i])));
  return OBJ_VAL(l);
}

/* A row (by name) or a column (by name): what s[name] and s.name give. */
static bool lookup(const Summary *s, const char *name, Value *out) {
  long r = summary_find_row(s, name);
  if (r >= 0) {
    *out = row_record(s, (size_t)r);
    return true;
  }
  int c = summary_find_col(s, name);
  if (c >= 0) {
    *out = column_vector(s, c);
    return true;
  }
  return false;
}

static bool no_such(VM *vm, const Summary *s, const char *name) {
  StrBuf rows;
  strbuf_init(&rows);
  for (size_t r = 0; r < s->nrows && rows.len < 200; r++)
    strbuf_printf(&rows, "%s%s", r ? ", " : "", s->names[r]);
  if (rows.len >= 200)
    strbuf_puts(&rows, ", ...");
  return vm_error(vm, "the summary has no row or column '%s' (rows: %s; "
                      "columns: mean, sd, %s, %s, mcse_mean, mcse_sd, "
                      "ess_bulk, ess_tail, r_hat; also names, columns, "
                      "hdi_lower, hdi_upper, hdi_prob)",
                  name, rows.len ? rows.data : "none", s->hdi_names[0],
                  s->hdi_names[1]);
}

static bool summary_field(VM *vm, void *data, ObjString *name, Value *out) {
  const Summary *s = data;
  const char *f = name->chars;
  if (strcmp(f, "names") == 0)
    *out = name_list(s, false);
  else if (strcmp(f, "columns") == 0)
    *out = name_list(s, true);
  else if (strcmp(f, "hdi_lower") == 0)
    *out = column_vector(s, SUMMARY_HDI_LOW);
  else if (strcmp(f, "hdi_upper") == 0)
    *out = column_vector(s, SUMMARY_HDI_HIGH);
  else if (strcmp(f, "hdi_prob") == 0)
    *out = NUM_VAL(s->hdi_prob);
  else if (summary_find_col(s, f) >= 0) /* s.mean: a column, always */
    *out = column_vector(s, summary_find_col(s, f));
  else if (!lookup(s, f, out))
    return no_such(vm, s, f);
  return true;
}

static bool summary_index(VM *vm, Value target, const Value *idx, int n,
                          Value *out) {
  if (!object_is_handle(target, &summary_class))
    return vm_error(vm, "a summary cannot be used as an index");
  const Summary *s = AS_HANDLE(target)->data;
  if (n == 1 && IS_NUM(idx[0])) {
    double k = AS_NUM(idx[0]);
    if (!(k == floor(k) && k >= 0 && k < (double)s->nrows))
      return vm_error(vm, "summary row %g is out of range for a summary of "
                          "%zu rows",
                      k, s->nrows);
    *out = row_record(s, (size_t)k);
    return true;
  }
  if (n != 1 || !IS_STRING(idx[0]))
    return vm_error(vm, "index a summary by an element name, as s[\"mu\"] "
                        "or s[\"theta[0]\"], by a column name, as "
                        "s[\"hdi_3%%\"], or by a row number");
  if (lookup(s, AS_CSTRING(idx[0]), out))
    return true;
  return no_such(vm, s, AS_CSTRING(idx[0]));
}

const HandleClass summary_class = {
    .name = "summary",
    .format = summary_fmt,
    .get_field = summary_field,
    .index = summary_index,
};

Value summary_wrap(Summary *s) {
  return OBJ_VAL(handle_new(&summary_class, s));
}
