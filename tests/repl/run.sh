#!/bin/sh
# tests/repl/run.sh — drives the real REPL through a pseudo-terminal.
#
# Usage: tests/repl/run.sh [PATH_TO_PPL]   (default ./src/ppl, as automake's
# harness runs it from the build directory)
#
# Piped input is tested with plain pipes. The interactive session runs in a
# private tmux server (its own socket, its own HOME so ~/.ppl_history is a
# scratch file): keys go in with send-keys, the screen comes back with
# capture-pane, polled until the expected text shows up or a timeout passes.
# Every value typed is unique so a check cannot match an earlier line.
# Prints "N passed, N failed"; exits 1 on a failure, 77 (automake's SKIP)
# after the piped tests when tmux is not installed.

PPL=${1:-./src/ppl}
case $PPL in /*) ;; *) PPL=$(pwd)/$PPL ;; esac
if [ ! -x "$PPL" ]; then
  echo "error: $PPL is not an executable (build ppl first)" >&2
  exit 99
fi

TIMEOUT=${PPL_TEST_TIMEOUT:-10}   # seconds to wait for any one screen
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppl-repl.XXXXXX") || exit 99
sock=ppltest$$
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
not_ok() { fail=$((fail + 1)); echo "FAIL $1"; }

finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ] || exit 1
  exit "${1:-0}"
}

# ---- piped input: no prompts, values echoed, errors do not stop -------

check_pipe() { # name input expected-stdout expected-status
  out=$(printf '%s' "$2" | HOME=$tmp "$PPL" 2>"$tmp/pipe.err")
  rc=$?
  if [ "$out" = "$3" ] && [ "$rc" -eq "$4" ]; then
    ok "$1"
  else
    not_ok "$1"
    echo "  input:    $(printf '%s' "$2" | tr '\n' '|')"
    echo "  expected: $(printf '%s' "$3" | tr '\n' '|') (exit $4)"
    echo "  got:      $(printf '%s' "$out" | tr '\n' '|') (exit $rc)"
    sed 's/^/  stderr: /' "$tmp/pipe.err"
  fi
}

check_pipe "piped expression is echoed" '1 + 2
' '3' 0
check_pipe "piped multi-line function" 'fn inc(x) {
  x + 1
}
inc(41)
' '42' 0
check_pipe "piped error does not end the session" '[1, 2, 3][5]
let kept = 7
kept * 6
' '42' 70
help_text='ffi_open(path=nil): load a shared library ("libm.so.6"); nil means'
check_pipe "piped :help NAME" ':help ffi_open
' "$help_text the running process" 0
check_pipe "piped :quit stops reading" '2 + 2
:quit
3 + 3
' '4' 0
printf 'let loaded_value = 5150\n' >"$tmp/loaded.ppl"
check_pipe "piped :load runs a file into the session" ":load $tmp/loaded.ppl
loaded_value + 1
" '5151' 0
check_pipe "piped :vars lists user globals only" 'let alpha_var = [1, 2]
fn beta_fn(x) { x }
:vars
' 'alpha_var = [1, 2]
beta_fn = <fn beta_fn>' 0
[ -s "$tmp/.ppl_history" ] && not_ok "piped input writes no history" \
  || ok "piped input writes no history"

if ! command -v tmux >/dev/null 2>&1; then
  echo "SKIP: tmux is not installed; the interactive tests did not run"
  rm -rf "$tmp"
  finish 77
fi

# ---- interactive session in tmux ---------------------------------------

T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM

start() { # starts ppl in a fresh window; the pane stays after ppl exits
  T kill-server >/dev/null 2>&1
  T new-session -d -s ppl -x 100 -y 50 \
    "env HOME='$tmp' INPUTRC=/dev/null NO_COLOR=1 '$PPL'" \; \
    set-option -w -t ppl remain-on-exit on || return 1
  wait_for "session starts" -E '^ppl>'
}

screen() { T capture-pane -p -t ppl -S -200 2>/dev/null; }

# wait_for NAME GREP-ARGS... : polls the screen until grep matches.
wait_for() {
  name=$1
  shift
  end=$(($(date +%s) + TIMEOUT))
  while [ "$(date +%s)" -le "$end" ]; do
    if screen | grep -q "$@"; then
      return 0
    fi
    sleep 0.05
  done
  echo "  timed out after ${TIMEOUT}s waiting for: $*" >&2
  screen | sed 's/^/  | /' >&2
  return 1
}

# expect NAME GREP-ARGS... : one passed or failed check.
expect() {
  name=$1
  shift
  if wait_for "$name" "$@"; then ok "$name"; else not_ok "$name"; fi
}

# wait_last TEXT [CURSOR_X]: polls until the last non-empty screen line is
# TEXT (and the cursor is in column CURSOR_X), so a Ctrl-C that follows is
# sent only once ppl has read everything before it (a Ctrl-C flushes input
# the terminal still holds).
wait_last() {
  end=$(($(date +%s) + TIMEOUT))
  while [ "$(date +%s)" -le "$end" ]; do
    if [ "$(screen | grep -v '^$' | tail -n 1)" = "$1" ] &&
      { [ -z "$2" ] ||
        [ "$(T display-message -p -t ppl '#{cursor_x}')" = "$2" ]; }; then
      return 0
    fi
    sleep 0.05
  done
  echo "  timed out after ${TIMEOUT}s waiting for the last line: $1" >&2
  return 1
}

type_line() { T send-keys -t ppl -l "$1" && T send-keys -t ppl Enter; }
keys() { T send-keys -t ppl "$@"; }

pane_dead() { [ "$(T display-message -p -t ppl '#{pane_dead}')" = 1 ]; }

wait_dead() {
  end=$(($(date +%s) + TIMEOUT))
  while [ "$(date +%s)" -le "$end" ]; do
    pane_dead && return 0
    sleep 0.05
  done
  return 1
}

check_dead() { if wait_dead; then ok "$1"; else not_ok "$1"; fi; }

if ! start; then
  not_ok "ppl starts in tmux"
  finish
fi

type_line '6 * 7'
expect "an expression is echoed" -x '42'

type_line 'fn twice(x) {'
expect "an open brace asks for more" -E '^\.\.\.>'
type_line '  x * 2'
type_line '}'
type_line 'twice(21.5)'
expect "a function typed over 3 lines works" -x '43'

type_line 'let zebra_unique_total = 1717'
T send-keys -t ppl -l 'zebra_uni'
keys Tab
expect "Tab completes a global" -F 'ppl> zebra_unique_total'
keys Enter
expect "the completed name evaluates" -x '1717'

type_line '[1, 2, 3][5]'
expect "a runtime error is reported" -F 'error'
type_line 'zebra_unique_total + 1'
expect "after an error, globals survive and input works" -x '1718'

T send-keys -t ppl -l '1 + 999'
wait_last 'ppl> 1 + 999'
keys C-c
type_line '2 + 2000'
expect "Ctrl-C abandons a half-typed line" -x '2002'

type_line 'fn half_done(x) {'
wait_last '...>'
keys C-c
type_line '3 + 3000'
expect "Ctrl-C abandons an unfinished entry" -x '3003'

type_line 'while true { }'
wait_last 'ppl> while true { }' 0
keys C-c
expect "Ctrl-C interrupts a running loop" -F 'interrupted'
type_line '4 + 4000'
expect "the session goes on after an interrupt" -x '4004'

type_line ':help'
expect ":help lists the commands" -F ':load FILE'
type_line ':help ffi_fn'
expect ":help NAME shows a builtin's help" -F 'ffi_fn(lib, name, ret'

type_line 'fn thrice(x) {'
type_line '  x * 3'
type_line '}'
type_line ':quit'
check_dead ":quit ends the session"

if grep -q 'thrice' "$tmp/.ppl_history" 2>/dev/null; then
  ok "history is saved in ~/.ppl_history"
else
  not_ok "history is saved in ~/.ppl_history"
fi

if ! start; then
  not_ok "ppl starts a second time"
  finish
fi
keys Up
expect "Up recalls the last entry of the previous session" -F '  x * 3'
keys Enter
type_line 'thrice(5005)'
expect "the recalled multi-line entry runs" -x '15015'
keys C-d
check_dead "Ctrl-D ends the session"

finish
