"""Loaded predictors, keyed by (name, version), and the alias resolution in front of them.

Every request resolves its reference (``churn``, ``churn@staging``, ``churn:3``)
to a version; resolutions are remembered until the registry's revision number
moves. The revision is looked at every ``poll`` seconds (one small query; at
0.5 ms it would double the cost of a request if made for each), so a promotion
made elsewhere is picked up within ``poll`` and one made through this server at
once; no request ever fails because of it: the old version keeps answering the
requests that already resolved to it.

Loading verifies the artifact's manifest once; the predictor is then kept in
memory (least recently used ones are dropped beyond ``max_models``). A version
that fails to load raises :class:`ModelUnavailable` (HTTP 503, with the reason)
and is retried after ``retry_after`` seconds; other models keep working.

>>> cache = ModelCache(Registry())                       # doctest: +SKIP
>>> name, version = cache.resolve("churn@production")    # doctest: +SKIP
>>> model = await cache.get(name, version)               # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bizforge.clean.drift import Tally
from bizforge.errors import BizforgeError, DataError, ModelError, ModelNotFound
from bizforge.families.base import Action
from bizforge.families.loading import load_folder
from bizforge.serve.api.batching import Batcher
from bizforge.serve.api.logging import log_event
from bizforge.serve.api.schemas import as_number, request_model, row_model

__all__ = ["LoadedModel", "ModelCache", "ModelUnavailable", "UnknownAction"]

Key = tuple[str, int]
_SMALL = 256  # rows up to which plain Python values beat pandas' vectorised paths
ACTION_BATCH = 32  # requests of a handle_many action answered in one call, at most
MAX_REFS = 1024  # texts of model references remembered with what they resolved to


class ModelUnavailable(ModelError):
    """A published version exists but cannot be served (failed integrity check, bad files)."""

    http_status = 503


class UnknownAction(ModelNotFound):
    """The model has no REST action of that name (404, naming the ones it has)."""


class LoadedModel:
    """One served version: predictor, its actions, and its single scoring thread.

    A predictor whose ``predict`` action is marked ``table_rows`` is served on the fast
    path (``fast``: typed row model, number reading, batcher); every other action, and
    ``predict`` of every other predictor, through the action's request model and
    ``handle`` (:meth:`act`).
    """

    def __init__(self, name: str, version: int, predictor: Any, *, max_rows: int,
                 batch_rows: int, on_batch: Callable[[int], None] | None = None):
        self.name, self.version, self.predictor = name, version, predictor
        self.actions: dict[str, Action] = {a.name: a for a in predictor.actions()}
        main = self.actions.get("predict")
        self.fast = bool(main is not None and main.table_rows)
        # One thread per model: the GIL gains nothing from more, and predictors need
        # not be thread-safe.
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"bizforge-{name}-{version}")
        self.row_model = self.request_model = self.batcher = None
        self.action_batchers: dict[str, Batcher] = {}  # actions with handle_many
        self.classification, self.classes, self.plan = False, [], []
        self.threshold = getattr(predictor, "threshold", None)
        if self.fast:
            self._table(max_rows, batch_rows, on_batch)
        # Served rows counted on the training reference's buckets (the drift monitor
        # flushes and clears it); None for artifacts without a reference.
        reference = (getattr(predictor, "info", None) or {}).get("drift_reference")
        self.tally = Tally(reference) if reference else None
        self.tally_lock = threading.Lock()

    def _table(self, max_rows: int, batch_rows: int, on_batch) -> None:
        """The fast path's typed models, column plan and batcher (``table_rows``)."""
        predictor = self.predictor
        self.row_model = row_model(self.name, self.version, predictor)
        self.request_model = request_model(self.name, self.version, self.row_model, max_rows)
        spec = predictor.spec
        self.classification = bool(spec.is_classification)
        self.classes = [str(c) for c in spec.classes] if self.classification else []
        # (attribute on the row model, input column, numeric?) in recipe order
        self.plan = [(f"f{i}", step.column, step.kind == "numeric")
                     for i, step in enumerate(predictor.recipe.steps_)]
        # Text numbers are read with the decimal mark of training ("12,50" models).
        self.decimals = {step.column: getattr(step, "decimal", ".")
                         for step in predictor.recipe.steps_}
        self.batcher = Batcher(self.score_jobs, self.executor, max_rows=batch_rows,
                               on_batch=on_batch)

    def action(self, name: str) -> Action:
        """The action called ``name``, or UnknownAction naming the ones this model has."""
        found = self.actions.get(name)
        if found is None:
            have = ", ".join(sorted(self.actions)) or "none"
            raise UnknownAction(
                f"model {self.name}:{self.version} has no action '{name}'; its actions: "
                f"{have}.", fix=f"POST to /v1/models/{self.name}/<action> with one of: {have}.")
        return found

    async def act(self, action: Action, request: Any) -> dict[str, Any]:
        """``action.handle(request)`` in this model's thread, checked against its response
        model (a handler that answers the wrong shape is the model's fault: 500, logged).
        An answer the action already has in memory (``quick``) is taken without the hop
        into the model's thread. An action with ``handle_many`` answers the requests that
        arrive together in one call (:class:`~bizforge.serve.api.batching.Batcher`)."""
        if action.quick is not None:
            found = action.quick(request)
            if found is not None:
                return self._checked(action, found)
        if action.handle_many is None:
            return self._checked(action, await self.run(action.handle, request))
        batcher = self.action_batchers.get(action.name)
        if batcher is None:
            many = action.handle_many
            batcher = self.action_batchers[action.name] = Batcher(
                lambda jobs: many([job[0] for job in jobs]), self.executor,
                max_rows=ACTION_BATCH)
        return self._checked(action, await batcher.submit([request]))

    def _checked(self, action: Action, answer: Any) -> dict[str, Any]:
        if isinstance(answer, action.response):
            return answer.model_dump(mode="json")
        try:
            return action.response.model_validate(answer).model_dump(mode="json")
        except ValidationError as exc:  # not the caller's mistake: never a 422
            first = exc.errors()[0]
            raise ModelError(
                f"model {self.name}:{self.version} answered '{action.name}' with a value that "
                f"does not fit its response model (field {'.'.join(map(str, first['loc']))}: "
                f"{first['msg']}).", fix="report this to the model's author; retrain or "
                "promote another version.") from None

    def finish(self, action: Action, request: Any, answer: dict[str, Any]) -> dict[str, Any]:
        """``action.finish`` (any thread), its answer checked against the response model."""
        return self._checked(action, action.finish(request, answer))

    def read_numbers(self, rows: list[Any]) -> None:
        """Numbers sent as text become floats, in place; DataError naming field and row."""
        for attr, column, numeric in self.plan:
            if not numeric:
                continue
            for i, row in enumerate(rows):
                value = getattr(row, attr)
                if isinstance(value, str):
                    try:
                        setattr(row, attr, as_number(value, self.decimals[column]))
                    except ValueError:
                        raise DataError(
                            f"field '{column}' of row {i + 1} is not a number.", column=column,
                            rows=[i + 1], fix="send a number such as 42 or 1234.5 (text like "
                                              "\"1,234\" is read too), or null when unknown.",
                        ) from None

    def frame(self, rows: list[Any]) -> pd.DataFrame:
        """Validated rows -> an object-dtype DataFrame in recipe column order.

        Call :meth:`read_numbers` first (numbers sent as text). Object dtype on
        purpose: pandas 3 would otherwise turn every text column into its Arrow
        ``str`` dtype, which costs more than the rest of a one-row request; the
        recipe reads numbers, categories and dates from plain Python values the
        same way. Many rows (the recipe's vectorised paths) get float64 numbers.
        """
        return self._frame(rows, self.columns(rows))

    def columns(self, rows: list[Any]) -> dict[str, list[Any]]:
        """Validated rows -> ``{input column: values}`` in recipe order."""
        return {column: [getattr(row, attr) for row in rows] for attr, column, _ in self.plan}

    def _frame(self, rows: list[Any], columns: dict[str, list[Any]]) -> pd.DataFrame:
        if len(rows) <= _SMALL:
            return pd.DataFrame(columns, dtype=object)
        return pd.DataFrame({
            column: np.array(columns[column], dtype="float64") if numeric
            else np.array(columns[column], dtype=object)
            for _, column, numeric in self.plan})

    def _answers(self, value: np.ndarray, labels: np.ndarray) -> list[dict[str, Any]]:
        if not self.classification:
            return [{"value": float(v)} for v in value]
        classes = self.classes
        return [{"label": str(label), "probabilities": dict(zip(classes, map(float, p)))}
                for label, p in zip(labels, value.tolist())]

    def _predict(self, frame: pd.DataFrame, columns: dict[str, list] | None = None
                 ) -> list[dict[str, Any]]:
        predictor = self.predictor
        value, labels = predictor.value_and_labels(predictor.features(frame))
        self.observe(frame if columns is None else columns,
                     labels if self.classification else None)
        return self._answers(value, labels)

    def observe(self, rows: Any, labels: Any = None) -> None:
        """Count scored rows (a frame or ``{column: values}``) for the drift monitor:
        bucket counts only, never values."""
        if self.tally is None:
            return
        try:
            with self.tally_lock:
                self.tally.add(rows, labels)
        except Exception as exc:  # noqa: BLE001 - monitoring must never fail a prediction
            self.tally = None
            log_event("drift_tally_failed", level=40, model=self.name, version=self.version,
                      error=type(exc).__name__)

    def score_jobs(self, jobs: list[list[Any]]) -> list[list[dict[str, Any]]]:
        """In the model thread: all requests' rows in one call, split back per request."""
        rows = [row for job in jobs for row in job]
        columns = self.columns(rows)
        answers = self._predict(self._frame(rows, columns), columns)
        out, start = [], 0
        for job in jobs:
            out.append(answers[start:start + len(job)])
            start += len(job)
        return out

    def explain(self, rows: list[Any], k: int = 3) -> list[dict[str, Any]]:
        """Answers plus the top ``k`` reasons of each row (run in the model thread)."""
        frame = self.frame(rows)
        answers = self._predict(frame)
        for answer, reasons in zip(answers, self.predictor.explain(frame, k=k), strict=True):
            answer["reasons"] = reasons
        return answers

    async def run(self, fn: Callable, *args: Any) -> Any:
        """Run ``fn`` in this model's thread (never two calls on one predictor at once)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def close(self) -> None:
        self.executor.shutdown(wait=False)


class ModelCache:
    """Resolve references and hand out loaded models (see the module docstring)."""

    def __init__(self, registry: Any, *, max_models: int = 8, max_rows: int = 10_000,
                 batch_rows: int = 512, retry_after: float = 10.0, poll: float = 0.2,
                 metrics: Any = None):
        self.registry = registry
        self.max_models = max_models
        self.max_rows = max_rows
        self.batch_rows = batch_rows
        self.retry_after = retry_after
        self.poll = poll  # seconds between two looks at the registry's revision
        self.metrics = metrics
        self.loads = 0  # successful and failed load attempts (tests count them)
        self.on_change: list[Callable[[], None]] = []  # called when the registry changed
        self._revision: int | None = None
        self._looked = float("-inf")
        self._stale = False  # the last look at the registry failed
        self._refs: dict[str, Key] = {}
        self._found: dict[Key, Any] = {}  # ModelVersion rows seen since the last change
        self._loaded: OrderedDict[Key, LoadedModel] = OrderedDict()
        self._failed: dict[Key, tuple[BizforgeError, float]] = {}
        self._locks: dict[Key, threading.Lock] = {}
        self._guard = threading.Lock()

    # -- resolution --------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> None:
        """Forget resolutions when the registry changed since the last look.

        The look is one small query, made at most every ``poll`` seconds: a change made
        elsewhere (the CLI, another server) is seen within ``poll``; a change made
        through this server is seen at once (it calls :meth:`invalidate`).
        """
        now = time.monotonic()
        if not force and now - self._looked < self.poll:
            return
        self._looked = now
        try:
            revision = self.registry.revision()
        except Exception as exc:  # noqa: BLE001 - the database is down or restarting
            # Keep serving what is already resolved and loaded; what needs the database
            # (an unseen name, a key not yet checked) gets a 503 until it is back.
            if not self._stale:
                log_event("registry_unreachable", level=30, error=type(exc).__name__)
            self._stale = True
            return
        if self._stale:
            log_event("registry_reachable")
            self._stale = False
        if revision != self._revision:
            self.invalidate(revision)

    def invalidate(self, revision: int | None = None) -> None:
        """Forget every resolution and remembered failure (after a promote, a delete, ...)."""
        self._revision = revision
        if revision is None:
            self._looked = float("-inf")  # look again at the next request
        self._refs = {}
        self._found = {}
        self._failed = {}
        for callback in self.on_change:
            callback()

    def resolve(self, ref: str) -> Key:
        """``(name, version)`` that ``ref`` means right now. UsageError / ModelNotFound."""
        from bizforge.registry import parse_ref

        self.refresh()
        hit = self._refs.get(ref)  # this very text resolved before: its name was checked then
        if hit is not None:
            return hit
        parsed = parse_ref(ref)  # validates the name before anything else sees it
        key = str(parsed)
        hit = self._refs.get(key)
        if hit is None:
            mv = self.registry.get(parsed)
            hit = (mv.name, mv.version)
            self._found[hit] = mv
            self._refs[key] = hit
        if len(self._refs) < MAX_REFS:
            self._refs[ref] = hit
        return hit

    # -- loading ------------------------------------------------------------------
    @property
    def loaded_refs(self) -> list[str]:
        """``name:version`` of every model in memory (for /healthz)."""
        return [f"{name}:{version}" for name, version in list(self._loaded)]

    def loaded(self, name: str, version: int) -> LoadedModel | None:
        """The model if it is in memory (no loading, no IO)."""
        entry = self._loaded.get((name, version))
        if entry is not None:
            self._loaded.move_to_end((name, version))
        return entry

    async def get(self, name: str, version: int) -> LoadedModel:
        """The loaded model; loads it in a worker thread on first use."""
        entry = self.loaded(name, version)
        if entry is not None:
            return entry
        failure = self._failed.get((name, version))
        if failure is not None and time.monotonic() < failure[1]:
            raise failure[0]
        return await run_in_threadpool(self.load, name, version)

    def load(self, name: str, version: int) -> LoadedModel:
        """Load (once, even when many requests ask at the same time) or raise."""
        key = (name, version)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            entry = self._loaded.get(key)
            if entry is not None:
                return entry
            self.loads += 1
            started = time.perf_counter()
            try:
                mv = self._found.get(key) or self.registry.get(f"{name}:{version}")
                predictor = self.registry.load(mv, load_folder)
                entry = LoadedModel(name, version, predictor, max_rows=self.max_rows,
                                    batch_rows=self.batch_rows, on_batch=self._on_batch)
            except ModelNotFound:
                raise
            except Exception as exc:  # noqa: BLE001 - any load failure is a 503, not a crash
                self._fail(key, exc)
            self._loaded[key] = entry
            self._failed.pop(key, None)
            self._count("ok", key)
            log_event("model_loaded", model=name, version=version,
                      ms=round(1000 * (time.perf_counter() - started), 1))
            while len(self._loaded) > self.max_models:
                (old_name, old_version), _ = self._loaded.popitem(last=False)
                log_event("model_unloaded", model=old_name, version=old_version)
            return entry

    def _fail(self, key: Key, exc: Exception) -> None:
        name, version = key
        reason = str(exc) if isinstance(exc, BizforgeError) else type(exc).__name__
        home = str(getattr(self.registry, "home", "") or "")
        if home:
            reason = reason.replace(str(self.registry.home.resolve()), "<home>")
            reason = reason.replace(home, "<home>")
        error = ModelUnavailable(
            f"model {name}:{version} cannot be served: {reason}",
            fix="publish the model again, or promote another version; the server keeps "
                "serving the other models.")
        self._failed[key] = (error, time.monotonic() + self.retry_after)
        self._count("failed", key)
        log_event("model_load_failed", level=40, model=name, version=version,
                  error=type(exc).__name__)
        raise error from None

    def _count(self, outcome: str, key: Key) -> None:
        if self.metrics is not None:
            self.metrics.loads.labels(model=key[0], version=str(key[1]), outcome=outcome).inc()

    def _on_batch(self, rows: int) -> None:
        if self.metrics is not None:
            self.metrics.batch_rows.observe(rows)

    def evict(self, name: str, version: int | None = None) -> None:
        """Drop a name's (or one version's) loaded models."""
        for key in [k for k in self._loaded if k[0] == name and version in (None, k[1])]:
            self._loaded.pop(key, None)

    def close(self) -> None:
        """Stop every model thread (at server shutdown, after requests drained)."""
        for entry in self._loaded.values():
            entry.close()
        self._loaded.clear()
