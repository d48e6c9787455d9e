/*
 * lib_sample.c — the builtins of MCMC: step-method values (NUTS(), HMC(),
 * Slice(), Metropolis()), sample(), resume() and posterior predictive
 * draws.
 *
 * This file turns what the user wrote into a SampleConfig (which method
 * moves which coordinates of theta, the starting points) and hands it to
 * the chain driver (sample.c), which runs without the VM. As in PyMC,
 * free variables no step method names go to NUTS when continuous and to
 * Metropolis with integer proposals when discrete.
 */
#include <config.h>

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "diag.h"
#include "mem.h"
#include "model.h"
#include "modeleval.h"
#include "report.h"
#include "rng.h"
#include "sample.h"
#include "strbuf.h"
#include "summary.h"
#include "tensor.h"
#include "trace.h"

/* Stan's initialisation: uniform on (-2, 2) in unconstrained space. */
#define INIT_RADIUS 2.0
enum { INIT_TRIES = 100 };
/* Random streams for starting points sit after the chains' own. */
#define INIT_STREAM_BASE ((uint64_t)1 << 32)
/* A seed drawn when sample() is given none is an unsigned 32-bit number,
 * as CmdStan's and CmdStanPy's are: trace.seed (a double) holds it
 * exactly, so sample(seed=trace.seed) repeats the run, and CmdStan can
 * read it back from save_csv's `seed =`. */
#define ENTROPY_SEED_MASK ((uint64_t)0xffffffffu)

/* ---- step-method values ------------------------------------------------- */

typedef struct StepValue {
  const StepMethod *method;
  StepOptions opt;
  ObjList *vars; /* names, or NULL for "the rest" */
} StepValue;

static void step_format(StrBuf *sb, void *data, bool repr) {
  (void)repr;
  const StepValue *s = data;
  strbuf_printf(sb, "%s(", s->method->name);
  bool first = true;
#define OPT(cond, ...)                                                        \
  if (cond) {                                                                 \
    strbuf_puts(sb, first ? "" : ", ");                                       \
    strbuf_printf(sb, __VA_ARGS__);                                           \
    first = false;                                                            \
  }
  OPT(isfinite(s->opt.target_accept), "target_accept=%g",
      s->opt.target_accept)
  OPT(s->opt.max_treedepth > 0, "max_treedepth=%d", s->opt.max_treedepth)
  OPT(isfinite(s->opt.path_length), "path_length=%g", s->opt.path_length)
  OPT(isfinite(s->opt.step_size), "step_size=%g", s->opt.step_size)
  OPT(s->opt.dense_mass, "dense_mass=true")
  OPT(s->opt.grad_mass, "adapt_mass=\"gradient\"")
  OPT(isfinite(s->opt.proposal_scale), "scale=%g", s->opt.proposal_scale)
  OPT(isfinite(s->opt.slice_width), "w=%g", s->opt.slice_width)
#undef OPT
  if (s->vars) {
    strbuf_puts(sb, first ? "vars=" : ", vars=");
    value_format(sb, OBJ_VAL(s->vars), true);
  }
  strbuf_puts(sb, ")");
}

static const HandleClass step_class = {.name = "step method",
                                       .format = step_format};

static StepValue *step_new(const StepMethod *method) {
  StepValue *s = mem_alloc(sizeof *s);
  s->method = method;
  s->opt.target_accept = NAN;
  s->opt.path_length = NAN;
  s->opt.step_size = NAN;
  s->opt.proposal_scale = NAN;
  s->opt.slice_width = NAN;
  return s;
}

/* vars=: a name or a list of names. */
static bool step_vars(Args *a, int i, StepValue *s) {
  if (!args_given(a, i))
    return true;
  Value v = a->v[i];
  if (IS_STRING(v)) {
    s->vars = list_new(1);
    list_push(s->vars, v);
    return true;
  }
  if (!IS_LIST(v))
    return args_error(a, i, "must be a variable name or a list of names");
  ObjList *l = AS_LIST(v);
  for (size_t k = 0; k < l->len; k++)
    if (!IS_STRING(l->items[k]))
      return args_error(a, i, "must be a list of variable names (item %zu "
                              "is a %s)",
                        k, value_type_name(l->items[k]));
  s->vars = l;
  return true;
}

static bool probability_arg(Args *a, int i, double *out) {
  if (!args_given(a, i))
    return true;
  if (!args_num(a, i, out))
    return false;
  if (!(*out > 0.0 && *out < 1.0))
    return args_error(a, i, "must be between 0 and 1 (exclusive), got %g",
                      *out);
  return true;
}

static bool positive_arg(Args *a, int i, double *out) {
  return !args_given(a, i) || args_positive(a, i, out);
}

/* adapt_mass="variance" (Stan's) or "gradient" (draws and gradients). */
static bool adapt_mass_arg(Args *a, int i, StepValue *s) {
  const char *how;
  if (!args_string_or(a, i, "variance", &how))
    return false;
  if (strcmp(how, "gradient") == 0)
    s->opt.grad_mass = true;
  else if (strcmp(how, "variance") != 0)
    return args_error(a, i, "must be \"variance\" or \"gradient\", got "
                            "\"%s\"",
                      how);
  if (s->opt.grad_mass && s->opt.dense_mass)
    return args_error(a, i, "\"gradient\" adapts a diagonal mass matrix; "
                            "it cannot go with dense_mass=true");
  return true;
}

static bool b_nuts(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"target_accept", "max_treedepth",
                                      "step_size", "dense_mass", "vars",
                                      "adapt_mass", NULL};
  Args a;
  StepValue *s = step_new(&mcmc_nuts);
  int64_t depth = 10;
  if (!args_bind(&a, vm, call, "NUTS", names, 0) ||
      !probability_arg(&a, 0, &s->opt.target_accept) ||
      !args_int_or(&a, 1, 10, &depth) ||
      !positive_arg(&a, 2, &s->opt.step_size) ||
      !args_bool_or(&a, 3, false, &s->opt.dense_mass) ||
      !step_vars(&a, 4, s) || !adapt_mass_arg(&a, 5, s))
    return false;
  if (depth < 1 || depth > 30)
    return args_error(&a, 1, "must be between 1 and 30, got %lld",
                      (long long)depth);
  if (args_given(&a, 1))
    s->opt.max_treedepth = (int)depth;
  *result = OBJ_VAL(handle_new(&step_class, s));
  return true;
}

static bool b_hmc(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"path_length", "target_accept",
                                      "step_size", "dense_mass", "vars",
                                      "adapt_mass", NULL};
  Args a;
  StepValue *s = step_new(&mcmc_hmc);
  if (!args_bind(&a, vm, call, "HMC", names, 0) ||
      !positive_arg(&a, 0, &s->opt.path_length) ||
      !probability_arg(&a, 1, &s->opt.target_accept) ||
      !positive_arg(&a, 2, &s->opt.step_size) ||
      !args_bool_or(&a, 3, false, &s->opt.dense_mass) ||
      !step_vars(&a, 4, s) || !adapt_mass_arg(&a, 5, s))
    return false;
  *result = OBJ_VAL(handle_new(&step_class, s));
  return true;
}

static bool b_slice(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"w", "vars", NULL};
  Args a;
  StepValue *s = step_new(&mcmc_slice);
  if (!args_bind(&a, vm, call, "Slice", names, 0) ||
      !positive_arg(&a, 0, &s->opt.slice_width) || !step_vars(&a, 1, s))
    return false;
  *result = OBJ_VAL(handle_new(&step_class, s));
  return true;
}

static bool b_metropolis(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"scale", "target_accept", "vars", NULL};
  Args a;
  StepValue *s = step_new(&mcmc_metropolis);
  if (!args_bind(&a, vm, call, "Metropolis", names, 0) ||
      !positive_arg(&a, 0, &s->opt.proposal_scale) ||
      !probability_arg(&a, 1, &s->opt.target_accept) || !step_vars(&a, 2, s))
    return false;
  *result = OBJ_VAL(handle_new(&step_class, s));
  return true;
}

static StepValue *as_step(Value v) {
  if (IS_HANDLE(v) && AS_HANDLE(v)->cls == &step_class)
    return AS_HANDLE(v)->data;
  return NULL;
}

/* ---- which method moves which coordinates ------------------------------- */

typedef struct Plan {
  StepSpec *specs; /* malloc'd; handed to the driver */
  int n;
  int *owner;      /* per model variable: the spec moving it, or -1 */
} Plan;

static bool is_discrete(const RandomVar *rv) {
  return rv->family && rv->family->discrete;
}

static bool is_free(const RandomVar *rv) {
  return rv->role == RV_FREE && !rv->deterministic && rv->size > 0;
}

static int plan_add(Plan *p, const StepMethod *method, const StepOptions *opt,
                    bool discrete) {
  p->specs = realloc(p->specs, (size_t)(p->n + 1) * sizeof *p->specs);
  if (!p->specs)
    PANIC("out of memory planning step methods");
  StepSpec *sp = &p->specs[p->n];
  memset(sp, 0, sizeof *sp);
  sp->method = method;
  sp->opt = *opt;
  sp->opt.discrete = discrete;
  return p->n++;
}

static void plan_assign(Plan *p, const Model *m, int spec, int var) {
  StepSpec *sp = &p->specs[spec];
  const RandomVar *rv = m->vars[var];
  sp->idx = realloc(sp->idx, (sp->nidx + rv->size) * sizeof(size_t));
  if (!sp->idx)
    PANIC("out of memory planning step methods");
  for (size_t k = 0; k < rv->size; k++)
    sp->idx[sp->nidx++] = rv->offset + k;
  p->owner[var] = spec;
}

static void plan_free(Plan *p) {
  for (int k = 0; k < p->n; k++)
    free(p->specs[k].idx);
  free(p->specs);
  p->specs = NULL;
  p->n = 0;
}

static bool unknown_var(VM *vm, const Model *m, const char *method,
                        const char *name) {
  const char **known = mem_alloc((size_t)(m->nvars + 1) * sizeof *known);
  size_t nk = 0;
  for (int i = 0; i < m->nvars; i++)
    if (is_free(m->vars[i]))
      known[nk++] = m->vars[i]->name->chars;
  const char *hint = report_suggest(name, known, nk);
  int v = model_find(m, name);
  if (v >= 0)
    return vm_error(vm, "sample(): %s(vars=...) names '%s', which is not a "
                        "free variable of the model (it is %s)",
                    method, name,
                    m->vars[v]->role == RV_OBSERVED ? "observed"
                                                    : "fixed by do()");
  if (hint)
    return vm_error(vm, "sample(): %s(vars=...) names '%s', which the model "
                        "does not have (did you mean '%s'?)",
                    method, name, hint);
  return vm_error(vm, "sample(): %s(vars=...) names '%s', which the model "
                      "does not have",
                  method, name);
}

/* A user's step value: its named variables, or every continuous variable
 * not yet assigned when it names none. */
static bool plan_user_step(VM *vm, Plan *p, const Model *m,
                           const StepValue *s) {
  const char *mname = s->method->name;
  if (!s->vars) {
    int spec = -1;
    for (int i = 0; i < m->nvars; i++) {
      const RandomVar *rv = m->vars[i];
      if (!is_free(rv) || p->owner[i] >= 0 || is_discrete(rv))
        continue;
      if (spec < 0)
        spec = plan_add(p, s->method, &s->opt, false);
      plan_assign(p, m, spec, i);
    }
    return true;
  }
  int cont = -1, disc = -1;
  for (size_t k = 0; k < s->vars->len; k++) {
    const char *name = AS_STRING(s->vars->items[k])->chars;
    int i = model_find(m, name);
    if (i < 0 || !is_free(m->vars[i]))
      return unknown_var(vm, m, mname, name);
    const RandomVar *rv = m->vars[i];
    if (p->owner[i] >= 0)
      return vm_error(vm, "sample(): '%s' is given to two step methods (%s "
                          "and %s); each variable takes one",
                      name, p->specs[p->owner[i]].method->name, mname);
    if (is_discrete(rv)) {
      if (s->method != &mcmc_metropolis)
        return vm_error(vm, "sample(): %s cannot move '%s ~ %s', a discrete "
                            "variable (line %d); give it to Metropolis",
                        mname, name, rv->family->name, rv->line);
      if (disc < 0)
        disc = plan_add(p, s->method, &s->opt, true);
      plan_assign(p, m, disc, i);
    } else {
      if (cont < 0)
        cont = plan_add(p, s->method, &s->opt, false);
      plan_assign(p, m, cont, i);
    }
  }
  return true;
}

/* Free variables no step names: continuous ones to NUTS, discrete ones to
 * Metropolis with integer proposals (PyMC's assignment). */
static void plan_rest(Plan *p, const Model *m) {
  StepOptions dflt;
  memset(&dflt, 0, sizeof dflt);
  dflt.target_accept = dflt.path_length = dflt.step_size = NAN;
  dflt.proposal_scale = dflt.slice_width = NAN;
  int cont = -1, disc = -1;
  for (int i = 0; i < m->nvars; i++) {
    const RandomVar *rv = m->vars[i];
    if (!is_free(rv) || p->owner[i] >= 0)
      continue;
    if (is_discrete(rv)) {
      if (disc < 0)
        disc = plan_add(p, &mcmc_metropolis, &dflt, true);
      plan_assign(p, m, disc, i);
    } else {
      if (cont < 0)
        cont = plan_add(p, &mcmc_nuts, &dflt, false);
      plan_assign(p, m, cont, i);
    }
  }
}

static bool make_plan(VM *vm, Plan *p, const Model *m, Value step,
                      size_t tune) {
  p->owner = mem_alloc_atomic((size_t)(m->nvars + 1) * sizeof(int));
  for (int i = 0; i < m->nvars; i++)
    p->owner[i] = -1;
  bool ok = true;
  if (IS_LIST(step)) {
    ObjList *l = AS_LIST(step);
    for (size_t k = 0; k < l->len && ok; k++) {
      StepValue *s = as_step(l->items[k]);
      if (!s)
        ok = vm_error(vm, "sample(): step= item %zu is a %s, not a step "
                          "method such as NUTS() or Slice()",
                      k, value_type_name(l->items[k]));
      else
        ok = plan_user_step(vm, p, m, s);
    }
  } else if (!IS_NIL(step) && !IS_UNDEF(step)) {
    StepValue *s = as_step(step);
    if (!s)
      ok = vm_error(vm, "sample(): step= must be a step method such as "
                        "NUTS() or Slice(), or a list of them; got a %s",
                    value_type_name(step));
    else
      ok = plan_user_step(vm, p, m, s);
  }
  if (ok)
    plan_rest(p, m);
  for (int k = 0; ok && k < p->n; k++)
    p->specs[k].opt.tune = (int)tune;
  if (!ok)
    plan_free(p);
  return ok;
}

/* ---- starting points ---------------------------------------------------- */

static bool finite_all(const double *x, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (!isfinite(x[k]))
      return false;
  return true;
}

/* Chain c's start: discrete coordinates from an ancestral prior draw,
 * continuous ones uniform on (-2, 2) unconstrained (Stan), until the log
 * density and its gradient are finite. */
static bool random_start(VM *vm, Eval *e, uint64_t seed, int c, bool gradient,
                         double *out) {
  const Model *m = e->m;
  Rng *rng = rng_alloc_stream(seed, INIT_STREAM_BASE + (uint64_t)c);
  double **draw = NULL;
  if (m->nfree_discrete > 0) {
    draw = mem_alloc((size_t)(m->nvars + 1) * sizeof *draw);
    for (int i = 0; i < m->nvars; i++)
      draw[i] = mem_alloc_atomic((m->vars[i]->len + 1) * sizeof(double));
  }
  bool ok = false;
  for (int t = 0; t < INIT_TRIES && !ok; t++) {
    if (draw && !draw_once(vm, e, rng, draw)) {
      rng_free(rng);
      return false;
    }
    for (int i = 0; i < m->nvars; i++) {
      const RandomVar *rv = m->vars[i];
      if (!is_free(rv) || is_discrete(rv))
        continue;
      for (size_t k = 0; k < rv->size; k++)
        e->theta[rv->offset + k] =
            INIT_RADIUS * (2.0 * rng_uniform(rng) - 1.0);
    }
    double lp = gradient ? tape_logp_grad(e->st, e->theta, e->grad)
                         : tape_logp(e->st, e->theta);
    ok = isfinite(lp) && (!gradient || finite_all(e->grad, m->dim));
  }
  rng_free(rng);
  if (!ok)
    return vm_error(vm, "sample(): no finite starting point found in %d "
                        "random tries (uniform on (-2, 2) in unconstrained "
                        "space); give start= (a find_map result, say)",
                    INIT_TRIES);
  memcpy(out, e->theta, m->dim * sizeof(double));
  return true;
}

/* ---- Ctrl-C --------------------------------------------------------------- */

static volatile int stop_requested;

static void on_sigint(int sig) {
  (void)sig;
  stop_requested = 1;
}

typedef struct SigGuard {
  struct sigaction old;
} SigGuard;

static void sig_catch(SigGuard *g) {
  stop_requested = 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g->old);
}

static void sig_release(SigGuard *g) { sigaction(SIGINT, &g->old, NULL); }

static void report_run(VM *vm, const Trace *t, bool interrupted,
                       size_t requested) {
  FILE *err = vm_err(vm);
  size_t n = trace_ndraws(t);
  if (interrupted)
    fprintf(err, "warning: sampling interrupted: kept %zu of %zu draws per "
                 "chain; resume(trace) continues from where it stopped\n",
            n, requested);
  summary_warn_divergences(t, err); /* the same sentence as summary()'s */
}

/* ---- sample ------------------------------------------------------------- */

static int online_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (int)n;
}

/* Starting points for every chain into init (chains x dim). */
static bool starting_points(VM *vm, Args *a, Model *m, const Plan *p,
                            size_t chains, uint64_t seed, const Trace *from,
                            double *init) {
  bool gradient = false;
  for (int k = 0; k < p->n; k++)
    gradient = gradient || p->specs[k].method->needs_gradient;
  Eval e;
  eval_open(&e, m);
  bool ok = true;
  if (args_given(a, 6)) {
    ObjRecord *start;
    bool inside;
    ok = args_record(a, 6, &start) &&
         point_to_theta_checked(vm, &e, start, "sample", &inside, true);
    if (ok) {
      double lp = tape_logp(e.st, e.theta);
      if (!isfinite(lp))
        ok = explain_bad_start(vm, &e, "sample");
    }
    for (size_t c = 0; ok && c < chains; c++)
      memcpy(init + c * m->dim, e.theta, m->dim * sizeof(double));
  } else if (from) {
    for (size_t c = 0; c < chains; c++)
      memcpy(init + c * m->dim,
             sample_last_theta(from, (int)(c % (size_t)from->nchains)),
             m->dim * sizeof(double));
  } else {
    for (size_t c = 0; ok && c < chains; c++)
      ok = random_start(vm, &e, seed, (int)c, gradient, init + c * m->dim);
  }
  eval_close(&e);
  return ok;
}

static bool b_sample(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "model", "draws", "tune",        "chains",    "cores", "step",
      "start", "seed",  "progressbar", "tune_from", NULL};
  Args a;
  size_t draws, tune, chains, cores;
  bool progress;
  if (!args_bind(&a, vm, call, "sample", names, 1) ||
      !args_count_or(&a, 1, 1000, &draws) ||
      !args_count_or(&a, 3, 4, &chains) ||
      !args_count_or(&a, 4, 0, &cores) ||
      !args_bool_or(&a, 8, true, &progress))
    return false;
  Model *m = model_get(vm, a.v[0], "sample");
  if (!m)
    return false;
  const Trace *from = NULL;
  if (args_given(&a, 9) && !(from = trace_get(vm, a.v[9], "sample")))
    return false;
  /* A warm start has its adaptation already: no tuning unless asked. */
  if (!args_count_or(&a, 2, from ? 0 : 1000, &tune))
    return false;
  if (chains < 1 || chains > 1024)
    return args_error(&a, 3, "must be between 1 and 1024, got %zu", chains);
  if (draws > BUILTIN_MAX_ELEMENTS || tune > BUILTIN_MAX_ELEMENTS)
    return vm_error(vm, "sample(): draws + tune is too large");
  if (m->dim == 0)
    return vm_error(vm, "sample(): the model has no free variables to "
                        "sample (every variable is observed or fixed)");
  int64_t seed_arg = 0;
  if (args_given(&a, 7)) {
    if (!args_int(&a, 7, &seed_arg))
      return false;
  } else {
    seed_arg = (int64_t)(rng_entropy_seed() & ENTROPY_SEED_MASK);
  }
  uint64_t seed = (uint64_t)seed_arg;
  if (cores == 0)
    cores = (size_t)online_cores();
  Plan p = {0};
  if (!make_plan(vm, &p, m, args_given(&a, 5) ? a.v[5] : NIL_VAL, tune))
    return false;
  SampleConfig cfg = {.draws = draws,
                      .tune = tune,
                      .chains = (int)chains,
                      .cores = (int)(cores > chains ? chains : cores),
                      .seed = seed,
                      .progress = progress,
                      .err = vm_err(vm),
                      .steps = p.specs,
                      .nsteps = p.n,
                      .warm_from = from};
  const char *why;
  if (from && !sample_compatible(from, &cfg, m->dim, &why)) {
    plan_free(&p);
    return vm_error(vm, "sample(): cannot warm-start from that trace: %s",
                    why);
  }
  double *init = mem_alloc_atomic(chains * m->dim * sizeof(double));
  if (!starting_points(vm, &a, m, &p, chains, seed, from, init)) {
    plan_free(&p);
    return false;
  }
  cfg.init = init;
  SigGuard guard;
  sig_catch(&guard);
  bool interrupted = false;
  Trace *t = sample_run(m, &cfg, &stop_requested, &interrupted);
  sig_release(&guard);
  if (!t)
    return vm_error(vm, "sample(): out of memory setting up the chains");
  t->model = a.v[0];
  t->seed = seed_arg; /* trace.seed and save_csv's `seed =` */
  t->has_seed = true;
  report_run(vm, t, interrupted, draws);
  *result = trace_wrap(t);
  return true;
}

static bool b_resume(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"trace", "draws", "progressbar", NULL};
  Args a;
  bool progress;
  if (!args_bind(&a, vm, call, "resume", names, 1) ||
      !args_bool_or(&a, 2, true, &progress))
    return false;
  Trace *t = trace_get(vm, a.v[0], "resume");
  if (!t)
    return false;
  if (!t->run)
    return vm_error(vm, "resume(): this trace was loaded from a file and "
                        "keeps no chain states to continue from");
  size_t have = trace_ndraws(t), requested = sample_requested(t);
  size_t dflt = t->interrupted && requested > have ? requested - have
                                                   : requested;
  size_t draws;
  if (!args_count_or(&a, 1, dflt, &draws))
    return false;
  if (draws > BUILTIN_MAX_ELEMENTS)
    return args_error(&a, 1, "is too large");
  SigGuard guard;
  sig_catch(&guard);
  bool interrupted = false;
  sample_resume(t, draws, progress, vm_err(vm), &stop_requested,
                &interrupted);
  sig_release(&guard);
  report_run(vm, t, interrupted, have + draws);
  *result = a.v[0];
  return true;
}

/* ---- posterior predictive ----------------------------------------------- */

/* theta of the trace's draw (chain c, draw i) for the model in e: each free
 * variable by name from the trace. */
static bool draw_to_theta(VM *vm, Eval *e, const Trace *t, int c, size_t i,
                          const int *var_of) {
  const Model *m = e->m;
  const double *row = t->chains[c].values + i * t->width;
  for (int k = 0; k < m->nvars; k++) {
    const RandomVar *rv = m->vars[k];
    if (!is_free(rv))
      continue;
    const TraceVar *tv = &t->vars[var_of[k]];
    if (!unconstrain_var(e, rv, row + tv->offset))
      return vm_error(vm, "sample_posterior_predictive(): the trace's value "
                          "of '%s' (chain %d, draw %zu) is outside its "
                          "support in this model",
                      rv->name->chars, c, i);
  }
  return true;
}

static bool b_posterior_predictive(VM *vm, const CallArgs *call,
                                   Value *result) {
  static const char *const names[] = {"trace", "model", "seed", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "sample_posterior_predictive", names, 1))
    return false;
  const Trace *t = trace_get(vm, a.v[0], "sample_posterior_predictive");
  if (!t)
    return false;
  Value mv = args_given(&a, 1) ? a.v[1] : t->model;
  if (IS_NIL(mv))
    return vm_error(vm, "sample_posterior_predictive(): this trace does not "
                        "know its model (it was loaded from a file): pass "
                        "the bound model as the second argument");
  Model *m = model_get(vm, mv, "sample_posterior_predictive");
  if (!m)
    return false;
  int *var_of = mem_alloc_atomic((size_t)(m->nvars + 1) * sizeof(int));
  for (int k = 0; k < m->nvars; k++) {
    const RandomVar *rv = m->vars[k];
    if (!is_free(rv))
      continue;
    var_of[k] = trace_find(t, rv->name->chars);
    if (var_of[k] < 0 || t->vars[var_of[k]].len != rv->len)
      return vm_error(vm, "sample_posterior_predictive(): the trace has no "
                          "draws of '%s'%s",
                      rv->name->chars,
                      var_of[k] < 0 ? "" : " of the model's shape");
  }
  int64_t seed = 0;
  bool seeded = args_given(&a, 2);
  if (seeded && !args_int(&a, 2, &seed))
    return false;
  Rng *rng = seeded ? rng_alloc((uint64_t)seed) : vm_rng(vm);
  size_t n = trace_ndraws(t), total = n * (size_t)t->nchains;
  ObjRecord *out = record_new();
  ObjTensor **cols = mem_alloc((size_t)(m->nvars + 1) * sizeof *cols);
  for (int k = 0; k < m->nvars; k++) {
    const RandomVar *rv = m->vars[k];
    if (rv->role != RV_OBSERVED || rv->deterministic || !rv->family)
      continue;
    cols[k] = rv->ndim == 0 ? tensor_matrix(n, (size_t)t->nchains)
                            : tensor_matrix(total, rv->len);
    table_set(&out->fields, rv->name, OBJ_VAL(cols[k]));
  }
  Eval e;
  eval_open(&e, m);
  double *draw = mem_alloc_atomic(sizeof(double));
  size_t draw_cap = 1;
  bool ok = true;
  for (int c = 0; c < t->nchains && ok; c++)
    for (size_t i = 0; i < n && ok; i++) {
      ok = draw_to_theta(vm, &e, t, c, i, var_of);
      if (!ok)
        break;
      tape_forward(e.st, e.theta);
      for (int k = 0; k < m->nvars && ok; k++) {
        const RandomVar *rv = m->vars[k];
        if (!cols[k])
          continue;
        DistTensor params[DIST_MAX_PARAMS];
        for (int q = 0; q < rv->family->nparams; q++)
          params[q] = tensor_of_slot(&e, rv->params[q]);
        if (rv->len > draw_cap) {
          draw_cap = rv->len;
          draw = mem_alloc_atomic(draw_cap * sizeof(double));
        }
        if (!rv->family->random(rng, params, draw, rv->len)) {
          ok = vm_error(vm, "sample_posterior_predictive(): the parameters "
                            "of '%s ~ %s' are invalid at chain %d, draw %zu",
                        rv->name->chars, rv->family->name, c, i);
          break;
        }
        if (rv->ndim == 0)
          cols[k]->data[i * (size_t)t->nchains + (size_t)c] = draw[0];
        else
          memcpy(cols[k]->data + ((size_t)c * n + i) * rv->len, draw,
                 rv->len * sizeof(double));
      }
    }
  eval_close(&e);
  if (seeded)
    rng_free(rng);
  if (ok)
    *result = OBJ_VAL(out);
  return ok;
}

static const BuiltinDef sample_builtins[] = {
    {"NUTS", b_nuts,
     "NUTS(target_accept=0.8, max_treedepth=10, step_size=nil, "
     "dense_mass=false, vars=nil, adapt_mass=\"variance\"): the No-U-Turn "
     "sampler"},
    {"HMC", b_hmc,
     "HMC(path_length=2, target_accept=0.65, step_size=nil, dense_mass=false, "
     "vars=nil, adapt_mass=\"variance\"): Hamiltonian Monte Carlo with a "
     "fixed integration time"},
    {"Slice", b_slice,
     "Slice(w=1, vars=nil): slice sampling one coordinate at a time (Neal "
     "2003)"},
    {"Metropolis", b_metropolis,
     "Metropolis(scale=1, target_accept=nil, vars=nil): random-walk "
     "Metropolis whose proposal scale adapts during tuning"},
    {"sample", b_sample,
     "sample(m, draws=1000, tune=1000, chains=4, cores=nil, step=nil, "
     "start=nil, seed=nil, progressbar=true, tune_from=nil): MCMC draws of "
     "the model's free variables"},
    {"resume", b_resume,
     "resume(trace, draws=nil, progressbar=true): continue every chain of "
     "trace for draws more draws (by default what an interrupted run "
     "missed, else as many as the first run)"},
    {"sample_posterior_predictive", b_posterior_predictive,
     "sample_posterior_predictive(trace, model=nil, seed=nil): a draw of "
     "every observed variable for each posterior draw"},
    {NULL, NULL, NULL},
};

void lib_sample_register(VM *vm) { builtin_register(vm, sample_builtins); }
