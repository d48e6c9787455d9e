#!/bin/sh
# The command line: --version, --help, -e, --dis, script arguments, piped
# input, and the exit codes (0 ok, 64 usage, 65 compile, 70 runtime,
# 74 I/O). Run by make check from the build directory.
ppl=${1:-./src/ppl}
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # name, expected status, command...; stdout+stderr in $tmp/out
  name=$1
  want=$2
  shift 2
  "$@" > "$tmp/out" 2>&1
  got=$?
  if [ "$got" -eq "$want" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name: exit status $got, expected $want"
    sed 's/^/  | /' "$tmp/out"
  fi
}

contains() { # name, text that must be in $tmp/out
  if grep -qF -- "$2" "$tmp/out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $1: output lacks '$2'"
    sed 's/^/  | /' "$tmp/out"
  fi
}

check version 0 "$ppl" --version
contains version "ppl 0."
check help 0 "$ppl" --help
contains help "usage: ppl"
check eval 0 "$ppl" -e 'print(6 * 7)'
contains eval "42"
check eval-args 0 "$ppl" -e 'print(args)' a b
contains eval-args '["a", "b"]'
check unknown-option 64 "$ppl" --frobnicate
contains unknown-option "unknown option '--frobnicate'"
check missing-e-arg 64 "$ppl" -e
check compile-error 65 "$ppl" -e 'print(1 +)'
contains compile-error "<-e>:1:10: error:"
check runtime-error 70 "$ppl" -e 'print([1, 2][5])'
contains runtime-error "index 5 is out of range"
check missing-file 74 "$ppl" "$tmp/no-such-file.ppl"
contains missing-file "cannot read"

printf 'fn sq(x) {\n  x * x\n}\nlet v = [1, 2, 3]\nprint(sq(v) @ v)\n' > "$tmp/prog.ppl"
check script 0 "$ppl" "$tmp/prog.ppl"
contains script "36"
check dis 0 "$ppl" --dis "$tmp/prog.ppl"
contains dis "== fn sq (1 parameter) =="
contains dis "MATMUL"
contains dis "RETURN"

printf 'let a = 2\na * 21\n"text"\n' > "$tmp/in.txt"
check piped 0 sh -c "\"$ppl\" < \"$tmp/in.txt\""
contains piped "42"
contains piped '"text"'

# Ctrl-C during sample() stops the chains, keeps the draws so far, and the
# script goes on; resume() then finishes the run, and the draws equal an
# uninterrupted run's bit for bit.
cat > "$tmp/long.ppl" <<'PPL'
let y = rnormal(5000, 1, 2, seed=1)
model m(y) {
  mu ~ Normal(0, 10)
  sigma ~ HalfNormal(5)
  y ~ Normal(mu, sigma)
}
let t = sample(m(y), draws=40000, seed=1, cores=2, progressbar=false)
print(t)
resume(t, progressbar=false)
print("after resume:", t.draws)
let u = sample(m(y), draws=40000, seed=1, cores=2, progressbar=false)
print("same draws:", equal(t["mu"], u["mu"]) and equal(t["sigma"], u["sigma"]) and equal(t["lp"], u["lp"]))
PPL
"$ppl" "$tmp/long.ppl" > "$tmp/out" 2>&1 &
pid=$!
# A background job of a non-interactive shell ignores SIGINT until sample()
# installs its handler, so keep sending until the run reports the stop
# (sanitized builds start slowly).
tries=0
while [ "$tries" -lt 60 ] && ! grep -q "sampling interrupted" "$tmp/out"; do
  kill -INT "$pid" 2>/dev/null || break
  sleep 0.5
  tries=$((tries + 1))
done
wait "$pid"
got=$?
if [ "$got" -eq 0 ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: sigint: exit status $got"; fi
contains sigint "sampling interrupted: kept"
contains sigint "interrupted>"
contains sigint "after resume: 40000"
contains sigint "same draws: true"

# sample() and summary() warn about divergences in one sentence (written
# by one function): the funnel diverges, and both lines are the same.
cat > "$tmp/funnel.ppl" <<'PPL'
model funnel() {
  v ~ Normal(0, 3)
  x ~ Normal(0, exp(v / 2), shape=5)
}
let t = sample(funnel(), draws=200, tune=100, chains=2, seed=3,
               step=NUTS(target_accept=0.5), progressbar=false)
let s = summary(t)
PPL
check divergence-warning 0 "$ppl" "$tmp/funnel.ppl"
contains divergence-warning "divergent transitions after warm-up ("
if [ "$(grep -c 'divergent transition' "$tmp/out")" -eq 2 ] &&
   [ "$(grep 'divergent transition' "$tmp/out" | sort -u | wc -l)" -eq 1 ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL: divergence-warning: sample() and summary() word it differently"
  sed 's/^/  | /' "$tmp/out"
fi

# Binding a model many times frees each tape: the collector reports no
# finalisation cycle (a Model reachable from itself is never finalised).
cat > "$tmp/bind_loop.ppl" <<'PPL'
model m(y) {
  mu ~ Normal(0, 1)
  sigma ~ HalfNormal(1)
  y ~ Normal(mu, sigma)
}
for i in range(3000) {
  let lp = logp(m([0.3, -1.2, 0.8]), {mu: 0.1, sigma: 1.3})
}
print("bound")
PPL
check bind-loop 0 "$ppl" "$tmp/bind_loop.ppl"
contains bind-loop "bound"
if grep -q "Finalization cycle" "$tmp/out"; then
  failed=$((failed + 1))
  echo "FAIL: bind-loop: the collector found a finalisation cycle"
  grep -m 3 "Finalization cycle" "$tmp/out" | sed 's/^/  | /'
else
  passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
