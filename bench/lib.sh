# bench/lib.sh: what the bench scripts share: strict mode, where the
# checkout and the binary measured are, logging, the processes a run
# started and their cleanup on exit, a watchdog over the whole run, and
# small text helpers.  Source it after setting BENCH_TAG (the log prefix)
# and MAX_SECONDS; a script may define bench_on_exit to undo more at exit.
# Sets ROOT (the checkout), TMP (a private temp dir), PIDS, WATCHDOG.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '[%s %s] %s\n' "$BENCH_TAG" "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# Folders a run makes are private, as pipit keeps its data folder (0700):
# a looser one is tightened at start with a warning, which runs count as
# an anomaly.
umask 077
TMP=$(mktemp -d "/tmp/pipit-$BENCH_TAG.XXXXXX")
PIDS=()     # every long-running process we started
WATCHDOG=""

# Stops everything the run started (TERM, then KILL after 5 s), then the
# watchdog, then the script's own extra cleanup; removes TMP.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  [[ -n $WATCHDOG ]] && kill "$WATCHDOG" 2>/dev/null || true
  if declare -F bench_on_exit >/dev/null; then bench_on_exit || true; fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# The whole run is bounded: past MAX_SECONDS the script is stopped.
(
  trap 'kill "$s" 2>/dev/null; exit 0' TERM
  sleep "$MAX_SECONDS" & s=$!
  wait "$s"
  log "watchdog: over ${MAX_SECONDS}s, stopping"
  kill -TERM $$
) &
WATCHDOG=$!

forget() { # drop a pid from PIDS once it is gone
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

# need_tools HINT TOOL...: dies at the first TOOL not on PATH, naming it and
# (if not empty) HINT, the packages that bring them.
need_tools() {
  local hint=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "missing $tool${hint:+ ($hint)}"
  done
}

# Sets BIN, the pipit measured: $<TAG>_BIN (TAG being BENCH_TAG in
# capitals, '-' as '_') or the release build; dies unless it can run.
need_pipit() {
  local knob=${BENCH_TAG^^}_BIN
  knob=${knob//-/_}
  BIN=${!knob:-$ROOT/build/release/pipit}
  [[ -x $BIN ]] || die "no binary at $BIN (cmake --preset release && cmake --build --preset release)"
}

# Configures (quietly) and builds the release preset.
build_release() {
  (cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
}

# field LINE NAME: the value of NAME=value in a result line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

# pipit_port LOG PID: waits up to 10 s for `pipit serve` (pid PID, stderr
# in LOG) to log its port; prints it, or shows LOG and dies.
pipit_port() {
  local port=""
  for _ in $(seq 200); do
    port=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$1" | grep -o '[0-9]*$' || true)
    [[ -n $port ]] && { echo "$port"; return 0; }
    kill -0 "$2" 2>/dev/null || break
    sleep 0.05
  done
  cat "$1" >&2
  die "pipit did not start"
}

ANOMALIES=()
anomaly() { ANOMALIES+=("$*"); log "ANOMALY: $*"; }

# The last lines of a summary: the anomalies noted, or "none".
anomalies_section() {
  if ((${#ANOMALIES[@]})); then
    echo "Anomalies:"
    printf -- '- %s\n' "${ANOMALIES[@]}"
  else
    echo "Anomalies: none"
  fi
}

# Lines of machine.txt every run states: CPUs, memory, kernel, and the
# file system of TMP.
machine_facts() {
  echo "nproc: $(nproc)"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "mem: $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "fs: $(df -T "$TMP" | awk 'NR == 2 {print $2, $1}')"
}

# Waits up to $2 seconds for pid $1 (our child) to exit; then reaps it.
# Sets WAIT_SECS to the seconds it took; returns 1 if it had to be killed.
WAIT_SECS=0
wait_exit() {
  local pid=$1 limit=$2 t0 st
  t0=$(date +%s.%N)
  for _ in $(seq $((limit * 10))); do
    st=$(ps -o stat= -p "$pid" 2>/dev/null || true)
    [[ -z $st || $st == Z* ]] && break
    sleep 0.1
  done
  st=$(ps -o stat= -p "$pid" 2>/dev/null || true)
  local killed=0
  if [[ -n $st && $st != Z* ]]; then kill -KILL "$pid" 2>/dev/null || true; killed=1; fi
  wait "$pid" 2>/dev/null || true
  forget "$pid"
  WAIT_SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  return $killed
}

free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  die "no free port"
}
