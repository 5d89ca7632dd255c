"""The whitepaper's face-segmentation section, drawn from run records only (no torch).

Records are ``load_records`` rows of the case (``params.*``, ``metrics.test_a.miou``, ...,
``metrics.train.*``, ``extra.confusion.test_a`` ...). Seeds are replicates: every cell is the mean
over seeds with a 95 % Student-t interval (``aggregate.ci95``). Gaps and differences are *paired
per seed* (the same seed gives the same real subset and initialisation in every schedule), so their
intervals are those of the per-seed differences.

The tables are plain functions returning DataFrames (tested); :func:`show_section` displays them
with the figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from casestudies.aggregate import ci95, is_standin

CASE = "face_segmentation"
CLASSES = ("background", "skin", "left_eye", "right_eye", "nose", "upper_lip", "inner_mouth", "lower_lip", "hair")
FRACTIONS = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0)
TESTS = {"test_a": "real A", "test_b": "real B"}
SOURCE_NAMES = {"test_a": "CelebAMask-HQ", "test_b": "LaPa"}
# The source whitepaper's mIoU (Synthesis AI, "Synthetic Data Case Studies: It Just Works"), trained on
# CelebAMask-HQ, DeepLabV3+ / DRN, 256 px; real fraction -> value (see /work/shared/SOURCE-FACTS.md).
SOURCE_TABLE: dict[tuple[str, str], dict[float, float]] = {
    ("test_a", "real only"): {0.05: 0.8367, 0.1: 0.8435, 0.25: 0.8495, 0.5: 0.8524, 1.0: 0.8618},
    ("test_a", "syn + real"): {0.0: 0.7661, 0.05: 0.8460, 0.1: 0.8503, 0.25: 0.8562, 0.5: 0.8608, 1.0: 0.8648},
    ("test_b", "real only"): {0.05: 0.6898, 0.1: 0.6927, 0.25: 0.7051, 0.5: 0.6972, 1.0: 0.7185},
    ("test_b", "syn + real"): {0.0: 0.6955, 0.05: 0.7237, 0.1: 0.7337, 0.25: 0.7384, 0.5: 0.7323, 1.0: 0.7360},
}
# the source's relative drops from the in-domain model (%): test set -> model -> drop
SOURCE_DROPS = {
    "test_a": {"synthetic only": 9.6, "other real": 9.2},
    "test_b": {"synthetic only": 16.8, "other real": 14.4},
}
OTHER = {"a": "b", "b": "a"}


# ----------------------------------------------------------------------------------------------
# selection


def _col(df: pd.DataFrame, name: str, default: Any) -> pd.Series:
    return df[name] if name in df else pd.Series(default, index=df.index)


def runs(
    df: pd.DataFrame, schedule: str, *, adapter: str = "none", train_real: str | None = "a",
    fraction: float | None = None,
) -> pd.DataFrame:
    """Done runs of one setting (``train_real=None``: any; ``fraction=None``: any)."""
    keep = (_col(df, "params.schedule", "") == schedule) & (_col(df, "params.adapter", "none") == adapter)
    if train_real is not None and schedule != "synthetic_only":
        keep &= _col(df, "params.train_real", "a") == train_real
    if fraction is not None:
        keep &= np.isclose(_col(df, "params.real_fraction", np.nan).astype(float), fraction)
    return df[keep]


def per_seed(part: pd.DataFrame, metric: str) -> pd.Series:
    """``metric`` by seed (mean if a seed repeats)."""
    if part.empty or metric not in part:
        return pd.Series(dtype=float)
    return part.groupby("params.seed")[metric].mean().astype(float)


def cell(values: pd.Series) -> dict[str, float]:
    v = values.dropna().astype(float)
    return {"mean": float(v.mean()) if len(v) else math.nan, "ci95": ci95(v), "n": int(len(v))}


def fmt(c: dict[str, float], digits: int = 3, pct: bool = False) -> str:
    if not c or c["n"] == 0 or math.isnan(c["mean"]):
        return "–"
    scale, unit = (100.0, " %") if pct else (1.0, "")
    text = f"{c['mean'] * scale:.{digits}f}"
    if not math.isnan(c["ci95"]):
        text += f" ± {c['ci95'] * scale:.{digits}f}"
    return text + unit + f" (n={c['n']})"


def not_flattened(part: pd.DataFrame) -> int:
    """Runs whose validation curve was still improving (``metrics.train.flattened`` is False)."""
    if "metrics.train.flattened" not in part:
        return 0
    return int((part["metrics.train.flattened"] == False).sum())  # noqa: E712 - None means "cannot judge"


# ----------------------------------------------------------------------------------------------
# 1. the ratio table


def fractions_in(df: pd.DataFrame) -> list[float]:
    vals = sorted({float(f) for f in _col(df, "params.real_fraction", np.nan).dropna()})
    return vals or list(FRACTIONS)


def ratio_cells(df: pd.DataFrame, test: str) -> dict[tuple[str, float], tuple[dict[str, float], int]]:
    """(row, fraction) -> (mIoU cell, not-flattened runs); rows ``real only`` and ``syn + real``
    (at 0 %: the ``synthetic_only`` runs), trained on real A, no adapter."""
    metric = f"metrics.{test}.miou"
    out = {}
    for r in fractions_in(df):
        if r > 0:
            part = runs(df, "real_only", fraction=r)
            out[("real only", r)] = (cell(per_seed(part, metric)), not_flattened(part))
        part = runs(df, "synthetic_only") if r == 0 else runs(df, "mixed", fraction=r)
        out[("syn + real", r)] = (cell(per_seed(part, metric)), not_flattened(part))
    return out


def ratio_table(df: pd.DataFrame, with_source: bool = True) -> pd.DataFrame:
    """The source's table shape: rows (test set, training, ours / source), columns by real fraction.

    Our cells: mIoU mean ± 95 % CI (n seeds), ``†`` when some run's curve had not flattened.
    """
    rows = []
    fr = fractions_in(df)
    data = df_sources(df)
    for test, label in TESTS.items():
        cells = ratio_cells(df, test)
        for training in ("real only", "syn + real"):
            ours = {"test set": f"{label} ({data.get(test, '?')})", "training": training, "numbers": "ours"}
            src = {"test set": f"{label} ({data.get(test, '?')})", "training": training,
                   "numbers": f"source ({SOURCE_NAMES[test]})"}
            for r in fr:
                key = f"{r:.0%}"
                c, nf = cells.get((training, r), ({}, 0))
                ours[key] = fmt(c, 3) + (" †" if nf else "") if c else "–"
                v = SOURCE_TABLE[(test, training)].get(r)
                src[key] = "–" if v is None else f"{v:.4f}"
            rows.append(ours)
            if with_source:
                rows.append(src)
    return pd.DataFrame(rows)


def df_sources(df: pd.DataFrame) -> dict[str, str]:
    """Test set -> short data description from the records (``data.test_a``), stand-ins flagged."""
    out = {}
    for test in TESTS:
        col = f"data.{test}"
        if col in df and df[col].notna().any():
            text = str(df[col].dropna().iloc[0]).replace(" (TEST split)", "")
            out[test] = text.split(" (")[0] + (" stand-in" if is_standin(text) else "")
    return out


# ----------------------------------------------------------------------------------------------
# 2. domain gaps (paired per seed)


def gap_models(test: str) -> dict[str, tuple[str, str]]:
    """Model label -> (schedule, train_real) compared on ``test``; the first is the in-domain model."""
    own = test[-1]
    other = OTHER[own]
    return {
        "in-domain": ("real_only", own),
        "other real": ("real_only", other),
        "synthetic only": ("synthetic_only", own),
        "syn-pretrained, fine-tuned on other real": ("finetune", other),
        "syn-pretrained, fine-tuned in-domain": ("finetune", own),
    }


def gap_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per test set and model: mIoU, and the relative drop from the in-domain model (per seed:
    ``(in-domain - model) / in-domain``, then mean ± 95 % CI over seeds); all at 100 % real."""
    rows = []
    for test in TESTS:
        metric = f"metrics.{test}.miou"
        models = gap_models(test)
        base = per_seed(runs(df, "real_only", train_real=test[-1], fraction=1.0), metric)
        for label, (schedule, train_real) in models.items():
            frac = None if schedule == "synthetic_only" else 1.0
            part = runs(df, schedule, train_real=train_real, fraction=frac)
            vals = per_seed(part, metric)
            drop = ((base - vals) / base).dropna() if label != "in-domain" else pd.Series(dtype=float)
            rows.append({
                "test": test, "model": label, "miou": cell(vals), "drop": cell(drop),
                "source_drop_pct": SOURCE_DROPS[test].get(label), "not_flattened": not_flattened(part),
            })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# 3. fine-tune vs hybrid, 5. adabn: paired differences


def paired_difference(df: pd.DataFrame, a: dict[str, Any], b: dict[str, Any], metric: str,
                      fractions: Sequence[float]) -> pd.DataFrame:
    """Per fraction: mean ± CI of ``a``, of ``b`` and of the per-seed difference ``a - b``."""
    rows = []
    for r in fractions:
        va = per_seed(runs(df, fraction=r, **a), metric)
        vb = per_seed(runs(df, fraction=r, **b), metric)
        rows.append({"real_fraction": r, "a": cell(va), "b": cell(vb), "a_minus_b": cell((va - vb).dropna())})
    return pd.DataFrame(rows)


def finetune_vs_mixed(df: pd.DataFrame, test: str) -> pd.DataFrame:
    fr = [r for r in fractions_in(df) if r > 0]
    return paired_difference(df, {"schedule": "finetune"}, {"schedule": "mixed"}, f"metrics.{test}.miou", fr)


def adabn_vs_mixed(df: pd.DataFrame, test: str) -> pd.DataFrame:
    fr = sorted({float(f) for f in runs(df, "mixed", adapter="adabn")["params.real_fraction"]}) if \
        "params.real_fraction" in df else []
    return paired_difference(df, {"schedule": "mixed", "adapter": "adabn"}, {"schedule": "mixed"},
                             f"metrics.{test}.miou", fr)


# ----------------------------------------------------------------------------------------------
# 4. per class


def per_class(df: pd.DataFrame, test: str, kind: str = "iou") -> pd.DataFrame:
    """Rows = classes, columns = the cross-domain models (and in-domain for reference): mean over seeds."""
    out = {}
    for label in ("in-domain", "other real", "synthetic only"):
        schedule, train_real = gap_models(test)[label]
        part = runs(df, schedule, train_real=train_real, fraction=None if schedule == "synthetic_only" else 1.0)
        out[label] = {c: cell(per_seed(part, f"metrics.{test}.{kind}.{c}")) for c in CLASSES}
    return pd.DataFrame(out)


def summed_confusion(part: pd.DataFrame, test: str) -> np.ndarray | None:
    """Confusion (rows = target) summed over the runs (seeds) of ``part``; None if none recorded."""
    col = f"extra.confusion.{test}"
    if col not in part:
        return None
    mats = [np.asarray(m, dtype=np.float64) for m in part[col] if isinstance(m, (list, np.ndarray))]
    return np.sum(mats, axis=0) if mats else None


def row_normalised(conf: np.ndarray) -> np.ndarray:
    rows = conf.sum(1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, conf / rows, np.nan)


# ----------------------------------------------------------------------------------------------
# budget


def budget_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per schedule (and adapter, training set): runs, steps, images seen, runs not flattened."""
    rows = []
    keys = ["params.schedule", "params.adapter", "params.train_real"]
    keys = [k for k in keys if k in df]
    for key, part in df.groupby(keys, dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = {k.removeprefix("params."): v for k, v in zip(keys, key)}
        steps = sorted({int(s) for s in _col(part, "metrics.train.steps", np.nan).dropna()})
        images = _col(part, "metrics.train.images_seen", np.nan).dropna()
        judged = int(_col(part, "metrics.train.flattened", None).notna().sum())
        row.update({
            "runs": len(part),
            "optimizer steps": ", ".join(map(str, steps)) or "?",
            "images seen": f"{int(images.min())}–{int(images.max())}" if len(images) else "?",
            "not flattened": f"{not_flattened(part)} of {judged} judged",
        })
        rows.append(row)
    return pd.DataFrame(rows)


def budget_line(df: pd.DataFrame) -> str:
    steps = sorted({int(s) for s in _col(df, "metrics.train.steps", np.nan).dropna()})
    bs = sorted({int(b) for b in _col(df, "params.batch_size", np.nan).dropna()})
    size = sorted({int(b) for b in _col(df, "params.image_size", np.nan).dropna()})
    enc = sorted({str(e) for e in _col(df, "params.encoder", "?").dropna()})
    seeds = sorted({int(s) for s in _col(df, "params.seed", np.nan).dropna()})
    nf = not_flattened(df)
    tol = _col(df, "metrics.train.flatten_tol", np.nan).dropna()
    tol_text = f"{float(tol.iloc[0]):.0%}" if len(tol) else "?"
    return (
        f"**Training budget:** {', '.join(map(str, steps))} optimizer steps per run at batch size "
        f"{', '.join(map(str, bs))} ({', '.join(map(str, size))} px, DeepLabV3+ / {', '.join(enc)}, random init), "
        f"{len(seeds)} seeds ({', '.join(map(str, seeds))}). **{nf} of {len(df)} runs had not flattened** "
        f"(validation mIoU still rising by more than {tol_text} over the last quarter of training; marked †): "
        "short training is not a converged result. The learning rate decays to zero along a cosine, so a flat "
        "last quarter is weak evidence of convergence: read the per-class IoU, where small classes (eyes, lips) "
        "show how far training got."
    )


# ----------------------------------------------------------------------------------------------
# figures


def _plt():
    import matplotlib.pyplot as plt

    return plt


def gap_figure(gaps: pd.DataFrame):
    plt = _plt()
    fig, axes = plt.subplots(1, len(TESTS), figsize=(10, 3.4), squeeze=False)
    for ax, test in zip(axes[0], TESTS):
        part = gaps[(gaps["test"] == test) & gaps["miou"].map(lambda c: c["n"] > 0)]
        labels = list(part["model"])
        means = [c["mean"] for c in part["miou"]]
        errs = [0 if math.isnan(c["ci95"]) else c["ci95"] for c in part["miou"]]
        bars = ax.bar(range(len(labels)), means, yerr=errs, capsize=3,
                      color=["#4c72b0", "#dd8452", "#55a868", "#8172b3", "#937860"][: len(labels)])
        for b, d in zip(bars, part["drop"]):
            if d["n"]:
                # relative change from the in-domain model: a drop shows as negative
                ax.annotate(f"{-d['mean'] * 100:+.1f} %", (b.get_x() + b.get_width() / 2, b.get_height()),
                            xytext=(0, 4), textcoords="offset points", ha="center", fontsize=7)
        ax.set_xticks(range(len(labels)), [lbl.replace(", ", ",\n") for lbl in labels], fontsize=6, rotation=20)
        ax.set_title(f"{TESTS[test]} test split ({SOURCE_NAMES[test]}'s role)", fontsize=9)
        ax.set_ylabel("mIoU (mean ± 95 % CI)")
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


def fraction_figure(df: pd.DataFrame):
    plt = _plt()
    fig, axes = plt.subplots(1, len(TESTS), figsize=(10, 3.2), squeeze=False)
    series = {"real only": ("real_only", "none"), "mixed (syn + real)": ("mixed", "none"),
              "fine-tune (syn pretrain -> real)": ("finetune", "none"), "mixed + AdaBN": ("mixed", "adabn")}
    fr = [r for r in fractions_in(df) if r > 0]
    for ax, test in zip(axes[0], TESTS):
        for label, (schedule, adapter) in series.items():
            cells = [cell(per_seed(runs(df, schedule, adapter=adapter, fraction=r), f"metrics.{test}.miou")) for r in fr]
            xs = [r for r, c in zip(fr, cells) if c["n"]]
            if not xs:
                continue
            ys = [c["mean"] for c in cells if c["n"]]
            es = [0 if math.isnan(c["ci95"]) else c["ci95"] for c in cells if c["n"]]
            ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=label)
        syn = cell(per_seed(runs(df, "synthetic_only"), f"metrics.{test}.miou"))
        if syn["n"]:
            ax.axhline(syn["mean"], color="gray", ls="--", lw=1, label="synthetic only")
        ax.set_xscale("log")
        ax.set_xticks(fr, [f"{r:.0%}" for r in fr])
        ax.set(xlabel="real fraction (of real A's train split)", ylabel="mIoU (mean ± 95 % CI)",
               title=f"{TESTS[test]} test split")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def per_class_figure(df: pd.DataFrame):
    plt = _plt()
    fig, axes = plt.subplots(2, len(TESTS), figsize=(11, 5.2), squeeze=False)
    for j, test in enumerate(TESTS):
        for i, kind in enumerate(("iou", "f1")):
            ax = axes[i, j]
            table = per_class(df, test, kind)
            x = np.arange(len(CLASSES))
            w = 0.8 / len(table.columns)
            for k, col in enumerate(table.columns):
                means = [table.loc[c, col]["mean"] for c in CLASSES]
                errs = [0 if math.isnan(table.loc[c, col]["ci95"]) else table.loc[c, col]["ci95"] for c in CLASSES]
                ax.bar(x + k * w, means, w, yerr=errs, capsize=2, label=col)
            ax.set_xticks(x + w, [c.replace("_", " ") for c in CLASSES], rotation=30, fontsize=7)
            ax.set(ylim=(0, 1), ylabel=f"{kind.upper()} (mean ± 95 % CI)", title=f"{TESTS[test]} test split: {kind.upper()}")
            ax.grid(alpha=0.3, axis="y")
            ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def confusion_figure(df: pd.DataFrame):
    """Row-normalised confusion (summed over seeds) of the two cross-domain models on each test set."""
    plt = _plt()
    models = ("other real", "synthetic only")
    fig, axes = plt.subplots(len(TESTS), len(models), figsize=(8, 7.4), squeeze=False)
    names = [c.replace("_", " ") for c in CLASSES]
    for i, test in enumerate(TESTS):
        for j, label in enumerate(models):
            schedule, train_real = gap_models(test)[label]
            part = runs(df, schedule, train_real=train_real, fraction=None if schedule == "synthetic_only" else 1.0)
            conf = summed_confusion(part, test)
            ax = axes[i, j]
            if conf is None:
                ax.set_axis_off()
                ax.set_title(f"{TESTS[test]}: {label}: no runs", fontsize=8)
                continue
            norm = row_normalised(conf)
            ax.imshow(norm, vmin=0, vmax=1, cmap="Blues")
            for (r, c), v in np.ndenumerate(norm):
                if not math.isnan(v) and v >= 0.05:
                    ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=5,
                            color="white" if v > 0.6 else "black")
            ax.set_xticks(range(len(names)), names, rotation=90, fontsize=6)
            ax.set_yticks(range(len(names)), names, fontsize=6)
            ax.set_xlabel("predicted", fontsize=7)
            ax.set_ylabel("target", fontsize=7)
            ax.set_title(f"{TESTS[test]} test: {label} ({len(part)} runs)", fontsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------------------------
# display


def _diff_table(t: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    return pd.DataFrame({
        "real fraction": [f"{r:.0%}" for r in t["real_fraction"]],
        a: [fmt(c) for c in t["a"]],
        b: [fmt(c) for c in t["b"]],
        f"{a} − {b} (paired per seed)": [fmt(c) for c in t["a_minus_b"]],
    })


def show_section(records: pd.DataFrame, failed: pd.DataFrame, profile: str, run_pages: str) -> None:
    """Display the section: data, budget, ratio table, gaps, fine-tune vs hybrid, per class, AdaBN."""
    from IPython.display import HTML, Markdown, display

    from casestudies.reportparts import show_figure

    df = records
    data = df_sources(df)
    standin = any(is_standin(v) for v in data.values())
    seeds = sorted({int(s) for s in _col(df, "params.seed", np.nan).dropna()})
    display(Markdown(
        f"Profile `{profile}`: {len(df)} done runs" + (f", **{len(failed)} failed** (listed below)" if len(failed) else "")
        + f". Real A (tests in-domain): **{data.get('test_a', '?')}**; real B (cross-domain): "
        f"**{data.get('test_b', '?')}**; every number is measured on their held-out TEST splits."
        + (" The real sets here are **generator stand-ins, not real data**: they measure a "
           "synthetic-to-stand-in gap that only approximates the synthetic-to-real gap." if standin else "")
    ))
    display(Markdown(budget_line(df)))

    display(Markdown(
        "### Ratio table\n"
        f"mIoU trained on real A at each real fraction, once real-only and once with the whole synthetic set "
        f"added (0 %: synthetic only), mean ± 95 % CI over {len(seeds)} seeds, tested on both real TEST splits. "
        "Beside each row of ours: the **source whitepaper's** number (CelebAMask-HQ / LaPa, DRN-D, 256 px, "
        "200k synthetic images) — a reference for the shape of the effect, not a like-for-like comparison. "
        "Look at whether *syn + real* is above *real only* in each column (claim 1)."
    ))
    display(HTML(ratio_table(df).to_html(index=False, border=0, classes="summary")))

    gaps = gap_table(df)
    display(Markdown(
        "### Domain gaps\n"
        "Each real TEST split, scored by its in-domain model (real-only on its own train split, 100 %), the model "
        "trained on the other real set, the synthetic-only model, and synthetic-pretrained models fine-tuned on the "
        "other / the same real set. Labels: relative drop from the in-domain model, paired per seed. "
        "Claim 2 says the synthetic drop is about the real-to-real drop."
    ))
    show_figure(gap_figure(gaps), f"{CASE}_gaps")
    gap_show = pd.DataFrame({
        "test split": [TESTS[t] for t in gaps["test"]],
        "model": gaps["model"],
        "mIoU": [fmt(c) for c in gaps["miou"]],
        "drop from in-domain": [fmt(c, 1, pct=True) if c["n"] else "–" for c in gaps["drop"]],
        "source's drop": [f"{v:.1f} %" if v is not None and not pd.isna(v) else "–" for v in gaps["source_drop_pct"]],
        "not flattened": gaps["not_flattened"],
    })
    display(HTML(gap_show.to_html(index=False, border=0, classes="summary")))

    display(Markdown(
        "### Fine-tuning vs hybrid training, at every fraction\n"
        "`finetune` (synthetic pretraining, then real A's subset; the same total steps) against `mixed`, "
        "with real-only and mixed + AdaBN for reference. Claim 3 says fine-tuning wins; the table gives the "
        "per-seed paired difference at each fraction."
    ))
    show_figure(fraction_figure(df), f"{CASE}_fractions")
    for test in TESTS:
        display(Markdown(f"**{TESTS[test]} test split**"))
        display(HTML(_diff_table(finetune_vs_mixed(df, test), "finetune", "mixed").to_html(index=False, border=0)))

    display(Markdown(
        "### Per class, cross-domain\n"
        "Per-class IoU and F1 (mean ± 95 % CI over seeds, 100 % real) of the synthetic-only model and the "
        "other-real model on each test split, the in-domain model for reference; below, their confusion "
        "matrices (summed over seeds, each row normalised to the target class's pixels). The source saw "
        "synthetic better on eyes and lips, worse on nose and hair."
    ))
    show_figure(per_class_figure(df), f"{CASE}_per_class")
    show_figure(confusion_figure(df), f"{CASE}_confusion")

    display(Markdown(
        "### Batch-norm adaptation (AdaBN) on the hybrid set\n"
        "`mixed` + AdaBN (BN statistics re-estimated on real A's training subset after training) against plain "
        "`mixed`, paired per seed. The source tried adaptation here and saw no gain."
    ))
    for test in TESTS:
        t = adabn_vs_mixed(df, test)
        if t.empty:
            display(Markdown("No AdaBN runs."))
            break
        display(Markdown(f"**{TESTS[test]} test split**"))
        display(HTML(_diff_table(t, "mixed + AdaBN", "mixed").to_html(index=False, border=0)))

    display(Markdown("### Training budget per schedule"))
    display(HTML(budget_table(df).to_html(index=False, border=0, classes="summary")))
