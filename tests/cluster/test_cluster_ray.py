"""--cluster on a real local Ray cluster: the search as tasks, scoring with Ray Data, lost workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.errors import ClusterError, ExitCode
from bizforge.pipeline import train
from bizforge.samples import CHURN_TARGET, churn_table
from ray_helpers import SleepyModel

runner = CliRunner()
TIME = 12.0


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    churn_table(240, seed=4).to_csv(root / "customers.csv", index=False)
    churn_table(600, seed=5).drop(columns=[CHURN_TARGET]).to_csv(root / "new.csv", index=False)
    return root


@pytest.fixture(scope="module")
def on_cluster(ray_cluster, table):
    """A model trained with --cluster ray://... (Ray Client) through the CLI."""
    out = table / "ray-model"
    result = runner.invoke(app, ["train", str(table / "customers.csv"), "--target", CHURN_TARGET,
                                 "--time-limit", str(TIME), "--out", str(out),
                                 "--cluster", ray_cluster.client_address])
    assert result.exit_code == 0, result.output
    return out


def test_train_on_a_cluster_runs_the_candidates_there(on_cluster, ray_cluster):
    metrics = json.loads((on_cluster / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["cluster"]["address"] == ray_cluster.client_address
    assert metrics["cluster"]["tasks"] >= 2
    fitted = [row for row in metrics["leaderboard"] if row["name"] != "ensemble"]
    assert fitted and all(set(row) >= {"name", "model", "score", "fit_seconds", "weight"}
                          for row in fitted)
    assert metrics["leaderboard"][0]["fit_seconds"] <= TIME * 1.1 + 0.5  # the search's wall time


def test_a_cluster_trained_folder_is_a_local_one_in_kind(on_cluster, table):
    local = train(table / "customers.csv", CHURN_TARGET, time_limit=4, out=table / "local")
    # The same files outside the ensemble's members (which members win varies with the
    # machine's load), and members stored the way local members are.
    def shape(folder):
        files = [p.relative_to(folder) for p in folder.rglob("*") if p.is_file()]
        return ({str(p) for p in files if p.parts[:2] != ("ensemble", "members")},
                {p.suffix for p in files if p.parts[:2] == ("ensemble", "members")})
    ours, theirs = shape(on_cluster), shape(local.path)
    assert ours[0] == theirs[0]
    assert ".json" in ours[1] and ours[1] <= {".json", ".txt", ".safetensors", ".onnx"}, ours[1]
    manifest = json.loads((on_cluster / "manifest.json").read_text())
    for name in manifest["files"]:
        assert not (on_cluster / name).read_bytes().startswith(b"\x80"), f"{name} is a pickle"
    assert set(json.loads((local.path / "metrics.json").read_text())) | {"cluster"} == \
        set(json.loads((on_cluster / "metrics.json").read_text()))


def test_predict_on_a_cluster_writes_what_local_predict_writes(on_cluster, ray_cluster, table):
    local, remote = table / "local.csv", table / "remote.csv"
    args = ["predict", str(on_cluster), str(table / "new.csv"), "--chunk-rows", "100"]
    assert runner.invoke(app, [*args, "-o", str(local)]).exit_code == 0
    result = runner.invoke(app, [*args, "-o", str(remote), "--cluster", ray_cluster.address])
    assert result.exit_code == 0, result.output
    assert "scored 600 rows" in result.output
    assert remote.read_bytes() == local.read_bytes()


def test_predict_on_a_cluster_names_the_column_and_chunk_of_a_bad_value(on_cluster, ray_cluster,
                                                                         table):
    rows = pd.read_csv(table / "new.csv", dtype=str)
    rows.loc[250, "月费"] = "not a number"
    rows.to_csv(table / "bad.csv", index=False)
    args = ["predict", str(on_cluster), str(table / "bad.csv"), "-o", str(table / "bad-out.csv"),
            "--chunk-rows", "100"]
    local = runner.invoke(app, args)
    result = runner.invoke(app, [*args, "--cluster", ray_cluster.address])
    assert result.exit_code == local.exit_code == ExitCode.DATA, result.output
    message = next(line for line in local.output.splitlines() if "DataError" in line)
    assert "月费" in message and "in the chunk of data rows" in message
    assert message in result.output  # the same file, chunk, column and row
    assert not (table / "bad-out.csv").exists()


def _scoring_actors() -> list[int]:
    """Pids of Ray Data's scoring actors on this machine (their process title names them)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    title = f.read()
            except OSError:
                continue
            if b"ray::" in title and b"_Scorer" in title:
                pids.append(int(entry))
    return pids


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the actor through Linux /proc")
def test_a_scoring_actor_killed_mid_predict_is_replaced_or_named(on_cluster, ray_cluster, table):
    rows = pd.read_csv(table / "new.csv", dtype=str)
    pd.concat([rows] * 40, ignore_index=True).to_csv(table / "big.csv", index=False)
    local, remote = table / "big-local.csv", table / "big-remote.csv"
    args = ["predict", str(on_cluster), str(table / "big.csv"), "--chunk-rows", "200"]
    assert runner.invoke(app, [*args, "-o", str(local)]).exit_code == 0
    killed: list[int] = []

    def kill() -> None:  # the first scoring actor that shows up dies
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for pid in _scoring_actors():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.05)

    killer = threading.Thread(target=kill, daemon=True)
    killer.start()
    started = time.monotonic()
    result = runner.invoke(app, [*args, "-o", str(remote), "--cluster", ray_cluster.address])
    killer.join(timeout=5)
    assert killed, "no scoring actor was seen"
    assert time.monotonic() - started < 240  # never a hang
    if result.exit_code == 0:  # Ray Data restarted the actor and scored its block again
        assert remote.read_bytes() == local.read_bytes()
    else:  # or the job failed, saying so
        assert result.exit_code == ExitCode.CLUSTER and "Ray cluster" in result.output, \
            result.output


def test_the_budget_cancels_candidates_still_running_at_the_deadline(ray_cluster, table):
    events: list[dict] = []
    start = time.perf_counter()
    run = train(table / "customers.csv", CHURN_TARGET, time_limit=6, out=table / "budget",
                candidates=[(SleepyModel, {"sleep": 0.05}, "quick"),
                            (SleepyModel, {"sleep": 60.0}, "endless")],
                cluster=ray_cluster.address, progress=events.append)
    assert time.perf_counter() - start < 60  # never waited for the endless one
    end = next(e for e in events if e["event"] == "search_end")
    assert end["elapsed"] <= 6 * 1.1 + 1.5
    stopped = {s["name"]: s["reason"] for s in run.metrics["not_used"]}
    assert stopped["endless"].startswith("stopped: by the time budget")
    assert [r["name"] for r in run.leaderboard] == ["ensemble", "quick"]


def test_a_worker_killed_mid_search_has_its_task_rerun(ray_cluster, table, tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    killed: list[int] = []

    def kill() -> None:  # the first worker process that starts a fit dies mid-fit
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not killed:
            for name in os.listdir(pids):
                if int(name) != os.getpid():
                    os.kill(int(name), signal.SIGKILL)
                    killed.append(int(name))
                    break
            time.sleep(0.2)

    killer = threading.Thread(target=kill, daemon=True)
    killer.start()
    cands = [(SleepyModel, {"sleep": 0.8, "shift": 0.01 * i, "pid_dir": str(pids)}, f"sleepy{i}")
             for i in range(4)]
    run = train(table / "customers.csv", CHURN_TARGET, time_limit=120, out=table / "killed",
                candidates=cands, cluster=ray_cluster.address)
    killer.join(timeout=10)
    assert killed, "no worker was killed"
    names = {r["name"] for r in run.leaderboard}
    assert names == {"ensemble", *(f"sleepy{i}" for i in range(4))}, run.metrics["not_used"]


def test_an_address_without_a_cluster_fails_at_once_with_exit_5(table):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    result = runner.invoke(app, ["train", str(table / "customers.csv"), "--target", CHURN_TARGET,
                                 "--cluster", f"ray://127.0.0.1:{port}"])
    assert result.exit_code == ExitCode.CLUSTER, result.output
    assert f"no Ray cluster answers at ray://127.0.0.1:{port}" in result.output
    assert time.perf_counter() - start < 30


@pytest.mark.slow  # a cluster of its own and Ray Client's reconnection attempts: minutes
def test_a_cluster_lost_mid_search_fails_with_a_message_not_a_hang(table, tmp_path):
    """The whole cluster (head and only node) dies while the search waits on it.

    The driver is a Ray Client (ray://), as on a machine outside the cluster; in a
    subprocess, so that a Ray that took the driver down with the cluster would fail
    this test rather than the session.
    """
    pytest.importorskip("ray")
    from bizforge.testing.raycluster import TempRayCluster

    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = (
        "import sys, typer\n"
        "from ray_helpers import SleepyModel\n"
        "from bizforge.cli.app import edge\n"
        "from bizforge.pipeline import train\n"
        "cands = [(SleepyModel, {'sleep': 10.0}, f's{i}') for i in range(3)]\n"
        "try:\n"
        "    edge(lambda: train(sys.argv[1], sys.argv[2], time_limit=120, out=sys.argv[3],\n"
        "                       candidates=cands, cluster=sys.argv[4],\n"
        "                       progress=lambda e: e['event'] == 'search_start' and\n"
        "                       print('SEARCH', flush=True)))()\n"
        "except typer.Exit as exit:\n"
        "    sys.exit(exit.exit_code)\n")
    with TempRayCluster(head_cpus=1, extra_path=[tests]) as doomed:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([*sys.path]))
        proc = subprocess.Popen([sys.executable, "-c", script, str(table / "customers.csv"),
                                 CHURN_TARGET, str(tmp_path / "m"), doomed.client_address],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=env)
        for line in proc.stdout:
            if line.startswith("SEARCH"):
                break
        time.sleep(2.0)
        for node in list(doomed.nodes):
            doomed.kill_node(node)
        killed = time.perf_counter()
        try:
            output, _ = proc.communicate(timeout=150)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("the search hung after its cluster died")
    assert proc.returncode == ExitCode.CLUSTER, output
    assert f"Ray cluster at {doomed.client_address}" in output
    assert time.perf_counter() - killed < 150


def test_a_cluster_error_names_the_address_and_has_its_exit_code():
    err = ClusterError("the Ray cluster at ray://h:1 failed the job: gone.", fix="check it.")
    assert err.exit_code == ExitCode.CLUSTER == 5 and "ray://h:1" in str(err)
