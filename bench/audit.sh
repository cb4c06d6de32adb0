#!/usr/bin/env bash
# bench/audit.sh: the audit log (issue 6) at scale: appends per second,
# checkpoint signing, blast radius, proofs and a full verify over AUDIT_N
# events (10,000,000).
#
# The events are generated through the store interface by
# build/release/bench/pp_audit_bench (bench/audit-tool.c): PP_W_AUDIT writes
# to the group-commit writer, 16384 in flight, exactly the path pipit
# serve's events take (canonical leaf, SHA-256, frontier, subtree hashes,
# index rows, one durable commit per batch).  Not a fast SQL path: the
# append rate measured is the store's.  50,000 principals over 30 days;
# the intruder (one API key) has AUDIT_INTRUDER (10,000) events spread over
# the whole time, each naming 5 messages of 3 accounts.
#
# Then: 100 forced checkpoints through the store (root from the frontier,
# Ed25519, commit) and 10,000 signatures alone; the blast-radius index
# search alone and `pipit audit blast-radius` end to end (3 runs each, and
# by source address); inclusion and consistency proofs with `pipit audit
# proof`; `pipit audit verify` over everything (AUDIT_VERIFY=0 skips it).
# AUDIT_DIR keeps the data directory (default: a temporary one, removed).
# Results: build/bench/audit-<UTC time>/summary.md.
#
# Needs: cmake, ninja, a C compiler; about 8 GB of disk for 10 million.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/build/release/pipit
TOOL=$ROOT/build/release/bench/pp_audit_bench
N=${AUDIT_N:-10000000}
K=${AUDIT_INTRUDER:-10000}
MAX_SECONDS=${AUDIT_MAX_SECONDS:-10800}
INTRUDER=SKbadbadbadbadbadbadbadbadbadbadba

BENCH_TAG=audit
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)
git -C "$ROOT" diff --quiet HEAD -- src bench || COMMIT="$COMMIT + uncommitted changes"
log "building the release preset"
build_release
OUT=$ROOT/build/bench/audit-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
DIR=${AUDIT_DIR:-$TMP/data}
mkdir -p "$DIR"

# Milliseconds a command takes (its output to $OUT/$1.out).
timed() {
  local name=$1 t0 t1
  shift
  t0=$(date +%s%N)
  "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
value() { sed -n "s/^$1 \([^ ]*\).*/\1/p" "$OUT/$2.out"; }

log "schema and key: pipit audit checkpoint on an empty data directory"
"$BIN" audit --data "$DIR" checkpoint >/dev/null 2>&1

log "appending $N events (intruder: $K) through the store"
"$TOOL" gen "$DIR" "$N" "$K" >"$OUT/gen.out"
cat "$OUT/gen.out" >&2
rate=$(value appends_per_second gen)
mean_batch=$(value mean_batch gen)
gen_secs=$(value append_seconds gen)

log "checkpoints"
"$TOOL" checkpoint "$DIR" 100 >"$OUT/checkpoint.out"
cp_write=$(value checkpoint_write_ms checkpoint)
cp_sign=$(value checkpoint_sign_us checkpoint)

log "blast radius of the intruder"
search=() blast=() blast_ip=()
for i in 1 2 3; do
  "$TOOL" search "$DIR" "$INTRUDER" >"$OUT/search$i.out"
  search+=("$(value search_ms "search$i")")
  blast+=("$(timed "blast$i" "$BIN" audit --data "$DIR" blast-radius --principal "$INTRUDER" --json)")
  blast_ip+=("$(timed "blast_ip$i" "$BIN" audit --data "$DIR" blast-radius --source-ip 10.0.0.1 --json)")
done
events=$(value search_events search1)
sids=$(value search_resources search1)
msgs=$(sed -n 's/.*"messages":{"count":\([0-9]*\).*/\1/p' "$OUT/blast1.out")
accounts=$(sed -n 's/.*"accounts":{"count":\([0-9]*\).*/\1/p' "$OUT/blast1.out")
ip_events=$(sed -n 's/.*"events":\([0-9]*\).*/\1/p' "$OUT/blast_ip1.out")
[[ $accounts == 3 ]] || anomaly "the intruder's report names $accounts accounts, not 3"
[[ $msgs == "$sids" ]] || anomaly "the report names $msgs messages, the index $sids"

log "proofs"
size=$(sed -n 's/^tree_size \([0-9]*\).*/\1/p' "$OUT/checkpoint.out")
incl=$(timed inclusion "$BIN" audit --data "$DIR" proof --inclusion $((size / 3)) --json)
cons=$(timed consistency "$BIN" audit --data "$DIR" proof --consistency $((size / 2 + 1)) "$size" --json)
grep -q '"verified":true' "$OUT/inclusion.out" || anomaly "inclusion proof did not verify"
grep -q '"verified":true' "$OUT/consistency.out" || anomaly "consistency proof did not verify"

verify_ms=skipped
if [[ ${AUDIT_VERIFY:-1} == 1 ]]; then
  log "pipit audit verify over everything"
  verify_ms=$(timed verify "$BIN" audit --data "$DIR" verify) || true
  grep -q '^OK:' "$OUT/verify.out" || anomaly "verify: $(head -1 "$OUT/verify.out")"
fi
disk=$(du -sh "$DIR" | cut -f1)

{
  echo "# audit log benchmark, $(date -u +%Y-%m-%dT%H:%MZ), built from $COMMIT"
  echo
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(uname -r)"
  echo
  echo "| measure | value |"
  echo "|---|---|"
  echo "| events appended through the store | $N ($gen_secs s) |"
  echo "| appends per second (mean over the run) | $rate |"
  echo "| mean writes per commit | $mean_batch |"
  echo "| checkpoint through the store (root, sign, commit) | $cp_write ms |"
  echo "| checkpoint signature alone (Ed25519 over the note) | $cp_sign µs |"
  echo "| blast radius, index search alone (3 runs) | ${search[*]} ms |"
  echo "| blast radius, pipit audit blast-radius end to end (3 runs) | ${blast[*]} ms |"
  echo "| … the intruder's report | $events events, $accounts accounts, $msgs messages |"
  echo "| blast radius by source address 10.0.0.1 (3 runs) | ${blast_ip[*]} ms ($ip_events events) |"
  echo "| inclusion proof, pipit audit proof end to end | $incl ms |"
  echo "| consistency proof, pipit audit proof end to end | $cons ms |"
  echo "| pipit audit verify over everything | $verify_ms ms |"
  echo "| data directory | $disk |"
  for a in "${ANOMALIES[@]+"${ANOMALIES[@]}"}"; do echo; echo "ANOMALY: $a"; done
} >"$OUT/summary.md"
cat "$OUT/summary.md"
log "results in $OUT"
