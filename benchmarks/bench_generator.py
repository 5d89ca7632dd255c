"""Generator benchmark: throughput (all labels, hair), Haar-cascade realism, and (with the optional
``bench`` extra: ``pip install dlib-bin face_recognition_models``) identity and realism as a face
recognition model trained on real photos sees them.

    python benchmarks/bench_generator.py --n 240 [--sizes 128 256] [--workers 2] [--skip-dlib]

Throughput renders complete samples (every layer and label) in memory on ``--workers`` spawned
processes with pinned threads, after a warm-up; ``--disk`` also writes them. It reports wall-clock
images/s and CPU-ms per image (which survives a loaded machine). Realism runs OpenCV's Haar
frontal-face cascade on renders of each preset and reports the detection rate by |yaw| bin; a
detection counts when its box contains the nose-tip landmark. An 8x8 gallery per preset goes to
``--out``. The dlib part (``dlib_identity`` / ``dlib_realism``) is skipped with a message when dlib
is not installed. Shares and rates carry 95 % intervals (``*_ci95``): a bootstrap over the faces or
identities for the pair shares, a Wilson interval for detection rates.
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


def serial_cpu(preset: str, size: int, n: int) -> dict:
    """CPU-ms per image in this process (threads pinned to one), after six warm-up renders: the
    figure that best survives a shared machine."""
    pin_worker()
    for i in range(6):
        render_index(preset, 999, i, size)
    t0 = time.process_time()
    for i in range(n):
        render_index(preset, 0, i, size)
    return {"preset": preset, "size": size, "n": n, "cpu_ms_per_image": 1e3 * (time.process_time() - t0) / n}


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


# --- dlib: identity and realism as a model trained on real photos sees them (optional `bench` extra) ---
POINT_GROUPS = {"jaw": range(0, 17), "brows": range(17, 27), "nose": range(27, 36), "eyes": range(36, 48),
                "mouth": range(48, 68)}  # iBUG 68 point groups for the per-group NME
SAME_PERSON = 0.6  # dlib's documented same-person threshold on the 128-D descriptor distance
FRONTAL_YAW = 20.0  # |yaw| (degrees) of the near-frontal faces of the identity measurement


def dlib_models():
    """(detector, 68-point predictor, face descriptor) from dlib + face_recognition_models, or a reason string."""
    import importlib.util

    try:
        import dlib
    except ImportError:
        return "dlib is not installed (pip install -e '.[bench]' or pip install dlib-bin face_recognition_models)"
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return "face_recognition_models is not installed (pip install face_recognition_models)"
    models = Path(list(spec.submodule_search_locations)[0]) / "models"
    try:
        return (dlib.get_frontal_face_detector(),
                dlib.shape_predictor(str(models / "shape_predictor_68_face_landmarks.dat")),
                dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat")))
    except RuntimeError as e:
        return f"dlib models could not be loaded: {e}"


def _dlib_face(models, img: np.ndarray, lms: np.ndarray) -> tuple[bool, np.ndarray | None, np.ndarray]:
    """(detected, 68x2 predicted points or None, 128-D descriptor) for the face whose labelled landmarks
    are ``lms`` (68 x 2, pixels).

    A detection whose box holds the labelled nose tip starts dlib's shape predictor, and the descriptor
    is computed on the chip aligned by the predicted points, as dlib's own pipeline does. A face the
    detector misses gets no predicted points, and its descriptor is aligned on the labelled landmarks:
    the predictor started from a box drawn around a missed face fits it badly (on `standin_real_b`,
    such descriptors lay a median 0.51 from the label-aligned ones, against 0.12 for detected faces),
    which made a detector miss count as a change of identity. Detection is counted separately.
    """
    import dlib

    det, pred, rec = models
    x, y = lms[30]
    hit = [r for r in det(img, 1) if r.left() <= x <= r.right() and r.top() <= y <= r.bottom()]
    if hit:
        shape = pred(img, hit[0])
        pts = np.array([[shape.part(i).x, shape.part(i).y] for i in range(68)], np.float32)
    else:
        lo, hi = np.floor(lms.min(0)), np.ceil(lms.max(0))
        shape = dlib.full_object_detection(dlib.rectangle(*(int(v) for v in (*lo, *hi))),
                                           [dlib.point(int(round(px)), int(round(py))) for px, py in lms])
        pts = None
    return bool(hit), pts, np.array(rec.compute_face_descriptor(img, shape))


def _near_frontal(s: dict) -> bool:
    """A sample of the identity measurement: |yaw| < FRONTAL_YAW and no face mask."""
    return abs(s["meta"]["pose"]["yaw"]) < FRONTAL_YAW and s["meta"]["params"]["mask"] == "none"


def _point_errors(pts: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """Per-point distance between predicted ``pts`` and labelled ``lm`` (68 x 2) over the outer-eye-corner
    distance (points 36-45); its mean is the NME."""
    return np.linalg.norm(pts - lm, axis=1) / float(np.linalg.norm(lm[36] - lm[45]))


def _same_person(desc: np.ndarray) -> np.ndarray:
    """Pairwise 'same person' matrix of descriptors (distance under ``SAME_PERSON``)."""
    return np.linalg.norm(desc[:, None] - desc[None], axis=-1) < SAME_PERSON


def _pair_share(desc: np.ndarray, groups: np.ndarray, same: bool) -> tuple[float, int]:
    iu = np.triu_indices(len(desc), 1)
    sel = (groups[iu[0]] == groups[iu[1]]) == same
    return float(_same_person(desc)[iu][sel].mean()) if sel.any() else float("nan"), int(sel.sum())


N_BOOT = 2000  # bootstrap resamples of the pair shares' intervals


def pair_share_interval(desc: np.ndarray, groups: np.ndarray, same: bool, n_boot: int = N_BOOT,
                        seed: int = 0) -> tuple[float, float]:
    """95 % bootstrap interval of ``_pair_share``: the *groups* (faces, or identities with their renders)
    are resampled with replacement, because pairs that share a face are not independent. Pairs are
    counted between distinct draws only: a group drawn twice never pairs with its own copy (its pairs
    with itself would be distance 0, or the same pairs twice)."""
    d = _same_person(desc)
    ids, inv = np.unique(groups, return_inverse=True)
    g = len(ids)
    if same:  # per identity: (pairs under the threshold, pairs); a resample sums them over its draws
        hits = np.zeros(g)
        pairs = np.zeros(g)
        iu = np.triu_indices(len(desc), 1)
        within = inv[iu[0]] == inv[iu[1]]
        np.add.at(hits, inv[iu[0]][within], d[iu][within])
        np.add.at(pairs, inv[iu[0]][within], 1)
    else:  # one face per group: the between-group hit matrix of distinct draws
        hit_g = np.zeros((g, g))
        np.add.at(hit_g, (inv[:, None], inv[None]), d)
        cnt_g = np.zeros((g, g))
        np.add.at(cnt_g, (inv[:, None], inv[None]), 1.0)
    rng = np.random.default_rng(seed)
    out = np.empty(n_boot)
    for b in range(n_boot):
        draw = rng.integers(0, g, g)
        if same:
            out[b] = hits[draw].sum() / max(pairs[draw].sum(), 1)
        else:
            k = np.bincount(draw, minlength=g).astype(float)
            # draws i != j of groups a, b: k_a k_b pairs of (a, b) for a != b; a group with itself never
            w = np.outer(k, k)
            np.fill_diagonal(w, 0.0)
            out[b] = (w * hit_g).sum() / max((w * cnt_g).sum(), 1)
    lo, hi = np.percentile(out, [2.5, 97.5])
    return float(lo), float(hi)


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a rate of ``k`` successes in ``n`` trials."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(mid - half), float(mid + half)


def dlib_identity(models, preset: str, size: int, n: int, n_ids: int, per_id: int) -> dict:
    """Share of different-face pairs under the same-person threshold (``n`` near-frontal faces, one
    identity each, |yaw| < FRONTAL_YAW), and of same-identity pairs under it (``n_ids`` identities rendered
    with new pose, light, expression, hair cut and background): over ``per_id`` renders at the preset's
    poses, and over ``per_id`` near-frontal renders, the different faces' pose range."""
    from casestudies.data.synth.disk import image_seeds
    from casestudies.data.synth.presets import sample_params
    from casestudies.data.synth.render import render_sample

    desc, i = [], 0
    while len(desc) < n:
        s = render_index(preset, 0, i, size)
        i += 1
        if _near_frontal(s):
            desc.append(_dlib_face(models, s["image"], s["landmarks"])[2])
    faces, ids = np.array(desc), np.arange(len(desc))
    (diff, n_diff), diff_ci = _pair_share(faces, ids, same=False), pair_share_interval(faces, ids, same=False)
    # renders j = 0, 1, ... of each identity: the first per_id at every pose, and the first per_id of
    # them near-frontal (further draws of the same identity until there are enough)
    every, frontal = [], []  # (identity, descriptor)
    for k in range(n_ids):
        n_frontal = 0
        for j in range(50 * per_id):
            if j >= per_id and n_frontal >= per_id:
                break
            rng, rseed = image_seeds(1, 1000 * k + j, preset)
            p = sample_params(preset, rng, identity_seed=10_000 + k) | {"mask": "none"}
            near = abs(float(p["yaw"])) < FRONTAL_YAW and n_frontal < per_id
            if j >= per_id and not near:
                continue
            s = render_sample(p, size=size, seed=rseed, domain=preset)
            d = _dlib_face(models, s["image"], s["landmarks"])[2]
            if j < per_id:
                every.append((k, d))
            if near:
                frontal.append((k, d))
                n_frontal += 1

    def share(pairs: list) -> tuple[float, int, tuple[float, float]]:
        desc_k, ids_k = np.array([d for _, d in pairs]), np.array([k for k, _ in pairs])
        return (*_pair_share(desc_k, ids_k, same=True), pair_share_interval(desc_k, ids_k, same=True))

    (same, n_same, same_ci), (same_f, n_same_f, same_f_ci) = share(every), share(frontal)
    return {"preset": preset, "size": size, "n_faces": len(desc), "different_pairs": n_diff,
            "share_different_pairs_same_person": diff, "share_different_pairs_same_person_ci95": diff_ci,
            "identities": n_ids, "renders_per_identity": per_id,
            "same_pairs": n_same, "share_same_identity_pairs_same_person": same,
            "share_same_identity_pairs_same_person_ci95": same_ci,
            "same_pairs_near_frontal": n_same_f, "share_same_identity_pairs_same_person_near_frontal": same_f,
            "share_same_identity_pairs_same_person_near_frontal_ci95": same_f_ci,
            "frontal_yaw_deg": FRONTAL_YAW, "threshold": SAME_PERSON,
            "intervals": f"95 % bootstrap over faces / identities ({N_BOOT} resamples)"}


def dlib_realism(models, preset: str, size: int, n: int) -> dict:
    """dlib HOG detection rate by |yaw| bin, and the 68-point NME between dlib's predictor and our labels
    (mean point distance / outer-eye-corner distance 36-45, per image), with the mean signed offset of
    each point (dlib - label, in units of that distance; x = image right, y = image down)."""
    yaws, hits, nme, offs, groups = [], [], [], [], []
    for i in range(n):
        s = render_index(preset, 0, i, size)
        yaw = abs(s["meta"]["pose"]["yaw"])
        hit, pts, _ = _dlib_face(models, s["image"], s["landmarks"])
        yaws.append(yaw)
        hits.append(hit)
        if hit and yaw < 30:
            lm = s["landmarks"]
            err = _point_errors(pts, lm)
            nme.append(float(err.mean()))
            groups.append([float(err[list(r)].mean()) for r in POINT_GROUPS.values()])
            offs.append((pts - lm) / float(np.linalg.norm(lm[36] - lm[45])))
    yaws_a, hits_a = np.array(yaws), np.array(hits)
    rates = {}
    for lo, hi in zip(YAW_BINS[:-1], YAW_BINS[1:]):
        m = (yaws_a >= lo) & (yaws_a < hi)
        rates[f"{lo}-{hi}"] = {"n": int(m.sum()), "rate": float(hits_a[m].mean()) if m.any() else None}
    off = np.array(offs).mean(0) if offs else np.zeros((68, 2))
    front = hits_a[yaws_a < 30]
    return {"preset": preset, "size": size, "n": n, "detect_by_abs_yaw": rates,
            "detect_abs_yaw_lt_30": float(front.mean()), "detect_abs_yaw_lt_30_n": int(len(front)),
            "detect_abs_yaw_lt_30_ci95": wilson_interval(int(front.sum()), len(front)),
            "median_nme_abs_yaw_lt_30": float(np.median(nme)) if nme else None,
            "median_nme_by_group": dict(zip(POINT_GROUPS, np.median(groups, 0).round(4).tolist())) if groups else None,
            "mean_offset_per_point": off.round(4).tolist(),
            "nose_tip_offset_y": float(off[30, 1]), "nose_tip_offset_sd_y": float(np.array(offs)[:, 30, 1].std()) if offs else None}


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
    ap.add_argument("--serial", action="store_true", help="speed: CPU-ms per image in one process (no pool)")
    ap.add_argument("--skip-realism", action="store_true")
    ap.add_argument("--skip-dlib", action="store_true", help="skip the dlib identity / realism measurements")
    ap.add_argument("--skip-identity", action="store_true", help="dlib: realism (detection, NME) only")
    ap.add_argument("--dlib-n", type=int, default=200, help="near-frontal faces for the identity measurement")
    ap.add_argument("--dlib-realism-n", type=int, default=None,
                    help="renders for the dlib realism measurement (default: --dlib-n); 200 renders give a "
                         "detection rate +-0.02, 1000 about +-0.009")
    ap.add_argument("--dlib-size", type=int, default=256)
    ap.add_argument("--dlib-ids", type=int, default=20, help="identities rendered several times each")
    ap.add_argument("--dlib-per-id", type=int, default=5)
    args = ap.parse_args(argv)
    results: dict = {"speed": [], "realism": [], "load_avg_at_start": os.getloadavg()}
    if not args.skip_speed and args.serial:
        for size in args.sizes:
            r = serial_cpu("synthetic", size, args.n)
            results["speed"].append(r)
            print(f"speed {size}px, one process: {r['cpu_ms_per_image']:.1f} CPU-ms/image (n={args.n})")
    elif not args.skip_speed:
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
    if not args.skip_dlib:
        models = dlib_models()
        if isinstance(models, str):
            print(f"dlib measurements skipped: {models}")
            results["dlib_skipped"] = models
        else:
            results["dlib_identity"], results["dlib_realism"] = [], []
            for preset in args.presets:
                if not args.skip_identity:
                    r = dlib_identity(models, preset, args.dlib_size, args.dlib_n, args.dlib_ids, args.dlib_per_id)
                    results["dlib_identity"].append(r)
                    ci = {k: "{:.3f}-{:.3f}".format(*r[f"{k}_ci95"]) for k in (
                        "share_different_pairs_same_person", "share_same_identity_pairs_same_person_near_frontal",
                        "share_same_identity_pairs_same_person")}
                    print(f"dlib identity {preset} {args.dlib_size}px: different faces judged the same person "
                          f"{r['share_different_pairs_same_person']:.3f} [95 % {ci['share_different_pairs_same_person']}] "
                          f"({r['different_pairs']} pairs); same identity judged the same "
                          f"{r['share_same_identity_pairs_same_person_near_frontal']:.3f} "
                          f"[{ci['share_same_identity_pairs_same_person_near_frontal']}] near-frontal "
                          f"({r['same_pairs_near_frontal']} pairs), {r['share_same_identity_pairs_same_person']:.3f} "
                          f"[{ci['share_same_identity_pairs_same_person']}] at every pose ({r['same_pairs']} pairs)")
                r = dlib_realism(models, preset, args.dlib_size, args.dlib_realism_n or args.dlib_n)
                results["dlib_realism"].append(r)
                bins = ", ".join(f"{k}: {v['rate']:.2f}" for k, v in r["detect_by_abs_yaw"].items() if v["rate"] is not None)
                lo, hi = r["detect_abs_yaw_lt_30_ci95"]
                print(f"dlib realism {preset} {args.dlib_size}px: detection |yaw|<30 {r['detect_abs_yaw_lt_30']:.3f} "
                      f"[95 % {lo:.3f}-{hi:.3f}, n={r['detect_abs_yaw_lt_30_n']}] ({bins}); median NME {r['median_nme_abs_yaw_lt_30']:.4f} {r['median_nme_by_group']}; nose tip dy "
                      f"{r['nose_tip_offset_y']:+.3f} (sd {r['nose_tip_offset_sd_y']:.3f})")
    results["load_avg_at_end"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_generator.json").write_text(json.dumps(results, indent=1))
    print(f"load average {results['load_avg_at_start']} -> {results['load_avg_at_end']} (shared machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
