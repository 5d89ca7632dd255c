"""Every generator knob and its documented range, in one place.

A sample's parameters are a flat ``dict`` (JSON-serialisable) with one entry per knob. Continuous
knobs are floats within ``[lo, hi]``; categorical knobs take one of ``choices``. Presets
(``presets.py``) decide how each knob is drawn; ``validate_params`` checks any dict against this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from casestudies.versions import GENERATOR_VERSION  # noqa: F401  (one constant, in the run identity too)

INTEGER_KNOBS = ("identity_seed",)
POPULATIONS = ("african", "east_asian", "european", "middle_eastern", "south_asian")
EXPRESSIONS = ("neutral", "happy", "sad", "surprise", "anger", "disgust", "fear")
HAIR_STYLES = ("short", "buzz", "curly", "afro", "bun", "ponytail", "long_straight")
GARMENTS = ("tshirt", "collar", "hoodie", "jacket", "turtleneck")


@dataclass(frozen=True)
class Knob:
    """One parameter: range (or choices), group and what it means (with units)."""

    group: str
    lo: float = 0.0
    hi: float = 1.0
    doc: str = ""
    choices: tuple[str, ...] = ()

    @property
    def categorical(self) -> bool:
        return bool(self.choices)


def _k(group: str, lo: float, hi: float, doc: str) -> Knob:
    return Knob(group, lo, hi, doc)


def _c(group: str, choices: tuple[str, ...], doc: str) -> Knob:
    return Knob(group, doc=doc, choices=choices)


KNOBS: dict[str, Knob] = {
    # identity space (identity.py): who the face is; the same identity_seed, sex, age and population
    # give the same face shape under any pose, light and expression
    "identity_seed": _k("identity", 0, 2**31 - 1, "integer: individual proportions, asymmetry and skin marks"),
    "sex": _k("identity", 0, 1, "0 female .. 1 male: anthropometric means interpolated between the two"),
    "age": _k("identity", 3, 85, "years: growth to 18, ageing (jowls, thinner lips, wrinkles, grey hair) after 30"),
    "population": _c("identity", POPULATIONS, "population of the anthropometric means (Farkas et al. 2005)"),
    "individuality": _k("identity", 0, 1, "0 the mean face of sex, age and population .. 1 individual proportions at their full published spread"),
    # identity offsets (blend-shape weights added to the identity space; 0 = none)
    "jaw_width": _k("identity", -1, 1, "lower-face width, +-14 % at the jaw"),
    "chin_length": _k("identity", -1, 1, "chin moved down by up to 7 mm (negative: up)"),
    "face_width": _k("identity", -1, 1, "whole-face width, +-7 %"),
    "nose_size": _k("identity", -1, 1, "nose scaled +-22 % about its base"),
    "nose_length": _k("identity", -1, 1, "nose tip forward/down by up to 5 mm"),
    "eye_spacing": _k("identity", -1, 1, "each eye moved sideways by up to 3.5 mm"),
    "lip_fullness": _k("identity", -1, 1, "lips stretched +-35 % vertically"),
    "cheek_fullness": _k("identity", -1, 1, "cheeks forward/out by up to 4 mm"),
    "skin_tone": _k("identity", 0, 1, "0 very light .. 1 very dark (Fitzpatrick-like ramp)"),
    "skin_hue": _k("identity", -1, 1, "-1 pinker .. +1 more olive/yellow"),
    "texture_detail": _k("identity", 0, 1, "skin detail: procedural blotches/freckles, or the contrast of the scan's detail (exponent 0.5-1.5)"),
    "skin_texture": _c("identity", ("procedural", "scan"), "procedural albedo or the photographic head-scan texture"),
    "eye_colour": _k("identity", 0, 1, "0 blue .. 0.5 green/hazel .. 1 dark brown iris"),
    "freckles": _k("identity", 0, 1, "freckle density over the nose and cheeks"),
    "moles": _k("identity", 0, 1, "number of moles, 0 .. 6"),
    "redness": _k("identity", 0, 1, "redness of cheeks and nose"),
    "skin_oil": _k("identity", 0, 1, "specular strength of the skin, 0 matte .. 1 oily"),
    "makeup": _k("identity", 0, 1, "lipstick, eye shadow and blush strength"),
    "stubble": _k("identity", 0, 1, "stubble shadow over the beard zone"),
    # expression (blend-shape weights; the expression set adds action-unit-like modes, identity.py)
    "expression": _c("expression", EXPRESSIONS, "prototypical expression (FACS action units)"),
    "expression_intensity": _k("expression", 0, 1, "strength of the expression, 0 neutral .. 1 full"),
    "smile": _k("expression", 0, 1, "mouth corners up 4.5 mm and out 3 mm"),
    "mouth_open": _k("expression", 0, 1, "jaw rotation, 0 .. 13 degrees; shows the mouth interior"),
    "blink": _k("expression", 0, 1, "eyelid closure, 0 open .. 1 closed"),
    "brow_raise": _k("expression", 0, 1, "brows and forehead up by up to 4.5 mm"),
    # gaze (degrees, relative to the head; + yaw = towards the image right, + pitch = up)
    "gaze_yaw": _k("gaze", -30, 30, "eye rotation about the vertical axis, degrees"),
    "gaze_pitch": _k("gaze", -20, 20, "eye rotation about the horizontal axis, degrees"),
    # head pose (degrees, camera frame; + yaw turns the face to the image right, + pitch up)
    "yaw": _k("pose", -60, 60, "head yaw, degrees"),
    "pitch": _k("pose", -30, 30, "head pitch, degrees"),
    "roll": _k("pose", -30, 30, "head roll, degrees (+ = counter-clockwise in the image)"),
    # camera
    "fov": _k("camera", 15, 60, "vertical field of view, degrees"),
    "face_size": _k("camera", 0.3, 0.7, "head height (chin to crown, ~0.23 m) as a fraction of the image height; sets the distance"),
    "offset_x": _k("camera", -0.12, 0.12, "head centre offset, fraction of the image width"),
    "offset_y": _k("camera", -0.12, 0.12, "head centre offset, fraction of the image height (+ = down)"),
    # hair
    "hair_style": _c("hair", HAIR_STYLES, "cut: volume, parting and how the strands fall or gather"),
    "hair_grey": _k("hair", 0, 1, "fraction of grey strands"),
    "hair_length": _k("hair", 0, 0.35, "strand length, metres (below 5 mm: a short crop on the scalp only)"),
    "hair_density": _k("hair", 0, 1, "0 bald .. 1 dense; scales strand count"),
    "hair_curl": _k("hair", 0, 1, "curl amplitude, 0 straight .. 1 ~6 mm curls"),
    "hair_colour": _k("hair", 0, 1, "melanin: 0 platinum blond .. 1 black"),
    "hair_red": _k("hair", 0, 1, "pheomelanin: red/auburn tint"),
    "hairline": _k("hair", 0, 1, "hairline height above the brows at the centre, 0 low (30 mm) .. 1 receded (60 mm); higher at the temples"),
    "fringe": _k("hair", 0, 1, "fraction of front strands that fall over the forehead (bangs, down to brow height)"),
    "beard": _k("hair", 0, 1, "beard density; above 0.15 the beard zone is labelled beard"),
    "beard_length": _k("hair", 0.002, 0.03, "beard strand length, metres"),
    "brow_density": _k("hair", 0.2, 1, "eyebrow darkness and strand count"),
    # accessories
    "glasses": _c("accessories", ("none", "clear", "sun"), "clear: see-through lenses; sun: opaque dark lenses"),
    "hat": _c("accessories", ("none", "cap", "beanie"), "headwear over the skull"),
    "mask": _c("accessories", ("none", "mask"), "surgical-style face mask (facewear)"),
    "headphones": _c("accessories", ("none", "headphones"), "band over the head and two ear cups (headwear)"),
    "clothing": _c("accessories", GARMENTS, "garment: t-shirt, shirt collar, hoodie, open jacket, turtleneck"),
    "accessory_hue": _k("accessories", 0, 1, "hue of clothes/hat/mask/frames"),
    "accessory_value": _k("accessories", 0.1, 0.95, "brightness of clothes/hat/mask/frames"),
    # lighting
    "ambient": _k("lighting", 0.08, 0.6, "ambient intensity"),
    "env_light": _k("lighting", 0, 1, "how much the lighting follows the background: ambient colour, key light direction and colour (environment lighting)"),
    "key_intensity": _k("lighting", 0.3, 1.3, "key light intensity"),
    "key_azimuth": _k("lighting", -80, 80, "key light direction around the vertical axis, degrees (+ = image right)"),
    "key_elevation": _k("lighting", -20, 70, "key light elevation, degrees"),
    "key_temperature": _k("lighting", 2700, 8000, "key light colour temperature, kelvin"),
    "fill_intensity": _k("lighting", 0, 0.8, "second light intensity (0 = one light)"),
    "fill_azimuth": _k("lighting", -100, 100, "second light azimuth, degrees"),
    "fill_temperature": _k("lighting", 2700, 8000, "second light colour temperature, kelvin"),
    "shadows": _c("lighting", ("on", "off"), "shadow maps for both lights"),
    # background
    "background": _c("background", ("procedural", "photo"), "procedural texture or a photograph crop"),
    "bg_photo": _c("background", ("coffee", "rocket", "brick", "grass", "gravel", "clock", "coins",
                                  "immunohistochemistry", "chelsea", "motorcycle", "hubble", "china",
                                  "flower", "retina", "cell", "moon", "colorwheel"),
                   "photograph name (presets use disjoint pools)"),
    "bg_pattern": _c("background", ("noise", "gradient", "stripes", "blobs", "room", "office", "street", "nature",
                                     "backdrop", "event", "interior", "night", "park"),
                      "procedural pattern or layered scene (where faces are photographed)"),
    "bg_seed": _k("background", 0, 1, "random seed of the background pattern/crop (mapped to an int)"),
    "bg_zoom": _k("background", 0.3, 1.0, "photo crop size as a fraction of the photo's short side"),
    "bg_blur": _k("background", 0, 3, "background defocus blur sigma, pixels at 128 px"),
    # post-processing (applied to fg and bg layers alike, except JPEG)
    "blur": _k("post", 0, 1.2, "subject blur sigma, pixels at 128 px (alpha softens with it)"),
    "noise": _k("post", 0, 0.05, "sensor noise std, fraction of full scale"),
    "jpeg_quality": _k("post", 20, 100, "JPEG quality of the final image; 100 = no JPEG"),
    "exposure": _k("post", -1, 1, "exposure in stops relative to auto-exposure (centre-weighted on the face)"),
    "brightness": _k("post", -0.15, 0.15, "added offset, fraction of full scale"),
    "contrast": _k("post", 0.75, 1.25, "gain about mid-grey"),
    "saturation": _k("post", 0.6, 1.3, "colour saturation gain"),
    "white_balance": _k("post", -0.12, 0.12, "red-blue gain shift"),
    # labels (stand-in presets only)
    "label_roughness": _k("labels", 0, 1, "human-style label roughness: 0 pixel-perfect .. 1 coarse polygons and jittered landmarks"),
    # (0.9.0; presets.LATE_KNOBS draws it last, so every other knob's draw stays as it was)
    "shadow_fill": _k("lighting", 0, 0.8, "light reaching a cast shadow, fraction of the unshadowed light: 0 a point source's hard shadow .. an extended source seen past the caster"),
}


def validate_params(params: dict) -> None:
    """Raise ``ValueError`` if a knob is missing, unknown, out of range or not a valid choice."""
    unknown = set(params) - set(KNOBS)
    if unknown:
        raise ValueError(f"unknown knobs {sorted(unknown)}; valid: {sorted(KNOBS)}")
    missing = set(KNOBS) - set(params)
    if missing:
        raise ValueError(f"missing knobs {sorted(missing)}")
    for name, knob in KNOBS.items():
        v = params[name]
        if knob.categorical:
            if v not in knob.choices:
                raise ValueError(f"knob {name!r}={v!r}; valid: {knob.choices}")
        elif name in INTEGER_KNOBS and float(v) != int(v):
            raise ValueError(f"knob {name!r}={v} must be an integer")
        elif not (knob.lo - 1e-9 <= float(v) <= knob.hi + 1e-9):
            raise ValueError(f"knob {name!r}={v} outside [{knob.lo}, {knob.hi}]")


def default_params() -> dict:
    """Mid-range / first-choice value of every knob (a frontal, neutral, clean face)."""
    out: dict = {}
    for name, k in KNOBS.items():
        out[name] = k.choices[0] if k.categorical else (0.0 if k.lo <= 0 <= k.hi else (k.lo + k.hi) / 2)
    out.update(fov=30.0, face_size=0.5, hair_length=0.08, hair_density=0.8, hair_colour=0.7,
               hairline=0.3, beard_length=0.008, brow_density=0.7, ambient=0.35, key_intensity=0.8,
               key_elevation=30.0, key_temperature=5500.0, fill_intensity=0.3, fill_temperature=6500.0,
               jpeg_quality=100.0, contrast=1.0, saturation=1.0, skin_tone=0.3, eye_colour=0.6,
               accessory_value=0.5, bg_zoom=0.6, shadows="on", bg_photo="coffee", label_roughness=0.0,
               identity_seed=0, sex=1.0, age=30.0, population="european", clothing="tshirt", hair_style="short")
    return out
