"""The Monitor page's figures, read from the server's own Prometheus collectors.

Per model version: requests, errors (status >= 400), mean latency, a p95 bound from
the latency buckets and the predicted-class mix; over time: predict requests per
minute per model from the console's periodic samples, drawn as an inline SVG.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

__all__ = ["line_chart", "monitor_rows", "over_time_chart"]


def monitor_rows(metrics: Any) -> list[dict[str, Any]]:
    """One row per (model, version) that served a prediction since the server started."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def row(labels) -> dict[str, Any]:
        key = (labels.get("model", ""), labels.get("version", ""))
        return rows.setdefault(key, {"model": key[0], "version": key[1], "requests": 0,
                                     "errors": 0, "sum": 0.0, "count": 0, "buckets": [],
                                     "labels": {}})

    for family in metrics.registry.collect():
        for s in family.samples:
            if s.name == "bizforge_predict_requests_total":
                r = row(s.labels)
                r["requests"] += int(s.value)
                if s.labels.get("status", "200")[:1] in "45":
                    r["errors"] += int(s.value)
            elif s.name == "bizforge_predict_latency_seconds_sum":
                row(s.labels)["sum"] += s.value
            elif s.name == "bizforge_predict_latency_seconds_count":
                row(s.labels)["count"] += int(s.value)
            elif s.name == "bizforge_predict_latency_seconds_bucket":
                row(s.labels)["buckets"].append((float(s.labels["le"]), s.value))
            elif s.name == "bizforge_predictions_total":
                r = row(s.labels)
                r["labels"][s.labels.get("label", "")] = int(s.value)
    out = []
    for r in rows.values():
        if not r["requests"] and not r["labels"]:
            continue
        r["mean_ms"] = round(1000 * r["sum"] / r["count"], 2) if r["count"] else None
        r["p95_ms"] = _quantile_bound(r.pop("buckets"), r["count"], 0.95)
        total = sum(r["labels"].values()) or 1
        r["mix"] = [(label, n, n / total) for label, n in
                    sorted(r["labels"].items(), key=lambda kv: -kv[1])]
        out.append(r)
    return sorted(out, key=lambda r: (r["model"], r["version"]))


def _quantile_bound(buckets: list[tuple[float, float]], count: int, q: float) -> float | None:
    """The upper edge (ms) of the bucket holding quantile ``q`` (a bound, not an estimate)."""
    if not count:
        return None
    for edge, cumulative in sorted(buckets):
        if cumulative >= q * count:
            return None if math.isinf(edge) else round(edge * 1000, 1)
    return None


def over_time_chart(samples: list[tuple[float, dict[str, float]]]) -> dict[str, Any] | None:
    """Requests per minute per model between consecutive samples, as a chart."""
    if len(samples) < 2:
        return None
    series: dict[str, list[float]] = {}
    for (t0, a), (t1, b) in itertools.pairwise(samples):
        minutes = max((t1 - t0) / 60.0, 1e-9)
        for model in set(a) | set(b):
            series.setdefault(model, []).append(max(b.get(model, 0) - a.get(model, 0), 0)
                                                / minutes)
    return line_chart(series)


def line_chart(series: dict[str, list[float]], width: int = 640, height: int = 200
               ) -> dict[str, Any] | None:
    """Polyline points of each series scaled into ``width`` x ``height`` (drawn by a template)."""
    longest = max((len(v) for v in series.values()), default=0)
    values = [x for v in series.values() for x in v if x is not None and math.isfinite(x)]
    if longest < 2 or not values:
        return None
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    pad = 24
    lines = []
    for name, ys in series.items():
        step = (width - 2 * pad) / max(len(ys) - 1, 1)
        points = " ".join(f"{pad + i * step:.1f},{height - pad - (y - low) / span * (height - 2 * pad):.1f}"
                          for i, y in enumerate(ys) if y is not None and math.isfinite(y))
        lines.append({"name": name, "points": points})
    return {"width": width, "height": height, "low": round(low, 3), "high": round(high, 3),
            "lines": lines}
