"""Presets: how each knob is drawn. ``synthetic`` is the clean generator; ``standin_real_a`` and
``standin_real_b`` are shifted domains that *stand in* for two real datasets (CelebAMask-HQ-like
portraits and LaPa-like in-the-wild faces) when none is on disk. They are never real data.
``synthetic_landmarks`` is ``synthetic`` restricted like the whitepaper's landmark set (pose within
45 degrees, 10 % clear glasses, uniform skin tones, an expression-intensity mixture); see its block below.

A distribution is one of ``("uniform", lo, hi)``, ``("normal", mean, sd)`` (truncated to the knob's
range by redrawing, so no mass piles up at its ends), ``("sparse", p, lo, hi)`` (uniform with
probability ``p``, else 0), ``("integer", lo, hi)`` (uniform integer in ``[lo, hi]``), ``("const", value)``,
``("choice", {option: probability})`` or ``("mixture", ((weight, dist), ...))`` (one component drawn by
weight, then its value). Knobs a preset does not name are uniform over their range, except the
identity knobs that ``_identity_priors`` draws.

**Identities.** The knobs of ``IDENTITY_KNOBS`` (who the face is: sex, age, population, skin, eyes, hair,
beard, makeup) are drawn from an rng seeded by ``identity_seed`` alone, so every image with the same
``identity_seed`` shows the same person under its own pose, light, expression, accessories and scene.
``identity_seed`` itself is drawn like any knob (default: any of 2**31, i.e. a new person per image;
``("integer", 0, M - 1)`` renders M people), or passed to ``sample_params``. Population priors keep the
joint draws plausible (skin tone, iris and hair colour, curl by population; greying, recession, beards,
makeup and hair styles by age and sex); a knob the preset names explicitly keeps the preset's draw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from casestudies.data.synth.knobs import EXPRESSIONS, KNOBS, POPULATIONS, validate_params
from casestudies.names import lookup

SYNTHETIC_PHOTOS = ("coffee", "rocket", "brick", "grass", "gravel", "clock", "coins", "immunohistochemistry")
STANDIN_A_PHOTOS = ("chelsea", "motorcycle", "hubble", "china")
# held out from synthetic and standin_real_a; the matting case's held-out backgrounds come from it
# (data.composites), standin_real_b's faces from its flower and moon since 0.11.0
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
    joint: Callable[[dict, np.random.Generator], None] | None = None  # joint draws after the knob-by-knob ones


IDENTITY_KNOBS = ("identity_seed", "sex", "age", "population", "individuality", "jaw_width", "chin_length",
                  "face_width", "nose_size", "nose_length", "eye_spacing", "lip_fullness", "cheek_fullness",
                  "skin_tone", "skin_hue", "texture_detail", "skin_texture", "eye_colour", "freckles", "moles",
                  "redness", "skin_oil", "makeup", "stubble", "hair_style", "hair_grey", "hair_length",
                  "hair_density", "hair_curl", "hair_colour", "hair_red", "hairline", "fringe", "beard",
                  "beard_length", "brow_density")
# knobs added since 0.9.0, drawn after all the others, so that a seed keeps its people, poses and scenes
LATE_KNOBS = ("shadow_fill",)
EXPRESSION_SET = tuple(e for e in EXPRESSIONS if e != "neutral")

_COMMON = {
    "yaw": ("normal", 0, 25), "pitch": ("normal", 0, 10), "roll": ("normal", 0, 7),
    "gaze_yaw": ("normal", 0, 12), "gaze_pitch": ("normal", 0, 8),
    "identity_seed": ("integer", 0, 2**31 - 1), "individuality": ("const", 0.75),  # see docs: identity vs realism
    "population": _even(POPULATIONS), "sex": ("mixture", ((0.5, ("const", 0.0)), (0.5, ("const", 1.0)))),
    "age": ("mixture", ((0.08, ("uniform", 4, 12)), (0.1, ("uniform", 12, 18)), (0.62, ("uniform", 18, 60)),
                        (0.2, ("uniform", 60, 85)))),
    **{k: ("normal", 0, 0.15) for k in ("jaw_width", "chin_length", "face_width", "nose_size", "nose_length",
                                         "eye_spacing", "lip_fullness", "cheek_fullness")},
    "expression": _even(EXPRESSION_SET),
    "expression_intensity": ("mixture", ((0.55, ("uniform", 0.2, 1.0)), (0.45, ("const", 0.0)))),
    "smile": ("sparse", 0.2, 0, 0.8), "mouth_open": ("sparse", 0.2, 0, 0.8), "blink": ("sparse", 0.12, 0, 1),
    "brow_raise": ("sparse", 0.15, 0, 0.8), "brow_density": ("uniform", 0.2, 0.8),
    "glasses": ("choice", {"none": 0.8, "clear": 0.14, "sun": 0.06}),
    "hat": ("choice", {"none": 0.86, "cap": 0.07, "beanie": 0.07}),
    "mask": ("choice", {"none": 0.97, "mask": 0.03}),
    "headphones": ("choice", {"none": 0.95, "headphones": 0.05}),
    "clothing": ("choice", {"tshirt": 0.3, "collar": 0.25, "hoodie": 0.15, "jacket": 0.2, "turtleneck": 0.1}),
    "shadows": ("choice", {"on": 0.85, "off": 0.15}), "env_light": ("uniform", 0.2, 0.7),
    # keys from small (a bare bulb, the sun) to large sources (a window, a softbox): cast shadows keep
    # 0.1-0.5 of the light (0 before 0.9.0: caps' brims and lowered heads put the eyes in black shade)
    "shadow_fill": ("uniform", 0.1, 0.5),
    "fill_intensity": ("sparse", 0.7, 0, 0.8),
    "skin_texture": ("const", "procedural"), "exposure": ("normal", 0, 0.3),
    "label_roughness": ("const", 0.0),
    "jpeg_quality": ("const", 100.0),
}

PRESETS: dict[str, Preset] = {
    "synthetic": Preset(
        "synthetic", "clean generator: procedural skin, broad pose/lighting, pixel-perfect labels", False,
        {**_COMMON,
         "background": ("choice", {"procedural": 0.6, "photo": 0.4}), "bg_photo": _even(SYNTHETIC_PHOTOS),
         "bg_pattern": ("choice", {"noise": 0.08, "gradient": 0.08, "stripes": 0.04, "blobs": 0.05, "room": 0.25,
                                   "office": 0.2, "street": 0.15, "nature": 0.15}),  # mostly places faces are photographed
         "roll": ("normal", 0, 5), "pitch": ("normal", 0, 8),
         # a weak key light (flat, ambient-only faces) hides the face's shape, which is what tells
         # identities apart: key 0.7-1.3 instead of 0.3-1.3 took dlib's look-alike share from 0.146 to
         # 0.139 and detection from 0.947 to 0.954 (docs/generator.md, "Generator 0.6.0")
         "ambient": ("uniform", 0.25, 0.6), "key_intensity": ("uniform", 0.7, 1.3),
         "key_azimuth": ("normal", 0, 35), "key_elevation": ("uniform", 5, 55),
         "fill_intensity": ("sparse", 0.8, 0.1, 0.6),
         "blur": ("uniform", 0, 0.6), "noise": ("uniform", 0, 0.01), "face_size": ("uniform", 0.4, 0.65),
         "brightness": ("normal", 0, 0.03), "contrast": ("normal", 1, 0.05), "saturation": ("normal", 1, 0.08),
         "white_balance": ("normal", 0, 0.03)}),
    "standin_real_a": Preset(
        "standin_real_a", "STAND-IN for a portrait set (CelebAMask-HQ role): scan skin texture, near-frontal, "
        "soft studio light, long lens, studio backdrops, press walls and held-out photos, mild JPEG, rough human-style labels", True,
        {**_COMMON,
         "yaw": ("normal", 0, 14), "pitch": ("normal", 2, 7), "roll": ("normal", 0, 5),
         "skin_texture": ("const", "scan"), "texture_detail": ("uniform", 0, 0.4),
         "fov": ("uniform", 15, 28), "face_size": ("normal", 0.58, 0.05),
         "offset_x": ("normal", 0, 0.02), "offset_y": ("normal", 0, 0.02),
         "ambient": ("uniform", 0.35, 0.6), "key_elevation": ("uniform", 15, 45), "key_azimuth": ("normal", 0, 25),
         "key_temperature": ("uniform", 4500, 6500), "fill_intensity": ("uniform", 0.3, 0.7),
         "shadow_fill": ("uniform", 0.3, 0.6),
         "glasses": ("choice", {"none": 0.85, "clear": 0.1, "sun": 0.05}),
         "hat": ("choice", {"none": 0.95, "cap": 0.03, "beanie": 0.02}), "mask": ("const", "none"),
         "headphones": ("const", "none"),
         # studio backdrops and press walls (portraits are taken there), and its held-out photos
         "background": ("choice", {"procedural": 0.6, "photo": 0.4}),
         "bg_pattern": ("choice", {"backdrop": 0.65, "event": 0.35}),
         "bg_photo": _even(STANDIN_A_PHOTOS), "bg_blur": ("uniform", 0.5, 3),
         "blur": ("uniform", 0.2, 0.7), "noise": ("uniform", 0.004, 0.015), "jpeg_quality": ("uniform", 60, 95),
         "brightness": ("normal", 0.02, 0.04), "contrast": ("normal", 1.05, 0.05), "saturation": ("normal", 1.1, 0.08),
         "white_balance": ("normal", 0.03, 0.03), "label_roughness": ("uniform", 0.4, 0.8)}),
    "standin_real_b": Preset(
        "standin_real_b", "STAND-IN for an in-the-wild set (LaPa role): scan skin texture, wider pose, harsh "
        "warm light, wide-angle camera, small faces, interiors, night streets, parks and held-out photos, noise and strong JPEG, rough labels", True,
        {**_COMMON,
         "yaw": ("normal", 0, 30), "pitch": ("normal", -3, 13), "roll": ("normal", 0, 11),
         # the scan's detail at 50-100 % of its own contrast (exponent 0.5-1.0); 0.3-1 before 0.12.0
         # exaggerated it up to 1.5x, blotchy skin on which dlib's embedding told people apart less well
         # (look-alike share 0.119 -> 0.102 and 0.107 -> 0.099 on two sets of 300 faces, docs/generator.md)
         "skin_texture": ("const", "scan"), "texture_detail": ("uniform", 0, 0.5),
         "fov": ("uniform", 40, 60), "face_size": ("uniform", 0.4, 0.58),
         "offset_x": ("normal", 0, 0.06), "offset_y": ("normal", 0, 0.05),
         "ambient": ("uniform", 0.2, 0.4), "key_intensity": ("uniform", 0.7, 1.2), "key_azimuth": ("normal", 0, 45),
         "key_temperature": ("uniform", 2700, 4500), "fill_intensity": ("sparse", 0.3, 0, 0.4),
         "shadows": ("const", "on"), "shadow_fill": ("uniform", 0.0, 0.3),
         # interiors, night streets and parks, and two of its held-out photos (a flower bed, a grey
         # pitted surface); the retina, cell and colour-wheel pictures of STANDIN_B_PHOTOS, which no face
         # is photographed in front of, stay in the matting composites' held-out set only
         "background": ("choice", {"procedural": 0.8, "photo": 0.2}),
         "bg_pattern": ("choice", {"interior": 0.4, "night": 0.25, "park": 0.35}),
         "bg_photo": _even(("flower", "moon")), "bg_blur": ("uniform", 0, 1),
         "blur": ("uniform", 0.2, 0.9), "noise": ("uniform", 0.01, 0.035), "jpeg_quality": ("uniform", 35, 85),
         "brightness": ("normal", -0.03, 0.05), "contrast": ("normal", 0.95, 0.08), "saturation": ("normal", 0.9, 0.1),
         "white_balance": ("normal", -0.04, 0.04), "label_roughness": ("uniform", 0.6, 1.0)}),
}


# --- synthetic_landmarks: the whitepaper's restricted synthetic set for the landmark case study ---------
# * Faces at most 45 degrees from the camera (face_angle of yaw and pitch; redrawn in _landmark_joint);
#   10 % with clear glasses and none with sunglasses; skin tone and hue uniform; no face masks (they
#   hide the mouth landmarks). Everything else as the clean 'synthetic' preset.
# * Expressions: 60 % of faces one of the six expressions (EXPRESSION_SET, uniform) at intensity 0.7-1.0,
#   20 % at 0.1-0.3, 20 % neutral, through the generator's `expression` / `expression_intensity` knobs
#   (an intensity of 0 reads as neutral).

LANDMARK_MAX_FACE_ANGLE = 45.0  # degrees between the face's forward axis and the camera axis
# expression mixture: (share of faces, intensity range); the rest (20 %) are neutral
LANDMARK_EXPRESSION_MIX = (("strong", 0.6, (0.7, 1.0)), ("weak", 0.2, (0.1, 0.3)))


def face_angle(yaw: float, pitch: float) -> float:
    """Angle in degrees between the face's forward axis and the camera axis for head yaw and pitch
    (roll turns the face in the image plane and does not change it): ``acos(cos yaw * cos pitch)``."""
    return float(np.degrees(np.arccos(np.clip(np.cos(np.radians(yaw)) * np.cos(np.radians(pitch)), -1, 1))))


def _landmark_joint(p: dict, rng: np.random.Generator) -> None:
    """Joint draws of ``synthetic_landmarks``.

    Pose: (yaw, pitch) is redrawn from the preset's normals until the face is at most
    ``LANDMARK_MAX_FACE_ANGLE`` from the camera (after 100 tries both are scaled down onto it).
    The expression mixture is drawn knob by knob (``expression``, ``expression_intensity``).
    """
    for _ in range(100):
        if face_angle(p["yaw"], p["pitch"]) <= LANDMARK_MAX_FACE_ANGLE:
            break
        p["yaw"], p["pitch"] = (_draw(k, PRESETS["synthetic_landmarks"].dists[k], rng) for k in ("yaw", "pitch"))
    angle = face_angle(p["yaw"], p["pitch"])
    if angle > LANDMARK_MAX_FACE_ANGLE:
        scale = LANDMARK_MAX_FACE_ANGLE / angle * 0.999
        p["yaw"], p["pitch"] = p["yaw"] * scale, p["pitch"] * scale
    p["yaw"], p["pitch"] = float(np.clip(p["yaw"], -60, 60)), float(np.clip(p["pitch"], -30, 30))


PRESETS["synthetic_landmarks"] = Preset(
    "synthetic_landmarks",
    "synthetic set restricted like the whitepaper's landmark set: faces at most 45 deg from the camera, "
    "10 % clear glasses (no sunglasses), uniform skin tones, 60 % of faces a random expression at intensity "
    "0.7-1.0 and 20 % at 0.1-0.3 (the rest neutral); otherwise the clean 'synthetic' preset", False,
    {**PRESETS["synthetic"].dists,
     "yaw": ("normal", 0, 25), "pitch": ("normal", 0, 8),
     "glasses": ("choice", {"none": 0.9, "clear": 0.1}),
     "skin_tone": ("uniform", 0.0, 1.0), "skin_hue": ("uniform", -1.0, 1.0),
     "mask": ("const", "none"),
     "expression": ("choice", {e: 1.0 / len(EXPRESSION_SET) for e in EXPRESSION_SET}),
     "expression_intensity": ("mixture", tuple((share, ("uniform", lo, hi)) for _, share, (lo, hi) in LANDMARK_EXPRESSION_MIX)
                              + ((0.2, ("const", 0.0)),))},
    joint=_landmark_joint,
)


def get_preset(name: str) -> Preset:
    return lookup("preset", name, PRESETS)


def _truncated_normal(mean: float, sd: float, lo: float, hi: float, rng: np.random.Generator) -> float:
    """A normal draw conditioned on ``[lo, hi]`` (redrawn until inside; uniform if that is improbable).

    Clipping instead would put all the mass beyond the range at its ends (2.5 % of ``synthetic``'s yaws
    sat at exactly +-60 degrees).
    """
    for _ in range(64):
        v = rng.normal(mean, sd)
        if lo <= v <= hi:
            return float(v)
    return float(rng.uniform(lo, hi))


def _draw(name: str, dist: tuple, rng: np.random.Generator):
    k = KNOBS[name]
    kind = dist[0]
    if kind == "choice":
        opts = list(dist[1])
        probs = np.array([dist[1][o] for o in opts], float)
        return opts[int(rng.choice(len(opts), p=probs / probs.sum()))]
    if kind == "const":
        return dist[1]
    if kind == "mixture":
        weights = np.array([w for w, _ in dist[1]], float)
        return _draw(name, dist[1][int(rng.choice(len(weights), p=weights / weights.sum()))][1], rng)
    if kind == "integer":
        return int(rng.integers(int(dist[1]), int(dist[2]) + 1))
    if kind == "uniform":
        v = rng.uniform(dist[1], dist[2])
    elif kind == "normal":
        v = _truncated_normal(dist[1], dist[2], k.lo, k.hi, rng)
    elif kind == "sparse":
        v = rng.uniform(dist[2], dist[3]) if rng.random() < dist[1] else 0.0
    else:
        raise KeyError(f"unknown distribution {kind!r} for knob {name!r}")
    return float(np.clip(v, k.lo, k.hi))


# skin tone (0 very light .. 1 very dark) mean and sd, hue mean, by population (broad, overlapping priors)
_SKIN = {"african": (0.78, 0.12, 0.05), "east_asian": (0.27, 0.09, 0.45), "european": (0.12, 0.08, -0.25),
         "middle_eastern": (0.33, 0.1, 0.2), "south_asian": (0.55, 0.12, 0.25)}
_STYLE_F = {"short": 0.18, "buzz": 0.02, "curly": 0.14, "afro": 0.04, "bun": 0.14, "ponytail": 0.16, "long_straight": 0.32}
_STYLE_M = {"short": 0.55, "buzz": 0.18, "curly": 0.14, "afro": 0.04, "bun": 0.02, "ponytail": 0.03, "long_straight": 0.04}
_STYLE_LENGTH = {"short": (0.03, 0.08), "buzz": (0.002, 0.006), "curly": (0.05, 0.14), "afro": (0.06, 0.12),
                 "bun": (0.15, 0.3), "ponytail": (0.18, 0.35), "long_straight": (0.18, 0.35)}


def _identity_priors(p: dict, named: set[str], rng: np.random.Generator) -> None:
    """Population, age and sex priors on the identity knobs the preset does not name (in place)."""
    pop, age, male = p["population"], float(p["age"]), float(p["sex"]) >= 0.5
    adult = age >= 17

    def put(name: str, value) -> None:
        if name not in named:
            k = KNOBS[name]
            p[name] = value if k.categorical else float(np.clip(value, k.lo, k.hi))

    mean, sd, hue = _SKIN[pop]
    put("skin_tone", _truncated_normal(mean, sd, 0.0, 1.0, rng))
    put("skin_hue", _truncated_normal(hue, 0.25, -1.0, 1.0, rng))
    light = pop == "european"
    put("eye_colour", rng.uniform(0, 1) if light else rng.uniform(0.75, 1.0))
    put("hair_colour", rng.uniform(0, 1) if light else rng.uniform(0.8, 1.0))
    put("hair_red", rng.uniform(0, 1) if light and rng.random() < 0.15 else rng.uniform(0, 0.15))
    put("hair_grey", float(np.clip((age - 35) / 35, 0, 1)) * rng.uniform(0.4, 1.0) if age > 35 else 0.0)
    styles = dict(_STYLE_M if male else _STYLE_F)
    if pop == "african":
        styles["afro"] += 0.25
        styles["curly"] += 0.1
    style = _draw("hair_style", ("choice", styles), rng)
    put("hair_style", style)
    style = p["hair_style"]
    put("hair_length", rng.uniform(*_STYLE_LENGTH[style]) * (0.7 if age < 12 and style != "buzz" else 1.0))
    # tightly curled for afro and curly cuts and for African hair in any cut but a long straight one (which
    # reads as relaxed hair: at curl 0.75-1 its long strands were drawn as wire around the face)
    coiled = style in ("afro", "curly") or (pop == "african" and style != "long_straight")
    put("hair_curl", rng.uniform(0.75, 1.0) if coiled else rng.uniform(0, 0.35))
    put("fringe", rng.uniform(0.4, 1.0) if rng.random() < (0.3 if style in ("short", "long_straight", "bun") else 0.1) else 0.0)
    recede = male and adult and rng.random() < float(np.clip((age - 20) / 50, 0, 0.8))
    put("hairline", rng.uniform(0.4, 1.0) if recede else rng.uniform(0, 0.5))
    bald = male and age > 35 and rng.random() < 0.35 * (age - 35) / 50
    put("hair_density", 0.0 if bald else _truncated_normal(0.85, 0.15, 0.3, 1.0, rng))
    put("beard", rng.uniform(0.2, 1.0) if male and adult and rng.random() < 0.3 else 0.0)
    put("beard_length", rng.uniform(0.002, 0.015))
    put("stubble", rng.uniform(0.2, 0.8) if male and adult and rng.random() < 0.45 else 0.0)
    put("makeup", rng.uniform(0.2, 0.9) if not male and age >= 16 and rng.random() < 0.5 else 0.0)
    put("freckles", rng.uniform(0.2, 1.0) if rng.random() < (0.3 if light else 0.06) else 0.0)
    put("redness", rng.uniform(0, 0.7 if light else 0.3))


def _expression_consistent(p: dict) -> None:
    """``expression_intensity == 0`` reads as ``neutral`` and ``neutral`` has intensity 0."""
    if p["expression"] == "neutral" or float(p["expression_intensity"]) <= 0.0:
        p["expression"], p["expression_intensity"] = "neutral", 0.0


def sample_params(preset: str, rng: np.random.Generator, identity_seed: int | None = None) -> dict:
    """Draw every knob for one image from ``preset`` (see ``PRESETS``).

    The identity knobs (``IDENTITY_KNOBS``) come from an rng seeded by ``identity_seed`` only (drawn
    from the preset unless given), so one ``identity_seed`` is one person in every image.
    """
    pr = get_preset(preset)

    def dist_of(name: str) -> tuple:
        d = pr.dists.get(name)
        if d is None:
            k = KNOBS[name]
            d = ("choice", {c: 1.0 for c in k.choices}) if k.categorical else ("uniform", k.lo, k.hi)
        return d

    out = {}
    for name in KNOBS:
        if name not in IDENTITY_KNOBS and name not in LATE_KNOBS:
            out[name] = _draw(name, dist_of(name), rng)
    seed = _draw("identity_seed", dist_of("identity_seed"), rng) if identity_seed is None else int(identity_seed)
    id_rng = np.random.default_rng([int(seed), 0x1D])
    for name in IDENTITY_KNOBS:
        out[name] = int(seed) if name == "identity_seed" else _draw(name, dist_of(name), id_rng)
    _identity_priors(out, set(pr.dists), id_rng)
    _expression_consistent(out)
    if pr.joint is not None:
        pr.joint(out, rng)
    for name in LATE_KNOBS:
        out[name] = _draw(name, dist_of(name), rng)
    validate_params(out)
    return {k: out[k] for k in KNOBS}
