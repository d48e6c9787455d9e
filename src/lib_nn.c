/*
 * lib_nn.c — the builtins of neural networks: Dense, MLP, Generator,
 * Discriminator, Encoder, Decoder (one "network" handle class), RBM and
 * DBN; train_gan, train_vae, train_autoencoder, train_net, train_rbm,
 * train_dbn; generate, forward (and predict), encode, decode,
 * reconstruct, transform, gibbs; save_net, load_net; data preparation
 * (standardize, unstandardize, one_hot, minibatches); and the checks of
 * generated data (mmd, ks_test, corr_diff, c2st).
 *
 * The numerics in src/nn/ never see the VM: this file turns arguments
 * into arrays (a data set is a matrix with one row per example, a vector
 * for one column, or a record of equal-length columns), checks them with
 * errors that name the argument, draws the progress bar, catches Ctrl-C
 * during training, and turns the histories into records.
 *
 * Names follow PyTorch where it has one (Dense for nn.Linear, lr, betas,
 * batch for batch_size) and scikit-learn's BernoulliRBM for the RBM.
 */
#include <config.h>

#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "mem.h"
#include "nn/autoencoder.h"
#include "nn/fit.h"
#include "nn/gan.h"
#include "nn/metrics.h"
#include "nn/net.h"
#include "nn/netio.h"
#include "nn/rbm.h"
#include "nn/vae.h"
#include "nn/train.h"
#include "rng.h"
#include "strbuf.h"
#include "tensor.h"

/* ---- common argument forms ---------------------------------------------- */

/* The stream of seed=: its own when given (freed by rng_done), else the
 * VM's. */
typedef struct SeedRng {
  Rng *rng;
  bool own;
} SeedRng;

static bool seed_arg(Args *a, int i, SeedRng *s) {
  s->own = args_given(a, i);
  if (!s->own) {
    s->rng = vm_rng(a->vm);
    return true;
  }
  int64_t seed;
  if (!args_int(a, i, &seed))
    return false;
  s->rng = rng_alloc((uint64_t)seed);
  return true;
}

static void rng_done(SeedRng *s) {
  if (s->own)
    rng_free(s->rng);
}

/* A data set as rows: n x ncols row-major doubles (GC memory, possibly the
 * argument's own storage: never written). */
typedef struct Rows {
  const double *x;
  size_t n, ncols;
} Rows;

static bool record_rows(Args *a, int i, ObjRecord *r, Rows *out) {
  const Table *t = &r->fields;
  if (t->count == 0)
    return args_error(a, i, "is an empty record; it needs numeric columns");
  size_t n = 0;
  for (size_t c = 0; c < t->count; c++) {
    Value v = t->entries[c].value;
    ObjTensor *col = builtin_to_vector(v);
    if (!col || (IS_TENSOR(v) && AS_TENSOR(v)->ndim == 2))
      return args_error(a, i, "has a column '%s' that is not a vector of "
                              "numbers",
                        t->entries[c].key->chars);
    if (c > 0 && col->len != n)
      return args_error(a, i, "has columns of different lengths ('%s' has "
                              "%zu, '%s' has %zu)",
                        t->entries[0].key->chars, n, t->entries[c].key->chars,
                        col->len);
    n = col->len;
  }
  double *x = mem_alloc_atomic((n * t->count + 1) * sizeof *x);
  for (size_t c = 0; c < t->count; c++) {
    ObjTensor *col = builtin_to_vector(t->entries[c].value);
    for (size_t k = 0; k < n; k++)
      x[k * t->count + c] = col->data[k];
  }
  *out = (Rows){x, n, t->count};
  return true;
}

static bool finite_rows(Args *a, int i, const Rows *r) {
  for (size_t k = 0; k < r->n * r->ncols; k++)
    if (!isfinite(r->x[k])) {
      const char *what = isnan(r->x[k]) ? "a NaN" : "an infinite value";
      if (r->ncols == 1)
        return args_error(a, i, "has %s at position %zu", what, k);
      return args_error(a, i, "has %s at row %zu, column %zu", what,
                        k / r->ncols, k % r->ncols);
    }
  return true;
}

/* A list of rows, each a list or vector of numbers of one length. */
static bool list_rows(Args *a, int i, ObjList *l, Rows *out) {
  size_t ncols = 0;
  double *x = NULL;
  for (size_t k = 0; k < l->len; k++) {
    ObjTensor *row = builtin_to_vector(l->items[k]);
    if (!row || (IS_TENSOR(l->items[k]) && AS_TENSOR(l->items[k])->ndim == 2))
      return args_error(a, i, "must be a list of rows of numbers; item %zu "
                              "is a %s",
                        k, value_type_name(l->items[k]));
    if (k == 0) {
      ncols = row->len;
      if (ncols == 0 || l->len > BUILTIN_MAX_ELEMENTS / ncols)
        return args_error(a, i, "has rows of %zu numbers", ncols);
      x = mem_alloc_atomic(l->len * ncols * sizeof *x);
    }
    if (row->len != ncols)
      return args_error(a, i, "has rows of different lengths (row 0 has %zu, "
                              "row %zu has %zu)",
                        ncols, k, row->len);
    memcpy(x + k * ncols, row->data, ncols * sizeof *x);
  }
  *out = (Rows){x, l->len, ncols};
  return true;
}

/* A matrix, a vector (one column), a list of rows or a record of columns,
 * finite, with at least one row. */
static bool rows_arg(Args *a, int i, Rows *out) {
  if (!args_given(a, i))
    return args_error(a, i, "is required");
  Value v = a->v[i];
  if (IS_RECORD(v)) {
    if (!record_rows(a, i, AS_RECORD(v), out))
      return false;
  } else if (IS_TENSOR(v) && AS_TENSOR(v)->ndim == 2) {
    ObjTensor *t = AS_TENSOR(v);
    *out = (Rows){t->data, t->shape[0], t->shape[1]};
  } else if (IS_LIST(v) && AS_LIST(v)->len > 0 &&
             !IS_NUM(AS_LIST(v)->items[0])) {
    if (!list_rows(a, i, AS_LIST(v), out))
      return false;
  } else {
    ObjTensor *t;
    if (!IS_TENSOR(v) && !IS_LIST(v) && !IS_RANGE(v))
      return args_error(a, i, "must be a matrix (one row per example), a "
                              "vector or a record of columns, got a %s",
                        value_type_name(v));
    if (!args_vector(a, i, &t))
      return false;
    *out = (Rows){t->data, t->len, 1};
  }
  if (out->n == 0 || out->ncols == 0)
    return args_error(a, i, "has no data (%zu rows, %zu columns)", out->n,
                      out->ncols);
  return finite_rows(a, i, out);
}

/* Class labels: whole numbers 0 .. k-1, n of them. */
static bool labels_arg(Args *a, int i, size_t n, size_t k, const char *why,
                       size_t **out) {
  ObjTensor *t;
  if (!args_vector(a, i, &t))
    return false;
  if (t->len != n)
    return args_error(a, i, "has %zu labels but there are %zu rows", t->len,
                      n);
  size_t *lab = mem_alloc_atomic((n + 1) * sizeof *lab);
  for (size_t e = 0; e < n; e++) {
    const double x = t->data[e];
    if (!(x >= 0.0 && x == floor(x) && x < (double)k))
      return args_error(a, i, "must hold whole numbers from 0 to %zu (%s); "
                              "element %zu is %g",
                        k - 1, why, e, x);
    lab[e] = (size_t)x;
  }
  *out = lab;
  return true;
}

static ObjTensor *matrix_of(const double *x, size_t n, size_t ncols) {
  ObjTensor *t = tensor_matrix(n, ncols);
  memcpy(t->data, x, n * ncols * sizeof *x);
  return t;
}

/* One string from a fixed set, named in the error. */
static bool choice_arg(Args *a, int i, const char *dflt,
                       const char *const *choices, int *out) {
  const char *s;
  if (!args_string_or(a, i, dflt, &s))
    return false;
  StrBuf sb;
  strbuf_init(&sb);
  for (int c = 0; choices[c]; c++) {
    if (strcmp(s, choices[c]) == 0) {
      *out = c;
      return true;
    }
    strbuf_printf(&sb, "%s\"%s\"", c ? ", " : "", choices[c]);
  }
  return args_error(a, i, "must be one of %s, got \"%s\"", sb.data, s);
}

/* ---- Ctrl-C and the progress bar ---------------------------------------- */

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig) {
  (void)sig;
  stop_requested = 1;
}

typedef struct Training {
  VM *vm;
  const char *fn;
  FILE *out;
  bool bar; /* draw on a terminal */
  double start, last_draw;
  size_t steps_done;
  struct sigaction old;
} Training;

/* Seconds between redraws of the bar. */
static const double BAR_INTERVAL = 0.1;
enum { BAR_WIDTH = 20 };

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void training_begin(Training *tr, VM *vm, const char *fn,
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

static bool training_progress(void *ctx, const NnProgress *p) {
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
static void training_end(Training *tr, const NnHistory *h, const char *whose) {
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
static Value history_value(const NnHistory *h) {
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

/* ---- the network handle --------------------------------------------------- */

static void format_sizes(StrBuf *sb, const size_t *s, size_t n) {
  strbuf_putc(sb, '[');
  for (size_t k = 0; k < n; k++)
    strbuf_printf(sb, "%s%zu", k ? ", " : "", s[k]);
  strbuf_putc(sb, ']');
}

static void net_format(StrBuf *sb, void *data, bool repr) {
  PPL_UNUSED(repr);
  const NnNet *net = data;
  const size_t L = net->nlayers;
  strbuf_printf(sb, "%s(", nn_kind_name(net->kind));
  switch (net->kind) {
  case NN_KIND_GENERATOR:
  case NN_KIND_DECODER:
    strbuf_printf(sb, "latent=%zu, hidden=", net->sizes[0]);
    format_sizes(sb, net->sizes + 1, L - 1);
    strbuf_printf(sb, ", out=%zu", net->sizes[L]);
    break;
  case NN_KIND_DISCRIMINATOR:
    strbuf_printf(sb, "input=%zu, hidden=", net->sizes[0]);
    format_sizes(sb, net->sizes + 1, L - 1);
    break;
  case NN_KIND_ENCODER:
    strbuf_printf(sb, "input=%zu, hidden=", net->sizes[0]);
    format_sizes(sb, net->sizes + 1, L - 1);
    strbuf_printf(sb, ", latent=%zu", net->sizes[L]);
    if (net->nheads == 1)
      strbuf_puts(sb, ", variational=false");
    break;
  default:
    format_sizes(sb, net->sizes, L + 1);
  }
  if (net->cond)
    strbuf_printf(sb, ", cond=%zu", net->cond);
  if (L > 1)
    strbuf_printf(sb, ", act=\"%s\"", nn_act_name(net->acts[0]));
  if (net->kind != NN_KIND_DISCRIMINATOR && net->kind != NN_KIND_ENCODER)
    strbuf_printf(sb, ", out_act=\"%s\"", nn_act_name(net->acts[L - 1]));
  if (net->dropout > 0.0)
    strbuf_printf(sb, ", dropout=%g", net->dropout);
  if (net->layer_norm)
    strbuf_puts(sb, ", layer_norm=true");
  strbuf_printf(sb, "; %zu weights)", net->nparams);
}

static ObjTensor *weights_of(const NnNet *net, size_t off, size_t rows,
                             size_t cols) {
  ObjTensor *t = cols ? tensor_matrix(rows, cols) : tensor_vector(rows);
  memcpy(t->data, net->theta + off, t->len * sizeof(double));
  return t;
}

/* [{W, b[, gain, shift]}, ...], the output layer once per head. */
static Value layers_value(const NnNet *net) {
  ObjList *l = list_new(net->nlayers + 1);
  for (size_t k = 0; k < net->nlayers; k++)
    for (size_t h = 0; h < (k + 1 == net->nlayers ? net->nheads : 1); h++) {
      const NnLayerAt at = nn_net_layer(net, k, h);
      ObjRecord *r = record_new();
      record_set(r, "W", OBJ_VAL(weights_of(net, at.w, at.in, at.out)));
      record_set(r, "b", OBJ_VAL(weights_of(net, at.b, at.out, 0)));
      if (at.norm) {
        record_set(r, "gain", OBJ_VAL(weights_of(net, at.gain, at.out, 0)));
        record_set(r, "shift", OBJ_VAL(weights_of(net, at.shift, at.out, 0)));
      }
      record_set(r, "act", OBJ_VAL(string_from_cstr(nn_act_name(
                               net->acts[k]))));
      list_push(l, OBJ_VAL(r));
    }
  return OBJ_VAL(l);
}

static Value sizes_value(const NnNet *net) {
  ObjTensor *t = tensor_vector(net->nlayers + 1);
  for (size_t k = 0; k <= net->nlayers; k++)
    t->data[k] = (double)net->sizes[k];
  return OBJ_VAL(t);
}

static bool net_field(VM *vm, void *data, ObjString *name, Value *out) {
  const NnNet *net = data;
  const char *s = name->chars;
  if (strcmp(s, "kind") == 0)
    *out = OBJ_VAL(string_from_cstr(nn_kind_name(net->kind)));
  else if (strcmp(s, "sizes") == 0)
    *out = sizes_value(net);
  else if (strcmp(s, "inputs") == 0)
    *out = NUM_VAL((double)net->sizes[0]);
  else if (strcmp(s, "outputs") == 0)
    *out = NUM_VAL((double)nn_net_outputs(net));
  else if (strcmp(s, "cond") == 0)
    *out = NUM_VAL((double)net->cond);
  else if (strcmp(s, "nparams") == 0)
    *out = NUM_VAL((double)net->nparams);
  else if (strcmp(s, "weights") == 0)
    *out = OBJ_VAL(tensor_from_array(net->theta, net->nparams));
  else if (strcmp(s, "layers") == 0)
    *out = layers_value(net);
  else
    return vm_error(vm,
                    "a network has no field '%s' (it has: kind, sizes, "
                    "inputs, outputs, cond, nparams, weights, layers)",
                    s);
  return true;
}

static ApplyResult net_apply(VM *vm, const ObjNative *fn, const CallArgs *call,
                             Value *out);

static const HandleClass net_class = {
    .name = "network",
    .format = net_format,
    .get_field = net_field,
    .apply = net_apply,
};

static NnNet *as_net(Value v) {
  return object_is_handle(v, &net_class) ? AS_HANDLE(v)->data : NULL;
}

static Value net_value(NnNet *net) {
  return OBJ_VAL(handle_new(&net_class, net));
}

/* A network; what describes the one expected, for the error. */
static bool net_arg(Args *a, int i, const char *what, NnNet **out) {
  *out = args_given(a, i) ? as_net(a->v[i]) : NULL;
  if (*out)
    return true;
  if (!args_given(a, i))
    return args_error(a, i, "is required");
  return args_error(a, i, "must be %s, got a %s", what,
                    value_type_name(a->v[i]));
}

/* ---- constructors ------------------------------------------------------------- */

/* A width: a whole number from 1 to NN_MAX_WIDTH. */
static bool width_arg(Args *a, int i, size_t dflt, bool required,
                      size_t *out) {
  if (!args_given(a, i) && required)
    return args_error(a, i, "is required");
  if (!args_count_or(a, i, dflt, out))
    return false;
  if (*out < 1 || *out > NN_MAX_WIDTH)
    return args_error(a, i, "must be a layer width from 1 to %zu, got %zu",
                      NN_MAX_WIDTH, *out);
  return true;
}

/* hidden=[64, 64]: widths of the hidden layers (may be empty). */
static bool hidden_arg(Args *a, int i, size_t *sizes, size_t *n) {
  *n = 0;
  if (!args_given(a, i)) {
    sizes[(*n)++] = 64;
    sizes[(*n)++] = 64;
    return true;
  }
  ObjTensor *t;
  if (!args_vector(a, i, &t))
    return false;
  if (t->len + 1 > NN_MAX_LAYERS)
    return args_error(a, i, "has %zu layers; at most %d are allowed", t->len,
                      NN_MAX_LAYERS - 1);
  for (size_t k = 0; k < t->len; k++) {
    const double w = t->data[k];
    if (!(w >= 1 && w <= (double)NN_MAX_WIDTH && w == floor(w)))
      return args_error(a, i, "must hold layer widths (whole numbers from 1 "
                              "to %zu); element %zu is %g",
                        NN_MAX_WIDTH, k, w);
    sizes[(*n)++] = (size_t)w;
  }
  return true;
}

static bool act_arg(Args *a, int i, const char *dflt, NnAct *out) {
  const char *s;
  if (!args_string_or(a, i, dflt, &s))
    return false;
  if (nn_act_lookup(s, out))
    return true;
  StrBuf sb;
  strbuf_init(&sb);
  for (int k = 0; k < NN_NACTS; k++)
    strbuf_printf(&sb, "%s\"%s\"", k ? ", " : "", nn_act_name((NnAct)k));
  return args_error(a, i, "must be one of %s, got \"%s\"", sb.data, s);
}

/* The options every constructor shares, at these parameter indices. */
typedef struct NetOpts {
  int act, out_act, dropout, layer_norm, alpha, seed;
} NetOpts;

typedef struct Arch {
  NnKind kind;
  size_t sizes[NN_MAX_LAYERS + 1];
  size_t nlayers, cond, nheads;
  const char *act_dflt, *out_dflt; /* out_dflt NULL: no out_act option */
} Arch;

/* Options a constructor may lack (index -1): the default then. */
static bool opt_act(Args *a, int i, const char *dflt, NnAct *out) {
  if (i < 0)
    return nn_act_lookup(dflt, out);
  return act_arg(a, i, dflt, out);
}

static bool opt_num(Args *a, int i, double dflt, double *out) {
  *out = dflt;
  return i < 0 || args_num_or(a, i, dflt, out);
}

static bool opt_bool(Args *a, int i, bool dflt, bool *out) {
  *out = dflt;
  return i < 0 || args_bool_or(a, i, dflt, out);
}

/* Reads the shared options and makes the network with weights drawn from
 * seed=. */
static bool make_net(Args *a, const Arch *ar, const NetOpts *o,
                     Value *result) {
  NnAct hid, outa;
  double dropout, alpha;
  bool ln;
  if (!opt_act(a, o->act, ar->act_dflt, &hid) ||
      !opt_act(a, o->out_act, ar->out_dflt, &outa) ||
      !opt_num(a, o->dropout, 0.0, &dropout) ||
      !opt_bool(a, o->layer_norm, false, &ln) ||
      !opt_num(a, o->alpha, NN_LEAKY_DEFAULT, &alpha))
    return false;
  if (!(dropout >= 0.0 && dropout < 1.0))
    return args_error(a, o->dropout, "must be a probability in [0, 1), got "
                                     "%g",
                      dropout);
  if (!(alpha >= 0.0 && alpha < 1.0))
    return args_error(a, o->alpha, "must be a slope in [0, 1), got %g", alpha);
  if (ar->cond > NN_MAX_WIDTH)
    return vm_error(a->vm, "%s(): cond must be a number of classes up to %zu, "
                           "got %zu",
                    a->fn, NN_MAX_WIDTH, ar->cond);
  const size_t count =
      nn_net_count(ar->sizes, ar->nlayers, ar->cond, ar->nheads, ln);
  if (count > BUILTIN_MAX_ELEMENTS)
    return vm_error(a->vm, "%s(): these layers would have more than %zu "
                           "weights",
                    a->fn, BUILTIN_MAX_ELEMENTS);
  NnAct acts[NN_MAX_LAYERS];
  for (size_t l = 0; l < ar->nlayers; l++)
    acts[l] = l + 1 < ar->nlayers ? hid : outa;
  NnNet *net = nn_net_new(ar->kind, ar->sizes, ar->nlayers, acts, ar->cond,
                          ar->nheads);
  net->dropout = dropout;
  net->alpha = alpha;
  if (ln) {
    net->layer_norm = true;
    nn_net_relayout(net);
  }
  SeedRng s;
  if (!seed_arg(a, o->seed, &s))
    return false;
  nn_net_init(net, s.rng);
  rng_done(&s);
  *result = net_value(net);
  return true;
}

/* Dense(input, output, act="identity", seed=nil) */
static bool b_dense(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"input", "output", "act", "seed", NULL};
  Args a;
  Arch ar = {.kind = NN_KIND_MLP, .nlayers = 1, .nheads = 1,
             .act_dflt = "identity", .out_dflt = "identity"};
  if (!args_bind(&a, vm, call, "Dense", names, 2) ||
      !width_arg(&a, 0, 1, true, &ar.sizes[0]) ||
      !width_arg(&a, 1, 1, true, &ar.sizes[1]))
    return false;
  const NetOpts o = {.act = -1, .out_act = 2, .dropout = -1,
                     .layer_norm = -1, .alpha = -1, .seed = 3};
  return make_net(&a, &ar, &o, result);
}

/* MLP(sizes, act="relu", out_act="identity", dropout=0, layer_norm=false,
 * alpha=0.2, seed=nil), or MLP([Dense(...), ...]) stacking networks. */
static bool stack_nets(Args *a, ObjList *l, Value *result) {
  size_t sizes[NN_MAX_LAYERS + 1], nl = 0, nparams = 0;
  NnAct acts[NN_MAX_LAYERS];
  for (size_t k = 0; k < l->len; k++) {
    const NnNet *n = as_net(l->items[k]);
    if (!n || n->nheads != 1 || n->cond || n->layer_norm || n->dropout > 0)
      return args_error(a, 0, "must be a list of layer widths or of plain "
                              "networks (Dense(...), MLP(...)); item %zu is "
                              "not",
                        k);
    if (k > 0 && n->sizes[0] != sizes[nl])
      return args_error(a, 0, "stacks a network of %zu inputs (item %zu) on "
                              "one of %zu outputs",
                        n->sizes[0], k, sizes[nl]);
    if (nl + n->nlayers > NN_MAX_LAYERS)
      return args_error(a, 0, "has more than %d layers", NN_MAX_LAYERS);
    for (size_t j = 0; j < n->nlayers; j++) {
      sizes[nl + j] = n->sizes[j];
      acts[nl + j] = n->acts[j];
    }
    nl += n->nlayers;
    sizes[nl] = n->sizes[n->nlayers];
    nparams += n->nparams;
  }
  if (nl == 0)
    return args_error(a, 0, "is empty");
  NnNet *net = nn_net_new(NN_KIND_MLP, sizes, nl, acts, 0, 1);
  ASSERT(net->nparams == nparams);
  double *w = net->theta;
  for (size_t k = 0; k < l->len; k++) {
    const NnNet *n = as_net(l->items[k]);
    memcpy(w, n->theta, n->nparams * sizeof *w);
    w += n->nparams;
  }
  *result = net_value(net);
  return true;
}

static bool b_mlp(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"sizes",      "act",   "out_act",
                                      "dropout",    "layer_norm", "alpha",
                                      "seed",       NULL};
  Args a;
  if (!args_bind(&a, vm, call, "MLP", names, 1))
    return false;
  if (IS_LIST(a.v[0]) && AS_LIST(a.v[0])->len > 0 &&
      as_net(AS_LIST(a.v[0])->items[0]))
    return stack_nets(&a, AS_LIST(a.v[0]), result);
  Arch ar = {.kind = NN_KIND_MLP, .nheads = 1, .act_dflt = "relu",
             .out_dflt = "identity"};
  size_t n;
  if (!hidden_arg(&a, 0, ar.sizes, &n))
    return false;
  if (n < 2)
    return args_error(&a, 0, "must hold at least two widths (inputs and "
                             "outputs), got %zu",
                      n);
  ar.nlayers = n - 1;
  const NetOpts o = {1, 2, 3, 4, 5, 6};
  return make_net(&a, &ar, &o, result);
}

/* Generator(latent=8, hidden=[64, 64], out=2, cond=0, act="relu",
 * out_act="identity", dropout=0, layer_norm=false, alpha=0.2, seed=nil) */
static bool b_generator(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "latent",     "hidden", "out",  "cond", "act", "out_act", "dropout",
      "layer_norm", "alpha",  "seed", NULL};
  Args a;
  Arch ar = {.kind = NN_KIND_GENERATOR, .nheads = 1, .act_dflt = "relu",
             .out_dflt = "identity"};
  size_t nh;
  if (!args_bind(&a, vm, call, "Generator", names, 0) ||
      !width_arg(&a, 0, 8, false, &ar.sizes[0]) ||
      !hidden_arg(&a, 1, ar.sizes + 1, &nh) ||
      !width_arg(&a, 2, 2, false, &ar.sizes[nh + 1]) ||
      !args_count_or(&a, 3, 0, &ar.cond))
    return false;
  ar.nlayers = nh + 1;
  const NetOpts o = {4, 5, 6, 7, 8, 9};
  return make_net(&a, &ar, &o, result);
}

/* Discriminator(input=2, hidden=[64, 64], cond=0, act="leaky_relu",
 * dropout=0, layer_norm=false, alpha=0.2, seed=nil): one logit per row. */
static bool b_discriminator(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"input",      "hidden", "cond",
                                      "act",        "dropout", "layer_norm",
                                      "alpha",      "seed",    NULL};
  Args a;
  Arch ar = {.kind = NN_KIND_DISCRIMINATOR, .nheads = 1,
             .act_dflt = "leaky_relu", .out_dflt = "identity"};
  size_t nh;
  if (!args_bind(&a, vm, call, "Discriminator", names, 0) ||
      !width_arg(&a, 0, 2, false, &ar.sizes[0]) ||
      !hidden_arg(&a, 1, ar.sizes + 1, &nh) ||
      !args_count_or(&a, 2, 0, &ar.cond))
    return false;
  ar.sizes[nh + 1] = 1;
  ar.nlayers = nh + 1;
  const NetOpts o = {3, -1, 4, 5, 6, 7};
  return make_net(&a, &ar, &o, result);
}

/* Encoder(input, hidden=[64, 64], latent=2, variational=true, act="relu",
 * dropout=0, layer_norm=false, alpha=0.2, seed=nil): a VAE encoder has
 * two heads, the mean and the log-variance of the code. */
static bool b_encoder(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "input",   "hidden",     "latent", "variational", "act",
      "dropout", "layer_norm", "alpha",  "seed",        NULL};
  Args a;
  Arch ar = {.kind = NN_KIND_ENCODER, .act_dflt = "relu",
             .out_dflt = "identity"};
  size_t nh;
  bool variational;
  if (!args_bind(&a, vm, call, "Encoder", names, 1) ||
      !width_arg(&a, 0, 1, true, &ar.sizes[0]) ||
      !hidden_arg(&a, 1, ar.sizes + 1, &nh) ||
      !width_arg(&a, 2, 2, false, &ar.sizes[nh + 1]) ||
      !args_bool_or(&a, 3, true, &variational))
    return false;
  ar.nlayers = nh + 1;
  ar.nheads = variational ? 2 : 1;
  const NetOpts o = {4, -1, 5, 6, 7, 8};
  return make_net(&a, &ar, &o, result);
}

/* Decoder(latent=2, hidden=[64, 64], out, act="relu", out_act="sigmoid",
 * dropout=0, layer_norm=false, alpha=0.2, seed=nil) */
static bool b_decoder(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {
      "latent",  "hidden",     "out",   "act",  "out_act",
      "dropout", "layer_norm", "alpha", "seed", NULL};
  Args a;
  Arch ar = {.kind = NN_KIND_DECODER, .nheads = 1, .act_dflt = "relu",
             .out_dflt = "sigmoid"};
  size_t nh;
  if (!args_bind(&a, vm, call, "Decoder", names, 0) ||
      !width_arg(&a, 0, 2, false, &ar.sizes[0]) ||
      !hidden_arg(&a, 1, ar.sizes + 1, &nh) ||
      !width_arg(&a, 2, 1, true, &ar.sizes[nh + 1]))
    return false;
  ar.nlayers = nh + 1;
  const NetOpts o = {3, 4, 5, 6, 7, 8};
  return make_net(&a, &ar, &o, result);
}

/* ---- evaluating networks -------------------------------------------------- */

/* labels= for n rows of a conditional network: one class number for every
 * row or one per row; one-hot rows (n x net->cond) in *out. NULL when the
 * network is not conditional (labels= must then be absent). */
static bool cond_rows(Args *a, int i, const NnNet *net, const char *who,
                      size_t n, double **out) {
  *out = NULL;
  if (net->cond == 0) {
    if (args_given(a, i))
      return args_error(a, i, "is given but %s is not conditional (made "
                              "without cond=)",
                        who);
    return true;
  }
  if (!args_given(a, i))
    return vm_error(a->vm, "%s(): %s was made with cond=%zu: give labels= "
                           "(class numbers from 0 to %zu)",
                    a->fn, who, net->cond, net->cond - 1);
  size_t *lab;
  if (IS_NUM(a->v[i])) {
    const double x = AS_NUM(a->v[i]);
    if (!(x >= 0.0 && x == floor(x) && x < (double)net->cond))
      return args_error(a, i, "must be a class number from 0 to %zu, got %g",
                        net->cond - 1, x);
    lab = mem_alloc_atomic((n + 1) * sizeof *lab);
    for (size_t k = 0; k < n; k++)
      lab[k] = (size_t)x;
  } else if (!labels_arg(a, i, n, net->cond, "the network's classes", &lab)) {
    return false;
  }
  *out = mem_alloc_atomic((n * net->cond + 1) * sizeof **out);
  nn_one_hot(lab, NULL, n, net->cond, *out);
  return true;
}

/* The network on n rows: a matrix of n x outputs (head 0). */
static bool run_net(VM *vm, const char *fn, const NnNet *net, const double *x,
                    const double *cond, size_t n, size_t head, bool pre,
                    Value *result) {
  const size_t nout = nn_net_outputs(net);
  if (n > BUILTIN_MAX_ELEMENTS / nout)
    return vm_error(vm, "%s(): %zu rows are too many", fn, n);
  ObjTensor *out = tensor_matrix(n, nout);
  char err[NN_ERR_LEN];
  if (!nn_net_apply(net, x, cond, n, head, pre, out->data, err))
    return vm_error(vm, "%s(): %s", fn, err);
  *result = OBJ_VAL(out);
  return true;
}

/* Checks that x's columns match the network's inputs. */
static bool input_width(Args *a, int i, const NnNet *net, const Rows *r) {
  if (r->ncols == net->sizes[0])
    return true;
  return args_error(a, i, "has %zu column%s but the network reads %zu", r->ncols,
                    r->ncols == 1 ? "" : "s", net->sizes[0]);
}

/* forward(net, x, labels=nil): the outputs of a network for the rows of x
 * (an encoder gives the means of the codes). */
static bool b_forward(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"net", "x", "labels", NULL};
  Args a;
  NnNet *net;
  Rows r;
  double *cond;
  if (!args_bind(&a, vm, call, "forward", names, 2) ||
      !net_arg(&a, 0, "a network", &net) || !rows_arg(&a, 1, &r) ||
      !input_width(&a, 1, net, &r) ||
      !cond_rows(&a, 2, net, "the network", r.n, &cond))
    return false;
  return run_net(vm, "forward", net, r.x, cond, r.n, 0, false, result);
}

/* generate(G, n, labels=nil, seed=nil): n rows from a generator, each
 * from a standard normal code. */
static bool b_generate(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"G", "n", "labels", "seed", NULL};
  Args a;
  NnNet *g;
  size_t n;
  double *cond;
  SeedRng s;
  if (!args_bind(&a, vm, call, "generate", names, 2) ||
      !net_arg(&a, 0, "a network (Generator(...) or Decoder(...))", &g) ||
      !args_size(&a, 1, &n) || !cond_rows(&a, 2, g, "G", n, &cond))
    return false;
  if (g->nheads != 1)
    return args_error(&a, 0, "must make rows from codes, not be an encoder");
  if (n > BUILTIN_MAX_ELEMENTS / g->sizes[0])
    return args_error(&a, 1, "is too large");
  if (!seed_arg(&a, 3, &s))
    return false;
  double *z = mem_alloc_atomic((n * g->sizes[0] + 1) * sizeof *z);
  nn_fill_normal(z, n * g->sizes[0], s.rng);
  rng_done(&s);
  return run_net(vm, "generate", g, z, cond, n, 0, false, result);
}

/* predict(net, x) and copy(net) on networks. */
static ApplyResult net_apply(VM *vm, const ObjNative *fn, const CallArgs *call,
                             Value *out) {
  if (strcmp(fn->name, "predict") == 0 && call->argc >= 1 &&
      as_net(call->argv[0]))
    return b_forward(vm, call, out) ? APPLY_DONE : APPLY_FAILED;
  if (strcmp(fn->name, "copy") == 0 && call->argc == 1 && call->kwc == 0 &&
      as_net(call->argv[0])) {
    *out = net_value(nn_net_copy(as_net(call->argv[0])));
    return APPLY_DONE;
  }
  return APPLY_PASS;
}

/* ---- training options ------------------------------------------------------ */

/* epochs, batch, lr, betas, seed, progressbar at these indices. */
typedef struct TrainIdx {
  int epochs, batch, lr, betas, seed, progress;
} TrainIdx;

typedef struct TrainArgs {
  NnTrainOptions o;
  SeedRng rng;
  bool progress;
} TrainArgs;

static bool train_args(Args *a, const TrainIdx *ix, size_t epochs,
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
  if (!seed_arg(a, ix->seed, &t->rng))
    return false;
  t->o.rng = t->rng.rng;
  return true;
}

/* The values in one layer's slot of a minibatch: at most this many (256
 * MiB), so that a huge batch of a wide network is an error, not an
 * out-of-memory abort. */
#define TRAIN_MAX_SLOT ((size_t)1 << 25)

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

/* ---- train_gan --------------------------------------------------------------- */

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
      !net_arg(&a, GAN_G, "a network (Generator(...))", &G) ||
      !net_arg(&a, GAN_D, "a network (Discriminator(...))", &D) ||
      !rows_arg(&a, GAN_DATA, &r) || !gan_shapes(&a, G, D, &r) ||
      !choice_arg(&a, GAN_LOSS, "nonsaturating", losses, &loss))
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
      !labels_arg(&a, GAN_LABELS, r.n, G->cond,
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
  if (!train_args(&a, &ix, 100, 64, 2e-4, 0.5, 0.999, &ta))
    return false;
  if (!batch_fits(&a, GAN_BATCH, ta.o.batch, r.n, G, D)) {
    rng_done(&ta.rng);
    return false;
  }
  o.train = ta.o;
  if (!args_positive_or(&a, GAN_LR_D, o.train.lr, &o.lr_d)) {
    rng_done(&ta.rng);
    return false;
  }
  Training tr;
  training_begin(&tr, vm, "train_gan", ta.progress);
  o.train.progress = training_progress;
  o.train.ctx = &tr;
  const NnGanData d = {r.x, r.n, r.ncols, labels};
  NnHistory h;
  char err[NN_ERR_LEN];
  bool ok = nn_gan_train(G, D, &d, &o, &h, err);
  rng_done(&ta.rng);
  if (!ok) {
    sigaction(SIGINT, &tr.old, NULL);
    return vm_error(vm, "train_gan(): %s", err);
  }
  training_end(&tr, &h, "G's and D's");
  *result = history_value(&h);
  return true;
}

/* ---- train_vae, train_autoencoder, train_net --------------------------------- */

/* The data must lie in [0, 1] (for a binary cross-entropy, say). */
static bool unit_interval(Args *a, int i, const Rows *r, const char *why,
                          const char *hint) {
  for (size_t k = 0; k < r->n * r->ncols; k++)
    if (r->x[k] < 0.0 || r->x[k] > 1.0)
      return args_error(a, i, "must lie in [0, 1] for %s; row %zu, column "
                              "%zu is %g (%s)",
                        why, k / r->ncols, k % r->ncols, r->x[k], hint);
  return true;
}

static const char *const BCE_HINT = "scale the data, or use loss=\"mse\"";

/* E (ncols inputs) then D (E's code to ncols outputs). */
static bool coder_shapes(Args *a, int id, const NnNet *E, const NnNet *D,
                         const Rows *r) {
  if (E->cond || D->cond)
    return vm_error(a->vm, "%s(): conditional encoders and decoders are not "
                           "supported",
                    a->fn);
  if (E->sizes[0] != r->ncols)
    return vm_error(a->vm, "%s(): the data have %zu column%s but E reads "
                           "rows of %zu (input=%zu)",
                    a->fn, r->ncols, r->ncols == 1 ? "" : "s", E->sizes[0],
                    E->sizes[0]);
  if (D->nheads != 1)
    return args_error(a, id, "must be a decoder, not an encoder");
  if (D->sizes[0] != nn_net_outputs(E))
    return vm_error(a->vm, "%s(): E makes codes of %zu but D reads %zu "
                           "(latent=%zu)",
                    a->fn, nn_net_outputs(E), D->sizes[0], D->sizes[0]);
  if (nn_net_outputs(D) != r->ncols)
    return vm_error(a->vm, "%s(): the data have %zu column%s but D makes "
                           "rows of %zu (out=%zu)",
                    a->fn, r->ncols, r->ncols == 1 ? "" : "s",
                    nn_net_outputs(D), nn_net_outputs(D));
  return true;
}

static bool recon_arg(Args *a, int i, const char *dflt, const NnNet *D,
                      int idata, const Rows *r, NnRecon *out) {
  static const char *const losses[] = {"bce", "mse", NULL};
  int k = 0;
  if (!choice_arg(a, i, dflt, losses, &k))
    return false;
  *out = k == 0 ? NN_RECON_BCE : NN_RECON_MSE;
  if (*out != NN_RECON_BCE)
    return true;
  if (D->acts[D->nlayers - 1] != NN_SIGMOID)
    return vm_error(a->vm, "%s(): loss=\"bce\" needs a decoder with "
                           "out_act=\"sigmoid\" (D has out_act=\"%s\"); use "
                           "loss=\"mse\" otherwise",
                    a->fn, nn_act_name(D->acts[D->nlayers - 1]));
  return unit_interval(a, idata, r, "loss=\"bce\"", BCE_HINT);
}

static bool finish_training(VM *vm, Training *tr, TrainArgs *ta, bool ok,
                            const char *err, const NnHistory *h,
                            const char *whose, Value *result) {
  rng_done(&ta->rng);
  if (!ok) {
    sigaction(SIGINT, &tr->old, NULL);
    return vm_error(vm, "%s(): %s", tr->fn, err);
  }
  training_end(tr, h, whose);
  *result = history_value(h);
  return true;
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
      !net_arg(&a, 0, "a network (Encoder(...))", &E) ||
      !net_arg(&a, 1, "a network (Decoder(...))", &D) ||
      !rows_arg(&a, 2, &r))
    return false;
  if (E->nheads != 2)
    return args_error(&a, 0, "must be a variational encoder "
                             "(Encoder(..., variational=true))");
  if (!coder_shapes(&a, 1, E, D, &r) ||
      !recon_arg(&a, 8, "bce", D, 2, &r, &o.recon) ||
      !args_num_or(&a, 7, 1.0, &o.beta))
    return false;
  if (!(o.beta >= 0.0) || !isfinite(o.beta))
    return args_error(&a, 7, "must be a finite number >= 0, got %g", o.beta);
  const TrainIdx ix = {3, 4, 5, 6, 9, 10};
  TrainArgs ta;
  if (!train_args(&a, &ix, 50, 64, 1e-3, 0.9, 0.999, &ta))
    return false;
  if (!batch_fits(&a, 4, ta.o.batch, r.n, E, D)) {
    rng_done(&ta.rng);
    return false;
  }
  o.train = ta.o;
  Training tr;
  training_begin(&tr, vm, "train_vae", ta.progress);
  o.train.progress = training_progress;
  o.train.ctx = &tr;
  NnHistory h;
  char err[NN_ERR_LEN];
  bool ok = nn_vae_train(E, D, r.x, r.n, r.ncols, &o, &h, err);
  return finish_training(vm, &tr, &ta, ok, err, &h, "E's and D's", result);
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
      !net_arg(&a, 0, "a network (Encoder(...))", &E) ||
      !net_arg(&a, 1, "a network (Decoder(...))", &D) ||
      !rows_arg(&a, 2, &r) || !coder_shapes(&a, 1, E, D, &r) ||
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
  if (!train_args(&a, &ix, 50, 64, 1e-3, 0.9, 0.999, &ta))
    return false;
  if (!batch_fits(&a, 4, ta.o.batch, r.n, E, D)) {
    rng_done(&ta.rng);
    return false;
  }
  o.train = ta.o;
  Training tr;
  training_begin(&tr, vm, "train_autoencoder", ta.progress);
  o.train.progress = training_progress;
  o.train.ctx = &tr;
  NnHistory h;
  char err[NN_ERR_LEN];
  bool ok = nn_ae_train(E, D, r.x, r.n, r.ncols, &o, &h, err);
  return finish_training(vm, &tr, &ta, ok, err, &h, "E's and D's", result);
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
      !net_arg(&a, 0, "a network", &net) || !rows_arg(&a, 1, &x) ||
      !rows_arg(&a, 2, &y) || !choice_arg(&a, 3, "mse", losses, &loss))
    return false;
  if (net->nheads != 1)
    return args_error(&a, 0, "must have one output head (train an encoder "
                             "with train_vae or train_autoencoder)");
  if (!input_width(&a, 1, net, &x))
    return false;
  if (y.n != x.n)
    return vm_error(vm, "train_net(): x has %zu rows but y has %zu", x.n,
                    y.n);
  if (y.ncols != nn_net_outputs(net))
    return args_error(&a, 2, "has %zu column%s but the network has %zu "
                             "outputs",
                      y.ncols, y.ncols == 1 ? "" : "s", nn_net_outputs(net));
  if (loss == 1 && !unit_interval(&a, 2, &y, "loss=\"bce\"", BCE_HINT))
    return false;
  if (!cond_rows(&a, 4, net, "the network", x.n, &cond))
    return false;
  const TrainIdx ix = {5, 6, 7, 8, 9, 10};
  TrainArgs ta;
  if (!train_args(&a, &ix, 100, 32, 1e-3, 0.9, 0.999, &ta))
    return false;
  if (!batch_fits(&a, 6, ta.o.batch, x.n, net, NULL)) {
    rng_done(&ta.rng);
    return false;
  }
  Training tr;
  training_begin(&tr, vm, "train_net", ta.progress);
  ta.o.progress = training_progress;
  ta.o.ctx = &tr;
  NnHistory h;
  char err[NN_ERR_LEN];
  bool ok = nn_fit_train(net, x.x, y.x, cond, x.n,
                         loss == 1 ? NN_RECON_BCE : NN_RECON_MSE, &ta.o, &h,
                         err);
  return finish_training(vm, &tr, &ta, ok, err, &h, "the network's", result);
}

/* ---- encode, decode, reconstruct ----------------------------------------------- */

/* encode(E, x, sample=false, full=false, seed=nil): the codes of the rows
 * of x: their means, draws (sample=true) or {mean, logvar} (full=true). */
static bool b_encode(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"E", "x", "sample", "full", "seed",
                                      NULL};
  Args a;
  NnNet *E;
  Rows r;
  bool sample, full;
  if (!args_bind(&a, vm, call, "encode", names, 2) ||
      !net_arg(&a, 0, "a network (Encoder(...))", &E) || !rows_arg(&a, 1, &r) ||
      !input_width(&a, 1, E, &r) || !args_bool_or(&a, 2, false, &sample) ||
      !args_bool_or(&a, 3, false, &full))
    return false;
  if (E->cond)
    return args_error(&a, 0, "must not be conditional");
  if ((sample || full) && E->nheads != 2)
    return args_error(&a, 0, "must be a variational encoder for %s",
                      sample ? "sample=true" : "full=true");
  Value mu, lv;
  if (!run_net(vm, "encode", E, r.x, NULL, r.n, 0, false, &mu))
    return false;
  if (!sample && !full) {
    *result = mu;
    return true;
  }
  if (!run_net(vm, "encode", E, r.x, NULL, r.n, 1, false, &lv))
    return false;
  if (full) {
    ObjRecord *rec = record_new();
    record_set(rec, "mean", mu);
    record_set(rec, "logvar", lv);
    *result = OBJ_VAL(rec);
    return true;
  }
  SeedRng s;
  if (!seed_arg(&a, 4, &s))
    return false;
  ObjTensor *m = AS_TENSOR(mu), *v = AS_TENSOR(lv);
  double *e = mem_alloc_atomic((m->len + 1) * sizeof *e);
  nn_fill_normal(e, m->len, s.rng);
  rng_done(&s);
  for (size_t k = 0; k < m->len; k++)
    m->data[k] += exp(0.5 * v->data[k]) * e[k];
  *result = mu;
  return true;
}

/* decode(D, z): rows from codes (the decoder's outputs). */
static bool b_decode(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"D", "z", NULL};
  Args a;
  NnNet *D;
  Rows r;
  if (!args_bind(&a, vm, call, "decode", names, 2) ||
      !net_arg(&a, 0, "a network (Decoder(...))", &D) || !rows_arg(&a, 1, &r) ||
      !input_width(&a, 1, D, &r))
    return false;
  if (D->cond || D->nheads != 1)
    return args_error(&a, 0, "must be a decoder (one head, no labels)");
  return run_net(vm, "decode", D, r.x, NULL, r.n, 0, false, result);
}

static bool rbm_reconstruct(Args *a, Value *result);

/* reconstruct(E, D, x): decode(D, encode(E, x)); reconstruct(rbm, x). */
static bool b_reconstruct(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"E", "D", "x", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "reconstruct", names, 2))
    return false;
  if (!as_net(a.v[0]))
    return rbm_reconstruct(&a, result);
  NnNet *E, *D;
  Rows r;
  if (!net_arg(&a, 0, "a network (Encoder(...)) or an RBM", &E) ||
      !net_arg(&a, 1, "a network (Decoder(...))", &D) ||
      !rows_arg(&a, 2, &r) || !coder_shapes(&a, 1, E, D, &r))
    return false;
  const size_t L = nn_net_outputs(E);
  if (r.n > BUILTIN_MAX_ELEMENTS / L)
    return args_error(&a, 2, "has too many rows");
  double *z = mem_alloc_atomic((r.n * L + 1) * sizeof *z);
  char err[NN_ERR_LEN];
  if (!nn_net_apply(E, r.x, NULL, r.n, 0, false, z, err))
    return vm_error(vm, "reconstruct(): %s", err);
  return run_net(vm, "reconstruct", D, z, NULL, r.n, 0, false, result);
}

/* ---- RBM and DBN ---------------------------------------------------------------- */

/* A DBN: RBMs from the data up, sizes[l] -> sizes[l + 1]. */
typedef struct Dbn {
  size_t nlayers;
  NnRbm **rbms;
} Dbn;

static void rbm_format(StrBuf *sb, void *data, bool repr) {
  PPL_UNUSED(repr);
  const NnRbm *r = data;
  strbuf_printf(sb, "RBM(visible=%zu, hidden=%zu; %zu weights)", r->nv, r->nh,
                r->nv * r->nh + r->nv + r->nh);
}

static bool rbm_field(VM *vm, void *data, ObjString *name, Value *out) {
  const NnRbm *r = data;
  const char *s = name->chars;
  if (strcmp(s, "W") == 0)
    *out = OBJ_VAL(matrix_of(r->W, r->nv, r->nh));
  else if (strcmp(s, "b") == 0)
    *out = OBJ_VAL(tensor_from_array(r->b, r->nv));
  else if (strcmp(s, "c") == 0)
    *out = OBJ_VAL(tensor_from_array(r->c, r->nh));
  else if (strcmp(s, "visible") == 0)
    *out = NUM_VAL((double)r->nv);
  else if (strcmp(s, "hidden") == 0)
    *out = NUM_VAL((double)r->nh);
  else
    return vm_error(vm, "an RBM has no field '%s' (it has: W, b, c, visible, "
                        "hidden)",
                    s);
  return true;
}

static ApplyResult rbm_apply(VM *vm, const ObjNative *fn, const CallArgs *call,
                             Value *out);

static const HandleClass rbm_class = {
    .name = "RBM",
    .format = rbm_format,
    .get_field = rbm_field,
    .apply = rbm_apply,
};

static Value rbm_value(NnRbm *r) { return OBJ_VAL(handle_new(&rbm_class, r)); }

static NnRbm *as_rbm(Value v) {
  return object_is_handle(v, &rbm_class) ? AS_HANDLE(v)->data : NULL;
}

static void dbn_format(StrBuf *sb, void *data, bool repr) {
  PPL_UNUSED(repr);
  const Dbn *d = data;
  strbuf_puts(sb, "DBN([");
  for (size_t l = 0; l <= d->nlayers; l++)
    strbuf_printf(sb, "%s%zu", l ? ", " : "",
                  l < d->nlayers ? d->rbms[l]->nv : d->rbms[l - 1]->nh);
  strbuf_puts(sb, "])");
}

static bool dbn_field(VM *vm, void *data, ObjString *name, Value *out) {
  const Dbn *d = data;
  if (strcmp(name->chars, "layers") != 0)
    return vm_error(vm, "a DBN has no field '%s' (it has: layers)",
                    name->chars);
  ObjList *l = list_new(d->nlayers);
  for (size_t k = 0; k < d->nlayers; k++)
    list_push(l, rbm_value(d->rbms[k]));
  *out = OBJ_VAL(l);
  return true;
}

static const HandleClass dbn_class = {
    .name = "DBN",
    .format = dbn_format,
    .get_field = dbn_field,
};

static Dbn *as_dbn(Value v) {
  return object_is_handle(v, &dbn_class) ? AS_HANDLE(v)->data : NULL;
}

/* RBM(visible, hidden, seed=nil) */
static bool b_rbm(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"visible", "hidden", "seed", NULL};
  Args a;
  size_t nv, nh;
  SeedRng s;
  if (!args_bind(&a, vm, call, "RBM", names, 2) ||
      !width_arg(&a, 0, 1, true, &nv) || !width_arg(&a, 1, 1, true, &nh))
    return false;
  if (nv > BUILTIN_MAX_ELEMENTS / nh)
    return vm_error(vm, "RBM(): %zu x %zu units would have more than %zu "
                        "weights",
                    nv, nh, BUILTIN_MAX_ELEMENTS);
  if (!seed_arg(&a, 2, &s))
    return false;
  NnRbm *r = nn_rbm_new(nv, nh);
  nn_rbm_init(r, s.rng);
  rng_done(&s);
  *result = rbm_value(r);
  return true;
}

/* DBN(sizes, seed=nil): RBMs sizes[0] -> sizes[1] -> ... */
static bool b_dbn(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"sizes", "seed", NULL};
  Args a;
  size_t sizes[NN_MAX_LAYERS + 1], n;
  SeedRng s;
  if (!args_bind(&a, vm, call, "DBN", names, 1) ||
      !hidden_arg(&a, 0, sizes, &n))
    return false;
  if (n < 2)
    return args_error(&a, 0, "must hold at least two layer widths, got %zu",
                      n);
  for (size_t l = 0; l + 1 < n; l++)
    if (sizes[l] > BUILTIN_MAX_ELEMENTS / sizes[l + 1])
      return args_error(&a, 0, "makes an RBM of %zu x %zu units, more than "
                               "%zu weights",
                        sizes[l], sizes[l + 1], BUILTIN_MAX_ELEMENTS);
  if (!seed_arg(&a, 1, &s))
    return false;
  Dbn *d = mem_alloc(sizeof *d);
  d->nlayers = n - 1;
  d->rbms = mem_alloc(d->nlayers * sizeof *d->rbms);
  for (size_t l = 0; l < d->nlayers; l++) {
    d->rbms[l] = nn_rbm_new(sizes[l], sizes[l + 1]);
    nn_rbm_init(d->rbms[l], s.rng);
  }
  rng_done(&s);
  *result = OBJ_VAL(handle_new(&dbn_class, d));
  return true;
}

/* The machine in argument i: an RBM, or a DBN (*dbn set). */
static bool machine_arg(Args *a, int i, NnRbm **rbm, Dbn **dbn) {
  *rbm = as_rbm(a->v[i]);
  *dbn = as_dbn(a->v[i]);
  if (*rbm || *dbn)
    return true;
  return args_error(a, i, "must be an RBM or a DBN, got a %s",
                    value_type_name(a->v[i]));
}

/* n rows through every layer of the machine stay within the limit. */
static bool rows_fit(Args *a, int i, size_t n, const NnRbm *rbm,
                     const Dbn *d) {
  for (size_t l = 0; l < (rbm ? 1 : d->nlayers); l++) {
    const NnRbm *m = rbm ? rbm : d->rbms[l];
    if (n > BUILTIN_MAX_ELEMENTS / (m->nh > m->nv ? m->nh : m->nv))
      return args_error(a, i, "has too many rows for this machine");
  }
  return true;
}

enum {
  RBM_NET,
  RBM_DATA,
  RBM_EPOCHS,
  RBM_BATCH,
  RBM_LR,
  RBM_K,
  RBM_MOMENTUM,
  RBM_DECAY,
  RBM_PERSISTENT,
  RBM_SEED,
  RBM_PROGRESS,
};

/* A minibatch of an RBM of nv x nh units fits (see batch_fits). */
static bool rbm_batch_fits(Args *a, size_t batch, size_t n, size_t nv,
                           size_t nh) {
  const size_t w = nv > nh ? nv : nh;
  batch = batch < n ? batch : n;
  if (batch <= TRAIN_MAX_SLOT / w)
    return true;
  return args_error(a, RBM_BATCH, "is too large for %zu units (a batch of "
                                  "%zu rows would hold more than %zu values)",
                    w, batch, TRAIN_MAX_SLOT);
}

static bool rbm_options(Args *a, NnRbmOptions *o, TrainArgs *ta) {
  memset(o, 0, sizeof *o);
  if (!args_count_or(a, RBM_K, 1, &o->k) ||
      !args_num_or(a, RBM_MOMENTUM, 0.5, &o->momentum) ||
      !args_num_or(a, RBM_DECAY, 1e-4, &o->weight_decay) ||
      !args_bool_or(a, RBM_PERSISTENT, false, &o->persistent))
    return false;
  if (o->k < 1)
    return args_error(a, RBM_K, "must be at least 1 Gibbs step");
  if (!(o->momentum >= 0.0 && o->momentum < 1.0))
    return args_error(a, RBM_MOMENTUM, "must be in [0, 1), got %g",
                      o->momentum);
  if (!(o->weight_decay >= 0.0) || !isfinite(o->weight_decay))
    return args_error(a, RBM_DECAY, "must be a finite number >= 0, got %g",
                      o->weight_decay);
  const TrainIdx ix = {RBM_EPOCHS, RBM_BATCH, RBM_LR, -1, RBM_SEED,
                       RBM_PROGRESS};
  if (!train_args(a, &ix, 20, 16, 0.05, 0.0, 0.0, ta))
    return false;
  o->train = ta->o;
  return true;
}

/* Visible data for an RBM of nv units: values in [0, 1]. */
static bool rbm_data(Args *a, int i, size_t nv, Rows *r) {
  if (!rows_arg(a, i, r))
    return false;
  if (r->ncols != nv)
    return args_error(a, i, "has %zu column%s but the RBM has %zu visible "
                            "units",
                      r->ncols, r->ncols == 1 ? "" : "s", nv);
  return unit_interval(a, i, r, "an RBM's binary units",
                       "values are probabilities of a unit being on");
}

static const char *const rbm_names[] = {
    "rbm",      "data",          "epochs",     "batch", "lr",
    "k",        "momentum",      "weight_decay", "persistent", "seed",
    "progressbar", NULL};

/* train_rbm(rbm, data, epochs=20, batch=16, lr=0.05, k=1, momentum=0.5,
 * weight_decay=1e-4, persistent=false, seed=nil, progressbar=true) */
static bool b_train_rbm(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  Rows r;
  NnRbmOptions o;
  TrainArgs ta;
  if (!args_bind(&a, vm, call, "train_rbm", rbm_names, 2))
    return false;
  NnRbm *rbm = as_rbm(a.v[RBM_NET]);
  if (!rbm)
    return args_error(&a, RBM_NET, "must be an RBM, got a %s",
                      value_type_name(a.v[RBM_NET]));
  if (!rbm_data(&a, RBM_DATA, rbm->nv, &r) || !rbm_options(&a, &o, &ta))
    return false;
  if (!rbm_batch_fits(&a, o.train.batch, r.n, rbm->nv, rbm->nh)) {
    rng_done(&ta.rng);
    return false;
  }
  Training tr;
  training_begin(&tr, vm, "train_rbm", ta.progress);
  o.train.progress = training_progress;
  o.train.ctx = &tr;
  NnHistory h;
  nn_rbm_train(rbm, r.x, r.n, &o, &h);
  return finish_training(vm, &tr, &ta, true, NULL, &h, "the RBM's", result);
}

/* train_dbn(dbn, data, ...): each RBM in turn, on the hidden probabilities
 * of the one below; returns a list of the histories. */
static bool b_train_dbn(VM *vm, const CallArgs *call, Value *result) {
  Args a;
  Rows r;
  NnRbmOptions o;
  TrainArgs ta;
  if (!args_bind(&a, vm, call, "train_dbn", rbm_names, 2))
    return false;
  Dbn *d = as_dbn(a.v[RBM_NET]);
  if (!d)
    return args_error(&a, RBM_NET, "must be a DBN, got a %s",
                      value_type_name(a.v[RBM_NET]));
  if (!rbm_data(&a, RBM_DATA, d->rbms[0]->nv, &r) ||
      !rbm_options(&a, &o, &ta))
    return false;
  for (size_t l = 0; l < d->nlayers; l++)
    if (!rbm_batch_fits(&a, o.train.batch, r.n, d->rbms[l]->nv,
                        d->rbms[l]->nh) ||
        !rows_fit(&a, RBM_DATA, r.n, NULL, d)) {
      rng_done(&ta.rng);
      return false;
    }
  ObjList *hist = list_new(d->nlayers);
  const double *x = r.x;
  for (size_t l = 0; l < d->nlayers; l++) {
    Training tr;
    training_begin(&tr, vm, "train_dbn", ta.progress);
    o.train.progress = training_progress;
    o.train.ctx = &tr;
    NnHistory h;
    nn_rbm_train(d->rbms[l], x, r.n, &o, &h);
    training_end(&tr, &h, "the RBM's");
    list_push(hist, history_value(&h));
    if (h.end != NN_END_DONE)
      break;
    double *up = mem_alloc_atomic((r.n * d->rbms[l]->nh + 1) * sizeof *up);
    nn_rbm_hidden(d->rbms[l], x, r.n, up);
    x = up;
  }
  rng_done(&ta.rng);
  *result = OBJ_VAL(hist);
  return true;
}

/* The rows of x through a DBN's RBMs up to the top hidden probabilities
 * (or the first `upto` layers). GC memory. */
static double *dbn_up(const Dbn *d, const double *x, size_t n, size_t upto) {
  for (size_t l = 0; l < upto; l++) {
    double *up = mem_alloc_atomic((n * d->rbms[l]->nh + 1) * sizeof *up);
    nn_rbm_hidden(d->rbms[l], x, n, up);
    x = up;
  }
  return (double *)x;
}

/* Down from layer `from` to the data: p(v | h) RBM by RBM. */
static double *dbn_down(const Dbn *d, const double *h, size_t n,
                        size_t from) {
  for (size_t l = from; l-- > 0;) {
    double *down = mem_alloc_atomic((n * d->rbms[l]->nv + 1) * sizeof *down);
    nn_rbm_visible(d->rbms[l], h, n, down);
    h = down;
  }
  return (double *)h;
}

static bool rbm_reconstruct(Args *a, Value *result) {
  NnRbm *rbm;
  Dbn *d;
  Rows r;
  if (!machine_arg(a, 0, &rbm, &d))
    return false;
  /* reconstruct(rbm, x): x is the second argument */
  const size_t nv = rbm ? rbm->nv : d->rbms[0]->nv;
  if (!rbm_data(a, 1, nv, &r) || !rows_fit(a, 1, r.n, rbm, d))
    return false;
  if (args_given(a, 2))
    return args_error(a, 2, "is not taken by an RBM or DBN");
  ObjTensor *out = tensor_matrix(r.n, nv);
  if (rbm) {
    nn_rbm_reconstruct(rbm, r.x, r.n, out->data);
  } else {
    const double *top = dbn_up(d, r.x, r.n, d->nlayers);
    memcpy(out->data, dbn_down(d, top, r.n, d->nlayers),
           r.n * nv * sizeof(double));
  }
  *result = OBJ_VAL(out);
  return true;
}

/* transform(rbm, x): p(h | x); transform(dbn, x): the top layer's. */
static bool b_transform(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"rbm", "x", NULL};
  Args a;
  NnRbm *rbm;
  Dbn *d;
  Rows r;
  if (!args_bind(&a, vm, call, "transform", names, 2) ||
      !machine_arg(&a, 0, &rbm, &d) ||
      !rbm_data(&a, 1, rbm ? rbm->nv : d->rbms[0]->nv, &r) ||
      !rows_fit(&a, 1, r.n, rbm, d))
    return false;
  const size_t nh = rbm ? rbm->nh : d->rbms[d->nlayers - 1]->nh;
  ObjTensor *out = tensor_matrix(r.n, nh);
  if (rbm)
    nn_rbm_hidden(rbm, r.x, r.n, out->data);
  else
    memcpy(out->data, dbn_up(d, r.x, r.n, d->nlayers),
           r.n * nh * sizeof(double));
  *result = OBJ_VAL(out);
  return true;
}

/* gibbs(rbm, n, steps=1000, start=nil, probabilities=false, seed=nil):
 * n samples after `steps` sweeps from random (or given) visible states;
 * for a DBN, Gibbs sampling in the top RBM passed down. */
static bool b_gibbs(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"rbm",           "n",    "steps",
                                      "start",         "probabilities",
                                      "seed",          NULL};
  Args a;
  NnRbm *rbm;
  Dbn *d;
  size_t n, steps;
  bool probs;
  SeedRng s;
  if (!args_bind(&a, vm, call, "gibbs", names, 2) ||
      !machine_arg(&a, 0, &rbm, &d) || !args_size(&a, 1, &n) ||
      !args_count_or(&a, 2, 1000, &steps) ||
      !args_bool_or(&a, 4, false, &probs))
    return false;
  NnRbm *top = rbm ? rbm : d->rbms[d->nlayers - 1];
  const size_t nv = rbm ? rbm->nv : d->rbms[0]->nv;
  if (!rows_fit(&a, 1, n, rbm, d))
    return false;
  double *v = mem_alloc_atomic((n * top->nv + 1) * sizeof *v);
  if (args_given(&a, 3)) {
    Rows r;
    if (!rbm_data(&a, 3, nv, &r))
      return false;
    if (r.n != n)
      return args_error(&a, 3, "has %zu rows but n is %zu", r.n, n);
    memcpy(v, rbm ? r.x : dbn_up(d, r.x, n, d->nlayers - 1),
           n * top->nv * sizeof *v);
  }
  if (!seed_arg(&a, 5, &s))
    return false;
  if (!args_given(&a, 3))
    for (size_t q = 0; q < n * top->nv; q++)
      v[q] = rng_uniform(s.rng) < 0.5 ? 1.0 : 0.0;
  double *pv = mem_alloc_atomic((n * top->nv + 1) * sizeof *pv);
  nn_rbm_gibbs(top, v, n, steps, s.rng, pv);
  rng_done(&s);
  const double *out = probs && steps > 0 ? pv : v;
  if (d)
    out = dbn_down(d, out, n, d->nlayers - 1);
  *result = OBJ_VAL(matrix_of(out, n, nv));
  return true;
}

/* free_energy(rbm, x): F(v) of each row. */
static bool b_free_energy(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"rbm", "x", NULL};
  Args a;
  Rows r;
  if (!args_bind(&a, vm, call, "free_energy", names, 2))
    return false;
  NnRbm *rbm = as_rbm(a.v[0]);
  if (!rbm)
    return args_error(&a, 0, "must be an RBM, got a %s",
                      value_type_name(a.v[0]));
  if (!rbm_data(&a, 1, rbm->nv, &r) || !rows_fit(&a, 1, r.n, rbm, NULL))
    return false;
  ObjTensor *out = tensor_vector(r.n);
  nn_rbm_free_energy(rbm, r.x, r.n, out->data);
  *result = OBJ_VAL(out);
  return true;
}

static ApplyResult rbm_apply(VM *vm, const ObjNative *fn, const CallArgs *call,
                             Value *out) {
  if (strcmp(fn->name, "copy") == 0 && call->argc == 1 && call->kwc == 0 &&
      as_rbm(call->argv[0])) {
    *out = rbm_value(nn_rbm_copy(as_rbm(call->argv[0])));
    return APPLY_DONE;
  }
  (void)vm;
  return APPLY_PASS;
}

/* ---- save_net, load_net ----------------------------------------------------------- */

/* save_net(net, path): a network, RBM or DBN as text. */
static bool b_save_net(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"net", "path", NULL};
  Args a;
  ObjString *path;
  if (!args_bind(&a, vm, call, "save_net", names, 2) ||
      !args_string(&a, 1, &path))
    return false;
  NnNet *net = as_net(a.v[0]);
  NnRbm *rbm = as_rbm(a.v[0]);
  Dbn *d = as_dbn(a.v[0]);
  if (!net && !rbm && !d)
    return args_error(&a, 0, "must be a network, an RBM or a DBN, got a %s",
                      value_type_name(a.v[0]));
  FILE *f = fopen(path->chars, "w");
  if (!f)
    return vm_error(vm, "save_net(): cannot write '%s': %s", path->chars,
                    strerror(errno));
  bool ok = net   ? nn_save_net(net, f)
            : rbm ? nn_save_rbm(rbm, f)
                  : nn_save_dbn(d->rbms, d->nlayers, f);
  ok = fclose(f) == 0 && ok;
  if (!ok)
    return vm_error(vm, "save_net(): writing '%s' failed: %s", path->chars,
                    strerror(errno));
  *result = NIL_VAL;
  return true;
}

/* load_net(path): what save_net wrote. */
static bool b_load_net(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"path", NULL};
  Args a;
  ObjString *path;
  if (!args_bind(&a, vm, call, "load_net", names, 1) ||
      !args_string(&a, 0, &path))
    return false;
  FILE *f = fopen(path->chars, "r");
  if (!f)
    return vm_error(vm, "load_net(): cannot read '%s': %s", path->chars,
                    strerror(errno));
  NnLoaded l;
  char err[NN_ERR_LEN];
  const bool ok = nn_load(f, &l, err);
  fclose(f);
  if (!ok)
    return vm_error(vm, "load_net(): '%s', %s", path->chars, err);
  if (l.kind == NN_FILE_NET) {
    *result = net_value(l.net);
  } else if (l.kind == NN_FILE_RBM) {
    *result = rbm_value(l.rbm);
  } else {
    Dbn *d = mem_alloc(sizeof *d);
    d->nlayers = l.nrbms;
    d->rbms = l.rbms;
    *result = OBJ_VAL(handle_new(&dbn_class, d));
  }
  return true;
}

/* ---- did it learn? ----------------------------------------------------------------- */

/* real and fake with the same number of columns, at least min_rows each. */
static bool two_samples(Args *a, Rows *x, Rows *y, size_t min_rows) {
  if (!rows_arg(a, 0, x) || !rows_arg(a, 1, y))
    return false;
  if (x->ncols != y->ncols)
    return vm_error(a->vm, "%s(): real has %zu column%s but fake has %zu",
                    a->fn, x->ncols, x->ncols == 1 ? "" : "s", y->ncols);
  if (x->n < min_rows)
    return args_error(a, 0, "needs at least %zu rows, got %zu", min_rows,
                      x->n);
  if (y->n < min_rows)
    return args_error(a, 1, "needs at least %zu rows, got %zu", min_rows,
                      y->n);
  return true;
}

/* Rows the quadratic statistics accept: MMD is O(n^2) in time. */
enum { MMD_MAX_ROWS = 20000 };

/* mmd(real, fake, bandwidth=nil): the unbiased MMD^2 with a Gaussian
 * kernel (bandwidth: the median heuristic). */
static bool b_mmd(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"real", "fake", "bandwidth", NULL};
  Args a;
  Rows x, y;
  double s = 0.0;
  if (!args_bind(&a, vm, call, "mmd", names, 2) || !two_samples(&a, &x, &y, 2))
    return false;
  if (args_given(&a, 2) && !args_positive(&a, 2, &s))
    return false;
  if (x.n > MMD_MAX_ROWS || y.n > MMD_MAX_ROWS)
    return vm_error(vm, "mmd(): at most %d rows per sample (the cost grows "
                        "with the square); pass a random subset",
                    MMD_MAX_ROWS);
  *result = NUM_VAL(nn_mmd2(x.x, x.n, y.x, y.n, x.ncols, &s));
  return true;
}

static double *column(const Rows *r, size_t c) {
  double *v = mem_alloc_atomic((r->n + 1) * sizeof *v);
  for (size_t i = 0; i < r->n; i++)
    v[i] = r->x[i * r->ncols + c];
  return v;
}

/* ks_test(real, fake): {statistic, pvalue}, a vector per column. */
static bool b_ks_test(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"real", "fake", NULL};
  Args a;
  Rows x, y;
  if (!args_bind(&a, vm, call, "ks_test", names, 2) ||
      !two_samples(&a, &x, &y, 1))
    return false;
  ObjTensor *st = tensor_vector(x.ncols), *pv = tensor_vector(x.ncols);
  for (size_t c = 0; c < x.ncols; c++)
    st->data[c] =
        nn_ks2(column(&x, c), x.n, column(&y, c), y.n, &pv->data[c]);
  ObjRecord *r = record_new();
  record_set(r, "statistic", OBJ_VAL(st));
  record_set(r, "pvalue", OBJ_VAL(pv));
  *result = OBJ_VAL(r);
  return true;
}

/* corr_diff(real, fake): {real, fake, diff, max}: both correlation
 * matrices, fake - real, and the largest |difference|. */
static bool b_corr_diff(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"real", "fake", NULL};
  Args a;
  Rows x, y;
  if (!args_bind(&a, vm, call, "corr_diff", names, 2) ||
      !two_samples(&a, &x, &y, 2))
    return false;
  const size_t d = x.ncols;
  ObjTensor *rx = tensor_matrix(d, d), *ry = tensor_matrix(d, d);
  ObjTensor *diff = tensor_matrix(d, d);
  nn_corr(x.x, x.n, d, rx->data);
  nn_corr(y.x, y.n, d, ry->data);
  double m = 0.0;
  for (size_t k = 0; k < d * d; k++) {
    diff->data[k] = ry->data[k] - rx->data[k];
    if (isnan(diff->data[k]) || fabs(diff->data[k]) > m)
      m = isnan(diff->data[k]) || isnan(m) ? NAN : fabs(diff->data[k]);
  }
  ObjRecord *r = record_new();
  record_set(r, "real", OBJ_VAL(rx));
  record_set(r, "fake", OBJ_VAL(ry));
  record_set(r, "diff", OBJ_VAL(diff));
  record_set(r, "max", NUM_VAL(m));
  *result = OBJ_VAL(r);
  return true;
}

/* c2st(real, fake, hidden=[32, 32], epochs=50, lr=1e-3, seed=nil): the
 * classifier two-sample test of Lopez-Paz & Oquab (2017). Each sample is
 * shuffled and split in halves; a discriminator learns to tell the first
 * halves apart (columns standardised by their mean and sd there); its
 * accuracy on the second halves is near 0.5 when the samples are alike.
 * The p-value is that of accuracy >= the one seen under the null (a
 * normal approximation to the binomial, their equation 3). */
static bool b_c2st(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"real", "fake", "hidden", "epochs",
                                      "lr",   "seed", NULL};
  Args a;
  Rows x, y;
  size_t hid[NN_MAX_LAYERS + 1], nh, epochs;
  double lr;
  SeedRng s;
  if (!args_bind(&a, vm, call, "c2st", names, 2) ||
      !two_samples(&a, &x, &y, 4) || !hidden_arg(&a, 2, hid + 1, &nh) ||
      !args_count_or(&a, 3, 50, &epochs) ||
      !args_positive_or(&a, 4, 1e-3, &lr))
    return false;
  if (!seed_arg(&a, 5, &s))
    return false;
  const size_t d = x.ncols;
  const size_t nx = x.n / 2, ny = y.n / 2, ntr = nx + ny;
  const size_t nte = (x.n - nx) + (y.n - ny);
  NnBatcher px, py;
  nn_batcher_init(&px, x.n, x.n);
  nn_batcher_init(&py, y.n, y.n);
  nn_batcher_shuffle(&px, s.rng);
  nn_batcher_shuffle(&py, s.rng);
  double *tr = mem_alloc_atomic((ntr * d + 1) * sizeof *tr);
  double *te = mem_alloc_atomic((nte * d + 1) * sizeof *te);
  double *lab = mem_alloc_atomic((ntr + 1) * sizeof *lab);
  nn_gather_rows(x.x, d, px.perm, nx, tr);
  nn_gather_rows(y.x, d, py.perm, ny, tr + nx * d);
  nn_gather_rows(x.x, d, px.perm + nx, x.n - nx, te);
  nn_gather_rows(y.x, d, py.perm + ny, y.n - ny, te + (x.n - nx) * d);
  nn_batcher_clear(&px);
  nn_batcher_clear(&py);
  for (size_t i = 0; i < ntr; i++)
    lab[i] = i < nx ? 1.0 : 0.0;
  for (size_t c = 0; c < d; c++) { /* standardise by the training half */
    double m = 0.0, v = 0.0;
    for (size_t i = 0; i < ntr; i++)
      m += tr[i * d + c] / (double)ntr;
    for (size_t i = 0; i < ntr; i++)
      v += (tr[i * d + c] - m) * (tr[i * d + c] - m) / (double)ntr;
    const double sd = v > 0.0 ? sqrt(v) : 1.0;
    for (size_t i = 0; i < ntr; i++)
      tr[i * d + c] = (tr[i * d + c] - m) / sd;
    for (size_t i = 0; i < nte; i++)
      te[i * d + c] = (te[i * d + c] - m) / sd;
  }
  hid[0] = d;
  hid[nh + 1] = 1;
  NnAct acts[NN_MAX_LAYERS];
  for (size_t l = 0; l <= nh; l++)
    acts[l] = l < nh ? NN_RELU : NN_IDENTITY;
  NnNet *net = nn_net_new(NN_KIND_DISCRIMINATOR, hid, nh + 1, acts, 0, 1);
  nn_net_init(net, s.rng);
  const NnTrainOptions o = {.epochs = epochs, .batch = 64, .lr = lr,
                            .beta1 = 0.9, .beta2 = 0.999, .rng = s.rng};
  NnHistory h;
  char err[NN_ERR_LEN];
  const bool ok = nn_fit_train(net, tr, lab, NULL, ntr, NN_RECON_BCE, &o, &h,
                               err);
  rng_done(&s);
  if (!ok)
    return vm_error(vm, "c2st(): %s", err);
  double *logit = mem_alloc_atomic((nte + 1) * sizeof *logit);
  if (!nn_net_apply(net, te, NULL, nte, 0, true, logit, err))
    return vm_error(vm, "c2st(): %s", err);
  size_t right = 0;
  for (size_t i = 0; i < nte; i++)
    right += (i < x.n - nx) == (logit[i] > 0.0);
  const double acc = (double)right / (double)nte;
  const double z = (acc - 0.5) / sqrt(0.25 / (double)nte);
  ObjRecord *r = record_new();
  record_set(r, "accuracy", NUM_VAL(acc));
  record_set(r, "pvalue", NUM_VAL(gsl_cdf_ugaussian_Q(z)));
  record_set(r, "n_test", NUM_VAL((double)nte));
  *result = OBJ_VAL(r);
  return true;
}

/* ---- data preparation -------------------------------------------------------------- */

/* standardize(x): {data, mean, sd}: each column minus its mean over its
 * sd (n - 1 denominator; a constant column is only centred). */
static bool b_standardize(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  Rows r;
  if (!args_bind(&a, vm, call, "standardize", names, 1) ||
      !rows_arg(&a, 0, &r))
    return false;
  const bool vec = IS_TENSOR(a.v[0]) && AS_TENSOR(a.v[0])->ndim == 1;
  ObjTensor *out = vec ? tensor_vector(r.n) : tensor_matrix(r.n, r.ncols);
  ObjTensor *mu = tensor_vector(r.ncols), *sd = tensor_vector(r.ncols);
  for (size_t c = 0; c < r.ncols; c++) {
    double m = 0.0, v = 0.0;
    for (size_t i = 0; i < r.n; i++)
      m += r.x[i * r.ncols + c] / (double)r.n;
    for (size_t i = 0; i < r.n; i++)
      v += (r.x[i * r.ncols + c] - m) * (r.x[i * r.ncols + c] - m);
    v = r.n > 1 ? v / (double)(r.n - 1) : 0.0;
    const double s = v > 0.0 ? sqrt(v) : 1.0;
    for (size_t i = 0; i < r.n; i++)
      out->data[i * r.ncols + c] = (r.x[i * r.ncols + c] - m) / s;
    mu->data[c] = m;
    sd->data[c] = s;
  }
  ObjRecord *rec = record_new();
  record_set(rec, "data", OBJ_VAL(out));
  record_set(rec, "mean", OBJ_VAL(mu));
  record_set(rec, "sd", OBJ_VAL(sd));
  *result = OBJ_VAL(rec);
  return true;
}

static bool stats_vector(Args *a, int i, ObjRecord *s, const char *key,
                         size_t n, ObjTensor **out) {
  Value v;
  if (!record_get(s, key, &v) || !(*out = builtin_to_vector(v)))
    return args_error(a, i, "must be what standardize() returns (a record "
                            "with vectors mean and sd)");
  if ((*out)->len != n)
    return args_error(a, i, "has %zu %s values but the data have %zu "
                            "column%s",
                      (*out)->len, key, n, n == 1 ? "" : "s");
  return true;
}

/* unstandardize(z, stats): z * sd + mean, column by column. */
static bool b_unstandardize(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"z", "stats", NULL};
  Args a;
  Rows r;
  ObjRecord *s;
  ObjTensor *mu, *sd;
  if (!args_bind(&a, vm, call, "unstandardize", names, 2) ||
      !rows_arg(&a, 0, &r) || !args_record(&a, 1, &s) ||
      !stats_vector(&a, 1, s, "mean", r.ncols, &mu) ||
      !stats_vector(&a, 1, s, "sd", r.ncols, &sd))
    return false;
  const bool vec = IS_TENSOR(a.v[0]) && AS_TENSOR(a.v[0])->ndim == 1;
  ObjTensor *out = vec ? tensor_vector(r.n) : tensor_matrix(r.n, r.ncols);
  for (size_t i = 0; i < r.n; i++)
    for (size_t c = 0; c < r.ncols; c++)
      out->data[i * r.ncols + c] =
          r.x[i * r.ncols + c] * sd->data[c] + mu->data[c];
  *result = OBJ_VAL(out);
  return true;
}

/* one_hot(labels, k=nil): an n x k matrix with a 1 at each label (whole
 * numbers from 0; k defaults to the largest label + 1). */
static bool b_one_hot(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"labels", "k", NULL};
  Args a;
  ObjTensor *t;
  if (!args_bind(&a, vm, call, "one_hot", names, 1) ||
      !args_vector(&a, 0, &t))
    return false;
  double top = -1.0;
  for (size_t e = 0; e < t->len; e++)
    if (t->data[e] > top)
      top = t->data[e];
  size_t k;
  if (!args_count_or(&a, 1, top >= 0.0 && top < 1e6 ? (size_t)top + 1 : 1,
                     &k))
    return false;
  if (k < 1 || k > NN_MAX_WIDTH)
    return args_error(&a, 1, "must be a number of classes from 1 to %zu",
                      NN_MAX_WIDTH);
  if (t->len > BUILTIN_MAX_ELEMENTS / k)
    return args_error(&a, 0, "is too long");
  size_t *lab;
  if (!labels_arg(&a, 0, t->len, k, "class numbers", &lab))
    return false;
  ObjTensor *out = tensor_matrix(t->len, k);
  nn_one_hot(lab, NULL, t->len, k, out->data);
  *result = OBJ_VAL(out);
  return true;
}

/* minibatches(n, batch, seed=nil, drop_last=false): the numbers 0..n-1
 * shuffled and cut into a list of vectors of `batch`. */
static bool b_minibatches(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"n", "batch", "seed", "drop_last",
                                      NULL};
  Args a;
  size_t n, batch;
  bool drop;
  SeedRng s;
  if (!args_bind(&a, vm, call, "minibatches", names, 2) ||
      !args_size(&a, 0, &n) || !args_count(&a, 1, &batch) ||
      !args_bool_or(&a, 3, false, &drop))
    return false;
  if (batch < 1)
    return args_error(&a, 1, "must be at least 1");
  if (!seed_arg(&a, 2, &s))
    return false;
  NnBatcher b;
  nn_batcher_init(&b, n, n);
  nn_batcher_shuffle(&b, s.rng);
  rng_done(&s);
  ObjList *l = list_new(n / batch + 1);
  for (size_t i = 0; i < n; i += batch) {
    const size_t m = n - i < batch ? n - i : batch;
    if (m < batch && drop)
      break;
    ObjTensor *v = tensor_vector(m);
    for (size_t k = 0; k < m; k++)
      v->data[k] = (double)b.perm[i + k];
    list_push(l, OBJ_VAL(v));
  }
  nn_batcher_clear(&b);
  *result = OBJ_VAL(l);
  return true;
}

/* ---- registration ------------------------------------------------------------- */

static const BuiltinDef nn_builtins[] = {
    {"Dense", b_dense,
     "Dense(input, output, act=\"identity\", seed=nil): one dense layer "
     "(a network: y = act(x W + b))"},
    {"MLP", b_mlp,
     "MLP(sizes, act=\"relu\", out_act=\"identity\", dropout=0, "
     "layer_norm=false, alpha=0.2, seed=nil): a multilayer perceptron with "
     "the given layer widths, or MLP([Dense(...), ...]) stacking networks"},
    {"Generator", b_generator,
     "Generator(latent=8, hidden=[64, 64], out=2, cond=0, act=\"relu\", "
     "out_act=\"identity\", dropout=0, layer_norm=false, alpha=0.2, "
     "seed=nil): a GAN generator from a standard normal code"},
    {"Discriminator", b_discriminator,
     "Discriminator(input=2, hidden=[64, 64], cond=0, act=\"leaky_relu\", "
     "dropout=0, layer_norm=false, alpha=0.2, seed=nil): a GAN "
     "discriminator, one logit per row"},
    {"Encoder", b_encoder,
     "Encoder(input, hidden=[64, 64], latent=2, variational=true, "
     "act=\"relu\", dropout=0, layer_norm=false, alpha=0.2, seed=nil): a "
     "(variational) encoder"},
    {"Decoder", b_decoder,
     "Decoder(latent=2, hidden=[64, 64], out, act=\"relu\", "
     "out_act=\"sigmoid\", dropout=0, layer_norm=false, alpha=0.2, "
     "seed=nil): a decoder from codes to rows"},
    {"forward", b_forward,
     "forward(net, x, labels=nil): a network's outputs for the rows of x "
     "(also predict(net, x))"},
    {"generate", b_generate,
     "generate(G, n, labels=nil, seed=nil): n rows from a generator or "
     "decoder fed standard normal codes"},
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
    {"encode", b_encode,
     "encode(E, x, sample=false, full=false, seed=nil): the codes of the "
     "rows of x (means, draws, or {mean, logvar})"},
    {"decode", b_decode, "decode(D, z): rows made from codes z"},
    {"reconstruct", b_reconstruct,
     "reconstruct(E, D, x) or reconstruct(rbm, x): x passed through the "
     "code and back"},
    {"RBM", b_rbm,
     "RBM(visible, hidden, seed=nil): a restricted Boltzmann machine with "
     "binary units"},
    {"DBN", b_dbn,
     "DBN(sizes, seed=nil): a deep belief network, RBMs sizes[0] -> "
     "sizes[1] -> ..."},
    {"train_rbm", b_train_rbm,
     "train_rbm(rbm, data, epochs=20, batch=16, lr=0.05, k=1, momentum=0.5, "
     "weight_decay=1e-4, persistent=false, seed=nil, progressbar=true): "
     "contrastive divergence (CD-k, or persistent CD)"},
    {"train_dbn", b_train_dbn,
     "train_dbn(dbn, data, ...train_rbm's options): greedy layer-wise "
     "training; a list of the RBMs' histories"},
    {"transform", b_transform,
     "transform(rbm, x): hidden unit probabilities p(h | x) (a DBN's top "
     "layer's)"},
    {"gibbs", b_gibbs,
     "gibbs(rbm, n, steps=1000, start=nil, probabilities=false, seed=nil): "
     "n visible samples by Gibbs sampling"},
    {"free_energy", b_free_energy,
     "free_energy(rbm, x): the RBM's free energy of each row"},
    {"save_net", b_save_net,
     "save_net(net, path): write a network, RBM or DBN to a text file"},
    {"load_net", b_load_net, "load_net(path): read what save_net() wrote"},
    {"mmd", b_mmd,
     "mmd(real, fake, bandwidth=nil): unbiased squared maximum mean "
     "discrepancy, Gaussian kernel (median heuristic)"},
    {"ks_test", b_ks_test,
     "ks_test(real, fake): per-column two-sample Kolmogorov-Smirnov "
     "{statistic, pvalue}"},
    {"corr_diff", b_corr_diff,
     "corr_diff(real, fake): {real, fake, diff, max} of the correlation "
     "matrices"},
    {"c2st", b_c2st,
     "c2st(real, fake, hidden=[64, 64], epochs=50, lr=1e-3, seed=nil): "
     "classifier two-sample test {accuracy, pvalue, n_test}"},
    {"standardize", b_standardize,
     "standardize(x): {data, mean, sd} with each column scaled to mean 0, "
     "sd 1"},
    {"unstandardize", b_unstandardize,
     "unstandardize(z, stats): z * stats.sd + stats.mean per column"},
    {"one_hot", b_one_hot,
     "one_hot(labels, k=nil): an n x k matrix of one-hot rows"},
    {"minibatches", b_minibatches,
     "minibatches(n, batch, seed=nil, drop_last=false): shuffled row "
     "numbers cut into batches"},
    {NULL, NULL, NULL},
};

void lib_nn_register(VM *vm) { builtin_register(vm, nn_builtins); }
