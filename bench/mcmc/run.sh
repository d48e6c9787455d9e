#!/bin/sh
# bench/mcmc/run.sh — ppl's NUTS against Stan (rstan) and JAGS (rjags) on
# five models with the same data, in one run; prints markdown tables (see
# doc/benchmarks.md, "MCMC: ppl vs Stan and JAGS").
#
#   usage: bench/mcmc/run.sh [PPL_BINARY]     (make bench-mcmc: src/ppl)
#
# Steps: gen_data.R writes every model's data (fixed seeds) to a temporary
# directory; for each model in turn ppl (NUTS with the default
# adaptation, then adapt_mass="gradient"), Stan and JAGS sample 4 chains x
# (1000 warm-up + 1000 draws), two chains at a time (Stan also with its GLM
# functions where stan/MODEL_glm.stan exists); ess.R computes
# ess_bulk of every run's draws with R's posterior package and prints the
# tables. The seed example (ppl/seed_example.ppl) is timed from the shell.
# ppl runs OpenBLAS on one thread while chains sample (blas_serial in
# src/blas.h) unless OPENBLAS_NUM_THREADS is set.
#
# Needs: Rscript with rstan, rjags, posterior and jsonlite, JAGS, Boost
# headers (Debian: apt-get install r-cran-rstan jags r-cran-rjags
# r-cran-posterior libboost-dev). Stan compiles each model afresh (about a
# minute each on 2 cores), so a run takes about 12 minutes.
#
# Environment: SEED (default 20261204) seeds all three systems' samplers;
# MODELS (default: all five) picks models; SEED_RUNS (default 30) is how
# many times the seed example is timed; REPEATS (default 3): each system
# samples each model this many times with the same seed (the same draws)
# and the median time counts, which steadies the figures on a shared
# machine. POSIX sh.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
PPL=${1:-$here/../../src/ppl}
SEED=${SEED:-20261204}
MODELS=${MODELS:-normal eight_schools linreg logistic varying_intercepts}
SEED_RUNS=${SEED_RUNS:-30}
REPEATS=${REPEATS:-3}

die() {
  echo "bench/mcmc/run.sh: $*" >&2
  exit 1
}

[ -x "$PPL" ] || die "'$PPL' is not an executable (build ppl first)"
PPL=$(cd "$(dirname "$PPL")" && pwd)/$(basename "$PPL")
command -v Rscript >/dev/null 2>&1 ||
  die "Rscript not found (apt-get install r-cran-rstan r-cran-rjags r-cran-posterior jags libboost-dev)"
for pkg in rstan rjags posterior jsonlite; do
  Rscript -e "if (!requireNamespace('$pkg', quietly = TRUE)) quit(status = 1)" \
    >/dev/null 2>&1 || die "R package '$pkg' is missing (Debian: r-cran-$pkg)"
done
[ -f /usr/include/boost/version.hpp ] ||
  die "Boost headers not found in /usr/include/boost (apt-get install libboost-dev)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppl-bench-mcmc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/data" "$tmp/out"

now_ns() { date +%s%N; }
log() { echo "[bench-mcmc $(date +%H:%M:%S)] $*" >&2; }

Rscript "$here/gen_data.R" "$tmp/data"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')

failed=0 # a system that fails on a model leaves n/a in the tables

# run_ppl LABEL MODEL ADAPT [VAR=VALUE]: one ppl run; appends to timings.tsv.
run_ppl() {
  label=$1 model=$2 adapt=$3
  shift 3
  t0=$(now_ns)
  if ! out=$(env "$@" "$PPL" "$here/ppl/$model.ppl" "$tmp/data" "$tmp/out" \
    "$adapt" "$SEED" "$label" "$REPEATS") ||
    ! echo "$out" | grep -q "sample_s="; then
    log "$label failed on $model: $out"
    failed=1
    return 0
  fi
  t1=$(now_ns)
  echo "$out" | awk -v wall="$(((t1 - t0) / 1000))" -v label="$label" \
    -v model="$model" '
    / sample_s=/ {
      for (i = 1; i <= NF; i++) {
        split($i, kv, "=")
        v[kv[1]] = kv[2]
      }
      n = split(v["times"], ts, ",")
      total = 0
      for (i = 1; i <= n; i++) total += ts[i]
      setup = wall / 1e6 - total - v["save_s"]
      printf "%s\t%s\t%.6f\t%.6f\t%d\ttimes=%s\n", label, model, setup,
        v["sample_s"], v["divergences"], v["times"]
    }' >>"$tmp/out/timings.tsv"
  log "$out"
}

for model in $MODELS; do
  log "$model: ppl"
  run_ppl ppl "$model" variance
  run_ppl ppl-gradient "$model" gradient
  systems="stan jags"
  [ -f "$here/stan/${model}_glm.stan" ] && systems="stan stan-glm jags"
  for sys in $systems; do
    log "$model: $sys"
    Rscript "$here/run_r.R" "$sys" "$model" "$tmp/data" "$tmp/out" "$SEED" \
      "$REPEATS" >&2 ||
      { log "$sys failed on $model"; failed=1; }
  done
done

# The seed example, source to printed summary: whole-process wall time.
seed_file=$here/ppl/seed_example.ppl
"$PPL" "$seed_file" | grep -q '^sigma ' || die "the seed example printed no summary"
log "seed example: $SEED_RUNS runs"
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine -N --warmup 3 --runs "$SEED_RUNS" --style none \
    --export-json "$tmp/seed.json" "$PPL $seed_file" >/dev/null 2>&1
  seed_med=$(sed -n 's/.*"median": *\([0-9.eE+-]*\).*/\1/p' "$tmp/seed.json" | head -n 1)
  seed_min=$(sed -n 's/.*"min": *\([0-9.eE+-]*\).*/\1/p' "$tmp/seed.json" | head -n 1)
  seed_how="hyperfine -N, $SEED_RUNS runs after 3 warm-up runs"
else
  : >"$tmp/seed.txt"
  k=0
  while [ "$k" -lt "$SEED_RUNS" ]; do
    t0=$(now_ns)
    "$PPL" "$seed_file" >/dev/null
    t1=$(now_ns)
    echo "$(((t1 - t0) / 1000))" >>"$tmp/seed.txt"
    k=$((k + 1))
  done
  seed_med=$(sort -n "$tmp/seed.txt" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] / 1e6 }')
  seed_min=$(sort -n "$tmp/seed.txt" | awk 'NR == 1 { print $1 / 1e6 }')
  seed_how="date +%s%N around each of $SEED_RUNS runs"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

rv() {
  Rscript -e "cat(as.character(packageVersion('$1')))" 2>/dev/null || echo '?'
}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)

echo "- date: $started; load average (1, 5, 15 min) $load_before at the start, $load_after at the end"
echo "- machine: $(uname -srm), ${cpu:-unknown CPU} ($(nproc) cores)"
echo "- ppl: $("$PPL" --version 2>&1 | head -n 1); OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-unset}"
echo "- $(Rscript --version 2>&1 | head -n 1); rstan $(rv rstan), StanHeaders $(rv StanHeaders), rjags $(rv rjags) (JAGS $(Rscript -e 'suppressMessages(library(rjags)); cat(as.character(jags.version()))' 2>/dev/null)), posterior $(rv posterior)"
echo "- C++: $(g++ --version 2>/dev/null | head -n 1); Boost $(sed -n 's/^#define BOOST_LIB_VERSION "\(.*\)"/\1/p' /usr/include/boost/version.hpp)"
echo "- seed: $SEED; each sampling time the median of $REPEATS runs with that seed; command: bench/mcmc/run.sh (make bench-mcmc)"
echo
if ! Rscript "$here/ess.R" "$tmp/out"; then
  kept=$(mktemp -d "${TMPDIR:-/tmp}/ppl-bench-mcmc-out.XXXXXX")
  cp -R "$tmp/out/." "$kept/"
  die "ess.R failed; the draws and timings are kept in $kept"
fi
echo
echo "### The seed example"
echo
printf 'ppl/seed_example.ppl (simulate, find_map, Slice 4 x 1000 draws, summary), source to printed output: median %.1f ms, fastest %.1f ms (%s). Target: under 100 ms.\n' \
  "$(awk -v s="$seed_med" 'BEGIN { print s * 1000 }')" \
  "$(awk -v s="$seed_min" 'BEGIN { print s * 1000 }')" "$seed_how"
if [ "$failed" -ne 0 ]; then
  echo
  echo "Some runs failed (n/a above); their messages are on stderr."
  exit 1
fi
