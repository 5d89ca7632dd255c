"""Generator benchmark: throughput (all labels, hair) on worker processes and Haar-cascade realism.

``python benchmarks/bench_generator.py`` or ``casestudies.data.synth.bench.main(argv)``. Throughput
renders complete samples (every layer and label) in memory on ``--workers`` spawned processes with
pinned threads, after a warm-up; ``--disk`` also writes them. Realism runs OpenCV's Haar frontal-face
cascade on renders of each preset and reports the detection rate by |yaw| bin; a detection counts when
its box contains the nose-tip landmark. An 8x8 gallery per preset goes to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from casestudies.data.synth.disk import render_index, write_sample
from casestudies.data.synth.presets import PRESETS
from casestudies.threads import pin_worker, pinned_env

YAW_BINS = (0, 10, 20, 30, 45, 90)


def _warm(args: tuple) -> int:
    preset, size = args
    render_index(preset, 999, 0, size)
    return os.getpid()


def _render(args: tuple) -> tuple[int, float, float]:
    preset, seed, idx, size, out = args
    t0 = time.process_time()
    s = render_index(preset, seed, idx, size)
    if out:
        write_sample(Path(out), idx, s)
    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, time.process_time() - t0


def throughput(preset: str, size: int, n: int, workers: int, disk: bool = False) -> dict:
    """Images/s over ``n`` renders on ``workers`` processes, and the peak RSS (MiB) of each worker."""
    with pinned_env(1), tempfile.TemporaryDirectory() as tmp, \
            mp.get_context("spawn").Pool(workers, initializer=pin_worker) as pool:
        pool.map(_warm, [(preset, size)] * (workers * 2), chunksize=1)
        jobs = [(preset, 0, i, size, tmp if disk else "") for i in range(n)]
        t0 = time.perf_counter()
        res = pool.map(_render, jobs, chunksize=4)
        dt = time.perf_counter() - t0
    rss: dict[int, float] = {}
    for pid, r, _ in res:
        rss[pid] = max(rss.get(pid, 0.0), r)
    cpu = sum(c for _, _, c in res)
    # images per CPU-second x workers: what the workers reach on otherwise idle cores
    return {"preset": preset, "size": size, "n": n, "workers": workers, "disk": disk, "seconds": dt,
            "images_per_s": n / dt, "cpu_ms_per_image": 1e3 * cpu / n, "images_per_s_if_cores_idle": workers * n / cpu,
            "peak_rss_mib_per_worker": sorted(rss.values())}


def haar_detector() -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
    det = cv2.CascadeClassifier(str(path))
    if det.empty():
        raise FileNotFoundError(path)
    return det


def detected(det: cv2.CascadeClassifier, s: dict) -> bool:
    """Whether a Haar detection box contains the nose tip (iBUG 30)."""
    grey = cv2.cvtColor(s["image"], cv2.COLOR_RGB2GRAY)
    min_side = max(12, s["image"].shape[0] // 8)
    boxes = det.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=3, minSize=(min_side, min_side))
    x, y = s["landmarks"][30]
    return any(bx <= x <= bx + bw and by <= y <= by + bh for bx, by, bw, bh in boxes)


def realism(preset: str, size: int, n: int, out_dir: Path | None) -> dict:
    """Haar detection rate by |yaw| bin over ``n`` renders; saves an 8x8 gallery PNG to ``out_dir``."""
    det = haar_detector()
    yaws, hits, tiles, tones = [], [], [], []
    for i in range(n):
        s = render_index(preset, 0, i, size)
        yaws.append(abs(s["meta"]["pose"]["yaw"]))
        tones.append(s["meta"]["params"]["skin_tone"])
        hits.append(detected(det, s))
        if len(tiles) < 64:
            tiles.append(s["image"])
    yaws_a, hits_a = np.array(yaws), np.array(hits)
    rates = {}
    for lo, hi in zip(YAW_BINS[:-1], YAW_BINS[1:]):
        m = (yaws_a >= lo) & (yaws_a < hi)
        rates[f"{lo}-{hi}"] = {"n": int(m.sum()), "rate": float(hits_a[m].mean()) if m.any() else None}
    front = yaws_a < 20
    tones_a = np.array(tones)
    by_tone = {}
    for lo, hi in ((0.0, 0.5), (0.5, 1.01)):
        m = front & (tones_a >= lo) & (tones_a < hi)
        by_tone[f"{lo:g}-{min(hi, 1):g}"] = {"n": int(m.sum()), "rate": float(hits_a[m].mean()) if m.any() else None}
    out = {"preset": preset, "size": size, "n": n, "by_abs_yaw": rates,
           "rate_abs_yaw_lt_20": float(hits_a[front].mean()) if front.any() else None,
           "abs_yaw_lt_20_by_skin_tone": by_tone,
           "is_standin": PRESETS[preset].is_standin}
    if out_dir is not None and tiles:
        out_dir.mkdir(parents=True, exist_ok=True)
        while len(tiles) < 64:
            tiles.append(np.zeros_like(tiles[0]))
        grid = np.concatenate([np.concatenate(tiles[r * 8:(r + 1) * 8], 1) for r in range(8)], 0)
        label = f"{preset} (STAND-IN, not real data)" if PRESETS[preset].is_standin else preset
        cv2.putText(grid, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 2, cv2.LINE_AA)
        cv2.imwrite(str(out_dir / f"gallery_{preset}.png"), grid[..., ::-1])
        out["gallery"] = str(out_dir / f"gallery_{preset}.png")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--n", type=int, default=240, help="images per throughput measurement")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--disk", action="store_true", help="also write every sample to a temporary directory")
    ap.add_argument("--realism-n", type=int, default=200, help="renders per preset for the Haar check")
    ap.add_argument("--realism-size", type=int, default=128)
    ap.add_argument("--presets", nargs="+", default=sorted(PRESETS))
    ap.add_argument("--out", type=Path, default=Path("benchmarks/_out"))
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-realism", action="store_true")
    args = ap.parse_args(argv)
    results: dict = {"speed": [], "realism": [], "load_avg_at_start": os.getloadavg()}
    if not args.skip_speed:
        for size in args.sizes:
            r = throughput("synthetic", size, args.n, args.workers, args.disk)
            results["speed"].append(r)
            print(f"speed {size}px x{args.workers} workers{' +disk' if args.disk else ''}: "
                  f"{r['images_per_s']:.1f} img/s wall ({r['cpu_ms_per_image']:.1f} CPU-ms/image -> "
                  f"{r['images_per_s_if_cores_idle']:.1f} img/s on idle cores), "
                  f"peak RSS/worker {max(r['peak_rss_mib_per_worker']):.0f} MiB")
    if not args.skip_realism:
        for preset in args.presets:
            r = realism(preset, args.realism_size, args.realism_n, args.out)
            results["realism"].append(r)
            bins = ", ".join(f"{k}: {v['rate']:.2f} (n={v['n']})" for k, v in r["by_abs_yaw"].items() if v["rate"] is not None)
            tone = ", ".join(f"{k}: {v['rate']:.2f}" for k, v in r["abs_yaw_lt_20_by_skin_tone"].items() if v["rate"] is not None)
            print(f"haar {preset}: |yaw|<20 {r['rate_abs_yaw_lt_20']:.2f} (by skin tone {tone}); by |yaw| bin {bins}")
    results["load_avg_at_end"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_generator.json").write_text(json.dumps(results, indent=1))
    print(f"load average {results['load_avg_at_start']} -> {results['load_avg_at_end']} (shared machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
