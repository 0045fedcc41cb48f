"""The server's drift monitor: flush served-row tallies to the registry, export PSI gauges.

Every loaded model version counts the rows it scores on its training reference's
buckets (:class:`~bizforge.clean.drift.Tally`, in the model's own thread). Every
``interval`` seconds a background thread moves those counts into the registry
database (one ``serving_summaries`` row per version) and sets the Prometheus gauge
``bizforge_drift_psi{model, version, feature}`` from everything this process has
served. When the database is down the counts stay in memory and go with the next
flush; nothing is lost and no request waits for it.

>>> monitor = DriftMonitor(registry, cache, metrics, interval=60).start()   # doctest: +SKIP
>>> monitor.flush()      # also at shutdown                                  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from bizforge.clean.drift import MIN_ROWS, compare, merge
from bizforge.serve.api.logging import log_event

__all__ = ["DriftMonitor"]


class DriftMonitor:
    """Flushes the cache's tallies to the registry every ``interval`` seconds."""

    def __init__(self, registry: Any, cache: Any, metrics: Any, *, interval: float = 60.0):
        self.registry, self.cache, self.metrics = registry, cache, metrics
        self.interval = interval
        self._pending: dict[tuple[str, int], tuple[datetime, dict]] = {}  # not yet stored
        self._served: dict[tuple[str, int], dict] = {}  # since start, for the gauges
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DriftMonitor:
        if self.interval > 0:
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name="bizforge-drift")
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and flush what is left (at server shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def _collect(self) -> None:
        now = datetime.now(UTC)
        for ref in self.cache.loaded_refs:
            name, _, version = ref.rpartition(":")
            key = (name, int(version))
            model = self.cache.loaded(*key)
            if model is None or model.tally is None:
                continue
            try:
                with model.tally_lock:
                    if model.tally.rows == 0:
                        continue
                    counts = model.tally.to_dict()
                    model.tally.clear()
            except Exception as exc:  # noqa: BLE001 - monitoring must never stop the server
                model.tally = None
                log_event("drift_tally_failed", level=40, model=name, version=key[1],
                          error=type(exc).__name__)
                continue
            reference = model.tally.ref
            start, pending = self._pending.get(key, (now, None))
            self._pending[key] = (start, merge([c for c in (pending, counts) if c]))
            self._served[key] = merge([c for c in (self._served.get(key), counts) if c])
            self._gauges(key, reference)

    def flush(self) -> int:
        """Store every pending tally; returns the rows stored (0 when the database is down)."""
        from bizforge.registry.monitor import record

        with self._lock:
            self._collect()
            stored = 0
            end = datetime.now(UTC)
            for key, (start, counts) in list(self._pending.items()):
                try:
                    record(self.registry, key[0], key[1], start, end, counts)
                except Exception as exc:  # noqa: BLE001 - kept for the next flush
                    log_event("drift_flush_failed", level=30, model=key[0], version=key[1],
                              error=type(exc).__name__)
                    break
                del self._pending[key]
                stored += counts["rows"]
            return stored

    def _gauges(self, key: tuple[str, int], reference: dict) -> None:
        served = self._served[key]
        if served["rows"] < MIN_ROWS:
            return
        report = compare(reference, served)
        items = report["features"] + ([report["prediction"]] if report["prediction"] else [])
        for item in items:
            self.metrics.drift.labels(model=key[0], version=str(key[1]),
                                      feature=item["feature"]).set(item["psi"])
