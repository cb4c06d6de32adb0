#!/usr/bin/env bash
# bench/verify-cpu.sh BIN OUT: bench/verify.sh's right-code check phase
# (VERIFY_PHASES=checks) against the pipit binary BIN, with `perf stat -e
# task-clock -I 200` attached to its `pipit serve`, to count the server's
# CPU time per check as well as the rate.  A before/after of two binaries
# alternates runs of this (docs/performance.md, session 6).  Writes
# OUT.log (verify.sh's output) and OUT.perf (perf's intervals), and prints
# one line: n, seconds, requests per second, CPU ms per check in the
# check phase's window (the last `secs` seconds of activity).
#
# Needs what bench/verify.sh needs, and perf (linux-perf).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$1
OUT=$2
command -v perf >/dev/null || { echo "verify-cpu: missing perf (linux-perf)" >&2; exit 1; }
(VERIFY_BUILD=0 VERIFY_BIN=$BIN VERIFY_PHASES=checks bash "$ROOT/bench/verify.sh" >"$OUT.log" 2>&1) &
vp=$!
pid=""
for _ in $(seq 300); do # bounded: the server starts within 15 s
  pid=$(pgrep -f "^$BIN serve" | head -1 || true)
  [[ -n $pid ]] && break
  sleep 0.05
done
[[ -n $pid ]] || { echo "verify-cpu: no pipit serve started" >&2; wait "$vp"; exit 1; }
perf stat -p "$pid" -I 200 -x, -e task-clock -o "$OUT.perf" &
pp=$!
wait "$vp"
kill -INT "$pp" 2>/dev/null || true
wait "$pp" 2>/dev/null || true
python3 - "$OUT" <<'PY'
import re, sys
out = sys.argv[1]
m = re.search(r'phase=verification_check_approve n=(\d+) secs=([\d.]+) rps=(\d+)', open(out + '.log').read())
n, secs, rps = int(m.group(1)), float(m.group(2)), int(m.group(3))
tc = {}
for line in open(out + '.perf'):
    f = line.split(',')
    if line.startswith('#') or len(f) < 4 or 'task-clock' not in line:
        continue
    try:
        tc[float(f[0])] = float(f[1])
    except ValueError:
        pass
ts = sorted(tc)
top = max(tc.values())
end = [t for t in ts if tc[t] > 0.05 * top][-1]  # the last busy interval
cpu = sum(tc[t] for t in ts if end - secs - 0.2 < t <= end + 0.2)
print(f"{out}: n={n} secs={secs} rps={rps} cpu_ms/check={cpu / n:.4f}")
PY
