-- wrk script for `jexpr serve`: POST /events with BATCH events per request
-- (environment variable, default 1), each a new profile with a unique id
-- (RUN, if set, prefixes the ids: runs against one state stay unique).
local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

function init(args)
  batch = tonumber(os.getenv("BATCH") or "1")
  run = os.getenv("RUN") or ""
  counter = 0
end

function request()
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    local id = string.format("%st%d-%d", run, tid, counter)
    parts[i] = string.format(
      '{"event":"Subscribed","payload":{"email":"%s@example.com","consent":true,"country":"FR"},"id":"%s"}',
      id, id)
  end
  return wrk.format("POST", "/events", {["Content-Type"] = "application/json"},
    "[" .. table.concat(parts, ",") .. "]")
end
