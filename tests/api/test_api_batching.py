"""Request coalescing: concurrent requests share one model call; errors stay their own."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bizforge.errors import DataError
from bizforge.serve.api.batching import Batcher


def _scorer(calls, delay=0.02):
    def score(jobs):
        calls.append([len(j) for j in jobs])
        time.sleep(delay)
        for job in jobs:
            if "bad" in job:
                raise DataError("bad row", column="x", rows=[job.index("bad") + 1])
        return [[f"ok:{row}" for row in job] for job in jobs]
    return score


def _run(coro):
    return asyncio.run(coro)


def test_concurrent_requests_are_scored_together_and_answered_separately():
    calls = []
    batcher = Batcher(_scorer(calls), ThreadPoolExecutor(1))

    async def main():
        return await asyncio.gather(*(batcher.submit([f"r{i}"]) for i in range(10)))

    results = _run(main())
    assert results == [[f"ok:r{i}"] for i in range(10)]
    assert len(calls) < 10 and sum(map(sum, calls)) == 10  # fewer calls than requests


def test_a_lone_request_is_scored_at_once():
    calls = []
    batcher = Batcher(_scorer(calls, delay=0), ThreadPoolExecutor(1))
    started = time.perf_counter()
    assert _run(batcher.submit(["a", "b"])) == ["ok:a", "ok:b"]
    assert time.perf_counter() - started < 0.5 and calls == [[2]]


def test_a_bad_request_fails_alone_with_its_own_error():
    calls = []
    batcher = Batcher(_scorer(calls), ThreadPoolExecutor(1))

    async def main():
        return await asyncio.gather(batcher.submit(["a"]), batcher.submit(["x", "bad"]),
                                    batcher.submit(["c"]), return_exceptions=True)

    good, bad, other = _run(main())
    assert good == ["ok:a"] and other == ["ok:c"]
    assert isinstance(bad, DataError) and bad.rows == [2]


def test_batches_stop_at_max_rows():
    calls = []
    batcher = Batcher(_scorer(calls), ThreadPoolExecutor(1), max_rows=4)

    async def main():
        return await asyncio.gather(*(batcher.submit(["a", "b", "c"]) for _ in range(5)))

    assert len(_run(main())) == 5
    assert all(sum(c) <= 4 or len(c) == 1 for c in calls)


@pytest.mark.parametrize("concurrency", [1, 8])
def test_coalesced_predictions_equal_one_by_one(client, headers, rows, concurrency):
    import threading

    expected = [client.post("/v1/models/churn/predict", json={"rows": [r]},
                            headers=headers["predict"]).json()["predictions"][0] for r in rows]
    got = {}

    def call(i):
        got[i] = client.post("/v1/models/churn/predict", json={"rows": [rows[i % 3]]},
                             headers=headers["predict"]).json()["predictions"][0]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(3 * concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(got[i] == expected[i % 3] for i in got)


def test_an_action_with_handle_many_answers_concurrent_requests_in_one_call():
    from pydantic import BaseModel

    from bizforge.families.base import Action
    from bizforge.serve.api.cache import LoadedModel

    class Ask(BaseModel):
        x: int

    class Said(BaseModel):
        y: int

    calls = []

    def many(requests):
        calls.append(len(requests))
        time.sleep(0.02)
        return [{"y": 2 * r.x} for r in requests]

    class Predictor:
        def actions(self):
            return [Action("double", Ask, Said, lambda r: many([r])[0], handle_many=many)]

    model = LoadedModel("m", 1, Predictor(), max_rows=10, batch_rows=10)
    action = model.action("double")

    async def main():
        return await asyncio.gather(*(model.act(action, Ask(x=i)) for i in range(8)))

    assert _run(main()) == [{"y": 2 * i} for i in range(8)]
    assert len(calls) < 8 and sum(calls) == 8
    model.close()
