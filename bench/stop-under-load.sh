#!/usr/bin/env bash
# bench/stop-under-load.sh: stops `pipit serve` with SIGTERM under keep-alive
# POST load (wrk, bench/post.lua: Messages.create) many times and counts the
# exit codes (issue 11, item 1: libmicrohttpd aborted 20 of 30 such stops
# with exit 134).  Every stop must exit 0.
#
#   bench/stop-under-load.sh            30 rounds, 2 HTTP threads, release build
#   STOP_ROUNDS=40 STOP_HTTP_THREADS=16 STOP_BIN=build/asan/pipit bench/stop-under-load.sh
#
# Each round starts the server on a fresh port with the same data folder,
# loads it with wrk (STOP_CONNECTIONS keep-alive connections, default 50),
# sends SIGTERM after a random 0.1-0.9 s, and waits up to 60 s for the
# exit.  Prints one line per round and a summary:
#   STOP_RESULT rounds=N exit0=N other=N codes=...
# Exit status: 0 when every round exited 0.
BENCH_TAG=stop
MAX_SECONDS=${STOP_MAX_SECONDS:-900}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # strict mode, ROOT
ROUNDS=${STOP_ROUNDS:-30}
HTTP_THREADS=${STOP_HTTP_THREADS:-2}
CONNECTIONS=${STOP_CONNECTIONS:-50}

command -v wrk >/dev/null || die "wrk is needed (apt-get install -y wrk)"
need_pipit # BIN: STOP_BIN or the release build
data=$TMP/data
mkdir -p "$data"
json=$("$BIN" admin --data "$data" account create --name stop --number +15557654321 --json 2>/dev/null)
sid=$(sed -n 's/.*"sid":"\([^"]*\)".*/\1/p' <<<"$json")
token=$(sed -n 's/.*"auth_token":"\([^"]*\)".*/\1/p' <<<"$json")
[[ $sid == AC* && -n $token ]] || die "account create: $json"
auth=$(printf '%s:%s' "$sid" "$token" | base64 -w0)

declare -A codes=()
ok=0
for ((round = 1; round <= ROUNDS; round++)); do
  logf=$TMP/serve-$round.log
  "$BIN" serve --data "$data" --listen 127.0.0.1:0 --http-threads "$HTTP_THREADS" 2>"$logf" &
  pid=$!
  PIDS+=("$pid")
  port=$(pipit_port "$logf" "$pid")
  BENCH_AUTH=$auth BENCH_LABEL=stop wrk -t1 -c"$CONNECTIONS" -d5s -s "$ROOT/bench/post.lua" \
    "http://127.0.0.1:$port/2010-04-01/Accounts/$sid/Messages.json" >"$TMP/wrk-$round.out" 2>&1 &
  wrk_pid=$!
  delay=$(printf '0.%d' $((RANDOM % 9 + 1)))
  sleep "$delay" # a benchmark's own timing, not a test's
  kill -TERM "$pid"
  rc=0
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    rc=timeout
  fi
  [[ $rc == timeout ]] || { wait "$pid" || rc=$?; }
  kill "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" 2>/dev/null || true
  codes[$rc]=$((${codes[$rc]:-0} + 1))
  [[ $rc == 0 ]] && ok=$((ok + 1))
  abort=$(grep -m1 -E 'Fatal|ERROR: AddressSanitizer|runtime error' "$logf" || true)
  log "round $round: SIGTERM after ${delay}s, exit $rc${abort:+ ($abort)}"
done
summary=""
for k in "${!codes[@]}"; do summary+="$k:${codes[$k]},"; done
echo "STOP_RESULT rounds=$ROUNDS exit0=$ok other=$((ROUNDS - ok)) codes=${summary%,}"
((ok == ROUNDS))
