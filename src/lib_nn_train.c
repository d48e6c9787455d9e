/*
 * lib_nn_train.c — the training builtins of networks: train_gan,
 * train_vae, train_autoencoder, train_net; and what every training builtin
 * shares (lib_nn_rbm.c's too): the options epochs, batch, lr, betas, seed
 * and progressbar, the progress bar, Ctrl-C, and the history as a record.
 *
 * A training run installs a SIGINT handler that asks the numerics to stop
 * after the current step (the weights reached so far are kept, with a
 * warning), draws a bar on stderr when it is a terminal, and restores the
 * handler before returning, whether training succeeded or not.
 */
#include <config.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib_nn.h"
#include "nn/autoencoder.h"
#include "nn/fit.h"
#include "nn/gan.h"
#include "nn/net.h"
#include "nn/train.h"
#include "nn/vae.h"
#include "tensor.h"

/* ---- Ctrl-C and the progress bar --------------------------------------- */

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* Seconds between redraws of the bar. */
static const double BAR_INTERVAL = 0.1;
enum { BAR_WIDTH = 20 };

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void lib_nn_training_begin(Training *tr, VM *vm, const char *fn,
                           bool progress) {
  memset(tr, 0, sizeof *tr);
  tr->vm = vm;
  tr->fn = fn;
  tr->out = vm_err(vm);
  tr->bar = progress && tr->out && isatty(fileno(tr->out));
  tr->start = tr->last_draw = now_seconds();
  stop_requested = 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &tr->old);
}

static void draw_bar(Training *tr, const NnProgress *p, double now) {
  const double done = ((double)p->epoch - 1.0 + (double)p->step /
                       (double)p->steps) / (double)p->epochs;
  const int fill = (int)(done * BAR_WIDTH);
  char bar[BAR_WIDTH + 1];
  for (int k = 0; k < BAR_WIDTH; k++)
    bar[k] = k < fill ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  fprintf(tr->out, "\r\033[K%s epoch %zu/%zu [%s]", tr->fn, p->epoch,
          p->epochs, bar);
  for (size_t c = 0; c < p->ncols; c++)
    if (!isnan(p->values[c]))
      fprintf(tr->out, " %s %.4g", p->cols[c], p->values[c]);
  fprintf(tr->out, "  %.0f steps/s",
          (double)tr->steps_done / fmax(now - tr->start, 1e-9));
  fflush(tr->out);
}

bool lib_nn_training_progress(void *ctx, const NnProgress *p) {
  Training *tr = ctx;
  tr->steps_done++;
  if (tr->bar) {
    const double now = now_seconds();
    if (now - tr->last_draw >= BAR_INTERVAL ||
        (p->epoch == p->epochs && p->step == p->steps)) {
      draw_bar(tr, p, now);
      tr->last_draw = now;
    }
  }
  return !stop_requested && !vm_interrupted(tr->vm);
}

/* Restores the SIGINT handler, ends the bar's line and warns about a
 * training that stopped early. whose: "G's and D's", "the network's". */
void lib_nn_training_end(Training *tr, const NnHistory *h, const char *whose) {
  sigaction(SIGINT, &tr->old, NULL);
  if (tr->bar)
    fputc('\n', tr->out);
  vm_clear_interrupt(tr->vm);
  if (h->end == NN_END_STOPPED)
    fprintf(tr->out,
            "warning: %s(): interrupted after %zu complete epoch%s; %s "
            "weights are those reached so far\n",
            tr->fn, h->nepochs, h->nepochs == 1 ? "" : "s", whose);
  else if (h->end == NN_END_DIVERGED && h->bad_epoch > 1)
    fprintf(tr->out,
            "warning: %s(): %s is not finite at epoch %zu, step %zu (is "
            "the learning rate too large?); training stopped, keeping %s "
            "weights from the end of epoch %zu\n",
            tr->fn, h->bad_what, h->bad_epoch, h->bad_step, whose,
            h->bad_epoch - 1);
  else if (h->end == NN_END_DIVERGED)
    fprintf(tr->out,
            "warning: %s(): %s is not finite at epoch 1, step %zu (is the "
            "learning rate too large?); training stopped, keeping %s "
            "weights from before training\n",
            tr->fn, h->bad_what, h->bad_step, whose);
}

/* {column: vector per epoch, ..., epochs: n, status: "done" |
 * "interrupted" | "diverged"[, diverged_epoch: e]} */
Value lib_nn_history_value(const NnHistory *h) {
  ObjRecord *r = record_new();
  for (size_t c = 0; c < h->ncols; c++) {
    ObjTensor *v = tensor_vector(h->nepochs);
    for (size_t e = 0; e < h->nepochs; e++)
      v->data[e] = h->values[e * h->ncols + c];
    record_set(r, h->cols[c], OBJ_VAL(v));
  }
  record_set(r, "epochs", NUM_VAL((double)h->nepochs));
  static const char *const status[] = {"done", "interrupted", "diverged"};
  record_set(r, "status", OBJ_VAL(string_from_cstr(status[h->end])));
  if (h->end == NN_END_DIVERGED)
    record_set(r, "diverged_epoch", NUM_VAL((double)h->bad_epoch));
  return OBJ_VAL(r);
}

bool lib_nn_finish_training(VM *vm, Training *tr, TrainArgs *ta, bool ok,
                            const char *err, const NnHistory *h,
                            const char *whose, Value *result) {
  lib_nn_seed_done(&ta->rng);
  if (!ok) {
    sigaction(SIGINT, &tr->old, NULL);
    return vm_error(vm, "%s(): %s", tr->fn, err);
  }
  lib_nn_training_end(tr, h, whose);
  *result = lib_nn_history_value(h);
  return true;
}

/* ---- training options -------------------------------------------------- */

bool lib_nn_train_args(Args *a, const TrainIdx *ix, size_t epochs,
                       size_t batch, double lr, double beta1, double beta2,
                       TrainArgs *t) {
  memset(t, 0, sizeof *t);
  t->o.beta1 = beta1;
  t->o.beta2 = beta2;
  if (!args_count_or(a, ix->epochs, epochs, &t->o.epochs) ||
      !args_count_or(a, ix->batch, batch, &t->o.batch) ||
      !args_positive_or(a, ix->lr, lr, &t->o.lr) ||
      !args_bool_or(a, ix->progress, true, &t->progress))
    return false;
  if (t->o.batch < 1)
    return args_error(a, ix->batch, "must be at least 1, got 0");
  if (t->o.batch > NN_MAX_WIDTH)
    return args_error(a, ix->batch, "must be at most %zu", NN_MAX_WIDTH);
  if (!isfinite(t->o.lr))
    return args_error(a, ix->lr, "must be finite");
  if (ix->betas >= 0 && args_given(a, ix->betas)) {
    ObjTensor *b;
    if (!args_vector(a, ix->betas, &b))
      return false;
    if (b->len != 2 || !(b->data[0] >= 0 && b->data[0] < 1) ||
        !(b->data[1] >= 0 && b->data[1] < 1))
      return args_error(a, ix->betas, "must be two numbers in [0, 1), as "
                                      "[0.5, 0.999]");
    t->o.beta1 = b->data[0];
    t->o.beta2 = b->data[1];
  }
  if (!lib_nn_seed_arg(a, ix->seed, &t->rng))
    return false;
  t->o.rng = t->rng.rng;
  return true;
}

static bool batch_fits(Args *a, int ibatch, size_t batch, size_t n,
                       const NnNet *n1, const NnNet *n2) {
  size_t w = nn_net_widest(n1);
  batch = batch < n ? batch : n; /* a batch larger than the data is it */
  if (n2 && nn_net_widest(n2) > w)
    w = nn_net_widest(n2);
  if (batch <= TRAIN_MAX_SLOT / w)
    return true;
  return args_error(a, ibatch, "is too large for layers of %zu units (a "
                               "batch of %zu rows would hold more than %zu "
                               "values per layer)",
                    w, batch, TRAIN_MAX_SLOT);
}

/* The training options of a builtin, with a batch that fits the widest
 * layer of n1 and n2 (n2 may be NULL) for data of n rows. */
static bool train_setup(Args *a, const TrainIdx *ix, size_t epochs,
                        size_t batch, double lr, double beta1, double beta2,
                        size_t n, const NnNet *n1, const NnNet *n2,
                        TrainArgs *ta) {
  if (!lib_nn_train_args(a, ix, epochs, batch, lr, beta1, beta2, ta))
    return false;
  if (batch_fits(a, ix->batch, ta->o.batch, n, n1, n2))
    return true;
  lib_nn_seed_done(&ta->rng);
  return false;
}

/* Starts the run: o gets ta's options, reporting progress to tr. */
static void train_start(Training *tr, VM *vm, const char *fn,
                        const TrainArgs *ta, NnTrainOptions *o) {
  *o = ta->o;
  lib_nn_training_begin(tr, vm, fn, ta->progress);
  o->progress = lib_nn_training_progress;
  o->ctx = tr;
}

/* ---- train_gan --------------------------------------------------------- */

enum {
  GAN_G,
  GAN_D,
  GAN_DATA,
  GAN_LABELS,
  GAN_EPOCHS,
  GAN_BATCH,
  GAN_LR,
  GAN_LR_D,
  GAN_BETAS,
  GAN_D_STEPS,
  GAN_LOSS,
  GAN_GP_WEIGHT,
  GAN_EMA,
  GAN_SEED,
  GAN_PROGRESS,
};

static bool gan_shapes(Args *a, const NnNet *G, const NnNet *D,
                       const Rows *r) {
  if (G->nheads != 1)
    return args_error(a, GAN_G, "must be a generator, not an encoder");
  if (nn_net_outputs(D) != 1 || D->nheads != 1)
    return args_error(a, GAN_D, "must give one score per row (a "
                                "Discriminator), but it has %zu outputs",
                      nn_net_outputs(D));
  if (nn_net_outputs(G) != r->ncols)
    return vm_error(a->vm, "train_gan(): the data have %zu column%s but G "
                           "makes rows of %zu (out=%zu)",
                    r->ncols, r->ncols == 1 ? "" : "s", nn_net_outputs(G),
                    nn_net_outputs(G));
  if (D->sizes[0] != r->ncols)
    return vm_error(a->vm, "train_gan(): the data have %zu column%s but D "
                           "reads rows of %zu (input=%zu)",
                    r->ncols, r->ncols == 1 ? "" : "s", D->sizes[0],
                    D->sizes[0]);
  if (G->cond != D->cond)
    return vm_error(a->vm, "train_gan(): G has cond=%zu but D has cond=%zu; "
                           "a conditional GAN needs both to read the same "
                           "labels",
                    G->cond, D->cond);
  return true;
}

static bool b_train_gan(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "G",     "D",       "data", "labels",    "epochs", "batch",
      "lr",    "lr_d",    "betas", "d_steps",  "loss",   "gp_weight",
      "ema",   "seed",  "progressbar", NULL};
  static const char *const losses[] = {"nonsaturating", "minimax",
                                       "wasserstein-gp", NULL};
  Args a;
  NnNet *G, *D;
  Rows r;
  int loss = 0;
  if (!args_bind(&a, vm, call, "train_gan", names, 3) ||
      !lib_nn_net_arg(&a, GAN_G, "a network (Generator(...))", &G) ||
      !lib_nn_net_arg(&a, GAN_D, "a network (Discriminator(...))", &D) ||
      !lib_nn_rows_arg(&a, GAN_DATA, &r) || !gan_shapes(&a, G, D, &r) ||
      !lib_nn_choice_arg(&a, GAN_LOSS, "nonsaturating", losses, &loss))
    return false;
  size_t *labels = NULL;
  if (G->cond > 0 && !args_given(&a, GAN_LABELS))
    return vm_error(vm, "train_gan(): G and D were made with cond=%zu: give "
                        "labels= (class numbers from 0 to %zu, one per row)",
                    G->cond, G->cond - 1);
  if (G->cond == 0 && args_given(&a, GAN_LABELS))
    return args_error(&a, GAN_LABELS, "is given but G and D are not "
                                      "conditional (make both with "
                                      "cond=<number of classes>)");
  if (G->cond > 0 &&
      !lib_nn_labels_arg(&a, GAN_LABELS, r.n, G->cond,
                  string_format("G and D have cond=%zu", G->cond)->chars,
                  &labels))
    return false;
  if (loss == NN_GAN_WASSERSTEIN_GP && (D->layer_norm || D->nheads != 1))
    return args_error(&a, GAN_D, "must not use layer_norm with "
                                 "loss=\"wasserstein-gp\" (the gradient "
                                 "penalty differentiates D's score of each "
                                 "row alone)");
  NnGanOptions o = {.loss = (NnGanLoss)loss};
  const TrainIdx ix = {GAN_EPOCHS, GAN_BATCH, GAN_LR, GAN_BETAS, GAN_SEED,
                       GAN_PROGRESS};
  TrainArgs ta;
  if (!args_positive_or(&a, GAN_GP_WEIGHT, NN_GAN_GP_WEIGHT, &o.gp_weight) ||
      !args_count_or(&a, GAN_D_STEPS, 1, &o.d_steps) ||
      !args_num_or(&a, GAN_EMA, 0.0, &o.ema))
    return false;
  if (!(o.ema >= 0.0 && o.ema < 1.0))
    return args_error(&a, GAN_EMA, "must be a decay in [0, 1) (0: off), got "
                                   "%g",
                      o.ema);
  if (o.d_steps < 1)
    return args_error(&a, GAN_D_STEPS, "must be at least 1");
  if (!train_setup(&a, &ix, 100, 64, 2e-4, 0.5, 0.999, r.n, G, D, &ta))
    return false;
  if (!args_positive_or(&a, GAN_LR_D, ta.o.lr, &o.lr_d)) {
    lib_nn_seed_done(&ta.rng);
    return false;
  }
  Training tr;
  train_start(&tr, vm, "train_gan", &ta, &o.train);
  const NnGanData d = {r.x, r.n, r.ncols, labels};
  NnHistory h;
  char err[NN_ERR_LEN];
  bool ok = nn_gan_train(G, D, &d, &o, &h, err);
  lib_nn_seed_done(&ta.rng);
  if (!ok) {
    sigaction(SIGINT, &tr.old, NULL);
    return vm_error(vm, "train_gan(): %s", err);
  }
  lib_nn_training_end(&tr, &h, "G's and D's");
  *result = lib_nn_history_value(&h);
  return true;
}

/* ---- train_vae, train_autoencoder, train_net --------------------------- */

static const char *const BCE_HINT = "scale the data, or use loss=\"mse\"";

static bool recon_arg(Args *a, int i, const char *dflt, const NnNet *D,
                      int idata, const Rows *r, NnRecon *out) {
  static const char *const losses[] = {"bce", "mse", NULL};
  int k = 0;
  if (!lib_nn_choice_arg(a, i, dflt, losses, &k))
    return false;
  *out = k == 0 ? NN_RECON_BCE : NN_RECON_MSE;
  if (*out != NN_RECON_BCE)
    return true;
  if (D->acts[D->nlayers - 1] != NN_SIGMOID)
    return vm_error(a->vm, "%s(): loss=\"bce\" needs a decoder with "
                           "out_act=\"sigmoid\" (D has out_act=\"%s\"); use "
                           "loss=\"mse\" otherwise",
                    a->fn, nn_act_name(D->acts[D->nlayers - 1]));
  return lib_nn_unit_interval(a, idata, r, "loss=\"bce\"", BCE_HINT);
}

/* train_vae(E, D, data, epochs=50, batch=64, lr=1e-3, betas=[0.9, 0.999],
 * beta=1, loss="bce", seed=nil, progressbar=true) */
static bool b_train_vae(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "E",    "D",    "data",  "epochs", "batch",       "lr", "betas",
      "beta", "loss", "seed",  "progressbar", NULL};
  Args a;
  NnNet *E, *D;
  Rows r;
  NnVaeOptions o = {.beta = 1.0};
  if (!args_bind(&a, vm, call, "train_vae", names, 3) ||
      !lib_nn_net_arg(&a, 0, "a network (Encoder(...))", &E) ||
      !lib_nn_net_arg(&a, 1, "a network (Decoder(...))", &D) ||
      !lib_nn_rows_arg(&a, 2, &r))
    return false;
  if (E->nheads != 2)
    return args_error(&a, 0, "must be a variational encoder "
                             "(Encoder(..., variational=true))");
  if (!lib_nn_coder_shapes(&a, 1, E, D, &r) ||
      !recon_arg(&a, 8, "bce", D, 2, &r, &o.recon) ||
      !args_num_or(&a, 7, 1.0, &o.beta))
    return false;
  if (!(o.beta >= 0.0) || !isfinite(o.beta))
    return args_error(&a, 7, "must be a finite number >= 0, got %g", o.beta);
  const TrainIdx ix = {3, 4, 5, 6, 9, 10};
  TrainArgs ta;
  if (!train_setup(&a, &ix, 50, 64, 1e-3, 0.9, 0.999, r.n, E, D, &ta))
    return false;
  Training tr;
  train_start(&tr, vm, "train_vae", &ta, &o.train);
  NnHistory h;
  char err[NN_ERR_LEN];
  bool ok = nn_vae_train(E, D, r.x, r.n, r.ncols, &o, &h, err);
  return lib_nn_finish_training(vm, &tr, &ta, ok, err, &h, "E's and D's",
                                result);
}

/* train_autoencoder(E, D, data, epochs=50, batch=64, lr=1e-3,
 * betas=[0.9, 0.999], noise=0, mask=0, loss="mse", seed=nil,
 * progressbar=true) */
static bool b_train_autoencoder(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "E",     "D",    "data", "epochs", "batch",       "lr", "betas",
      "noise", "mask", "loss", "seed",   "progressbar", NULL};
  Args a;
  NnNet *E, *D;
  Rows r;
  NnAeOptions o = {0};
  if (!args_bind(&a, vm, call, "train_autoencoder", names, 3) ||
      !lib_nn_net_arg(&a, 0, "a network (Encoder(...))", &E) ||
      !lib_nn_net_arg(&a, 1, "a network (Decoder(...))", &D) ||
      !lib_nn_rows_arg(&a, 2, &r) || !lib_nn_coder_shapes(&a, 1, E, D, &r) ||
      !recon_arg(&a, 9, "mse", D, 2, &r, &o.recon) ||
      !args_num_or(&a, 7, 0.0, &o.noise) || !args_num_or(&a, 8, 0.0, &o.mask))
    return false;
  if (!(o.noise >= 0.0) || !isfinite(o.noise))
    return args_error(&a, 7, "must be a standard deviation >= 0, got %g",
                      o.noise);
  if (!(o.mask >= 0.0 && o.mask < 1.0))
    return args_error(&a, 8, "must be a probability in [0, 1), got %g",
                      o.mask);
  const TrainIdx ix = {3, 4, 5, 6, 10, 11};
  TrainArgs ta;
  if (!train_setup(&a, &ix, 50, 64, 1e-3, 0.9, 0.999, r.n, E, D, &ta))
    return false;
  Training tr;
  train_start(&tr, vm, "train_autoencoder", &ta, &o.train);
  NnHistory h;
  char err[NN_ERR_LEN];
  bool ok = nn_ae_train(E, D, r.x, r.n, r.ncols, &o, &h, err);
  return lib_nn_finish_training(vm, &tr, &ta, ok, err, &h, "E's and D's",
                                result);
}

/* train_net(net, x, y, loss="mse", labels=nil, epochs=100, batch=32,
 * lr=1e-3, betas=[0.9, 0.999], seed=nil, progressbar=true) */
static bool b_train_net(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "net", "x",  "y",     "loss", "labels",      "epochs", "batch",
      "lr",  "betas", "seed", "progressbar", NULL};
  static const char *const losses[] = {"mse", "bce", NULL};
  Args a;
  NnNet *net;
  Rows x, y;
  int loss = 0;
  double *cond;
  if (!args_bind(&a, vm, call, "train_net", names, 3) ||
      !lib_nn_net_arg(&a, 0, "a network", &net) ||
      !lib_nn_rows_arg(&a, 1, &x) || !lib_nn_rows_arg(&a, 2, &y) ||
      !lib_nn_choice_arg(&a, 3, "mse", losses, &loss))
    return false;
  if (net->nheads != 1)
    return args_error(&a, 0, "must have one output head (train an encoder "
                             "with train_vae or train_autoencoder)");
  if (!lib_nn_input_width(&a, 1, net, &x))
    return false;
  if (y.n != x.n)
    return vm_error(vm, "train_net(): x has %zu rows but y has %zu", x.n,
                    y.n);
  if (y.ncols != nn_net_outputs(net))
    return args_error(&a, 2, "has %zu column%s but the network has %zu "
                             "outputs",
                      y.ncols, y.ncols == 1 ? "" : "s", nn_net_outputs(net));
  if (loss == 1 && !lib_nn_unit_interval(&a, 2, &y, "loss=\"bce\"", BCE_HINT))
    return false;
  if (!lib_nn_cond_rows(&a, 4, net, "the network", x.n, &cond))
    return false;
  const TrainIdx ix = {5, 6, 7, 8, 9, 10};
  TrainArgs ta;
  if (!train_setup(&a, &ix, 100, 32, 1e-3, 0.9, 0.999, x.n, net, NULL, &ta))
    return false;
  Training tr;
  NnTrainOptions to;
  train_start(&tr, vm, "train_net", &ta, &to);
  NnHistory h;
  char err[NN_ERR_LEN];
  bool ok = nn_fit_train(net, x.x, y.x, cond, x.n,
                         loss == 1 ? NN_RECON_BCE : NN_RECON_MSE, &to, &h,
                         err);
  return lib_nn_finish_training(vm, &tr, &ta, ok, err, &h, "the network's",
                                result);
}

/* ---- registration ------------------------------------------------------ */

static const BuiltinDef train_builtins[] = {
    {"train_gan", b_train_gan,
     "train_gan(G, D, data, labels=nil, epochs=100, batch=64, lr=2e-4, "
     "lr_d=lr, betas=[0.5, 0.999], d_steps=1, loss=\"nonsaturating\", "
     "gp_weight=10, ema=0, seed=nil, progressbar=true): train a GAN (a "
     "conditional one with labels); returns the history per epoch"},
    {"train_vae", b_train_vae,
     "train_vae(E, D, data, epochs=50, batch=64, lr=1e-3, betas=[0.9, "
     "0.999], beta=1, loss=\"bce\", seed=nil, progressbar=true): train a "
     "variational autoencoder; returns the history per epoch"},
    {"train_autoencoder", b_train_autoencoder,
     "train_autoencoder(E, D, data, epochs=50, batch=64, lr=1e-3, "
     "betas=[0.9, 0.999], noise=0, mask=0, loss=\"mse\", seed=nil, "
     "progressbar=true): train a (denoising) autoencoder"},
    {"train_net", b_train_net,
     "train_net(net, x, y, loss=\"mse\", labels=nil, epochs=100, batch=32, "
     "lr=1e-3, betas=[0.9, 0.999], seed=nil, progressbar=true): fit a "
     "network to targets (\"bce\": 0/1 targets, logits)"},
    {NULL, NULL, NULL},
};

void lib_nn_train_register(VM *vm) { builtin_register(vm, train_builtins); }
