/*
 * kernel.h — covariance functions for Gaussian processes, as expression
 * trees: leaves (ExpQuad, Matern12/32/52, RationalQuadratic, Periodic,
 * Linear, Polynomial, Constant, White) combined by sums and products
 * (a scaled kernel c * k is the product Constant(c) * k).
 *
 * Formulas and names follow PyMC's pm.gp.cov (r^2 = sum_t ((x_t - x'_t) /
 * ls_t)^2 over the active input columns):
 *   ExpQuad            exp(-r^2 / 2)
 *   Matern12           exp(-r)
 *   Matern32           (1 + sqrt3 r) exp(-sqrt3 r)
 *   Matern52           (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r)
 *   RationalQuadratic  (1 + r^2 / (2 alpha))^-alpha
 *   Periodic           exp(-1/2 sum_t sin^2(pi (x_t - x'_t) / period) / ls_t^2)
 *   Linear             sum_t (x_t - c_t)(x'_t - c_t)
 *   Polynomial         (sum_t (x_t - c_t)(x'_t - c_t) + offset)^d
 *   Constant           c
 *   White              sigma^2 where the two points are the same point, else 0
 * (Rasmussen & Williams 2006, ch. 4). "The same point" means the same row
 * of the same input set: K(X) has sigma^2 on its diagonal, K(X, X') for a
 * second set is 0 (as scikit-learn's WhiteKernel and PyMC's WhiteNoise).
 *
 * Hyperparameters are grouped by name ("ls", "alpha", "period", "c",
 * "offset", "sigma"); a group holds one value, or one per active column
 * (ARD lengthscales, per-column c). Positive groups are optimised on the
 * log scale, c on its own scale: theta, the unconstrained vector, holds
 * log(value) or value, in tree order (left operand first; within a leaf,
 * its groups in order). Every gradient here is with respect to theta.
 *
 * Kernels are GC memory (mem.h) and immutable once built, except through
 * gp_kernel_set_theta on a private copy made by gp_kernel_bind.
 */
#ifndef PPL_GP_KERNEL_H
#define PPL_GP_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(KIND, name as the user writes it) */
#define GP_KERNEL_KINDS(X)                                                     \
  X(EXPQUAD, "ExpQuad")                                                        \
  X(MATERN12, "Matern12")                                                      \
  X(MATERN32, "Matern32")                                                      \
  X(MATERN52, "Matern52")                                                      \
  X(RATQUAD, "RationalQuadratic")                                              \
  X(PERIODIC, "Periodic")                                                      \
  X(LINEAR, "Linear")                                                          \
  X(POLYNOMIAL, "Polynomial")                                                  \
  X(CONSTANT, "Constant")                                                      \
  X(WHITE, "White")                                                            \
  X(SUM, "+")                                                                  \
  X(PROD, "*")

typedef enum {
#define X(kind, name) GPK_##kind,
  GP_KERNEL_KINDS(X)
#undef X
} GpKernelKind;

enum { GP_MAX_GROUPS = 2 };

typedef struct GpParam {
  const char *name; /* "ls", "alpha", ... (static string) */
  int n;            /* values: 1, or one per active column */
  double *v;        /* n values on their natural scale (GC atomic) */
  bool positive;    /* log scale in theta; else as is */
  bool per_column;  /* may hold one value per active column */
  bool fixed;       /* kept out of the optimisation */
  void *sym;        /* a symbolic value standing for v (the bridge's: a
                       model variable inside a model block, see
                       lib_gp_model.c), or NULL; v then holds n NaNs,
                       which only give it its size: neither binding's
                       checks nor the kernel expansion read them */
} GpParam;

typedef struct GpKernel {
  GpKernelKind kind;
  struct GpKernel *left, *right; /* operands of SUM and PROD */
  int ngroups;
  GpParam group[GP_MAX_GROUPS];
  int degree;    /* Polynomial's d */
  int input_dim; /* columns the inputs must have; 0: any */
  int ndims;     /* active columns (after bind: always set) */
  int *dims;     /* their indices; NULL before bind means all */
  bool all_dims; /* dims were set by bind to every column */
  bool ard;      /* one ls (or c) per active column, expanded by bind */
} GpKernel;

/* The user-facing name of a kind ("ExpQuad", ...; "+" and "*"). */
const char *gp_kernel_name(GpKernelKind kind);

/* A leaf of the given kind with PyMC's defaults where it has them (ls 1,
 * alpha 1, period 1, c 0 (Constant: 1), d 2, offset 1, sigma 1), all
 * columns active, nothing fixed. Callers replace group values before
 * use; gp_kernel_bind checks them. */
GpKernel *gp_kernel_leaf(GpKernelKind kind);

/* The group of a leaf with that name, or NULL. */
GpParam *gp_kernel_group(GpKernel *k, const char *name);

/* left op right for op GPK_SUM or GPK_PROD (operands are shared, not
 * copied: kernels are immutable). */
GpKernel *gp_kernel_combine(GpKernelKind op, GpKernel *left, GpKernel *right);

enum { GP_ERR_LEN = 200 };

/* A private copy of k for inputs with ncols columns: active columns
 * resolved (dims set), ARD groups expanded to one value per active column.
 * NULL + err (a sentence naming the kernel and the parameter) when
 * input_dim or an active column disagrees with ncols, a vector group's
 * length differs from the number of active columns, or a value is out of
 * its domain (positive groups must be > 0 and finite). */
GpKernel *gp_kernel_bind(const GpKernel *k, size_t ncols, char *err);

/* Whether some hyperparameter of k is symbolic (GpParam.sym); the first
 * such leaf and group in tree order go to *leaf and *group (either may be
 * NULL). */
bool gp_kernel_symbolic(const GpKernel *k, const GpKernel **leaf,
                        const GpParam **group);

/* Hyperparameters of a bound kernel: all of them, and the free ones. */
size_t gp_kernel_nparams(const GpKernel *k);
size_t gp_kernel_nfree(const GpKernel *k);

/* theta (see the file comment) out of and into a bound kernel, all
 * parameters (free_only false) or the free ones in order. */
void gp_kernel_get_theta(const GpKernel *k, double *theta, bool free_only);
void gp_kernel_set_theta(GpKernel *k, const double *theta, bool free_only);

/* For each parameter in theta order: is it free, is it on the log scale.
 * Either array may be NULL. */
void gp_kernel_param_info(const GpKernel *k, bool *free, bool *positive);

/* Where the pair (a_i, b_j) is "the same point" (White's diagonal): when
 * i == j + diag. GP_NO_DIAG: never (two different input sets). */
#define GP_NO_DIAG PTRDIFF_MIN

/*
 * The block K[i, j] = k(a_i, b_j) of a bound kernel, for na points xa and
 * nb points xb (row-major, ncols columns each, as passed to bind), written
 * column-major into K with leading dimension ldk >= na. When dK is not
 * NULL it receives, for each of the gp_kernel_nparams(k) parameters in
 * theta order, the na x nb block dK/dtheta (column-major, tight: parameter
 * q at dK + q * na * nb). Sums and products need scratch: work holds at
 * least gp_kernel_work(k, na, nb) doubles, or is NULL to have it allocated
 * for this call (callers evaluating many blocks pass their own, so no
 * allocation happens per block).
 */
void gp_kernel_block(const GpKernel *k, const double *xa, size_t na,
                     const double *xb, size_t nb, size_t ncols, ptrdiff_t diag,
                     double *K, size_t ldk, double *dK, double *work);

/* Scratch doubles gp_kernel_block needs for an na x nb block. */
size_t gp_kernel_work(const GpKernel *k, size_t na, size_t nb);

/* k(x_i, x_i) for n points, including White's sigma^2. */
void gp_kernel_diag(const GpKernel *k, const double *x, size_t n, size_t ncols,
                    double *out);

#endif
