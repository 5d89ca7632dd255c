"""The matting whitepaper section on checked-in records (tiny-profile runs in the exact record format)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from casestudies import report_background_matting as R
from casestudies.store import load_records

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "background_matting" / "runs"


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    df = load_records(GOLDEN, "background_matting")
    assert len(df) == 8
    return df


def test_model_labels(records: pd.DataFrame) -> None:
    df = R.with_models(records)
    assert sorted(df["model"]) == sorted([
        "real_only", "real_only (rough mattes)", "synthetic_only", "mixed", "mixed+adabn", "mixed+dsbn",
        "mixed+dson", "finetune",
    ])


def test_metric_table_matches_the_records(records: pd.DataFrame) -> None:
    df = R.with_models(records)
    table = R.metric_table(df, "bg_photo", list(R.MAIN_MODELS))
    assert list(table["model"]) == list(R.MAIN_MODELS)  # whitepaper order
    row = table[table["model"] == "mixed+dsbn"].iloc[0]
    expected = df.loc[df["model"] == "mixed+dsbn", "metrics.bg_photo.mse"].mean()
    assert row["metrics.bg_photo.mse.mean"] == pytest.approx(expected)
    assert row["n"] == 1


def test_budget_and_label_tables(records: pd.DataFrame) -> None:
    df = R.with_models(records)
    line = R.budget_line(df)
    steps = int(df["metrics.train.steps"].iloc[0])
    assert f"{steps} optimizer steps" in line and "flattened" in line
    labels = R.label_quality_table(df)
    assert list(labels["labels"]) == ["rough", "refined"] and (labels[["sad", "grad"]] > 0).all().all()
    base = R.baseline_table(df)
    assert list(base["backgrounds"]) == ["bg_train", "bg_photo"]
    assert R.gallery_html(df, ["mixed"]).count("<img") >= 1


def test_show_section_renders(records: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from casestudies import reportparts

    shown: list[object] = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    reportparts.set_figures_dir(tmp_path)
    try:
        R.show_section(records, pd.DataFrame(columns=["case"]), "tiny", "runs")
    finally:
        reportparts.set_figures_dir(None)
    assert (tmp_path / "background_matting_models.png").exists()
    assert (tmp_path / "background_matting_refinement.svg").exists()
    text = " ".join(getattr(o, "data", "") or "" for o in shown)
    assert "Training budget" in text and "Gallery" in text and "mixed+dson" in text
