/*
 * lib_math.c — elementwise mathematics: libm and GSL special functions,
 * log-space helpers, the normal distribution's pdf, cdf and quantile, and
 * the constants pi, e, inf, nan.
 *
 * Every function takes a number (and returns a number) or a vector or
 * matrix (and returns a new tensor of the same shape); a list of numbers or
 * a range is taken as a vector. Two-argument functions broadcast as the
 * arithmetic operators do (tensor.h). Outside a function's domain the
 * result is nan or +-inf as libm would give, never an error: GSL's abort-
 * ing error handler is switched off here and every gsl_sf_*_e status is
 * mapped to inf (overflow, poles) or nan (domain).
 *
 * Conventions, stated once: round() rounds halves away from zero (C's
 * round, R's and numpy's differ); log1mexp(x) = log(1 - exp(x)) for x <= 0
 * (Stan's log1m_exp and PyTensor's log1mexp; PyMC's older log1mexp negated
 * its argument); lchoose/choose take a whole k and give 0 (log: -inf) for
 * k < 0 or k > n, as R does.
 * References: Maechler (2012), Accurately computing log(1 - exp(-|a|)),
 * the Rmpfr vignette, for log1mexp and log1pexp; GSL manual ch. 7.
 */
#include <config.h>
#include "builtin.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <limits.h>
#include <math.h>

#include "tensor.h"

/* log(sqrt(2 pi)), for the normal density. */
#define HALF_LOG_2PI 0.91893853320467274178

/* ---- special functions with GSL status mapped to nan / inf --------------- */

static bool is_whole(double x) { return isfinite(x) && x == floor(x); }

/* log|Gamma(x)|; +inf at the poles (0, -1, -2, ...) and at +-inf. */
static double lgamma_fn(double x) {
  if (isnan(x))
    return x;
  if (isinf(x) || (x <= 0.0 && is_whole(x)))
    return INFINITY;
  gsl_sf_result r;
  int status = gsl_sf_lngamma_e(x, &r);
  if (status == GSL_EOVRFLW)
    return INFINITY;
  return status == GSL_SUCCESS ? r.val : NAN;
}

/* Gamma(x); +-inf at 0 (the sign of the zero), nan at negative integers and
 * -inf, +inf past the overflow point (about 171.6). */
static double gamma_fn(double x) {
  if (isnan(x) || x == INFINITY)
    return x;
  if (x == 0.0)
    return copysign(INFINITY, x);
  if (x == -INFINITY || (x < 0.0 && is_whole(x)))
    return NAN;
  gsl_sf_result r;
  int status = gsl_sf_gamma_e(x, &r);
  if (status == GSL_EOVRFLW)
    return INFINITY;
  if (status == GSL_EUNDRFLW)
    return 0.0;
  return status == GSL_SUCCESS ? r.val : NAN;
}

/* psi(x) = d/dx log Gamma(x); nan at the poles and -inf, +inf at +inf. */
static double digamma_fn(double x) {
  if (isnan(x) || x == INFINITY)
    return x;
  if (x == -INFINITY || (x <= 0.0 && is_whole(x)))
    return NAN;
  gsl_sf_result r;
  return gsl_sf_psi_e(x, &r) == GSL_SUCCESS ? r.val : NAN;
}

/* psi'(x); +inf at the poles (a double pole: +inf from both sides), 0 at
 * +inf. */
static double trigamma_fn(double x) {
  if (isnan(x))
    return x;
  if (x == INFINITY)
    return 0.0;
  if (x == -INFINITY)
    return NAN;
  if (x <= 0.0 && is_whole(x))
    return INFINITY;
  gsl_sf_result r;
  return gsl_sf_psi_1_e(x, &r) == GSL_SUCCESS ? r.val : NAN;
}

/* log B(a, b) for a, b > 0; +inf when either is 0; nan for negatives. */
static double lbeta_fn(double a, double b) {
  if (isnan(a) || isnan(b))
    return NAN;
  if (a < 0.0 || b < 0.0)
    return NAN;
  if (a == 0.0 || b == 0.0)
    return INFINITY;
  if (isinf(a) || isinf(b))
    return -INFINITY;
  gsl_sf_result r;
  int status = gsl_sf_lnbeta_e(a, b, &r);
  if (status == GSL_EUNDRFLW)
    return -INFINITY;
  return status == GSL_SUCCESS ? r.val : NAN;
}

static double beta_fn(double a, double b) { return exp(lbeta_fn(a, b)); }

/* log C(n, k). Whole n >= 0 uses GSL's exact path; a non-whole n > k - 1
 * uses the gamma function; k must be whole; k < 0 or k > n (whole n) give
 * -inf. Everything else is nan. */
static double lchoose_fn(double n, double k) {
  if (isnan(n) || isnan(k) || !is_whole(k))
    return NAN;
  if (k < 0.0 || (is_whole(n) && k > n))
    return -INFINITY;
  if (is_whole(n) && n <= (double)UINT_MAX) {
    gsl_sf_result r;
    int status = gsl_sf_lnchoose_e((unsigned)n, (unsigned)k, &r);
    return status == GSL_SUCCESS ? r.val : NAN;
  }
  if (!(n > k - 1.0) || isinf(n))
    return NAN;
  return lgamma_fn(n + 1.0) - lgamma_fn(k + 1.0) - lgamma_fn(n - k + 1.0);
}

/* C(n, k) under lchoose's rules. Whole n goes through gsl_sf_choose_e,
 * exact while the result fits in 53 bits (exp(lchoose) is not). */
static double choose_fn(double n, double k) {
  if (is_whole(n) && is_whole(k) && k >= 0.0 && k <= n &&
      n <= (double)UINT_MAX) {
    gsl_sf_result r;
    int status = gsl_sf_choose_e((unsigned)n, (unsigned)k, &r);
    if (status == GSL_EOVRFLW)
      return INFINITY;
    if (status == GSL_SUCCESS)
      return round(r.val);
  }
  return exp(lchoose_fn(n, k));
}

/* ---- log-space helpers (Maechler 2012) ----------------------------------- */

static double logit_fn(double p) { return log(p) - log1p(-p); }

/* 1 / (1 + exp(-x)) without overflow for either sign of x. */
static double invlogit_fn(double x) {
  if (x >= 0.0)
    return 1.0 / (1.0 + exp(-x));
  const double ex = exp(x);
  return ex / (1.0 + ex);
}

/* log(1 + exp(x)) (softplus). */
static double log1pexp_fn(double x) {
  if (x > 0.0)
    return x + log1p(exp(-x));
  return log1p(exp(x));
}

/* log(1 - exp(x)) for x <= 0: -expm1 near 0, log1p far from it; the split
 * at -log 2 is Maechler's. nan for x > 0, -inf at 0. */
static double log1mexp_fn(double x) {
  if (x > 0.0)
    return NAN;
  return x > -M_LN2 ? log(-expm1(x)) : log1p(-exp(x));
}

/* log(exp(a) + exp(b)). */
static double logaddexp_fn(double a, double b) {
  if (isnan(a) || isnan(b))
    return NAN;
  const double m = fmax(a, b);
  if (isinf(m))
    return m; /* both -inf, or either +inf */
  return m + log1p(exp(-fabs(a - b)));
}

static double sign_fn(double x) {
  if (isnan(x))
    return x;
  return (x > 0.0) - (x < 0.0);
}

static double atan2_fn(double y, double x) { return atan2(y, x); }
static double pow_fn(double x, double y) { return pow(x, y); }

/* ---- argument plumbing --------------------------------------------------- */

/* Reads parameter i as a number (*t = NULL, *x set) or as a tensor (*t set):
 * vectors and matrices as they are, lists of numbers and ranges converted
 * to vectors. */
static bool arg_numeric(Args *a, int i, double *x, ObjTensor **t) {
  const Value v = a->v[i];
  *t = NULL;
  if (IS_NUM(v)) {
    *x = AS_NUM(v);
    return true;
  }
  if (IS_TENSOR(v)) {
    *t = AS_TENSOR(v);
    return true;
  }
  if (IS_LIST(v) || IS_RANGE(v)) {
    *t = builtin_to_vector(v);
    if (*t)
      return true;
  }
  if (IS_UNDEF(v))
    return args_num(a, i, x); /* reports the missing argument */
  return args_error(a, i, "must be a number, vector or matrix, got a %s",
                    value_type_name(v));
}

/* f applied to a number or to every element of a tensor. */
static Value map1(double x, const ObjTensor *t, double (*f)(double)) {
  if (!t)
    return NUM_VAL(f(x));
  return OBJ_VAL(tensor_map(t, f));
}

/* A rows x cols view of a tensor for broadcasting (a vector is one row). */
static void grid_of(const ObjTensor *t, size_t *rows, size_t *cols) {
  *rows = t->ndim == 1 ? 1 : t->shape[0];
  *cols = t->ndim == 1 ? t->len : t->shape[1];
}

/* Broadcast size of one axis, or false when the sizes disagree. */
static bool broadcast_axis(size_t p, size_t q, size_t *out) {
  if (p != q && p != 1 && q != 1)
    return false;
  *out = p == 1 ? q : p;
  return true;
}

/* f(a, b) elementwise with numpy broadcasting; a scalar is a 1 x 1 grid.
 * NULL tensors stand for the scalars x and y. */
static bool map2(Args *a, int i, int j, double x, const ObjTensor *s,
                 double y, const ObjTensor *t, double (*f)(double, double),
                 Value *result) {
  if (!s && !t) {
    *result = NUM_VAL(f(x, y));
    return true;
  }
  size_t r1 = 1, c1 = 1, r2 = 1, c2 = 1, rows, cols;
  if (s)
    grid_of(s, &r1, &c1);
  if (t)
    grid_of(t, &r2, &c2);
  if (!broadcast_axis(r1, r2, &rows) || !broadcast_axis(c1, c2, &cols)) {
    char b1[48], b2[48];
    return vm_error(a->vm, "%s(): arguments %d '%s' and %d '%s' have shapes "
                    "%s and %s, which do not broadcast", a->fn, i + 1,
                    a->names[i], j + 1, a->names[j],
                    tensor_shape_str(s, b1, sizeof b1),
                    tensor_shape_str(t, b2, sizeof b2));
  }
  const bool matrix = (s && s->ndim == 2) || (t && t->ndim == 2);
  ObjTensor *out = matrix ? tensor_matrix(rows, cols) : tensor_vector(cols);
  const double *px = s ? s->data : &x, *py = t ? t->data : &y;
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++) {
      double u = px[(r1 == 1 ? 0 : r) * c1 + (c1 == 1 ? 0 : c)];
      double v = py[(r2 == 1 ? 0 : r) * c2 + (c2 == 1 ? 0 : c)];
      out->data[r * cols + c] = f(u, v);
    }
  *result = OBJ_VAL(out);
  return true;
}

/* ---- one-argument functions ---------------------------------------------- */

/* X(name, C function, help) */
#define MATH_UNARY(X)                                                        \
  X(abs, fabs, "abs(x): absolute value")                                     \
  X(sqrt, sqrt, "sqrt(x): square root (nan below 0)")                        \
  X(exp, exp, "exp(x): e to the power x")                                    \
  X(expm1, expm1, "expm1(x): exp(x) - 1, accurate near 0")                   \
  X(log, log, "log(x): natural logarithm (-inf at 0, nan below)")            \
  X(log1p, log1p, "log1p(x): log(1 + x), accurate near 0")                   \
  X(log2, log2, "log2(x): base-2 logarithm")                                 \
  X(log10, log10, "log10(x): base-10 logarithm")                             \
  X(sin, sin, "sin(x): sine (radians)")                                      \
  X(cos, cos, "cos(x): cosine (radians)")                                    \
  X(tan, tan, "tan(x): tangent (radians)")                                   \
  X(asin, asin, "asin(x): arc sine")                                         \
  X(acos, acos, "acos(x): arc cosine")                                       \
  X(atan, atan, "atan(x): arc tangent")                                      \
  X(sinh, sinh, "sinh(x): hyperbolic sine")                                  \
  X(cosh, cosh, "cosh(x): hyperbolic cosine")                                \
  X(tanh, tanh, "tanh(x): hyperbolic tangent")                               \
  X(floor, floor, "floor(x): largest whole number <= x")                     \
  X(ceil, ceil, "ceil(x): smallest whole number >= x")                       \
  X(round, round, "round(x): nearest whole number, halves away from 0")      \
  X(trunc, trunc, "trunc(x): x with its fraction dropped (towards 0)")       \
  X(sign, sign_fn, "sign(x): -1, 0 or 1 (nan for nan)")                      \
  X(lgamma, lgamma_fn, "lgamma(x): log|Gamma(x)| (inf at 0, -1, -2, ...)")   \
  X(gamma, gamma_fn, "gamma(x): the gamma function Gamma(x)")                \
  X(digamma, digamma_fn, "digamma(x): psi(x) = d/dx lgamma(x)")              \
  X(trigamma, trigamma_fn, "trigamma(x): psi'(x), derivative of digamma")    \
  X(erf, erf, "erf(x): error function")                                      \
  X(erfc, erfc, "erfc(x): 1 - erf(x), accurate in the tail")                 \
  X(logit, logit_fn, "logit(p): log(p / (1 - p))")                           \
  X(invlogit, invlogit_fn, "invlogit(x): 1 / (1 + exp(-x)), the inverse "    \
                           "of logit")                                       \
  X(expit, invlogit_fn, "expit(x): 1 / (1 + exp(-x)) (= invlogit)")          \
  X(sigmoid, invlogit_fn, "sigmoid(x): 1 / (1 + exp(-x)) (= invlogit)")      \
  X(log1pexp, log1pexp_fn, "log1pexp(x): log(1 + exp(x)) (softplus), "      \
                           "without overflow")                               \
  X(softplus, log1pexp_fn, "softplus(x): log(1 + exp(x)) (= log1pexp)")      \
  X(log1mexp, log1mexp_fn, "log1mexp(x): log(1 - exp(x)) for x <= 0, as "   \
                           "Stan's log1m_exp")

static bool unary(VM *vm, const CallArgs *call, const char *fn,
                  double (*f)(double), Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  double x;
  ObjTensor *t;
  if (!args_bind(&a, vm, call, fn, names, 1) || !arg_numeric(&a, 0, &x, &t))
    return false;
  *result = map1(x, t, f);
  return true;
}

#define X(name, cfn, help)                                                   \
  static bool b_##name(VM *vm, const CallArgs *call, Value *result) {        \
    return unary(vm, call, #name, cfn, result);                              \
  }
MATH_UNARY(X)
#undef X

/* ---- predicates: a bool for a number, 1/0 elementwise for a tensor ------- */

static double isnan_fn(double x) { return isnan(x) ? 1.0 : 0.0; }
static double isinf_fn(double x) { return isinf(x) ? 1.0 : 0.0; }
static double isfinite_fn(double x) { return isfinite(x) ? 1.0 : 0.0; }

static bool predicate(VM *vm, const CallArgs *call, const char *fn,
                      double (*f)(double), Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  double x;
  ObjTensor *t;
  if (!args_bind(&a, vm, call, fn, names, 1) || !arg_numeric(&a, 0, &x, &t))
    return false;
  *result = t ? OBJ_VAL(tensor_map(t, f)) : BOOL_VAL(f(x) != 0.0);
  return true;
}

static bool b_isnan(VM *vm, const CallArgs *call, Value *result) {
  return predicate(vm, call, "isnan", isnan_fn, result);
}

static bool b_isinf(VM *vm, const CallArgs *call, Value *result) {
  return predicate(vm, call, "isinf", isinf_fn, result);
}

static bool b_isfinite(VM *vm, const CallArgs *call, Value *result) {
  return predicate(vm, call, "isfinite", isfinite_fn, result);
}

/* ---- two-argument functions ---------------------------------------------- */

/* X(name, C function, first parameter, second parameter, help) */
#define MATH_BINARY(X)                                                       \
  X(atan2, atan2_fn, "y", "x", "atan2(y, x): angle of the point (x, y)")     \
  X(pow, pow_fn, "x", "y", "pow(x, y): x to the power y (as x ** y)")        \
  X(lbeta, lbeta_fn, "a", "b", "lbeta(a, b): log of the beta function")      \
  X(beta, beta_fn, "a", "b", "beta(a, b): the beta function "                \
                             "Gamma(a) Gamma(b) / Gamma(a + b)")             \
  X(lchoose, lchoose_fn, "n", "k", "lchoose(n, k): log of the binomial "     \
                                   "coefficient")                            \
  X(choose, choose_fn, "n", "k", "choose(n, k): binomial coefficient "       \
                                 "n! / (k! (n - k)!)")                       \
  X(logaddexp, logaddexp_fn, "a", "b", "logaddexp(a, b): log(exp(a) + "      \
                                       "exp(b)) without overflow")

static bool binary(VM *vm, const CallArgs *call, const char *fn,
                   const char *const names[], double (*f)(double, double),
                   Value *result) {
  Args a;
  double x = 0, y = 0;
  ObjTensor *s, *t;
  if (!args_bind(&a, vm, call, fn, names, 2) ||
      !arg_numeric(&a, 0, &x, &s) || !arg_numeric(&a, 1, &y, &t))
    return false;
  return map2(&a, 0, 1, x, s, y, t, f, result);
}

#define X(name, cfn, p1, p2, help)                                           \
  static bool b_##name(VM *vm, const CallArgs *call, Value *result) {        \
    static const char *const names[] = {p1, p2, NULL};                       \
    return binary(vm, call, #name, names, cfn, result);                      \
  }
MATH_BINARY(X)
#undef X

/* ---- reductions and the rest --------------------------------------------- */

/* log(sum(exp(x[0..n-1]))) with stride: nan if any is nan, -inf when all
 * are -inf (or n is 0), +inf when any is +inf. */
static double logsumexp_of(const double *x, size_t n, size_t stride) {
  double m = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (isnan(x[i * stride]))
      return NAN;
    m = fmax(m, x[i * stride]);
  }
  if (isinf(m))
    return m;
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += exp(x[i * stride] - m);
  return m + log(s);
}

static bool b_logsumexp(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "axis", NULL};
  Args a;
  double x;
  ObjTensor *t;
  int64_t axis = -1;
  if (!args_bind(&a, vm, call, "logsumexp", names, 1) ||
      !arg_numeric(&a, 0, &x, &t) || !args_int_or(&a, 1, -1, &axis))
    return false;
  if (!t) {
    *result = NUM_VAL(x);
    return true;
  }
  if (!args_given(&a, 1)) {
    *result = NUM_VAL(logsumexp_of(t->data, t->len, 1));
    return true;
  }
  if (t->ndim != 2 || (axis != 0 && axis != 1))
    return args_error(&a, 1, "must be 0 (per column) or 1 (per row) for a "
                      "matrix, got %lld", (long long)axis);
  const size_t rows = t->shape[0], cols = t->shape[1];
  ObjTensor *out = tensor_vector(axis == 0 ? cols : rows);
  for (size_t k = 0; k < out->len; k++)
    out->data[k] = axis == 0 ? logsumexp_of(t->data + k, rows, cols)
                             : logsumexp_of(t->data + k * cols, cols, 1);
  *result = OBJ_VAL(out);
  return true;
}

static bool b_clamp(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "lo", "hi", NULL};
  Args a;
  double x, lo, hi;
  ObjTensor *t;
  if (!args_bind(&a, vm, call, "clamp", names, 3) ||
      !arg_numeric(&a, 0, &x, &t) || !args_num(&a, 1, &lo) ||
      !args_num(&a, 2, &hi))
    return false;
  if (!(lo <= hi))
    return args_error(&a, 1, "must not exceed argument 3 'hi' (%g), got %g",
                      hi, lo);
  if (!t) {
    *result = NUM_VAL(isnan(x) ? x : fmin(fmax(x, lo), hi));
    return true;
  }
  ObjTensor *out = tensor_like(t);
  for (size_t i = 0; i < t->len; i++)
    out->data[i] = isnan(t->data[i]) ? t->data[i]
                                     : fmin(fmax(t->data[i], lo), hi);
  *result = OBJ_VAL(out);
  return true;
}

/* ---- the normal distribution --------------------------------------------- */

/* Binds (x, mu=0, sigma=1[, log]) for dnorm/pnorm/qnorm. */
static bool normal_args(Args *a, VM *vm, const CallArgs *call, const char *fn,
                        const char *const names[], double *x, ObjTensor **t,
                        double *mu, double *sigma) {
  return args_bind(a, vm, call, fn, names, 1) && arg_numeric(a, 0, x, t) &&
         args_num_or(a, 1, 0.0, mu) && args_positive_or(a, 2, 1.0, sigma);
}

/* Applies f(x, mu, sigma) to a number or every element of a tensor. */
static Value map_normal(double x, const ObjTensor *t, double mu, double sigma,
                        double (*f)(double, double, double)) {
  if (!t)
    return NUM_VAL(f(x, mu, sigma));
  ObjTensor *out = tensor_like(t);
  for (size_t i = 0; i < t->len; i++)
    out->data[i] = f(t->data[i], mu, sigma);
  return OBJ_VAL(out);
}

static double normal_lpdf(double x, double mu, double sigma) {
  const double z = (x - mu) / sigma;
  return -0.5 * z * z - log(sigma) - HALF_LOG_2PI;
}

static double normal_pdf(double x, double mu, double sigma) {
  return exp(normal_lpdf(x, mu, sigma));
}

static double normal_cdf(double x, double mu, double sigma) {
  return isnan(x) ? x : gsl_cdf_gaussian_P(x - mu, sigma);
}

/* GSL gives +-inf at p = 0 and 1; outside [0, 1] the answer is nan. */
static double normal_quantile(double p, double mu, double sigma) {
  if (!(p >= 0.0 && p <= 1.0))
    return NAN;
  return mu + sigma * gsl_cdf_ugaussian_Pinv(p);
}

static bool b_dnorm(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", "mu", "sigma", "log", NULL};
  Args a;
  double x, mu, sigma;
  ObjTensor *t;
  bool want_log;
  if (!normal_args(&a, vm, call, "dnorm", names, &x, &t, &mu, &sigma) ||
      !args_bool_or(&a, 3, false, &want_log))
    return false;
  *result = map_normal(x, t, mu, sigma, want_log ? normal_lpdf : normal_pdf);
  return true;
}

static bool cdf(VM *vm, const CallArgs *call, const char *fn, Value *result) {
  static const char *const names[] = {"x", "mu", "sigma", NULL};
  Args a;
  double x, mu, sigma;
  ObjTensor *t;
  if (!normal_args(&a, vm, call, fn, names, &x, &t, &mu, &sigma))
    return false;
  *result = map_normal(x, t, mu, sigma, normal_cdf);
  return true;
}

static bool b_pnorm(VM *vm, const CallArgs *call, Value *result) {
  return cdf(vm, call, "pnorm", result);
}

static bool b_normal_cdf(VM *vm, const CallArgs *call, Value *result) {
  return cdf(vm, call, "normal_cdf", result);
}

static bool b_qnorm(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"p", "mu", "sigma", NULL};
  Args a;
  double p, mu, sigma;
  ObjTensor *t;
  if (!normal_args(&a, vm, call, "qnorm", names, &p, &t, &mu, &sigma))
    return false;
  *result = map_normal(p, t, mu, sigma, normal_quantile);
  return true;
}

/* ---- registration -------------------------------------------------------- */

static const BuiltinDef unary_defs[] = {
#define X(name, cfn, help) {#name, b_##name, help},
    MATH_UNARY(X)
#undef X
    {NULL, NULL, NULL},
};

static const BuiltinDef binary_defs[] = {
#define X(name, cfn, p1, p2, help) {#name, b_##name, help},
    MATH_BINARY(X)
#undef X
    {NULL, NULL, NULL},
};

static const BuiltinDef other_defs[] = {
    {"isnan", b_isnan, "isnan(x): is x nan? (1/0 elementwise for a vector)"},
    {"isinf", b_isinf, "isinf(x): is x +-inf? (1/0 elementwise for a vector)"},
    {"isfinite", b_isfinite,
     "isfinite(x): is x neither nan nor +-inf? (1/0 elementwise)"},
    {"logsumexp", b_logsumexp,
     "logsumexp(x, axis=nil): log(sum(exp(x))) without overflow; axis 0/1 "
     "per column/row of a matrix"},
    {"clamp", b_clamp, "clamp(x, lo, hi): x limited to [lo, hi]"},
    {"dnorm", b_dnorm,
     "dnorm(x, mu=0, sigma=1, log=false): Normal(mu, sigma) density"},
    {"pnorm", b_pnorm,
     "pnorm(x, mu=0, sigma=1): Normal(mu, sigma) cumulative probability"},
    {"normal_cdf", b_normal_cdf,
     "normal_cdf(x, mu=0, sigma=1): Normal(mu, sigma) cdf (= pnorm)"},
    {"qnorm", b_qnorm,
     "qnorm(p, mu=0, sigma=1): Normal(mu, sigma) quantile (inverse cdf)"},
    {NULL, NULL, NULL},
};

/* Registers the math builtins and the constants pi, e, inf, nan, and
 * switches GSL's error handler off (it aborts the process by default):
 * from here on GSL reports through return codes, which callers check. */
void lib_math_register(VM *vm) {
  gsl_set_error_handler_off();
  builtin_register(vm, unary_defs);
  builtin_register(vm, binary_defs);
  builtin_register(vm, other_defs);
  vm_define_global(vm, "pi", NUM_VAL(M_PI));
  vm_define_global(vm, "e", NUM_VAL(M_E));
  vm_define_global(vm, "inf", NUM_VAL(INFINITY));
  vm_define_global(vm, "nan", NUM_VAL(NAN));
}
