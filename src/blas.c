/*
 * blas.c — the lazily loaded CBLAS table of blas.h.
 */
#include <config.h>
#include "blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static BlasFns table;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void use_reference(void) {
  table = (BlasFns){
      .ddot = cblas_ddot,
      .daxpy = cblas_daxpy,
      .dgemv = cblas_dgemv,
      .dger = cblas_dger,
      .dtrsv = cblas_dtrsv,
      .dgemm = cblas_dgemm,
      .dsymm = cblas_dsymm,
      .dsyrk = cblas_dsyrk,
      .dtrsm = cblas_dtrsm,
      .name = "gslcblas",
  };
}

/* PPL_BLAS=reference keeps gslcblas (to compare, or to rule OpenBLAS out
 * when chasing a numerical difference). */
static bool reference_requested(void) {
  const char *v = getenv("PPL_BLAS");
  return v && strcmp(v, "reference") == 0;
}

/* Every symbol or none: a partial OpenBLAS would mix two libraries. */
static void load(void) {
  use_reference();
#ifdef OPENBLAS_SONAME
  if (reference_requested())
    return;
  void *h = dlopen(OPENBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return;
  BlasFns t = {
      .ddot = (__typeof__(cblas_ddot) *)dlsym(h, "cblas_ddot"),
      .daxpy = (__typeof__(cblas_daxpy) *)dlsym(h, "cblas_daxpy"),
      .dgemv = (__typeof__(cblas_dgemv) *)dlsym(h, "cblas_dgemv"),
      .dger = (__typeof__(cblas_dger) *)dlsym(h, "cblas_dger"),
      .dtrsv = (__typeof__(cblas_dtrsv) *)dlsym(h, "cblas_dtrsv"),
      .dgemm = (__typeof__(cblas_dgemm) *)dlsym(h, "cblas_dgemm"),
      .dsymm = (__typeof__(cblas_dsymm) *)dlsym(h, "cblas_dsymm"),
      .dsyrk = (__typeof__(cblas_dsyrk) *)dlsym(h, "cblas_dsyrk"),
      .dtrsm = (__typeof__(cblas_dtrsm) *)dlsym(h, "cblas_dtrsm"),
      .name = "OpenBLAS",
  };
  if (t.ddot && t.daxpy && t.dgemv && t.dger && t.dtrsv && t.dgemm &&
      t.dsymm && t.dsyrk && t.dtrsm)
    table = t;
#endif
}

const BlasFns *blas(void) {
  pthread_once(&once, load);
  return &table;
}
