-- Replays pre-signed WeChat callbacks, each once: thread i takes requests i, i+T, i+2T, ...
-- File format: path line, then body line (newlines inside the XML removed), repeated.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file = io.open(os.getenv("REPLAY_FILE"), "r")
  requests = {}
  local total = tonumber(os.getenv("REPLAY_THREADS") or "2")
  local index = 0
  while true do
    local path = file:read("*l")
    if not path then break end
    local body = file:read("*l")
    if index % total == id then
      table.insert(requests, wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body))
    end
    index = index + 1
  end
  file:close()
  position = 0
end

function request()
  position = position + 1
  if position > #requests then position = 1 end  -- wraps only if the run outlasts the file
  return requests[position]
end
