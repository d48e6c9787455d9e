/*
 * gan.h — training a generative adversarial network: Goodfellow et al.
 * (2014), Algorithm 1, with k discriminator steps per generator step and
 * Adam for both networks; with labels, a conditional GAN (Mirza &
 * Osindero 2014): both networks read the one-hot label besides their
 * usual input.
 *
 * Losses, with D's output a logit l (B rows, means over the batch):
 *   nonsaturating  D: BCE(l_real, 1) + BCE(l_fake, 0);  G: BCE(l_fake, 1)
 *                  (Goodfellow et al.'s "-log D(G(z))" trick)
 *   minimax        D: as above;  G: -BCE(l_fake, 0) = mean log(1 - D(G(z)))
 *   wasserstein-gp D: mean l_fake - mean l_real + lambda mean (|grad_x l(x^)|
 *                  - 1)^2 at x^ = e x_real + (1 - e) x_fake, e ~ U(0, 1)
 *                  per row;  G: -mean l_fake  (Gulrajani et al. 2017)
 * The gradient penalty's input gradient is written out on the tape
 * (nn_net_input_grad) so that its own gradient is exact.
 *
 * While D trains, G's weights are held (tape inputs) and G runs without
 * dropout; while G trains, D's are held likewise: each network's step
 * differentiates only its own weights.
 */
#ifndef PPL_NN_GAN_H
#define PPL_NN_GAN_H

#include "nn/net.h"
#include "nn/train.h"

typedef enum {
  NN_GAN_NONSATURATING,
  NN_GAN_MINIMAX,
  NN_GAN_WASSERSTEIN_GP,
} NnGanLoss;

/* Gulrajani et al.'s lambda. */
#define NN_GAN_GP_WEIGHT 10.0

typedef struct NnGanOptions {
  NnTrainOptions train; /* lr is the generator's */
  double lr_d;          /* the discriminator's learning rate */
  size_t d_steps;       /* discriminator steps per generator step */
  NnGanLoss loss;
  double gp_weight; /* lambda of wasserstein-gp */
  /* > 0: G ends with an exponential moving average of its weights over
   * the generator steps, avg = ema avg + (1 - ema) theta (Yazici et al.
   * 2019, The unusual effectiveness of averaging in GAN training), which
   * damps the oscillation of adversarial training. */
  double ema;
} NnGanOptions;

/* n rows of ncols = D's input width (G's output width), and for a
 * conditional GAN n class numbers below G->cond (= D->cond). */
typedef struct NnGanData {
  const double *x;
  size_t n, ncols;
  const size_t *labels; /* NULL unless conditional */
} NnGanData;

/* Trains G and D in place. The history's columns are d_loss, g_loss,
 * real_acc and fake_acc (the fractions of real rows D scores above 0 and
 * of generated rows below 0; NaN for wasserstein-gp, whose critic has no
 * threshold). Returns false with err (NN_ERR_LEN) when the networks do
 * not fit on a tape (a discriminator with layer norm under
 * wasserstein-gp); a loss that stops being finite is reported in the
 * history, not as a failure. */
bool nn_gan_train(NnNet *G, NnNet *D, const NnGanData *d,
                  const NnGanOptions *o, NnHistory *h, char *err);

#endif
