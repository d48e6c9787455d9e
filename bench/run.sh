#!/bin/sh
# bench/run.sh — times ppl against Lua 5.4 and Python 3 on the same small
# programs and prints a markdown table (see doc/benchmarks.md).
#
#   usage: bench/run.sh PPL_BINARY       (make bench runs it on src/ppl)
#
# Three measurements, each the median wall-clock time of several runs:
#   startup    ppl -e '1', lua -e '', python3 -c 'pass'   (50 runs)
#   fib        bench/fib.{ppl,lua,py}: recursive fib(30)  (5 runs)
#   loop       bench/loop.{ppl,lua,py}: sum 0..10^7-1     (5 runs)
# Timing uses hyperfine when it is installed (one warm-up run, shell
# start-up subtracted), else a loop around `date +%s%N` (one warm-up run,
# the cost of starting date subtracted: the median the same loop measures
# around the shell's no-op). Each program's output is checked once before
# it is timed.
#
# Environment: LUA and PYTHON name the interpreters (default: lua5.4, or
# lua when it is 5.4; python3, resolved to the real executable so a pyenv
# shim's start-up is not counted). A missing interpreter gives "n/a".
# POSIX sh: make runs this with $(SHELL).

set -eu

STARTUP_RUNS=50
RUNS=5
FIB_OUT=832040
LOOP_OUT=49999995000000

if [ $# -ne 1 ]; then
  echo "usage: bench/run.sh PPL_BINARY" >&2
  exit 64
fi
PPL=$1
if [ ! -x "$PPL" ]; then
  echo "bench/run.sh: '$PPL' is not an executable (build ppl first)" >&2
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppl-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- the interpreters ----

find_lua() {
  if [ -n "${LUA:-}" ]; then
    echo "$LUA"
  elif command -v lua5.4 >/dev/null 2>&1; then
    command -v lua5.4
  elif command -v lua >/dev/null 2>&1 && lua -v 2>&1 | grep -q 'Lua 5\.4'; then
    command -v lua
  fi
}

find_python() {
  py=${PYTHON:-python3}
  if command -v "$py" >/dev/null 2>&1; then
    "$py" -c 'import sys; print(sys.executable)' 2>/dev/null || true
  fi
}

LUA_BIN=$(find_lua)
PY_BIN=$(find_python)

# ---- timing ----

# quote WORD: WORD as one shell word, for hyperfine's command string.
quote() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# median_of FILE: the median of the numbers in FILE, one a line.
median_of() {
  sort -g "$1" | awk '{ v[NR] = $1 }
    END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "%.6f\n", m }'
}

# loop_median RUNS CMD...: median seconds between two date calls around
# CMD, which includes starting the second date.
loop_median() {
  n=$1
  shift
  "$@" >/dev/null 2>&1 || true
  : >"$tmp/times"
  k=0
  while [ "$k" -lt "$n" ]; do
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    echo "$(((t1 - t0) / 1000))" >>"$tmp/times" # microseconds
    k=$((k + 1))
  done
  median_of "$tmp/times" | awk '{ printf "%.6f\n", $1 / 1e6 }'
}

# time_loop RUNS CMD...: median seconds by timing each run with date,
# less what the same loop measures around the shell's no-op ':' (the cost
# of starting date itself).
date_cost=0
time_loop() {
  t=$(loop_median "$@")
  awk -v t="$t" -v c="$date_cost" \
    'BEGIN { printf "%.6f\n", (t > c ? t - c : 0) }'
}

# time_hyperfine RUNS CMD...: median seconds as hyperfine measures it.
time_hyperfine() {
  n=$1
  shift
  cmd=""
  for w in "$@"; do
    cmd="$cmd $(quote "$w")"
  done
  if ! hyperfine --runs "$n" --warmup 1 --style none \
    --export-json "$tmp/h.json" -- "$cmd" >/dev/null 2>&1; then
    echo n/a
    return
  fi
  sed -n 's/.*"median": *\([0-9.eE+-]*\).*/\1/p' "$tmp/h.json" | head -n 1
}

# measure RUNS CMD...: median seconds, or "n/a" when CMD's interpreter is
# missing.
measure() {
  if [ -z "$2" ]; then
    echo n/a
  elif command -v hyperfine >/dev/null 2>&1; then
    time_hyperfine "$@"
  else
    time_loop "$@"
  fi
}

# check EXPECTED BIN FILE: warns when BIN FILE does not print EXPECTED;
# nothing when BIN is missing.
check() {
  want=$1
  shift
  [ -n "$1" ] || return 0
  got=$("$@" 2>&1 | tail -n 1) || true
  if [ "$got" != "$want" ]; then
    echo "bench/run.sh: warning: $* printed '$got', expected '$want'" >&2
  fi
}

# ---- the table ----

# ratio A B: A/B to two decimals, or n/a.
ratio() {
  case "$1$2" in
  *n/a*) echo n/a ;;
  *) awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", (b > 0 ? a / b : 0) }' ;;
  esac
}

secs() {
  case "$1" in
  n/a) echo n/a ;;
  *) awk -v s="$1" 'BEGIN { printf "%.4f\n", s }' ;;
  esac
}

# row LABEL PPL_S LUA_S PY_S
row() {
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$(secs "$2")" \
    "$(secs "$3")" "$(secs "$4")" "$(ratio "$2" "$3")" "$(ratio "$2" "$4")"
}

# version_of BIN FLAG: the first line BIN prints for FLAG.
version_of() {
  if [ -z "$1" ]; then
    echo "not found"
  else
    "$1" "$2" 2>&1 | head -n 1
  fi
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null |
  head -n 1)
if command -v hyperfine >/dev/null 2>&1; then
  method="hyperfine ($(hyperfine --version | head -n 1))"
else
  date_cost=$(loop_median "$STARTUP_RUNS" :)
  method="shell loop around date +%s%N, less the loop's own $date_cost s"
fi

check "$FIB_OUT" "$PPL" "$here/fib.ppl"
check "$FIB_OUT" "$LUA_BIN" "$here/fib.lua"
check "$FIB_OUT" "$PY_BIN" "$here/fib.py"
check "$LOOP_OUT" "$PPL" "$here/loop.ppl"
check "$LOOP_OUT" "$LUA_BIN" "$here/loop.lua"
check "$LOOP_OUT" "$PY_BIN" "$here/loop.py"

s_ppl=$(measure "$STARTUP_RUNS" "$PPL" -e 1)
s_lua=$(measure "$STARTUP_RUNS" "$LUA_BIN" -e '')
s_py=$(measure "$STARTUP_RUNS" "$PY_BIN" -c pass)
f_ppl=$(measure "$RUNS" "$PPL" "$here/fib.ppl")
f_lua=$(measure "$RUNS" "$LUA_BIN" "$here/fib.lua")
f_py=$(measure "$RUNS" "$PY_BIN" "$here/fib.py")
l_ppl=$(measure "$RUNS" "$PPL" "$here/loop.ppl")
l_lua=$(measure "$RUNS" "$LUA_BIN" "$here/loop.lua")
l_py=$(measure "$RUNS" "$PY_BIN" "$here/loop.py")

echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(uname -srm)${cpu:+, $cpu}"
echo "- ppl: $(version_of "$PPL" --version)"
echo "- Lua: $(version_of "$LUA_BIN" -v)"
echo "- Python: $(version_of "$PY_BIN" --version)"
echo "- timing: $method; median of $STARTUP_RUNS runs (startup) or $RUNS runs"
echo
printf '| %s | %s | %s | %s | %s | %s |\n' benchmark "ppl (s)" "Lua 5.4 (s)" \
  "Python 3 (s)" ppl/Lua ppl/Python
echo "|---|--:|--:|--:|--:|--:|"
row "startup (\`-e '1'\`)" "$s_ppl" "$s_lua" "$s_py"
row "fib(30)" "$f_ppl" "$f_lua" "$f_py"
row "loop to 10^7" "$l_ppl" "$l_lua" "$l_py"
