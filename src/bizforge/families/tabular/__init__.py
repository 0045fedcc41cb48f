"""The tabular family: classification and regression on a business table.

>>> from bizforge.families import family_for_task
>>> family_for_task("tabular-regression").name
'tabular'
"""

from __future__ import annotations

from pathlib import Path

from bizforge.families.base import DataSource, Family, Progress, Trained
from bizforge.families.catalog import register_family
from bizforge.families.tabular.options import TabularOptions

__all__ = ["TabularFamily", "TabularOptions"]


@register_family
class TabularFamily(Family):
    """Tables: a cleaning recipe, a time-budgeted search over model families, an ensemble.

    The hooks (``prepare``, ``resolve``, ``columns``) are where the text family, which is a
    table whose one feature is free text, differs.
    """

    name = "tabular"
    tasks = ("tabular-classification", "tabular-regression")
    Options = TabularOptions

    @classmethod
    def recognise(cls, source: DataSource, target: str | None) -> float:
        """Any table may be predicted column from column: a middling 0.5 (not a folder)."""
        return 0.0 if source.is_folder or source.is_zip else 0.5

    def inspect(self, source: DataSource, *, target, options, lang: str = "en"):
        from bizforge.clean import profile

        return profile(self.prepare(source.dataset(), options), target=target, lang=lang)

    def train(self, source: DataSource, *, target, task, options, test, time_limit,
              seed: int = 0, lang: str = "en", progress: Progress | None = None) -> Trained:
        from bizforge.families.tabular.fit import fit

        return fit(self, source, target=target, task=task, options=options, test=test,
                   time_limit=time_limit, seed=seed, lang=lang, progress=progress)

    @classmethod
    def load(cls, folder: Path):
        from bizforge.families.tabular.predictor import Predictor

        return Predictor.from_folder(Path(folder))

    # -- hooks of fit() ---------------------------------------------------------------
    def prepare(self, ds, options: TabularOptions):
        """The data as read, with ``text_column`` marked as free text when given."""
        if options.text_column is None:
            return ds
        from bizforge.families.text.parts import force_text

        return force_text(ds, options.text_column)

    def resolve(self, frame, target, task, features, texts):
        """The :class:`~bizforge.tasks.TaskSpec` to train for."""
        from bizforge.tasks import resolve_task

        return resolve_task(frame, target, task)

    def columns(self, ds, spec, features, texts, options: TabularOptions):
        """(the text column to classify or None, candidates, columns to drop with why)."""
        return None, options.candidates, options.drop
