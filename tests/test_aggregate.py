"""Golden test of the reporting path: checked-in records -> the exact summary table."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd

from casestudies.aggregate import (
    ci95,
    data_sources,
    format_summary,
    provenance,
    summary_table,
    varying_params,
)
from casestudies.store import load_records

GOLDEN = Path(__file__).resolve().parent / "golden"


def test_golden_summary_table() -> None:
    df = load_records(GOLDEN / "runs")
    assert len(df) == 9
    assert varying_params(df) == ["params.lr"]
    got = summary_table(df).to_csv(index=False, float_format="%.6f")
    assert got == (GOLDEN / "toy_case_summary.csv").read_text()


def test_ci95_by_hand() -> None:
    # values 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.302652729911275 -> half width 4.3027 / sqrt(3)
    assert math.isclose(ci95(pd.Series([1.0, 2.0, 3.0])), 4.302652729911275 / math.sqrt(3), rel_tol=1e-9)
    assert math.isnan(ci95(pd.Series([5.0])))


def test_golden_group_by_hand() -> None:
    df = load_records(GOLDEN / "runs")
    part = df[df["params.lr"] == 0.05]["metrics.test.r2"].to_numpy()
    mean = sum(part) / 3
    s = math.sqrt(sum((v - mean) ** 2 for v in part) / 2)
    table = summary_table(df).set_index("params.lr")
    assert math.isclose(table.loc[0.05, "metrics.test.r2.mean"], mean, rel_tol=1e-12)
    assert math.isclose(table.loc[0.05, "metrics.test.r2.ci95"], 4.302652729911275 * s / math.sqrt(3), rel_tol=1e-9)


def test_formatting_and_provenance() -> None:
    df = load_records(GOLDEN / "runs")
    text = format_summary(summary_table(df)).to_csv(index=False)
    expected = pd.read_csv(GOLDEN / "toy_case_summary.csv")
    first = f"{expected.loc[0, 'metrics.test.r2.mean']:.3f} ± {expected.loc[0, 'metrics.test.r2.ci95']:.3f}"
    assert first in text and "lr,n,test.mse,test.r2,train_loss" in text
    prov = provenance(df)
    assert prov.loc[0, "runs"] == 9 and prov.loc[0, "git commits"] == "0123456789"
    src = data_sources(df)
    assert set(src["role"]) == {"train", "test"} and not src["stand_in"].any()
    assert pd.read_csv(io.StringIO(text)).shape == (3, 5)


def test_mixed_code_versions_are_flagged() -> None:
    from casestudies.reportparts import mixed_code_warnings

    df = load_records(GOLDEN / "runs")
    assert mixed_code_warnings(df) == []  # one commit, clean tree
    df.loc[0, "env.git_commit"] = "fedcba9876543210"
    (line,) = mixed_code_warnings(df)
    assert "toy_case" in line and "2 commits" in line and "fedcba9876" in line
