/*
 * rbm.h — restricted Boltzmann machines with binary visible and hidden
 * units, trained by contrastive divergence, and deep belief networks as
 * RBMs stacked and trained greedily layer by layer.
 *
 * Energy E(v, h) = -b.v - c.h - v W h, so p(h_j = 1 | v) = s(c_j + (v W)_j)
 * and p(v_i = 1 | h) = s(b_i + (W h)_i), s the logistic function.
 * CD-k (Hinton 2002) estimates the log-likelihood gradient on a minibatch
 * by v0 ph0^T - vk phk^T, the negative statistics after k steps of Gibbs
 * sampling from the data (or, persistent CD (Tieleman 2008), from the
 * chains of the previous update). Following Hinton (2010), A Practical
 * Guide to Training RBMs: hidden states are sampled while the chain runs
 * and probabilities are used for the statistics and the visible
 * reconstructions; updates use momentum and an L2 weight cost; W starts
 * N(0, 0.01^2) and the biases at 0. Visible data may be probabilities in
 * [0, 1] rather than bits.
 *
 * A deep belief network (Hinton, Osindero & Teh 2006) is a stack of RBMs:
 * RBM l + 1 is trained on the hidden probabilities RBM l gives its data.
 * Generating runs Gibbs sampling in the top RBM, then passes the sample
 * down through the lower RBMs' p(v | h).
 *
 * Matrices are row-major, products through blas.h. RBMs are GC memory.
 */
#ifndef PPL_NN_RBM_H
#define PPL_NN_RBM_H

#include <stdbool.h>
#include <stddef.h>

#include "nn/train.h"

typedef struct NnRbm {
  size_t nv, nh;
  double *W;    /* nv x nh */
  double *b, *c; /* visible (nv) and hidden (nh) biases */
} NnRbm;

/* Hinton (2010), section 8: W ~ N(0, 0.01^2). */
#define NN_RBM_INIT_SD 0.01

NnRbm *nn_rbm_new(size_t nv, size_t nh);
void nn_rbm_init(NnRbm *r, Rng *rng);
NnRbm *nn_rbm_copy(const NnRbm *r);

typedef struct NnRbmOptions {
  NnTrainOptions train; /* lr, epochs, batch, rng, progress (no Adam) */
  size_t k;             /* Gibbs steps per update */
  double momentum;
  double weight_decay; /* L2 weight cost on W */
  bool persistent;     /* persistent CD */
} NnRbmOptions;

/* Trains r in place on n rows of r->nv values in [0, 1]. History column:
 * recon_error, the mean squared difference between the data and p(v | h0)
 * (h0 sampled from the data), per value. A non-finite update stops
 * training as in train.h. */
void nn_rbm_train(NnRbm *r, const double *x, size_t n,
                  const NnRbmOptions *o, NnHistory *h);

/* p(h = 1 | v) for n rows (n x nh), and p(v = 1 | h) (n x nv). */
void nn_rbm_hidden(const NnRbm *r, const double *v, size_t n, double *ph);
void nn_rbm_visible(const NnRbm *r, const double *h, size_t n, double *pv);

/* Mean-field reconstruction p(v | p(h | x)) of n rows. */
void nn_rbm_reconstruct(const NnRbm *r, const double *x, size_t n,
                        double *out);

/* steps of Gibbs sampling v -> h -> v on n chains starting at v (n x nv,
 * overwritten by the final visible sample; pv, if not NULL, receives the
 * final p(v | h)). */
void nn_rbm_gibbs(const NnRbm *r, double *v, size_t n, size_t steps,
                  Rng *rng, double *pv);

/* Free energy F(v) = -b.v - sum_j softplus(c_j + (v W)_j) of n rows. */
void nn_rbm_free_energy(const NnRbm *r, const double *v, size_t n,
                        double *out);

#endif
