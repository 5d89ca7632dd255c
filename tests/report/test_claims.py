"""Claim verdicts from the checked-in golden record sets (tests/golden/claims), intervals checked by hand."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pandas as pd
import pytest

from casestudies import claims
from casestudies.store import load_records

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "claims"
DEFAULTS = {"background_matting": {"refine_mattes": True}}
T2 = 4.302653  # t_{0.975, 2}


def verdicts(name: str, defaults=DEFAULTS, drop_case: str | None = None) -> list[claims.Verdict]:
    df = load_records(GOLDEN / name)
    if drop_case:
        df = df[df["case"] != drop_case].reset_index(drop=True)
    return claims.evaluate_claims(df, defaults)


def test_t_interval_by_hand() -> None:
    # diffs 0.02, 0.03, 0.04: mean 0.03, s = 0.01, half-width t * s / sqrt(3)
    m, lo, hi = claims.t_interval([0.02, 0.03, 0.04])
    h = T2 * 0.01 / math.sqrt(3)
    assert m == pytest.approx(0.03) and lo == pytest.approx(0.03 - h, abs=1e-6) and hi == pytest.approx(0.03 + h, abs=1e-6)
    assert (lo, hi) == pytest.approx((0.005159, 0.054841), abs=1e-6)
    m, lo, hi = claims.t_interval([0.5])
    assert m == 0.5 and math.isnan(lo) and math.isnan(hi)
    assert claims.sign_side(lo, hi) == claims.UNDECIDED  # one seed: no interval, no decision
    assert claims.sign_side(0.001, 0.2) == claims.CLAIMED and claims.sign_side(-0.2, -0.01) == claims.OTHER
    assert claims.sign_side(0.0, 0.2) == claims.UNDECIDED
    assert claims.tolerance_side(-4.9, 4.9, 5) == claims.CLAIMED
    assert claims.tolerance_side(5.1, 9, 5) == claims.OTHER and claims.tolerance_side(-9, -5.1, 5) == claims.OTHER
    assert claims.tolerance_side(3, 6, 5) == claims.UNDECIDED


def test_set_a_verdicts_and_evidence() -> None:
    v = verdicts("set_a")
    assert [x.verdict for x in v] == ["reproduced", "reproduced", "inconclusive", "not reproduced", "reproduced"]
    assert v[2].parts == {"segmentation": "reproduced", "landmarks": "inconclusive"}
    assert v[3].parts["mixed vs real_only (mse, sad, grad, conn)"] == "not reproduced"
    assert all(x.flattened is None for x in v)  # every run flattened
    # claim 1: four points (10 % and 100 %, test_a and test_b), each gain 0.02/0.03/0.04 per seed
    e = v[0].evidence
    assert list(e["point"]) == ["real fraction 10 %, test_a mIoU", "real fraction 100 %, test_a mIoU",
                                "real fraction 10 %, test_b mIoU", "real fraction 100 %, test_b mIoU"]
    assert (e["n seeds"] == 3).all()
    assert e["difference"].tolist() == pytest.approx([0.03] * 4)
    assert e["ci low"].tolist() == pytest.approx([0.005159] * 4, abs=1e-6)
    assert e["ci high"].tolist() == pytest.approx([0.054841] * 4, abs=1e-6)
    # claim 2 on test A: drops synthetic 10/11/9 %, other real 9/9.5/9 % -> differences 1, 1.5, 0 pp
    a = v[1].evidence.iloc[0]
    s = math.sqrt(((1 - 5 / 6) ** 2 + (1.5 - 5 / 6) ** 2 + (5 / 6) ** 2) / 2)  # 0.763763
    h = T2 * s / math.sqrt(3)  # 1.897288
    assert a["difference"] == pytest.approx(5 / 6) and a["ci low"] == pytest.approx(5 / 6 - h, abs=1e-5)
    assert (a["ci low"], a["ci high"]) == pytest.approx((-1.063955, 2.730621), abs=1e-5)
    assert a["claimed mean"] == pytest.approx(10.0) and a["baseline mean"] == pytest.approx(9.1666667)
    # claim 3's landmark points: NME gains 0.001/0.002/0.003 -> [-0.000484, 0.004484], undecided
    lm = v[2].evidence[v[2].evidence["part"] == "landmarks"]
    assert (lm["side"] == claims.UNDECIDED).all()
    assert lm["ci low"].tolist() == pytest.approx([-0.000484] * 2, abs=1e-6)
    # claim 4: only bg_photo Conn is on the other side (mixed's Conn higher by 8 x 0.02/0.03/0.04)
    other = v[3].evidence[v[3].evidence["side"] == claims.OTHER]
    assert list(other["point"]) == ["bg_photo conn, real fraction 100 %"]
    assert other["difference"].iloc[0] == pytest.approx(-0.24)
    assert len(v[3].evidence) == 2 * 4 + 2 * 2
    # claim 5: every adapter loses to fine-tuning by 0.004/0.005/0.006 NME
    assert len(v[4].evidence) == 3 and (v[4].evidence["ci low"] > 0.0025).all()


def test_set_b_verdicts_flattening_and_refine_default() -> None:
    v = verdicts("set_b")
    assert [x.verdict for x in v] == ["not reproduced", "not reproduced", "not reproduced", "reproduced", "inconclusive"]
    assert v[4].parts == {"finetune vs mixed + adabn": "reproduced", "finetune vs mixed + dsbn": "not run",
                          "finetune vs mixed + dson": "not run"}
    # claim 2: synthetic drop 25 % vs other-real 9 % on A -> 16 pp, outside +-5 pp
    assert v[1].evidence.iloc[0]["difference"] == pytest.approx(16.0) and v[1].evidence.iloc[0]["side"] == claims.OTHER
    # flattening: seed 1's mixed/finetune runs had not flattened; seed 2's finetune run has no summary
    assert (v[2].runs, v[2].not_flattened, v[2].not_judged) == (24, 2, 1)
    assert "rests on runs that had not flattened" in v[2].flattened and "rests on runs" in v[2].line()
    assert v[1].flattened is None and "rests on" not in v[1].line()
    # the seed that ran in one arm only is left out, and said so
    assert any("1 seed(s) ran in only one arm" in n for n in v[0].notes)
    assert set(v[0].evidence["n seeds"]) == {3}
    # without the notebook default both refine_mattes settings count, and refine_mattes=False loses on MSE
    v4 = claims.claim4(load_records(GOLDEN / "set_b"))
    assert v4.verdict == "not reproduced" and any("refine_mattes varies" in n for n in v4.notes)
    bad = v4.evidence[v4.evidence["side"] == claims.OTHER]
    assert list(bad["point"]) == ["bg_photo mse, real fraction 100 %, refine_mattes=False"]


def test_not_run() -> None:
    empty = load_records(GOLDEN / "does-not-exist")
    v = claims.evaluate_claims(empty)
    assert [x.verdict for x in v] == ["not run"] * 5
    assert all(x.evidence.empty and x.flattened is None for x in v)
    assert v[0].line(link=False).endswith("**not run**")
    # landmarks missing: claim 5 not run; claim 3 rests on segmentation alone, so at best inconclusive
    v = verdicts("set_a", drop_case="facial_landmarks")
    assert v[4].verdict == "not run" and v[2].verdict == "inconclusive"
    assert v[2].parts == {"segmentation": "reproduced", "landmarks": "not run"}
    assert "landmarks: not run (no paired runs)" in v[2].notes


def test_missing_axis_matches_its_neutral_value() -> None:
    df = load_records(GOLDEN / "set_a")
    seg = df[df["case"] == "face_segmentation"].drop(columns=["params.adapter"])
    assert claims.claim1(seg).verdict == "reproduced"  # a case without an adapter axis
    assert claims.claim1(seg.drop(columns=["metrics.test_b.miou"])).parts["segmentation, test_b"] == "not run"


def test_evidence_table_and_defaults(tmp_path: Path) -> None:
    v = verdicts("set_a")
    t = claims.evidence_table(v[0])
    assert t.loc[0, "95 % CI"] == "[0.005159, 0.05484]" and t.loc[0, "claimed (mean)"] == "mixed: 0.73"
    assert list(claims.evidence_table(claims.evaluate_claims(pd.DataFrame())[0])["point"]) == ["(no paired runs)"]
    (tmp_path / "02_background_matting.py").write_text(
        '# %% tags=["parameters"]\nrefine_mattes = True  # refine the real mattes\nseed = 0  # seed\n\n# %%\nx = 1\n')
    assert claims.notebook_defaults(tmp_path) == {"background_matting": {"refine_mattes": True, "seed": 0}}


def test_golden_records_match_their_builder(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_records", GOLDEN / "make_records.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name in ("set_a", "set_b"):
        getattr(mod, name)(tmp_path / name)
        want = sorted(p.relative_to(tmp_path / name) for p in (tmp_path / name).rglob("*") if p.is_file())
        have = sorted(p.relative_to(GOLDEN / name) for p in (GOLDEN / name).rglob("*") if p.is_file())
        assert want == have
        for rel in want:
            assert (tmp_path / name / rel).read_bytes() == (GOLDEN / name / rel).read_bytes(), rel
