#!/usr/bin/env bash
# bench/at-rest.sh: what encryption at rest costs Messages.create (issue 6).
#
# Two release builds in one run: this tree, and AT_REST_BASE (default the
# last commit before encryption at rest, a391199), built from `git archive`
# into a temp dir.  Each round runs both, alternating which goes first, on a
# fresh data dir: `pipit serve`, one account owning the From number, then
# wrk -t1 -c50 for AT_REST_SECONDS (10) with bench/post.lua (the same
# durable Messages.create for both).  Prints each run's rate and, per round,
# sealed / plain.  AT_REST_ROUNDS (3); AT_REST_BIN and AT_REST_BASE_BIN
# measure other builds as "sealed" and "plain" (e.g. two commits with the
# same later fix applied, to isolate what encryption costs).
#
# Needs: cmake, ninja, a C compiler, wrk, curl, ss, git.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=${AT_REST_BASE:-a391199}
ROUNDS=${AT_REST_ROUNDS:-3}
SECONDS_PER_RUN=${AT_REST_SECONDS:-10}
MAX_SECONDS=${AT_REST_MAX_SECONDS:-900}

BENCH_TAG=at-rest
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

for tool in cmake wrk curl ss git; do command -v "$tool" >/dev/null || die "missing $tool"; done
log "building this tree and $BASE (release)"
(cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release --target pipit >/dev/null)
if [[ -z ${AT_REST_BASE_BIN:-} ]]; then
  mkdir -p "$TMP/base"
  git -C "$ROOT" archive "$BASE" | tar -x -C "$TMP/base"
  (cd "$TMP/base" && cmake --preset release >/dev/null && cmake --build --preset release --target pipit >/dev/null)
fi
declare -A BINS=([sealed]=${AT_REST_BIN:-$ROOT/build/release/pipit}
                 [plain]=${AT_REST_BASE_BIN:-$TMP/base/build/release/pipit})

run() { # label round -> prints rps
  local label=$1 r=$2 dir=$TMP/data-$1-$2 port json sid tok pid line
  mkdir -p "$dir"
  json=$("${BINS[$label]}" admin --data "$dir" account create --name b --number +15557654321 --json 2>/dev/null)
  sid=$(sed -n 's/.*"sid":"\([^"]*\)".*/\1/p' <<<"$json")
  tok=$(sed -n 's/.*"auth_token":"\([^"]*\)".*/\1/p' <<<"$json")
  port=$(free_port)
  "${BINS[$label]}" serve --data "$dir" --listen "127.0.0.1:$port" --log-level warn 2>>"$TMP/serve.log" &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
  line=$(BENCH_AUTH=$(printf '%s:%s' "$sid" "$tok" | base64 -w0) BENCH_LABEL=$label \
    wrk -t1 -c50 -d"${SECONDS_PER_RUN}s" -s "$ROOT/bench/post.lua" \
    "http://127.0.0.1:$port/2010-04-01/Accounts/$sid/Messages.json" | grep '^BENCH_RESULT')
  kill -TERM "$pid"
  wait_exit "$pid" 30 || anomaly "$label round $r: serve did not stop"
  [[ $(field "$line" non2xx) == 0 ]] || anomaly "$label round $r: non-2xx answers: $line"
  field "$line" rps
}

echo "this tree $(git -C "$ROOT" rev-parse --short HEAD), base $BASE, wrk -t1 -c50 -d${SECONDS_PER_RUN}s, $(nproc) CPUs"
for r in $(seq "$ROUNDS"); do
  if ((r % 2)); then order="sealed plain"; else order="plain sealed"; fi
  declare -A rps=()
  for label in $order; do
    rps[$label]=$(run "$label" "$r")
    log "round $r $label: ${rps[$label]} creates/s"
  done
  awk -v r="$r" -v s="${rps[sealed]}" -v p="${rps[plain]}" \
    'BEGIN {printf "round %d: sealed %.0f/s, plain %.0f/s, sealed/plain %.3f (cost %.1f%%)\n", r, s, p, s / p, 100 * (1 - s / p)}'
done
if ((${#ANOMALIES[@]})); then printf 'anomalies:\n'; printf '  %s\n' "${ANOMALIES[@]}"; exit 1; fi
