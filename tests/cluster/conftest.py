"""A Ray cluster for the session: a head with 2 CPUs and one more node (a worker process).

Started with ``ray start`` (``bizforge.testing.raycluster``) in a temp folder, on free
ports, and killed by process group at the end (never a global ``ray stop``). Skips
with the reason when Ray is not installed; under ``CI=true`` that is a failure, since
``make test`` installs the dev extra, which holds Ray.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS = str(Path(__file__).resolve().parent.parent)  # ray_helpers.py, for the workers


@pytest.fixture(scope="session")
def ray_cluster():
    from bizforge.testing.raycluster import RayUnavailable, TempRayCluster

    try:
        cluster = TempRayCluster(head_cpus=2, extra_path=[TESTS]).start()
        cluster.add_node(cpus=1)
    except RayUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Ray is required under CI: {exc}")
        pytest.skip(f"no Ray cluster here ({exc}); `make test` installs Ray")
    yield cluster
    cluster.cleanup()


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
