/*
 * test_transform.c — every constraining transform round-trips, and its
 * log-Jacobian is right: a normalised 1-D density on the support, moved to
 * unconstrained space with the Jacobian, still integrates to 1.
 */
#include <config.h>

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dist.h"
#include "mem.h"
#include "tape.h"
#include "transform.h"

/* Quadrature over u in [-U_MAX, U_MAX]: the densities below have tails
 * that are negligible past it in unconstrained space. */
#define U_MAX 40.0
enum { STEPS = 400000 };

/* A tape computing log density(x(u)) + log|J| for a one-element theta. */
static Tape *one_dim(TransformKind k, const DistFamily *f, const double *p,
                     int np, double lo, double hi, int xdim, size_t xrows) {
  Tape *t = tape_alloc(1);
  char err[TAPE_ERR_LEN];
  TapeSlot u = tape_param(t, 0, xdim == 0 ? 0 : 1, 1, 1);
  TransformBounds b = {TAPE_NONE, TAPE_NONE, lo, hi};
  TapeSlot jac;
  TapeSlot x = transform_emit(t, k, u, &b, xdim, xrows, xdim == 2 ? xrows : 1,
                              &jac, err);
  TapeSlot ps[DIST_MAX_PARAMS];
  for (int i = 0; i < np; i++)
    ps[i] = tape_scalar(t, p[i]);
  if (f == &dist_dirichlet)
    ps[0] = tape_const(t, 1, 2, 1, p);
  TapeSlot lp = tape_dist(t, f, x, ps, f == &dist_dirichlet ? 1 : np, err);
  TapeSlot terms[2] = {lp, jac};
  TapeSlot total = jac == TAPE_NONE /* the identity has no Jacobian term */
                       ? lp
                       : tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err);
  if (total == TAPE_NONE)
    printf("tape error: %s\n", err);
  tape_set_output(t, total);
  tape_finish(t);
  return t;
}

static double integrate(Tape *t) {
  TapeState *st = tape_state_alloc(t);
  double h = 2 * U_MAX / STEPS, sum = 0;
  for (int i = 0; i <= STEPS; i++) {
    double u = -U_MAX + i * h;
    double w = (i == 0 || i == STEPS) ? 0.5 : 1.0;
    sum += w * exp(tape_logp(st, &u));
  }
  tape_state_free(st);
  return sum * h;
}

static void check_integral(const char *what, TransformKind k,
                           const DistFamily *f, const double *p, int np,
                           double lo, double hi, int xdim, size_t xrows) {
  Tape *t = one_dim(k, f, p, np, lo, hi, xdim, xrows);
  double z = integrate(t);
  if (fabs(z - 1) > 1e-6)
    printf("%s integrates to %.9f\n", what, z);
  CHECK_NEAR(z, 1.0, 1e-6);
  tape_free(t);
}

static void test_jacobians(void) {
  double expo[1] = {1.7};
  check_integral("lower", TR_LOWER, &dist_exponential, expo, 1, 0, INFINITY,
                 0, 1);
  double gam[2] = {2.5, 1.3};
  check_integral("lower, gamma", TR_LOWER, &dist_gamma, gam, 2, 0, INFINITY,
                 0, 1);
  double beta[2] = {2.3, 3.1};
  check_integral("interval", TR_INTERVAL, &dist_beta, beta, 2, 0, 1, 0, 1);
  double unif[2] = {-1.5, 2.75};
  check_integral("interval, uniform", TR_INTERVAL, &dist_uniform, unif, 2,
                 -1.5, 2.75, 0, 1);
  double norm[2] = {0.3, 1.9};
  check_integral("identity", TR_IDENTITY, &dist_normal, norm, 2, -INFINITY,
                 INFINITY, 0, 1);
  double dir[2] = {1.8, 2.6};
  check_integral("simplex K=2", TR_SIMPLEX, &dist_dirichlet, dir, 1, 0, 0, 1,
                 2);
  double lkj[2] = {1.0, 2.0};
  check_integral("cholesky-corr n=2, eta=1", TR_CHOL_CORR,
                 &dist_lkjcorrcholesky, lkj, 2, 0, 0, 2, 2);
  double lkj3[2] = {3.5, 2.0};
  check_integral("cholesky-corr n=2, eta=3.5", TR_CHOL_CORR,
                 &dist_lkjcorrcholesky, lkj3, 2, 0, 0, 2, 2);
}

/* The upper-bound transform mirrors the lower one: x = b - exp(u). */
static void test_upper(void) {
  Tape *t = tape_alloc(1);
  char err[TAPE_ERR_LEN];
  TapeSlot u = tape_param(t, 0, 0, 1, 1);
  TransformBounds b = {TAPE_NONE, TAPE_NONE, -INFINITY, 2.25};
  TapeSlot jac;
  TapeSlot x = transform_emit(t, TR_UPPER, u, &b, 0, 1, 1, &jac, err);
  /* density of 2.25 - E with E ~ Exponential(1.3) */
  TapeSlot e = tape_op2(t, TAPE_SUB, tape_scalar(t, 2.25), x, err);
  TapeSlot rate = tape_scalar(t, 1.3);
  TapeSlot lp = tape_dist(t, &dist_exponential, e, &rate, 1, err);
  TapeSlot terms[2] = {lp, jac};
  tape_set_output(t, tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL, 0, err));
  tape_finish(t);
  CHECK_NEAR(integrate(t), 1.0, 1e-6);
  tape_free(t);
}

/* constrain (through the tape) then unconstrain gives u back. */
static void roundtrip(TransformKind k, const double *u, size_t n, size_t xlen,
                      int xdim, size_t xrows, double lo, double hi) {
  Tape *t = tape_alloc(n);
  char err[TAPE_ERR_LEN];
  TapeSlot us = tape_param(t, 0, 1, n, 1);
  TransformBounds b = {TAPE_NONE, TAPE_NONE, lo, hi};
  TapeSlot jac;
  TapeSlot x = transform_emit(t, k, us, &b, xdim, xrows,
                              xdim == 2 ? xrows : 1, &jac, err);
  TapeSlot zero = tape_scalar(t, 0);
  tape_set_output(t, zero);
  tape_finish(t);
  TapeState *st = tape_state_alloc(t);
  tape_forward(st, u);
  double back[64];
  CHECK(transform_unconstrain(k, tape_value(st, x), xlen, xrows, lo, hi,
                              back));
  for (size_t i = 0; i < n; i++)
    CHECK_NEAR(back[i], u[i], 1e-9);
  tape_state_free(st);
  tape_free(t);
}

static void test_roundtrips(void) {
  double u[6] = {0.3817, -1.2093, 2.0471, -0.0562, 0.7731, -2.385};
  roundtrip(TR_IDENTITY, u, 4, 4, 1, 4, -INFINITY, INFINITY);
  roundtrip(TR_LOWER, u, 4, 4, 1, 4, -3.5, INFINITY);
  roundtrip(TR_UPPER, u, 4, 4, 1, 4, -INFINITY, 7.25);
  roundtrip(TR_INTERVAL, u, 4, 4, 1, 4, -1.5, 2.75);
  roundtrip(TR_ORDERED, u, 5, 5, 1, 5, 0, 0);
  roundtrip(TR_SIMPLEX, u, 5, 6, 1, 6, 0, 0);
  roundtrip(TR_CHOL_CORR, u, 6, 16, 2, 4, 0, 0);
}

static void test_outside(void) {
  double u[3];
  double x_bad_order[3] = {1.0, 0.5, 2.0};
  CHECK(!transform_unconstrain(TR_ORDERED, x_bad_order, 3, 3, 0, 0, u));
  double x_bad_simplex[3] = {0.5, 0.4, 0.3};
  CHECK(!transform_unconstrain(TR_SIMPLEX, x_bad_simplex, 3, 3, 0, 0, u));
  double below = -0.1;
  CHECK(!transform_unconstrain(TR_LOWER, &below, 1, 1, 0, INFINITY, u));
  double edge = 1.0;
  CHECK(!transform_unconstrain(TR_INTERVAL, &edge, 1, 1, 0, 1, u));
  CHECK_EQ_INT(transform_size(TR_SIMPLEX, 6, 6), 5);
  CHECK_EQ_INT(transform_size(TR_CHOL_CORR, 16, 4), 6);
  CHECK_EQ_STR(transform_name(TR_INTERVAL), "interval");
}

int main(void) {
  mem_init();
  gsl_set_error_handler_off();
  test_jacobians();
  test_upper();
  test_roundtrips();
  test_outside();
  return check_summary();
}
