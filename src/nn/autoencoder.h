/*
 * autoencoder.h — training an autoencoder: an encoder to a code and a
 * decoder back, minimising the reconstruction error of each row (as in
 * vae.h: binary cross-entropy on the decoder's logits, or the squared
 * error, summed over columns and averaged over the minibatch). A
 * denoising autoencoder (Vincent et al. 2008) reconstructs the clean row
 * from a corrupted copy: Gaussian noise of sd `noise` added, and/or each
 * value set to 0 with probability `mask` (masking noise), drawn afresh at
 * every step. A variational encoder is used through its mean head.
 */
#ifndef PPL_NN_AUTOENCODER_H
#define PPL_NN_AUTOENCODER_H

#include "nn/vae.h"

typedef struct NnAeOptions {
  NnTrainOptions train;
  NnRecon recon;
  double noise; /* sd of Gaussian corruption (0: none) */
  double mask;  /* probability of zeroing a value (0: none) */
} NnAeOptions;

/* Trains E and D in place on n rows of ncols; history column: loss. */
bool nn_ae_train(NnNet *E, NnNet *D, const double *x, size_t n, size_t ncols,
                 const NnAeOptions *o, NnHistory *h, char *err);

#endif
