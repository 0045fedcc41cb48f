"""Image serving benchmark: batch predict speed, one-image HTTP latency, artifact size.

    python bench/images_serve.py                  # 20 s of HTTP at concurrency 8
    python bench/images_serve.py --seconds 10 --threads 2
    python bench/images_serve.py --lock /work/bench.lock  # the timed part under the lock

Two models are trained on surface patches made in code (nothing to download): the
small CNN at 64 x 64 (``--image-models cnn --image-size 64``) and the frozen
EfficientNet-Lite0 (``--image-models frozen``, 224 x 224). For each, from its saved
folder as the server loads it:

- batch predict, model only: images/s of ``proba_of_images`` over 512 decoded images
  (batch 64), and end to end: ``score`` of 512 PNG files (decoding included);
- the runtime served (ONNX int8 or fp32, as training chose) and the artifact size
  (MB; ONNX + model.json, no pickle).

Then both are published in a fresh home folder and ``bizforge serve`` runs in its own
process; a minimal asyncio client (keep-alive, one connection per concurrent client)
posts one PNG per request as a multipart upload to ``/v1/models/<name>/predict`` at
concurrency 8: requests/s, p50/p99 latency and errors. The client shares the cores
with the server. Targets (issue #19): small CNN int8 >= 500 images/s at 64 x 64,
Lite0 >= 50 images/s at 224 x 224, p99 <= 100 ms with 0 errors, artifact <= 30 MB.
On the shared machine pass ``--lock /work/bench.lock``: the timed part (speed and HTTP)
then holds that lock; the training before it does not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_results
from _loadgen import drive
from serve import _free_port, _start_server, _stop_server

MODELS = {"parts": {"image_models": "cnn", "image_size": 64, "side": 64, "seconds": 60},
          # the backbone must be measured fast enough to be tried: room for a loaded machine
          "parts-lite0": {"image_models": "frozen", "side": 224, "seconds": 400}}
N_IMAGES = 512


def _images(folder: Path, side: int, n: int, seed: int) -> list[Path]:
    from bizforge.families.image.samples import CLASSES, surface_image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        paths.append(folder / f"img_{i:04d}.png")
        surface_image(CLASSES[i % 3], rng, size=side).save(paths[-1])
    return paths


def _speed(folder: Path, paths: list[Path]) -> dict:
    from PIL import Image

    from bizforge.families.image.predictor import ImagePredictor

    predictor = ImagePredictor.load(folder)
    decoded = [Image.open(p).convert("L") for p in paths]
    predictor.proba_of_images(decoded[:64])  # warm-up
    t0 = time.perf_counter()
    predictor.proba_of_images(decoded)
    model_only = len(decoded) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    predictor.score([str(p) for p in paths])
    end_to_end = len(paths) / (time.perf_counter() - t0)
    size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    return {"runtime": predictor.info["runtime"], "model_only": model_only,
            "end_to_end": end_to_end, "mb": size,
            "files": sorted(f.name for f in folder.iterdir())}


def _multipart(path: Path) -> bytes:
    return (f'--bfbench\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"'
            "\r\nContent-Type: image/png\r\n\r\n").encode() + path.read_bytes() + \
        b"\r\n--bfbench--\r\n"


def _http(port: int, name: str, paths: list[Path], key: str, concurrency: int,
          seconds: float) -> dict:
    path = f"/v1/models/{name}/predict"
    requests = [(path, "multipart/form-data; boundary=bfbench", _multipart(p))
                for p in paths[:64]]
    asyncio.run(drive(port, key, requests, concurrency, 2, expect="predictions"))  # warm-up
    result = asyncio.run(drive(port, key, requests, concurrency, seconds, expect="predictions"))
    return dict(result, load=round(os.getloadavg()[0], 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--threads", type=int, default=0, help="torch threads for training")
    ap.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    ap.add_argument("--lock", help="a file to flock for the timed part only (speed and HTTP), "
                                   "e.g. /work/bench.lock")
    args = ap.parse_args()
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    home = Path(tempfile.mkdtemp(prefix="bizforge-bench-images-serve-"))
    os.environ["BIZFORGE_HOME"] = str(home)
    from bizforge.families.image.samples import make_surface_images
    from bizforge.pipeline import train
    from bizforge.registry import Registry, create_key

    data = make_surface_images(home / "parts", per_class=30, seed=0)
    registry = Registry(home=home)
    speeds, results = {}, {}
    for name, spec in MODELS.items():
        options = {k: v for k, v in spec.items() if k not in ("side", "seconds")}
        print(f"training {name} ({options}) ...", flush=True)
        run = train(data, task="image-classification", time_limit=spec["seconds"],
                    out=home / f"model-{name}", **options)
        registry.publish(run, name)
        _images(home / f"requests-{spec['side']}", spec["side"], N_IMAGES, seed=1)
    if args.lock:  # the timed part only: training above needs no quiet machine
        import fcntl

        print(f"waiting for {args.lock} ...", flush=True)
        lock = open(args.lock, "a")  # noqa: SIM115  (held until the process ends)
        fcntl.flock(lock, fcntl.LOCK_EX)
    load_at_start = os.getloadavg()[0]
    for name, spec in MODELS.items():
        paths = sorted((home / f"requests-{spec['side']}").glob("*.png"))
        speeds[name] = _speed(home / f"model-{name}", paths)
        print(f"  {json.dumps(speeds[name])}", flush=True)
    _, key = create_key("predict", label="bench", registry=registry)
    registry.close()
    port = _free_port()
    server = _start_server(home, port, home / "server.log")
    try:
        for name, spec in MODELS.items():
            paths = sorted((home / f"requests-{spec['side']}").glob("*.png"))
            print(f"HTTP {name}: concurrency {args.concurrency}, {args.seconds:.0f} s ...",
                  flush=True)
            results[name] = _http(port, name, paths, key, args.concurrency, args.seconds)
            print(f"  {json.dumps(results[name])}", flush=True)
    finally:
        _stop_server(server)
    body = [(f"machine: 2 cores, shared (load average {load_at_start:.1f} when the timed part "
            f"started, {os.getloadavg()[0]:.1f} at the end)"), ""]
    for name, spec in MODELS.items():
        s, r = speeds[name], results[name]
        body += [f"### {name}: {spec['image_models']} at {spec['side']} x {spec['side']}", "",
                 f"- served as {s['runtime']}; artifact {s['mb']:.1f} MB ({', '.join(s['files'])})",
                 (f"- batch predict, model only ({N_IMAGES} decoded images, batch 64): "
                 f"{s['model_only']:.0f} images/s"),
                 (f"- batch predict end to end ({N_IMAGES} PNG files, decoding included): "
                 f"{s['end_to_end']:.0f} images/s"),
                 (f"- HTTP, one PNG per multipart request, concurrency {args.concurrency}, "
                 f"{args.seconds:.0f} s: {r['requests']} requests, {r['rps']:.0f}/s, p50 "
                 f"{r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms, "
                 f"errors {r['errors']} {r['error_kinds'] or ''} (load {r['load']})"),
                 ""]
    print("\n".join(body))
    if not args.no_write:
        write_results("## images: serving speed — 2026-12-07",
                      "python bench/images_serve.py " + " ".join(sys.argv[1:]), body)


if __name__ == "__main__":
    main()
