"""Pieces of the whitepaper: per-case sections drawn from records (tables, plots, run links).

Used by ``notebooks/whitepaper.py``; every number shown comes from a run record. No torch here.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from casestudies import CASES
from casestudies.aggregate import format_summary, metric_columns, summary_table, varying_params

CASE_INFO: dict[str, dict[str, str]] = {
    "face_segmentation": {
        "title": "Face segmentation",
        "question": "Does mixing synthetic faces into real training data improve DeepLabV3+ face parsing, "
        "in-domain and cross-domain, and at which real fraction?",
        "metric": "metrics.miou",
    },
    "background_matting": {
        "title": "Background matting",
        "question": "Does synthetic data, alone, mixed, or mixed with batch-norm adaptation, train a "
        "better BackgroundMattingV2-style matting model?",
        "metric": "metrics.mse",
    },
    "facial_landmarks": {
        "title": "Facial landmarks",
        "question": "Do synthetic pretraining and mixing reduce landmark error (NME) of a stacked "
        "hourglass, especially when real data is scarce?",
        "metric": "metrics.nme",
    },
}


_FIGURES: dict[str, Path | None] = {"dir": None}


def set_figures_dir(path: str | Path | None) -> None:
    """Where :func:`show_figure` also saves each figure as PNG and SVG (None: display only)."""
    _FIGURES["dir"] = Path(path) if path else None


def show_figure(fig: Any, name: str) -> None:
    """Display a matplotlib figure in the report and save it as ``<figures dir>/<name>.png`` and ``.svg``.

    ``name`` is a file stem such as ``face_segmentation_ratio``; the figure is closed afterwards.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    out = _FIGURES["dir"]
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for ext in ("png", "svg"):
            fig.savefig(out / f"{name}.{ext}", bbox_inches="tight", dpi=110 if ext == "png" else None)
    display(fig)
    plt.close(fig)


def select(df: pd.DataFrame, selection: dict[str, list[str]] | None) -> pd.DataFrame:
    """Keep only the runs named in ``selection`` (case -> run ids); cases not named keep all runs."""
    if not selection or df.empty:
        return df
    keep = df.apply(lambda r: r["case"] not in selection or r["run_id"] in selection[r["case"]], axis=1)
    return df[keep].reset_index(drop=True)


def load_selection(path: str) -> dict[str, list[str]] | None:
    return json.loads(Path(path).read_text()) if path and Path(path).exists() else None


def cases_in_order(df: pd.DataFrame) -> list[str]:
    extra = sorted(set(df["case"]) - set(CASES)) if not df.empty else []
    return [*CASES, *extra]


def primary_metric(df: pd.DataFrame, case: str) -> str | None:
    want = CASE_INFO.get(case, {}).get("metric")
    cols = metric_columns(df)
    if want in cols:
        return want
    return cols[0] if cols else None


def coverage_table(df: pd.DataFrame, failed: pd.DataFrame) -> pd.DataFrame:
    """Per case: done runs, failed runs, and whether the case has any results yet."""
    rows = []
    for case in cases_in_order(pd.concat([df, failed]) if not failed.empty else df):
        n_done = int((df["case"] == case).sum()) if not df.empty else 0
        n_failed = int((failed["case"] == case).sum()) if not failed.empty else 0
        rows.append({
            "case study": CASE_INFO.get(case, {}).get("title", case),
            "key": case,
            "done runs": n_done,
            "failed runs": n_failed,
            "results": "yes" if n_done else "no runs yet",
        })
    return pd.DataFrame(rows)


def plot_metric(df: pd.DataFrame, case: str, metric: str):  # -> matplotlib Figure
    """Mean ± 95 % CI of ``metric`` over seeds (``aggregate.summary_table``'s t-interval), drawn with seaborn.

    Against the first numeric varying parameter: one curve per other setting with its interval as a
    band; without one: a bar per setting with its interval. seaborn draws the given means (one row per
    point or bar, ``errorbar=None``); the intervals are the table's, never re-estimated by seaborn.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    vary = varying_params(df[df["case"] == case].dropna(axis=1, how="all"))
    part = df[df["case"] == case]
    numeric = [c for c in vary if pd.api.types.is_numeric_dtype(part[c]) and not pd.api.types.is_bool_dtype(part[c])]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    name = metric.removeprefix("metrics.")
    mean, ci = f"{metric}.mean", f"{metric}.ci95"
    if numeric:
        # 1. one row per (x, setting) from the summary table; the band is mean ± its CI (0 for one seed)
        x = numeric[0]
        others = [c for c in vary if c != x]
        table = summary_table(part, [x, *others], [metric])
        table["setting"] = [
            ", ".join(f"{o.removeprefix('params.')}={r[o]}" for o in others) or name for _, r in table.iterrows()
        ]
        half = table[ci].fillna(0.0)
        table["lo"], table["hi"] = table[mean] - half, table[mean] + half
        settings = list(dict.fromkeys(table["setting"]))
        palette = dict(zip(settings, sns.color_palette(n_colors=len(settings))))
        # 2. curves through the given means, then each setting's band in its curve's colour
        sns.lineplot(data=table, x=x, y=mean, hue="setting", hue_order=settings, palette=palette, estimator=None,
                     errorbar=None, marker="o", sort=True, legend=len(settings) > 1, ax=ax)
        for setting in settings:
            g = table[table["setting"] == setting].sort_values(x)
            ax.fill_between(g[x], g["lo"], g["hi"], color=palette[setting], alpha=0.2, linewidth=0)
        ax.set_xlabel(x.removeprefix("params."))
        if len(settings) > 1:
            ax.legend(fontsize=7, title=None)
    else:
        # bars of the given means, the table's intervals as error bars on top
        table = summary_table(part, vary, [metric])
        labels = [", ".join(str(table.loc[i, c]) for c in vary) or "all runs" for i in table.index]
        bars = pd.DataFrame({"setting": labels, "mean": table[mean].to_numpy()})  # one row per bar: its mean is itself
        sns.barplot(data=bars, x="setting", y="mean", order=labels, errorbar=None, color=sns.color_palette()[0], ax=ax)
        ax.set_xlabel("")
        ax.errorbar(range(len(labels)), table[mean], yerr=table[ci].fillna(0.0), fmt="none", ecolor="black",
                    capsize=3, elinewidth=1)
        ax.tick_params(axis="x", rotation=30)
    ax.set_ylabel(name)
    ax.set_title(f"{CASE_INFO.get(case, {}).get('title', case)}: {name} (mean ± 95% CI over seeds)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def run_links(df: pd.DataFrame, failed: pd.DataFrame, case: str, base: str = "runs") -> str:
    """An HTML list linking each run's rendered notebook, with its varying parameters and status."""
    parts = [d[d["case"] == case] for d in (df, failed) if not d.empty and "case" in d]
    runs = pd.concat(parts) if parts else pd.DataFrame()
    if runs.empty:
        return ""
    vary = varying_params(runs) + (["params.seed"] if "params.seed" in runs else [])
    items = []
    for _, r in runs.iterrows():
        desc = ", ".join(f"{c.removeprefix('params.')}={r[c]}" for c in vary)
        status = "" if r.get("status") == "done" else f" <b>{html.escape(str(r.get('status')))}</b>: {html.escape(str(r.get('error', '')))}"
        items.append(f'<li><a href="{base}/{case}/{r["run_id"]}.html"><code>{r["run_id"]}</code></a> {html.escape(desc)}{status}</li>')
    return "<details><summary>Runs ({}), each with its executed notebook</summary><ul>{}</ul></details>".format(
        len(items), "".join(items)
    )


def fmt_seconds(s: Any) -> str:
    try:
        s = float(s)
    except (TypeError, ValueError):
        return "-"
    if math.isnan(s):
        return "-"
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


def summary_html(df: pd.DataFrame, case: str) -> str:
    part = df[df["case"] == case].dropna(axis=1, how="all")
    table = format_summary(summary_table(part))
    return table.to_html(index=False, classes="summary", border=0)


# A case study's own whitepaper section: module name -> it defines
# ``show_section(records, failed, profile, run_pages) -> None`` (records of that case only; no torch).
# Cases without an entry (or whose module is missing) get the generic summary table and plot.
SECTIONS: dict[str, str] = {
    "face_segmentation": "casestudies.report_face_segmentation",
    "background_matting": "casestudies.report_background_matting",
    "facial_landmarks": "casestudies.report_facial_landmarks",
}


def _section(case: str) -> Any:
    import importlib
    import importlib.util

    name = SECTIONS.get(case)
    if name is None or importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name).show_section


def show_case(df: pd.DataFrame, failed: pd.DataFrame, case: str, profile: str, run_pages: str = "runs") -> None:
    """Display one case's section: question, then the case's own section (``SECTIONS``) or the generic
    summary table and plot, then run links; "no runs yet" when the case has none."""
    from IPython.display import HTML, Markdown, display

    info = CASE_INFO.get(case, {"title": case, "question": "(not one of the three case studies)"})
    display(Markdown(f"## {info['title']} (`{case}`)\n\n*{info['question']}*"))
    part = df[df["case"] == case] if not df.empty else df
    if part.empty:
        display(Markdown(
            f"**No runs yet for `{case}`**: run `casestudies sweep {case} --profile {profile}`, "
            "then `casestudies report`."
        ))
    elif (section := _section(case)) is not None:
        part_failed = failed[failed["case"] == case] if not failed.empty else failed
        section(part.reset_index(drop=True), part_failed.reset_index(drop=True), profile, run_pages)
    else:
        display(HTML(summary_html(df, case)))
        metric = primary_metric(part.dropna(axis=1, how="all"), case)
        if metric:
            show_figure(plot_metric(df, case, metric), f"{case}_{metric.removeprefix('metrics.').replace('.', '_')}")
    display(HTML(run_links(df, failed, case, run_pages)))


def mixed_code_warnings(df: pd.DataFrame) -> list[str]:
    """One line per case whose done runs came from more than one git commit (or a dirty tree).

    A run id hashes only the parameters, so runs made before a code change are reused, not redone;
    the report says so instead of mixing code versions silently.
    """
    out = []
    if df.empty or "env.git_commit" not in df:
        return out
    for case, part in df.groupby("case", sort=True):
        commits = sorted({str(c)[:10] for c in part["env.git_commit"].dropna()})
        dirty = int(part["env.git_dirty"].fillna(False).astype(bool).sum()) if "env.git_dirty" in part else 0
        if len(commits) > 1 or dirty:
            what = f"{len(commits)} commits ({', '.join(commits)})" if len(commits) > 1 else f"commit {commits[0]}"
            extra = f", {dirty} run(s) from a tree with uncommitted changes" if dirty else ""
            out.append(
                f"`{case}`: runs come from {what}{extra}. If the code change matters, delete the older run folders "
                "(or sweep into a fresh store with `--runs`) and sweep again."
            )
    return out
