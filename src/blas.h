/*
 * blas.h — CBLAS through OpenBLAS, loaded on first use.
 *
 * ppl links GSL with its reference CBLAS (libgslcblas, static) so that
 * starting the interpreter does not pay for mapping OpenBLAS (about 4 ms of
 * a 5 ms budget). The matrix products and solves ppl itself calls go
 * through blas(): the first call dlopens OpenBLAS (OPENBLAS_SONAME) and
 * takes its cblas_* functions; if it cannot be loaded, gslcblas's are used.
 * Either way the enum arguments are the standard CBLAS ones.
 */
#ifndef PPL_BLAS_H
#define PPL_BLAS_H

#include <gsl/gsl_cblas.h>

typedef struct BlasFns {
  __typeof__(cblas_ddot) *ddot;
  __typeof__(cblas_daxpy) *daxpy;
  __typeof__(cblas_dgemv) *dgemv;
  __typeof__(cblas_dger) *dger;
  __typeof__(cblas_dtrsv) *dtrsv;
  __typeof__(cblas_dgemm) *dgemm;
  __typeof__(cblas_dsymm) *dsymm;
  __typeof__(cblas_dsyrk) *dsyrk;
  __typeof__(cblas_dtrsm) *dtrsm;
  const char *name; /* "OpenBLAS" or "gslcblas" */
} BlasFns;

/* The functions to call (thread-safe; loads OpenBLAS the first time). */
const BlasFns *blas(void);

#endif
