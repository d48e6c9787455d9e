/*
 * lib_nn_data.c — did a generative network learn, and data ready for one.
 * The checks compare a real sample with a generated one: mmd (kernel
 * maximum mean discrepancy), ks_test (per-column Kolmogorov-Smirnov),
 * corr_diff (correlation matrices) and c2st (a classifier two-sample
 * test). The preparation: standardize and unstandardize (columns to mean 0
 * and sd 1 and back), one_hot (labels to indicator rows) and minibatches
 * (shuffled row numbers cut into batches).
 *
 * The statistics themselves are in src/nn/metrics.c; c2st trains its
 * classifier with src/nn/fit.c.
 */
#include <config.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#include "lib_nn.h"
#include "mem.h"
#include "nn/fit.h"
#include "nn/metrics.h"
#include "nn/net.h"
#include "nn/train.h"
#include "tensor.h"

/* ---- did it learn? ----------------------------------------------------- */

/* real and fake with the same number of columns, at least min_rows each. */
static bool two_samples(Args *a, Rows *x, Rows *y, size_t min_rows) {
  if (!lib_nn_rows_arg(a, 0, x) || !lib_nn_rows_arg(a, 1, y))
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
      !two_samples(&a, &x, &y, 4) || !lib_nn_hidden_arg(&a, 2, hid + 1, &nh) ||
      !args_count_or(&a, 3, 50, &epochs) ||
      !args_positive_or(&a, 4, 1e-3, &lr))
    return false;
  if (!lib_nn_seed_arg(&a, 5, &s))
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
  lib_nn_seed_done(&s);
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

/* ---- data preparation -------------------------------------------------- */

/* standardize(x): {data, mean, sd}: each column minus its mean over its
 * sd (n - 1 denominator; a constant column is only centred). */
static bool b_standardize(VM *vm, const CallArgs *call, Value *result) {
  static const char *const names[] = {"x", NULL};
  Args a;
  Rows r;
  if (!args_bind(&a, vm, call, "standardize", names, 1) ||
      !lib_nn_rows_arg(&a, 0, &r))
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
      !lib_nn_rows_arg(&a, 0, &r) || !args_record(&a, 1, &s) ||
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
  if (!lib_nn_labels_arg(&a, 0, t->len, k, "class numbers", &lab))
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
  if (!lib_nn_seed_arg(&a, 2, &s))
    return false;
  NnBatcher b;
  nn_batcher_init(&b, n, n);
  nn_batcher_shuffle(&b, s.rng);
  lib_nn_seed_done(&s);
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

/* ---- registration ------------------------------------------------------ */

static const BuiltinDef data_builtins[] = {
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

void lib_nn_data_register(VM *vm) { builtin_register(vm, data_builtins); }
