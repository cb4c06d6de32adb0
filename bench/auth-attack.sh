#!/usr/bin/env bash
# bench/auth-attack.sh: audit rows per second under a credential-guessing
# attack (issue 11, item 3).  Against this tree's release build, one client
# (wrk -t1 -c16 -d${ATTACK_SECONDS}s, bench/auth-attack.lua) sends, in
# turn: a wrong auth token for a real account SID; no credentials at all;
# a wrong token for a new random AC... SID each request (spoofed
# principals).  For each: requests/s, answers by status, audit rows
# appended during the attack and after the server stopped (the guard's
# last counts are written then), rows per second, and whether the real
# owner, from another address (127.0.0.2), still gets 200 during it.
# Results: build/bench/auth-attack-<UTC time>/summary.md.
#
# BIN: run another pipit binary instead of building this tree's.
# Needs: wrk, curl, sqlite3, ss.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECS=${ATTACK_SECONDS:-8}
MAX_SECONDS=${AUTH_ATTACK_MAX_SECONDS:-600}
BENCH_TAG=auth-attack
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

need_tools "" wrk curl sqlite3 ss
if [[ -z ${BIN:-} ]]; then # BIN=another pipit (say, from before the guard) to compare
  build_release
  BIN=$ROOT/build/release/pipit
fi
OUT=$ROOT/build/bench/auth-attack-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

rows() { sqlite3 "$1/pipit.db" 'SELECT count(*) FROM audit_log'; }

attack() { # label auth
  local dir=$TMP/$1 acct sid tok port server before during after line owner
  rm -rf "$dir" && mkdir -p "$dir"
  acct=$("$BIN" admin --data "$dir" account create --name victim --json)
  sid=$(sed -E 's/.*"sid":"([^"]+)".*/\1/' <<<"$acct")
  tok=$(sed -E 's/.*"auth_token":"([^"]+)".*/\1/' <<<"$acct")
  port=$(free_port)
  "$BIN" serve --data "$dir" --listen "127.0.0.1:$port" --http-threads 2 2>"$dir/serve.log" &
  server=$!
  PIDS+=("$server")
  for _ in $(seq 100); do grep -q "listening on" "$dir/serve.log" && break; sleep 0.1; done
  grep -q "listening on" "$dir/serve.log" || die "the server did not start"
  local auth=$2
  [[ $auth == wrong ]] && auth=$(printf '%s:%s' "$sid" "$(printf '0%.0s' $(seq 32))" | base64 -w0)
  before=$(rows "$dir")
  BENCH_AUTH=$auth wrk -t1 -c16 -d"${SECS}s" -s "$ROOT/bench/auth-attack.lua" \
    "http://127.0.0.1:$port/2010-04-01/Accounts/$sid/Messages.json" >"$OUT/$1.wrk" &
  local wrk_pid=$!
  PIDS+=("$wrk_pid")
  sleep $((SECS / 2))
  owner=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -u "$sid:$tok" \
    "http://127.0.0.1:$port/2010-04-01/Accounts/$sid/Messages.json")
  wait_exit "$wrk_pid" $((SECS + 30)) || anomaly "$1: wrk killed"
  during=$(rows "$dir")
  kill -TERM "$server"
  wait_exit "$server" 30 || anomaly "$1: server killed"
  after=$(rows "$dir")
  "$BIN" audit --data "$dir" verify >"$OUT/$1.verify" 2>&1 || anomaly "$1: audit verify failed"
  line=$(grep BENCH_RESULT "$OUT/$1.wrk")
  local req statuses
  req=$(field "$line" requests)
  statuses=$(tr ' ' '\n' <<<"$line" | sed -n 's/^s\([0-9]*\)=/\1: /p' | sort | paste -sd, -)
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$req" \
    "$(awk -v n="$req" -v s="$SECS" 'BEGIN {printf "%.0f", n / s}')" "$statuses" \
    $((during - before)) $((after - before)) \
    "$(awk -v n=$((after - before)) -v s="$SECS" 'BEGIN {printf "%.1f", n / s}')" "$owner"
}

RESULTS=("| attack | requests | req/s | answers | rows during | rows incl. stop | rows/s | owner from 127.0.0.2 |"
  "|---|---|---|---|---|---|---|---|")
RESULTS+=("$(attack wrong-token wrong)")
RESULTS+=("$(attack no-credentials "")")
RESULTS+=("$(attack spoofed-sids spoof)")

{
  echo "# Audit rows under a credential-guessing attack"
  echo
  echo "$(git -C "$ROOT" rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), ${SECS} s each, wrk -t1 -c16, one client address"
  echo
  printf '%s\n' "${RESULTS[@]}"
  for a in "${ANOMALIES[@]+"${ANOMALIES[@]}"}"; do echo "- anomaly: $a"; done
} | tee "$OUT/summary.md"
