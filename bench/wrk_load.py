"""`wrk` as the load generator for `bench/stack.py` (issue #21 measured with `wrk` at 32 connections).

`bench/http_load.py`'s generator is Python threads in one process: on this machine's 2 cores it holds a core
of its own under the GIL, and a cheap route (`/healthz`) is then bounded by the client, not the server. `wrk`
(C, epoll) costs a fraction of that, so more of the machine serves the two projects being compared.
`measure` takes the same requests and returns the same figures as `http_load.measure`: each wrk thread walks
the request list in turn from its own starting point, and a header whose value is `{key}` gets a fresh
random value per request (the check-in's Idempotency-Key). Install: `make bench-tools` (Debian's `wrk`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

from http_load import Request, _cpu_seconds

_SCRIPT = r"""
local requests = %(requests)s
local counter = 0
local nthreads = 0

function setup(thread)
  thread:set("offset", nthreads)
  nthreads = nthreads + 1
end

function init(args)
  math.randomseed(os.time() * 1000 + (offset or 0))
  counter = (offset or 0) * 7
end

local function fresh()
  local t = {}
  for i = 1, 32 do t[i] = string.format("%%x", math.random(0, 15)) end
  return table.concat(t)
end

function request()
  counter = counter + 1
  local r = requests[(counter %% #requests) + 1]
  local headers = {}
  for k, v in pairs(r.headers) do
    if v == "{key}" then headers[k] = fresh() else headers[k] = v end
  end
  return wrk.format(r.method, r.path, headers, r.body)
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write("WRK-JSON ")
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "errors": %%d, "non2xx": %%d, ' ..
    '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "mean_us": %%f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for ASCII text


def _lua_requests(requests: list[Request]) -> str:
    rows = []
    for method, path, headers, body in requests:
        pairs = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
        text = "nil" if body is None else _lua_string(body.decode("ascii"))
        head = f"method = {_lua_string(method)}, path = {_lua_string(path)}"
        rows.append(f"{{{head}, headers = {{{pairs}}}, body = {text}}}")
    return "{" + ",\n".join(rows) + "}"


def measure(
    port: int,
    request: Request | list[Request],
    concurrency: int,
    seconds: float,
    server_pid: int | None = None,
    threads: int = 2,
) -> dict[str, float]:
    requests = request if isinstance(request, list) else [request]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(_SCRIPT % {"requests": _lua_requests(requests)})
        script = fh.name
    try:
        cpu_before = _cpu_seconds(server_pid) if server_pid else 0.0
        out = subprocess.run(
            [
                "wrk",
                f"-t{min(threads, concurrency)}",
                f"-c{concurrency}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                script,
                f"http://127.0.0.1:{port}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        cpu = (_cpu_seconds(server_pid) - cpu_before) if server_pid else 0.0
    finally:
        os.unlink(script)
    line = next(x for x in out.splitlines() if x.startswith("WRK-JSON "))
    data = json.loads(line.removeprefix("WRK-JSON "))
    ok = data["requests"] - data["non2xx"]
    if ok <= 0:
        raise SystemExit(f"no successful requests ({data['non2xx']} non-2xx, {data['errors']} errors)")
    return {
        "requests": ok,
        "errors": data["errors"] + data["non2xx"],
        "rps": ok / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "mean_ms": data["mean_us"] / 1000,
        "server_cpu_ms": cpu / data["requests"] * 1000,
    }
