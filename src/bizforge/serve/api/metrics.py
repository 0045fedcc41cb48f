"""Prometheus metrics for one app instance (its own CollectorRegistry, so tests never clash).

- ``bizforge_http_requests_total{route, method, status}``: every request, by route template
  (never the raw path, so unknown names cannot blow up the label set),
- ``bizforge_predict_requests_total{model, version, status}`` and
  ``bizforge_predict_latency_seconds{model, version}``: prediction requests per served version,
- ``bizforge_predictions_total{model, version, label}``: predicted classes (rows, not requests),
- ``bizforge_predict_batch_rows``: rows per model call (shows request coalescing at work),
- ``bizforge_model_loads_total{model, version, outcome}``: loads and load failures,
- ``bizforge_drift_psi{model, version, feature}``: population stability index of each input
  feature (and ``(predictions)``) over the rows this process served, against training.

>>> m = ServerMetrics()
>>> m.http.labels(route="/healthz", method="GET", status="200").inc()
>>> b"bizforge_http_requests_total" in m.render()[0]
True
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["ServerMetrics"]

_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
_ROW_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384)


class ServerMetrics:
    """The server's collectors, registered on a private :class:`CollectorRegistry`."""

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        self._children: dict = {}
        r = self.registry
        self.http = Counter("bizforge_http_requests", "HTTP requests by route template.",
                            ["route", "method", "status"], registry=r)
        self.predict = Counter("bizforge_predict_requests", "Prediction requests per model.",
                               ["model", "version", "status"], registry=r)
        self.latency = Histogram("bizforge_predict_latency_seconds",
                                 "Prediction request latency, arrival to response.",
                                 ["model", "version"], buckets=_LATENCY_BUCKETS, registry=r)
        self.labels = Counter("bizforge_predictions", "Predicted labels (one per row).",
                              ["model", "version", "label"], registry=r)
        self.batch_rows = Histogram("bizforge_predict_batch_rows",
                                    "Rows scored per model call (coalesced requests).",
                                    buckets=_ROW_BUCKETS, registry=r)
        self.loads = Counter("bizforge_model_loads", "Model loads by outcome (ok / failed).",
                             ["model", "version", "outcome"], registry=r)
        self.drift = Gauge("bizforge_drift_psi",
                           "PSI of served inputs against training (>= 0.2: drifted).",
                           ["model", "version", "feature"], registry=r)

    def child(self, metric, *values: str):
        """``metric.labels(*values)``, remembered: labels() costs more than the increment."""
        key = (id(metric), values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return found

    def observe_predict(self, model: str, version: int, status: int, seconds: float) -> None:
        v = str(version)
        self.child(self.predict, model, v, str(status)).inc()
        self.child(self.latency, model, v).observe(seconds)

    def count_labels(self, model: str, version: int, labels) -> None:
        """Add one to ``label`` for every predicted row (classification only)."""
        counts: dict[str, int] = {}
        for label in labels:
            key = str(label)
            counts[key] = counts.get(key, 0) + 1
        self.add_counts(model, version, counts)

    def add_counts(self, model: str, version: int, counts: dict[str, int]) -> None:
        """Add already counted labels (``{label: rows}``)."""
        for label, n in counts.items():
            self.child(self.labels, model, str(version), label).inc(n)

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
