/*
 * diag.c — convergence diagnostics of MCMC draws (see diag.h).
 *
 * Follows R's posterior package (version 1.4: rhat, ess_bulk, ess_tail,
 * ess_mean, mcse_mean, mcse_sd) step by step, so that the numbers agree
 * with it to rounding; tests/unit/test_diag.c checks them against values
 * posterior computed (tests/tools/diag_reference.R). The steps:
 *
 *   split      each chain of n draws becomes two of h = floor(n/2): its
 *              first h and its last h draws (an odd n drops the middle one)
 *   z-scale    average ranks r over all split draws, then
 *              z = Phi^-1((r - 3/8) / (S - 3/4 + 1)) (Blom 1958)
 *   R-hat      sqrt((B/W + h - 1) / h), B = h * var(chain means),
 *              W = mean(chain variances) (Gelman et al., BDA3 eq. 11.4)
 *   ESS        S / tau, tau = -1 + 2 sum rho_t over Geyer's (1992) initial
 *              monotone sequence of paired autocorrelations, with rho_t
 *              from the mean autocovariance of the chains (FFT) and the
 *              pooled variance estimate (Vehtari et al. 2021, sec. 3.2);
 *              tau is kept >= 1 / log10(S) as posterior does
 *
 * The autocovariance of a chain is one real FFT of the centred chain,
 * zero-padded to a power of two >= 2n so the circular correlation is the
 * linear one: O(n log n), where the direct sum is O(n^2).
 *
 * Working memory is a DiagWork: one malloc'd block sized for n draws x m
 * chains, holding the split draws, sort buffers, FFT buffer and the normal
 * scores of untied ranks (computed once per block). The plain functions
 * make one per call; summaries of many quantities reuse one, which saves
 * the allocator mapping and unmapping a few hundred kilobytes per call.
 * Thread-safe: no GC memory and no globals (the progress bar computes
 * R-hat from the sampler's watcher thread); one DiagWork per thread. Out
 * of memory gives NAN.
 *
 * References: Vehtari, Gelman, Simpson, Carpenter & Buerkner (2021),
 * "Rank-normalization, folding, and localization: an improved R-hat for
 * assessing convergence of MCMC", Bayesian Analysis 16(2);
 * Geyer (1992), "Practical Markov chain Monte Carlo", Statistical Science 7.
 */
#include <config.h>
#include "diag.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>

/* Blom's (1958) offset in the back-transform of ranks to normal scores,
 * the value posterior and ArviZ use. */
#define BLOM_C (3.0 / 8.0)
/* Draws per chain below which nothing is estimated (ArviZ's min_draws). */
enum { DIAG_MIN_DRAWS = 4 };
/* Tail ESS looks at the indicators of these quantiles (Vehtari et al.
 * 2021, sec. 4.3). */
#define TAIL_LOW 0.05
#define TAIL_HIGH 0.95

typedef struct Ranked {
  double x;
  size_t i; /* where x came from */
} Ranked;

struct DiagWork {
  size_t n, m;       /* draws per chain, chains */
  size_t h;          /* draws per split chain, n / 2 */
  size_t total;      /* n m */
  size_t split;      /* 2 m h: the split draws */
  double *y;         /* total: split draws, indicators */
  double *aux;       /* total: folded or squared draws */
  double *z;         /* total: normal scores */
  double *sorted;    /* total: the draws sorted */
  double *dtmp;      /* total */
  double *untied;    /* split: normal scores of the ranks 1..split */
  Ranked *ranked;    /* split */
  Ranked *rtmp;      /* split */
  double *acov, *rho, *one; /* h each */
  double *fft;       /* fft_len >= 2h, a power of two */
  size_t fft_len;
  double *chain_mean; /* 2m */
};

/* ---- small numerics ----------------------------------------------------- */

/* Whether every value is finite and they are not all equal (posterior's
 * should_return_NA, inverted: its constant test is max - min < eps). */
static bool usable(const double *x, size_t len) {
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < len; i++) {
    if (!isfinite(x[i]))
      return false;
    if (x[i] < lo)
      lo = x[i];
    if (x[i] > hi)
      hi = x[i];
  }
  return len > 0 && !(fabs(hi - lo) < DBL_EPSILON);
}

static bool has_nan(const double *x, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (isnan(x[i]))
      return true;
  return false;
}

static bool too_short(size_t n, size_t m) {
  return n < DIAG_MIN_DRAWS || m == 0;
}

static double mean_of(const double *x, size_t len) {
  double s = 0.0;
  for (size_t i = 0; i < len; i++)
    s += x[i];
  return s / (double)len;
}

/* Sample variance (divisor len - 1), two-pass. */
static double var_of(const double *x, size_t len, double mean) {
  double s = 0.0;
  for (size_t i = 0; i < len; i++)
    s += (x[i] - mean) * (x[i] - mean);
  return s / (double)(len - 1);
}

static size_t pow2_at_least(size_t k) {
  size_t p = 1;
  while (p < k)
    p *= 2;
  return p;
}

/* ---- sorting ------------------------------------------------------------ */

/* x (no NaN) sorted into out, tmp as scratch (len each): bottom-up merge
 * sort. Hand-written: sorts run several times per summary row, and
 * glibc's qsort, calling its comparator per step, took most of the time. */
static void sort_into(const double *x, size_t len, double *out,
                      double *tmp) {
  double *a = out, *b = tmp;
  memcpy(a, x, len * sizeof *a);
  for (size_t w = 1; w < len; w *= 2) {
    for (size_t lo = 0; lo < len; lo += 2 * w) {
      size_t mid = lo + w < len ? lo + w : len;
      size_t hi = lo + 2 * w < len ? lo + 2 * w : len;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        b[k++] = a[j] < a[i] ? a[j++] : a[i++];
      while (i < mid)
        b[k++] = a[i++];
      while (j < hi)
        b[k++] = a[j++];
    }
    double *t = a;
    a = b;
    b = t;
  }
  if (a != out)
    memcpy(out, a, len * sizeof *out);
}

/* The same for values with their origins, by value (stable). */
static void sort_ranked(Ranked *r, Ranked *tmp, size_t len) {
  Ranked *a = r, *b = tmp;
  for (size_t w = 1; w < len; w *= 2) {
    for (size_t lo = 0; lo < len; lo += 2 * w) {
      size_t mid = lo + w < len ? lo + w : len;
      size_t hi = lo + 2 * w < len ? lo + 2 * w : len;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        b[k++] = a[j].x < a[i].x ? a[j++] : a[i++];
      while (i < mid)
        b[k++] = a[i++];
      while (j < hi)
        b[k++] = a[j++];
    }
    Ranked *t = a;
    a = b;
    b = t;
  }
  if (a != r)
    memcpy(r, a, len * sizeof *r);
}

/* Type-7 quantile of sorted s, computed as R's quantile() does (so the
 * tail indicators agree with posterior's to the last bit): at the 1-based
 * position 1 + (len - 1) q, (1 - h) x[lo] + h x[lo + 1]. */
static double quantile_sorted(const double *s, size_t len, double q) {
  double index = 1.0 + (double)(len - 1) * q;
  size_t lo = (size_t)floor(index); /* 1-based */
  double h = index - (double)lo;
  if (lo >= len || h == 0.0 || s[lo] == s[lo - 1])
    return s[lo - 1];
  return (1.0 - h) * s[lo - 1] + h * s[lo];
}

static double median_sorted(const double *s, size_t len) {
  return len % 2 ? s[len / 2] : (s[len / 2 - 1] + s[len / 2]) / 2.0;
}

/* ArviZ's _hdi on sorted s: among [s[i], s[i + k]], k = floor(prob len),
 * the first of the narrowest. */
static void hdi_sorted(const double *s, size_t len, double prob, double *lo,
                       double *hi) {
  size_t k = (size_t)floor(prob * (double)len);
  size_t best = 0;
  double width = s[k] - s[0];
  for (size_t i = 1; i + k < len; i++)
    if (s[i + k] - s[i] < width) {
      width = s[i + k] - s[i];
      best = i;
    }
  *lo = s[best];
  *hi = s[best + k];
}

/* ---- the workspace ------------------------------------------------------ */

DiagWork *diag_work_alloc(size_t n, size_t m) {
  const size_t h = n / 2, total = n * m, split = 2 * m * h;
  const size_t fft_len = pow2_at_least(2 * h > 0 ? 2 * h : 1);
  const size_t ndoubles =
      5 * total + split + 3 * (h + 1) + fft_len + 2 * m + 1;
  const size_t bytes = sizeof(DiagWork) + 2 * (split + 1) * sizeof(Ranked) +
                       ndoubles * sizeof(double);
  DiagWork *w = malloc(bytes);
  if (!w)
    return NULL;
  *w = (DiagWork){.n = n, .m = m, .h = h, .total = total, .split = split,
                  .fft_len = fft_len};
  /* Ranked first: its alignment is at least a double's */
  w->ranked = (Ranked *)(w + 1);
  w->rtmp = w->ranked + split + 1;
  double *p = (double *)(w->rtmp + split + 1);
  w->y = p, p += total;
  w->aux = p, p += total;
  w->z = p, p += total;
  w->sorted = p, p += total;
  w->dtmp = p, p += total;
  w->untied = p, p += split;
  w->acov = p, p += h + 1;
  w->rho = p, p += h + 1;
  w->one = p, p += h + 1;
  w->fft = p, p += fft_len;
  w->chain_mean = p;
  const double denom = (double)split - 2.0 * BLOM_C + 1.0;
  for (size_t k = 0; k < split; k++)
    w->untied[k] = gsl_cdf_ugaussian_Pinv(((double)(k + 1) - BLOM_C) / denom);
  return w;
}

void diag_work_free(DiagWork *w) { free(w); }

/* posterior's .split_chains of x into w->y: each chain's first h and last
 * h draws (an odd n drops the middle one). */
static void split_chains(DiagWork *w, const double *x) {
  const size_t n = w->n, h = w->h;
  for (size_t c = 0; c < w->m; c++) {
    memcpy(w->y + 2 * c * h, x + c * n, h * sizeof *w->y);
    memcpy(w->y + (2 * c + 1) * h, x + c * n + (n - h), h * sizeof *w->y);
  }
}

/* ---- ranks -------------------------------------------------------------- */

/* posterior's z_scale given the split values sorted (sorted[k].i says
 * where each came from): w->z[i] is the normal score of the average rank
 * of value i, ties sharing their average rank. */
static void scores_from_sorted(DiagWork *w, const Ranked *sorted) {
  const size_t len = w->split;
  const double denom = (double)len - 2.0 * BLOM_C + 1.0;
  for (size_t i = 0; i < len;) {
    size_t j = i;
    while (j + 1 < len && sorted[j + 1].x == sorted[i].x)
      j++;
    double z = w->untied[i];
    if (j > i) {
      double rank = (double)(i + 1 + j + 1) / 2.0;
      z = gsl_cdf_ugaussian_Pinv((rank - BLOM_C) / denom);
    }
    for (size_t k = i; k <= j; k++)
      w->z[sorted[k].i] = z;
    i = j + 1;
  }
}

/* Sorts the split draws w->y into w->ranked and scores them into w->z. */
static void rank_split(DiagWork *w) {
  for (size_t i = 0; i < w->split; i++)
    w->ranked[i] = (Ranked){w->y[i], i};
  sort_ranked(w->ranked, w->rtmp, w->split);
  scores_from_sorted(w, w->ranked);
}

/*
 * The folded values |y - med| in ascending order into out, from y sorted:
 * those at or below med, read backwards, and those above, read forwards,
 * are each ascending (subtraction rounds monotonically), so one merge
 * sorts them.
 */
static void fold_sorted(const Ranked *sorted, size_t len, double med,
                        Ranked *out) {
  size_t p = 0;
  while (p < len && sorted[p].x <= med)
    p++;
  size_t lo = p, hi = p, k = 0; /* lo counts down over [0, p) */
  while (lo > 0 || hi < len) {
    double a = lo > 0 ? fabs(sorted[lo - 1].x - med) : INFINITY;
    double b = hi < len ? fabs(sorted[hi].x - med) : INFINITY;
    if (hi >= len || (lo > 0 && a <= b)) {
      out[k++] = (Ranked){a, sorted[lo - 1].i};
      lo--;
    } else {
      out[k++] = (Ranked){b, sorted[hi].i};
      hi++;
    }
  }
}

/* ---- R-hat and ESS of split chains -------------------------------------- */

/* posterior's .rhat: basic R-hat of m chains of n draws (y chain-major). */
static double rhat_basic(DiagWork *w, const double *y, size_t n, size_t m) {
  if (n < 2 || m < 2 || !usable(y, n * m))
    return NAN;
  double *mean = w->chain_mean;
  double within = 0.0;
  for (size_t c = 0; c < m; c++) {
    mean[c] = mean_of(y + c * n, n);
    within += var_of(y + c * n, n, mean[c]);
  }
  within /= (double)m;
  double between = (double)n * var_of(mean, m, mean_of(mean, m));
  return sqrt((between / within + (double)n - 1.0) / (double)n);
}

/* Autocovariance of one chain at lags 0..n-1 into w->one, divisor n
 * (posterior's autocovariance: normalised so lag 0 is var(x) (n - 1) / n).
 * A constant chain gives zeros. */
static void autocovariance(DiagWork *w, const double *x, size_t n) {
  double *work = w->fft, *acov = w->one;
  const size_t len = w->fft_len;
  double mean = mean_of(x, n);
  double var = var_of(x, n, mean);
  if (var == 0.0) {
    memset(acov, 0, n * sizeof *acov);
    return;
  }
  for (size_t i = 0; i < n; i++)
    work[i] = x[i] - mean;
  memset(work + n, 0, (len - n) * sizeof *work);
  gsl_fft_real_radix2_transform(work, 1, len);
  /* |X_k|^2 in GSL's half-complex layout: Re_k at k, Im_k at len - k. */
  work[0] *= work[0];
  work[len / 2] *= work[len / 2];
  for (size_t k = 1; k < len / 2; k++) {
    double re = work[k], im = work[len - k];
    work[k] = re * re + im * im;
    work[len - k] = 0.0;
  }
  gsl_fft_halfcomplex_radix2_inverse(work, 1, len);
  for (size_t k = 0; k < n; k++)
    acov[k] = work[k] / work[0] * var * (double)(n - 1) / (double)n;
}

/*
 * tau = -1 + 2 sum rho over Geyer's initial positive sequence, made
 * monotone, from the autocovariances (posterior's .ess loop, 0-based:
 * pairs (rho[t], rho[t+1]) for even t).
 */
static double geyer_tau(const double *acov, size_t n, double mean_var,
                        double var_plus, double *rho) {
  const long len = (long)n;
  memset(rho, 0, n * sizeof *rho);
  double even = 1.0;
  double odd = 1.0 - (mean_var - acov[1]) / var_plus;
  rho[0] = even;
  rho[1] = odd;
  long t = 0;
  while (t < len - 5 && !isnan(even + odd) && even + odd > 0.0) {
    t += 2;
    even = 1.0 - (mean_var - acov[t]) / var_plus;
    odd = 1.0 - (mean_var - acov[t + 1]) / var_plus;
    if (even + odd >= 0.0) {
      rho[t] = even;
      rho[t + 1] = odd;
    }
  }
  const long max_t = t;
  if (even > 0.0)
    rho[max_t] = even;
  for (t = 2; t <= max_t - 2; t += 2)
    if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
      rho[t] = (rho[t - 2] + rho[t - 1]) / 2.0;
      rho[t + 1] = rho[t];
    }
  /* R's sum(rho[1:max_t]) takes rho[1] alone when max_t is 0 */
  double sum = max_t == 0 ? rho[0] : 0.0;
  for (long k = 0; k < max_t; k++)
    sum += rho[k];
  return -1.0 + 2.0 * sum + rho[max_t];
}

/* posterior's .ess: effective sample size of the split chains y (2m
 * chains of h draws). */
static double ess_basic(DiagWork *w, const double *y) {
  const size_t n = w->h, m = 2 * w->m;
  if (n < 3 || !usable(y, n * m))
    return NAN;
  double *acov = w->acov, *chain_mean = w->chain_mean;
  memset(acov, 0, n * sizeof *acov);
  for (size_t c = 0; c < m; c++) {
    autocovariance(w, y + c * n, n);
    for (size_t k = 0; k < n; k++)
      acov[k] += w->one[k];
    chain_mean[c] = mean_of(y + c * n, n);
  }
  for (size_t k = 0; k < n; k++)
    acov[k] /= (double)m;
  const double mean_var = acov[0] * (double)n / (double)(n - 1);
  double var_plus = mean_var * (double)(n - 1) / (double)n;
  if (m > 1)
    var_plus += var_of(chain_mean, m, mean_of(chain_mean, m));
  double tau = geyer_tau(acov, n, mean_var, var_plus, w->rho);
  const double total = (double)(n * m);
  const double tau_bound = 1.0 / log10(total);
  if (tau < tau_bound)
    tau = tau_bound;
  return total / tau;
}

/* ---- the diagnostics, on a workspace (x usable, n >= 4) ----------------- */

/* Bulk R-hat from the ranks of the split draws (rank_split done), then
 * the tail R-hat from the ranks of the folded split draws: one sort for
 * both. */
static double rhat_ranked(DiagWork *w, const double *x) {
  const size_t h = w->h, m2 = 2 * w->m, len = w->split;
  double bulk = rhat_basic(w, w->z, h, m2);
  /* posterior folds about the median of all draws; the split draws are
   * all of them when n is even */
  double med;
  if (w->n % 2) {
    sort_into(x, w->total, w->sorted, w->dtmp);
    med = median_sorted(w->sorted, w->total);
  } else {
    med = (w->ranked[len / 2 - 1].x + w->ranked[len / 2].x) / 2.0;
  }
  fold_sorted(w->ranked, len, med, w->rtmp);
  scores_from_sorted(w, w->rtmp);
  double tail = rhat_basic(w, w->z, h, m2);
  if (isnan(bulk) || isnan(tail))
    return NAN;
  return bulk > tail ? bulk : tail;
}

static double rhat_of(DiagWork *w, const double *x) {
  split_chains(w, x);
  rank_split(w);
  return rhat_ranked(w, x);
}

static double ess_bulk_of(DiagWork *w, const double *x) {
  split_chains(w, x);
  rank_split(w);
  return ess_basic(w, w->z);
}

static double ess_mean_of(DiagWork *w, const double *x) {
  split_chains(w, x);
  return ess_basic(w, w->y);
}

/* ESS of the split indicator chains x <= xq. */
static double ess_indicator(DiagWork *w, const double *x, double xq) {
  split_chains(w, x);
  for (size_t i = 0; i < w->split; i++)
    w->y[i] = w->y[i] <= xq ? 1.0 : 0.0;
  return ess_basic(w, w->y);
}

/* From the draws and the same draws sorted. */
static double ess_tail_of(DiagWork *w, const double *x, const double *s) {
  double low = ess_indicator(w, x, quantile_sorted(s, w->total, TAIL_LOW));
  double high = ess_indicator(w, x, quantile_sorted(s, w->total, TAIL_HIGH));
  if (isnan(low) || isnan(high))
    return NAN;
  return low < high ? low : high;
}

/* sd over all draws (divisor S - 1) / sqrt(ess_mean). */
static double mcse_mean_of(DiagWork *w, const double *x) {
  double sd = sqrt(var_of(x, w->total, mean_of(x, w->total)));
  return sd / sqrt(ess_mean_of(w, x));
}

/*
 * posterior's mcse_sd: with c = x - mean(x), the variance of the variance
 * estimate (Kenney & Keeping 1951, p. 141) over the ESS of c^2,
 *   varvar = (mean(c^4) - mean(c^2)^2) / ess_mean(c^2),
 * and the delta method for the square root: mcse_sd = sqrt(varvar /
 * mean(c^2) / 4).
 */
static double mcse_sd_of(DiagWork *w, const double *x) {
  const size_t len = w->total;
  double *c2 = w->aux;
  double mean = mean_of(x, len);
  for (size_t i = 0; i < len; i++)
    c2[i] = (x[i] - mean) * (x[i] - mean);
  double ess = ess_mean_of(w, c2);
  double evar = mean_of(c2, len);
  double m4 = 0.0;
  for (size_t i = 0; i < len; i++)
    m4 += c2[i] * c2[i];
  m4 /= (double)len;
  double varvar = (m4 - evar * evar) / ess;
  return sqrt(varvar / evar / 4.0);
}

/* ---- the API ------------------------------------------------------------ */

/* Runs f on a workspace of its own when x can be diagnosed, else NAN. */
static double with_work(const double *x, size_t n, size_t m,
                        double (*f)(DiagWork *, const double *)) {
  if (too_short(n, m) || !usable(x, n * m))
    return NAN;
  DiagWork *w = diag_work_alloc(n, m);
  if (!w)
    return NAN;
  double r = f(w, x);
  diag_work_free(w);
  return r;
}

double diag_rhat(const double *x, size_t n, size_t m) {
  return with_work(x, n, m, rhat_of);
}

double diag_rhat_w(DiagWork *w, const double *x) {
  if (too_short(w->n, w->m) || !usable(x, w->total))
    return NAN;
  return rhat_of(w, x);
}

double diag_ess_bulk(const double *x, size_t n, size_t m) {
  return with_work(x, n, m, ess_bulk_of);
}

static double ess_tail_unsorted(DiagWork *w, const double *x) {
  sort_into(x, w->total, w->sorted, w->dtmp);
  return ess_tail_of(w, x, w->sorted);
}

double diag_ess_tail(const double *x, size_t n, size_t m) {
  return with_work(x, n, m, ess_tail_unsorted);
}

double diag_ess_mean(const double *x, size_t n, size_t m) {
  return with_work(x, n, m, ess_mean_of);
}

double diag_mcse_mean(const double *x, size_t n, size_t m) {
  return with_work(x, n, m, mcse_mean_of);
}

double diag_mcse_sd(const double *x, size_t n, size_t m) {
  return with_work(x, n, m, mcse_sd_of);
}

void diag_summarise(DiagWork *w, const double *x, double hdi_prob,
                    DiagSummary *out) {
  const size_t len = w->total;
  double mean = len ? mean_of(x, len) : NAN;
  out->mean = mean;
  out->sd = len > 1 ? sqrt(var_of(x, len, mean)) : NAN;
  out->hdi_low = out->hdi_high = NAN;
  out->mcse_mean = out->mcse_sd = NAN;
  out->ess_bulk = out->ess_tail = out->ess_mean = out->rhat = NAN;
  if (len == 0 || has_nan(x, len))
    return;
  sort_into(x, len, w->sorted, w->dtmp);
  if (hdi_prob > 0.0 && hdi_prob < 1.0)
    hdi_sorted(w->sorted, len, hdi_prob, &out->hdi_low, &out->hdi_high);
  if (too_short(w->n, w->m) || !usable(x, len))
    return;
  out->ess_tail = ess_tail_of(w, x, w->sorted); /* before w->sorted moves */
  out->ess_mean = ess_mean_of(w, x);
  out->mcse_mean = sqrt(var_of(x, len, mean)) / sqrt(out->ess_mean);
  out->mcse_sd = mcse_sd_of(w, x);
  split_chains(w, x); /* one ranking for ess_bulk and r_hat */
  rank_split(w);
  out->ess_bulk = ess_basic(w, w->z);
  out->rhat = rhat_ranked(w, x);
}

void diag_hdi(const double *x, size_t len, double prob, double *lo,
              double *hi) {
  *lo = *hi = NAN;
  if (len == 0 || !(prob > 0.0 && prob < 1.0) || has_nan(x, len))
    return;
  double *s = malloc(2 * len * sizeof *s);
  if (!s)
    return;
  sort_into(x, len, s, s + len);
  hdi_sorted(s, len, prob, lo, hi);
  free(s);
}

double diag_quantile(const double *x, size_t len, double q) {
  if (len == 0 || !(q >= 0.0 && q <= 1.0) || has_nan(x, len))
    return NAN;
  double *s = malloc(2 * len * sizeof *s);
  if (!s)
    return NAN;
  sort_into(x, len, s, s + len);
  double v = quantile_sorted(s, len, q);
  free(s);
  return v;
}
