"""CPU cost of the facial-landmarks case: seconds per optimizer step by schedule type, per evaluated
image, and of one run's fixed parts; the numbers the default profile is sized from.

    python benchmarks/bench_landmarks.py --steps 40 --batch-size 8 --features 32 --stacks 2

CPU time (``time.process_time``, one torch thread) is reported next to wall time: on a shared machine
the CPU time per step moves much less with other people's load than the wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from casestudies.adapt import convert_dsbn, convert_dson
from casestudies.data.mixing import mix
from casestudies.models import create_model
from casestudies.threads import pin_threads
from casestudies.training import TrainConfig, fit
from casestudies.training import landmarks as L


def _faces(n: int, size: int, seed: int) -> L.Faces:
    """Random photos with a plausible 68-point shape (cost does not depend on the pixels)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    base = np.stack([np.cos(t), np.sin(t)], 1) * size * 0.25 + size / 2
    pts = base[None] + rng.normal(0, 1.0, (n, 68, 2))
    imgs = [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(n)]
    return L.Faces(imgs, pts, [str(i) for i in range(n)])


def _time(fn) -> tuple[float, float]:
    c, w = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c, time.perf_counter() - w


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="casestudies bench landmarks")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--input-size", type=int, default=64)
    p.add_argument("--render-size", type=int, default=128)
    p.add_argument("--stacks", type=int, default=2)
    p.add_argument("--features", type=int, default=32)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="benchmarks/_out/landmarks.json")
    a = p.parse_args(argv)
    pin_threads(a.threads)
    crop = L.CropConfig(a.input_size, sigma=2.0)
    task = L.LandmarkTask()
    real = L.LandmarkCrops(_faces(64, a.render_size, 0), crop, train=True)
    synth = L.LandmarkCrops(_faces(64, a.render_size, 1), crop, train=True)
    val = L.LandmarkCrops(_faces(64, a.render_size, 2), crop, train=False)
    kw = {"stacks": a.stacks, "features": a.features, "depth": a.depth}
    rows = []
    for name, convert in (("plain", None), ("dsbn", convert_dsbn), ("dson", convert_dson)):
        torch.manual_seed(0)
        model = create_model("facial_landmarks", "hourglass", **kw)
        if convert is not None:
            model = convert(model, num_domains=2)
        data = mix(synth, real, real_fraction=1.0) if convert is not None else mix(real=real, real_fraction=1.0)
        cfg = TrainConfig(steps=a.steps, batch_size=a.batch_size, lr=1e-3, progress=False, device="cpu")
        fit(model, task, data, TrainConfig(steps=3, batch_size=a.batch_size, progress=False, device="cpu"),
            domain_batches=convert is not None)  # warm-up
        cpu, wall = _time(lambda m=model, d=data, c=cfg, v=convert: fit(m, task, d, c, domain_batches=v is not None))
        rows.append({"kind": name, "cpu_ms_per_step": 1000 * cpu / a.steps, "wall_ms_per_step": 1000 * wall / a.steps})
    model = create_model("facial_landmarks", "hourglass", **kw)
    cpu, wall = _time(lambda: L.predict_points(model, task, val))
    rows.append({"kind": "eval", "cpu_ms_per_image": 1000 * cpu / len(val), "wall_ms_per_image": 1000 * wall / len(val)})
    cpu, wall = _time(lambda: [real[i] for i in range(len(real))])
    rows.append({"kind": "data", "cpu_ms_per_image": 1000 * cpu / len(real), "wall_ms_per_image": 1000 * wall / len(real)})
    out = {"config": vars(a), "load_average": os.getloadavg(), "rows": rows}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    for r in rows:
        print("  ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    print(f"load average {out['load_average']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
