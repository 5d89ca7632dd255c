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
