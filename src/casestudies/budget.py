"""Training budget and convergence facts of a run, from its history records (no torch).

Case notebooks store :func:`training_summary` in their record (``metrics.train.*``); the whitepaper
states the budget next to every table and marks runs whose validation curve had not flattened.

Rule (stated in the report): a curve has *flattened* when its validation metric improved by at most
``tol`` (relative, default 2 %) over the last quarter of the stage's steps, i.e. from the last
validation at or before 3/4 of the steps to the final one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FLATTEN_TOL = 0.02  # relative gain over the last quarter of training below which a curve counts as flat


def last_quarter_gain(steps: Sequence[float], values: Sequence[float], *, higher_is_better: bool) -> float | None:
    """Relative improvement of ``values`` over the last quarter of ``steps`` (positive = better).

    1. the reference is the last point at or before 3/4 of the final step (None with fewer than two
       points, or none that early); 2. gain = (final - reference) / |reference|, sign flipped when lower
       is better; a zero reference gives the absolute difference.
    """
    pts = [(float(s), float(v)) for s, v in zip(steps, values) if v == v]  # drop NaN
    if len(pts) < 2:
        return None
    final_step, final = pts[-1]
    early = [v for s, v in pts[:-1] if s <= 0.75 * final_step]
    if not early:
        return None
    ref = early[-1]
    diff = (final - ref) if higher_is_better else (ref - final)
    return diff / abs(ref) if ref != 0 else diff


def training_summary(
    history: Sequence[Mapping[str, Any]], metric: str, *, higher_is_better: bool, tol: float = FLATTEN_TOL
) -> dict[str, Any]:
    """Budget and flattening of one run from its history (engine records, ``val_<metric>`` columns).

    ``steps`` and ``images_seen`` add up every training stage (pretrain + fine-tune); the curve judged
    is the last stage's. ``flattened`` is None when the curve has too few validation points to judge.
    """
    rows = [r for r in history if r.get("stage") != "final" and "stage_step" in r]
    stages: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        stages.setdefault(str(r["stage"]), []).append(r)
    steps = sum(int(rs[-1]["stage_step"]) for rs in stages.values())
    images = sum(int(rs[-1].get("images_seen", 0)) for rs in stages.values())
    last = list(stages.values())[-1] if stages else []
    curve = [(r["stage_step"], r[f"val_{metric}"]) for r in last if f"val_{metric}" in r]
    gain = last_quarter_gain([s for s, _ in curve], [v for _, v in curve], higher_is_better=higher_is_better)
    return {
        "steps": steps,
        "images_seen": images,
        "stage_steps": {k: int(rs[-1]["stage_step"]) for k, rs in stages.items()},
        "curve_metric": metric,
        "last_quarter_gain": gain,
        "flattened": None if gain is None else bool(gain <= tol),
        "flatten_tol": tol,
    }
