/*
 * autoencoder.c — (denoising) autoencoder training (autoencoder.h).
 * One tape, theta = [E | D]; inputs: the corrupted rows the encoder reads
 * and the clean rows the loss compares with.
 */
#include <config.h>
#include "nn/autoencoder.h"

#include <gsl/gsl_randist.h>
#include <string.h>

#include "common.h"
#include "rng.h"

typedef struct Ae {
  const double *x;
  size_t ncols;
  double noise, mask;
  TapeSlot in, clean;
  NnOnTape enc, dec;
} Ae;

static void fill(void *ctx, TapeState *st, const size_t *idx, size_t B,
                 Rng *rng) {
  Ae *a = ctx;
  double *clean = tape_input_data(st, a->clean), *in = tape_input_data(st, a->in);
  nn_gather_rows(a->x, a->ncols, idx, B, clean);
  gsl_rng *g = rng_gsl(rng);
  for (size_t k = 0; k < B * a->ncols; k++) {
    double v = clean[k];
    if (a->noise > 0.0)
      v += gsl_ran_gaussian_ziggurat(g, a->noise);
    if (a->mask > 0.0 && rng_uniform(rng) < a->mask)
      v = 0.0;
    in[k] = v;
  }
  nn_on_tape_masks(&a->enc, st, rng);
  nn_on_tape_masks(&a->dec, st, rng);
}

static void record(void *ctx, const TapeState *st, double loss, NnEpoch *ep) {
  (void)ctx;
  (void)st;
  nn_epoch_add(ep, 0, loss);
}

bool nn_ae_train(NnNet *E, NnNet *D, const double *x, size_t n, size_t ncols,
                 const NnAeOptions *o, NnHistory *h, char *err) {
  static const char *const cols[] = {"loss", NULL};
  ASSERT(E->sizes[0] == ncols && D->nheads == 1 && E->cond == 0);
  ASSERT(D->sizes[0] == nn_net_outputs(E) && nn_net_outputs(D) == ncols);
  Ae a = {.x = x, .ncols = ncols, .noise = o->noise, .mask = o->mask};
  const size_t B = o->train.batch < n ? o->train.batch : n;
  Tape *t = tape_alloc(E->nparams + D->nparams);
  char e[TAPE_ERR_LEN];
  a.in = tape_input(t, 2, B, ncols);
  a.clean = tape_input(t, 2, B, ncols);
  const NnPlace pe = {.held = false, .base = 0, .dropout = true};
  const NnPlace pd = {.held = false, .base = E->nparams, .dropout = true};
  if (!nn_net_build(E, t, pe, a.in, TAPE_NONE, &a.enc, err) ||
      !nn_net_build(D, t, pd, a.enc.out[0], TAPE_NONE, &a.dec, err)) {
    tape_free(t);
    return false;
  }
  const double inv = 1.0 / (double)B;
  const TapeSlot rin[2] = {
      o->recon == NN_RECON_BCE ? a.dec.pre[0] : a.dec.out[0], a.clean};
  TapeSlot loss =
      tape_op(t, o->recon == NN_RECON_BCE ? TAPE_BCE_LOGITS : TAPE_SQ_ERR,
              rin, 2, &inv, 1, e);
  ASSERT(loss != TAPE_NONE);
  tape_set_output(t, loss);
  tape_finish(t);
  const NnLoop l = {.t = t,
                    .nets = {E, D},
                    .nnets = 2,
                    .fill = fill,
                    .record = record,
                    .ctx = &a,
                    .what = "the reconstruction loss"};
  nn_loop_run(&l, n, &o->train, cols, h);
  tape_free(t);
  return true;
}
