/*
 * lib_nn_rbm.c — restricted Boltzmann machines and deep belief networks:
 * the "RBM" and "DBN" handle classes (fields W, b, c, visible, hidden;
 * layers), RBM, DBN, train_rbm, train_dbn, transform, gibbs, free_energy,
 * and reconstruct on RBMs and DBNs (lib_nn.c's reconstruct dispatches
 * here).
 *
 * Units are binary, so data must lie in [0, 1] (probabilities of a unit
 * being on). A DBN is its RBMs from the data up; it is trained greedily,
 * each RBM on the hidden probabilities of the one below, and sampled by
 * Gibbs sampling in the top RBM passed down through p(v | h). Names follow
 * scikit-learn's BernoulliRBM.
 */
#include <config.h>

#include <math.h>
#include <string.h>

#include "lib_nn.h"
#include "mem.h"
#include "nn/rbm.h"
#include "nn/train.h"
#include "rng.h"
#include "strbuf.h"
#include "tensor.h"

/* ---- RBM and DBN ------------------------------------------------------- */

static ObjTensor *matrix_of(const double *x, size_t n, size_t ncols) {
  ObjTensor *t = tensor_matrix(n, ncols);
  memcpy(t->data, x, n * ncols * sizeof *x);
  return t;
}

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

Value lib_nn_rbm_value(NnRbm *r) { return OBJ_VAL(handle_new(&rbm_class, r)); }

NnRbm *lib_nn_as_rbm(Value v) {
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
    list_push(l, lib_nn_rbm_value(d->rbms[k]));
  *out = OBJ_VAL(l);
  return true;
}

static const HandleClass dbn_class = {
    .name = "DBN",
    .format = dbn_format,
    .get_field = dbn_field,
};

Value lib_nn_dbn_value(Dbn *d) { return OBJ_VAL(handle_new(&dbn_class, d)); }

Dbn *lib_nn_as_dbn(Value v) {
  return object_is_handle(v, &dbn_class) ? AS_HANDLE(v)->data : NULL;
}

/* RBM(visible, hidden, seed=nil) */
static bool b_rbm(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"visible", "hidden", "seed", NULL};
  Args a;
  size_t nv, nh;
  SeedRng s;
  if (!args_bind(&a, vm, call, "RBM", names, 2) ||
      !lib_nn_width_arg(&a, 0, 1, true, &nv) ||
      !lib_nn_width_arg(&a, 1, 1, true, &nh))
    return false;
  if (nv > BUILTIN_MAX_ELEMENTS / nh)
    return vm_error(vm, "RBM(): %zu x %zu units would have more than %zu "
                        "weights",
                    nv, nh, BUILTIN_MAX_ELEMENTS);
  if (!lib_nn_seed_arg(&a, 2, &s))
    return false;
  NnRbm *r = nn_rbm_new(nv, nh);
  nn_rbm_init(r, s.rng);
  lib_nn_seed_done(&s);
  *result = lib_nn_rbm_value(r);
  return true;
}

/* DBN(sizes, seed=nil): RBMs sizes[0] -> sizes[1] -> ... */
static bool b_dbn(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"sizes", "seed", NULL};
  Args a;
  size_t sizes[NN_MAX_LAYERS + 1], n;
  SeedRng s;
  if (!args_bind(&a, vm, call, "DBN", names, 1) ||
      !lib_nn_hidden_arg(&a, 0, sizes, &n))
    return false;
  if (n < 2)
    return args_error(&a, 0, "must hold at least two layer widths, got %zu",
                      n);
  for (size_t l = 0; l + 1 < n; l++)
    if (sizes[l] > BUILTIN_MAX_ELEMENTS / sizes[l + 1])
      return args_error(&a, 0, "makes an RBM of %zu x %zu units, more than "
                               "%zu weights",
                        sizes[l], sizes[l + 1], BUILTIN_MAX_ELEMENTS);
  if (!lib_nn_seed_arg(&a, 1, &s))
    return false;
  Dbn *d = mem_alloc(sizeof *d);
  d->nlayers = n - 1;
  d->rbms = mem_alloc(d->nlayers * sizeof *d->rbms);
  for (size_t l = 0; l < d->nlayers; l++) {
    d->rbms[l] = nn_rbm_new(sizes[l], sizes[l + 1]);
    nn_rbm_init(d->rbms[l], s.rng);
  }
  lib_nn_seed_done(&s);
  *result = lib_nn_dbn_value(d);
  return true;
}

/* The machine in argument i: an RBM, or a DBN (*dbn set). */
static bool machine_arg(Args *a, int i, NnRbm **rbm, Dbn **dbn) {
  *rbm = lib_nn_as_rbm(a->v[i]);
  *dbn = lib_nn_as_dbn(a->v[i]);
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

/* A minibatch of an RBM of nv x nh units fits (as batch_fits in
 * lib_nn_train.c). */
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
  if (!lib_nn_train_args(a, &ix, 20, 16, 0.05, 0.0, 0.0, ta))
    return false;
  o->train = ta->o;
  return true;
}

/* Visible data for an RBM of nv units: values in [0, 1]. */
static bool rbm_data(Args *a, int i, size_t nv, Rows *r) {
  if (!lib_nn_rows_arg(a, i, r))
    return false;
  if (r->ncols != nv)
    return args_error(a, i, "has %zu column%s but the RBM has %zu visible "
                            "units",
                      r->ncols, r->ncols == 1 ? "" : "s", nv);
  return lib_nn_unit_interval(a, i, r, "an RBM's binary units",
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
  NnRbm *rbm = lib_nn_as_rbm(a.v[RBM_NET]);
  if (!rbm)
    return args_error(&a, RBM_NET, "must be an RBM, got a %s",
                      value_type_name(a.v[RBM_NET]));
  if (!rbm_data(&a, RBM_DATA, rbm->nv, &r) || !rbm_options(&a, &o, &ta))
    return false;
  if (!rbm_batch_fits(&a, o.train.batch, r.n, rbm->nv, rbm->nh)) {
    lib_nn_seed_done(&ta.rng);
    return false;
  }
  Training tr;
  lib_nn_training_begin(&tr, vm, "train_rbm", ta.progress);
  o.train.progress = lib_nn_training_progress;
  o.train.ctx = &tr;
  NnHistory h;
  nn_rbm_train(rbm, r.x, r.n, &o, &h);
  return lib_nn_finish_training(vm, &tr, &ta, true, NULL, &h, "the RBM's",
                                result);
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
  Dbn *d = lib_nn_as_dbn(a.v[RBM_NET]);
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
      lib_nn_seed_done(&ta.rng);
      return false;
    }
  ObjList *hist = list_new(d->nlayers);
  const double *x = r.x;
  for (size_t l = 0; l < d->nlayers; l++) {
    Training tr;
    lib_nn_training_begin(&tr, vm, "train_dbn", ta.progress);
    o.train.progress = lib_nn_training_progress;
    o.train.ctx = &tr;
    NnHistory h;
    nn_rbm_train(d->rbms[l], x, r.n, &o, &h);
    lib_nn_training_end(&tr, &h, "the RBM's");
    list_push(hist, lib_nn_history_value(&h));
    if (h.end != NN_END_DONE)
      break;
    double *up = mem_alloc_atomic((r.n * d->rbms[l]->nh + 1) * sizeof *up);
    nn_rbm_hidden(d->rbms[l], x, r.n, up);
    x = up;
  }
  lib_nn_seed_done(&ta.rng);
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

bool lib_nn_rbm_reconstruct(Args *a, Value *result) {
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
  if (!lib_nn_seed_arg(&a, 5, &s))
    return false;
  if (!args_given(&a, 3))
    for (size_t q = 0; q < n * top->nv; q++)
      v[q] = rng_uniform(s.rng) < 0.5 ? 1.0 : 0.0;
  double *pv = mem_alloc_atomic((n * top->nv + 1) * sizeof *pv);
  nn_rbm_gibbs(top, v, n, steps, s.rng, pv);
  lib_nn_seed_done(&s);
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
  NnRbm *rbm = lib_nn_as_rbm(a.v[0]);
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
      lib_nn_as_rbm(call->argv[0])) {
    *out = lib_nn_rbm_value(nn_rbm_copy(lib_nn_as_rbm(call->argv[0])));
    return APPLY_DONE;
  }
  (void)vm;
  return APPLY_PASS;
}

/* ---- registration ------------------------------------------------------ */

static const BuiltinDef rbm_builtins[] = {
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
    {NULL, NULL, NULL},
};

void lib_nn_rbm_register(VM *vm) { builtin_register(vm, rbm_builtins); }
