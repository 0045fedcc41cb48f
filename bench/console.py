"""Web console benchmark: first page load of the console shell, server time and bytes.

    python bench/console.py               # 30 loads of each page
    python bench/console.py --loads 100

Steps: a fresh home with one small published churn model and an admin key; start
`bizforge serve` on a free port in a subprocess (its JSON access log goes to a file);
load the sign-in page (the shell a newcomer sees first) with its stylesheet and script,
sign in, then load the Models and Data pages ``--loads`` times each with plain
``http.client`` over one keep-alive connection. Server time is the ``ms`` the server's
own access log records per request (arrival to response, in the server process);
bytes are the response bodies plus headers as received (no compression).
Targets (issue 23): first page load <= 300 ms server time, <= 200 KB transferred.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _prepare(home: Path) -> str:
    from bizforge.pipeline import train
    from bizforge.registry import Registry, create_key
    from bizforge.samples import CHURN_TARGET, churn_table

    run = train(churn_table(300), CHURN_TARGET, time_limit=2, out=home.parent / "model")
    with Registry(home=home) as reg:
        reg.publish(run, "churn")
        return create_key("admin", "bench", registry=reg)[1]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive connection; remembers cookies; counts bytes received."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=headers)
        answer = self.conn.getresponse()
        content = answer.read()
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0].strip('"')
        size = len(content) + sum(len(k) + len(v) + 4 for k, v in answer.getheaders())
        return answer.status, content.decode("utf-8", "replace"), size


def _server_ms(log: Path, route: str, method: str = "GET") -> list[float]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "request" and event.get("route") == route \
                and event.get("method") == method:
            out.append(float(event["ms"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds to wait after start-up (model preloading) before loading")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bizforge-bench-console-"))
    home = tmp / "home"
    key = _prepare(home)
    port = _free_port()
    log = tmp / "server.log"
    env = {**os.environ, "BIZFORGE_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "-c", "from bizforge.cli import main; main()",
                                   "serve", "--port", str(port)], stdout=out, stderr=out,
                                  env=env)
    try:
        client = Client(port)
        for _ in range(300):
            try:
                client.request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
                client = Client(port)
        time.sleep(args.settle)  # the server preloads the model in the background first
        shell = 0
        visitor = Client(port)  # a newcomer's browser: new connection, no cookie
        status, html, size = visitor.request("GET", "/signin")
        shell += size
        for asset in ("/static/console.css", "/static/console.js"):
            shell += visitor.request("GET", asset)[2]
        for _ in range(args.loads - 1):
            Client(port).request("GET", "/signin")
        csrf = re.search(r'name="csrf" value="([^"]*)"', html).group(1)
        status, _, _ = visitor.request("POST", "/signin", {"key": key, "csrf": csrf})
        assert status == 303, status
        pages = {"/models": 0, "/data": 0}
        for path in pages:
            for _ in range(args.loads):
                status, _, size = visitor.request("GET", path)
                assert status == 200, (path, status)
                pages[path] = size
        time.sleep(0.5)  # the access log is written after the answer
        print(f"console shell (sign-in page + css + js): {shell / 1024:.1f} KB")
        for route in ("/signin", "/models", "/data"):
            ms = _server_ms(log, route)
            ordered = sorted(ms)
            p95 = ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * 95 // 100) - 1))]
            extra = f", page {pages[route] / 1024:.1f} KB" if route in pages else ""
            print(f"GET {route}: first load {ms[0]:.1f} ms, median {statistics.median(ms):.1f} "
                  f"ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms over {len(ms)} loads "
                  f"(server time){extra}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
