-- wrk script: GET an inclusion proof for a different index each request, against a fixed tree size.
-- Environment: BENCH_TREE_SIZE (entries in the log).
local size = tonumber(os.getenv("BENCH_TREE_SIZE"))
local counter = 0

function request()
  counter = counter + 1
  local index = (counter * 7919) % size
  return wrk.format("GET", string.format("/registry-api/v1/log/proof/inclusion?index=%d&tree_size=%d", index, size))
end
