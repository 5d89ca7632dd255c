"""Per-run cost of the sweep machinery: papermill + kernel start + records, on a trivial notebook that
imports what the case notebooks import (torch and segmentation_models_pytorch; ``--bare``: nothing),
with each worker reusing its kernel (the default) and with a fresh kernel per run.

    python benchmarks/bench_papermill.py [--runs 8] [--jobs 1] [--bare]   # or: casestudies bench papermill

``overhead_s`` = run wall time minus the notebook's own cell time, as recorded in each record;
``fixed_s`` = the whole run (the imports are part of a run's fixed cost).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from casestudies.params import resolve
from casestudies.store import load_records
from casestudies.sweep import run_sweep

_BENCH_NB = '''# %% tags=["parameters"]
i = 0  # run index (varies the run id)

# %%
IMPORTS
from casestudies import runlog

runlog.current().set_metrics({"i": i})
'''


def _sweep(root: Path, reuse: bool, jobs: int) -> dict:
    plan = resolve("bench", root / "notebooks" / "bench.py", root / "params" / "bench.yaml", "default")
    runs = root / ("runs_reused" if reuse else "runs_fresh")
    t0 = time.perf_counter()
    summary = run_sweep(plan, runs, root, jobs=jobs, threads=1, progress=False, reuse_kernels=reuse)
    total = time.perf_counter() - t0
    df = load_records(runs)
    return {
        "sweep_wall_s": round(total, 2),
        "per_run_wall_s_median": round(statistics.median(df["timings.wall_s"]), 3),
        "per_run_overhead_s_median": round(statistics.median(df["timings.overhead_s"]), 3),
        "per_run_cells_s_median": round(statistics.median(df["timings.cells_s"]), 3),
        "sweep_throughput_runs_per_s": round(len(df) / total, 3),
        "ok": summary.ok,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="casestudies bench papermill", description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=8)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--bare", action="store_true", help="the notebook imports nothing heavy")
    p.add_argument("--out", default="benchmarks/_out/papermill.json")
    a = p.parse_args(argv)
    imports = "" if a.bare else "import segmentation_models_pytorch  # noqa: F401\nimport torch  # noqa: F401"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "notebooks").mkdir()
        (root / "params").mkdir()
        (root / "notebooks" / "bench.py").write_text(_BENCH_NB.replace("IMPORTS", imports))
        (root / "params" / "bench.yaml").write_text(
            "profiles:\n  default:\n    grid:\n      i: [" + ", ".join(map(str, range(a.runs))) + "]\n"
        )
        result = {"runs": a.runs, "jobs": a.jobs, "imports": "none" if a.bare else "torch, segmentation_models_pytorch",
                  "reused_kernels": _sweep(root, True, a.jobs), "fresh_kernels": _sweep(root, False, a.jobs)}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if all(result[k]["ok"] for k in ("reused_kernels", "fresh_kernels")) else 1


if __name__ == "__main__":  # the sweep's process pool re-imports this script (spawn)
    raise SystemExit(main())
