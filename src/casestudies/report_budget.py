"""The whitepaper's training-budget section: steps and images each model saw, and which curves had
flattened, from the records' ``metrics.train.*`` (``budget.training_summary``). No torch."""

from __future__ import annotations

import pandas as pd

from casestudies.budget import FLATTEN_TOL

GROUP_PARAMS = ("schedule", "adapter", "real_fraction", "train_real", "refine_mattes")
STAGES = "metrics.train.stage_steps."

RULE = (
    f"A run's validation curve has *flattened* when its validation metric improved by at most {FLATTEN_TOL:.0%} "
    "(relative) over the last quarter of the last training stage's steps, i.e. from the last validation at or "
    "before 3/4 of the steps to the final one (`casestudies.budget`). A curve with too few validation points is "
    "*not judged*. Every schedule of a case gets the same optimizer steps and batch size; `finetune` splits them "
    "between synthetic pretraining and real fine-tuning."
)


def _flat(v: object) -> str:
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "yes" if v else "no"
    return "not judged"


def flattened_status(records: pd.DataFrame) -> pd.Series:
    """Per run: "yes", "no" or "not judged" (no ``metrics.train.flattened`` or None)."""
    col = records["metrics.train.flattened"] if "metrics.train.flattened" in records else pd.Series(None, index=records.index)
    return col.map(_flat)


def _span(values: pd.Series) -> str:
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return "–"
    lo, hi = int(v.min()), int(v.max())
    return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"


def budget_table(records: pd.DataFrame) -> pd.DataFrame:
    """One row per setting (schedule, adapter, fraction, ...) of one case's done runs: runs, optimizer steps,
    images seen, steps per stage, and how many runs had flattened / had not / were not judged."""
    if records.empty:
        return pd.DataFrame()
    keys = [f"params.{p}" for p in GROUP_PARAMS if f"params.{p}" in records]
    stage_cols = sorted(c for c in records.columns if c.startswith(STAGES))
    status = flattened_status(records)
    rows = []
    groups = records.groupby(keys, dropna=False, sort=True) if keys else [((), records)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        row = {k.removeprefix("params."): v for k, v in zip(keys, key)}
        st = status.loc[part.index]
        stages = [f"{c.removeprefix(STAGES)} {_span(part[c])}" for c in stage_cols if part[c].notna().any()]
        row.update({
            "runs": len(part),
            "steps": _span(part.get("metrics.train.steps", pd.Series(dtype=float))),
            "images seen": _span(part.get("metrics.train.images_seen", pd.Series(dtype=float))),
            "steps per stage": " + ".join(stages) if len(stages) > 1 else "",
            "flattened": int((st == "yes").sum()),
            "not flattened": int((st == "no").sum()),
            "not judged": int((st == "not judged").sum()),
        })
        rows.append(row)
    out = pd.DataFrame(rows)
    for k in keys[1:]:  # a parameter that does not vary within the case says nothing here
        name = k.removeprefix("params.")
        if out[name].astype(str).nunique() < 2:
            out = out.drop(columns=[name])
    if not (out["steps per stage"] != "").any():
        out = out.drop(columns=["steps per stage"])
    return out


def unflattened_runs(records: pd.DataFrame) -> pd.DataFrame:
    """Runs whose curve had not flattened or was not judged: run id, setting, seed, last-quarter gain."""
    if records.empty:
        return pd.DataFrame()
    status = flattened_status(records)
    bad = records[status != "yes"]
    cols = [f"params.{p}" for p in (*GROUP_PARAMS, "seed") if f"params.{p}" in bad]
    out = bad[["run_id", *cols]].rename(columns=lambda c: c.removeprefix("params.")).copy()
    out["flattened"] = status.loc[bad.index].values
    gain = bad["metrics.train.last_quarter_gain"] if "metrics.train.last_quarter_gain" in bad else pd.Series(None, index=bad.index)
    out["last-quarter gain"] = [f"{float(g):+.1%}" if pd.notna(g) else "–" for g in gain]
    return out.reset_index(drop=True)
