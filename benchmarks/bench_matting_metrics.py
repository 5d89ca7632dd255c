"""Speed of the matting metrics: fast Grad + Conn against straightforward per-threshold ports.

Both versions must give the same values (checked on every repeat); the figure is the ratio of median
CPU times (1 thread). The pair is a 1024 x 1024 portrait-like matte (head, shoulders, a soft hair fringe)
and a prediction with blur, noise and holes; the mask is its evaluation trimap's unknown band.

    python benchmarks/bench_matting_metrics.py [--size 1024] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import cv2
import numpy as np

from casestudies.data.matting import evaluation_trimap
from casestudies.metrics import matting as M
from casestudies.threads import pin_threads


def portrait_pair(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pred, gt, unknown band) for a synthetic portrait matte of ``size`` px."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    head = ((xx - 0.5) / 0.22) ** 2 + ((yy - 0.4) / 0.28) ** 2 < 1
    body = (yy > 0.72) & (np.abs(xx - 0.5) < 0.45 - 0.3 * (1 - yy))
    hard = (head | body).astype(np.float64)
    noise = cv2.GaussianBlur(rng.random((size, size)), (0, 0), size / 400)
    ring = cv2.GaussianBlur(hard, (0, 0), size / 60)
    fringe = np.clip((ring - 0.15) * 3, 0, 1) * np.clip((noise - 0.45) * 8, 0, 1)
    gt = np.clip(np.maximum(cv2.GaussianBlur(hard, (0, 0), size / 500), fringe), 0, 1)
    pred = cv2.GaussianBlur(gt, (0, 0), size / 300) + cv2.GaussianBlur(rng.normal(0, 0.2, gt.shape), (0, 0), 2)
    holes = cv2.GaussianBlur(rng.random((size, size)), (0, 0), size / 100) > 0.53
    pred = np.clip(np.where(holes & (gt > 0.9), pred * 0.6, pred), 0, 1)
    band = evaluation_trimap(gt.astype(np.float32)) == 128
    return pred, gt, band


def _time(fn, *args) -> tuple[float, float]:
    t = time.process_time()
    value = fn(*args)
    return time.process_time() - t, value


def run(size: int, repeats: int) -> dict:
    pin_threads(1)
    pred, gt, band = portrait_pair(size)
    M.connectivity_error(pred[:64, :64], gt[:64, :64], band[:64, :64])  # compile the numba kernel first
    fast, slow = [], []
    for _ in range(repeats):
        tg, g_fast = _time(M.gradient_error, pred, gt, band)
        tc, c_fast = _time(M.connectivity_error, pred, gt, band)
        tg_ref, g_ref = _time(M.gradient_error_reference, pred, gt, band)
        tc_ref, c_ref = _time(M.connectivity_error_reference, pred, gt, band)
        if not (np.isclose(g_fast, g_ref, rtol=1e-10, atol=0) and c_fast == c_ref):
            raise AssertionError(f"values differ: grad {g_fast} vs {g_ref}, conn {c_fast} vs {c_ref}")
        fast.append((tg, tc))
        slow.append((tg_ref, tc_ref))
    med = statistics.median
    out = {
        "size": size, "band_share": round(float(band.mean()), 4), "repeats": repeats,
        "grad": g_fast, "conn": c_fast,
        "fast_grad_s": med(t[0] for t in fast), "fast_conn_s": med(t[1] for t in fast),
        "reference_grad_s": med(t[0] for t in slow), "reference_conn_s": med(t[1] for t in slow),
    }
    out["fast_total_s"] = med(sum(t) for t in fast)
    out["reference_total_s"] = med(sum(t) for t in slow)
    out["speedup"] = round(out["reference_total_s"] / out["fast_total_s"], 1)
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    result = run(a.size, a.repeats)
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
