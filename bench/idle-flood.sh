#!/usr/bin/env bash
# bench/idle-flood.sh: one client address opens more idle connections than
# the server has file descriptors, then /healthz is asked from another
# address (issue 11, item 2: about 20,000 idle connections took /healthz
# and the webhook dispatcher's sockets away).
#
#   bench/idle-flood.sh                      release build, ulimit -n 2048, 3000 connections
#   FLOOD_BIN=... FLOOD_NOFILE=8192 FLOOD_CONNS=12000 bench/idle-flood.sh
#
# The server runs under `ulimit -n FLOOD_NOFILE` (a small limit shows the
# same exhaustion as the default with fewer client sockets).  Prints
#   FLOOD_RESULT server_fds=N opened=N connect_failed=N refused_at_accept=N healthz=OK|FAIL
# and exits 0 when /healthz answered 200 while the flood was held open.
BENCH_TAG=flood
MAX_SECONDS=${FLOOD_MAX_SECONDS:-300}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # strict mode, ROOT
NOFILE=${FLOOD_NOFILE:-2048}
CONNS=${FLOOD_CONNS:-3000}

need_pipit # BIN: FLOOD_BIN or the release build
ulimit -n $((CONNS + 1024)) 2>/dev/null || die "cannot raise this shell's ulimit -n to $((CONNS + 1024))"
logf=$TMP/serve.log
bash -c "ulimit -n $NOFILE && exec \"\$0\" serve --data \"\$1\" --listen 127.0.0.1:0" \
  "$BIN" "$TMP/data" 2>"$logf" &
pid=$!
PIDS+=("$pid")
port=$(pipit_port "$logf" "$pid")
log "pipit on port $port, ulimit -n $NOFILE; opening $CONNS idle connections from 127.0.0.1"

SERVER_PID=$pid node --input-type=module - "$port" "$CONNS" <<'JS'
import net from 'node:net';
import http from 'node:http';
const [port, n] = process.argv.slice(2).map(Number);
const held = [];
let refused = 0, failed = 0;
// A connection the server turns away is answered and closed at once.
for (let i = 0; i < n; i++) {
  const s = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
  s.on('error', () => {});
  const ok = await new Promise((resolve) => {
    s.once('connect', () => resolve(true));
    s.once('error', () => resolve(false));
  });
  if (!ok) { failed++; continue; }
  held.push(s);
  s.once('data', () => { refused++; });
}
const healthz = await new Promise((resolve) => {
  const req = http.get({ port, host: '127.0.0.1', localAddress: '127.0.0.2', path: '/healthz', timeout: 5000, agent: false },
    (res) => { res.resume(); res.on('end', () => resolve(res.statusCode === 200 ? 'OK' : `HTTP ${res.statusCode}`)); });
  req.on('timeout', () => { req.destroy(); resolve('FAIL (no answer in 5 s)'); });
  req.on('error', (e) => resolve(`FAIL (${e.code})`));
});
const fds = (await import("node:fs")).readdirSync(`/proc/${process.env.SERVER_PID}/fd`).length;
console.log(`FLOOD_RESULT server_fds=${fds} opened=${held.length} connect_failed=${failed} refused_at_accept=${refused} healthz=${healthz}`);
for (const s of held) s.destroy();
process.exit(healthz === 'OK' ? 0 : 1);
JS
