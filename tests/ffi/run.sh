#!/bin/sh
# tests/ffi/run.sh — golden tests of the foreign-function interface.
#
# Usage: tests/ffi/run.sh [PATH_TO_PPL]   (default ./src/ppl, as automake's
# harness runs it from the build directory; inputs come from $srcdir)
#
# Each tests/ffi/*.ppl carries its expectations as comments on the line
# that produces them:
#   print(cos_c(0.5))     # expect: 0.8775826
#   cos_c("half")         # expect runtime error: cos(): argument 1 must ...
# stdout must equal the "expect:" texts in order; with an "expect runtime
# error:" the run must exit 70 and stderr must hold "error: <text>" outside
# the quoted source excerpt (which repeats the comment itself); otherwise
# the run must exit 0 with nothing on stderr. helper.ppl needs helper.c
# built as a shared library: it is compiled here with $CC (default cc) and
# skipped without a compiler. Prints "N passed, N failed"; exits 1 on a failure.

PPL=${1:-./src/ppl}
dir=${srcdir:-.}/tests/ffi
if [ ! -x "$PPL" ]; then
  echo "error: $PPL is not an executable (build ppl first)" >&2
  exit 99
fi
if [ ! -d "$dir" ]; then
  echo "error: $dir not found (set srcdir to the source tree)" >&2
  exit 99
fi

EXIT_RUNTIME=70
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppl-ffi.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
skip=0

PPL_FFI_HELPER=
if ${CC:-cc} -shared -fPIC -o "$tmp/libpplhelper.so" "$dir/helper.c" \
  >"$tmp/cc.log" 2>&1; then
  PPL_FFI_HELPER=$tmp/libpplhelper.so
fi
PPL_FFI_GREETING="hello from the environment"
export PPL_FFI_HELPER PPL_FFI_GREETING

for f in "$dir"/*.ppl; do
  name=$(basename "$f" .ppl)
  if [ "$name" = helper ] && [ -z "$PPL_FFI_HELPER" ]; then
    skip=$((skip + 1))
    echo "skip $name (no C compiler to build helper.c)"
    continue
  fi
  sed -n 's/.*# expect: //p' "$f" >"$tmp/want.out"
  want_err=$(sed -n 's/.*# expect runtime error: //p' "$f")
  "$PPL" "$f" >"$tmp/got.out" 2>"$tmp/got.err"
  rc=$?
  why=
  if ! cmp -s "$tmp/want.out" "$tmp/got.out"; then
    why="stdout differs"
  elif [ -n "$want_err" ]; then
    if [ "$rc" -ne "$EXIT_RUNTIME" ]; then
      why="exit status $rc, expected $EXIT_RUNTIME"
    elif ! grep -v '^ *[0-9]* |' "$tmp/got.err" |
      grep -qF -- "error: $want_err"; then
      why="stderr lacks: $want_err"
    fi
  elif [ "$rc" -ne 0 ] || [ -s "$tmp/got.err" ]; then
    why="exit status $rc or unexpected stderr"
  fi
  if [ -z "$why" ]; then
    pass=$((pass + 1))
    echo "ok   $name"
  else
    fail=$((fail + 1))
    echo "FAIL $name: $why"
    diff "$tmp/want.out" "$tmp/got.out" | sed 's/^/  /'
    sed 's/^/  stderr: /' "$tmp/got.err"
  fi
done

echo "$pass passed, $fail failed${skip:+, $skip skipped}" |
  sed 's/, 0 skipped$//'
[ "$fail" -eq 0 ]
