/*
 * lib_random.c — random draws through GSL: rnormal, runif, rgamma, ...,
 * rcategorical, rdirichlet, rmvnormal, shuffle, choice, set_seed.
 *
 * Every generator takes the count n first, then its parameters under
 * PyMC's names and parameterisations, then seed=. With seed= a fresh
 * stream rng_alloc(seed) serves the call alone, so the same seed gives the
 * same numbers bit for bit; without it the VM's stream is used (seeded from
 * the clock until set_seed()). Scalar parameters may also be vectors of
 * length n (draw i uses element i). All results are vectors of n doubles
 * (rdirichlet and rmvnormal: n x k matrices).
 *
 * Parameterisations, where PyMC and GSL differ:
 *   rgamma(alpha, beta)      beta is a RATE; GSL takes scale = 1 / beta
 *   rexp(lam)                rate; GSL takes the mean 1 / lam
 *   rweibull(alpha, beta)    alpha shape, beta scale; GSL's (a, b) is
 *                            (scale, shape)
 *   rnegbinom(mu, alpha)     mean mu, variance mu + mu^2 / alpha: GSL's
 *                            negative_binomial(p = alpha / (mu + alpha),
 *                            n = alpha), a gamma-Poisson mixture
 *   rgeom(p)                 trials up to and including the first success
 *                            (1, 2, ...), as PyMC and GSL
 *   rcauchy(alpha, beta)     location, scale
 *   rcategorical(p)          0-based categories; p is normalised
 * Normal draws use GSL's ziggurat (Marsaglia & Tsang 2000).
 */
#include <config.h>
#include "builtin.h"

#include <float.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "mem.h"
#include "rng.h"
#include "tensor.h"

/* Most parameters any scalar generator takes (besides n and seed). */
enum { RANDOM_MAX_PARAMS = 4 };

/* Relative tolerance of the symmetry check on a covariance matrix. */
#define COV_SYMMETRY_RTOL 1e-8

/* ---- where draws come from ----------------------------------------------- */

/* The stream for one call: a fresh one when seed= was given (parameter i),
 * else the VM's. *owned says whether the caller must rng_free it. Call it
 * after every other argument check so that an error cannot leak it. */
static bool call_rng(Args *a, int i, Rng **rng, bool *owned) {
  *owned = false;
  if (!args_given(a, i)) {
    *rng = vm_rng(a->vm);
    return true;
  }
  int64_t seed;
  if (!args_int(a, i, &seed))
    return false;
  *rng = rng_alloc((uint64_t)seed);
  *owned = true;
  return true;
}

static void release_rng(Rng *rng, bool owned) {
  if (owned)
    rng_free(rng);
}

/* ---- parameters that are a number or a vector of length n ---------------- */

/* Every kind is also finite, except that probabilities are bounded. */
typedef enum {
  PK_REAL,     /* any finite number */
  PK_POSITIVE, /* > 0 */
  PK_NONNEG,   /* >= 0 */
  PK_PROB,     /* in [0, 1] */
  PK_PROB_POS, /* in (0, 1] */
  PK_COUNT,    /* whole, >= 0, fits an unsigned int (GSL's counts) */
} ParamKind;

/* What is wrong with x for kind k, or NULL. */
static const char *kind_problem(ParamKind k, double x) {
  switch (k) {
  case PK_REAL:
    break;
  case PK_POSITIVE:
    if (!(x > 0.0))
      return "must be positive";
    break;
  case PK_NONNEG:
    if (!(x >= 0.0))
      return "must be >= 0";
    break;
  case PK_PROB:
    return x >= 0.0 && x <= 1.0 ? NULL : "must be a probability in [0, 1]";
  case PK_PROB_POS:
    return x > 0.0 && x <= 1.0 ? NULL : "must be a probability in (0, 1]";
  case PK_COUNT:
    if (!(x >= 0.0 && x == floor(x)))
      return "must be a whole number >= 0";
    if (x > (double)UINT_MAX)
      return "is too large";
    break;
  }
  return isfinite(x) ? NULL : "must be finite";
}

/* A parameter: the scalar x, or v[0..n-1] when v is not NULL. */
typedef struct Param {
  double x;
  const double *v;
} Param;

static double param_at(const Param *p, size_t i) {
  return p->v ? p->v[i] : p->x;
}

/* Reads parameter i (default dflt when not required and not given) as a
 * number or a vector of length n, each element checked against kind. */
static bool param_read(Args *a, int i, size_t n, ParamKind kind, bool required,
                       double dflt, Param *p) {
  p->x = dflt;
  p->v = NULL;
  if (!args_given(a, i))
    return !required || args_num(a, i, &p->x); /* the error when required */
  if (IS_NUM(a->v[i])) {
    p->x = AS_NUM(a->v[i]);
  } else {
    ObjTensor *t;
    if (!args_vector(a, i, &t))
      return false;
    if (t->len != 1 && t->len != n)
      return args_error(a, i, "must be a number or a vector of length %zu "
                        "(one per draw), got a vector of length %zu", n,
                        t->len);
    if (t->len == 1)
      p->x = t->data[0];
    else
      p->v = t->data;
  }
  for (size_t k = 0; k < (p->v ? n : 1); k++) {
    const double x = param_at(p, k);
    const char *problem = kind_problem(kind, x);
    if (!problem)
      continue;
    if (p->v)
      return args_error(a, i, "%s, got %g at index %zu", problem, x, k);
    return args_error(a, i, "%s, got %g", problem, x);
  }
  return true;
}

/* ---- scalar generators, described by a table ----------------------------- */

typedef struct RandomSpec {
  const char *fn;
  const char *const *names; /* "n", the parameters, "seed", NULL */
  int nparams;
  int nrequired; /* parameters without a default (after n) */
  ParamKind kind[RANDOM_MAX_PARAMS];
  double dflt[RANDOM_MAX_PARAMS];
  double (*draw)(gsl_rng *r, const double *theta);
  /* Optional check across parameters for draw i (e.g. lower < upper). */
  bool (*check)(Args *a, const Param *p, size_t i);
} RandomSpec;

static bool draw_n(VM *vm, const CallArgs *call, const RandomSpec *spec,
                   Value *result) {
  Args a;
  size_t n;
  Param p[RANDOM_MAX_PARAMS];
  if (!args_bind(&a, vm, call, spec->fn, spec->names, 1 + spec->nrequired) ||
      !args_size(&a, 0, &n))
    return false;
  for (int j = 0; j < spec->nparams; j++)
    if (!param_read(&a, 1 + j, n, spec->kind[j], j < spec->nrequired,
                    spec->dflt[j], &p[j]))
      return false;
  for (size_t i = 0; spec->check && i < n; i++)
    if (!spec->check(&a, p, i))
      return false;
  Rng *rng;
  bool owned;
  if (!call_rng(&a, 1 + spec->nparams, &rng, &owned))
    return false;
  gsl_rng *r = rng_gsl(rng);
  ObjTensor *out = tensor_vector(n);
  double theta[RANDOM_MAX_PARAMS];
  for (size_t i = 0; i < n; i++) {
    for (int j = 0; j < spec->nparams; j++)
      theta[j] = param_at(&p[j], i);
    out->data[i] = spec->draw(r, theta);
  }
  release_rng(rng, owned);
  *result = OBJ_VAL(out);
  return true;
}

static double draw_normal(gsl_rng *r, const double *t) {
  return t[0] + gsl_ran_gaussian_ziggurat(r, t[1]);
}

static double draw_uniform(gsl_rng *r, const double *t) {
  return gsl_ran_flat(r, t[0], t[1]);
}

static double draw_gamma(gsl_rng *r, const double *t) {
  return gsl_ran_gamma(r, t[0], 1.0 / t[1]);
}

static double draw_beta(gsl_rng *r, const double *t) {
  return gsl_ran_beta(r, t[0], t[1]);
}

static double draw_exponential(gsl_rng *r, const double *t) {
  return gsl_ran_exponential(r, 1.0 / t[0]);
}

static double draw_poisson(gsl_rng *r, const double *t) {
  return gsl_ran_poisson(r, t[0]);
}

static double draw_binomial(gsl_rng *r, const double *t) {
  return gsl_ran_binomial(r, t[1], (unsigned)t[0]);
}

static double draw_bernoulli(gsl_rng *r, const double *t) {
  return gsl_ran_bernoulli(r, t[0]);
}

static double draw_cauchy(gsl_rng *r, const double *t) {
  return t[0] + gsl_ran_cauchy(r, t[1]);
}

static double draw_studentt(gsl_rng *r, const double *t) {
  return t[1] + t[2] * gsl_ran_tdist(r, t[0]);
}

static double draw_lognormal(gsl_rng *r, const double *t) {
  return gsl_ran_lognormal(r, t[0], t[1]);
}

static double draw_laplace(gsl_rng *r, const double *t) {
  return t[0] + gsl_ran_laplace(r, t[1]);
}

static double draw_logistic(gsl_rng *r, const double *t) {
  return t[0] + gsl_ran_logistic(r, t[1]);
}

static double draw_weibull(gsl_rng *r, const double *t) {
  return gsl_ran_weibull(r, t[1], t[0]);
}

static double draw_chisq(gsl_rng *r, const double *t) {
  return gsl_ran_chisq(r, t[0]);
}

static double draw_negbinom(gsl_rng *r, const double *t) {
  const double mu = t[0], alpha = t[1];
  return gsl_ran_negative_binomial(r, alpha / (mu + alpha), alpha);
}

static double draw_geometric(gsl_rng *r, const double *t) {
  return gsl_ran_geometric(r, t[0]);
}

static bool check_lower_upper(Args *a, const Param *p, size_t i) {
  const double lo = param_at(&p[0], i), hi = param_at(&p[1], i);
  if (lo < hi)
    return true;
  return args_error(a, 1, "must be less than argument 3 'upper', got lower "
                    "%g and upper %g", lo, hi);
}

#define NAMES(...) ((const char *const[]){"n", __VA_ARGS__, "seed", NULL})

static const RandomSpec spec_normal = {
    "rnormal", NAMES("mu", "sigma"), 2, 0, {PK_REAL, PK_POSITIVE}, {0, 1},
    draw_normal, NULL};
static const RandomSpec spec_uniform = {
    "runif", NAMES("lower", "upper"), 2, 0, {PK_REAL, PK_REAL}, {0, 1},
    draw_uniform, check_lower_upper};
static const RandomSpec spec_gamma = {
    "rgamma", NAMES("alpha", "beta"), 2, 1, {PK_POSITIVE, PK_POSITIVE},
    {0, 1}, draw_gamma, NULL};
static const RandomSpec spec_beta = {
    "rbeta", NAMES("alpha", "beta"), 2, 2, {PK_POSITIVE, PK_POSITIVE},
    {0, 0}, draw_beta, NULL};
static const RandomSpec spec_exponential = {
    "rexp", NAMES("lam"), 1, 0, {PK_POSITIVE}, {1}, draw_exponential, NULL};
static const RandomSpec spec_poisson = {
    "rpois", NAMES("mu"), 1, 1, {PK_NONNEG}, {0}, draw_poisson, NULL};
static const RandomSpec spec_binomial = {
    "rbinom", NAMES("size", "p"), 2, 2, {PK_COUNT, PK_PROB}, {0, 0},
    draw_binomial, NULL};
static const RandomSpec spec_bernoulli = {
    "rbernoulli", NAMES("p"), 1, 1, {PK_PROB}, {0}, draw_bernoulli, NULL};
static const RandomSpec spec_cauchy = {
    "rcauchy", NAMES("alpha", "beta"), 2, 0, {PK_REAL, PK_POSITIVE}, {0, 1},
    draw_cauchy, NULL};
static const RandomSpec spec_studentt = {
    "rstudentt", NAMES("nu", "mu", "sigma"), 3, 1,
    {PK_POSITIVE, PK_REAL, PK_POSITIVE}, {0, 0, 1}, draw_studentt, NULL};
static const RandomSpec spec_lognormal = {
    "rlognormal", NAMES("mu", "sigma"), 2, 0, {PK_REAL, PK_POSITIVE}, {0, 1},
    draw_lognormal, NULL};
static const RandomSpec spec_laplace = {
    "rlaplace", NAMES("mu", "b"), 2, 0, {PK_REAL, PK_POSITIVE}, {0, 1},
    draw_laplace, NULL};
static const RandomSpec spec_logistic = {
    "rlogistic", NAMES("mu", "s"), 2, 0, {PK_REAL, PK_POSITIVE}, {0, 1},
    draw_logistic, NULL};
static const RandomSpec spec_weibull = {
    "rweibull", NAMES("alpha", "beta"), 2, 2, {PK_POSITIVE, PK_POSITIVE},
    {0, 0}, draw_weibull, NULL};
static const RandomSpec spec_chisq = {
    "rchisq", NAMES("nu"), 1, 1, {PK_POSITIVE}, {0}, draw_chisq, NULL};
static const RandomSpec spec_negbinom = {
    "rnegbinom", NAMES("mu", "alpha"), 2, 2, {PK_POSITIVE, PK_POSITIVE},
    {0, 0}, draw_negbinom, NULL};
static const RandomSpec spec_geometric = {
    "rgeom", NAMES("p"), 1, 1, {PK_PROB_POS}, {0}, draw_geometric, NULL};

#define X(name, spec)                                                        \
  static bool b_##name(VM *vm, const CallArgs *call, Value *result) {        \
    return draw_n(vm, call, &spec, result);                                  \
  }
X(rnormal, spec_normal)
X(runif, spec_uniform)
X(rgamma, spec_gamma)
X(rbeta, spec_beta)
X(rexp, spec_exponential)
X(rpois, spec_poisson)
X(rbinom, spec_binomial)
X(rbernoulli, spec_bernoulli)
X(rcauchy, spec_cauchy)
X(rstudentt, spec_studentt)
X(rlognormal, spec_lognormal)
X(rlaplace, spec_laplace)
X(rlogistic, spec_logistic)
X(rweibull, spec_weibull)
X(rchisq, spec_chisq)
X(rnegbinom, spec_negbinom)
X(rgeom, spec_geometric)
#undef X

/* ---- vector-valued generators -------------------------------------------- */

/* Reads a vector of k >= 1 weights: finite, each >= 0 (> 0 when positive),
 * and (for probabilities) with a positive sum. */
static bool weights_read(Args *a, int i, bool positive, ObjTensor **w) {
  if (!args_vector(a, i, w))
    return false;
  if ((*w)->len == 0)
    return args_error(a, i, "must not be empty");
  double sum = 0.0;
  for (size_t k = 0; k < (*w)->len; k++) {
    const double x = (*w)->data[k];
    if (!isfinite(x) || x < 0.0 || (positive && x == 0.0))
      return args_error(a, i, "must have %s entries, got %g at index %zu",
                        positive ? "positive" : "finite non-negative", x, k);
    sum += x;
  }
  if (!(sum > 0.0))
    return args_error(a, i, "must not be all zero");
  return true;
}

static bool b_rcategorical(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"n", "p", "seed", NULL};
  Args a;
  size_t n;
  ObjTensor *p;
  Rng *rng;
  bool owned;
  if (!args_bind(&a, vm, call, "rcategorical", names, 2) ||
      !args_size(&a, 0, &n) || !weights_read(&a, 1, false, &p) ||
      !call_rng(&a, 2, &rng, &owned))
    return false;
  gsl_ran_discrete_t *table = gsl_ran_discrete_preproc(p->len, p->data);
  if (!table) {
    release_rng(rng, owned);
    return args_error(&a, 1, "could not be used as probabilities");
  }
  ObjTensor *out = tensor_vector(n);
  for (size_t i = 0; i < n; i++)
    out->data[i] = (double)gsl_ran_discrete(rng_gsl(rng), table);
  gsl_ran_discrete_free(table);
  release_rng(rng, owned);
  *result = OBJ_VAL(out);
  return true;
}

static bool b_rdirichlet(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"n", "a", "seed", NULL};
  Args a;
  size_t n;
  ObjTensor *alpha;
  Rng *rng;
  bool owned;
  if (!args_bind(&a, vm, call, "rdirichlet", names, 2) ||
      !args_size(&a, 0, &n) || !weights_read(&a, 1, true, &alpha) ||
      !call_rng(&a, 2, &rng, &owned))
    return false;
  const size_t k = alpha->len;
  ObjTensor *out = tensor_matrix(n, k);
  for (size_t i = 0; i < n; i++)
    gsl_ran_dirichlet(rng_gsl(rng), k, alpha->data, out->data + i * k);
  release_rng(rng, owned);
  *result = OBJ_VAL(out);
  return true;
}

/* Checks cov is a symmetric k x k matrix and writes its lower Cholesky
 * factor into L (k x k, malloc-owned by the caller). */
static bool cholesky_of(Args *a, int i, const ObjTensor *cov, gsl_matrix *L) {
  const size_t k = L->size1;
  for (size_t r = 0; r < k; r++)
    for (size_t c = 0; c < r; c++) {
      double x = cov->data[r * k + c], y = cov->data[c * k + r];
      if (fabs(x - y) > COV_SYMMETRY_RTOL * fmax(fabs(x), fabs(y)))
        return args_error(a, i, "must be symmetric, but [%zu, %zu] = %g and "
                          "[%zu, %zu] = %g", r, c, x, c, r, y);
    }
  for (size_t r = 0; r < k; r++)
    for (size_t c = 0; c < k; c++)
      gsl_matrix_set(L, r, c, cov->data[r * k + c]);
  if (gsl_linalg_cholesky_decomp1(L) != GSL_SUCCESS)
    return args_error(a, i, "must be positive definite (its Cholesky "
                      "factorisation failed)");
  return true;
}

static bool b_rmvnormal(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"n", "mu", "cov", "seed", NULL};
  Args a;
  size_t n;
  ObjTensor *mu, *cov;
  if (!args_bind(&a, vm, call, "rmvnormal", names, 3) ||
      !args_size(&a, 0, &n) || !args_vector(&a, 1, &mu) ||
      !args_tensor(&a, 2, &cov))
    return false;
  const size_t k = mu->len;
  char buf[48];
  if (k == 0)
    return args_error(&a, 1, "must not be empty");
  if (cov->ndim != 2 || cov->shape[0] != k || cov->shape[1] != k)
    return args_error(&a, 2, "must be a %zu x %zu matrix (mu has length "
                      "%zu), got shape %s", k, k, k,
                      tensor_shape_str(cov, buf, sizeof buf));
  gsl_matrix *L = gsl_matrix_alloc(k, k);
  if (!L)
    PANIC("out of memory");
  Rng *rng;
  bool owned;
  if (!cholesky_of(&a, 2, cov, L) || !call_rng(&a, 3, &rng, &owned)) {
    gsl_matrix_free(L);
    return false;
  }
  gsl_vector_const_view m = gsl_vector_const_view_array(mu->data, k);
  ObjTensor *out = tensor_matrix(n, k);
  for (size_t i = 0; i < n; i++) {
    gsl_vector_view row = gsl_vector_view_array(out->data + i * k, k);
    gsl_ran_multivariate_gaussian(rng_gsl(rng), &m.vector, L, &row.vector);
  }
  gsl_matrix_free(L);
  release_rng(rng, owned);
  *result = OBJ_VAL(out);
  return true;
}

/* ---- permutations and sampling ------------------------------------------- */

static bool b_shuffle(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "seed", NULL};
  Args a;
  Rng *rng;
  bool owned;
  if (!args_bind(&a, vm, call, "shuffle", names, 1))
    return false;
  const Value x = a.v[0];
  if (IS_LIST(x)) {
    const ObjList *in = AS_LIST(x);
    ObjList *out = list_new(in->len);
    for (size_t i = 0; i < in->len; i++)
      list_push(out, in->items[i]);
    if (!call_rng(&a, 1, &rng, &owned))
      return false;
    if (out->len > 1) /* GSL's loop runs from n - 1: n = 0 wraps */
      gsl_ran_shuffle(rng_gsl(rng), out->items, out->len, sizeof(Value));
    release_rng(rng, owned);
    *result = OBJ_VAL(out);
    return true;
  }
  ObjTensor *t;
  if (IS_NUM(x)) {
    /* A count m is 0, 1, ..., m - 1, as numpy's permutation(m). */
    size_t m;
    if (!args_size(&a, 0, &m))
      return false;
    t = tensor_vector(m);
    for (size_t i = 0; i < m; i++)
      t->data[i] = (double)i;
  } else {
    t = IS_TENSOR(x) ? AS_TENSOR(x) : builtin_to_vector(x);
  }
  if (!t)
    return args_error(&a, 0, "must be a vector, matrix, list or count, got "
                      "a %s", value_type_name(x));
  if (!call_rng(&a, 1, &rng, &owned))
    return false;
  /* A matrix is a list of rows (numpy's shuffle): rows move whole. */
  ObjTensor *out = tensor_copy(t);
  const size_t rows = t->ndim == 2 ? t->shape[0] : t->len;
  const size_t width = t->ndim == 2 ? t->shape[1] : 1;
  if (rows > 1)
    gsl_ran_shuffle(rng_gsl(rng), out->data, rows, width * sizeof(double));
  release_rng(rng, owned);
  *result = OBJ_VAL(out);
  return true;
}

/* The population of choice(): a list's items, or numbers (a number m
 * stands for 0, 1, ..., m - 1, as in numpy). Exactly one of *items and
 * *nums is set. */
static bool population_read(Args *a, int i, ObjList **items,
                            ObjTensor **nums) {
  const Value x = a->v[i];
  *items = NULL;
  *nums = NULL;
  if (IS_LIST(x) && !(*nums = builtin_to_vector(x))) {
    *items = AS_LIST(x);
    return true;
  }
  if (IS_NUM(x)) {
    int64_t m;
    if (!args_int(a, i, &m))
      return false;
    if (m < 1)
      return args_error(a, i, "must be a positive count or a collection, "
                        "got %lld", (long long)m);
    *nums = tensor_vector((size_t)m);
    for (int64_t k = 0; k < m; k++)
      (*nums)->data[k] = (double)k;
    return true;
  }
  if (!*nums)
    *nums = IS_TENSOR(x) ? AS_TENSOR(x) : builtin_to_vector(x);
  if (!*nums)
    return args_error(a, i, "must be a vector, list, range or count, got "
                      "a %s", value_type_name(x));
  return true;
}

/* Draws size indices from 0..len-1 into idx: with replacement, uniform or
 * weighted by table; without, a partial Fisher-Yates shuffle (random
 * order, as numpy's choice). */
static void draw_indices(gsl_rng *r, size_t len, size_t size, bool replace,
                         const gsl_ran_discrete_t *table, size_t *idx) {
  if (replace) {
    for (size_t i = 0; i < size; i++)
      idx[i] = table ? gsl_ran_discrete(r, table)
                     : (size_t)gsl_rng_uniform_int(r, len);
    return;
  }
  size_t *perm = malloc(len * sizeof *perm);
  if (!perm)
    PANIC("out of memory");
  for (size_t i = 0; i < len; i++)
    perm[i] = i;
  for (size_t i = 0; i < size; i++) {
    size_t j = i + (size_t)gsl_rng_uniform_int(r, len - i);
    size_t tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
    idx[i] = perm[i];
  }
  free(perm);
}

/* Builds choice()'s result from drawn indices: one item when size was not
 * given, else a vector (numbers) or list (items). */
static Value choice_result(const ObjList *items, const ObjTensor *nums,
                           const size_t *idx, size_t size, bool scalar) {
  if (scalar)
    return items ? items->items[idx[0]] : NUM_VAL(nums->data[idx[0]]);
  if (items) {
    ObjList *out = list_new(size);
    for (size_t i = 0; i < size; i++)
      list_push(out, items->items[idx[i]]);
    return OBJ_VAL(out);
  }
  ObjTensor *out = tensor_vector(size);
  for (size_t i = 0; i < size; i++)
    out->data[i] = nums->data[idx[i]];
  return OBJ_VAL(out);
}

static bool b_choice(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "size", "replace", "p", "seed",
                                      NULL};
  Args a;
  ObjList *items;
  ObjTensor *nums, *p = NULL;
  size_t size;
  bool replace;
  if (!args_bind(&a, vm, call, "choice", names, 1) ||
      !population_read(&a, 0, &items, &nums) ||
      !args_count_or(&a, 1, 1, &size) || !args_bool_or(&a, 2, true, &replace))
    return false;
  const size_t len = items ? items->len : nums->len;
  if (len == 0)
    return args_error(&a, 0, "must not be empty");
  if (!replace && size > len)
    return args_error(&a, 1, "is %zu, but x has only %zu item%s to draw "
                      "without replacement", size, len, len == 1 ? "" : "s");
  if (args_given(&a, 3)) {
    if (!weights_read(&a, 3, false, &p))
      return false;
    if (p->len != len)
      return args_error(&a, 3, "must have one weight per item (%zu), got "
                        "%zu", len, p->len);
    if (!replace)
      return args_error(&a, 3, "is only supported with replace=true");
  }
  Rng *rng;
  bool owned;
  if (!call_rng(&a, 4, &rng, &owned))
    return false;
  gsl_ran_discrete_t *table = p ? gsl_ran_discrete_preproc(len, p->data)
                                : NULL;
  size_t *idx = mem_alloc_atomic((size ? size : 1) * sizeof *idx);
  draw_indices(rng_gsl(rng), len, size, replace, table, idx);
  if (table)
    gsl_ran_discrete_free(table);
  release_rng(rng, owned);
  *result = choice_result(items, nums, idx, size, !args_given(&a, 1));
  return true;
}

static bool b_set_seed(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"seed", NULL};
  Args a;
  int64_t seed;
  if (!args_bind(&a, vm, call, "set_seed", names, 1) ||
      !args_int(&a, 0, &seed))
    return false;
  rng_seed(vm_rng(vm), (uint64_t)seed);
  *result = NIL_VAL;
  return true;
}

static const BuiltinDef random_defs[] = {
    {"rnormal", b_rnormal,
     "rnormal(n, mu=0, sigma=1, seed=nil): n draws from Normal(mu, sigma)"},
    {"runif", b_runif,
     "runif(n, lower=0, upper=1, seed=nil): n draws from Uniform(lower, "
     "upper)"},
    {"rgamma", b_rgamma,
     "rgamma(n, alpha, beta=1, seed=nil): n draws from Gamma(shape alpha, "
     "rate beta)"},
    {"rbeta", b_rbeta,
     "rbeta(n, alpha, beta, seed=nil): n draws from Beta(alpha, beta)"},
    {"rexp", b_rexp,
     "rexp(n, lam=1, seed=nil): n draws from Exponential(rate lam)"},
    {"rpois", b_rpois, "rpois(n, mu, seed=nil): n draws from Poisson(mu)"},
    {"rbinom", b_rbinom,
     "rbinom(n, size, p, seed=nil): n draws from Binomial(size, p)"},
    {"rbernoulli", b_rbernoulli,
     "rbernoulli(n, p, seed=nil): n draws of 0/1 with P(1) = p"},
    {"rcauchy", b_rcauchy,
     "rcauchy(n, alpha=0, beta=1, seed=nil): n draws from Cauchy(location "
     "alpha, scale beta)"},
    {"rstudentt", b_rstudentt,
     "rstudentt(n, nu, mu=0, sigma=1, seed=nil): n draws from StudentT(nu, "
     "mu, sigma)"},
    {"rlognormal", b_rlognormal,
     "rlognormal(n, mu=0, sigma=1, seed=nil): n draws of exp(Normal(mu, "
     "sigma))"},
    {"rlaplace", b_rlaplace,
     "rlaplace(n, mu=0, b=1, seed=nil): n draws from Laplace(mu, scale b)"},
    {"rlogistic", b_rlogistic,
     "rlogistic(n, mu=0, s=1, seed=nil): n draws from Logistic(mu, scale s)"},
    {"rweibull", b_rweibull,
     "rweibull(n, alpha, beta, seed=nil): n draws from Weibull(shape alpha, "
     "scale beta)"},
    {"rchisq", b_rchisq,
     "rchisq(n, nu, seed=nil): n draws from ChiSquared(nu)"},
    {"rnegbinom", b_rnegbinom,
     "rnegbinom(n, mu, alpha, seed=nil): n draws from NegativeBinomial(mean "
     "mu, overdispersion alpha)"},
    {"rgeom", b_rgeom,
     "rgeom(n, p, seed=nil): n draws of the trial of the first success "
     "(1, 2, ...)"},
    {"rcategorical", b_rcategorical,
     "rcategorical(n, p, seed=nil): n categories 0..k-1 drawn with "
     "probabilities p"},
    {"rdirichlet", b_rdirichlet,
     "rdirichlet(n, a, seed=nil): n x k matrix, each row from Dirichlet(a)"},
    {"rmvnormal", b_rmvnormal,
     "rmvnormal(n, mu, cov, seed=nil): n x k matrix, each row from "
     "MvNormal(mu, cov)"},
    {"shuffle", b_shuffle,
     "shuffle(x, seed=nil): a randomly permuted copy of x (a matrix's rows; "
     "a count m: 0..m-1)"},
    {"choice", b_choice,
     "choice(x, size=nil, replace=true, p=nil, seed=nil): random items of x "
     "(a count m means 0..m-1)"},
    {"set_seed", b_set_seed,
     "set_seed(seed): reseed the default stream, for reproducible scripts"},
    {NULL, NULL, NULL},
};

void lib_random_register(VM *vm) { builtin_register(vm, random_defs); }
