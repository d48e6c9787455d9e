/*
 * adam.h — the Adam optimiser (Kingma & Ba 2015), as PyTorch's
 * torch.optim.Adam computes it (no weight decay, no amsgrad):
 *
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2;   t = t + 1
 *   theta -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *
 * g is the gradient of a loss to minimise. The moments are malloc-owned.
 */
#ifndef PPL_NN_ADAM_H
#define PPL_NN_ADAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct NnAdam {
  size_t n;
  double lr, beta1, beta2, eps;
  double *m, *v; /* n doubles each */
  uint64_t t;    /* steps taken */
} NnAdam;

/* PyTorch's default eps. */
#define NN_ADAM_EPS 1e-8

/* Moments of n parameters, zero. */
void nn_adam_init(NnAdam *a, size_t n, double lr, double beta1, double beta2);
void nn_adam_clear(NnAdam *a);

/* One step on theta (n doubles) along grad. */
void nn_adam_step(NnAdam *a, double *theta, const double *grad);

#endif
