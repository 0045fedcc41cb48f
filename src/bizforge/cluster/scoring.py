"""Batch scoring on a Ray cluster: a file's chunks scored in parallel with Ray Data.

The driver reads the file exactly as ``bizforge predict`` does without a cluster (the
same reader, encoding, header and decimal rules, the same chunks), puts each chunk in
the cluster's object store as one block, and Ray Data's ``map_batches`` hands blocks
to scoring actors. Each actor loads the model folder once — from a path every node can
read, verifying its manifest as every load does — and calls the predictor's ``score``
on whole blocks. The scored blocks come back in input order (``preserve_order``), so
the output is what the local command writes.

A dead actor is restarted and its block scored again. The driver waits on the blocks
with a timeout and looks at the cluster between waits: with no live node left it fails
with a :class:`~bizforge.errors.ClusterError` naming the cluster, never hangs.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import ray

from bizforge.cluster.connect import Cluster
from bizforge.errors import BizforgeError, DataError

__all__ = ["ROW_COLUMN", "score_chunks"]

ROW_COLUMN = "__bizforge_first_row__"  # where a block starts in the file (for messages)
# A block that could not be scored comes back as this one cell: the error, as JSON.
# (Raised in the actor, Ray Data would keep only its text and log it as a crash.)
ERROR_COLUMN = "__bizforge_error__"
POLL_SECONDS = 1.0
STOP_SECONDS = 30.0  # how long a closed read waits for Ray Data's executor to stop


def score_chunks(cluster: Cluster, folder: str | Path, chunks: Iterable[pd.DataFrame], *,
                 explain: bool = False, decimal: str | None = None,
                 source: str | None = None) -> Iterator[pd.DataFrame]:
    """The scored ``chunks`` of the model at ``folder``, in input order.

    ``decimal``: ``predict --decimal`` (the recipe then reads text numbers with it);
    ``source``: the input's name, for the message of a row that cannot be scored.
    """
    from ray.data import DataContext

    refs, first = [], 0
    for chunk in chunks:
        block = chunk.reset_index(drop=True)
        block[ROW_COLUMN] = first  # one value: a column costs nothing that matters
        refs.append(ray.put(block))
        first += len(chunk)
    if not refs:
        return
    context = DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # the command draws its own
    context.print_on_execution_start = False
    # Ray Data's own log lines (deprecations, progress, its view of failures) are not the
    # command's output: failures reach the user as bizforge errors.
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)
    # Nor are its deprecation warnings about its own settings, raised as it copies them.
    warnings.filterwarnings("ignore", module=r"ray(\.|$)")
    slots = max(1, min(cluster.cpus(), len(refs)))
    # Ray Data restarts a dead actor and rescores its block (its default for actor pools).
    data = ray.data.from_pandas_refs(refs).map_batches(
        _Scorer, fn_constructor_args=(str(Path(folder).resolve()), explain, decimal, source),
        batch_size=None, batch_format="pandas", zero_copy_batch=False,
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=slots), num_cpus=1)
    for block in _guarded(data.iter_batches(batch_size=None, batch_format="pandas"), cluster):
        if ERROR_COLUMN in block.columns:
            raise _error(json.loads(block[ERROR_COLUMN].iloc[0]))
        yield block


class _Scorer:
    """One scoring actor: the model loaded once, ``score`` on each block."""

    def __init__(self, folder: str, explain: bool, decimal: str | None, source: str | None):
        from bizforge.families import load_folder

        self.predictor = load_folder(folder)
        self.explain, self.source = explain, source
        recipe = getattr(self.predictor, "recipe", None)
        if decimal is not None and recipe is not None:
            recipe.read_decimal(decimal)

    def __call__(self, block: pd.DataFrame) -> pd.DataFrame:
        first = int(block[ROW_COLUMN].iloc[0]) if len(block) else 0
        rows = block.drop(columns=[ROW_COLUMN])
        try:
            return self.predictor.score(rows, explain=self.explain)
        except DataError as exc:  # say where the block sits in the file, as the local path
            return _as_block(DataError(
                f"{self.source or 'the input'}, in the chunk of data rows {first + 1}-"
                f"{first + len(rows)} (row numbers below count from its start): {exc.message}",
                column=exc.column, path=self.source, fix=exc.fix,
                rows=None if exc.rows is None else [r + first for r in exc.rows]))
        except BizforgeError as exc:
            return _as_block(exc)


def _as_block(error: BizforgeError) -> pd.DataFrame:
    state = {k: v for k, v in error.__dict__.items() if k != "message"}
    doc = {"type": type(error).__name__, "message": error.message, "state": state}
    return pd.DataFrame({ERROR_COLUMN: [json.dumps(doc, ensure_ascii=False, default=str)]})


def _error(doc: dict[str, Any]) -> BizforgeError:
    """The error of :func:`_as_block`, rebuilt (a bizforge type; else a BizforgeError)."""
    from bizforge import errors

    cls = getattr(errors, doc["type"], None)
    if not (isinstance(cls, type) and issubclass(cls, BizforgeError)):
        cls = BizforgeError
    error = cls.__new__(cls)
    Exception.__init__(error, doc["message"])
    error.__dict__.update(doc["state"], message=doc["message"])
    return error


def _guarded(batches: Iterator[pd.DataFrame], cluster: Cluster) -> Iterator[pd.DataFrame]:
    """``batches`` read in a thread; between blocks the cluster's health is checked.

    Ray Data waits for resources indefinitely when the cluster loses its nodes; the
    thread lets this driver notice and fail instead.
    """
    out: queue.Queue = queue.Queue(maxsize=4)
    stop = threading.Event()  # the driver stopped reading (an error, or the caller left)

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def pump() -> None:
        it = iter(batches)
        try:
            for batch in it:
                if not put(("batch", batch)):
                    break
            else:
                put(("done", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the driver's thread
            put(("error", exc))
        finally:
            # Stop Ray Data's executor here, before the driver may disconnect: an executor
            # thread left running into ``ray.shutdown`` dies with the connection under it.
            close = getattr(it, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # noqa: BLE001, S110 - already failing or finished
                    pass

    thread = threading.Thread(target=pump, name="bizforge-ray-data", daemon=True)
    thread.start()
    try:
        while True:
            try:
                kind, value = out.get(timeout=POLL_SECONDS)
            except queue.Empty:
                cluster.check()
                continue
            if kind == "batch":
                yield value
            elif kind == "done":
                return
            else:
                raise _translated(value, cluster)
    finally:
        stop.set()
        thread.join(timeout=STOP_SECONDS)  # a lost cluster may never return: bounded


def _translated(exc: BaseException, cluster: Cluster) -> BaseException:
    """The bizforge error inside Ray's wrappers, or the cluster's failure, named."""
    seen, todo = set(), [exc]
    while todo:
        err = todo.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, BizforgeError) and not isinstance(err, ray.exceptions.RayError):
            return err
        todo += [getattr(err, "cause", None), err.__cause__, err.__context__]
    if isinstance(exc, ray.exceptions.RayTaskError):  # a user error without a bizforge type
        return exc
    return cluster.lost(f"scoring stopped ({type(exc).__name__}: "
                        f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''})")
