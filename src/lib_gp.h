/*
 * lib_gp.h — what the Gaussian-process builtins share: lib_gp.c (kernels,
 * gp_fit, predict, gp_sample) and lib_gp_model.c (GPMarginal inside model
 * blocks, gp_conditional).
 */
#ifndef PPL_LIB_GP_H
#define PPL_LIB_GP_H

#include "builtin.h"
#include "gp/kernel.h"

/* Input points as the numerics want them: n rows of ncols, row-major. */
typedef struct GpPoints {
  Value value; /* as a vector or matrix (what a mean function receives) */
  const double *x;
  size_t n, ncols;
} GpPoints;

/* The kernel inside a kernel value, or NULL. */
GpKernel *lib_gp_kernel_of(Value v);

/* Argument i as points: a vector (one column) or a matrix (one row per
 * point), non-empty and finite; false with an error naming the argument. */
bool lib_gp_points_arg(Args *a, int i, GpPoints *p);

/* As lib_gp_points_arg, for new points that must have ncols columns. */
bool lib_gp_new_points_arg(Args *a, int i, size_t ncols, GpPoints *p);

/* False with an error naming argument i and the position when one of the
 * n x ncols values v is NaN or infinite. */
bool lib_gp_finite_values(Args *a, int i, const double *v, size_t n,
                          size_t ncols);

/* A mean function's values at the points into out (p->n doubles): mean is
 * nil (zeros), a number, or a function of the points returning a number
 * or one per point; fn names the caller in errors. */
bool lib_gp_mean_values(VM *vm, const char *fn, Value mean, const GpPoints *p,
                        double *out);

/* Registers GPMarginal and gp_conditional (lib_gp_model.c); called by
 * lib_gp_register. */
void lib_gp_model_register(VM *vm);

#endif
