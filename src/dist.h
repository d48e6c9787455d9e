/*
 * dist.h — probability distributions: each family's log density with
 * analytic partial derivatives, random generation, and support.
 *
 * A family is one const DistFamily object in its own file under src/dist/
 * (dist_normal in dist/normal.c, ...); dist.c lists them all for lookup by
 * name. Parameters are the canonical ones, named as in PyMC (Normal: mu,
 * sigma; Gamma: alpha, beta with beta a RATE). Alternative forms (Gamma
 * with mu/sigma, Bernoulli with logit_p) are converted to the canonical
 * parameters by the model layer, on the graph, so gradients flow through
 * the conversion.
 *
 * Univariate families work elementwise: for n = the largest input length,
 * every input (x and each parameter) has length 1 (broadcast) or n. The log
 * density of the whole call is the sum over the n elements. Multivariate
 * families (Dirichlet, MvNormal, Multinomial, Categorical, LKJCorrCholesky)
 * document their own shapes and check them in `check`.
 *
 * Numerics: log densities return -INFINITY (never NaN) outside the support
 * or for invalid parameters (a scale <= 0, a probability outside [0, 1]);
 * special functions come from GSL. Partials are analytic.
 */
#ifndef PPL_DIST_H
#define PPL_DIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Rng Rng;

enum { DIST_MAX_PARAMS = 4, DIST_ERR_LEN = 200 };

/* A read-only tensor argument: data, total length and shape (ndim 0 scalar,
 * 1 vector of rows elements, 2 rows x cols row-major). */
typedef struct DistTensor {
  const double *data;
  size_t len;
  int ndim;
  size_t rows, cols;
} DistTensor;

/* Where a family's values live; the model layer picks the unconstraining
 * transform from it (transform.h). Bounds come from parameters (Uniform's
 * lower/upper: lower_param/upper_param are their indices) or constants. */
typedef enum {
  SUPPORT_REAL,      /* (-inf, inf) */
  SUPPORT_POSITIVE,  /* (0, inf), or (lower, inf) */
  SUPPORT_UNIT,      /* (0, 1) */
  SUPPORT_INTERVAL,  /* (lower, upper) */
  SUPPORT_CIRCULAR,  /* [-pi, pi) */
  SUPPORT_SIMPLEX,   /* vectors of positive entries summing to 1 */
  SUPPORT_CHOL_CORR, /* Cholesky factors of correlation matrices */
  SUPPORT_CHOL_COV,  /* Cholesky factors of covariance matrices */
  SUPPORT_INTEGER,   /* all integers */
  SUPPORT_NATURAL,   /* 0, 1, 2, ... (or lower..upper) */
  SUPPORT_BINARY,    /* 0 or 1 */
  SUPPORT_CATEGORY,  /* 0 .. K-1 */
} SupportKind;

typedef struct DistSupport {
  SupportKind kind;
  int lower_param; /* index of the parameter giving the lower bound, or -1 */
  int upper_param; /* likewise for the upper bound */
  double lower;    /* constant bounds when the *_param is -1 */
  double upper;
} DistSupport;

typedef struct DistFamily {
  const char *name;            /* "Normal" */
  int nparams;
  const char *const *params;   /* canonical names, nparams of them */
  const double *defaults;      /* per parameter; NAN means required */
  DistSupport support;
  bool discrete;
  bool multivariate;

  /* Sum of log densities. in[0] is x, in[1 .. nparams] the parameters.
   * When grad is non-NULL, for each k with grad[k] non-NULL, adds
   * adj * d(sum)/d(in[k][i]) into grad[k][i] for every element i of in[k]
   * (a broadcast length-1 input receives the sum over the elements).
   * Returns -INFINITY (grads untouched) outside the support or for invalid
   * parameters. */
  double (*lpdf)(const DistTensor *in, double adj, double *const *grad);

  /* Fills out with draws given the parameters (params[0 .. nparams)); n
   * draws for a univariate family (parameters broadcast); for a
   * multivariate one, as many events as out_len / event length. Returns
   * false when a parameter is invalid. */
  bool (*random)(Rng *rng, const DistTensor *params, double *out,
                 size_t out_len);

  /* Multivariate families: checks the parameter shapes and gives the
   * shape of one value (event). NULL for univariate families. */
  bool (*check)(const DistTensor *params, int *ndim, size_t *rows,
                size_t *cols, char *err);
} DistFamily;

/* The family called name ("Normal"), or NULL. */
const DistFamily *dist_lookup(const char *name);

/* Every family, NULL-terminated (for the REPL's completion and :help). */
const DistFamily *const *dist_all(void);

/* Helpers for univariate families: the largest length among n inputs (0
 * when one is empty), and whether every input has length 1 or that length. */
size_t dist_broadcast_len(const DistTensor *in, int n);

/* The families. */
extern const DistFamily dist_normal, dist_halfnormal, dist_truncatednormal,
    dist_uniform, dist_flat, dist_halfflat, dist_beta, dist_gamma,
    dist_inversegamma, dist_exponential, dist_studentt, dist_halfstudentt,
    dist_cauchy, dist_halfcauchy, dist_lognormal, dist_laplace,
    dist_logistic, dist_weibull, dist_chisquared, dist_vonmises,
    dist_bernoulli, dist_binomial, dist_betabinomial, dist_poisson,
    dist_negativebinomial, dist_geometric, dist_discreteuniform,
    dist_categorical, dist_dirichlet, dist_multinomial, dist_mvnormal,
    dist_lkjcorrcholesky;

#endif
