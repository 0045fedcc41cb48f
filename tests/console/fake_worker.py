"""A stand-in for the training worker in the job-queue tests: prints events, no training.

The spec's ``data`` says what to do: ``ok`` (two events, then finished), ``fail``
(an error event, exit 2), ``crash`` (exit 1, nothing printed) or ``sleep`` (one
event, then waits to be cancelled or interrupted).
"""

import json
import sys
import time

spec = json.loads(sys.stdin.read())


def emit(event):
    print(json.dumps(event), flush=True)


what = spec["data"]
if what == "ok":
    emit({"event": "stage", "stage": "inspect"})
    emit({"event": "candidate_end", "name": "a", "status": "ok", "score": 0.7, "total": 2})
    emit({"event": "finished", "path": spec["out"], "metrics": {"test": {"auc": 0.7}}})
elif what == "fail":
    emit({"event": "error", "message": "column 'x' is empty. Fix: choose another target."})
    sys.exit(2)
elif what == "crash":
    sys.exit(1)
else:
    emit({"event": "stage", "stage": "clean"})
    time.sleep(60)
