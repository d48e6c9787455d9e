/*
 * train.c — the pieces every training loop shares (train.h): the history,
 * the running epoch and its progress reports, minibatches.
 */
#include <config.h>
#include "nn/train.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "mem.h"
#include "nn/adam.h"
#include "nn/net.h"
#include "rng.h"
#include "tape.h"

void nn_history_init(NnHistory *h, size_t epochs, const char *const *cols) {
  memset(h, 0, sizeof *h);
  while (cols[h->ncols]) {
    ASSERT(h->ncols < NN_HIST_MAX);
    h->cols[h->ncols] = cols[h->ncols];
    h->ncols++;
  }
  const size_t n = (epochs ? epochs : 1) * h->ncols;
  h->values = mem_alloc_atomic(n * sizeof *h->values);
  h->end = NN_END_DONE;
}

void nn_epoch_begin(NnEpoch *e, NnHistory *h, const NnTrainOptions *o,
                    size_t epoch, size_t steps) {
  memset(e, 0, sizeof *e);
  e->h = h;
  e->o = o;
  e->epoch = epoch;
  e->steps = steps;
  for (size_t c = 0; c < NN_HIST_MAX; c++)
    e->mean[c] = NAN;
}

void nn_epoch_add(NnEpoch *e, size_t c, double v) {
  ASSERT(c < e->h->ncols);
  if (isnan(v))
    return;
  e->sum[c] += v;
  e->count[c] += 1.0;
  e->mean[c] = e->sum[c] / e->count[c];
}

bool nn_epoch_step(NnEpoch *e) {
  e->step++;
  if (!e->o->progress)
    return true;
  const NnProgress p = {.epoch = e->epoch + 1,
                        .epochs = e->o->epochs,
                        .step = e->step,
                        .steps = e->steps,
                        .ncols = e->h->ncols,
                        .cols = e->h->cols,
                        .values = e->mean};
  return e->o->progress(e->o->ctx, &p);
}

void nn_epoch_end(NnEpoch *e) {
  NnHistory *h = e->h;
  memcpy(h->values + h->nepochs * h->ncols, e->mean,
         h->ncols * sizeof *h->values);
  h->nepochs++;
}

void nn_epoch_diverged(NnEpoch *e, const char *what) {
  e->h->end = NN_END_DIVERGED;
  e->h->bad_epoch = e->epoch + 1;
  e->h->bad_step = e->step + 1;
  e->h->bad_what = what;
}

/* ---- minibatches ------------------------------------------------------------ */

void nn_batcher_init(NnBatcher *b, size_t n, size_t batch) {
  b->n = n;
  b->batch = batch < n ? batch : n;
  b->pos = 0;
  b->perm = malloc((n ? n : 1) * sizeof *b->perm);
  if (!b->perm)
    PANIC("nn: out of memory");
  for (size_t i = 0; i < n; i++)
    b->perm[i] = i;
}

void nn_batcher_clear(NnBatcher *b) {
  free(b->perm);
  b->perm = NULL;
}

size_t nn_batcher_steps(const NnBatcher *b) {
  return b->batch == 0 ? 0 : b->n / b->batch;
}

/* Fisher-Yates with GSL's unbiased integer draws (Knuth TAOCP 3.4.2). */
void nn_batcher_shuffle(NnBatcher *b, Rng *rng) {
  gsl_rng *g = rng_gsl(rng);
  for (size_t i = b->n; i > 1; i--) {
    const size_t j = (size_t)gsl_rng_uniform_int(g, (unsigned long)i);
    const size_t tmp = b->perm[i - 1];
    b->perm[i - 1] = b->perm[j];
    b->perm[j] = tmp;
  }
  b->pos = 0;
}

const size_t *nn_batcher_next(NnBatcher *b) {
  if (b->pos + b->batch > b->n)
    b->pos = 0;
  const size_t *idx = b->perm + b->pos;
  b->pos += b->batch;
  return idx;
}

void nn_gather_rows(const double *data, size_t ncols, const size_t *idx,
                    size_t m, double *out) {
  for (size_t i = 0; i < m; i++)
    memcpy(out + i * ncols, data + idx[i] * ncols, ncols * sizeof *out);
}

void nn_one_hot(const size_t *labels, const size_t *idx, size_t m, size_t k,
                double *out) {
  memset(out, 0, m * k * sizeof *out);
  for (size_t i = 0; i < m; i++) {
    const size_t c = labels[idx ? idx[i] : i];
    ASSERT(c < k);
    out[i * k + c] = 1.0;
  }
}

void nn_fill_normal(double *x, size_t n, Rng *rng) {
  gsl_rng *g = rng_gsl(rng);
  for (size_t i = 0; i < n; i++)
    x[i] = gsl_ran_gaussian_ziggurat(g, 1.0);
}

bool nn_all_finite(const double *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return false;
  return true;
}

/* ---- one tape, one loss --------------------------------------------------- */

typedef struct LoopRun {
  const NnLoop *l;
  const NnTrainOptions *o;
  TapeState *st;
  NnBatcher batcher;
  NnAdam adam;
  size_t dim;
  double *theta, *grad, *good;
} LoopRun;

static void pack(const NnLoop *l, double *theta) {
  for (size_t k = 0; k < l->nnets; k++) {
    memcpy(theta, l->nets[k]->theta, l->nets[k]->nparams * sizeof *theta);
    theta += l->nets[k]->nparams;
  }
}

static void unpack(const NnLoop *l, const double *theta) {
  for (size_t k = 0; k < l->nnets; k++) {
    memcpy(l->nets[k]->theta, theta, l->nets[k]->nparams * sizeof *theta);
    theta += l->nets[k]->nparams;
  }
}

/* One epoch; false when training stops. */
static bool loop_epoch(LoopRun *r, NnHistory *h, size_t epoch) {
  const NnLoop *l = r->l;
  const size_t steps = nn_batcher_steps(&r->batcher), B = r->batcher.batch;
  memcpy(r->good, r->theta, r->dim * sizeof *r->theta);
  nn_batcher_shuffle(&r->batcher, r->o->rng);
  NnEpoch ep;
  nn_epoch_begin(&ep, h, r->o, epoch, steps);
  for (size_t s = 0; s < steps; s++) {
    l->fill(l->ctx, r->st, nn_batcher_next(&r->batcher), B, r->o->rng);
    const double loss = tape_logp_grad(r->st, r->theta, r->grad);
    if (!isfinite(loss)) {
      nn_epoch_diverged(&ep, l->what);
      memcpy(r->theta, r->good, r->dim * sizeof *r->theta);
      return false;
    }
    l->record(l->ctx, r->st, loss, &ep);
    nn_adam_step(&r->adam, r->theta, r->grad);
    if (!nn_epoch_step(&ep)) {
      nn_epoch_end(&ep);
      h->end = NN_END_STOPPED;
      return false;
    }
  }
  nn_epoch_end(&ep);
  return true;
}

void nn_loop_run(const NnLoop *l, size_t n, const NnTrainOptions *o,
                 const char *const *cols, NnHistory *h) {
  LoopRun r = {.l = l, .o = o, .dim = tape_dim(l->t)};
  size_t total = 0;
  for (size_t k = 0; k < l->nnets; k++)
    total += l->nets[k]->nparams;
  ASSERT(total == r.dim);
  nn_history_init(h, o->epochs, cols);
  nn_batcher_init(&r.batcher, n, o->batch);
  nn_adam_init(&r.adam, r.dim, o->lr, o->beta1, o->beta2);
  r.theta = malloc((r.dim + 1) * sizeof *r.theta);
  r.grad = malloc((r.dim + 1) * sizeof *r.grad);
  r.good = malloc((r.dim + 1) * sizeof *r.good);
  if (!r.theta || !r.grad || !r.good)
    PANIC("nn: out of memory");
  pack(l, r.theta);
  r.st = tape_state_alloc(l->t);
  for (size_t e = 0; e < o->epochs; e++)
    if (!loop_epoch(&r, h, e))
      break;
  unpack(l, r.theta);
  tape_state_free(r.st);
  free(r.theta);
  free(r.grad);
  free(r.good);
  nn_adam_clear(&r.adam);
  nn_batcher_clear(&r.batcher);
}
