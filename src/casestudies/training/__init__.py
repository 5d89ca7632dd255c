"""Training: one loop (``fit``), the task interface, the schedules and the pretrain cache.

The one door to training (see ``docs/training.md``):

>>> from casestudies.models import ModelSpec
>>> from casestudies.training import SegmentationTask, ToySegmentation, TrainConfig, run_schedule
>>> result = run_schedule(
...     "mixed", model=ModelSpec("face_segmentation", "tiny_segnet", {"classes": 3}),
...     task=SegmentationTask(3), config=TrainConfig(epochs=1, progress=False),
...     synthetic=ToySegmentation(16), real=ToySegmentation(16, shift=0.5, seed=1),
...     val=ToySegmentation(8, shift=0.5, seed=2), real_fraction=0.5, adapter="dsbn")
>>> sorted(result.metrics)[:2]
['iou_0', 'iou_1']
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
from casestudies.training.schedules import SCHEDULES, TrainResult, pretrain_key, run_schedule
from casestudies.training.tasks import SegmentationTask, Task
from casestudies.training.toy import InMemoryDataset, ToySegmentation

__all__ = [
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "SCHEDULES",
    "InMemoryDataset",
    "SegmentationTask",
    "Task",
    "ToySegmentation",
    "TrainConfig",
    "TrainResult",
    "deterministic_algorithms",
    "evaluate",
    "evaluation_stats",
    "fit",
    "pretrain_key",
    "resolve_device",
    "run_schedule",
    "seed_everything",
]
