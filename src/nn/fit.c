/*
 * fit.c — supervised training of one network (fit.h). One tape: inputs
 * x, y (and the labels of a conditional network), theta the weights.
 */
#include <config.h>
#include "nn/fit.h"

#include "common.h"

typedef struct Fit {
  const double *x, *y, *cond;
  size_t nin, nout, ncond;
  TapeSlot in, target, c;
  NnOnTape on;
} Fit;

static void fill(void *ctx, TapeState *st, const size_t *idx, size_t B,
                 Rng *rng) {
  Fit *f = ctx;
  nn_gather_rows(f->x, f->nin, idx, B, tape_input_data(st, f->in));
  nn_gather_rows(f->y, f->nout, idx, B, tape_input_data(st, f->target));
  if (f->ncond)
    nn_gather_rows(f->cond, f->ncond, idx, B, tape_input_data(st, f->c));
  nn_on_tape_masks(&f->on, st, rng);
}

static void record(void *ctx, const TapeState *st, double loss, NnEpoch *ep) {
  (void)ctx;
  (void)st;
  nn_epoch_add(ep, 0, loss);
}

bool nn_fit_train(NnNet *net, const double *x, const double *y,
                  const double *cond, size_t n, NnRecon loss,
                  const NnTrainOptions *o, NnHistory *h, char *err) {
  static const char *const cols[] = {"loss", NULL};
  Fit f = {.x = x, .y = y, .cond = cond, .nin = net->sizes[0],
           .nout = nn_net_outputs(net), .ncond = net->cond};
  ASSERT(net->nheads == 1 && (cond == NULL) == (net->cond == 0));
  const size_t B = o->batch < n ? o->batch : n;
  Tape *t = tape_alloc(net->nparams);
  char e[TAPE_ERR_LEN];
  f.in = tape_input(t, 2, B, f.nin);
  f.target = tape_input(t, 2, B, f.nout);
  f.c = f.ncond ? tape_input(t, 2, B, f.ncond) : TAPE_NONE;
  const NnPlace p = {.held = false, .base = 0, .dropout = true};
  if (!nn_net_build(net, t, p, f.in, f.c, &f.on, err)) {
    tape_free(t);
    return false;
  }
  const double inv = 1.0 / (double)B;
  const TapeSlot in[2] = {loss == NN_RECON_BCE ? f.on.pre[0] : f.on.out[0],
                          f.target};
  TapeSlot out = tape_op(t, loss == NN_RECON_BCE ? TAPE_BCE_LOGITS : TAPE_SQ_ERR,
                         in, 2, &inv, 1, e);
  ASSERT(out != TAPE_NONE);
  tape_set_output(t, out);
  tape_finish(t);
  const NnLoop l = {.t = t,
                    .nets = {net},
                    .nnets = 1,
                    .fill = fill,
                    .record = record,
                    .ctx = &f,
                    .what = "the loss"};
  nn_loop_run(&l, n, o, cols, h);
  tape_free(t);
  return true;
}
