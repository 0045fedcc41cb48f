"""The ``recommend`` family: personalised recommendation from interaction histories.

Training reads the interactions (see :mod:`.data`), holds out a validation
set that mirrors the test rule (:mod:`.split`); when that rule is each user's
latest interactions, it also chooses on validation whether older interactions
count less (:func:`.split.recency_weighted`). It tries the candidate
recommenders under the time budget and blends the best by validation NDCG
(:mod:`.search`), refits the blend on all training pairs and evaluates it on
the test file (``test=``) or, without one, on a per-user holdout of the data.

>>> RecommendFamily.tasks
('recommend',)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from bizforge.errors import DataError
from bizforge.families.base import DataSource, Family, Progress, Trained
from bizforge.families.catalog import register_family
from bizforge.families.recommend.data import _ITEM, _USER, Prepared, prepare
from bizforge.families.recommend.evaluation import evaluate
from bizforge.families.recommend.items import ItemAttributes
from bizforge.families.recommend.options import RecommendOptions
from bizforge.families.recommend.predictor import RecommendPredictor
from bizforge.families.recommend.report import RecommendReport
from bizforge.families.recommend.rerank import (
    candidate_features,
    category_matrix,
    features_names,
    fit_reranker,
)
from bizforge.families.recommend.scorers import make_scorer
from bizforge.families.recommend.search import Member, fit_scorer, probe, search
from bizforge.families.recommend.sequence import order_matrix
from bizforge.families.recommend.side import side_features
from bizforge.families.recommend.split import (
    Index,
    holdout,
    holdout_size,
    later_than_training,
    recency_weighted,
    relevant_sets,
)
from bizforge.plain import jsonable

__all__ = ["RecommendFamily"]

SEARCH_SHARE = 0.45  # of the time limit for the scorers; then the re-ranker and the refit
FINISH_BY = 0.8  # the re-ranker is tried only if it and the refit should end before this share
REASON_NEIGHBOURS = 100
DEFAULT_HOLDOUT = 0.2
HALF_LIVES = (10, 40)  # interactions; tried against no decay when validating by time


@register_family
class RecommendFamily(Family):
    """Users x items: popularity, item-kNN, ALS, BPR and EASE, blended by validation NDCG."""

    name = "recommend"
    tasks = ("recommend",)
    Options = RecommendOptions
    needs_target = False

    @classmethod
    def recognise(cls, source: DataSource, target: str | None) -> float:
        hints = getattr(source, "hints", {}) or {}
        if hints.get("user_column") or hints.get("item_column"):
            return 1.0  # the user named this family's own columns
        if source.is_folder:
            return 0.0
        try:
            columns = [str(c) for c in source.dataset().frame.columns]
        except Exception:  # noqa: BLE001  (unreadable: another family may know it)
            return 0.0
        has_user = any(_USER.search(c) for c in columns)
        has_item = any(_ITEM.search(c) for c in columns)
        if not (has_user and has_item):
            return 0.0
        return 0.3 if target else 0.8

    def _prepare(self, source: DataSource, options: RecommendOptions, lang: str) -> Prepared:
        path = None if source.path is None else str(source.path)
        return prepare(source.dataset().frame, options, path=path, lang=lang)

    def inspect(self, source: DataSource, *, target: str | None, options: RecommendOptions,
                lang: str = "en") -> Prepared:
        """The cleaned pairs and the findings (``.findings``) on the interactions table."""
        return self._prepare(source, options, lang)

    @staticmethod
    def _side_file(path: str | None, option: str):
        """The table of a side file (None when not given)."""
        if path is None:
            return None
        if not Path(path).exists():
            raise DataError(f"--{option} '{path}' does not exist.", path=path,
                            fix="check the path.")
        return DataSource(path).dataset().frame

    def train(self, source: DataSource, *, target: str | None, task: str,
              options: RecommendOptions, test: DataSource | None, time_limit: float,
              seed: int = 0, lang: str = "en", progress: Progress | None = None) -> Trained:
        start = time.perf_counter()
        emit = progress or (lambda event: None)
        emit({"event": "stage", "stage": "inspect"})
        data = self._prepare(source, options, lang)
        resolved = options.model_copy(update={f"{r}_column": c for r, c in data.columns.items()})
        items_frame = self._side_file(options.items_file, "items-file")
        users_frame = self._side_file(options.users_file, "users-file")
        attrs = None if items_frame is None else ItemAttributes.build(
            items_frame, data.columns["item"], options.category_column, path=options.items_file)
        notes: list[str] = []
        if test is not None:
            held_out = self._prepare(test, resolved, lang).pairs
            train_pairs = data.pairs
            by_time = later_than_training(train_pairs, held_out)
            per_user: float | int = holdout_size(held_out)
            rule = "the test file"
            test_source = str(test.path) if test.path is not None else "the test table"
        else:
            by_time = data.columns["time"] is not None
            per_user = DEFAULT_HOLDOUT
            train_pairs, held_out = holdout(data.pairs, per_user, by_time=by_time, seed=seed)
            rule = f"{DEFAULT_HOLDOUT:.0%} of each user's interactions held out"
            test_source = rule
        how = "each user's latest interactions" if by_time else "random interactions of each user"
        notes.append(f"test: {rule}; validation holds out {how} "
                     f"({per_user if isinstance(per_user, int) else f'{per_user:.0%}'} per user).")
        index = Index.of(train_pairs, extra_items=attrs.items if attrs else [])
        side = {"item": None if items_frame is None else side_features(
                    items_frame, data.columns["item"], index.items, options.items_file),
                "user": None if users_frame is None else side_features(
                    users_frame, data.columns["user"], index.users, options.users_file)}
        fit_pairs, val_pairs = holdout(train_pairs, per_user, by_time=by_time, seed=seed + 1)
        half_life = None
        if by_time:
            half_life, line = self._recency(index, fit_pairs, relevant_sets(index, val_pairs),
                                            resolved.k, seed, emit, time_limit * SEARCH_SHARE)
            notes.append(line)
            fit_pairs = recency_weighted(fit_pairs, half_life)
            train_pairs = recency_weighted(train_pairs, half_life)
        emit({"event": "stage", "stage": "search"})
        budget = max(1.0, time_limit * SEARCH_SHARE - (time.perf_counter() - start))
        found = search(index.matrix(fit_pairs), relevant_sets(index, val_pairs), k=resolved.k,
                       time_limit=budget, seed=seed, progress=emit,
                       order=order_matrix(index, fit_pairs))
        if found.skipped:
            notes.append(f"skipped for time: {', '.join(found.skipped)}.")
        reranker = None
        # the refit sees ~25% more data than the search's fits; the re-ranker's cost is a guess
        refit_guess = 1.5 * sum(r["fit_seconds"] for r in found.leaderboard if r["chosen"]) + 1.0
        rerank_guess = max(2.0, 0.2 * time_limit)  # under load it took ~0.2 of 60 s
        if (time.perf_counter() - start + refit_guess + rerank_guess) < time_limit * FINISH_BY:
            emit({"event": "candidate_start", "name": "lambdarank re-ranker"})
            reranker, line = self._reranker(found, index.matrix(fit_pairs),
                                            relevant_sets(index, val_pairs), attrs, index,
                                            resolved.k, seed, side)
            found.leaderboard.append(line)
            notes.append(f"re-ranker: validation NDCG@{resolved.k} {line['ndcg']:.4f} against "
                         f"{line['ndcg_blend']:.4f} for the blend on the same users; "
                         f"{'kept' if reranker else 'not kept'}.")
        else:
            notes.append("re-ranker: skipped for time.")
        emit({"event": "stage", "stage": "refit"})
        X = index.matrix(train_pairs)
        order = order_matrix(index, train_pairs)
        members = [Member(fit_scorer(n, p, X, order, seed), w) for n, p, w in found.chosen]
        reasons = make_scorer("itemknn", neighbours=REASON_NEIGHBOURS).fit(X)._sim()
        content = attrs.content_matrix(index.items) if attrs else None
        info = {"task": task, "family": self.name, "k": resolved.k, "half_life": half_life,
                "columns": {r: c for r, c in data.columns.items()},
                "options": resolved.model_dump(), "blend": [
                    {"scorer": n, "params": p, "weight": w} for n, p, w in found.chosen]}
        # the shortlists cost about one scoring of every user: a late run leaves them to load
        late = time.perf_counter() - start > time_limit * FINISH_BY
        if late:
            notes.append("shortlists: left to the first load (no time left in training).")
        predictor = RecommendPredictor(info=info, index=index, history=X, members=members,
                                       specs=found.chosen, reasons=reasons, attributes=attrs,
                                       content=content, reranker=reranker,
                                       item_side=side["item"][1] if side["item"] else None,
                                       user_side=side["user"][1] if side["user"] else None,
                                       shortlist=False if late else None)
        fit_seconds = time.perf_counter() - start
        emit({"event": "stage", "stage": "evaluate"})
        result = evaluate(predictor, held_out, k=resolved.k, relevant_min=resolved.relevant_min)
        metrics = jsonable({
            "task": task, "metric": f"ndcg_{resolved.k}", "k": resolved.k,
            "test": result["test"], "baseline": result["baseline"],
            "validation": {f"{key}_{resolved.k}": v for key, v in found.validation.items()
                           if key != "users"},
            "leaderboard": found.leaderboard, "fit_seconds": fit_seconds, "threshold": None,
            "rows": {"train": len(train_pairs), "test": len(held_out)},
            "test_source": test_source,
            "segments": result["segments"], "blend": info["blend"],
            "data": {"rows": data.rows_in, "pairs": len(data.pairs), "users": data.n_users,
                     "items": len(index.items), "test_pairs": len(held_out),
                     "validation_by_time": by_time},
            "findings": [f.to_dict() for f in data.findings], "notes": notes})
        report = RecommendReport(metrics=metrics, examples=result["examples"],
                                 findings=data.findings, lang=lang, name=task)
        return Trained(predictor=predictor, metrics=metrics, report=report,
                       profile=data.findings, notes=notes)

    @staticmethod
    def _recency(index, fit_pairs, relevant, k, seed, emit, budget) -> tuple[float | None, str]:
        """The half-life of interactions' weights (None: no decay) with the best validation
        NDCG of a quick candidate, and a note saying what was compared."""
        emit({"event": "candidate_start", "name": "recency weighting"})
        tried = {h: probe(index.matrix(recency_weighted(fit_pairs, h)), relevant, k=k, seed=seed,
                          time_limit=budget) for h in (None, *HALF_LIVES)}
        best = max(tried, key=lambda h: (tried[h], h is None))
        shown = ", ".join(f"{'none' if h is None else h}: {v:.4f}" for h, v in tried.items())
        what = ("no decay" if best is None else
                f"each interaction counts half for every {best} later ones of the user")
        return best, (f"recency weighting (validation NDCG@{k} by half-life, {shown}): {what}.")

    @staticmethod
    def _reranker(found, fit_matrix, relevant, attrs, index, k, seed, side):
        """A lambdarank re-ranker over the blend's candidates, kept only when it helps."""
        t0 = time.perf_counter()
        users = found.users
        total = sum(w * z for (_, _, w), z in zip(found.chosen, found.member_scores))
        cats = attrs.categories if attrs else {}
        catmat = category_matrix([cats.get(i, []) for i in index.items])
        counts = np.asarray((fit_matrix > 0).sum(axis=0), dtype=np.float32).ravel()
        item_names, item_side = side["item"] or ([], None)
        user_names, user_side = side["user"] or ([], None)
        cand, features, _ = candidate_features(
            found.member_scores, total, fit_matrix[users], counts, catmat,
            item_side=item_side, user_side=None if user_side is None else user_side[users])
        names = features_names(len(found.chosen), catmat is not None, item_names, user_names)
        model, result = fit_reranker(cand, features, [relevant[u] for u in users], k, names,
                                     seed)
        line = {"name": "lambdarank re-ranker (blend top 50)", "score": result["ndcg_reranked"],
                "ndcg": result["ndcg_reranked"], "ndcg_blend": result["ndcg_blend"],
                "recall": None, "map": None, "fit_seconds": round(time.perf_counter() - t0, 3),
                "chosen": model is not None}
        return model, line

    @classmethod
    def load(cls, folder: Path) -> RecommendPredictor:
        return RecommendPredictor.load(folder)
