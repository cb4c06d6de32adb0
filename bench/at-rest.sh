#!/usr/bin/env bash
# bench/at-rest.sh: what encryption at rest costs Messages.create (issue 6).
#
# Two release builds of this tree in one run: as shipped ("sealed"), and
# with the CMake option PP_BENCH_PLAINTEXT ("plain", build/bench-plain),
# whose store keeps content in clear: seal and open pass values through, a
# blind index is the value itself and a token's hash the token, and
# preseal does nothing (src/store/crypt.h).  Everything else is the same
# code, so the ratio is what the cryptography and the larger rows cost.
# AT_REST_BASE=<commit> instead builds that commit from `git archive` as
# "plain" (e.g. a391199, the last commit before encryption at rest).
# Each round runs both, alternating which goes first, on a fresh data dir:
# `pipit serve`, one account owning the From number, then wrk -t1 -c50 for
# AT_REST_SECONDS (10) with bench/post.lua (the same durable
# Messages.create for both).  Prints each run's rate and, per round,
# sealed / plain.  AT_REST_ROUNDS (3); AT_REST_BIN and AT_REST_BASE_BIN
# measure other builds as "sealed" and "plain".
#
# Needs: cmake, ninja, a C compiler, wrk, curl, ss, git.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=${AT_REST_BASE:-}
ROUNDS=${AT_REST_ROUNDS:-3}
SECONDS_PER_RUN=${AT_REST_SECONDS:-10}
MAX_SECONDS=${AT_REST_MAX_SECONDS:-900}

BENCH_TAG=at-rest
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

need_tools "" cmake wrk curl ss git
log "building this tree (release, and release with PP_BENCH_PLAINTEXT=ON)${BASE:+ and $BASE}"
(cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release --target pipit >/dev/null)
if [[ -n ${AT_REST_BASE_BIN:-} ]]; then
  PLAIN_BIN=$AT_REST_BASE_BIN
elif [[ -n $BASE ]]; then
  mkdir -p "$TMP/base"
  git -C "$ROOT" archive "$BASE" | tar -x -C "$TMP/base"
  (cd "$TMP/base" && cmake --preset release >/dev/null && cmake --build --preset release --target pipit >/dev/null)
  PLAIN_BIN=$TMP/base/build/release/pipit
else
  (cd "$ROOT" && cmake --preset release -B build/bench-plain -DPP_BENCH_PLAINTEXT=ON >/dev/null &&
    cmake --build build/bench-plain --target pipit >/dev/null)
  PLAIN_BIN=$ROOT/build/bench-plain/pipit
fi
export PIPIT_BENCH_PLAINTEXT=1 # only the PP_BENCH_PLAINTEXT build reads it
declare -A BINS=([sealed]=${AT_REST_BIN:-$ROOT/build/release/pipit}
                 [plain]=$PLAIN_BIN)

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

echo "this tree $(git -C "$ROOT" rev-parse --short HEAD), plain: ${BASE:-PP_BENCH_PLAINTEXT build of it}, wrk -t1 -c50 -d${SECONDS_PER_RUN}s, $(nproc) CPUs"
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
