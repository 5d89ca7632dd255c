"""The whitepaper's first screen and data-generation section: what was run (profile, data sources,
seeds, hardware, wall time, commit), the generator's gallery, knobs and speed. No torch.

Paths shown are relative to the project root; a path outside it is shown by its last component only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from casestudies import CASES
from casestudies.aggregate import is_standin

TITLES = {"face_segmentation": "Face segmentation", "background_matting": "Background matting",
          "facial_landmarks": "Facial landmarks"}
GALLERY_PRESETS = ("synthetic", "standin_real_a", "standin_real_b")
GALLERY_LAYERS = ("image", "segmentation", "alpha", "foreground", "background", "landmarks", "depth", "normals")


def html_table(df: pd.DataFrame):  # -> IPython.display.HTML
    """A DataFrame as a borderless HTML table without its index, ready for ``display``."""
    from IPython.display import HTML

    return HTML(df.to_html(index=False, border=0))


def display_path(path: Any, root: str | Path) -> str:
    """``path`` relative to the project ``root``; outside it, ``…/<last component> (outside the project)``."""
    if path is None or (isinstance(path, float) and math.isnan(path)) or str(path) == "":
        return ""
    p, r = Path(str(path)), Path(root).resolve()
    full = (r / p).resolve() if not p.is_absolute() else p.resolve()
    if full == r:
        return "."
    if full.is_relative_to(r):
        return str(full.relative_to(r))
    return f"…/{full.name} (outside the project)"


def _uniq(part: pd.DataFrame, col: str) -> list[str]:
    if col not in part:
        return []
    return sorted({str(v) for v in part[col].dropna() if str(v) != ""})


def _seeds(part: pd.DataFrame) -> str:
    if "params.seed" not in part:
        return "–"
    seeds = sorted({int(s) for s in pd.to_numeric(part["params.seed"], errors="coerce").dropna()})
    return f"{len(seeds)} ({', '.join(map(str, seeds))})" if seeds else "–"


def _hardware(part: pd.DataFrame) -> str:
    bits = _uniq(part, "env.device")
    cpus = _uniq(part, "env.cpu_count")
    if cpus:
        bits.append(f"{'/'.join(cpus)} CPUs")
    plat = _uniq(part, "env.platform")
    if plat:
        bits.append(", ".join(plat))
    return "; ".join(bits) or "–"


def _commits(part: pd.DataFrame) -> str:
    commits = sorted({str(c)[:10] for c in part.get("env.git_commit", pd.Series(dtype=object)).dropna()})
    dirty = "env.git_dirty" in part and bool(part["env.git_dirty"].fillna(False).astype(bool).any())
    text = ", ".join(commits) or "(not a git checkout)"
    return text + (" (some runs from uncommitted changes)" if dirty else "")


def _sources(part: pd.DataFrame) -> str:
    out = []
    for c in sorted(c for c in part.columns if c.startswith("data.")):
        for v in _uniq(part, c):
            if v.lower() == "none":  # a role a schedule does not use (e.g. synthetic in real_only)
                continue
            tag = "" if not is_standin(v) or "stand-in" in v.lower() else " (stand-in)"
            out.append(f"{c.removeprefix('data.')}: {v}{tag}")
    return "; ".join(out) or "–"


def _real_data(part: pd.DataFrame, root: str | Path) -> str:
    """The real datasets a case was pointed at (``*_dataset`` / ``*_root`` parameters); generator presets
    and ``generator`` are stand-ins, not real data."""
    from casestudies.data.synth.presets import PRESETS

    cols = [c for c in part.columns if c.startswith("params.") and c.endswith("_dataset")]
    names = sorted({v for c in cols for v in _uniq(part, c) if v not in PRESETS and v != "generator"})
    roots = sorted({display_path(v, root) for c in part.columns
                    if c.startswith("params.") and c.endswith("_root") for v in _uniq(part, c)})
    if not names and not roots:
        return "none given (stand-ins)"
    return ", ".join(names) + (f" at {', '.join(roots)}" if roots else "")


def wall_seconds(part: pd.DataFrame) -> float:
    return float(pd.to_numeric(part["timings.wall_s"], errors="coerce").sum()) if "timings.wall_s" in part else float("nan")


def run_facts(records: pd.DataFrame, failed: pd.DataFrame, root: str | Path) -> pd.DataFrame:
    """One row per case study (the three first, then any other case with records): what ran, on what."""
    from casestudies.reportparts import fmt_seconds

    cases = list(CASES) + sorted({*records.get("case", []), *failed.get("case", [])} - set(CASES))
    rows = []
    for case in cases:
        part = records[records["case"] == case] if not records.empty else records
        n_failed = int((failed["case"] == case).sum()) if not failed.empty and "case" in failed else 0
        if part.empty:
            rows.append({"case study": TITLES.get(case, case), "runs": f"not run ({n_failed} failed)" if n_failed else "not run",
                         "seeds": "–", "data": "–", "real data": "–", "hardware": "–", "run time": "–", "commit": "–"})
            continue
        rows.append({
            "case study": TITLES.get(case, case),
            "runs": f"{len(part)} done" + (f", {n_failed} failed" if n_failed else ""),
            "seeds": _seeds(part),
            "data": _sources(part),
            "real data": _real_data(part, root),
            "hardware": _hardware(part),
            "run time": fmt_seconds(wall_seconds(part)),
            "commit": _commits(part),
        })
    return pd.DataFrame(rows)


def standin_statement(records: pd.DataFrame) -> str | None:
    """A sentence when any data source is a generator stand-in (None when none is, or nothing ran)."""
    cols = [c for c in records.columns if c.startswith("data.")] if not records.empty else []
    vals = {str(v) for c in cols for v in records[c].dropna()}
    n = sum(is_standin(v) for v in vals)
    if not n:
        return None
    return (f"**{n} of the {len(vals)} data sources are generator stand-ins for real datasets, not real "
            "photographs.** Results on them measure the gap between two synthetic domains, which only "
            "approximates the synthetic-to-real gap.")


# ----------------------------------------------------------------------------------------------
# Data generation


def gallery_figure(size: int = 96, samples: int = 1, seed: int = 0, presets: tuple[str, ...] = GALLERY_PRESETS):
    """A matplotlib figure: per preset, ``samples`` renders (image ``i`` of the set (preset, seed, size)),
    one column per label layer, as the generator renders them."""
    import matplotlib.pyplot as plt

    from casestudies.data.synth.disk import render_index
    from casestudies.data.synth.presets import PRESETS
    from casestudies.data.synth.viz import layer_images

    rows = [(p, i) for p in presets for i in range(samples)]
    fig, axes = plt.subplots(len(rows), len(GALLERY_LAYERS), figsize=(1.45 * len(GALLERY_LAYERS), 1.55 * len(rows)),
                             squeeze=False)
    for r, (preset, i) in enumerate(rows):
        layers = layer_images(render_index(preset, seed, i, size))
        for c, name in enumerate(GALLERY_LAYERS):
            ax = axes[r, c]
            ax.imshow(layers[name])
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(name, fontsize=8)
            if c == 0:
                label = preset + ("\n(stand-in)" if PRESETS[preset].is_standin else "")
                ax.set_ylabel(f"{label}\n#{i}", fontsize=7)
    fig.suptitle(f"Generator output, {size} px (seed {seed}); stand-ins are not real data", fontsize=9)
    fig.tight_layout()
    return fig


def knob_groups() -> pd.DataFrame:
    """The generator's knobs (``KNOBS``) per group: each as ``name [lo, hi]`` or ``name {choices}``."""
    from casestudies.data.synth.knobs import KNOBS

    groups: dict[str, list[str]] = {}
    for name, k in KNOBS.items():
        rng = "{" + ", ".join(k.choices) + "}" if k.categorical else f"[{k.lo:g}, {k.hi:g}]"
        groups.setdefault(k.group, []).append(f"{name} {rng}")
    return pd.DataFrame({"group": list(groups), "knobs": [len(v) for v in groups.values()],
                         "knobs and ranges": ["; ".join(v) for v in groups.values()]})


def generator_speed(bench_dir: str | Path) -> str | None:
    """A sentence from ``<bench_dir>/bench_generator.json`` (``casestudies bench generator``), or None."""
    path = Path(bench_dir) / "bench_generator.json"
    if not path.exists():
        return None
    try:
        res = json.loads(path.read_text())
        speed = res.get("speed", [])
    except (OSError, json.JSONDecodeError, AttributeError):
        return None
    if not speed:
        return None
    parts = [f"{s['images_per_s']:.1f} images/s at {s['size']} px on {s['workers']} worker processes "
             f"({s['cpu_ms_per_image']:.1f} CPU-ms per image)" for s in speed]
    load = res.get("load_avg_at_start")
    tail = f" (load average {load[0]:.1f} at the start; the machine may have been shared)" if load else ""
    return "Generator speed, every layer and label rendered (`casestudies bench generator`): " + "; ".join(parts) + tail + "."
