from __future__ import annotations

import json

from tests.benchmarks.scripts import load_benchmark


def test_bench_main_writes_a_ratio_per_row(tmp_path, capsys):
    main = load_benchmark("train_loop").main
    out = tmp_path / "bench.json"
    argv = ["--models", "tiny_segnet", "--data", "toy,toy-cached", "--n", "16", "--size", "16", "--repeats", "1",
            "--no-progress", "--json", str(out)]
    assert main(argv) == 0
    rows = json.loads(out.read_text())["results"]
    assert [r["data"] for r in rows] == ["toy", "toy-cached"]
    assert all(r["ratio"] > 0 and r["engine_images_per_s"] > 0 and r["bare_images_per_s"] > 0 for r in rows)
    assert "ratio" in capsys.readouterr().out
