"""End-to-end sweeps of the toy notebook: records, failures, SIGKILL + resume, concurrent sweeps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from casestudies.params import resolve
from casestudies.project import Project
from casestudies.store import load_records
from tests.conftest import cli, make_toy_root

pytestmark = pytest.mark.slow

MIXED = """
profiles:
  tiny:
    base: {steps: 10}
    grid:
      - {lr: [0.01, 0.1], seed: [0, 1]}
      - {fail: [true]}
"""

SLOW = """
profiles:
  tiny:
    base: {steps: 10, sleep_s: 0.12}
    grid:
      tag: [a, b, c, d]
"""


def test_sweep_records_failure_and_report(tmp_path: Path) -> None:
    root = make_toy_root(tmp_path / "proj", MIXED)
    r = cli(root, "sweep", "toy_case", "--profile", "tiny", "--no-progress", "--jobs", "2")
    assert r.returncode == 1, r.stderr  # one run fails on purpose
    assert "4 executed, 0 already done, 1 failed" in r.stdout
    assert "RuntimeError: toy case asked to fail" in r.stdout

    # records: four done runs with real metrics and curves
    df = load_records(root / "runs")
    assert len(df) == 4 and set(df["status"]) == {"done"}
    assert df["metrics.test.mse"].notna().all() and (df["metrics.test.r2"] <= 1).all()
    assert df["env.packages.torch"].notna().all() and df["env.device"].str.startswith("cpu").all()
    plan = resolve("toy_case", root / "notebooks" / "toy_case.py", root / "params" / "toy_case.yaml", "tiny")
    for rid, params in plan.runs:
        d = root / "runs" / "toy_case" / rid
        assert json.loads((d / "params.json").read_text()) == params
        assert (d / "notebook.ipynb").exists()
        if params["fail"]:
            assert not (d / "done").exists()
            err = json.loads((d / "failed").read_text())
            assert err["ename"] == "RuntimeError" and "raise RuntimeError" in err["cell_source"]
            assert json.loads((d / "record.json").read_text())["status"] == "failed"
        else:
            assert (d / "done").exists()
            rows = [json.loads(line) for line in (d / "history.jsonl").read_text().splitlines()]
            assert [row["step"] for row in rows] == list(range(10))
            rec = json.loads((d / "record.json").read_text())
            assert rec["timings"]["wall_s"] > 0 and "phase.train" in rec["timings"]
    failed = load_records(root / "runs", include_failed=True)
    assert (failed["status"] == "failed").sum() == 1

    # status, then a re-run skips done runs and retries only the failed one
    st = cli(root, "status", "toy_case", "--profile", "tiny")
    assert st.returncode == 0 and "toy_case  tiny     5        4     1" in st.stdout
    st = cli(root, "status", "--failed")
    assert "in cell" in st.stdout and "RuntimeError: toy case asked to fail (fail=True)" in st.stdout
    again = cli(root, "sweep", "toy_case", "--profile", "tiny", "--no-progress")
    assert "0 executed, 4 already done, 1 failed" in again.stdout

    # report: HTML with the summary table, an embedded plot, run pages, honest "no runs yet"
    rep = cli(root, "report", "--profile", "tiny", "--no-progress")
    assert rep.returncode == 0, rep.stderr
    html = (root / "report" / "_build" / "whitepaper.html").read_text()
    assert '<table border="0" class="dataframe summary">' in html or 'class="dataframe summary"' in html
    assert "data:image/png;base64," in html
    assert "No runs yet for <code>face_segmentation</code>" in html
    assert "injected-parameters" not in html and "_cs_runlog" not in html
    for rid, _ in plan.runs:
        assert f"runs/toy_case/{rid}.html" in html
        page = (root / "report" / "_build" / "runs" / "toy_case" / f"{rid}.html").read_text()
        assert "# Parameters" in page and "_cs_runlog" not in page  # run pages show what ran


def _wait_for(pred, timeout: float = 120.0, every: float = 0.1) -> None:
    t = time.time()
    while not pred():
        if time.time() - t > timeout:
            raise TimeoutError("condition not reached")
        time.sleep(every)


def _processes_with_env(marker: str) -> list[int]:
    """PIDs of live processes whose environment contains ``marker`` (Linux /proc)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker.encode() in (d / "environ").read_bytes() and b"State:\tZ" not in (d / "status").read_bytes():
                    pids.append(int(d.name))
            except OSError:
                continue
    return pids


def _events(log: Path) -> Counter:
    if not log.exists():
        return Counter()
    return Counter((ln.split()[0], ln.split()[3]) for ln in log.read_text().splitlines() if ln.strip())


def test_sigkill_mid_sweep_then_resume(tmp_path: Path) -> None:
    root = make_toy_root(tmp_path / "proj", SLOW)
    log = tmp_path / "events.log"
    env = {**os.environ, "CASESTUDIES_TEST_LOG": str(log)}
    cmd = [sys.executable, "-m", "casestudies", "--root", str(root), "sweep", "toy_case", "--profile", "tiny",
           "--no-progress", "--jobs", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # kill once one run finished and a later one is mid-run (started, not finished)
    runs = root / "runs" / "toy_case"
    _wait_for(lambda: len(list(runs.glob("*/done"))) >= 1
              and sum(v for (k, _), v in _events(log).items() if k == "start") >= 3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # workers die with the sweep (PDEATHSIG) and kernels notice their parent is gone: no orphans
    _wait_for(lambda: not _processes_with_env(str(log)), timeout=15)
    done_before = {d.name: ((d / "done").read_text(), (d / "done").stat().st_ino) for d in runs.iterdir() if (d / "done").exists()}
    assert 1 <= len(done_before) < 4, "the kill should land after one run and before the last"
    for d in runs.iterdir():  # nothing half-written: a record is absent or complete
        if (d / "record.json").exists():
            json.loads((d / "record.json").read_text())
    starts_before = _events(log)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{4 - len(done_before)} executed, {len(done_before)} already done, 0 failed" in r.stdout
    # done runs were not touched again; every run is now done exactly once with a complete record
    for name, (text, ino) in done_before.items():
        assert ((runs / name / "done").read_text(), (runs / name / "done").stat().st_ino) == (text, ino)
    ev = _events(log)
    done_tags = {json.loads((runs / n / "params.json").read_text())["tag"] for n in done_before}
    for t in done_tags:
        assert ev[("start", t)] == starts_before[("start", t)]  # never restarted
    assert all(ev[("finish", t)] >= 1 for t in "abcd")
    df = load_records(root / "runs")
    assert sorted(df["params.tag"]) == ["a", "b", "c", "d"]
    assert all(json.loads((runs / rid / "record.json").read_text())["timings"]["started"] + "\n"
               == (runs / rid / "done").read_text() for rid in df["run_id"])


def test_two_concurrent_sweeps_never_run_twice(tmp_path: Path) -> None:
    root = make_toy_root(tmp_path / "proj", SLOW)
    log = tmp_path / "events.log"
    env = {**os.environ, "CASESTUDIES_TEST_LOG": str(log)}
    cmd = [sys.executable, "-m", "casestudies", "--root", str(root), "sweep", "toy_case", "--profile", "tiny",
           "--no-progress", "--jobs", "1", "--threads", "1"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    ev = _events(log)
    assert all(ev[("start", t)] == 1 and ev[("finish", t)] == 1 for t in "abcd"), ev
    executed = sum(int(o.split("runs: ")[1].split(" executed")[0]) for o in outs)
    assert executed == 4, outs
    assert len(load_records(root / "runs")) == 4


def test_dask_executor_on_local_cluster(tmp_path: Path) -> None:
    from distributed import LocalCluster

    from casestudies.sweep import run_sweep

    root = make_toy_root(tmp_path / "proj", "profiles:\n  tiny:\n    base: {steps: 5}\n    grid:\n      seed: [0, 1]\n")
    proj = Project.at(root)
    plan = resolve("toy_case", proj.notebook("toy_case"), proj.params_file("toy_case"), "tiny")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = run_sweep(plan, proj.runs, proj.root, executor=f"dask://{cluster.scheduler_address}", progress=False)
    assert summary.ok and summary.count("done") == 2, summary.text()
    df = load_records(proj.runs)
    assert sorted(df["params.seed"]) == [0, 1] and df["metrics.test.mse"].notna().all()


@pytest.mark.parametrize("failures", [1, 3])
def test_kernel_start_race_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failures: int) -> None:
    """A kernel that dies before kernel_info (two kernels raced for a port) ran nothing: the run starts
    a fresh one, up to ``KERNEL_START_TRIES``; past that it is recorded as failed, with the count."""
    import papermill

    from casestudies import sweep

    root = make_toy_root(tmp_path / "proj", "profiles:\n  tiny:\n    base: {steps: 3}\n")
    proj = Project.at(root)
    plan = resolve("toy_case", proj.notebook("toy_case"), proj.params_file("toy_case"), "tiny")
    spec = sweep.make_specs(plan, proj.runs, proj.root, threads=1)[0]
    real, calls = papermill.execute_notebook, []

    def flaky(*a, **kw):
        calls.append(1)
        if len(calls) <= failures:
            raise RuntimeError(f"{sweep.KERNEL_START_FAILURE}")
        return real(*a, **kw)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    monkeypatch.setattr(sweep.time, "sleep", lambda s: None)
    try:
        out = sweep.execute_run(spec)
    finally:
        sweep._drop_kernel()
    if failures < sweep.KERNEL_START_TRIES:
        assert out.status == sweep.Status.DONE and len(calls) == failures + 1
        assert (spec.run_dir / "done").exists()
    else:
        assert out.status == sweep.Status.FAILED and len(calls) == sweep.KERNEL_START_TRIES
        err = json.loads((spec.run_dir / "failed").read_text())
        assert err["kernel_start_attempts"] == sweep.KERNEL_START_TRIES and not (spec.run_dir / "done").exists()


def test_notebook_errors_are_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill

    from casestudies import sweep

    root = make_toy_root(tmp_path / "proj", "profiles:\n  tiny:\n    base: {steps: 3, fail: true}\n")
    proj = Project.at(root)
    plan = resolve("toy_case", proj.notebook("toy_case"), proj.params_file("toy_case"), "tiny")
    spec = sweep.make_specs(plan, proj.runs, proj.root, threads=1)[0]
    real, calls = papermill.execute_notebook, []
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    try:
        out = sweep.execute_run(spec)
    finally:
        sweep._drop_kernel()
    assert out.status == sweep.Status.FAILED and len(calls) == 1 and "asked to fail" in out.message
