/*
 * gp.h — Gaussian-process regression: the log marginal likelihood and its
 * gradient, fitting hyperparameters by maximising it, prediction and
 * posterior draws (as scikit-learn's GaussianProcessRegressor).
 *
 * The model: y_i = f(x_i) + e_i, f ~ GP(0, k), e_i ~ Normal(0, noise_i)
 * (noise_i a variance: scikit-learn's alpha). A mean function, if any, is
 * subtracted from y by the caller and added back to predictions. With
 * normalize_y the targets are centred and scaled by their mean and standard
 * deviation (n denominator) before fitting, and predictions scaled back;
 * the log marginal likelihood is then that of the scaled targets, as in
 * scikit-learn.
 *
 * Matrices are column-major; only lower triangles of symmetric ones are
 * formed. Factorisations use LAPACK through blas.h. A covariance matrix
 * that is not positive definite gets jitter on its diagonal: GP_JITTER_MIN
 * times its mean diagonal, growing tenfold up to GP_JITTER_MAX times it;
 * the amount is reported back (the numerics never print).
 *
 * Reference: Rasmussen & Williams (2006), Gaussian Processes for Machine
 * Learning, algorithm 2.1 and equation 5.9.
 */
#ifndef PPL_GP_GP_H
#define PPL_GP_GP_H

#include <stdbool.h>
#include <stddef.h>

#include "gp/kernel.h"

typedef struct Rng Rng;

#define GP_JITTER_MIN 1e-10
#define GP_JITTER_MAX 1e-4

/* Hyperparameter bounds of the optimiser, scikit-learn's defaults: a
 * positive parameter stays in [GP_BOUND_LO, GP_BOUND_HI], a real one in
 * [-GP_BOUND_HI, GP_BOUND_HI] (widened to contain the starting value). */
#define GP_BOUND_LO 1e-5
#define GP_BOUND_HI 1e5

typedef enum {
  GP_OK = 0,
  GP_NOT_PD,    /* not positive definite even with GP_JITTER_MAX */
  GP_NONFINITE, /* the kernel produced inf or NaN */
} GpStatus;

/* The data of a fit. */
typedef struct GpData {
  size_t n, ncols;
  const double *x;         /* n points, row-major n x ncols */
  const double *y;         /* n targets */
  const double *noise_var; /* n variances added to K's diagonal */
} GpData;

/* ---- the log marginal likelihood ---------------------------------------- */

typedef struct GpWork GpWork;

/* Workspace for n points and a kernel of nparams hyperparameters: n x n
 * doubles and a few vectors, malloc-owned. NULL when memory is short. */
GpWork *gp_work_alloc(size_t n, size_t nparams);
void gp_work_free(GpWork *w);
/* The jitter added in the last evaluation (0 if none). */
double gp_work_jitter(const GpWork *w);

/*
 * log p(y | X, theta) = -1/2 y^T a - sum_i log L_ii - n/2 log 2 pi, with
 * K + diag(noise) = L L^T and a = (K + diag(noise))^-1 y, for the bound
 * kernel k as it stands. When grad is not NULL it receives, in theta order,
 * d lml / d theta_q = 1/2 tr((a a^T - K^-1) dK/dtheta_q) for all
 * gp_kernel_nparams(k) parameters. Returns GP_OK, or GP_NOT_PD /
 * GP_NONFINITE with *lml = -inf.
 */
GpStatus gp_lml(const GpKernel *k, const GpData *d, GpWork *w, double *lml,
                double *grad);

/* ---- fitting ---------------------------------------------------------------
 */

typedef struct GpFitOptions {
  bool optimize; /* false: keep the kernel's hyperparameters */
  int restarts;  /* starts besides the kernel's own values */
  bool normalize_y;
  Rng *rng;     /* draws the restarts' starting points */
  int max_iter; /* per start; 0: GP_MAX_ITER */
  /* Polled between iterations (may be NULL): true stops the fit, which
   * then fails with "interrupted". */
  bool (*stop)(void *ctx);
  void *stop_ctx;
} GpFitOptions;

enum { GP_MAX_ITER = 1000 };

/* A fitted GP, all of it GC memory. */
typedef struct GpFit {
  GpKernel *kernel; /* bound copy holding the fitted hyperparameters */
  size_t n, ncols;
  double *x;               /* the n training points (copy) */
  double *noise_var;       /* n noise variances (copy) */
  double *y;               /* the modelled targets: (y - y_shift) / y_scale */
  double y_shift, y_scale; /* y = y_shift + y_scale * (the modelled target) */
  double *L;               /* n x n lower Cholesky factor of K + diag(noise) */
  double *alpha;           /* (K + diag(noise))^-1 of the modelled target */
  double lml;              /* log marginal likelihood at the hyperparameters */
  double jitter; /* added to the diagonal of the final factorisation */
  int starts;    /* optimiser starts made, and how many failed */
  int starts_failed;
  int iterations;  /* optimiser iterations, all starts */
  int evaluations; /* likelihood evaluations, all starts */
  bool converged;  /* the best start met a convergence criterion */
  int at_bound;    /* a free parameter (index in theta) that ended at
                      one of its bounds, or -1 */
} GpFit;

/*
 * Fits the bound kernel k to d: maximises the log marginal likelihood over
 * the free hyperparameters (log scale for positive ones) with GSL's BFGS
 * (vector_bfgs2) from k's values and from o->restarts more starting points
 * (each free theta drawn uniformly within a factor GP_RESTART_SPREAD of
 * k's value on the log scale, clipped to the bounds), keeps the best, then
 * factorises once more at it. Stops a start when the largest gradient
 * component is below GP_GTOL, or when an iteration improves the objective
 * by less than GP_FTOL relatively while the gradient is below
 * GP_GTOL_STALL (GP_GTOL and GP_FTOL are L-BFGS-B's pgtol and factr*eps
 * as scikit-learn uses them). Returns NULL with a sentence in err
 * (GP_ERR_LEN) when no start can be evaluated or memory for the n x n
 * matrix is short.
 */
#define GP_RESTART_SPREAD 100.0
#define GP_GTOL 1e-5
#define GP_GTOL_STALL 1e-3
#define GP_FTOL 2.220446049250313e-09
GpFit *gp_fit(const GpKernel *k, const GpData *d, const GpFitOptions *o,
              char *err);

/* The log marginal likelihood of the fit's data at other free
 * hyperparameters theta (gp_kernel_nfree values; NULL: the fitted ones),
 * and its gradient (nfree values) when grad is not NULL. */
GpStatus gp_fit_lml(const GpFit *f, const double *theta, double *lml,
                    double *grad);

/* ---- prediction ---------------------------------------------------------- */

/* At m points xs (row-major m x ncols): the posterior mean (without the
 * caller's mean function), and when not NULL the variance of each point
 * (clipped at 0) and the m x m covariance. Variances include White terms
 * of the kernel (the points are "the same" as themselves), not the noise
 * variances of the training data. */
void gp_predict(const GpFit *f, const double *xs, size_t m, double *mean,
                double *var, double *cov);

/* ndraws functions from the posterior at xs, row r of out (row-major
 * ndraws x m) being draw r: mean + C z with C C^T the posterior covariance
 * (plus jitter when needed, reported in *jitter). GP_NOT_PD when even
 * GP_JITTER_MAX does not help. */
GpStatus gp_sample(const GpFit *f, const double *xs, size_t m, size_t ndraws,
                   Rng *rng, double *out, double *jitter);

#endif
