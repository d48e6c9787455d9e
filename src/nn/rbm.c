/*
 * rbm.c — binary RBMs and contrastive divergence (the model, the
 * algorithm and the references are in rbm.h).
 */
#include <config.h>
#include "nn/rbm.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "common.h"
#include "mem.h"
#include "rng.h"

NnRbm *nn_rbm_new(size_t nv, size_t nh) {
  NnRbm *r = mem_alloc(sizeof *r);
  r->nv = nv;
  r->nh = nh;
  r->W = mem_alloc_atomic((nv * nh + 1) * sizeof *r->W);
  r->b = mem_alloc_atomic((nv + 1) * sizeof *r->b);
  r->c = mem_alloc_atomic((nh + 1) * sizeof *r->c);
  memset(r->W, 0, nv * nh * sizeof *r->W);
  memset(r->b, 0, nv * sizeof *r->b);
  memset(r->c, 0, nh * sizeof *r->c);
  return r;
}

void nn_rbm_init(NnRbm *r, Rng *rng) {
  gsl_rng *g = rng_gsl(rng);
  for (size_t k = 0; k < r->nv * r->nh; k++)
    r->W[k] = gsl_ran_gaussian_ziggurat(g, NN_RBM_INIT_SD);
  memset(r->b, 0, r->nv * sizeof *r->b);
  memset(r->c, 0, r->nh * sizeof *r->c);
}

NnRbm *nn_rbm_copy(const NnRbm *src) {
  NnRbm *r = nn_rbm_new(src->nv, src->nh);
  memcpy(r->W, src->W, src->nv * src->nh * sizeof *r->W);
  memcpy(r->b, src->b, src->nv * sizeof *r->b);
  memcpy(r->c, src->c, src->nh * sizeof *r->c);
  return r;
}

static inline double logistic(double a) {
  const double e = exp(-fabs(a));
  return a >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/* out (n x m) = s(bias + in A) where A is W (trans false: in n x nv, m =
 * nh) or W^T (trans true: in n x nh, m = nv). */
static void conditional(const NnRbm *r, const double *in, size_t n,
                        bool trans, double *out) {
  const size_t m = trans ? r->nv : r->nh, k = trans ? r->nh : r->nv;
  const double *bias = trans ? r->b : r->c;
  for (size_t i = 0; i < n; i++)
    memcpy(out + i * m, bias, m * sizeof *out);
  if (n > 0 && m > 0 && k > 0)
    blas()->dgemm(CblasRowMajor, CblasNoTrans,
                  trans ? CblasTrans : CblasNoTrans, (int)n, (int)m, (int)k,
                  1.0, in, (int)k, r->W, (int)r->nh, 1.0, out, (int)m);
  for (size_t q = 0; q < n * m; q++)
    out[q] = logistic(out[q]);
}

void nn_rbm_hidden(const NnRbm *r, const double *v, size_t n, double *ph) {
  conditional(r, v, n, false, ph);
}

void nn_rbm_visible(const NnRbm *r, const double *h, size_t n, double *pv) {
  conditional(r, h, n, true, pv);
}

static void bernoulli(const double *p, size_t n, Rng *rng, double *out) {
  for (size_t q = 0; q < n; q++)
    out[q] = rng_uniform(rng) < p[q] ? 1.0 : 0.0;
}

void nn_rbm_reconstruct(const NnRbm *r, const double *x, size_t n,
                        double *out) {
  double *ph = malloc((n * r->nh + 1) * sizeof *ph);
  if (!ph)
    PANIC("rbm: out of memory");
  nn_rbm_hidden(r, x, n, ph);
  nn_rbm_visible(r, ph, n, out);
  free(ph);
}

void nn_rbm_gibbs(const NnRbm *r, double *v, size_t n, size_t steps,
                  Rng *rng, double *pv) {
  double *h = malloc((n * r->nh + 1) * sizeof *h);
  double *p = malloc((n * (r->nv > r->nh ? r->nv : r->nh) + 1) * sizeof *p);
  if (!h || !p)
    PANIC("rbm: out of memory");
  for (size_t s = 0; s < steps; s++) {
    nn_rbm_hidden(r, v, n, p);
    bernoulli(p, n * r->nh, rng, h);
    nn_rbm_visible(r, h, n, p);
    bernoulli(p, n * r->nv, rng, v);
  }
  if (pv)
    memcpy(pv, p, n * r->nv * sizeof *pv);
  free(h);
  free(p);
}

void nn_rbm_free_energy(const NnRbm *r, const double *v, size_t n,
                        double *out) {
  double *a = malloc((n * r->nh + 1) * sizeof *a);
  if (!a)
    PANIC("rbm: out of memory");
  for (size_t i = 0; i < n; i++)
    memcpy(a + i * r->nh, r->c, r->nh * sizeof *a);
  if (n > 0 && r->nh > 0 && r->nv > 0)
    blas()->dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n,
                  (int)r->nh, (int)r->nv, 1.0, v, (int)r->nv, r->W,
                  (int)r->nh, 1.0, a, (int)r->nh);
  for (size_t i = 0; i < n; i++) {
    double f = 0.0;
    for (size_t j = 0; j < r->nv; j++)
      f -= r->b[j] * v[i * r->nv + j];
    for (size_t j = 0; j < r->nh; j++) {
      const double x = a[i * r->nh + j];
      f -= fmax(x, 0.0) + log1p(exp(-fabs(x)));
    }
    out[i] = f;
  }
  free(a);
}

/* ---- contrastive divergence ------------------------------------------------ */

typedef struct Cd {
  NnRbm *r;
  const NnRbmOptions *o;
  size_t B;
  double *v0, *ph0, *h, *vk, *phk, *chain; /* chain: persistent visible */
  double *dW, *db, *dc;                    /* velocities */
  double *good;                            /* W, b, c at the epoch start */
} Cd;

static double *doubles(size_t n) {
  double *p = calloc(n + 1, sizeof *p);
  if (!p)
    PANIC("rbm: out of memory");
  return p;
}

static size_t rbm_len(const NnRbm *r) { return r->nv * r->nh + r->nv + r->nh; }

static void save(const NnRbm *r, double *to) {
  memcpy(to, r->W, r->nv * r->nh * sizeof *to);
  memcpy(to + r->nv * r->nh, r->b, r->nv * sizeof *to);
  memcpy(to + r->nv * r->nh + r->nv, r->c, r->nh * sizeof *to);
}

static void restore(NnRbm *r, const double *from) {
  memcpy(r->W, from, r->nv * r->nh * sizeof *from);
  memcpy(r->b, from + r->nv * r->nh, r->nv * sizeof *from);
  memcpy(r->c, from + r->nv * r->nh + r->nv, r->nh * sizeof *from);
}

/* vel = momentum vel + lr (grad - decay w); w += vel, for n values. */
static void update(double *w, double *vel, const double *grad, size_t n,
                   double lr, double momentum, double decay) {
  for (size_t q = 0; q < n; q++) {
    vel[q] = momentum * vel[q] + lr * (grad[q] - decay * w[q]);
    w[q] += vel[q];
  }
}

/* One CD-k update on the minibatch in cd->v0; returns the reconstruction
 * error, or NaN when the weights stopped being finite. */
static double cd_step(Cd *cd, Rng *rng) {
  NnRbm *r = cd->r;
  const size_t B = cd->B, nv = r->nv, nh = r->nh;
  const NnRbmOptions *o = cd->o;
  nn_rbm_hidden(r, cd->v0, B, cd->ph0);
  bernoulli(cd->ph0, B * nh, rng, cd->h);
  nn_rbm_visible(r, cd->h, B, cd->vk);
  double err = 0.0;
  for (size_t q = 0; q < B * nv; q++)
    err += (cd->v0[q] - cd->vk[q]) * (cd->v0[q] - cd->vk[q]);
  if (o->persistent) {
    nn_rbm_hidden(r, cd->chain, B, cd->phk);
    bernoulli(cd->phk, B * nh, rng, cd->h);
    nn_rbm_visible(r, cd->h, B, cd->vk);
  }
  for (size_t s = 1; s < o->k; s++) {
    nn_rbm_hidden(r, cd->vk, B, cd->phk);
    bernoulli(cd->phk, B * nh, rng, cd->h);
    nn_rbm_visible(r, cd->h, B, cd->vk);
  }
  nn_rbm_hidden(r, cd->vk, B, cd->phk);
  if (o->persistent)
    bernoulli(cd->vk, B * nv, rng, cd->chain);
  /* gradients: (v0^T ph0 - vk^T phk) / B, mean(v0 - vk), mean(ph0 - phk) */
  double *gW = cd->dW + nv * nh + nv + nh; /* scratch after the velocities */
  const double inv = 1.0 / (double)B;
  const BlasFns *bl = blas();
  bl->dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nv, (int)nh, (int)B,
            inv, cd->v0, (int)nv, cd->ph0, (int)nh, 0.0, gW, (int)nh);
  bl->dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nv, (int)nh, (int)B,
            -inv, cd->vk, (int)nv, cd->phk, (int)nh, 1.0, gW, (int)nh);
  double *gb = gW + nv * nh, *gc = gb + nv;
  memset(gb, 0, (nv + nh) * sizeof *gb);
  for (size_t i = 0; i < B; i++) {
    for (size_t j = 0; j < nv; j++)
      gb[j] += inv * (cd->v0[i * nv + j] - cd->vk[i * nv + j]);
    for (size_t j = 0; j < nh; j++)
      gc[j] += inv * (cd->ph0[i * nh + j] - cd->phk[i * nh + j]);
  }
  const double lr = o->train.lr, m = o->momentum;
  update(r->W, cd->dW, gW, nv * nh, lr, m, o->weight_decay);
  update(r->b, cd->db, gb, nv, lr, m, 0.0);
  update(r->c, cd->dc, gc, nh, lr, m, 0.0);
  if (!nn_all_finite(r->W, nv * nh) || !nn_all_finite(r->b, nv) ||
      !nn_all_finite(r->c, nh))
    return NAN;
  return err / (double)(B * nv);
}

static void cd_alloc(Cd *cd) {
  const NnRbm *r = cd->r;
  const size_t B = cd->B, nv = r->nv, nh = r->nh;
  cd->v0 = doubles(B * nv);
  cd->ph0 = doubles(B * nh);
  cd->h = doubles(B * nh);
  cd->vk = doubles(B * nv);
  cd->phk = doubles(B * nh);
  cd->chain = doubles(B * nv);
  /* velocities of W, b, c, then as much scratch for the gradients */
  cd->dW = doubles(2 * rbm_len(r));
  cd->db = cd->dW + nv * nh;
  cd->dc = cd->db + nv;
  cd->good = doubles(rbm_len(r));
}

static void cd_free(Cd *cd) {
  free(cd->v0);
  free(cd->ph0);
  free(cd->h);
  free(cd->vk);
  free(cd->phk);
  free(cd->chain);
  free(cd->dW);
  free(cd->good);
}

void nn_rbm_train(NnRbm *r, const double *x, size_t n, const NnRbmOptions *o,
                  NnHistory *h) {
  static const char *const cols[] = {"recon_error", NULL};
  nn_history_init(h, o->train.epochs, cols);
  NnBatcher bt;
  nn_batcher_init(&bt, n, o->train.batch);
  Cd cd = {.r = r, .o = o, .B = bt.batch};
  cd_alloc(&cd);
  Rng *rng = o->train.rng;
  if (o->persistent) /* the chains start at data rows */
    nn_gather_rows(x, r->nv, bt.perm, cd.B, cd.chain);
  for (size_t e = 0; e < o->train.epochs; e++) {
    save(r, cd.good);
    nn_batcher_shuffle(&bt, rng);
    const size_t steps = nn_batcher_steps(&bt);
    NnEpoch ep;
    nn_epoch_begin(&ep, h, &o->train, e, steps);
    bool go = true;
    for (size_t s = 0; s < steps && go; s++) {
      nn_gather_rows(x, r->nv, nn_batcher_next(&bt), cd.B, cd.v0);
      const double err = cd_step(&cd, rng);
      if (isnan(err)) {
        nn_epoch_diverged(&ep, "the update");
        restore(r, cd.good);
        break;
      }
      nn_epoch_add(&ep, 0, err);
      go = nn_epoch_step(&ep);
    }
    if (h->end == NN_END_DIVERGED)
      break;
    nn_epoch_end(&ep);
    if (!go) {
      h->end = NN_END_STOPPED;
      break;
    }
  }
  cd_free(&cd);
  nn_batcher_clear(&bt);
}
