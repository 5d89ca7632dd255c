"""face_segmentation.experiment and .evaluation: budget split, grid checks, throughput, test metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from casestudies.face_segmentation import evaluation, experiment
from casestudies.models import create_model
from casestudies.training import InMemoryDataset, SegmentationTask


def test_budget_split() -> None:
    b = experiment.Budget(80, 0.5)
    assert b.split("finetune") == (40, 40) and b.split("mixed") == (80, 0)
    assert experiment.Budget(10, 0.25).split("finetune") == (2, 8)  # round(2.5) = 2
    with pytest.raises(ValueError, match="leaves no steps"):
        experiment.Budget(10, 1.0).split("finetune")


@pytest.mark.parametrize(("args", "match"), [
    (("mixed", "adabn", 0.5, "c"), "train_real"),
    (("finetune", "adabn", 0.5, "a"), "applies to 'mixed' only"),
    (("synthetic_only", "none", 0.5, "a"), "use real_fraction=0.0"),
    (("real_only", "none", 0.0, "a"), "needs real_fraction > 0"),
    (("hybrid", "none", 0.5, "a"), "unknown schedule"),
])
def test_grid_checks(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        experiment.check_grid_point(*args)


def test_throughput_counts_trained_images_only() -> None:
    history = [
        {"stage": "pretrain", "images_seen": 10, "cached": True},
        {"stage": "finetune", "images_seen": 8}, {"stage": "finetune", "images_seen": 16},
        {"stage": "final", "val_miou": 0.1},
    ]
    t = experiment.throughput(history, cpu_s=2.0, wall_s=4.0)
    assert t["images_trained"] == 16 and t["images_per_cpu_s"] == 8.0 and t["images_per_wall_s"] == 4.0


def test_metrics_from_confusion_marks_absent_classes() -> None:
    conf = np.array([[3, 1, 0], [0, 2, 0], [0, 0, 0]])
    m = evaluation.metrics_from_confusion(conf, ("a", "b", "c"))
    assert m["iou"] == {"a": 0.75, "b": pytest.approx(2 / 3), "c": None} and m["f1"]["c"] is None
    assert m["miou"] == pytest.approx((0.75 + 2 / 3) / 2) and m["pixel_acc"] == pytest.approx(5 / 6)


def test_test_metrics_sum_over_the_split() -> None:
    torch.manual_seed(0)
    items = [{"image": torch.rand(3, 16, 16), "seg": torch.randint(0, 3, (16, 16))} for _ in range(5)]
    items[0]["seg"][:2] = 255  # an ignore band: 32 pixels not counted
    model = create_model("face_segmentation", "tiny_segnet", classes=3).eval()
    task = SegmentationTask(3, class_names=("x", "y", "z"))
    metrics, conf = evaluation.test_metrics(model, task, InMemoryDataset(items), batch_size=2)
    assert np.asarray(conf).sum() == 5 * 256 - 32
    assert metrics["miou"] == pytest.approx(evaluation.metrics_from_confusion(np.asarray(conf), ("x", "y", "z"))["miou"])
    preds = evaluation.predict(model, task, InMemoryDataset(items), [0, 3])
    assert len(preds) == 2 and preds[0].shape == (16, 16) and preds[0].dtype == np.uint8
