-- wrk script for make bench's gateway rows (bench/run.py runs wrk with it).
--
--   WRK_TOKEN=... [WRK_METHOD=POST WRK_BODY='{...}' WRK_ID_PREFIX=...] \
--     wrk -t1 -c16 -d5s --latency -s bench/wrk_gateway.lua http://127.0.0.1:PORT/v1/...
--
-- The token comes from the environment, never the command line (ps shows that).
-- With WRK_BODY (a JSON object), each request sends it with an "id" of its own:
-- WRK_ID_PREFIX (new for each run), the thread's number and a counter. Without
-- it the request is the same each time, and wrk sends it as it is, with no Lua
-- call per request. done() prints one JSON line (the last of wrk's output):
-- requests (every response), calls (the responses below 400), duration_s,
-- throughput_per_s (calls per second), p50_ms and p99_ms (of every response),
-- and errors (wrk's: status counts the responses above 399).

local token = os.getenv("WRK_TOKEN")
if not token or token == "" then
    error("WRK_TOKEN is not set")
end

wrk.method = os.getenv("WRK_METHOD") or "GET"
wrk.headers["Authorization"] = "Bearer " .. token

local template = os.getenv("WRK_BODY")
local prefix = os.getenv("WRK_ID_PREFIX")

local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("number", threads)
end

if template then
    wrk.headers["Content-Type"] = "application/json"
    -- the object's opening brace, then "id", then the rest of the template's members
    local rest = template:match("^%s*{(.*)$")
    if not rest then
        error("WRK_BODY is not a JSON object")
    end
    if not prefix or prefix == "" then
        error("WRK_ID_PREFIX is not set (the ids must differ from one run to the next)")
    end
    if not rest:match("^%s*}") then
        rest = "," .. rest
    end
    local sent = 0
    function request()
        sent = sent + 1
        local body = string.format('{"id":"%s-%d-%d"%s', prefix, number or 1, sent, rest)
        return wrk.format(nil, nil, nil, body)
    end
end

function done(summary, latency, requests)
    local e = summary.errors
    local calls = summary.requests - e.status
    local seconds = summary.duration / 1e6
    io.write(
        string.format(
            '{"requests": %d, "calls": %d, "duration_s": %.3f, "throughput_per_s": %.1f, '
                .. '"p50_ms": %.2f, "p99_ms": %.2f, "errors": {"connect": %d, "read": %d, '
                .. '"write": %d, "status": %d, "timeout": %d}}\n',
            summary.requests,
            calls,
            seconds,
            seconds > 0 and calls / seconds or 0,
            latency:percentile(50) / 1000,
            latency:percentile(99) / 1000,
            e.connect,
            e.read,
            e.write,
            e.status,
            e.timeout
        )
    )
end
