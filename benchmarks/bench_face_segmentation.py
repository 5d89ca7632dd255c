"""The face-segmentation step budget: CPU seconds per optimizer step at a profile's settings, the
steps its grid trains, and the predicted sweep wall time (``casestudies bench face_segmentation``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from casestudies.face_segmentation.budget import predict, step_cpu_seconds


def main(argv: list[str] | None = None) -> int:
    """Print and write the arithmetic for ``--profile`` (default: default)."""
    from casestudies.params import resolve
    from casestudies.project import Project

    ap = argparse.ArgumentParser(prog="casestudies bench face_segmentation", description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--profile", default="default")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--step-s", type=float, default=None, help="use this per-step CPU time instead of measuring")
    ap.add_argument("--out", default="benchmarks/_out/face_segmentation_budget.json")
    args = ap.parse_args(argv)
    proj = Project.at()
    plan = resolve("face_segmentation", proj.notebook("face_segmentation"), proj.params_file("face_segmentation"),
                   args.profile)
    runs = [p for _, p in plan.runs]
    step_s = args.step_s if args.step_s is not None else step_cpu_seconds(runs[0])
    out = predict(runs, step_s, args.cores)
    for k, v in out.items():
        print(f"{k:20s} {v}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
