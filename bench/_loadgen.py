"""The closed-loop HTTP load generator of the serving benches.

Each client keeps one HTTP/1.1 keep-alive connection and sends its share of the
requests in turn until the deadline; ``drive`` runs ``concurrency`` of them and
summarises latency percentiles, requests per second and errors by kind. ``measure``
runs the same in a process of its own (so the client's work is not counted as the
server's) and adds the server's CPU milliseconds per request and the load average.

A request is ``(path, content_type, body)``. ``expect``: a key that a 200 answer must
hold (a list there must not be empty), else the answer counts as an error; ``flag``: a
key whose true values are counted (``share`` of the good answers, e.g. hand-overs).
200 answers that name a ``version`` are counted per version (promotions under load).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

Request = tuple[str, str, bytes]

__all__ = ["Request", "client", "drive", "json_requests", "measure", "new_tally",
           "published", "server_cpu", "summary", "sweep"]


def json_requests(path: str, bodies: list) -> list[Request]:
    """JSON ``bodies``, all sent to ``path``."""
    return [(path, "application/json", json.dumps(b, ensure_ascii=False, default=str).encode())
            for b in bodies]


def new_tally() -> dict:
    return {"latency": [], "errors": 0, "kinds": {}, "events": [], "versions": {}, "flags": 0}


async def client(host: str, port: int, key: str, requests: list[Request], deadline: float,
                 out: dict, expect: str | None = None, flag: str | None = None) -> None:
    """One connection sending ``requests`` in turn until ``deadline`` (perf_counter)."""
    reader = writer = None
    i = 0
    while time.perf_counter() < deadline:
        path, kind, body = requests[i % len(requests)]
        i += 1
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer "
                f"{key}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n")
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(head.encode() + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            payload = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            _error(out, "connection")
            writer = None
            await asyncio.sleep(0.01)
            continue
        out["latency"].append(time.perf_counter() - started)
        if status != 200:
            _error(out, str(status))
            continue
        doc = json.loads(payload)
        if expect and (expect not in doc or doc[expect] == []):
            _error(out, f"no {expect}")
            continue
        if "version" in doc:
            out["versions"][doc["version"]] = out["versions"].get(doc["version"], 0) + 1
        out["flags"] += bool(flag and doc.get(flag))
    if writer is not None:
        writer.close()


def _error(out: dict, kind: str) -> None:
    out["errors"] += 1
    out["kinds"][kind] = out["kinds"].get(kind, 0) + 1
    out["events"].append((time.time(), kind))  # when each failure happened


def summary(out: dict, elapsed: float, concurrency: int) -> dict:
    lat = sorted(out["latency"])
    ok = len(lat) - out["errors"]

    def pct(p):
        return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    return {"concurrency": concurrency, "seconds": round(elapsed, 1), "requests": len(lat),
            "ok": ok, "errors": out["errors"], "error_kinds": out["kinds"],
            "rps": ok / elapsed, "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": pct(1.0),
            "versions": out["versions"], "share": out["flags"] / max(ok, 1)}


async def drive(port: int, key: str, requests: list[Request], concurrency: int, seconds: float,
                expect: str | None = None, flag: str | None = None) -> dict:
    """``concurrency`` clients against one local server for ``seconds``."""
    out = new_tally()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(client("127.0.0.1", port, key, requests[c::concurrency] or requests,
                                  deadline, out, expect, flag) for c in range(concurrency)))
    return summary(out, time.perf_counter() - started, concurrency)


def measure(port: int, key: str, requests: list[Request], concurrency: int, seconds: float,
            server_pid: int | None = None, expect: str | None = None,
            flag: str | None = None) -> dict:
    """:func:`drive` in a process of its own, with the server's CPU per request."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False,
                                     encoding="utf-8") as f:
        for path, kind, body in requests:
            f.write(json.dumps({"path": path, "type": kind,
                                "body": base64.b64encode(body).decode()}) + "\n")
    try:
        cpu0 = server_cpu(server_pid) if server_pid else 0.0
        cmd = [sys.executable, __file__, "--port", str(port), "--key", key,
               "--requests", f.name, "--concurrency", str(concurrency),
               "--seconds", str(seconds)]
        cmd += (["--expect", expect] if expect else []) + (["--flag", flag] if flag else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    result = json.loads(out.strip().splitlines()[-1])
    if server_pid:
        result["server_cpu_ms"] = (1000 * (server_cpu(server_pid) - cpu0)
                                   / max(result["requests"], 1))
    result["load"] = os.getloadavg()[0]
    return result


def sweep(port: int, key: str, requests: list[Request], concurrencies: list[int],
          seconds: float, server_pid: int | None = None, **kw) -> list[dict]:
    """:func:`measure` at each concurrency in turn, each result printed as it comes."""
    results = []
    for c in concurrencies:
        print(f"concurrency {c}: {seconds:g} s ...", flush=True)
        results.append(measure(port, key, requests, c, seconds, server_pid, **kw))
        print("  " + json.dumps(results[-1]), flush=True)
    return results


def published(home: Path, run, name: str) -> str:
    """Publish ``run`` as ``name`` in the registry at ``home``; a predict key for it."""
    from bizforge.registry import Registry, create_key

    registry = Registry(home=home)
    try:
        registry.publish(run, name)
        return create_key("predict", label="bench", registry=registry)[1]
    finally:
        registry.close()


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) that process ``pid`` and its child processes (a server's
    ``--workers N``) have used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, IndexError, ValueError):
        return float("nan")
    return total + sum(server_cpu(int(child)) for child in children)


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--requests", required=True, help="JSON lines: path, type, body (base64)")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--expect", default=None)
    parser.add_argument("--flag", default=None)
    args = parser.parse_args()
    requests = []
    for line in Path(args.requests).read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        requests.append((doc["path"], doc["type"], base64.b64decode(doc["body"])))
    result = asyncio.run(drive(args.port, args.key, requests, args.concurrency, args.seconds,
                               args.expect, args.flag))
    print(json.dumps(result))


if __name__ == "__main__":
    _main()
