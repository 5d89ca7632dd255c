"""The facial-landmarks whitepaper section on small checked-in records (tests/golden/facial_landmarks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from casestudies import report_facial_landmarks as rf
from casestudies import reportparts
from casestudies.store import load_records

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "facial_landmarks"


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    df = load_records(GOLDEN / "runs")
    assert len(df) and set(df["case"]) == {"facial_landmarks"}
    return df


def test_setup_table_matches_the_checked_in_summary(records):
    got = rf.setup_table(records)
    want = pd.read_csv(GOLDEN / "setup_table.csv")
    assert list(got["setup"]) == list(want["setup"])
    pd.testing.assert_frame_equal(got[want.columns].reset_index(drop=True), want, check_dtype=False, atol=1e-9)


def test_setup_table_is_the_mean_over_seeds(records):
    table = rf.setup_table(records).set_index("setup")
    df = rf.with_setup(records)
    one = df[(df["setup"] == "real only") & (df["params.real_fraction"] == 1.0)]
    assert table.loc["real only", "n"] == len(one) >= 2
    assert table.loc["real only", "metrics.test.nme.mean"] == pytest.approx(one["metrics.test.nme"].mean())
    assert list(table.index) == [s for s in rf.SETUP_ORDER if s in table.index]


def test_size_table_pairs_finetune_and_real_only_on_the_same_subsets(records):
    t = rf.size_table(records)
    sizes = {s: sorted(g["n_real_images"]) for s, g in t.groupby("setup")}
    assert sizes["fine-tune"] == sizes["real only"] and len(sizes["fine-tune"]) >= 2


def test_paired_gap_by_seed(records):
    df = rf.full_setups(records)
    a = df[df["setup"] == "fine-tune"].set_index("params.seed")["metrics.test.nme"]
    b = df[df["setup"] == "mixed"].set_index("params.seed")["metrics.test.nme"]
    gap = rf.paired_gap(records, "fine-tune", "mixed")
    assert gap["n"] == len(a) and gap["mean"] == pytest.approx(float((a - b).mean()))


def test_mean_ced_averages_the_seeds(records):
    curves = rf.mean_ced(records)
    x, y = curves["real only"]
    df = rf.full_setups(records)
    ys = np.array([np.asarray(v) for v in df[df["setup"] == "real only"]["extra.ced.test.y"]])
    np.testing.assert_allclose(y, ys.mean(0))
    assert np.all(np.diff(y) >= 0) and x[0] == 0


def test_section_renders_every_figure_and_never_draws_lenna(records, tmp_path, monkeypatch):
    drawn: list[dict] = []

    def fake_face(frame):
        drawn.append(frame)
        return np.full((int(frame["size"]), int(frame["size"]), 3), 128, np.uint8)

    monkeypatch.setattr(rf, "_face_image", fake_face)
    titles: list[str] = []
    real_draw = rf._draw
    monkeypatch.setattr(rf, "_draw", lambda ax, img, gt, pred, title: (titles.append(title), real_draw(ax, img, gt, pred, title)))
    reportparts.set_figures_dir(tmp_path)
    try:
        rf.show_section(records, records.iloc[0:0], "tiny", "runs")
    finally:
        reportparts.set_figures_dir(None)
    for name in ("ced", "sizes", "regions", "predictions_test", "predictions_menpo"):
        assert (tmp_path / f"facial_landmarks_{name}.png").is_file(), name
    assert drawn and all(f["kind"] == "generated" for f in drawn)
    assert titles and not any("lenna" in t for t in titles)
    assert any("einstein" in t for t in titles)


def test_budget_line_counts_unflattened_runs(records):
    line = rf.budget_line(records)
    n_not = int((records["metrics.train.flattened"] == False).sum())  # noqa: E712
    assert f"{n_not} of {len(records)} runs" in line and "optimizer steps" in line
