/*
 * test_nn.c — unit tests of the neural-network numerics (src/nn/).
 *
 * Layers: every activation, with and without layer normalisation, a
 * conditional first layer, two heads and dropout masks, is built on a tape
 * and checked two ways: its forward values against a direct C loop over
 * the rows, and the gradient of a random weighting of its outputs with
 * respect to the weights (and, with weights held, to the input rows)
 * against central finite differences at points of high entropy. The input
 * gradient that WGAN-GP's penalty needs is checked against differences of
 * the network's output in its inputs, and the penalty's own gradient
 * against differences in the weights. Then: initialisation bounds and
 * reproducibility; Adam against its formula; minibatches; GAN, VAE,
 * autoencoder and fit loops (same seed, same weights bit for bit; a
 * learning rate that makes the loss overflow stops with the last good
 * weights); RBM conditionals and free energy against brute force; the
 * metrics against direct computations; save and load bit for bit.
 */
#include <config.h>
#include "nn/net.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "test_random.h"
#include "test_tape_fd.h"
#include "mem.h"
#include "nn/adam.h"
#include "nn/autoencoder.h"
#include "nn/fit.h"
#include "nn/gan.h"
#include "nn/metrics.h"
#include "nn/netio.h"
#include "nn/rbm.h"
#include "nn/train.h"
#include "nn/vae.h"
#include "rng.h"
#include "tape.h"

static const double FD_STEP = 1e-6;
static const double FD_TOL = 1e-6;



static double *doubles(size_t n) {
  double *p = calloc(n + 1, sizeof *p);
  if (!p)
    abort();
  return p;
}

/* Compares the gradient at theta with central differences, in state st
 * (whose inputs are set). */
static void check_gradient_in(TapeState *st, size_t n, const double *theta,
                              const char *what) {
  double *g = doubles(n), *x = doubles(n);
  memcpy(x, theta, n * sizeof *x);
  const double f = tape_logp_grad(st, x, g);
  if (!CHECK(isfinite(f)))
    fprintf(stderr, "  in %s\n", what);
  check_fd_gradient(st, theta, g, x, n, FD_STEP, FD_TOL, what);
  free(g);
  free(x);
}

static void check_gradient(const Tape *t, const double *theta,
                           const char *what) {
  TapeState *st = tape_state_alloc(t);
  check_gradient_in(st, tape_dim(t), theta, what);
  tape_state_free(st);
}

/* SUM(y * w) for random weights w of y's shape. */
static TapeSlot weighted_sum(Tape *t, TapeSlot y) {
  int nd;
  size_t r, c;
  const size_t n = tape_shape(t, y, &nd, &r, &c);
  double *w = doubles(n);
  for (size_t i = 0; i < n; i++)
    w[i] = unif(0.5, 1.5) * (unif01() < 0.5 ? -1.0 : 1.0);
  char err[TAPE_ERR_LEN];
  TapeSlot ws = tape_const(t, nd, r, c, w);
  free(w);
  return tape_op1(t, TAPE_SUM, tape_op2(t, TAPE_MUL, y, ws, err), err);
}

/* ---- a reference forward pass ---------------------------------------------- */

static double act_ref(NnAct a, double x, double alpha) {
  switch (a) {
  case NN_IDENTITY:
    return x;
  case NN_RELU:
    return x > 0 ? x : 0.0;
  case NN_LEAKY_RELU:
    return x > 0 ? x : alpha * x;
  case NN_ELU:
    return x > 0 ? x : exp(x) - 1.0;
  case NN_TANH:
    return tanh(x);
  case NN_SIGMOID:
    return 1.0 / (1.0 + exp(-x));
  default:
    return log(1.0 + exp(x));
  }
}

/* The network on one row x (with one-hot cond), head h, with dropout
 * masks mask[l] (NULL: none) for that row; out receives the outputs. */
static void forward_ref(const NnNet *net, const double *x, const double *cond,
                        size_t h, double *const *mask, double *out) {
  double a[64], b[64];
  const size_t nx = net->sizes[0];
  memcpy(a, x, nx * sizeof *a);
  for (size_t c = 0; c < net->cond; c++)
    a[nx + c] = cond[c];
  for (size_t l = 0; l < net->nlayers; l++) {
    const bool last = l + 1 == net->nlayers;
    const NnLayerAt at = nn_net_layer(net, l, last ? h : 0);
    for (size_t j = 0; j < at.out; j++) {
      double s = net->theta[at.b + j];
      for (size_t i = 0; i < at.in; i++)
        s += a[i] * net->theta[at.w + i * at.out + j];
      b[j] = s;
    }
    if (at.norm) {
      double m = 0.0, v = 0.0;
      for (size_t j = 0; j < at.out; j++)
        m += b[j] / (double)at.out;
      for (size_t j = 0; j < at.out; j++)
        v += (b[j] - m) * (b[j] - m) / (double)at.out;
      for (size_t j = 0; j < at.out; j++)
        b[j] = (b[j] - m) / sqrt(v + 1e-5) * net->theta[at.gain + j] +
               net->theta[at.shift + j];
    }
    for (size_t j = 0; j < at.out; j++) {
      a[j] = act_ref(net->acts[l], b[j], net->alpha);
      if (!last && mask && mask[l])
        a[j] *= mask[l][j];
    }
  }
  memcpy(out, a, nn_net_outputs(net) * sizeof *out);
}

/* ---- layers on the tape ------------------------------------------------------ */

typedef struct LayerCase {
  NnAct act, out_act;
  bool norm;
  size_t cond, heads;
  double dropout;
} LayerCase;

static NnNet *case_net(const LayerCase *c, Rng *rng) {
  const size_t sizes[4] = {3, 5, 4, 2};
  const NnAct acts[3] = {c->act, c->act, c->out_act};
  NnNet *net = nn_net_new(NN_KIND_MLP, sizes, 3, acts, c->cond, c->heads);
  net->layer_norm = c->norm;
  net->dropout = c->dropout;
  net->alpha = 0.23;
  nn_net_relayout(net);
  nn_net_init(net, rng);
  /* biases, gains and shifts away from their initial 0 / 1 too */
  for (size_t k = 0; k < net->nparams; k++)
    net->theta[k] += unif(-0.3, 0.3);
  return net;
}

enum { ROWS = 4 };

/* Trained weights: values against forward_ref, gradient in theta. */
static void test_layer_case(const LayerCase *c, Rng *rng) {
  char what[128], err[NN_ERR_LEN];
  snprintf(what, sizeof what, "%s/%s norm %d cond %zu heads %zu drop %g",
           nn_act_name(c->act), nn_act_name(c->out_act), c->norm, c->cond,
           c->heads, c->dropout);
  NnNet *net = case_net(c, rng);
  Tape *t = tape_alloc(net->nparams);
  TapeSlot x = tape_input(t, 2, ROWS, 3);
  TapeSlot cs = c->cond ? tape_input(t, 2, ROWS, c->cond) : TAPE_NONE;
  NnOnTape on;
  const NnPlace p = {.held = false, .base = 0, .dropout = true};
  CHECK(nn_net_build(net, t, p, x, cs, &on, err));
  TapeSlot terms[NN_MAX_HEADS];
  for (size_t h = 0; h < c->heads; h++)
    terms[h] = weighted_sum(t, on.out[h]);
  char e[TAPE_ERR_LEN];
  TapeSlot out = c->heads == 1 ? terms[0]
                               : tape_op(t, TAPE_SUM_SCALARS, terms, 2, NULL,
                                         0, e);
  tape_set_output(t, out);
  tape_finish(t);
  TapeState *st = tape_state_alloc(t);
  double X[ROWS * 3], C[ROWS * 3] = {0};
  fill(X, ROWS * 3, -1.5, 1.5);
  memcpy(tape_input_data(st, x), X, sizeof X);
  if (c->cond) {
    size_t lab[ROWS] = {0, 1, 1, 0};
    nn_one_hot(lab, NULL, ROWS, c->cond, C);
    memcpy(tape_input_data(st, cs), C, ROWS * c->cond * sizeof *C);
  }
  nn_on_tape_masks(&on, st, rng);
  CHECK_EQ_INT(on.nmasks, c->dropout > 0 ? 2 : 0);
  tape_forward(st, net->theta);
  for (size_t h = 0; h < c->heads; h++)
    for (size_t i = 0; i < ROWS; i++) {
      double want[2], *mask[3] = {NULL, NULL, NULL};
      for (size_t l = 0; l < on.nmasks; l++)
        mask[l] = tape_input_data(st, on.mask[l]) + i * net->sizes[l + 1];
      forward_ref(net, X + 3 * i, C + c->cond * i, h, mask, want);
      for (size_t j = 0; j < 2; j++)
        if (!CHECK_NEAR(tape_value(st, on.out[h])[2 * i + j], want[j],
                        1e-12 * (1.0 + fabs(want[j]))))
          fprintf(stderr, "  in %s\n", what);
    }
  /* the masks keep 1 - p of the units, scaled by 1 / (1 - p) */
  for (size_t l = 0; l < on.nmasks; l++)
    for (size_t k = 0; k < on.mask_len[l]; k++) {
      const double m = tape_input_data(st, on.mask[l])[k];
      CHECK(m == 0.0 || fabs(m - 1.0 / (1.0 - c->dropout)) < 1e-15);
    }
  check_gradient_in(st, net->nparams, net->theta, what);
  tape_state_free(st);
  tape_free(t);
}

static void test_layers(Rng *rng) {
  for (int a = 0; a < NN_NACTS; a++) {
    const NnAct out = a % 2 ? NN_IDENTITY : NN_SIGMOID;
    const LayerCase cases[] = {
        {(NnAct)a, out, false, 0, 1, 0.0},
        {(NnAct)a, out, true, 0, 1, 0.0},
        {(NnAct)a, (NnAct)a, false, 2, 1, 0.0},
        {(NnAct)a, out, true, 3, 2, 0.0},
        {(NnAct)a, out, false, 0, 1, 0.4},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
      test_layer_case(&cases[k], rng);
  }
}

/* Held weights: the gradient flows to the input rows (a view of theta)
 * and the weights come from nn_on_tape_load. */
static void test_held(Rng *rng) {
  char err[NN_ERR_LEN];
  const LayerCase c = {NN_TANH, NN_IDENTITY, true, 2, 1, 0.0};
  NnNet *net = case_net(&c, rng);
  Tape *t = tape_alloc(ROWS * 3);
  TapeSlot x = tape_param(t, 0, 2, ROWS, 3);
  double C[ROWS * 2] = {1, 0, 0, 1, 0, 1, 1, 0};
  NnOnTape on;
  const NnPlace p = {.held = true, .dropout = true};
  CHECK(nn_net_build(net, t, p, x, tape_const(t, 2, ROWS, 2, C), &on, err));
  CHECK(on.nheld > 0);
  tape_set_output(t, weighted_sum(t, on.out[0]));
  tape_finish(t);
  double X[ROWS * 3];
  fill(X, ROWS * 3, -1.2, 1.3);
  TapeState *st = tape_state_alloc(t);
  nn_on_tape_load(&on, st, net->theta);
  tape_forward(st, X);
  double want[2];
  forward_ref(net, X + 3, C + 2, 0, NULL, want);
  CHECK_NEAR(tape_value(st, on.out[0])[2], want[0], 1e-12);
  CHECK_NEAR(tape_value(st, on.out[0])[3], want[1], 1e-12);
  /* gradient in x by differences, with the same held weights */
  double g[ROWS * 3], xp[ROWS * 3];
  const double f = tape_logp_grad(st, X, g);
  CHECK(isfinite(f));
  for (size_t i = 0; i < ROWS * 3; i++) {
    memcpy(xp, X, sizeof xp);
    xp[i] += FD_STEP;
    const double fp = tape_logp(st, xp);
    xp[i] -= 2 * FD_STEP;
    const double fm = tape_logp(st, xp);
    CHECK_NEAR(g[i], (fp - fm) / (2 * FD_STEP), FD_TOL * (1 + fabs(g[i])));
  }
  tape_state_free(st);
  tape_free(t);
}

/* nn_net_input_grad against differences of the output in x; the penalty
 * sum((|grad| - 1)^2) against differences in the weights. */
static void test_input_grad(Rng *rng) {
  char err[NN_ERR_LEN], e[TAPE_ERR_LEN];
  for (int a = 0; a < NN_NACTS; a++) {
    const size_t sizes[4] = {3, 6, 5, 1};
    const NnAct acts[3] = {(NnAct)a, (NnAct)a, a == NN_RELU ? NN_TANH
                                                            : NN_IDENTITY};
    for (size_t cond = 0; cond <= 2; cond += 2) {
      NnNet *net = nn_net_new(NN_KIND_DISCRIMINATOR, sizes, 3, acts, cond, 1);
      net->alpha = 0.23;
      nn_net_init(net, rng);
      for (size_t k = 0; k < net->nparams; k++)
        net->theta[k] += unif(-0.2, 0.2);
      double X[ROWS * 3], C[ROWS * 2] = {0, 1, 1, 0, 1, 0, 0, 1};
      fill(X, ROWS * 3, -1.4, 1.6);
      Tape *t = tape_alloc(net->nparams);
      TapeSlot x = tape_const(t, 2, ROWS, 3, X);
      TapeSlot cs = cond ? tape_const(t, 2, ROWS, cond, C) : TAPE_NONE;
      NnOnTape on;
      const NnPlace p = {.held = false, .base = 0, .dropout = false};
      CHECK(nn_net_build(net, t, p, x, cs, &on, err));
      TapeSlot g = nn_net_input_grad(&on, t, err);
      CHECK(g != TAPE_NONE);
      TapeSlot pen = tape_op1(
          t, TAPE_SUM,
          tape_op1(t, TAPE_SQUARE,
                   tape_op2(t, TAPE_SUB,
                            tape_op1(t, TAPE_SQRT,
                                     tape_op1(t, TAPE_SUM_COLS,
                                              tape_op1(t, TAPE_SQUARE, g, e),
                                              e),
                                     e),
                            tape_scalar(t, 1.0), e),
                   e),
          e);
      tape_set_output(t, pen);
      tape_finish(t);
      TapeState *st = tape_state_alloc(t);
      tape_forward(st, net->theta);
      const double *gv = tape_value(st, g);
      for (size_t i = 0; i < ROWS; i++)
        for (size_t j = 0; j < 3; j++) {
          double xp[3], fp, fm;
          memcpy(xp, X + 3 * i, sizeof xp);
          xp[j] += FD_STEP;
          forward_ref(net, xp, C + cond * i, 0, NULL, &fp);
          xp[j] -= 2 * FD_STEP;
          forward_ref(net, xp, C + cond * i, 0, NULL, &fm);
          const double fd = (fp - fm) / (2 * FD_STEP);
          if (!CHECK_NEAR(gv[3 * i + j], fd, FD_TOL * (1 + fabs(fd))))
            fprintf(stderr, "  input gradient, %s, cond %zu\n",
                    nn_act_name((NnAct)a), cond);
        }
      tape_state_free(st);
      char what[64];
      snprintf(what, sizeof what, "gradient penalty, %s, cond %zu",
               nn_act_name((NnAct)a), cond);
      check_gradient(t, net->theta, what);
      tape_free(t);
    }
  }
  /* refused: layer norm */
  const size_t sizes[3] = {2, 3, 1};
  const NnAct acts[2] = {NN_RELU, NN_IDENTITY};
  NnNet *net = nn_net_new(NN_KIND_DISCRIMINATOR, sizes, 2, acts, 0, 1);
  net->layer_norm = true;
  nn_net_relayout(net);
  Tape *t = tape_alloc(net->nparams);
  NnOnTape on;
  const NnPlace p = {.held = false, .base = 0, .dropout = false};
  CHECK(nn_net_build(net, t, p, tape_input(t, 2, 2, 2), TAPE_NONE, &on, err));
  CHECK(nn_net_input_grad(&on, t, err) == TAPE_NONE);
  CHECK(strstr(err, "no layer norm") != NULL);
  tape_free(t);
}

/* nn_net_apply in chunks equals the reference row by row. */
static void test_apply(Rng *rng) {
  const LayerCase c = {NN_ELU, NN_SIGMOID, true, 2, 2, 0.3};
  NnNet *net = case_net(&c, rng);
  const size_t n = NN_APPLY_BATCH + 7;
  double *x = doubles(n * 3), *cond = doubles(n * 2), *out = doubles(n * 2);
  fill(x, n * 3, -2, 2);
  for (size_t i = 0; i < n; i++)
    cond[2 * i + i % 2] = 1.0;
  char err[NN_ERR_LEN];
  CHECK(nn_net_apply(net, x, cond, n, 1, false, out, err));
  bool same = true;
  for (size_t i = 0; i < n; i += 97) {
    double want[2];
    forward_ref(net, x + 3 * i, cond + 2 * i, 1, NULL, want);
    same = same && fabs(out[2 * i] - want[0]) < 1e-12 &&
           fabs(out[2 * i + 1] - want[1]) < 1e-12;
  }
  CHECK(same);
  free(x);
  free(cond);
  free(out);
}

static void test_init(void) {
  const size_t sizes[3] = {50, 40, 30};
  const NnAct a1[2] = {NN_RELU, NN_TANH};
  NnNet *n1 = nn_net_new(NN_KIND_MLP, sizes, 2, a1, 0, 1);
  NnNet *n2 = nn_net_new(NN_KIND_MLP, sizes, 2, a1, 0, 1);
  Rng *r1 = rng_alloc(42), *r2 = rng_alloc(42);
  nn_net_init(n1, r1);
  nn_net_init(n2, r2);
  CHECK(memcmp(n1->theta, n2->theta, n1->nparams * sizeof(double)) == 0);
  CHECK_EQ_INT(n1->nparams, 50 * 40 + 40 + 40 * 30 + 30);
  /* He ahead of ReLU: sqrt(6 / 50); Glorot ahead of tanh: sqrt(6 / 70) */
  const NnLayerAt l0 = nn_net_layer(n1, 0, 0), l1 = nn_net_layer(n1, 1, 0);
  double m0 = 0, m1 = 0, v0 = 0;
  for (size_t k = 0; k < 50 * 40; k++) {
    m0 = fmax(m0, fabs(n1->theta[l0.w + k]));
    v0 += n1->theta[l0.w + k] * n1->theta[l0.w + k] / 2000.0;
  }
  for (size_t k = 0; k < 40 * 30; k++)
    m1 = fmax(m1, fabs(n1->theta[l1.w + k]));
  CHECK(m0 <= sqrt(6.0 / 50) && m0 > 0.95 * sqrt(6.0 / 50));
  CHECK(m1 <= sqrt(6.0 / 70) && m1 > 0.95 * sqrt(6.0 / 70));
  /* uniform(-r, r) has variance r^2 / 3 = 2 / fan_in; 2000 draws: the
   * sd of the estimate is about 0.9% */
  CHECK_NEAR(v0 / (2.0 / 50), 1.0, 0.05);
  CHECK(n1->theta[l0.b] == 0.0);
  rng_free(r1);
  rng_free(r2);
  /* counts and overflow */
  const size_t big[3] = {(size_t)1 << 40, (size_t)1 << 40, 1};
  CHECK(nn_net_count(big, 2, 0, 1, false) == SIZE_MAX);
  CHECK_EQ_INT(nn_net_count(sizes, 2, 3, 2, true),
               53 * 40 + 40 + 80 + 2 * (40 * 30 + 30));
}

/* Two Adam steps against the formula; convergence on a quadratic. */
static void test_adam(void) {
  NnAdam a;
  nn_adam_init(&a, 2, 0.1, 0.9, 0.999);
  double th[2] = {1.0, -2.0}, g1[2] = {0.5, -3.0}, g2[2] = {0.25, 1.0};
  nn_adam_step(&a, th, g1);
  /* step 1: mhat = g, vhat = g^2: theta -= lr g / (|g| + eps) */
  CHECK_NEAR(th[0], 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-15);
  CHECK_NEAR(th[1], -2.0 + 0.1 * 3.0 / (3.0 + 1e-8), 1e-15);
  const double t0 = th[0];
  nn_adam_step(&a, th, g2);
  const double m = 0.9 * 0.1 * 0.5 + 0.1 * 0.25;
  const double v = 0.999 * 0.001 * 0.25 + 0.001 * 0.0625;
  const double mhat = m / (1 - 0.81), vhat = v / (1 - 0.999 * 0.999);
  CHECK_NEAR(th[0], t0 - 0.1 * mhat / (sqrt(vhat) + 1e-8), 1e-14);
  nn_adam_clear(&a);
  nn_adam_init(&a, 2, 0.05, 0.9, 0.999);
  double x[2] = {3.0, -4.0}, g[2];
  for (int i = 0; i < 2000; i++) {
    g[0] = 2.0 * (x[0] - 1.5);
    g[1] = 8.0 * (x[1] + 0.5);
    nn_adam_step(&a, x, g);
  }
  CHECK_NEAR(x[0], 1.5, 1e-3);
  CHECK_NEAR(x[1], -0.5, 1e-3);
  nn_adam_clear(&a);
}

static void test_batcher(void) {
  NnBatcher b;
  nn_batcher_init(&b, 10, 4);
  CHECK_EQ_INT(nn_batcher_steps(&b), 2);
  Rng *r = rng_alloc(7);
  nn_batcher_shuffle(&b, r);
  int seen[10] = {0};
  for (int k = 0; k < 10; k++)
    seen[b.perm[k]]++;
  bool perm = true;
  for (int k = 0; k < 10; k++)
    perm = perm && seen[k] == 1;
  CHECK(perm);
  const size_t *p1 = nn_batcher_next(&b), *p2 = nn_batcher_next(&b);
  CHECK(p2 == p1 + 4);
  CHECK(nn_batcher_next(&b) == b.perm); /* a third would overrun: restart */
  nn_batcher_clear(&b);
  nn_batcher_init(&b, 3, 64); /* the batch becomes the data */
  CHECK_EQ_INT(b.batch, 3);
  CHECK_EQ_INT(nn_batcher_steps(&b), 1);
  nn_batcher_clear(&b);
  rng_free(r);
}

/* ---- training loops ------------------------------------------------------------ */

static double *ring(size_t n, Rng *rng) {
  double *x = doubles(2 * n);
  for (size_t i = 0; i < n; i++) {
    const double ang = 2 * M_PI * (double)(i % 8) / 8.0;
    x[2 * i] = 2 * cos(ang) + 0.05 * (rng_uniform(rng) - 0.5);
    x[2 * i + 1] = 2 * sin(ang) + 0.05 * (rng_uniform(rng) - 0.5);
  }
  return x;
}

static void gan_nets(NnNet **G, NnNet **D, size_t cond, uint64_t seed) {
  const size_t gs[3] = {2, 16, 2}, ds[3] = {2, 16, 1};
  const NnAct ga[2] = {NN_RELU, NN_IDENTITY}, da[2] = {NN_LEAKY_RELU,
                                                        NN_IDENTITY};
  *G = nn_net_new(NN_KIND_GENERATOR, gs, 2, ga, cond, 1);
  *D = nn_net_new(NN_KIND_DISCRIMINATOR, ds, 2, da, cond, 1);
  Rng *r = rng_alloc(seed);
  nn_net_init(*G, r);
  nn_net_init(*D, r);
  rng_free(r);
}

static bool gan_run(NnNet *G, NnNet *D, const double *x, const size_t *lab,
                    NnGanLoss loss, double lr, uint64_t seed, NnHistory *h) {
  Rng *r = rng_alloc(seed);
  NnGanOptions o = {.train = {.epochs = 3, .batch = 16, .lr = lr,
                              .beta1 = 0.5, .beta2 = 0.999, .rng = r},
                    .lr_d = lr,
                    .d_steps = 2,
                    .loss = loss,
                    .gp_weight = 10.0};
  const NnGanData d = {x, 96, 2, lab};
  char err[NN_ERR_LEN];
  const bool ok = nn_gan_train(G, D, &d, &o, h, err);
  rng_free(r);
  return ok;
}

static void test_gan(Rng *rng) {
  double *x = ring(96, rng);
  size_t lab[96];
  for (int i = 0; i < 96; i++)
    lab[i] = (size_t)(i % 8 < 4);
  for (int loss = 0; loss < 3; loss++)
    for (size_t cond = 0; cond <= 2; cond += 2) {
      NnNet *G1, *D1, *G2, *D2;
      gan_nets(&G1, &D1, cond, 5);
      gan_nets(&G2, &D2, cond, 5);
      NnHistory h1, h2;
      CHECK(gan_run(G1, D1, x, cond ? lab : NULL, (NnGanLoss)loss, 1e-3, 9,
                    &h1));
      CHECK(gan_run(G2, D2, x, cond ? lab : NULL, (NnGanLoss)loss, 1e-3, 9,
                    &h2));
      CHECK(h1.end == NN_END_DONE && h1.nepochs == 3);
      CHECK(memcmp(G1->theta, G2->theta, G1->nparams * sizeof(double)) == 0);
      CHECK(memcmp(D1->theta, D2->theta, D1->nparams * sizeof(double)) == 0);
      CHECK(isfinite(h1.values[0]) && isfinite(h1.values[1]));
      CHECK(loss == NN_GAN_WASSERSTEIN_GP ? isnan(h1.values[2])
                                          : h1.values[2] >= 0.0 &&
                                                h1.values[2] <= 1.0);
    }
  /* a learning rate that makes the weights overflow: stops, keeps the
   * weights of the start of the failing epoch (all finite) */
  NnNet *G, *D;
  gan_nets(&G, &D, 0, 5);
  NnHistory h;
  CHECK(gan_run(G, D, x, NULL, NN_GAN_NONSATURATING, 1e300, 9, &h));
  CHECK(h.end == NN_END_DIVERGED);
  CHECK(nn_all_finite(G->theta, G->nparams));
  CHECK(nn_all_finite(D->theta, D->nparams));
  CHECK_EQ_INT(h.nepochs, h.bad_epoch - 1);
  free(x);
}

static void test_vae_ae_fit(void) {
  enum { N = 120, P = 6 };
  double x[N * P];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < P; j++)
      x[i * P + j] = (i % 3 == j % 3) ? unif(0.7, 1.0) : unif(0.0, 0.3);
  const size_t es[3] = {P, 8, 2}, ds[3] = {2, 8, P};
  const NnAct ea[2] = {NN_TANH, NN_IDENTITY}, da[2] = {NN_TANH, NN_SIGMOID};
  double first[2] = {0, 0}, last[2] = {0, 0};
  for (int rep = 0; rep < 2; rep++) {
    NnNet *E = nn_net_new(NN_KIND_ENCODER, es, 2, ea, 0, 2);
    NnNet *D = nn_net_new(NN_KIND_DECODER, ds, 2, da, 0, 1);
    Rng *r = rng_alloc(3);
    nn_net_init(E, r);
    nn_net_init(D, r);
    NnVaeOptions o = {.train = {.epochs = 40, .batch = 20, .lr = 1e-2,
                                .beta1 = 0.9, .beta2 = 0.999, .rng = r},
                      .beta = 1.0,
                      .recon = NN_RECON_BCE};
    NnHistory h;
    char err[NN_ERR_LEN];
    CHECK(nn_vae_train(E, D, x, N, P, &o, &h, err));
    CHECK(h.end == NN_END_DONE && h.nepochs == 40);
    first[rep] = h.values[0];
    last[rep] = h.values[39 * 3];
    /* loss = recon + kl, epoch means of the same steps */
    CHECK_NEAR(h.values[39 * 3], h.values[39 * 3 + 1] + h.values[39 * 3 + 2],
               1e-9);
    rng_free(r);
  }
  CHECK(first[0] == first[1] && last[0] == last[1]);
  CHECK(last[0] < first[0] - 0.3); /* 4.33 to 3.92 */
  /* denoising autoencoder, mse */
  const NnAct ea1[2] = {NN_TANH, NN_IDENTITY};
  NnNet *E = nn_net_new(NN_KIND_ENCODER, es, 2, ea1, 0, 1);
  NnNet *D = nn_net_new(NN_KIND_DECODER, ds, 2, da, 0, 1);
  Rng *r = rng_alloc(4);
  nn_net_init(E, r);
  nn_net_init(D, r);
  NnAeOptions ao = {.train = {.epochs = 60, .batch = 20, .lr = 1e-2,
                              .beta1 = 0.9, .beta2 = 0.999, .rng = r},
                    .recon = NN_RECON_MSE,
                    .noise = 0.1,
                    .mask = 0.1};
  NnHistory h;
  char err[NN_ERR_LEN];
  CHECK(nn_ae_train(E, D, x, N, P, &ao, &h, err));
  CHECK(h.values[59] < 0.5 * h.values[0]);
  /* fit: a regression y = sin(x) */
  const size_t fs[3] = {1, 16, 1};
  const NnAct fa[2] = {NN_TANH, NN_IDENTITY};
  NnNet *f = nn_net_new(NN_KIND_MLP, fs, 2, fa, 0, 1);
  nn_net_init(f, r);
  double fx[200], fy[200], pred[200];
  for (int i = 0; i < 200; i++) {
    fx[i] = unif(-3, 3);
    fy[i] = sin(fx[i]);
  }
  NnTrainOptions fo = {.epochs = 300, .batch = 20, .lr = 1e-2, .beta1 = 0.9,
                       .beta2 = 0.999, .rng = r};
  CHECK(nn_fit_train(f, fx, fy, NULL, 200, NN_RECON_MSE, &fo, &h, err));
  CHECK(nn_net_apply(f, fx, NULL, 200, 0, false, pred, err));
  double mse = 0;
  for (int i = 0; i < 200; i++)
    mse += (pred[i] - fy[i]) * (pred[i] - fy[i]) / 200;
  CHECK(mse < 0.01);
  /* divergence in the shared loop */
  fo.lr = 1e300;
  fo.epochs = 5;
  CHECK(nn_fit_train(f, fx, fy, NULL, 200, NN_RECON_MSE, &fo, &h, err));
  CHECK(h.end == NN_END_DIVERGED && h.bad_epoch >= 1);
  CHECK(nn_all_finite(f->theta, f->nparams));
  rng_free(r);
}

/* ---- RBM -------------------------------------------------------------------------- */

/* Conditionals and free energy against sums over all hidden states. */
static void test_rbm_math(Rng *rng) {
  NnRbm *r = nn_rbm_new(3, 2);
  fill(r->W, 6, -1.3, 1.4);
  fill(r->b, 3, -0.7, 0.8);
  fill(r->c, 2, -0.9, 0.6);
  const double v[3] = {1.0, 0.0, 1.0};
  double ph[2], fe;
  nn_rbm_hidden(r, v, 1, ph);
  for (int j = 0; j < 2; j++) {
    double a = r->c[j];
    for (int i = 0; i < 3; i++)
      a += v[i] * r->W[i * 2 + j];
    CHECK_NEAR(ph[j], 1.0 / (1.0 + exp(-a)), 1e-15);
  }
  nn_rbm_free_energy(r, v, 1, &fe);
  double z = 0.0; /* sum over h of exp(-E(v, h)) */
  for (int h = 0; h < 4; h++) {
    const double hv[2] = {h & 1, (h >> 1) & 1};
    double e = 0.0;
    for (int i = 0; i < 3; i++)
      e -= r->b[i] * v[i];
    for (int j = 0; j < 2; j++) {
      e -= r->c[j] * hv[j];
      for (int i = 0; i < 3; i++)
        e -= v[i] * r->W[i * 2 + j] * hv[j];
    }
    z += exp(-e);
  }
  CHECK_NEAR(fe, -log(z), 1e-12);
  /* CD-1 on two patterns learns to reconstruct them */
  enum { N = 200, V = 8 };
  double x[N * V];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < V; j++)
      x[i * V + j] = (i % 2) ? (j < 4) : (j >= 4);
  NnRbm *m = nn_rbm_new(V, 4);
  nn_rbm_init(m, rng);
  NnRbmOptions o = {.train = {.epochs = 30, .batch = 10, .lr = 0.1,
                              .rng = rng},
                    .k = 1,
                    .momentum = 0.5,
                    .weight_decay = 1e-4};
  NnHistory h;
  nn_rbm_train(m, x, N, &o, &h);
  CHECK(h.end == NN_END_DONE);
  CHECK(h.values[29] < 0.25 * h.values[0]);
  double rec[2 * V];
  nn_rbm_reconstruct(m, x, 2, rec);
  double worst = 0;
  for (int k = 0; k < 2 * V; k++)
    worst = fmax(worst, fabs(rec[k] - x[k]));
  CHECK(worst < 0.2);
  /* persistent CD, k = 3 */
  o.persistent = true;
  o.k = 3;
  NnRbm *m2 = nn_rbm_new(V, 4);
  nn_rbm_init(m2, rng);
  nn_rbm_train(m2, x, N, &o, &h);
  CHECK(h.end == NN_END_DONE && isfinite(h.values[29]));
  /* an absurd learning rate stops with finite weights */
  o.train.lr = 1e308;
  o.persistent = false;
  nn_rbm_train(m2, x, N, &o, &h);
  CHECK(h.end == NN_END_DIVERGED);
  CHECK(nn_all_finite(m2->W, V * 4));
}

/* ---- metrics ---------------------------------------------------------------------- */

static void test_metrics(void) {
  /* MMD^2 by hand for two rows each, bandwidth 1 */
  const double x[4] = {0.0, 0.0, 1.0, 0.0}, y[4] = {0.0, 1.0, 2.0, 2.0};
  double s = 1.0;
  const double k = exp(-0.5); /* |a - b|^2 = 1 */
  const double want = k + exp(-0.5 * 5.0) -
                      2.0 * 0.25 * (exp(-0.5 * 1) + exp(-0.5 * 8) +
                                    exp(-0.5 * 2) + exp(-0.5 * 5));
  CHECK_NEAR(nn_mmd2(x, 2, y, 2, 2, &s), want, 1e-15);
  s = 0.0;
  nn_mmd2(x, 2, y, 2, 2, &s);
  /* squared distances 1, 1, 2, 5, 5, 8: the root of their median */
  CHECK_NEAR(s, sqrt(3.5), 1e-15);
  /* KS: {1,2,3} vs {2.5, 4}: D = max |F - G| = 2/3 at 2..2.5 */
  const double a[3] = {3, 1, 2}, b[2] = {4, 2.5};
  double p;
  CHECK_NEAR(nn_ks2(a, 3, b, 2, &p), 2.0 / 3.0, 1e-15);
  CHECK(p > 0.0 && p <= 1.0);
  const double same[5] = {1, 2, 3, 4, 5};
  CHECK_NEAR(nn_ks2(same, 5, same, 5, &p), 0.0, 0.0);
  CHECK_NEAR(p, 1.0, 0.0);
  /* correlation of (t, 2t + 1, -t) rows */
  double m[12], r[9];
  for (int i = 0; i < 4; i++) {
    m[3 * i] = i * 1.7;
    m[3 * i + 1] = 2 * i * 1.7 + 1;
    m[3 * i + 2] = -i * 1.7;
  }
  nn_corr(m, 4, 3, r);
  CHECK_NEAR(r[1], 1.0, 1e-14);
  CHECK_NEAR(r[2], -1.0, 1e-14);
  CHECK_NEAR(r[4], 1.0, 0.0);
}

/* ---- save and load ------------------------------------------------------------------ */

static void test_netio(Rng *rng) {
  const LayerCase c = {NN_LEAKY_RELU, NN_SIGMOID, true, 2, 2, 0.25};
  NnNet *net = case_net(&c, rng);
  net->kind = NN_KIND_ENCODER;
  FILE *f = tmpfile();
  CHECK(nn_save_net(net, f));
  rewind(f);
  NnLoaded l;
  char err[NN_ERR_LEN] = "";
  CHECK(nn_load(f, &l, err));
  fclose(f);
  CHECK(l.kind == NN_FILE_NET);
  const NnNet *m = l.net;
  CHECK(m->kind == NN_KIND_ENCODER && m->nlayers == 3 && m->cond == 2 &&
        m->nheads == 2 && m->layer_norm && m->dropout == 0.25 &&
        m->alpha == 0.23 && m->acts[2] == NN_SIGMOID);
  CHECK(m->nparams == net->nparams &&
        memcmp(m->theta, net->theta, m->nparams * sizeof(double)) == 0);
  /* an RBM and a DBN */
  NnRbm *rb[2] = {nn_rbm_new(5, 3), nn_rbm_new(3, 2)};
  nn_rbm_init(rb[0], rng);
  nn_rbm_init(rb[1], rng);
  f = tmpfile();
  CHECK(nn_save_dbn(rb, 2, f));
  rewind(f);
  CHECK(nn_load(f, &l, err));
  fclose(f);
  CHECK(l.kind == NN_FILE_DBN && l.nrbms == 2);
  CHECK(memcmp(l.rbms[1]->W, rb[1]->W, 6 * sizeof(double)) == 0);
  /* damaged files */
  f = tmpfile();
  fputs("ppl-network 1\nkind Generator\nsizes 2 3\nacts relu\ncond 0\n"
        "heads 1\nalpha 0.2\ndropout 0\nlayer_norm 0\nweights 5\n1\n2\n",
        f);
  rewind(f);
  CHECK(!nn_load(f, &l, err));
  CHECK_EQ_STR(err, "line 10: these layers have 9 weights, not 5");
  fclose(f);
  f = tmpfile();
  fputs("hello\n", f);
  rewind(f);
  CHECK(!nn_load(f, &l, err));
  CHECK_EQ_STR(err, "line 1: not a file written by save_net()");
  fclose(f);
}

int main(void) {
  mem_init();
  gsl_set_error_handler_off();
  Rng *rng = rng_alloc(20240611);
  test_layers(rng);
  test_held(rng);
  test_input_grad(rng);
  test_apply(rng);
  test_init();
  test_adam();
  test_batcher();
  test_gan(rng);
  test_vae_ae_fit();
  test_rbm_math(rng);
  test_metrics();
  test_netio(rng);
  rng_free(rng);
  return check_summary();
}
