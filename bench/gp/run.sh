#!/bin/sh
# bench/gp/run.sh — GP regression, ppl against scikit-learn: the time of
# fitting the hyperparameters and predicting mean and sd at 1000 new
# points, on the same data, in one run. Prints a markdown table (see the
# "Gaussian processes" section of doc/benchmarks.md).
#
#   usage: bench/gp/run.sh PPL_BINARY
#
# For each size n (GP_SIZES, default "500 2000 5000") and input dimension
# d (GP_DIMS, default "1 5"): gp_data.py writes the data; gp_bench.ppl and
# gp_bench.py each fit 1 * ExpQuad(ls=1) + White(sigma=1) (scikit-learn:
# ConstantKernel(1) * RBF(1) + WhiteKernel(1)) from that start, with no
# restarts, and print their time (fit + predict, not reading files), the
# log marginal likelihood reached and the number of likelihood
# evaluations (ppl: values, each factorising K, some also with the
# gradient; scikit-learn: value-and-gradient calls). Sizes up to 2000 are timed RUNS times (default 3) and the
# median run is reported; larger ones once (scikit-learn needs minutes).
#
# Environment: PYTHON names a python3 with scikit-learn (default
# /usr/bin/python3, Debian's, where `apt-get install python3-sklearn`
# puts it). Both sides use the same OpenBLAS (numpy through Debian's
# libblas.so.3 alternative, ppl by dlopen); OPENBLAS_NUM_THREADS applies to
# both. POSIX sh.

set -eu

if [ $# -ne 1 ]; then
  echo "usage: bench/gp/run.sh PPL_BINARY" >&2
  exit 64
fi
PPL=$1
PYTHON=${PYTHON:-/usr/bin/python3}
SIZES=${GP_SIZES:-"500 2000 5000"}
DIMS=${GP_DIMS:-"1 5"}
RUNS=${RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppl-gp-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! "$PYTHON" -c 'import sklearn' 2>/dev/null; then
  echo "bench/gp/run.sh: $PYTHON has no scikit-learn (apt-get install python3-sklearn)" >&2
  exit 1
fi

# The median (by the time in field 3) of k runs of a command.
median_run() {
  k=$1
  shift
  i=0
  : >"$tmp/runs"
  while [ "$i" -lt "$k" ]; do
    "$@" >>"$tmp/runs"
    i=$((i + 1))
  done
  sort -g -k3 "$tmp/runs" | sed -n "$(((k + 1) / 2))p"
}

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
echo "scikit-learn $("$PYTHON" -c 'import sklearn, numpy; print(sklearn.__version__, "with numpy", numpy.__version__)'), $(nproc) cores, load average at start: $(load)"
echo
echo "| n | d | ppl (s) | scikit-learn (s) | speed-up | ppl lml | ppl - scikit-learn lml | evaluations ppl / scikit-learn |"
echo "|--:|--:|--:|--:|--:|--:|--:|--:|"
for n in $SIZES; do
  for d in $DIMS; do
    "$PYTHON" "$here/gp_data.py" "$tmp" "$n" "$d"
    k=$RUNS
    [ "$n" -gt 2000 ] && k=1
    p=$(median_run "$k" "$PPL" "$here/gp_bench.ppl" "$tmp" "$n" "$d")
    s=$(median_run "$k" "$PYTHON" "$here/gp_bench.py" "$tmp" "$n" "$d")
    echo "$p $s" | awk '{ printf "| %d | %d | %.2f | %.2f | %.1fx | %.3f | %+.1e | %d / %d |\n",
      $1, $2, $3, $8, $8 / $3, $4, $4 - $9, $5, $10 }'
  done
done
echo
echo "load average at the end: $(load)"
