#!/usr/bin/env bash
# bench/e2e.sh: the end-to-end SMS delivery benchmark (issue 3), loopback only.
#
# In one run, against the same SMSC (`pipit smsc`, a fresh process for each
# system, receipts at once: --dlr-delay-ms 0), with the same window (one
# transceiver bind, E2E_WINDOW submits outstanding), the same N messages
# (same text, destination +1555 and the message's index as 7 digits) and
# the same load generator (bench/e2e-tool.c `load`: exactly N requests over
# E2E_CONNECTIONS keep-alive connections, one in flight per connection):
#
#   pipit   POST /2010-04-01/Accounts/{sid}/Messages.json (201 once the row
#           is committed) -> engine -> submit_sm -> receipt -> `delivered`
#           committed in DIR/pipit.db.  Done when the SMSC has had N receipt
#           deliver_sm answered (pipit answers a receipt only after the store
#           committed it) AND `select count(*) from messages where
#           status='delivered'` (sqlite3 CLI, a WAL reader) says N: the end
#           time is when that query returned.
#   kannel  Debian's kannel (bearerbox + smsbox), the config of
#           bench/kannel.conf with only its ports and paths moved
#           (max-pending-submits = E2E_WINDOW), GET /cgi-bin/sendsms ...
#           &dlr-mask=1 (202) -> submit_sm -> receipt -> dlr-url callback with
#           st=1 to bench/e2e-tool.c `dlr`.  Done when the N-th distinct
#           delivered callback arrived (the receiver's own clock).
#
# End-to-end rate = N / (end - the instant the first request was written).
# Create-phase rate = N / (last answer - first request).  Afterwards every
# count is checked: N answers 2xx, N submits and N receipts acked at the
# SMSC, N rows all `delivered` (pipit), N distinct delivered callbacks and no
# duplicates (kannel); a mismatch is an anomaly.
#
# CPU: before each measured run the script waits (at most E2E_QUIET_WAIT s)
# for a second in which the CPUs are at most E2E_QUIET_BUSY % busy; during
# the run it records the CPU seconds of every thread of the measured
# processes in the create phase and in the rest (delivery only), the
# machine's busy share, and the CPU seconds of every other process seen
# before and after the run ("other load"; processes that start and end
# inside the run are only in the machine total; those started during the
# run count with all their CPU time).  With E2E_TOP=1 a `top -H`
# frame of the measured processes gives their CPU % in the run's second
# second.  With E2E_PROFILE=1 an extra, unmeasured pipit run is profiled with
# perf (cpu-clock by thread and function).
#
# Knobs (environment): E2E_N (100000), E2E_CONNECTIONS (50), E2E_WINDOW
# (100), E2E_SYSTEMS ("pipit kannel"), E2E_ROUNDS (1; rounds alternate the
# systems), E2E_HTTP_THREADS (pipit serve --http-threads; unset = its
# default), E2E_TEXT (message text, "Hello from the e2e bench"),
# E2E_QUIET_WAIT (120), E2E_QUIET_BUSY (10), E2E_STALL (s without progress
# that fails a run, 60), E2E_TOP (1), E2E_PROFILE (0), E2E_BUILD (1: cmake
# --build --preset release first), E2E_BIN (another pipit binary, e.g. one
# built from `git archive` of a commit; no build then), E2E_MAX_SECONDS (whole-run watchdog,
# 2400), E2E_BIN_BEFORE (an earlier pipit binary, measured as the system
# pipit-before: E2E_SYSTEMS="pipit kannel pipit-before" gives before/after
# ratios against Kannel from one run), E2E_OUT (results dir, default
# build/bench/e2e-<UTC time>),
# E2E_KANNEL_CONF (bench/kannel.conf).
#
# Prints one line per measured run:
#   E2E_RESULT system= round= n= e2e_rps= e2e_secs= create_rps= ...
# and E2E_RATIO lines (pipit / kannel end-to-end, per round); a summary in
# $OUT/summary.md.
#
# Needs: cmake, ninja, a C compiler, sqlite3, curl, iproute2 (ss), procps
# (top), kannel (bearerbox, smsbox), and linux-perf for E2E_PROFILE=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${E2E_BIN:-$ROOT/build/release/pipit}
BIN_BEFORE=${E2E_BIN_BEFORE:-}
# A binary older than `carrier add --password-file` takes the bench SMSC's
# password on its command line.
BEFORE_ARGV_PASSWORD=""
# (The usage is read whole first: under pipefail, grep -q closing the pipe
# early would make a binary that has the option look as if it had not.)
if [[ -n $BIN_BEFORE ]]; then
  usage=$("$BIN_BEFORE" admin carrier 2>&1 || true)
  grep -q -- --password-file <<<"$usage" || BEFORE_ARGV_PASSWORD=1
fi
N=${E2E_N:-100000}
CONNECTIONS=${E2E_CONNECTIONS:-50}
WINDOW=${E2E_WINDOW:-100}
SYSTEMS=${E2E_SYSTEMS:-pipit kannel}
ROUNDS=${E2E_ROUNDS:-1}
HTTP_THREADS=${E2E_HTTP_THREADS:-}
TEXT=${E2E_TEXT:-Hello from the e2e bench}
QUIET_WAIT=${E2E_QUIET_WAIT:-120}
QUIET_BUSY=${E2E_QUIET_BUSY:-10}
STALL=${E2E_STALL:-60}
TOP=${E2E_TOP:-1}
PROFILE=${E2E_PROFILE:-0}
BUILD=${E2E_BUILD:-1}
MAX_SECONDS=${E2E_MAX_SECONDS:-2400}
OUT=${E2E_OUT:-$ROOT/build/bench/e2e-$(date -u +%Y%m%dT%H%M%SZ)}
KANNEL_CONF=${E2E_KANNEL_CONF:-$ROOT/bench/kannel.conf}
HZ=$(getconf CLK_TCK)
TEXT_ENC=$(printf '%s' "$TEXT" | sed 's/ /+/g') # form and query encoding (plain text only)

BENCH_TAG=e2e
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

[[ $N =~ ^[1-9][0-9]*$ ]] || die "E2E_N must be a positive integer"
[[ $TEXT =~ ^[A-Za-z0-9\ .,]+$ ]] || die "E2E_TEXT: letters, digits, spaces, . and , only"
need_tools "apt-get install cmake ninja-build gcc sqlite3 curl iproute2 procps" cmake cc sqlite3 curl ss top
if [[ " $SYSTEMS " == *" kannel "* ]]; then
  command -v bearerbox >/dev/null && command -v smsbox >/dev/null ||
    die "missing kannel (apt-get install kannel), or E2E_SYSTEMS=pipit"
  [[ -f $KANNEL_CONF ]] || die "no kannel.conf (set E2E_KANNEL_CONF)"
fi
if [[ $PROFILE == 1 ]] && ! command -v perf >/dev/null; then
  die "missing perf (apt-get install linux-perf), or E2E_PROFILE=0"
fi

# ---- processes and cleanup: bench/lib.sh ----------------------------------

# Stops pid $1 (our child) with SIGTERM, waits up to $2 s, then SIGKILL.
# Returns 1 if it had to be killed.
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  wait_exit "$1" "$2"
}

USED_PORTS=" "
take_port() { # VAR: a port nothing listens on and this script has not handed out
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    ss -Htan "sport = :$p" | grep -q . && continue
    [[ $USED_PORTS == *" $p "* ]] && continue
    USED_PORTS+="$p "
    printf -v "$1" '%s' "$p"
    return
  done
  die "no free port"
}

ns_now() { date +%s%N; }
jnum() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<<"$1"; }

# ---- CPU accounting --------------------------------------------------------
# "pid/tid comm ticks" for every thread of the given pids.
threads_snap() {
  local pid t s f c
  for pid in "$@"; do
    for t in /proc/"$pid"/task/*; do
      { read -r s <"$t/stat"; } 2>/dev/null || continue
      c=${s#*(}; c=${c%)*}
      read -r -a f <<<"${s##*) }" # f[0] is field 3 (state): utime 14, stime 15
      echo "$pid/${t##*/} ${c// /_} $((f[11] + f[12]))"
    done
  done
}
machine_snap() { # busy total niced (ticks, all CPUs)
  awk '/^cpu /{b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6, $3}' /proc/stat
}
# "pid comm ticks starttime" for every process (kernel threads too).  No fork
# per process.
procs_snap() {
  local f s c a
  for f in /proc/[0-9]*/stat; do
    { read -r s <"$f"; } 2>/dev/null || continue
    c=${s#*(}; c=${c%)*}
    read -r -a a <<<"${s##*) }"
    echo "${f//[^0-9]/} ${c// /_} $((a[11] + a[12])) ${a[19]}"
  done
}
# Waits (at most QUIET_WAIT s) for a second in which the CPUs are <= QUIET_BUSY % busy.
QUIET_SECS=0; QUIET_LAST=0
wait_quiet() {
  local a b i busy=0
  for ((i = 0; i < QUIET_WAIT; i++)); do
    a=$(machine_snap); sleep 1; b=$(machine_snap)
    busy=$(echo "$a $b" | awk '{d=$5-$2; print d ? int(100*($4-$1)/d) : 0}')
    QUIET_LAST=$busy
    if ((busy <= QUIET_BUSY)); then QUIET_SECS=$((i + 1)); return 0; fi
    ((i % 10 == 0)) && log "waiting for a quiet machine (CPUs ${busy}% busy with other work)"
  done
  QUIET_SECS=$QUIET_WAIT
  log "machine still ${busy}% busy after ${QUIET_WAIT}s; measuring anyway (see other load)"
}
# CPU seconds per thread between two threads_snap outputs: "pid/tid comm secs".
thread_delta() {
  join -j1 <(sort <<<"$1") <(sort <<<"$2") |
    awk -v hz="$HZ" '{printf "%s %s %.2f\n", $1, $2, ($5 - $3) / hz}'
}
sum3() { awk '{s += $3} END {printf "%.2f", s}'; }

# ---- the SMSC --------------------------------------------------------------
SMSC_PID=""; SMSC_PORT=""; SMSC_CTL=""
start_smsc() { # log
  take_port SMSC_PORT; take_port SMSC_CTL
  "$BIN" smsc --listen "127.0.0.1:$SMSC_PORT" --system-id probe --password pw \
    --dlr-delay-ms 0 --control "127.0.0.1:$SMSC_CTL" 2>"$1" &
  SMSC_PID=$!
  PIDS+=("$SMSC_PID")
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$SMSC_CTL/stats" && return 0
    kill -0 "$SMSC_PID" 2>/dev/null || break
    sleep 0.05
  done
  cat "$1" >&2
  die "pipit smsc did not start"
}
smsc_stats() { curl -sf --max-time 5 "http://127.0.0.1:$SMSC_CTL/stats"; }
wait_bound() { # waits until the SMSC has one bind open
  local s
  for _ in $(seq 300); do
    s=$(smsc_stats || true)
    [[ $(jnum "$s" open_connections) -ge 1 && $(jnum "$s" binds) -ge 1 ]] 2>/dev/null && return 0
    sleep 0.1
  done
  die "no bind at the SMSC after 30 s: $s"
}

# ---- pipit -----------------------------------------------------------------
SERVER_PID=""; SERVER_PORT=""; SID=""; AUTH=""
start_pipit() { # dir log
  local dir=$1 logf=$2 json token
  mkdir -p "$dir"
  json=$("$BIN" admin --data "$dir" account create --name bench --number +15557654321 --json 2>>"$logf")
  SID=$(sed -n 's/.*"sid":"\([^"]*\)".*/\1/p' <<<"$json")
  token=$(sed -n 's/.*"auth_token":"\([^"]*\)".*/\1/p' <<<"$json")
  [[ $SID == AC* && -n $token ]] || die "account create: $json"
  AUTH=$(printf '%s:%s' "$SID" "$token" | base64 -w0)
  if [[ $BIN == "$BIN_BEFORE" && -n $BEFORE_ARGV_PASSWORD ]]; then
    # a binary from before --password-file (the bench SMSC's own password)
    "$BIN" admin --data "$dir" carrier add sim --smpp "127.0.0.1:$SMSC_PORT" \
      --system-id probe --password pw --window "$WINDOW" >>"$logf" 2>&1 || die "carrier add"
  else
    printf 'pw\n' | "$BIN" admin --data "$dir" carrier add sim --smpp "127.0.0.1:$SMSC_PORT" \
      --system-id probe --password-file - --window "$WINDOW" >>"$logf" 2>&1 || die "carrier add"
  fi
  "$BIN" admin --data "$dir" route add --prefix + --carrier sim >>"$logf" 2>&1 || die "route add"
  local args=(serve --data "$dir" --listen 127.0.0.1:0)
  [[ -n $HTTP_THREADS ]] && args+=(--http-threads "$HTTP_THREADS")
  "$BIN" "${args[@]}" 2>>"$logf" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  SERVER_PORT=""
  for _ in $(seq 200); do
    SERVER_PORT=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$logf" | grep -o '[0-9]*$' || true)
    [[ -n $SERVER_PORT ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  [[ -n $SERVER_PORT ]] || { cat "$logf" >&2; die "pipit serve did not start"; }
  wait_bound
}
delivered_count() { sqlite3 "$1/pipit.db" "select count(*) from messages where status='delivered'"; }

# ---- kannel ----------------------------------------------------------------
BB_PID=""; SB_PID=""; DLR_PID=""; DLR_PORT=""; SENDSMS_PORT=""; KDIR=""
start_kannel() { # dir
  KDIR=$1
  local admin box
  take_port admin; take_port box; take_port SENDSMS_PORT; take_port DLR_PORT
  mkdir -p "$KDIR/kannel-run"
  # the tested config; only ports (and the window knob) change
  sed -E -e "s/^(admin-port *= *).*/\1$admin/" \
    -e "s/^(smsbox-port *= *).*/\1$box/" \
    -e "s/^(bearerbox-port *= *).*/\1$box/" \
    -e "s/^(sendsms-port *= *).*/\1$SENDSMS_PORT/" \
    -e "s/^(port *= *)2775\$/\1$SMSC_PORT/" \
    -e "s/^(max-pending-submits *= *).*/\1$WINDOW/" \
    -e "s#http://127\.0\.0\.1:8099/#http://127.0.0.1:$DLR_PORT/#" \
    "$KANNEL_CONF" >"$KDIR/kannel.conf"
  grep -q "^port = $SMSC_PORT\$" "$KDIR/kannel.conf" && grep -q ":$DLR_PORT/dlr" "$KDIR/kannel.conf" ||
    die "could not move kannel.conf's ports (expected 'port = 2775' and dlr-url on :8099)"
  diff "$KANNEL_CONF" "$KDIR/kannel.conf" >"$KDIR/conf.diff" || true
  "$TOOL" dlr --port "$DLR_PORT" --n "$N" >"$KDIR/dlr.out" 2>"$KDIR/dlr.err" &
  DLR_PID=$!
  PIDS+=("$DLR_PID")
  (cd "$KDIR" && exec bearerbox kannel.conf) >"$KDIR/bearerbox.out" 2>&1 &
  BB_PID=$!
  PIDS+=("$BB_PID")
  sleep 0.5
  (cd "$KDIR" && exec smsbox kannel.conf) >"$KDIR/smsbox.out" 2>&1 &
  SB_PID=$!
  PIDS+=("$SB_PID")
  local s="" status_pw
  status_pw=$(sed -n 's/^status-password *= *//p' "$KDIR/kannel.conf")
  for _ in $(seq 300); do
    s=$(curl -s --max-time 2 "http://127.0.0.1:$admin/status.txt?password=$status_pw" || true)
    if grep -q "SMPP:127.0.0.1:$SMSC_PORT/$SMSC_PORT:probe: (online" <<<"$s" &&
      grep -q 'smsbox:.*IP 127.0.0.1' <<<"$s" &&
      [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SENDSMS_PORT/" || true) != 000 ]]; then
      wait_bound
      return 0
    fi
    kill -0 "$BB_PID" 2>/dev/null && kill -0 "$SB_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "$s" >&2
  tail -5 "$KDIR/kannel-run/bearerbox.log" "$KDIR/kannel-run/smsbox.log" >&2 || true
  die "kannel did not come up"
}
stop_kannel() {
  stop_pid "$SB_PID" 30 || anomaly "smsbox did not stop within 30 s; killed"
  stop_pid "$BB_PID" 30 || anomaly "bearerbox did not stop within 30 s; killed"
  stop_pid "$DLR_PID" 10 || true
}

# ---- one measured run -------------------------------------------------------
RESULTS=$OUT/results.tsv

# top_frame file pids...: one `top -H` frame (1 s) of the given processes
top_frame() {
  local f=$1; shift
  local list; list=$(IFS=,; echo "$*")
  top -H -b -n2 -d1 -w 200 -p "$list" 2>/dev/null | awk '/^top -/{n++} n == 2' >"$f" || true
}

run_one() { # system round
  local sys=$1 round=$2 tag="$1-$2" dir=$TMP/$1-$2
  local pids=() names=() load_line wait_line t_end t_ack="" rc
  mkdir -p "$dir"
  start_smsc "$OUT/smsc-$tag.log"
  if [[ $sys == pipit* ]]; then
    start_pipit "$dir" "$OUT/pipit-$tag.log"
    pids=("$SERVER_PID" "$SMSC_PID"); names=(pipit-serve pipit-smsc)
  else
    start_kannel "$dir"
    pids=("$BB_PID" "$SB_PID" "$DLR_PID" "$SMSC_PID"); names=(bearerbox smsbox dlr-receiver pipit-smsc)
  fi
  wait_quiet
  local quiet_secs=$QUIET_SECS quiet_last=$QUIET_LAST
  local p0 p1 c0 c1 c2 m0 m1 m2
  p0=$(procs_snap)
  c0=$(threads_snap "${pids[@]}"); m0=$(machine_snap)
  log "$sys round $round: sending $N messages"
  local topf=$OUT/top-$tag.txt tp=""
  if [[ $TOP == 1 ]]; then # one frame, CPU % over the 2nd second of the run
    (sleep 1; top_frame "$topf" "${pids[@]}") &
    tp=$!
  fi
  local ltime=$TMP/load.time
  {
    TIMEFORMAT='%U %S'
    if [[ $sys == pipit* ]]; then
      time "$TOOL" load --port "$SERVER_PORT" --n "$N" --connections "$CONNECTIONS" --method POST \
        --path "/2010-04-01/Accounts/$SID/Messages.json" --auth "$AUTH" \
        --body "To=%2B1555{i}&From=%2B15557654321&Body=$TEXT_ENC" --label "$sys" \
        >"$OUT/load-$tag.txt" 2>"$OUT/load-$tag.err"
    else
      time "$TOOL" load --port "$SENDSMS_PORT" --n "$N" --connections "$CONNECTIONS" --method GET \
        --path "/cgi-bin/sendsms?username=bench&password=bench&to=%2B1555{i}&text=$TEXT_ENC&dlr-mask=1" \
        --label "$sys" >"$OUT/load-$tag.txt" 2>"$OUT/load-$tag.err"
    fi
  } 2>"$ltime" || { cat "$OUT/load-$tag.err" >&2; die "$sys: the load generator failed"; }
  c1=$(threads_snap "${pids[@]}"); m1=$(machine_snap)
  load_line=$(grep '^LOAD_RESULT' "$OUT/load-$tag.txt") || die "$sys: no LOAD_RESULT"
  log "$sys round $round: create phase done: $(field "$load_line" rps)/s ($(field "$load_line" ok) 2xx, $(field "$load_line" non2xx) non-2xx, $(field "$load_line" errors) errors); waiting for delivery"
  local wtime=$TMP/wait.time
  {
    TIMEFORMAT='%U %S'
    rc=0
    if [[ $sys == pipit* ]]; then
      time "$TOOL" wait --port "$SMSC_CTL" --path /stats --key receipts_acked --n "$N" \
        --stall-s "$STALL" --progress "$OUT/progress-$tag.txt" >"$OUT/wait-$tag.txt" \
        2>"$OUT/wait-$tag.err" || rc=$?
    else
      time "$TOOL" wait --port "$DLR_PORT" --path /count --key delivered --n "$N" \
        --stall-s "$STALL" --progress "$OUT/progress-$tag.txt" >"$OUT/wait-$tag.txt" \
        2>"$OUT/wait-$tag.err" || rc=$?
    fi
  } 2>"$wtime"
  ((rc == 0)) || anomaly "$sys round $round: not all delivered: $(cat "$OUT/wait-$tag.err")"
  wait_line=$(grep '^WAIT_RESULT' "$OUT/wait-$tag.txt" || true)
  local delivered=0 polls=0
  if [[ $sys == pipit* ]]; then
    t_ack=$(field "$wait_line" t_ns)
    # the receipts are answered after their commit; confirm in the store
    for _ in $(seq 600); do
      delivered=$(delivered_count "$dir" || echo 0)
      t_end=$(ns_now)
      polls=$((polls + 1))
      ((delivered >= N)) && break
      ((rc == 0)) || break
      sleep 0.01
    done
  else
    local cnt
    cnt=$(curl -sf "http://127.0.0.1:$DLR_PORT/count")
    delivered=$(jnum "$cnt" delivered); delivered=${delivered:-0}
    t_end=$(jnum "$cnt" t_done_ns); t_end=${t_end:-0}
  fi
  c2=$(threads_snap "${pids[@]}"); m2=$(machine_snap)
  p1=$(procs_snap)
  if [[ -n $tp ]]; then wait "$tp" 2>/dev/null || true; fi

  # ---- figures
  local t_first n_ok e2e_secs e2e_rps create_secs create_rps
  t_first=$(field "$load_line" t_first_ns)
  n_ok=$(field "$load_line" ok)
  if ((delivered >= N && t_end > 0)); then
    e2e_secs=$(awk -v a="$t_first" -v b="$t_end" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
    e2e_rps=$(awk -v n="$N" -v s="$e2e_secs" 'BEGIN {printf "%.0f", n / s}')
  else
    e2e_secs=NA; e2e_rps=0
  fi
  create_secs=$(field "$load_line" secs); create_rps=$(field "$load_line" rps)
  local ack_note=""
  if [[ -n $t_ack && $t_ack != 0 ]]; then
    ack_note=$(awk -v a="$t_first" -v b="$t_ack" -v e="$t_end" -v n="$N" \
      -v q="$polls" 'BEGIN {printf "receipts_acked=N at %.3f s (%.0f/s), store confirmed %.0f ms later (%d sqlite3 queries)", (b - a) / 1e9, n / ((b - a) / 1e9), (e - b) / 1e6, q}')
  fi

  # ---- CPU
  thread_delta "$c0" "$c1" >"$OUT/cpu-create-$tag.txt"
  thread_delta "$c1" "$c2" >"$OUT/cpu-deliver-$tag.txt"
  local i cpu_parts="" pc pd
  for i in "${!pids[@]}"; do
    pc=$(grep "^${pids[$i]}/" "$OUT/cpu-create-$tag.txt" | sum3)
    pd=$(grep "^${pids[$i]}/" "$OUT/cpu-deliver-$tag.txt" | sum3)
    cpu_parts+="${names[$i]} ${pc}+${pd}; "
  done
  local lcpu wcpu busy_pct ours others
  lcpu=$(awk '{printf "%.2f", $1 + $2}' "$ltime"); wcpu=$(awk '{printf "%.2f", $1 + $2}' "$wtime")
  cpu_parts+="load-generator $lcpu; poller $wcpu"
  busy() { echo "$1 $2" | awk '{d=$5-$2; printf "%.0f", d ? 100*($4-$1)/d : 0}'; }
  local busy_create busy_deliver
  busy_pct=$(busy "$m0" "$m2"); busy_create=$(busy "$m0" "$m1"); busy_deliver=$(busy "$m1" "$m2")
  ours=$( (cat "$OUT/cpu-create-$tag.txt" "$OUT/cpu-deliver-$tag.txt" | sum3; echo; echo "$lcpu $wcpu") |
    awk '{for (i = 1; i <= NF; i++) s += $i} END {printf "%.2f", s}')
  local skip=" ${pids[*]} $$ $BASHPID $WATCHDOG $tp "
  # processes seen at both ends: the difference; processes born during the
  # run (in p1 only): all their CPU time
  awk -v hz="$HZ" -v skip="$skip" 'FNR == NR {t[$1] = $3; st[$1] = $4; next}
    index(skip, " " $1 " ") {next}
    {old = ($1 in t) && st[$1] == $4; d = old ? $3 - t[$1] : $3}
    !old && $2 == "top" {next} # our top -H sampler (E2E_TOP)
    d > 0 {printf "%.2f %s %s\n", d / hz, $1, $2}' <(echo "$p0") <(echo "$p1") |
    sort -rn >"$OUT/others-$tag.txt"
  others=$(awk '{s += $1} END {printf "%.2f", s}' "$OUT/others-$tag.txt")
  local others_top
  others_top=$(head -4 "$OUT/others-$tag.txt" | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $3, $1}')
  local machine_other
  machine_other=$(echo "$m0 $m2" | awk -v hz="$HZ" -v o="$ours" '{printf "%.2f", ($4 - $1) / hz - o}')
  local niced
  niced=$(echo "$m0 $m2" | awk -v hz="$HZ" '{printf "%.2f", ($6 - $3) / hz}')
  local run_secs
  run_secs=$(echo "$m0 $m2" | awk -v hz="$HZ" -v n="$(nproc)" '{printf "%.2f", ($5-$2)/hz/n}')

  # ---- checks
  local s submits acked
  s=$(smsc_stats || true)
  submits=$(jnum "$s" submits); acked=$(jnum "$s" receipts_acked)
  [[ $n_ok == "$N" ]] || anomaly "$sys round $round: $n_ok of $N requests answered 2xx: $load_line"
  [[ $(field "$load_line" slow_connects) == 0 ]] || log "$sys round $round: $(field "$load_line" slow_connects) connects took a SYN retransmission (setup only, not measured)"
  [[ $(field "$load_line" retried) == 0 ]] || anomaly "$sys round $round: $(field "$load_line" retried) requests sent again after a connection closed"
  [[ $submits == "$N" ]] || anomaly "$sys round $round: the SMSC answered $submits submits, not $N"
  [[ $acked == "$N" ]] || anomaly "$sys round $round: $acked receipts acked at the SMSC, not $N"
  [[ $(jnum "$s" submits_rejected) == 0 && $(jnum "$s" submits_throttled) == 0 && $(jnum "$s" deliver_errors) == 0 ]] ||
    anomaly "$sys round $round: SMSC errors: $s"
  echo "$s" >"$OUT/smsc-stats-$tag.json"
  local verify
  if [[ $sys == pipit* ]]; then
    stop_pid "$SERVER_PID" 60 || anomaly "pipit round $round: serve did not stop within 60 s; killed"
    verify=$(sqlite3 "$dir/pipit.db" "select status, count(*) from messages group by status" | tr '\n' ' ')
    [[ $verify == "delivered|$N " ]] || anomaly "pipit round $round: statuses in the store: $verify"
    grep -E ' (error|warn) ' "$OUT/pipit-$tag.log" | head -20 >"$OUT/pipit-$tag.warnings" || true
    [[ -s $OUT/pipit-$tag.warnings ]] && anomaly "pipit round $round: warnings in the server log: $(head -2 "$OUT/pipit-$tag.warnings" | tr '\n' ' ')"
  else
    local cnt dup
    cnt=$(curl -sf "http://127.0.0.1:$DLR_PORT/count" || true)
    dup=$(jnum "$cnt" duplicates)
    verify="dlr: $cnt"
    [[ $(jnum "$cnt" delivered) == "$N" && $dup == 0 && $(jnum "$cnt" other) == 0 ]] ||
      anomaly "kannel round $round: delivery reports: $cnt"
    cp "$dir/conf.diff" "$OUT/kannel-conf-$tag.diff"
    stop_kannel
    for f in bearerbox.log smsbox.log; do
      grep -E 'ERROR|PANIC' "$dir/kannel-run/$f" | grep -v 'SIGINT received, aborting program' | head -5 >>"$OUT/kannel-$tag.errors" || true
    done
    [[ -s $OUT/kannel-$tag.errors ]] && anomaly "kannel round $round: errors in its logs: $(head -2 "$OUT/kannel-$tag.errors" | tr '\n' ' ')"
  fi
  stop_pid "$SMSC_PID" 30 || anomaly "smsc did not stop; killed"
  rm -rf "$dir"

  local line
  line="E2E_RESULT system=$sys round=$round n=$N e2e_rps=$e2e_rps e2e_secs=$e2e_secs create_rps=$create_rps create_secs=$create_secs create_p50_ms=$(field "$load_line" p50_ms) create_p99_ms=$(field "$load_line" p99_ms) delivered=$delivered submits=$submits busy_pct=$busy_pct busy_create_pct=$busy_create busy_deliver_pct=$busy_deliver other_procs_cpu_s=$others machine_minus_ours_cpu_s=$machine_other niced_cpu_s=$niced quiet_wait_s=$quiet_secs"
  echo "$line" | tee -a "$OUT/results.txt"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sys" "$round" "$N" \
    "$e2e_rps" "$e2e_secs" "$create_rps" "$create_secs" "$delivered" "$submits" "$busy_pct" \
    "$ours" "$others" "$others_top" "$cpu_parts" "$machine_other" "$niced" >>"$RESULTS"
  log "$sys round $round: $e2e_rps msg/s end to end ($N in $e2e_secs s), create phase $create_rps/s; ${ack_note:+$ack_note; }CPUs ${busy_pct}% busy over ${run_secs} s (create phase ${busy_create}%, delivery phase ${busy_deliver}%); CPU s (create+deliver): $cpu_parts; other processes $others s ($others_top); machine busy minus ours $machine_other s; niced (nice > 0) CPU $niced s"
  [[ -n $ack_note ]] && echo "$sys round $round: $ack_note" >>"$OUT/notes.txt"
  echo "$sys round $round: quiet wait ${quiet_secs}s (last 1 s window ${quiet_last}% busy before the run)" >>"$OUT/notes.txt"
}

# ---- profiled pipit run (not measured) ----------------------------------------
run_profile() {
  local dir=$TMP/profile pr
  mkdir -p "$dir" "$OUT/profile"
  start_smsc "$OUT/profile/smsc.log"
  start_pipit "$dir" "$OUT/profile/pipit.log"
  wait_quiet
  perf record -q -F 999 -p "$SERVER_PID" -o "$OUT/profile/cpu.data" 2>"$OUT/profile/record.err" &
  pr=$!; PIDS+=("$pr")
  # commits reach the disk through fdatasync/fsync: count them per thread
  perf stat --per-thread -p "$SERVER_PID" -o "$OUT/profile/syncs.txt" \
    -e 'syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync' 2>"$OUT/profile/stat.err" &
  ps=$!; PIDS+=("$ps")
  sleep 0.5
  "$TOOL" load --port "$SERVER_PORT" --n "$N" --connections "$CONNECTIONS" --method POST \
    --path "/2010-04-01/Accounts/$SID/Messages.json" --auth "$AUTH" \
    --body "To=%2B1555{i}&From=%2B15557654321&Body=$TEXT_ENC" --label profiled \
    >"$OUT/profile/load.txt" 2>"$OUT/profile/load.err" || true
  "$TOOL" wait --port "$SMSC_CTL" --path /stats --key receipts_acked --n "$N" --stall-s "$STALL" \
    >"$OUT/profile/wait.txt" 2>&1 || true
  kill -INT "$pr" "$ps" 2>/dev/null || true
  stop_pid "$pr" 30 || true
  stop_pid "$ps" 30 || true
  local l w
  l=$(grep '^LOAD_RESULT' "$OUT/profile/load.txt" || true)
  w=$(grep '^WAIT_RESULT' "$OUT/profile/wait.txt" || true)
  if [[ -n $l && -n $w ]]; then
    awk -v a="$(field "$l" t_first_ns)" -v b="$(field "$w" t_ns)" -v n="$N" \
      'BEGIN {printf "profiled run: %d receipts acked after %.3f s (%.0f/s, perf running)\n", n, (b - a) / 1e9, n / ((b - a) / 1e9)}' \
      >"$OUT/profile/rate.txt"
  fi
  stop_pid "$SERVER_PID" 60 || true
  stop_pid "$SMSC_PID" 30 || true
  rm -rf "$dir"
  perf report -i "$OUT/profile/cpu.data" --no-children --sort pid --stdio 2>/dev/null |
    grep -v '^$' >"$OUT/profile/by-thread.txt" || true
  perf report -i "$OUT/profile/cpu.data" --no-children --sort pid,dso,sym --stdio 2>/dev/null |
    grep -v '^$' >"$OUT/profile/tid-dso-sym.txt" || true
  perf report -i "$OUT/profile/cpu.data" --no-children --sort sym --stdio 2>/dev/null |
    grep -v '^$' >"$OUT/profile/sym.txt" || true
}

# ---- main ------------------------------------------------------------------
mkdir -p "$OUT"
log "results in $OUT"
if [[ $BUILD == 1 && -z ${E2E_BIN:-} ]]; then
  [[ -f $ROOT/build/release/build.ninja ]] || (cd "$ROOT" && cmake --preset release >/dev/null)
  (cd "$ROOT" && cmake --build --preset release --target pipit >/dev/null) || die "release build failed"
fi
[[ -x $BIN ]] || die "no $BIN (cmake --preset release && cmake --build --preset release)"
TOOL=$TMP/e2e-tool
cc -O2 -Wall -o "$TOOL" "$ROOT/bench/e2e-tool.c" || die "cannot build bench/e2e-tool.c"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  if [[ -n ${E2E_BIN:-} ]]; then
    echo "pipit: $BIN (E2E_BIN; the repository is at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  else
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain -- src CMakeLists.txt 2>/dev/null | grep -q . && echo ' (src modified)')"
  fi
  machine_facts
  echo "kannel: $(dpkg-query -W -f '${Version}' kannel 2>/dev/null || echo '?')"
  echo "sqlite: $(sqlite3 --version | cut -d' ' -f1)"
  echo "settings: N=$N connections=$CONNECTIONS window=$WINDOW (one transceiver bind each) systems='$SYSTEMS' rounds=$ROUNDS http_threads=${HTTP_THREADS:-default} text='$TEXT' smsc='pipit smsc --dlr-delay-ms 0'"
  echo "kannel.conf: $KANNEL_CONF"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2
printf 'system\tround\tn\te2e_rps\te2e_secs\tcreate_rps\tcreate_secs\tdelivered\tsubmits\tbusy_pct\tours_cpu_s\tother_procs_cpu_s\tother_top\tcpu_create+deliver\tmachine_minus_ours_cpu_s\tniced_cpu_s\n' >"$RESULTS"

for ((r = 1; r <= ROUNDS; r++)); do
  order=$SYSTEMS
  # alternate who goes first, so neither always runs on the warmer machine
  if ((r % 2 == 0)); then order=$(tr ' ' '\n' <<<"$SYSTEMS" | tac | tr '\n' ' '); fi
  for sys in $order; do
    case $sys in
    pipit | kannel) run_one "$sys" "$r" ;;
    pipit-before)
      [[ -x $BIN_BEFORE ]] || die "pipit-before needs E2E_BIN_BEFORE"
      now_bin=$BIN
      BIN=$BIN_BEFORE
      run_one "$sys" "$r"
      BIN=$now_bin
      ;;
    *) die "unknown system $sys" ;;
    esac
  done
done
[[ $PROFILE == 1 ]] && run_profile

# ---- summary ---------------------------------------------------------------
RATIOS=$(awk -F'\t' 'NR > 1 {v[$1, $2] = $4; if ($2 > n) n = $2}
  END {for (r = 1; r <= n; r++) if (v["pipit", r] > 0 && v["kannel", r] > 0)
    printf "E2E_RATIO round=%d pipit_over_kannel=%.2f\n", r, v["pipit", r] / v["kannel", r]
    for (r = 1; r <= n; r++) if (v["pipit-before", r] > 0 && v["kannel", r] > 0)
    printf "E2E_RATIO round=%d before_over_kannel=%.2f\n", r, v["pipit-before", r] / v["kannel", r]}' "$RESULTS")
[[ -n $RATIOS ]] && echo "$RATIOS" | tee -a "$OUT/results.txt"
{
  echo "# End-to-end SMS delivery benchmark, $(sed -n 's/^date: //p' "$OUT/machine.txt")"
  echo
  sed 's/^/    /' "$OUT/machine.txt"
  echo
  echo "| system | round | end to end msg/s | s | create msg/s | create s | delivered | submits | CPUs busy % | our CPU s | other procs CPU s | machine busy - ours, CPU s | niced CPU s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' 'NR > 1 {printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
    $1, $2, $4, $5, $6, $7, $8, $9, $10, $11, $12, $15, $16}' "$RESULTS"
  echo
  [[ -n $RATIOS ]] && { echo "$RATIOS" | sed 's/^/    /'; echo; }
  echo "CPU seconds per process (create phase + delivery phase):"
  echo
  awk -F'\t' 'NR > 1 {printf "- %s round %s: %s\n", $1, $2, $14}' "$RESULTS"
  echo
  echo "Other processes during each run (top 4, CPU s):"
  echo
  awk -F'\t' 'NR > 1 {printf "- %s round %s: %s\n", $1, $2, ($13 == "" ? "none" : $13)}' "$RESULTS"
  echo
  [[ -f $OUT/notes.txt ]] && { sed 's/^/- /' "$OUT/notes.txt"; echo; }
  echo "Threads of the measured processes, CPU s in the create phase / delivery phase:"
  echo
  echo '```'
  for f in "$OUT"/cpu-create-*.txt; do
    tag=${f#"$OUT"/cpu-create-}; tag=${tag%.txt}
    echo "$tag:"
    join -j1 <(sort "$f") <(sort "$OUT/cpu-deliver-$tag.txt") |
      awk '$3 + $5 >= 0.05 {printf "  %-16s %-14s %6.2f %6.2f\n", $1, $2, $3, $5}'
  done
  echo '```'
  if [[ $PROFILE == 1 && -f $OUT/profile/by-thread.txt ]]; then
    echo
    echo "Profile of an extra pipit run (perf cpu-clock 999 Hz), $OUT/profile:"
    echo
    echo '```'
    cat "$OUT/profile/rate.txt" 2>/dev/null || true
    grep -E '^ +[0-9]' "$OUT/profile/by-thread.txt" | head -10 || true
    echo
    grep -E 'pipit-[0-9]+ +[0-9,]+ +syscalls' "$OUT/profile/syncs.txt" | awk '$2 != "0"' || true
    echo
    grep -E '^ +[0-9]' "$OUT/profile/tid-dso-sym.txt" | head -30 || true
    echo '```'
  fi
  echo
  anomalies_section
} >"$OUT/summary.md"
cat "$OUT/summary.md"
log "results in $OUT"
((${#ANOMALIES[@]} == 0)) || exit 3
