"""The Sample contract: validation names the bad key; hflip keeps every label consistent."""

from __future__ import annotations

import numpy as np
import pytest

from casestudies.data import taxonomy as tx
from casestudies.data.schema import SampleError, hflip_sample, landmarks51, order_pupils, validate_sample
from tests.data.readers import readers_fixtures as fx


def full_sample(seed: int = 0) -> dict:
    s = fx.face_scene(seed)
    h, w = s["seg"].shape
    normals = np.zeros((h, w, 3), np.float32)
    normals[..., 0] = np.linspace(-1, 1, w)[None, :]
    return {
        "image": s["image"], "seg": s["seg"], "alpha": s["alpha"], "foreground": s["foreground"],
        "background": s["background"], "landmarks": s["landmarks"], "pupils": s["pupils"],
        "landmarks_visible": np.arange(68) % 3 == 0, "depth": s["alpha"] * 2, "normals": normals,
        "trimap": np.where(s["alpha"] > 0.5, 255, 0).astype(np.uint8),
        "meta": {"domain": "synthetic", "source_id": "x", "taxonomy": "lapa11",
                 "head_pose": {"yaw": 20.0, "pitch": 5.0, "roll": -4.0}, "gaze": [0.2, 0.1, -0.9]},
    }


def test_full_sample_is_valid() -> None:
    validate_sample(full_sample())


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda s: s.pop("image"), "image"),
        (lambda s: s.pop("meta"), "meta"),
        (lambda s: s["meta"].pop("source_id"), "source_id"),
        (lambda s: s.__setitem__("image", s["image"].astype(np.float32)), "image"),
        (lambda s: s.__setitem__("seg", s["seg"][:-1]), "seg"),
        (lambda s: s.__setitem__("seg", np.full_like(s["seg"], 11)), "seg"),
        (lambda s: s["meta"].pop("taxonomy"), "taxonomy"),
        (lambda s: s.__setitem__("alpha", s["alpha"] * 2), "alpha"),
        (lambda s: s.__setitem__("landmarks", s["landmarks"][:51]), "landmarks"),
        (lambda s: s.__setitem__("landmarks_visible", np.ones(68, np.uint8)), "landmarks_visible"),
        (lambda s: s.__setitem__("normals", s["normals"][..., :2]), "normals"),
        (lambda s: s.__setitem__("trimap", np.full_like(s["trimap"], 7)), "trimap"),
        (lambda s: s.__setitem__("extra", np.zeros(3)), "extra"),
        (lambda s: s["landmarks"].__setitem__((0, 0), np.nan), "landmarks"),
    ],
)
def test_validation_names_the_key(mutate, key: str) -> None:
    s = full_sample()
    mutate(s)
    with pytest.raises(SampleError, match=key):
        validate_sample(s)


def test_template_is_mirror_symmetric() -> None:
    mirrored = tx.flip_landmarks(fx.TEMPLATE68, 1)  # width 1: x -> -x, i.e. a mirror about x = 0
    np.testing.assert_allclose(mirrored, fx.TEMPLATE68, atol=1e-12)


def test_hflip_mirrors_every_layer_and_swaps_sides() -> None:
    s = full_sample()
    f = hflip_sample(s)
    w = s["image"].shape[1]
    np.testing.assert_array_equal(f["image"], s["image"][:, ::-1])
    np.testing.assert_array_equal(f["alpha"], s["alpha"][:, ::-1])
    np.testing.assert_array_equal(f["depth"], s["depth"][:, ::-1])
    np.testing.assert_array_equal(f["seg"], tx.flip_lut("lapa11")[s["seg"][:, ::-1]])
    np.testing.assert_array_equal(f["normals"][..., 0], -s["normals"][:, ::-1, 0])
    # the subject's right eye outer corner (36) comes from the old left outer corner (45), mirrored
    np.testing.assert_allclose(f["landmarks"][36], [w - 1 - s["landmarks"][45, 0], s["landmarks"][45, 1]])
    np.testing.assert_array_equal(f["landmarks_visible"], s["landmarks_visible"][tx.IBUG68_FLIP])
    np.testing.assert_allclose(f["pupils"][0], [w - 1 - s["pupils"][1, 0], s["pupils"][1, 1]])
    assert f["meta"]["head_pose"]["yaw"] == -20.0 and f["meta"]["head_pose"]["pitch"] == 5.0
    assert f["meta"]["gaze"][0] == pytest.approx(-0.2) and f["meta"]["hflipped"] is True
    validate_sample(f)


def test_hflip_mirrors_generator_style_meta() -> None:
    s = full_sample()
    s["meta"]["gaze"] = {"yaw": 5.0, "pitch": 2.0, "vector_cam": [0.3, -0.1, -0.9]}
    s["meta"]["pupils_visible"] = [True, False]
    m = hflip_sample(s)["meta"]
    assert m["gaze"]["yaw"] == -5.0 and m["gaze"]["pitch"] == 2.0
    assert m["gaze"]["vector_cam"] == pytest.approx([-0.3, -0.1, -0.9])
    assert m["pupils_visible"] == [False, True]


def test_hflip_twice_is_identity() -> None:
    s = full_sample(3)
    g = hflip_sample(hflip_sample(s))
    for key in s:
        if key != "meta":
            np.testing.assert_allclose(g[key], s[key], atol=1e-5, err_msg=key)
    assert g["meta"]["hflipped"] is False


def test_hflip_keeps_seg_on_landmarks() -> None:
    """After a flip the subject's right eye label still lies under the right-eye landmarks."""
    f = hflip_sample(full_sample(5))
    cx, cy = np.round(f["landmarks"][36:42].mean(0)).astype(int)
    assert f["seg"][cy, cx] == tx.LAPA11.index("right_eye")


def test_hflip_refuses_unflippable_points() -> None:
    s = full_sample()
    s["landmarks106"] = np.zeros((106, 2), np.float32)
    with pytest.raises(SampleError, match="landmarks106"):
        hflip_sample(s)


def test_landmarks51_and_pupil_order() -> None:
    s = full_sample()
    assert landmarks51(s).shape == (51, 2)
    np.testing.assert_array_equal(landmarks51(s)[0], s["landmarks"][17])
    np.testing.assert_array_equal(order_pupils(s["pupils"][::-1], s["landmarks"]), s["pupils"])
