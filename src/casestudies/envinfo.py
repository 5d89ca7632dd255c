"""The environment a run executed in: package versions, git commit, machine (never imports torch)."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "casestudies", "torch", "torchvision", "segmentation-models-pytorch", "timm", "numpy", "scipy",
    "numba", "opencv-python-headless", "scikit-image", "scikit-learn", "pymatting", "pandas",
    "papermill", "nbconvert", "jupytext", "dask", "distributed",
)


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


@functools.lru_cache(maxsize=8)
def git_state(root: str) -> dict[str, Any]:
    """``{"commit": sha or None, "dirty": bool}`` of the repository holding ``root``."""

    def git(*args: str) -> str | None:
        try:
            r = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status)}


def capture(root: Path | str = ".") -> dict[str, Any]:
    """Versions, git commit and host facts for a run record."""
    g = git_state(str(Path(root).resolve()))
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": platform.node(),
        "cpu_count": os.cpu_count(),
        "executable": sys.executable,
        "git_commit": g["commit"],
        "git_dirty": g["dirty"],
        "packages": package_versions(),
    }
