"""Concurrent publishes of one name get distinct versions (threads and processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

from bizforge.registry import Registry
from bizforge.registry.staging import STAGING


def test_threads_sharing_one_registry_get_distinct_versions(registry, artifact):
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda _: registry.publish(artifact, "churn").version, range(8)))
    assert sorted(got) == list(range(1, 9))


def test_threads_with_their_own_registry_get_distinct_versions(artifact):
    def publish(_):
        with Registry() as reg:
            return reg.publish(artifact, "churn").version

    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(publish, range(6)))
    assert sorted(got) == list(range(1, 7))


def test_processes_publishing_at_once_get_distinct_versions(tmp_path, artifact):
    home = tmp_path / "home"
    script = textwrap.dedent("""
        import sys
        from bizforge.registry import Registry
        reg = Registry(home=sys.argv[1])
        sys.stdin.readline()  # start together
        print(" ".join(str(reg.publish(sys.argv[2], "churn").version) for _ in range(3)))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(home), str(artifact)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(3)]
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    got = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        got += [int(v) for v in out.split()]
    assert sorted(got) == list(range(1, 10))
    with Registry(home=home) as reg:
        assert [v.version for v in reg.versions("churn")] == list(range(1, 10))
        assert list((reg.root / STAGING).iterdir()) == []


def test_a_version_number_taken_meanwhile_is_retried_not_overwritten(registry, artifact,
                                                                    monkeypatch):
    from bizforge.registry import commit

    first = registry.publish(artifact, "churn")
    original = commit._allocate
    calls = []

    def stale_allocate(conn, name):
        calls.append(name)
        return 1 if len(calls) == 1 else original(conn, name)  # 1 is taken: unique clash

    monkeypatch.setattr(commit, "_allocate", stale_allocate)
    assert registry.publish(artifact, "churn").version == 2
    assert len(calls) == 2
    registry.verify(first)  # the committed version 1 was not touched
