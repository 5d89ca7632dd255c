"""The stored per-vertex regions are what the geometric rules derive (regenerate with make_regions)."""

from __future__ import annotations

import numpy as np

from casestudies.data.synth.assets import load_template
from casestudies.data.synth.make_regions import REGIONS_PATH, derive_labels
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS


def test_stored_labels_match_the_rules():
    v, _, lm = load_template()
    stored = np.load(REGIONS_PATH)
    assert np.array_equal(derive_labels(v.astype(np.float64), lm.astype(np.float64)), stored["labels"])
    assert stored["uv"].shape == (len(v), 2)
    assert REGIONS_PATH.stat().st_size < 400_000


def test_regions_are_on_the_right_side():
    v, _, lm = load_template()
    lab = np.load(REGIONS_PATH)["labels"]
    for right, left in (("right_eye", "left_eye"), ("right_brow", "left_brow"), ("right_ear", "left_ear")):
        assert v[lab == FS.index(right), 0].mean() < 0 < v[lab == FS.index(left), 0].mean()
