/*
 * adam.c — the Adam optimiser (the update is written out in adam.h).
 * Reference: Kingma & Ba (2015), Adam: A Method for Stochastic
 * Optimization, Algorithm 1, in the "efficient" ordering of its section 2
 * that PyTorch uses.
 */
#include <config.h>
#include "nn/adam.h"

#include <math.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common.h"

void nn_adam_init(NnAdam *a, size_t n, double lr, double beta1,
                  double beta2) {
  a->n = n;
  a->lr = lr;
  a->beta1 = beta1;
  a->beta2 = beta2;
  a->eps = NN_ADAM_EPS;
  a->t = 0;
  a->m = calloc(n ? n : 1, sizeof *a->m);
  a->v = calloc(n ? n : 1, sizeof *a->v);
  if (!a->m || !a->v)
    PANIC("adam: out of memory");
}

void nn_adam_clear(NnAdam *a) {
  free(a->m);
  free(a->v);
  a->m = a->v = NULL;
}

/* One parameter's update (the scalar form of the loop below). */
static inline void update1(double *th, double *m, double *v, double g,
                           const double k[6]) {
  *m = k[0] * *m + k[1] * g;
  *v = k[2] * *v + k[3] * g * g;
  *th -= k[4] * *m / (sqrt(*v) * k[5] + NN_ADAM_EPS);
}

void nn_adam_step(NnAdam *a, double *theta, const double *grad) {
  a->t++;
  const double b1 = a->beta1, b2 = a->beta2;
  const double c1 = 1.0 - pow(b1, (double)a->t);
  const double c2 = sqrt(1.0 - pow(b2, (double)a->t));
  /* b1, 1 - b1, b2, 1 - b2, lr / c1, 1 / c2 */
  const double k[6] = {b1, 1.0 - b1, b2, 1.0 - b2, a->lr / c1, 1.0 / c2};
  double *m = a->m, *v = a->v;
  size_t i = 0;
#ifdef __SSE2__
  /* Two parameters per instruction: the square root and the division
   * dominate, and -O2 does not vectorise a loop of unknown length. The
   * same operations in the same order as update1, so the result is the
   * same bit for bit. */
  const __m128d kb1 = _mm_set1_pd(k[0]), kc1 = _mm_set1_pd(k[1]);
  const __m128d kb2 = _mm_set1_pd(k[2]), kc2 = _mm_set1_pd(k[3]);
  const __m128d ks = _mm_set1_pd(k[4]), kv = _mm_set1_pd(k[5]);
  const __m128d ke = _mm_set1_pd(NN_ADAM_EPS);
  for (; i + 2 <= a->n; i += 2) {
    const __m128d g = _mm_loadu_pd(grad + i);
    const __m128d mi = _mm_add_pd(_mm_mul_pd(kb1, _mm_loadu_pd(m + i)),
                                  _mm_mul_pd(kc1, g));
    const __m128d vi =
        _mm_add_pd(_mm_mul_pd(kb2, _mm_loadu_pd(v + i)),
                   _mm_mul_pd(_mm_mul_pd(kc2, g), g));
    const __m128d den = _mm_add_pd(_mm_mul_pd(_mm_sqrt_pd(vi), kv), ke);
    const __m128d d = _mm_div_pd(_mm_mul_pd(ks, mi), den);
    _mm_storeu_pd(m + i, mi);
    _mm_storeu_pd(v + i, vi);
    _mm_storeu_pd(theta + i, _mm_sub_pd(_mm_loadu_pd(theta + i), d));
  }
#endif
  for (; i < a->n; i++)
    update1(theta + i, m + i, v + i, grad[i], k);
}
