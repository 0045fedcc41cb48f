"""Coalesce concurrent single-row requests into one model call.

Most of a one-row prediction is fixed cost (building a DataFrame, the recipe's
per-column work, one call per ensemble member): scoring 16 rows costs about
what scoring one does. So each served model version has one worker thread and a
queue; while the worker scores one batch, new requests wait in the queue and go
together into the next call. No timer is involved: a request arriving at an idle
model is scored at once, and under load batches grow by themselves.

A batch that fails (one request's bad value) is re-run request by request, so
each request gets its own answer or its own error, never a neighbour's.

>>> batcher = Batcher(score, executor)              # doctest: +SKIP
>>> await batcher.submit(rows)                       # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

__all__ = ["Batcher"]


class Batcher:
    """Queue of pending jobs for one model, drained by one executor thread.

    ``score(list_of_row_lists) -> list_of_results`` runs in ``executor``; it
    receives the rows of several requests and returns one result per request.
    ``max_rows`` bounds a batch so one burst cannot add unbounded latency.
    """

    def __init__(self, score: Callable[[list[Sequence[Any]]], list[Any]], executor: Executor,
                 *, max_rows: int = 512, on_batch: Callable[[int], None] | None = None):
        self.score = score
        self.executor = executor
        self.max_rows = max_rows
        self.on_batch = on_batch
        self._pending: list[tuple[Sequence[Any], asyncio.Future]] = []
        self._draining = False

    async def submit(self, rows: Sequence[Any]) -> Any:
        """The result for ``rows``; raises what scoring them alone would raise."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((rows, future))
        if not self._draining:
            self._draining = True
            loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch = self._take()
                jobs = [rows for rows, _ in batch]
                try:
                    results = await loop.run_in_executor(self.executor, self._run, jobs)
                except BaseException as exc:  # noqa: BLE001 - shut down or cancelled: fail these jobs
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # the client went away
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._draining = False

    def _take(self) -> list[tuple[Sequence[Any], asyncio.Future]]:
        taken, rows = 0, 0
        for rows_i, future in self._pending:
            if taken and rows + len(rows_i) > self.max_rows:
                break
            taken += 1
            rows += len(rows_i)
        batch, self._pending = self._pending[:taken], self._pending[taken:]
        return [(r, f) for r, f in batch if not f.cancelled()]

    def _run(self, jobs: list[Sequence[Any]]) -> list[Any]:
        """In the worker thread: all jobs in one call, or one by one if that fails."""
        if not jobs:
            return []
        if self.on_batch is not None:
            self.on_batch(sum(len(j) for j in jobs))
        try:
            return self.score(jobs)
        except Exception as exc:  # noqa: BLE001 - re-run alone to attribute the error
            if len(jobs) == 1:
                return [exc]
        results: list[Any] = []
        for job in jobs:
            try:
                results.extend(self.score([job]))
            except Exception as exc:  # noqa: BLE001 - this job's own error
                results.append(exc)
        return results
