"""The source's numbers as data, and ours beside them (source_numbers)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from casestudies import source_numbers as sn
from casestudies.store import load_records

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "claims"


def test_source_table_is_the_source_whitepapers() -> None:
    t = sn.source_segmentation_table().set_index(["test set", "training"])
    assert t.loc[("CelebAMask-HQ", "real only"), "100 %"] == "0.8618"
    assert t.loc[("LaPa", "syn + real"), "0 %"] == "0.6955"
    assert t.loc[("CelebAMask-HQ", "gain (syn + real − real only)"), "5 %"] == "+0.0093"  # 0.8460 - 0.8367
    assert t.loc[("LaPa", "real only"), "0 %"] == "–"
    assert sn.DOMAIN_GAPS["LaPa"]["synthetic"] == 16.8


def test_ours_beside_the_source() -> None:
    df = load_records(GOLDEN / "set_a")
    ours = sn.our_segmentation_table(df).set_index(["test set", "training"])
    a = "test_a (CelebAMask-HQ role)"
    assert ours.loc[(a, "real only"), "10 %"] == "0.7000 ± 0.0248"  # 0.70 + seed noise 0, .01, -.01
    assert ours.loc[(a, "gain (paired per seed)"), "100 %"] == "+0.0300 ± 0.0248"
    assert ours.loc[(a, "syn + real"), "5 %"] == "–" and ours.loc[(a, "real only"), "0 %"] == "–"
    gaps = sn.domain_gap_table(df)
    assert gaps.loc[0, "ours: difference (95 % CI)"] == "+0.8 pp [-1.1, +2.7]"
    assert gaps.loc[0, "source: difference"] == "+0.4 pp" and gaps.loc[1, "source: difference"] == "+2.4 pp"
    assert sn.our_segmentation_table(pd.DataFrame(columns=["case"])).empty
    assert set(sn.domain_gap_table(pd.DataFrame())["ours: difference (95 % CI)"]) == {"not run"}
    assert float(gaps.loc[1, "ours: synthetic-only drop"].rstrip(" %")) == pytest.approx(8.0)
