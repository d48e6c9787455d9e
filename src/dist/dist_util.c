/*
 * dist_util.c — the broadcasting rule shared by the univariate families.
 *
 * Univariate lpdf and random calls work elementwise over inputs that each
 * have length 1 or a common length n (dist.h); dist_broadcast_len finds n.
 */
#include <config.h>
#include "dist_util.h"

/*
 * The common length of in[0 .. k): the largest length when every input has
 * length 1 or that length; 0 when some input is empty or two inputs have
 * different lengths other than 1 (the caller then reports a shape error, or
 * an lpdf returns dist_lpdf_empty()).
 */
size_t dist_broadcast_len(const DistTensor *in, int k) {
  size_t n = 1;
  for (int j = 0; j < k; j++) {
    const size_t len = in[j].len;
    if (len == 0)
      return 0;
    if (len == 1)
      continue;
    if (n != 1 && n != len)
      return 0;
    n = len;
  }
  return n;
}
