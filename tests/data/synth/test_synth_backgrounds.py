"""Layered procedural scenes and the dominant light a background implies."""

from __future__ import annotations

import numpy as np
import pytest

from casestudies.data.synth.backgrounds import SCENES, dominant_light, environment_irradiance, procedural


@pytest.mark.parametrize("kind", sorted(SCENES))
def test_scenes_are_seeded_images_that_differ_between_seeds(kind):
    a = procedural(kind, 48, np.random.default_rng(0))
    b = procedural(kind, 48, np.random.default_rng(0))
    c = procedural(kind, 48, np.random.default_rng(1))
    assert a.shape == (48, 48, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.std() > 8  # structure, not a flat colour


def test_room_window_sets_the_light_side():
    # the room puts its window on a random side: the dominant light comes from that side
    sides = set()
    for seed in range(6):
        img = procedural("room", 64, np.random.default_rng(seed)).astype(np.float32) / 255
        az, _, _ = dominant_light(img)
        left, right = img[:, :32].max(2).mean(), img[:, 32:].max(2).mean()
        sides.add(np.sign(az))
        assert np.sign(az) == np.sign(right - left) or abs(az) < 5
    assert sides == {-1.0, 1.0}


def test_dominant_light_direction_and_colour():
    img = np.full((40, 40, 3), 0.2, np.float32)
    img[:8, 30:] = [1.0, 0.8, 0.5]  # a warm bright patch top right
    az, el, rgb = dominant_light(img)
    assert az > 30 and el > 45
    assert rgb[0] == pytest.approx(1.0) and rgb[2] < rgb[1] < rgb[0]
    flipped = dominant_light(img[::-1, ::-1].copy())
    assert flipped[0] < -30 and flipped[1] < 20


def test_environment_irradiance_of_uniform_and_one_sided_scenes():
    grey = np.full((64, 64, 3), 0.5, np.float32)
    a, b = environment_irradiance(grey, gamma=1.0)
    assert a == pytest.approx([0.5] * 3, abs=1e-6) and np.abs(b).max() < 1e-6  # uniform: no direction
    left = grey.copy()
    left[:, :16] = 1.0  # a bright window on the image left (camera -x)
    left[48:, :, 1] = 0.9  # and green ground below (camera +y)
    a, b = environment_irradiance(left, gamma=1.0)
    normals = {"left": [-1, 0, 0], "right": [1, 0, 0], "down": [0, 1, 0], "up": [0, -1, 0]}
    e = {k: a + np.asarray(v, np.float32) @ b for k, v in normals.items()}
    assert (e["left"] > e["right"]).all()
    assert e["down"][1] > e["up"][1] and e["down"][0] == pytest.approx(e["up"][0], abs=0.02)
    # mirrored scene, mirrored light
    a2, b2 = environment_irradiance(left[:, ::-1].copy(), gamma=1.0)
    assert a2 == pytest.approx(a) and b2[0] == pytest.approx(-b[0], abs=1e-6)


def test_rect_paints_only_what_lies_inside_the_image():
    # before 0.11.0 an end left of the image became a negative index: a street's off-image windows
    # painted a band across the whole picture
    from casestudies.data.synth.backgrounds import _rect

    img = np.zeros((20, 20, 3), np.float32)
    _rect(img, -0.2, 0.1, -0.1, 0.2, 1.0)  # wholly left of the image
    _rect(img, 0.1, -0.3, 0.2, -0.05, 1.0)  # wholly above it
    assert img.max() == 0
    _rect(img, -0.1, 0.5, 0.25, 0.6, 1.0)  # partly outside: its visible part only
    assert img[10:12, :5].min() == 1 and img.sum() == 2 * 5 * 3


def test_standin_scenes_look_like_their_kind():
    rng = np.random.default_rng(3)
    for _ in range(5):
        night = procedural("night", 64, rng).astype(np.float32) / 255
        assert night.mean() < 0.2 and night.max() > 0.6  # dark, with bright lights
        wall = procedural("event", 64, rng).astype(np.float32) / 255
        assert wall.mean() > 0.5  # a light press wall
        studio = procedural("backdrop", 64, rng).astype(np.float32) / 255
        centre, corners = studio[20:44, 20:44].mean(), np.r_[studio[:8, :8], studio[:8, -8:]].mean()
        assert centre > corners  # the spotlight pool behind the sitter
