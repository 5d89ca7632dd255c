"""Paired identity probe: dlib's look-alike share of different faces on one preset, with knob overrides,
so a change to the generator or a preset can be tried on the same people, poses and scenes.

    python benchmarks/bench_identity_probe.py standin_real_a --n 300
    python benchmarks/bench_identity_probe.py standin_real_a --set 'individuality=["const", 1.0]'
    python benchmarks/bench_identity_probe.py synthetic --n 300 --start 3000 --by-attribute

The faces are the first ``--n`` near-frontal ones (|yaw| < 20, no mask) from render index ``--start`` of
the set (preset, seed 0, ``--size`` px), as the generator benchmark's identity measurement takes them:
with ``--n 200 --start 0`` it reproduces that benchmark's different-face share. An override
(``--set KNOB=DIST``, DIST a preset distribution as JSON, e.g. ``["uniform", 0, 0.5]``) replaces the
preset's draw of one knob; a draw with the same kind and count of random numbers (new bounds of a
uniform, a constant) keeps every other knob's draw, so the probe stays paired. Prints the share with
its bootstrap interval (over the faces), dlib's detection rate and the median 68-point NME of the
faces with |yaw| < 20; ``--by-attribute`` splits the pairs by what the two faces share (sex,
population, closeness in skin tone and age, beards, ...). Needs the ``bench`` extra (dlib); the
renders run on ``--workers`` spawned processes with pinned threads.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CHUNK = 400  # render indices handed out per round (split over 8 jobs)


def _bench():
    """The generator benchmark module (its dlib helpers and pair-share statistics)."""
    if "bench_generator" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_generator", HERE / "bench_generator.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_generator"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_generator"]


def apply_overrides(preset: str, overrides: dict[str, list]) -> None:
    """Replace the preset's distribution of each knob in ``overrides`` (in this process)."""
    from casestudies.data.synth.knobs import KNOBS
    from casestudies.data.synth.presets import PRESETS

    for knob, dist in overrides.items():
        if knob not in KNOBS:
            raise KeyError(f"--set: unknown knob {knob!r}")
        PRESETS[preset].dists[knob] = tuple(dist)


def parse_set(items: list[str]) -> dict[str, list]:
    """``["KNOB=JSON", ...]`` -> {knob: distribution}; a clear error names the bad item."""
    out = {}
    for item in items:
        knob, sep, dist = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: expected KNOB=DIST, e.g. 'fringe=[\"uniform\", 0, 0.5]'")
        try:
            value = json.loads(dist)
        except json.JSONDecodeError as e:
            raise ValueError(f"--set {item!r}: DIST is not JSON ({e})") from None
        if not isinstance(value, list) or not value or not isinstance(value[0], str):
            raise ValueError(f"--set {item!r}: DIST must be a JSON list like [\"const\", 1.0]")
        out[knob.strip()] = value
    return out


_MODELS = None


def _work(args: tuple) -> list[tuple]:
    """Render indices ``idx`` of the set; for each near-frontal face without a mask: (index, yaw,
    detected, NME or None, descriptor)."""
    preset, idx, size, overrides = args
    global _MODELS
    from casestudies.data.synth.disk import render_index
    from casestudies.threads import pin_worker

    pin_worker()
    bench = _bench()
    apply_overrides(preset, overrides)
    if _MODELS is None:
        _MODELS = bench.dlib_models()
    out = []
    for i in idx:
        s = render_index(preset, 0, i, size)
        if not bench._near_frontal(s):
            continue
        hit, pts, desc = bench._dlib_face(_MODELS, s["image"], s["landmarks"])
        nme = float(bench._point_errors(pts, s["landmarks"]).mean()) if pts is not None else None
        out.append((i, float(s["meta"]["pose"]["yaw"]), hit, nme, desc))
    return out


def by_attribute(preset: str, indices: list[int], same: np.ndarray, overrides: dict) -> list[str]:
    """Lines of the look-alike share of the pairs split by what the two faces share."""
    from casestudies.data.synth.disk import image_seeds
    from casestudies.data.synth.presets import sample_params

    apply_overrides(preset, overrides)
    params = [sample_params(preset, image_seeds(0, i, preset)[0]) for i in indices]
    a, b = np.triu_indices(len(params), 1)
    lines = []
    for knob in ("sex", "population", "hair_style", "glasses", "clothing", "expression", "bg_pattern"):
        v = np.array([str(p[knob]) for p in params])
        m = v[a] == v[b]
        if m.any() and (~m).any():
            lines.append(f"  {knob:12s} alike {same[m].mean():.3f} ({m.sum()} pairs)  unlike {same[~m].mean():.3f}")
    for knob in ("skin_tone", "age", "hair_colour"):
        v = np.array([float(p[knob]) for p in params])
        d = np.abs(v[a] - v[b])
        lo, hi = np.quantile(d, [0.25, 0.75])
        lines.append(f"  {knob:12s} closest quarter {same[d <= lo].mean():.3f}  furthest quarter {same[d >= hi].mean():.3f}")
    beard = np.array([float(p["beard"]) > 0.15 for p in params])
    both, neither = beard[a] & beard[b], ~beard[a] & ~beard[b]
    if both.any():
        lines.append(f"  {'beard':12s} both {same[both].mean():.3f} ({both.sum()} pairs)  neither "
                     f"{same[neither].mean():.3f}  one {same[~both & ~neither].mean():.3f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("preset")
    ap.add_argument("--n", type=int, default=300, help="near-frontal faces")
    ap.add_argument("--start", type=int, default=0, help="first render index")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], metavar="KNOB=DIST", help="override a knob's draw (repeatable)")
    ap.add_argument("--by-attribute", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "_out")
    args = ap.parse_args(argv)
    from casestudies.data.synth.presets import PRESETS

    if args.preset not in PRESETS:
        ap.error(f"unknown preset {args.preset!r}; valid: {', '.join(sorted(PRESETS))}")
    overrides = parse_set(args.set)
    apply_overrides(args.preset, overrides)  # a bad knob fails here, before any worker starts
    bench = _bench()
    models = bench.dlib_models()
    if isinstance(models, str):
        print(f"identity probe skipped: {models}")
        return 1
    t0 = time.perf_counter()
    res: list[tuple] = []
    start = args.start
    with mp.get_context("spawn").Pool(args.workers) as pool:
        while len(res) < args.n:
            jobs = [(args.preset, list(range(start + k, start + CHUNK, 8)), args.size, overrides) for k in range(8)]
            for r in pool.map(_work, jobs):
                res += r
            start += CHUNK
    res = sorted(res)[: args.n]
    desc = np.array([r[4] for r in res])
    ids = np.arange(len(desc))
    share, pairs = bench._pair_share(desc, ids, same=False)
    lo, hi = bench.pair_share_interval(desc, ids, same=False)
    det = float(np.mean([r[2] for r in res]))  # every face here is near-frontal (|yaw| < 20)
    nme = float(np.median([r[3] for r in res if r[3] is not None]))
    tag = " ".join(args.set) or "as the preset draws"
    print(f"{args.preset} ({tag}): different faces judged the same person {share:.4f} [95 % {lo:.3f}-{hi:.3f}] "
          f"({pairs} pairs of {len(res)} faces from index {args.start}); detection |yaw|<20 {det:.3f}; "
          f"median NME {nme:.4f}; {time.perf_counter() - t0:.0f} s")
    if args.by_attribute:
        iu = np.triu_indices(len(desc), 1)
        same = bench._same_person(desc)[iu]
        print("\n".join(by_attribute(args.preset, [r[0] for r in res], same, overrides)))
    args.out.mkdir(parents=True, exist_ok=True)
    out = {"preset": args.preset, "overrides": overrides, "n": len(res), "start": args.start, "size": args.size,
           "share_different_pairs_same_person": share, "share_ci95": [lo, hi], "detect_abs_yaw_lt_20": det,
           "median_nme_abs_yaw_lt_20": nme, "indices": [r[0] for r in res]}
    (args.out / "bench_identity_probe.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
