"""Shared fixtures: a throw-away project root holding the toy case notebook and params."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPO = HERE.parent


def make_toy_root(path: Path, params_yaml: str | None = None) -> Path:
    """A project root at ``path`` with ``notebooks/toy_case.py`` and ``params/toy_case.yaml``."""
    (path / "notebooks").mkdir(parents=True, exist_ok=True)
    (path / "params").mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "cases" / "notebooks" / "toy_case.py", path / "notebooks" / "toy_case.py")
    shutil.copy(REPO / "notebooks" / "whitepaper.py", path / "notebooks" / "whitepaper.py")
    target = path / "params" / "toy_case.yaml"
    if params_yaml is None:
        shutil.copy(HERE / "cases" / "params" / "toy_case.yaml", target)
    else:
        target.write_text(params_yaml)
    return path


@pytest.fixture
def toy_root(tmp_path: Path) -> Path:
    return make_toy_root(tmp_path / "proj")


def cli(root: Path, *args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    """Run ``python -m casestudies --root ROOT ARGS`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "casestudies", "--root", str(root), *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300, **kw,
    )
