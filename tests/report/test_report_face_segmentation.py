"""The face-segmentation whitepaper section on checked-in records (tests/golden/face_segmentation)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from casestudies import report_face_segmentation as rep
from casestudies.store import load_records
from tests.report.faceseg_golden import GOLDEN, MIOU

T1 = 12.706204736174698  # t(0.975, 1): two seeds


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    out = load_records(GOLDEN.parent, case="face_segmentation")
    assert len(out) == 2 * len(MIOU)
    return out


def half_width(a: float, b: float) -> float:
    return T1 * abs(a - b) / math.sqrt(2) / math.sqrt(2)  # s = |a - b| / sqrt(2), n = 2


def test_ratio_cells_by_hand(df: pd.DataFrame) -> None:
    cells = rep.ratio_cells(df, "test_a")
    c, nf = cells[("real only", 1.0)]
    assert c["n"] == 2 and c["mean"] == pytest.approx(0.62) and c["ci95"] == pytest.approx(half_width(0.60, 0.64))
    assert cells[("syn + real", 0.0)][0]["mean"] == pytest.approx(0.42)  # the synthetic_only runs
    assert cells[("real only", 0.1)][1] == 1 and nf == 0  # one run of real-only 10 % not flattened
    assert ("real only", 0.0) not in cells
    assert rep.ratio_cells(df, "test_b")[("syn + real", 1.0)][0]["mean"] == pytest.approx(0.54)


def test_ratio_table_shape_and_source_numbers(df: pd.DataFrame) -> None:
    t = rep.ratio_table(df)
    assert list(t.columns) == ["test set", "training", "numbers", "0%", "10%", "100%"]
    assert len(t) == 8  # 2 test sets x 2 trainings x (ours, source)
    src = t[(t["numbers"] == "source (CelebAMask-HQ)") & (t["training"] == "syn + real")].iloc[0]
    assert src["0%"] == "0.7661" and src["100%"] == "0.8648" and src["10%"] == "0.8503"
    ours = t[(t["numbers"] == "ours") & (t["training"] == "real only")].iloc[0]
    assert ours["0%"] == "–" and ours["10%"].endswith("†") and ours["100%"].startswith("0.620 ± ")
    assert "stand-in" in ours["test set"]


def test_gap_drops_paired_per_seed(df: pd.DataFrame) -> None:
    g = rep.gap_table(df).set_index(["test", "model"])
    drop = g.loc[("test_a", "synthetic only"), "drop"]
    per_seed = [(0.60 - 0.40) / 0.60, (0.64 - 0.44) / 0.64]
    assert drop["mean"] == pytest.approx(np.mean(per_seed))
    assert drop["ci95"] == pytest.approx(half_width(*per_seed))
    # on real B the in-domain model is real-only trained on B; the other-real model trained on A
    other = g.loc[("test_b", "other real"), "drop"]
    assert other["mean"] == pytest.approx(np.mean([(0.58 - 0.50) / 0.58, (0.62 - 0.52) / 0.62]))
    assert g.loc[("test_b", "syn-pretrained, fine-tuned on other real"), "miou"]["mean"] == pytest.approx(0.56)
    assert g.loc[("test_a", "in-domain"), "drop"]["n"] == 0
    assert g.loc[("test_a", "synthetic only"), "source_drop_pct"] == 9.6


def test_finetune_vs_mixed_and_adabn(df: pd.DataFrame) -> None:
    t = rep.finetune_vs_mixed(df, "test_a").set_index("real_fraction")
    d = t.loc[0.1, "a_minus_b"]
    assert d["mean"] == pytest.approx(0.03) and d["ci95"] == pytest.approx(0.0, abs=1e-12)  # 0.03 on both seeds
    a = rep.adabn_vs_mixed(df, "test_a")
    assert list(a["real_fraction"]) == [1.0] and a.loc[0, "a_minus_b"]["mean"] == pytest.approx(-0.01)


def test_per_class_and_confusion(df: pd.DataFrame) -> None:
    pc = rep.per_class(df, "test_a", "iou")
    assert pc.loc["nose", "synthetic only"]["mean"] == pytest.approx(0.42 - 0.05)
    assert pc.loc["inner_mouth", "other real"]["n"] == 0  # absent class: no value, not zero
    f1 = rep.per_class(df, "test_b", "f1")
    # other real on B = real-only A at 100 %: mIoU 0.50, 0.52, skin IoU the same, F1 = 2 IoU / (1 + IoU)
    assert f1.loc["skin", "other real"]["mean"] == pytest.approx(np.mean([2 * x / (1 + x) for x in (0.50, 0.52)]), abs=1e-4)
    part = rep.runs(df, "synthetic_only")
    conf = rep.summed_confusion(part, "test_a")
    assert conf.shape == (9, 9) and conf[0, 0] == 400 + 440
    norm = rep.row_normalised(conf)
    assert np.allclose(np.nansum(norm, 1)[[0, 1, 2]], 1.0) and np.isnan(norm[6]).all()


def test_budget(df: pd.DataFrame) -> None:
    b = rep.budget_table(df)
    assert set(b["optimizer steps"]) == {"80"}
    row = b[(b["schedule"] == "real_only") & (b["train_real"] == "a")].iloc[0]
    assert row["runs"] == 4 and row["not flattened"] == "1 of 4 judged"
    assert "1 of 20 runs had not flattened" in rep.budget_line(df)


def test_show_section_draws_every_part_without_torch(df: pd.DataFrame, tmp_path: Path, monkeypatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from casestudies import reportparts

    shown: list[str] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, *a, **k: shown.append(type(obj).__name__))
    reportparts.set_figures_dir(tmp_path)
    try:
        rep.show_section(df, df.iloc[0:0], "default", "runs")
    finally:
        reportparts.set_figures_dir(None)
    names = {p.stem for p in tmp_path.glob("*.png")}
    assert names == {f"face_segmentation_{n}" for n in ("gaps", "fractions", "per_class", "confusion")}
    assert shown.count("HTML") >= 6  # ratio, gaps, 2 x finetune-vs-mixed, adabn, budget


def test_module_imports_no_torch() -> None:
    import subprocess

    code = ("import sys, casestudies.report_face_segmentation as r; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_empty_parts_do_not_break(df: pd.DataFrame) -> None:
    only = df[df["params.schedule"] == "real_only"]
    t = rep.ratio_table(only)
    assert (t[t["numbers"] == "ours"]["training"] == "syn + real").any()
    assert rep.adabn_vs_mixed(only, "test_a").empty
    assert rep.gap_table(only).set_index(["test", "model"]).loc[("test_a", "synthetic only"), "miou"]["n"] == 0
