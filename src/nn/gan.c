/*
 * gan.c — GAN and conditional GAN training (the algorithm and the losses
 * are in gan.h).
 *
 * Two tapes, built once for the batch size:
 *   the D tape (theta = D's weights): G with held weights turns the noise
 *     z (and labels c) into fake rows; D scores the real rows and the fake
 *     ones (and, for wasserstein-gp, the interpolates and their input
 *     gradient); its output is D's loss;
 *   the G tape (theta = G's weights): G on z (and c), then D with held
 *     weights; its output is G's loss.
 * Each step writes the minibatch, the noise, the labels, the dropout masks
 * and the other network's current weights into the tape's inputs, then
 * takes one gradient and one Adam step. Nothing is allocated per step.
 */
#include <config.h>
#include "nn/gan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "nn/adam.h"
#include "rng.h"

/* Keeps the norm's square root away from 0, where its derivative is
 * infinite (an interpolate at which D is flat). */
static const double GP_NORM_EPS = 1e-12;

typedef struct GanTapes {
  size_t batch;
  /* the D step */
  Tape *td;
  TapeState *sd;
  TapeSlot dz, dc, dx, deps;
  NnOnTape d_gen, d_real, d_fake, d_mix;
  /* the G step */
  Tape *tg;
  TapeState *sg;
  TapeSlot gz, gc;
  NnOnTape g_gen, g_disc;
} GanTapes;

static TapeSlot bce(Tape *t, TapeSlot logits, double target, double scale,
                    char *e) {
  const TapeSlot in[2] = {logits, tape_scalar(t, target)};
  return tape_op(t, TAPE_BCE_LOGITS, in, 2, &scale, 1, e);
}

/* scale * sum(x) */
static TapeSlot scaled_sum(Tape *t, TapeSlot x, double scale, char *e) {
  return tape_op2(t, TAPE_MUL, tape_scalar(t, scale),
                  tape_op1(t, TAPE_SUM, x, e), e);
}

/* lambda / B * sum_i (|grad_i| - 1)^2 at the interpolates. */
static TapeSlot gradient_penalty(GanTapes *g, const NnNet *D,
                                 const NnGanOptions *o, TapeSlot fake,
                                 char *err) {
  Tape *t = g->td;
  char e[TAPE_ERR_LEN];
  TapeSlot diff = tape_op2(t, TAPE_SUB, g->dx, fake, e);
  TapeSlot mix = tape_op2(t, TAPE_ADD, fake,
                          tape_op2(t, TAPE_MUL, g->deps, diff, e), e);
  const NnPlace plain = {.held = false, .base = 0, .dropout = false};
  if (!nn_net_build(D, t, plain, mix, g->dc, &g->d_mix, err))
    return TAPE_NONE;
  TapeSlot grad = nn_net_input_grad(&g->d_mix, t, err);
  if (grad == TAPE_NONE)
    return TAPE_NONE;
  TapeSlot sq = tape_op1(t, TAPE_SUM_COLS, tape_op1(t, TAPE_SQUARE, grad, e),
                         e);
  TapeSlot norm = tape_op1(
      t, TAPE_SQRT, tape_op2(t, TAPE_ADD, sq, tape_scalar(t, GP_NORM_EPS), e),
      e);
  const TapeSlot in[2] = {norm, tape_scalar(t, 1.0)};
  const double scale = o->gp_weight / (double)g->batch;
  return tape_op(t, TAPE_SQ_ERR, in, 2, &scale, 1, e);
}

static bool build_d_tape(GanTapes *g, const NnNet *G, const NnNet *D,
                         const NnGanData *d, const NnGanOptions *o,
                         char *err) {
  const size_t B = g->batch;
  Tape *t = g->td = tape_alloc(D->nparams);
  char e[TAPE_ERR_LEN];
  g->dz = tape_input(t, 2, B, G->sizes[0]);
  g->dc = G->cond ? tape_input(t, 2, B, G->cond) : TAPE_NONE;
  g->dx = tape_input(t, 2, B, d->ncols);
  const NnPlace held = {.held = true, .dropout = false};
  const NnPlace own = {.held = false, .base = 0, .dropout = true};
  if (!nn_net_build(G, t, held, g->dz, g->dc, &g->d_gen, err) ||
      !nn_net_build(D, t, own, g->dx, g->dc, &g->d_real, err) ||
      !nn_net_build(D, t, own, g->d_gen.out[0], g->dc, &g->d_fake, err))
    return false;
  const double inv = 1.0 / (double)B;
  TapeSlot loss;
  if (o->loss == NN_GAN_WASSERSTEIN_GP) {
    g->deps = tape_input(t, 2, B, 1);
    TapeSlot pen = gradient_penalty(g, D, o, g->d_gen.out[0], err);
    if (pen == TAPE_NONE)
      return false;
    loss = tape_op2(t, TAPE_SUB, scaled_sum(t, g->d_fake.pre[0], inv, e),
                    scaled_sum(t, g->d_real.pre[0], inv, e), e);
    loss = tape_op2(t, TAPE_ADD, loss, pen, e);
  } else {
    loss = tape_op2(t, TAPE_ADD, bce(t, g->d_real.pre[0], 1.0, inv, e),
                    bce(t, g->d_fake.pre[0], 0.0, inv, e), e);
  }
  ASSERT(loss != TAPE_NONE);
  tape_set_output(t, loss);
  tape_finish(t);
  g->sd = tape_state_alloc(t);
  return true;
}

static bool build_g_tape(GanTapes *g, const NnNet *G, const NnNet *D,
                         const NnGanOptions *o, char *err) {
  const size_t B = g->batch;
  Tape *t = g->tg = tape_alloc(G->nparams);
  char e[TAPE_ERR_LEN];
  g->gz = tape_input(t, 2, B, G->sizes[0]);
  g->gc = G->cond ? tape_input(t, 2, B, G->cond) : TAPE_NONE;
  const NnPlace own = {.held = false, .base = 0, .dropout = true};
  const NnPlace held = {.held = true, .dropout = false};
  if (!nn_net_build(G, t, own, g->gz, g->gc, &g->g_gen, err) ||
      !nn_net_build(D, t, held, g->g_gen.out[0], g->gc, &g->g_disc, err))
    return false;
  const double inv = 1.0 / (double)B;
  TapeSlot logits = g->g_disc.pre[0], loss;
  switch (o->loss) {
  case NN_GAN_NONSATURATING:
    loss = bce(t, logits, 1.0, inv, e);
    break;
  case NN_GAN_MINIMAX:
    loss = bce(t, logits, 0.0, -inv, e);
    break;
  default:
    loss = scaled_sum(t, logits, -inv, e);
  }
  ASSERT(loss != TAPE_NONE);
  tape_set_output(t, loss);
  tape_finish(t);
  g->sg = tape_state_alloc(t);
  return true;
}

static void free_tapes(GanTapes *g) {
  tape_state_free(g->sd);
  tape_state_free(g->sg);
  tape_free(g->td);
  tape_free(g->tg);
}

/* ---- the loop --------------------------------------------------------------- */

typedef struct GanRun {
  NnNet *G, *D;
  const NnGanData *d;
  const NnGanOptions *o;
  GanTapes tapes;
  NnAdam adam_g, adam_d;
  NnBatcher batcher;
  double *grad_g, *grad_d;
  double *good_g, *good_d; /* weights at the start of the epoch */
  double *avg_g, *good_avg; /* the moving average of G (ema > 0) */
  size_t *fake_labels;     /* B labels for the G step */
} GanRun;

enum { COL_D_LOSS, COL_G_LOSS, COL_REAL_ACC, COL_FAKE_ACC };

static double fraction_above(const double *l, size_t n, double sign) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += sign * l[i] > 0.0;
  return (double)k / (double)n;
}

static bool d_step(GanRun *r, NnEpoch *ep) {
  GanTapes *g = &r->tapes;
  const size_t B = g->batch;
  const NnGanData *d = r->d;
  Rng *rng = r->o->train.rng;
  const size_t *idx = nn_batcher_next(&r->batcher);
  TapeState *st = g->sd;
  nn_gather_rows(d->x, d->ncols, idx, B, tape_input_data(st, g->dx));
  nn_fill_normal(tape_input_data(st, g->dz), B * r->G->sizes[0], rng);
  if (r->G->cond)
    nn_one_hot(d->labels, idx, B, r->G->cond, tape_input_data(st, g->dc));
  if (r->o->loss == NN_GAN_WASSERSTEIN_GP) {
    double *e = tape_input_data(st, g->deps);
    for (size_t i = 0; i < B; i++)
      e[i] = rng_uniform(rng);
  }
  nn_on_tape_load(&g->d_gen, st, r->G->theta);
  nn_on_tape_masks(&g->d_real, st, rng);
  nn_on_tape_masks(&g->d_fake, st, rng);
  const double loss = tape_logp_grad(st, r->D->theta, r->grad_d);
  if (!isfinite(loss)) {
    nn_epoch_diverged(ep, "the discriminator's loss");
    return false;
  }
  nn_adam_step(&r->adam_d, r->D->theta, r->grad_d);
  nn_epoch_add(ep, COL_D_LOSS, loss);
  if (r->o->loss != NN_GAN_WASSERSTEIN_GP) {
    nn_epoch_add(ep, COL_REAL_ACC,
                 fraction_above(tape_value(st, g->d_real.pre[0]), B, 1.0));
    nn_epoch_add(ep, COL_FAKE_ACC,
                 fraction_above(tape_value(st, g->d_fake.pre[0]), B, -1.0));
  }
  return true;
}

/* Labels of the generated rows: those of rows drawn at random from the
 * data, so the classes keep their frequencies. */
static void draw_labels(GanRun *r, Rng *rng) {
  gsl_rng *gr = rng_gsl(rng);
  for (size_t i = 0; i < r->tapes.batch; i++)
    r->fake_labels[i] =
        r->d->labels[gsl_rng_uniform_int(gr, (unsigned long)r->d->n)];
}

static bool g_step(GanRun *r, NnEpoch *ep) {
  GanTapes *g = &r->tapes;
  const size_t B = g->batch;
  Rng *rng = r->o->train.rng;
  TapeState *st = g->sg;
  nn_fill_normal(tape_input_data(st, g->gz), B * r->G->sizes[0], rng);
  if (r->G->cond) {
    draw_labels(r, rng);
    nn_one_hot(r->fake_labels, NULL, B, r->G->cond,
               tape_input_data(st, g->gc));
  }
  nn_on_tape_load(&g->g_disc, st, r->D->theta);
  nn_on_tape_masks(&g->g_gen, st, rng);
  const double loss = tape_logp_grad(st, r->G->theta, r->grad_g);
  if (!isfinite(loss)) {
    nn_epoch_diverged(ep, "the generator's loss");
    return false;
  }
  nn_adam_step(&r->adam_g, r->G->theta, r->grad_g);
  nn_epoch_add(ep, COL_G_LOSS, loss);
  if (r->avg_g) {
    const double b = r->o->ema;
    for (size_t k = 0; k < r->G->nparams; k++)
      r->avg_g[k] = b * r->avg_g[k] + (1.0 - b) * r->G->theta[k];
  }
  return true;
}

static void run_alloc(GanRun *r) {
  const size_t ng = r->G->nparams, nd = r->D->nparams;
  const NnTrainOptions *t = &r->o->train;
  nn_adam_init(&r->adam_g, ng, t->lr, t->beta1, t->beta2);
  nn_adam_init(&r->adam_d, nd, r->o->lr_d, t->beta1, t->beta2);
  r->grad_g = malloc((ng + 1) * sizeof(double));
  r->grad_d = malloc((nd + 1) * sizeof(double));
  r->good_g = malloc((ng + 1) * sizeof(double));
  r->good_d = malloc((nd + 1) * sizeof(double));
  r->fake_labels = malloc((r->tapes.batch + 1) * sizeof(size_t));
  if (!r->grad_g || !r->grad_d || !r->good_g || !r->good_d ||
      !r->fake_labels)
    PANIC("train_gan: out of memory");
  if (r->o->ema > 0.0) {
    r->avg_g = malloc((ng + 1) * sizeof(double));
    r->good_avg = malloc((ng + 1) * sizeof(double));
    if (!r->avg_g || !r->good_avg)
      PANIC("train_gan: out of memory");
    memcpy(r->avg_g, r->G->theta, ng * sizeof(double));
  }
}

static void run_free(GanRun *r) {
  nn_adam_clear(&r->adam_g);
  nn_adam_clear(&r->adam_d);
  free(r->grad_g);
  free(r->grad_d);
  free(r->good_g);
  free(r->good_d);
  free(r->fake_labels);
  free(r->avg_g);
  free(r->good_avg);
  nn_batcher_clear(&r->batcher);
  free_tapes(&r->tapes);
}

/* One epoch; false when training stops (h->end says why). */
static bool run_epoch(GanRun *r, NnHistory *h, size_t epoch) {
  const size_t k = r->o->d_steps;
  size_t steps = nn_batcher_steps(&r->batcher) / k;
  if (steps == 0)
    steps = 1;
  memcpy(r->good_g, r->G->theta, r->G->nparams * sizeof(double));
  memcpy(r->good_d, r->D->theta, r->D->nparams * sizeof(double));
  if (r->avg_g)
    memcpy(r->good_avg, r->avg_g, r->G->nparams * sizeof(double));
  nn_batcher_shuffle(&r->batcher, r->o->train.rng);
  NnEpoch ep;
  nn_epoch_begin(&ep, h, &r->o->train, epoch, steps);
  for (size_t s = 0; s < steps; s++) {
    for (size_t j = 0; j < k; j++)
      if (!d_step(r, &ep))
        goto diverged;
    if (!g_step(r, &ep))
      goto diverged;
    if (!nn_epoch_step(&ep)) {
      nn_epoch_end(&ep);
      h->end = NN_END_STOPPED;
      return false;
    }
  }
  nn_epoch_end(&ep);
  return true;
diverged:
  memcpy(r->G->theta, r->good_g, r->G->nparams * sizeof(double));
  memcpy(r->D->theta, r->good_d, r->D->nparams * sizeof(double));
  if (r->avg_g)
    memcpy(r->avg_g, r->good_avg, r->G->nparams * sizeof(double));
  return false;
}

bool nn_gan_train(NnNet *G, NnNet *D, const NnGanData *d,
                  const NnGanOptions *o, NnHistory *h, char *err) {
  static const char *const cols[] = {"d_loss", "g_loss", "real_acc",
                                     "fake_acc", NULL};
  ASSERT(nn_net_outputs(G) == d->ncols && D->sizes[0] == d->ncols);
  ASSERT(G->cond == D->cond && (G->cond == 0) == (d->labels == NULL));
  ASSERT(nn_net_outputs(D) == 1 && d->n > 0 && o->d_steps > 0);
  nn_history_init(h, o->train.epochs, cols);
  GanRun r = {.G = G, .D = D, .d = d, .o = o};
  nn_batcher_init(&r.batcher, d->n, o->train.batch);
  r.tapes.batch = r.batcher.batch;
  if (!build_d_tape(&r.tapes, G, D, d, o, err) ||
      !build_g_tape(&r.tapes, G, D, o, err)) {
    nn_batcher_clear(&r.batcher);
    free_tapes(&r.tapes);
    return false;
  }
  run_alloc(&r);
  for (size_t e = 0; e < o->train.epochs; e++)
    if (!run_epoch(&r, h, e))
      break;
  if (r.avg_g)
    memcpy(G->theta, r.avg_g, G->nparams * sizeof(double));
  run_free(&r);
  return true;
}
