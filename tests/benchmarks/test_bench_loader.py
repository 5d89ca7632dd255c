from __future__ import annotations

import json
from pathlib import Path

from tests.benchmarks.scripts import load_benchmark


def test_bench_loader_main_runs(tmp_path: Path) -> None:
    main = load_benchmark("loader").main
    out = tmp_path / "bench.json"
    assert main(["--n", "6", "--size", "32", "--workers", "0", "--batch-size", "4", "--folder", str(tmp_path / "png"), "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["results"]
    assert rows[0]["workers"] == 0 and rows[0]["images"] == 6 and rows[0]["images_per_s"] > 0
