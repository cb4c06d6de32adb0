#!/usr/bin/env bash
# bench/run.sh: the Messages.create benchmark (issue 2), on loopback only.
#
# In one run, with one load generator (wrk + bench/post.lua, the same form
# POST with the same Basic auth header everywhere):
#   durable  pipit, POST .../Messages.json, the row committed before the 201
#   fixed    pipit with PIPIT_BENCH_FIXED_201=1: same HTTP stack, no store
#   nginx    Debian's nginx, own config in a temp dir, `return 201` for POST
# each BENCH_ROUNDS times, interleaved; then the paced (open-loop) latency
# run with bench/pp_pace at half the best durable rate (and at the rates in
# BENCH_PACE_RATES, by default 15000/s, half the issue's 30,000/s target);
# then the profile: a durable run under `perf record -g` (cpu-clock samples
# by thread and function) with tracepoints on fdatasync and a uprobe on the
# SQLite backend's sq_apply(p, ws, n) (rows per commit), and a short durable
# run under `perf stat` counting system calls per thread.  Results, raw
# outputs and summary.md go to BENCH_OUT; summary.md is also printed.
#
# After every durable run the server is stopped and the rows in
# DIR/pipit.db are counted (sqlite3 CLI) against the 201s the client saw.
# wrk does not wait for answers in flight when its time is up, so up to
# BENCH_CONNECTIONS committed rows may have had their 201 dropped by wrk:
# the check is 0 <= rows - 201s <= connections.  pp_pace waits for every
# answer, so there rows must equal the 201s exactly.
#
# Knobs (environment): BENCH_DURATION (s per wrk run, 10), BENCH_CONNECTIONS
# (50), BENCH_WRK_THREADS (1), BENCH_HTTP_THREADS (pipit's and nginx's
# worker count, 2), BENCH_ROUNDS (2), BENCH_PACE_DURATION (20) and
# BENCH_PACE_WARMUP (5, not measured), BENCH_PACE_CONNECTIONS (64),
# BENCH_PACE_RATES ("15000"; "" for none), BENCH_PROFILE (1; 0 skips perf),
# BENCH_PHASES ("throughput pace profile", any subset; pace alone needs
# BENCH_PACE_HALF, the rate of its first paced run),
# BENCH_OUT (results dir, default build/bench/<UTC time>), BENCH_MAX_SECONDS
# (whole-run watchdog, 1500), BENCH_BIN_BEFORE (an earlier pipit binary: each
# round also runs its durable and fixed phases, for before/after ratios from
# one run), BENCH_QUIET_WAIT (s to wait, before each run,
# for other processes to leave the CPUs idle, 90; the CPU they used during
# each run is reported either way).
#
# Needs: cmake, ninja, a C compiler, wrk, nginx (nginx-light), sqlite3,
# curl, iproute2 (ss), procps, and linux-perf for the profile (all Debian
# packages).  Run as root for the profile (uprobe, tracepoints).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/build/release/pipit
BIN_BEFORE=${BENCH_BIN_BEFORE:-}
PACE=$ROOT/build/release/bench/pp_pace
LUA=$ROOT/bench/post.lua
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
WRK_THREADS=${BENCH_WRK_THREADS:-1}
HTTP_THREADS=${BENCH_HTTP_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-2}
PACE_DURATION=${BENCH_PACE_DURATION:-20}
PACE_WARMUP=${BENCH_PACE_WARMUP:-5}
PACE_CONNECTIONS=${BENCH_PACE_CONNECTIONS:-64}
PACE_RATES=${BENCH_PACE_RATES-15000}
PROFILE=${BENCH_PROFILE:-1}
PHASES=${BENCH_PHASES:-throughput pace profile}
MAX_SECONDS=${BENCH_MAX_SECONDS:-1500}
QUIET_WAIT=${BENCH_QUIET_WAIT:-90}
OUT=${BENCH_OUT:-$ROOT/build/bench/$(date -u +%Y%m%dT%H%M%SZ)}
FORM='To=%2B15551234567&From=%2B15557654321&Body=Hello'
HZ=$(getconf CLK_TCK)

BENCH_TAG=bench
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

need_tools "apt-get install wrk nginx-light sqlite3 curl iproute2 cmake ninja-build" cmake wrk nginx sqlite3 curl ss
if [[ $PROFILE == 1 ]] && ! command -v perf >/dev/null; then
  die "missing perf (apt-get install linux-perf), or run with BENCH_PROFILE=0"
fi

# ---- processes and cleanup (bench/lib.sh) ---------------------------------
PROBE=""         # the perf uprobe we added, if any
bench_on_exit() { [[ -z $PROBE ]] || perf probe -q -d "$PROBE" 2>/dev/null; }

# ---- CPU accounting --------------------------------------------------------
# Snapshot: per thread "pid/tid comm utime+stime" of the given pids, and the
# machine's busy/total ticks.
threads_snap() {
  local pid t s f
  for pid in "$@"; do
    for t in /proc/"$pid"/task/*; do
      s=$(cat "$t/stat" 2>/dev/null) || continue
      read -r -a f <<<"${s##*) }" # f[0] is field 3 (state): utime 14, stime 15
      echo "$pid/${t##*/} $(tr ' ' _ <"$t/comm") $((f[11] + f[12]))"
    done
  done
}
machine_snap() { # busy total softirq (ticks, all CPUs)
  awk '/^cpu /{b=$2+$3+$4+$7+$8+$9; t=b+$5+$6; print b, t, $8}' /proc/stat
}
# Snapshot of every process: "pid comm utime+stime" (kernel threads too).
procs_snap() {
  local f s c a
  for f in /proc/[0-9]*/stat; do
    s=$(cat "$f" 2>/dev/null) || continue
    c=${s#*(}; c=${c%)*}
    read -r -a a <<<"${s##*) }"
    echo "${f//[^0-9]/} ${c// /_} $((a[11] + a[12]))"
  done
}
# Waits (at most QUIET_WAIT s) for a second in which the CPUs are <= 10% busy.
wait_quiet() {
  local a b i busy=0
  for ((i = 0; i < QUIET_WAIT; i++)); do
    a=$(machine_snap); sleep 1; b=$(machine_snap)
    busy=$(echo "$a $b" | awk '{d=$5-$2; print d ? int(100*($4-$1)/d) : 0}')
    ((busy <= 10)) && return 0
    ((i % 10 == 0)) && log "waiting for a quiet machine (CPUs ${busy}% busy with other work)"
  done
  log "machine still ${busy}% busy after ${QUIET_WAIT}s; measuring anyway (see other_cpu)"
}

# ---- servers ---------------------------------------------------------------
SERVER_PID=""; SERVER_PORT=""
start_pipit() { # data_dir log [env...]
  local dir=$1 logf=$2; shift 2
  : >"$logf"
  env "$@" "$BIN" serve --data "$dir" --listen 127.0.0.1:0 --http-threads "$HTTP_THREADS" \
    2>"$logf" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  SERVER_PORT=""
  for _ in $(seq 200); do
    SERVER_PORT=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$logf" | grep -o '[0-9]*$' || true)
    [[ -n $SERVER_PORT ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  cat "$logf" >&2
  die "pipit did not start"
}

# Stops the server with SIGTERM; sets STOP_SECS to how long it took.
STOP_SECS=0
stop_server() {
  local pid=$SERVER_PID
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_exit "$pid" 60; then
    anomaly "server $pid did not exit within 60 s of SIGTERM; killed"
  fi
  STOP_SECS=$WAIT_SECS
  SERVER_PID=""
}

new_account() { # data_dir -> sets SID TOKEN AUTH
  local json
  json=$("$BIN" admin --data "$1" account create --name bench --number +15557654321 --json 2>/dev/null)
  SID=$(sed -n 's/.*"sid":"\([^"]*\)".*/\1/p' <<<"$json")
  TOKEN=$(sed -n 's/.*"auth_token":"\([^"]*\)".*/\1/p' <<<"$json")
  [[ $SID == AC* && -n $TOKEN ]] || die "account create: $json"
  AUTH=$(printf '%s:%s' "$SID" "$TOKEN" | base64 -w0)
}

NGINX_DIR=$TMP/nginx
start_nginx() {
  mkdir -p "$NGINX_DIR"
  local port user=""
  port=$(free_port)
  [[ $(id -u) == 0 ]] && user="user root;"
  cat >"$NGINX_DIR/nginx.conf" <<EOF
# Minimal: a fixed 201 for POST, nothing logged, keep-alive without a cap.
$user
worker_processes $HTTP_THREADS;
daemon off;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $NGINX_DIR/body;
  proxy_temp_path $NGINX_DIR/proxy;
  fastcgi_temp_path $NGINX_DIR/fastcgi;
  uwsgi_temp_path $NGINX_DIR/uwsgi;
  scgi_temp_path $NGINX_DIR/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$port;
    location / {
      if (\$request_method != POST) { return 405; }
      default_type application/json;
      return 201 '{"status":"queued"}';
    }
  }
}
EOF
  nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" \
    2>>"$NGINX_DIR/error.log" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  SERVER_PORT=$port
  for _ in $(seq 100); do
    curl -s -o /dev/null -X POST "http://127.0.0.1:$port/" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  cat "$NGINX_DIR/error.log" >&2
  die "nginx did not start"
}

# ---- load ------------------------------------------------------------------
RESULTS=$OUT/results.tsv


# run_wrk label round url auth: runs wrk against SERVER_PID, appends a row.
run_wrk() {
  local label=$1 round=$2 url=$3 auth=$4 pids line c0 c1 m0 m1 wcpu tfile
  pids=("$SERVER_PID")
  [[ $label == nginx ]] && mapfile -t -O 1 pids < <(pgrep -P "$SERVER_PID")
  local p0 p1
  p0=$(procs_snap)
  c0=$(threads_snap "${pids[@]}"); m0=$(machine_snap)
  tfile=$TMP/wrk.time
  {
    TIMEFORMAT='%U %S'
    time BENCH_AUTH=$auth BENCH_LABEL=$label timeout $((DURATION + 60)) \
      wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$LUA" "$url" \
      >"$OUT/wrk-$label-$round.txt"
  } 2>"$tfile"
  c1=$(threads_snap "${pids[@]}"); m1=$(machine_snap)
  p1=$(procs_snap)
  line=$(grep '^BENCH_RESULT' "$OUT/wrk-$label-$round.txt") || die "wrk gave no result ($label)"
  wcpu=$(awk '{printf "%.2f", $1 + $2}' "$tfile")
  # per-thread CPU seconds of the server during the run
  join -j1 <(sort <<<"$c0") <(sort <<<"$c1") |
    awk -v hz="$HZ" '{printf "%s %s %.2f\n", $1, $2, ($5 - $3) / hz}' \
      >"$OUT/cpu-$label-$round.txt"
  local scpu busy total softirq other
  scpu=$(awk '{s += $3} END {printf "%.2f", s}' "$OUT/cpu-$label-$round.txt")
  read -r busy total softirq < <(echo "$m0 $m1" | awk -v hz="$HZ" '{printf "%d %d %.2f\n", $4-$1, $5-$2, ($6-$3)/hz}')
  # other processes (and kernel threads: jbd2, kworkers, ksoftirqd) during
  # the run; processes that came and went within it are not seen here
  join -j1 <(sort <<<"$p0") <(sort <<<"$p1") |
    awk -v hz="$HZ" -v skip=" ${pids[*]} " '$2 == $4 && $5 > $3 && index(skip, " " $1 " ") == 0 && $2 != "wrk" && $2 != "bash" && $2 != "timeout" {
      printf "%.2f %s %s\n", ($5 - $3) / hz, $1, $2}' | sort -rn >"$OUT/others-$label-$round.txt"
  other=$(awk '{s += $1} END {printf "%.2f", s}' "$OUT/others-$label-$round.txt")
  local idle
  idle=$(awk -v b="$busy" -v t="$total" 'BEGIN {printf "%.0f", t ? 100 * (t - b) / t : 0}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$round" \
    "$(field "$line" rps)" "$(field "$line" p50_ms)" "$(field "$line" p90_ms)" \
    "$(field "$line" p99_ms)" "$(field "$line" ok)" "$(field "$line" non2xx)" \
    "$(( $(field "$line" connect_err) + $(field "$line" read_err) + $(field "$line" write_err) + $(field "$line" timeout) ))" \
    "$scpu" "$wcpu" "$softirq" "$other" "$idle" >>"$RESULTS"
  LAST_OK=$(field "$line" ok)
  log "$label round $round: $(field "$line" rps) req/s, p50 $(field "$line" p50_ms) ms, p99 $(field "$line" p99_ms) ms, ok $(field "$line" ok), non-2xx $(field "$line" non2xx); CPU s: server $scpu, wrk $wcpu, softirq $softirq, other processes $other ($(head -3 "$OUT/others-$label-$round.txt" | awk '{printf "%s %s; ", $3, $1}')); idle ${idle}%"
  [[ $(field "$line" non2xx) == 0 ]] || anomaly "$label round $round: $(field "$line" non2xx) non-2xx answers"
  [[ $(( $(field "$line" connect_err) + $(field "$line" read_err) + $(field "$line" write_err) + $(field "$line" timeout) )) == 0 ]] ||
    anomaly "$label round $round: socket errors: $line"
}

metrics_201() { # the server's own count of messages_create 201s
  curl -s --max-time 5 "http://127.0.0.1:$SERVER_PORT/metrics" |
    sed -n 's/^pipit_http_requests_total{route="messages_create",status="201"} \([0-9]*\)$/\1/p'
}

db_rows() { sqlite3 "$1/pipit.db" 'select count(*) from messages'; }

# ---- phases ----------------------------------------------------------------
phase_durable() { # round [label]
  local round=$1 label=${2:-durable} dir=$TMP/durable-$1 m201 secs rows diff
  mkdir -p "$dir"
  new_account "$dir"
  start_pipit "$dir" "$OUT/pipit-$label-$round.log"
  wait_quiet
  run_wrk "$label" "$round" "http://127.0.0.1:$SERVER_PORT/2010-04-01/Accounts/$SID/Messages.json" "$AUTH"
  m201=$(metrics_201)
  stop_server
  secs=$STOP_SECS
  rows=$(db_rows "$dir")
  diff=$((rows - LAST_OK))
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$LAST_OK" "$m201" "$rows" "$secs" >>"$OUT/verify.tsv"
  log "$label round $round: wrk 201s $LAST_OK, server-counted 201s $m201, rows in DB $rows, shutdown ${secs}s"
  if ((diff < 0 || diff > CONNECTIONS)); then
    anomaly "$label round $round: rows $rows vs 201s seen $LAST_OK (difference $diff, allowed 0..$CONNECTIONS)"
  fi
  if awk -v s="$secs" 'BEGIN {exit !(s > 5)}'; then
    anomaly "$label round $round: shutdown after SIGTERM took ${secs}s"
  fi
  if grep -qE ' (error|warn) ' "$OUT/pipit-$label-$round.log"; then
    anomaly "$label round $round: errors in the server log: $(grep -E ' (error|warn) ' "$OUT/pipit-$label-$round.log" | head -3 | tr '\n' ' ')"
  fi
  rm -rf "$dir"
}

phase_fixed() { # round [label]
  local round=$1 label=${2:-fixed} dir=$TMP/fixed-$1
  mkdir -p "$dir"
  new_account "$dir"
  start_pipit "$dir" "$OUT/pipit-$label-$round.log" PIPIT_BENCH_FIXED_201=1
  wait_quiet
  run_wrk "$label" "$round" "http://127.0.0.1:$SERVER_PORT/2010-04-01/Accounts/$SID/Messages.json" "$AUTH"
  stop_server
  rm -rf "$dir"
}

phase_nginx() {
  local round=$1
  start_nginx
  wait_quiet
  run_wrk nginx "$round" "http://127.0.0.1:$SERVER_PORT/2010-04-01/Accounts/ACx/Messages.json" "$AUTH"
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait_exit "$SERVER_PID" 30 || anomaly "nginx did not stop"
  SERVER_PID=""
}

phase_pace() { # label rate round
  local label=$1 rate=$2 round=$3 dir=$TMP/pace-$1-$3 line rows s201 secs m201
  mkdir -p "$dir"
  new_account "$dir"
  start_pipit "$dir" "$OUT/pipit-pace-$label-$round.log"
  wait_quiet
  timeout $((PACE_DURATION + 60)) "$PACE" --port "$SERVER_PORT" \
    --path "/2010-04-01/Accounts/$SID/Messages.json" --auth "$AUTH" --body "$FORM" \
    --rate "$rate" --duration "$PACE_DURATION" --warmup "$PACE_WARMUP" \
    --connections "$PACE_CONNECTIONS" --label "$label" \
    >"$OUT/pace-$label-$round.txt" 2>"$OUT/pace-$label-$round.log"
  line=$(grep '^PACE_RESULT' "$OUT/pace-$label-$round.txt") || die "pp_pace gave no result"
  m201=$(metrics_201)
  stop_server
  secs=$STOP_SECS
  rows=$(db_rows "$dir")
  s201=$(field "$line" status201)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$rate" \
    "$(field "$line" achieved_rps)" "$(field "$line" p50_ms)" "$(field "$line" p90_ms)" \
    "$(field "$line" p99_ms)" "$(field "$line" p999_ms)" "$(field "$line" max_ms)" \
    "$s201" "$rows" "$(( $(field "$line" non2xx) + $(field "$line" errors) + $(field "$line" timeouts) ))" \
    "$(field "$line" max_backlog)" >>"$OUT/pace.tsv"
  log "paced $label round $round at $rate/s: achieved $(field "$line" achieved_rps)/s, p50 $(field "$line" p50_ms) ms, p99 $(field "$line" p99_ms) ms, p99.9 $(field "$line" p999_ms) ms; 201s $s201, rows $rows"
  printf 'paced-%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$s201" "$m201" "$rows" "$secs" >>"$OUT/verify.tsv"
  [[ $rows == "$s201" ]] || anomaly "paced $label round $round: rows $rows != 201s $s201"
  if awk -v s="$secs" 'BEGIN {exit !(s > 5)}'; then
    anomaly "paced $label round $round: shutdown after SIGTERM took ${secs}s"
  fi
  (( $(field "$line" non2xx) + $(field "$line" errors) + $(field "$line" timeouts) == 0 )) ||
    anomaly "paced $label round $round: $line"
  rm -rf "$dir"
}

phase_profile() {
  local dir=$TMP/profile pr ps pp tid secs=$((DURATION + 1)) fsum fwin
  mkdir -p "$dir" "$OUT/profile"
  new_account "$dir"
  start_pipit "$dir" "$OUT/pipit-profile.log"
  # group-commit batch sizes: a uprobe on the SQLite backend's apply(p, ws, n)
  PROBE="probe_pipit:pp_bench_apply"
  perf probe -q -d "$PROBE" 2>/dev/null || true
  if ! perf probe -q -x "$BIN" "pp_bench_apply=sq_apply n=%dx:u64" 2>"$OUT/profile/probe.err"; then
    PROBE=""
    log "no uprobe on sq_apply ($(head -1 "$OUT/profile/probe.err")); batch sizes skipped"
  fi
  wait_quiet
  # Run 1: where the CPU goes (sampling), batch sizes and fdatasync times
  # (a few thousand events a second: cheap).
  perf record -q -g -F 999 -p "$SERVER_PID" -o "$OUT/profile/cpu.data" -- sleep "$secs" \
    2>"$OUT/profile/record.err" &
  pr=$!; PIDS+=("$pr")
  perf record -q -e syscalls:sys_enter_fdatasync -e syscalls:sys_exit_fdatasync \
    ${PROBE:+-e "$PROBE"} -p "$SERVER_PID" -o "$OUT/profile/commits.data" -- sleep "$secs" \
    2>"$OUT/profile/commits.err" &
  pp=$!; PIDS+=("$pp")
  sleep 0.5
  run_wrk profiled 1 "http://127.0.0.1:$SERVER_PORT/2010-04-01/Accounts/$SID/Messages.json" "$AUTH"
  wait_exit "$pr" 60 || true
  wait_exit "$pp" 60 || true
  # Run 2, shorter: system calls per thread (counting every call slows the
  # server a little, so it is kept out of run 1).
  wait_quiet
  perf stat --per-thread -p "$SERVER_PID" -o "$OUT/profile/syscalls.txt" \
    -e 'syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64,syscalls:sys_enter_pread64,syscalls:sys_enter_fcntl,syscalls:sys_enter_futex,syscalls:sys_enter_write,syscalls:sys_enter_read,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_mmap,syscalls:sys_enter_munmap,syscalls:sys_enter_mprotect,syscalls:sys_enter_madvise,syscalls:sys_enter_getrandom' \
    -- sleep 6 2>"$OUT/profile/stat.err" &
  ps=$!; PIDS+=("$ps")
  sleep 0.5
  local d=$DURATION
  DURATION=5
  run_wrk syscounted 1 "http://127.0.0.1:$SERVER_PORT/2010-04-01/Accounts/$SID/Messages.json" "$AUTH"
  DURATION=$d
  local counted=$LAST_OK
  wait_exit "$ps" 60 || true
  # which thread is which: main (= pid), the store's writer (the "pipit"
  # thread that calls fdatasync), the engine (idle here), the MHD pool
  for tid in $(ls /proc/"$SERVER_PID"/task); do
    echo "$tid $(cat /proc/"$SERVER_PID"/task/"$tid"/comm)"
  done >"$OUT/profile/threads.txt"
  stop_server
  rm -rf "$dir"
  perf report -i "$OUT/profile/cpu.data" --no-children --sort comm,dso,sym --stdio -g none \
    2>/dev/null | grep -v '^$' >"$OUT/profile/top-comm-dso-sym.txt" || true
  perf report -i "$OUT/profile/cpu.data" --no-children --sort pid --stdio -g none \
    2>/dev/null | grep -v '^$' >"$OUT/profile/by-thread.txt" || true
  perf report -i "$OUT/profile/cpu.data" --no-children --sort pid,dso,sym --stdio -g none \
    2>/dev/null | grep -v '^$' >"$OUT/profile/top-tid-dso-sym.txt" || true
  perf report -i "$OUT/profile/cpu.data" --no-children --sort pid,dso --stdio -g none \
    2>/dev/null | grep -v '^$' >"$OUT/profile/by-thread-dso.txt" || true
  # call chains of the entries over 2% (kernel chains are exact; user-space
  # ones stop early: the binaries have no frame pointers)
  perf report -i "$OUT/profile/cpu.data" --no-children --sort comm,sym --stdio \
    -g caller,0.5,callee --percent-limit 2 2>/dev/null | grep -v '^$' \
    >"$OUT/profile/callchains-top.txt" || true
  # commits: batch sizes (uprobe), fdatasync durations and the writer's
  # share of wall time spent in fdatasync
  perf script -i "$OUT/profile/commits.data" -F tid,time,event,trace 2>/dev/null |
    awk -v dd="$TMP/fsync.us" -v bb="$TMP/batch.n" '
      /sys_enter_fdatasync/ {t = $2 + 0; start[$1] = t; if (!first) first = t; last = t}
      /sys_exit_fdatasync/ {t = $2 + 0; if ($1 in start) {x = (t - start[$1]) * 1e6; sum += x; print x > dd; delete start[$1]}; last = t}
      /pp_bench_apply/ {if (match($0, /n=[0-9]+/)) print substr($0, RSTART + 2, RLENGTH - 2) > bb}
      END {printf "%.6f %.6f\n", sum / 1e6, last - first}' >"$TMP/fsync.sum" || true
  summarize() { # file: "count mean p50 p90 p99 max" of its numbers
    sort -n "$1" | awk '{a[NR] = $1; s += $1}
      END {if (NR) printf "%d %.1f %.0f %.0f %.0f %.0f\n", NR, s / NR, a[int((NR - 1) * .5) + 1],
           a[int((NR - 1) * .9) + 1], a[int((NR - 1) * .99) + 1], a[NR]}'
  }
  {
    if [[ -s $TMP/batch.n ]]; then
      summarize "$TMP/batch.n" | awk '{printf "commits (sq_apply calls) %d, rows per commit: mean %s p50 %s p90 %s p99 %s max %s\n", $1, $2, $3, $4, $5, $6}'
    fi
    if [[ -s $TMP/fsync.us ]]; then
      read -r fsum fwin <"$TMP/fsync.sum"
      summarize "$TMP/fsync.us" | awk -v s="$fsum" -v w="$fwin" '{printf "fdatasync calls %d (commits + checkpoints), us: mean %.0f p50 %s p90 %s p99 %s max %s; the writer spent %.0f%% of %.1f s in fdatasync\n", $1, $2, $3, $4, $5, $6, (w > 0 ? 100 * s / w : 0), w}'
    fi
  } >"$OUT/profile/commits.txt"
  if [[ -n $PROBE ]]; then perf probe -q -d "$PROBE" 2>/dev/null || true; PROBE=""; fi
  # system calls per request, by thread
  awk -v n="$counted" '/syscalls:sys_enter_/ && $2 ~ /^[0-9]+$/ && $2 > 0 {
      sub("syscalls:sys_enter_", "", $3); printf "%-22s %-12s %10d  %6.2f per request\n", $1, $3, $2, $2 / n}' \
    "$OUT/profile/syscalls.txt" | sort -k1,1 -k3,3nr >"$OUT/profile/syscalls-per-request.txt" || true
}

# ---- main ------------------------------------------------------------------
mkdir -p "$OUT"
log "results in $OUT"
if [[ ! -f $ROOT/build/release/build.ninja ]]; then
  (cd "$ROOT" && cmake --preset release >/dev/null)
fi
(cd "$ROOT" && cmake --build --preset release --target pipit pp_pace >/dev/null) ||
  die "release build failed"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain -- src CMakeLists.txt 2>/dev/null | grep -q . && echo ' (src modified)')"
  machine_facts
  echo "wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-3)"
  echo "nginx: $(nginx -v 2>&1 | sed 's/.*: //')"
  echo "sqlite: $(sqlite3 --version | cut -d' ' -f1)"
  echo "load: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s --latency -s bench/post.lua; pipit --http-threads $HTTP_THREADS; nginx worker_processes $HTTP_THREADS"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

printf 'label\tround\trps\tp50_ms\tp90_ms\tp99_ms\tok\tnon2xx\terrors\tserver_cpu_s\twrk_cpu_s\tsoftirq_s\tother_procs_cpu_s\tidle_pct\n' >"$RESULTS"
printf 'phase\tround\twrk_201\tserver_201\tdb_rows\tshutdown_s\n' >"$OUT/verify.tsv"
printf 'label\tround\ttarget_rps\tachieved_rps\tp50_ms\tp90_ms\tp99_ms\tp999_ms\tmax_ms\tstatus201\tdb_rows\tfailures\tmax_backlog\n' >"$OUT/pace.tsv"

if [[ " $PHASES " == *" throughput "* ]]; then
  for ((r = 1; r <= ROUNDS; r++)); do
    phase_durable "$r"
    phase_fixed "$r"
    phase_nginx "$r"
    if [[ -n $BIN_BEFORE ]]; then # the same phases with the earlier binary
      local_bin=$BIN
      BIN=$BIN_BEFORE
      phase_durable "$r" before-durable
      phase_fixed "$r" before-fixed
      BIN=$local_bin
    fi
  done
fi

if [[ " $PHASES " == *" pace "* ]]; then
  best=$(awk -F'\t' '$1 == "durable" && $3 > m {m = $3} END {printf "%d", m}' "$RESULTS")
  [[ -n ${BENCH_PACE_HALF:-} ]] && best=$((BENCH_PACE_HALF * 2))
  ((best > 0)) || die "no durable rate to halve: run the throughput phase or set BENCH_PACE_HALF"
  half=$((best / 2))
  log "best durable rate ${best}/s; paced runs at ${half}/s${PACE_RATES:+ and $PACE_RATES/s}"
  for ((r = 1; r <= ROUNDS; r++)); do
    phase_pace half-max "$half" "$r"
    for rate in $PACE_RATES; do phase_pace "at-$rate" "$rate" "$r"; done
  done
fi

if [[ $PROFILE == 1 && " $PHASES " == *" profile "* ]]; then phase_profile; fi

# ---- summary ---------------------------------------------------------------
{
  echo "# Messages.create benchmark, $(sed -n 's/^date: //p' "$OUT/machine.txt")"
  echo
  sed 's/^/    /' "$OUT/machine.txt"
  echo
  echo "| run | round | req/s | p50 ms | p99 ms | 2xx | non-2xx | sock. errors | server CPU s | wrk CPU s | softirq s | other procs CPU s | idle % |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' 'NR > 1 {printf "| %s | %s | %.0f | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s |\n",
    $1, $2, $3, $4, $6, $7, $8, $9, $10, $11, $12, $13, $14}' "$RESULTS"
  echo
  echo "Ratios per round (durable / fixed, durable / nginx, fixed / nginx):"
  echo
  awk -F'\t' 'NR > 1 {v[$1, $2] = $3; if ($2 > n) n = $2}
    END {for (r = 1; r <= n; r++) if (v["fixed", r] && v["nginx", r])
      printf "- round %d: %.3f, %.3f, %.3f\n", r, v["durable", r] / v["fixed", r],
        v["durable", r] / v["nginx", r], v["fixed", r] / v["nginx", r]}' "$RESULTS"
  if [[ -n $BIN_BEFORE ]]; then
    echo
    echo "The earlier binary ($BIN_BEFORE) in the same run (durable / nginx and fixed / nginx, before then now):"
    echo
    awk -F'\t' 'NR > 1 {v[$1, $2] = $3; if ($2 > n) n = $2}
      END {for (r = 1; r <= n; r++) if (v["nginx", r] && v["before-durable", r])
        printf "- round %d: durable %.3f then %.3f, fixed %.3f then %.3f\n", r,
          v["before-durable", r] / v["nginx", r], v["durable", r] / v["nginx", r],
          v["before-fixed", r] / v["nginx", r], v["fixed", r] / v["nginx", r]}' "$RESULTS"
  fi
  echo
  echo "Durable runs, rows committed vs 201s (wrk drops answers in flight at its end):"
  echo
  echo "| run | round | 201s seen by the client | 201s counted by pipit | rows in DB | shutdown s |"
  echo "|---|---|---|---|---|---|"
  awk -F'\t' 'NR > 1 {printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$OUT/verify.tsv"
  echo
  echo "Paced (open-loop, bench/pp_pace, latency from the scheduled send time):"
  echo
  echo "| run | round | target/s | achieved/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | 201s | rows | failures | max backlog |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' 'NR > 1 {printf "| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13}' "$OUT/pace.tsv"
  if [[ $PROFILE == 1 ]]; then
    echo
    echo "Profile of a durable run (perf record -g, cpu-clock at 999 Hz), $OUT/profile:"
    echo
    echo '```'
    cat "$OUT/profile/threads.txt"
    { grep -E '^ +[0-9]' "$OUT/profile/by-thread.txt" | head -8; } || true
    echo
    { grep -E '^ +[0-9]' "$OUT/profile/top-comm-dso-sym.txt" | head -15; } || true
    echo
    if [[ -f $OUT/profile/commits.txt ]]; then cat "$OUT/profile/commits.txt"; fi
    echo
    if [[ -f $OUT/profile/syscalls-per-request.txt ]]; then cat "$OUT/profile/syscalls-per-request.txt"; fi
    echo '```'
  fi
  echo
  anomalies_section
} >"$OUT/summary.md"
cat "$OUT/summary.md"
