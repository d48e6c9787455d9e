/*
 * kernel.c — covariance functions: building, binding to input columns,
 * hyperparameters as theta, and blocks of K with their gradients.
 *
 * A block is evaluated leaf by leaf over column-major na x nb tiles (the
 * caller picks tiles small enough to stay in cache); sums add tiles,
 * products multiply them and scale each operand's gradient tiles by the
 * other operand's values (d(k1 k2) = dk1 k2 + k1 dk2).
 *
 * Stationary leaves share one pattern. With s_t = ((x_t - x'_t) / ls_t)^2
 * and r^2 = sum_t s_t, every one of them has dk/dlog(ls_t) = h(r) s_t for
 * a radial factor h (derived from dk/dr^2 * dr^2/dlog ls_t = -2 s_t dk/dr^2):
 *   ExpQuad   h = k
 *   Matern12  h = k / r                   (0 at r = 0, where s_t = 0 too)
 *   Matern32  h = 3 exp(-sqrt3 r)
 *   Matern52  h = 5/3 (1 + sqrt5 r) exp(-sqrt5 r)
 *   RatQuad   h = k / (1 + z),  z = r^2 / (2 alpha);
 *             dk/dlog alpha = alpha k (z / (1 + z) - log(1 + z))
 * An isotropic ls (one value for every column) gets h r^2.
 * Periodic: q_t = sin^2(u_t) / ls_t^2 with u_t = pi (x_t - x'_t) / period,
 * k = exp(-q / 2); dk/dlog ls_t = k q_t; dk/dlog period =
 * k / 2 sum_t sin(2 u_t) u_t / ls_t^2.
 * Linear and Polynomial: dlin/dc_t = 2 c_t - x_t - x'_t.
 * Reference: Rasmussen & Williams (2006), Gaussian Processes for Machine
 * Learning, sections 4.2 and 5.4.1.
 */
#include <config.h>
#include "gp/kernel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "mem.h"

#define SQRT3 1.7320508075688772
#define SQRT5 2.2360679774997897

/* ---- building ------------------------------------------------------------ */

typedef struct GroupSpec {
  const char *name;
  double dflt;
  bool positive;
  bool per_column; /* may hold one value per active column */
} GroupSpec;

typedef struct LeafSpec {
  int ngroups;
  GroupSpec g[GP_MAX_GROUPS];
} LeafSpec;

static const GroupSpec LS = {"ls", 1.0, true, true};

static const LeafSpec leaf_specs[] = {
    [GPK_EXPQUAD] = {1, {LS}},
    [GPK_MATERN12] = {1, {LS}},
    [GPK_MATERN32] = {1, {LS}},
    [GPK_MATERN52] = {1, {LS}},
    [GPK_RATQUAD] = {2, {{"alpha", 1.0, true, false}, LS}},
    [GPK_PERIODIC] = {2, {{"period", 1.0, true, false}, LS}},
    [GPK_LINEAR] = {1, {{"c", 0.0, false, true}}},
    [GPK_POLYNOMIAL] = {2,
                        {{"c", 0.0, false, true},
                         {"offset", 1.0, true, false}}},
    [GPK_CONSTANT] = {1, {{"c", 1.0, true, false}}},
    [GPK_WHITE] = {1, {{"sigma", 1.0, true, false}}},
};

static const char *const kind_names[] = {
#define X(kind, name) name,
    GP_KERNEL_KINDS(X)
#undef X
};

static bool is_leaf(const GpKernel *k) {
  return k->kind != GPK_SUM && k->kind != GPK_PROD;
}

const char *gp_kernel_name(GpKernelKind kind) { return kind_names[kind]; }

static double *values_new(int n) {
  return mem_alloc_atomic((size_t)n * sizeof(double));
}

GpKernel *gp_kernel_leaf(GpKernelKind kind) {
  ASSERT(kind < GPK_SUM);
  GpKernel *k = mem_alloc(sizeof *k);
  const LeafSpec *spec = &leaf_specs[kind];
  k->kind = kind;
  k->ngroups = spec->ngroups;
  k->degree = 2;
  for (int g = 0; g < spec->ngroups; g++) {
    GpParam *p = &k->group[g];
    p->name = spec->g[g].name;
    p->n = 1;
    p->v = values_new(1);
    p->v[0] = spec->g[g].dflt;
    p->positive = spec->g[g].positive;
    p->per_column = spec->g[g].per_column;
  }
  return k;
}

GpParam *gp_kernel_group(GpKernel *k, const char *name) {
  for (int g = 0; g < k->ngroups; g++)
    if (strcmp(k->group[g].name, name) == 0)
      return &k->group[g];
  return NULL;
}

GpKernel *gp_kernel_combine(GpKernelKind op, GpKernel *left, GpKernel *right) {
  ASSERT(op == GPK_SUM || op == GPK_PROD);
  GpKernel *k = mem_alloc(sizeof *k);
  k->kind = op;
  k->left = left;
  k->right = right;
  return k;
}

/* ---- binding ------------------------------------------------------------- */

static bool bind_dims(GpKernel *c, const GpKernel *k, size_t ncols, char *err) {
  const char *name = kind_names[k->kind];
  if (k->input_dim > 0 && (size_t)k->input_dim != ncols) {
    snprintf(err, GP_ERR_LEN,
             "%s(): input_dim is %d but the inputs have "
             "%zu column%s",
             name, k->input_dim, ncols, ncols == 1 ? "" : "s");
    return false;
  }
  if (!k->dims || k->all_dims) {
    c->ndims = (int)ncols;
    c->all_dims = true;
    c->dims = mem_alloc_atomic(ncols * sizeof(int));
    for (size_t t = 0; t < ncols; t++)
      c->dims[t] = (int)t;
    return true;
  }
  for (int t = 0; t < k->ndims; t++)
    if (k->dims[t] < 0 || (size_t)k->dims[t] >= ncols) {
      snprintf(err, GP_ERR_LEN,
               "%s(): active_dims names column %d but the "
               "inputs have %zu column%s (numbered from 0)",
               name, k->dims[t], ncols, ncols == 1 ? "" : "s");
      return false;
    }
  return true; /* c->dims shares k's (immutable) array */
}

static bool bind_group(GpKernel *c, int g, char *err) {
  GpParam *p = &c->group[g];
  const char *name = kind_names[c->kind];
  bool per_column = p->per_column;
  /* A symbolic value keeps its own length: one value stays isotropic. */
  if (per_column && c->ard && p->n == 1 && c->ndims > 1 && !p->sym) {
    double v = p->v[0];
    p->n = c->ndims;
    p->v = values_new(p->n);
    for (int t = 0; t < p->n; t++)
      p->v[t] = v;
  } else {
    p->v = memcpy(values_new(p->n), p->v, (size_t)p->n * sizeof(double));
  }
  if (!per_column && p->n != 1) {
    snprintf(err, GP_ERR_LEN,
             "%s(): %s must be a single number, got %d "
             "values",
             name, p->name, p->n);
    return false;
  }
  if (per_column && p->n != 1 && p->n != c->ndims) {
    snprintf(err, GP_ERR_LEN,
             "%s(): %s has %d values but there %s %d "
             "active input column%s",
             name, p->name, p->n, c->ndims == 1 ? "is" : "are", c->ndims,
             c->ndims == 1 ? "" : "s");
    return false;
  }
  for (int t = 0; t < p->n && !p->sym; t++) {
    double v = p->v[t];
    if (!isfinite(v) || (p->positive && !(v > 0.0))) {
      snprintf(err, GP_ERR_LEN, "%s(): %s must be %s, got %g", name, p->name,
               p->positive ? "positive" : "finite", v);
      return false;
    }
  }
  return true;
}

GpKernel *gp_kernel_bind(const GpKernel *k, size_t ncols, char *err) {
  GpKernel *c = mem_alloc(sizeof *c);
  *c = *k;
  if (!is_leaf(k)) {
    c->left = gp_kernel_bind(k->left, ncols, err);
    c->right = c->left ? gp_kernel_bind(k->right, ncols, err) : NULL;
    return c->right ? c : NULL;
  }
  if (!bind_dims(c, k, ncols, err))
    return NULL;
  for (int g = 0; g < c->ngroups; g++)
    if (!bind_group(c, g, err))
      return NULL;
  return c;
}

/* ---- hyperparameters ----------------------------------------------------- */

bool gp_kernel_symbolic(const GpKernel *k, const GpKernel **leaf,
                        const GpParam **group) {
  if (!is_leaf(k))
    return gp_kernel_symbolic(k->left, leaf, group) ||
           gp_kernel_symbolic(k->right, leaf, group);
  for (int g = 0; g < k->ngroups; g++)
    if (k->group[g].sym) {
      if (leaf)
        *leaf = k;
      if (group)
        *group = &k->group[g];
      return true;
    }
  return false;
}

size_t gp_kernel_nparams(const GpKernel *k) {
  if (!is_leaf(k))
    return gp_kernel_nparams(k->left) + gp_kernel_nparams(k->right);
  size_t n = 0;
  for (int g = 0; g < k->ngroups; g++)
    n += (size_t)k->group[g].n;
  return n;
}

size_t gp_kernel_nfree(const GpKernel *k) {
  if (!is_leaf(k))
    return gp_kernel_nfree(k->left) + gp_kernel_nfree(k->right);
  size_t n = 0;
  for (int g = 0; g < k->ngroups; g++)
    if (!k->group[g].fixed)
      n += (size_t)k->group[g].n;
  return n;
}

/* Visits every parameter value in theta order; returns the count passed. */
typedef void (*ParamVisit)(GpParam *p, int t, size_t pos, void *ctx);

static size_t each_param(const GpKernel *k, bool free_only, size_t pos,
                         ParamVisit fn, void *ctx) {
  if (!is_leaf(k)) {
    pos = each_param(k->left, free_only, pos, fn, ctx);
    return each_param(k->right, free_only, pos, fn, ctx);
  }
  for (int g = 0; g < k->ngroups; g++) {
    GpParam *p = (GpParam *)&k->group[g];
    if (free_only && p->fixed)
      continue;
    for (int t = 0; t < p->n; t++)
      fn(p, t, pos++, ctx);
  }
  return pos;
}

static void get_one(GpParam *p, int t, size_t pos, void *ctx) {
  ((double *)ctx)[pos] = p->positive ? log(p->v[t]) : p->v[t];
}

static void set_one(GpParam *p, int t, size_t pos, void *ctx) {
  double u = ((const double *)ctx)[pos];
  p->v[t] = p->positive ? exp(u) : u;
}

typedef struct InfoCtx {
  bool *free, *positive;
} InfoCtx;

static void info_one(GpParam *p, int t, size_t pos, void *ctx) {
  PPL_UNUSED(t);
  InfoCtx *c = ctx;
  if (c->free)
    c->free[pos] = !p->fixed;
  if (c->positive)
    c->positive[pos] = p->positive;
}

void gp_kernel_get_theta(const GpKernel *k, double *theta, bool free_only) {
  each_param(k, free_only, 0, get_one, theta);
}

void gp_kernel_set_theta(GpKernel *k, const double *theta, bool free_only) {
  each_param(k, free_only, 0, set_one, (void *)theta);
}

void gp_kernel_param_info(const GpKernel *k, bool *free, bool *positive) {
  InfoCtx c = {free, positive};
  each_param(k, false, 0, info_one, &c);
}

/* ---- blocks -------------------------------------------------------------- */

typedef struct Block {
  const double *xa, *xb;
  size_t na, nb, ncols;
  ptrdiff_t diag;
} Block;

/* Sums and products hold both operands' tiles while the operands below
 * them use the rest. */
size_t gp_kernel_work(const GpKernel *k, size_t na, size_t nb) {
  if (is_leaf(k))
    return 0;
  size_t l = gp_kernel_work(k->left, na, nb);
  size_t r = gp_kernel_work(k->right, na, nb);
  return 2 * na * nb + (l > r ? l : r);
}

/* A group's values spread over the active columns (inverted when invert),
 * so isotropic and ARD leaves run the same loop. malloc-owned. */
static double *per_column(const GpKernel *k, const GpParam *p, bool invert) {
  double *v = malloc((size_t)k->ndims * sizeof(double) + 1);
  if (!v)
    PANIC("out of memory");
  for (int t = 0; t < k->ndims; t++) {
    double x = p->v[p->n == 1 ? 0 : t];
    v[t] = invert ? 1.0 / x : x;
  }
  return v;
}

static double scaled_sqdist(const GpKernel *k, const double *a, const double *b,
                            const double *inv) {
  double r2 = 0.0;
  for (int t = 0; t < k->ndims; t++) {
    double u = (a[k->dims[t]] - b[k->dims[t]]) * inv[t];
    r2 += u * u;
  }
  return r2;
}

/* k(r^2) of a stationary leaf; *h is its radial factor (file comment) and
 * *dalpha RatQuad's dk/dlog alpha. */
static inline double radial(GpKernelKind kind, double r2, double alpha,
                            double *h, double *dalpha) {
  switch (kind) {
  case GPK_EXPQUAD: {
    double k = exp(-0.5 * r2);
    *h = k;
    return k;
  }
  case GPK_MATERN12: {
    double r = sqrt(r2), k = exp(-r);
    *h = r > 0.0 ? k / r : 0.0;
    return k;
  }
  case GPK_MATERN32: {
    double r = sqrt(r2), e = exp(-SQRT3 * r);
    *h = 3.0 * e;
    return (1.0 + SQRT3 * r) * e;
  }
  case GPK_MATERN52: {
    double r = sqrt(r2), e = exp(-SQRT5 * r);
    *h = 5.0 / 3.0 * (1.0 + SQRT5 * r) * e;
    return (1.0 + SQRT5 * r + 5.0 / 3.0 * r2) * e;
  }
  case GPK_RATQUAD: {
    double z = r2 / (2.0 * alpha), base = 1.0 + z;
    double k = pow(base, -alpha);
    *h = k / base;
    *dalpha = alpha * k * (z / base - log1p(z));
    return k;
  }
  default:
    PANIC("radial: not a stationary kernel");
  }
}

static void stationary_block(const GpKernel *k, const Block *b, double *K,
                             size_t ldk, double *dK) {
  const GpParam *ls = &k->group[k->ngroups - 1];
  bool ratquad = k->kind == GPK_RATQUAD;
  double alpha = ratquad ? k->group[0].v[0] : 0.0;
  double *inv = per_column(k, ls, true);
  size_t plane = b->na * b->nb;
  double *dls = dK ? dK + (ratquad ? plane : 0) : NULL;
  for (size_t j = 0; j < b->nb; j++) {
    const double *xj = b->xb + j * b->ncols;
    for (size_t i = 0; i < b->na; i++) {
      const double *xi = b->xa + i * b->ncols;
      double r2 = scaled_sqdist(k, xi, xj, inv), h, da = 0.0;
      K[i + j * ldk] = radial(k->kind, r2, alpha, &h, &da);
      if (!dK)
        continue;
      size_t at = i + j * b->na;
      if (ratquad)
        dK[at] = da;
      if (ls->n == 1) {
        dls[at] = h * r2;
        continue;
      }
      for (int t = 0; t < k->ndims; t++) {
        double u = (xi[k->dims[t]] - xj[k->dims[t]]) * inv[t];
        dls[(size_t)t * plane + at] = h * u * u;
      }
    }
  }
  free(inv);
}

static void periodic_block(const GpKernel *k, const Block *b, double *K,
                           size_t ldk, double *dK) {
  const GpParam *ls = &k->group[1];
  double period = k->group[0].v[0];
  double *inv = per_column(k, ls, true);
  size_t plane = b->na * b->nb;
  for (size_t j = 0; j < b->nb; j++) {
    const double *xj = b->xb + j * b->ncols;
    for (size_t i = 0; i < b->na; i++) {
      const double *xi = b->xa + i * b->ncols;
      double q = 0.0, dq = 0.0;
      for (int t = 0; t < k->ndims; t++) {
        double u = M_PI * (xi[k->dims[t]] - xj[k->dims[t]]) / period;
        double s = sin(u), il2 = inv[t] * inv[t];
        q += s * s * il2;
        dq += sin(2.0 * u) * u * il2;
      }
      double kv = exp(-0.5 * q);
      K[i + j * ldk] = kv;
      if (!dK)
        continue;
      size_t at = i + j * b->na;
      dK[at] = 0.5 * kv * dq;
      if (ls->n == 1) {
        dK[plane + at] = kv * q;
        continue;
      }
      for (int t = 0; t < k->ndims; t++) {
        double s = sin(M_PI * (xi[k->dims[t]] - xj[k->dims[t]]) / period);
        dK[(size_t)(t + 1) * plane + at] = kv * s * s * inv[t] * inv[t];
      }
    }
  }
  free(inv);
}

/* Linear (polynomial false) and Polynomial. */
static void dot_block(const GpKernel *k, const Block *b, double *K, size_t ldk,
                      double *dK, bool polynomial) {
  const GpParam *cp = &k->group[0];
  double *c = per_column(k, cp, false);
  double offset = polynomial ? k->group[1].v[0] : 0.0;
  double deg = polynomial ? (double)k->degree : 1.0;
  size_t plane = b->na * b->nb;
  for (size_t j = 0; j < b->nb; j++) {
    const double *xj = b->xb + j * b->ncols;
    for (size_t i = 0; i < b->na; i++) {
      const double *xi = b->xa + i * b->ncols;
      double lin = 0.0;
      for (int t = 0; t < k->ndims; t++)
        lin += (xi[k->dims[t]] - c[t]) * (xj[k->dims[t]] - c[t]);
      double base = lin + offset;
      K[i + j * ldk] = polynomial ? pow(base, deg) : lin;
      if (!dK)
        continue;
      double dbase = polynomial ? deg * pow(base, deg - 1.0) : 1.0;
      size_t at = i + j * b->na;
      if (cp->n == 1)
        dK[at] = 0.0;
      for (int t = 0; t < k->ndims; t++) {
        double d = dbase * (2.0 * c[t] - xi[k->dims[t]] - xj[k->dims[t]]);
        if (cp->n == 1)
          dK[at] += d;
        else
          dK[(size_t)t * plane + at] = d;
      }
      if (polynomial)
        dK[(size_t)cp->n * plane + at] = dbase * offset;
    }
  }
  free(c);
}

static void constant_block(const GpKernel *k, const Block *b, double *K,
                           size_t ldk, double *dK) {
  double c = k->group[0].v[0];
  for (size_t j = 0; j < b->nb; j++)
    for (size_t i = 0; i < b->na; i++) {
      K[i + j * ldk] = c;
      if (dK)
        dK[i + j * b->na] = c;
    }
}

static void white_block(const GpKernel *k, const Block *b, double *K,
                        size_t ldk, double *dK) {
  double s = k->group[0].v[0], var = s * s;
  for (size_t j = 0; j < b->nb; j++)
    for (size_t i = 0; i < b->na; i++) {
      bool same =
          b->diag != GP_NO_DIAG && (ptrdiff_t)i == (ptrdiff_t)j + b->diag;
      K[i + j * ldk] = same ? var : 0.0;
      if (dK)
        dK[i + j * b->na] = same ? 2.0 * var : 0.0;
    }
}

static double *scratch(size_t n) {
  double *p = malloc(n * sizeof(double) + 1);
  if (!p)
    PANIC("out of memory");
  return p;
}

static void block(const GpKernel *k, const Block *b, double *K, size_t ldk,
                  double *dK, double *work);

/* Sums and products: operands into scratch tiles, then combined. */
static void composite_block(const GpKernel *k, const Block *b, double *K,
                            size_t ldk, double *dK, double *work) {
  size_t plane = b->na * b->nb;
  size_t pl = gp_kernel_nparams(k->left), pr = gp_kernel_nparams(k->right);
  double *kl = work, *kr = work + plane;
  block(k->left, b, kl, b->na, dK, work + 2 * plane);
  block(k->right, b, kr, b->na, dK ? dK + pl * plane : NULL, work + 2 * plane);
  bool prod = k->kind == GPK_PROD;
  for (size_t j = 0; j < b->nb; j++)
    for (size_t i = 0; i < b->na; i++) {
      size_t at = i + j * b->na;
      K[i + j * ldk] = prod ? kl[at] * kr[at] : kl[at] + kr[at];
    }
  if (dK && prod) {
    for (size_t q = 0; q < pl; q++)
      for (size_t at = 0; at < plane; at++)
        dK[q * plane + at] *= kr[at];
    for (size_t q = pl; q < pl + pr; q++)
      for (size_t at = 0; at < plane; at++)
        dK[q * plane + at] *= kl[at];
  }
}

static void block(const GpKernel *k, const Block *b, double *K, size_t ldk,
                  double *dK, double *work) {
  switch (k->kind) {
  case GPK_EXPQUAD:
  case GPK_MATERN12:
  case GPK_MATERN32:
  case GPK_MATERN52:
  case GPK_RATQUAD:
    stationary_block(k, b, K, ldk, dK);
    break;
  case GPK_PERIODIC:
    periodic_block(k, b, K, ldk, dK);
    break;
  case GPK_LINEAR:
    dot_block(k, b, K, ldk, dK, false);
    break;
  case GPK_POLYNOMIAL:
    dot_block(k, b, K, ldk, dK, true);
    break;
  case GPK_CONSTANT:
    constant_block(k, b, K, ldk, dK);
    break;
  case GPK_WHITE:
    white_block(k, b, K, ldk, dK);
    break;
  case GPK_SUM:
  case GPK_PROD:
    composite_block(k, b, K, ldk, dK, work);
    break;
  }
}

void gp_kernel_block(const GpKernel *k, const double *xa, size_t na,
                     const double *xb, size_t nb, size_t ncols, ptrdiff_t diag,
                     double *K, size_t ldk, double *dK, double *work) {
  ASSERT(ldk >= na);
  if (na == 0 || nb == 0)
    return;
  Block b = {xa, xb, na, nb, ncols, diag};
  double *own = work ? NULL : scratch(gp_kernel_work(k, na, nb));
  block(k, &b, K, ldk, dK, work ? work : own);
  free(own);
}

/* ---- the diagonal -------------------------------------------------------- */

void gp_kernel_diag(const GpKernel *k, const double *x, size_t n, size_t ncols,
                    double *out) {
  if (!is_leaf(k)) {
    double *r = scratch(n);
    gp_kernel_diag(k->left, x, n, ncols, out);
    gp_kernel_diag(k->right, x, n, ncols, r);
    for (size_t i = 0; i < n; i++)
      out[i] = k->kind == GPK_PROD ? out[i] * r[i] : out[i] + r[i];
    free(r);
    return;
  }
  if (k->kind == GPK_LINEAR || k->kind == GPK_POLYNOMIAL) {
    /* a 1 x 1 block per point: no cross terms to share */
    for (size_t i = 0; i < n; i++)
      gp_kernel_block(k, x + i * ncols, 1, x + i * ncols, 1, ncols, 0, &out[i],
                      1, NULL, NULL);
    return;
  }
  double v = k->kind == GPK_CONSTANT ? k->group[0].v[0]
             : k->kind == GPK_WHITE  ? k->group[0].v[0] * k->group[0].v[0]
                                     : 1.0;
  for (size_t i = 0; i < n; i++)
    out[i] = v;
}
