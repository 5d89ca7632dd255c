"""One grid point of the case: which sets train and validate, the step budget, and the training call.

Grid axes (the engine's names): ``schedule`` (``real_only``, ``synthetic_only``, ``mixed``,
``finetune``), ``adapter`` (``none`` or an ``adapt.ADAPTERS`` name, ``mixed`` only), ``real_fraction``
(of the real TRAIN split; ``synthetic_only`` uses 0.0), ``train_real`` (``a`` or ``b``: which real
set trains), ``seed``. Every schedule gets the same ``steps`` optimizer steps at one batch size;
``finetune`` spends ``round(finetune_pretrain_share * steps)`` on synthetic pretraining and the rest
on the real subset. Validation (the curve) uses the training real set's VAL split; test numbers come
from the TEST splits (:mod:`.evaluation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casestudies.face_segmentation.data import CaseData, eval_dataset, train_dataset
from casestudies.models import ModelSpec
from casestudies.training import SCHEDULES, TrainConfig, TrainResult, run_schedule
from casestudies.training.tasks import SegmentationTask

TRAIN_REAL = ("a", "b")


@dataclass(frozen=True)
class Budget:
    """Optimizer steps per stage: (pretrain, fine-tune) for ``finetune``, (steps, 0) otherwise."""

    steps: int
    pretrain_share: float

    def split(self, schedule: str) -> tuple[int, int]:
        if schedule != "finetune":
            return self.steps, 0
        pre = round(self.pretrain_share * self.steps)
        if not 0 < pre < self.steps:
            raise ValueError(
                f"finetune_pretrain_share={self.pretrain_share} leaves no steps for a stage of {self.steps}"
            )
        return pre, self.steps - pre


def check_grid_point(schedule: str, adapter: str, real_fraction: float, train_real: str) -> None:
    """Refuse combinations the study does not define, with the reason."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; valid: {sorted(SCHEDULES)}")
    if train_real not in TRAIN_REAL:
        raise ValueError(f"train_real must be one of {TRAIN_REAL}, got {train_real!r}")
    if adapter != "none" and schedule != "mixed":
        raise ValueError(f"adapter {adapter!r} applies to 'mixed' only, not {schedule!r}")
    if schedule == "synthetic_only" and real_fraction != 0.0:
        raise ValueError(f"synthetic_only runs use real_fraction=0.0, got {real_fraction}")
    if schedule in ("real_only", "finetune") and real_fraction <= 0.0:
        raise ValueError(f"{schedule} needs real_fraction > 0 (r = 0 is the synthetic_only schedule)")


def train(
    data: CaseData,
    *,
    schedule: str,
    adapter: str,
    real_fraction: float,
    train_real: str,
    seed: int,
    model: ModelSpec,
    task: SegmentationTask,
    config: dict[str, Any],
    budget: Budget,
    finetune_lr: float,
    image_size: int,
    log: Any = None,
    cache_dir: str | Path | None = None,
) -> TrainResult:
    """Train one grid point; ``config`` holds the shared ``TrainConfig`` fields (lr, batch size, ...)."""
    check_grid_point(schedule, adapter, real_fraction, train_real)
    first, second = budget.split(schedule)
    main = TrainConfig.from_dict({**config, "steps": first})
    fine = TrainConfig.from_dict({**config, "steps": second, "lr": finetune_lr}) if second else None
    real = data.real[train_real]
    uses_real = schedule != "synthetic_only" and real_fraction > 0  # mixed at r = 0: synthetic only
    synthetic = train_dataset(data.synthetic, image_size, data.cache_keys.get("synthetic"))
    return run_schedule(
        schedule,
        model=model,
        task=task,
        config=main,
        finetune=fine,
        synthetic=None if schedule == "real_only" else synthetic,
        real=train_dataset(real["train"], image_size) if uses_real else None,
        val=eval_dataset(real["val"], image_size),
        real_fraction=real_fraction if uses_real else None,
        adapter=adapter,
        seed=seed,
        log=log,
        cache_dir=cache_dir,
    )


def throughput(history: list[dict[str, Any]], cpu_s: float, wall_s: float) -> dict[str, Any]:
    """Images trained per second of this process's CPU time and of wall time, over the whole training
    call (model build, validations and a cached pretrain's load included; a cached pretrain's images
    are not counted as trained here)."""
    trained = [r for r in history if r.get("stage") != "final" and not r.get("cached")]
    by_stage: dict[str, int] = {}
    for r in trained:
        by_stage[str(r["stage"])] = int(r.get("images_seen", 0))
    images = sum(by_stage.values())
    return {
        "images_trained": images,
        "cpu_s": round(cpu_s, 3),
        "wall_s": round(wall_s, 3),
        "images_per_cpu_s": round(images / cpu_s, 2) if cpu_s > 0 else None,
        "images_per_wall_s": round(images / wall_s, 2) if wall_s > 0 else None,
    }
