"""The source whitepaper's five claims, each with a verdict computed from run records (no torch).

A verdict is one of :data:`VERDICTS`, never written by hand. The rule, on *paired per-seed
differences* (seeds pair runs: the same seed trains on the same real subset in every schedule):

1. A *point* is one comparison the claim covers (one real fraction, metric, test or background set).
   Per seed present in both arms, the difference is taken so that positive = the claimed side
   (``claimed - baseline`` for higher-is-better metrics, ``baseline - claimed`` for lower-is-better).
2. The point's 95 % interval is Student's t over seeds: mean ± t_{0.975, n-1} s / sqrt(n). It lies on
   the *claimed* side when its lower end is above 0, on the *other* side when its upper end is below 0,
   and is *undecided* otherwise (also with fewer than two paired seeds: no interval).
3. A claim is split into *parts* (e.g. the two case studies of claim 3). A part is *reproduced* when
   every point is on the claimed side, *not reproduced* when any point is on the other side,
   *inconclusive* otherwise, and *not run* when none of its points could be computed.
4. The claim: *not run* when every part is; *not reproduced* when any part is; *reproduced* when every
   part is; *inconclusive* otherwise (so a claim with a part that did not run is at best inconclusive).

Claim 2 ("about the same gap") uses a tolerance instead of the sign: per test set the difference of
two relative drops (percentage points) is *within* when its interval lies inside ± :data:`GAP_TOLERANCE_PP`,
*outside* when it lies entirely beyond it, undecided otherwise.

>>> from casestudies.store import load_records
>>> for v in evaluate_claims(load_records("runs")):  # doctest: +SKIP
...     print(v.line())
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from casestudies.aggregate import t_quantile_975
from casestudies.budget import FLATTEN_TOL

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_RUN = "reproduced", "not reproduced", "inconclusive", "not run"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_RUN)
CLAIMED, OTHER, UNDECIDED = "claimed side", "other side", "undecided"

GAP_TOLERANCE_PP = 5.0  # claim 2: two relative drops count as "about the same" within ± 5 percentage points
CLAIM1_TEST_SETS = ("test_a", "test_b")  # the source's table shows both test sets, so claim 1 needs both
MATTING_BACKGROUNDS = ("bg_train", "bg_photo")
ADAPTERS = ("adabn", "dsbn", "dson")
SEG, MAT, LMK = "face_segmentation", "background_matting", "facial_landmarks"

CLAIMS: dict[int, str] = {
    1: "Training on a hybrid real + synthetic set beats real-only at every real fraction (segmentation).",
    2: "The synthetic-to-real domain gap is about the same as the real-to-real gap (segmentation).",
    3: "Fine-tuning on real data after synthetic pretraining beats hybrid training (segmentation, landmarks).",
    4: "A small synthetic set helps matting; synthetic-only beats real-only on Grad and Conn.",
    5: "For landmarks, fine-tuning beats batch-norm domain adaptation (AdaBN, DSBN, DSON).",
}

SIGN_RULE = (
    "paired per-seed differences, positive = the claimed side; a point's 95 % t-interval over seeds must lie "
    "above 0 at every point for *reproduced*; any point entirely below 0 makes it *not reproduced*; otherwise "
    "*inconclusive* (also with fewer than two paired seeds)."
)


# ----------------------------------------------------------------------------------------------
# Arms: which runs a side of a comparison is made of


@dataclass(frozen=True)
class Arm:
    """A set of runs of one case: ``params.<name> == value`` for each entry of ``where``.

    A parameter column the records lack matches when ``value`` is that parameter's neutral default
    (``adapter`` "none", ``train_real`` "a", ``real_fraction`` 1.0): a case without that axis.
    """

    case: str
    label: str
    where: tuple[tuple[str, Any], ...]


NEUTRAL = {"adapter": "none", "train_real": "a", "real_fraction": 1.0}


def arm(case: str, label: str, **where: Any) -> Arm:
    return Arm(case, label, tuple(sorted(where.items())))


def _matches(col: pd.Series, value: Any) -> pd.Series:
    if isinstance(value, float):
        num = pd.to_numeric(col, errors="coerce")
        return pd.Series(np.isclose(num.astype(float), value, rtol=0, atol=1e-9), index=col.index)
    if value == "none":  # a run without an adapter may store None
        return col.isna() | (col.astype(str) == "none")
    return col.astype(str) == str(value)


def select(records: pd.DataFrame, a: Arm, fixed: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Done runs of ``a.case`` matching the arm (and ``fixed``, parameter -> value, where present)."""
    if records.empty or "case" not in records:
        return records.iloc[0:0]
    df = records[records["case"] == a.case]
    if "status" in df:
        df = df[df["status"].fillna("done") == "done"]
    for name, value in [*a.where, *(fixed or {}).items()]:
        col = f"params.{name}"
        if col in df:
            df = df[_matches(df[col], value)]
        elif NEUTRAL.get(name) != value and (fixed is None or name not in fixed):
            return df.iloc[0:0]
    return df


def real_fractions(records: pd.DataFrame, *arms: Arm) -> list[float]:
    """Real fractions > 0 present in every one of ``arms`` (sorted)."""
    common: set[float] | None = None
    for a in arms:
        df = select(records, arm(a.case, a.label, **{k: v for k, v in a.where if k != "real_fraction"}))
        col = df["params.real_fraction"] if "params.real_fraction" in df else pd.Series(1.0, index=df.index)
        vals = {round(float(v), 9) for v in pd.to_numeric(col, errors="coerce").dropna() if float(v) > 0}
        common = vals if common is None else common & vals
    return sorted(common or [])


def per_seed(df: pd.DataFrame, metric: str) -> pd.Series:
    """``metric`` per seed (runs sharing a seed are averaged); NaN-free, indexed by seed."""
    if df.empty or metric not in df:
        return pd.Series(dtype=float)
    seeds = df["params.seed"] if "params.seed" in df else pd.Series(0, index=df.index)
    vals = pd.to_numeric(df[metric], errors="coerce")
    return vals.groupby(seeds.values).mean().dropna()


# ----------------------------------------------------------------------------------------------
# Intervals and points


def t_interval(x: np.ndarray | list[float]) -> tuple[float, float, float]:
    """Mean and 95 % t-interval ``(mean, lo, hi)`` of ``x``; lo/hi NaN with fewer than two values."""
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if len(v) < 2:
        return m, float("nan"), float("nan")
    h = t_quantile_975(len(v) - 1) * float(v.std(ddof=1)) / math.sqrt(len(v))
    return m, m - h, m + h


def sign_side(lo: float, hi: float) -> str:
    if lo > 0:
        return CLAIMED
    if hi < 0:
        return OTHER
    return UNDECIDED


def tolerance_side(lo: float, hi: float, tol: float) -> str:
    if -tol <= lo and hi <= tol:
        return CLAIMED
    if lo > tol or hi < -tol:
        return OTHER
    return UNDECIDED


@dataclass
class Part:
    """One required component of a claim: its points (rows of evidence) and the runs behind them."""

    name: str
    points: list[dict[str, Any]] = field(default_factory=list)
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        sides = [p["side"] for p in self.points]
        if not sides:
            return NOT_RUN
        if OTHER in sides:
            return NOT_REPRODUCED
        if all(s == CLAIMED for s in sides):
            return REPRODUCED
        return INCONCLUSIVE

    def add_runs(self, *frames: pd.DataFrame) -> None:
        parts = [f for f in (self.runs, *frames) if not f.empty]
        if parts:
            self.runs = pd.concat(parts).drop_duplicates("run_id")


def compare(
    part: Part, records: pd.DataFrame, claimed: Arm, baseline: Arm, metric: str, *, higher_is_better: bool,
    label: str, fixed: Mapping[str, Any] | None = None,
) -> None:
    """Add one point to ``part``: paired per-seed gain of ``claimed`` over ``baseline`` on ``metric``.

    Nothing is added when either arm has no run with the metric, or no seed is shared.
    """
    a_runs, b_runs = select(records, claimed, fixed), select(records, baseline, fixed)
    a, b = per_seed(a_runs, metric), per_seed(b_runs, metric)
    seeds = sorted(set(a.index) & set(b.index))
    if not seeds:
        return
    unpaired = len(set(a.index) ^ set(b.index))
    if unpaired:
        part.notes.append(f"{label}: {unpaired} seed(s) ran in only one arm and are left out")
    av, bv = a.loc[seeds].to_numpy(float), b.loc[seeds].to_numpy(float)
    gain = av - bv if higher_is_better else bv - av
    mean, lo, hi = t_interval(gain)
    part.points.append({
        "part": part.name, "point": label, "metric": metric.removeprefix("metrics."),
        "better": "higher" if higher_is_better else "lower", "n seeds": len(seeds),
        "claimed": claimed.label, "claimed mean": float(av.mean()),
        "baseline": baseline.label, "baseline mean": float(bv.mean()),
        "difference": mean, "ci low": lo, "ci high": hi, "side": sign_side(lo, hi),
    })
    seed_ok = lambda df: df[(df["params.seed"] if "params.seed" in df else pd.Series(0, index=df.index)).isin(seeds)]  # noqa: E731
    part.add_runs(seed_ok(a_runs), seed_ok(b_runs))


# ----------------------------------------------------------------------------------------------
# Verdicts


@dataclass
class Verdict:
    """A claim's computed verdict with its evidence (one row per point) and notes."""

    number: int
    claim: str
    verdict: str
    rule: str
    parts: dict[str, str]
    evidence: pd.DataFrame
    runs: int
    not_flattened: int
    not_judged: int
    notes: list[str]

    @property
    def anchor(self) -> str:
        return f"claim-{self.number}"

    @property
    def flattened(self) -> str | None:
        """A note when the verdict rests on runs whose curve had not flattened or was not judged (None: all had)."""
        if not self.runs or not (self.not_flattened or self.not_judged):
            return None
        bits = []
        if self.not_flattened:
            bits.append(f"{self.not_flattened} of its {self.runs} runs had not flattened")
        if self.not_judged:
            bits.append(f"{self.not_judged} of its {self.runs} runs have no flattening judgement (too few validation "
                        "points, or no training summary in the record)")
        return "This verdict rests on runs that had not flattened: " + "; ".join(bits) + (
            f". (Flattened: the validation metric improved by at most {FLATTEN_TOL:.0%} over the last quarter of the "
            "steps; casestudies.budget.)"
        )

    def line(self, link: bool = True) -> str:
        """One markdown line: claim, verdict, and a link to the evidence."""
        flag = " — *rests on runs that had not flattened*" if self.flattened else ""
        ref = f" ([evidence](#{self.anchor}))" if link else ""
        return f"{self.number}. {self.claim} **{self.verdict}**{flag}{ref}"


def combine(parts: list[Part]) -> str:
    verdicts = [p.verdict for p in parts]
    if all(v == NOT_RUN for v in verdicts):
        return NOT_RUN
    if NOT_REPRODUCED in verdicts:
        return NOT_REPRODUCED
    if all(v == REPRODUCED for v in verdicts):
        return REPRODUCED
    return INCONCLUSIVE


def flatten_counts(runs: pd.DataFrame) -> tuple[int, int, int]:
    """(runs, runs with ``metrics.train.flattened`` False, runs where it is missing or None)."""
    if runs.empty:
        return 0, 0, 0
    col = runs["metrics.train.flattened"] if "metrics.train.flattened" in runs else pd.Series(None, index=runs.index)
    vals = [v if isinstance(v, (bool, np.bool_)) else None for v in col]
    return len(vals), sum(v is not None and not bool(v) for v in vals), sum(v is None for v in vals)


def _verdict(number: int, rule: str, parts: list[Part], notes: list[str] | None = None) -> Verdict:
    rows = [p for part in parts for p in part.points]
    evidence = pd.DataFrame(rows, columns=[
        "part", "point", "metric", "better", "n seeds", "claimed", "claimed mean", "baseline", "baseline mean",
        "difference", "ci low", "ci high", "side",
    ]) if rows else pd.DataFrame(columns=["part", "point", "metric", "n seeds", "difference", "ci low", "ci high", "side"])
    used = [p.runs for p in parts if not p.runs.empty]
    runs = pd.concat(used).drop_duplicates("run_id") if used else pd.DataFrame()
    n, bad, unknown = flatten_counts(runs)
    all_notes = list(notes or [])
    for p in parts:
        all_notes += p.notes
        if p.verdict == NOT_RUN:
            all_notes.append(f"{p.name}: not run (no paired runs)")
    return Verdict(number, CLAIMS[number], combine(parts), rule, {p.name: p.verdict for p in parts}, evidence,
                   n, bad, unknown, all_notes)


def _pct(f: float) -> str:
    return f"{100 * f:g} %"


def claim1(records: pd.DataFrame) -> Verdict:
    """Hybrid (mixed, no adapter) vs real-only, both trained on real set A, at every real fraction > 0."""
    mixed, real = arm(SEG, "mixed", schedule="mixed", adapter="none", train_real="a"), arm(
        SEG, "real_only", schedule="real_only", train_real="a")
    parts = []
    for test in CLAIM1_TEST_SETS:
        part = Part(f"segmentation, {test}")
        for f in real_fractions(records, mixed, real):
            compare(part, records, _at(mixed, f), _at(real, f), f"metrics.{test}.miou", higher_is_better=True,
                    label=f"real fraction {_pct(f)}, {test} mIoU")
        parts.append(part)
    rule = f"segmentation, trained on real set A; mIoU on both test sets ({', '.join(CLAIM1_TEST_SETS)}), every real fraction > 0 " \
        f"that both schedules ran; {SIGN_RULE}"
    return _verdict(1, rule, parts)


def _at(a: Arm, fraction: float) -> Arm:
    return arm(a.case, a.label, **{**dict(a.where), "real_fraction": fraction})


def domain_gap_points(records: pd.DataFrame) -> list[Part]:
    """Claim 2's parts: per test set, the paired difference of two relative drops from the in-domain model.

    On test set A: in-domain = real_only trained on A (fraction 1.0), other-real = real_only trained on
    B (fraction 1.0), synthetic = synthetic_only; drop = (in-domain - model) / in-domain, in %. B is
    symmetric. The point is ``drop(synthetic) - drop(other real)`` in percentage points, per seed.
    """
    syn = arm(SEG, "synthetic_only", schedule="synthetic_only")
    parts = []
    for test, home, other in (("test_a", "a", "b"), ("test_b", "b", "a")):
        part = Part(f"segmentation, {test}")
        metric = f"metrics.{test}.miou"
        arms = {
            "in": arm(SEG, f"real_only on {home.upper()}", schedule="real_only", train_real=home, real_fraction=1.0),
            "other": arm(SEG, f"real_only on {other.upper()}", schedule="real_only", train_real=other, real_fraction=1.0),
            "syn": syn,
        }
        frames = {k: select(records, a) for k, a in arms.items()}
        vals = {k: per_seed(df, metric) for k, df in frames.items()}
        seeds = sorted(set(vals["in"].index) & set(vals["other"].index) & set(vals["syn"].index))
        if seeds:
            base = vals["in"].loc[seeds].to_numpy(float)
            drop_syn = 100 * (base - vals["syn"].loc[seeds].to_numpy(float)) / base
            drop_real = 100 * (base - vals["other"].loc[seeds].to_numpy(float)) / base
            mean, lo, hi = t_interval(drop_syn - drop_real)
            part.points.append({
                "part": part.name, "point": f"{test}: drop of synthetic-only minus drop of {arms['other'].label} (pp)",
                "metric": f"{test}.miou relative drop", "better": f"within ±{GAP_TOLERANCE_PP:g} pp", "n seeds": len(seeds),
                "claimed": "synthetic_only drop %", "claimed mean": float(drop_syn.mean()),
                "baseline": f"{arms['other'].label} drop %", "baseline mean": float(drop_real.mean()),
                "difference": mean, "ci low": lo, "ci high": hi, "side": tolerance_side(lo, hi, GAP_TOLERANCE_PP),
            })
            keep = [df[df["params.seed"].isin(seeds)] if "params.seed" in df else df for df in frames.values()]
            part.add_runs(*keep)
        parts.append(part)
    return parts


def claim2(records: pd.DataFrame) -> Verdict:
    rule = (
        "segmentation, per test set: relative mIoU drop from the in-domain real-only model (trained on that test "
        "set's own real set, fraction 100 %) of the synthetic-only model and of the real-only model trained on the "
        f"other real set; per seed, their difference in percentage points. *Reproduced* when its 95 % t-interval "
        f"lies within ±{GAP_TOLERANCE_PP:g} pp on both test sets; *not reproduced* when it lies entirely outside on "
        "either; *inconclusive* otherwise. (The source: 9.6 % vs 9.2 % and 16.8 % vs 14.4 %, i.e. 0.4 and 2.4 pp.)"
    )
    return _verdict(2, rule, domain_gap_points(records))


def claim3(records: pd.DataFrame) -> Verdict:
    seg = Part("segmentation")
    ft, mx = arm(SEG, "finetune", schedule="finetune", train_real="a"), arm(SEG, "mixed", schedule="mixed", adapter="none", train_real="a")
    for f in real_fractions(records, ft, mx):
        compare(seg, records, _at(ft, f), _at(mx, f), "metrics.test_a.miou", higher_is_better=True,
                label=f"real fraction {_pct(f)}, test_a mIoU")
    lmk = Part("landmarks")
    ft, mx = arm(LMK, "finetune", schedule="finetune"), arm(LMK, "mixed", schedule="mixed", adapter="none")
    for f in real_fractions(records, ft, mx):
        compare(lmk, records, _at(ft, f), _at(mx, f), "metrics.test.nme", higher_is_better=False,
                label=f"real fraction {_pct(f)}, test NME")
    rule = (
        "finetune vs mixed (no adapter) at every real fraction both ran: segmentation on test_a mIoU (trained on "
        "real set A), landmarks on test NME (lower is better). Each case is a part; the claim is *reproduced* only "
        "when both parts are, *not reproduced* when either is, and at best *inconclusive* when one case did not "
        f"run. Per point: {SIGN_RULE}"
    )
    return _verdict(3, rule, [seg, lmk])


def claim4(records: pd.DataFrame, refine_default: bool | None = None) -> Verdict:
    fixed = {"refine_mattes": refine_default} if refine_default is not None else None
    notes = []
    refine_values = sorted({bool(v) for v in records.get("params.refine_mattes", pd.Series(dtype=object)).dropna()}) \
        if not records.empty and "params.refine_mattes" in records else []
    if refine_default is None and len(refine_values) > 1:
        notes.append("refine_mattes varies and its default is unknown: both settings are points")
    real = arm(MAT, "real_only", schedule="real_only")
    mixed = arm(MAT, "mixed", schedule="mixed", adapter="none")
    syn = arm(MAT, "synthetic_only", schedule="synthetic_only")
    settings: list[tuple[str, dict[str, Any] | None]] = [("", fixed)] if fixed or len(refine_values) < 2 else [
        (f", refine_mattes={v}", {"refine_mattes": v}) for v in refine_values]
    helps, syn_part = Part("mixed vs real_only (mse, sad, grad, conn)"), Part("synthetic_only vs real_only (grad, conn)")
    fractions = real_fractions(records, mixed, real)
    for suffix, fx in settings:
        for bg in MATTING_BACKGROUNDS:
            for f in fractions:
                for m in ("mse", "sad", "grad", "conn"):
                    compare(helps, records, _at(mixed, f), _at(real, f), f"metrics.{bg}.{m}", higher_is_better=False,
                            label=f"{bg} {m}, real fraction {_pct(f)}{suffix}", fixed=fx)
            for m in ("grad", "conn"):
                compare(syn_part, records, syn, _at(real, 1.0), f"metrics.{bg}.{m}", higher_is_better=False,
                        label=f"{bg} {m}{suffix}", fixed=fx)
    rule = (
        "background matting, done runs with adapter none"
        + (f" and refine_mattes={refine_default} (the notebook's default)" if fixed else "")
        + ": (a) mixed vs real_only at every real fraction both ran, on MSE, SAD, Grad and Conn (lower is better), "
        "(b) synthetic_only vs real_only (100 %) on Grad and Conn; each on both background sets (bg_train, bg_photo). "
        f"Both parts must hold. Per point: {SIGN_RULE}"
    )
    return _verdict(4, rule, [helps, syn_part], notes)


def claim5(records: pd.DataFrame) -> Verdict:
    ft = arm(LMK, "finetune", schedule="finetune")
    parts = []
    for name in ADAPTERS:
        part = Part(f"finetune vs mixed + {name}")
        ad = arm(LMK, f"mixed + {name}", schedule="mixed", adapter=name)
        for f in real_fractions(records, ft, ad):
            compare(part, records, _at(ft, f), _at(ad, f), "metrics.test.nme", higher_is_better=False,
                    label=f"{name}, real fraction {_pct(f)}, test NME")
        parts.append(part)
    rule = (
        "facial landmarks: finetune vs mixed with each of AdaBN, DSBN and DSON (one part each) at every real "
        f"fraction both ran, on test NME (lower is better). Every adapter must lose. Per point: {SIGN_RULE}"
    )
    return _verdict(5, rule, parts)


def evaluate_claims(records: pd.DataFrame, defaults: Mapping[str, Mapping[str, Any]] | None = None) -> list[Verdict]:
    """The five verdicts from done-run records (``store.load_records``); ``defaults`` = case -> notebook
    defaults (see :func:`notebook_defaults`), used for background matting's ``refine_mattes``."""
    refine = (defaults or {}).get(MAT, {}).get("refine_mattes")
    fns: list[Callable[[pd.DataFrame], Verdict]] = [claim1, claim2, claim3, lambda r: claim4(r, refine), claim5]
    return [fn(records) for fn in fns]


def notebook_defaults(notebooks_dir: str | Path) -> dict[str, dict[str, Any]]:
    """case -> {parameter: default} read from each case notebook's ``parameters`` cell (cases found only)."""
    from casestudies import CASES
    from casestudies.params import ParameterError, parameters_cell

    out: dict[str, dict[str, Any]] = {}
    for case in CASES:
        hits = sorted(Path(notebooks_dir).glob(f"*_{case}.py"))
        if hits:
            try:
                out[case] = {k: p.default for k, p in parameters_cell(hits[0]).items()}
            except ParameterError:
                continue
    return out


# ----------------------------------------------------------------------------------------------
# Display


def _num(x: Any) -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "–" if math.isnan(x) else f"{x:.4g}"


def evidence_table(v: Verdict) -> pd.DataFrame:
    """The evidence, formatted: point, n seeds, both arms' means, mean gain and its 95 % interval, side."""
    e = v.evidence
    if e.empty:
        return pd.DataFrame({"point": ["(no paired runs)"]})
    out = pd.DataFrame({
        "part": e["part"], "point": e["point"], "n seeds": e["n seeds"],
        "claimed (mean)": [f"{c}: {_num(m)}" for c, m in zip(e["claimed"], e["claimed mean"])],
        "baseline (mean)": [f"{c}: {_num(m)}" for c, m in zip(e["baseline"], e["baseline mean"])],
        "difference (+ = claimed side)": [_num(g) for g in e["difference"]],
        "95 % CI": [f"[{_num(lo)}, {_num(hi)}]" for lo, hi in zip(e["ci low"], e["ci high"])],
        "side": e["side"],
    })
    return out


def show(v: Verdict) -> None:
    """Display one verdict in the report: anchored heading, verdict, rule, parts, notes, evidence table."""
    import html

    from IPython.display import HTML, Markdown, display

    display(HTML(f'<h3 id="{v.anchor}">Claim {v.number}: {html.escape(v.claim)}</h3>'))
    parts = "; ".join(f"{name}: *{verdict}*" for name, verdict in v.parts.items())
    lines = [f"**Verdict: {v.verdict}.** Parts: {parts}.", "", f"Rule: {v.rule}"]
    if v.flattened:
        lines += ["", f"**{v.flattened}**"]
    lines += [""] + [f"- {n}" for n in v.notes]
    display(Markdown("\n".join(lines)))
    display(HTML(evidence_table(v).to_html(index=False, border=0, classes="evidence")))
