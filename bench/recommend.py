"""Recommendation on MovieLens-100k: bizforge against popularity, item-kNN and ALS anchors.

Sets (``--split``): the official ``ua`` and ``ub`` splits (``*.base`` to train,
``*.test``: 10 ratings per user held out); ``time``: all ratings, each user's latest
20% held out (leave-last-out by time, so validation and recency weighting follow
time); ``implicit``: ratings >= 4 as bare user-item clicks (no strength, no time),
20% of each user's held out at random; ``sparse``: half the users and a quarter of
their ratings as purchase quantities 1-3 (no time), 20% held out at random;
``lastfm``: the HetRec 2011 Last.fm user-artist play counts (1,892 users, 17,632
artists, no time; ``--lastfm PATH`` or ``hetrec2011_lastfm/user_artists.dat`` under the
datasets folder), 20% of each user's artists held out at random; ``mlsmall``: GroupLens
ml-latest-small (2016: 671 users, 9,066 movies, half-star ratings, times), each user's
latest 20% held out; ``steam``: the play rows of Steam-200k (9,418 users, 3,600 games,
hours played as strength, no time), 20% of each user's games held out at random;
``groceries``: a grocery store's purchase log (Kaggle "groceries dataset": 38,765 rows,
3,898 members, 167 product types, purchase dates 2014-2015), each member's distinct products
by first purchase date, the latest 20% held out (what new product comes next). The
held-out sets are read from ``--data PATH`` or under $BIZFORGE_HELDOUT, else the
datasets folder (``hetrec2011_lastfm/user_artists.dat``, ``ml_latest_small/ratings.csv``,
``steam/steam.csv``, ``groceries/Groceries_dataset.csv``); they are never committed. Metrics
at 10, counting every test interaction as relevant (and, with ratings, again counting
only ratings >= 4). The anchors are tuned the way bizforge tunes itself: on a holdout
of the training pairs that mirrors the test rule, best validation NDCG@10, refitted on
all training pairs. Fit seconds are for that final refit (bizforge: its whole ``train``
including the search). Latency is one ``recommend`` call in process (HTTP at
concurrency 16: bench/serve_recommend.py).

    python bench/recommend.py [--split ua|ub|time|implicit|sparse|lastfm|mlsmall|steam|groceries]
                              [--time-limit 60] [--data PATH] [--tag ' (evening)']

The datasets come from $BIZFORGE_DATASETS or ../shared/datasets; absent, it says so
and stops.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import datasets_root, write_results  # this folder is on sys.path

from bizforge.families import DataSource
from bizforge.families.recommend import RecommendFamily, RecommendOptions
from bizforge.families.recommend.data import prepare
from bizforge.families.recommend.metrics import ranking_metrics, top_k
from bizforge.families.recommend.scorers import make_scorer
from bizforge.families.recommend.split import (
    Index,
    holdout,
    holdout_size,
    later_than_training,
    relevant_sets,
)

NAMES = ["user", "item", "rating", "ts"]
GENRES = ["unknown", "Action", "Adventure", "Animation", "Children", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western"]
ANCHORS = {
    "popularity": [{}],
    "itemknn": [{"neighbours": k} for k in (20, 50, 100, 200)],
    "als": [{"factors": f, "regularization": r, "alpha": a, "iterations": 15}
            for f in (32, 64, 128) for r in (0.01, 0.1) for a in (1.0, 5.0, 20.0)],
}


SETS = ("ua", "ub", "time", "implicit", "sparse", "lastfm", "mlsmall", "steam", "groceries")
# Held-out sets (never committed): under $BIZFORGE_HELDOUT or the datasets folder, or --data.
HELDOUT = {"lastfm": Path("hetrec2011_lastfm") / "user_artists.dat",
           "mlsmall": Path("ml_latest_small") / "ratings.csv",
           "steam": Path("steam") / "steam.csv",
           "groceries": Path("groceries") / "Groceries_dataset.csv"}
TITLES = {"ua": "MovieLens-100k ua split", "ub": "MovieLens-100k ub split",
          "lastfm": "HetRec 2011 Last.fm plays", "mlsmall": "MovieLens latest-small (2016)",
          "steam": "Steam-200k hours played", "groceries": "Groceries purchase log"}


def _held_out_at_random(rows: pd.DataFrame, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """20% of each user's rows (rounded) held out at random."""
    rows = rows.iloc[rng.permutation(len(rows))]
    held = rows.groupby("user").cumcount() < np.round(
        0.2 * rows.groupby("user")["item"].transform("size"))
    return rows[~held], rows[held]


def _latest_held_out(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's latest 20% of rows (rounded) held out."""
    order = rows.sort_values("ts", kind="stable")
    later = order.groupby("user").cumcount(ascending=False)
    held = later < np.round(0.2 * order.groupby("user")["item"].transform("size"))
    return order[~held], order[held]


def _set(folder: Path, name: str):
    """(training rows, test rows, options, description) of one set."""
    if name in ("ua", "ub"):
        base = pd.read_csv(folder / f"{name}.base", sep="\t", names=NAMES)
        test = pd.read_csv(folder / f"{name}.test", sep="\t", names=NAMES)
        return base, test, RecommendOptions(user_column="user", item_column="item",
                                            rating_column="rating", time_column="ts",
                                            relevant_min=4), f"{name}.base / {name}.test"
    rng = np.random.default_rng(0)
    if name == "lastfm":
        rows = pd.read_csv(folder, sep="\t").rename(columns={"userID": "user", "artistID": "item",
                                                             "weight": "plays"})
        base, test = _held_out_at_random(rows, rng)
        return (base, test, RecommendOptions(user_column="user", item_column="item",
                                             rating_column="plays"),
                ("HetRec 2011 Last.fm user-artist play counts (no time), 20% of each user's "
                 "artists held out at random"))
    if name == "mlsmall":
        rows = pd.read_csv(folder).rename(columns={"userId": "user", "movieId": "item",
                                                   "timestamp": "ts"})
        base, test = _latest_held_out(rows)
        return (base, test, RecommendOptions(user_column="user", item_column="item",
                                             rating_column="rating", time_column="ts",
                                             relevant_min=4),
                "ml-latest-small ratings, each user's latest 20% held out")
    if name == "steam":
        rows = pd.read_csv(folder).iloc[:, :3]
        rows.columns = ["user", "item", "hours"]
        base, test = _held_out_at_random(rows, rng)
        return (base, test, RecommendOptions(user_column="user", item_column="item",
                                             rating_column="hours"),
                ("Steam-200k play rows, hours played as strength (no time), 20% of each "
                 "user's games held out at random"))
    if name == "groceries":
        # member, purchase date (DD-MM-YYYY), product: read by position (copies differ in headers)
        rows = pd.read_csv(folder).iloc[:, :3]
        rows.columns = ["user", "date", "item"]
        day = pd.to_datetime(rows["date"], format="%d-%m-%Y")
        rows["ts"] = (day - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
        # each member's distinct products at their first purchase; the latest 20% held out
        rows = rows.sort_values("ts", kind="stable").drop_duplicates(["user", "item"])
        base, test = _latest_held_out(rows[["user", "item", "ts"]])
        return (base, test, RecommendOptions(user_column="user", item_column="item",
                                             time_column="ts"),
                ("Groceries purchase log, each member's distinct products at their first "
                 "purchase date, the latest 20% held out"))
    ratings = pd.read_csv(folder / "u.data", sep="\t", names=NAMES)
    if name == "time":
        rows, options = ratings, RecommendOptions(user_column="user", item_column="item",
                                                  rating_column="rating", time_column="ts",
                                                  relevant_min=4)
        base, test = _latest_held_out(rows)
        return base, test, options, "u.data, each user's latest 20% of ratings held out"
    if name == "implicit":
        rows = ratings[ratings["rating"] >= 4][["user", "item"]]
        described = "u.data ratings >= 4 as clicks (no strength, no time), 20% held out at random"
        options = RecommendOptions(user_column="user", item_column="item")
    else:
        users = rng.choice(ratings["user"].unique(), ratings["user"].nunique() // 2,
                           replace=False)
        rows = ratings[ratings["user"].isin(users)].sample(frac=0.25, random_state=1)
        rows = rows.assign(quantity=rng.integers(1, 4, len(rows)))[["user", "item", "quantity"]]
        described = ("half the users, a quarter of their ratings, as quantities 1-3 (no time), "
                     "20% held out at random")
        options = RecommendOptions(user_column="user", item_column="item",
                                   rating_column="quantity")
    base, test = _held_out_at_random(rows, rng)
    return base, test, options, described


def _held_out_file(name: str, root: Path | None) -> Path | None:
    for base in (os.environ.get("BIZFORGE_HELDOUT"), root):
        if base and (Path(base) / HELDOUT[name]).exists():
            return Path(base) / HELDOUT[name]
    return None


def _items(folder: Path) -> pd.DataFrame:
    raw = pd.read_csv(folder / "u.item", sep="|", encoding="latin-1", header=None)
    flags = raw.iloc[:, 5:24].to_numpy()
    return pd.DataFrame({"item": raw[0], "title": raw[1],
                         "genre": ["|".join(g for g, f in zip(GENRES, row) if f) for row in flags]})


def _metrics(scorer, index, X, rel, users) -> dict[str, float]:
    top = top_k(scorer.score(users, X[users]), X[users], 10)
    return ranking_metrics(top, [rel[u] for u in users], 10)


def _relevant(index, test_pairs, min_strength=None):
    """Held-out items per user; items never seen in training count as misses, as bizforge's
    own evaluation counts them (a model cannot recommend what it does not know)."""
    rel = relevant_sets(index, test_pairs, min_strength)
    sub = test_pairs if min_strength is None else test_pairs[test_pairs["strength"] >= min_strength]
    for user, item in zip(sub["user"], sub["item"]):
        if item not in index.item_pos and user in index.user_pos:
            rel[index.user_pos[user]].add(f"unknown:{item}")
    return rel


def _anchor(name, train_pairs, test_pairs, liked, seed=0):
    """Tune on the validation holdout (the family's rule), refit on all training pairs, test."""
    index = Index.of(train_pairs)
    fit, val = holdout(train_pairs, holdout_size(test_pairs),
                       by_time=later_than_training(train_pairs, test_pairs), seed=seed + 1)
    Xf, rel_v = index.matrix(fit), relevant_sets(index, val)
    users_v = np.flatnonzero([bool(r) for r in rel_v])
    tried = []
    for params in ANCHORS[name]:
        m = _metrics(make_scorer(name, **params).fit(Xf, seed), index, Xf, rel_v, users_v)
        tried.append((m["ndcg"], params))
    best = max(tried, key=lambda x: x[0])[1]
    X = index.matrix(train_pairs)
    t0 = time.perf_counter()
    scorer = make_scorer(name, **best).fit(X, seed)
    fit_s = time.perf_counter() - t0
    users = np.arange(len(index.users))
    out = {"params": best, "fit_seconds": fit_s}
    out["all"] = _metrics(scorer, index, X, _relevant(index, test_pairs), users)
    out["ge4"] = (_metrics(scorer, index, X, _relevant(index, test_pairs, 4.0), users)
                  if liked else {"ndcg": float("nan"), "recall": float("nan")})
    return out


def _latency(predictor, n=300, seed=0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    users = rng.choice(predictor.index.users, n)
    predictor.recommend(users[0])  # warm-up
    times = []
    for u in users:
        t0 = time.perf_counter()
        predictor.recommend(u, k=10)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50_ms": statistics.median(times), "p99_ms": times[int(0.99 * (n - 1))]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--split", choices=SETS, default="ua",
                        help="which set (see the module docstring)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--tag", default="",
                        help="added to the RESULTS heading (a later session's own section, "
                             "so that earlier sections stay)")
    parser.add_argument("--date", default="2026-12-08",
                        help="the date in the RESULTS heading")
    parser.add_argument("--data", "--lastfm", dest="data",
                        help="the held-out set's file (lastfm, mlsmall, steam, groceries)")
    args = parser.parse_args(argv)
    root = datasets_root()
    folder = root / "movielens_100k" if root else None
    if args.split in HELDOUT:
        folder = Path(args.data) if args.data else _held_out_file(args.split, root)
        found = folder is not None and folder.exists()
    else:
        found = folder is not None and (folder / "ua.base").exists()
    if not found:
        print(f"the {args.split} data was not found (set BIZFORGE_DATASETS); nothing to do.")
        return 0
    base, test, options, described = _set(folder, args.split)
    train_pairs = prepare(base, options).pairs
    test_pairs = prepare(test, options).pairs
    results = {}
    for name in ANCHORS:
        results[name] = _anchor(name, train_pairs, test_pairs, options.relevant_min)
        print(name, results[name])
    with tempfile.TemporaryDirectory() as tmp:
        opts = options
        if args.split not in HELDOUT:
            _items(folder).to_csv(Path(tmp) / "items.csv", index=False)
            opts = options.model_copy(update={"items_file": str(Path(tmp) / "items.csv")})
        t0 = time.perf_counter()
        trained = RecommendFamily().train(DataSource(base), target=None, task="recommend",
                                          options=opts, test=DataSource(test),
                                          time_limit=args.time_limit, seed=0)
        wall = time.perf_counter() - t0
    m = trained.metrics
    lat = _latency(trained.predictor)
    t = m["test"]
    results["bizforge"] = {"blend": m["blend"], "fit_seconds": m["fit_seconds"], "wall": wall,
                           "all": {"recall": t["recall_10"], "ndcg": t["ndcg_10"],
                                   "map": t["map_10"]},
                           "ge4": {"recall": t.get("recall_10_ge4", float("nan")),
                                   "ndcg": t.get("ndcg_10_ge4", float("nan"))},
                           "latency": lat}
    print("bizforge", results["bizforge"])
    als_fit = results["als"]["fit_seconds"]
    rule = ("each user's latest" if m["data"]["validation_by_time"] else "random")
    data = (f"- data: {described}: {len(base):,} training rows / {len(test):,} test rows; "
            f"anchors tuned on the {rule} {m['notes'][0].split('(')[-1].rstrip(').')} held "
            f"out of the training rows (as bizforge validates), refitted on all of them")
    header = ("| model | NDCG@10 | recall@10 | MAP@10 | NDCG@10 (>=4) | recall@10 (>=4) "
              "| fit s | fit vs ALS |")
    body = ["- machine: 2 cores, shared with parallel work (timings under load)", data, "",
            header, "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        label = name if name != "bizforge" else f"bizforge (--time-limit {args.time_limit:g})"
        body.append(f"| {label} | {r['all']['ndcg']:.4f} | {r['all']['recall']:.4f} | "
                    f"{r['all']['map']:.4f} | {r['ge4']['ndcg']:.4f} | {r['ge4']['recall']:.4f} "
                    f"| {r['fit_seconds']:.2f} | {r['fit_seconds'] / als_fit:.1f}x |")
    chosen = (f"- anchors' chosen settings: itemknn {results['itemknn']['params']}, "
              f"als {results['als']['params']}")
    blend = "- bizforge blend: " + ", ".join(f"{b['scorer']} {b['params']} x{b['weight']}"
                                             for b in m["blend"])
    latency = (f"- bizforge recommend() in process, 300 known users, k=10: p50 "
               f"{lat['p50_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms")
    best = max(("popularity", "itemknn", "als"), key=lambda a: results[a]["all"]["ndcg"])
    gain = results["bizforge"]["all"]["ndcg"] / results[best]["all"]["ndcg"] - 1
    verdict = (f"- bizforge NDCG@10 vs the best anchor ({best} "
               f"{results[best]['all']['ndcg']:.4f}): {gain:+.1%} (target +10%)")
    notes = [f"- bizforge notes: {n}" for n in m["notes"][1:]]
    load = f"- load average after the run: {os.getloadavg()[0]:.1f}"
    body += ["", verdict, chosen, blend, *notes, latency, load]
    print("\n".join(body))
    if not args.no_write:
        title = TITLES.get(args.split, f"MovieLens-100k {args.split}")
        tag = f" --tag '{args.tag}'" if args.tag else ""
        write_results(f"## recommend: {title} — {args.date}{args.tag}",
                      f"python bench/recommend.py --split {args.split} --time-limit "
                      f"{args.time_limit:g}{tag}", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
