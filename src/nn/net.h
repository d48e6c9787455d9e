/*
 * net.h — feed-forward networks (dense layers and activations) and how
 * they are laid out on the tape.
 *
 * A network is a stack of dense layers: layer l maps sizes[l] inputs to
 * sizes[l + 1] outputs, h_{l+1} = act_l(h_l W_l + b_l), over a minibatch
 * held as a B x sizes[l] row-major matrix (one row per example, as
 * PyTorch's nn.Linear). A conditional network (cond > 0) reads cond more
 * input columns, a one-hot label, in its first layer: its W_0 has
 * sizes[0] + cond rows, the label's rows last. An encoder for a VAE has
 * two heads: its last layer is repeated, one copy giving the mean and one
 * the log-variance of the latent code. Hidden layers may be followed by
 * layer normalisation (with a gain and a shift per unit, before the
 * activation) and by inverted dropout (training only).
 *
 * All weights live in one vector theta, layer by layer:
 *   W_l (in x out, row-major), b_l (out) [, gain_l (out), shift_l (out)]
 * then the output layer once per head. The tape sees theta as its
 * parameter vector (trained) or copies it into input slots (held fixed,
 * as the discriminator while the generator trains).
 *
 * A network is GC memory (mem.h): the VM's handle holds it directly.
 *
 * References: Glorot & Bengio (2010) and He et al. (2015) for the
 * initialisation; Srivastava et al. (2014) for dropout; Ba, Kiros &
 * Hinton (2016) for layer normalisation.
 */
#ifndef PPL_NN_NET_H
#define PPL_NN_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "tape.h"

typedef struct Rng Rng;

/* X(NAME, "name as users write it") */
#define NN_ACTS(X)                                                            \
  X(IDENTITY, "identity")                                                     \
  X(RELU, "relu")                                                             \
  X(LEAKY_RELU, "leaky_relu")                                                 \
  X(ELU, "elu")                                                               \
  X(TANH, "tanh")                                                             \
  X(SIGMOID, "sigmoid")                                                       \
  X(SOFTPLUS, "softplus")

typedef enum {
#define X(name, str) NN_##name,
  NN_ACTS(X)
#undef X
      NN_NACTS
} NnAct;

/* What a network is for (printing, saving, and which builtins accept it). */
#define NN_KINDS(X)                                                           \
  X(MLP, "MLP")                                                               \
  X(GENERATOR, "Generator")                                                   \
  X(DISCRIMINATOR, "Discriminator")                                           \
  X(ENCODER, "Encoder")                                                       \
  X(DECODER, "Decoder")

typedef enum {
#define X(name, str) NN_KIND_##name,
  NN_KINDS(X)
#undef X
      NN_NKINDS
} NnKind;

enum {
  NN_MAX_LAYERS = 64, /* dense layers in one network */
  NN_MAX_HEADS = 2,
  NN_ERR_LEN = 256,
};

/* The largest layer width and batch: products stay within BLAS's int. */
#define NN_MAX_WIDTH ((size_t)1 << 20)

/* LeakyReLU's slope for x < 0 when none is given: 0.2, as in the GAN
 * literature (Radford et al. 2016), not PyTorch's 0.01. */
#define NN_LEAKY_DEFAULT 0.2

typedef struct NnNet {
  NnKind kind;
  size_t nlayers;    /* dense layers (the output layer counts once) */
  size_t *sizes;     /* nlayers + 1 widths; sizes[0] excludes cond */
  NnAct *acts;       /* nlayers activations, the last is the output's */
  size_t cond;       /* one-hot label columns read by the first layer */
  size_t nheads;     /* 1, or 2 for a VAE encoder */
  double alpha;      /* LeakyReLU slope */
  double dropout;    /* probability of dropping a hidden unit in training */
  bool layer_norm;   /* normalise hidden layers before their activation */
  size_t *off;       /* theta offset of layer l's block (nlayers - 1
                        hidden, then one per head) */
  size_t nparams;
  double *theta;     /* the weights (GC atomic) */
} NnNet;

const char *nn_act_name(NnAct a);
/* The activation called name; false when there is none. */
bool nn_act_lookup(const char *name, NnAct *out);
const char *nn_kind_name(NnKind k);
bool nn_kind_lookup(const char *name, NnKind *out);

/* A network with the given layer widths (nlayers + 1 of them), zero
 * weights. acts has nlayers entries. Checks nothing: the caller
 * validates sizes (1 .. NN_MAX_WIDTH, nlayers 1 .. NN_MAX_LAYERS). */
NnNet *nn_net_new(NnKind kind, const size_t *sizes, size_t nlayers,
                  const NnAct *acts, size_t cond, size_t nheads);

/* The number of weights of such a network (SIZE_MAX when it overflows),
 * to check before nn_net_new. */
size_t nn_net_count(const size_t *sizes, size_t nlayers, size_t cond,
                    size_t nheads, bool layer_norm);

/* The widest layer, inputs (with the label's columns) included: a
 * minibatch of B rows needs slots of B times this. */
size_t nn_net_widest(const NnNet *net);

/* Lays theta out again after layer_norm changed; the weights become 0
 * (call nn_net_init next). */
void nn_net_relayout(NnNet *net);

/* A deep copy (architecture and weights). */
NnNet *nn_net_copy(const NnNet *net);

/* Input columns of the first layer, with the label's. */
size_t nn_net_inputs(const NnNet *net);
size_t nn_net_outputs(const NnNet *net);

/* Draws the weights: W uniform on (-r, r) with He's r = sqrt(6 / ((1 +
 * alpha^2) fan_in)) ahead of ReLU-like activations and Glorot's r =
 * sqrt(6 / (fan_in + fan_out)) ahead of the others; biases and shifts 0,
 * gains 1. The same stream gives the same weights bit for bit. */
void nn_net_init(NnNet *net, Rng *rng);

/* Offsets into theta of layer l's W, b and (layer norm) gain and shift;
 * head selects the copy of the output layer. */
typedef struct NnLayerAt {
  size_t in, out;
  size_t w, b, gain, shift; /* gain/shift: only with layer norm */
  bool norm;
} NnLayerAt;
NnLayerAt nn_net_layer(const NnNet *net, size_t l, size_t head);

/* ---- on the tape --------------------------------------------------------- */

/* What nn_net_build put on a tape: outputs, the slots the caller fills
 * before each evaluation (held weights, dropout masks) and what the input
 * gradient needs. */
typedef struct NnOnTape {
  const NnNet *net;
  TapeSlot out[NN_MAX_HEADS]; /* after the output activation */
  TapeSlot pre[NN_MAX_HEADS]; /* before it (logits) */
  TapeSlot w[NN_MAX_LAYERS];  /* W_l (layer 0: the data rows) */
  TapeSlot hpre[NN_MAX_LAYERS], hact[NN_MAX_LAYERS]; /* hidden layers */
  size_t nheld;
  TapeSlot held[4 * NN_MAX_LAYERS + 4];
  size_t held_off[4 * NN_MAX_LAYERS + 4], held_len[4 * NN_MAX_LAYERS + 4];
  size_t nmasks;
  TapeSlot mask[NN_MAX_LAYERS];
  size_t mask_len[NN_MAX_LAYERS];
} NnOnTape;

/* How the weights enter: trained (views of the tape's theta from base)
 * or held (input slots that nn_on_tape_load fills). */
typedef struct NnPlace {
  bool held;
  size_t base;  /* theta offset of the network's weights when trained */
  bool dropout; /* training mode: dropout masks (when net->dropout > 0) */
} NnPlace;

/* Builds net on x (a B x sizes[0] matrix slot) and cond (B x net->cond,
 * or TAPE_NONE when net->cond is 0). Returns false with a sentence in err
 * (NN_ERR_LEN) when the tape refuses a shape. */
bool nn_net_build(const NnNet *net, Tape *t, NnPlace place, TapeSlot x,
                  TapeSlot cond, NnOnTape *on, char *err);

/* The gradient of the sum of the network's (single) output over the rows
 * with respect to the data columns of x, a B x sizes[0] slot, built from
 * the tape slots of `on` by the chain rule written out as tape
 * instructions, so that a penalty on it can itself be differentiated
 * (WGAN-GP). Needs a network without layer norm, built without dropout.
 * TAPE_NONE with err on failure. */
TapeSlot nn_net_input_grad(const NnOnTape *on, Tape *t, char *err);

/* Copies the held weights from theta into st's input slots. */
void nn_on_tape_load(const NnOnTape *on, TapeState *st, const double *theta);

/* Draws new inverted-dropout masks into st: each unit kept with
 * probability 1 - p and then scaled by 1 / (1 - p). */
void nn_on_tape_masks(const NnOnTape *on, TapeState *st, Rng *rng);

/* ---- evaluating ------------------------------------------------------------ */

/* The network's output (head `head`, after the output activation, or
 * before it when pre is true) for n rows of x (n x sizes[0]) and cond
 * (n x net->cond one-hot rows, or NULL), into out (n x outputs), in eval
 * mode (no dropout). Evaluates on tapes of at most NN_APPLY_BATCH rows,
 * fewer for wide layers (at most NN_APPLY_ELEMENTS values per layer).
 * False with err when the tape refuses the network. */
enum { NN_APPLY_BATCH = 1024, NN_APPLY_ELEMENTS = 1 << 22 };
bool nn_net_apply(const NnNet *net, const double *x, const double *cond,
                  size_t n, size_t head, bool pre, double *out, char *err);

#endif
