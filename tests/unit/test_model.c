/*
 * test_model.c — bound models release their tapes.
 *
 * A Model's tape is malloc'd and freed by a finaliser. The Model is on a
 * reference cycle (its variables' distributions hold model variables,
 * which point to the binder, which points to the Model), and Boehm never
 * finalises an object reachable from itself: every tape leaked, with a
 * "Finalization cycle" warning. Here models are bound in loops (plain,
 * MAP twins through find_map, a GP likelihood), the collector runs, and
 * the number of live tapes must fall back; a model still referenced must
 * keep a working tape.
 */
#include <config.h>

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "mem.h"
#include "model.h"
#include "source.h"
#include "vm.h"

/* Models bound by each loop below. */
enum { NBIND = 1500 };

/* Tapes a conservative collector may still find referenced from stale
 * stack words or registers: a handful, never a loop's worth. */
enum { STRAY_TAPES = 50 };

static bool run(VM *vm, const char *code) {
  Source *src = source_new("<test_model>", code, strlen(code));
  return vm_interpret(vm, src, false, NULL) == VM_OK;
}

static double global_num(VM *vm, const char *name) {
  Value v;
  if (!vm_get_global(vm, name, &v) || !IS_NUM(v))
    return NAN;
  return AS_NUM(v);
}

/* Collects until the count stops falling (finalisers freed in one
 * collection can unpin objects for the next). */
static size_t collect(void) {
  size_t live = model_live_tapes(), prev;
  do {
    prev = live;
    mem_collect();
    live = model_live_tapes();
  } while (live < prev);
  return live;
}

static double normal_lpdf(double x, double mu, double sigma) {
  double z = (x - mu) / sigma;
  return -0.5 * z * z - log(sigma) - 0.5 * log(2 * M_PI);
}

static void test_loop_frees_tapes(VM *vm) {
  size_t before = collect();
  CHECK(run(vm, "model m(y) {\n"
                "  mu ~ Normal(0, 1)\n"
                "  sigma ~ HalfNormal(1)\n"
                "  y ~ Normal(mu, sigma)\n"
                "}\n"
                "let keep = m([0.5, 1.5])\n"
                "let total = 0\n"
                "for i in range(1500) {\n"
                "  let b = m([0.3, -1.2])\n"
                "  total = total + logp(b, {mu: 0.1, sigma: 1.3})\n"
                "}\n"));
  double one = normal_lpdf(0.1, 0, 1) + log(2) + normal_lpdf(1.3, 0, 1) +
               log(1.3) + normal_lpdf(0.3, 0.1, 1.3) +
               normal_lpdf(-1.2, 0.1, 1.3);
  CHECK_NEAR(global_num(vm, "total"), NBIND * one, 1e-8 * NBIND);
  size_t after = collect();
  CHECK(after >= before + 1); /* `keep` is still referenced */
  CHECK(after < before + STRAY_TAPES);

  /* the kept model's tape survived the collections */
  CHECK(run(vm, "let kept_lp = logp(keep, {mu: 0.2, sigma: 0.7})\n"));
  double want = normal_lpdf(0.2, 0, 1) + log(2) + normal_lpdf(0.7, 0, 1) +
                log(0.7) + normal_lpdf(0.5, 0.2, 0.7) +
                normal_lpdf(1.5, 0.2, 0.7);
  CHECK_NEAR(global_num(vm, "kept_lp"), want, 1e-12);
  CHECK(run(vm, "keep = nil\n"));
  CHECK(collect() < before + STRAY_TAPES);
}

/* find_map binds a twin without Jacobians that the model points to. */
static void test_map_twins_freed(VM *vm) {
  size_t before = collect();
  CHECK(run(vm, "for i in range(300) {\n"
                "  let r = find_map(m([0.3, -1.2, 0.8]))\n"
                "}\n"));
  CHECK(collect() < before + STRAY_TAPES);
}

/* A GP likelihood's distribution holds kernels over model variables. */
static void test_gp_models_freed(VM *vm) {
  size_t before = collect();
  CHECK(run(vm, "model g(x, y) {\n"
                "  ls ~ Gamma(3, 2)\n"
                "  eta ~ HalfNormal(1)\n"
                "  y ~ GPMarginal(eta**2 * ExpQuad(ls=ls), x, noise=0.3)\n"
                "}\n"
                "let gp_total = 0\n"
                "for i in range(1500) {\n"
                "  let b = g([0.1, 0.9, 2.2], [0.4, -0.3, 0.8])\n"
                "  gp_total = gp_total + logp(b, {ls: 1.2, eta: 0.8})\n"
                "}\n"));
  CHECK(isfinite(global_num(vm, "gp_total")));
  CHECK(collect() < before + STRAY_TAPES);
}

int main(void) {
  mem_init();
  VM *vm = vm_new(stderr);
  test_loop_frees_tapes(vm);
  test_map_twins_freed(vm);
  test_gp_models_freed(vm);
  vm_free(vm);
  return check_summary();
}
