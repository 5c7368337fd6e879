-- wrk script for bench/comments: every request is a new reader's first comment through
-- the JSON API (the full pipeline: admission facts, the spam filter, the write, the mail
-- queue), from its own address behind the trusted proxy, so no flood rule applies.
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  path = args[1]
  statuses = {}
end

request = function()
  counter = counter + 1
  local n = tid * 1000000 + counter
  local ip = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  local body = string.format(
    '{"author_name":"Reader %d","author_email":"reader%d@example.net","content":"Comment %d: the council should publish the full costs before the vote, and explain who pays for the new bridge."}',
    n, n, n)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = ip,
  }, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("errors %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("p50_ms %.2f\np99_ms %.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
