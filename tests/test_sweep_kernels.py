"""Kernel reuse in sweeps: a worker runs its next run in the same kernel, with the previous run's
names cleared; records match fresh kernels; a failed run's kernel is never reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from casestudies.params import resolve
from casestudies.store import load_records
from casestudies.sweep import run_sweep
from tests.conftest import make_toy_root

pytestmark = pytest.mark.slow

GRID = """
profiles:
  tiny:
    base: {steps: 10}
    grid:
      - {lr: [0.01, 0.1]}
"""

FAILING = """
profiles:
  tiny:
    base: {steps: 5}
    grid:
      - {tag: [a]}
      - {tag: [b], fail: [true]}
      - {tag: [c, d]}
"""

LEAKY = '''# %% tags=["parameters"]
seed = 0  # which run

# %%
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

from casestudies import runlog

assert "leftover" not in globals(), f"a name from an earlier run survived: leftover={leftover}"
assert __spec__ != "rebound", "a rebound name kept the last run's value"
leftover = seed
__spec__ = "rebound"  # a run may rebind what spawned workers need; the next run gets it back
with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:  # as the generator's workers
    child = pool.submit(abs, -seed).result()
runlog.current().set_metrics({"seed_seen": seed, "child": child})
'''


def _sweep(root: Path, runs: Path, reuse: bool, jobs: int = 1, case: str = "toy_case"):
    plan = resolve(case, root / "notebooks" / f"{case}.py", root / "params" / f"{case}.yaml", "tiny")
    return run_sweep(plan, runs, root, jobs=jobs, threads=1, progress=False, reuse_kernels=reuse)


def _starts(log: Path) -> list[tuple[str, int]]:
    """(tag or seed/lr key, kernel pid) of each run start, in order."""
    rows = [line.split() for line in log.read_text().splitlines() if line.startswith("start")]
    return [(f"{r[1]}/{r[2]}/{r[3]}", int(r[4])) for r in rows]


def test_reused_kernel_gives_the_records_of_fresh_kernels(tmp_path, monkeypatch):
    root = make_toy_root(tmp_path / "proj", GRID)
    out = {}
    for reuse in (True, False):
        log = tmp_path / f"log_{reuse}.txt"
        monkeypatch.setenv("CASESTUDIES_TEST_LOG", str(log))
        summary = _sweep(root, tmp_path / f"runs_{reuse}", reuse)
        assert summary.ok and summary.count("done") == 2
        out[reuse] = (load_records(tmp_path / f"runs_{reuse}").set_index("run_id"), _starts(log))
    reused, fresh = out[True], out[False]
    assert len({pid for _, pid in reused[1]}) == 1  # one worker, one kernel for both runs
    assert len({pid for _, pid in fresh[1]}) == 2
    cols = ["metrics.test.mse", "metrics.test.r2", "metrics.train_loss"]
    assert reused[0].loc[fresh[0].index, cols].equals(fresh[0][cols])  # bit for bit
    # the later runs of a reused kernel skip the kernel start and imports
    first_run = reused[0]["timings.started"].idxmin()
    assert reused[0].drop(first_run)["timings.overhead_s"].max() < fresh[0]["timings.overhead_s"].median()


def test_names_of_an_earlier_run_are_gone(tmp_path):
    root = make_toy_root(tmp_path / "proj", "profiles:\n  tiny:\n    grid:\n      seed: [0, 1, 2]\n")
    (root / "notebooks" / "leaky.py").write_text(LEAKY)
    (root / "params" / "leaky.yaml").write_text((root / "params" / "toy_case.yaml").read_text())
    summary = _sweep(root, root / "runs", reuse=True, case="leaky")
    assert summary.ok, summary.text()
    assert sorted(load_records(root / "runs")["metrics.seed_seen"]) == [0, 1, 2]


def test_a_failed_run_is_followed_by_a_fresh_kernel(tmp_path, monkeypatch):
    root = make_toy_root(tmp_path / "proj", FAILING)
    log = tmp_path / "log.txt"
    monkeypatch.setenv("CASESTUDIES_TEST_LOG", str(log))
    summary = _sweep(root, root / "runs", reuse=True)
    assert summary.count("done") == 3 and summary.count("failed") == 1
    pids = dict(_starts(log))
    tag_pid = {k.split("/")[2]: v for k, v in pids.items()}
    assert tag_pid["a"] == tag_pid["b"]  # reused up to the failure
    assert tag_pid["c"] != tag_pid["b"] and tag_pid["c"] == tag_pid["d"]  # then a new kernel, reused again
