/*
 * lib_nn.c — the network builtins: Dense, MLP, Generator, Discriminator,
 * Encoder and Decoder (one "network" handle class); forward (and predict
 * and copy on networks), generate, encode, decode, reconstruct; save_net
 * and load_net (networks, RBMs and DBNs); and lib_nn_register, which
 * registers the whole family.
 *
 * The other builtins of neural networks live next door, sharing lib_nn.h:
 * argument forms in lib_nn_args.c, training in lib_nn_train.c, RBMs and
 * DBNs in lib_nn_rbm.c, the checks of generated data and data preparation
 * in lib_nn_data.c. The numerics in src/nn/ never see the VM.
 *
 * Names follow PyTorch where it has one (Dense for nn.Linear, lr, betas,
 * batch for batch_size) and scikit-learn's BernoulliRBM for the RBM.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib_nn.h"
#include "mem.h"
#include "nn/net.h"
#include "nn/netio.h"
#include "nn/train.h"
#include "strbuf.h"
#include "tensor.h"

/* ---- the network handle ------------------------------------------------ */

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
bool lib_nn_net_arg(Args *a, int i, const char *what, NnNet **out) {
  *out = args_given(a, i) ? as_net(a->v[i]) : NULL;
  if (*out)
    return true;
  if (!args_given(a, i))
    return args_error(a, i, "is required");
  return args_error(a, i, "must be %s, got a %s", what,
                    value_type_name(a->v[i]));
}

/* ---- constructors ------------------------------------------------------ */

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
  if (!lib_nn_seed_arg(a, o->seed, &s))
    return false;
  nn_net_init(net, s.rng);
  lib_nn_seed_done(&s);
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
      !lib_nn_width_arg(&a, 0, 1, true, &ar.sizes[0]) ||
      !lib_nn_width_arg(&a, 1, 1, true, &ar.sizes[1]))
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
  if (!lib_nn_hidden_arg(&a, 0, ar.sizes, &n))
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
      !lib_nn_width_arg(&a, 0, 8, false, &ar.sizes[0]) ||
      !lib_nn_hidden_arg(&a, 1, ar.sizes + 1, &nh) ||
      !lib_nn_width_arg(&a, 2, 2, false, &ar.sizes[nh + 1]) ||
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
      !lib_nn_width_arg(&a, 0, 2, false, &ar.sizes[0]) ||
      !lib_nn_hidden_arg(&a, 1, ar.sizes + 1, &nh) ||
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
      !lib_nn_width_arg(&a, 0, 1, true, &ar.sizes[0]) ||
      !lib_nn_hidden_arg(&a, 1, ar.sizes + 1, &nh) ||
      !lib_nn_width_arg(&a, 2, 2, false, &ar.sizes[nh + 1]) ||
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
      !lib_nn_width_arg(&a, 0, 2, false, &ar.sizes[0]) ||
      !lib_nn_hidden_arg(&a, 1, ar.sizes + 1, &nh) ||
      !lib_nn_width_arg(&a, 2, 1, true, &ar.sizes[nh + 1]))
    return false;
  ar.nlayers = nh + 1;
  const NetOpts o = {3, 4, 5, 6, 7, 8};
  return make_net(&a, &ar, &o, result);
}

/* ---- evaluating networks ----------------------------------------------- */

/* labels= for n rows of a conditional network: one class number for every
 * row or one per row; one-hot rows (n x net->cond) in *out. NULL when the
 * network is not conditional (labels= must then be absent). */
bool lib_nn_cond_rows(Args *a, int i, const NnNet *net, const char *who,
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
  } else if (!lib_nn_labels_arg(a, i, n, net->cond, "the network's classes",
                                &lab)) {
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
bool lib_nn_input_width(Args *a, int i, const NnNet *net, const Rows *r) {
  if (r->ncols == net->sizes[0])
    return true;
  return args_error(a, i, "has %zu column%s but the network reads %zu",
                    r->ncols, r->ncols == 1 ? "" : "s", net->sizes[0]);
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
      !lib_nn_net_arg(&a, 0, "a network", &net) ||
      !lib_nn_rows_arg(&a, 1, &r) || !lib_nn_input_width(&a, 1, net, &r) ||
      !lib_nn_cond_rows(&a, 2, net, "the network", r.n, &cond))
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
      !lib_nn_net_arg(&a, 0, "a network (Generator(...) or Decoder(...))",
                      &g) ||
      !args_size(&a, 1, &n) || !lib_nn_cond_rows(&a, 2, g, "G", n, &cond))
    return false;
  if (g->nheads != 1)
    return args_error(&a, 0, "must make rows from codes, not be an encoder");
  if (n > BUILTIN_MAX_ELEMENTS / g->sizes[0])
    return args_error(&a, 1, "is too large");
  if (!lib_nn_seed_arg(&a, 3, &s))
    return false;
  double *z = mem_alloc_atomic((n * g->sizes[0] + 1) * sizeof *z);
  nn_fill_normal(z, n * g->sizes[0], s.rng);
  lib_nn_seed_done(&s);
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

/* ---- encode, decode, reconstruct --------------------------------------- */

/* E (ncols inputs) then D (E's code to ncols outputs). */
bool lib_nn_coder_shapes(Args *a, int id, const NnNet *E, const NnNet *D,
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
      !lib_nn_net_arg(&a, 0, "a network (Encoder(...))", &E) ||
      !lib_nn_rows_arg(&a, 1, &r) || !lib_nn_input_width(&a, 1, E, &r) ||
      !args_bool_or(&a, 2, false, &sample) ||
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
  if (!lib_nn_seed_arg(&a, 4, &s))
    return false;
  ObjTensor *m = AS_TENSOR(mu), *v = AS_TENSOR(lv);
  double *e = mem_alloc_atomic((m->len + 1) * sizeof *e);
  nn_fill_normal(e, m->len, s.rng);
  lib_nn_seed_done(&s);
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
      !lib_nn_net_arg(&a, 0, "a network (Decoder(...))", &D) ||
      !lib_nn_rows_arg(&a, 1, &r) || !lib_nn_input_width(&a, 1, D, &r))
    return false;
  if (D->cond || D->nheads != 1)
    return args_error(&a, 0, "must be a decoder (one head, no labels)");
  return run_net(vm, "decode", D, r.x, NULL, r.n, 0, false, result);
}

/* reconstruct(E, D, x): decode(D, encode(E, x)); reconstruct(rbm, x). */
static bool b_reconstruct(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"E", "D", "x", NULL};
  Args a;
  if (!args_bind(&a, vm, call, "reconstruct", names, 2))
    return false;
  if (!as_net(a.v[0]))
    return lib_nn_rbm_reconstruct(&a, result);
  NnNet *E, *D;
  Rows r;
  if (!lib_nn_net_arg(&a, 0, "a network (Encoder(...)) or an RBM", &E) ||
      !lib_nn_net_arg(&a, 1, "a network (Decoder(...))", &D) ||
      !lib_nn_rows_arg(&a, 2, &r) || !lib_nn_coder_shapes(&a, 1, E, D, &r))
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

/* ---- save_net, load_net ------------------------------------------------ */

/* save_net(net, path): a network, RBM or DBN as text. */
static bool b_save_net(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"net", "path", NULL};
  Args a;
  ObjString *path;
  if (!args_bind(&a, vm, call, "save_net", names, 2) ||
      !args_string(&a, 1, &path))
    return false;
  NnNet *net = as_net(a.v[0]);
  NnRbm *rbm = lib_nn_as_rbm(a.v[0]);
  Dbn *d = lib_nn_as_dbn(a.v[0]);
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
    *result = lib_nn_rbm_value(l.rbm);
  } else {
    Dbn *d = mem_alloc(sizeof *d);
    d->nlayers = l.nrbms;
    d->rbms = l.rbms;
    *result = lib_nn_dbn_value(d);
  }
  return true;
}

/* ---- registration ------------------------------------------------------ */

static const BuiltinDef net_builtins[] = {
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
    {NULL, NULL, NULL},
};

static const BuiltinDef coder_builtins[] = {
    {"encode", b_encode,
     "encode(E, x, sample=false, full=false, seed=nil): the codes of the "
     "rows of x (means, draws, or {mean, logvar})"},
    {"decode", b_decode, "decode(D, z): rows made from codes z"},
    {"reconstruct", b_reconstruct,
     "reconstruct(E, D, x) or reconstruct(rbm, x): x passed through the "
     "code and back"},
    {NULL, NULL, NULL},
};

static const BuiltinDef file_builtins[] = {
    {"save_net", b_save_net,
     "save_net(net, path): write a network, RBM or DBN to a text file"},
    {"load_net", b_load_net, "load_net(path): read what save_net() wrote"},
    {NULL, NULL, NULL},
};

/* Definition order shows (the REPL's listings, ties among name
 * suggestions), so the family goes in by topic: networks, training, codes,
 * RBMs, files, then checks and data preparation. */
void lib_nn_register(VM *vm) {
  builtin_register(vm, net_builtins);
  lib_nn_train_register(vm);
  builtin_register(vm, coder_builtins);
  lib_nn_rbm_register(vm);
  builtin_register(vm, file_builtins);
  lib_nn_data_register(vm);
}
