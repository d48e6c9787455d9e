#!/bin/sh
# bench/nn/run.sh — neural-network training, ppl against PyTorch on the
# CPU: training steps per second of the ring GAN (a step is one
# discriminator and one generator update) and of the digits VAE (a step is
# one minibatch), with the same architectures, batch size (64), losses and
# optimiser (Adam) on both sides. Prints a markdown table (the "Neural
# networks" section of doc/benchmarks.md).
#
#   usage: bench/nn/run.sh PPL_BINARY [digits.csv]
#
# Each program is run RUNS times (default 5), alternating ppl and PyTorch
# so that both see the same load, and the median is reported. PyTorch runs
# on 2 threads (torch.set_num_threads) in float32, its default, and in
# float64, ppl's only precision, and on 1 thread in float32 (2 threads
# spin-wait for each other, which a loaded machine punishes); ppl's
# OpenBLAS uses its default threads (OPENBLAS_NUM_THREADS applies). PYTHON names a python3 with torch
# (default /usr/bin/python3: `apt-get install python3-torch`). POSIX sh.

set -eu

if [ $# -lt 1 ]; then
  echo "usage: bench/nn/run.sh PPL_BINARY [digits.csv]" >&2
  exit 64
fi
PPL=$1
here=$(cd "$(dirname "$0")" && pwd)
DIGITS=${2:-"$here/../../../shared/reference/data/digits.csv"}
PYTHON=${PYTHON:-/usr/bin/python3}
RUNS=${RUNS:-5}
GAN_EPOCHS=${GAN_EPOCHS:-100}
VAE_EPOCHS=${VAE_EPOCHS:-100}
STEPS=${STEPS:-3000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppl-nn-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "bench/nn/run.sh: $PYTHON has no torch (apt-get install python3-torch)" >&2
  exit 1
fi

# Appends the steps/s a command prints (its last field but one) to file.
rate() {
  out=$1
  shift
  "$@" | awk '{print $(NF-1)}' >>"$out"
}

median() { sort -g "$1" | sed -n "$(((RUNS + 1) / 2))p"; }

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
echo "PyTorch $("$PYTHON" -c 'import torch; print(torch.__version__)'), $(nproc) cores, load average at start: $(load)"
echo

i=0
while [ "$i" -lt "$RUNS" ]; do
  rate "$tmp/gan_ppl" "$PPL" "$here/gan_ring.ppl" "$GAN_EPOCHS"
  rate "$tmp/gan_t32" "$PYTHON" "$here/gan_ring_torch.py" "$STEPS" 2 float32
  rate "$tmp/gan_t64" "$PYTHON" "$here/gan_ring_torch.py" "$STEPS" 2 float64
  rate "$tmp/gan_t1" "$PYTHON" "$here/gan_ring_torch.py" "$STEPS" 1 float32
  rate "$tmp/vae_ppl" "$PPL" "$here/vae_digits.ppl" "$DIGITS" "$VAE_EPOCHS"
  rate "$tmp/vae_t32" "$PYTHON" "$here/vae_digits_torch.py" "$DIGITS" "$STEPS" 2 float32
  rate "$tmp/vae_t64" "$PYTHON" "$here/vae_digits_torch.py" "$DIGITS" "$STEPS" 2 float64
  rate "$tmp/vae_t1" "$PYTHON" "$here/vae_digits_torch.py" "$DIGITS" "$STEPS" 1 float32
  i=$((i + 1))
done

row() {
  p=$(median "$tmp/${1}_ppl")
  t32=$(median "$tmp/${1}_t32")
  t64=$(median "$tmp/${1}_t64")
  t1=$(median "$tmp/${1}_t1")
  awk -v name="$2" -v p="$p" -v a="$t32" -v b="$t64" -v c="$t1" 'BEGIN {
    printf "| %s | %d | %d | %d | %d | %.1fx | %.1fx | %.1fx |\n",
           name, p, a, b, c, p / a, p / b, p / c }'
}
echo "| model | ppl (float64) | PyTorch f32, 2 threads | f64, 2 threads | f32, 1 thread | ppl / f32 | ppl / f64 | ppl / f32 1 thread |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|"
row gan "ring GAN, G and D 64-64, batch 64"
row vae "digits VAE, 64-128-8-128-64, batch 64"
echo
echo "(training steps per second, median of $RUNS runs; load average at the end: $(load))"
