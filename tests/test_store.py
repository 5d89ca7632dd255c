from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

import pytest

from casestudies.store import (
    RunLock,
    atomic_write_json,
    clean_incomplete,
    flatten,
    is_locked,
    iter_runs,
    load_records,
    run_state,
)


def test_flatten_nested_metrics() -> None:
    assert flatten({"a": {"b": 1, "c": {"d": 2}}, "e": [1, 2], "f": {}}) == {"a.b": 1, "a.c.d": 2, "e": [1, 2], "f": {}}


def test_atomic_write_leaves_no_temp_and_replaces(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    atomic_write_json(p, {"a": 1})
    atomic_write_json(p, {"a": 2})
    assert json.loads(p.read_text()) == {"a": 2}
    assert [q.name for q in tmp_path.iterdir()] == ["x.json"]


def _hold(path: str, q) -> None:  # child process: take the lock and report
    lock = RunLock(Path(path))
    q.put(lock.acquire())
    q.get()  # wait until told to exit (the OS releases the lock)


def test_lock_is_exclusive_across_processes_and_released_on_death(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_hold, args=(str(tmp_path), q))
    p.start()
    assert q.get(timeout=30) is True
    assert is_locked(tmp_path) and run_state(tmp_path) == "running"
    assert RunLock(tmp_path).acquire() is False
    p.kill()
    p.join()
    lock = RunLock(tmp_path)
    assert lock.acquire() is True
    lock.release()


def _record(run_dir: Path, **kw) -> None:
    run_dir.mkdir(parents=True)
    rec = {"case": run_dir.parent.name, "run_id": run_dir.name, "profile": "tiny", "status": "done",
           "params": {"lr": 0.1, "seed": 0}, "metrics": {"test": {"mse": 1.5}}, **kw}
    atomic_write_json(run_dir / "record.json", rec)


def test_states_load_records_and_clean(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _record(runs / "c" / "aaa")
    (runs / "c" / "aaa" / "done").write_text("t\n")
    _record(runs / "c" / "bbb", status="failed", error={"ename": "E", "evalue": "boom"})
    (runs / "c" / "bbb" / "failed").write_text("{}")
    (runs / "c" / "ccc").mkdir()  # interrupted: claimed, never finished
    (runs / "_cache" / "pretrain-abc").mkdir(parents=True)  # shared artefacts are not runs
    assert {r.run_id: r.state for r in iter_runs(runs)} == {"aaa": "done", "bbb": "failed", "ccc": "incomplete"}
    df = load_records(runs)
    assert list(df["run_id"]) == ["aaa"] and df.loc[0, "metrics.test.mse"] == 1.5 and df.loc[0, "params.lr"] == 0.1
    both = load_records(runs, include_failed=True)
    assert list(both["status"]) == ["done", "failed"] and both.loc[1, "error"] == "E: boom"
    removed = clean_incomplete(runs)
    assert sorted(p.name for p in removed) == ["bbb", "ccc"]
    assert [r.run_id for r in iter_runs(runs)] == ["aaa"]
    assert (runs / "_cache" / "pretrain-abc").exists()


def test_unreadable_record_names_the_file(tmp_path: Path) -> None:
    d = tmp_path / "runs" / "c" / "x"
    d.mkdir(parents=True)
    (d / "record.json").write_text("{not json")
    (d / "done").write_text("")
    with pytest.raises(RuntimeError, match=r"c/x/record.json: unreadable record"):
        load_records(tmp_path / "runs")


def test_empty_store_gives_empty_frame(tmp_path: Path) -> None:
    df = load_records(tmp_path / "nothing")
    assert df.empty and list(df.columns) == ["case", "run_id", "profile", "status"]


def test_build_record_is_what_load_records_reads(tmp_path: Path) -> None:
    from casestudies.store import RECORD_SCHEMA, Status, atomic_write_json, build_record

    kw = dict(case="c", run_id="r1", profile="tiny", notebook="notebooks/c.py", params={"lr": 0.1},
              reported={"metrics": {"test": {"mse": 2.0}}, "data_sources": {"train": "toy"}},
              timings={"wall_s": 1.0}, environment={"device": "cpu"})
    done = build_record(**kw)
    assert done["status"] == Status.DONE and done["schema"] == RECORD_SCHEMA and "error" not in done
    assert done["extra"] == {} and done["metrics"] == {"test": {"mse": 2.0}}
    failed = build_record(**kw, error={"ename": "ValueError", "evalue": "x", "traceback": ["..."], "cell_index": 3})
    assert failed["status"] == Status.FAILED and failed["error"] == {"ename": "ValueError", "evalue": "x", "cell_index": 3}
    run_dir = tmp_path / "runs" / "c" / "r1"
    run_dir.mkdir(parents=True)
    atomic_write_json(run_dir / "record.json", done)
    (run_dir / "done").write_text("x\n")
    df = load_records(tmp_path / "runs")
    assert df.loc[0, "status"] == "done" and df.loc[0, "metrics.test.mse"] == 2.0 and df.loc[0, "data.train"] == "toy"
