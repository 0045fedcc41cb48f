"""A throwaway Ray cluster on this machine for tests and benchmarks.

``ray start --head --block`` in a temp folder, on free ports (GCS, Ray Client, the
dashboard agent), with the usage report and the dashboard off; more nodes join with
``ray start --address ... --block`` (Ray runs several raylets on one host, one per
node). Each ``ray start`` is a process group of its own, so a node is killed without
touching the others or any other Ray on the machine (no global ``ray stop``). The
workers import the same bizforge as the caller (``PYTHONPATH``).

>>> with TempRayCluster(head_cpus=2) as ray_cluster:        # doctest: +SKIP
...     ray_cluster.add_node(cpus=1)
...     bizforge.train(frame, "y", cluster=ray_cluster.client_address)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

import bizforge

__all__ = ["RayUnavailable", "TempRayCluster"]

START_SECONDS = 240.0  # a busy 2-core machine takes 10-60 s per node


class RayUnavailable(RuntimeError):
    """Ray is not installed, or its head did not start."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TempRayCluster:
    """Start a head (``start``), add and kill nodes, remove it all (``cleanup``)."""

    def __init__(self, *, head_cpus: int = 2, extra_path: list[str] | None = None):
        self.head_cpus = head_cpus
        self.extra_path = list(extra_path or [])
        self.folder = Path(tempfile.mkdtemp(prefix="bfray"))  # short: Ray's socket paths
        self.port = _free_port()
        self.client_port = _free_port()
        self.nodes: list[subprocess.Popen] = []

    @property
    def address(self) -> str:
        """The GCS address (``HOST:PORT``), for drivers on this machine."""
        return f"127.0.0.1:{self.port}"

    @property
    def client_address(self) -> str:
        """The Ray Client address (``ray://HOST:PORT``)."""
        return f"ray://127.0.0.1:{self.client_port}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()

    def start(self) -> Self:
        ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
        try:
            import ray as _  # noqa: F401
        except ImportError as exc:
            raise RayUnavailable(f"Ray is not installed ({exc})") from None
        if ray is None:
            raise RayUnavailable("Ray is installed but its `ray` command is not on PATH")
        self._ray = ray
        self._spawn("head", ["--head", "--port", str(self.port), "--num-cpus",
                             str(self.head_cpus), "--temp-dir", str(self.folder),
                             "--ray-client-server-port", str(self.client_port),
                             "--dashboard-agent-listen-port", str(_free_port()),
                             "--include-dashboard=false", "--disable-usage-stats"])
        self._wait(lambda: self._alive() >= 1, "the head")
        return self

    def add_node(self, cpus: int = 1) -> subprocess.Popen:
        """One more node (a raylet with ``cpus`` CPUs); returns its process, for kill_node."""
        before = self._alive()
        node = self._spawn(f"node{len(self.nodes)}", [
            "--address", self.address, "--num-cpus", str(cpus),
            "--dashboard-agent-listen-port", str(_free_port()), "--disable-usage-stats"])
        self._wait(lambda: self._alive() > before, f"node {len(self.nodes) - 1}")
        return node

    def kill_node(self, node: subprocess.Popen) -> None:
        """SIGKILL the node's whole process group: its raylet and workers die at once."""
        try:
            os.killpg(node.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        node.wait(timeout=30)

    def cleanup(self) -> None:
        for node in reversed(self.nodes):
            self.kill_node(node)
        self._sweep()
        self.nodes.clear()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        # A Ray Client connection starts a server process on the head, which may take
        # longer than Ray's 30 s on a busy machine.
        env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_ENABLE_AUTO_CONNECT="0",
                   RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S="180")
        src = str(Path(bizforge.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(
            [src, *self.extra_path, *filter(None, [os.environ.get("PYTHONPATH")])])
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - lives with the node
        node = subprocess.Popen([self._ray, "start", "--block", *args], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)
        log.close()
        self.nodes.append(node)
        return node

    def _alive(self) -> int:
        """Live nodes, asked of the GCS by a short ``ray list nodes``-like probe."""
        probe = ("import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR', "
                 "log_to_driver=False); print(sum(n['Alive'] for n in ray.nodes()))")
        try:
            out = subprocess.run([sys.executable, "-c", probe, self.address],
                                 capture_output=True, text=True, timeout=60, check=False,
                                 env=dict(os.environ, RAY_USAGE_STATS_ENABLED="0"))
        except subprocess.TimeoutExpired:
            return 0
        lines = out.stdout.strip().splitlines()
        return int(lines[-1]) if out.returncode == 0 and lines and lines[-1].isdigit() else 0

    def _wait(self, ready, what: str) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if any(n.poll() is not None for n in self.nodes):
                break
            if self._reachable() and ready():
                return
            time.sleep(1.0)
        logs = "\n".join((self.folder / f).read_text(errors="replace")[-1500:]
                         for f in os.listdir(self.folder) if f.endswith(".log"))
        self.cleanup()
        raise RayUnavailable(f"{what} of the test Ray cluster did not start:\n{logs}")

    def _reachable(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                return True
        except OSError:
            return False

    def _sweep(self) -> None:
        """Kill what outlived its group (Ray daemons that moved to a session of their own),
        found by this cluster's temp folder in their command line."""
        mark = str(self.folder)
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace")
            except OSError:
                continue
            if mark in cmd:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
