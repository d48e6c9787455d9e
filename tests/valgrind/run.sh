#!/bin/sh
# Runs a few programs under valgrind's memcheck: no memory errors and no
# definite leaks of ppl's own (Boehm GC's conservative scanning is
# suppressed by gc.supp). Part of `make check-slow`.
# usage: run.sh [path/to/ppl]  (srcdir from $srcdir, default .)
ppl=${1:-./src/ppl}
srcdir=${srcdir:-.}
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind is not installed: skipped"
  exit 77
fi
passed=0
failed=0
for prog in examples/normal.ppl examples/intro.ppl tests/models/multivariate_discrete.ppl \
            tests/lang/closure_counter.ppl tests/models/bind_loop.ppl \
            tests/models/concat_scalars.ppl tests/lang/import_namespace.ppl \
            tests/models/fused_glm.ppl tests/nn/training.ppl tests/nn/plots.ppl; do
  log=$(mktemp)
  if valgrind --quiet --error-exitcode=99 --leak-check=full \
       --show-leak-kinds=definite --errors-for-leak-kinds=definite \
       --suppressions="$srcdir/tests/valgrind/gc.supp" \
       "$ppl" "$srcdir/$prog" > /dev/null 2> "$log"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $prog under valgrind"
    tail -40 "$log"
  fi
  rm -f "$log"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
