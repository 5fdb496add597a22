-- wrk script for bench/run.py: requests on behalf of many logged-in members.
--
--   wrk -t2 -c16 -d20s -s bench/wrk_members.lua http://127.0.0.1:PORT -- MEMBERS MODE PATH THREADS UA
--
-- MEMBERS: a file with one "cookie csrf token" line per member. Each wrk thread takes every
-- THREADS-th member and cycles through its share, so one member's requests are spread out (the
-- beat must be measured on its real path, not the "too fast" shortcut).
-- MODE: beat (POST token=…) or page (GET). The response check counts what came back: for a beat
-- the JSON state, for a page whether it is the lesson page (a redirect to /login is not a page).

local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[4])
  mode, path, ua = args[2], args[3], args[5]
  members, idx = {}, 0
  ok, odd, states = 0, 0, {}
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == tid then
      local c, x, t = line:match("^(%S+)%s+(%S+)%s+(%S+)$")
      members[#members + 1] = { c, x, t }
    end
    i = i + 1
  end
end

function request()
  idx = idx % #members + 1
  local m = members[idx]
  local headers = { ["Cookie"] = "session=" .. m[1], ["User-Agent"] = ua }
  if mode == "beat" then
    headers["X-CSRFToken"] = m[2]
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", path, headers, "token=" .. m[3])
  end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  -- 429 "too_many": the beat's own burst limit (members beat far more often here than a page
  -- does); it is the same one UPDATE, so it counts as a beat outcome, not a failure.
  if mode == "beat" and status == 429 and body:find('"too_many"', 1, true) then
    states["too_many"] = (states["too_many"] or 0) + 1
    ok = ok + 1
    return
  end
  if status ~= 200 then
    odd = odd + 1
    return
  end
  if mode == "beat" then
    local s = body:match('"state"%s*:%s*"([%w_]+)"') or "?"
    states[s] = (states[s] or 0) + 1
    ok = ok + 1
  elseif body:find("study-tracker", 1, true) or body:find("<p>", 1, true) then
    ok = ok + 1
  else
    odd = odd + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_odd, all_states = 0, 0, {}
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_odd = total_odd + t:get("odd")
    local st = t:get("states")
    if st then
      for k, v in pairs(st) do all_states[k] = (all_states[k] or 0) + v end
    end
  end
  local parts = {}
  for k, v in pairs(all_states) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f, "ok": %d, "odd": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d}, "states": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, total_ok, total_odd, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ", ")))
end
