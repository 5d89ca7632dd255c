from __future__ import annotations

import pytest

from casestudies.budget import last_quarter_gain, training_summary


def test_gain_over_last_quarter_by_hand():
    # reference = value at step 75 (last point <= 0.75 * 100); final 0.55 vs 0.50 -> +10 %
    assert last_quarter_gain([25, 50, 75, 100], [0.3, 0.4, 0.5, 0.55], higher_is_better=True) == pytest.approx(0.1)
    # lower is better: 2.0 -> 1.5 is a 25 % gain
    assert last_quarter_gain([10, 20, 30, 40], [4, 3, 2.0, 1.5], higher_is_better=False) == pytest.approx(0.25)
    # getting worse is a negative gain
    assert last_quarter_gain([1, 4], [0.5, 0.4], higher_is_better=True) == pytest.approx(-0.2)
    assert last_quarter_gain([100], [0.5], higher_is_better=True) is None
    assert last_quarter_gain([90, 100], [0.4, 0.5], higher_is_better=True) is None  # nothing before 75


def test_training_summary_adds_stages_and_judges_the_last():
    hist = [
        {"stage": "pretrain", "stage_step": 50, "images_seen": 400, "val_miou": 0.2},
        {"stage": "pretrain", "stage_step": 100, "images_seen": 800, "val_miou": 0.3},
        {"stage": "finetune", "stage_step": 20, "images_seen": 160, "val_miou": 0.40},
        {"stage": "finetune", "stage_step": 40, "images_seen": 320, "val_miou": 0.50},
        {"stage": "finetune", "stage_step": 60, "images_seen": 480, "val_miou": 0.505},
        {"stage": "finetune", "stage_step": 80, "images_seen": 640, "val_miou": 0.506},
        {"stage": "final", "step": 180, "val_miou": 0.506},
    ]
    s = training_summary(hist, "miou", higher_is_better=True)
    assert s["steps"] == 180 and s["images_seen"] == 1440
    assert s["stage_steps"] == {"pretrain": 100, "finetune": 80}
    assert s["last_quarter_gain"] == pytest.approx(0.001 / 0.505)
    assert s["flattened"] is True
    rising = [dict(r) for r in hist]
    rising[-2]["val_miou"] = 0.7
    assert training_summary(rising, "miou", higher_is_better=True)["flattened"] is False
    assert training_summary(hist[:1], "miou", higher_is_better=True)["flattened"] is None
