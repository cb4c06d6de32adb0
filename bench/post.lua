-- post.lua: wrk script for bench/run.sh.  Every request is the same
-- Messages.create form POST with HTTP Basic auth, built once (no request()
-- or response() callback, so wrk does no per-request Lua work and is as
-- cheap a load generator for pipit as for nginx).
--
-- Environment:
--   BENCH_AUTH   base64 of "sid:token" (omitted: no Authorization header)
--   BENCH_LABEL  name printed on the result line
--
-- done() prints one machine-readable line:
--   BENCH_RESULT label=... requests=N ok=N non2xx=N connect_err=N read_err=N
--     write_err=N timeout=N duration_s=F rps=F p50_ms=F p90_ms=F p99_ms=F
--     p999_ms=F max_ms=F
-- ok = completed responses with a 2xx/3xx status (wrk counts any other
-- status in errors.status); for Messages.create every 2xx is a 201.

wrk.method = "POST"
wrk.body = "To=%2B15551234567&From=%2B15557654321&Body=Hello"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = "Basic " .. auth
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  local function ms(p) return latency:percentile(p) / 1000.0 end
  io.write(string.format(
    "BENCH_RESULT label=%s requests=%d ok=%d non2xx=%d connect_err=%d read_err=%d " ..
    "write_err=%d timeout=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f " ..
    "p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
    os.getenv("BENCH_LABEL") or "wrk", summary.requests, summary.requests - e.status,
    e.status, e.connect, e.read, e.write, e.timeout, secs, summary.requests / secs,
    ms(50), ms(90), ms(99), ms(99.9), latency.max / 1000.0))
end
