/*
 * modeleval.c — points, theta and ancestral draws of a bound model (see
 * modeleval.h). A point is a record of constrained values by variable name;
 * samplers and the optimiser work on theta, the unconstrained vector (bounds
 * that are themselves model variables are read from a forward sweep).
 */
#include <config.h>
#include "modeleval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "mem.h"
#include "strbuf.h"
#include "tensor.h"

/* ---- points and theta ------------------------------------------------- */

/* Gradient-based calls refuse models whose free variables include discrete
 * ones: the gradient says nothing about moving an integer. */
bool no_discrete(VM *vm, const Model *m, const char *fn) {
  if (m->nfree_discrete == 0)
    return true;
  for (int i = 0; i < m->nvars; i++) {
    const RandomVar *rv = m->vars[i];
    if (rv->role == RV_FREE && rv->family && rv->family->discrete)
      return vm_error(vm,
                      "%s(): '%s ~ %s' (line %d) is a discrete free "
                      "variable, which has no gradient; observe it, "
                      "fix it with do(), or marginalise it out",
                      fn, rv->name->chars, rv->family->name, rv->line);
  }
  return true;
}

void eval_open(Eval *e, Model *m) {
  e->m = m;
  e->st = tape_state_alloc(m->tape);
  e->theta = mem_alloc_atomic((m->dim + 1) * sizeof(double));
  e->grad = mem_alloc_atomic((m->dim + 1) * sizeof(double));
  memset(e->theta, 0, (m->dim + 1) * sizeof(double));
}

void eval_close(Eval *e) {
  tape_state_free(e->st);
  e->st = NULL;
}

/* The numbers in v (a number, vector, matrix or list of numbers), or NULL;
 * the storage is GC memory that stays valid. */
const double *numbers_of(Value v, size_t *len) {
  if (IS_TENSOR(v)) {
    *len = AS_TENSOR(v)->len;
    return AS_TENSOR(v)->data;
  }
  ObjTensor *t = builtin_to_vector(v);
  if (!t && IS_TENSOR(v))
    t = AS_TENSOR(v);
  if (!t)
    return NULL;
  *len = t->len;
  return t->data;
}

/* A bound's values at the current theta: a slot's forward value, or the
 * constant. */
static const double *bound_values(Eval *e, TapeSlot slot, const double *c,
                                  size_t *len) {
  if (slot == TAPE_NONE) {
    *len = 1;
    return c;
  }
  tape_forward(e->st, e->theta);
  int ndim;
  size_t rows, cols;
  *len = tape_shape(e->m->tape, slot, &ndim, &rows, &cols);
  return tape_value(e->st, slot);
}

/* Writes free variable rv's unconstrained value for constrained values x.
 * Returns false when x is outside the support. */
bool unconstrain_var(Eval *e, const RandomVar *rv, const double *x) {
  size_t nlo, nhi;
  const double *lo = bound_values(e, rv->lower_slot, &rv->lower, &nlo);
  const double *hi = bound_values(e, rv->upper_slot, &rv->upper, &nhi);
  double *u = e->theta + rv->offset;
  if (rv->transform > TR_INTERVAL)
    return transform_unconstrain(rv->transform, x, rv->len, rv->rows, *lo, *hi,
                                 u);
  for (size_t i = 0; i < rv->len; i++)
    if (!transform_unconstrain(rv->transform, x + i, 1, 1, lo[nlo == 1 ? 0 : i],
                               hi[nhi == 1 ? 0 : i], u + i))
      return false;
  return true;
}

/* "sigma = -0.3 is outside Uniform(lower=0, upper=10) at model.ppl:7" */
static bool outside_support(VM *vm, const char *fn, const RandomVar *rv,
                            Value v) {
  StrBuf sb;
  strbuf_init(&sb);
  value_format(&sb, v, false);
  strbuf_puts(&sb, " is outside ");
  if (rv->dist)
    dist_class.format(&sb, rv->dist, false);
  else
    strbuf_puts(&sb, "its support");
  return vm_error(vm, "%s(): %s = %s at %s:%d", fn, rv->name->chars, sb.data,
                  rv->file ? rv->file : "?", rv->line);
}

bool point_to_theta(VM *vm, Eval *e, ObjRecord *point, const char *fn,
                    bool *inside) {
  return point_to_theta_checked(vm, e, point, fn, inside, false);
}

bool point_to_theta_checked(VM *vm, Eval *e, ObjRecord *point, const char *fn,
                            bool *inside, bool strict) {
  *inside = true;
  for (int i = 0; i < e->m->nvars; i++) {
    const RandomVar *rv = e->m->vars[i];
    if (rv->role != RV_FREE || rv->deterministic)
      continue;
    Value v;
    if (!record_get(point, rv->name->chars, &v))
      return vm_error(vm, "%s(): the point has no value for '%s'", fn,
                      rv->name->chars);
    size_t len;
    const double *x = numbers_of(v, &len);
    if (!x)
      return vm_error(vm, "%s(): '%s' must be numbers, got a %s", fn,
                      rv->name->chars, value_type_name(v));
    if (len != rv->len)
      return vm_error(vm,
                      "%s(): '%s' has %zu value%s but the variable has "
                      "%zu",
                      fn, rv->name->chars, len, len == 1 ? "" : "s", rv->len);
    if (!unconstrain_var(e, rv, x)) {
      if (strict)
        return outside_support(vm, fn, rv, v);
      *inside = false;
    }
  }
  return true;
}

Value slot_value(const Eval *e, TapeSlot s) {
  int ndim;
  size_t rows, cols;
  size_t len = tape_shape(e->m->tape, s, &ndim, &rows, &cols);
  const double *x = tape_value(e->st, s);
  if (ndim == 0)
    return NUM_VAL(x[0]);
  ObjTensor *t = ndim == 1 ? tensor_vector(len) : tensor_matrix(rows, cols);
  memcpy(t->data, x, len * sizeof(double));
  return OBJ_VAL(t);
}

/* The free and deterministic variables' values at e->theta. */
ObjRecord *theta_to_record(Eval *e) {
  tape_forward(e->st, e->theta);
  ObjRecord *r = record_new();
  for (int i = 0; i < e->m->nvars; i++) {
    const RandomVar *rv = e->m->vars[i];
    if ((rv->role == RV_FREE || rv->deterministic) && rv->value != TAPE_NONE)
      table_set(&r->fields, rv->name, slot_value(e, rv->value));
  }
  return r;
}

double eval_density(void *ctx, const double *theta, double *grad) {
  Eval *e = ctx;
  return grad ? tape_logp_grad(e->st, theta, grad) : tape_logp(e->st, theta);
}

/* Names the first variable whose term is -inf or NaN at e->theta, for an
 * error a person can act on. */
bool explain_bad_start(VM *vm, Eval *e, const char *fn) {
  tape_forward(e->st, e->theta);
  for (int i = 0; i < e->m->nvars; i++) {
    const RandomVar *rv = e->m->vars[i];
    if (rv->term == TAPE_NONE)
      continue;
    double t = tape_value(e->st, rv->term)[0];
    if (isfinite(t))
      continue;
    StrBuf sb;
    strbuf_init(&sb);
    value_format(&sb, slot_value(e, rv->value), false);
    return vm_error(vm,
                    "%s(): cannot start: %s = %s has log density %s "
                    "under %s at %s:%d",
                    fn, rv->name->chars, sb.data, isnan(t) ? "NaN" : "-inf",
                    rv->family->name, rv->file, rv->line);
  }
  return vm_error(vm, "%s(): the log density is -inf at the starting point",
                  fn);
}

DistTensor tensor_of_slot(const Eval *e, TapeSlot s) {
  DistTensor t;
  t.len = tape_shape(e->m->tape, s, &t.ndim, &t.rows, &t.cols);
  t.data = tape_value(e->st, s);
  return t;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Tries at drawing a variable whose lower=/upper= cut its distribution
 * (rejection sampling from the truncated prior) before giving up. */
enum { PRIOR_MAX_TRIES = 1000 };

/* Draws one variable. An ordered variable's prior is that of the sorted
 * draws (the density restricted to x0 < x1 < ... is the order statistics'
 * one); a variable cut by lower=/upper= is drawn again until inside. */
static bool draw_var(VM *vm, Eval *e, const RandomVar *rv,
                     const DistTensor *params, Rng *rng, double *out) {
  for (int tries = 0; tries < PRIOR_MAX_TRIES; tries++) {
    if (!rv->family->random(rng, params, out, rv->len))
      return vm_error(vm,
                      "sample_prior(): the parameters of '%s ~ %s' are "
                      "invalid at a prior draw",
                      rv->name->chars, rv->family->name);
    if (rv->role != RV_FREE)
      return true;
    if (rv->transform == TR_ORDERED)
      qsort(out, rv->len, sizeof(double), compare_doubles);
    if (unconstrain_var(e, rv, out))
      return true;
  }
  return vm_error(vm,
                  "sample_prior(): draws of '%s' keep falling outside "
                  "its bounds (%d tries)",
                  rv->name->chars, PRIOR_MAX_TRIES);
}

/* One ancestral draw: each variable in declaration order from its
 * distribution given the draws before it. Observed variables are drawn too
 * (prior predictive); their draws go to out, not back into the model. */
bool draw_once(VM *vm, Eval *e, Rng *rng, double **out) {
  for (int i = 0; i < e->m->nvars; i++) {
    const RandomVar *rv = e->m->vars[i];
    if (rv->deterministic || rv->role == RV_INTERVENED || !rv->family)
      continue;
    tape_forward(e->st, e->theta);
    DistTensor params[DIST_MAX_PARAMS];
    for (int k = 0; k < rv->family->nparams; k++)
      params[k] = tensor_of_slot(e, rv->params[k]);
    if (!draw_var(vm, e, rv, params, rng, out[i]))
      return false;
  }
  tape_forward(e->st, e->theta);
  for (int i = 0; i < e->m->nvars; i++)
    if (e->m->vars[i]->deterministic)
      memcpy(out[i], tape_value(e->st, e->m->vars[i]->value),
             e->m->vars[i]->len * sizeof(double));
  return true;
}
