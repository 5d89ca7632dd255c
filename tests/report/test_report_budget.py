"""Training-budget tables from metrics.train.* (report_budget)."""

from __future__ import annotations

from pathlib import Path

from casestudies import report_budget as rb
from casestudies.store import load_records

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "claims"


def test_budget_table_counts_flattening() -> None:
    df = load_records(GOLDEN / "set_b")
    seg = df[df["case"] == "face_segmentation"].dropna(axis=1, how="all")
    t = rb.budget_table(seg)
    assert "adapter" not in t and "refine_mattes" not in t  # constant or absent: dropped
    row = t[(t["schedule"] == "finetune") & (t["real_fraction"] == 0.1)].iloc[0]
    assert (row["runs"], row["steps"], row["images seen"]) == (3, "200", "1,600")
    assert (row["flattened"], row["not flattened"], row["not judged"]) == (1, 1, 1)
    assert t["runs"].sum() == len(seg)
    bad = rb.unflattened_runs(seg)
    assert sorted(bad["flattened"]) == ["no", "no", "not judged"]
    assert set(bad.loc[bad["flattened"] == "no", "last-quarter gain"]) == {"+8.0%"}
    assert rb.budget_table(seg.iloc[0:0]).empty


def test_steps_per_stage_for_finetune() -> None:
    df = load_records(GOLDEN / "set_a")
    lmk = df[df["case"] == "facial_landmarks"].copy()
    ft = lmk["params.schedule"] == "finetune"
    lmk.loc[ft, "metrics.train.stage_steps.pretrain"] = 100
    lmk.loc[ft, "metrics.train.stage_steps.finetune"] = 100
    lmk.loc[ft, "metrics.train.stage_steps.train"] = None
    t = rb.budget_table(lmk)
    assert set(t.loc[t["schedule"] == "finetune", "steps per stage"]) == {"finetune 100 + pretrain 100"}
    assert set(t.loc[t["schedule"] == "mixed", "steps per stage"]) == {""}
