"""The ``synthetic_landmarks`` preset: the whitepaper's restrictions hold over many draws."""

from __future__ import annotations

import numpy as np
import pytest

from casestudies.data.synth.presets import EXPRESSION_SET, LANDMARK_MAX_FACE_ANGLE, face_angle, sample_params


@pytest.fixture(scope="module")
def draws() -> list[dict]:
    rng = np.random.default_rng(0)
    return [sample_params("synthetic_landmarks", rng) for _ in range(1500)]


def test_faces_within_45_degrees_of_the_camera(draws):
    angles = np.array([face_angle(p["yaw"], p["pitch"]) for p in draws])
    assert angles.max() <= LANDMARK_MAX_FACE_ANGLE
    assert angles.max() > 35  # the restriction bounds the pose, it does not make every face frontal


def test_face_angle_combines_yaw_and_pitch():
    assert face_angle(0, 0) == 0
    assert face_angle(30, 0) == pytest.approx(30)
    assert face_angle(0, -20) == pytest.approx(20)
    assert face_angle(40, 20) > 40


def test_ten_percent_clear_glasses_and_no_sunglasses(draws):
    glasses = np.array([p["glasses"] for p in draws])
    assert abs((glasses == "clear").mean() - 0.10) < 0.02
    assert not (glasses == "sun").any()


def test_expression_mixture_60_strong_20_weak_20_neutral(draws):
    intensity = np.array([p["expression_intensity"] for p in draws])
    assert all((p["expression"] == "neutral") == (p["expression_intensity"] == 0) for p in draws)
    assert {p["expression"] for p in draws} == {*EXPRESSION_SET, "neutral"}
    strong = (intensity >= 0.7) & (intensity <= 1.0)
    weak = (intensity >= 0.1) & (intensity <= 0.3)
    assert abs(strong.mean() - 0.6) < 0.03
    assert abs(weak.mean() - 0.2) < 0.03
    assert abs((intensity == 0).mean() - 0.2) < 0.03


def test_skin_tones_uniform(draws):
    counts, _ = np.histogram([p["skin_tone"] for p in draws], bins=5, range=(0, 1))
    assert counts.min() > 0.8 * len(draws) / 5
