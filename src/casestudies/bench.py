"""``casestudies bench NAME``: throughput benchmarks (figures, not tests).

Each entry is ``module:function`` taking ``argv`` and returning an exit code; modules are imported
only when their benchmark runs. Results print as a table and are saved under ``benchmarks/_out/``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS: dict[str, tuple[str, str]] = {
    "papermill": ("casestudies.bench", "bench_papermill"),
    "loader": ("casestudies.data.bench_loader", "main"),
    "train_loop": ("casestudies.training.bench", "main"),
    "generator": ("casestudies.data.synth.bench", "main"),
    "landmarks": ("casestudies.training.bench_landmarks", "main"),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", help=f"one of: {', '.join(BENCHMARKS)}")
    p.add_argument("--list", action="store_true", help="list the benchmarks")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the benchmark")


def run(args: argparse.Namespace) -> int:
    if args.list or not args.name:
        for name, (mod, fn) in BENCHMARKS.items():
            print(f"{name:12s} {mod}:{fn}")
        return 0
    if args.name not in BENCHMARKS:
        print(f"unknown benchmark {args.name!r}; valid: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    mod, fn = BENCHMARKS[args.name]
    return int(getattr(importlib.import_module(mod), fn)(args.args) or 0)


_BENCH_NB = '''# %% tags=["parameters"]
i = 0  # run index (varies the run id)

# %%
from casestudies import runlog

runlog.current().set_metrics({"i": i})
'''


def bench_papermill(argv: list[str]) -> int:
    """Per-run cost of the sweep machinery: papermill + kernel start + records, on a trivial notebook.

    ``overhead_s`` = run wall time minus the notebook's own cell time, as recorded in each record.
    """
    from casestudies.params import resolve
    from casestudies.store import load_records
    from casestudies.sweep import run_sweep

    p = argparse.ArgumentParser(prog="casestudies bench papermill")
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
