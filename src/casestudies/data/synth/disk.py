"""On-disk sets: write/read one sample, ``generate`` a set in parallel, and the generated-set cache.

Layout per image id (the FaceSynthetics layout plus extra layers)::

    {id:06d}.png            RGB 8-bit            {id:06d}_seg.png     facesynthetics19 ids, 255 ignore
    {id:06d}_ldmks.txt      70 lines "x y" (68 iBUG, then pupils: subject's right first), pixel centres
    {id:06d}_alpha.png      16-bit, alpha = value / 65535
    {id:06d}_fg.png, {id:06d}_bg.png      RGB 8-bit layers
    {id:06d}_depth.npy      float32 camera depth (m), 0 = no surface
    {id:06d}_normals.npy    float16 camera-frame unit normals, 0 = no surface
    {id:06d}_meta.json      visibility, pose, gaze, camera, sampled params, ...
    manifest.json           generator version, preset, seed, n, size, ids, params per id (written last)
"""

from __future__ import annotations

import atexit
import json
import multiprocessing as mp
import os
import shutil
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import cv2
import numpy as np

from casestudies.data.synth.knobs import GENERATOR_VERSION
from casestudies.data.synth.presets import get_preset, sample_params
from casestudies.data.synth.render import render_sample
from casestudies.filelock import exclusive
from casestudies.threads import pin_worker, pinned_env


def _dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True, indent=1)


def _write_png(path: Path, img: np.ndarray) -> None:
    if img.ndim == 3:
        img = img[..., ::-1]
    # zlib level 1 rather than 3: the five PNGs of a sample encode faster (files 2 % larger)
    if not cv2.imwrite(str(path), np.ascontiguousarray(img), [cv2.IMWRITE_PNG_COMPRESSION, 1]):
        raise OSError(f"could not write {path}")


def _read_png(path: Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    img = cv2.imread(str(path), flags)
    if img is None:
        raise FileNotFoundError(path)
    return img[..., ::-1].copy() if img.ndim == 3 else img


def write_sample(out_dir: Path, idx: int, s: dict) -> None:
    """Write one sample in the on-disk layout (see module docstring)."""
    out_dir = Path(out_dir)
    stem = out_dir / f"{idx:06d}"
    _write_png(Path(f"{stem}.png"), s["image"])
    _write_png(Path(f"{stem}_seg.png"), s["seg"])
    pts = np.concatenate([s["landmarks"], s["pupils"]]).astype(np.float32)
    Path(f"{stem}_ldmks.txt").write_text("".join(f"{x:.9g} {y:.9g}\n" for x, y in pts))
    _write_png(Path(f"{stem}_alpha.png"), np.round(s["alpha"] * 65535).astype(np.uint16))
    _write_png(Path(f"{stem}_fg.png"), s["foreground"])
    _write_png(Path(f"{stem}_bg.png"), s["background"])
    np.save(f"{stem}_depth.npy", s["depth"].astype(np.float32))
    np.save(f"{stem}_normals.npy", s["normals"].astype(np.float16))
    Path(f"{stem}_meta.json").write_text(_dumps(s["meta"]))


def read_sample(directory: str | Path, idx: int) -> dict:
    """Read one sample back (the Sample contract); layers a directory lacks are absent from the dict."""
    stem = Path(directory) / f"{idx:06d}"
    out: dict = {"image": _read_png(Path(f"{stem}.png"), cv2.IMREAD_COLOR),
                 "seg": _read_png(Path(f"{stem}_seg.png"), cv2.IMREAD_UNCHANGED)}
    pts = np.array([[float(v) for v in ln.split()] for ln in Path(f"{stem}_ldmks.txt").read_text().splitlines()],
                   np.float32)
    out["landmarks"], out["pupils"] = pts[:68], pts[68:70]
    if Path(f"{stem}_alpha.png").exists():
        out["alpha"] = _read_png(Path(f"{stem}_alpha.png")).astype(np.float32) / np.float32(65535)
    for key, suffix in (("foreground", "fg"), ("background", "bg")):
        if Path(f"{stem}_{suffix}.png").exists():
            out[key] = _read_png(Path(f"{stem}_{suffix}.png"), cv2.IMREAD_COLOR)
    if Path(f"{stem}_depth.npy").exists():
        out["depth"] = np.load(f"{stem}_depth.npy")
    if Path(f"{stem}_normals.npy").exists():
        out["normals"] = np.load(f"{stem}_normals.npy").astype(np.float32)
    if Path(f"{stem}_meta.json").exists():
        meta = json.loads(Path(f"{stem}_meta.json").read_text())
        out["meta"] = meta
        out["landmarks_visible"] = np.array(meta["landmarks_visible"], bool)
    return out


def image_seeds(seed: int, idx: int, preset: str = "") -> tuple[np.random.Generator, int]:
    """(params rng, render seed) for image ``idx`` of a set with ``seed``: independent of the worker;
    the preset name is mixed in so presets sharing a seed do not draw correlated parameters."""
    ss = np.random.SeedSequence([int(seed), int(idx), zlib.crc32(preset.encode())])
    a, b = ss.spawn(2)
    return np.random.default_rng(a), int(b.generate_state(1)[0])


def render_index(preset: str, seed: int, idx: int, size: int) -> dict:
    """The deterministic sample ``idx`` of the set (preset, seed, size)."""
    rng, rseed = image_seeds(seed, idx, preset)
    return render_sample(sample_params(preset, rng), size=size, seed=rseed, domain=preset)


def _job(args: tuple) -> tuple[int, dict]:
    preset, seed, idx, size, out_dir = args
    s = render_index(preset, seed, idx, size)
    write_sample(Path(out_dir), idx, s)
    return idx, s["meta"]["params"]


UNGUARDED = (
    "{what} was called while a spawned worker process re-imported the main script ({script}): the script "
    "runs its top-level code again in every worker, so each worker would ask for the set the parent is "
    "generating and wait for it forever. Put the script's top-level code under\n"
    "    if __name__ == \"__main__\":\n"
    "(or pass workers=1)."
)


def _check_not_reimported_main(what: str) -> None:
    """Raise if called from the top level of a main script that a spawned worker is re-importing.

    ``spawn`` workers run the parent's main module again as ``__mp_main__`` (before
    ``multiprocessing.parent_process()`` is set); unguarded top-level code that asks for a set would
    wait on the parent's lock (or start workers of its own) forever.
    """
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == "__mp_main__" and frame.f_code.co_name == "<module>":
            raise RuntimeError(UNGUARDED.format(what=what, script=frame.f_code.co_filename))
        frame = frame.f_back


def default_workers() -> int:
    """Worker processes when none are asked for: one per CPU core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_POOLS: dict[int, ProcessPoolExecutor] = {}  # worker count -> pool kept for this process's later sets


def _pool(workers: int) -> ProcessPoolExecutor:
    """This process's pool of ``workers`` spawned generator processes (made on first use, then kept:
    a fresh pool costs seconds of process start, imports and warm-up per set). Call it, and submit to
    it, inside ``pinned_env(1)``: a spawned process takes the environment of the moment it starts."""
    pool = _POOLS.get(workers)
    if pool is None:
        pool = _POOLS[workers] = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                                     initializer=pin_worker)
    return pool


def close_pools() -> None:
    """Shut down the kept generator pools (their processes exit; a later set starts a new pool)."""
    while _POOLS:
        _POOLS.popitem()[1].shutdown(wait=True, cancel_futures=True)


atexit.register(close_pools)


def generate(preset: str, n: int, size: int, seed: int, out_dir: str | Path, workers: int = 1,
             progress: bool = True) -> Path:
    """Render ``n`` images of ``preset`` into ``out_dir``; same arguments -> byte-identical files.

    Workers are spawned processes with every thread pool pinned to one thread, kept for the process's
    later calls (:func:`close_pools` ends them). ``manifest.json`` is written last. A worker that dies
    (for instance while re-importing an unguarded main script) fails the call with a message instead
    of hanging, and its pool is dropped. Example:
    ``generate("synthetic", 8, 64, 0, "/tmp/faces", workers=2)`` (under ``if __name__ == "__main__":``
    in a script).
    """
    from tqdm import tqdm

    _check_not_reimported_main("generate()")
    pr = get_preset(preset)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(preset, int(seed), i, int(size), str(out)) for i in range(n)]
    params: dict[int, dict] = {}
    bar = tqdm(total=n, desc=f"generate {preset} {size}px", disable=not progress)
    if workers <= 1:
        for j in jobs:
            i, prm = _job(j)
            params[i] = prm
            bar.update()
    else:
        try:
            with pinned_env(1):
                for i, prm in _pool(workers).map(_job, jobs, chunksize=max(1, min(16, n // (4 * workers)))):
                    params[i] = prm
                    bar.update()
        except BrokenProcessPool as e:
            _POOLS.pop(workers, None)
            main = getattr(sys.modules.get("__main__"), "__file__", "the main script")
            raise RuntimeError(
                f"a generator worker process died ({e}). If this is a script that calls generate() or "
                f"cached_dataset() with workers > 1 at its top level ({main}), every spawned worker re-runs "
                "that code: put it under `if __name__ == \"__main__\":`. The worker's own error is printed "
                "above.") from e
    bar.close()
    manifest = {
        "generator_version": GENERATOR_VERSION, "preset": preset, "domain": preset,
        "is_standin": pr.is_standin, "description": pr.description, "seed": int(seed), "n": int(n),
        "size": int(size), "taxonomy": "facesynthetics19", "ids": list(range(n)),
        "params": {f"{i:06d}": params[i] for i in range(n)},
    }
    (out / "manifest.json").write_text(_dumps(manifest))
    return out


def read_manifest(directory: str | Path) -> dict:
    return json.loads((Path(directory) / "manifest.json").read_text())


def cache_root() -> Path:
    """``$CASESTUDIES_CACHE``, else ``<repo>/cache/synth`` when run from a checkout, else ``~/.cache/casestudies``."""
    env = os.environ.get("CASESTUDIES_CACHE")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").exists() and os.access(parent, os.W_OK):
            return parent / "cache" / "synth"
    return Path.home() / ".cache" / "casestudies" / "synth"


def cached_dataset(preset: str, seed: int, n: int, size: int, workers: int = 1, progress: bool = False) -> Path:
    """Directory of the set keyed by (preset, seed, n, size, GENERATOR_VERSION); generated on first use."""
    _check_not_reimported_main("cached_dataset()")
    get_preset(preset)
    path = cache_root() / f"{preset}_seed{seed}_n{n}_{size}px_v{GENERATOR_VERSION}"
    if (path / "manifest.json").exists():
        return path
    from casestudies.runlog import one_off

    # concurrent runs of a sweep asking for the same set: the first generates it, the others wait
    with one_off(), exclusive(path.with_name(path.name + ".lock")):
        if (path / "manifest.json").exists():
            return path
        tmp = path.with_name(path.name + ".partial")
        for stale in (tmp, path):  # left by a process killed mid-generation
            if stale.exists():
                shutil.rmtree(stale)
        t0 = time.perf_counter()
        generate(preset, n, size, seed, tmp, workers=workers, progress=progress)
        tmp.rename(path)
        _log_generation(path, preset, n, size, workers, time.perf_counter() - t0)
    return path


def _log_generation(path: Path, preset: str, n: int, size: int, workers: int, seconds: float) -> None:
    """One line in ``<cache>/generation_log.jsonl`` per set rendered (the report's build stages read it)."""
    from casestudies.buildlog import GENERATION_LOG, append_line

    append_line(path.parent / GENERATION_LOG, {"set": path.name, "preset": preset, "n": int(n), "size": int(size),
                                               "workers": int(workers), "seconds": round(seconds, 2),
                                               "finished_at": round(time.time(), 3)})
