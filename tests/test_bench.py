"""``casestudies bench NAME``: finds ``benchmarks/bench_<NAME>.py`` from the project root and runs it."""

from __future__ import annotations

from pathlib import Path

from casestudies.bench import BENCHMARKS
from tests.conftest import REPO, cli

STUB = '''import sys
from pathlib import Path
if __name__ == "__main__":
    Path("args.txt").write_text(" ".join(sys.argv[1:]))
    raise SystemExit(3)
'''


def test_every_listed_benchmark_has_its_script() -> None:
    assert {p.stem.removeprefix("bench_") for p in (REPO / "benchmarks").glob("bench_*.py")} == set(BENCHMARKS)


def test_bench_runs_the_script_under_the_root_with_its_args(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "benchmarks").mkdir(parents=True)
    (root / "benchmarks" / "bench_loader.py").write_text(STUB)
    r = cli(root, "bench", "loader", "--n", "6", "--workers", "0", cwd=tmp_path)
    assert r.returncode == 3, r.stderr  # the script's exit status
    assert (tmp_path / "args.txt").read_text() == "--n 6 --workers 0"
    listed = cli(root, "bench", "--list")
    assert listed.returncode == 0 and "benchmarks/bench_loader.py" in listed.stdout
    assert "benchmarks/bench_papermill.py" in listed.stdout and "(missing here)" in listed.stdout


def test_unknown_or_missing_benchmarks_exit_2(tmp_path: Path) -> None:
    r = cli(tmp_path, "bench", "lodaer")
    assert r.returncode == 2 and "unknown benchmark 'lodaer'; valid: 'face_segmentation', 'generator', 'identity_probe', 'landmarks', 'loader'" in r.stderr
    r = cli(tmp_path, "bench", "loader")
    assert r.returncode == 2 and "bench_loader.py" in r.stderr
