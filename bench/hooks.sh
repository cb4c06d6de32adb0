#!/usr/bin/env bash
# bench/hooks.sh: webhook dispatch throughput (issue 4), on loopback only.
#
# HOOKS_N messages with a StatusCallback are written into a fresh store
# while pipit is stopped (one SQL statement), and beside each one `queued`
# callback (a second statement, the row Messages.create's insert writes).
# Then `pipit serve` (release build, --webhook-allow 127.0.0.0/8) starts and
# the dispatcher sends them to a receiver: Debian's nginx answering 200 to
# every POST and logging each request.  Measured: from the server's start
# until the queue is empty (sqlite3 polling the webhooks table every 20 ms),
# callbacks per second; the receiver's log must hold exactly HOOKS_N
# requests, each with an X-Twilio-Signature and a distinct idempotency
# token.  HOOKS_ROUNDS rounds (2).  HOOKS_N (20000), HOOKS_MAX_SECONDS (600),
# HOOKS_BIN (the binary measured; build/release/pipit).
#
# Needs: cmake, ninja, a C compiler, nginx (nginx-light), sqlite3, curl, ss.
BENCH_TAG=hooks
MAX_SECONDS=${HOOKS_MAX_SECONDS:-600}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # strict mode, ROOT
N=${HOOKS_N:-20000}
ROUNDS=${HOOKS_ROUNDS:-2}

need_tools "apt-get install nginx-light sqlite3 curl iproute2" cmake nginx sqlite3 curl ss
log "building the release preset"
build_release
need_pipit # BIN: HOOKS_BIN or that build

# The receiver: nginx, 200 to every POST, one log line per request with the
# headers that matter.
RX=$TMP/nginx
mkdir -p "$RX"
RX_PORT=$(free_port)
user=""
[[ $(id -u) == 0 ]] && user="user root;"
cat >"$RX/nginx.conf" <<EOF
$user
worker_processes 1;
daemon off;
pid $RX/nginx.pid;
error_log $RX/error.log warn;
events { worker_connections 4096; }
http {
  log_format hook '\$http_i_twilio_idempotency_token \$http_x_twilio_signature';
  access_log $RX/access.log hook;
  client_body_temp_path $RX/body;
  proxy_temp_path $RX/proxy;
  fastcgi_temp_path $RX/fastcgi;
  uwsgi_temp_path $RX/uwsgi;
  scgi_temp_path $RX/scgi;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$RX_PORT;
    location / { return 200; }
  }
}
EOF
nginx -p "$RX" -c "$RX/nginx.conf" -e "$RX/error.log" 2>>"$RX/error.log" &
PIDS+=("$!")
for _ in $(seq 100); do curl -s -o /dev/null -X POST "http://127.0.0.1:$RX_PORT/" && break; sleep 0.05; done
HOOK_URL="http://127.0.0.1:$RX_PORT/status"

round() {
  local r=$1 dir=$TMP/data-$r port json sid from t0 t1 left log_lines tokens
  mkdir -p "$dir"
  json=$("$BIN" admin --data "$dir" account create --name hooks --number +15557654321 --json)
  sid=$(sed -n 's/.*"sid":"\([^"]*\)".*/\1/p' <<<"$json")
  [[ $sid == AC* ]] || die "account create: $json"
  from=+15557654321
  sqlite3 "$dir/pipit.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO messages(sid,account_sid,messaging_service_sid,to_addr,from_addr,body,media_urls,
  status_callback,error_message,direction,status,num_media,num_segments,error_code,
  validity_period,date_created,date_updated,date_sent,send_at,next_attempt)
SELECT printf('SM%032x', i), '$sid', '', '+1555' || printf('%07d', i), '$from', 'bench',
  '', '$HOOK_URL', NULL, 'outbound-api', 'queued', 0, 1, 0, 36000,
  CAST(strftime('%s','now') AS INTEGER), CAST(strftime('%s','now') AS INTEGER), 0, 0, 0
FROM n;
INSERT INTO webhooks(token,account_sid,message_sid,kind,event,error_code,url,url_table,
  url_column,url_row,method,created_ms,next_attempt)
SELECT lower(hex(randomblob(16))), account_sid, sid, 'status', status, error_code,
  status_callback, 'messages', 'status_callback', sid, 'POST', date_updated * 1000, 0
FROM messages WHERE account_sid = '$sid'
  AND NOT EXISTS (SELECT 1 FROM webhooks); -- a binary before step 23: its trigger queued them
SQL
  left=$(sqlite3 "$dir/pipit.db" 'select count(*) from webhooks')
  [[ $left == "$N" ]] || die "expected $N queued callbacks, found $left"
  : >"$RX/access.log"
  port=$(free_port)
  t0=$(date +%s.%N)
  PIPIT_WEBHOOK_ALLOW=127.0.0.0/8 "$BIN" serve --data "$dir" --listen "127.0.0.1:$port" \
    --log-level warn 2>>"$TMP/serve-$r.log" &
  local pid=$!
  PIDS+=("$pid")
  while :; do
    left=$(sqlite3 "$dir/pipit.db" 'select count(*) from webhooks' 2>/dev/null || echo "$N")
    [[ $left == 0 ]] && break
    kill -0 "$pid" 2>/dev/null || die "pipit serve exited: $(tail -5 "$TMP/serve-$r.log")"
    sleep 0.02
  done
  t1=$(date +%s.%N)
  kill -TERM "$pid"
  wait_exit "$pid" 30 || anomaly "round $r: serve did not stop"
  log_lines=$(wc -l <"$RX/access.log")
  tokens=$(awk '$1 != "-" && $2 != "-" {print $1}' "$RX/access.log" | sort -u | wc -l)
  [[ $log_lines == "$N" ]] || anomaly "round $r: the receiver logged $log_lines requests, not $N"
  [[ $tokens == "$N" ]] || anomaly "round $r: $tokens distinct signed tokens, not $N"
  awk -v n="$N" -v a="$t0" -v b="$t1" -v r="$r" -v l="$log_lines" \
    'BEGIN {printf "round %d: %d callbacks in %.2f s = %.0f/s (receiver logged %d)\n", r, n, b - a, n / (b - a), l}'
}

echo "pipit $(git -C "$ROOT" rev-parse --short HEAD), nginx $(nginx -v 2>&1 | sed 's/.*: //'), $N callbacks per round, $(nproc) CPUs"
for r in $(seq "$ROUNDS"); do round "$r"; done
if ((${#ANOMALIES[@]})); then
  printf 'anomalies:\n'; printf '  %s\n' "${ANOMALIES[@]}"
  exit 1
fi
