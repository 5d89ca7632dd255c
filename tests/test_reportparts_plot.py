"""``reportparts.plot_metric`` draws (with seaborn) exactly the summary table's means and 95 % t-intervals."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402

from casestudies import reportparts as rp  # noqa: E402
from casestudies.store import load_records  # noqa: E402

GOLDEN = Path(__file__).parent / "golden" / "runs"
METRIC = "metrics.test.mse"


@pytest.fixture
def records() -> pd.DataFrame:
    return load_records(GOLDEN)  # toy_case: lr in {0.01, 0.05, 0.1}, seeds 0..2


def by_hand(df: pd.DataFrame, key: str) -> dict:
    """{key value: (mean, t-interval half-width)} computed here, not by casestudies."""
    out = {}
    for k, part in df.groupby(key):
        v = part[METRIC].to_numpy(float)
        half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else 0.0
        out[k] = (v.mean(), half)
    return out


def band_at(poly: PolyCollection, x: float) -> tuple[float, float]:
    verts = np.concatenate([p.vertices for p in poly.get_paths()])
    ys = verts[np.isclose(verts[:, 0], x), 1]
    return ys.min(), ys.max()


def test_curve_and_band_are_the_given_mean_and_interval(records: pd.DataFrame) -> None:
    want = by_hand(records, "params.lr")
    fig = rp.plot_metric(records, "toy_case", METRIC)
    ax = fig.axes[0]
    (line,) = [ln for ln in ax.lines if len(ln.get_xydata()) > 1]
    xy = line.get_xydata()
    assert xy[:, 0].tolist() == sorted(want)
    assert np.allclose(xy[:, 1], [want[x][0] for x in sorted(want)])
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    for x, (mu, half) in want.items():
        assert np.allclose(band_at(band, x), (mu - half, mu + half)), x
    assert ax.get_xlabel() == "lr" and "95% CI" in ax.get_title()
    plt.close(fig)


def test_one_curve_and_band_per_setting_in_matching_colours(records: pd.DataFrame) -> None:
    df = records.copy()
    df["params.hidden"] = np.where(df["params.seed"] < 2, 8, 16).astype(str)  # seeds 0, 1 vs seed 2
    fig = rp.plot_metric(df, "toy_case", METRIC)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_legend().get_lines()}
    assert set(lines) == {"hidden=8", "hidden=16"}
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    eight = by_hand(df[df["params.hidden"] == "8"], "params.lr")
    band8 = next(b for b in bands if np.allclose(b.get_facecolor()[0][:3], matplotlib.colors.to_rgb(lines["hidden=8"].get_color())))
    for x, (mu, half) in eight.items():
        assert np.allclose(band_at(band8, x), (mu - half, mu + half))
    plt.close(fig)


def test_bars_are_the_given_means_with_the_given_intervals(records: pd.DataFrame) -> None:
    df = records.copy()
    df["params.lr"] = df["params.lr"].map({0.01: "slow", 0.05: "mid", 0.1: "fast"})  # no numeric axis: bars
    want = by_hand(df, "params.lr")
    fig = rp.plot_metric(df, "toy_case", METRIC)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert sorted(labels) == sorted(want)
    heights = [p.get_height() for p in ax.patches]
    assert np.allclose(heights, [want[k][0] for k in labels])
    (bars,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segs = sorted(bars.get_segments(), key=lambda s: s[0][0])
    for k, seg in zip(labels, segs):
        mu, half = want[k]
        assert np.allclose(sorted(seg[:, 1]), (mu - half, mu + half)), k
    plt.close(fig)
