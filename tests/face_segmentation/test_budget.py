"""face_segmentation.budget: the step count of a profile (shared pretrains once) and the arithmetic."""

from __future__ import annotations

from casestudies.face_segmentation import budget
from casestudies.params import resolve
from tests.conftest import REPO


def _runs(profile: str) -> list[dict]:
    plan = resolve("face_segmentation", REPO / "notebooks" / "01_face_segmentation.py",
                   REPO / "params" / "face_segmentation.yaml", profile)
    return [p for _, p in plan.runs]


def test_default_profile_step_count() -> None:
    runs = _runs("default")
    c = budget.count_steps(runs)
    assert c["per_schedule"] == {"real_only": 18, "mixed": 21, "finetune": 15, "synthetic_only": 3}
    assert {p["seed"] for p in runs} == {0, 1, 2}
    # 42 non-finetune runs x 80 steps, 15 fine-tune stages x 40, 3 shared pretrains (one per seed) x 40
    assert c["pretrains"] == 3 and c["steps"] == 42 * 80 + 15 * 40 + 3 * 40


def test_prediction_adds_up() -> None:
    runs = _runs("default")
    out = budget.predict(runs, step_s=0.1, cores=2)
    images, sets = budget.generated_images(runs[0])
    assert (images, sets) == (2 * (400 + 32 + 100) + 800, 7)
    assert out["total_cpu_s"] == round(out["generation_cpu_s"] + out["fixed_cpu_s"] + out["train_cpu_s"], 1)
    assert out["predicted_wall_s"] == round(out["total_cpu_s"] / 2, 1)
