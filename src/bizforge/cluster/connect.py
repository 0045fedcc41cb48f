"""Connecting to a Ray cluster: the address forms, the checks before any work, and health.

``--cluster`` takes ``ray://HOST:PORT`` (Ray Client, the head's client port, 10001 by
default), ``HOST:PORT`` (the head's GCS port, 6379 by default, from a machine of the
cluster) or ``auto`` (the cluster this machine already belongs to, started with
``ray start``). Ray is imported here, only when a cluster is asked for: the
single-machine path never imports it.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from typing import Self

from bizforge.errors import ClusterError, UsageError

__all__ = ["CONNECT_SECONDS", "Cluster", "connect"]

CONNECT_SECONDS = 10.0  # a head that does not answer a TCP connect in this time is not there
JOIN_RETRIES = 1
_ADDRESS = re.compile(r"^(?:ray://)?(?P<host>\[[0-9a-fA-F:]+\]|[\w.-]+):(?P<port>\d{1,5})$")
_FIX = ("start the head with `ray start --head` (and `--ray-client-server-port 10001` for "
        "ray://), or leave --cluster out to run on this machine.")


def connect(address: str) -> Cluster:
    """Connect this process to the Ray cluster at ``address``; see the module docstring.

    >>> with connect("ray://head.example:10001") as cluster:   # doctest: +SKIP
    ...     cluster.cpus()
    16
    """
    address = check_address(address)
    # A Ray call after the cluster is gone (a scoring thread winding down) must fail, not
    # quietly start a private Ray on this machine.
    os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")
    try:
        import ray
        import ray._private.auto_init_hook as auto_init
    except ImportError:
        raise UsageError(
            f"--cluster {address} needs Ray, which is not installed here.",
            fix="pip install 'bizforge[cluster]' (the same version on every node).") from None
    if address != "auto":
        _reachable(address)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    auto_init.enable_auto_connect = False  # read when Ray was imported, maybe before this
    if ray.is_initialized():
        ray.shutdown()
    for attempt in range(1 + JOIN_RETRIES):
        try:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False,
                     configure_logging=True)
            break
        except ConnectionAbortedError:  # the head's Ray Client server was slow to start one
            if attempt == JOIN_RETRIES:
                raise ClusterError(f"the Ray cluster at {address} did not start a Ray Client "
                                   f"session ({1 + JOIN_RETRIES} tries).", fix=_FIX) from None
        except Exception as exc:  # noqa: BLE001 - Ray raises ConnectionError, RuntimeError...
            raise ClusterError(f"could not join the Ray cluster at {address}: "
                               f"{type(exc).__name__}: {_first_line(exc)}", fix=_FIX) from None
    cluster = Cluster(address)
    if cluster.cpus() < 1:
        cluster.close()
        raise ClusterError(f"the Ray cluster at {address} has no CPUs for tasks.",
                           fix="start the nodes with --num-cpus 1 or more.")
    return cluster


def check_address(address: str) -> str:
    """``address`` as given when it is one of the accepted forms, else a UsageError."""
    address = str(address).strip()
    if address == "auto" or _ADDRESS.match(address):
        return address
    raise UsageError(f"--cluster '{address}' is not a Ray address.",
                     fix="pass ray://HOST:PORT (Ray Client), HOST:PORT (the head's GCS port) "
                         "or auto (the Ray cluster this machine belongs to).")


class Cluster:
    """A connected Ray cluster: what it holds, whether it is alive, and closing."""

    def __init__(self, address: str):
        self.address = address

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        import ray

        if ray.is_initialized():
            ray.shutdown()

    def cpus(self) -> int:
        """CPUs of the live nodes (tasks take one each)."""
        import ray

        return int(ray.cluster_resources().get("CPU", 0))

    def executor(self):
        """The search's executor on this cluster (``bizforge.train.executor``)."""
        from bizforge.cluster.search import RayExecutor

        return RayExecutor(self)

    def check(self) -> None:
        """Raise :class:`ClusterError` when no live node with a CPU is left."""
        import ray

        try:
            alive = [n for n in ray.nodes() if n.get("Alive") and n["Resources"].get("CPU")]
        except Exception as exc:  # noqa: BLE001 - the head itself is gone
            raise self.lost(f"its head does not answer ({type(exc).__name__})") from None
        if not alive:
            raise self.lost("no node with a CPU is alive")

    def lost(self, what: str) -> ClusterError:
        return ClusterError(f"the Ray cluster at {self.address} failed the job: {what}.",
                            fix="check the cluster (`ray status` on the head) and run the "
                                "command again; without --cluster it runs on this machine.")


def _reachable(address: str) -> None:
    m = _ADDRESS.match(address)
    host, port = m.group("host").strip("[]"), int(m.group("port"))
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=CONNECT_SECONDS):
            return
    except OSError as exc:
        waited = time.monotonic() - start
        raise ClusterError(f"no Ray cluster answers at {address} ({exc.strerror or exc}, "
                           f"after {waited:.1f} s).", fix=_FIX) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no message"
