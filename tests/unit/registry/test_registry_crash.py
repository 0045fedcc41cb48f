"""A publish killed at any moment leaves the whole version or none of it.

Child processes die with os._exit (no clean-up runs, like SIGKILL) at chosen
steps, or are SIGKILLed at random moments; the next Registry opened on the same
home must be consistent: no staging leftovers, no folder without a row, every
listed version verifiable and loadable.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from bizforge.families.loading import load_folder
from bizforge.registry import Registry
from bizforge.registry.staging import STAGING, clean_staging, staging_folder

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and flock are POSIX")

_CHILD = textwrap.dedent("""
    import os, random, sys, time
    from bizforge.registry import Registry, commit

    home, source, mode = sys.argv[1:4]
    if mode == "after-copy":
        original_stage = commit.stage
        def stage(src, staged):
            original_stage(src, staged)
            os._exit(9)
        commit.stage = stage
    elif mode == "after-rename":
        original_place = commit.place
        def place(staged, target):
            original_place(staged, target)
            os._exit(9)
        commit.place = place
    elif mode == "after-commit":
        original_commit = commit.commit_version
        def commit_version(*args):
            original_commit(*args)
            os._exit(9)
        commit.commit_version = commit_version
    elif mode == "loop":
        # Widen the window between the rename and the commit so random kills land in it.
        original_place = commit.place
        def place(staged, target):
            original_place(staged, target)
            time.sleep(random.uniform(0.0, 0.03))
        commit.place = place
    registry = Registry(home=home)
    registry.engine
    print("ready", flush=True)
    while True:
        registry.publish(source, "churn")
        if mode != "loop":
            break
""")


def _child(home, source, mode) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(home), str(source), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def _assert_consistent(home) -> Registry:
    registry = Registry(home=home)
    rows = {(r["name"], v.version) for r in registry.list() for v in registry.versions(r["name"])}
    on_disk = {(p.parent.name, int(p.name)) for p in (home / "models").glob("*/*")
               if not p.parent.name.startswith(".")}
    assert on_disk == rows  # no folder without a row, no row without a folder
    assert list((home / "models" / STAGING).iterdir()) == []
    for name, version in rows:
        registry.verify(f"{name}:{version}")
    return registry


@pytest.mark.parametrize(("mode", "versions"),
                         [("after-copy", []), ("after-rename", []), ("after-commit", [1])])
def test_crash_at_each_step_leaves_all_or_nothing(tmp_path, artifact, mode, versions):
    home = tmp_path / "home"
    proc = _child(home, artifact, mode)
    assert proc.wait(timeout=60) == 9
    registry = _assert_consistent(home)
    assert [r["latest"] for r in registry.list()] == versions
    # ... and the registry keeps working after the crash.
    assert registry.publish(artifact, "churn").version == (versions[-1] + 1 if versions else 1)


def test_sigkill_at_random_moments_keeps_the_registry_consistent(tmp_path, trained_model):
    home = tmp_path / "home"
    rng = random.Random(7)
    for _ in range(5):
        proc = _child(home, trained_model, "loop")
        time.sleep(rng.uniform(0.0, 0.8))
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    registry = _assert_consistent(home)
    listed = registry.list()
    if listed:  # every listed version loads and predicts
        from bizforge.samples import churn_table

        predictor = registry.load("churn", load_folder)
        assert len(predictor.predict(churn_table(3, seed=1))) == 3


def test_recovery_never_touches_a_live_staging_folder(tmp_path):
    root = tmp_path / "models"
    with staging_folder(root) as live:
        (live / "part").write_text("copying")
        assert clean_staging(root) == []
        assert (live / "part").exists()
    assert list((root / STAGING).iterdir()) == []


def test_recovery_removes_only_registry_shaped_orphans(registry, artifact):
    registry.publish(artifact, "churn")
    orphan = registry.root / "churn" / "2"
    orphan.mkdir()
    (registry.root / "notes.txt").write_text("mine")
    (registry.root / "churn" / "README").write_text("mine too")
    registry.close()
    Registry().revision()  # opening recovers
    assert not orphan.exists()
    assert (registry.root / "notes.txt").exists() and (registry.root / "churn" / "README").exists()
    assert (registry.root / "churn" / "1").is_dir()


def test_failure_while_moving_into_place_rolls_everything_back(registry, artifact, monkeypatch):
    from bizforge.registry import commit

    def fail(staged, target):
        raise OSError("disk full")

    monkeypatch.setattr(commit, "place", fail)
    with pytest.raises(OSError, match="disk full"):
        registry.publish(artifact, "churn")
    assert registry.list() == []
    assert list((registry.root / STAGING).iterdir()) == []
    monkeypatch.undo()
    assert registry.publish(artifact, "churn").version == 1
