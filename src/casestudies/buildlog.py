"""The build log of ``make report``: how long each stage of a build took.

``make report`` runs ``casestudies stage NAME --build ID --since EPOCH`` after each stage (install,
one sweep per case, the report), which appends one JSON line to ``<runs>/build_log.jsonl``::

    {"build": "20261201T234852Z", "stage": "sweep face_segmentation", "seconds": 612.4,
     "started": 1796168932.1, "finished": "2026-12-02T00:02:04Z", "profile": "default"}

Data generation happens inside the sweeps (the first run that needs a set renders it, the others wait
for it): :func:`casestudies.data.synth.disk.cached_dataset` logs each set it renders to
``generation_log.jsonl`` in the generator cache, and :func:`stage_table` reports the sets rendered
during a build as its own line. Times are wall-clock seconds. Torch-free.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

LOG = "build_log.jsonl"
GENERATION_LOG = "generation_log.jsonl"


def append_line(path: Path, row: dict[str, Any]) -> None:
    """Append one JSON line (one ``write`` call, so concurrent writers do not interleave lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, sort_keys=True) + "\n")


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of ``path`` (none when it is missing); a torn or foreign line is skipped."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def record_stage(runs: Path, build: str, stage: str, since: float, profile: str = "",
                 now: float | None = None) -> dict[str, Any]:
    """Log that ``stage`` of ``build`` ran from ``since`` (Unix seconds) until ``now``; the row written."""
    end = time.time() if now is None else now
    row = {"build": build, "stage": stage, "seconds": round(end - since, 1), "started": round(since, 3),
           "finished": datetime.fromtimestamp(end, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "profile": profile}
    append_line(Path(runs) / LOG, row)
    return row


def _builds(rows: list[dict[str, Any]], profile: str | None) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if profile is None or r.get("profile") in (profile, ""):
            out.setdefault(str(r.get("build")), []).append(r)
    return out


def _span(stages: list[dict[str, Any]]) -> tuple[float, float]:
    """(start, end) of a build in Unix seconds: its first stage's start, its last stage's end."""
    return (min(float(s.get("started", 0.0)) for s in stages),
            max(float(s.get("started", 0.0)) + float(s.get("seconds", 0.0)) for s in stages))


def _generation(gen_rows: list[dict[str, Any]], start: float, end: float) -> tuple[int, float]:
    inside = [g for g in gen_rows if start <= float(g.get("finished_at", -1)) <= end]
    return len(inside), float(sum(float(g.get("seconds", 0.0)) for g in inside))


def stage_table(runs: Path, cache: Path | None = None, profile: str | None = None) -> pd.DataFrame:
    """Stages of the first and of the latest build in the log (one table; a build that reused every
    run shows it in seconds). Columns: build, stage, time (s), note. Empty when nothing is logged."""
    import pandas as pd

    from casestudies.reportparts import fmt_seconds

    builds = _builds(read_lines(Path(runs) / LOG), profile)
    gen_rows = read_lines(Path(cache) / GENERATION_LOG) if cache is not None else []
    keys = list(builds)
    chosen = [keys[0]] + ([keys[-1]] if len(keys) > 1 else []) if keys else []
    rows = []
    for label, key in zip(("first", "latest"), chosen):
        stages = builds[key]
        start, end = _span(stages)
        for s in stages:
            rows.append({"build": f"{label} ({key})", "stage": s["stage"], "time": fmt_seconds(float(s["seconds"])),
                         "note": ""})
        n_sets, gen_s = _generation(gen_rows, start, end)
        if n_sets:
            rows.append({"build": f"{label} ({key})", "stage": "data generation",
                         "time": fmt_seconds(gen_s), "note": f"{n_sets} sets rendered inside the sweeps above "
                         "(included in their times)"})
        if not any(s["stage"] == "report" for s in stages):
            rows.append({"build": f"{label} ({key})", "stage": "report", "time": "–",
                         "note": "executing this page: logged once it is written (see build_log.jsonl)"})
        rows.append({"build": f"{label} ({key})", "stage": "total", "time": fmt_seconds(end - start), "note": ""})
    return pd.DataFrame(rows, columns=["build", "stage", "time", "note"])


TRAIN_PHASES = ("train",)
EVAL_PHASES = ("test", "evaluate")
FIGURE_PHASES = ("figures",)
ONE_OFF_PHASE = "generate"  # runlog.ONE_OFF: sets rendered, labels refined (or waited for) once per sweep


def run_cost_table(records: pd.DataFrame) -> pd.DataFrame:
    """Per case, where the runs' summed wall time went: training, test evaluation, the notebook's
    figures, one-off data work (a set rendered or labels refined for the cache, or waited for, inside
    the first runs), and the fixed cost per run (everything else: kernel start, imports, data
    preparation, papermill).

    From the records' ``timings.wall_s`` and the notebooks' phase timers ``timings.phase.<name>``.
    Columns: case, runs, run time (s), train (s), evaluation (s), figures (s), one-off data (s),
    fixed (s), fixed share (fixed / run time, 0-1).
    """
    import pandas as pd

    def col(part: pd.DataFrame, name: str) -> float:
        return float(pd.to_numeric(part[name], errors="coerce").fillna(0.0).sum()) if name in part else 0.0

    rows = []
    if records.empty or "timings.wall_s" not in records:
        return pd.DataFrame(rows, columns=["case", "runs", "run time (s)", "train (s)", "evaluation (s)",
                                           "figures (s)", "one-off data (s)", "fixed (s)", "fixed share"])
    for case, part in records.groupby("case", sort=True):
        wall = col(part, "timings.wall_s")
        train = sum(col(part, f"timings.phase.{p}") for p in TRAIN_PHASES)
        ev = sum(col(part, f"timings.phase.{p}") for p in EVAL_PHASES)
        figs = sum(col(part, f"timings.phase.{p}") for p in FIGURE_PHASES)
        once = col(part, f"timings.phase.{ONE_OFF_PHASE}")
        fixed = max(0.0, wall - train - ev - figs - once)
        rows.append({"case": case, "runs": len(part), "run time (s)": round(wall, 1), "train (s)": round(train, 1),
                     "evaluation (s)": round(ev, 1), "figures (s)": round(figs, 1), "one-off data (s)": round(once, 1), "fixed (s)": round(fixed, 1),
                     "fixed share": round(fixed / wall, 3) if wall > 0 else float("nan")})
    return pd.DataFrame(rows)


def build_sentence(runs: Path, profile: str | None = None) -> str | None:
    """One sentence on the first logged build (``make report`` from an empty run store): its total wall
    time and each stage's; None when nothing is logged."""
    from casestudies.reportparts import fmt_seconds

    builds = _builds(read_lines(Path(runs) / LOG), profile)
    if not builds:
        return None
    key, stages = next(iter(builds.items()))
    start, end = _span(stages)
    parts = ", ".join(f"{s['stage']} {fmt_seconds(float(s['seconds']))}" for s in stages)
    return f"First `make report` build ({key}): **{fmt_seconds(end - start)}** wall clock in all ({parts})."
