"""The source whitepaper's own numbers, as data, and tables that put ours beside them (no torch).

Source: Synthesis AI, "Synthetic Data Case Studies: It Just Works" (restated in the project's
SOURCE-FACTS). Its numbers are on its own data (CelebAMask-HQ, LaPa, 200k commercial synthetic images,
DeepLabV3+ with a DRN-56 backbone at 256 px); ours are on whatever the records name. They are shown side
by side, never mixed.
"""

from __future__ import annotations

import math

import pandas as pd

from casestudies.claims import SEG, Part, arm, compare, domain_gap_points, per_seed, select, t_interval

SOURCE = 'Synthesis AI, "Synthetic Data Case Studies: It Just Works"'
SOURCE_SETUP = "CelebAMask-HQ and LaPa (9 classes), 200k synthetic images, DeepLabV3+ (DRN-56), 256 px"

FRACTIONS = (0.0, 0.05, 0.10, 0.25, 0.50, 1.00)
# mIoU trained on CelebAMask-HQ at each real fraction; None = not run (real-only at 0 % has no data).
# "syn + real" at 0 % is the synthetic-only model.
SEGMENTATION_MIOU: dict[tuple[str, str], tuple[float | None, ...]] = {
    ("CelebAMask-HQ", "real only"): (None, 0.8367, 0.8435, 0.8495, 0.8524, 0.8618),
    ("CelebAMask-HQ", "syn + real"): (0.7661, 0.8460, 0.8503, 0.8562, 0.8608, 0.8648),
    ("LaPa", "real only"): (None, 0.6898, 0.6927, 0.7051, 0.6972, 0.7185),
    ("LaPa", "syn + real"): (0.6955, 0.7237, 0.7337, 0.7384, 0.7323, 0.7360),
}
# Relative mIoU drop (%) from the in-domain model, per test set: (synthetic-only, other real set).
DOMAIN_GAPS: dict[str, dict[str, float | str]] = {
    "CelebAMask-HQ": {"synthetic": 9.6, "other real": 9.2, "other real set": "LaPa"},
    "LaPa": {"synthetic": 16.8, "other real": 14.4, "other real set": "CelebAMask-HQ"},
}
# Our test sets in the source's roles: test_a plays CelebAMask-HQ (the training set's own domain), test_b LaPa.
ROLES = {"test_a": "CelebAMask-HQ", "test_b": "LaPa"}


def _pct(f: float) -> str:
    return f"{100 * f:g} %"


def _ci(mean: float, lo: float, hi: float, digits: int = 4, signed: bool = False) -> str:
    """``mean ± half-width`` (no interval with one seed); "–" when there is no value."""
    if math.isnan(mean):
        return "–"
    return f"{mean:{'+' if signed else ''}.{digits}f}" + ("" if math.isnan(lo) else f" ± {(hi - lo) / 2:.{digits}f}")


def source_segmentation_table() -> pd.DataFrame:
    """The source's mIoU table with its gain row (syn + real minus real only) per test set."""
    rows = []
    for test in ("CelebAMask-HQ", "LaPa"):
        real, mixed = SEGMENTATION_MIOU[(test, "real only")], SEGMENTATION_MIOU[(test, "syn + real")]
        for name, vals in (("real only", real), ("syn + real", mixed)):
            rows.append({"test set": test, "training": name, **{_pct(f): "–" if v is None else f"{v:.4f}"
                                                                for f, v in zip(FRACTIONS, vals)}})
        rows.append({"test set": test, "training": "gain (syn + real − real only)", **{
            _pct(f): "–" if r is None else f"{m - r:+.4f}" for f, r, m in zip(FRACTIONS, real, mixed)}})
    return pd.DataFrame(rows)


def our_segmentation_table(records: pd.DataFrame) -> pd.DataFrame:
    """Ours in the source's layout: mean ± 95 % CI over seeds, trained on real set A, per test set.

    Rows: real only, syn + real (mixed, no adapter; 0 % = synthetic_only) and the paired per-seed gain.
    Empty when face segmentation has no runs.
    """
    seg = records[records["case"] == SEG] if not records.empty and "case" in records else records.iloc[0:0]
    if seg.empty:
        return pd.DataFrame()
    real = arm(SEG, "real_only", schedule="real_only", train_real="a")
    mixed = arm(SEG, "mixed", schedule="mixed", adapter="none", train_real="a")
    syn = arm(SEG, "synthetic_only", schedule="synthetic_only")
    rows = []
    for test in ROLES:
        metric = f"metrics.{test}.miou"
        cells: dict[str, dict[str, str]] = {"real only": {}, "syn + real": {}, "gain": {}}
        for f in FRACTIONS:
            col = _pct(f)
            r_arm = arm(SEG, real.label, **{**dict(real.where), "real_fraction": f})
            m_arm = syn if f == 0 else arm(SEG, mixed.label, **{**dict(mixed.where), "real_fraction": f})
            r = per_seed(select(records, r_arm), metric) if f > 0 else pd.Series(dtype=float)
            m = per_seed(select(records, m_arm), metric)
            cells["real only"][col] = _ci(*t_interval(r.to_numpy()))
            cells["syn + real"][col] = _ci(*t_interval(m.to_numpy()))
            part = Part("gain")
            if f > 0:
                compare(part, records, m_arm, r_arm, metric, higher_is_better=True, label=col)
            p = part.points[0] if part.points else None
            cells["gain"][col] = "–" if p is None else _ci(p["difference"], p["ci low"], p["ci high"], signed=True)
        for name, label in (("real only", "real only"), ("syn + real", "syn + real"),
                            ("gain", "gain (paired per seed)")):
            rows.append({"test set": f"{test} ({ROLES[test]} role)", "training": label, **cells[name]})
    return pd.DataFrame(rows)


def domain_gap_table(records: pd.DataFrame) -> pd.DataFrame:
    """The source's relative drops beside ours (mean ± 95 % CI over seeds, percent)."""
    ours = {p.name.split(", ")[-1]: p.points[0] for p in domain_gap_points(records) if p.points}
    rows = []
    for test, role in ROLES.items():
        src = DOMAIN_GAPS[role]
        p = ours.get(test)
        rows.append({
            "test set (ours / the source's)": f"{test} / {role}",
            "source: synthetic-only drop": f"{src['synthetic']:.1f} %",
            "source: other-real drop": f"{src['other real']:.1f} % (trained on {src['other real set']})",
            "source: difference": f"{float(src['synthetic']) - float(src['other real']):+.1f} pp",
            "ours: synthetic-only drop": "not run" if p is None else f"{p['claimed mean']:.1f} %",
            "ours: other-real drop": "not run" if p is None else f"{p['baseline mean']:.1f} %",
            "ours: difference (95 % CI)": "not run" if p is None else (
                f"{p['difference']:+.1f} pp" + ("" if math.isnan(p["ci low"]) else f" [{p['ci low']:+.1f}, {p['ci high']:+.1f}]")),
        })
    return pd.DataFrame(rows)
