"""Per-run cost of the sweep machinery: papermill + kernel start + records, on a trivial notebook.

    python benchmarks/bench_papermill.py [--runs 8] [--jobs 1]     # or: casestudies bench papermill

``overhead_s`` = run wall time minus the notebook's own cell time, as recorded in each record.
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
from casestudies import runlog

runlog.current().set_metrics({"i": i})
'''


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="casestudies bench papermill", description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=8)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default="benchmarks/_out/papermill.json")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "notebooks").mkdir()
        (root / "params").mkdir()
        (root / "notebooks" / "bench.py").write_text(_BENCH_NB)
        (root / "params" / "bench.yaml").write_text(
            "profiles:\n  default:\n    grid:\n      i: [" + ", ".join(map(str, range(a.runs))) + "]\n"
        )
        plan = resolve("bench", root / "notebooks" / "bench.py", root / "params" / "bench.yaml", "default")
        t0 = time.perf_counter()
        summary = run_sweep(plan, root / "runs", root, jobs=a.jobs, threads=1, progress=False)
        total = time.perf_counter() - t0
        df = load_records(root / "runs")
    result = {
        "runs": a.runs,
        "jobs": a.jobs,
        "sweep_wall_s": round(total, 2),
        "per_run_wall_s_median": round(statistics.median(df["timings.wall_s"]), 3),
        "per_run_overhead_s_median": round(statistics.median(df["timings.overhead_s"]), 3),
        "per_run_cells_s_median": round(statistics.median(df["timings.cells_s"]), 3),
        "sweep_throughput_runs_per_s": round(a.runs / total, 3),
        "ok": summary.ok,
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    for k, v in result.items():
        print(f"{k:32s} {v}")
    return 0 if summary.ok else 1


if __name__ == "__main__":  # the sweep's process pool re-imports this script (spawn)
    raise SystemExit(main())
