"""Drive Debian's wrk and parse its text report."""

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).parent / "wrk" / "request.lua"

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse(output: str) -> WrkResult:
    """Pull the numbers out of `wrk --latency` output."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if not done or not rps or len(percentiles) != 2:
        raise ValueError(f"cannot parse wrk output:\n{output}")
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests=int(done[1]),
        seconds=_ms(done[2] + done[3]) / 1000,
        rps=float(rps[1]),
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )


def run(
    url: str,
    *,
    method: str = "GET",
    body_file: Path | None = None,
    auth: str | None = None,
    duration: int = 10,
    concurrency: int = 10,
    threads: int = 2,
) -> WrkResult:
    # Only loopback is ever benchmarked: refuse anything else rather than load a real host.
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"refusing to load a non-loopback URL: {url}")
    env = {
        **os.environ,
        "BENCH_METHOD": method,
        "BENCH_BODY_FILE": str(body_file) if body_file else "",
        "BENCH_AUTH": auth or "",
    }
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        url,
    ]
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, check=True, timeout=duration + 30
    )
    return parse(done.stdout)
