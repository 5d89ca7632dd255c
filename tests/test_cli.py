from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli


def test_help_lists_subcommands() -> None:
    script = str(Path(sys.executable).parent / "casestudies")  # the console script of this environment
    for cmd in ([script, "--help"], [sys.executable, "-m", "casestudies", "--help"]):
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0
        for sub in ("sweep", "status", "report", "clean", "generate", "bench"):
            assert sub in out.stdout


def test_bad_parameter_exits_2_naming_key(toy_root: Path) -> None:
    r = cli(toy_root, "sweep", "toy_case", "--profile", "tiny", "--set", "stpes=3")
    assert r.returncode == 2 and "unknown parameter 'stpes'" in r.stderr
    assert not (toy_root / "runs").exists()  # nothing ran


def test_unknown_case_lists_known(toy_root: Path) -> None:
    r = cli(toy_root, "sweep", "nope", "--profile", "tiny")
    assert r.returncode == 2 and "unknown case 'nope'; valid: 'toy_case'" in r.stderr


def test_unknown_names_exit_2_from_any_command(toy_root: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from casestudies import cli as cli_module
    from casestudies.names import lookup

    def cmd_status(args):  # stands in for any command whose library call meets an unknown name
        lookup("adapter", "coral", ("adabn", "dsbn"))

    monkeypatch.setattr(cli_module, "cmd_status", cmd_status)
    assert cli_module.main(["--root", str(toy_root), "status"]) == 2
    assert "unknown adapter 'coral'; valid: 'adabn', 'dsbn'" in capsys.readouterr().err


def test_dry_run_lists_runs(toy_root: Path) -> None:
    r = cli(toy_root, "sweep", "toy_case", "--profile", "tiny", "--dry-run")
    assert r.returncode == 0 and "4 runs planned" in r.stdout


def test_clean_keeps_done(toy_root: Path) -> None:
    d = toy_root / "runs" / "toy_case"
    (d / "aaa").mkdir(parents=True)
    (d / "aaa" / "done").write_text("")
    (d / "bbb").mkdir()
    r = cli(toy_root, "clean")
    assert r.returncode == 0 and (d / "aaa").exists() and not (d / "bbb").exists()


def test_store_sweep_report_never_import_torch() -> None:
    """DESIGN: the record / sweep / report layer stays light (no torch in the sweep's parent process)."""
    code = (
        "import sys; import casestudies.store, casestudies.sweep, casestudies.report, casestudies.aggregate, "
        "casestudies.reportparts, casestudies.params, casestudies.cli; "
        "sys.exit(1 if 'torch' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
