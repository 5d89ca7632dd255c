"""The step budget of a profile, and its predicted sweep time from a measured per-step CPU time.

``casestudies bench face_segmentation`` (``benchmarks/bench_face_segmentation.py``) measures the CPU time of one optimizer step of the case's
model at the profile's settings (1 thread; CPU time is far less sensitive to other load on the
machine than wall time), counts the optimizer steps the profile's grid makes (each ``finetune``
pretrain is trained once per seed and shared through the cache), and prints the arithmetic:

    total CPU = generation + runs x per-run fixed cost + steps x per-step CPU
    wall      = total CPU / cores (runs in parallel, one thread each)
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from casestudies.face_segmentation.experiment import Budget

# CPU seconds, measured on the 2-core development machine under load (docs/face_segmentation.md)
RUN_FIXED_CPU_S = 11.0  # kernel start, imports, data preload, model build, validations, figures, tests, papermill
GEN_CPU_S_PER_IMAGE = 0.031  # one generated 64 px image with every layer written
GEN_CPU_S_PER_SET = 8.0  # worker start and asset loading per generated set (2 workers)


def count_steps(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Optimizer steps a list of resolved run parameters trains (shared pretrains counted once)."""
    steps = 0
    pretrains: set[tuple] = set()
    per_schedule: Counter[str] = Counter()
    for p in runs:
        first, second = Budget(int(p["steps"]), float(p["finetune_pretrain_share"])).split(p["schedule"])
        per_schedule[p["schedule"]] += 1
        if p["schedule"] == "finetune":
            key = tuple(sorted((k, str(v)) for k, v in p.items() if k not in ("real_fraction", "train_real", "finetune_lr")))
            if key not in pretrains:
                pretrains.add(key)
                steps += first
            steps += second
        else:
            steps += first
    return {"runs": len(runs), "steps": steps, "pretrains": len(pretrains), "per_schedule": dict(per_schedule)}


def generated_images(params: dict[str, Any]) -> tuple[int, int]:
    """(images, sets) generated from an empty cache for these parameters (stand-ins and synthetic)."""
    from casestudies.face_segmentation.data import is_preset

    images = sets = 0
    for key in ("real_a_dataset", "real_b_dataset"):
        if is_preset(params[key]):
            images += params["real_train_size"] + params["val_size"] + params["test_size"]
            sets += 3
    if params["synthetic_source"] == "generator":
        images += params["synthetic_size"]
        sets += 1
    return images, sets


def step_cpu_seconds(params: dict[str, Any], repeats: int = 12) -> float:
    """Median CPU seconds of one training step (forward, loss, backward, AdamW) at ``params``."""
    import torch

    from casestudies.models import create_model
    from casestudies.threads import pin_threads

    pin_threads(1)
    torch.manual_seed(0)
    model = create_model("face_segmentation", "deeplabv3plus", classes=9, encoder=params["encoder"],
                         decoder_channels=params["decoder_channels"], output_stride=params["output_stride"])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    b, s = params["batch_size"], params["image_size"]
    x, y = torch.rand(b, 3, s, s), torch.randint(0, 9, (b, s, s))
    times = []
    for _ in range(repeats + 2):
        t = time.process_time()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.process_time() - t)
    times = sorted(times[2:])
    return times[len(times) // 2]


def predict(runs: list[dict[str, Any]], step_s: float, cores: int = 2) -> dict[str, Any]:
    counts = count_steps(runs)
    images, sets = generated_images(runs[0])
    gen = images * GEN_CPU_S_PER_IMAGE + sets * GEN_CPU_S_PER_SET
    fixed = counts["runs"] * RUN_FIXED_CPU_S
    train = counts["steps"] * step_s
    total = gen + fixed + train
    return {**counts, "step_cpu_s": round(step_s, 4), "generation_cpu_s": round(gen, 1), "fixed_cpu_s": round(fixed, 1),
            "train_cpu_s": round(train, 1), "total_cpu_s": round(total, 1), "cores": cores,
            "predicted_wall_s": round(total / cores, 1)}
