"""`bizforge retrain NAME --data NEW.csv`: a challenger against the champion, maybe promoted.

Exit codes: 0 (published; promoted or not), 2 usage, 3 data (no target column,
too few rows), 4 unknown model.
"""

from __future__ import annotations

from pathlib import Path

import typer

from bizforge.cli.app import app, console, edge

__all__ = ["retrain_command"]


@app.command("retrain")
@edge
def retrain_command(
    name: str = typer.Argument(..., help="The model to challenge (its production version)."),
    data: Path = typer.Option(..., "--data", help="New labelled rows (CSV, Excel, Parquet, ...)."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds for the challenger's search."),
    holdout: float = typer.Option(0.2, "--holdout", help="Share of the newest rows kept to compare on."),
    promote_if_better: bool = typer.Option(False, "--promote-if-better", help="Move 'production' to the challenger when it scores better."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    """Train a challenger on new rows; compare it with the champion on the newest rows.

    The challenger is published as the next version with the comparison in its model
    card; with --promote-if-better it becomes production only when it is better.

    Example: bizforge retrain churn --data churn_2026q4.csv --promote-if-better
    """
    from bizforge.errors import UsageError
    from bizforge.retrain import retrain

    if time_limit <= 0:
        raise UsageError(f"--time-limit must be positive, got {time_limit}.",
                         fix="pass seconds, e.g. --time-limit 60.")
    with console.status("training the challenger"):
        result = retrain(name, data, time_limit=time_limit, holdout=holdout,
                         promote_if_better=promote_if_better, seed=seed)
    c = result.comparison
    console.print(f"{c['metric']} on the {c['holdout_rows']:,} newest rows: champion "
                  f"{c['champion']} {c['champion_score']:.4f}, challenger "
                  f"{name}:{result.version} {c['challenger_score']:.4f} "
                  f"({'better' if c['better'] else 'not better'}).", markup=False)
    if result.promoted:
        console.print(f"promoted {name}:{result.version} to production.", markup=False)
    elif promote_if_better:
        console.print(f"production stays on {c['champion']}.", markup=False)
    else:
        console.print(f"published {name}:{result.version}; promote it with `bizforge models "
                      f"promote {name}:{result.version}`.", markup=False)
