"""Presets: how each knob is drawn. ``synthetic`` is the clean generator; ``standin_real_a`` and
``standin_real_b`` are shifted domains that *stand in* for two real datasets (CelebAMask-HQ-like
portraits and LaPa-like in-the-wild faces) when none is on disk. They are never real data.
``synthetic_landmarks`` is ``synthetic`` restricted like the whitepaper's landmark set (pose within
45 degrees, 10 % clear glasses, uniform skin tones, an expression-intensity mixture); see its block below.

A distribution is one of ``("uniform", lo, hi)``, ``("normal", mean, sd)`` (clipped to the knob's
range), ``("sparse", p, lo, hi)`` (uniform with probability ``p``, else 0), ``("const", value)`` or
``("choice", {option: probability})``. Knobs a preset does not name are uniform over their range.
After the independent draws, ``_couple`` applies population priors (darker skin with dark hair and eyes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from casestudies.data.synth.knobs import KNOBS, validate_params

SYNTHETIC_PHOTOS = ("coffee", "rocket", "brick", "grass", "gravel", "clock", "coins", "immunohistochemistry")
STANDIN_A_PHOTOS = ("chelsea", "motorcycle", "hubble", "china")
STANDIN_B_PHOTOS = ("flower", "retina", "cell", "moon", "colorwheel")


def _even(options: tuple[str, ...]) -> tuple[str, dict[str, float]]:
    return ("choice", {o: 1 / len(options) for o in options})


@dataclass(frozen=True)
class Preset:
    """A named sampling distribution over the knobs."""

    name: str
    description: str
    is_standin: bool
    dists: dict = field(default_factory=dict)
    joint: Callable[[dict, np.random.Generator], None] | None = None  # draws coupling knobs (after _couple)


_COMMON = {
    "yaw": ("normal", 0, 25), "pitch": ("normal", 0, 10), "roll": ("normal", 0, 7),
    "gaze_yaw": ("normal", 0, 12), "gaze_pitch": ("normal", 0, 8),
    "smile": ("sparse", 0.5, 0, 1), "mouth_open": ("sparse", 0.35, 0, 1), "blink": ("sparse", 0.15, 0, 1),
    "brow_raise": ("sparse", 0.3, 0, 1), "hair_density": ("normal", 0.8, 0.25), "beard": ("sparse", 0.2, 0, 1),
    "fringe": ("sparse", 0.3, 0, 1), "hair_length": ("uniform", 0.0, 0.35), "brow_density": ("uniform", 0.3, 1),
    "glasses": ("choice", {"none": 0.8, "clear": 0.14, "sun": 0.06}),
    "hat": ("choice", {"none": 0.86, "cap": 0.07, "beanie": 0.07}),
    "mask": ("choice", {"none": 0.97, "mask": 0.03}),
    "headphones": ("choice", {"none": 0.95, "headphones": 0.05}),
    "clothing": ("choice", {"shirt": 0.7, "collar": 0.3}),
    "shadows": ("choice", {"on": 0.85, "off": 0.15}),
    "fill_intensity": ("sparse", 0.7, 0, 0.8),
    "skin_texture": ("const", "procedural"), "exposure": ("normal", 0, 0.3), "beard_length": ("uniform", 0.002, 0.015),
    "label_roughness": ("const", 0.0),
    "jpeg_quality": ("const", 100.0),
}

PRESETS: dict[str, Preset] = {
    "synthetic": Preset(
        "synthetic", "clean generator: procedural skin, broad pose/lighting, pixel-perfect labels", False,
        {**_COMMON,
         "background": ("choice", {"procedural": 0.5, "photo": 0.5}), "bg_photo": _even(SYNTHETIC_PHOTOS),
         "roll": ("normal", 0, 5), "pitch": ("normal", 0, 8),
         "ambient": ("uniform", 0.25, 0.6), "key_azimuth": ("normal", 0, 35), "key_elevation": ("uniform", 5, 55),
         "fill_intensity": ("sparse", 0.8, 0.1, 0.6),
         "blur": ("uniform", 0, 0.6), "noise": ("uniform", 0, 0.01), "face_size": ("uniform", 0.4, 0.65),
         "brightness": ("normal", 0, 0.03), "contrast": ("normal", 1, 0.05), "saturation": ("normal", 1, 0.08),
         "white_balance": ("normal", 0, 0.03)}),
    "standin_real_a": Preset(
        "standin_real_a", "STAND-IN for a portrait set (CelebAMask-HQ role): scan skin texture, near-frontal, "
        "soft studio light, long lens, held-out photo backgrounds, mild JPEG, rough human-style labels", True,
        {**_COMMON,
         "yaw": ("normal", 0, 14), "pitch": ("normal", 2, 7), "roll": ("normal", 0, 5),
         "skin_texture": ("const", "scan"), "texture_detail": ("uniform", 0, 0.4),
         "fov": ("uniform", 15, 28), "face_size": ("normal", 0.58, 0.05),
         "offset_x": ("normal", 0, 0.02), "offset_y": ("normal", 0, 0.02),
         "ambient": ("uniform", 0.35, 0.6), "key_elevation": ("uniform", 15, 45), "key_azimuth": ("normal", 0, 25),
         "key_temperature": ("uniform", 4500, 6500), "fill_intensity": ("uniform", 0.3, 0.7),
         "glasses": ("choice", {"none": 0.85, "clear": 0.1, "sun": 0.05}),
         "hat": ("choice", {"none": 0.95, "cap": 0.03, "beanie": 0.02}), "mask": ("const", "none"),
         "headphones": ("const", "none"), "hair_length": ("uniform", 0.05, 0.35),
         "background": ("const", "photo"), "bg_photo": _even(STANDIN_A_PHOTOS), "bg_blur": ("uniform", 0.5, 3),
         "blur": ("uniform", 0.2, 0.7), "noise": ("uniform", 0.004, 0.015), "jpeg_quality": ("uniform", 60, 95),
         "brightness": ("normal", 0.02, 0.04), "contrast": ("normal", 1.05, 0.05), "saturation": ("normal", 1.1, 0.08),
         "white_balance": ("normal", 0.03, 0.03), "label_roughness": ("uniform", 0.4, 0.8)}),
    "standin_real_b": Preset(
        "standin_real_b", "STAND-IN for an in-the-wild set (LaPa role): scan skin texture, wider pose, harsh "
        "warm light, wide-angle camera, small faces, held-out photo backgrounds, noise and strong JPEG, rough labels", True,
        {**_COMMON,
         "yaw": ("normal", 0, 30), "pitch": ("normal", -3, 13), "roll": ("normal", 0, 11),
         "skin_texture": ("const", "scan"), "texture_detail": ("uniform", 0.3, 1),
         "fov": ("uniform", 40, 60), "face_size": ("uniform", 0.4, 0.58),
         "offset_x": ("normal", 0, 0.06), "offset_y": ("normal", 0, 0.05),
         "ambient": ("uniform", 0.2, 0.4), "key_intensity": ("uniform", 0.7, 1.2), "key_azimuth": ("normal", 0, 45),
         "key_temperature": ("uniform", 2700, 4500), "fill_intensity": ("sparse", 0.3, 0, 0.4),
         "shadows": ("const", "on"),
         "background": ("const", "photo"), "bg_photo": _even(STANDIN_B_PHOTOS), "bg_blur": ("uniform", 0, 1),
         "blur": ("uniform", 0.2, 0.9), "noise": ("uniform", 0.01, 0.035), "jpeg_quality": ("uniform", 35, 85),
         "brightness": ("normal", -0.03, 0.05), "contrast": ("normal", 0.95, 0.08), "saturation": ("normal", 0.9, 0.1),
         "white_balance": ("normal", -0.04, 0.04), "label_roughness": ("uniform", 0.6, 1.0)}),
}


# --- synthetic_landmarks: the whitepaper's restricted synthetic set for the landmark case study ---------
# * Faces at most 45 degrees from the camera (face_angle of yaw and pitch; redrawn in _landmark_joint);
#   10 % with clear glasses and none with sunglasses; skin tone and hue uniform; no face masks (they
#   hide the mouth landmarks). Everything else as the clean 'synthetic' preset.
# * Expressions: 60 % of faces at intensity 0.7-1.0, 20 % at 0.1-0.3, 20 % neutral, one expression each,
#   built from the expression knobs that exist today (smile, mouth_open, brow_raise; LANDMARK_EXPRESSIONS).
#   When the generator gains its `expression` / `expression_intensity` knobs, this mixture switches to
#   them (same shares and intensity ranges).

LANDMARK_MAX_FACE_ANGLE = 45.0  # degrees between the face's forward axis and the camera axis
# expression mixture: (share of faces, intensity range); the rest (20 %) are neutral
LANDMARK_EXPRESSION_MIX = (("strong", 0.6, (0.7, 1.0)), ("weak", 0.2, (0.1, 0.3)))
# the closest expressions the current knobs can make: knob -> share of the intensity
LANDMARK_EXPRESSIONS: dict[str, dict[str, float]] = {
    "smile": {"smile": 1.0},
    "laugh": {"smile": 1.0, "mouth_open": 0.6},
    "open_mouth": {"mouth_open": 1.0},
    "surprise": {"mouth_open": 1.0, "brow_raise": 1.0},
    "brow_raise": {"brow_raise": 1.0},
}


def face_angle(yaw: float, pitch: float) -> float:
    """Angle in degrees between the face's forward axis and the camera axis for head yaw and pitch
    (roll turns the face in the image plane and does not change it): ``acos(cos yaw * cos pitch)``."""
    return float(np.degrees(np.arccos(np.clip(np.cos(np.radians(yaw)) * np.cos(np.radians(pitch)), -1, 1))))


def _landmark_joint(p: dict, rng: np.random.Generator) -> None:
    """Joint draws of ``synthetic_landmarks``.

    1. Pose: (yaw, pitch) is redrawn from the preset's normals until the face is at most
       ``LANDMARK_MAX_FACE_ANGLE`` from the camera (after 100 tries both are scaled down onto it).
    2. Expression: one intensity class per face — 60 % strong (0.7-1.0), 20 % weak (0.1-0.3), 20 %
       neutral — and one expression of ``LANDMARK_EXPRESSIONS`` at that intensity; the expression
       knobs it does not name are 0 (``blink`` keeps its own sparse draw).
    """
    # 1. pose
    for _ in range(100):
        if face_angle(p["yaw"], p["pitch"]) <= LANDMARK_MAX_FACE_ANGLE:
            break
        p["yaw"], p["pitch"] = (_draw(k, PRESETS["synthetic_landmarks"].dists[k], rng) for k in ("yaw", "pitch"))
    angle = face_angle(p["yaw"], p["pitch"])
    if angle > LANDMARK_MAX_FACE_ANGLE:
        scale = LANDMARK_MAX_FACE_ANGLE / angle * 0.999
        p["yaw"], p["pitch"] = p["yaw"] * scale, p["pitch"] * scale
    p["yaw"], p["pitch"] = float(np.clip(p["yaw"], -60, 60)), float(np.clip(p["pitch"], -30, 30))
    # 2. expression: class, then which expression, then the intensity
    u = rng.random()
    intensity = 0.0
    for _, share, (lo, hi) in LANDMARK_EXPRESSION_MIX:
        if u < share:
            intensity = float(rng.uniform(lo, hi))
            break
        u -= share
    names = sorted(LANDMARK_EXPRESSIONS)
    expression = LANDMARK_EXPRESSIONS[names[int(rng.integers(len(names)))]]
    for knob in ("smile", "mouth_open", "brow_raise"):
        p[knob] = float(np.clip(intensity * expression.get(knob, 0.0), 0.0, 1.0))


PRESETS["synthetic_landmarks"] = Preset(
    "synthetic_landmarks",
    "synthetic set restricted like the whitepaper's landmark set: faces at most 45 deg from the camera, "
    "10 % clear glasses (no sunglasses), uniform skin tones, 60 % strong (0.7-1.0) / 20 % weak (0.1-0.3) "
    "expressions from smile / mouth_open / brow_raise (to switch to the expression / expression_intensity "
    "knobs once they exist); otherwise the clean 'synthetic' preset", False,
    {**PRESETS["synthetic"].dists,
     "yaw": ("normal", 0, 25), "pitch": ("normal", 0, 8),
     "glasses": ("choice", {"none": 0.9, "clear": 0.1}),
     "skin_tone": ("uniform", 0.0, 1.0), "skin_hue": ("uniform", -1.0, 1.0),
     "mask": ("const", "none")},
    joint=_landmark_joint,
)


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; valid: {sorted(PRESETS)}") from None


def _draw(name: str, dist: tuple, rng: np.random.Generator):
    k = KNOBS[name]
    kind = dist[0]
    if kind == "choice":
        opts = list(dist[1])
        probs = np.array([dist[1][o] for o in opts], float)
        return opts[int(rng.choice(len(opts), p=probs / probs.sum()))]
    if kind == "const":
        return dist[1]
    if kind == "uniform":
        v = rng.uniform(dist[1], dist[2])
    elif kind == "normal":
        v = rng.normal(dist[1], dist[2])
    elif kind == "sparse":
        v = rng.uniform(dist[2], dist[3]) if rng.random() < dist[1] else 0.0
    else:
        raise KeyError(f"unknown distribution {kind!r} for knob {name!r}")
    return float(np.clip(v, k.lo, k.hi))


def _couple(p: dict, rng: np.random.Generator) -> None:
    """Population priors between independent draws: darker skin mostly comes with dark hair and brown
    eyes (90 % of draws with skin_tone > 0.55 darken hair and iris towards black/brown)."""
    if p["skin_tone"] > 0.55 and rng.random() < 0.9:
        p["hair_colour"] = float(max(p["hair_colour"], rng.uniform(0.75, 1.0)))
        p["hair_red"] = float(min(p["hair_red"], 0.3))
        p["eye_colour"] = float(max(p["eye_colour"], rng.uniform(0.7, 1.0)))


def sample_params(preset: str, rng: np.random.Generator) -> dict:
    """Draw every knob for one image from ``preset`` (see ``PRESETS``), then apply ``_couple``."""
    pr = get_preset(preset)
    out = {}
    for name, knob in KNOBS.items():
        dist = pr.dists.get(name)
        if dist is None:
            dist = ("choice", {c: 1.0 for c in knob.choices}) if knob.categorical else ("uniform", knob.lo, knob.hi)
        out[name] = _draw(name, dist, rng)
    _couple(out, rng)
    if pr.joint is not None:
        pr.joint(out, rng)
    validate_params(out)
    return out
