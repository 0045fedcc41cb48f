"""The training worker: one console job, run as ``python -m bizforge.serve.console.worker``.

Reads the job's spec (JSON) on standard input, runs :func:`bizforge.pipeline.train`
with a ``progress`` callback and writes every event as one JSON line on standard
output; the server's job queue stores them and streams them to the page. The last
line is ``{"event": "finished", ...}`` (the model folder and its held-out figures)
or ``{"event": "error", "message": ...}``.

A separate process, so that cancelling is a plain terminate, a crash cannot take the
server down, and training does not hold the server's GIL. When the server goes away
the worker stops too (its parent changes), so a restarted server never finds a
stray training run writing into its home.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

__all__ = ["main"]


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)  # the server is gone: nobody is left to record the result


def _summary(metrics: dict[str, Any]) -> dict[str, Any]:
    keep = ("task", "metric", "test", "target", "rows", "threshold", "fit_seconds")
    out = {k: metrics[k] for k in keep if k in metrics}
    out["leaderboard"] = list(metrics.get("leaderboard") or [])[:20]
    return out


def main() -> int:
    spec = json.loads(sys.stdin.read())
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    from bizforge.errors import BizforgeError
    from bizforge.pipeline import train

    try:
        run = train(spec["data"], spec.get("target") or None, task=spec.get("task") or "auto",
                    time_limit=float(spec["time_limit"]), out=spec["out"],
                    lang=spec.get("lang", "en"), progress=_emit,
                    **(spec.get("options") or {}))
    except BizforgeError as exc:
        _emit({"event": "error", "message": str(exc), "type": type(exc).__name__})
        return 2
    _emit({"event": "finished", "path": str(run.path), "family": run.family,
           "metrics": _summary(run.metrics), "notes": [str(n) for n in run.warnings][:20]})
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a subprocess
    sys.exit(main())
