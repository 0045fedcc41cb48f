"""Graceful shutdown: a request in flight when SIGTERM arrives still gets its answer."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from bizforge.registry import Registry

# A real server process whose model takes SLOW seconds per call (a slow predictor).
SERVER = """
import sys, time
from bizforge.cli.serve import run_server
from bizforge.registry import Registry
from bizforge.serve.api import ServerOptions, create_app
from bizforge.serve.api import cache

SLOW = float(sys.argv[3])
score = cache.LoadedModel.score_jobs

def slow_score(self, jobs):
    time.sleep(SLOW)
    return score(self, jobs)

cache.LoadedModel.score_jobs = slow_score
app = create_app(registry=Registry(home=sys.argv[1]), options=ServerOptions(auth=False))
run_server(app, port=int(sys.argv[2]), graceful=10, log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


@pytest.mark.timeout(120)
def test_sigterm_lets_the_request_in_flight_finish(tmp_path, churn_run, rows):
    home = tmp_path / "home"
    Registry(home=home).publish(churn_run, "churn")
    port = _free_port()
    env = dict(os.environ, BIZFORGE_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(home), str(port), "1.5"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:  # wait until it answers and has preloaded the model
            try:
                if _get(base + "/healthz")["loaded"] >= 1:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.time() < deadline, "server did not start"
            time.sleep(0.2)
        answer = {}

        def call():
            req = urllib.request.Request(base + "/v1/models/churn/predict",
                                         data=json.dumps({"rows": rows}).encode(),
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    answer["status"], answer["body"] = r.status, json.loads(r.read())
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                answer["error"] = repr(exc)

        caller = threading.Thread(target=call)
        caller.start()
        time.sleep(0.5)  # the request is now inside the slow model call
        proc.send_signal(signal.SIGTERM)
        caller.join(30)
        assert answer.get("status") == 200, answer
        assert len(answer["body"]["predictions"]) == len(rows)
        proc.wait(30)  # exits after draining
        with pytest.raises(OSError):
            _get(base + "/healthz", timeout=1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
