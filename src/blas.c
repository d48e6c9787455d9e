/*
 * blas.c — the lazily loaded CBLAS (and Cholesky LAPACK) table of blas.h.
 *
 * The GSL fallbacks of dpotrf/dpotri see a column-major triangle as the
 * opposite triangle of GSL's row-major gsl_matrix: column-major 'U' is
 * row-major lower, which is what GSL's Cholesky reads and writes, so 'L'
 * is served by mirroring the triangle across the diagonal before and after.
 */
#include <config.h>
#include "blas.h"

#include <dlfcn.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static BlasFns table;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Copies the strict lower triangle of the column-major n x n matrix a onto
 * its upper triangle (to_upper) or the reverse. */
static void mirror(double *a, int n, int lda, bool to_upper) {
  for (int j = 0; j < n; j++)
    for (int i = j + 1; i < n; i++) {
      double *lo = &a[i + (size_t)j * (size_t)lda];
      double *up = &a[j + (size_t)i * (size_t)lda];
      if (to_upper)
        *up = *lo;
      else
        *lo = *up;
    }
}

static bool is_lower(const char *uplo) { return *uplo == 'L' || *uplo == 'l'; }

static void gsl_dpotrf(const char *uplo, const int *n, double *a,
                       const int *lda, int *info) {
  *info = 0;
  if (*n == 0)
    return;
  bool lower = is_lower(uplo);
  if (lower)
    mirror(a, *n, *lda, true);
  gsl_matrix_view m =
      gsl_matrix_view_array_with_tda(a, (size_t)*n, (size_t)*n, (size_t)*lda);
  if (gsl_linalg_cholesky_decomp1(&m.matrix) != GSL_SUCCESS) {
    *info = 1; /* LAPACK gives the failing minor; callers need only > 0 */
    return;
  }
  if (lower)
    mirror(a, *n, *lda, false);
}

static void gsl_dpotri(const char *uplo, const int *n, double *a,
                       const int *lda, int *info) {
  *info = 0;
  if (*n == 0)
    return;
  if (is_lower(uplo))
    mirror(a, *n, *lda, true);
  gsl_matrix_view m =
      gsl_matrix_view_array_with_tda(a, (size_t)*n, (size_t)*n, (size_t)*lda);
  if (gsl_linalg_cholesky_invert(&m.matrix) != GSL_SUCCESS)
    *info = 1;
  /* GSL fills both triangles with the (symmetric) inverse. */
}

static void gsl_dpotrs(const char *uplo, const int *n, const int *nrhs,
                       const double *a, const int *lda, double *b,
                       const int *ldb, int *info) {
  *info = 0;
  bool lower = is_lower(uplo);
  for (int c = 0; c < *nrhs; c++) {
    double *x = b + (size_t)c * (size_t)*ldb;
    if (lower) { /* L L^T x = b */
      cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, *n,
                  a, *lda, x, 1);
      cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, *n, a,
                  *lda, x, 1);
    } else { /* U^T U x = b */
      cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, *n, a,
                  *lda, x, 1);
      cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, *n,
                  a, *lda, x, 1);
    }
  }
}

static const BlasFns reference_table = {
    .ddot = cblas_ddot,
    .daxpy = cblas_daxpy,
    .dgemv = cblas_dgemv,
    .dger = cblas_dger,
    .dtrsv = cblas_dtrsv,
    .dgemm = cblas_dgemm,
    .dsymm = cblas_dsymm,
    .dsyrk = cblas_dsyrk,
    .dtrsm = cblas_dtrsm,
    .dpotrf = gsl_dpotrf,
    .dpotri = gsl_dpotri,
    .dpotrs = gsl_dpotrs,
    .name = "gslcblas",
};

const BlasFns *blas_reference(void) { return &reference_table; }

static void use_reference(void) { table = reference_table; }

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
      .dpotrf = (BlasPotrfFn *)dlsym(h, "dpotrf_"),
      .dpotri = (BlasPotriFn *)dlsym(h, "dpotri_"),
      .dpotrs = (BlasPotrsFn *)dlsym(h, "dpotrs_"),
      .name = "OpenBLAS",
      .get_threads = (int (*)(void))dlsym(h, "openblas_get_num_threads"),
      .set_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads"),
  };
  if (!(t.get_threads && t.set_threads))
    t.get_threads = NULL, t.set_threads = NULL;
  /* An OpenBLAS built without LAPACK (NO_LAPACK) still serves CBLAS. */
  if (!(t.dpotrf && t.dpotri && t.dpotrs)) {
    t.dpotrf = gsl_dpotrf;
    t.dpotri = gsl_dpotri;
    t.dpotrs = gsl_dpotrs;
  }
  if (t.ddot && t.daxpy && t.dgemv && t.dger && t.dtrsv && t.dgemm &&
      t.dsymm && t.dsyrk && t.dtrsm)
    table = t;
#endif
}

const BlasFns *blas(void) {
  pthread_once(&once, load);
  return &table;
}

static bool user_chose_threads(void) {
  return getenv("OPENBLAS_NUM_THREADS") || getenv("GOTO_NUM_THREADS") ||
         getenv("OMP_NUM_THREADS");
}

int blas_serial(void) {
  const BlasFns *b = blas();
  if (!b->set_threads || user_chose_threads())
    return 0;
  const int saved = b->get_threads();
  if (saved > 1)
    b->set_threads(1);
  return saved;
}

void blas_serial_end(int saved) {
  const BlasFns *b = blas();
  if (b->set_threads && saved > 1)
    b->set_threads(saved);
}
