/*
 * lib_nn.h — what the files of the neural-network builtins share. Private
 * to src/lib_nn*.c: the rest of the interpreter sees only lib_nn_register
 * (builtin.h).
 *
 *   lib_nn_args.c   argument forms: seed=, data sets as rows, labels,
 *                   choices, layer widths
 *   lib_nn.c        the network handle, constructors, forward, generate,
 *                   encode, decode, reconstruct, save_net, load_net, and
 *                   lib_nn_register
 *   lib_nn_train.c  training options, the progress bar and Ctrl-C,
 *                   train_gan, train_vae, train_autoencoder, train_net
 *   lib_nn_rbm.c    the RBM and DBN handles and their builtins
 *   lib_nn_data.c   checks of generated data (mmd, ks_test, corr_diff,
 *                   c2st) and data preparation (standardize, one_hot, ...)
 *
 * The numerics in src/nn/ never see the VM: these files turn arguments into
 * arrays, check them with errors that name the argument, and turn results
 * into values. Every checker returns false after reporting the error
 * through the VM, so a builtin just returns false in turn.
 */
#ifndef PPL_LIB_NN_H
#define PPL_LIB_NN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "builtin.h"
#include "nn/net.h"
#include "nn/rbm.h"
#include "nn/train.h"

/* ---- argument forms (lib_nn_args.c) ------------------------------------ */

/* The stream of seed=: its own when given (freed by lib_nn_seed_done),
 * else the VM's. */
typedef struct SeedRng {
  Rng *rng;
  bool own;
} SeedRng;

/* seed= in argument i; lib_nn_seed_done releases a stream of its own. */
bool lib_nn_seed_arg(Args *a, int i, SeedRng *s);
void lib_nn_seed_done(SeedRng *s);

/* A data set as rows: n x ncols row-major doubles (GC memory, possibly the
 * argument's own storage: never written). */
typedef struct Rows {
  const double *x;
  size_t n, ncols;
} Rows;

/* A matrix, a vector (one column), a list of rows or a record of columns,
 * finite, with at least one row. */
bool lib_nn_rows_arg(Args *a, int i, Rows *out);

/* n class labels, whole numbers 0 .. k-1 (GC memory in *out); why says
 * where k comes from, for the error. */
bool lib_nn_labels_arg(Args *a, int i, size_t n, size_t k, const char *why,
                       size_t **out);

/* One string from choices (NULL-terminated; dflt when absent): its index. */
bool lib_nn_choice_arg(Args *a, int i, const char *dflt,
                       const char *const *choices, int *out);

/* A layer width from 1 to NN_MAX_WIDTH (dflt when absent and not
 * required). */
bool lib_nn_width_arg(Args *a, int i, size_t dflt, bool required,
                      size_t *out);

/* A list of layer widths into sizes (at most NN_MAX_LAYERS - 1 of them),
 * [64, 64] when absent; *n gets their number. */
bool lib_nn_hidden_arg(Args *a, int i, size_t *sizes, size_t *n);

/* Every value of r in [0, 1]; the error names why and suggests hint. */
bool lib_nn_unit_interval(Args *a, int i, const Rows *r, const char *why,
                          const char *hint);

/* ---- networks (lib_nn.c) ----------------------------------------------- */

/* A network handle in argument i; what describes the one expected. */
bool lib_nn_net_arg(Args *a, int i, const char *what, NnNet **out);

/* r's columns match the network's inputs. */
bool lib_nn_input_width(Args *a, int i, const NnNet *net, const Rows *r);

/* labels= for n rows as one-hot rows (GC memory), NULL for a network
 * without cond=; who names the network in errors. */
bool lib_nn_cond_rows(Args *a, int i, const NnNet *net, const char *who,
                      size_t n, double **out);

/* Encoder E reads r's rows, decoder D (argument id) maps E's codes back to
 * rows of r's width. */
bool lib_nn_coder_shapes(Args *a, int id, const NnNet *E, const NnNet *D,
                         const Rows *r);

/* ---- training (lib_nn_train.c) ----------------------------------------- */

/* Parameter indices of epochs, batch, lr, betas, seed, progressbar (-1:
 * the builtin has no such parameter). */
typedef struct TrainIdx {
  int epochs, batch, lr, betas, seed, progress;
} TrainIdx;

/* The options read by lib_nn_train_args; rng owns a stream when seed= was
 * given (release it with lib_nn_seed_done). */
typedef struct TrainArgs {
  NnTrainOptions o;
  SeedRng rng;
  bool progress;
} TrainArgs;

/* Reads the training options at ix, the given defaults otherwise. */
bool lib_nn_train_args(Args *a, const TrainIdx *ix, size_t epochs,
                       size_t batch, double lr, double beta1, double beta2,
                       TrainArgs *t);

/* The values in one layer's slot of a minibatch: at most this many (256
 * MiB), so that a huge batch of a wide network is an error, not an
 * out-of-memory abort. */
#define TRAIN_MAX_SLOT ((size_t)1 << 25)

/* One training run as the user sees it: the progress bar on a terminal and
 * the Ctrl-C handler, installed by lib_nn_training_begin and restored by
 * lib_nn_training_end (or lib_nn_finish_training). */
typedef struct Training {
  VM *vm;
  const char *fn;
  FILE *out;
  bool bar; /* draw on a terminal */
  double start, last_draw;
  size_t steps_done;
  struct sigaction old;
} Training;

void lib_nn_training_begin(Training *tr, VM *vm, const char *fn,
                           bool progress);

/* The NnProgressFn of training (ctx: a Training): draws the bar, and
 * returns false to stop once Ctrl-C was pressed. */
bool lib_nn_training_progress(void *ctx, const NnProgress *p);

/* Restores Ctrl-C, ends the bar's line and warns about a training that
 * stopped early; whose: "G's and D's", "the network's". */
void lib_nn_training_end(Training *tr, const NnHistory *h, const char *whose);

/* A history as a record of a vector per column, epochs and status. */
Value lib_nn_history_value(const NnHistory *h);

/* Ends a training run: frees ta's stream, then reports err when !ok, else
 * ends tr and sets *result to the history. */
bool lib_nn_finish_training(VM *vm, Training *tr, TrainArgs *ta, bool ok,
                            const char *err, const NnHistory *h,
                            const char *whose, Value *result);

void lib_nn_train_register(VM *vm);

/* ---- RBM and DBN (lib_nn_rbm.c) ---------------------------------------- */

/* A DBN: RBMs from the data up, sizes[l] -> sizes[l + 1]. */
typedef struct Dbn {
  size_t nlayers;
  NnRbm **rbms;
} Dbn;

/* Handles: the *_value functions wrap, the as_* ones return NULL when v is
 * not of their class. */
Value lib_nn_rbm_value(NnRbm *r);
Value lib_nn_dbn_value(Dbn *d);
NnRbm *lib_nn_as_rbm(Value v);
Dbn *lib_nn_as_dbn(Value v);

/* reconstruct(rbm, x) and reconstruct(dbn, x), bound as reconstruct's
 * (E, D, x): the machine in argument 0, x in argument 1. */
bool lib_nn_rbm_reconstruct(Args *a, Value *result);

void lib_nn_rbm_register(VM *vm);

/* ---- data (lib_nn_data.c) ---------------------------------------------- */

void lib_nn_data_register(VM *vm);

#endif
