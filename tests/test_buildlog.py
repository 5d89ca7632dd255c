"""The build log: stages appended by ``casestudies stage``, the first / latest build table, generation
sets counted inside a build's window, and where the runs' time went."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from casestudies import buildlog
from casestudies.cli import main


def test_record_stage_appends_one_line_per_stage(tmp_path):
    buildlog.record_stage(tmp_path, "B1", "install", since=100.0, profile="default", now=130.0)
    buildlog.record_stage(tmp_path, "B1", "sweep a", since=130.0, profile="default", now=730.5)
    lines = (tmp_path / buildlog.LOG).read_text().splitlines()
    assert [json.loads(x)["stage"] for x in lines] == ["install", "sweep a"]
    assert json.loads(lines[1])["seconds"] == 600.5


def test_read_lines_skips_torn_lines(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"a": 1}\n{"b": \n[1]\n{"c": 3}\n')
    assert buildlog.read_lines(p) == [{"a": 1}, {"c": 3}]
    assert buildlog.read_lines(tmp_path / "missing.jsonl") == []


def test_stage_table_first_and_latest_with_generation(tmp_path):
    runs, cache = tmp_path / "runs", tmp_path / "cache"
    buildlog.record_stage(runs, "B1", "install", 1000.0, "default", now=1100.0)
    buildlog.record_stage(runs, "B1", "sweep a", 1100.0, "default", now=1700.0)
    buildlog.record_stage(runs, "B1", "report", 1700.0, "default", now=1760.0)
    buildlog.record_stage(runs, "B2", "install", 5000.0, "default", now=5001.0)
    buildlog.record_stage(runs, "B3", "install", 9000.0, "tiny", now=9001.0)  # another profile: not shown
    buildlog.append_line(cache / buildlog.GENERATION_LOG, {"set": "s1", "seconds": 40.0, "finished_at": 1200.0})
    buildlog.append_line(cache / buildlog.GENERATION_LOG, {"set": "s2", "seconds": 9.0, "finished_at": 1300.0})
    buildlog.append_line(cache / buildlog.GENERATION_LOG, {"set": "old", "seconds": 99.0, "finished_at": 10.0})
    t = buildlog.stage_table(runs, cache, "default")
    first = t[t["build"] == "first (B1)"].set_index("stage")
    assert first.loc["sweep a", "time"] == "10.0 min"
    assert first.loc["data generation", "time"] == "49 s" and "2 sets" in first.loc["data generation", "note"]
    assert first.loc["total", "time"] == "12.7 min"  # 1000 -> 1760
    latest = t[t["build"] == "latest (B2)"].set_index("stage")
    assert "data generation" not in latest.index  # nothing rendered in B2's window
    assert latest.loc["report", "time"] == "–"  # this page, logged after it is written
    assert "B3" not in " ".join(t["build"])
    assert "12.7 min" in buildlog.build_sentence(runs, "default")
    assert buildlog.stage_table(tmp_path / "none").empty and buildlog.build_sentence(tmp_path / "none") is None


def test_run_cost_table_hand_computed():
    rec = pd.DataFrame({
        "case": ["a", "a", "b"],
        "timings.wall_s": [100.0, 60.0, 50.0],
        "timings.phase.train": [80.0, 40.0, 30.0],
        "timings.phase.test": [5.0, 5.0, None],
        "timings.phase.evaluate": [None, None, 10.0],
        "timings.phase.figures": [4.0, 2.0, None],
        "timings.phase.generate": [3.0, None, None],
    })
    t = buildlog.run_cost_table(rec).set_index("case")
    assert t.loc["a", "figures (s)"] == 6.0 and t.loc["a", "one-off data (s)"] == 3.0
    assert t.loc["a", "fixed (s)"] == 21.0 and t.loc["a", "fixed share"] == pytest.approx(21 / 160, abs=1e-3)
    assert t.loc["b", "evaluation (s)"] == 10.0 and t.loc["b", "fixed (s)"] == 10.0
    assert buildlog.run_cost_table(pd.DataFrame()).empty


def test_cli_stage_writes_the_log(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "stage", "sweep x", "--build", "B", "--since", "0", "--profile", "tiny"]) == 0
    row = buildlog.read_lines(tmp_path / "runs" / buildlog.LOG)[0]
    assert row["stage"] == "sweep x" and row["profile"] == "tiny" and row["seconds"] > 1e9
    assert "stage sweep x:" in capsys.readouterr().out


def test_cached_dataset_logs_each_rendered_set_once(tmp_path, monkeypatch):
    from casestudies.data.synth.disk import cached_dataset

    monkeypatch.setenv("CASESTUDIES_CACHE", str(tmp_path))
    cached_dataset("synthetic", 0, 2, 32)
    cached_dataset("synthetic", 0, 2, 32)  # cached: not rendered again
    rows = buildlog.read_lines(tmp_path / buildlog.GENERATION_LOG)
    assert len(rows) == 1 and rows[0]["n"] == 2 and rows[0]["size"] == 32 and rows[0]["seconds"] > 0


def test_one_off_work_is_timed_into_an_attached_run_only(tmp_path, monkeypatch):
    from casestudies import runlog
    from casestudies.data.synth.disk import cached_dataset

    monkeypatch.setenv("CASESTUDIES_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(runlog, "_current", None)
    with runlog.one_off():  # no run attached: nothing to time into
        pass
    assert runlog._current is None
    (tmp_path / "run").mkdir()
    run = runlog.attach(str(tmp_path / "run"))
    cached_dataset("synthetic", 0, 2, 32)
    spent = run.timings[runlog.ONE_OFF]
    assert spent > 0
    cached_dataset("synthetic", 0, 2, 32)  # cached: no one-off work
    assert run.timings[runlog.ONE_OFF] == spent
