/*
 * vae.h — training a variational autoencoder (Kingma & Welling 2014):
 * the encoder gives the mean mu and log-variance lv of a Gaussian code,
 * z = mu + exp(lv / 2) e with e ~ N(0, I) (the reparameterisation trick),
 * the decoder reconstructs the row from z, and the loss per row is
 *   reconstruction(x, decoder(z)) + beta KL(N(mu, exp(lv)) || N(0, I))
 * averaged over the minibatch (beta = 1: the negative ELBO; Higgins et
 * al. 2017 for beta != 1). The reconstruction is the binary cross-entropy
 * summed over columns, for data in [0, 1] and a decoder whose output
 * activation is the sigmoid (its logits are used, for stability), or the
 * squared error summed over columns (a Gaussian decoder of variance 1/2).
 */
#ifndef PPL_NN_VAE_H
#define PPL_NN_VAE_H

#include "nn/net.h"
#include "nn/train.h"

typedef enum { NN_RECON_BCE, NN_RECON_MSE } NnRecon;

typedef struct NnVaeOptions {
  NnTrainOptions train;
  double beta;
  NnRecon recon;
} NnVaeOptions;

/* Trains E (two heads of width latent) and D (latent inputs, ncols
 * outputs) in place on n rows of ncols. History columns: loss, recon,
 * kl (per row). False with err when the tape refuses the networks. */
bool nn_vae_train(NnNet *E, NnNet *D, const double *x, size_t n,
                  size_t ncols, const NnVaeOptions *o, NnHistory *h,
                  char *err);

#endif
