/*
 * train.h — what every training loop shares: options, the per-epoch
 * history, progress reports, minibatches from a seeded stream, and the
 * stop on a loss that is not finite.
 *
 * An epoch is one pass over the data in minibatches of `batch` rows drawn
 * without replacement from a permutation shuffled each epoch; a last
 * partial batch is dropped (PyTorch's drop_last), so every step sees the
 * same batch size and one tape serves all steps. A batch larger than the
 * data becomes the whole data.
 *
 * When a loss or gradient stops being finite (a learning rate too large,
 * say) training stops and the networks get back the weights they had at
 * the start of that epoch, the last ones known to be good; the history
 * keeps the completed epochs and says where it stopped.
 */
#ifndef PPL_NN_TRAIN_H
#define PPL_NN_TRAIN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Rng Rng;

enum { NN_HIST_MAX = 6 };

typedef enum {
  NN_END_DONE,     /* every epoch ran */
  NN_END_STOPPED,  /* the progress callback asked to stop (Ctrl-C) */
  NN_END_DIVERGED, /* a loss was not finite */
} NnEnd;

/* A report after every step: the epoch's running means so far. */
typedef struct NnProgress {
  size_t epoch, epochs; /* 1-based */
  size_t step, steps;   /* within the epoch, 1-based */
  size_t ncols;
  const char *const *cols;
  const double *values;
} NnProgress;

/* Returns false to stop training (the weights are kept). */
typedef bool (*NnProgressFn)(void *ctx, const NnProgress *p);

typedef struct NnTrainOptions {
  size_t epochs, batch;
  double lr, beta1, beta2; /* Adam */
  Rng *rng;                /* minibatches, noise, dropout */
  NnProgressFn progress;   /* may be NULL */
  void *ctx;
} NnTrainOptions;

/* Means over each epoch's steps, epochs x ncols (GC memory). */
typedef struct NnHistory {
  size_t ncols;
  const char *cols[NN_HIST_MAX];
  size_t nepochs; /* completed */
  double *values;
  NnEnd end;
  size_t bad_epoch, bad_step; /* where a loss stopped being finite */
  const char *bad_what;       /* which loss ("the generator's loss") */
} NnHistory;

/* A history for up to epochs epochs of the named columns (NULL-ended). */
void nn_history_init(NnHistory *h, size_t epochs, const char *const *cols);

/* ---- a running epoch ------------------------------------------------------ */

typedef struct NnEpoch {
  NnHistory *h;
  const NnTrainOptions *o;
  size_t epoch, step, steps;
  double sum[NN_HIST_MAX];
  double count[NN_HIST_MAX];
  double mean[NN_HIST_MAX];
} NnEpoch;

void nn_epoch_begin(NnEpoch *e, NnHistory *h, const NnTrainOptions *o,
                    size_t epoch, size_t steps);
/* Adds an observation of column c (NaN: not observed this step). */
void nn_epoch_add(NnEpoch *e, size_t c, double v);
/* Ends a step; false when the progress callback asked to stop. */
bool nn_epoch_step(NnEpoch *e);
/* Writes the epoch's means into the history. */
void nn_epoch_end(NnEpoch *e);
/* Records a loss that was not finite at the current step. */
void nn_epoch_diverged(NnEpoch *e, const char *what);

/* ---- one tape, one loss --------------------------------------------------- */

typedef struct TapeState TapeState;
typedef struct Tape Tape;
typedef struct NnNet NnNet;

/* The loop of a model with one loss on one tape whose theta is the
 * concatenation of the weights of nets[0 .. nnets): each step fills the
 * tape's inputs for a minibatch (fill), takes the gradient, records the
 * step's columns (record) and takes an Adam step. The tape must be
 * finished and have that theta. */
typedef struct NnLoop {
  Tape *t;
  NnNet *nets[2];
  size_t nnets;
  /* idx: the minibatch's B row numbers */
  void (*fill)(void *ctx, TapeState *st, const size_t *idx, size_t B,
               Rng *rng);
  /* the step's loss (finite) and anything else read from st */
  void (*record)(void *ctx, const TapeState *st, double loss, NnEpoch *ep);
  void *ctx;
  const char *what; /* "the loss", for the divergence report */
} NnLoop;

/* Trains over n rows for o->epochs epochs; the history has the columns
 * given (the first should be the loss). */
void nn_loop_run(const NnLoop *l, size_t n, const NnTrainOptions *o,
                 const char *const *cols, NnHistory *h);

/* ---- minibatches ------------------------------------------------------------ */

typedef struct NnBatcher {
  size_t n, batch, pos;
  size_t *perm;
} NnBatcher;

/* A batcher over n rows (batch clipped to n); malloc-owned. */
void nn_batcher_init(NnBatcher *b, size_t n, size_t batch);
void nn_batcher_clear(NnBatcher *b);
/* Steps per epoch: n / batch (at least 1). */
size_t nn_batcher_steps(const NnBatcher *b);
/* Shuffles the permutation (at the start of an epoch). */
void nn_batcher_shuffle(NnBatcher *b, Rng *rng);
/* The next batch of row numbers. */
const size_t *nn_batcher_next(NnBatcher *b);

/* out[i, :] = data[idx[i], :] for m rows of ncols. */
void nn_gather_rows(const double *data, size_t ncols, const size_t *idx,
                    size_t m, double *out);
/* m rows of a one-hot code of k classes: row i has a 1 at labels[idx[i]]
 * (idx NULL: at labels[i]). */
void nn_one_hot(const size_t *labels, const size_t *idx, size_t m, size_t k,
                double *out);
/* n standard normal draws. */
void nn_fill_normal(double *x, size_t n, Rng *rng);
/* Whether every element is finite. */
bool nn_all_finite(const double *x, size_t n);

#endif
