"""Shared fixtures: torch pinned to one thread, a parent process whose OpenCV pool is in use, and a
throw-away project root holding the toy case notebook and params."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPO = HERE.parent


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread, and the CI machine is shared: pin torch to one (only
    where a test module already imported torch: the torch-free layers stay torch-free)."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def opencv_pool_used() -> None:
    """This process has used OpenCV's thread pool, as rendering faces does. A loader worker started
    with ``fork`` then inherits the pool in a broken state and deadlocks on its first OpenCV call."""
    import cv2
    import numpy as np

    cv2.setNumThreads(2)
    img = np.random.default_rng(0).integers(0, 255, (1024, 1024, 3), dtype=np.uint8)
    for _ in range(3):
        cv2.GaussianBlur(img, (31, 31), 5)
        cv2.resize(img, (2000, 2000))


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
