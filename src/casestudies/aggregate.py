"""Aggregation of run records (DataFrames from ``store.load_records``) into report tables.

Seeds are replicates: a summary row is one setting of the other varying parameters, with the
mean over seeds and a 95 % confidence interval from Student's t (half-width
``t_{0.975, n-1} * s / sqrt(n)``, ``s`` the sample standard deviation; no interval when n = 1).
No torch here.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

SEED = "params.seed"
STANDIN_WORDS = ("stand-in", "standin", "stand in")


def t_quantile_975(dof: int) -> float:
    """Two-sided 95 % Student t quantile (scipy when present, else a table)."""
    try:
        from scipy.stats import t

        return float(t.ppf(0.975, dof))
    except ImportError:  # pragma: no cover - scipy is a dependency
        table = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
        return table.get(dof, 1.96)


def ci95(values: pd.Series) -> float:
    """Half-width of the 95 % t interval of the mean; NaN for fewer than two values."""
    v = values.dropna().astype(float)
    n = len(v)
    if n < 2:
        return float("nan")
    return t_quantile_975(n - 1) * float(v.std(ddof=1)) / math.sqrt(n)


def param_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith("params.")]


def metric_columns(df: pd.DataFrame) -> list[str]:
    cols = [c for c in df.columns if c.startswith("metrics.")]
    return [c for c in cols if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]


def varying_params(df: pd.DataFrame, exclude: tuple[str, ...] = (SEED,)) -> list[str]:
    """Parameter columns that take more than one value (seed excluded), in column order."""
    out = []
    for c in param_columns(df):
        if c in exclude:
            continue
        vals = df[c].map(lambda v: repr(v) if isinstance(v, (list, dict)) else v)
        if vals.nunique(dropna=False) > 1:
            out.append(c)
    return out


def summary_table(
    df: pd.DataFrame,
    group_by: list[str] | None = None,
    metrics: list[str] | None = None,
) -> pd.DataFrame:
    """Mean, 95 % CI half-width and seed count per setting.

    ``group_by`` defaults to the varying parameters; ``metrics`` to every numeric metric column.
    Columns: the group keys, ``n``, then ``<metric>.mean`` and ``<metric>.ci95`` per metric.
    Rows sorted by the group keys.
    """
    if df.empty:
        return pd.DataFrame()
    group_by = varying_params(df) if group_by is None else group_by
    metrics = metric_columns(df) if metrics is None else metrics
    rows: list[dict[str, Any]] = []
    groups = df.groupby(group_by, dropna=False, sort=True) if group_by else [((), df)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(group_by, key))
        row["n"] = len(part)
        for m in metrics:
            row[f"{m}.mean"] = float(part[m].astype(float).mean())
            row[f"{m}.ci95"] = ci95(part[m])
        rows.append(row)
    return pd.DataFrame(rows)


def format_summary(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Human-readable copy: ``mean ± ci`` strings, ``params.``/``metrics.`` prefixes dropped."""
    out = pd.DataFrame()
    for c in table.columns:
        if c.endswith(".ci95"):
            continue
        if c.endswith(".mean"):
            m = c[: -len(".mean")]
            ci = table[f"{m}.ci95"]
            out[m.removeprefix("metrics.")] = [
                f"{mu:.{digits}f}" + ("" if math.isnan(h) else f" ± {h:.{digits}f}") for mu, h in zip(table[c], ci)
            ]
        else:
            out[c.removeprefix("params.")] = table[c]
    return out


def is_standin(text: Any) -> bool:
    s = str(text).lower()
    return any(w in s for w in STANDIN_WORDS)


def data_sources(df: pd.DataFrame) -> pd.DataFrame:
    """Distinct (case, role, source, stand-in?) rows named by the records' ``data.*`` columns."""
    rows = []
    for c in [c for c in df.columns if c.startswith("data.")]:
        for case, val in df[["case", c]].dropna().drop_duplicates().itertuples(index=False):
            rows.append({"case": case, "role": c.removeprefix("data."), "source": val, "stand_in": is_standin(val)})
    return pd.DataFrame(rows, columns=["case", "role", "source", "stand_in"]).sort_values(["case", "role"]).reset_index(drop=True)


def provenance(df: pd.DataFrame) -> pd.DataFrame:
    """Per case: runs, profiles, commits, devices, total and mean wall time (s), key versions."""
    rows = []
    for case, part in df.groupby("case", sort=True):
        def uniq(col: str, part: pd.DataFrame = part) -> str:
            return ", ".join(sorted({str(v) for v in part[col].dropna()})) if col in part else ""

        rows.append({
            "case": case,
            "runs": len(part),
            "profiles": uniq("profile"),
            "git commits": ", ".join(sorted({str(v)[:10] for v in part.get("env.git_commit", pd.Series()).dropna()})) or "(not a git checkout)",
            "device": uniq("env.device"),
            "wall time total (s)": round(float(part["timings.wall_s"].sum()), 1) if "timings.wall_s" in part else float("nan"),
            "wall time per run (s)": round(float(part["timings.wall_s"].mean()), 2) if "timings.wall_s" in part else float("nan"),
            "torch": uniq("env.packages.torch"),
            "casestudies": uniq("env.packages.casestudies"),
            "python": uniq("env.python"),
        })
    return pd.DataFrame(rows)
