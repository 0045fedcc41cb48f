"""The task-family contract: what every family of business task implements.

A *family* is one kind of business task — tabular prediction, text
classification, image classification, forecasting, recommendation,
knowledge-base answering. Families differ in the data they take, how they
validate (random, grouped, rolling-origin, per-user holdout), what a request
looks like and what the report shows. Everything else is shared and never
names a family: reading, budgets, the manifest, the registry, the report
shell, the CLI ``train``/``predict`` verbs and the server routes.

A family implements (see :class:`Family`):

- ``name`` and ``tasks``: the ``--task`` values it answers
  (``"image-classification"``, ...);
- ``Options``: a pydantic model of its typed options. Each field becomes a
  keyword of ``bizforge.train(...)`` and a ``train`` CLI option (``--text-column``
  for ``text_column``; ``json_schema_extra={"cli": ...}`` renames it;
  ``{"file": True}`` marks a second input file, which the web console offers
  as a choice of uploaded files);
- ``recognise(source, target)``: how sure it is that ``source`` is its data
  (0 = not mine, 1 = certainly), for ``--task auto``;
- ``inspect(...)``: its findings on the data (``bizforge inspect``);
- ``train(...)``: fit under ``budget`` and evaluate on held-out data,
  returning a :class:`Trained` (predictor, metrics, report);
- ``load(folder)``: its :class:`FamilyPredictor` from a saved folder.

A predictor (see :class:`FamilyPredictor`) saves itself, predicts, scores a
batch file and lists its REST :class:`Action` s (request and response models
for OpenAPI, and the handler). The shared code writes the manifest (sha256
of every file, with ``family`` recorded in it) and verifies it before
``load`` is called (``bizforge.families.load_model`` / ``load_folder``).

How the shared code uses a family (``bizforge.pipeline.train``):

1. every keyword is checked against the families' ``Options``; before any data
   is read, ``Options(**keywords).check()`` refuses combinations that cannot
   work (override :meth:`FamilyOptions.check`);
2. ``--task`` names the family, or ``recognise`` picks it (the keywords are in
   ``source.hints``); a keyword of another family is refused, naming its tasks;
   ``needs_target`` families without a target are refused;
3. ``train`` returns :class:`Trained`; its ``metrics`` must hold ``task``,
   ``metric``, ``test`` and ``leaderboard`` (rows with ``name``, ``score``,
   ``fit_seconds``); ``target``, ``rows``/``test_source`` and ``threshold`` are
   shown by ``bizforge train`` when present;
4. the folder is saved (predictor, ``metrics.json``, ``report.html``, manifest)
   under a temporary name and renamed into place.

Adding a family = one folder under ``bizforge/families/`` + one line in
``bizforge/families/catalog.py``'s ``FAMILIES``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

__all__ = [
    "Action",
    "DataSource",
    "Family",
    "FamilyOptions",
    "FamilyPredictor",
    "Progress",
    "Trained",
]

Progress = Callable[[dict[str, Any]], None]
"""Receives events such as ``{"event": "stage", "stage": "inspect"}``, ``candidate_start``,
``candidate_end`` (with ``elapsed``), ``saved``; the CLI draws them as a progress bar."""


class FamilyOptions(BaseModel):
    """Base of every family's typed options: unknown keywords are refused (naming them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def check(self) -> None:
        """Raise :class:`~bizforge.errors.UsageError` for options that cannot work together.

        Called before any data is read (a mistake costs no minutes of training);
        the default accepts everything the field types accept.
        """


class DataSource:
    """What the user passed to ``train``/``inspect``/``predict``, read at most once.

    ``value`` is a path (file, folder, ``.zip``, database URL), a DataFrame or a
    :class:`bizforge.frame.Dataset`. ``dataset()`` reads a table with the shared
    reader and caches it; families whose data is not one table (a folder of
    images) look at ``path`` instead. ``hints`` are the options the user gave
    (``bizforge.train`` keywords), for a ``recognise`` that depends on one — the
    text family's ``text_column`` makes a table text-only.
    """

    def __init__(self, value: Any, hints: dict[str, Any] | None = None, **read_options: Any):
        self.value = value
        self.hints = dict(hints or {})
        self.read_options = read_options
        self._dataset = None

    @property
    def path(self) -> Path | None:
        if isinstance(self.value, (str, Path)) and "://" not in str(self.value):
            return Path(self.value)
        return None

    @property
    def is_folder(self) -> bool:
        return self.path is not None and self.path.is_dir()

    @property
    def is_zip(self) -> bool:
        return self.path is not None and self.path.suffix.lower() == ".zip"

    def dataset(self):
        """The table (a :class:`~bizforge.frame.Dataset`), read once with ``bizforge.read``."""
        if self._dataset is None:
            from bizforge.frame import Dataset
            from bizforge.ingest import read

            self._dataset = self.value if isinstance(self.value, Dataset) else read(
                self.value, **self.read_options)
        return self._dataset

    def notes(self) -> list[dict[str, Any]]:
        """What reading the table noticed (encoding, header, ...); [] if it was never read."""
        return [] if self._dataset is None else list(self._dataset.meta.get("warnings") or [])

    def __repr__(self) -> str:
        return f"DataSource({self.value if self.path is None else self.path})"


@dataclass
class Action:
    """One REST verb of a served model: ``POST /v1/models/{name}/{name_of_action}``.

    ``request``/``response`` are pydantic models (they go into OpenAPI);
    ``handle(request_object) -> dict`` runs in the model's own thread. ``upload``:
    the action also takes a multipart file upload (images), read into
    ``request`` by the family's ``from_upload`` (``[(filename, bytes), ...]``).

    ``table_rows``: the action is a row-table predictor's ``predict`` and the server
    may answer it on its fast path (a typed row model per input column, requests
    coalesced into one model call). A predictor that sets it also offers what that
    path reads: ``recipe`` (input columns), ``spec``, ``threshold``, ``features``,
    ``value_and_labels`` and ``explain``. Every other action goes through
    ``request``/``handle``/``response``.

    ``finish(request_object, answer) -> answer``: a second step that waits on I/O
    rather than the model (asking a text generator the company runs): the server
    runs it outside the model's own thread, so a slow call does not hold up the
    model's other requests, and checks its answer against ``response`` again.

    ``remember(request_object, answer) -> dict | None``: after answering, what the
    model wants kept in the registry's feedback table, e.g. ``{"kind": "handover",
    "question": ...}`` for a question handed over to a person (None: nothing). The
    server stores it after the response is sent, with personal data masked; a
    failure to store is logged and never fails the request.

    ``handle_many(request_objects) -> [answer, ...]``: the same as ``handle`` for
    several requests in one call (one answer each, in order). When it is given, the
    server coalesces requests that arrive together into one call, as it does for
    table rows (a batch that raises is re-run request by request).

    ``quick(request_object) -> answer | None``: the answer when it is already in
    memory (a lookup of microseconds, e.g. a known user's kept top items), else None
    and ``handle`` answers. The server calls it on its event loop, saving the hop
    into the model's thread, so it must only read the predictor and never block.

    >>> Action("similar", SimilarRequest, SimilarResponse, predictor.similar)  # doctest: +SKIP
    """

    name: str
    request: type[BaseModel]
    response: type[BaseModel]
    handle: Callable[[BaseModel], dict[str, Any]]
    summary: str = ""
    upload: bool = False
    from_upload: Callable[[list[tuple[str, bytes]]], BaseModel] | None = None
    table_rows: bool = False
    finish: Callable[[BaseModel, dict[str, Any]], dict[str, Any]] | None = None
    remember: Callable[[BaseModel, dict[str, Any]], dict[str, Any] | None] | None = None
    handle_many: Callable[[list[BaseModel]], list[dict[str, Any]]] | None = None
    quick: Callable[[BaseModel], dict[str, Any] | None] | None = None


@dataclass
class Trained:
    """What a family's ``train`` returns; the shared code saves and publishes it.

    ``metrics`` is the ``metrics.json`` document: it holds at least ``task``,
    ``metric``, ``test`` (held-out figures), ``leaderboard`` and ``fit_seconds``.
    ``report`` has ``save(path)`` (the HTML report). ``notes`` are printed by the CLI
    and shown in the report.
    """

    predictor: FamilyPredictor
    metrics: dict[str, Any]
    report: Any
    profile: Any = None
    notes: list[str] = field(default_factory=list)


class FamilyPredictor(ABC):
    """A trained model of one family as loaded for prediction (batch, Python, REST)."""

    family: ClassVar[str]
    # False when rows belong together (a series' history, a unit's cycles): a batch input
    # is then read whole, never scored chunk by chunk (a group cut by a chunk's edge would
    # be answered twice, each time from part of its rows).
    streams: ClassVar[bool] = True
    info: dict[str, Any]  # model.json: task, input schema, library versions, ...
    path: Path | None = None

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Write every file the predictor needs into ``folder`` (no pickle)."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path) -> FamilyPredictor:
        """Read a saved folder (its manifest was already verified)."""

    @abstractmethod
    def predict(self, data: Any) -> Any:
        """Predictions for ``data`` (rows, images, series, users, questions)."""

    def predict_proba(self, data: Any) -> pd.DataFrame:
        from bizforge.errors import ModelError

        raise ModelError(f"predict_proba does not apply to {self.family} models.",
                         fix="use predict.")

    @abstractmethod
    def score(self, data: Any, *, explain: bool = False,
              progress: Callable[[int], None] | None = None) -> pd.DataFrame:
        """Batch scoring: the input rows (or ids) with the prediction columns added."""

    def batches(self, source: DataSource, chunk_rows: int) -> Iterator[Any]:
        """The chunks of a batch input (``bizforge predict MODEL INPUT``), default: the table."""
        yield source.dataset().frame

    @abstractmethod
    def actions(self) -> list[Action]:
        """The REST verbs of this model (``predict``, ``forecast``, ``recommend``, ...)."""

    def example(self, action: str) -> dict[str, Any] | None:
        """A request that ``action`` answers, from what the model knows (one of its series,
        a known user, a question of its knowledge base): the web console's Try-it form
        starts from it, so a person need not guess an id. None (the default): the form
        starts empty.

        >>> predictor.example("recommend")        # doctest: +SKIP
        {'user': 'u0'}
        """
        return None


class Family(ABC):
    """One family of business task (see the module docstring)."""

    name: ClassVar[str]
    tasks: ClassVar[tuple[str, ...]]
    Options: ClassVar[type[FamilyOptions]] = FamilyOptions
    needs_target: ClassVar[bool] = True

    @classmethod
    @abstractmethod
    def recognise(cls, source: DataSource, target: str | None) -> float:
        """0 (not this family's data) to 1 (certainly), for ``--task auto``; cheap."""

    @abstractmethod
    def inspect(self, source: DataSource, *, target: str | None, options: FamilyOptions,
                lang: str = "en") -> Any:
        """Findings on the data (a :class:`bizforge.clean.Profile` or the family's own)."""

    @abstractmethod
    def train(self, source: DataSource, *, target: str | None, task: str,
              options: FamilyOptions, test: DataSource | None, time_limit: float,
              seed: int = 0, lang: str = "en",
              progress: Progress | None = None) -> Trained:
        """Fit under ``time_limit`` seconds and evaluate on held-out data."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path) -> FamilyPredictor:
        """The predictor saved in ``folder`` (manifest already verified)."""
