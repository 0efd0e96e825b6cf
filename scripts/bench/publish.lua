-- wrk script: POST a publish request whose version is unique per request (a placeholder in the body is replaced).
-- Environment: BENCH_BODY (file with the placeholder 9.9.9-bench), BENCH_TOKEN.
local file = io.open(os.getenv("BENCH_BODY"), "rb")
local body = file:read("*a")
file:close()
local prefix, suffix = body:match("^(.-)9%.9%.9%-bench(.*)$")
local counter = 0
-- A global: thread:set() sets the thread's globals (a local here would hide it and every thread would send the
-- same versions, half the requests then being identical re-publishes).
thread_id = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

function request()
  counter = counter + 1
  local version = string.format("1.%d.%d", thread_id, counter)
  return wrk.format(nil, nil, nil, prefix .. version .. suffix)
end
