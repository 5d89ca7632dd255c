"""Training entry point: one loop, the schedules and the task interface (implemented in ``training/``).

>>> from casestudies.train import ModelSpec, SegmentationTask, TrainConfig, ToySegmentation, run_schedule
>>> result = run_schedule(
...     "mixed", model=ModelSpec("face_segmentation", "tiny_segnet", {"classes": 3}),
...     task=SegmentationTask(3), config=TrainConfig(epochs=1, progress=False),
...     synthetic=ToySegmentation(16), real=ToySegmentation(16, shift=0.5, seed=1),
...     val=ToySegmentation(8, shift=0.5, seed=2), real_fraction=0.5, adapter="dsbn")
>>> sorted(result.metrics)[:2]
['iou_0', 'iou_1']
"""

from casestudies.models import ModelSpec, create_model
from casestudies.training import (
    LR_SCHEDULES,
    OPTIMIZERS,
    SCHEDULES,
    InMemoryDataset,
    RunResult,
    SegmentationTask,
    Task,
    ToySegmentation,
    TrainConfig,
    evaluate,
    fit,
    pretrain_key,
    resolve_device,
    run_schedule,
    seed_everything,
)

__all__ = [
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "SCHEDULES",
    "InMemoryDataset",
    "ModelSpec",
    "RunResult",
    "SegmentationTask",
    "Task",
    "ToySegmentation",
    "TrainConfig",
    "create_model",
    "evaluate",
    "fit",
    "pretrain_key",
    "resolve_device",
    "run_schedule",
    "seed_everything",
]
