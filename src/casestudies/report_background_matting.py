"""The whitepaper's background-matting section, drawn from run records only (no torch).

``show_section(records, failed, profile, run_pages)`` displays: the training budget, bar plots of every
metric on both background sets per model (mean and 95 % t-interval over seeds), the batch-norm
adaptation variants, the matte-refinement comparison (label quality and trained models), fine-tuning,
the trivial baseline and the gallery of predicted mattes on hair. Metric values are shown unscaled
(SAD, Grad and Conn are sums over the unknown band at the run's image size, MSE and MAE means over it).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from casestudies.aggregate import format_summary, summary_table
from casestudies.reportparts import show_figure

BG_SETS = {"bg_train": "training-style backgrounds", "bg_photo": "held-out photographs"}
METRICS = ("mse", "sad", "mae", "grad", "conn", "iou")
HIGHER_IS_BETTER = {"iou"}
MAIN_MODELS = ("real_only", "synthetic_only", "mixed", "mixed+adabn", "mixed+dsbn", "mixed+dson", "finetune")
SCHEDULE_ORDER = {name: i for i, name in enumerate(MAIN_MODELS)}


def model_label(row: pd.Series) -> str:
    """``schedule[+adapter]``, with `` (rough mattes)`` when real mattes were not refined."""
    label = str(row.get("params.schedule"))
    adapter = row.get("params.adapter")
    if isinstance(adapter, str) and adapter != "none":
        label += f"+{adapter}"
    refined = row.get("params.refine_mattes")
    if refined is not None and refined == refined and not bool(refined) and label != "synthetic_only":
        label += " (rough mattes)"
    return label


def with_models(records: pd.DataFrame) -> pd.DataFrame:
    df = records.copy()
    df["model"] = df.apply(model_label, axis=1) if not df.empty else pd.Series(dtype=str)
    return df


def _order(labels: list[str]) -> list[str]:
    return sorted(labels, key=lambda s: (SCHEDULE_ORDER.get(s.split(" ")[0], 99), s))


def metric_table(df: pd.DataFrame, bg: str, models: list[str] | None = None) -> pd.DataFrame:
    """Mean, 95 % CI and seed count per model for every metric on background set ``bg``."""
    cols = [f"metrics.{bg}.{m}" for m in METRICS if f"metrics.{bg}.{m}" in df.columns]
    part = df if models is None else df[df["model"].isin(models)]
    if part.empty or not cols:
        return pd.DataFrame()
    table = summary_table(part, group_by=["model"], metrics=cols)
    order = {m: i for i, m in enumerate(_order(list(table["model"])))}
    return table.sort_values("model", key=lambda s: s.map(order)).reset_index(drop=True)


def budget_line(df: pd.DataFrame) -> str:
    """Steps and images seen per run, and how many runs' validation curves had flattened."""
    steps = sorted({int(s) for s in df.get("metrics.train.steps", pd.Series(dtype=float)).dropna()})
    images = sorted({int(s) for s in df.get("metrics.train.images_seen", pd.Series(dtype=float)).dropna()})
    flat = df.get("metrics.train.flattened", pd.Series(dtype=object))
    judged = flat.dropna()
    n_flat = int(judged.astype(bool).sum())
    tol = df.get("metrics.train.flatten_tol", pd.Series([0.02])).dropna()
    tol_s = f"{100 * float(tol.iloc[0]):.0f} %" if len(tol) else "2 %"
    size = sorted({int(s) for s in df.get("params.image_size", pd.Series(dtype=float)).dropna()})
    return (
        f"Training budget: {', '.join(map(str, steps)) or '?'} optimizer steps per run "
        f"({', '.join(map(str, images)) or '?'} composites seen), at {', '.join(map(str, size))} px. "
        f"{n_flat} of {len(judged)} runs had flattened (validation MSE improved by at most {tol_s} over the "
        f"last quarter of training); the others were still improving, so their numbers are not converged."
    )


def not_flattened(df: pd.DataFrame) -> pd.DataFrame:
    """Per model: runs whose curve had not flattened (``flattened`` is False)."""
    if "metrics.train.flattened" not in df.columns:
        return pd.DataFrame(columns=["model", "not_flattened", "runs"])
    g = df.groupby("model")["metrics.train.flattened"]
    out = pd.DataFrame({"not_flattened": g.apply(lambda s: int((s == False).sum())), "runs": g.size()})  # noqa: E712
    return out.reset_index()


def bar_figure(df: pd.DataFrame, models: list[str], title: str):  # -> matplotlib Figure
    """One bar per model for every metric (columns) and background set (rows), 95 % CI error bars."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(BG_SETS), len(METRICS), figsize=(2.6 * len(METRICS), 2.6 * len(BG_SETS)),
                             squeeze=False)
    colours = plt.get_cmap("tab10")
    for r, (bg, bg_name) in enumerate(BG_SETS.items()):
        table = metric_table(df, bg, models)
        for c, m in enumerate(METRICS):
            ax = axes[r][c]
            col = f"metrics.{bg}.{m}"
            if table.empty or f"{col}.mean" not in table.columns:
                ax.set_axis_off()
                continue
            means = table[f"{col}.mean"].to_numpy()
            ci = [0.0 if math.isnan(v) else v for v in table[f"{col}.ci95"]]
            ax.bar(range(len(table)), means, yerr=ci, capsize=3,
                   color=[colours(i % 10) for i in range(len(table))])
            ax.set_xticks(range(len(table)))
            ax.set_xticklabels(table["model"], rotation=60, ha="right", fontsize=7)
            arrow = "higher is better" if m in HIGHER_IS_BETTER else "lower is better"
            ax.set_title(f"{m.upper()} ({arrow})\n{bg_name}", fontsize=8)
            ax.tick_params(axis="y", labelsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def label_quality_table(df: pd.DataFrame) -> pd.DataFrame:
    """Training-label quality against the exact alpha (stand-in only): rough vs refined SAD and Grad."""
    rows = []
    for variant in ("rough", "refined"):
        row: dict[str, Any] = {"labels": variant}
        for m in ("sad", "grad"):
            col = f"metrics.labels.{variant}.{m}"
            if col not in df.columns or df[col].dropna().empty:
                return pd.DataFrame()
            row[m] = float(df[col].dropna().iloc[0])  # one labelled set: the same in every run
        rows.append(row)
    return pd.DataFrame(rows)


def baseline_table(df: pd.DataFrame) -> pd.DataFrame:
    """The trivial baseline's metrics (thresholded background difference) on both background sets."""
    rows = []
    for bg in BG_SETS:
        cols = {m: f"metrics.baseline.{bg}.{m}" for m in METRICS}
        if not all(c in df.columns for c in cols.values()):
            continue
        rows.append({"backgrounds": bg, **{m: float(df[c].dropna().iloc[0]) for m, c in cols.items()}})
    return pd.DataFrame(rows)


def gallery_html(df: pd.DataFrame, models: list[str]) -> str:
    """One row per model: its first seed's predicted hair crops, composited on a new background."""
    col = "metrics.gallery.bg_photo"
    if col not in df.columns:
        return ""
    rows = []
    for model in models:
        part = df[df["model"] == model].sort_values("params.seed")
        imgs = next((g for g in part[col] if isinstance(g, list) and g), None)
        if not imgs:
            continue
        tags = "".join(
            f'<img src="data:image/png;base64,{b}" style="width:128px;image-rendering:pixelated;margin:2px">'
            for b in imgs
        )
        rows.append(f"<tr><td style='padding-right:8px'><code>{model}</code></td><td>{tags}</td></tr>")
    return "<table>" + "".join(rows) + "</table>" if rows else ""


def _show_table(table: pd.DataFrame, digits: int = 4) -> None:
    from IPython.display import HTML, display

    if not table.empty:
        display(HTML(format_summary(table, digits=digits).to_html(index=False)))


def show_section(records: pd.DataFrame, failed: pd.DataFrame, profile: str, run_pages: str) -> None:
    """Display the matting section (see the module docstring) from this case's done runs."""
    from IPython.display import HTML, Markdown, display

    df = with_models(records)
    seeds = sorted({int(s) for s in df["params.seed"].dropna()}) if "params.seed" in df.columns else []
    sources = {c.removeprefix("data."): df[c].dropna().iloc[0] for c in df.columns
               if c.startswith("data.") and not df[c].dropna().empty}
    data_line = "; ".join(f"{k}: {v}" for k, v in sources.items())
    budget = budget_line(df)
    display(Markdown(
        f"Profile `{profile}`, {len(df)} runs, seeds {seeds}. Data: {data_line}. {budget} "
        f"Metrics are unscaled: SAD, Grad and Conn are sums over the evaluation trimap's unknown band, MSE "
        f"and MAE means over it, IoU of alpha > 0.5 over the whole image. {len(failed)} failed runs."
    ))
    present = _order(list(df["model"].unique()))
    main = [m for m in present if m in MAIN_MODELS]

    # 1. the four (+2) models on both background sets
    display(Markdown("### Real, synthetic, mixed and batch-norm adapted models"))
    show_figure(bar_figure(df, main, "Test metrics per model (mean and 95 % interval over seeds)"),
                "background_matting_models")
    display(Markdown(
        f"*Each bar: mean over seeds {seeds} of one model's test metric on held-out composites (95 % "
        "t-interval); top row on training-style backgrounds, bottom row on held-out photographs. Look at "
        f"whether synthetic_only beats real_only on Grad and Conn, and whether mixing helps.* {budget}"
    ))
    for bg, name in BG_SETS.items():
        display(Markdown(f"**{name} (`{bg}`)**"))
        _show_table(metric_table(df, bg, main))
    display(Markdown("Runs whose validation curve had not flattened, per model:"))
    display(HTML(not_flattened(df).to_html(index=False)))
    base = baseline_table(df)
    if not base.empty:
        display(Markdown("**Trivial baseline** (alpha = 1 where the image differs from the plate by more than "
                         "a threshold; same test composites):"))
        display(HTML(base.to_html(index=False, float_format=lambda v: f"{v:.4f}")))

    # 2. DA variants
    da = [m for m in present if m.startswith("mixed")]
    if da:
        display(Markdown("### Batch-norm adaptation of the mixed model"))
        display(Markdown("*AdaBN re-estimates BN statistics on the real training images; DSBN keeps per-domain "
                         "BN layers; DSON mixes batch and instance statistics per domain. The whitepaper describes "
                         f"DSBN and DSON and reports neither.* {budget}"))
        _show_table(metric_table(df, "bg_photo", [m for m in da if "rough" not in m]))

    # 3. refinement
    display(Markdown("### Matte refinement"))
    labels = label_quality_table(df)
    if not labels.empty:
        display(Markdown("*Training labels against the stand-in's exact alpha (mean per image, in the exact "
                         "alpha's unknown band): how much closer closed-form refinement brings the rough mattes "
                         "to the truth (lower is better).*"))
        display(HTML(labels.to_html(index=False, float_format=lambda v: f"{v:.2f}")))
    refine_models = [m for m in present if m.startswith(("real_only", "mixed (rough"))
                     or m in ("mixed",)]
    if any("rough" in m for m in refine_models):
        show_figure(bar_figure(df, refine_models, "Refined vs rough real mattes"), "background_matting_refinement")
        display(Markdown(f"*Models trained on refined vs original (rough) real mattes, seeds {seeds}.* {budget}"))

    # 4. fine-tuning
    ft = [m for m in present if m in ("real_only", "mixed", "finetune")]
    if "finetune" in ft:
        display(Markdown("### Fine-tuning"))
        display(Markdown("*finetune splits the same step budget between synthetic pretraining and real "
                         f"fine-tuning (share stated in the parameters); the whitepaper saw no gain.* {budget}"))
        _show_table(metric_table(df, "bg_photo", ft))

    # 5. gallery
    html = gallery_html(df, present)
    if html:
        display(Markdown("### Gallery: predicted mattes on hair"))
        display(Markdown("*Hair crops of held-out test images: each model's predicted alpha and foreground "
                         "composited on a new held-out photograph (first seed). Look at strand detail and "
                         "background bleeding.*"))
        display(HTML(html))
