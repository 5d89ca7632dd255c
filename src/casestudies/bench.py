"""``casestudies bench NAME [ARGS...]``: run the throughput benchmark ``benchmarks/bench_<NAME>.py``.

The benchmarks are scripts in the project's ``benchmarks/`` folder, found from the project root
(``--root``, like ``notebooks/``), not library code. ``BENCHMARKS`` is their table; ``--list``
shows it. ``ARGS`` are passed to the script, which runs as ``python benchmarks/bench_<NAME>.py ARGS``
in its own process (its ``if __name__ == "__main__":`` guard lets worker processes re-import it);
its exit status is the command's. Results print as a table and go under ``benchmarks/_out/``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from casestudies.names import lookup
from casestudies.project import Project

BENCHMARKS: dict[str, str] = {
    "papermill": "per-run cost of the sweep machinery (papermill, kernel start, records) on a trivial notebook",
    "loader": "images/s of a folder of PNGs through the reader, TrainTransform and the DataLoader, per worker count",
    "train_loop": "the training engine's images/s over a bare PyTorch loop on the same model and data",
    "generator": "synthetic faces/s with all labels, peak memory per worker, Haar-cascade realism by yaw",
    "identity_probe": "dlib look-alike share of one preset's different faces, with knob overrides (the bench extra)",
    "face_segmentation": "CPU seconds per DeepLabV3+ step at the default profile's settings (the budget arithmetic)",
    "matting_metrics": "Grad and Conn matting errors on a 1024 px pair: fast against straightforward per-threshold code",
    "landmarks": "CPU seconds per stacked-hourglass step (plain, DSBN, DSON) at the default profile's settings",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", help=f"one of: {', '.join(BENCHMARKS)}")
    p.add_argument("--list", action="store_true", help="list the benchmarks")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the benchmark script")


def run(args: argparse.Namespace) -> int:
    proj = Project.at(getattr(args, "root", None))
    if args.list or not args.name:
        for name, what in BENCHMARKS.items():
            script = proj.benchmark(name)
            mark = "" if script.exists() else "  (missing here)"
            print(f"{name:12s} {script.relative_to(proj.root)}  {what}{mark}")
        return 0
    lookup("benchmark", args.name, BENCHMARKS)
    script = proj.benchmark(args.name)
    if not script.exists():
        print(f"casestudies bench {args.name}: no {script} (is --root the project root?)", file=sys.stderr)
        return 2
    return subprocess.run([sys.executable, str(script), *args.args], check=False).returncode
