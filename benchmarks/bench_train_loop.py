"""Training-loop throughput: the engine's ``fit`` against a bare PyTorch loop on the same model and data.

    python benchmarks/bench_train_loop.py --models tiny_segnet,deeplabv3plus --data toy,toy-cached

The bare loop is ``for batch in loader: loss = ce(model(x), y); loss.backward(); opt.step()`` with
a shuffling, ``drop_last`` DataLoader, AdamW and the same batch size, learning rate, workers and
device. Both timings include building the loader (and starting its workers); each repeat builds a
fresh model from the same seed and runs the two loops back to back, in alternating order; the
figure is the median over repeats of the per-repeat ratio engine / bare images/s (target >= 0.95).
With ``--workers 0`` the same ratio is also given per CPU-second of the process (``cpu_ratio``),
which other processes' load on a shared machine hardly disturbs.

Data sources: ``toy`` renders :class:`ToySegmentation` items on the fly (cheap numpy drawing);
``synth`` renders faces with the project's generator on the fly (when ``casestudies.data.synth``
provides ``render_sample``); ``-cached`` renders every item once into memory first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from casestudies.data.loading import make_loader
from casestudies.data.mixing import mix
from casestudies.models import create_model
from casestudies.training.engine import TrainConfig, fit, resolve_device
from casestudies.training.tasks import SegmentationTask
from casestudies.training.toy import InMemoryDataset, ToySegmentation


class SynthFaces(Dataset):
    """Generator faces rendered on the fly: ``image`` float 3xHxW in [0, 1], ``seg`` int64 (19 classes)."""

    classes = 19

    def __init__(self, n: int, size: int, preset: str = "synthetic", seed: int = 0) -> None:
        from casestudies.data.synth import render_sample, sample_params  # benchmark-only dependency

        self.n, self.size, self.preset, self.seed = n, size, preset, seed
        self._render, self._params = render_sample, sample_params

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, i])
        s = self._render(self._params(self.preset, rng), size=self.size, seed=int(rng.integers(2**31)))
        image = torch.from_numpy(np.ascontiguousarray(s["image"].transpose(2, 0, 1))).float().div_(255.0)
        return {"image": image, "seg": torch.from_numpy(s["seg"].astype(np.int64))}


def make_data(kind: str, n: int, size: int) -> tuple[Dataset, int]:
    """(dataset, number of classes) for a data source name."""
    base, _, cached = kind.partition("-")
    if base == "toy":
        ds: Dataset = ToySegmentation(n, size=size, classes=9, discs=6)
        classes = 9
    elif base == "synth":
        ds, classes = SynthFaces(n, size), SynthFaces.classes
    else:
        raise ValueError(f"unknown data {kind!r}; valid: toy, toy-cached, synth, synth-cached")
    if cached:
        ds = InMemoryDataset(ds)
    return ds, classes


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare_loop(
    model: torch.nn.Module, data: Dataset, *, batch_size: int, epochs: int, lr: float, workers: int,
    device: torch.device, seed: int,
) -> tuple[int, float, float]:
    """(images, wall seconds, CPU seconds of this process) of the reference loop."""
    t0, c0 = time.perf_counter(), time.process_time()
    loader = make_loader(  # the same loader factory (workers, seeding) as the engine's
        data, batch_size, shuffle=True, drop_last=True, num_workers=workers, seed=seed,
        pin_memory=device.type == "cuda",
    )
    model.to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    n = 0
    for _ in range(epochs):
        for batch in loader:
            x = batch["image"].to(device, non_blocking=True)
            y = batch["seg"].to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y, ignore_index=255)
            loss.backward()
            opt.step()
            n += len(x)
    _sync(device)
    return n, time.perf_counter() - t0, time.process_time() - c0


def engine_loop(
    model: torch.nn.Module, data: Dataset, classes: int, *, batch_size: int, epochs: int, lr: float,
    workers: int, device: torch.device, seed: int, progress: bool,
) -> tuple[int, float, float]:
    """(images, wall s, CPU s) of ``fit`` (defaults otherwise: cosine schedule, AMP and channels-last on CUDA)."""
    cfg = TrainConfig(
        epochs=epochs, batch_size=batch_size, lr=lr, num_workers=workers, device=device.type, progress=progress
    )
    t0, c0 = time.perf_counter(), time.process_time()
    history = fit(model, SegmentationTask(classes), mix(data), cfg, seed=seed)
    _sync(device)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return sum(r["n_train"] for r in history), seconds, cpu  # n is a multiple of the batch size: no drop


def measure(
    model_name: str, data_kind: str, *, n: int, size: int, batch_size: int, epochs: int, repeats: int,
    workers: int, lr: float = 1e-3, progress: bool = True,
) -> dict[str, Any]:
    """One row: median images/s of both loops over ``repeats`` and their ratio."""
    device = resolve_device("auto")
    data, classes = make_data(data_kind, n, size)

    def model() -> torch.nn.Module:
        torch.manual_seed(0)
        return create_model("face_segmentation", model_name, classes=classes)

    kw = dict(batch_size=batch_size, lr=lr, workers=workers, device=device, seed=0)
    # warm-up: allocator, kernels, lazily built generator assets
    bare_loop(model(), data, epochs=1, **kw)
    engine_loop(model(), data, classes, epochs=1, progress=False, **kw)
    engine, bare, engine_cpu, bare_cpu = [], [], [], []
    for r in range(repeats):
        order = ("engine", "bare") if r % 2 == 0 else ("bare", "engine")
        for which in order:
            if which == "engine":
                images, s, cpu = engine_loop(model(), data, classes, epochs=epochs, progress=progress, **kw)
                engine.append(images / s)
                engine_cpu.append(images / cpu)
            else:
                images, s, cpu = bare_loop(model(), data, epochs=epochs, **kw)
                bare.append(images / s)
                bare_cpu.append(images / cpu)
    ratios = [x / y for x, y in zip(engine, bare)]  # each pair ran back to back: slow load drifts cancel
    cpu_ratios = [x / y for x, y in zip(engine_cpu, bare_cpu)]
    return {
        "model": model_name, "data": data_kind, "workers": workers, "device": device.type,
        "engine_images_per_s": round(statistics.median(engine), 2),
        "bare_images_per_s": round(statistics.median(bare), 2),
        "ratio": round(statistics.median(ratios), 4),
        "ratios": [round(r, 4) for r in ratios],
        # images per CPU-second of this process: insensitive to other processes' load (workers=0 only)
        "cpu_ratio": round(statistics.median(cpu_ratios), 4) if workers == 0 else None,
    }


def conditions() -> dict[str, Any]:
    """What the machine was doing: load, cores, threads, versions."""
    return {
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry (``casestudies bench train_loop``): prints a table, writes JSON. Returns 0."""
    ap = argparse.ArgumentParser(prog="bench_train_loop", description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="tiny_segnet,deeplabv3plus", help="comma-separated face_segmentation models")
    ap.add_argument("--data", default="toy,toy-cached", help="comma-separated: toy, toy-cached, synth, synth-cached")
    ap.add_argument("--n", type=int, default=128, help="images per epoch (a multiple of --batch-size)")
    ap.add_argument("--size", type=int, default=64, help="image side in px (a multiple of 16)")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave the default)")
    ap.add_argument("--no-progress", action="store_true", help="engine without its tqdm bar")
    ap.add_argument("--json", type=Path, default=Path("benchmarks/_out/train_loop.json"))
    a = ap.parse_args(argv)
    if a.n % a.batch_size:
        ap.error("--n must be a multiple of --batch-size (both loops then see the same images)")
    if a.threads:
        torch.set_num_threads(a.threads)
    before = conditions()
    rows = []
    print(f"{'model':15s} {'data':13s} {'engine img/s':>13s} {'bare img/s':>11s} {'ratio':>6s} {'cpu':>6s}  per-repeat")
    for model_name in a.models.split(","):
        for kind in a.data.split(","):
            row = measure(
                model_name, kind, n=a.n, size=a.size, batch_size=a.batch_size, epochs=a.epochs,
                repeats=a.repeats, workers=a.workers, progress=not a.no_progress,
            )
            rows.append(row)
            print(
                f"{model_name:15s} {kind:13s} {row['engine_images_per_s']:13.1f} {row['bare_images_per_s']:11.1f} "
                f"{row['ratio']:6.3f} {row['cpu_ratio'] or float('nan'):6.3f}  {row['ratios']}",
                flush=True,
            )
    result = {
        "settings": {k: v for k, v in vars(a).items() if k != "json"},
        "conditions_before": before,
        "conditions_after": conditions(),
        "results": rows,
    }
    a.json.parent.mkdir(parents=True, exist_ok=True)
    a.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"load average before {before['loadavg_1_5_15']}, after {result['conditions_after']['loadavg_1_5_15']}; "
          f"{before['cpu_count']} CPUs, {before['torch_threads']} torch threads; JSON: {a.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
