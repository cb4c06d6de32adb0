#!/usr/bin/env bash
# bench/audit-api.sh: what the audit log costs the API path.  Durable
# Messages.create (wrk -t1 -c50 -d10s, bench/post.lua, the request of
# bench/run.sh) against this tree's release build and against BASE_BIN (a
# pipit built without the audit log, e.g. from the commit before it:
#   git archive <commit> | tar -x -C /tmp/base && (cd /tmp/base &&
#   cmake --preset release && cmake --build --preset release)
# then BASE_BIN=/tmp/base/build/release/pipit), ROUNDS (2) rounds,
# interleaved.  Then, with this tree only, a parent listing 20 messages of
# its subaccount (each list an audit event the answer waits for) against
# the subaccount listing its own (no event): wrk -t1 -c16 -d10s GET.
#
# Needs: wrk, curl, ss.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/build/release/pipit
BASE_BIN=${BASE_BIN:?set BASE_BIN to a pipit without the audit log}
ROUNDS=${ROUNDS:-2}
MAX_SECONDS=${AUDIT_API_MAX_SECONDS:-900}
BENCH_TAG=audit-api
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

need_tools "" wrk curl ss
build_release

# start BIN DIR: a server on a free port; sets PORT and SERVER.
start() {
  PORT=$(free_port)
  "$1" serve --data "$2" --listen "127.0.0.1:$PORT" --http-threads 2 2>"$2/serve.log" &
  SERVER=$!
  PIDS+=("$SERVER")
  for _ in $(seq 100); do
    grep -q "listening on" "$2/serve.log" 2>/dev/null && return
    sleep 0.1
  done
  die "$1 did not start"
}
stop() { kill -TERM "$SERVER"; wait_exit "$SERVER" 30 || anomaly "server killed"; }
field_of() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

run_create() { # label bin
  local dir=$TMP/$1 acct sid tok line
  rm -rf "$dir" && mkdir -p "$dir"
  acct=$("$2" admin --data "$dir" account create --name bench --number +15557654321 --json)
  sid=$(sed -E 's/.*"sid":"([^"]+)".*/\1/' <<<"$acct")
  tok=$(sed -E 's/.*"auth_token":"([^"]+)".*/\1/' <<<"$acct")
  start "$2" "$dir"
  line=$(BENCH_AUTH=$(printf '%s:%s' "$sid" "$tok" | base64 -w0) BENCH_LABEL=$1 \
    wrk -t1 -c50 -d10s --latency -s "$ROOT/bench/post.lua" \
    "http://127.0.0.1:$PORT/2010-04-01/Accounts/$sid/Messages.json" | grep BENCH_RESULT)
  stop
  echo "| $1 | $(field_of "$line" rps) | $(field_of "$line" p50_ms) | $(field_of "$line" p99_ms) | $(field_of "$line" non2xx) |"
}

RESULTS=("| run | req/s | p50 ms | p99 ms | non-2xx |" "|---|---|---|---|---|")
for r in $(seq "$ROUNDS"); do
  RESULTS+=("$(run_create "base$r" "$BASE_BIN")")
  RESULTS+=("$(run_create "audit$r" "$BIN")")
done

# A parent reading its subaccount (recorded) against the subaccount itself.
dir=$TMP/reads
mkdir -p "$dir"
acct=$("$BIN" admin --data "$dir" account create --name parent --json)
psid=$(sed -E 's/.*"sid":"([^"]+)".*/\1/' <<<"$acct")
ptok=$(sed -E 's/.*"auth_token":"([^"]+)".*/\1/' <<<"$acct")
start "$BIN" "$dir"
sub=$(curl -s -u "$psid:$ptok" -X POST "http://127.0.0.1:$PORT/2010-04-01/Accounts.json" -d FriendlyName=sub)
ssid=$(sed -E 's/.*"sid":"(AC[0-9a-f]{32})","status".*/\1/' <<<"$sub")
stok=$(sed -E 's/.*"auth_token":"([0-9a-f]{32})".*/\1/' <<<"$sub")
# The subaccount takes a number the operator made available to it.
"$BIN" admin --data "$dir" number add +15557654322 --account "$ssid" >/dev/null
curl -s -u "$ssid:$stok" -X POST "http://127.0.0.1:$PORT/2010-04-01/Accounts/$ssid/IncomingPhoneNumbers.json" \
  -d PhoneNumber=+15557654322 >/dev/null
for i in $(seq 20); do
  curl -s -u "$ssid:$stok" -X POST "http://127.0.0.1:$PORT/2010-04-01/Accounts/$ssid/Messages.json" \
    -d To=+15551234567 -d From=+15557654322 -d "Body=m$i" >/dev/null
done
cat >"$TMP/get.lua" <<'EOF'
wrk.method = "GET"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_AUTH")
done = function(summary, latency, requests)
  io.write(string.format("BENCH_RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status))
end
EOF
READS=("| reader | req/s | p50 ms | p99 ms | non-2xx |" "|---|---|---|---|---|")
for who in own parent own parent; do
  if [[ $who == own ]]; then auth="$ssid:$stok"; else auth="$psid:$ptok"; fi
  line=$(BENCH_AUTH=$(printf '%s' "$auth" | base64 -w0) wrk -t1 -c16 -d10s --latency -s "$TMP/get.lua" \
    "http://127.0.0.1:$PORT/2010-04-01/Accounts/$ssid/Messages.json?PageSize=20" | grep BENCH_RESULT)
  READS+=("| $who | $(field_of "$line" rps) | $(field_of "$line" p50_ms) | $(field_of "$line" p99_ms) | $(field_of "$line" non2xx) |")
done
stop
events=$(sqlite3 "$dir/pipit.db" "SELECT count(*) FROM audit_log WHERE event='content.read'" 2>/dev/null || echo "?")

printf '%s\n' "# durable Messages.create, base ($BASE_BIN) and audit ($(git -C "$ROOT" rev-parse --short HEAD))" \
  "${RESULTS[@]}" "" "# GET 20 messages of a subaccount: by itself, by its parent (content.read events: $events)" \
  "${READS[@]}"
for a in "${ANOMALIES[@]+"${ANOMALIES[@]}"}"; do echo "ANOMALY: $a"; done
