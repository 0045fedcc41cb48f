"""`bizforge demo`: the whole flow on built-in sample data, nothing to download."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from bizforge.cli.app import app, console, edge

__all__ = ["demo"]


@app.command()
@edge
def demo(
    out: Path = typer.Option(Path("bizforge-demo"), "--out", help="Folder for the sample data and reports."),
    rows: int = typer.Option(2000, min=50, help="Rows of sample customer data to generate."),
    lang: str = typer.Option("zh", help="Report language: zh or en."),
    seed: int = typer.Option(0, help="Random seed for the sample data."),
    time_limit: float = typer.Option(20.0, "--time-limit", help="Seconds for the model search."),
) -> None:
    """Generate a sample telecom churn table, inspect it, mask its personal data,
    train a churn model and score new customers with reasons.

    Example: bizforge demo --out /tmp/demo --lang en
    """
    from bizforge.clean import mask_frame, profile
    from bizforge.ingest import read, write_table
    from bizforge.samples import CHURN_TARGET, churn_table

    out.mkdir(parents=True, exist_ok=True)
    data_path = out / "customers.csv"
    write_table(churn_table(rows, seed=seed), data_path)
    console.print(f"[bold]1. sample data[/bold]  {rows} customers -> {data_path}")

    ds = read(data_path)
    prof = profile(ds, target=CHURN_TARGET, lang=lang)
    prof.save_html(out / "inspect.html")
    prof.save_json(out / "inspect.json")
    console.print(f"[bold]2. inspect[/bold]      {len(prof.findings)} findings -> {out / 'inspect.html'}")
    for f in prof.findings:
        console.print(f"   [{f.severity}] {f.column or '-'}: {f.kind}", markup=False)

    masked, audit = mask_frame(ds.frame, mode="mask")
    write_table(masked, out / "customers_masked.csv")
    kinds = ", ".join(f"{c['column']} ({c['count']})" for c in audit["columns"]) or "none"
    console.print(f"[bold]3. mask[/bold]         personal data masked in: {kinds}")

    from bizforge.pipeline import train

    model_dir = out / "churn-model"
    if model_dir.exists():
        shutil.rmtree(model_dir)  # the demo folder is ours; rerunning starts fresh
    console.print(f"[bold]4. train[/bold]        searching models for {time_limit:.0f} s ...")
    run = train(ds, CHURN_TARGET, time_limit=time_limit, out=model_dir, lang=lang, seed=seed,
                cost_fp=20, cost_fn=300)
    test = run.metrics["test"]
    console.print(f"                 test ROC-AUC {test['roc_auc']:.3f}, accuracy "
                  f"{test['accuracy']:.3f}; report -> {model_dir / 'report.html'}")

    new = churn_table(5, seed=seed + 1)
    scored = run.predictor.score(new.drop(columns=[CHURN_TARGET]), explain=True)
    write_table(scored, out / "scored.csv")
    console.print("[bold]5. predict[/bold]      5 new customers, with reasons:")
    for _, row in scored.iterrows():
        console.print(f"   {row['客户编号']}: {row['prediction']} ({row['probability']:.2f})  "
                      f"{row['reasons']}", markup=False)
    console.print(f"\nOpen {out / 'inspect.html'} and {model_dir / 'report.html'} in a browser.")
