/*
 * tape_fuse.c — fused DIST instructions: a distribution whose location is
 * an affine expression of tape slots, evaluated with its gradient in one
 * loop over the observations (what fuses and the interface: tape_fuse.h;
 * the design: doc/tape.md, "Location fusion"; measurements:
 * doc/benchmarks.md).
 *
 * Why. y ~ Normal(a[g] + b * x, sigma) is four tape instructions (GATHER,
 * MUL, ADD, DIST): four passes over the N observations forward and two back
 * (a reduction for b, a scatter for a), each storing or reloading a vector.
 * Hand-written C makes one pass with everything in registers; at N = 1000
 * the passes, not the arithmetic, were the cost (2.5 times the hand-written
 * loop). A fused DIST computes eta_i from the leaves, the log density term
 * and d_i = adj * d log p / d eta_i, and hands d_i to the leaves, all in the
 * same iteration.
 *
 * Planning walks down from the DIST's location slot. An instruction is
 * absorbed when it is live, depends on theta, has the DIST's length n (at
 * least 2), is read by one live instruction only (the one above it in the
 * walk; never the tape's output), and is ADD, SUB, NEG, a MUL of a scalar by
 * a length-n operand, or a GATHER. Aliases in between are looked through
 * while each is read once. Everything else is a leaf, computed by its own
 * instruction as before. The walk carries the coefficient k (signs and
 * constant factors) and at most one scalar slot s (b in b * x; a second
 * scalar factor makes that MUL a leaf). Constant scalars fold into c. A
 * Normal whose mu is a scalar is the expression of one term, nothing
 * absorbed. With more than FUSE_MAX_TERMS leaves of a kind or
 * FUSE_MAX_ABSORB absorbed instructions the DIST is left alone.
 *
 * Evaluating. The terms are resolved to pointers and weights once per call
 * (a handful of slots) and copied into locals whose address never escapes,
 * so the compiler keeps them out of reach of the adjoint stores. Each
 * family's loop is a template (FUSE_INLINE, instantiated with constant
 * arguments): the shapes that regression models produce (FUSE_SHAPES: how
 * many terms of each role, whether eta has a constant part...) get a copy
 * with every count constant, whose loop unrolls over the terms, keeps the
 * factors' partial sums in registers and tests nothing per observation (as
 * many instructions as the hand-written loop). Any other shape takes the
 * generic copy: run-time counts, and d_i kept in a scratch vector and
 * handed to the terms in one tight pass each after the loop (partial sums
 * in memory inside the loop, a store-to-load chain per observation, made
 * it slower than not fusing).
 *
 * Families, each with the validity rules and partials of its src/dist file:
 *   Normal(x | mu = eta, sigma), sigma a scalar or one per observation
 *     (dist/normal.c): z = (x - eta) / sigma, d/deta = z / sigma;
 *   Bernoulli(x | p = logistic(eta)), in the logit form (PyMC's logit_p)
 *     log p(x | eta) = x eta - softplus(eta),  d/deta = x - logistic(eta),
 *     with one exp and one log1p per observation, stable for every eta.
 *     (The unfused LOGISTIC, Bernoulli pair rounds p to 1 once eta > 37
 *     and then returns -inf for x = 0; the fused form gives the right,
 *     finite value.)
 *
 * References: Carpenter et al. (2015), The Stan Math Library (normal_lpdf's
 * shared partials); Bernoulli-logit as in Stan's bernoulli_logit_lpmf.
 */
#include <config.h>
#include "tape_fuse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dist.h"

/* Limits per DIST: leaves of each kind (the evaluator's local arrays) and
 * absorbed instructions (the planner's list). Regression models use one to
 * four leaves; a longer sum falls back to separate instructions. */
enum { FUSE_MAX_TERMS = 8, FUSE_MAX_ABSORB = 64 };

/* The evaluators below are templates: FUSE_INLINE functions called with
 * constant shapes and flags (gradient or not) so that each caller gets its
 * own copy without the loops and branches it does not need. */
#if defined(__GNUC__)
#define FUSE_INLINE static inline __attribute__((always_inline))
#else
#define FUSE_INLINE static inline
#endif

static const double HALF_LOG_2PI = 0.918938533204672741780; /* log sqrt(2pi) */

typedef enum { FUSE_NORMAL, FUSE_BERNOULLI_LOGIT } FuseKind;

/* Where a term's partial goes, fixed when the tape is frozen: into its
 * leaf's adjoint (the leaf depends on theta), its scalar factor's (the
 * factor does), both, or neither (data times a constant). */
typedef enum { ROLE_LEAF, ROLE_BOTH, ROLE_FACTOR, ROLE_NONE, NROLES } FuseRole;

/* The shape of the evaluation loop: how many vector and gathered terms of
 * each role, and what the loop may leave out. */
typedef struct FuseShape {
  int v[NROLES], g[NROLES];
  bool xe;   /* x has n elements (else one, broadcast) */
  bool xg;   /* x has an adjoint per element */
  bool unit; /* every term of role LEAF has weight 1 (a + X @ beta) */
  bool scal; /* eta has a constant part: c, or scalar terms (alpha) */
  bool dbuf; /* the generic kernel: d_i go to a buffer, then to the terms */
} FuseShape;

/* One term w L(i) of eta, w = k (times s's value when s is a slot). */
typedef struct FuseTerm {
  double k;
  TapeSlot s;        /* the scalar factor, or TAPE_NONE */
  TapeSlot leaf;     /* a vector of n, a gathered slot, or a scalar */
  const size_t *idx; /* a gathered leaf: n indices into it */
} FuseTerm;

typedef struct FuseProg FuseProg;

/* A program's gradient: its log density, adj times its partials added into
 * the adjoints a (tape_fuse_grad). */
typedef double (*FuseKernel)(const TapeFusion *F, const FuseProg *p,
                             const double *const *v, double *const *a,
                             double adj, double *scratch);

/* A fused DIST. Its terms are terms[first ..]: the vector terms by role
 * (as FuseRole orders them), the gathered terms by role, then ns scalar
 * terms. */
struct FuseProg {
  FuseKind kind;
  size_t n;
  TapeSlot x;      /* the value */
  TapeSlot scale;  /* Normal's sigma */
  bool scale_each; /* sigma has n elements (else one) */
  double c;        /* the constant part of eta */
  size_t first;
  FuseShape shape;
  int ns;
  FuseKernel grad; /* the kernel for its shape */
  size_t scratch;  /* doubles of scratch it needs (the generic kernel: n) */
};

struct TapeFusion {
  FuseProg *progs;
  size_t nprogs;
  FuseTerm *terms;
  size_t nterms;
};

static void *grow(void *p, size_t n, size_t size) {
  void *q = realloc(p, (n ? n : 1) * size);
  if (!q)
    PANIC("tape_fuse: out of memory");
  return q;
}

/* ---- planning ------------------------------------------------------------ */

typedef struct Planner {
  const FuseInstr *ins;
  const FuseSlot *slots;
  const int32_t *mark;
  TapeSlot out;
  size_t n;
  double c;
  FuseTerm v[FUSE_MAX_TERMS], g[FUSE_MAX_TERMS], s[FUSE_MAX_TERMS];
  int nv, ng, ns;
  int32_t absorbed[FUSE_MAX_ABSORB];
  int nabsorbed;
  bool full; /* a limit was reached: leave this DIST alone */
} Planner;

/* s with the aliases in front of it looked through, while each is read by
 * one live instruction (else another reader needs the values). */
static TapeSlot unalias(const Planner *P, TapeSlot s) {
  while (P->slots[s].alias != TAPE_NONE && P->slots[s].uses == 1)
    s = P->slots[s].alias;
  return s;
}

/* The instruction writing s when its output may be absorbed (live, on
 * theta, n elements, read once, not the output, not absorbed yet), else
 * NULL; affine() then says whether its op can be. */
static const FuseInstr *producer(const Planner *P, TapeSlot s) {
  const FuseSlot *x = &P->slots[s];
  if (s == P->out || x->instr < 0 || x->uses != 1 || !x->dep ||
      x->len != P->n || x->alias != TAPE_NONE || P->mark[x->instr] != 0)
    return NULL;
  const FuseInstr *I = &P->ins[x->instr];
  return I->live && I->dep ? I : NULL;
}

static bool length_1_or_n(const Planner *P, TapeSlot s) {
  return P->slots[s].len == 1 || P->slots[s].len == P->n;
}

/* Whether the walk, carrying scalar factor sf, can absorb I. With an
 * output of n >= 2 elements and inputs of 1 or n, a binary op works
 * elementwise (two inputs of n elements that broadcast to n have the same
 * grid). */
static bool affine(const Planner *P, const FuseInstr *I, TapeSlot sf) {
  switch ((TapeOp)I->op) {
  case TAPE_ADD:
  case TAPE_SUB:
    return length_1_or_n(P, I->in[0]) && length_1_or_n(P, I->in[1]);
  case TAPE_NEG:
  case TAPE_GATHER:
    return true;
  case TAPE_MUL: {
    const bool a1 = P->slots[I->in[0]].len == 1;
    const bool b1 = P->slots[I->in[1]].len == 1;
    if (a1 == b1)
      return false; /* a product of two vectors is a leaf */
    const TapeSlot sc = a1 ? I->in[0] : I->in[1];
    return P->slots[sc].data != NULL || sf == TAPE_NONE;
  }
  default:
    return false;
  }
}

static void push(Planner *P, FuseTerm *list, int *count, FuseTerm term) {
  if (*count == FUSE_MAX_TERMS) {
    P->full = true;
    return;
  }
  list[(*count)++] = term;
}

static void absorb(Planner *P, const FuseInstr *I) {
  if (P->nabsorbed == FUSE_MAX_ABSORB) {
    P->full = true;
    return;
  }
  P->absorbed[P->nabsorbed++] = (int32_t)(I - P->ins);
}

/* A slot the walk does not go into: a term, or a constant folded into c. */
static void leaf(Planner *P, TapeSlot s, double k, TapeSlot sf) {
  const FuseSlot *x = &P->slots[s];
  const FuseTerm term = {.k = k, .s = sf, .leaf = s, .idx = NULL};
  if (x->len == P->n)
    push(P, P->v, &P->nv, term);
  else if (x->data && sf == TAPE_NONE)
    P->c += k * x->data[0];
  else
    push(P, P->s, &P->ns, term);
}

static void walk(Planner *P, TapeSlot s, double k, TapeSlot sf);

/* MUL of a scalar by a length-n operand: a constant scales k, a slot
 * becomes the scalar factor. */
static void walk_scaled(Planner *P, const FuseInstr *I, double k, TapeSlot sf) {
  const bool a1 = P->slots[I->in[0]].len == 1;
  const TapeSlot sc = a1 ? I->in[0] : I->in[1];
  const TapeSlot e = a1 ? I->in[1] : I->in[0];
  if (P->slots[sc].data)
    walk(P, e, k * P->slots[sc].data[0], sf);
  else
    walk(P, e, k, sc);
}

/* Adds k * (sf) * the expression of slot s to the program. */
static void walk(Planner *P, TapeSlot s, double k, TapeSlot sf) {
  if (P->full)
    return;
  s = unalias(P, s);
  const FuseInstr *I = producer(P, s);
  if (!I || !affine(P, I, sf)) {
    leaf(P, s, k, sf);
    return;
  }
  absorb(P, I);
  switch ((TapeOp)I->op) {
  case TAPE_ADD:
    walk(P, I->in[0], k, sf);
    walk(P, I->in[1], k, sf);
    break;
  case TAPE_SUB:
    walk(P, I->in[0], k, sf);
    walk(P, I->in[1], -k, sf);
    break;
  case TAPE_NEG:
    walk(P, I->in[0], -k, sf);
    break;
  case TAPE_MUL:
    walk_scaled(P, I, k, sf);
    break;
  default: /* GATHER */
    push(P, P->g, &P->ng,
         (FuseTerm){.k = k, .s = sf, .leaf = I->in[0], .idx = I->idx});
  }
}

/* The broadcast length of a univariate DIST: its longest input. */
static size_t dist_len(const Planner *P, const FuseInstr *D) {
  size_t n = 0;
  for (int k = 0; k < D->nin; k++)
    if (P->slots[D->in[k]].len > n)
      n = P->slots[D->in[k]].len;
  return n;
}

/* Walks the location of DIST D; false when D does not fuse. */
static bool plan_dist(Planner *P, const FuseInstr *D, FuseProg *prog) {
  if (!D->live || !D->dep)
    return false;
  P->n = dist_len(P, D);
  if (P->n < 2)
    return false;
  *prog = (FuseProg){.n = P->n, .x = D->in[0], .scale = TAPE_NONE};
  if (D->family == &dist_normal && D->nin == 3) {
    prog->kind = FUSE_NORMAL;
    prog->scale = D->in[2];
    prog->scale_each = P->slots[D->in[2]].len == P->n;
    /* a scalar mu is the affine expression of one term: such DISTs (a
     * hierarchical prior a ~ Normal(mu_a, sigma_a), y ~ Normal(mu,
     * sigma)) absorb nothing but still save the family's separate
     * validity passes */
    if (P->slots[D->in[1]].len == 1)
      leaf(P, D->in[1], 1.0, TAPE_NONE);
    else
      walk(P, D->in[1], 1.0, TAPE_NONE);
    return !P->full;
  } else if (D->family == &dist_bernoulli && D->nin == 2) {
    prog->kind = FUSE_BERNOULLI_LOGIT;
    const FuseInstr *L = producer(P, unalias(P, D->in[1]));
    if (!L || L->op != TAPE_LOGISTIC)
      return false;
    absorb(P, L);
    walk(P, L->in[0], 1.0, TAPE_NONE);
  } else {
    return false;
  }
  return !P->full && P->nabsorbed > 0;
}

static void choose_kernel(FuseProg *p);

static FuseRole role(const Planner *P, const FuseTerm *t) {
  const bool leaf = P->slots[t->leaf].dep;
  const bool factor = t->s != TAPE_NONE && P->slots[t->s].dep;
  return leaf ? (factor ? ROLE_BOTH : ROLE_LEAF)
              : (factor ? ROLE_FACTOR : ROLE_NONE);
}

/* Copies the n terms of list to out in the order of their roles, counting
 * them per role. */
static FuseTerm *by_role(const Planner *P, const FuseTerm *list, int n,
                         FuseTerm *out, int *count) {
  for (int r = 0; r < NROLES; r++)
    for (int k = 0; k < n; k++)
      if (role(P, &list[k]) == (FuseRole)r) {
        *out++ = list[k];
        count[r]++;
      }
  return out;
}

/* Appends the planned program and marks what it absorbed. */
static void commit(TapeFusion *F, const Planner *P, FuseProg prog, int32_t dist,
                   const FuseInstr *ins, int32_t *mark, bool *noadj) {
  prog.c = P->c;
  prog.first = F->nterms;
  prog.ns = P->ns;
  FuseShape *sh = &prog.shape;
  sh->xe = P->slots[prog.x].len == prog.n;
  sh->xg = prog.kind == FUSE_NORMAL && sh->xe && P->slots[prog.x].dep;
  sh->scal = P->c != 0.0 || P->ns > 0;
  const size_t nt = (size_t)(P->nv + P->ng + P->ns);
  F->terms = grow(F->terms, F->nterms + nt, sizeof *F->terms);
  FuseTerm *t = F->terms + F->nterms;
  FuseTerm *first = t;
  t = by_role(P, P->v, P->nv, t, sh->v);
  FuseTerm *gfirst = t;
  t = by_role(P, P->g, P->ng, t, sh->g);
  sh->unit = true;
  for (int k = 0; k < sh->v[ROLE_LEAF]; k++)
    sh->unit = sh->unit && first[k].k == 1.0;
  for (int k = 0; k < sh->g[ROLE_LEAF]; k++)
    sh->unit = sh->unit && gfirst[k].k == 1.0;
  memcpy(t, P->s, (size_t)P->ns * sizeof *t);
  F->nterms += nt;
  choose_kernel(&prog);
  F->progs = grow(F->progs, F->nprogs + 1, sizeof *F->progs);
  F->progs[F->nprogs++] = prog;
  mark[dist] = (int32_t)F->nprogs;
  for (int k = 0; k < P->nabsorbed; k++) {
    mark[P->absorbed[k]] = -1;
    noadj[ins[P->absorbed[k]].out] = true;
  }
}

TapeFusion *tape_fuse_plan(const FuseInstr *ins, size_t ninstr,
                           const FuseSlot *slots, size_t nslots, TapeSlot out,
                           int32_t *mark, bool *noadj) {
  PPL_UNUSED(nslots);
  TapeFusion *F = NULL;
  for (size_t i = 0; i < ninstr; i++) {
    if (ins[i].op != TAPE_DIST)
      continue;
    Planner P = {.ins = ins, .slots = slots, .mark = mark, .out = out};
    FuseProg prog;
    if (!plan_dist(&P, &ins[i], &prog))
      continue;
    if (!F) {
      F = calloc(1, sizeof *F);
      if (!F)
        PANIC("tape_fuse: out of memory");
    }
    commit(F, &P, prog, (int32_t)i, ins, mark, noadj);
  }
  return F;
}

void tape_fuse_free(TapeFusion *f) {
  if (!f)
    return;
  free(f->progs);
  free(f->terms);
  free(f);
}

size_t tape_fuse_count(const TapeFusion *f) { return f ? f->nprogs : 0; }

/* ---- evaluating ---------------------------------------------------------- */

/* Counts of a shape's vector (or gathered) terms: all of them, those whose
 * leaf takes a partial (the first nstore, roles LEAF and BOTH) and those
 * whose factor takes one (from afirst, roles BOTH and FACTOR). */
#define NTERMS(r)                                                              \
  ((r)[ROLE_LEAF] + (r)[ROLE_BOTH] + (r)[ROLE_FACTOR] + (r)[ROLE_NONE])
#define NSTORE(r) ((r)[ROLE_LEAF] + (r)[ROLE_BOTH])
#define AFIRST(r) ((r)[ROLE_LEAF])
#define AEND(r) ((r)[ROLE_LEAF] + (r)[ROLE_BOTH] + (r)[ROLE_FACTOR])

/* Whether the loop needs sum_i d_i: for the scalar terms, or for a
 * broadcast x. */
#define SUMS(sh) ((sh).scal || !(sh).xe)

/* The vector and gathered terms of one call, resolved: eta_i = c +
 * sum wv[k] V[k][i] + sum wg[k] P[k][I[k][i]] (the scalar terms are in c).
 * acc* collect sum_i d_i L_k(i), the partial of a term's scalar factor. */
typedef struct Terms {
  double c;
  const double *V[FUSE_MAX_TERMS], *P[FUSE_MAX_TERMS];
  const size_t *I[FUSE_MAX_TERMS];
  double *gv[FUSE_MAX_TERMS], *gp[FUSE_MAX_TERMS];
  double wv[FUSE_MAX_TERMS], wg[FUSE_MAX_TERMS];
  double accv[FUSE_MAX_TERMS], accg[FUSE_MAX_TERMS];
} Terms;

FUSE_INLINE double weight(const FuseTerm *t, const double *const *v) {
  return t->s == TAPE_NONE ? t->k : t->k * v[t->s][0];
}

/* Resolves prog's terms against the slot values v and adjoints a (NULL:
 * no gradient). */
FUSE_INLINE void terms_init(Terms *T, const TapeFusion *F, const FuseProg *p,
                            const double *const *v, double *const *a) {
  const FuseTerm *t = F->terms + p->first;
  const FuseShape *sh = &p->shape;
  T->c = p->c;
  for (int k = 0; k < NTERMS(sh->v); k++, t++) {
    T->V[k] = v[t->leaf];
    T->wv[k] = weight(t, v);
    T->gv[k] = a && k < NSTORE(sh->v) ? a[t->leaf] : NULL;
    T->accv[k] = 0.0;
    ASSERT(!a || (T->gv[k] != NULL) == (k < NSTORE(sh->v)));
  }
  for (int k = 0; k < NTERMS(sh->g); k++, t++) {
    T->P[k] = v[t->leaf];
    T->I[k] = t->idx;
    T->wg[k] = weight(t, v);
    T->gp[k] = a && k < NSTORE(sh->g) ? a[t->leaf] : NULL;
    T->accg[k] = 0.0;
    ASSERT(!a || (T->gp[k] != NULL) == (k < NSTORE(sh->g)));
  }
  for (int k = 0; k < p->ns; k++, t++)
    T->c += weight(t, v) * v[t->leaf][0];
}

/* eta_i; keeps the leaves' elements in val for terms_give. */
FUSE_INLINE double terms_eta(const Terms *T, size_t i, double *val,
                             const FuseShape sh) {
  double eta = sh.scal ? T->c : -0.0; /* x + -0.0 is x: folds away */
  const int nv = NTERMS(sh.v);
  for (int k = 0; k < nv; k++) {
    const double L = T->V[k][i];
    if (!sh.dbuf)
      val[k] = L;
    eta += sh.unit && k < sh.v[ROLE_LEAF] ? L : T->wv[k] * L;
  }
  for (int k = 0; k < NTERMS(sh.g); k++) {
    const double L = T->P[k][T->I[k][i]];
    if (!sh.dbuf)
      val[nv + k] = L;
    eta += sh.unit && k < sh.g[ROLE_LEAF] ? L : T->wg[k] * L;
  }
  return eta;
}

/* Hands d = adj * d log p_i / d eta_i to the terms of element i: w d into
 * the leaves' adjoints, d L(i) into the factors' sums. */
FUSE_INLINE void terms_give(Terms *T, size_t i, double d, const double *val,
                            const FuseShape sh) {
  const int nv = NTERMS(sh.v);
  for (int k = 0; k < NSTORE(sh.v); k++)
    T->gv[k][i] += sh.unit && k < sh.v[ROLE_LEAF] ? d : T->wv[k] * d;
  for (int k = AFIRST(sh.v); k < AEND(sh.v); k++)
    T->accv[k] += d * val[k];
  for (int k = 0; k < NSTORE(sh.g); k++)
    T->gp[k][T->I[k][i]] += sh.unit && k < sh.g[ROLE_LEAF] ? d : T->wg[k] * d;
  for (int k = AFIRST(sh.g); k < AEND(sh.g); k++)
    T->accg[k] += d * val[nv + k];
}

/* sum_i x[i] y[i] in SUM_LANES partial sums (as tape.c's sum_of), so that
 * the additions do not wait on each other. */
enum { SUM_LANES = 4 };

static double dot_lanes(const double *x, const double *y, size_t n) {
  double acc[SUM_LANES] = {0.0};
  size_t k0 = 0;
  for (; k0 + SUM_LANES <= n; k0 += SUM_LANES)
    for (size_t u = 0; u < SUM_LANES; u++)
      acc[u] += x[k0 + u] * y[k0 + u];
  for (size_t k = k0; k < n; k++)
    acc[0] += x[k] * y[k];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

static double gather_dot_lanes(const double *d, const double *P,
                               const size_t *I, size_t n) {
  double acc[SUM_LANES] = {0.0};
  size_t k0 = 0;
  for (; k0 + SUM_LANES <= n; k0 += SUM_LANES)
    for (size_t u = 0; u < SUM_LANES; u++)
      acc[u] += d[k0 + u] * P[I[k0 + u]];
  for (size_t k = k0; k < n; k++)
    acc[0] += d[k] * P[I[k]];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

/* The generic kernel's second half: the d_i of the loop, kept in d, handed
 * to the terms one tight pass each (a pass per term costs less than
 * per-term partial sums kept in memory inside the loop). */
static void terms_give_passes(Terms *T, const double *d, size_t n,
                              const FuseShape *sh) {
  for (int k = 0; k < NSTORE(sh->v); k++) {
    double *g = T->gv[k];
    const double w = T->wv[k];
    for (size_t i = 0; i < n; i++)
      g[i] += w * d[i];
  }
  for (int k = AFIRST(sh->v); k < AEND(sh->v); k++)
    T->accv[k] = dot_lanes(d, T->V[k], n);
  for (int k = 0; k < NSTORE(sh->g); k++) {
    double *g = T->gp[k];
    const size_t *I = T->I[k];
    const double w = T->wg[k];
    for (size_t i = 0; i < n; i++)
      g[I[i]] += w * d[i];
  }
  for (int k = AFIRST(sh->g); k < AEND(sh->g); k++)
    T->accg[k] = gather_dot_lanes(d, T->P[k], T->I[k], n);
}

/* After the loop: the scalar factors' partials, and the scalar terms'
 * (sum_d = sum_i d_i). */
FUSE_INLINE void terms_finish(const Terms *T, const TapeFusion *F,
                              const FuseProg *p, const double *const *v,
                              double *const *a, double sum_d) {
  const FuseTerm *t = F->terms + p->first;
  const FuseShape *sh = &p->shape;
  for (int k = AFIRST(sh->v); k < AEND(sh->v); k++)
    a[t[k].s][0] += t[k].k * T->accv[k];
  t += NTERMS(sh->v);
  for (int k = AFIRST(sh->g); k < AEND(sh->g); k++)
    a[t[k].s][0] += t[k].k * T->accg[k];
  t += NTERMS(sh->g);
  for (int k = 0; k < p->ns; k++, t++) {
    if (a[t->leaf])
      a[t->leaf][0] += weight(t, v) * sum_d;
    if (t->s != TAPE_NONE && a[t->s])
      a[t->s][0] += t->k * v[t->leaf][0] * sum_d;
  }
}

/* Normal(x | eta, sigma) with one sigma, as normal_lpdf_scalar_sigma in
 * dist/normal.c: -inf for sigma not positive and finite or for x or eta
 * not finite (then sum z^2 is not finite either). */
FUSE_INLINE double normal_scalar(const TapeFusion *F, const FuseProg *p,
                                 const double *const *v, double *const *a,
                                 double adj, double *dbuf, const bool grad,
                                 const FuseShape sh) {
  const double sigma = v[p->scale][0];
  if (!(sigma > 0.0 && sigma < INFINITY))
    return -INFINITY;
  Terms T;
  terms_init(&T, F, p, v, grad ? a : NULL);
  const double *x = v[p->x], inv = 1.0 / sigma, c = adj * inv;
  double *gx = grad ? a[p->x] : NULL;
  double zz = 0.0, sum_d = 0.0, val[2 * FUSE_MAX_TERMS];
  for (size_t i = 0; i < p->n; i++) {
    const double z = (x[sh.xe ? i : 0] - terms_eta(&T, i, val, sh)) * inv;
    zz += z * z;
    if (grad) {
      const double d = c * z; /* adj d/deta; d/dx = -d */
      if (SUMS(sh))
        sum_d += d;
      if (sh.xg)
        gx[i] -= d;
      if (sh.dbuf)
        dbuf[i] = d;
      else
        terms_give(&T, i, d, val, sh);
    }
  }
  if (!isfinite(zz))
    return -INFINITY;
  if (grad) {
    if (gx && !sh.xe)
      gx[0] -= sum_d;
    if (a[p->scale])
      a[p->scale][0] += adj * (zz - (double)p->n) * inv;
    if (sh.dbuf)
      terms_give_passes(&T, dbuf, p->n, &sh);
    terms_finish(&T, F, p, v, a, sum_d);
  }
  return -0.5 * zz - (double)p->n * (log(sigma) + HALF_LOG_2PI);
}

/* Normal(x | eta, sigma) with one sigma per observation, as
 * normal_lpdf_vector_sigma in dist/normal.c. */
FUSE_INLINE double normal_vector(const TapeFusion *F, const FuseProg *p,
                                 const double *const *v, double *const *a,
                                 double adj, double *dbuf, const bool grad,
                                 const FuseShape sh) {
  Terms T;
  terms_init(&T, F, p, v, grad ? a : NULL);
  const double *x = v[p->x], *sg = v[p->scale];
  double *gx = grad ? a[p->x] : NULL, *gs = grad ? a[p->scale] : NULL;
  double lp = 0.0, sum_d = 0.0, val[2 * FUSE_MAX_TERMS];
  for (size_t i = 0; i < p->n; i++) {
    const double sigma = sg[i];
    if (!(sigma > 0.0 && sigma < INFINITY))
      return -INFINITY;
    const double inv = 1.0 / sigma;
    const double z = (x[sh.xe ? i : 0] - terms_eta(&T, i, val, sh)) * inv;
    lp += -0.5 * z * z - log(sigma);
    if (grad) {
      const double d = adj * (z * inv);
      if (SUMS(sh))
        sum_d += d;
      if (sh.xg)
        gx[i] -= d;
      if (gs)
        gs[i] += adj * ((z * z - 1.0) * inv);
      if (sh.dbuf)
        dbuf[i] = d;
      else
        terms_give(&T, i, d, val, sh);
    }
  }
  if (!isfinite(lp))
    return -INFINITY;
  if (grad) {
    if (gx && !sh.xe)
      gx[0] -= sum_d;
    if (sh.dbuf)
      terms_give_passes(&T, dbuf, p->n, &sh);
    terms_finish(&T, F, p, v, a, sum_d);
  }
  return lp - (double)p->n * HALF_LOG_2PI;
}

/* Bernoulli(x | logistic(eta)): x eta - softplus(eta), written as
 * min(eta, 0) - log1p(e) for x = 1 and -max(eta, 0) - log1p(e) for x = 0
 * with e = exp(-|eta|), which is right for infinite eta too; the partial
 * x - logistic(eta) takes logistic from the same e. -inf for x outside
 * {0, 1} or a NaN eta, as dist/bernoulli.c. x, being discrete, has no
 * partial. */
FUSE_INLINE double bernoulli_logit(const TapeFusion *F, const FuseProg *p,
                                   const double *const *v, double *const *a,
                                   double adj, double *dbuf, const bool grad,
                                   const FuseShape sh) {
  Terms T;
  terms_init(&T, F, p, v, grad ? a : NULL);
  const double *x = v[p->x];
  double lp = 0.0, sum_d = 0.0, val[2 * FUSE_MAX_TERMS];
  bool bad = false;
  for (size_t i = 0; i < p->n; i++) {
    const double eta = terms_eta(&T, i, val, sh), y = x[sh.xe ? i : 0];
    bad |= !(y == 0.0 || y == 1.0);
    const double e = exp(-fabs(eta));
    /* min(eta, 0) or -max(eta, 0) by comparison: fmin and fmax are calls
     * (their NaN rules); a NaN eta still reaches lp through e */
    const double m = eta < 0.0 ? eta : 0.0, pm = eta > 0.0 ? -eta : 0.0;
    lp += (y == 1.0 ? m : pm) - log1p(e);
    if (grad) {
      const double r = 1.0 / (1.0 + e);
      const double d = adj * (y - (eta >= 0.0 ? r : e * r));
      if (SUMS(sh))
        sum_d += d;
      if (sh.dbuf)
        dbuf[i] = d;
      else
        terms_give(&T, i, d, val, sh);
    }
  }
  if (bad || isnan(lp))
    return -INFINITY;
  if (grad) {
    if (sh.dbuf)
      terms_give_passes(&T, dbuf, p->n, &sh);
    terms_finish(&T, F, p, v, a, sum_d);
  }
  return lp;
}

/* Shapes that get gradient kernels of their own, with every count and
 * flag a constant: the loops over terms unroll, the factors' sums stay in
 * registers, and nothing is computed or tested that the shape does not
 * need. (The generic kernel keeps the sums in memory, a store-to-load
 * chain in every iteration; it was 1.5 to 2 times slower on the
 * varying-intercepts model.) Each entry: a name, whether eta has a
 * constant part (scal), the vector terms by role (leaf, both, factor,
 * none), then the gathered terms likewise. All have x of n elements
 * without an adjoint (data) and LEAF terms of weight 1. */
/* clang-format off */
#define FUSE_SHAPES(X)                                                       \
  X(v1,   1, 0,  1, 0, 0, 0,  0, 0, 0, 0) /* alpha + X @ beta */            \
  X(v,    0, 0,  1, 0, 0, 0,  0, 0, 0, 0) /* X @ beta */                    \
  X(f1,   1, 0,  0, 0, 1, 0,  0, 0, 0, 0) /* alpha + b * x */               \
  X(ff1,  1, 0,  0, 0, 2, 0,  0, 0, 0, 0) /* alpha + b * x + c * z */       \
  X(g,    0, 0,  0, 0, 0, 0,  1, 0, 0, 0) /* a[g] */                        \
  X(g1,   1, 0,  0, 0, 0, 0,  1, 0, 0, 0) /* alpha + a[g] */                \
  X(fg,   0, 0,  0, 0, 1, 0,  1, 0, 0, 0) /* a[g] + b * x */                \
  X(fg1,  1, 0,  0, 0, 1, 0,  1, 0, 0, 0) /* alpha + a[g] + b * x */        \
  X(ffg,  0, 0,  0, 0, 2, 0,  1, 0, 0, 0) /* a[g] + b * x + c * z */        \
  X(vg,   0, 0,  1, 0, 0, 0,  1, 0, 0, 0) /* a[g] + X @ beta */             \
  X(gg,   0, 0,  0, 0, 0, 0,  2, 0, 0, 0) /* a[g] + c[h] */                 \
  X(gg1,  1, 0,  0, 0, 0, 0,  2, 0, 0, 0) /* alpha + a[g] + c[h] */

/* Normal only: a scalar location, x data or of theta. */
#define FUSE_NORMAL_SHAPES(X)                                                \
  X(s,    1, 0,  0, 0, 0, 0,  0, 0, 0, 0) /* y ~ Normal(mu, sigma) */       \
  X(sx,   1, 1,  0, 0, 0, 0,  0, 0, 0, 0) /* a ~ Normal(mu_a, sigma_a) */   \
  X(zx,   0, 1,  0, 0, 0, 0,  0, 0, 0, 0) /* z ~ Normal(0, 1) */
/* clang-format on */

#define FUSE_SHAPE(sc, x, vl, vb, vf, vn, gl, gb, gf, gn)                      \
  ((FuseShape){.v = {vl, vb, vf, vn},                                          \
               .g = {gl, gb, gf, gn},                                          \
               .xe = true,                                                     \
               .xg = x,                                                        \
               .unit = true,                                                   \
               .scal = sc,                                                     \
               .dbuf = false})

/* One function per family and shape (not inlined into one dispatcher, so
 * that each gets the registers to itself), and the generic ones. */
#define NORMAL(name, ...)                                                      \
  static double normal_##name(const TapeFusion *F, const FuseProg *p,          \
                              const double *const *v, double *const *a,        \
                              double adj, double *scratch) {                   \
    PPL_UNUSED(scratch);                                                       \
    return normal_scalar(F, p, v, a, adj, NULL, true,                          \
                         FUSE_SHAPE(__VA_ARGS__));                             \
  }
#define BERNOULLI(name, ...)                                                   \
  static double bernoulli_##name(const TapeFusion *F, const FuseProg *p,       \
                                 const double *const *v, double *const *a,     \
                                 double adj, double *scratch) {                \
    PPL_UNUSED(scratch);                                                       \
    return bernoulli_logit(F, p, v, a, adj, NULL, true,                        \
                           FUSE_SHAPE(__VA_ARGS__));                           \
  }
FUSE_SHAPES(NORMAL)
FUSE_SHAPES(BERNOULLI)
FUSE_NORMAL_SHAPES(NORMAL)
#undef NORMAL
#undef BERNOULLI

/* The generic kernels: run-time counts, d_i through the scratch buffer
 * (dbuf), every weight multiplied (unit off); both flags constant here so
 * that the template drops what they exclude. */
static FuseShape generic(const FuseProg *p) {
  FuseShape sh = p->shape;
  sh.dbuf = true;
  sh.unit = false;
  return sh;
}

static double normal_any(const TapeFusion *F, const FuseProg *p,
                         const double *const *v, double *const *a, double adj,
                         double *scratch) {
  return p->scale_each
             ? normal_vector(F, p, v, a, adj, scratch, true, generic(p))
             : normal_scalar(F, p, v, a, adj, scratch, true, generic(p));
}

static double bernoulli_any(const TapeFusion *F, const FuseProg *p,
                            const double *const *v, double *const *a,
                            double adj, double *scratch) {
  return bernoulli_logit(F, p, v, a, adj, scratch, true, generic(p));
}

static const struct {
  FuseShape shape;
  FuseKernel normal, bernoulli;
} kernels[] = {
#define BOTH(name, ...)                                                        \
  {FUSE_SHAPE(__VA_ARGS__), normal_##name, bernoulli_##name},
#define NORMAL(name, ...) {FUSE_SHAPE(__VA_ARGS__), normal_##name, NULL},
    FUSE_SHAPES(BOTH) FUSE_NORMAL_SHAPES(NORMAL)
#undef BOTH
#undef NORMAL
};

static bool same_shape(const FuseShape *a, const FuseShape *b) {
  return memcmp(a->v, b->v, sizeof a->v) == 0 &&
         memcmp(a->g, b->g, sizeof a->g) == 0 && a->xe == b->xe &&
         a->xg == b->xg && a->unit == b->unit && a->scal == b->scal;
}

/* The gradient kernel of a program, chosen when it is planned: its
 * shape's own, else the generic one, which needs n doubles of scratch. */
static void choose_kernel(FuseProg *p) {
  const bool normal = p->kind == FUSE_NORMAL;
  if (!(normal && p->scale_each))
    for (size_t i = 0; i < sizeof kernels / sizeof *kernels; i++) {
      const FuseKernel k = normal ? kernels[i].normal : kernels[i].bernoulli;
      if (k && same_shape(&p->shape, &kernels[i].shape)) {
        p->grad = k;
        p->scratch = 0;
        return;
      }
    }
  p->grad = normal ? normal_any : bernoulli_any;
  p->shape.dbuf = true;
  p->scratch = p->n;
}

size_t tape_fuse_scratch(const TapeFusion *f, int32_t prog) {
  ASSERT(f && prog >= 0 && (size_t)prog < f->nprogs);
  return f->progs[prog].scratch;
}

double tape_fuse_value(const TapeFusion *f, int32_t prog,
                       const double *const *v) {
  ASSERT(f && prog >= 0 && (size_t)prog < f->nprogs);
  const FuseProg *p = &f->progs[prog];
  switch (p->kind) {
  case FUSE_NORMAL:
    return p->scale_each
               ? normal_vector(f, p, v, NULL, 1.0, NULL, false, p->shape)
               : normal_scalar(f, p, v, NULL, 1.0, NULL, false, p->shape);
  case FUSE_BERNOULLI_LOGIT:
    return bernoulli_logit(f, p, v, NULL, 1.0, NULL, false, p->shape);
  }
  PANIC("tape_fuse_value: unknown program kind");
}

double tape_fuse_grad(const TapeFusion *f, int32_t prog, const double *const *v,
                      double *const *a, double adj, double *scratch) {
  ASSERT(f && prog >= 0 && (size_t)prog < f->nprogs);
  const FuseProg *p = &f->progs[prog];
  return p->grad(f, p, v, a, adj, scratch);
}
