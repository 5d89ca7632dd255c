"""Session fixtures: each dataset written once, plain and mirrored, in its exact on-disk layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.data.readers import readers_fixtures as fx


@pytest.fixture(scope="session")
def lapa_roots(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    out = {}
    for mirror in (False, True):
        root = tmp_path_factory.mktemp(f"lapa_m{int(mirror)}")
        fx.write_lapa(root, {"train": fx.scenes(3, 1, mirror), "val": fx.scenes(2, 2, mirror), "test": fx.scenes(2, 3, mirror)})
        out[mirror] = root
    return out


@pytest.fixture(scope="session")
def celeb_roots(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    # orig_idx chosen so the official thresholds give 2 train, 1 val, 1 test; k spans two mask folders
    out = {}
    for mirror in (False, True):
        root = tmp_path_factory.mktemp(f"celeb_m{int(mirror)}")
        fx.write_celebamask_hq(root, fx.scenes(4, 4, mirror), [5, 162770, 162771, 182638], first_k=1998)
        out[mirror] = root
    return out


@pytest.fixture(scope="session")
def fs_roots(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    out = {}
    for mirror in (False, True):
        root = tmp_path_factory.mktemp(f"fs_m{int(mirror)}")
        fx.write_facesynthetics(root, fx.scenes(3, 5, mirror), extras=True)
        out[mirror] = root
    return out


@pytest.fixture(scope="session")
def w300_roots(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    out = {}
    for mirror in (False, True):
        root = tmp_path_factory.mktemp(f"w300_m{int(mirror)}")
        folders = {sub: fx.scenes(1, 10 + i, mirror) for i, sub in enumerate(fx.W300_EXT)}
        fx.write_w300(root, folders)
        out[mirror] = root
    return out


@pytest.fixture(scope="session")
def folder_roots(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    out = {}
    for mirror in (False, True):
        root = tmp_path_factory.mktemp(f"folder_m{int(mirror)}")
        fx.write_folder(root, fx.scenes(3, 7, mirror))
        out[mirror] = root
    return out
