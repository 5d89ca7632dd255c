"""Left/right: a mirrored dataset on disk reads as the mirrored labels, and sides follow the subject.

The mirrored fixture is the same scenes photographed in a mirror and annotated the way each
dataset annotates (image-side names for LaPa and CelebAMask-HQ, 1-based .pts for 300W).
Reading it must equal ``hflip_sample`` of the plain fixture: this catches a wrong flip table, a
wrong landmark permutation, or a coordinate origin off by one pixel.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from casestudies.data import taxonomy as tx
from casestudies.data.readers import DatasetError, open_dataset
from casestudies.data.schema import hflip_sample
from tests.data.readers import readers_fixtures as fx

CASES = [
    ("lapa", "lapa_roots", "train", {}),
    ("celebamask_hq", "celeb_roots", "train", {}),
    ("facesynthetics", "fs_roots", "all", {}),
    ("w300", "w300_roots", "train", {"crop_size": 48}),
    ("folder", "folder_roots", "all", {"native_taxonomy": "lapa11"}),
]


@pytest.mark.parametrize(("name", "fixture", "split", "kw"), CASES)
def test_mirrored_fixture_reads_as_mirrored_labels(name: str, fixture: str, split: str, kw: dict, request: pytest.FixtureRequest) -> None:
    roots: dict[bool, Path] = request.getfixturevalue(fixture)
    plain = open_dataset(name, roots[False], split, **kw)
    mirrored = open_dataset(name, roots[True], split, **kw)
    assert len(plain) == len(mirrored) > 0
    for i in range(len(plain)):
        want, got = hflip_sample(plain[i]), mirrored[i]
        for key in want:
            if key == "meta":
                continue
            if key in ("image", "foreground", "background"):
                diff = np.abs(want[key].astype(int) - got[key].astype(int))
                assert diff.mean() < 3.0, (key, diff.mean())  # JPEG blocks do not mirror exactly
            elif want[key].dtype.kind == "f":
                np.testing.assert_allclose(got[key], want[key], atol=2e-3, err_msg=key)
            else:
                np.testing.assert_array_equal(got[key], want[key], err_msg=key)


@pytest.mark.parametrize(("name", "fixture", "split", "right_eye"), [
    ("lapa", "lapa_roots", "train", ("lapa11", "right_eye")),
    ("celebamask_hq", "celeb_roots", "train", ("celebamask_hq", "right_eye")),
    ("facesynthetics", "fs_roots", "all", ("facesynthetics19", "right_eye")),
])
def test_subject_right_eye_is_on_the_image_left(name: str, fixture: str, split: str, right_eye: tuple[str, str], request: pytest.FixtureRequest) -> None:
    """Frontal fixtures: the subject's right eye appears on the image's left half, as iBUG 36-41 do."""
    roots: dict[bool, Path] = request.getfixturevalue(fixture)
    s = open_dataset(name, roots[False], split)[0]
    ys, xs = np.nonzero(s["seg"] == tx.get_taxonomy(right_eye[0]).index(right_eye[1]))
    assert xs.size and xs.mean() < s["image"].shape[1] / 2
    if "landmarks" in s:
        assert abs(xs.mean() - s["landmarks"][36:42, 0].mean()) < 2.0


def test_lapa_subject_sides_option_keeps_file_ids(lapa_roots: dict[bool, Path]) -> None:
    converted = open_dataset("lapa", lapa_roots[False], "train")[0]["seg"]
    literal = open_dataset("lapa", lapa_roots[False], "train", sides="subject")[0]["seg"]
    np.testing.assert_array_equal(literal, tx.flip_lut("lapa11")[converted])
    assert not np.array_equal(literal, converted)


def test_inverted_side_naming_is_an_error(tmp_path: Path) -> None:
    """A LaPa copy whose ids already name the subject's sides, read with the default conversion."""
    fx.write_lapa(tmp_path, {"train": fx.scenes(6, 70)})
    for label in (tmp_path / "train" / "labels").iterdir():  # undo the fixture's image-side naming
        cv2.imwrite(str(label), tx.flip_lut("lapa11")[cv2.imread(str(label), cv2.IMREAD_UNCHANGED)])
    with pytest.raises(DatasetError, match=r"left/right look inverted: in 6 of 6 .*pass sides='subject'"):
        open_dataset("lapa", tmp_path, "train")
    ds = open_dataset("lapa", tmp_path, "train", sides="subject")
    assert ds.report()["side_check"] == {"checked": 6, "right_eye_on_image_left": 6}
    assert open_dataset("lapa", tmp_path, "train", check_sides=False).side_check is None
