"""Training: one loop (``fit``), the task interface, the schedules and the pretrain cache.

See ``docs/training.md``. ``casestudies.train`` re-exports the public names.
"""

from casestudies.training.engine import (
    LR_SCHEDULES,
    OPTIMIZERS,
    TrainConfig,
    deterministic_algorithms,
    evaluate,
    evaluation_stats,
    fit,
    resolve_device,
    seed_everything,
)
from casestudies.training.schedules import SCHEDULES, RunResult, pretrain_key, run_schedule
from casestudies.training.tasks import SegmentationTask, Task
from casestudies.training.toy import InMemoryDataset, ToySegmentation

__all__ = [
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "SCHEDULES",
    "InMemoryDataset",
    "RunResult",
    "SegmentationTask",
    "Task",
    "ToySegmentation",
    "TrainConfig",
    "deterministic_algorithms",
    "evaluate",
    "evaluation_stats",
    "fit",
    "pretrain_key",
    "resolve_device",
    "run_schedule",
    "seed_everything",
]
