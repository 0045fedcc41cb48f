"""The training job queue: states kept in the registry database, one at a time, cancel,
interrupted on restart, progress over Server-Sent Events (with a stand-in worker)."""

from __future__ import annotations

import subprocess
import time

import pytest
import sqlalchemy as sa
from console_helpers import FAKE_WORKER, csrf_of

from bizforge.registry.db import jobs as jobs_table
from bizforge.serve.console.jobs import JobQueue


def _wait(queue, job_id, statuses, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = queue.get(job_id)
        if job["status"] in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {queue.get(job_id)['status']}")


@pytest.fixture
def queue(registry, tmp_path):
    q = JobQueue(registry, tmp_path / "jobs", command=FAKE_WORKER)
    q.start()
    yield q
    q.stop()


def test_a_job_runs_to_done_with_its_events(queue):
    job_id = queue.submit({"data": "ok", "time_limit": 1})
    job = _wait(queue, job_id, ("done",))
    assert [e["event"] for e in job["events"]] == ["stage", "candidate_end", "finished"]
    assert job["result"]["metrics"]["test"] == {"auc": 0.7}
    assert job["started"] and job["finished"]


def test_a_failed_job_keeps_the_library_message(queue):
    job = _wait(queue, queue.submit({"data": "fail", "time_limit": 1}), ("failed",))
    assert job["error"].startswith("column 'x' is empty")


def test_a_crashed_worker_is_a_failed_job(queue):
    job = _wait(queue, queue.submit({"data": "crash", "time_limit": 1}), ("failed",))
    assert "code 1" in job["error"]


def test_one_job_at_a_time_the_next_waits_in_order(queue):
    first = queue.submit({"data": "sleep", "time_limit": 1})
    second = queue.submit({"data": "ok", "time_limit": 1})
    _wait(queue, first, ("running",))
    time.sleep(0.5)
    assert queue.get(second)["status"] == "queued"
    queue.cancel(first)
    assert _wait(queue, first, ("cancelled",))["error"] == "cancelled while running."
    _wait(queue, second, ("done",))


def test_a_queued_job_can_be_cancelled_before_it_starts(queue):
    first = queue.submit({"data": "sleep", "time_limit": 1})
    second = queue.submit({"data": "ok", "time_limit": 1})
    _wait(queue, first, ("running",))
    assert queue.cancel(second)["status"] == "cancelled"
    queue.cancel(first)
    _wait(queue, first, ("cancelled",))
    assert queue.get(second)["status"] == "cancelled"


def test_a_restart_marks_running_jobs_interrupted(registry, tmp_path):
    with registry.engine.begin() as conn:
        conn.execute(jobs_table.insert().values(id="a" * 16, status="running", created="x",
                                                spec={"data": "ok"}, events=[]))
    queue = JobQueue(registry, tmp_path / "jobs", command=FAKE_WORKER)
    queue.start()
    try:
        job = queue.get("a" * 16)
        assert job["status"] == "interrupted"
        assert "server stopped" in job["error"]
    finally:
        queue.stop()


def test_stopping_the_server_interrupts_the_running_job(registry, tmp_path):
    queue = JobQueue(registry, tmp_path / "jobs", command=FAKE_WORKER)
    queue.start()
    job_id = queue.submit({"data": "sleep", "time_limit": 1})
    _wait(queue, job_id, ("running",))
    queue.stop()
    assert queue.get(job_id)["status"] == "interrupted"


def test_the_jobs_table_is_in_the_registry_database(registry, queue):
    queue.submit({"data": "ok", "time_limit": 1})
    with registry.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs_table)).scalar() == 1


def test_the_job_page_streams_progress_as_server_sent_events(admin):
    queue = admin.app.state.console.jobs
    job_id = queue.submit({"data": "ok", "time_limit": 1, "target": "t", "task": "auto"})
    _wait(queue, job_id, ("done",))
    answer = admin.get(f"/jobs/{job_id}/events")
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert "id: 0\nevent: progress\n" in answer.text
    assert '"status": "done"' in answer.text and '"best": 0.7' in answer.text
    resumed = admin.get(f"/jobs/{job_id}/events", headers={"Last-Event-ID": "1"})
    assert "id: 0\n" not in resumed.text and "id: 2\n" in resumed.text


def test_an_event_stream_without_a_session_ends_with_204_and_sets_no_cookie(make_client):
    """A job page left open across a restart: its stream reconnects without a session. The
    answer ends the reconnecting and does not fetch the sign-in page (whose cookie would void a
    sign-in form on screen)."""
    answer = make_client().get("/jobs/0123456789abcdef/events", follow_redirects=False)
    assert answer.status_code == 204
    assert "set-cookie" not in answer.headers


def test_cancel_from_the_job_page(admin):
    queue = admin.app.state.console.jobs
    job_id = queue.submit({"data": "sleep", "time_limit": 1, "target": "t", "task": "auto"})
    _wait(queue, job_id, ("running",))
    page = admin.get(f"/jobs/{job_id}")
    assert "Cancel" in page.text and 'data-events="/jobs/' in page.text
    admin.post(f"/jobs/{job_id}/cancel", data={"csrf": csrf_of(page.text)})
    _wait(queue, job_id, ("cancelled",))
    assert "cancelled" in admin.get(f"/jobs/{job_id}").text


def test_an_unknown_job_is_a_404_page(admin):
    assert admin.get("/jobs/0123456789abcdef").status_code == 404


def test_a_job_of_a_live_server_elsewhere_is_left_running(registry, tmp_path):
    from bizforge.registry.db import now

    with registry.engine.begin() as conn:
        conn.execute(jobs_table.insert().values(
            id="b" * 16, status="running", created="x", owner="other-host:1",
            heartbeat=now(), spec={"data": "ok"}, events=[]))
        conn.execute(jobs_table.insert().values(
            id="c" * 16, status="running", created="x", owner="other-host:2",
            heartbeat="2020-01-01T00:00:00+00:00", spec={"data": "ok"}, events=[]))
    queue = JobQueue(registry, tmp_path / "jobs", command=FAKE_WORKER)
    queue.start()
    try:
        assert queue.get("b" * 16)["status"] == "running"  # its heartbeat is fresh
        assert queue.get("c" * 16)["status"] == "interrupted"  # silent for years
    finally:
        queue.stop()


def test_jobs_queued_within_one_second_run_in_the_order_given(queue):
    ids = [queue.submit({"data": "ok", "time_limit": 1}) for _ in range(5)]
    assert ids == sorted(ids)  # claimed by (created, id): the id keeps the order
    for job_id in ids:
        _wait(queue, job_id, ("done",))
    started = [queue.get(job_id)["started"] for job_id in ids]
    assert started == sorted(started)


def test_a_running_job_records_its_owner_and_heartbeat(queue):
    job_id = queue.submit({"data": "sleep", "time_limit": 1})
    job = _wait(queue, job_id, ("running",))
    assert job["owner"] == queue.owner and job["heartbeat"]
    assert queue.sweep() == []  # our own running job is not swept
    queue.cancel(job_id)
    _wait(queue, job_id, ("cancelled",))


@pytest.mark.parametrize("dies_at_once", [False, True])
def test_a_cancel_between_claim_and_start_stops_the_job(registry, tmp_path, monkeypatch,
                                                         dies_at_once):
    """Cancelling a job the worker has claimed but not yet started is not lost, and is
    a cancel even when its process has ended before it could be sent its spec (a broken
    pipe: once seen on a loaded machine as "failed")."""
    if dies_at_once:
        terminate = subprocess.Popen.terminate

        def terminate_and_wait(proc):
            terminate(proc)
            proc.wait()

        monkeypatch.setattr(subprocess.Popen, "terminate", terminate_and_wait)
    q = JobQueue(registry, tmp_path / "jobs", command=FAKE_WORKER)
    start = q._run

    def cancel_first(job):
        q.cancel(job["id"])  # running in the table, no process yet
        start(job)

    q._run = cancel_first
    q.start()
    try:
        job_id = q.submit({"data": "sleep", "time_limit": 1})
        began = time.monotonic()
        assert _wait(q, job_id, ("cancelled",), timeout=20)["status"] == "cancelled"
        assert time.monotonic() - began < 20  # not the stand-in's 60 s sleep
    finally:
        q.stop()
