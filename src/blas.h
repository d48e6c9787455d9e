/*
 * blas.h — CBLAS through OpenBLAS, loaded on first use.
 *
 * ppl links GSL with its reference CBLAS (libgslcblas, static) so that
 * starting the interpreter does not pay for mapping OpenBLAS (about 4 ms of
 * a 5 ms budget). The matrix products and solves ppl itself calls go
 * through blas(): the first call dlopens OpenBLAS (OPENBLAS_SONAME) and
 * takes its cblas_* functions; if it cannot be loaded, gslcblas's are used.
 * Either way the enum arguments are the standard CBLAS ones.
 *
 * The same table carries three LAPACK routines (Cholesky factor, inverse
 * from the factor, solve with the factor), resolved from the same handle.
 * They use LAPACK's Fortran convention: column-major arrays, arguments by
 * pointer, 32-bit integers (Debian's libopenblas.so.0; the 64-bit-integer
 * build is a different soname). No hidden string-length arguments are
 * passed: OpenBLAS implements these in C, and a CHARACTER*1 argument never
 * reads its length. Without OpenBLAS, equivalents built on GSL's
 * gsl_linalg_cholesky_decomp1 / gsl_linalg_cholesky_invert and gslcblas's
 * dtrsv are used.
 */
#ifndef PPL_BLAS_H
#define PPL_BLAS_H

#include <gsl/gsl_cblas.h>

/* LAPACK dpotrf: the Cholesky factor of the symmetric positive definite
 * n x n matrix a (column-major, leading dimension lda) in the triangle uplo
 * ('L': a = L L^T; 'U': a = U^T U), read from and written to that triangle.
 * info = 0 on success, > 0 when a is not positive definite (a then holds
 * a partial factor). */
typedef void BlasPotrfFn(const char *uplo, const int *n, double *a,
                         const int *lda, int *info);
/* LAPACK dpotri: from dpotrf's factor in triangle uplo, the inverse of a
 * in that triangle. (dpotrf and dpotri never read the other triangle; the
 * GSL fallbacks use it as scratch, so it is unspecified afterwards.) */
typedef void BlasPotriFn(const char *uplo, const int *n, double *a,
                         const int *lda, int *info);
/* LAPACK dpotrs: solves a x = b for nrhs columns of b (ldb) in place, with
 * dpotrf's factor of a. */
typedef void BlasPotrsFn(const char *uplo, const int *n, const int *nrhs,
                         const double *a, const int *lda, double *b,
                         const int *ldb, int *info);

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
  BlasPotrfFn *dpotrf;
  BlasPotriFn *dpotri;
  BlasPotrsFn *dpotrs;
  const char *name; /* "OpenBLAS" or "gslcblas" */
  /* OpenBLAS's thread pool size (NULL with gslcblas): see blas_serial. */
  int (*get_threads)(void);
  void (*set_threads)(int n);
} BlasFns;

/* The functions to call (thread-safe; loads OpenBLAS the first time). */
const BlasFns *blas(void);

/* The fallback table (gslcblas and GSL's LAPACK equivalents), whatever
 * blas() chose: for tests that compare the two, and for PPL_BLAS. */
const BlasFns *blas_reference(void);

/* While MCMC chains run in threads of their own, OpenBLAS's pool only
 * gets in their way: its threads spin between calls and take the cores
 * the chains need (six times slower logistic regression, measured), and
 * the tapes' products are too small to gain from splitting. blas_serial
 * runs BLAS on the calling thread until blas_serial_end, and returns what
 * blas_serial_end needs to restore the pool. It does nothing when the user
 * chose a thread count (OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS or
 * OMP_NUM_THREADS set) or with gslcblas. Call both from the thread that
 * owns the interpreter, with no BLAS call in flight. */
int blas_serial(void);
void blas_serial_end(int saved);

#endif
