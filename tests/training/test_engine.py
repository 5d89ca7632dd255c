from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from casestudies.data.mixing import RandomBatchSampler, mix
from casestudies.names import UnknownNameError
from casestudies.training import (
    SegmentationTask,
    TrainConfig,
    evaluate,
    fit,
    run_schedule,
)


def test_segmentation_task_metrics_ignore_255():
    """The task counts per batch in torch and takes the formulas from metrics.segmentation."""
    target = torch.tensor([[0, 0, 1, 1], [2, 2, 255, 255]])
    pred = torch.tensor([[0, 1, 1, 1], [2, 0, 2, 0]])
    task = SegmentationTask(4)
    stats = task.metric_stats(pred.unsqueeze(0), {"seg": target.unsqueeze(0)})
    half = task.metric_stats(pred[:1].unsqueeze(0), {"seg": target[:1].unsqueeze(0)})
    assert task.confusion(stats)[:3, :3].tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert task.confusion({"confusion": torch.cat([half["confusion"]] * 2)}).sum() == 8  # summed over batches
    m = task.summarize(stats)
    assert math.isnan(m["iou_3"])  # absent from target and prediction: not counted in miou
    assert m["iou_0"] == pytest.approx(1 / 3) and m["iou_2"] == pytest.approx(1 / 2)
    assert m["miou"] == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)
    assert m["pixel_acc"] == pytest.approx(4 / 6)


def test_log_receives_flat_scalar_records_per_epoch(toy):
    records: list[dict] = []
    model = toy.spec.build()
    history = fit(model, toy.task, mix(toy.synthetic), toy.config, val_set=toy.val, log=records.append)
    assert records == history and len(records) == toy.config.epochs
    for r in records:
        assert all(isinstance(v, (int, float, str, bool)) for v in r.values())
        assert {"stage", "epoch", "train_loss", "lr", "images_per_s", "val_miou", "val_iou_a"} <= set(r)
    assert [r["epoch"] for r in records] == [1, 2]
    assert records[1]["train_loss"] < records[0]["train_loss"]


def test_cpu_runs_are_bit_identical(toy, without_timing):
    def run(num_workers: int):
        cfg = replace(toy.config, num_workers=num_workers)
        return run_schedule(
            "mixed", model=toy.spec, task=toy.task, config=cfg, synthetic=toy.synthetic, real=toy.real,
            val=toy.val, real_fraction=0.5, seed=3,
        )

    a, b, c = run(0), run(0), run(2)
    for other in (b, c):
        sa, so = a.model.state_dict(), other.model.state_dict()
        assert all(torch.equal(sa[k], so[k]) for k in sa)
        assert without_timing(a.history) == without_timing(other.history)
    d = run_schedule(
        "mixed", model=toy.spec, task=toy.task, config=toy.config, synthetic=toy.synthetic, real=toy.real,
        real_fraction=0.5, seed=4,
    )
    assert not torch.equal(d.model.state_dict()["0.0.weight"], a.model.state_dict()["0.0.weight"])


def test_evaluate_restores_mode_and_needs_data(toy):
    model = toy.spec.build().train()
    metrics = evaluate(model, toy.task, toy.val, batch_size=4)
    assert model.training and 0.0 <= metrics["miou"] <= 1.0
    with pytest.raises(ValueError, match="empty"):
        evaluate(model, toy.task, torch.utils.data.Subset(toy.val, []))


def test_config_names_are_checked():
    with pytest.raises(UnknownNameError, match="unknown optimizer 'lion'; valid: 'adamw', 'sgd'"):
        TrainConfig(optimizer="lion")
    with pytest.raises(UnknownNameError, match="unknown lr_schedule 'step'; valid: 'constant', 'cosine'"):
        TrainConfig(lr_schedule="step")
    with pytest.raises(UnknownNameError, match="unknown TrainConfig keys 'a', 'learning_rate'; valid: .*'lr'"):
        TrainConfig.from_dict({"epochs": 1, "learning_rate": 0.1, "a": 2})
    assert TrainConfig.from_dict({"epochs": 3}).epochs == 3
    identity = TrainConfig().identity()
    assert "lr" in identity and "num_workers" not in identity and "progress" not in identity


def test_deterministic_mode_is_restored():
    import torch.utils.deterministic as tud

    from casestudies.training import deterministic_algorithms

    # the state on entry, whatever an earlier test in this worker process left (xdist runs many files per process)
    torch.use_deterministic_algorithms(False)
    tud.fill_uninitialized_memory = True
    with deterministic_algorithms(True):
        assert torch.are_deterministic_algorithms_enabled() and not torch.backends.cudnn.benchmark
        assert tud.fill_uninitialized_memory is False
    assert not torch.are_deterministic_algorithms_enabled() and tud.fill_uninitialized_memory is True
    torch.use_deterministic_algorithms(True, warn_only=True)  # and an enabled state is restored as enabled
    with deterministic_algorithms(False):
        pass
    assert torch.are_deterministic_algorithms_enabled() and torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(False)


def test_step_budget_runs_exactly_that_many_steps_whatever_the_set_size(toy):
    """A budget in steps: the same number of optimizer steps on a small and a large set."""
    cfg = replace(toy.config, steps=7, log_every=3)
    for train_set in (mix(toy.synthetic), mix(toy.synthetic, toy.real, real_fraction=1.0)):
        history = fit(toy.spec.build(), toy.task, train_set, cfg, val_set=toy.val)
        assert [r["stage_step"] for r in history] == [3, 6, 7]
        per_epoch = len(RandomBatchSampler(len(train_set), cfg.batch_size, seed=0))
        assert history[-1]["epoch"] == pytest.approx(7 / per_epoch)
        assert 7 * (cfg.batch_size - 1) <= history[-1]["images_seen"] <= 7 * cfg.batch_size
        assert "val_miou" in history[-1]


def test_step_budget_spans_the_lr_schedule_and_changes_the_weights(toy):
    cfg = replace(toy.config, steps=8, log_every=2, lr_schedule="cosine")
    history = fit(toy.spec.build(), toy.task, mix(toy.synthetic), cfg)
    lrs = [r["lr"] for r in history]
    assert lrs[0] == pytest.approx(cfg.lr) and all(a > b for a, b in zip(lrs, lrs[1:]))
    assert lrs[-1] == pytest.approx(cfg.lr * 0.5 * (1 + math.cos(math.pi * 6 / 8)))
    short = toy.spec.build()
    long = toy.spec.build()
    fit(short, toy.task, mix(toy.synthetic), replace(cfg, steps=1))
    fit(long, toy.task, mix(toy.synthetic), cfg)
    assert any(not torch.equal(a, b) for a, b in zip(short.state_dict().values(), long.state_dict().values()))


def test_without_steps_records_are_whole_epochs(toy):
    history = fit(toy.spec.build(), toy.task, mix(toy.synthetic), toy.config)
    assert [r["epoch"] for r in history] == [1, 2]
    assert [r["stage_step"] for r in history] == [4, 8]  # 16 items, batch 4


def test_finetune_steps_continue_the_pretrain_count(toy, tmp_path):
    result = run_schedule(
        "finetune", model=toy.spec, task=toy.task, config=replace(toy.config, steps=5, log_every=5),
        finetune=replace(toy.config, steps=3, log_every=3), synthetic=toy.synthetic, real=toy.real,
        val=toy.val, real_fraction=0.5,
    )
    steps = [(r["stage"], r["step"]) for r in result.history]
    assert steps == [("pretrain", 5), ("finetune", 8), ("final", 8)]


@pytest.mark.timeout(120)  # a deadlocked loader worker (fork) becomes a failure
def test_engine_workers_after_parent_opencv_pool(toy, opencv_pool_used: None) -> None:
    res = run_schedule(
        "mixed", model=toy.spec, task=toy.task, config=replace(toy.config, epochs=1, num_workers=1),
        synthetic=toy.synthetic, real=toy.real, val=toy.val, real_fraction=0.5, seed=0,
    )
    assert 0.0 <= res.metrics["miou"] <= 1.0
