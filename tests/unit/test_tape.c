/*
 * test_tape.c — unit tests of the autodiff tape (src/tape.c).
 *
 * Every op is checked the same way: a small tape turns theta into a scalar
 * through the op (usually SUM(op(x) * w) with random weights w, so that no
 * adjoint cancels), its forward values are compared with a direct C
 * computation, and its gradient with central finite differences at several
 * random points of high entropy. Binary ops are checked for every pairing
 * of scalar, vector, row, column and matrix operands, with both operands,
 * only the first or only the second depending on theta. Then: NaN and -inf
 * results, constant folding, error sentences, two states and four threads
 * on one tape, and no allocation while evaluating.
 *
 * The distribution families here are small test families of our own (a
 * Normal, a counting Normal, a toy multivariate one), so this test does
 * not depend on src/dist/.
 */
#include <config.h>
#include "tape.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "test_random.h"
#include "test_tape_fd.h"
#include "dist.h"
#include "tape_fuse.h"

/* Relative step of the central differences and the tolerance of the
 * gradient comparison: the truncation error is O(h^2) and the rounding
 * error O(eps / h), both far below TOL. */
static const double FD_STEP = 1e-6;
static const double FD_TOL = 2e-6;

/* ---- helpers ------------------------------------------------------------ */


/* A value of magnitude in [lo, hi] with a random sign. */
static double signed_unif(double lo, double hi) {
  return unif01() < 0.5 ? -unif(lo, hi) : unif(lo, hi);
}


static double *doubles(size_t n) {
  double *p = calloc(n ? n : 1, sizeof *p);
  if (!p)
    abort();
  return p;
}

static size_t slot_len(const Tape *t, TapeSlot s) {
  return tape_shape(t, s, NULL, NULL, NULL);
}

/* SUM(y * w) for random weights w of y's shape, |w| in [0.5, 1.5]. */
static TapeSlot weighted_sum(Tape *t, TapeSlot y) {
  int nd;
  size_t r, c;
  size_t n = tape_shape(t, y, &nd, &r, &c);
  double *w = doubles(n);
  for (size_t i = 0; i < n; i++)
    w[i] = signed_unif(0.5, 1.5);
  char err[TAPE_ERR_LEN];
  TapeSlot ws = tape_const(t, nd, r, c, w);
  free(w);
  TapeSlot p = tape_op2(t, TAPE_MUL, y, ws, err);
  return tape_op1(t, TAPE_SUM, p, err);
}

/* The output becomes out; freezes the tape. */
static void finish(Tape *t, TapeSlot out) {
  tape_set_output(t, out);
  tape_finish(t);
}

/* Compares the gradient at theta with central differences, component by
 * component; also checks that tape_logp and tape_logp_grad agree. */
static void check_gradient(const Tape *t, const double *theta,
                           const char *what) {
  const size_t n = tape_dim(t);
  TapeState *st = tape_state_alloc(t);
  double *g = doubles(n), *x = doubles(n);
  memcpy(x, theta, n * sizeof *x);
  double lp = tape_logp_grad(st, x, g);
  if (!CHECK(isfinite(lp)))
    fprintf(stderr, "  in %s: log p = %g\n", what, lp);
  if (!CHECK(tape_logp(st, x) == lp))
    fprintf(stderr, "  in %s: tape_logp differs\n", what);
  check_fd_gradient(st, theta, g, x, n, FD_STEP, FD_TOL, what);
  free(g);
  free(x);
  tape_state_free(st);
}

/* The same along one random direction v: grad . v against the central
 * difference of f(theta + s v) (for tapes with thousands of parameters). */
static void check_directional(const Tape *t, const double *theta,
                              const char *what) {
  const size_t n = tape_dim(t);
  TapeState *st = tape_state_alloc(t);
  double *g = doubles(n), *x = doubles(n), *v = doubles(n);
  const double lp = tape_logp_grad(st, theta, g);
  CHECK(isfinite(lp));
  double gv = 0.0, scale = 0.0;
  for (size_t i = 0; i < n; i++) {
    v[i] = signed_unif(0.5, 1.5);
    gv += g[i] * v[i];
    scale = fmax(scale, fabs(theta[i]));
  }
  const double h = FD_STEP * fmax(1.0, scale);
  for (size_t i = 0; i < n; i++)
    x[i] = theta[i] + h * v[i];
  const double fp = tape_logp(st, x);
  for (size_t i = 0; i < n; i++)
    x[i] = theta[i] - h * v[i];
  const double fm = tape_logp(st, x);
  const double fd = (fp - fm) / (2.0 * h);
  if (!CHECK_NEAR(gv, fd, 1e-5 * (1.0 + fabs(fd))))
    fprintf(stderr, "  in %s (directional)\n", what);
  free(g);
  free(x);
  free(v);
  tape_state_free(st);
}

/* ---- test families ---------------------------------------------------------
 */

/* The longest input (dist_broadcast_len, without linking dist.c). */
static size_t bcast_len(const DistTensor *in, int n) {
  size_t len = 1;
  for (int i = 0; i < n; i++) {
    if (in[i].len == 0)
      return 0;
    if (in[i].len > len)
      len = in[i].len;
  }
  return len;
}

static long normal_calls; /* calls of test_normal_lpdf */

static const double HALF_LOG_2PI = 0.91893853320467274178;

/* Normal(x | mu, sigma) summed over n = the longest input (the others have
 * 1 element or n), with partials z/sigma and (z^2 - 1)/sigma. */
static double test_normal_lpdf(const DistTensor *in, double adj,
                               double *const *grad) {
  normal_calls++;
  const size_t n = bcast_len(in, 3);
  const size_t sx = in[0].len > 1, sm = in[1].len > 1, ss = in[2].len > 1;
  double lp = 0.0;
  for (size_t i = 0; i < n; i++)
    if (!(in[2].data[i * ss] > 0.0))
      return -INFINITY;
  for (size_t i = 0; i < n; i++) {
    const double x = in[0].data[i * sx], mu = in[1].data[i * sm],
                 sigma = in[2].data[i * ss];
    const double z = (x - mu) / sigma;
    lp += -0.5 * z * z - log(sigma) - HALF_LOG_2PI;
    if (!grad)
      continue;
    if (grad[0])
      grad[0][i * sx] -= adj * z / sigma;
    if (grad[1])
      grad[1][i * sm] += adj * z / sigma;
    if (grad[2])
      grad[2][i * ss] += adj * (z * z - 1.0) / sigma;
  }
  return lp;
}

static const char *const normal_names[] = {"mu", "sigma"};
static const double normal_defaults[] = {NAN, NAN};

static const DistFamily test_normal = {
    .name = "Normal",
    .nparams = 2,
    .params = normal_names,
    .defaults = normal_defaults,
    .support = {SUPPORT_REAL, -1, -1, -INFINITY, INFINITY},
    .lpdf = test_normal_lpdf,
};

/* A toy multivariate family: events of mu's length K, log density
 * -0.5 sum (x - mu)^2 per event. */
static double test_mv_lpdf(const DistTensor *in, double adj,
                           double *const *grad) {
  const size_t K = in[1].len;
  double lp = 0.0;
  for (size_t i = 0; i < in[0].len; i++) {
    const double d = in[0].data[i] - in[1].data[i % K];
    lp -= 0.5 * d * d;
    if (grad && grad[0])
      grad[0][i] -= adj * d;
    if (grad && grad[1])
      grad[1][i % K] += adj * d;
  }
  return lp;
}

static bool test_mv_check(const DistTensor *params, int *ndim, size_t *rows,
                          size_t *cols, char *err) {
  if (params[0].ndim != 1) {
    snprintf(err, DIST_ERR_LEN, "MvTest(): mu must be a vector");
    return false;
  }
  *ndim = 1;
  *rows = params[0].len;
  *cols = 1;
  return true;
}

static const char *const mv_names[] = {"mu"};

static const DistFamily test_mv = {
    .name = "MvTest",
    .nparams = 1,
    .params = mv_names,
    .multivariate = true,
    .lpdf = test_mv_lpdf,
    .check = test_mv_check,
};

/* ---- elementwise unary ops --------------------------------------------------
 */

static const double LEAKY_ALPHA = 0.23;

static double ref_neg(double a) { return -a; }
static double ref_square(double a) { return a * a; }
static double ref_lgamma(double a) { return lgamma(a); }
static double ref_digamma(double a) { return gsl_sf_psi(a); }
static double ref_logistic(double a) { return 1.0 / (1.0 + exp(-a)); }
static double ref_log_logistic(double a) { return log(ref_logistic(a)); }
static double ref_softplus(double a) { return log(1.0 + exp(a)); }
static double ref_phi(double a) { return gsl_cdf_ugaussian_P(a); }
static double ref_relu(double a) { return a > 0 ? a : 0.0; }
static double ref_leaky(double a) { return a > 0 ? a : LEAKY_ALPHA * a; }
static double ref_elu(double a) { return a > 0 ? a : exp(a) - 1.0; }
static double ref_step(double a) { return a > 0 ? 1.0 : LEAKY_ALPHA; }

static const struct {
  TapeOp op;
  double lo, hi;  /* where the points are drawn */
  bool symmetric; /* also draw from [-hi, -lo] */
  double (*ref)(double);
} unary_cases[] = {
    {TAPE_NEG, 0.3, 2.7, true, ref_neg},
    {TAPE_EXP, 0.1, 2.2, true, exp},
    {TAPE_LOG, 0.2, 4.5, false, log},
    {TAPE_LOG1P, -0.7, 3.1, false, log1p},
    {TAPE_EXPM1, 0.1, 2.3, true, expm1},
    {TAPE_SQRT, 0.2, 5.3, false, sqrt},
    {TAPE_SQUARE, 0.2, 3.1, true, ref_square},
    {TAPE_ABS, 0.2, 3.1, true, fabs},
    {TAPE_LGAMMA, 0.15, 7.3, false, ref_lgamma},
    {TAPE_LGAMMA, -2.9, -2.1, false, ref_lgamma},
    {TAPE_DIGAMMA, 0.3, 6.1, false, ref_digamma},
    {TAPE_DIGAMMA, -1.8, -1.2, false, ref_digamma},
    {TAPE_LOGISTIC, 0.1, 4.1, true, ref_logistic},
    {TAPE_LOG_LOGISTIC, 0.1, 6.1, true, ref_log_logistic},
    {TAPE_SOFTPLUS, 0.1, 6.1, true, ref_softplus},
    {TAPE_TANH, 0.05, 2.1, true, tanh},
    {TAPE_SIN, 0.1, 3.1, true, sin},
    {TAPE_COS, 0.1, 3.1, true, cos},
    {TAPE_ERF, 0.05, 1.9, true, erf},
    {TAPE_PHI, 0.05, 3.1, true, ref_phi},
    {TAPE_RELU, 0.1, 2.1, true, ref_relu},
    {TAPE_LEAKY_RELU, 0.1, 2.1, true, ref_leaky},
    {TAPE_ELU, 0.1, 2.1, true, ref_elu},
    {TAPE_STEP, 0.1, 2.1, true, ref_step},
};

/* Shapes used throughout: {ndim, rows, cols}. */
typedef struct {
  int ndim;
  size_t rows, cols;
  const char *name;
} Shape;

static const Shape SHAPES[] = {
    {0, 1, 1, "scalar"}, {1, 3, 1, "vector"}, {2, 1, 3, "row"},
    {2, 2, 1, "column"}, {2, 2, 3, "matrix"},
};
enum { NSHAPES = sizeof SHAPES / sizeof SHAPES[0] };

static size_t shape_len(const Shape *s) { return s->rows * s->cols; }

static TapeSlot unary(Tape *t, TapeOp op, TapeSlot x) {
  char err[TAPE_ERR_LEN];
  if (op == TAPE_LEAKY_RELU || op == TAPE_STEP)
    return tape_op(t, op, &x, 1, &LEAKY_ALPHA, 1, err);
  return tape_op1(t, op, x, err);
}

static void draw_points(double *x, size_t n, double lo, double hi,
                        bool symmetric) {
  for (size_t i = 0; i < n; i++)
    x[i] = symmetric ? signed_unif(lo, hi) : unif(lo, hi);
}

static void test_unary_case(size_t c, const Shape *sh) {
  const size_t n = shape_len(sh);
  char what[96];
  snprintf(what, sizeof what, "%s on a %s", tape_op_name(unary_cases[c].op),
           sh->name);
  Tape *t = tape_alloc(n);
  TapeSlot x = tape_param(t, 0, sh->ndim, sh->rows, sh->cols);
  TapeSlot y = unary(t, unary_cases[c].op, x);
  finish(t, weighted_sum(t, y));
  CHECK(tape_depends(t, y));
  double *theta = doubles(n);
  for (int rep = 0; rep < 3; rep++) {
    draw_points(theta, n, unary_cases[c].lo, unary_cases[c].hi,
                unary_cases[c].symmetric);
    TapeState *st = tape_state_alloc(t);
    tape_forward(st, theta);
    const double *v = tape_value(st, y);
    for (size_t i = 0; i < n; i++)
      if (!CHECK_NEAR(v[i], unary_cases[c].ref(theta[i]),
                      1e-12 * (1.0 + fabs(v[i]))))
        fprintf(stderr, "  in %s at %.17g\n", what, theta[i]);
    tape_state_free(st);
    check_gradient(t, theta, what);
  }
  free(theta);
  tape_free(t);
}

static void test_unary(void) {
  const size_t ncases = sizeof unary_cases / sizeof unary_cases[0];
  for (size_t c = 0; c < ncases; c++) {
    test_unary_case(c, &SHAPES[0]);
    test_unary_case(c, &SHAPES[1]);
    test_unary_case(c, &SHAPES[4]);
  }
}

/* value and derivative of op at a, through a one-slot tape */
static double unary_at(TapeOp op, double a, double *d) {
  Tape *t = tape_alloc(1);
  TapeSlot x = tape_param(t, 0, 0, 1, 1);
  finish(t, unary(t, op, x));
  TapeState *st = tape_state_alloc(t);
  double v = tape_logp_grad(st, &a, d);
  tape_state_free(st);
  tape_free(t);
  return v;
}

/* Arguments where a naive formula overflows or cancels. */
static void test_unary_extremes(void) {
  double d;
  CHECK_NEAR(unary_at(TAPE_SOFTPLUS, 800.0, &d), 800.0, 1e-12);
  CHECK_NEAR(d, 1.0, 1e-15);
  CHECK_NEAR(unary_at(TAPE_SOFTPLUS, -800.0, &d), 0.0, 1e-300);
  CHECK(d >= 0.0 && d < 1e-300);
  CHECK_NEAR(unary_at(TAPE_SOFTPLUS, -40.0, &d), exp(-40.0), 1e-30);
  CHECK_NEAR(unary_at(TAPE_LOG_LOGISTIC, -800.0, &d), -800.0, 1e-12);
  CHECK_NEAR(d, 1.0, 1e-15);
  CHECK_NEAR(unary_at(TAPE_LOG_LOGISTIC, 800.0, &d), 0.0, 1e-300);
  CHECK_NEAR(unary_at(TAPE_LOG_LOGISTIC, 40.0, &d), -exp(-40.0), 1e-30);
  CHECK_NEAR(d, exp(-40.0), 1e-30);
  CHECK_NEAR(unary_at(TAPE_LOGISTIC, 800.0, &d), 1.0, 1e-15);
  CHECK(d >= 0.0 && isfinite(d));
  CHECK_NEAR(unary_at(TAPE_LOGISTIC, -800.0, &d), 0.0, 1e-300);
  CHECK_NEAR(unary_at(TAPE_LOGISTIC, 40.0, &d), 1.0, 1e-15);
  CHECK_NEAR(d / exp(-40.0), 1.0, 1e-12); /* no cancellation in 1 - p */
  CHECK_NEAR(unary_at(TAPE_PHI, -30.0, &d), gsl_cdf_ugaussian_P(-30.0), 1e-210);
  CHECK(unary_at(TAPE_PHI, -30.0, &d) > 0.0);
  CHECK_NEAR(unary_at(TAPE_LGAMMA, 1e6 + 0.5, &d), lgamma(1e6 + 0.5), 1e-6);
  CHECK_NEAR(d, gsl_sf_psi(1e6 + 0.5), 1e-9);
  CHECK_NEAR(unary_at(TAPE_RELU, 0.0, &d), 0.0, 0.0);
  CHECK_NEAR(d, 0.0, 0.0);
  CHECK_NEAR(unary_at(TAPE_ELU, -3.5, &d), expm1(-3.5), 1e-15);
  CHECK_NEAR(d, exp(-3.5), 1e-15);
  CHECK_NEAR(unary_at(TAPE_ABS, 0.0, &d), 0.0, 0.0);
  CHECK_NEAR(d, 0.0, 0.0);
  /* LGAMMA at a pole: +inf, but its derivative is not finite: -inf */
  CHECK(unary_at(TAPE_LGAMMA, -2.0, &d) == -INFINITY);
  CHECK_NEAR(d, 0.0, 0.0);
  /* SQRT at 0: the value is 0 but the gradient is infinite: -inf */
  CHECK(unary_at(TAPE_SQRT, 0.0, &d) == -INFINITY);
  CHECK_NEAR(d, 0.0, 0.0);
  /* LEAKY_RELU without aux takes alpha = 0.01 */
  Tape *t = tape_alloc(1);
  TapeSlot x = tape_param(t, 0, 0, 1, 1);
  char err[TAPE_ERR_LEN];
  finish(t, tape_op1(t, TAPE_LEAKY_RELU, x, err));
  TapeState *st = tape_state_alloc(t);
  double a = -2.5;
  CHECK_NEAR(tape_logp_grad(st, &a, &d), -0.025, 1e-15);
  CHECK_NEAR(d, 0.01, 1e-15);
  tape_state_free(st);
  tape_free(t);
}

/* ---- elementwise binary ops and broadcasting
 * --------------------------------- */

static const struct {
  TapeOp op;
  double alo, ahi, blo, bhi;
  bool asym, bsym; /* random signs */
} binary_cases[] = {
    {TAPE_ADD, 0.3, 2.9, 0.2, 3.1, true, true},
    {TAPE_SUB, 0.3, 2.9, 0.2, 3.1, true, true},
    {TAPE_MUL, 0.3, 2.9, 0.2, 3.1, true, true},
    {TAPE_DIV, 0.3, 2.9, 0.4, 2.3, true, true},
    {TAPE_POW, 0.3, 2.7, 0.1, 2.1, false, true},
};

static double binary_ref(TapeOp op, double a, double b) {
  switch (op) {
  case TAPE_ADD:
    return a + b;
  case TAPE_SUB:
    return a - b;
  case TAPE_MUL:
    return a * b;
  case TAPE_DIV:
    return a / b;
  default:
    return pow(a, b);
  }
}

/* The broadcasting grid of a shape: a vector of n is 1 x n. */
static void grid(const Shape *s, size_t *r, size_t *c) {
  *r = s->ndim == 2 ? s->rows : 1;
  *c = s->ndim == 2 ? s->cols : shape_len(s);
}

/* Checks op(a, b) element by element against numpy's broadcasting. */
static void check_binary_values(TapeOp op, const Shape *sa, const Shape *sb,
                                const double *a, const double *b,
                                const double *y, const char *what) {
  size_t ra, ca, rb, cb;
  grid(sa, &ra, &ca);
  grid(sb, &rb, &cb);
  const size_t R = ra > rb ? ra : rb, C = ca > cb ? ca : cb;
  bool ok = true;
  for (size_t i = 0; i < R; i++)
    for (size_t j = 0; j < C; j++) {
      const double va = a[(ra == 1 ? 0 : i) * ca + (ca == 1 ? 0 : j)];
      const double vb = b[(rb == 1 ? 0 : i) * cb + (cb == 1 ? 0 : j)];
      const double want = binary_ref(op, va, vb);
      ok = ok && fabs(y[i * C + j] - want) <= 1e-14 * (1.0 + fabs(want));
    }
  if (!CHECK(ok))
    fprintf(stderr, "  values of %s\n", what);
}

/* dep: 3 = both operands are parameters, 1 = only a, 2 = only b. */
static void test_binary_case(size_t c, const Shape *sa, const Shape *sb,
                             int dep) {
  const TapeOp op = binary_cases[c].op;
  const size_t na = shape_len(sa), nb = shape_len(sb);
  char what[128];
  snprintf(what, sizeof what, "%s of a %s%s and a %s%s", tape_op_name(op),
           sa->name, dep & 1 ? "" : " constant", sb->name,
           dep & 2 ? "" : " constant");
  double *a = doubles(na), *b = doubles(nb), *theta = doubles(na + nb);
  for (int rep = 0; rep < 2; rep++) {
    draw_points(a, na, binary_cases[c].alo, binary_cases[c].ahi,
                binary_cases[c].asym);
    draw_points(b, nb, binary_cases[c].blo, binary_cases[c].bhi,
                binary_cases[c].bsym);
    Tape *t = tape_alloc(0);
    size_t dim = 0;
    TapeSlot xa, xb;
    if (dep & 1) {
      xa = tape_param(t, dim, sa->ndim, sa->rows, sa->cols);
      memcpy(theta + dim, a, na * sizeof *a);
      dim += na;
    } else {
      xa = tape_const(t, sa->ndim, sa->rows, sa->cols, a);
    }
    if (dep & 2) {
      xb = tape_param(t, dim, sb->ndim, sb->rows, sb->cols);
      memcpy(theta + dim, b, nb * sizeof *b);
      dim += nb;
    } else {
      xb = tape_const(t, sb->ndim, sb->rows, sb->cols, b);
    }
    char err[TAPE_ERR_LEN];
    TapeSlot y = tape_op2(t, op, xa, xb, err);
    if (!CHECK(y != TAPE_NONE)) {
      fprintf(stderr, "  %s: %s\n", what, err);
      tape_free(t);
      break;
    }
    CHECK_EQ_INT(tape_dim(t), dim);
    finish(t, weighted_sum(t, y));
    TapeState *st = tape_state_alloc(t);
    tape_forward(st, theta);
    check_binary_values(op, sa, sb, a, b, tape_value(st, y), what);
    tape_state_free(st);
    check_gradient(t, theta, what);
    tape_free(t);
  }
  free(a);
  free(b);
  free(theta);
}

/* Output shapes of broadcasting, as numpy gives them. */
static void test_binary_shapes(void) {
  static const struct {
    int sa, sb; /* indices into SHAPES */
    int ndim;
    size_t rows, cols;
  } cases[] = {
      {0, 0, 0, 1, 1}, {0, 1, 1, 3, 1}, {1, 1, 1, 3, 1}, {1, 2, 2, 1, 3},
      {1, 3, 2, 2, 3}, {2, 3, 2, 2, 3}, {3, 4, 2, 2, 3}, {0, 4, 2, 2, 3},
      {1, 4, 2, 2, 3}, {3, 3, 2, 2, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const Shape *sa = &SHAPES[cases[i].sa], *sb = &SHAPES[cases[i].sb];
    double z[6] = {0};
    Tape *t = tape_alloc(0);
    char err[TAPE_ERR_LEN];
    TapeSlot y =
        tape_op2(t, TAPE_ADD, tape_const(t, sa->ndim, sa->rows, sa->cols, z),
                 tape_const(t, sb->ndim, sb->rows, sb->cols, z), err);
    int nd;
    size_t r, c;
    tape_shape(t, y, &nd, &r, &c);
    CHECK_EQ_INT(nd, cases[i].ndim);
    CHECK_EQ_INT(r, cases[i].rows);
    CHECK_EQ_INT(c, cases[i].cols);
    tape_free(t);
  }
}

static void test_binary(void) {
  const size_t ncases = sizeof binary_cases / sizeof binary_cases[0];
  for (size_t c = 0; c < ncases; c++)
    for (int i = 0; i < NSHAPES; i++)
      for (int j = 0; j < NSHAPES; j++)
        for (int dep = 1; dep <= 3; dep++)
          test_binary_case(c, &SHAPES[i], &SHAPES[j], dep);
  test_binary_shapes();
}

/* POW at a = 0 and b = 0, where the textbook partials give NaN. */
static void test_pow_edges(void) {
  Tape *t = tape_alloc(2);
  char err[TAPE_ERR_LEN];
  TapeSlot a = tape_param(t, 0, 0, 1, 1), b = tape_param(t, 1, 0, 1, 1);
  finish(t, tape_op2(t, TAPE_POW, a, b, err));
  TapeState *st = tape_state_alloc(t);
  double g[2], x[2] = {0.0, 2.5};
  CHECK_NEAR(tape_logp_grad(st, x, g), 0.0, 0.0);
  CHECK_NEAR(g[0], 0.0, 0.0); /* 2.5 * 0^1.5 */
  CHECK_NEAR(g[1], 0.0, 0.0); /* 0^b log 0 taken as 0 */
  x[0] = 1.7;
  x[1] = 0.0;
  CHECK_NEAR(tape_logp_grad(st, x, g), 1.0, 0.0);
  CHECK_NEAR(g[0], 0.0, 0.0);
  CHECK_NEAR(g[1], log(1.7), 1e-15);
  x[0] = 0.0;
  CHECK_NEAR(tape_logp_grad(st, x, g), 1.0, 0.0); /* 0^0 = 1 */
  CHECK_NEAR(g[0], 0.0, 0.0);
  x[0] = -1.5; /* negative base, integer exponent: finite value */
  x[1] = 3.0;
  CHECK_NEAR(tape_logp(st, x), -3.375, 1e-15);
  tape_state_free(st);
  tape_free(t);
  /* x ** 2 with a constant exponent at a negative base */
  t = tape_alloc(1);
  TapeSlot p = tape_param(t, 0, 1, 1, 1);
  finish(t, tape_op1(t, TAPE_SUM,
                     tape_op2(t, TAPE_POW, p, tape_scalar(t, 2.0), err), err));
  st = tape_state_alloc(t);
  x[0] = -1.25;
  CHECK_NEAR(tape_logp_grad(st, x, g), 1.5625, 1e-15);
  CHECK_NEAR(g[0], -2.5, 1e-15);
  tape_state_free(st);
  tape_free(t);
}

/* ---- reductions -----------------------------------------------------------
 */

static void test_sum_ops(void) {
  char err[TAPE_ERR_LEN];
  for (int rep = 0; rep < 3; rep++) {
    double theta[12];
    fill(theta, 12, -2.3, 2.9);
    /* SUM, SUM_ROWS, SUM_COLS of a 3 x 4 matrix */
    Tape *t = tape_alloc(12);
    TapeSlot m = tape_param(t, 0, 2, 3, 4);
    TapeSlot s = tape_op1(t, TAPE_SUM, m, err);
    TapeSlot sr = tape_op1(t, TAPE_SUM_ROWS, m, err);
    TapeSlot sc = tape_op1(t, TAPE_SUM_COLS, m, err);
    int nd;
    size_t r, c;
    CHECK_EQ_INT(tape_shape(t, sr, &nd, &r, &c), 4);
    CHECK_EQ_INT(nd, 1);
    CHECK_EQ_INT(tape_shape(t, sc, &nd, &r, &c), 3);
    CHECK_EQ_INT(tape_shape(t, s, &nd, &r, &c), 1);
    CHECK_EQ_INT(nd, 0);
    TapeSlot terms[3] = {weighted_sum(t, s), weighted_sum(t, sr),
                         weighted_sum(t, sc)};
    finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 3, NULL, 0, err));
    TapeState *st = tape_state_alloc(t);
    tape_forward(st, theta);
    double total = 0.0;
    for (int i = 0; i < 12; i++)
      total += theta[i];
    CHECK_NEAR(tape_value(st, s)[0], total, 1e-13);
    for (int j = 0; j < 4; j++)
      CHECK_NEAR(tape_value(st, sr)[j], theta[j] + theta[4 + j] + theta[8 + j],
                 1e-14);
    for (int i = 0; i < 3; i++)
      CHECK_NEAR(tape_value(st, sc)[i],
                 theta[4 * i] + theta[4 * i + 1] + theta[4 * i + 2] +
                     theta[4 * i + 3],
                 1e-14);
    tape_state_free(st);
    check_gradient(t, theta, "SUM, SUM_ROWS, SUM_COLS");
    tape_free(t);
  }
}

static void test_logsumexp(void) {
  char err[TAPE_ERR_LEN];
  for (int rep = 0; rep < 3; rep++) {
    double theta[6];
    fill(theta, 6, -3.1, 4.7);
    Tape *t = tape_alloc(6);
    TapeSlot y = tape_op1(t, TAPE_LOGSUMEXP, tape_param(t, 0, 2, 2, 3), err);
    finish(t, tape_op2(t, TAPE_MUL, y, tape_scalar(t, -1.37), err));
    TapeState *st = tape_state_alloc(t);
    double s = 0.0;
    for (int i = 0; i < 6; i++)
      s += exp(theta[i]);
    CHECK_NEAR(tape_logp(st, theta), -1.37 * log(s), 1e-13);
    tape_state_free(st);
    check_gradient(t, theta, "LOGSUMEXP");
    tape_free(t);
  }
  /* stable for large arguments; -inf when every element is -inf */
  double big[3] = {1000.0, 1001.0, 999.0};
  Tape *t = tape_alloc(3);
  finish(t, tape_op1(t, TAPE_LOGSUMEXP, tape_param(t, 0, 1, 3, 1), err));
  TapeState *st = tape_state_alloc(t);
  double g[3];
  CHECK_NEAR(tape_logp_grad(st, big, g),
             1001.0 + log(1.0 + exp(-1.0) + exp(-2.0)), 1e-12);
  CHECK_NEAR(g[0] + g[1] + g[2], 1.0, 1e-14);
  CHECK_NEAR(g[1], 1.0 / (1.0 + exp(-1.0) + exp(-2.0)), 1e-14);
  double ninf[3] = {-INFINITY, -INFINITY, -INFINITY};
  CHECK(tape_logp(st, ninf) == -INFINITY);
  tape_state_free(st);
  tape_free(t);
  double mixed[3] = {-INFINITY, 0.5, 1.5};
  t = tape_alloc(3);
  finish(t, tape_op1(t, TAPE_LOGSUMEXP, tape_param(t, 0, 1, 3, 1), err));
  st = tape_state_alloc(t);
  CHECK_NEAR(tape_logp_grad(st, mixed, g), log(exp(0.5) + exp(1.5)), 1e-14);
  CHECK_NEAR(g[0], 0.0, 0.0);
  tape_state_free(st);
  tape_free(t);
}

static void test_sum_scalars(void) {
  char err[TAPE_ERR_LEN];
  double theta[3] = {1.37, -2.21, 0.83};
  Tape *t = tape_alloc(3);
  TapeSlot in[5] = {tape_param(t, 0, 0, 1, 1), tape_scalar(t, 4.25),
                    tape_param(t, 1, 0, 1, 1), tape_param(t, 2, 1, 1, 1),
                    tape_param(t, 0, 0, 1, 1)};
  TapeSlot y = tape_op(t, TAPE_SUM_SCALARS, in, 5, NULL, 0, err);
  finish(t, tape_op2(t, TAPE_MUL, y, y, err));
  TapeState *st = tape_state_alloc(t);
  const double s = 2 * 1.37 + 4.25 - 2.21 + 0.83;
  double g[3];
  CHECK_NEAR(tape_logp_grad(st, theta, g), s * s, 1e-13);
  CHECK_NEAR(g[0], 4.0 * s, 1e-13);
  CHECK_NEAR(g[1], 2.0 * s, 1e-13);
  tape_state_free(st);
  check_gradient(t, theta, "SUM_SCALARS");
  tape_free(t);
  /* no inputs: 0 */
  t = tape_alloc(0);
  finish(t, tape_op(t, TAPE_SUM_SCALARS, NULL, 0, NULL, 0, err));
  st = tape_state_alloc(t);
  CHECK_NEAR(tape_logp(st, NULL), 0.0, 0.0);
  tape_state_free(st);
  tape_free(t);
}

/* ---- linear algebra
 * ---------------------------------------------------------- */

static void test_dot(void) {
  char err[TAPE_ERR_LEN];
  for (int dep = 1; dep <= 3; dep++) {
    double theta[10], w[5];
    fill(theta, 10, -2.7, 3.3);
    fill(w, 5, -1.9, 2.1);
    Tape *t = tape_alloc(0);
    TapeSlot a =
        dep & 1 ? tape_param(t, 0, 1, 5, 1) : tape_const(t, 1, 5, 1, theta);
    TapeSlot b =
        dep & 2 ? tape_param(t, 5, 1, 5, 1) : tape_const(t, 1, 5, 1, theta + 5);
    if (dep == 2)
      tape_param(t, 0, 1, 5, 1); /* keep theta's layout */
    TapeSlot y = tape_op2(t, TAPE_DOT, a, b, err);
    finish(t, tape_op2(t, TAPE_MUL, y, y, err));
    TapeState *st = tape_state_alloc(t);
    double d = 0.0;
    for (int i = 0; i < 5; i++)
      d += theta[i] * theta[5 + i];
    CHECK_NEAR(tape_logp(st, theta), d * d, 1e-12);
    tape_state_free(st);
    check_gradient(t, theta, "DOT");
    tape_free(t);
  }
}

static void test_matvec(void) {
  char err[TAPE_ERR_LEN];
  for (int dep = 1; dep <= 3; dep++) {
    double theta[4 * 3 + 3];
    fill(theta, 15, -2.1, 2.7);
    Tape *t = tape_alloc(15);
    TapeSlot m =
        dep & 1 ? tape_param(t, 0, 2, 4, 3) : tape_const(t, 2, 4, 3, theta);
    TapeSlot x = dep & 2 ? tape_param(t, 12, 1, 3, 1)
                         : tape_const(t, 1, 3, 1, theta + 12);
    TapeSlot y = tape_op2(t, TAPE_MATVEC, m, x, err);
    finish(t, weighted_sum(t, y));
    TapeState *st = tape_state_alloc(t);
    tape_forward(st, theta);
    for (int i = 0; i < 4; i++) {
      double want = 0.0;
      for (int j = 0; j < 3; j++)
        want += theta[3 * i + j] * theta[12 + j];
      CHECK_NEAR(tape_value(st, y)[i], want, 1e-13);
    }
    tape_state_free(st);
    check_gradient(t, theta, "MATVEC");
    tape_free(t);
  }
}

static void test_matmul(void) {
  char err[TAPE_ERR_LEN];
  for (int dep = 1; dep <= 3; dep++) {
    double theta[2 * 3 + 3 * 4];
    fill(theta, 18, -2.1, 2.7);
    Tape *t = tape_alloc(18);
    TapeSlot a =
        dep & 1 ? tape_param(t, 0, 2, 2, 3) : tape_const(t, 2, 2, 3, theta);
    TapeSlot b =
        dep & 2 ? tape_param(t, 6, 2, 3, 4) : tape_const(t, 2, 3, 4, theta + 6);
    TapeSlot y = tape_op2(t, TAPE_MATMUL, a, b, err);
    finish(t, weighted_sum(t, y));
    TapeState *st = tape_state_alloc(t);
    tape_forward(st, theta);
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 4; j++) {
        double want = 0.0;
        for (int k = 0; k < 3; k++)
          want += theta[3 * i + k] * theta[6 + 4 * k + j];
        CHECK_NEAR(tape_value(st, y)[4 * i + j], want, 1e-13);
      }
    tape_state_free(st);
    check_gradient(t, theta, "MATMUL");
    tape_free(t);
  }
}

static void test_transpose(void) {
  char err[TAPE_ERR_LEN];
  double theta[6];
  fill(theta, 6, -2.1, 2.7);
  Tape *t = tape_alloc(6);
  TapeSlot y = tape_op1(t, TAPE_TRANSPOSE, tape_param(t, 0, 2, 2, 3), err);
  int nd;
  size_t r, c;
  tape_shape(t, y, &nd, &r, &c);
  CHECK(nd == 2 && r == 3 && c == 2);
  /* transposing a vector is the vector itself */
  TapeSlot v = tape_op1(t, TAPE_TRANSPOSE, tape_param(t, 0, 1, 6, 1), err);
  CHECK_EQ_INT(tape_shape(t, v, &nd, &r, &c), 6);
  CHECK_EQ_INT(nd, 1);
  TapeSlot terms[2] = {weighted_sum(t, y), weighted_sum(t, v)};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  TapeState *st = tape_state_alloc(t);
  tape_forward(st, theta);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++)
      CHECK_NEAR(tape_value(st, y)[2 * j + i], theta[3 * i + j], 0.0);
  CHECK_NEAR(tape_value(st, v)[4], theta[4], 0.0);
  tape_state_free(st);
  check_gradient(t, theta, "TRANSPOSE");
  tape_free(t);
}

/* theta as a symmetric positive-definite n x n matrix M M^T / n + I with
 * M random. */
static void spd_matrix(double *a, size_t n) {
  double *m = doubles(n * n);
  fill(m, n * n, -1.3, 1.7);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      double s = i == j ? 1.0 : 0.0;
      for (size_t k = 0; k < n; k++)
        s += m[i * n + k] * m[j * n + k] / (double)n;
      a[i * n + j] = s;
    }
  free(m);
}

/* CHOLESKY of a parameter matrix: L L^T reproduces the lower triangle, the
 * upper triangle of L is zero, and the gradient (upper triangle of A: zero)
 * matches finite differences. */
static void test_cholesky_n(size_t n, bool full_fd) {
  char err[TAPE_ERR_LEN], what[64];
  snprintf(what, sizeof what, "CHOLESKY of %zu x %zu", n, n);
  double *a = doubles(n * n);
  spd_matrix(a, n);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      a[i * n + j] = unif(-9.0, 9.0); /* never read */
  Tape *t = tape_alloc(n * n);
  TapeSlot l = tape_op1(t, TAPE_CHOLESKY, tape_param(t, 0, 2, n, n), err);
  finish(t, weighted_sum(t, l));
  TapeState *st = tape_state_alloc(t);
  double *g = doubles(n * n);
  CHECK(isfinite(tape_logp_grad(st, a, g)));
  const double *L = tape_value(st, l);
  double worst = 0.0, upper = 0.0, gup = 0.0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      if (j > i) {
        upper = fmax(upper, fabs(L[i * n + j]));
        gup = fmax(gup, fabs(g[i * n + j]));
        continue;
      }
      double s = 0.0;
      for (size_t k = 0; k <= j; k++)
        s += L[i * n + k] * L[j * n + k];
      worst = fmax(worst, fabs(s - a[i * n + j]));
    }
  if (!CHECK(worst < 1e-12 * (double)n))
    fprintf(stderr, "  %s: |L L^T - A| = %g\n", what, worst);
  CHECK_NEAR(upper, 0.0, 0.0);
  CHECK_NEAR(gup, 0.0, 0.0);
  tape_state_free(st);
  if (full_fd)
    check_gradient(t, a, what);
  else
    check_directional(t, a, what);
  free(g);
  free(a);
  tape_free(t);
}

/* CHOLESKY of a symmetric matrix built on the tape, K = M M^T + 2.5 I: the
 * gradient reaches both triangles through the product. */
static void test_cholesky_chain(void) {
  char err[TAPE_ERR_LEN];
  const size_t n = 4;
  double theta[16], eye[16] = {0};
  fill(theta, 16, -1.4, 1.9);
  for (size_t i = 0; i < n; i++)
    eye[i * n + i] = 2.5;
  Tape *t = tape_alloc(16);
  TapeSlot m = tape_param(t, 0, 2, n, n);
  TapeSlot k = tape_op2(
      t, TAPE_ADD,
      tape_op2(t, TAPE_MATMUL, m, tape_op1(t, TAPE_TRANSPOSE, m, err), err),
      tape_const(t, 2, n, n, eye), err);
  TapeSlot l = tape_op1(t, TAPE_CHOLESKY, k, err);
  TapeSlot terms[2] = {weighted_sum(t, l),
                       tape_op1(t, TAPE_LOG_DIAG_SUM, l, err)};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  check_gradient(t, theta, "CHOLESKY of M M^T + 2.5 I");
  tape_free(t);
}

/* A matrix that is not positive definite gives -inf, not a crash; the next
 * good point is fine again. A constant one makes every evaluation -inf. */
static void test_cholesky_failure(void) {
  char err[TAPE_ERR_LEN];
  Tape *t = tape_alloc(4);
  finish(t, tape_op1(t, TAPE_LOG_DIAG_SUM,
                     tape_op1(t, TAPE_CHOLESKY, tape_param(t, 0, 2, 2, 2), err),
                     err));
  TapeState *st = tape_state_alloc(t);
  double bad[4] = {1.0, 0.0, 2.0, 1.0}, good[4] = {4.0, 0.0, 1.0, 2.25};
  double g[4] = {7, 7, 7, 7};
  CHECK(tape_logp_grad(st, bad, g) == -INFINITY);
  CHECK(g[0] == 0.0 && g[1] == 0.0 && g[2] == 0.0 && g[3] == 0.0);
  double nan_m[4] = {NAN, 0.0, 0.0, 1.0};
  CHECK(tape_logp(st, nan_m) == -INFINITY);
  /* L = [2 0; 0.5 sqrt(2)]: log det / 2 = log 2 + log sqrt 2 */
  CHECK_NEAR(tape_logp_grad(st, good, g), log(2.0) + 0.5 * log(2.0), 1e-14);
  CHECK(tape_logp(st, bad) == -INFINITY);
  tape_state_free(st);
  tape_free(t);

  t = tape_alloc(1);
  TapeSlot c = tape_const(t, 2, 2, 2, bad);
  TapeSlot terms[2] = {
      tape_op1(t, TAPE_LOG_DIAG_SUM, tape_op1(t, TAPE_CHOLESKY, c, err), err),
      tape_op1(t, TAPE_SUM, tape_param(t, 0, 1, 1, 1), err)};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  CHECK(!tape_depends(t, terms[0]));
  st = tape_state_alloc(t);
  double x = 0.5, gx = 3.0;
  CHECK(tape_logp_grad(st, &x, &gx) == -INFINITY);
  CHECK_NEAR(gx, 0.0, 0.0);
  CHECK(tape_logp(st, &x) == -INFINITY);
  tape_state_free(st);
  tape_free(t);
}

static void test_cholesky(void) {
  for (size_t n = 1; n <= 5; n++)
    test_cholesky_n(n, true);
  test_cholesky_n(9, true);
  /* past one block (64): the blocked forward and reverse */
  test_cholesky_n(64, false);
  test_cholesky_n(65, false);
  test_cholesky_n(150, false);
  test_cholesky_n(70, true);
  test_cholesky_chain();
  test_cholesky_failure();
}

/* TRI_SOLVE with a vector or matrix right-hand side, L and b depending on
 * theta or not. */
static void test_tri_solve_case(size_t n, size_t k, bool vec, int dep) {
  char err[TAPE_ERR_LEN], what[80];
  snprintf(what, sizeof what, "TRI_SOLVE %zu x %zu by %s (dep %d)", n, n,
           vec ? "a vector" : "a matrix", dep);
  const size_t nb = vec ? n : n * k;
  double *theta = doubles(n * n + nb);
  fill(theta, n * n, -0.9, 0.9);
  for (size_t i = 0; i < n; i++)
    theta[i * n + i] = signed_unif(1.5, 2.7);
  fill(theta + n * n, nb, -2.3, 2.9);
  Tape *t = tape_alloc(n * n + nb);
  TapeSlot l =
      dep & 1 ? tape_param(t, 0, 2, n, n) : tape_const(t, 2, n, n, theta);
  TapeSlot b = vec ? (dep & 2 ? tape_param(t, n * n, 1, n, 1)
                              : tape_const(t, 1, n, 1, theta + n * n))
                   : (dep & 2 ? tape_param(t, n * n, 2, n, k)
                              : tape_const(t, 2, n, k, theta + n * n));
  TapeSlot x = tape_op2(t, TAPE_TRI_SOLVE, l, b, err);
  finish(t, weighted_sum(t, x));
  TapeState *st = tape_state_alloc(t);
  tape_forward(st, theta);
  const double *xv = tape_value(st, x);
  const size_t kk = vec ? 1 : k;
  double worst = 0.0;
  for (size_t i = 0; i < n; i++) /* L x = b, lower triangle only */
    for (size_t c = 0; c < kk; c++) {
      double s = 0.0;
      for (size_t j = 0; j <= i; j++)
        s += theta[i * n + j] * xv[j * kk + c];
      worst = fmax(worst, fabs(s - theta[n * n + i * kk + c]));
    }
  CHECK(worst < 1e-12);
  tape_state_free(st);
  check_gradient(t, theta, what);
  free(theta);
  tape_free(t);
}

static void test_tri_solve(void) {
  for (int dep = 1; dep <= 3; dep++) {
    test_tri_solve_case(4, 1, true, dep);
    test_tri_solve_case(3, 2, false, dep);
  }
  test_tri_solve_case(1, 1, true, 3);
  test_tri_solve_case(6, 3, false, 3);
}

static void test_log_diag_sum(void) {
  char err[TAPE_ERR_LEN];
  double theta[9];
  fill(theta, 9, 0.3, 3.7);
  Tape *t = tape_alloc(9);
  TapeSlot y = tape_op1(t, TAPE_LOG_DIAG_SUM, tape_param(t, 0, 2, 3, 3), err);
  finish(t, tape_op2(t, TAPE_MUL, y, tape_scalar(t, 1.7), err));
  TapeState *st = tape_state_alloc(t);
  CHECK_NEAR(tape_logp(st, theta),
             1.7 * (log(theta[0]) + log(theta[4]) + log(theta[8])), 1e-14);
  tape_state_free(st);
  check_gradient(t, theta, "LOG_DIAG_SUM");
  tape_free(t);
}

/* ---- rearrangements
 * ------------------------------------------------------------ */

static void test_gather(void) {
  char err[TAPE_ERR_LEN];
  double theta[6];
  fill(theta, 6, -2.9, 3.1);
  const size_t idx[8] = {5, 0, 2, 2, 5, 1, 0, 2}; /* repeats: sums back */
  Tape *t = tape_alloc(6);
  TapeSlot x = tape_param(t, 0, 1, 6, 1);
  TapeSlot y = tape_op(t, TAPE_GATHER, &x, 1, idx, 8, err);
  CHECK_EQ_INT(slot_len(t, y), 8);
  finish(t, weighted_sum(t, tape_op1(t, TAPE_EXP, y, err)));
  TapeState *st = tape_state_alloc(t);
  tape_forward(st, theta);
  for (int i = 0; i < 8; i++)
    CHECK_NEAR(tape_value(st, y)[i], theta[idx[i]], 0.0);
  tape_state_free(st);
  check_gradient(t, theta, "GATHER");
  tape_free(t);
  /* GATHER of a scalar; of nothing */
  t = tape_alloc(1);
  const size_t zeros[3] = {0, 0, 0};
  x = tape_param(t, 0, 0, 1, 1);
  y = tape_op(t, TAPE_GATHER, &x, 1, zeros, 3, err);
  TapeSlot none = tape_op(t, TAPE_GATHER, &x, 1, NULL, 0, err);
  CHECK_EQ_INT(slot_len(t, none), 0);
  TapeSlot terms[2] = {weighted_sum(t, y), tape_op1(t, TAPE_SUM, none, err)};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  double p = 1.3;
  check_gradient(t, &p, "GATHER of a scalar");
  tape_free(t);
}

static void test_gather_rows(void) {
  char err[TAPE_ERR_LEN];
  double theta[12];
  fill(theta, 12, -2.9, 3.1);
  const size_t idx[5] = {3, 0, 3, 1, 1};
  Tape *t = tape_alloc(12);
  TapeSlot x = tape_param(t, 0, 2, 4, 3);
  TapeSlot y = tape_op(t, TAPE_GATHER_ROWS, &x, 1, idx, 5, err);
  int nd;
  size_t r, c;
  tape_shape(t, y, &nd, &r, &c);
  CHECK(nd == 2 && r == 5 && c == 3);
  finish(t, weighted_sum(t, tape_op1(t, TAPE_SIN, y, err)));
  TapeState *st = tape_state_alloc(t);
  tape_forward(st, theta);
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 3; j++)
      CHECK_NEAR(tape_value(st, y)[3 * i + j], theta[3 * idx[i] + j], 0.0);
  tape_state_free(st);
  check_gradient(t, theta, "GATHER_ROWS");
  tape_free(t);
}

static void test_stack(void) {
  char err[TAPE_ERR_LEN];
  double theta[6];
  fill(theta, 6, -2.9, 3.1);
  const double c2[2] = {0.75, -1.25};
  Tape *t = tape_alloc(6);
  TapeSlot in[5] = {tape_param(t, 0, 0, 1, 1), tape_const(t, 1, 2, 1, c2),
                    tape_param(t, 1, 1, 3, 1), tape_scalar(t, 3.5),
                    tape_param(t, 4, 1, 2, 1)};
  TapeSlot y = tape_op(t, TAPE_STACK, in, 5, NULL, 0, err);
  CHECK_EQ_INT(slot_len(t, y), 9);
  finish(t, weighted_sum(t, tape_op1(t, TAPE_SQUARE, y, err)));
  TapeState *st = tape_state_alloc(t);
  tape_forward(st, theta);
  const double want[9] = {theta[0], 0.75, -1.25,    theta[1], theta[2],
                          theta[3], 3.5,  theta[4], theta[5]};
  for (int i = 0; i < 9; i++)
    CHECK_NEAR(tape_value(st, y)[i], want[i], 0.0);
  tape_state_free(st);
  check_gradient(t, theta, "STACK");
  tape_free(t);
}

static void test_reshape_copy(void) {
  char err[TAPE_ERR_LEN];
  double theta[6];
  fill(theta, 6, -2.9, 3.1);
  Tape *t = tape_alloc(6);
  TapeSlot x = tape_param(t, 0, 1, 6, 1);
  const size_t shape[3] = {2, 3, 2};
  TapeSlot m = tape_op(t, TAPE_RESHAPE, &x, 1, shape, 3, err);
  int nd;
  size_t r, c;
  tape_shape(t, m, &nd, &r, &c);
  CHECK(nd == 2 && r == 3 && c == 2);
  TapeSlot cp = tape_op1(t, TAPE_COPY, m, err);
  /* COPY and RESHAPE share storage: the column sums see x */
  TapeSlot s = tape_op1(t, TAPE_SUM_ROWS, cp, err);
  const size_t back[3] = {1, 6, 1};
  TapeSlot flat = tape_op(t, TAPE_RESHAPE, &m, 1, back, 3, err);
  TapeSlot terms[2] = {weighted_sum(t, tape_op1(t, TAPE_EXP, s, err)),
                       weighted_sum(t, tape_op1(t, TAPE_TANH, flat, err))};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  CHECK(tape_depends(t, cp));
  TapeState *st = tape_state_alloc(t);
  tape_forward(st, theta);
  CHECK_NEAR(tape_value(st, cp)[3], theta[3], 0.0);
  CHECK_NEAR(tape_value(st, s)[1], theta[1] + theta[3] + theta[5], 1e-15);
  tape_state_free(st);
  check_gradient(t, theta, "RESHAPE and COPY");
  tape_free(t);
}

static void test_broadcast_op(void) {
  char err[TAPE_ERR_LEN];
  static const struct {
    int from; /* index into SHAPES */
    size_t to[3];
  } cases[] = {
      {0, {2, 2, 3}}, {1, {2, 2, 3}}, {2, {2, 4, 3}}, {3, {2, 2, 3}},
      {4, {2, 2, 3}}, {0, {1, 5, 1}}, {1, {1, 3, 1}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const Shape *sh = &SHAPES[cases[i].from];
    const size_t n = shape_len(sh);
    double theta[6];
    fill(theta, n, -2.9, 3.1);
    Tape *t = tape_alloc(n);
    TapeSlot x = tape_param(t, 0, sh->ndim, sh->rows, sh->cols);
    TapeSlot y = tape_op(t, TAPE_BROADCAST, &x, 1, cases[i].to, 3, err);
    if (!CHECK(y != TAPE_NONE)) {
      fprintf(stderr, "  %s\n", err);
      tape_free(t);
      continue;
    }
    int nd;
    size_t r, c;
    size_t len = tape_shape(t, y, &nd, &r, &c);
    CHECK_EQ_INT(nd, (int)cases[i].to[0]);
    finish(t, weighted_sum(t, tape_op1(t, TAPE_COS, y, err)));
    TapeState *st = tape_state_alloc(t);
    tape_forward(st, theta);
    size_t ra, ca, R = nd == 2 ? r : 1, C = nd == 2 ? c : len;
    grid(sh, &ra, &ca);
    bool ok = true;
    for (size_t p = 0; p < R; p++)
      for (size_t q = 0; q < C; q++)
        ok = ok && tape_value(st, y)[p * C + q] ==
                       theta[(ra == 1 ? 0 : p) * ca + (ca == 1 ? 0 : q)];
    CHECK(ok);
    tape_state_free(st);
    check_gradient(t, theta, "BROADCAST");
    tape_free(t);
  }
}

/* ---- distributions
 * ----------------------------------------------------------- */

static double normal_sum(const double *x, size_t nx, const double *mu,
                         size_t nm, const double *sigma, size_t ns) {
  size_t n = nx > nm ? nx : nm;
  n = n > ns ? n : ns;
  double lp = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double z =
        (x[nx > 1 ? i : 0] - mu[nm > 1 ? i : 0]) / sigma[ns > 1 ? i : 0];
    lp += -0.5 * z * z - log(sigma[ns > 1 ? i : 0]) - HALF_LOG_2PI;
  }
  return lp;
}

/* DIST with x, mu, sigma of lengths {n, 1} in every combination and every
 * subset of them depending on theta; fused (unit adjoint) and not. */
static void test_dist_case(size_t nx, size_t nm, size_t ns, int dep,
                           bool fused) {
  char err[TAPE_ERR_LEN], what[96];
  snprintf(what, sizeof what, "DIST Normal(%zu | %zu, %zu), dep %d%s", nx, nm,
           ns, dep, fused ? ", fused" : "");
  double theta[16], x[5], mu[5], sigma[5];
  fill(x, nx, -2.3, 3.1);
  fill(mu, nm, -1.1, 1.7);
  fill(sigma, ns, 0.6, 2.4);
  Tape *t = tape_alloc(0);
  size_t dim = 0;
  const size_t len[3] = {nx, nm, ns};
  double *vals[3] = {x, mu, sigma};
  TapeSlot in[3];
  for (int k = 0; k < 3; k++) {
    const int nd = len[k] == 1 ? 0 : 1;
    if (dep & (1 << k)) {
      in[k] = tape_param(t, dim, nd, len[k], 1);
      memcpy(theta + dim, vals[k], len[k] * sizeof(double));
      dim += len[k];
    } else {
      in[k] = tape_const(t, nd, len[k], 1, vals[k]);
    }
  }
  TapeSlot d = tape_dist(t, &test_normal, in[0], in + 1, 2, err);
  if (!CHECK(d != TAPE_NONE)) {
    fprintf(stderr, "  %s: %s\n", what, err);
    tape_free(t);
    return;
  }
  TapeSlot prior = tape_op1(t, TAPE_SUM, tape_param(t, 0, 1, dim, 1), err);
  TapeSlot terms[2] = {
      fused ? d : tape_op2(t, TAPE_MUL, d, tape_scalar(t, 1.3), err), prior};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  double s = 0.0;
  for (size_t i = 0; i < dim; i++)
    s += theta[i];
  TapeState *st = tape_state_alloc(t);
  long before = normal_calls;
  double g[16];
  const double want =
      (fused ? 1.0 : 1.3) * normal_sum(x, nx, mu, nm, sigma, ns) + s;
  CHECK_NEAR(tape_logp_grad(st, theta, g), want, 1e-12 * (1 + fabs(want)));
  /* fused: one call of the family per gradient; otherwise two */
  CHECK_EQ_INT(normal_calls - before, fused ? 1 : 2);
  tape_state_free(st);
  check_gradient(t, theta, what);
  tape_free(t);
}

static void test_dist(void) {
  static const size_t lens[][3] = {
      {5, 1, 1}, {5, 5, 1}, {5, 1, 5}, {5, 5, 5}, {1, 5, 1}, {1, 1, 1},
  };
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
    for (int dep = 1; dep < 8; dep++) {
      test_dist_case(lens[i][0], lens[i][1], lens[i][2], dep, true);
      test_dist_case(lens[i][0], lens[i][1], lens[i][2], dep, false);
    }
}

/* A DIST read twice is not fused: both readers' adjoints reach it. */
static void test_dist_twice(void) {
  char err[TAPE_ERR_LEN];
  const double y[4] = {0.3, -1.2, 2.2, 0.9};
  Tape *t = tape_alloc(2);
  TapeSlot p[2] = {tape_param(t, 0, 0, 1, 1), tape_param(t, 1, 0, 1, 1)};
  TapeSlot d = tape_dist(t, &test_normal, tape_const(t, 1, 4, 1, y), p, 2, err);
  TapeSlot twice[2] = {d, d};
  TapeSlot terms[2] = {tape_op(t, TAPE_SUM_SCALARS, twice, 2, NULL, 0, err),
                       tape_op2(t, TAPE_MUL, d, tape_scalar(t, 0.5), err)};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  double theta[2] = {0.35, 1.45};
  check_gradient(t, theta, "DIST read twice");
  tape_free(t);
}

/* A DIST outside its support: -inf and the gradient zeroed. */
static void test_dist_support(void) {
  char err[TAPE_ERR_LEN];
  const double y[4] = {0.3, -1.2, 2.2, 0.9};
  Tape *t = tape_alloc(2);
  TapeSlot p[2] = {tape_param(t, 0, 0, 1, 1), tape_param(t, 1, 0, 1, 1)};
  finish(t, tape_dist(t, &test_normal, tape_const(t, 1, 4, 1, y), p, 2, err));
  TapeState *st = tape_state_alloc(t);
  double theta[2] = {0.4, -1.5}, g[2] = {5.0, 5.0};
  CHECK(tape_logp_grad(st, theta, g) == -INFINITY);
  CHECK(g[0] == 0.0 && g[1] == 0.0);
  CHECK(tape_logp(st, theta) == -INFINITY);
  theta[1] = 1.5;
  CHECK(isfinite(tape_logp_grad(st, theta, g)));
  tape_state_free(st);
  tape_free(t);
}

/* A multivariate family: the shape check and events of mu's length. */
static void test_dist_multivariate(void) {
  char err[TAPE_ERR_LEN];
  double theta[9];
  fill(theta, 9, -2.1, 2.3);
  Tape *t = tape_alloc(9);
  TapeSlot mu = tape_param(t, 0, 1, 3, 1);
  TapeSlot x = tape_param(t, 3, 2, 2, 3);
  TapeSlot d = tape_dist(t, &test_mv, x, &mu, 1, err);
  CHECK(d != TAPE_NONE);
  TapeSlot bad = tape_param(t, 3, 1, 4, 1);
  CHECK(tape_dist(t, &test_mv, bad, &mu, 1, err) == TAPE_NONE);
  CHECK_EQ_STR(err, "MvTest: the value has shape (4) but one draw has shape "
                    "(3)");
  TapeSlot m2 = tape_param(t, 0, 2, 1, 3);
  CHECK(tape_dist(t, &test_mv, x, &m2, 1, err) == TAPE_NONE);
  CHECK_EQ_STR(err, "MvTest(): mu must be a vector");
  finish(t, tape_op2(t, TAPE_MUL, d, tape_scalar(t, 0.7), err));
  check_gradient(t, theta, "DIST MvTest");
  tape_free(t);
}

/* ---- model-shaped tapes
 * ------------------------------------------------------ */

/* Linear regression y ~ Normal(X beta + alpha, sigma), sigma = exp(s): the
 * tape's gradient against the hand-written one. */
static void test_linreg(void) {
  enum { N = 40, K = 3 };
  char err[TAPE_ERR_LEN];
  double X[N * K], y[N], theta[K + 2];
  fill(X, N * K, -1.7, 2.3);
  fill(y, N, -3.1, 4.3);
  fill(theta, K + 2, -0.9, 1.1);
  Tape *t = tape_alloc(0);
  TapeSlot beta = tape_param(t, 0, 1, K, 1);
  TapeSlot alpha = tape_param(t, K, 0, 1, 1);
  TapeSlot s = tape_param(t, K + 1, 0, 1, 1);
  TapeSlot mu =
      tape_op2(t, TAPE_ADD,
               tape_op2(t, TAPE_MATVEC, tape_const(t, 2, N, K, X), beta, err),
               alpha, err);
  TapeSlot ps[2] = {mu, tape_op1(t, TAPE_EXP, s, err)};
  TapeSlot lik =
      tape_dist(t, &test_normal, tape_const(t, 1, N, 1, y), ps, 2, err);
  TapeSlot terms[2] = {lik, s}; /* + log Jacobian of sigma = exp(s) */
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  CHECK_EQ_INT(tape_dim(t), K + 2);
  TapeState *st = tape_state_alloc(t);
  double g[K + 2], want[K + 2] = {0};
  const double lp = tape_logp_grad(st, theta, g);
  const double sigma = exp(theta[K + 1]);
  double lp_hand = theta[K + 1];
  for (int i = 0; i < N; i++) {
    double m = theta[K];
    for (int k = 0; k < K; k++)
      m += X[i * K + k] * theta[k];
    const double z = (y[i] - m) / sigma;
    lp_hand += -0.5 * z * z - log(sigma) - HALF_LOG_2PI;
    for (int k = 0; k < K; k++)
      want[k] += z / sigma * X[i * K + k];
    want[K] += z / sigma;
    want[K + 1] += z * z - 1.0;
  }
  want[K + 1] += 1.0;
  CHECK_NEAR(lp, lp_hand, 1e-11);
  for (int k = 0; k < K + 2; k++)
    CHECK_NEAR(g[k], want[k], 1e-11);
  tape_state_free(st);
  check_gradient(t, theta, "linear regression");
  tape_free(t);
}

/* Varying intercepts y ~ Normal(a[group] + b x, sigma), a ~ Normal(mu_a,
 * 1.5): GATHER in a model. */
static void test_varying_intercepts(void) {
  enum { N = 30, J = 4 };
  char err[TAPE_ERR_LEN];
  double x[N], y[N], theta[J + 2];
  size_t group[N];
  fill(x, N, -1.7, 2.3);
  fill(y, N, -3.1, 4.3);
  fill(theta, J + 2, -0.9, 1.1);
  for (int i = 0; i < N; i++)
    group[i] = (size_t)(unif01() * J);
  Tape *t = tape_alloc(J + 2);
  TapeSlot a = tape_param(t, 0, 1, J, 1);
  TapeSlot mua = tape_param(t, J, 0, 1, 1);
  TapeSlot b = tape_param(t, J + 1, 0, 1, 1);
  TapeSlot ag = tape_op(t, TAPE_GATHER, &a, 1, group, N, err);
  TapeSlot mu =
      tape_op2(t, TAPE_ADD, ag,
               tape_op2(t, TAPE_MUL, b, tape_const(t, 1, N, 1, x), err), err);
  TapeSlot p1[2] = {mu, tape_scalar(t, 0.8)};
  TapeSlot p2[2] = {mua, tape_scalar(t, 1.5)};
  TapeSlot terms[2] = {
      tape_dist(t, &test_normal, tape_const(t, 1, N, 1, y), p1, 2, err),
      tape_dist(t, &test_normal, a, p2, 2, err)};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  check_gradient(t, theta, "varying intercepts");
  tape_free(t);
}

/* A small network: tanh(W x + b) -> softplus, relu, elu, leaky relu
 * layers, then a logistic likelihood through LOG_LOGISTIC. */
static void test_network(void) {
  enum { IN = 3, H = 4, N = 6 };
  char err[TAPE_ERR_LEN];
  double X[N * IN], theta[IN * H + H + H];
  fill(X, N * IN, -1.5, 1.5);
  fill(theta, IN * H + 2 * H, -0.8, 0.9);
  Tape *t = tape_alloc(0);
  TapeSlot W = tape_param(t, 0, 2, IN, H);
  TapeSlot bias = tape_param(t, IN * H, 1, H, 1);
  TapeSlot v = tape_param(t, IN * H + H, 1, H, 1);
  TapeSlot h = tape_op1(
      t, TAPE_TANH,
      tape_op2(t, TAPE_ADD,
               tape_op2(t, TAPE_MATMUL, tape_const(t, 2, N, IN, X), W, err),
               bias, err),
      err);
  const double alpha = 0.1;
  TapeSlot h2 = tape_op(t, TAPE_LEAKY_RELU, &h, 1, &alpha, 1, err);
  TapeSlot h3 = tape_op2(t, TAPE_ADD, tape_op1(t, TAPE_ELU, h2, err),
                         tape_op1(t, TAPE_SOFTPLUS, h, err), err);
  TapeSlot logit = tape_op2(t, TAPE_MATVEC, h3, v, err);
  finish(t, tape_op1(t, TAPE_SUM, tape_op1(t, TAPE_LOG_LOGISTIC, logit, err),
                     err));
  for (int rep = 0; rep < 3; rep++) {
    check_gradient(t, theta, "network");
    fill(theta, IN * H + 2 * H, -0.8, 0.9);
  }
  tape_free(t);
}

/* ---- network ops: AFFINE, the losses, LAYER_NORM -------------------------- */

/* AFFINE(x, W, b) with each of the three depending on theta or not. */
static void test_affine(void) {
  enum { R = 5, K = 3, C = 4, NX = R * K, NW = K * C, N = NX + NW + C };
  char err[TAPE_ERR_LEN];
  for (int dep = 1; dep <= 7; dep++) {
    double theta[N];
    fill(theta, N, -2.1, 2.7);
    Tape *t = tape_alloc(N);
    TapeSlot x = dep & 1 ? tape_param(t, 0, 2, R, K)
                         : tape_const(t, 2, R, K, theta);
    TapeSlot w = dep & 2 ? tape_param(t, NX, 2, K, C)
                         : tape_const(t, 2, K, C, theta + NX);
    TapeSlot b = dep & 4 ? tape_param(t, NX + NW, 1, C, 1)
                         : tape_const(t, 1, C, 1, theta + NX + NW);
    const TapeSlot in[3] = {x, w, b};
    TapeSlot y = tape_op(t, TAPE_AFFINE, in, 3, NULL, 0, err);
    int nd;
    size_t r, c;
    tape_shape(t, y, &nd, &r, &c);
    CHECK(nd == 2 && r == R && c == C);
    finish(t, weighted_sum(t, y));
    TapeState *st = tape_state_alloc(t);
    tape_forward(st, theta);
    for (int i = 0; i < R; i++)
      for (int j = 0; j < C; j++) {
        double want = theta[NX + NW + j];
        for (int k = 0; k < K; k++)
          want += theta[K * i + k] * theta[NX + C * k + j];
        CHECK_NEAR(tape_value(st, y)[C * i + j], want, 1e-13);
      }
    tape_state_free(st);
    check_gradient(t, theta, "AFFINE");
    tape_free(t);
  }
}

/* Direct sums of the three losses, b of length n or 1. */
static double loss_ref(TapeOp op, const double *a, const double *b, size_t n,
                       size_t nb) {
  double s = 0.0;
  for (size_t k = 0; k < n; k++) {
    const double x = a[k], y = b[nb == 1 ? 0 : k];
    if (op == TAPE_BCE_LOGITS) {
      const double p = 1.0 / (1.0 + exp(-x));
      s -= y * log(p) + (1.0 - y) * log(1.0 - p);
    } else if (op == TAPE_SQ_ERR) {
      s += (x - y) * (x - y);
    } else {
      s += 0.5 * (x * x + exp(y) - 1.0 - y);
    }
  }
  return s;
}

static void test_loss_case(TapeOp op, const Shape *sh, size_t nb, int dep,
                           double alpha) {
  char what[96], err[TAPE_ERR_LEN];
  snprintf(what, sizeof what, "%s on a %s, %zu target(s), dep %d",
           tape_op_name(op), sh->name, nb, dep);
  const size_t n = shape_len(sh);
  double *theta = doubles(n + nb);
  fill(theta, n, -2.3, 2.9);
  /* BCE targets in [0, 1] (soft labels too), log-variances anywhere */
  fill(theta + n, nb, op == TAPE_BCE_LOGITS ? 0.05 : -1.7, 0.95);
  Tape *t = tape_alloc(n + nb);
  TapeSlot a = dep & 1 ? tape_param(t, 0, sh->ndim, sh->rows, sh->cols)
                       : tape_const(t, sh->ndim, sh->rows, sh->cols, theta);
  const int bnd = nb == 1 ? 0 : 1;
  TapeSlot b = dep & 2 ? tape_param(t, n, bnd, nb, 1)
                       : tape_const(t, bnd, nb, 1, theta + n);
  const TapeSlot in[2] = {a, b};
  TapeSlot y = tape_op(t, op, in, 2, &alpha, 1, err);
  CHECK(y != TAPE_NONE);
  finish(t, y);
  TapeState *st = tape_state_alloc(t);
  const double want = alpha * loss_ref(op, theta, theta + n, n, nb);
  if (!CHECK_NEAR(tape_logp(st, theta), want, 1e-12 * (1.0 + fabs(want))))
    fprintf(stderr, "  in %s\n", what);
  tape_state_free(st);
  check_gradient(t, theta, what);
  tape_free(t);
  free(theta);
}

static void test_losses(void) {
  const TapeOp ops[3] = {TAPE_BCE_LOGITS, TAPE_SQ_ERR, TAPE_GAUSS_KL};
  for (int o = 0; o < 3; o++)
    for (int s = 0; s < NSHAPES; s++)
      for (int dep = 1; dep <= 3; dep++) {
        test_loss_case(ops[o], &SHAPES[s], shape_len(&SHAPES[s]), dep, 0.37);
        if (ops[o] != TAPE_GAUSS_KL)
          test_loss_case(ops[o], &SHAPES[s], 1, dep, -1.3);
      }
  /* the default scale is 1; BCE with |z| = 800 neither overflows nor
   * cancels: softplus(800) - 0 = 800, softplus(-800) + 800 * 1 = 800 */
  char err[TAPE_ERR_LEN];
  Tape *t = tape_alloc(2);
  const double y[2] = {0.0, 1.0};
  const TapeSlot in[2] = {tape_param(t, 0, 1, 2, 1), tape_const(t, 1, 2, 1, y)};
  finish(t, tape_op(t, TAPE_BCE_LOGITS, in, 2, NULL, 0, err));
  TapeState *st = tape_state_alloc(t);
  double z[2] = {800.0, -800.0}, g[2];
  CHECK_NEAR(tape_logp_grad(st, z, g), 1600.0, 1e-12);
  CHECK_NEAR(g[0], 1.0, 1e-15);
  CHECK_NEAR(g[1], -1.0, 1e-15);
  z[0] = -40.0, z[1] = 40.0; /* tiny losses keep their digits */
  CHECK_NEAR(tape_logp_grad(st, z, g) / (2.0 * exp(-40.0)), 1.0, 1e-12);
  CHECK_NEAR(g[0] / exp(-40.0), 1.0, 1e-12);
  tape_state_free(st);
  tape_free(t);
}

static void test_layer_norm(void) {
  enum { R = 3, C = 5, N = R * C };
  char err[TAPE_ERR_LEN];
  Tape *t = tape_alloc(N);
  TapeSlot x = tape_param(t, 0, 2, R, C);
  TapeSlot y = tape_op1(t, TAPE_LAYER_NORM, x, err);
  finish(t, weighted_sum(t, tape_op1(t, TAPE_TANH, y, err)));
  double theta[N];
  for (int rep = 0; rep < 3; rep++) {
    fill(theta, N, -2.3, 3.1);
    TapeState *st = tape_state_alloc(t);
    tape_forward(st, theta);
    for (int i = 0; i < R; i++) {
      double m = 0.0, v = 0.0;
      for (int j = 0; j < C; j++)
        m += theta[C * i + j] / C;
      for (int j = 0; j < C; j++)
        v += (theta[C * i + j] - m) * (theta[C * i + j] - m) / C;
      for (int j = 0; j < C; j++)
        CHECK_NEAR(tape_value(st, y)[C * i + j],
                   (theta[C * i + j] - m) / sqrt(v + 1e-5), 1e-13);
    }
    tape_state_free(st);
    check_gradient(t, theta, "LAYER_NORM");
  }
  tape_free(t);
}

/* Input slots: set per state, read at every evaluation, no gradient of
 * their own; what reads only inputs and constants runs every time too,
 * and the reverse sweep skips it. */
static void test_inputs(void) {
  enum { R = 4, K = 3, C = 2, NW = K * C };
  char err[TAPE_ERR_LEN];
  Tape *t = tape_alloc(0);
  TapeSlot x = tape_input(t, 2, R, K);
  TapeSlot w = tape_param(t, 0, 2, K, C);
  TapeSlot b = tape_input(t, 1, C, 1); /* a bias held fixed */
  TapeSlot target = tape_input(t, 2, R, C);
  CHECK(!tape_depends(t, x));
  TapeSlot ex = tape_op1(t, TAPE_TANH, x, err); /* inputs only */
  const TapeSlot in[3] = {ex, w, b};
  TapeSlot h = tape_op(t, TAPE_AFFINE, in, 3, NULL, 0, err);
  TapeSlot loss[2] = {h, target};
  const double half = 0.5;
  TapeSlot out = tape_op(t, TAPE_SQ_ERR, loss, 2, &half, 1, err);
  CHECK(!tape_depends(t, ex));
  CHECK(tape_depends(t, out));
  finish(t, out);
  CHECK_EQ_INT(tape_dim(t), NW);
  double theta[NW], X[R * K], bias[C], Y[R * C], g[NW];
  fill(theta, NW, -1.2, 1.4);
  TapeState *s1 = tape_state_alloc(t), *s2 = tape_state_alloc(t);
  CHECK_NEAR(tape_input_data(s1, x)[5], 0.0, 0.0); /* zero until written */
  for (int rep = 0; rep < 3; rep++) {
    fill(X, R * K, -1.5, 1.5);
    fill(bias, C, -0.5, 0.5);
    fill(Y, R * C, -1.0, 1.0);
    memcpy(tape_input_data(s1, x), X, sizeof X);
    memcpy(tape_input_data(s1, b), bias, sizeof bias);
    memcpy(tape_input_data(s1, target), Y, sizeof Y);
    /* the same tape with the inputs as constants */
    Tape *c = tape_alloc(0);
    TapeSlot cex = tape_op1(c, TAPE_TANH, tape_const(c, 2, R, K, X), err);
    const TapeSlot cin[3] = {cex, tape_param(c, 0, 2, K, C),
                             tape_const(c, 1, C, 1, bias)};
    TapeSlot cl[2] = {tape_op(c, TAPE_AFFINE, cin, 3, NULL, 0, err),
                      tape_const(c, 2, R, C, Y)};
    finish(c, tape_op(c, TAPE_SQ_ERR, cl, 2, &half, 1, err));
    TapeState *sc = tape_state_alloc(c);
    double gc[NW];
    const double want = tape_logp_grad(sc, theta, gc);
    CHECK(tape_logp_grad(s1, theta, g) == want);
    CHECK(memcmp(g, gc, sizeof g) == 0);
    CHECK(tape_logp(s1, theta) == want);
    CHECK_NEAR(tape_value(s1, ex)[7], tanh(X[7]), 1e-15);
    check_gradient(c, theta, "inputs as constants");
    tape_state_free(sc);
    tape_free(c);
  }
  /* s2's inputs are its own: still zero, so h = 0 and the loss is 0 */
  CHECK_NEAR(tape_logp(s2, theta), 0.0, 0.0);
  tape_state_free(s1);
  tape_state_free(s2);
  tape_free(t);
}

/* A slot read by several instructions, in every broadcasting mode, gets
 * the sum of their adjoints. */
static void test_fan_out(void) {
  char err[TAPE_ERR_LEN];
  for (int rep = 0; rep < 3; rep++) {
    double theta[1 + 3 + 6];
    fill(theta, 10, 0.4, 1.9);
    Tape *t = tape_alloc(10);
    TapeSlot s = tape_param(t, 0, 0, 1, 1);
    TapeSlot v = tape_param(t, 1, 1, 3, 1);
    TapeSlot m = tape_param(t, 4, 2, 2, 3);
    TapeSlot terms[8] = {weighted_sum(t, tape_op2(t, TAPE_ADD, s, v, err)),
                         weighted_sum(t, tape_op2(t, TAPE_MUL, v, s, err)),
                         weighted_sum(t, tape_op2(t, TAPE_DIV, m, v, err)),
                         weighted_sum(t, tape_op2(t, TAPE_POW, v, m, err)),
                         weighted_sum(t, tape_op2(t, TAPE_SUB, s, m, err)),
                         weighted_sum(t, tape_op1(t, TAPE_EXP, s, err)),
                         weighted_sum(t, tape_op2(t, TAPE_MUL, m, m, err)),
                         tape_op2(t, TAPE_DOT, v, v, err)};
    finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 8, NULL, 0, err));
    check_gradient(t, theta, "fan-out");
    tape_free(t);
  }
}

/* Adjoint forwarding: the operands of ADD and the left side of SUB share
 * the output's adjoint when nothing else reads them; checked on chains,
 * on both sides, on a value read twice, and under a fused DIST. */
static void test_forwarding(void) {
  char err[TAPE_ERR_LEN];
  double theta[8];
  fill(theta, 8, 0.4, 1.9);
  Tape *t = tape_alloc(8);
  TapeSlot x = tape_param(t, 0, 1, 4, 1), w = tape_param(t, 4, 1, 4, 1);
  TapeSlot e = tape_op1(t, TAPE_EXP, x, err);
  TapeSlot l = tape_op1(t, TAPE_LOG, w, err);
  TapeSlot q = tape_op1(t, TAPE_SQUARE, w, err);   /* read twice */
  TapeSlot s1 = tape_op2(t, TAPE_SUB, e, l, err);  /* e forwarded, l not */
  TapeSlot s2 = tape_op2(t, TAPE_ADD, s1, q, err); /* s1 forwarded */
  TapeSlot s3 = tape_op2(t, TAPE_SUB, tape_op1(t, TAPE_SIN, x, err), s2, err);
  TapeSlot s4 = tape_op2(t, TAPE_ADD, q, tape_op1(t, TAPE_COS, s3, err), err);
  TapeSlot ps[2] = {s4, tape_scalar(t, 1.7)};
  TapeSlot y = tape_const(t, 1, 4, 1, (double[]){0.2, -0.4, 1.1, 0.5});
  TapeSlot terms[2] = {tape_dist(t, &test_normal, y, ps, 2, err),
                       weighted_sum(t, s2)};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  for (int rep = 0; rep < 3; rep++) {
    check_gradient(t, theta, "adjoint forwarding");
    fill(theta, 8, 0.4, 1.9);
  }
  tape_free(t);
}

/* Instructions the output does not depend on (a deterministic node) run in
 * tape_forward only: they cost tape_logp nothing and a NaN or an infinite
 * partial there does not reach the gradient. */
static void test_dead_code(void) {
  char err[TAPE_ERR_LEN];
  Tape *t = tape_alloc(2);
  TapeSlot x = tape_param(t, 0, 1, 2, 1);
  TapeSlot dead = tape_op1(t, TAPE_LOG, x, err);
  TapeSlot ps[2] = {tape_scalar(t, 0.5), tape_scalar(t, 1.5)};
  TapeSlot dead_d = tape_dist(t, &test_normal, x, ps, 2, err);
  TapeSlot lp = tape_op1(t, TAPE_SUM, tape_op1(t, TAPE_SQUARE, x, err), err);
  /* a reader of the output is dead too, and the output still fused */
  TapeSlot after = tape_op1(t, TAPE_EXP, lp, err);
  finish(t, lp);
  CHECK(tape_depends(t, dead) && tape_depends(t, dead_d));
  TapeState *st = tape_state_alloc(t);
  double theta[2] = {0.0, -1.25}, g[2];
  long before = normal_calls;
  CHECK_NEAR(tape_logp_grad(st, theta, g), 1.5625, 1e-15);
  CHECK_NEAR(tape_logp(st, theta), 1.5625, 1e-15);
  CHECK_EQ_INT(normal_calls - before, 0);
  CHECK_NEAR(g[0], 0.0, 0.0);
  CHECK_NEAR(g[1], -2.5, 1e-15);
  tape_forward(st, theta);
  CHECK_EQ_INT(normal_calls - before, 1);
  CHECK(tape_value(st, dead)[0] == -INFINITY);
  CHECK(isnan(tape_value(st, dead)[1]));
  CHECK_NEAR(tape_value(st, after)[0], exp(1.5625), 1e-13);
  tape_state_free(st);
  tape_free(t);
}

/* ---- failure, folding, errors
 * ------------------------------------------------- */

static void test_nan(void) {
  char err[TAPE_ERR_LEN];
  Tape *t = tape_alloc(2);
  TapeSlot x = tape_param(t, 0, 1, 2, 1);
  finish(t, weighted_sum(t, tape_op1(t, TAPE_LOG, x, err)));
  TapeState *st = tape_state_alloc(t);
  double theta[2] = {1.5, -0.5}, g[2] = {9.0, 9.0};
  CHECK(tape_logp(st, theta) == -INFINITY);
  CHECK(tape_logp_grad(st, theta, g) == -INFINITY);
  CHECK(g[0] == 0.0 && g[1] == 0.0);
  theta[1] = NAN;
  g[0] = 9.0;
  CHECK(tape_logp_grad(st, theta, g) == -INFINITY);
  CHECK(g[0] == 0.0);
  theta[1] = 0.5;
  CHECK(isfinite(tape_logp_grad(st, theta, g)));
  CHECK(g[0] != 0.0);
  tape_state_free(st);
  tape_free(t);
  /* one infinite component among several (the lanes of the check) */
  t = tape_alloc(0);
  x = tape_param(t, 0, 1, 7, 1);
  finish(t, tape_op1(t, TAPE_SUM, tape_op1(t, TAPE_SQRT, x, err), err));
  st = tape_state_alloc(t);
  double pos[7] = {1.1, 2.3, 0.7, 1.9, 3.1, 0.4, 2.2}, g7[7];
  CHECK(isfinite(tape_logp_grad(st, pos, g7)));
  for (int k = 0; k < 7; k++) {
    const double keep = pos[k];
    pos[k] = 0.0; /* sqrt'(0) is infinite */
    CHECK(tape_logp_grad(st, pos, g7) == -INFINITY);
    CHECK(g7[(k + 1) % 7] == 0.0);
    pos[k] = keep;
  }
  tape_state_free(st);
  tape_free(t);
  /* NaN is not hidden by RELU or by a max in LOGSUMEXP */
  t = tape_alloc(2);
  x = tape_param(t, 0, 1, 2, 1);
  TapeSlot r = tape_op1(t, TAPE_RELU, x, err);
  finish(t, tape_op1(t, TAPE_LOGSUMEXP, r, err));
  st = tape_state_alloc(t);
  double bad[2] = {NAN, 1.0};
  CHECK(tape_logp(st, bad) == -INFINITY);
  CHECK(isnan(tape_value(st, r)[0]));
  tape_state_free(st);
  tape_free(t);
}

/* Instructions on constants run once per state; DISTs on constants too. */
static void test_constant_folding(void) {
  char err[TAPE_ERR_LEN];
  const double y[3] = {0.5, 1.5, -0.5}, one = 1.0;
  Tape *t = tape_alloc(1);
  TapeSlot c = tape_const(t, 1, 3, 1, y);
  TapeSlot e = tape_op1(t, TAPE_EXP, c, err);
  TapeSlot cp[2] = {tape_scalar(t, 0.25), tape_const(t, 0, 1, 1, &one)};
  TapeSlot dc = tape_dist(t, &test_normal, e, cp, 2, err);
  TapeSlot p = tape_param(t, 0, 0, 1, 1);
  TapeSlot pp[2] = {p, tape_scalar(t, 2.0)};
  TapeSlot dp = tape_dist(t, &test_normal, e, pp, 2, err);
  TapeSlot terms[2] = {dc, dp};
  TapeSlot out = tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err);
  finish(t, out);
  CHECK(!tape_depends(t, c));
  CHECK(!tape_depends(t, e));
  CHECK(!tape_depends(t, dc));
  CHECK(tape_depends(t, dp));
  CHECK(tape_depends(t, out));
  CHECK(tape_depends(t, 0));
  CHECK_EQ_INT(tape_ninstr(t), 4);
  long before = normal_calls;
  TapeState *st = tape_state_alloc(t);
  CHECK_EQ_INT(normal_calls - before, 1); /* the constant DIST, once */
  double theta = 0.7, g;
  for (int i = 0; i < 10; i++)
    tape_logp_grad(st, &theta, &g);
  CHECK_EQ_INT(normal_calls - before, 11); /* the other, fused: once each */
  for (int i = 0; i < 10; i++)
    tape_logp(st, &theta);
  CHECK_EQ_INT(normal_calls - before, 21);
  double ey[3] = {exp(0.5), exp(1.5), exp(-0.5)};
  CHECK_NEAR(tape_value(st, e)[2], ey[2], 1e-15);
  CHECK_NEAR(tape_logp(st, &theta),
             normal_sum(ey, 3, (double[]){0.25}, 1, &one, 1) +
                 normal_sum(ey, 3, &theta, 1, (double[]){2.0}, 1),
             1e-13);
  TapeState *st2 = tape_state_alloc(t);
  CHECK_EQ_INT(normal_calls - before, 23); /* its own constant run */
  tape_state_free(st2);
  tape_state_free(st);
  tape_free(t);
  /* a tape whose output does not depend on theta */
  t = tape_alloc(2);
  tape_param(t, 0, 1, 2, 1);
  finish(t, tape_op1(t, TAPE_SUM, c = tape_const(t, 1, 3, 1, y), err));
  st = tape_state_alloc(t);
  double th[2] = {1, 2}, gg[2] = {4, 4};
  CHECK_NEAR(tape_logp_grad(st, th, gg), 1.5, 1e-15);
  CHECK(gg[0] == 0.0 && gg[1] == 0.0);
  tape_state_free(st);
  tape_free(t);
}

/* err receives a sentence and nothing is appended. */
static void expect_error(Tape *t, TapeOp op, const TapeSlot *in, int nin,
                         const void *aux, size_t naux, const char *want) {
  char err[TAPE_ERR_LEN] = "";
  const size_t nslots = tape_nslots(t), ninstr = tape_ninstr(t);
  CHECK(tape_op(t, op, in, nin, aux, naux, err) == TAPE_NONE);
  CHECK_EQ_STR(err, want);
  CHECK_EQ_INT(tape_nslots(t), nslots);
  CHECK_EQ_INT(tape_ninstr(t), ninstr);
}

static void test_errors(void) {
  double z[30] = {0};
  Tape *t = tape_alloc(0);
  TapeSlot v3 = tape_const(t, 1, 3, 1, z), v4 = tape_const(t, 1, 4, 1, z);
  TapeSlot m23 = tape_const(t, 2, 2, 3, z), m32 = tape_const(t, 2, 3, 2, z);
  TapeSlot m54 = tape_const(t, 2, 5, 4, z), m55 = tape_const(t, 2, 5, 5, z);
  TapeSlot v10 = tape_const(t, 1, 10, 1, z), s = tape_scalar(t, 1.0);
  TapeSlot in[2];
  in[0] = v3, in[1] = v4;
  expect_error(t, TAPE_ADD, in, 2, NULL, 0,
               "shapes (3) and (4) do not broadcast");
  in[0] = m23, in[1] = m32;
  expect_error(t, TAPE_MUL, in, 2, NULL, 0,
               "shapes (2, 3) and (3, 2) do not broadcast");
  in[0] = m23, in[1] = v4;
  expect_error(t, TAPE_POW, in, 2, NULL, 0,
               "shapes (2, 3) and (4) do not broadcast");
  in[0] = m55, in[1] = v4;
  expect_error(t, TAPE_MATVEC, in, 2, NULL, 0,
               "MATVEC: the matrix has 5 columns but the vector has 4 "
               "elements");
  in[0] = v4, in[1] = v4;
  expect_error(t, TAPE_MATVEC, in, 2, NULL, 0,
               "MATVEC: the first input must be a matrix, got shape (4)");
  in[0] = m54, in[1] = m54;
  expect_error(t, TAPE_MATMUL, in, 2, NULL, 0,
               "MATMUL: the first matrix has 4 columns but the second has 5 "
               "rows");
  in[0] = v3, in[1] = v4;
  expect_error(t, TAPE_DOT, in, 2, NULL, 0,
               "DOT: the vectors have 3 and 4 elements");
  const size_t idx[3] = {2, 12, 0};
  expect_error(t, TAPE_GATHER, &v10, 1, idx, 3,
               "GATHER: index 12 is out of range for a vector of length 10");
  expect_error(t, TAPE_GATHER, &m23, 1, idx, 1,
               "GATHER: the input must be a vector, got shape (2, 3)");
  const size_t rows[2] = {1, 5};
  expect_error(t, TAPE_GATHER_ROWS, &m54, 1, rows, 2,
               "GATHER_ROWS: row 5 is out of range for a matrix of 5 rows");
  in[0] = s, in[1] = m23;
  expect_error(t, TAPE_STACK, in, 2, NULL, 0,
               "STACK: input 2 has shape (2, 3); only scalars and vectors "
               "stack");
  const size_t sh[3] = {2, 4, 2};
  expect_error(t, TAPE_RESHAPE, &m23, 1, sh, 3,
               "RESHAPE: cannot reshape shape (2, 3) (6 elements) into shape "
               "(4, 2)");
  const size_t bsh[3] = {2, 4, 3};
  expect_error(t, TAPE_BROADCAST, &m23, 1, bsh, 3,
               "BROADCAST: shape (2, 3) does not broadcast to (4, 3)");
  const size_t bad_nd[3] = {3, 1, 1};
  expect_error(t, TAPE_RESHAPE, &m23, 1, bad_nd, 3,
               "RESHAPE: a shape has 0, 1 or 2 dimensions, not 3");
  expect_error(t, TAPE_CHOLESKY, &m23, 1, NULL, 0,
               "CHOLESKY: the matrix must be square, got 2 x 3");
  expect_error(t, TAPE_CHOLESKY, &v3, 1, NULL, 0,
               "CHOLESKY: the input must be a matrix, got shape (3)");
  expect_error(t, TAPE_LOG_DIAG_SUM, &m54, 1, NULL, 0,
               "LOG_DIAG_SUM: the matrix must be square, got 5 x 4");
  in[0] = m55, in[1] = v4;
  expect_error(t, TAPE_TRI_SOLVE, in, 2, NULL, 0,
               "TRI_SOLVE: the matrix is 5 x 5 but the right-hand side has 4 "
               "rows");
  expect_error(t, TAPE_SUM_ROWS, &v3, 1, NULL, 0,
               "SUM_ROWS: the input must be a matrix, got shape (3)");
  in[0] = s, in[1] = v3;
  expect_error(t, TAPE_SUM_SCALARS, in, 2, NULL, 0,
               "SUM_SCALARS: input 2 has shape (3), not a scalar");
  TapeSlot aff[3] = {m23, m32, v3};
  expect_error(t, TAPE_AFFINE, aff, 3, NULL, 0,
               "AFFINE: the bias must be a vector of 2 elements, got shape "
               "(3)");
  aff[1] = m23;
  expect_error(t, TAPE_AFFINE, aff, 3, NULL, 0,
               "AFFINE: the input has 3 columns but the weight matrix has 2 "
               "rows");
  aff[0] = v3;
  expect_error(t, TAPE_AFFINE, aff, 3, NULL, 0,
               "AFFINE: the input must be a matrix, got shape (3)");
  in[0] = m23, in[1] = v4;
  expect_error(t, TAPE_BCE_LOGITS, in, 2, NULL, 0,
               "BCE_LOGITS: shapes (2, 3) and (4) have different lengths");
  in[0] = v3, in[1] = s;
  expect_error(t, TAPE_GAUSS_KL, in, 2, NULL, 0,
               "GAUSS_KL: shapes (3) and () have different lengths");
  expect_error(t, TAPE_LAYER_NORM, &v3, 1, NULL, 0,
               "LAYER_NORM: the input must be a matrix, got shape (3)");
  char err[TAPE_ERR_LEN];
  TapeSlot ps[2] = {v3, s};
  CHECK(tape_dist(t, &test_normal, v10, ps, 2, err) == TAPE_NONE);
  CHECK_EQ_STR(err, "Normal: parameter 'mu' has 3 elements but the value has "
                    "10");
  CHECK(tape_dist(t, &test_normal, v10, ps, 1, err) == TAPE_NONE);
  CHECK_EQ_STR(err, "Normal takes 2 parameters, got 1");
  /* a NULL err is allowed */
  in[0] = v3, in[1] = v4;
  CHECK(tape_op(t, TAPE_ADD, in, 2, NULL, 0, NULL) == TAPE_NONE);
  /* the tape still works after errors */
  TapeSlot ok = tape_op1(t, TAPE_SUM, v3, err);
  CHECK(ok != TAPE_NONE);
  finish(t, ok);
  TapeState *st = tape_state_alloc(t);
  CHECK_NEAR(tape_logp(st, NULL), 0.0, 0.0);
  tape_state_free(st);
  tape_free(t);
}

static void test_inspect(void) {
  CHECK_EQ_STR(tape_op_name(TAPE_MATVEC), "MATVEC");
  CHECK_EQ_STR(tape_op_name(TAPE_ADD), "ADD");
  CHECK_EQ_STR(tape_op_name(TAPE_COPY), "COPY");
  Tape *t = tape_alloc(0);
  CHECK_EQ_INT(tape_dim(t), 0);
  CHECK_EQ_INT(tape_nslots(t), 1); /* theta */
  TapeSlot a = tape_param(t, 0, 2, 2, 3);
  CHECK_EQ_INT(tape_dim(t), 6);
  TapeSlot b = tape_param(t, 10, 0, 1, 1);
  CHECK_EQ_INT(tape_dim(t), 11); /* theta grows to cover every view */
  TapeSlot c = tape_param(t, 2, 1, 3, 1);
  CHECK_EQ_INT(tape_dim(t), 11);
  int nd;
  size_t r, cc;
  CHECK_EQ_INT(tape_shape(t, 0, &nd, &r, &cc), 11);
  CHECK(nd == 1 && r == 11 && cc == 1);
  CHECK_EQ_INT(tape_shape(t, a, &nd, &r, &cc), 6);
  CHECK(nd == 2 && r == 2 && cc == 3);
  CHECK_EQ_INT(tape_shape(t, b, &nd, &r, &cc), 1);
  CHECK(nd == 0 && r == 1 && cc == 1);
  CHECK_EQ_INT(tape_shape(t, c, &nd, &r, &cc), 3);
  CHECK(nd == 1 && r == 3 && cc == 1);
  char err[TAPE_ERR_LEN];
  TapeSlot s = tape_op2(t, TAPE_ADD, c, b, err);
  TapeSlot s2 = tape_op2(t, TAPE_MUL, tape_op1(t, TAPE_SUM, s, err),
                         tape_op1(t, TAPE_SUM, a, err), err);
  finish(t, s2);
  CHECK_EQ_INT(tape_ninstr(t), 4);
  TapeState *st = tape_state_alloc(t);
  double theta[11];
  for (int i = 0; i < 11; i++)
    theta[i] = 0.5 + 0.25 * i;
  tape_forward(st, theta);
  CHECK_NEAR(tape_value(st, 0)[7], theta[7], 0.0);
  CHECK_NEAR(tape_value(st, c)[1], theta[3], 0.0);
  CHECK_NEAR(tape_value(st, s)[2], theta[4] + theta[10], 1e-15);
  tape_state_free(st);
  check_gradient(t, theta, "overlapping views");
  tape_free(t);
}

/* ---- states, threads, allocation
 * ------------------------------------------------ */

/* A tape with most kinds of work: linear algebra, GATHER, DIST. */
static Tape *mixed_tape(void) {
  char err[TAPE_ERR_LEN];
  enum { N = 20, K = 3 };
  double X[N * K], y[N], eye[9] = {2, 0, 0, 0, 2, 0, 0, 0, 2};
  size_t idx[N];
  fill(X, N * K, -1.2, 1.9);
  fill(y, N, -2.0, 3.0);
  for (int i = 0; i < N; i++)
    idx[i] = (size_t)i % K;
  Tape *t = tape_alloc(0);
  TapeSlot beta = tape_param(t, 0, 1, K, 1);
  TapeSlot m = tape_param(t, K, 2, K, K);
  TapeSlot cov = tape_op2(
      t, TAPE_ADD,
      tape_op2(t, TAPE_MATMUL, m, tape_op1(t, TAPE_TRANSPOSE, m, err), err),
      tape_const(t, 2, K, K, eye), err);
  TapeSlot l = tape_op1(t, TAPE_CHOLESKY, cov, err);
  TapeSlot z = tape_op2(t, TAPE_TRI_SOLVE, l, beta, err);
  TapeSlot mu = tape_op(t, TAPE_GATHER, &z, 1, idx, N, err);
  mu = tape_op2(t, TAPE_ADD, mu,
                tape_op2(t, TAPE_MATVEC, tape_const(t, 2, N, K, X), beta, err),
                err);
  TapeSlot ps[2] = {mu, tape_scalar(t, 1.3)};
  TapeSlot terms[3] = {
      tape_dist(t, &test_normal, tape_const(t, 1, N, 1, y), ps, 2, err),
      tape_op2(t, TAPE_MUL, tape_scalar(t, -1.0),
               tape_op1(t, TAPE_LOG_DIAG_SUM, l, err), err),
      tape_op1(t, TAPE_LOGSUMEXP, beta, err)};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 3, NULL, 0, err));
  return t;
}

enum { MIXED_DIM = 3 + 9, NPOINTS = 8 };

static void test_two_states(void) {
  Tape *t = mixed_tape();
  CHECK_EQ_INT(tape_dim(t), MIXED_DIM);
  double pts[NPOINTS][MIXED_DIM], lp[NPOINTS], g[NPOINTS][MIXED_DIM];
  for (int p = 0; p < NPOINTS; p++)
    fill(pts[p], MIXED_DIM, -1.1, 1.3);
  check_gradient(t, pts[0], "mixed tape");
  TapeState *s0 = tape_state_alloc(t);
  for (int p = 0; p < NPOINTS; p++)
    lp[p] = tape_logp_grad(s0, pts[p], g[p]);
  tape_state_free(s0);
  TapeState *sa = tape_state_alloc(t), *sb = tape_state_alloc(t);
  bool same = true;
  for (int rep = 0; rep < 3; rep++)
    for (int p = 0; p < NPOINTS; p++) {
      double ga[MIXED_DIM], gb[MIXED_DIM];
      const int q = NPOINTS - 1 - p;
      double la = tape_logp_grad(sa, pts[p], ga);
      double lb = tape_logp_grad(sb, pts[q], gb);
      same = same && la == lp[p] && lb == lp[q] &&
             memcmp(ga, g[p], sizeof ga) == 0 &&
             memcmp(gb, g[q], sizeof gb) == 0 && tape_logp(sb, pts[p]) == lp[p];
    }
  CHECK(same);
  tape_state_free(sa);
  tape_state_free(sb);
  tape_free(t);
}

typedef struct {
  const Tape *t;
  const double (*pts)[MIXED_DIM];
  const double *lp;
  bool same;
} ThreadJob;

static void *thread_run(void *arg) {
  ThreadJob *job = arg;
  TapeState *st = tape_state_alloc(job->t);
  job->same = true;
  for (int rep = 0; rep < 200; rep++) {
    const int p = rep % NPOINTS;
    double g[MIXED_DIM];
    job->same = job->same && tape_logp_grad(st, job->pts[p], g) == job->lp[p];
  }
  tape_state_free(st);
  return NULL;
}

static void test_threads(void) {
  Tape *t = mixed_tape();
  double pts[NPOINTS][MIXED_DIM], lp[NPOINTS];
  for (int p = 0; p < NPOINTS; p++)
    fill(pts[p], MIXED_DIM, -1.1, 1.3);
  TapeState *st = tape_state_alloc(t);
  for (int p = 0; p < NPOINTS; p++)
    lp[p] = tape_logp(st, pts[p]);
  tape_state_free(st);
  enum { NTHREADS = 4 };
  pthread_t th[NTHREADS];
  ThreadJob jobs[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    jobs[i] = (ThreadJob){t, (const double(*)[MIXED_DIM])pts, lp, false};
    CHECK(pthread_create(&th[i], NULL, thread_run, &jobs[i]) == 0);
  }
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(th[i], NULL);
    CHECK(jobs[i].same);
  }
  tape_free(t);
}

/* ---- fusion (tape_fuse.c) -------------------------------------------------
 *
 * Fused DISTs are checked against the same tape built with fusion off
 * (tape_set_fusion): values and gradients agree to rounding (the fused
 * location sums its terms in another order), central differences agree
 * with the fused gradient, and tape_forward still gives every slot. The
 * families are the real Normal and Bernoulli: fusion recognises them. */

enum { FZ_N = 13, FZ_J = 5, FZ_CASES = 400 };

/* A tape being built from random choices; theta grows with each param. */
typedef struct Fz {
  Tape *t;
  size_t dim;
  size_t idx[FZ_N];
  TapeSlot terms[16];
  int nterms;
  char err[TAPE_ERR_LEN];
} Fz;

static int fz_pick(int n) { return (int)(unif01() * n); }

static TapeSlot fz_param(Fz *f, size_t len) {
  TapeSlot s = tape_param(f->t, f->dim, len == 1 ? 0 : 1, len, 1);
  f->dim += len;
  return s;
}

static TapeSlot fz_const(Fz *f, size_t len, double lo, double hi) {
  double x[FZ_N > FZ_J ? FZ_N : FZ_J];
  fill(x, len, lo, hi);
  return tape_const(f->t, len == 1 ? 0 : 1, len, 1, x);
}

static TapeSlot fz_op1(Fz *f, TapeOp op, TapeSlot a) {
  return tape_op1(f->t, op, a, f->err);
}

static TapeSlot fz_op2(Fz *f, TapeOp op, TapeSlot a, TapeSlot b) {
  return tape_op2(f->t, op, a, b, f->err);
}

static TapeSlot fz_gather(Fz *f, TapeSlot src, size_t len) {
  size_t idx[FZ_N];
  for (int i = 0; i < FZ_N; i++)
    idx[i] = len == 1 ? 0 : f->idx[i];
  return tape_op(f->t, TAPE_GATHER, &src, 1, idx, FZ_N, f->err);
}

/* A scalar: theta, a constant, or computed from theta. */
static TapeSlot fz_scalar(Fz *f) {
  switch (fz_pick(4)) {
  case 0:
    return fz_param(f, 1);
  case 1:
    return fz_const(f, 1, -1.4, 1.6);
  case 2:
    return fz_op1(f, TAPE_EXP, fz_param(f, 1));
  default:
    return fz_op2(f, TAPE_MUL, fz_param(f, 1), fz_param(f, 1));
  }
}

/* A leaf of FZ_N elements: vectors and gathers of theta, of data and of
 * computed vectors. */
static TapeSlot fz_leaf(Fz *f) {
  switch (fz_pick(7)) {
  case 0:
    return fz_param(f, FZ_N);
  case 1:
    return fz_const(f, FZ_N, -1.2, 1.3);
  case 2:
    return fz_gather(f, fz_param(f, FZ_J), FZ_J);
  case 3:
    return fz_gather(f, fz_const(f, FZ_J, -1.1, 0.9), FZ_J);
  case 4:
    return fz_gather(f, fz_op1(f, TAPE_TANH, fz_param(f, FZ_J)), FZ_J);
  case 5:
    return fz_op1(f, TAPE_TANH, fz_param(f, FZ_N));
  default:
    return fz_gather(f, fz_param(f, 1), 1);
  }
}

/* A random expression of FZ_N elements; sometimes also read by another
 * live instruction (a term of the output), which must stop fusion there. */
static TapeSlot fz_expr(Fz *f, int depth) {
  TapeSlot e;
  if (depth == 0 || fz_pick(4) == 0)
    return fz_leaf(f);
  switch (fz_pick(11)) {
  case 0:
    e = fz_op2(f, TAPE_ADD, fz_expr(f, depth - 1), fz_expr(f, depth - 1));
    break;
  case 1:
    e = fz_op2(f, TAPE_SUB, fz_expr(f, depth - 1), fz_expr(f, depth - 1));
    break;
  case 2:
    e = fz_op2(f, TAPE_ADD, fz_scalar(f), fz_expr(f, depth - 1));
    break;
  case 3:
    e = fz_op2(f, TAPE_SUB, fz_expr(f, depth - 1), fz_scalar(f));
    break;
  case 4:
    e = fz_op1(f, TAPE_NEG, fz_expr(f, depth - 1));
    break;
  case 5:
    e = fz_op2(f, TAPE_MUL, fz_scalar(f), fz_expr(f, depth - 1));
    break;
  case 6:
    e = fz_op2(f, TAPE_MUL, fz_expr(f, depth - 1), fz_scalar(f));
    break;
  case 7:
    e = fz_op2(f, TAPE_MUL, fz_expr(f, depth - 1), fz_const(f, 1, 0.6, 1.4));
    break;
  case 8: /* not affine: a leaf of the fused expression */
    e = fz_op2(f, TAPE_MUL, fz_expr(f, depth - 1), fz_expr(f, depth - 1));
    break;
  case 9:
    e = fz_op1(f, TAPE_COPY, fz_expr(f, depth - 1));
    break;
  default: {
    const size_t shape[3] = {1, FZ_N, 1};
    TapeSlot in = fz_expr(f, depth - 1);
    e = tape_op(f->t, TAPE_RESHAPE, &in, 1, shape, 3, f->err);
  }
  }
  if (fz_pick(8) == 0 && f->nterms < 8)
    f->terms[f->nterms++] = fz_op1(f, TAPE_SUM, e);
  return e;
}

/* The likelihood: Normal (data, a vector or a scalar of theta as x; one
 * sigma or one per observation) or Bernoulli through LOGISTIC; sometimes
 * scaled, so that its output adjoint is not 1. */
static TapeSlot fz_likelihood(Fz *f, TapeSlot eta) {
  TapeSlot lp;
  if (fz_pick(3) == 0) {
    double y[FZ_N];
    for (int i = 0; i < FZ_N; i++)
      y[i] = unif01() < 0.5 ? 1.0 : 0.0;
    TapeSlot p = fz_op1(f, TAPE_LOGISTIC, eta);
    if (fz_pick(4) == 0)
      p = fz_op1(f, TAPE_COPY, p);
    lp = tape_dist(f->t, &dist_bernoulli, tape_const(f->t, 1, FZ_N, 1, y), &p,
                   1, f->err);
  } else {
    const int xk = fz_pick(4), sk = fz_pick(3);
    TapeSlot x = xk == 0   ? fz_param(f, FZ_N)
                 : xk == 1 ? fz_param(f, 1)
                           : fz_const(f, FZ_N, -2.0, 2.0);
    TapeSlot ps[2] = {eta, sk == 0   ? fz_op1(f, TAPE_EXP, fz_param(f, 1))
                           : sk == 1 ? fz_const(f, 1, 0.8, 1.6)
                                     : fz_op1(f, TAPE_EXP, fz_param(f, FZ_N))};
    lp = tape_dist(f->t, &dist_normal, x, ps, 2, f->err);
  }
  if (fz_pick(4) == 0)
    lp = fz_op2(f, TAPE_MUL, lp, fz_const(f, 1, 0.5, 0.9));
  return lp;
}

/* The random tape of case seed; the same choices whether fused or not. */
static Tape *fz_build(uint64_t seed, bool fused, TapeSlot *eta_out) {
  test_rng_state = seed;
  Fz f = {.t = tape_alloc(0)};
  for (int i = 0; i < FZ_N; i++)
    f.idx[i] = (size_t)fz_pick(FZ_J);
  TapeSlot eta = fz_expr(&f, 4);
  if (eta_out)
    *eta_out = eta;
  f.terms[f.nterms++] = fz_likelihood(&f, eta);
  TapeSlot out =
      tape_op(f.t, TAPE_SUM_SCALARS, f.terms, f.nterms, NULL, 0, f.err);
  tape_set_output(f.t, out);
  tape_set_fusion(f.t, fused);
  tape_finish(f.t);
  return f.t;
}

/* Whether a and b agree to rounding. */
static bool fz_close(double a, double b) {
  return (a == b) || fabs(a - b) <= 1e-10 * (1.0 + fabs(a));
}

/* The fused and unfused tapes at theta: the same log density, gradient,
 * and slot values after tape_forward. */
static void fz_compare(const Tape *tf, const Tape *tu, const double *theta,
                       const char *what) {
  const size_t dim = tape_dim(tf);
  TapeState *sf = tape_state_alloc(tf), *su = tape_state_alloc(tu);
  double *gf = doubles(dim), *gu = doubles(dim);
  const double lf = tape_logp_grad(sf, theta, gf);
  const double lu = tape_logp_grad(su, theta, gu);
  if (!CHECK(fz_close(lf, lu)))
    fprintf(stderr, "  in %s: log p %.17g fused, %.17g not\n", what, lf, lu);
  for (size_t k = 0; k < dim; k++)
    if (!CHECK(fz_close(gf[k], gu[k])))
      fprintf(stderr, "  in %s: gradient %zu: %.17g fused, %.17g not\n", what,
              k, gf[k], gu[k]);
  CHECK(tape_logp(sf, theta) == lf);
  tape_forward(sf, theta);
  tape_forward(su, theta);
  bool same = true;
  for (TapeSlot s = 0; s < (TapeSlot)tape_nslots(tf); s++)
    for (size_t i = 0; i < slot_len(tf, s); i++)
      same = same && fz_close(tape_value(sf, s)[i], tape_value(su, s)[i]);
  if (!CHECK(same))
    fprintf(stderr, "  in %s: tape_forward values differ\n", what);
  free(gf);
  free(gu);
  tape_state_free(sf);
  tape_state_free(su);
}

/* Random compositions: fused against unfused, and finite differences. */
static void test_fuse_random(void) {
  int fused = 0;
  for (int c = 0; c < FZ_CASES; c++) {
    const uint64_t seed = 0x9E3779B97F4A7C15ULL * (uint64_t)(c + 1);
    Tape *tf = fz_build(seed, true, NULL), *tu = fz_build(seed, false, NULL);
    CHECK_EQ_INT(tape_nfused(tu), 0);
    CHECK_EQ_INT(tape_dim(tf), tape_dim(tu));
    fused += tape_nfused(tf) > 0;
    const size_t dim = tape_dim(tf);
    double *theta = doubles(dim);
    fill(theta, dim, -0.6, 0.6);
    char what[64];
    snprintf(what, sizeof what, "random fused case %d", c);
    fz_compare(tf, tu, theta, what);
    if (c % 4 == 0)
      check_gradient(tf, theta, what);
    free(theta);
    tape_free(tf);
    tape_free(tu);
  }
  /* most cases must really fuse, or the comparison tests nothing */
  if (!CHECK(fused > FZ_CASES / 2))
    fprintf(stderr, "  only %d of %d random cases fused\n", fused, FZ_CASES);
}

/* The three models of the benchmark, small: each fuses its likelihood. */
static void test_fuse_models(void) {
  enum { N = 37, K = 3, J = 6 };
  char err[TAPE_ERR_LEN];
  double X[N * K], y[N], yb[N], x[N], theta[J + 4];
  size_t g[N];
  fill(X, N * K, -1.3, 1.7);
  fill(y, N, -2.1, 2.6);
  fill(x, N, -1.5, 1.5);
  for (int i = 0; i < N; i++) {
    yb[i] = unif01() < 0.4 ? 1.0 : 0.0;
    g[i] = (size_t)(unif01() * J);
  }
  fill(theta, J + 4, -0.7, 0.8);
  for (int model = 0; model < 3; model++) {
    Tape *t[2];
    for (int fused = 0; fused < 2; fused++) {
      Tape *tp = t[fused] = tape_alloc(0);
      TapeSlot lik;
      if (model < 2) { /* alpha + X @ beta: Normal, then Bernoulli(logit) */
        TapeSlot beta = tape_param(tp, 0, 1, K, 1);
        TapeSlot alpha = tape_param(tp, K, 0, 1, 1);
        TapeSlot eta = tape_op2(
            tp, TAPE_ADD, alpha,
            tape_op2(tp, TAPE_MATVEC, tape_const(tp, 2, N, K, X), beta, err),
            err);
        TapeSlot ps[2] = {
            eta, tape_op1(tp, TAPE_EXP, tape_param(tp, K + 1, 0, 1, 1), err)};
        if (model == 1)
          ps[0] = tape_op1(tp, TAPE_LOGISTIC, eta, err);
        lik = model == 0 ? tape_dist(tp, &dist_normal,
                                     tape_const(tp, 1, N, 1, y), ps, 2, err)
                         : tape_dist(tp, &dist_bernoulli,
                                     tape_const(tp, 1, N, 1, yb), ps, 1, err);
      } else { /* a[g] + b * x */
        TapeSlot a = tape_param(tp, 0, 1, J, 1);
        TapeSlot b = tape_param(tp, J, 0, 1, 1);
        TapeSlot mu = tape_op2(
            tp, TAPE_ADD, tape_op(tp, TAPE_GATHER, &a, 1, g, N, err),
            tape_op2(tp, TAPE_MUL, b, tape_const(tp, 1, N, 1, x), err), err);
        TapeSlot ps[2] = {
            mu, tape_op1(tp, TAPE_EXP, tape_param(tp, J + 1, 0, 1, 1), err)};
        lik =
            tape_dist(tp, &dist_normal, tape_const(tp, 1, N, 1, y), ps, 2, err);
      }
      tape_set_fusion(tp, fused);
      finish(tp, lik);
    }
    CHECK_EQ_INT(tape_nfused(t[1]), 1);
    CHECK_EQ_INT(tape_nfused(t[0]), 0);
    fz_compare(t[1], t[0], theta, "model");
    check_gradient(t[1], theta, "fused model");
    tape_free(t[0]);
    tape_free(t[1]);
  }
}

/* The locations that have kernels of their own (tape_fuse.c, FUSE_SHAPES),
 * each for Normal and Bernoulli, fused against unfused: a recipe letter per
 * term: 'a' a scalar of theta (alpha), 'v' a computed vector (X @ beta),
 * 'f' a scalar of theta times data (b * x), 'g' a gather of theta (a[g]). */
static void test_fuse_shapes(void) {
  static const char *const recipes[] = {"av", "v",   "af",   "aff", "g",
                                        "ag", "fg",  "afg",  "ffg", "vg",
                                        "gg", "agg", "afff", "vv",  "fgv"};
  enum { N = 23, K = 2, J = 4 };
  char err[TAPE_ERR_LEN];
  double X[N * K], x[4][N], y[N], yb[N], theta[40];
  size_t idx[N];
  fill(X, N * K, -1.1, 1.2);
  fill(y, N, -1.5, 1.9);
  for (int i = 0; i < N; i++) {
    yb[i] = unif01() < 0.5 ? 1.0 : 0.0;
    idx[i] = (size_t)(unif01() * J);
  }
  fill(theta, 40, -0.6, 0.7);
  for (int k = 0; k < 4; k++)
    fill(x[k], N, -1.3, 1.3);
  for (size_t r = 0; r < sizeof recipes / sizeof *recipes; r++)
    for (int family = 0; family < 2; family++) {
      Tape *t[2];
      for (int fused = 0; fused < 2; fused++) {
        Tape *tp = t[fused] = tape_alloc(0);
        size_t off = 0;
        int nf = 0;
        TapeSlot eta = TAPE_NONE;
        for (const char *c = recipes[r]; *c; c++) {
          TapeSlot term;
          if (*c == 'a') {
            term = tape_param(tp, off++, 0, 1, 1);
          } else if (*c == 'v') {
            TapeSlot beta = tape_param(tp, off, 1, K, 1);
            off += K;
            term = tape_op2(tp, TAPE_MATVEC, tape_const(tp, 2, N, K, X), beta,
                            err);
          } else if (*c == 'f') {
            term = tape_op2(tp, TAPE_MUL, tape_param(tp, off++, 0, 1, 1),
                            tape_const(tp, 1, N, 1, x[nf++]), err);
          } else {
            TapeSlot a = tape_param(tp, off, 1, J, 1);
            off += J;
            term = tape_op(tp, TAPE_GATHER, &a, 1, idx, N, err);
          }
          eta =
              eta == TAPE_NONE ? term : tape_op2(tp, TAPE_ADD, eta, term, err);
        }
        TapeSlot lik;
        if (family == 0) {
          TapeSlot ps[2] = {
              eta, tape_op1(tp, TAPE_EXP, tape_param(tp, off, 0, 1, 1), err)};
          lik = tape_dist(tp, &dist_normal, tape_const(tp, 1, N, 1, y), ps, 2,
                          err);
        } else {
          TapeSlot p = tape_op1(tp, TAPE_LOGISTIC, eta, err);
          lik = tape_dist(tp, &dist_bernoulli, tape_const(tp, 1, N, 1, yb), &p,
                          1, err);
        }
        tape_set_fusion(tp, fused);
        finish(tp, lik);
      }
      CHECK_EQ_INT(tape_nfused(t[1]), 1);
      char what[64];
      snprintf(what, sizeof what, "fused %s location %s",
               family ? "Bernoulli" : "Normal", recipes[r]);
      fz_compare(t[1], t[0], theta, what);
      check_gradient(t[1], theta, what);
      tape_free(t[0]);
      tape_free(t[1]);
    }
}

/* Normal DISTs with a scalar location (kernels s, sx, zx): data given a
 * scalar mu, a hierarchical prior a ~ Normal(mu_a, sigma_a), a standard
 * normal z ~ Normal(0, 1), and x one scalar of theta broadcast against a
 * vector mu (the generic kernel). */
static void test_fuse_priors(void) {
  enum { N = 17 };
  char err[TAPE_ERR_LEN];
  double y[N], theta[N + 3];
  fill(y, N, -1.9, 2.1);
  fill(theta, N + 3, -0.8, 0.9);
  for (int c = 0; c < 4; c++) {
    Tape *t[2];
    for (int fused = 0; fused < 2; fused++) {
      Tape *tp = t[fused] = tape_alloc(0);
      TapeSlot mu = tape_param(tp, 0, 0, 1, 1);
      TapeSlot sigma = tape_op1(tp, TAPE_EXP, tape_param(tp, 1, 0, 1, 1), err);
      TapeSlot a = tape_param(tp, 2, 1, N, 1);
      TapeSlot x = c == 0 ? tape_const(tp, 1, N, 1, y) : a;
      TapeSlot ps[2] = {mu, sigma};
      if (c == 2) {
        ps[0] = tape_scalar(tp, 0.0);
        ps[1] = tape_scalar(tp, 1.0);
      } else if (c == 3) {
        x = mu;
        ps[0] = tape_op1(tp, TAPE_NEG, a, err);
      }
      tape_set_fusion(tp, fused);
      finish(tp, tape_dist(tp, &dist_normal, x, ps, 2, err));
    }
    CHECK_EQ_INT(tape_nfused(t[1]), 1);
    fz_compare(t[1], t[0], theta, "fused prior");
    check_gradient(t[1], theta, "fused prior");
    tape_free(t[0]);
    tape_free(t[1]);
  }
}

/* A fused DIST at the edges of its support gives what the family gives;
 * Bernoulli(logistic(eta)) is the stable logit form. */
static void test_fuse_edges(void) {
  char err[TAPE_ERR_LEN];
  const double y[4] = {0.3, -1.2, 2.2, 0.7}, yb[4] = {1, 0, 0, 1};
  const double xs[4] = {0.4, -0.8, 1.3, 0.2};
  for (int fused = 0; fused < 2; fused++) {
    /* Normal(y | b * xs + c, sigma): theta = (b, c, sigma) */
    Tape *t = tape_alloc(0);
    TapeSlot mu = tape_op2(t, TAPE_ADD,
                           tape_op2(t, TAPE_MUL, tape_param(t, 0, 0, 1, 1),
                                    tape_const(t, 1, 4, 1, xs), err),
                           tape_param(t, 1, 0, 1, 1), err);
    TapeSlot ps[2] = {mu, tape_param(t, 2, 0, 1, 1)};
    tape_set_fusion(t, fused);
    finish(t,
           tape_dist(t, &dist_normal, tape_const(t, 1, 4, 1, y), ps, 2, err));
    CHECK_EQ_INT(tape_nfused(t), fused);
    TapeState *st = tape_state_alloc(t);
    double g[3];
    const double bad[][3] = {{0.5, 0.1, 0.0}, {0.5, 0.1, -1.0},
                             {NAN, 0.1, 1.0}, {0.5, INFINITY, 1.0},
                             {0.5, 0.1, NAN}, {0.5, 0.1, INFINITY}};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
      CHECK(tape_logp(st, bad[k]) == -INFINITY);
      CHECK(tape_logp_grad(st, bad[k], g) == -INFINITY);
      CHECK(g[0] == 0.0 && g[1] == 0.0 && g[2] == 0.0);
    }
    tape_state_free(st);
    tape_free(t);

    /* Bernoulli(yb | logistic(b * xs + c)): theta = (b, c) */
    t = tape_alloc(0);
    TapeSlot eta = tape_op2(t, TAPE_ADD,
                            tape_op2(t, TAPE_MUL, tape_param(t, 0, 0, 1, 1),
                                     tape_const(t, 1, 4, 1, xs), err),
                            tape_param(t, 1, 0, 1, 1), err);
    TapeSlot p = tape_op1(t, TAPE_LOGISTIC, eta, err);
    tape_set_fusion(t, fused);
    finish(t, tape_dist(t, &dist_bernoulli, tape_const(t, 1, 4, 1, yb), &p, 1,
                        err));
    CHECK_EQ_INT(tape_nfused(t), fused);
    st = tape_state_alloc(t);
    const double nan_eta[2] = {NAN, 0.0}, inf_eta[2] = {0.0, INFINITY};
    CHECK(tape_logp(st, nan_eta) == -INFINITY);
    CHECK(tape_logp(st, inf_eta) == -INFINITY); /* yb has zeros */
    /* eta = c = 40 everywhere: log p = -softplus(-40) for the ones and
     * -softplus(40) for the zeros. Unfused, p rounds to 1 and the zeros
     * are impossible (-inf); fused, the value is right. */
    const double big[2] = {0.0, 40.0};
    const double want =
        -2.0 * log1p(exp(-40.0)) - 2.0 * (40.0 + log1p(exp(-40.0)));
    if (fused) {
      CHECK_NEAR(tape_logp_grad(st, big, g), want, 1e-12);
      CHECK_NEAR(g[1], -2.0, 1e-12); /* sum of y - p = 0 + 0 - 1 - 1 */
    } else {
      CHECK(tape_logp(st, big) == -INFINITY);
    }
    tape_state_free(st);
    tape_free(t);
  }
  /* Bernoulli's value must be 0 or 1 */
  Tape *t = tape_alloc(0);
  const double half[4] = {1, 0.5, 0, 1};
  TapeSlot a = tape_param(t, 0, 1, 4, 1);
  TapeSlot p = tape_op1(t, TAPE_LOGISTIC, tape_op1(t, TAPE_NEG, a, err), err);
  finish(t, tape_dist(t, &dist_bernoulli, tape_const(t, 1, 4, 1, half), &p, 1,
                      err));
  CHECK_EQ_INT(tape_nfused(t), 1);
  TapeState *st = tape_state_alloc(t);
  const double th[4] = {0.1, 0.2, 0.3, 0.4};
  CHECK(tape_logp(st, th) == -INFINITY);
  tape_state_free(st);
  tape_free(t);
}

/* What does not fuse or is not absorbed: an intermediate read twice (it
 * stays an instruction of its own, so tape_logp computes it), the test
 * family, a DIST of one element. */
static void test_fuse_limits(void) {
  char err[TAPE_ERR_LEN];
  const double y[3] = {0.2, 0.9, -0.4};
  double theta[3] = {0.3, -0.2, 0.45};
  for (int k = 0; k < 3; k++) {
    Tape *t = tape_alloc(0);
    TapeSlot v = tape_param(t, 0, 1, 3, 1);
    TapeSlot mu = tape_op1(t, TAPE_NEG, v, err);
    TapeSlot ps[2] = {mu, tape_scalar(t, 1.3)};
    const DistFamily *fam = k == 2 ? &test_normal : &dist_normal;
    TapeSlot lik = tape_dist(t, fam, tape_const(t, 1, 3, 1, y), ps, 2, err);
    TapeSlot terms[2] = {lik, tape_op1(t, TAPE_SUM, mu, err)};
    finish(t,
           k == 0 ? lik : tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
    CHECK_EQ_INT(tape_nfused(t), k < 2 ? 1 : 0);
    if (k == 1) { /* NEG is read twice: not absorbed, so computed */
      TapeState *st = tape_state_alloc(t);
      tape_logp(st, theta);
      CHECK(tape_value(st, mu)[1] == 0.2);
      tape_state_free(st);
    }
    check_gradient(t, theta, "fusion limits");
    tape_free(t);
  }
  /* a DIST of one element */
  Tape *t = tape_alloc(0);
  TapeSlot mu = tape_op1(t, TAPE_NEG, tape_param(t, 0, 0, 1, 1), err);
  TapeSlot ps[2] = {mu, tape_scalar(t, 1.3)};
  finish(t, tape_dist(t, &dist_normal, tape_const(t, 0, 1, 1, y), ps, 2, err));
  CHECK_EQ_INT(tape_nfused(t), 0);
  tape_free(t);
}

/* Absorbed slots still get their values from tape_forward, and a fused
 * DIST's output adjoint other than 1 (the reverse sweep) is right. */
static void test_fuse_forward(void) {
  for (int c = 0; c < 40; c++) {
    const uint64_t seed = 0xD1B54A32D192ED03ULL * (uint64_t)(c + 7);
    TapeSlot ef, eu;
    Tape *tf = fz_build(seed, true, &ef), *tu = fz_build(seed, false, &eu);
    CHECK_EQ_INT(ef, eu);
    const size_t dim = tape_dim(tf);
    double *theta = doubles(dim);
    fill(theta, dim, -0.5, 0.5);
    TapeState *sf = tape_state_alloc(tf), *su = tape_state_alloc(tu);
    tape_forward(sf, theta);
    tape_forward(su, theta);
    bool same = true;
    for (size_t i = 0; i < FZ_N; i++)
      same = same && tape_value(sf, ef)[i] == tape_value(su, eu)[i];
    CHECK(same);
    tape_state_free(sf);
    tape_state_free(su);
    free(theta);
    tape_free(tf);
    tape_free(tu);
  }
}

/* Counting allocator: the test binary's malloc family wraps glibc's, so
 * every allocation of the process (BLAS included) is counted. Not under
 * the sanitizers, which bring their own allocator. */
#if defined(__GLIBC__) && !defined(PPL_SANITIZERS)
#define COUNT_ALLOCS 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
static long nallocs;

void *malloc(size_t n) {
  nallocs++;
  return __libc_malloc(n);
}

void *calloc(size_t n, size_t size) {
  nallocs++;
  return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n) {
  nallocs++;
  return __libc_realloc(p, n);
}

void *aligned_alloc(size_t align, size_t n) {
  nallocs++;
  return __libc_memalign(align, n);
}
#endif

static void test_no_allocation(void) {
#ifdef COUNT_ALLOCS
  Tape *t = mixed_tape();
  TapeState *st = tape_state_alloc(t);
  double theta[MIXED_DIM], g[MIXED_DIM];
  fill(theta, MIXED_DIM, -1.1, 1.3);
  tape_logp_grad(st, theta, g); /* BLAS may set up its buffers once */
  const long before = nallocs;
  double s = 0.0;
  for (int i = 0; i < 10000; i++) {
    theta[i % MIXED_DIM] += 1e-9;
    s += tape_logp_grad(st, theta, g) + tape_logp(st, theta);
    tape_forward(st, theta);
  }
  CHECK(isfinite(s));
  CHECK_EQ_INT(nallocs - before, 0);
  tape_state_free(st);
  tape_free(t);
  /* fused DISTs: random tapes until one fuses */
  uint64_t seed = 0x5851F42D4C957F2DULL;
  while (tape_nfused(t = fz_build(seed, true, NULL)) == 0) {
    tape_free(t);
    seed += 0x9E3779B97F4A7C15ULL;
  }
  const size_t dim = tape_dim(t);
  double *th = doubles(dim), *gr = doubles(dim);
  fill(th, dim, -0.5, 0.5);
  st = tape_state_alloc(t);
  const long before_fused = nallocs;
  for (int i = 0; i < 10000; i++) {
    th[i % dim] += 1e-9;
    s += tape_logp_grad(st, th, gr) + tape_logp(st, th);
    tape_forward(st, th);
  }
  CHECK_EQ_INT(nallocs - before_fused, 0);
  free(th);
  free(gr);
  tape_state_free(st);
  tape_free(t);
  /* a network on input slots: AFFINE, LAYER_NORM, activations, losses */
  enum { B = 16, K = 5, H = 7 };
  char err[TAPE_ERR_LEN];
  t = tape_alloc(0);
  TapeSlot x = tape_input(t, 2, B, K), y = tape_input(t, 2, B, H);
  const TapeSlot in[3] = {x, tape_param(t, 0, 2, K, H),
                          tape_param(t, K * H, 1, H, 1)};
  TapeSlot h = tape_op1(t, TAPE_LAYER_NORM,
                        tape_op(t, TAPE_AFFINE, in, 3, NULL, 0, err), err);
  h = tape_op(t, TAPE_LEAKY_RELU, &h, 1, NULL, 0, err);
  const TapeSlot l1[2] = {h, y}, l2[2] = {h, h};
  TapeSlot terms[2] = {tape_op(t, TAPE_BCE_LOGITS, l1, 2, NULL, 0, err),
                       tape_op(t, TAPE_GAUSS_KL, l2, 2, NULL, 0, err)};
  finish(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  st = tape_state_alloc(t);
  double nth[K * H + H], ngr[K * H + H];
  fill(nth, K * H + H, -0.5, 0.5);
  fill(tape_input_data(st, x), B * K, -1.0, 1.0);
  fill(tape_input_data(st, y), B * H, 0.0, 1.0);
  tape_logp_grad(st, nth, ngr);
  const long before2 = nallocs;
  for (int i = 0; i < 1000; i++) {
    tape_input_data(st, x)[i % (B * K)] += 1e-9;
    s += tape_logp_grad(st, nth, ngr);
  }
  CHECK(isfinite(s));
  CHECK_EQ_INT(nallocs - before2, 0);
  tape_state_free(st);
  tape_free(t);
#endif
}

int main(void) {
  gsl_set_error_handler_off();
  test_inspect();
  test_unary();
  test_unary_extremes();
  test_binary();
  test_pow_edges();
  test_sum_ops();
  test_logsumexp();
  test_sum_scalars();
  test_dot();
  test_matvec();
  test_matmul();
  test_transpose();
  test_cholesky();
  test_tri_solve();
  test_log_diag_sum();
  test_gather();
  test_gather_rows();
  test_stack();
  test_reshape_copy();
  test_fan_out();
  test_dead_code();
  test_forwarding();
  test_broadcast_op();
  test_dist();
  test_dist_twice();
  test_dist_support();
  test_dist_multivariate();
  test_linreg();
  test_varying_intercepts();
  test_network();
  test_affine();
  test_losses();
  test_layer_norm();
  test_inputs();
  test_nan();
  test_constant_folding();
  test_errors();
  test_two_states();
  test_threads();
  test_fuse_models();
  test_fuse_shapes();
  test_fuse_priors();
  test_fuse_edges();
  test_fuse_limits();
  test_fuse_forward();
  test_fuse_random();
  test_no_allocation();
  return check_summary();
}
