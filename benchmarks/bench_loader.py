"""Loader throughput: a folder of PNGs through the ``folder`` reader, ``TrainTransform`` and the
DataLoader, in images per second for several worker counts.

Run: ``python benchmarks/bench_loader.py --n 1000 --size 256 --workers 0,1,2`` (or
``casestudies bench loader ...``). Each setting makes one warm-up pass (worker start-up,
page cache) and then times ``--passes`` full passes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from casestudies.data.loading import TrainTransform, make_loader
from casestudies.data.readers import open_dataset
from casestudies.threads import pin_worker


def write_png_folder(folder: Path, n: int, size: int, seed: int = 0) -> Path:
    """Write ``n`` photo-like ``size`` px RGB PNGs (smooth colour fields plus grain) to ``folder/images``."""
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        img = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32)
        img += rng.normal(0.0, 6.0, img.shape).astype(np.float32)
        cv2.imwrite(str(images / f"{i:06d}.png"), np.clip(img, 0, 255).astype(np.uint8))
    return folder


def time_loader(root: Path, workers: int, batch_size: int, size: int, passes: int) -> dict[str, Any]:
    """Images/s of ``passes`` timed passes after one warm-up pass."""
    dataset = open_dataset("folder", root, "all")
    loader = make_loader(dataset, batch_size, transform=TrainTransform(size), shuffle=True, num_workers=workers)
    for _ in loader:  # warm-up: worker start-up and page cache
        pass
    t0 = time.perf_counter()
    n = 0
    for _ in range(passes):
        for batch in loader:
            n += int(batch["image"].shape[0])
    dt = time.perf_counter() - t0
    return {"workers": workers, "images": n, "seconds": round(dt, 3), "images_per_s": round(n / dt, 1)}


def run_bench(n: int = 1000, size: int = 256, workers: tuple[int, ...] = (0, 1, 2), batch_size: int = 32,
              passes: int = 1, folder: Path | None = None) -> list[dict[str, Any]]:
    pin_worker()  # the main process loads too when workers == 0
    with tempfile.TemporaryDirectory(prefix="bench_loader_") as tmp:
        root = folder if folder is not None else Path(tmp)
        if not (root / "images").is_dir() or len(list((root / "images").glob("*.png"))) < n:
            write_png_folder(root, n, size)
        return [time_loader(root, w, batch_size, size, passes) for w in workers]


def main(argv: list[str] | None = None) -> int:
    """CLI entry: prints one line per worker count and optionally writes JSON. Returns 0."""
    ap = argparse.ArgumentParser(prog="bench_loader", description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="images in the folder")
    ap.add_argument("--size", type=int, default=256, help="image side in px (also the crop size)")
    ap.add_argument("--workers", default="0,1,2", help="comma-separated DataLoader worker counts")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--passes", type=int, default=1, help="timed passes after the warm-up pass")
    ap.add_argument("--folder", type=Path, default=None, help="reuse/create the PNG folder here")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    args = ap.parse_args(argv)
    workers = tuple(int(w) for w in args.workers.split(","))
    rows = run_bench(args.n, args.size, workers, args.batch_size, args.passes, args.folder)
    for r in rows:
        print(f"workers={r['workers']}: {r['images_per_s']:8.1f} images/s ({r['images']} images in {r['seconds']} s)")
    if args.json is not None:
        args.json.write_text(json.dumps({"n": args.n, "size": args.size, "batch_size": args.batch_size, "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
