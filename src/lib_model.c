/*
 * lib_model.c — the builtins of models: distribution constructors
 * (Normal(...), ...), Potential, and what a user does with a bound model:
 * logp, grad_logp, find_map, sample_prior, model_graph, do, observe,
 * check_gradients.
 *
 * A user's point is a record of constrained values by variable name; the
 * samplers and the optimiser work on theta, the unconstrained vector.
 * point_to_theta and theta_to_record convert between the two (bounds that
 * are themselves model variables are read from a forward sweep).
 */
#include <config.h>

#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "mem.h"
#include "model.h"
#include "modeleval.h"
#include "opcodes.h"
#include "optim.h"
#include "rng.h"
#include "strbuf.h"
#include "tensor.h"
#include "vmops.h"

/* ---- distribution values ---------------------------------------------- */

static void dist_format(StrBuf *sb, void *data, bool repr) {
  PPL_UNUSED(repr);
  const DistValue *d = data;
  strbuf_printf(sb, "%s(", d->family->name);
  for (int i = 0; i < d->family->nparams; i++) {
    if (i)
      strbuf_puts(sb, ", ");
    strbuf_printf(sb, "%s=", d->family->params[i]);
    value_format(sb, d->params[i], true);
  }
  strbuf_putc(sb, ')');
}

const HandleClass dist_class = {
    .name = "distribution",
    .format = dist_format,
};

enum {
  EXTRA_SHAPE,
  EXTRA_LOWER,
  EXTRA_UPPER,
  EXTRA_OBSERVED,
  EXTRA_TRANSFORM,
  NEXTRA
};
static const char *const extra_names[NEXTRA] = {"shape", "lower", "upper",
                                               "observed", "transform"};

/* Other ways of writing a family's parameters (as PyMC accepts them); each
 * is converted to the canonical parameters on values that may be model
 * variables, so gradients flow through the conversion. */
typedef struct AltForm {
  const char *family;
  const char *names[2]; /* second may be NULL */
  bool (*convert)(VM *vm, const Value *alt, Value *canon);
} AltForm;

static bool arith(VM *vm, OpCode op, Value a, Value b, Value *out) {
  return vmops_binary(vm, op, a, b, out);
}

static bool call_builtin(VM *vm, const char *name, Value x, Value *out) {
  Value f;
  if (!vm_get_builtin(vm, name, &f))
    return vm_error(vm, "internal: builtin '%s' is missing", name);
  return vm_call(vm, f, 1, &x, out);
}

/* Gamma(mu, sigma): alpha = mu^2 / sigma^2, beta = mu / sigma^2. */
static bool gamma_mu_sigma(VM *vm, const Value *alt, Value *canon) {
  Value var, mu2;
  return arith(vm, OP_MUL, alt[1], alt[1], &var) &&
         arith(vm, OP_MUL, alt[0], alt[0], &mu2) &&
         arith(vm, OP_DIV, mu2, var, &canon[0]) &&
         arith(vm, OP_DIV, alt[0], var, &canon[1]);
}

/* Beta(mu, sigma): kappa = mu (1 - mu) / sigma^2 - 1, alpha = mu kappa,
 * beta = (1 - mu) kappa. */
static bool beta_mu_sigma(VM *vm, const Value *alt, Value *canon) {
  Value one_m, var, t, kappa;
  return arith(vm, OP_SUB, NUM_VAL(1), alt[0], &one_m) &&
         arith(vm, OP_MUL, alt[1], alt[1], &var) &&
         arith(vm, OP_MUL, alt[0], one_m, &t) &&
         arith(vm, OP_DIV, t, var, &t) &&
         arith(vm, OP_SUB, t, NUM_VAL(1), &kappa) &&
         arith(vm, OP_MUL, alt[0], kappa, &canon[0]) &&
         arith(vm, OP_MUL, one_m, kappa, &canon[1]);
}

/* p = logistic(logit_p); the last canonical parameter is p. */
static bool p_from_logit(VM *vm, const Value *alt, Value *canon, int p_index) {
  return call_builtin(vm, "invlogit", alt[0], &canon[p_index]);
}
static bool bernoulli_logit(VM *vm, const Value *alt, Value *canon) {
  return p_from_logit(vm, alt, canon, 0);
}
static bool binomial_logit(VM *vm, const Value *alt, Value *canon) {
  return p_from_logit(vm, alt, canon, 1);
}

/* Categorical(logit_p): p = exp(l - logsumexp(l)) (softmax). */
static bool categorical_logit(VM *vm, const Value *alt, Value *canon) {
  Value lse, d;
  return call_builtin(vm, "logsumexp", alt[0], &lse) &&
         arith(vm, OP_SUB, alt[0], lse, &d) &&
         call_builtin(vm, "exp", d, &canon[0]);
}

/* tau (precision) to sigma = tau^(-1/2). */
static bool sigma_from_tau(VM *vm, const Value *alt, Value *canon, int i) {
  return arith(vm, OP_POW, alt[0], NUM_VAL(-0.5), &canon[i]);
}
static bool normal_tau(VM *vm, const Value *alt, Value *canon) {
  return sigma_from_tau(vm, alt, canon, 1);
}
static bool halfnormal_tau(VM *vm, const Value *alt, Value *canon) {
  return sigma_from_tau(vm, alt, canon, 0);
}

static bool exponential_scale(VM *vm, const Value *alt, Value *canon) {
  return arith(vm, OP_DIV, NUM_VAL(1), alt[0], &canon[0]);
}

/* NegativeBinomial(n, p): mu = n (1 - p) / p, alpha = n. */
static bool negbin_n_p(VM *vm, const Value *alt, Value *canon) {
  Value q, t;
  canon[1] = alt[0];
  return arith(vm, OP_SUB, NUM_VAL(1), alt[1], &q) &&
         arith(vm, OP_MUL, alt[0], q, &t) &&
         arith(vm, OP_DIV, t, alt[1], &canon[0]);
}

/* Largest |A[i][j] - A[j][i]| relative to max(|A[i][j]|, |A[j][i]|, 1)
 * that cholesky() accepts as symmetric: Stan's check_symmetric uses the
 * same 1e-8. */
#define CHOLESKY_SYMMETRY_TOL 1e-8

/* The lower Cholesky factor L of the square matrix a (A = L L^T; a new
 * matrix, upper triangle zero), by gsl_linalg_cholesky_decomp1 (which
 * reads the lower triangle). NULL with an error "fn(): what ..." when a is
 * not square or not positive definite. */
static ObjTensor *lower_cholesky(VM *vm, const ObjTensor *a, const char *fn,
                                 const char *what) {
  if (a->ndim != 2 || a->shape[0] != a->shape[1]) {
    vm_error(vm, "%s(): %s must be a square matrix", fn, what);
    return NULL;
  }
  ObjTensor *l = tensor_copy(a);
  size_t n = l->shape[0];
  gsl_matrix_view mv = gsl_matrix_view_array(l->data, n, n);
  if (n == 0 || gsl_linalg_cholesky_decomp1(&mv.matrix) != 0) {
    vm_error(vm, "%s(): %s is not positive definite", fn, what);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) /* keep the lower triangle only */
    for (size_t j = i + 1; j < n; j++)
      l->data[i * n + j] = 0.0;
  return l;
}

/* MvNormal(mu, cov=): chol = the lower Cholesky factor of cov. */
static bool mvnormal_cov(VM *vm, const Value *alt, Value *canon) {
  if (model_is_var(alt[0]))
    return model_apply_op(vm, TAPE_CHOLESKY, alt[0], &canon[1]);
  if (!IS_TENSOR(alt[0]))
    return vm_error(vm, "MvNormal(): cov must be a square matrix");
  ObjTensor *l = lower_cholesky(vm, AS_TENSOR(alt[0]), "MvNormal", "cov");
  if (!l)
    return false;
  canon[1] = OBJ_VAL(l);
  return true;
}

/* The second index of MvNormal's canonical parameters is chol; the cov form
 * also takes mu, given positionally or by name, which stays canonical. */
static const AltForm alt_forms[] = {
    {"Gamma", {"mu", "sigma"}, gamma_mu_sigma},
    {"Beta", {"mu", "sigma"}, beta_mu_sigma},
    {"Bernoulli", {"logit_p", NULL}, bernoulli_logit},
    {"Binomial", {"logit_p", NULL}, binomial_logit},
    {"Categorical", {"logit_p", NULL}, categorical_logit},
    {"Normal", {"tau", NULL}, normal_tau},
    {"HalfNormal", {"tau", NULL}, halfnormal_tau},
    {"Exponential", {"scale", NULL}, exponential_scale},
    {"NegativeBinomial", {"n", "p"}, negbin_n_p},
    {"MvNormal", {"cov", NULL}, mvnormal_cov},
};

static const AltForm *alt_for(const DistFamily *f) {
  for (size_t i = 0; i < sizeof alt_forms / sizeof *alt_forms; i++)
    if (strcmp(alt_forms[i].family, f->name) == 0)
      return &alt_forms[i];
  return NULL;
}

/* Fills in canonical parameters from an alternative form if one was used. */
static bool apply_alt(Args *a, const DistFamily *f, const AltForm *alt,
                      int alt_base, Value *canon) {
  if (!alt)
    return true;
  int nalt = alt->names[1] ? 2 : 1;
  bool any = false, all = true;
  for (int i = 0; i < nalt; i++) {
    bool given = args_given(a, alt_base + i);
    any = any || given;
    all = all && given;
  }
  if (!any)
    return true;
  if (!all)
    return vm_error(a->vm, "%s(): '%s' and '%s' go together", f->name,
                    alt->names[0], alt->names[1]);
  Value altv[2];
  for (int i = 0; i < nalt; i++)
    altv[i] = a->v[alt_base + i];
  return alt->convert(a->vm, altv, canon);
}

static bool b_dist(VM *vm, const CallArgs *call, Value *result) {
  const DistFamily *f = call->ctx;
  const AltForm *alt = alt_for(f);
  const char *names[DIST_MAX_PARAMS + 2 + NEXTRA + 1];
  int n = 0;
  for (int i = 0; i < f->nparams; i++)
    names[n++] = f->params[i];
  int alt_base = n;
  if (alt)
    for (int i = 0; i < 2 && alt->names[i]; i++)
      names[n++] = alt->names[i];
  int extra_base = n;
  for (int i = 0; i < NEXTRA; i++)
    names[n++] = extra_names[i];
  names[n] = NULL;
  Args a;
  if (!args_bind(&a, vm, call, f->name, names, 0))
    return false;
  DistValue *d = mem_alloc(sizeof *d);
  d->family = f;
  for (int i = 0; i < f->nparams; i++)
    d->params[i] = args_given(&a, i) ? a.v[i] : UNDEF_VAL;
  if (!apply_alt(&a, f, alt, alt_base, d->params))
    return false;
  for (int i = 0; i < f->nparams; i++) {
    if (!IS_UNDEF(d->params[i]))
      continue;
    if (isnan(f->defaults[i]))
      return vm_error(vm, "%s(): missing required argument '%s'", f->name,
                      f->params[i]);
    d->params[i] = NUM_VAL(f->defaults[i]);
  }
  d->shape = a.v[extra_base + EXTRA_SHAPE];
  d->lower = a.v[extra_base + EXTRA_LOWER];
  d->upper = a.v[extra_base + EXTRA_UPPER];
  d->observed = a.v[extra_base + EXTRA_OBSERVED];
  d->transform = a.v[extra_base + EXTRA_TRANSFORM];
  d->sd_dist = UNDEF_VAL;
  if (args_given(&a, extra_base + EXTRA_TRANSFORM) &&
      !(IS_STRING(d->transform) &&
        strcmp(AS_CSTRING(d->transform), "ordered") == 0))
    return vm_error(vm, "%s(): transform= can be \"ordered\" (the others "
                        "follow from the support and lower=/upper=)",
                    f->name);
  *result = OBJ_VAL(handle_new(&dist_class, d));
  return true;
}

/* LKJCholeskyCov(eta, n, sd_dist): see tilde_lkj_cov in model.c. */
static bool b_lkj_cholesky_cov(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"eta", "n", "sd_dist", NULL};
  Args a;
  double n;
  if (!args_bind(&a, vm, call, "LKJCholeskyCov", names, 3) ||
      !args_num(&a, 1, &n))
    return false;
  if (!(n >= 2) || n != floor(n))
    return args_error(&a, 1, "must be a whole number >= 2, got %g", n);
  if (!object_is_handle(a.v[2], &dist_class))
    return args_error(&a, 2, "must be a distribution such as "
                             "Exponential(1), got a %s",
                      value_type_name(a.v[2]));
  DistValue *d = mem_alloc(sizeof *d);
  d->family = &dist_lkjcorrcholesky;
  d->params[0] = a.v[0];
  d->params[1] = a.v[1];
  d->shape = d->lower = d->upper = d->observed = d->transform = UNDEF_VAL;
  d->sd_dist = a.v[2];
  *result = OBJ_VAL(handle_new(&dist_class, d));
  return true;
}

static bool b_potential(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"name", "term", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "Potential", names, 1))
    return false;
  Value term = args_given(&a, 1) ? a.v[1] : a.v[0];
  *result = NIL_VAL;
  return model_add_potential(vm, term);
}

/* ---- logp, grad_logp, check_gradients --------------------------------- */

static bool b_logp(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"model", "point", "by_node", "jacobian",
                                      NULL};
  Args a;
  ObjRecord *point;
  bool by_node, jacobian;
  if (!args_bind(&a, vm, call, "logp", names, 2) ||
      !args_record(&a, 1, &point) || !args_bool_or(&a, 2, false, &by_node) ||
      !args_bool_or(&a, 3, true, &jacobian))
    return false;
  Model *m = model_get(vm, a.v[0], "logp");
  if (!m || (!jacobian && !(m = model_without_jacobian(vm, m))))
    return false;
  Eval e;
  eval_open(&e, m);
  bool inside;
  bool ok = point_to_theta(vm, &e, point, "logp", &inside);
  if (ok) {
    double lp = inside ? tape_logp(e.st, e.theta) : -INFINITY;
    if (!by_node) {
      *result = NUM_VAL(lp);
    } else {
      ObjRecord *r = record_new();
      for (int i = 0; i < m->nvars && inside; i++) {
        const RandomVar *rv = m->vars[i];
        if (rv->term == TAPE_NONE)
          continue;
        double t = tape_value(e.st, rv->term)[0];
        if (jacobian && rv->jac != TAPE_NONE)
          t += tape_value(e.st, rv->jac)[0];
        table_set(&r->fields, rv->name, NUM_VAL(t));
      }
      record_set(r, "total", NUM_VAL(lp));
      *result = OBJ_VAL(r);
    }
  }
  eval_close(&e);
  return ok;
}

static bool b_grad_logp(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"model", "point", NULL};
  Args a;
  ObjRecord *point;
  if (!args_bind(&a, vm, call, "grad_logp", names, 2) ||
      !args_record(&a, 1, &point))
    return false;
  Model *m = model_get(vm, a.v[0], "grad_logp");
  if (!m || !no_discrete(vm, m, "grad_logp"))
    return false;
  Eval e;
  eval_open(&e, m);
  bool inside;
  bool ok = point_to_theta(vm, &e, point, "grad_logp", &inside);
  if (ok && inside) {
    tape_logp_grad(e.st, e.theta, e.grad);
    ObjRecord *r = record_new();
    for (int i = 0; i < m->nvars; i++) {
      const RandomVar *rv = m->vars[i];
      if (rv->role != RV_FREE || rv->deterministic)
        continue;
      Value g = rv->ndim == 0 && rv->size == 1
                    ? NUM_VAL(e.grad[rv->offset])
                    : OBJ_VAL(tensor_from_array(e.grad + rv->offset, rv->size));
      table_set(&r->fields, rv->name, g);
    }
    *result = OBJ_VAL(r);
  } else if (ok) {
    ok = vm_error(vm, "grad_logp(): the point is outside the support (log "
                      "density -inf), where there is no gradient");
  }
  eval_close(&e);
  return ok;
}

/* Central finite differences of the tape's log density against its
 * reverse-mode gradient, at a point or at theta = 0. */
enum { CHECK_GRADIENTS_MAX_REL = 1 };
#define CHECK_GRADIENTS_EPS 1e-6
#define CHECK_GRADIENTS_TOL 1e-5

static bool b_check_gradients(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"model", "point", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "check_gradients", names, 1))
    return false;
  Model *m = model_get(vm, a.v[0], "check_gradients");
  if (!m || !no_discrete(vm, m, "check_gradients"))
    return false;
  Eval e;
  eval_open(&e, m);
  bool inside = true, ok = true;
  if (args_given(&a, 1)) {
    ObjRecord *point;
    ok = args_record(&a, 1, &point) &&
         point_to_theta(vm, &e, point, "check_gradients", &inside);
  }
  double lp = ok && inside ? tape_logp_grad(e.st, e.theta, e.grad) : -INFINITY;
  if (ok && !isfinite(lp))
    ok = vm_error(vm, "check_gradients(): the log density is -inf at the "
                      "point, so there is no gradient to check");
  if (ok) {
    ObjTensor *ad = tensor_from_array(e.grad, m->dim);
    ObjTensor *fd = tensor_vector(m->dim);
    double max_abs = 0, max_rel = 0;
    for (size_t i = 0; i < m->dim; i++) {
      double x = e.theta[i];
      double h = CHECK_GRADIENTS_EPS * fmax(1.0, fabs(x));
      e.theta[i] = x + h;
      double up = tape_logp(e.st, e.theta);
      e.theta[i] = x - h;
      double down = tape_logp(e.st, e.theta);
      e.theta[i] = x;
      fd->data[i] = (up - down) / (2 * h);
      double err = fabs(fd->data[i] - ad->data[i]);
      max_abs = fmax(max_abs, err);
      max_rel = fmax(max_rel, err / fmax(1.0, fabs(fd->data[i])));
    }
    ObjRecord *r = record_new();
    record_set(r, "ok", BOOL_VAL(max_rel < CHECK_GRADIENTS_TOL));
    record_set(r, "max_abs_error", NUM_VAL(max_abs));
    record_set(r, "max_rel_error", NUM_VAL(max_rel));
    record_set(r, "gradient", OBJ_VAL(ad));
    record_set(r, "finite_difference", OBJ_VAL(fd));
    *result = OBJ_VAL(r);
  }
  eval_close(&e);
  return ok;
}

/* ---- find_map --------------------------------------------------------- */

static bool b_find_map(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"model", "start", "maxiter", NULL};
  Args a;
  int64_t maxiter;
  if (!args_bind(&a, vm, call, "find_map", names, 1) ||
      !args_int_or(&a, 2, OPTIM_MAX_ITER, &maxiter))
    return false;
  Model *m = model_get(vm, a.v[0], "find_map");
  if (!m || !(m = model_without_jacobian(vm, m)))
    return false;
  if (!no_discrete(vm, m, "find_map"))
    return false;
  Eval e;
  eval_open(&e, m);
  bool ok = true, inside = true;
  if (args_given(&a, 1)) {
    ObjRecord *start;
    ok = args_record(&a, 1, &start) &&
         point_to_theta_checked(vm, &e, start, "find_map", &inside, true);
  }
  LogDensity d = {m->dim, eval_density, &e};
  OptimOptions opt = {(int)maxiter, 0};
  OptimResult r;
  if (ok && (!inside || !optim_maximize(&d, e.theta, &opt, &r)))
    ok = explain_bad_start(vm, &e, "find_map");
  if (ok) {
    ObjRecord *out = theta_to_record(&e);
    record_set(out, "logp", NUM_VAL(r.lp));
    record_set(out, "converged", BOOL_VAL(r.converged));
    record_set(out, "iterations", NUM_VAL(r.iterations));
    if (!r.converged)
      fprintf(vm_err(vm), "warning: find_map() did not converge after %d "
                          "iteration%s: %s\n",
              r.iterations, r.iterations == 1 ? "" : "s", r.message);
    *result = OBJ_VAL(out);
  }
  eval_close(&e);
  return ok;
}

static bool b_sample_prior(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"model", "n", "seed", NULL};
  Args a;
  size_t n;
  if (!args_bind(&a, vm, call, "sample_prior", names, 1) ||
      !args_count_or(&a, 1, 500, &n))
    return false;
  Model *m = model_get(vm, a.v[0], "sample_prior");
  if (!m)
    return false;
  int64_t seed = 0;
  bool seeded = args_given(&a, 2);
  if (seeded && !args_int(&a, 2, &seed))
    return false;
  Rng *rng = seeded ? rng_alloc((uint64_t)seed) : vm_rng(vm);
  Eval e;
  eval_open(&e, m);
  double **draw = mem_alloc((size_t)(m->nvars + 1) * sizeof *draw);
  ObjTensor **cols = mem_alloc((size_t)(m->nvars + 1) * sizeof *cols);
  for (int i = 0; i < m->nvars; i++) {
    const RandomVar *rv = m->vars[i];
    draw[i] = mem_alloc_atomic((rv->len + 1) * sizeof(double));
    cols[i] = rv->len == 1 ? tensor_vector(n) : tensor_matrix(n, rv->len);
  }
  bool ok = true;
  for (size_t d = 0; d < n && ok; d++) {
    ok = draw_once(vm, &e, rng, draw);
    for (int i = 0; i < m->nvars && ok; i++)
      memcpy(cols[i]->data + d * m->vars[i]->len, draw[i],
             m->vars[i]->len * sizeof(double));
  }
  if (ok) {
    ObjRecord *r = record_new();
    for (int i = 0; i < m->nvars; i++)
      if (m->vars[i]->role != RV_INTERVENED)
        table_set(&r->fields, m->vars[i]->name, OBJ_VAL(cols[i]));
    *result = OBJ_VAL(r);
  }
  if (seeded)
    rng_free(rng);
  eval_close(&e);
  return ok;
}

/* ---- do / observe ------------------------------------------------------ */

static bool b_do(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"model", "values", NULL};
  Args a;
  ObjRecord *values;
  if (!args_bind(&a, vm, call, "do", names, 2) || !args_record(&a, 1, &values))
    return false;
  Model *m = model_get(vm, a.v[0], "do");
  if (!m)
    return false;
  for (size_t i = 0; i < values->fields.count; i++)
    if (model_find(m, values->fields.entries[i].key->chars) < 0)
      return vm_error(vm, "do(): the model has no variable '%s'",
                      values->fields.entries[i].key->chars);
  return model_rebind(vm, m, values, m->observations, result);
}

static bool b_observe(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"model", "data", NULL};
  Args a;
  ObjRecord *data;
  if (!args_bind(&a, vm, call, "observe", names, 2) ||
      !args_record(&a, 1, &data))
    return false;
  Model *m = model_get(vm, a.v[0], "observe");
  if (!m)
    return false;
  for (size_t i = 0; i < data->fields.count; i++)
    if (model_find(m, data->fields.entries[i].key->chars) < 0)
      return vm_error(vm, "observe(): the model has no variable '%s'",
                      data->fields.entries[i].key->chars);
  return model_rebind(vm, m, m->interventions, data, result);
}

/* ---- model_graph ------------------------------------------------------ */

static const char *role_word(const RandomVar *rv) {
  if (rv->deterministic)
    return "deterministic";
  switch (rv->role) {
  case RV_FREE: return "free";
  case RV_OBSERVED: return "observed";
  case RV_INTERVENED: return "intervened";
  }
  return "?";
}

static void graph_text(StrBuf *sb, const Model *m) {
  for (int i = 0; i < m->nvars; i++) {
    const RandomVar *rv = m->vars[i];
    strbuf_printf(sb, "%-12s %-16s %-13s", rv->name->chars,
                  rv->family ? rv->family->name : "=",
                  role_word(rv));
    if (rv->nparents > 0) {
      strbuf_puts(sb, " <- ");
      for (int k = 0; k < rv->nparents; k++)
        strbuf_printf(sb, "%s%s", k ? ", " : "",
                      m->vars[rv->parents[k]]->name->chars);
    }
    strbuf_putc(sb, '\n');
  }
}

static void graph_dot(StrBuf *sb, const Model *m) {
  strbuf_printf(sb, "digraph \"%s\" {\n  rankdir=TB;\n", m->name->chars);
  for (int i = 0; i < m->nvars; i++) {
    const RandomVar *rv = m->vars[i];
    const char *style = rv->deterministic ? "shape=box"
                        : rv->role == RV_OBSERVED
                            ? "shape=ellipse, style=filled, fillcolor=gray85"
                        : rv->role == RV_INTERVENED
                            ? "shape=ellipse, style=dashed"
                            : "shape=ellipse";
    strbuf_printf(sb, "  \"%s\" [label=\"%s\\n%s\", %s];\n", rv->name->chars,
                  rv->name->chars,
                  rv->family ? rv->family->name : "Deterministic", style);
  }
  for (int i = 0; i < m->nvars; i++)
    for (int k = 0; k < m->vars[i]->nparents; k++)
      strbuf_printf(sb, "  \"%s\" -> \"%s\";\n",
                    m->vars[m->vars[i]->parents[k]]->name->chars,
                    m->vars[i]->name->chars);
  strbuf_puts(sb, "}\n");
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Renders DOT text through Graphviz's dot into path (svg, png, pdf). */
static bool render_dot(VM *vm, const StrBuf *dot, const char *path,
                       const char *format) {
  if (access("/usr/bin/dot", X_OK) != 0 && system("command -v dot >/dev/null 2>&1") != 0)
    return vm_error(vm, "model_graph(): drawing %s needs Graphviz (apt-get "
                        "install graphviz); write a .dot file instead",
                    format);
  StrBuf cmd;
  strbuf_init(&cmd);
  strbuf_printf(&cmd, "dot -T%s -o '%s'", format, path);
  FILE *p = popen(cmd.data, "w");
  if (!p)
    return vm_error(vm, "model_graph(): cannot run dot");
  fwrite(dot->data, 1, dot->len, p);
  if (pclose(p) != 0)
    return vm_error(vm, "model_graph(): dot failed to write '%s'", path);
  return true;
}

static bool b_model_graph(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"model", "file", "format", NULL};
  Args a;
  const char *file, *format;
  if (!args_bind(&a, vm, call, "model_graph", names, 1) ||
      !args_string_or(&a, 1, NULL, &file) ||
      !args_string_or(&a, 2, file ? "dot" : "text", &format))
    return false;
  Model *m = model_get(vm, a.v[0], "model_graph");
  if (!m)
    return false;
  StrBuf sb;
  strbuf_init(&sb);
  if (strcmp(format, "text") == 0 && !file) {
    graph_text(&sb, m);
    *result = OBJ_VAL(string_new(sb.data, sb.len));
    return true;
  }
  graph_dot(&sb, m);
  *result = OBJ_VAL(string_new(sb.data, sb.len));
  if (!file)
    return true;
  if (has_suffix(file, ".svg") || has_suffix(file, ".png") ||
      has_suffix(file, ".pdf"))
    return render_dot(vm, &sb, file, strrchr(file, '.') + 1);
  FILE *f = fopen(file, "w");
  if (!f)
    return vm_error(vm, "model_graph(): cannot write '%s'", file);
  fwrite(sb.data, 1, sb.len, f);
  fclose(f);
  return true;
}

/* ---- cholesky ---------------------------------------------------------- */

/* cholesky(A) of numbers. A model matrix never reaches here: the model
 * variable's class (model.c) turns the call into the tape's CHOLESKY. */
static bool b_cholesky(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"A", NULL};
  Args a;
  ObjTensor *m;
  if (!args_bind(&a, vm, call, "cholesky", names, 1))
    return false;
  if (!IS_TENSOR(a.v[0]) || AS_TENSOR(a.v[0])->ndim != 2)
    return args_error(&a, 0, "must be a square matrix, got a %s%s",
                      value_type_name(a.v[0]),
                      IS_LIST(a.v[0]) ? " (make one with matrix(rows))"
                                      : "");
  if (!args_tensor(&a, 0, &m))
    return false;
  size_t n = m->shape[0];
  if (m->shape[1] != n)
    return args_error(&a, 0, "must be a square matrix, got %zu x %zu", n,
                      m->shape[1]);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++) {
      double x = m->data[i * n + j], y = m->data[j * n + i];
      double scale = fmax(1.0, fmax(fabs(x), fabs(y)));
      if (!(fabs(x - y) <= CHOLESKY_SYMMETRY_TOL * scale))
        return args_error(&a, 0, "must be symmetric, but A[%zu, %zu] = %g "
                                 "and A[%zu, %zu] = %g",
                          i, j, x, j, i, y);
    }
  ObjTensor *l = lower_cholesky(vm, m, "cholesky", "argument 1 'A'");
  if (!l)
    return false;
  *result = OBJ_VAL(l);
  return true;
}

/* ---- registration ----------------------------------------------------- */

static const BuiltinDef model_builtins[] = {
    {"cholesky", b_cholesky,
     "cholesky(A): the lower triangular L with A = L L^T, for a symmetric "
     "positive-definite matrix A; in a model, of a matrix of model values "
     "(a tape instruction, so gradients flow)"},
    {"LKJCholeskyCov", b_lkj_cholesky_cov,
     "LKJCholeskyCov(eta, n, sd_dist): the Cholesky factor of an n x n "
     "covariance, diag(stds) L with L ~ LKJCorrCholesky(eta, n) and stds ~ "
     "sd_dist (declared as NAME_corr and NAME_stds)"},
    {"Potential", b_potential,
     "Potential(term) or Potential(name, term): add a term to the model's "
     "log density (inside a model block)"},
    {"logp", b_logp,
     "logp(m, point, by_node=false, jacobian=true): log density of a bound "
     "model at a point (a record of values by name)"},
    {"grad_logp", b_grad_logp,
     "grad_logp(m, point): gradient of the log density with respect to each "
     "free variable's unconstrained value"},
    {"check_gradients", b_check_gradients,
     "check_gradients(m, point=nil): compare the tape's gradient with finite "
     "differences; {ok, max_abs_error, max_rel_error, ...}"},
    {"find_map", b_find_map,
     "find_map(m, start=nil, maxiter=5000): the maximum a posteriori point "
     "(BFGS in unconstrained space, no Jacobian terms, as PyMC)"},
    {"sample_prior", b_sample_prior,
     "sample_prior(m, n=500, seed=nil): n draws of every variable from the "
     "prior (observed ones too: the prior predictive)"},
    {"sample_prior_predictive", b_sample_prior,
     "sample_prior_predictive(m, n=500, seed=nil): PyMC's name for "
     "sample_prior"},
    {"do", b_do,
     "do(m, {x: value}): the model with x set by intervention"},
    {"observe", b_observe,
     "observe(m, {y: data}): the model with y conditioned on data"},
    {"model_graph", b_model_graph,
     "model_graph(m, file=nil, format=\"text\"): the model's variables and "
     "dependencies (text, or Graphviz DOT; .svg/.png/.pdf via dot)"},
    {NULL, NULL, NULL},
};

void lib_model_register(VM *vm) {
  builtin_register(vm, model_builtins);
  for (const DistFamily *const *f = dist_all(); *f; f++) {
    StrBuf help;
    strbuf_init(&help);
    strbuf_printf(&help, "%s(", (*f)->name);
    for (int i = 0; i < (*f)->nparams; i++)
      strbuf_printf(&help, "%s%s", i ? ", " : "", (*f)->params[i]);
    strbuf_puts(&help, ", shape=nil, lower=nil, upper=nil, observed=nil, "
                       "transform=nil): a distribution, for `x ~ ...` in a "
                       "model");
    vm_define_global(vm, (*f)->name,
                     OBJ_VAL(native_new((*f)->name, b_dist, help.data,
                                        (void *)*f)));
  }
  Value lognormal;
  if (vm_get_global(vm, "LogNormal", &lognormal)) /* both spellings */
    vm_define_global(vm, "Lognormal", lognormal);
  model_install(vm);
}
