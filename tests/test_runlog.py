from __future__ import annotations

import json
from pathlib import Path

from casestudies.runlog import RunLog


def test_runlog_writes_history_and_payload(tmp_path: Path) -> None:
    run = RunLog(tmp_path)
    run.log({"epoch": 0, "loss": 1.0})
    run.log(epoch=1, loss=0.5)
    with run.timer("train"):
        pass
    run.set_metrics({"miou": 0.5, "per_class": {"skin": 0.9}})
    run.set_data_sources({"train": "standin_real_a (generator stand-in)"})
    rows = [json.loads(x) for x in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert [(r["epoch"], r["loss"]) for r in rows] == [(0, 1.0), (1, 0.5)] and all("wall_s" in r for r in rows)
    out = json.loads((tmp_path / "notebook_out.json").read_text())
    assert out["metrics"] == {"miou": 0.5, "per_class": {"skin": 0.9}}
    assert "train" in out["timings"] and out["data_sources"]["train"].startswith("standin")


def test_interactive_runlog_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = RunLog()
    run.log(step=1)
    run.set_metrics({"x": 1})
    assert list(tmp_path.iterdir()) == [] and run.history_frame().shape == (1, 2)
