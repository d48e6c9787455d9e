/*
 * vae.c — variational autoencoder training (the model is in vae.h).
 *
 * One tape, theta = [E's weights | D's weights]; inputs: the minibatch x
 * and the noise e. The loss is ADD(reconstruction, GAUSS_KL) with scales
 * 1/B and beta/B, so both read as per-row means.
 */
#include <config.h>
#include "nn/vae.h"

#include <string.h>

#include "common.h"
#include "rng.h"

typedef struct Vae {
  const double *x;
  size_t ncols, latent;
  TapeSlot in, eps, recon, kl;
  NnOnTape enc, dec;
} Vae;

static void fill(void *ctx, TapeState *st, const size_t *idx, size_t B,
                 Rng *rng) {
  Vae *v = ctx;
  nn_gather_rows(v->x, v->ncols, idx, B, tape_input_data(st, v->in));
  nn_fill_normal(tape_input_data(st, v->eps), B * v->latent, rng);
  nn_on_tape_masks(&v->enc, st, rng);
  nn_on_tape_masks(&v->dec, st, rng);
}

static void record(void *ctx, const TapeState *st, double loss, NnEpoch *ep) {
  Vae *v = ctx;
  nn_epoch_add(ep, 0, loss);
  nn_epoch_add(ep, 1, tape_value(st, v->recon)[0]);
  nn_epoch_add(ep, 2, tape_value(st, v->kl)[0]);
}

static bool build(Vae *v, Tape *t, const NnNet *E, const NnNet *D,
                  size_t B, const NnVaeOptions *o, char *err) {
  char e[TAPE_ERR_LEN];
  v->in = tape_input(t, 2, B, v->ncols);
  v->eps = tape_input(t, 2, B, v->latent);
  const NnPlace pe = {.held = false, .base = 0, .dropout = true};
  const NnPlace pd = {.held = false, .base = E->nparams, .dropout = true};
  if (!nn_net_build(E, t, pe, v->in, TAPE_NONE, &v->enc, err))
    return false;
  TapeSlot mu = v->enc.out[0], lv = v->enc.out[1];
  TapeSlot sd = tape_op1(
      t, TAPE_EXP, tape_op2(t, TAPE_MUL, tape_scalar(t, 0.5), lv, e), e);
  TapeSlot z = tape_op2(t, TAPE_ADD, mu, tape_op2(t, TAPE_MUL, sd, v->eps, e),
                        e);
  if (!nn_net_build(D, t, pd, z, TAPE_NONE, &v->dec, err))
    return false;
  const double inv = 1.0 / (double)B, kl_scale = o->beta / (double)B;
  const TapeSlot rin[2] = {
      o->recon == NN_RECON_BCE ? v->dec.pre[0] : v->dec.out[0], v->in};
  v->recon = tape_op(t, o->recon == NN_RECON_BCE ? TAPE_BCE_LOGITS : TAPE_SQ_ERR,
                     rin, 2, &inv, 1, e);
  const TapeSlot kin[2] = {mu, lv};
  v->kl = tape_op(t, TAPE_GAUSS_KL, kin, 2, &kl_scale, 1, e);
  TapeSlot loss = tape_op2(t, TAPE_ADD, v->recon, v->kl, e);
  ASSERT(loss != TAPE_NONE);
  tape_set_output(t, loss);
  tape_finish(t);
  return true;
}

bool nn_vae_train(NnNet *E, NnNet *D, const double *x, size_t n,
                  size_t ncols, const NnVaeOptions *o, NnHistory *h,
                  char *err) {
  static const char *const cols[] = {"loss", "recon", "kl", NULL};
  ASSERT(E->nheads == 2 && E->sizes[0] == ncols && D->nheads == 1);
  ASSERT(D->sizes[0] == nn_net_outputs(E) && nn_net_outputs(D) == ncols);
  Vae v = {.x = x, .ncols = ncols, .latent = D->sizes[0]};
  const size_t B = o->train.batch < n ? o->train.batch : n;
  Tape *t = tape_alloc(E->nparams + D->nparams);
  if (!build(&v, t, E, D, B, o, err)) {
    tape_free(t);
    return false;
  }
  const NnLoop l = {.t = t,
                    .nets = {E, D},
                    .nnets = 2,
                    .fill = fill,
                    .record = record,
                    .ctx = &v,
                    .what = "the loss"};
  nn_loop_run(&l, n, &o->train, cols, h);
  tape_free(t);
  return true;
}
