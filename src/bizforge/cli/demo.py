"""`bizforge demo`: the whole flow on built-in sample data, nothing to download."""

from __future__ import annotations

import json
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
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the REST server at the end."),
    port: int = typer.Option(8000, "--port", help="Port for the server."),
) -> None:
    """Generate a sample telecom churn table, inspect it, mask its personal data,
    train a churn model, score new customers with reasons, train a review-sentiment
    model on bilingual (Chinese and English) sample reviews, train an image model on
    surface patches made in code (quality inspection), publish the churn, review and image
    models, create an API key and serve them on 127.0.0.1 (--no-serve stops before the server).

    Example: bizforge demo --out /tmp/demo --lang en
    """
    from bizforge.clean import mask_frame, profile
    from bizforge.ingest import read, write_table
    from bizforge.samples import CHURN_TARGET, churn_table

    if out.exists() and not out.is_dir():
        from bizforge.errors import UsageError

        raise UsageError(f"--out {out} is a file; the demo writes a folder of files there.",
                         fix="name a folder, e.g. --out bizforge-demo.")
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
    reviews = _reviews(out, lang, seed, time_limit)
    parts = _images(out, lang, seed, time_limit)
    from bizforge.registry import Registry
    from bizforge.registry.keys import create_key

    registry = Registry()
    version = registry.publish(run, "churn")
    registry.promote("churn", version.version, alias="production")
    review_version = registry.publish(reviews, "reviews")
    parts_version = registry.publish(parts, "parts")
    _, key = create_key("predict", "demo", registry=registry)
    _, admin_key = create_key("admin", "demo-console", registry=registry)
    console.print(f"[bold]8. publish[/bold]      churn:{version.version} (alias production), "
                  f"reviews:{review_version.version}, parts:{parts_version.version} in "
                  f"{registry.home}; API key created (role predict)")
    row = {k: (v.item() if hasattr(v, "item") else v) for k, v in new.drop(
        columns=[CHURN_TARGET, "手机号"]).iloc[0].items()}
    payload = json.dumps({"rows": [row]}, ensure_ascii=False)
    curl = (f"curl -s -X POST http://127.0.0.1:{port}/v1/models/churn/predict "
            f"-H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' "
            f"-d '{payload}'")
    # the image model takes the photo itself, as a multipart upload
    upload = (f"curl -s -X POST http://127.0.0.1:{port}/v1/models/parts/predict "
              f"-H 'Authorization: Bearer {key}' "
              f"-F 'files=@{(out / 'new-parts' / 'new_scratch.png').resolve()}'")
    (out / "curl.sh").write_text(curl + "\n" + upload + "\n", encoding="utf-8")
    # The web console: sign in with the admin key (typed or pasted, never in a URL).
    console_line = (f"Web console: http://127.0.0.1:{port}/  (sign in with the admin key "
                    f"{admin_key})")
    key_file = out / "console-key.txt"
    key_file.write_text(admin_key + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    console.print(f"\nOpen {out / 'inspect.html'}, {model_dir / 'report.html'}, "
                  f"{reviews.path / 'report.html'} and {parts.path / 'report.html'} in a "
                  "browser.")
    if not serve:
        console.print(f"Serve it with `bizforge serve --port {port}`, then try {out / 'curl.sh'}.",
                      markup=False)
        print(console_line, flush=True)
        return
    from bizforge.cli.serve import app_from_env, run_server

    console.print(f"[bold]9. serve[/bold]        http://127.0.0.1:{port} (Ctrl+C stops). Try:")
    print(curl, upload, sep="\n", flush=True)
    print(console_line, flush=True)
    run_server(app_from_env(), host="127.0.0.1", port=port)


def _reviews(out: Path, lang: str, seed: int, time_limit: float):
    """Step 6: a text model on bilingual sample reviews; two new reviews with their reasons."""
    import pandas as pd

    from bizforge.ingest import write_table
    from bizforge.pipeline import train
    from bizforge.samples import REVIEW_TARGET, REVIEW_TEXT, review_table

    path = out / "reviews.csv"
    write_table(review_table(400, seed=seed), path)
    model_dir = out / "review-model"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    console.print(f"[bold]6. reviews[/bold]      400 Chinese and English reviews -> {path}; "
                  f"text classification for {time_limit:.0f} s ...")
    run = train(path, REVIEW_TARGET, text_column=REVIEW_TEXT, time_limit=time_limit,
                out=model_dir, lang=lang, seed=seed)
    test = run.metrics["test"]
    console.print(f"                 test accuracy {test['accuracy']:.3f}, macro-F1 "
                  f"{test['macro_f1']:.3f} ({run.predictor.result.dominant.name} leads); "
                  f"report -> {model_dir / 'report.html'}")
    new = pd.DataFrame({REVIEW_TEXT: ["The battery died after two days, very disappointed.",
                                      "物流很快，包装也很好，非常满意。"]})
    for text, label, reasons in zip(new[REVIEW_TEXT], run.predictor.predict(new),
                                    run.predictor.explain(new, k=3), strict=True):
        words = ", ".join(f"{r['value']} {r['contribution']:+.2f}" for r in reasons)
        console.print(f"   {label}: {text}  ({words})", markup=False)
    return run


def _images(out: Path, lang: str, seed: int, time_limit: float):
    """Step 7: an image model on surface patches made in code (ok / scratch / spot, as a
    camera over a production line sees them); two new patches classified."""
    import numpy as np

    from bizforge.families.image.samples import make_surface_images, surface_image
    from bizforge.pipeline import train

    folder, model_dir, new = out / "parts", out / "parts-model", out / "new-parts"
    for old in (folder, model_dir, new):
        if old.exists():
            shutil.rmtree(old)
    make_surface_images(folder, per_class=30, seed=seed)
    limit = min(time_limit, 20.0)  # the small CNN learns these in seconds
    console.print(f"[bold]7. images[/bold]       90 surface patches (ok, scratch, spot) -> "
                  f"{folder}; image classification for {limit:.0f} s ...")
    run = train(folder, task="image-classification", time_limit=limit, out=model_dir,
                lang=lang, seed=seed, image_models="cnn")
    test = run.metrics["test"]
    console.print(f"                 test accuracy {test['accuracy']:.3f}, macro-F1 "
                  f"{test['macro_f1']:.3f}; report (worst mistakes, Grad-CAM) -> "
                  f"{model_dir / 'report.html'}")
    new.mkdir(parents=True)
    rng = np.random.default_rng(seed + 1)
    paths = []
    for kind in ("scratch", "spot"):
        paths.append(new / f"new_{kind}.png")
        surface_image(kind, rng).save(paths[-1])
    for path, label in zip(paths, run.predictor.predict(paths), strict=True):
        console.print(f"   {path.name}: {label}", markup=False)
    return run
