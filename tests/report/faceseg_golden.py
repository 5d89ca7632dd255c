"""Builder of the checked-in face-segmentation records (``tests/golden/face_segmentation/runs/face_segmentation``).

Each record has the exact structure ``notebooks/01_face_segmentation.py`` writes (``record.json``
with params, metrics.test_a / test_b / train, data_sources, extra.confusion / train_info /
throughput; environment trimmed to a few keys and the per-split data reports left out to keep the
files small), with hand-chosen mIoU values (``MIOU``) so the section's tables can be checked by hand.
Regenerate with ``python -m tests.report.faceseg_golden``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "face_segmentation" / "runs" / "face_segmentation"
CLASSES = ("background", "skin", "left_eye", "right_eye", "nose", "upper_lip", "inner_mouth", "lower_lip", "hair")

# (schedule, adapter, real_fraction, train_real) -> {test: [seed 0, seed 1]}
MIOU: dict[tuple[str, str, float, str], dict[str, list[float]]] = {
    ("real_only", "none", 0.1, "a"): {"test_a": [0.50, 0.54], "test_b": [0.40, 0.44]},
    ("real_only", "none", 1.0, "a"): {"test_a": [0.60, 0.64], "test_b": [0.50, 0.52]},
    ("synthetic_only", "none", 0.0, "a"): {"test_a": [0.40, 0.44], "test_b": [0.36, 0.40]},
    ("mixed", "none", 0.1, "a"): {"test_a": [0.55, 0.57], "test_b": [0.45, 0.47]},
    ("mixed", "none", 1.0, "a"): {"test_a": [0.62, 0.66], "test_b": [0.52, 0.56]},
    ("finetune", "none", 0.1, "a"): {"test_a": [0.58, 0.60], "test_b": [0.48, 0.50]},
    ("finetune", "none", 1.0, "a"): {"test_a": [0.65, 0.67], "test_b": [0.55, 0.57]},
    ("mixed", "adabn", 1.0, "a"): {"test_a": [0.61, 0.65], "test_b": [0.53, 0.55]},
    ("real_only", "none", 1.0, "b"): {"test_a": [0.45, 0.48], "test_b": [0.58, 0.62]},
    ("finetune", "none", 1.0, "b"): {"test_a": [0.50, 0.52], "test_b": [0.60, 0.62]},
}
NOT_FLATTENED = {("real_only", "none", 0.1, "a", 1)}  # (setting..., seed)
STANDIN = {"a": "standin_real_a (generator stand-in, not real data)", "b": "standin_real_b (generator stand-in, not real data)"}


def confusion(miou: float) -> list[list[int]]:
    """A deterministic diagonal-heavy 9 x 9 matrix whose diagonal share grows with ``miou``."""
    n = len(CLASSES)
    base = np.full((n, n), int(round(100 * (1 - miou))), np.int64)
    np.fill_diagonal(base, int(round(1000 * miou)))
    base[6, :] = 0  # inner_mouth never in the target
    return base.tolist()


def record(setting: tuple[str, str, float, str], seed: int) -> dict:
    schedule, adapter, fraction, train_real = setting
    steps = 80
    params = {
        "real_a_dataset": "standin_real_a", "real_a_root": "", "real_b_dataset": "standin_real_b",
        "real_b_root": "", "synthetic_source": "generator", "synthetic_root": "", "real_train_size": 400,
        "val_size": 32, "test_size": 100, "synthetic_size": 800, "image_size": 64, "data_seed": 0,
        "schedule": schedule, "adapter": adapter, "real_fraction": fraction, "train_real": train_real,
        "seed": seed, "encoder": "tu-mobilenetv3_small_100", "decoder_channels": 128, "output_stride": 16,
        "steps": steps, "batch_size": 8, "lr": 0.006, "finetune_lr": 0.003, "finetune_pretrain_share": 0.5,
        "weight_decay": 0.0001, "log_every": 10, "eval_every": 2, "num_workers": 0, "device": "auto",
        "figures": True,
    }
    metrics: dict = {}
    conf = {}
    for test, values in MIOU[setting].items():
        m = values[seed]
        iou = {c: round(m + (0.05 if c in ("left_eye", "right_eye") else -0.05 if c == "nose" else 0.0), 4) for c in CLASSES}
        iou["inner_mouth"] = None  # absent from target and prediction
        metrics[test] = {
            "miou": m, "pixel_acc": round(0.5 + m / 2, 4), "iou": iou,
            "f1": {c: None if v is None else round(2 * v / (1 + v), 4) for c, v in iou.items()},
        }
        conf[test] = confusion(m)
    flat = (schedule, adapter, fraction, train_real, seed) not in NOT_FLATTENED
    stage_steps = {"pretrain": 40, "finetune": 40} if schedule == "finetune" else {"train": steps}
    metrics["train"] = {
        "steps": steps, "images_seen": steps * 8, "stage_steps": stage_steps, "curve_metric": "miou",
        "last_quarter_gain": 0.01 if flat else 0.08, "flattened": flat, "flatten_tol": 0.02,
    }
    sources = {
        "train_real": "none" if schedule == "synthetic_only" else STANDIN[train_real],
        "synthetic": "none" if schedule == "real_only" else "synthetic (generator)",
        "val": STANDIN[train_real] + " (VAL split)",
        "test_a": STANDIN["a"] + " (TEST split)", "test_b": STANDIN["b"] + " (TEST split)",
    }
    run_id = f"g{abs(hash((schedule, adapter, fraction, train_real, seed))) % 10**11:011d}"
    return {
        "schema": 1, "case": "face_segmentation", "run_id": run_id, "profile": "default", "status": "done",
        "notebook": "notebooks/01_face_segmentation.py", "params": params, "metrics": metrics,
        "data_sources": sources,
        "timings": {"wall_s": 20.0, "phase.data": 0.5, "phase.train": 15.0, "phase.test": 0.5},
        "environment": {"device": "cpu (1 torch threads)", "git_commit": "0" * 40, "git_dirty": False, "threads": 1},
        "extra": {"confusion": conf, "throughput": {"images_trained": steps * 8, "cpu_s": 15.0, "wall_s": 15.0,
                                                    "images_per_cpu_s": round(steps * 8 / 15, 2),
                                                    "images_per_wall_s": round(steps * 8 / 15, 2)},
                  "train_info": {"schedule": schedule, "adapter": None if adapter == "none" else adapter}},
    }


def write(root: Path = GOLDEN) -> list[Path]:
    out = []
    for i, setting in enumerate(sorted(MIOU)):
        for seed in (0, 1):
            rec = record(setting, seed)
            rec["run_id"] = f"fs{i:02d}s{seed}"
            d = root / rec["run_id"]
            d.mkdir(parents=True, exist_ok=True)
            (d / "record.json").write_text(json.dumps(rec, sort_keys=True, separators=(",", ":")))
            (d / "done").write_text("")
            out.append(d)
    return out


if __name__ == "__main__":
    print(len(write()), "records under", GOLDEN)
