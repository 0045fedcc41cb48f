"""The one module that ties every stage together: read the options, pick the task
family, let it train under the budget, save the folder, optionally publish it.

Every family-specific step (cleaning, the model search, evaluation, the report) is
the family's own ``train`` (``bizforge.families``); this module never names one.

>>> run = train("customers.csv", target="Churn", time_limit=60)   # doctest: +SKIP
>>> run.metrics["test"]["roc_auc"], run.path                      # doctest: +SKIP
(0.853, PosixPath('models/churn-20261125-101500'))
>>> publish(run, "churn").ref                                     # doctest: +SKIP
'churn:1'
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bizforge import __version__
from bizforge.errors import UsageError
from bizforge.families import DataSource, Family, FamilyOptions, FamilyPredictor
from bizforge.families.catalog import family_for_task, get_family, list_families, recognise
from bizforge.manifest import write_manifest

__all__ = ["Run", "choose_family", "family_options", "publish", "train"]

METRICS_FILE = "metrics.json"
REPORT_FILE = "report.html"


@dataclass
class Run:
    """The result of :func:`train`: the fitted model, held-out metrics, leaderboard, report."""

    predictor: FamilyPredictor
    metrics: dict[str, Any]
    report: Any
    profile: Any
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    family: str = ""

    @property
    def leaderboard(self) -> list[dict[str, Any]]:
        return self.metrics["leaderboard"]

    def __repr__(self) -> str:
        return f"Run({self.metrics['task']}, {self.metrics['metric']}, path={self.path})"


def train(data: Any, target: str | None = None, *, task: str = "auto", test: Any = None,
          time_limit: float = 60.0, out: str | Path | None = None, lang: str = "en",
          seed: int = 0, progress=None, cluster: Any = None, **options: Any) -> Run:
    """Read, check, train under ``time_limit`` seconds, evaluate on held-out data, save.

    ``task`` is a family's task (``bizforge.families.list_tasks()``) or ``auto``: the
    family most sure the data is its own. ``options`` are that family's keywords
    (its ``Options`` model: e.g. ``cost_fp``, ``text_column``, ``reject``); an option
    of another family is refused, naming the task it belongs to. The saved folder
    (``out``, default ``models/<target>-<time>``) holds the whole model with a manifest
    of sha256 sums and the family's name; it is written to a temporary folder first
    and moved into place only when complete.

    ``cluster``: a Ray address (``ray://HOST:PORT``, ``HOST:PORT``, ``auto``) or a
    connected :class:`bizforge.cluster.Cluster`; the model search's candidates then run
    there as Ray tasks (``bizforge.cluster``). Everything else runs here.

    >>> run = train(frame, "Churn", time_limit=30, cost_fp=10, cost_fn=200)  # doctest: +SKIP
    """
    if time_limit <= 0:
        raise UsageError(f"time limit must be positive, got {time_limit}.",
                         fix="pass --time-limit in seconds, e.g. 60.")
    given = {k: v for k, v in options.items() if v is not None}
    _check_options(given, task)  # before the data is read
    _check_out(out)
    source = DataSource(data, hints=given)
    family = choose_family(source, target, task, given)
    opts = family_options(family, given)
    with _on_cluster(cluster) as executor:
        trained = family().train(source, target=target, task=task, options=opts,
                                 test=None if test is None else DataSource(test),
                                 time_limit=time_limit, seed=seed, lang=lang,
                                 progress=progress)
    if executor is not None:
        _cluster_note(trained, executor, family.name)
    path = _save(trained, family.name, out, target)
    if progress is not None:
        progress({"event": "saved", "path": str(path)})
    return Run(trained.predictor, trained.metrics, trained.report, trained.profile, path,
               trained.notes, family.name)


@contextlib.contextmanager
def _on_cluster(cluster: Any):
    """The searches inside run on ``cluster`` (an address is connected, then closed)."""
    if cluster is None:
        yield None
        return
    from bizforge.cluster import check_address, connect
    from bizforge.train.executor import using

    own = isinstance(cluster, str)
    if own:
        cluster = connect(check_address(cluster))
    try:
        with using(cluster.executor()) as executor:
            yield executor
    finally:
        if own:
            cluster.close()


def _cluster_note(trained, executor, family: str) -> None:
    """Where the candidates ran, in the metrics; a note when the family never asked."""
    address = executor.cluster.address
    trained.metrics["cluster"] = {"address": address, "tasks": executor.submitted}
    if not executor.submitted:
        trained.notes.append(f"--cluster {address}: the {family} family trains without the "
                             "shared candidate search, so it all ran on this machine.")


def choose_family(source: DataSource, target: str | None, task: str,
                  given: dict[str, Any]) -> type[Family]:
    """The family of ``--task``, or for ``auto`` the one that recognises the data.

    An option of another family is refused (naming its tasks), unless it is that
    family's default value, which is dropped from ``given``.
    """
    family = recognise(source, target) if task == "auto" else family_for_task(task)
    if family.needs_target and target is None:
        raise UsageError(f"{family.tasks[0]} needs the column to predict.",
                         fix="name it with --target COL (target= in Python).")
    for key, value in list(given.items()):
        if key not in family.Options.model_fields:
            owners = [f for f in map(get_family, list_families()) if key in f.Options.model_fields]
            if all(f.Options.model_fields[key].default == value for f in owners):
                del given[key]  # another family's default value is no choice of the user's
                continue
            flag = "--" + key.replace("_", "-")
            kinds = " or ".join(t.replace("-", " ") for f in owners for t in f.tasks)
            raise UsageError(f"{flag} applies to {kinds}.",
                             fix=f"add --task {owners[0].tasks[0]}, or drop {flag}.")
    return family


def family_options(family: type[Family], given: dict[str, Any]) -> FamilyOptions:
    """``family.Options`` from the keywords; a value of the wrong type is a UsageError."""
    try:
        options = family.Options(**given)
    except ValidationError as exc:
        bad = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"bad option for {family.name} tasks: {bad}.",
                         fix="see `bizforge train --help` for each option's values.") from None
    options.check()
    return options


def publish(run: Run | str | Path, name: str):
    """Publish a run (or a model folder) as the next version of ``name`` in the registry.

    >>> publish(run, "churn").ref      # doctest: +SKIP
    'churn:1'
    """
    from bizforge.registry import Registry

    with Registry() as registry:
        return registry.publish(run, name)


def _check_options(given: dict[str, Any], task: str) -> None:
    """Unknown keywords, and options that cannot work together, before any reading."""
    families = [get_family(name) for name in list_families()]
    known = {k for f in families for k in f.Options.model_fields}
    unknown = sorted(set(given) - known)
    if unknown:
        raise UsageError(f"unknown option{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(repr(k) for k in unknown)} for train.",
                         fix=f"use the options of the task families: {', '.join(sorted(known))}.")
    if task != "auto":
        families = [family_for_task(task)]
    for family in families:  # every family that could take them (auto: not yet known)
        if set(given) <= set(family.Options.model_fields):
            family_options(family, given)


def _check_out(out: str | Path | None) -> None:
    """Refuse an ``out`` that is a file or a folder with files in it (never overwritten)."""
    if out is None:
        return
    out, fix = Path(out), "choose a new --out folder, or remove the old one."
    if out.exists() and not out.is_dir():
        raise UsageError(f"the output path '{out}' is a file, not a folder.", fix=fix)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"the output folder '{out}' exists and is not empty.", fix=fix)


def _save(trained, family: str, out, target: str | None) -> Path:
    """Write predictor, metrics, report and manifest to a temporary folder, then rename."""
    if out is None:
        slug = re.sub(r"[^\w]+", "-", str(target or family)).strip("-").lower() or "model"
        out = Path("models") / f"{slug}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    out = Path(out)
    _check_out(out)  # again: something may have been written there while training ran
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    predictor = trained.predictor
    try:
        predictor.save(tmp)
        (tmp / METRICS_FILE).write_text(
            json.dumps(trained.metrics, ensure_ascii=False, indent=1), encoding="utf-8")
        trained.report.save(tmp / REPORT_FILE)
        write_manifest(tmp, extra={"bizforge_version": __version__,
                                   "task": trained.metrics["task"], "family": family})
        tmp.chmod(0o755)  # mkdtemp makes it private; a model folder is shared like any other
        for f in tmp.rglob("*"):
            f.chmod(0o755 if f.is_dir() else 0o644)
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    predictor.path = out
    return out
