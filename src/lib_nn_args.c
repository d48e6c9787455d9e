/*
 * lib_nn_args.c — the argument forms shared by the neural-network builtins:
 * seed=, data sets (a matrix with one row per example, a vector for one
 * column, a list of rows or a record of equal-length columns), class
 * labels, a choice among strings, layer widths, and data in [0, 1].
 *
 * Each checker reports a bad argument through args_error, naming the
 * builtin and the argument, and returns false.
 */
#include <config.h>

#include <math.h>
#include <string.h>

#include "lib_nn.h"
#include "mem.h"
#include "rng.h"
#include "strbuf.h"
#include "tensor.h"

/* ---- seed= ------------------------------------------------------------- */

bool lib_nn_seed_arg(Args *a, int i, SeedRng *s) {
  s->own = args_given(a, i);
  if (!s->own) {
    s->rng = vm_rng(a->vm);
    return true;
  }
  int64_t seed;
  if (!args_int(a, i, &seed))
    return false;
  s->rng = rng_alloc((uint64_t)seed);
  return true;
}

void lib_nn_seed_done(SeedRng *s) {
  if (s->own)
    rng_free(s->rng);
}

/* ---- data sets and labels ---------------------------------------------- */

static bool record_rows(Args *a, int i, ObjRecord *r, Rows *out) {
  const Table *t = &r->fields;
  if (t->count == 0)
    return args_error(a, i, "is an empty record; it needs numeric columns");
  size_t n = 0;
  for (size_t c = 0; c < t->count; c++) {
    Value v = t->entries[c].value;
    ObjTensor *col = builtin_to_vector(v);
    if (!col || (IS_TENSOR(v) && AS_TENSOR(v)->ndim == 2))
      return args_error(a, i, "has a column '%s' that is not a vector of "
                              "numbers",
                        t->entries[c].key->chars);
    if (c > 0 && col->len != n)
      return args_error(a, i, "has columns of different lengths ('%s' has "
                              "%zu, '%s' has %zu)",
                        t->entries[0].key->chars, n, t->entries[c].key->chars,
                        col->len);
    n = col->len;
  }
  double *x = mem_alloc_atomic((n * t->count + 1) * sizeof *x);
  for (size_t c = 0; c < t->count; c++) {
    ObjTensor *col = builtin_to_vector(t->entries[c].value);
    for (size_t k = 0; k < n; k++)
      x[k * t->count + c] = col->data[k];
  }
  *out = (Rows){x, n, t->count};
  return true;
}

static bool finite_rows(Args *a, int i, const Rows *r) {
  for (size_t k = 0; k < r->n * r->ncols; k++)
    if (!isfinite(r->x[k])) {
      const char *what = isnan(r->x[k]) ? "a NaN" : "an infinite value";
      if (r->ncols == 1)
        return args_error(a, i, "has %s at position %zu", what, k);
      return args_error(a, i, "has %s at row %zu, column %zu", what,
                        k / r->ncols, k % r->ncols);
    }
  return true;
}

/* A list of rows, each a list or vector of numbers of one length. */
static bool list_rows(Args *a, int i, ObjList *l, Rows *out) {
  size_t ncols = 0;
  double *x = NULL;
  for (size_t k = 0; k < l->len; k++) {
    ObjTensor *row = builtin_to_vector(l->items[k]);
    if (!row || (IS_TENSOR(l->items[k]) && AS_TENSOR(l->items[k])->ndim == 2))
      return args_error(a, i, "must be a list of rows of numbers; item %zu "
                              "is a %s",
                        k, value_type_name(l->items[k]));
    if (k == 0) {
      ncols = row->len;
      if (ncols == 0 || l->len > BUILTIN_MAX_ELEMENTS / ncols)
        return args_error(a, i, "has rows of %zu numbers", ncols);
      x = mem_alloc_atomic(l->len * ncols * sizeof *x);
    }
    if (row->len != ncols)
      return args_error(a, i, "has rows of different lengths (row 0 has %zu, "
                              "row %zu has %zu)",
                        ncols, k, row->len);
    memcpy(x + k * ncols, row->data, ncols * sizeof *x);
  }
  *out = (Rows){x, l->len, ncols};
  return true;
}

/* A matrix, a vector (one column), a list of rows or a record of columns,
 * finite, with at least one row. */
bool lib_nn_rows_arg(Args *a, int i, Rows *out) {
  if (!args_given(a, i))
    return args_error(a, i, "is required");
  Value v = a->v[i];
  if (IS_RECORD(v)) {
    if (!record_rows(a, i, AS_RECORD(v), out))
      return false;
  } else if (IS_TENSOR(v) && AS_TENSOR(v)->ndim == 2) {
    ObjTensor *t = AS_TENSOR(v);
    *out = (Rows){t->data, t->shape[0], t->shape[1]};
  } else if (IS_LIST(v) && AS_LIST(v)->len > 0 &&
             !IS_NUM(AS_LIST(v)->items[0])) {
    if (!list_rows(a, i, AS_LIST(v), out))
      return false;
  } else {
    ObjTensor *t;
    if (!IS_TENSOR(v) && !IS_LIST(v) && !IS_RANGE(v))
      return args_error(a, i, "must be a matrix (one row per example), a "
                              "vector or a record of columns, got a %s",
                        value_type_name(v));
    if (!args_vector(a, i, &t))
      return false;
    *out = (Rows){t->data, t->len, 1};
  }
  if (out->n == 0 || out->ncols == 0)
    return args_error(a, i, "has no data (%zu rows, %zu columns)", out->n,
                      out->ncols);
  return finite_rows(a, i, out);
}

/* The data must lie in [0, 1] (for a binary cross-entropy, say). */
bool lib_nn_unit_interval(Args *a, int i, const Rows *r, const char *why,
                          const char *hint) {
  for (size_t k = 0; k < r->n * r->ncols; k++)
    if (r->x[k] < 0.0 || r->x[k] > 1.0)
      return args_error(a, i, "must lie in [0, 1] for %s; row %zu, column "
                              "%zu is %g (%s)",
                        why, k / r->ncols, k % r->ncols, r->x[k], hint);
  return true;
}


/* Class labels: whole numbers 0 .. k-1, n of them. */
bool lib_nn_labels_arg(Args *a, int i, size_t n, size_t k, const char *why,
                       size_t **out) {
  ObjTensor *t;
  if (!args_vector(a, i, &t))
    return false;
  if (t->len != n)
    return args_error(a, i, "has %zu labels but there are %zu rows", t->len,
                      n);
  size_t *lab = mem_alloc_atomic((n + 1) * sizeof *lab);
  for (size_t e = 0; e < n; e++) {
    const double x = t->data[e];
    if (!(x >= 0.0 && x == floor(x) && x < (double)k))
      return args_error(a, i, "must hold whole numbers from 0 to %zu (%s); "
                              "element %zu is %g",
                        k - 1, why, e, x);
    lab[e] = (size_t)x;
  }
  *out = lab;
  return true;
}

/* ---- choices and layer widths ------------------------------------------ */

/* One string from a fixed set, named in the error. */
bool lib_nn_choice_arg(Args *a, int i, const char *dflt,
                       const char *const *choices, int *out) {
  const char *s;
  if (!args_string_or(a, i, dflt, &s))
    return false;
  StrBuf sb;
  strbuf_init(&sb);
  for (int c = 0; choices[c]; c++) {
    if (strcmp(s, choices[c]) == 0) {
      *out = c;
      return true;
    }
    strbuf_printf(&sb, "%s\"%s\"", c ? ", " : "", choices[c]);
  }
  return args_error(a, i, "must be one of %s, got \"%s\"", sb.data, s);
}

/* A width: a whole number from 1 to NN_MAX_WIDTH. */
bool lib_nn_width_arg(Args *a, int i, size_t dflt, bool required,
                      size_t *out) {
  if (!args_given(a, i) && required)
    return args_error(a, i, "is required");
  if (!args_count_or(a, i, dflt, out))
    return false;
  if (*out < 1 || *out > NN_MAX_WIDTH)
    return args_error(a, i, "must be a layer width from 1 to %zu, got %zu",
                      NN_MAX_WIDTH, *out);
  return true;
}

/* hidden=[64, 64]: widths of the hidden layers (may be empty). */
bool lib_nn_hidden_arg(Args *a, int i, size_t *sizes, size_t *n) {
  *n = 0;
  if (!args_given(a, i)) {
    sizes[(*n)++] = 64;
    sizes[(*n)++] = 64;
    return true;
  }
  ObjTensor *t;
  if (!args_vector(a, i, &t))
    return false;
  if (t->len + 1 > NN_MAX_LAYERS)
    return args_error(a, i, "has %zu layers; at most %d are allowed", t->len,
                      NN_MAX_LAYERS - 1);
  for (size_t k = 0; k < t->len; k++) {
    const double w = t->data[k];
    if (!(w >= 1 && w <= (double)NN_MAX_WIDTH && w == floor(w)))
      return args_error(a, i, "must hold layer widths (whole numbers from 1 "
                              "to %zu); element %zu is %g",
                        NN_MAX_WIDTH, k, w);
    sizes[(*n)++] = (size_t)w;
  }
  return true;
}
