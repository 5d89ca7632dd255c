"""Determinism, write-then-read round trip, the on-disk layout, the cache, the CLI hook and the Dataset."""

from __future__ import annotations

import argparse
import json

import numpy as np

from casestudies.data.synth import disk, render_sample
from casestudies.data.synth.cli import add_arguments, run
from casestudies.data.synth.dataset import SynthFaces
from casestudies.data.synth.disk import cached_dataset, generate, read_manifest, read_sample, render_index
from casestudies.data.synth.knobs import GENERATOR_VERSION
from tests.data.synth.synth_fixtures import bare_params


def _same(a: dict, b: dict) -> bool:
    return all((a[k] == b[k]) if k == "meta" else np.array_equal(a[k], b[k]) for k in a)


def test_render_is_deterministic():
    p = bare_params(hair_density=1.0, hair_length=0.2)
    a, b = render_sample(p, size=48, seed=4), render_sample(p, size=48, seed=4)
    c = render_sample(p, size=48, seed=5)
    assert _same(a, b)
    assert not np.array_equal(a["alpha"], c["alpha"])  # strand roots follow the seed


def test_generate_is_byte_identical_and_round_trips(tmp_path):
    d1 = generate("standin_real_a", 3, 48, 7, tmp_path / "a", workers=1, progress=False)
    d2 = generate("standin_real_a", 3, 48, 7, tmp_path / "b", workers=2, progress=False)
    files = sorted(p.name for p in d1.iterdir())
    assert files == sorted(p.name for p in d2.iterdir())
    assert len(files) == 3 * 9 + 1
    for f in files:
        assert (d1 / f).read_bytes() == (d2 / f).read_bytes(), f
    for i in range(3):
        assert _same(render_index("standin_real_a", 7, i, 48), read_sample(d1, i))
    m = read_manifest(d1)
    assert m["generator_version"] == GENERATOR_VERSION and m["is_standin"] and m["domain"] == "standin_real_a"
    assert m["ids"] == [0, 1, 2] and set(m["params"]) == {"000000", "000001", "000002"}
    lines = (d1 / "000000_ldmks.txt").read_text().splitlines()
    assert len(lines) == 70 and all(len(ln.split()) == 2 for ln in lines)
    meta = json.loads((d1 / "000000_meta.json").read_text())
    assert meta["is_standin"] and len(meta["landmarks_visible"]) == 68


def test_generator_pool_is_kept_between_sets_and_closes(tmp_path):
    disk.close_pools()
    generate("synthetic", 2, 32, 1, tmp_path / "a", workers=2, progress=False)
    pool = disk._POOLS[2]
    pids = set(pool._processes)
    generate("synthetic", 3, 32, 2, tmp_path / "b", workers=2, progress=False)
    assert disk._POOLS[2] is pool and set(pool._processes) == pids  # the same processes rendered both
    procs = list(pool._processes.values())
    disk.close_pools()
    assert not disk._POOLS and not any(p.is_alive() for p in procs)


def test_cache_reuses_the_set(tmp_path, monkeypatch):
    monkeypatch.setenv("CASESTUDIES_CACHE", str(tmp_path))
    a = cached_dataset("synthetic", 1, 2, 32)
    stamp = (a / "manifest.json").stat().st_mtime_ns
    b = cached_dataset("synthetic", 1, 2, 32)
    assert a == b and (b / "manifest.json").stat().st_mtime_ns == stamp
    assert a.parent == tmp_path and GENERATOR_VERSION in a.name
    assert cached_dataset("synthetic", 2, 2, 32) != a


def test_cli_run_writes_a_set(tmp_path):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--preset", "synthetic", "--n", "2", "--size", "32", "--seed", "3",
                              "--out", str(tmp_path / "o"), "--no-progress", "--workers", "1"])
    assert run(args) == 0
    assert read_manifest(tmp_path / "o")["n"] == 2
    assert (tmp_path / "o" / "000001_seg.png").exists()


def test_dataset_is_deterministic_per_epoch():
    ds = SynthFaces("synthetic", length=2, size=32, seed=3)
    a = ds[1]["image"]
    assert np.array_equal(a, ds[1]["image"])
    ds.set_epoch(1)
    assert not np.array_equal(a, ds[1]["image"])
    assert len(ds) == 2


def test_facesynthetics_reader_reads_generator_output(tmp_path):
    from casestudies.data.readers.facesynthetics import FaceSynthetics

    d = generate("synthetic", 3, 48, 2, tmp_path / "fs", progress=False)
    ds = FaceSynthetics(d, "all")
    assert len(ds) == 3
    for i in range(3):
        got, ref = ds[i], read_sample(d, i)
        for k in ("image", "seg", "landmarks", "pupils", "alpha", "foreground", "background", "depth", "normals",
                  "landmarks_visible"):
            assert np.array_equal(got[k], ref[k]), k
        assert got["meta"]["generator"]["generator_version"] == GENERATOR_VERSION


def test_concurrent_cache_requests_generate_once(tmp_path, monkeypatch):
    """Two runs asking for the same set at once: one generates, the other waits and reuses it."""
    import threading

    from casestudies.data.synth import disk

    monkeypatch.setenv("CASESTUDIES_CACHE", str(tmp_path))
    calls = []
    real_generate = disk.generate

    def counting(*args, **kwargs):
        calls.append(args)
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(disk, "generate", counting)
    (tmp_path / f"synthetic_seed3_n2_32px_v{disk.GENERATOR_VERSION}.partial").mkdir()  # stale leftover
    out = []
    threads = [threading.Thread(target=lambda: out.append(disk.cached_dataset("synthetic", 3, 2, 32))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and out[0] == out[1] and (out[0] / "manifest.json").exists()
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())


def test_unguarded_script_with_workers_fails_instead_of_hanging(tmp_path):
    """A plain script (no ``if __name__ == "__main__":``) asking for a set with workers=2: every spawned
    worker re-runs it and used to wait forever on the lock its parent holds."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "unguarded.py"
    script.write_text("from casestudies.data.synth.disk import cached_dataset\n"
                      "print(cached_dataset('synthetic', 0, 4, 32, workers=2))\n")
    src = str(Path(__file__).resolve().parents[3] / "src")
    env = os.environ | {"CASESTUDIES_CACHE": str(tmp_path / "cache"),
                        "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0
    assert 'if __name__ == "__main__":' in r.stderr and "unguarded.py" in r.stderr
    assert not (tmp_path / "cache" / f"synthetic_seed0_n4_32px_v{GENERATOR_VERSION}" / "manifest.json").exists()


def test_cli_defaults_to_one_worker_per_core(tmp_path, monkeypatch, capsys):
    from casestudies.data.synth import disk

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--preset", "synthetic", "--n", "1", "--size", "32", "--out", str(tmp_path / "o"),
                              "--no-progress"])
    assert args.workers is None
    monkeypatch.setattr(disk, "default_workers", lambda: 1)  # the test itself stays single-process
    assert run(args) == 0 and "1 workers" in capsys.readouterr().out
    monkeypatch.undo()
    import os

    assert disk.default_workers() == len(os.sched_getaffinity(0))
