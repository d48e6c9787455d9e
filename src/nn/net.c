/*
 * net.c — feed-forward networks: layout of the weights, initialisation,
 * building a network onto the tape, its input gradient, and evaluating
 * it on data (the contract and the layout are in net.h).
 *
 * Building emits, per hidden layer, AFFINE (h W + b in one dgemm), then
 * LAYER_NORM with MUL/ADD of the gain and shift, then the activation op,
 * then MUL by a dropout mask; the output layer is AFFINE and the output
 * activation. A conditional first layer is AFFINE on the data columns
 * plus MATMUL on the one-hot label, the two halves of one weight matrix
 * (two views of theta), so no concatenation is needed on the tape.
 */
#include <config.h>
#include "nn/net.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "mem.h"
#include "rng.h"

/* ---- names ------------------------------------------------------------------ */

static const char *const act_names[] = {
#define X(name, str) str,
    NN_ACTS(X)
#undef X
};

static const char *const kind_names[] = {
#define X(name, str) str,
    NN_KINDS(X)
#undef X
};

const char *nn_act_name(NnAct a) {
  ASSERT((unsigned)a < NN_NACTS);
  return act_names[a];
}

bool nn_act_lookup(const char *name, NnAct *out) {
  for (int a = 0; a < NN_NACTS; a++)
    if (strcmp(name, act_names[a]) == 0) {
      *out = (NnAct)a;
      return true;
    }
  return false;
}

const char *nn_kind_name(NnKind k) {
  ASSERT((unsigned)k < NN_NKINDS);
  return kind_names[k];
}

bool nn_kind_lookup(const char *name, NnKind *out) {
  for (int k = 0; k < NN_NKINDS; k++)
    if (strcmp(name, kind_names[k]) == 0) {
      *out = (NnKind)k;
      return true;
    }
  return false;
}

/* ---- layout ------------------------------------------------------------------ */

static size_t layer_in(const NnNet *net, size_t l) {
  return net->sizes[l] + (l == 0 ? net->cond : 0);
}

/* Doubles in layer l's block: W, b, and gain and shift when normalised. */
static size_t block_len(const NnNet *net, size_t l) {
  const size_t in = layer_in(net, l), out = net->sizes[l + 1];
  const bool norm = net->layer_norm && l + 1 < net->nlayers;
  return in * out + out + (norm ? 2 * out : 0);
}

/* Offsets of every block; nparams. Called whenever the architecture
 * changes (layer_norm set after nn_net_new). */
static void lay_out(NnNet *net) {
  size_t off = 0, k = 0;
  for (size_t l = 0; l + 1 < net->nlayers; l++) {
    net->off[k++] = off;
    off += block_len(net, l);
  }
  for (size_t h = 0; h < net->nheads; h++) {
    net->off[k++] = off;
    off += block_len(net, net->nlayers - 1);
  }
  net->nparams = off;
}

/* a * b + c, or SIZE_MAX on overflow. */
static size_t muladd(size_t a, size_t b, size_t c) {
  if (a != 0 && b > (SIZE_MAX - c) / a)
    return SIZE_MAX;
  return a * b + c;
}

size_t nn_net_count(const size_t *sizes, size_t nlayers, size_t cond,
                    size_t nheads, bool layer_norm) {
  size_t total = 0;
  for (size_t l = 0; l < nlayers; l++) {
    const size_t in = sizes[l] + (l == 0 ? cond : 0), out = sizes[l + 1];
    const bool last = l + 1 == nlayers;
    size_t block = muladd(in, out, out);
    if (layer_norm && !last)
      block = muladd(2, out, block);
    block = muladd(block, last ? nheads : 1, 0);
    if (block == SIZE_MAX || total > SIZE_MAX - block)
      return SIZE_MAX;
    total += block;
  }
  return total;
}

NnNet *nn_net_new(NnKind kind, const size_t *sizes, size_t nlayers,
                  const NnAct *acts, size_t cond, size_t nheads) {
  ASSERT(nlayers >= 1 && nlayers <= NN_MAX_LAYERS);
  ASSERT(nheads >= 1 && nheads <= NN_MAX_HEADS);
  NnNet *net = mem_alloc(sizeof *net);
  net->kind = kind;
  net->nlayers = nlayers;
  net->sizes = mem_alloc_atomic((nlayers + 1) * sizeof *net->sizes);
  memcpy(net->sizes, sizes, (nlayers + 1) * sizeof *sizes);
  net->acts = mem_alloc_atomic(nlayers * sizeof *net->acts);
  memcpy(net->acts, acts, nlayers * sizeof *acts);
  net->cond = cond;
  net->nheads = nheads;
  net->alpha = NN_LEAKY_DEFAULT;
  net->off = mem_alloc_atomic((nlayers + nheads) * sizeof *net->off);
  nn_net_relayout(net);
  return net;
}

void nn_net_relayout(NnNet *net) {
  lay_out(net);
  net->theta = mem_alloc_atomic((net->nparams ? net->nparams : 1) *
                                sizeof *net->theta);
  memset(net->theta, 0, net->nparams * sizeof *net->theta);
}

NnNet *nn_net_copy(const NnNet *src) {
  NnNet *net = nn_net_new(src->kind, src->sizes, src->nlayers, src->acts,
                          src->cond, src->nheads);
  net->alpha = src->alpha;
  net->dropout = src->dropout;
  net->layer_norm = src->layer_norm;
  nn_net_relayout(net);
  memcpy(net->theta, src->theta, src->nparams * sizeof *net->theta);
  return net;
}

size_t nn_net_inputs(const NnNet *net) { return layer_in(net, 0); }

size_t nn_net_outputs(const NnNet *net) { return net->sizes[net->nlayers]; }

NnLayerAt nn_net_layer(const NnNet *net, size_t l, size_t head) {
  ASSERT(l < net->nlayers && head < net->nheads);
  const bool last = l + 1 == net->nlayers;
  NnLayerAt at = {.in = layer_in(net, l), .out = net->sizes[l + 1]};
  at.w = net->off[last ? l + head : l];
  at.b = at.w + at.in * at.out;
  at.norm = net->layer_norm && !last;
  at.gain = at.b + at.out;
  at.shift = at.gain + at.out;
  return at;
}

/* ---- initialisation -------------------------------------------------------- */

static bool relu_like(NnAct a) {
  return a == NN_RELU || a == NN_LEAKY_RELU || a == NN_ELU;
}

void nn_net_init(NnNet *net, Rng *rng) {
  for (size_t l = 0; l < net->nlayers; l++)
    for (size_t h = 0; h < (l + 1 == net->nlayers ? net->nheads : 1); h++) {
      const NnLayerAt at = nn_net_layer(net, l, h);
      const NnAct a = net->acts[l];
      const double slope = a == NN_LEAKY_RELU ? net->alpha : 0.0;
      const double r =
          relu_like(a)
              ? sqrt(6.0 / ((1.0 + slope * slope) * (double)at.in))
              : sqrt(6.0 / (double)(at.in + at.out));
      for (size_t k = 0; k < at.in * at.out; k++)
        net->theta[at.w + k] = r * (2.0 * rng_uniform(rng) - 1.0);
      memset(net->theta + at.b, 0, at.out * sizeof(double));
      if (at.norm)
        for (size_t k = 0; k < at.out; k++) {
          net->theta[at.gain + k] = 1.0;
          net->theta[at.shift + k] = 0.0;
        }
    }
}

/* ---- building ----------------------------------------------------------------- */

typedef struct Builder {
  const NnNet *net;
  Tape *t;
  NnPlace place;
  NnOnTape *on;
  char *err;
} Builder;

static bool failed(Builder *b, TapeSlot s, const char *what, char *tape_err) {
  if (s != TAPE_NONE)
    return false;
  snprintf(b->err, NN_ERR_LEN, "%s: %s", what, tape_err);
  return true;
}

/* A weight tensor at theta offset off: a view of the tape's theta, or an
 * input slot to be filled from the network's theta. */
static TapeSlot weight(Builder *b, size_t off, int ndim, size_t rows,
                       size_t cols) {
  if (!b->place.held)
    return tape_param(b->t, b->place.base + off, ndim, rows, cols);
  NnOnTape *on = b->on;
  ASSERT(on->nheld < sizeof on->held / sizeof on->held[0]);
  TapeSlot s = tape_input(b->t, ndim, rows, cols);
  on->held[on->nheld] = s;
  on->held_off[on->nheld] = off;
  on->held_len[on->nheld] = ndim == 2 ? rows * cols : rows;
  on->nheld++;
  return s;
}

static TapeSlot activate(Builder *b, NnAct a, TapeSlot x, char *e) {
  switch (a) {
  case NN_IDENTITY:
    return x;
  case NN_RELU:
    return tape_op1(b->t, TAPE_RELU, x, e);
  case NN_LEAKY_RELU:
    return tape_op(b->t, TAPE_LEAKY_RELU, &x, 1, &b->net->alpha, 1, e);
  case NN_ELU:
    return tape_op1(b->t, TAPE_ELU, x, e);
  case NN_TANH:
    return tape_op1(b->t, TAPE_TANH, x, e);
  case NN_SIGMOID:
    return tape_op1(b->t, TAPE_LOGISTIC, x, e);
  case NN_SOFTPLUS:
    return tape_op1(b->t, TAPE_SOFTPLUS, x, e);
  default:
    PANIC("activate: unknown activation");
  }
}

/* x W + b for layer l (head h); the first layer of a conditional network
 * adds cond W_c, W_c being the last `cond` rows of W. */
static TapeSlot dense(Builder *b, size_t l, size_t h, TapeSlot x,
                      TapeSlot cond, char *e) {
  const NnNet *net = b->net;
  const NnLayerAt at = nn_net_layer(net, l, h);
  const size_t nx = net->sizes[l];
  TapeSlot w = weight(b, at.w, 2, nx, at.out);
  TapeSlot bias = weight(b, at.b, 1, at.out, 1);
  if (h == 0 || l + 1 < net->nlayers)
    b->on->w[l] = w;
  const TapeSlot in[3] = {x, w, bias};
  TapeSlot y = tape_op(b->t, TAPE_AFFINE, in, 3, NULL, 0, e);
  if (l > 0 || net->cond == 0 || y == TAPE_NONE)
    return y;
  TapeSlot wc = weight(b, at.w + nx * at.out, 2, net->cond, at.out);
  TapeSlot yc = tape_op2(b->t, TAPE_MATMUL, cond, wc, e);
  return yc == TAPE_NONE ? TAPE_NONE : tape_op2(b->t, TAPE_ADD, y, yc, e);
}

static TapeSlot normalise(Builder *b, const NnLayerAt *at, TapeSlot x,
                          char *e) {
  TapeSlot y = tape_op1(b->t, TAPE_LAYER_NORM, x, e);
  if (y == TAPE_NONE)
    return y;
  y = tape_op2(b->t, TAPE_MUL, y, weight(b, at->gain, 1, at->out, 1), e);
  return tape_op2(b->t, TAPE_ADD, y, weight(b, at->shift, 1, at->out, 1), e);
}

static TapeSlot dropout(Builder *b, TapeSlot x, char *e) {
  NnOnTape *on = b->on;
  int nd;
  size_t r, c;
  const size_t len = tape_shape(b->t, x, &nd, &r, &c);
  TapeSlot m = tape_input(b->t, nd, r, c);
  on->mask[on->nmasks] = m;
  on->mask_len[on->nmasks] = len;
  on->nmasks++;
  return tape_op2(b->t, TAPE_MUL, x, m, e);
}

static bool hidden_layers(Builder *b, TapeSlot *h, TapeSlot cond) {
  const NnNet *net = b->net;
  char e[TAPE_ERR_LEN];
  for (size_t l = 0; l + 1 < net->nlayers; l++) {
    const NnLayerAt at = nn_net_layer(net, l, 0);
    TapeSlot y = dense(b, l, 0, *h, cond, e);
    if (y != TAPE_NONE && at.norm)
      y = normalise(b, &at, y, e);
    if (failed(b, y, "a hidden layer", e))
      return false;
    b->on->hpre[l] = y;
    y = activate(b, net->acts[l], y, e);
    b->on->hact[l] = y;
    if (y != TAPE_NONE && b->place.dropout && net->dropout > 0.0)
      y = dropout(b, y, e);
    if (failed(b, y, "a hidden layer", e))
      return false;
    *h = y;
  }
  return true;
}

bool nn_net_build(const NnNet *net, Tape *t, NnPlace place, TapeSlot x,
                  TapeSlot cond, NnOnTape *on, char *err) {
  memset(on, 0, sizeof *on);
  on->net = net;
  Builder b = {net, t, place, on, err};
  ASSERT((net->cond == 0) == (cond == TAPE_NONE));
  TapeSlot h = x;
  if (!hidden_layers(&b, &h, cond))
    return false;
  const size_t l = net->nlayers - 1;
  char e[TAPE_ERR_LEN];
  for (size_t k = 0; k < net->nheads; k++) {
    TapeSlot y = dense(&b, l, k, h, cond, e);
    if (failed(&b, y, "the output layer", e))
      return false;
    on->pre[k] = y;
    on->out[k] = activate(&b, net->acts[l], y, e);
    if (failed(&b, on->out[k], "the output layer", e))
      return false;
  }
  return true;
}

/* ---- the input gradient ------------------------------------------------------ */

/* d act(pre) / d pre as a tape slot (y = act(pre)); TAPE_NONE for the
 * identity (a factor of 1). */
static TapeSlot act_deriv(Tape *t, NnAct a, double alpha, TapeSlot pre,
                          TapeSlot y, char *e) {
  const double zero = 0.0;
  switch (a) {
  case NN_IDENTITY:
    return TAPE_NONE;
  case NN_RELU:
    return tape_op(t, TAPE_STEP, &pre, 1, &zero, 1, e);
  case NN_LEAKY_RELU:
    return tape_op(t, TAPE_STEP, &pre, 1, &alpha, 1, e);
  case NN_ELU: /* 1 for pre > 0, exp(pre) = 1 + y else: 1 + y - relu(pre) */
    return tape_op2(t, TAPE_ADD, tape_scalar(t, 1.0),
                    tape_op2(t, TAPE_SUB, y, tape_op1(t, TAPE_RELU, pre, e),
                             e),
                    e);
  case NN_TANH:
    return tape_op2(t, TAPE_SUB, tape_scalar(t, 1.0),
                    tape_op1(t, TAPE_SQUARE, y, e), e);
  case NN_SIGMOID:
    return tape_op2(t, TAPE_MUL, y,
                    tape_op2(t, TAPE_SUB, tape_scalar(t, 1.0), y, e), e);
  case NN_SOFTPLUS:
    return tape_op1(t, TAPE_LOGISTIC, pre, e);
  default:
    PANIC("act_deriv: unknown activation");
  }
}

/* delta (B x out) times W^T (W: in x out) -> B x in. */
static TapeSlot back_through(Tape *t, TapeSlot delta, TapeSlot w, char *e) {
  return tape_op2(t, TAPE_MATMUL, delta, tape_op1(t, TAPE_TRANSPOSE, w, e), e);
}

TapeSlot nn_net_input_grad(const NnOnTape *on, Tape *t, char *err) {
  const NnNet *net = on->net;
  char e[TAPE_ERR_LEN] = "";
  if (net->layer_norm || on->nmasks > 0 || net->nheads != 1 ||
      nn_net_outputs(net) != 1) {
    snprintf(err, NN_ERR_LEN,
             "the input gradient needs a network with one output and no "
             "layer norm or dropout");
    return TAPE_NONE;
  }
  const size_t L = net->nlayers;
  int nd;
  size_t rows;
  tape_shape(t, on->pre[0], &nd, &rows, NULL);
  double *ones = mem_alloc_atomic(rows * sizeof *ones);
  for (size_t i = 0; i < rows; i++)
    ones[i] = 1.0;
  TapeSlot delta = tape_const(t, 2, rows, 1, ones);
  TapeSlot d = act_deriv(t, net->acts[L - 1], net->alpha, on->pre[0],
                         on->out[0], e);
  if (d != TAPE_NONE)
    delta = tape_op2(t, TAPE_MUL, delta, d, e);
  for (size_t l = L; l-- > 0;) {
    if (delta == TAPE_NONE)
      break;
    TapeSlot g = back_through(t, delta, on->w[l], e);
    if (g == TAPE_NONE)
      break;
    if (l == 0)
      return g;
    d = act_deriv(t, net->acts[l - 1], net->alpha, on->hpre[l - 1],
                  on->hact[l - 1], e);
    delta = d == TAPE_NONE ? g : tape_op2(t, TAPE_MUL, g, d, e);
  }
  snprintf(err, NN_ERR_LEN, "%s", e);
  return TAPE_NONE;
}

/* ---- filling inputs ------------------------------------------------------------ */

void nn_on_tape_load(const NnOnTape *on, TapeState *st, const double *theta) {
  for (size_t k = 0; k < on->nheld; k++)
    memcpy(tape_input_data(st, on->held[k]), theta + on->held_off[k],
           on->held_len[k] * sizeof *theta);
}

void nn_on_tape_masks(const NnOnTape *on, TapeState *st, Rng *rng) {
  const double p = on->net->dropout, keep = 1.0 / (1.0 - p);
  for (size_t k = 0; k < on->nmasks; k++) {
    double *m = tape_input_data(st, on->mask[k]);
    for (size_t i = 0; i < on->mask_len[k]; i++)
      m[i] = rng_uniform(rng) < p ? 0.0 : keep;
  }
}

/* ---- evaluating ------------------------------------------------------------------ */

/* A forward tape for n rows: x (and cond) inputs, theta the weights. */
typedef struct Applier {
  Tape *t;
  TapeState *st;
  TapeSlot x, cond;
  NnOnTape on;
} Applier;

static bool applier_init(Applier *a, const NnNet *net, size_t n, char *err) {
  a->t = tape_alloc(net->nparams);
  a->x = tape_input(a->t, 2, n, net->sizes[0]);
  a->cond = net->cond ? tape_input(a->t, 2, n, net->cond) : TAPE_NONE;
  const NnPlace place = {.held = false, .base = 0, .dropout = false};
  if (!nn_net_build(net, a->t, place, a->x, a->cond, &a->on, err)) {
    tape_free(a->t);
    return false;
  }
  tape_finish(a->t);
  a->st = tape_state_alloc(a->t);
  return true;
}

static void applier_clear(Applier *a) {
  tape_state_free(a->st);
  tape_free(a->t);
}

size_t nn_net_widest(const NnNet *net) {
  size_t w = nn_net_inputs(net);
  for (size_t l = 1; l <= net->nlayers; l++)
    if (net->sizes[l] > w)
      w = net->sizes[l];
  return w;
}

bool nn_net_apply(const NnNet *net, const double *x, const double *cond,
                  size_t n, size_t head, bool pre, double *out, char *err) {
  ASSERT(head < net->nheads);
  const size_t nx = net->sizes[0], nout = nn_net_outputs(net);
  Applier full = {0}, rest = {0};
  size_t B = NN_APPLY_ELEMENTS / nn_net_widest(net);
  B = B < 1 ? 1 : B > NN_APPLY_BATCH ? NN_APPLY_BATCH : B;
  B = n < B ? n : B;
  if (n == 0)
    return true;
  if (!applier_init(&full, net, B, err))
    return false;
  for (size_t i = 0; i < n; i += B) {
    const size_t m = n - i < B ? n - i : B;
    Applier *a = &full;
    if (m < B) {
      if (!applier_init(&rest, net, m, err)) {
        applier_clear(&full);
        return false;
      }
      a = &rest;
    }
    memcpy(tape_input_data(a->st, a->x), x + i * nx, m * nx * sizeof *x);
    if (net->cond)
      memcpy(tape_input_data(a->st, a->cond), cond + i * net->cond,
             m * net->cond * sizeof *cond);
    tape_forward(a->st, net->theta);
    TapeSlot y = pre ? a->on.pre[head] : a->on.out[head];
    memcpy(out + i * nout, tape_value(a->st, y), m * nout * sizeof *out);
  }
  if (rest.t)
    applier_clear(&rest);
  applier_clear(&full);
  return true;
}
