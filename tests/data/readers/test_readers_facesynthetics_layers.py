"""FaceSynthetics ``layers=``: read only the optional layers a case needs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from casestudies.data.readers import DatasetError, open_dataset


def test_layers_subset_reads_only_those(fs_roots: dict[bool, Path]) -> None:
    full = open_dataset("facesynthetics", fs_roots[False], "all", taxonomy="paper9")[0]
    none = open_dataset("facesynthetics", fs_roots[False], "all", taxonomy="paper9", layers=())[0]
    some = open_dataset("facesynthetics", fs_roots[False], "all", layers=("alpha", "meta"))[0]
    assert {"alpha", "foreground", "depth", "normals", "landmarks_visible"} <= set(full)
    assert set(none) == {"image", "seg", "landmarks", "pupils", "meta"}
    assert {"alpha", "landmarks_visible"} <= set(some) and "depth" not in some and "foreground" not in some
    np.testing.assert_array_equal(none["seg"], full["seg"])
    np.testing.assert_array_equal(none["image"], full["image"])


def test_unknown_layer_is_an_error(fs_roots: dict[bool, Path]) -> None:
    with pytest.raises(DatasetError, match="unknown optional layers.*'dpeth'"):
        open_dataset("facesynthetics", fs_roots[False], "all", layers=("dpeth",))
