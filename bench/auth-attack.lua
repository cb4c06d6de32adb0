-- bench/auth-attack.lua: wrk script of bench/auth-attack.sh.  GET with the
-- Authorization header in BENCH_AUTH ("" none; "spoof": a new random
-- AC... SID each request), counting the answers by status.
local auth = os.getenv("BENCH_AUTH") or ""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  local headers = {}
  if auth == "spoof" then
    local sid = "AC"
    for _ = 1, 32 do sid = sid .. string.format("%x", math.random(0, 15)) end
    headers["Authorization"] = "Basic " .. b64(sid .. ":" .. string.rep("0", 32))
  elseif auth ~= "" then
    headers["Authorization"] = "Basic " .. auth
  end
  return wrk.format("GET", nil, headers)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("counts")) do total[status] = (total[status] or 0) + n end
  end
  local line = "BENCH_RESULT requests=" .. summary.requests
  for status, n in pairs(total) do line = line .. " s" .. status .. "=" .. n end
  print(line)
end

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
function b64(s)
  return ((s:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return alphabet:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end
