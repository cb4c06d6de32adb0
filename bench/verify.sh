#!/usr/bin/env bash
# bench/verify.sh: the Verify benchmark (issue 5), loopback only.
#
# Starts a release `pipit serve` on a fresh data directory (no carrier: the
# verification messages fail at once with 21612, which leaves the checks
# alone), makes an account with `pipit admin`, and runs
# bench/verify-load.mjs against it (plain node:http, keep-alive,
# VERIFY_CONNECTIONS connections, one request in flight on each):
#
#   verification_check_approve  VerificationCheck with the right code, one
#                               per pending verification (each a durable
#                               write: pending -> approved)
#   verification_check_wrong    VerificationCheck with a wrong code (each a
#                               durable write: checks + 1)
#   totp_challenge_approve      Challenges.create with AuthPayload for a
#                               verified TOTP factor (open the sealed
#                               secret, 3 HMACs for the skew, a durable
#                               write of the accepted time step and the
#                               approved challenge)
#
# Every answer is checked (status and JSON); a wrong one counts as an error
# and fails the run.  Afterwards the rows are counted with the sqlite3 CLI:
# approved verifications and approved challenges must equal the requests.
#
# Knobs (environment): VERIFY_N (20000 verifications per check phase),
# VERIFY_FACTORS (10000), VERIFY_CONNECTIONS (32), VERIFY_PHASES ("checks
# wrong challenges"), VERIFY_HTTP_THREADS (pipit serve --http-threads;
# unset = its default), VERIFY_BUILD (1: cmake --build --preset release
# first), VERIFY_MAX_SECONDS (watchdog, 900), VERIFY_BIN (the pipit binary
# to measure, build/release/pipit; an earlier one for a before/after in one
# sitting).
#
# Needs: cmake, ninja, a C compiler, node with the repository's npm
# devDependencies (npm ci), sqlite3, curl, iproute2 (ss).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${VERIFY_BIN:-$ROOT/build/release/pipit}
MAX_SECONDS=${VERIFY_MAX_SECONDS:-900}
BENCH_TAG=verify
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

need_tools "" cmake node sqlite3 curl ss
[[ -d $ROOT/node_modules/otpauth ]] || die "run npm ci in $ROOT first"
if [[ ${VERIFY_BUILD:-1} == 1 ]]; then
  build_release ||
    die "release build failed"
fi

port=""
for _ in $(seq 200); do
  p=$((20000 + RANDOM % 40000))
  ss -Htln "sport = :$p" | grep -q . || { port=$p; break; }
done
[[ -n $port ]] || die "no free port"
DATA=$TMP/data
base=http://127.0.0.1:$port
acct=$("$BIN" admin --data "$DATA" account create --name bench --number +15550990001 --json)
sid=$(sed -n 's/.*"sid":"\([^"]*\)".*/\1/p' <<<"$acct")
token=$(sed -n 's/.*"auth_token":"\([^"]*\)".*/\1/p' <<<"$acct")
args=(serve --listen "127.0.0.1:$port" --data "$DATA" --public-url "$base" --log-level warn)
[[ -n ${VERIFY_HTTP_THREADS:-} ]] && args+=(--http-threads "$VERIFY_HTTP_THREADS")
"$BIN" "${args[@]}" 2>"$TMP/serve.log" &
PIDS+=($!)
for _ in $(seq 100); do
  curl -s -o /dev/null "$base/" && break
  sleep 0.1
done
log "pipit on $base (data $DATA), $(nproc) CPUs"

rc=0
(cd "$ROOT" && node bench/verify-load.mjs "$base" "$sid" "$token") | tee "$TMP/results.txt" || rc=$?

# Count what the store holds (the server keeps running: sqlite3 reads the WAL).
approved=$(sqlite3 "$DATA/pipit.db" "select count(*) from verifications where status='approved'")
challenges=$(sqlite3 "$DATA/pipit.db" "select count(*) from verify_challenges where status='approved'")
want_v=$(sed -n 's/.*phase=verification_check_approve n=\([0-9]*\).*/\1/p' "$TMP/results.txt")
want_c=$(sed -n 's/.*phase=totp_challenge_approve n=\([0-9]*\).*/\1/p' "$TMP/results.txt")
log "rows: approved verifications $approved (expected ${want_v:-0}), approved challenges $challenges (expected ${want_c:-0})"
[[ $approved == "${want_v:-0}" && $challenges == "${want_c:-0}" ]] || { log "row counts do not match"; rc=1; }
if grep -q . "$TMP/serve.log"; then log "server stderr:"; sed 's/^/  | /' "$TMP/serve.log" >&2; fi
exit "$rc"
