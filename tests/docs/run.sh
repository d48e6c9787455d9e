#!/bin/sh
# Runs the examples of the documentation (doc/*.md, the pages below) as
# golden tests: each ```ppl block (a tutorial section's blocks together,
# sampling.md's blocks together) must run without error and print what the
# page says it prints (tests/docs/extract.awk gives the conventions). Part
# of `make check`.
#
#   usage: run.sh [path/to/ppl [path/to/golden]]   (srcdir from $srcdir)
#
# The programs run in a scratch directory with ../shared pointing at the
# repository's reference data, as in a checkout, so that the pages' paths
# ("../shared/reference/data/pima.csv") work and the files the examples
# write (plots, CSV) do not land in the tree.
set -eu
ppl=$(cd "$(dirname "${1:-./src/ppl}")" && pwd)/$(basename "${1:-./src/ppl}")
golden=$(cd "$(dirname "${2:-./tests/golden}")" && pwd)/$(basename "${2:-./tests/golden}")
srcdir=$(cd "${srcdir:-.}" && pwd)
shared=$(cd "$srcdir/.." && pwd)/shared
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppl-docs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/work" "$tmp/programs"
[ -d "$shared" ] && ln -s "$shared" "$tmp/shared"
for page in language stdlib tutorial gp neural models distributions \
    sampling diagnostics plots; do
  case $page in
    tutorial) chain=1 ;;   # per "## " section
    sampling) chain=2 ;;   # the whole page: later blocks use its first model
    *) chain=0 ;;
  esac
  awk -v dir="$tmp/programs" -v base="$page" -v chain="$chain" \
    -f "$srcdir/tests/docs/extract.awk" "$srcdir/doc/$page.md"
done
cd "$tmp/work"
"$golden" "$ppl" "$tmp"/programs/*.ppl
