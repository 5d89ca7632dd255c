"""The deformable head: template mesh, landmark-anchored blend shapes, eyeballs, mouth, skull, neck.

All positions are metres in the head frame (``x`` image-right of a frontal face, ``y`` up, ``z`` towards
the viewer). Blend shapes are smooth displacement fields defined from the 3D landmarks, evaluated once
at import on every deformable point (template vertices and the auxiliary parts that must follow them),
so a face is ``P = P0 + B @ w``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from casestudies.data.synth.assets import load_template
from casestudies.data.synth.make_regions import REGIONS_PATH, points_in_polygon
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS

MM = 1e-3
EYEBALL_RADIUS = 12.0 * MM
# Material ids understood by raster.shade
MAT_SKIN, MAT_EYE, MAT_GLOSSY, MAT_CLOTH, MAT_HAIR, MAT_MOUTH, MAT_LENS = 0, 1, 2, 3, 4, 5, 6
IDENTITY_SHAPES = ("jaw_width", "chin_length", "face_width", "nose_size", "nose_length",
                   "eye_spacing", "lip_fullness", "cheek_fullness")
EXPRESSION_SHAPES = ("smile", "mouth_open", "brow_raise")
# modes driven by the identity space (identity.py), not knobs of their own
IDENTITY_MODES = ("face_scale", "midface_height", "nose_width", "mouth_width", "chin_forward", "brow_ridge",
                  "midface_depth", "jowls", "asym_eyes", "asym_nose", "asym_jaw")
# action-unit-like modes driven by the expression knobs (FACS numbers in identity.EXPRESSIONS)
N_SKIN_FIELDS = 8  # per-vertex skin blotch fields mixed per identity
N_INDIVIDUAL = 16  # a bank of smooth random shape fields: individual structure beyond the measurements
INDIVIDUAL_MODES = tuple(f"individual_{k:02d}" for k in range(N_INDIVIDUAL))
EXPRESSION_MODES = ("inner_brow_raise", "brow_lower", "upper_lid_raise", "cheek_raise", "nose_wrinkle",
                    "upper_lip_raise", "lip_corner_down", "lip_stretch", "lip_press")
# local shape of the features (identity space, drawn per identity): what smooth fields and proportions miss
FEATURE_MODES = ("eye_size", "canthal_tilt", "eye_depth", "brow_arch", "brow_tilt", "nose_bridge", "nose_tip_up",
                 "upper_lip", "lip_protrusion", "mouth_height", "chin_width", "cheekbone")
# random smooth fields confined to one feature each (eyes, nose, mouth): fine feature shape per identity
# (0.8.0; the feature modes and the face-wide individual fields leave the features' fine form shared)
FEATURE_FIELD_REGIONS = ("eyes",) * 4 + ("nose",) * 4 + ("mouth",) * 4
FEATURE_FIELD_MODES = tuple(f"feature_field_{k:02d}" for k in range(len(FEATURE_FIELD_REGIONS)))
SHAPES = (IDENTITY_SHAPES + EXPRESSION_SHAPES + IDENTITY_MODES + INDIVIDUAL_MODES + EXPRESSION_MODES + FEATURE_MODES
          + FEATURE_FIELD_MODES)


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _gauss(p: np.ndarray, c: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(-((p - c) ** 2).sum(-1) / (2 * sigma * sigma))


def shape_fields(p: np.ndarray, lm: np.ndarray) -> dict[str, np.ndarray]:
    """Displacement (N x 3, metres) of points ``p`` for each blend shape at unit weight.

    Every field is anchored on the neutral landmarks ``lm`` (68 x 3, iBUG order).
    """
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    zero = np.zeros_like(p)
    out: dict[str, np.ndarray] = {}
    mouth_y = lm[[48, 54, 62, 66], 1].mean()
    chin = lm[8]
    face = _smoothstep(lm[0, 2] - 25 * MM, lm[0, 2] + 5 * MM, z)  # fades out towards the back
    neck_fade = 1.0 - _smoothstep(chin[1] - 5 * MM, chin[1] - 40 * MM, y)

    # jaw width: widen the lower face below the mouth corners
    d = zero.copy()
    d[:, 0] = 0.14 * x * _smoothstep(lm[33, 1], lm[57, 1], y) * neck_fade
    out["jaw_width"] = d
    # chin length: move the chin down (below the nose), fading into the neck
    d = zero.copy()
    d[:, 1] = -7 * MM * _smoothstep(lm[33, 1], chin[1], y) * neck_fade * face
    out["chin_length"] = d
    # face width: scale x everywhere in front of the ears
    d = zero.copy()
    d[:, 0] = 0.07 * x
    out["face_width"] = d
    # nose size: scale about the nose base, Gaussian falloff
    c = np.array([lm[30, 0], lm[30, 1], lm[31, 2]])
    d = 0.22 * (p - c) * _gauss(p, lm[30], 14 * MM)[:, None]
    out["nose_size"] = d
    # nose length: tip forward and down
    d = zero.copy()
    g = _gauss(p, lm[30], 10 * MM)
    d[:, 2] = 5 * MM * g
    d[:, 1] = -2 * MM * g
    out["nose_length"] = d
    # eye spacing: move each eye region sideways
    d = zero.copy()
    for idx, sgn in ((range(36, 42), -1), (range(42, 48), 1)):
        ce = lm[list(idx)].mean(0)
        ce[2] -= 8 * MM
        d[:, 0] += sgn * 3.5 * MM * _gauss(p, ce, 13 * MM)
    out["eye_spacing"] = d
    # lip fullness: stretch vertically about the mouth line
    d = zero.copy()
    cm = lm[[48, 54, 51, 57]].mean(0)
    d[:, 1] = 0.35 * (y - mouth_y) * _gauss(p, cm, 13 * MM)
    d[:, 2] = 2.5 * MM * _gauss(p, cm, 12 * MM)
    out["lip_fullness"] = d
    # cheek fullness: cheeks forward and out
    d = zero.copy()
    for k in (2, 14):
        cc = (lm[k] + lm[30]) / 2
        g = _gauss(p, cc, 18 * MM)
        d[:, 2] += 4 * MM * g
        d[:, 0] += np.sign(cc[0]) * 3 * MM * g
    out["cheek_fullness"] = d
    # smile: mouth corners up and out, cheeks raised
    d = zero.copy()
    for k in (48, 54):
        g = _gauss(p, lm[k], 9 * MM)
        d[:, 1] += 4.5 * MM * g
        d[:, 0] += np.sign(lm[k, 0]) * 3.0 * MM * g
        d[:, 2] -= 1.5 * MM * g
        gc = _gauss(p, (lm[k] + lm[2 if k == 48 else 14]) / 2 + [0, 10 * MM, 0], 15 * MM)
        d[:, 1] += 2.5 * MM * gc
        d[:, 2] += 1.5 * MM * gc
    out["smile"] = d
    # mouth open: rotate the jaw (below the lip line) about the hinge near the ears, 13 degrees
    theta = np.deg2rad(13.0)
    hinge = np.array([0.0, lm[0, 1] - 10 * MM, lm[0, 2] - 5 * MM])
    q = p - hinge
    rot_y = q[:, 1] * np.cos(theta) - q[:, 2] * np.sin(theta)
    rot_z = q[:, 1] * np.sin(theta) + q[:, 2] * np.cos(theta)
    lip_line = np.interp(x, lm[[48, 60, 66, 64, 54], 0], lm[[48, 60, 66, 64, 54], 1])
    # narrow transition at the lips (the slit opens), broad over the cheeks (skin stretches)
    half = (lm[54, 0] - lm[48, 0]) / 2
    width = 1.5 * MM + 30 * MM * _smoothstep(half - 2 * MM, half + 25 * MM, np.abs(x - lm[51, 0]))
    w = _smoothstep(lip_line + 0.5 * MM, lip_line - width, y) * neck_fade
    w *= _smoothstep(lm[0, 2] - 20 * MM, lm[0, 2] + 10 * MM, z)
    d = zero.copy()
    d[:, 1] = (rot_y - q[:, 1]) * w
    d[:, 2] = (rot_z - q[:, 2]) * w
    out["mouth_open"] = d
    # brow raise: brows and forehead up
    d = zero.copy()
    for k in (19, 24):
        d[:, 1] += 4.5 * MM * _gauss(p, lm[k], 14 * MM) * _smoothstep(lm[37, 1], lm[19, 1], y)
    out["brow_raise"] = d
    out.update(_identity_fields(p, lm, face, neck_fade))
    out.update(_individual_fields(p, face * neck_fade))
    out.update(_expression_fields(p, lm))
    out.update(_feature_fields(p, lm, face * neck_fade))
    out.update(_feature_field_bank(p, lm))
    return out


FEATURE_FIELD_PEAK = 1.5 * MM  # each feature field's largest displacement at unit weight
FEATURE_FIELD_WAVE = (0.02, 0.035)  # wavelength range (metres)


def _feature_field_bank(p: np.ndarray, lm: np.ndarray) -> dict[str, np.ndarray]:
    """Random smooth displacement fields (20-35 mm waves, mirror-symmetric) each confined to one feature
    by a Gaussian window (eyes: both eyes, sd 9 mm; nose: about the tip and base, 10 mm, and the bridge,
    8 mm; mouth: 11 mm), scaled so that its largest displacement on the template's vertices is
    ``FEATURE_FIELD_PEAK`` at unit weight (whatever the points ``p``)."""
    rng = np.random.default_rng(2025)

    def window(q: np.ndarray, region: str) -> np.ndarray:
        if region == "eyes":
            return np.maximum(_gauss(q, lm[36:42].mean(0), 9 * MM), _gauss(q, lm[42:48].mean(0), 9 * MM))
        if region == "nose":
            return np.maximum(_gauss(q, (lm[30] + lm[33]) / 2, 10 * MM), _gauss(q, lm[28], 8 * MM))
        return _gauss(q, lm[[48, 54, 51, 57]].mean(0), 11 * MM)

    template = load_template()[0].astype(np.float64)
    out: dict[str, np.ndarray] = {}
    for name, region in zip(FEATURE_FIELD_MODES, FEATURE_FIELD_REGIONS):
        field = _symmetric_wave_field(rng, rng.uniform(*FEATURE_FIELD_WAVE))
        f = field(p) * window(p, region)[:, None]
        fg = field(template) * window(template, region)[:, None]
        out[name] = f * (FEATURE_FIELD_PEAK / np.linalg.norm(fg, axis=1).max())
    return out


def _feature_fields(p: np.ndarray, lm: np.ndarray, fade: np.ndarray) -> dict[str, np.ndarray]:
    """Local feature-shape modes (unit weight, mirror-symmetric), anchored on the neutral landmarks ``lm``:
    eye size, canthal tilt and depth, brow arch and tilt, nose bridge and tip, upper-lip height, lip
    protrusion, mouth height, chin width and cheekbones."""
    y = p[:, 1]
    zero = np.zeros_like(p)
    out: dict[str, np.ndarray] = {}
    above_eyes = _smoothstep(lm[37, 1], lm[19, 1], y)
    eyes = [lm[36:42].mean(0), lm[42:48].mean(0)]
    d = zero.copy()
    for c in eyes:  # eye opening scaled 8 % about its centre
        d += 0.08 * (p - c) * _gauss(p, c, 9 * MM)[:, None] * [1, 1, 0]
    out["eye_size"] = d
    d = zero.copy()
    for k, j in ((36, 39), (45, 42)):  # outer corners up 1.5 mm, inner corners down 0.5 mm
        d[:, 1] += 1.5 * MM * _gauss(p, lm[k], 6 * MM) - 0.5 * MM * _gauss(p, lm[j], 5 * MM)
    out["canthal_tilt"] = d
    d = zero.copy()
    for c in eyes:  # deep-set eyes: the eye region 2 mm back
        d[:, 2] -= 2 * MM * _gauss(p, c + [0, 2 * MM, 0], 12 * MM)
    out["eye_depth"] = d
    d = zero.copy()
    for k in (19, 24):  # the brow's middle up 2.5 mm
        d[:, 1] += 2.5 * MM * _gauss(p, lm[k], 8 * MM) * above_eyes
    out["brow_arch"] = d
    d = zero.copy()
    for k in (17, 26):  # the brow's tail up 2.5 mm
        d[:, 1] += 2.5 * MM * _gauss(p, lm[k], 8 * MM) * above_eyes
    out["brow_tilt"] = d
    d = zero.copy()  # a dorsal hump: the bridge 2 mm forward
    d[:, 2] = 2 * MM * _gauss(p, (lm[28] + lm[29]) / 2, 7 * MM)
    out["nose_bridge"] = d
    d = zero.copy()  # the tip up 2 mm
    d[:, 1] = 2 * MM * _gauss(p, lm[30], 7 * MM)
    out["nose_tip_up"] = d
    d = zero.copy()  # a taller upper lip: its vermilion border 1.2 mm up
    d[:, 1] = 1.2 * MM * _gauss(p, lm[51], 9 * MM) * _smoothstep(lm[62, 1], lm[51, 1], y)
    out["upper_lip"] = d
    d = zero.copy()
    d[:, 2] = 2.5 * MM * _gauss(p, lm[[48, 54, 51, 57]].mean(0), 12 * MM)
    out["lip_protrusion"] = d
    d = zero.copy()
    d[:, 1] = 2 * MM * _gauss(p, lm[[48, 54, 51, 57]].mean(0), 13 * MM)
    out["mouth_height"] = d
    d = zero.copy()
    for k in (7, 9):  # a square chin: its sides 3 mm out
        d[:, 0] += np.sign(lm[k, 0]) * 3 * MM * _gauss(p, lm[k], 12 * MM)
    out["chin_width"] = d
    d = zero.copy()
    for k, sgn in ((36, -1), (45, 1)):  # cheekbones 3 mm out and 2 mm forward
        g = _gauss(p, lm[k] + [sgn * 8 * MM, -16 * MM, -8 * MM], 13 * MM)
        d[:, 0] += sgn * 3 * MM * g
        d[:, 2] += 2 * MM * g
    out["cheekbone"] = d
    return {k: v * fade[:, None] for k, v in out.items()}


def _identity_fields(p: np.ndarray, lm: np.ndarray, face: np.ndarray, neck_fade: np.ndarray) -> dict[str, np.ndarray]:
    """Modes of the identity space (unit weight), anchored on the neutral landmarks ``lm``."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    zero = np.zeros_like(p)
    out: dict[str, np.ndarray] = {}
    mid = np.array([0.0, (lm[27, 1] + lm[8, 1]) / 2, lm[27, 2] - 30 * MM])
    # face scale: the face in front of the ears scaled 10 % about the mid-face, the cranium kept (children)
    d = 0.10 * (p - mid)
    fade = _smoothstep(lm[0, 2] - 30 * MM, lm[0, 2] + 10 * MM, z) * (1 - _smoothstep(lm[19, 1] + 5 * MM, lm[19, 1] + 45 * MM, y))
    out["face_scale"] = d * (fade * neck_fade)[:, None]
    # mid-face height: everything below the nose bridge moves down 5 mm (nose base, mouth, chin)
    d = zero.copy()
    d[:, 1] = -5 * MM * _smoothstep(lm[27, 1], lm[33, 1], y) * neck_fade * face
    out["midface_height"] = d
    # nose width: the alae spread 15 % about the midline
    d = zero.copy()
    base = np.array([0.0, lm[33, 1] + 3 * MM, lm[33, 2] - 3 * MM])
    d[:, 0] = 0.15 * x * _gauss(p, base, 11 * MM)
    out["nose_width"] = d
    # mouth width: the mouth corners spread 12 % about the midline
    d = zero.copy()
    d[:, 0] = 0.12 * x * _gauss(p, lm[[48, 54, 51, 57]].mean(0), 15 * MM)
    out["mouth_width"] = d
    # chin forward: the chin projects 5 mm
    d = zero.copy()
    d[:, 2] = 5 * MM * _smoothstep(lm[57, 1], lm[8, 1] + 5 * MM, y) * neck_fade * face * np.exp(-x * x / (2 * (30 * MM) ** 2))
    out["chin_forward"] = d
    # brow ridge: the brows and glabella project 3 mm
    d = zero.copy()
    for k in (19, 24, 27):
        d[:, 2] += 3 * MM * _gauss(p, lm[k] + [0, 4 * MM, 0], 14 * MM)
    out["brow_ridge"] = d
    # mid-face depth: nose and cheeks forward 4 mm relative to the face outline (flatter when negative)
    d = zero.copy()
    d[:, 2] = 4 * MM * _gauss(p, (lm[30] + lm[33]) / 2, 22 * MM) * face
    out["midface_depth"] = d
    # jowls (ageing): soft tissue along the lower jaw sags 4 mm and out 2 mm
    d = zero.copy()
    for k in (5, 11):
        g = _gauss(p, lm[k] + [0, 5 * MM, 5 * MM], 16 * MM)
        d[:, 1] -= 4 * MM * g
        d[:, 0] += np.sign(lm[k, 0]) * 2 * MM * g
    out["jowls"] = d
    # mild asymmetries: one eye 2 mm higher, the nose tip 2 mm sideways, the chin 3 mm sideways
    d = zero.copy()
    for idx, sgn in ((range(36, 42), 1), (range(42, 48), -1)):
        d[:, 1] += sgn * 1 * MM * _gauss(p, lm[list(idx)].mean(0), 14 * MM)
    out["asym_eyes"] = d
    d = zero.copy()
    d[:, 0] = 2 * MM * _gauss(p, lm[30], 12 * MM)
    out["asym_nose"] = d
    d = zero.copy()
    d[:, 0] = 3 * MM * _smoothstep(lm[33, 1], lm[8, 1], y) * neck_fade * face
    out["asym_jaw"] = d
    return out


def _individual_fields(p: np.ndarray, fade: np.ndarray) -> dict[str, np.ndarray]:
    """A fixed bank of smooth random displacement fields (unit weight: ~1 mm rms on the face), mirror-
    symmetric about the midline: half broad (80-140 mm wavelengths: proportions), half local (50-80 mm:
    the shape of nose, lips, brows, cheeks and chin; shorter waves read as lumps). Each identity mixes them with its own weights."""
    rng = np.random.default_rng(2024)
    out: dict[str, np.ndarray] = {}
    for k, name in enumerate(INDIVIDUAL_MODES):
        lam = rng.uniform(0.08, 0.14) if k < N_INDIVIDUAL // 2 else rng.uniform(0.05, 0.08)
        out[name] = _symmetric_wave_field(rng, lam)(p) * (MM / 0.9) * fade[:, None]
    return out


def _symmetric_wave_field(rng: np.random.Generator, lam: float) -> Callable[[np.ndarray], np.ndarray]:
    """A random smooth displacement field (six plane waves of wavelength ``lam`` metres, unit-normal
    amplitudes, depth 1.3x), made mirror-symmetric about the midline: d(x) mirrored = mirror of d(-x).
    Returns the function of the points (N x 3) it is evaluated on."""
    kv = _unit_rows(rng.normal(size=(6, 3))) * (2 * np.pi / lam)
    ph = rng.uniform(0, 2 * np.pi, 6)
    amp = rng.normal(size=(6, 3)) * np.array([1.0, 1.0, 1.3])

    def field(q: np.ndarray) -> np.ndarray:
        return (np.sin(q @ kv.T + ph) @ amp + (np.sin((q * [-1, 1, 1]) @ kv.T + ph) @ amp) * [-1, 1, 1]) / 2

    return field


def _unit_rows(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def _expression_fields(p: np.ndarray, lm: np.ndarray) -> dict[str, np.ndarray]:
    """Action-unit-like modes (unit weight), after FACS (Ekman & Friesen 1978), anchored on ``lm``."""
    x, y = p[:, 0], p[:, 1]
    zero = np.zeros_like(p)
    out: dict[str, np.ndarray] = {}
    above_eyes = _smoothstep(lm[37, 1], lm[19, 1], y)
    # AU1 inner brow raiser: the inner brow ends up 4 mm
    d = zero.copy()
    for k in (21, 22):
        d[:, 1] += 4 * MM * _gauss(p, lm[k], 10 * MM) * above_eyes
    out["inner_brow_raise"] = d
    # AU4 brow lowerer: brows down 3.5 mm and together 2.5 mm
    d = zero.copy()
    for k in (19, 21, 22, 24):
        g = _gauss(p, lm[k], 11 * MM) * above_eyes
        d[:, 1] -= 3.5 * MM * g * (1.0 if k in (21, 22) else 0.6)
        d[:, 0] -= np.sign(lm[k, 0]) * 2.5 * MM * g
    out["brow_lower"] = d
    # AU5 upper lid raiser: the upper lids up 2 mm (eyes wide)
    d = zero.copy()
    for idx in (range(36, 42), range(42, 48)):
        e = lm[list(idx)]
        c = e.mean(0)
        d[:, 1] += 2 * MM * _gauss(p, e[[1, 2]].mean(0), 6 * MM) * _smoothstep(c[1] - 1 * MM, c[1] + 2 * MM, y)
    out["upper_lid_raise"] = d
    # AU6 cheek raiser: cheeks up 3 mm, lower lids up 1.5 mm (the squint of a real smile)
    d = zero.copy()
    for idx in (range(36, 42), range(42, 48)):
        e = lm[list(idx)]
        d[:, 1] += 3 * MM * _gauss(p, e[[4, 5]].mean(0) + [0, -14 * MM, 4 * MM], 12 * MM)
        d[:, 1] += 1.5 * MM * _gauss(p, e[[4, 5]].mean(0), 5 * MM) * (1 - _smoothstep(e[:, 1].mean() - 1 * MM, e[:, 1].mean() + 1 * MM, y))
    out["cheek_raise"] = d
    # AU9 nose wrinkler: the nose root and alae up 2.5 mm
    d = zero.copy()
    d[:, 1] = 2.5 * MM * _gauss(p, (lm[31] + lm[35]) / 2 + [0, 6 * MM, 0], 12 * MM)
    out["nose_wrinkle"] = d
    # AU10 upper lip raiser: the upper lip up 3 mm
    d = zero.copy()
    d[:, 1] = 3 * MM * _gauss(p, lm[51], 9 * MM) * (1 - _smoothstep(lm[62, 1] - 1 * MM, lm[62, 1] - 3 * MM, y))
    out["upper_lip_raise"] = d
    # AU15 lip corner depressor: the corners down 4 mm
    d = zero.copy()
    for k in (48, 54):
        d[:, 1] -= 4 * MM * _gauss(p, lm[k], 8 * MM)
    out["lip_corner_down"] = d
    # AU20 lip stretcher: the corners out 4 mm and back
    d = zero.copy()
    for k in (48, 54):
        g = _gauss(p, lm[k], 9 * MM)
        d[:, 0] += np.sign(lm[k, 0]) * 4 * MM * g
        d[:, 2] -= 1.5 * MM * g
    out["lip_stretch"] = d
    # AU23/24 lip presser: lips thinner (vermilion pressed 40 % towards the mouth line)
    d = zero.copy()
    mouth_y = lm[[48, 54, 62, 66], 1].mean()
    d[:, 1] = -0.4 * (y - mouth_y) * _gauss(p, lm[[48, 54, 51, 57]].mean(0), 12 * MM) * (np.abs(x) < abs(lm[54, 0]) + 4 * MM)
    out["lip_press"] = d
    return out


def _sphere(n_lat: int, n_lon: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit UV sphere (vertices, triangles); pole on +z."""
    th = np.linspace(0, np.pi, n_lat + 1)
    ph = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    t, f = np.meshgrid(th, ph, indexing="ij")
    v = np.stack([np.sin(t) * np.cos(f), np.sin(t) * np.sin(f), np.cos(t)], -1).reshape(-1, 3)
    tris = []
    for i in range(n_lat):
        for j in range(n_lon):
            a, b = i * n_lon + j, i * n_lon + (j + 1) % n_lon
            c, d = a + n_lon, b + n_lon
            tris += [(a, c, b), (b, c, d)]
    return v.astype(np.float32), np.array(tris, np.int32)


def grid_tris(nu: int, nv: int, wrap_u: bool = False) -> np.ndarray:
    """Triangles of a (nu x nv) vertex grid in row-major order (u rows, v columns)."""
    tris = []
    for i in range(nu - 1 if not wrap_u else nu):
        for j in range(nv - 1):
            i2 = (i + 1) % nu
            a, b, c, d = i * nv + j, i * nv + j + 1, i2 * nv + j, i2 * nv + j + 1
            tris += [(a, c, b), (b, c, d)]
    return np.array(tris, np.int32)


@dataclass
class Part:
    """A rigidly attached or deformable mesh part: vertex slice into the point set, triangles, look."""

    name: str
    start: int
    stop: int
    tris: np.ndarray  # local indices
    label: np.ndarray  # per vertex uint8
    material: np.ndarray  # per vertex uint8


def ibug_nose(v: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """The template's 68 landmarks with the nose bridge and tip (27-30) moved to the iBUG definition.

    iBUG point 30 is the nose tip: the lowest, most prominent point of the tip above the columella
    (pronasale). menpo3d's template puts it 10 mm (0.12 outer-eye distances) up the dorsum, where real-
    photo detectors (dlib: +0.114 on our renders) do not; 28 and 29 divide the bridge from 27 to the tip
    in equal steps. Each point is the most anterior midline vertex (|x| < 2 mm) at its height.
    """
    out = lm.copy()
    mid = v[np.abs(v[:, 0]) < 2 * MM]
    nose = mid[(mid[:, 1] < lm[27, 1]) & (mid[:, 1] > lm[33, 1] + 3 * MM)]
    out[30] = nose[np.argmax(nose[:, 2])]
    out[28:30] = _bridge(mid, lm[27], out[30])
    return out


def _front_at(pts: np.ndarray, y: float) -> np.ndarray:
    """The most anterior of ``pts`` within 1 mm of height ``y`` (metres)."""
    row = pts[np.abs(pts[:, 1] - y) < 1 * MM]
    return row[np.argmax(row[:, 2])]


def _bridge(mid: np.ndarray, top: np.ndarray, tip: np.ndarray) -> np.ndarray:
    """Points 28 and 29: the most anterior midline vertices dividing the bridge from ``top`` (27) to ``tip``
    (30) in equal height steps (2 x 3)."""
    return np.stack([_front_at(mid, top[1] + t * (tip[1] - top[1])) for t in (1 / 3, 2 / 3)])


def nasal_root(v: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """The landmarks with point 27 at iBUG's top of the nose bridge: the nasal root between the eyes, at
    the height of the upper lids (the mean of 37, 38, 43, 44), on the midline (most anterior vertex,
    |x| < 2 mm); 28-29 divide the bridge to the tip (30) in equal steps again.

    menpo3d's point 27 sits at the eye-corner line, 2.7 mm lower; dlib's predictor put 27-29 0.03-0.04
    outer-eye distances higher than our labels (relative to the eyes). The template's deepest midline
    point (soft-tissue nasion) lies 5 mm higher still, where neither puts it.
    """
    out = lm.copy()
    mid = v[np.abs(v[:, 0]) < 2 * MM]
    out[27] = _front_at(mid, lm[[37, 38, 43, 44], 1].mean())
    out[28:30] = _bridge(mid, out[27], lm[30])
    return out


def ibug_brows(v: np.ndarray, lm: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Brow points (17-26) moved to their iBUG definition: the ends of the drawn brow and, between them,
    its upper edge.

    menpo3d's points lie along the brow's middle and span less than the brow region the renderer draws:
    dlib's predictor put them 0.05 outer-eye distances higher and both ends 0.05-0.11 further out on our
    renders. Each brow's lateral and medial ends (17/21, 22/26) become the brow-labelled vertices nearest
    the mean of its 3 % most lateral / medial vertices; the three points between them sit at equal steps
    in x, each the highest brow vertex at its x. The jaw contour (0-16) is view-dependent
    (``jaw_contour_candidates``).
    """
    out = lm.copy()
    for k, cls in ((list(range(17, 22)), "right_brow"), (list(range(22, 27)), "left_brow")):
        brow = v[labels == FS.index(cls)]
        ax = np.abs(brow[:, 0])
        lateral = brow[ax >= np.quantile(ax, 0.97)].mean(0)
        medial = brow[ax <= np.quantile(ax, 0.03)].mean(0)
        ends = (lateral, medial) if cls == "right_brow" else (medial, lateral)  # iBUG runs image left to right
        # the drawn brow reaches further out than its region: its strands lean 7 mm laterally from their roots
        sgn = -1.0 if cls == "right_brow" else 1.0
        ends = tuple(e + [sgn * 4 * MM, 0, 0] if e is lateral else e for e in ends)
        for i, e in zip((k[0], k[-1]), ends):
            near = v[np.argmin(((v - e) ** 2).sum(1))] if e is not medial else brow[np.argmin(((brow - e) ** 2).sum(1))]
            out[i] = near
        for i, x in zip(k[1:-1], np.linspace(out[k[0], 0], out[k[-1], 0], 5)[1:-1]):
            col = brow[np.abs(brow[:, 0] - x) < 2 * MM]
            if len(col):
                out[i] = col[np.argmax(col[:, 1])]
    return out


BROW_REACH = 7 * MM  # the brow strands' length (render._hair_strands): they lean laterally from their roots
# |x| of the brows' medial ends (metres): the 300-W mean shape's brows start 24 mm apart at our outer-eye
# distance (the template's brow regions start 34 mm apart, 20 / 15 mm off the midline, asymmetrically);
# the drawn brow (features.brow_frame) reaches it and points 21 / 22 sit on it
BROW_MEDIAL_X = 12 * MM


def brow_lateral_x(v: np.ndarray, labels: np.ndarray) -> float:
    """How far (|x|, metres) the drawn brows reach laterally: as far as the longer of the template's two
    brow regions (the left one stops 6 mm short of the right)."""
    return float(max(np.abs(v[labels == FS.index(c), 0]).max() for c in ("right_brow", "left_brow")))


def _front_near(v: np.ndarray, x: float, y: float) -> np.ndarray:
    """The most anterior vertex within 0.75 mm in x and 1.5 mm in y of (``x``, ``y``), metres."""
    row = v[(np.abs(v[:, 0] - x) < 0.75 * MM) & (np.abs(v[:, 1] - y) < 1.5 * MM)]
    return row[np.argmax(row[:, 2])]


def brow_tails(v: np.ndarray, lm: np.ndarray, labels: np.ndarray, reach: float = BROW_REACH) -> np.ndarray:
    """The landmarks with the brows' lateral ends (17, 26) where the drawn brow's strands end, the medial
    ends (21, 22) at the drawn brow's medial head, and 18-20 / 23-25 spaced between the ends again (as
    ``ibug_brows``).

    The lateral end is the most lateral vertex (largest ``|x|``) within ``reach`` (metres, the strands'
    length) of the brow region's lateral end (the mean of its 3 % most lateral vertices): the strands
    lean outwards from their roots, so the drawn brow ends past its region. The surface recedes there
    (the temple), so a vertex further out is also deeper; bounding its distance to the roots keeps it
    near the strand tips' depth, so it moves with them when the head turns and under the blend shapes.
    ``ibug_brows``' nearest-vertex snap had put the ends within 1 mm of the region's edge, where dlib's
    predictor put them 0.05-0.07 outer-eye distances further out. The shorter (left) brow's roots are
    moved out along its tail to the longer one's reach (``brow_lateral_x``). The medial end is the most
    anterior vertex near ``BROW_MEDIAL_X`` from the midline at the height of the region's medial end
    (the mean of its 3 % most medial vertices).
    """
    out = lm.copy()
    lateral_x = brow_lateral_x(v, labels)
    for k, cls in ((list(range(17, 22)), "right_brow"), (list(range(22, 27)), "left_brow")):
        brow = v[labels == FS.index(cls)]
        ax = np.abs(brow[:, 0])
        sgn = np.sign(brow[:, 0].mean())
        roots = brow[ax >= np.quantile(ax, 0.97)].mean(0)
        ext = lateral_x - ax.max()
        if ext > 0:  # the shorter brow's tail goes on (features.brow_frame): its roots move out along it
            tail = brow[ax >= np.quantile(ax, 0.85)]
            slope = np.polyfit(np.abs(tail[:, 0]), tail[:, 1], 1)[0]
            roots = _front_near(v, roots[0] + sgn * ext, roots[1] + slope * ext)
        near = v[np.linalg.norm(v - roots, axis=1) < reach]
        end, head = (k[0], k[-1]) if cls == "right_brow" else (k[-1], k[0])  # iBUG runs image left to right
        out[end] = near[np.argmax(np.abs(near[:, 0]))]
        medial = brow[ax <= np.quantile(ax, 0.03)].mean(0)
        out[head] = _front_near(v, sgn * BROW_MEDIAL_X, medial[1])
        for i, x in zip(k[1:-1], np.linspace(out[k[0], 0], out[k[-1], 0], 5)[1:-1]):
            col = brow[np.abs(brow[:, 0] - x) < 2 * MM]
            if len(col):
                out[i] = col[np.argmax(col[:, 1])]
    return out


NOSTRIL_WIDTH = 0.8  # points 31 / 35 at this fraction of the template's offset from 33 (ibug_nostrils)


def ibug_nostrils(v: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """The landmarks with the lower nose (31-35) at iBUG's nostril outline: 31 and 35 where the nostrils
    end laterally on the nose's lower edge, 32 and 34 halfway between them and the subnasale (33).

    menpo3d puts 31 / 35 at the alar wings, 33 mm apart (near the widest alar width, al-al 35 mm);
    the 300-W outline ends at the nostrils' lateral ends, where dlib's predictor put them on our renders
    (0.04 outer-eye distances, 3.4 mm, nearer the midline each, and 32 / 34 likewise). Each moved point is
    the most anterior vertex near its new x at the template point's height.
    """
    out = lm.copy()
    for a, b in ((31, 32), (35, 34)):
        x = lm[33, 0] + NOSTRIL_WIDTH * (lm[a, 0] - lm[33, 0])
        out[a] = _front_near(v, x, lm[a, 1])
        out[b] = _front_near(v, (x + lm[33, 0]) / 2, lm[b, 1])
    return out


def ibug_landmarks(v: np.ndarray, lm: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(anchors, labels), 68 x 3 each (metres): the landmarks the blend shapes and parts are anchored on
    (menpo3d's with the nose tip and brows of generator 0.2-0.3: ``ibug_nose``, ``ibug_brows``) and the
    landmark labels, which also follow the later iBUG conventions (``nasal_root``, ``brow_tails``; the jaw
    outline is per view, ``jaw_contour_candidates``). Keeping the anchors fixed means a label convention
    moves labels, not faces."""
    anchors = ibug_brows(v, ibug_nose(v, lm), labels)
    return anchors, ibug_nostrils(v, brow_tails(v, nasal_root(v, anchors), labels))


def jaw_contour_candidates(v: np.ndarray, lm: np.ndarray, labels: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Per jaw-outline point (iBUG 0-16): the facial-skin vertices on a slice of the face through it,
    and its outward direction (head frame).

    iBUG annotators put the jaw points on the face's *visible outline* (300-W convention), not on a fixed
    surface point: in a frontal view that outline lies on the side of the cheeks and jaw, 0.06-0.09
    outer-eye distances outside the template's 3D jaw line (dlib's predictor on our renders said so).
    Each slice is the plane through the point spanned by its outward direction (away from a centre at
    the height of points 0 and 16) and the depth axis, 1.5 mm thick, reaching 60 mm inwards and forwards
    (a turned face's far-side outline is its cheek, which a 30 mm forward reach missed) and 40 mm back;
    the render picks the slice's vertex that projects furthest outwards (``render._contour_landmarks``),
    i.e. the outline in that view.
    """
    cy = (lm[0, 1] + lm[16, 1]) / 2
    skin = labels == FS.index("skin")
    cands, outs = [], []
    for k in range(17):
        o = np.array([lm[k, 0], min(lm[k, 1] - cy, 0.0), 0.0])
        o /= np.linalg.norm(o) + 1e-12
        t = np.array([-o[1], o[0], 0.0])
        # the outline's ends sit 3 mm lower than menpo3d's points 0 / 16 (dlib: 0.03 outer-eye distances)
        pk = lm[k] - [0, 3 * MM if k in (0, 16) else 0.0, 0]
        d = v - pk
        sel = skin & (np.abs(d @ t) < 1.5 * MM) & (d @ o > -60 * MM) & (d[:, 2] > -40 * MM) & (d[:, 2] < 60 * MM)
        ids = np.nonzero(sel)[0]
        cands.append(ids.astype(np.int32) if len(ids) else np.array([0], np.int32))
        outs.append(o)
    return cands, np.array(outs)


class HeadModel:
    """Neutral geometry and the blend-shape basis; build once with ``head_model()``."""

    def __init__(self) -> None:
        v, tris, lm = load_template()
        reg = np.load(REGIONS_PATH)
        # landmark labels (lm0; their vertices lm_vid) and the anchors of the blend shapes and parts
        self.anchors, self.lm0 = ibug_landmarks(v.astype(np.float64), lm.astype(np.float64), reg["labels"])
        self.n_template = len(v)
        self.template_tris = tris
        self.labels = reg["labels"].astype(np.uint8)
        self.uv = reg["uv"].astype(np.float32)
        # ambient occlusion baked into the albedo (darkens sockets, nostrils, ears, under the chin)
        self.ao_shade = (0.45 + 0.55 * reg["ao"].astype(np.float32) / 255.0) ** 0.8
        v64 = v.astype(np.float64)
        # 1. landmark vertices (snap landmarks to the nearest vertex so they lie on the surface)
        self.lm_vid = np.argmin(((v64[None] - self.lm0[:, None]) ** 2).sum(-1), axis=1)
        self.contour_cands, self.contour_out = jaw_contour_candidates(v64, self.lm0, self.labels)
        self.contour_ptr = np.cumsum([0] + [len(c) for c in self.contour_cands]).astype(np.int64)
        self.contour_ids = np.concatenate(self.contour_cands).astype(np.int64)
        # 2. eye openings: per-vertex lid coordinate v (0 lower lid, 1 upper lid) and push-back depth
        self.eye_vid, self.eye_v, self.eye_push, self.eyeball_c0 = [], [], [], []
        for idx in (range(36, 42), range(42, 48)):
            e = self.anchors[list(idx)]
            inside = points_in_polygon(v64[:, :2], e[:, :2]) & (v64[:, 2] > e[:, 2].min() - 8 * MM)
            vid = np.nonzero(inside)[0]
            up = e[[0, 1, 2, 3]]
            lo = e[[0, 5, 4, 3]]
            x = v64[vid, 0]
            y_up = np.interp(x, *(up[np.argsort(up[:, 0])][:, :2].T))
            y_lo = np.interp(x, *(lo[np.argsort(lo[:, 0])][:, :2].T))
            vv = np.clip((v64[vid, 1] - y_lo) / np.maximum(y_up - y_lo, 1e-4), 0, 1)
            u = (x - e[:, 0].min()) / np.ptp(e[:, 0])
            push = 7 * MM * np.sqrt(np.clip(4 * u * (1 - u), 0, 1)) * np.sqrt(np.clip(4 * vv * (1 - vv), 0, 1))
            centre = e.mean(0)
            zc = v64[vid, 2].max()
            self.eye_vid.append(vid)
            self.eye_v.append(vv.astype(np.float32))
            self.eye_push.append(push.astype(np.float32))
            self.eyeball_c0.append(np.array([centre[0], centre[1], zc - EYEBALL_RADIUS + 1.0 * MM]))
        # 3. auxiliary parts that deform with the face
        pts = [v64]
        self.parts: dict[str, Part] = {}
        start = len(v64)

        def add(name: str, pv: np.ndarray, ptris: np.ndarray, label: int, mat: int) -> None:
            nonlocal start
            pts.append(pv)
            n = len(pv)
            self.parts[name] = Part(name, start, start + n, ptris.astype(np.int32),
                                    np.full(n, label, np.uint8), np.full(n, mat, np.uint8))
            start += n

        sv, st = _sphere(12, 20)
        for k, cls in enumerate(("right_eye", "left_eye")):
            add(f"eyeball_{k}", self.eyeball_c0[k] + EYEBALL_RADIUS * sv, st, FS.index(cls), MAT_EYE)
        # mouth interior: a curved dark wall behind the lips, teeth on its upper third
        cm = self.anchors[[48, 54, 51, 57]].mean(0)
        half_w = (self.anchors[54, 0] - self.anchors[48, 0]) / 2 + 3 * MM
        gu, gv = np.meshgrid(np.linspace(-1, 1, 9), np.linspace(-1, 1, 7), indexing="ij")
        mx = cm[0] + gu * half_w
        my = cm[1] + gv * 12 * MM
        mz = cm[2] - 9 * MM - 10 * MM * gu**2
        add("mouth", np.stack([mx, my, mz], -1).reshape(-1, 3), grid_tris(9, 7), FS.index("mouth_interior"), MAT_MOUTH)
        self.mouth_teeth = (gv.reshape(-1) > 0.25).astype(np.float32)
        # skull: an ellipsoid behind and above the face mask
        self.skull_c = np.array([0.0, 0.008, -0.006])
        self.skull_r = np.array([0.077, 0.104, 0.096])
        hv, ht = _sphere(36, 56)
        hv = hv[:, [0, 2, 1]] * [1, 1, -1]  # pole on +y
        keep = ~((hv[:, 2] * self.skull_r[2] + self.skull_c[2] > 0.045) & (hv[:, 1] * self.skull_r[1] + self.skull_c[1] < 0.045))
        skull_v = self.skull_c + hv * self.skull_r
        ok = keep[ht].all(1)
        add("skull", skull_v, ht[ok], FS.index("hair"), MAT_HAIR)
        # neck: an elliptic tube around the template neck
        ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        ys = np.linspace(-0.15, -0.02, 7)  # ends inside the garment, below its yoke
        ring = np.stack([0.052 * np.cos(ang), np.zeros_like(ang), 0.048 * np.sin(ang) + 0.0], -1)
        nv = np.concatenate([ring + [0, yy, -0.002] for yy in ys])
        ntris = _tube_tris(len(ys), len(ang))
        front = nv[:, 2] > 0.02
        ok = ~front[ntris].all(1)
        add("neck", nv, ntris[ok], FS.index("neck"), MAT_SKIN)
        # face mask grid (facewear): follows the surface 4 mm above it, from the nose bridge to under the chin
        from scipy.spatial import cKDTree

        fr = v64[v64[:, 2] > 0.0]
        gx = np.linspace(self.anchors[1, 0] - 4 * MM, self.anchors[15, 0] + 4 * MM, 17)
        gy = np.linspace(self.anchors[28, 1], self.anchors[8, 1] - 14 * MM, 13)
        mxy = np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2)
        _, nn = cKDTree(fr[:, :2]).query(mxy, k=12)
        mzz = fr[nn, 2].max(1).reshape(17, 13)
        mzz[:, 1:-1] = np.maximum(mzz[:, 1:-1], (mzz[:, :-2] + mzz[:, 2:]) / 2)
        add("mask", np.c_[mxy, mzz.reshape(-1) + 5 * MM], grid_tris(17, 13), FS.index("facewear"), 3)
        self.default_parts = ("eyeball_0", "eyeball_1", "mouth", "skull", "neck")
        self.points0 = np.concatenate(pts).astype(np.float64)
        # 4. blend-shape basis on every point: (N, 3, K)
        fields = shape_fields(self.points0, self.anchors)
        self.basis = np.stack([fields[k] for k in SHAPES], -1).astype(np.float32)
        # eyeball centres follow the fields evaluated at the centre
        cf = shape_fields(np.array(self.eyeball_c0), self.anchors)
        self.eyeball_basis = np.stack([cf[k] for k in SHAPES], -1).astype(np.float32)
        # 5. per-vertex scalars for hair line, beard and skin detail
        tv = v64
        brow_top = self.anchors[17:27, 1].max()
        self.brow_top = float(brow_top)
        self.forehead_h = (tv[:, 1] - brow_top).astype(np.float32)
        jaw_y = np.interp(tv[:, 0], self.anchors[0:17, 0], self.anchors[0:17, 1])
        lower = (tv[:, 1] < self.anchors[33, 1] - 2 * MM) & (tv[:, 1] > jaw_y - 25 * MM)
        lower &= np.abs(tv[:, 0]) < np.abs(self.anchors[[3, 13], 0]).max() + 2 * MM
        self.beard_zone = lower & np.isin(self.labels, [FS.index("skin"), FS.index("neck")])
        self.moustache_zone = self.beard_zone & (tv[:, 1] > self.anchors[51, 1] - 1 * MM)
        rng = np.random.default_rng(7)
        k = rng.normal(size=(3, 24, 3)) * np.array([1, 1, 1]) * 300.0
        ph = rng.uniform(0, 2 * np.pi, size=(3, 24))
        self.detail = np.stack([np.sin(tv @ k[i].T + ph[i]).mean(1) for i in range(3)], 1).astype(np.float32)
        self.cavity_parts = _cavity_parts(tv, self.anchors, self.eye_vid)
        self.cavity = np.clip(1.0 - self.cavity_parts.sum(1), 0.25, 1.0).astype(np.float32)
        self.wrinkles, self.freckle_fields, self.red_mask, self.shadow_mask = _skin_maps(tv, self.anchors, brow_top)
        # vertex subsets the per-image skin marks touch (everything else is left alone)
        self.wrinkle_ids = np.nonzero(self.wrinkles > 1e-3)[0]
        self.red_ids = np.nonzero(self.red_mask > 1e-3)[0]
        self.red_weights = np.ascontiguousarray(self.red_mask[self.red_ids], np.float32)
        self.shadow_ids = np.nonzero(self.shadow_mask > 1e-3)[0]
        self.beard_ids = np.nonzero(self.beard_zone)[0]
        self.lip_ids = np.nonzero(np.isin(self.labels, [FS.index("top_lip"), FS.index("bottom_lip")]))[0]
        # 64 candidate mole sites on the facial skin: (vertex ids within 4 mm, Gaussian weights, sd 1.2 mm)
        skin_front = np.nonzero((self.labels == FS.index("skin")) & (tv[:, 2] > self.anchors[0, 2]))[0]
        sites = np.random.default_rng(5).choice(skin_front, 64, replace=False)
        self.mole_sites = []
        for vid in sites:
            d2 = ((tv - tv[vid]) ** 2).sum(1)
            near = np.nonzero(d2 < (4 * MM) ** 2)[0]
            self.mole_sites.append((near, np.exp(-d2[near] / (2 * (1.2 * MM) ** 2)).astype(np.float32)))
        self.shadow_tris = _cluster_tris(tv, tris, 4 * MM)
        self.points0_f32 = self.points0.astype(np.float32)
        # candidate roots for hairline strands: forehead top (template) and the skull's front
        sk = self.parts["skull"]
        pool = np.r_[np.arange(self.n_template), np.arange(sk.start, sk.stop)]
        pp = self.points0[pool]
        self.fuzz_pool = pool[(pp[:, 2] > 0.03) & (pp[:, 1] - brow_top > 0.035) & (pp[:, 1] - brow_top < 0.11)]
        # forehead height map (the front-most surface z on a 2 mm grid): fringe strands lie on it
        self.fh_origin = np.array([-0.09, brow_top - 0.02])
        self.fh_step = 0.002
        fh = np.full((91, 81), -np.inf)
        front = pp[pp[:, 2] > 0.0]
        ij = np.floor((front[:, :2] - self.fh_origin) / self.fh_step).astype(int)
        ok = (ij[:, 0] >= 0) & (ij[:, 0] < 91) & (ij[:, 1] >= 0) & (ij[:, 1] < 81)
        np.maximum.at(fh, (ij[ok, 0], ij[ok, 1]), front[ok, 2])
        from scipy.ndimage import grey_dilation

        self.fh_z = grey_dilation(np.where(np.isfinite(fh), fh, -1.0), size=(3, 3)).astype(np.float32)
        # sparse, int16-quantised copy of the basis for the per-image blend: points a mode moves by
        # more than 10 um (a hundredth of a pixel at 256 px), in steps of max|B_k| / 32000 (< 1 um)
        rows, vals, scales = [], [], []
        for k in range(len(SHAPES)):
            bk = self.basis[:, :, k]
            nz = np.nonzero(np.abs(bk).max(1) > 1e-5)[0]
            sc = float(np.abs(bk).max()) / 32000 or 1.0
            rows.append(nz.astype(np.int32))
            vals.append(np.round(bk[nz] / sc).astype(np.int16))
            scales.append(sc)
        # modes that move nearly every point (over 90 %) are stored dense, so the blend runs over them as
        # contiguous vector loops; the rest vertex by vertex, each vertex's entries in mode order
        n_pts = len(self.points0)
        dense = [k for k in range(len(SHAPES)) if len(rows[k]) > 0.9 * n_pts]
        dvals = np.zeros((len(dense), n_pts, 3), np.int16)
        for d, k in enumerate(dense):
            dvals[d, rows[k]] = vals[k]
        keep = [k for k in range(len(SHAPES)) if k not in dense]
        rows_a = np.concatenate([rows[k] for k in keep])
        vals_a = np.concatenate([vals[k] for k in keep])
        mode_a = np.repeat(np.array(keep, np.uint8), [len(rows[k]) for k in keep])
        order = np.lexsort((mode_a, rows_a))
        self.sparse_basis = (np.array(dense, np.int64), dvals.reshape(len(dense), -1),
                             np.searchsorted(rows_a[order], np.arange(n_pts + 1)).astype(np.int32),
                             mode_a[order], vals_a[order], np.array(scales, np.float32))
        # procedural skin (per identity in scene._template_albedo): tint, blotch fields, redness
        tint = np.ones((len(tv), 3), np.float32)
        tint[np.isin(self.labels, [FS.index("top_lip"), FS.index("bottom_lip")])] = [0.95, 0.68, 0.68]
        tint[np.isin(self.labels, [FS.index("right_ear"), FS.index("left_ear")])] = [1.0, 0.92, 0.9]
        red = np.clip(self.detail[:, 1:2], 0, 1) * 0.1
        self.skin_red = (red * np.array([0.7, 0.3, 0.3])).astype(np.float32)
        # a bank of 8 blotch fields (unit sd; 10-30 mm wavelengths) that each identity mixes its own way
        rng = np.random.default_rng(11)
        bank = []
        for _ in range(N_SKIN_FIELDS):
            kv = _unit_rows(rng.normal(size=(24, 3))) * rng.uniform(200, 600, (24, 1))
            f = np.sin(tv @ kv.T + rng.uniform(0, 2 * np.pi, 24)).sum(1)
            bank.append((f - f.mean()) / f.std())
        self.skin_fields = np.stack(bank, 1).astype(np.float32)
        # per-identity procedural skin (scene._template_albedo) recombines these
        self.tint_base = tint
        self.lip_mask = np.isin(self.labels, [FS.index("top_lip"), FS.index("bottom_lip")])
        self.skin_red_field = red.astype(np.float32)


def _cluster_tris(v: np.ndarray, tris: np.ndarray, cell: float) -> np.ndarray:
    """A coarse copy of the mesh for shadow maps: vertices clustered on a ``cell`` grid, each cluster
    represented by one of its vertices (so the coarse mesh deforms with the fine one)."""
    key = np.floor(v / cell).astype(np.int64)
    _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    t = first[inv.ravel()][tris]
    ok = (t[:, 0] != t[:, 1]) & (t[:, 1] != t[:, 2]) & (t[:, 0] != t[:, 2])
    t = t[ok]
    _, keep = np.unique(np.sort(t, axis=1), axis=0, return_index=True)
    return np.ascontiguousarray(t[np.sort(keep)].astype(np.int32))


def _cavity_parts(v: np.ndarray, lm: np.ndarray, eye_vid: list[np.ndarray]) -> np.ndarray:
    """Per-vertex painted occlusion (N x 4: eye sockets, lash line, nose, mouth) that real faces show and
    the template lacks; the albedo multiplier is ``clip(1 - parts @ gains, 0.25, 1)`` (gains 1 = mean face;
    each identity scales them, ``scene._template_albedo``)."""
    parts = np.zeros((len(v), 4))
    occ = parts[:, 0]
    for idx in (range(36, 42), range(42, 48)):
        e = lm[list(idx)]
        c = e.mean(0)
        occ += 0.22 * _gauss(v, c + [0, 2 * MM, 0], 12 * MM)
        # lash line: within ~1.5 mm above the upper-lid curve
        up = e[[0, 1, 2, 3]]
        y_up = np.interp(v[:, 0], up[np.argsort(up[:, 0]), 0], up[np.argsort(up[:, 0]), 1])
        inside_x = (v[:, 0] > e[:, 0].min()) & (v[:, 0] < e[:, 0].max())
        lash = inside_x & (v[:, 1] > y_up - 0.5 * MM) & (v[:, 1] < y_up + 2.2 * MM) & (v[:, 2] > e[:, 2].min() - 5 * MM)
        parts[lash, 1] += 0.7
    occ = parts[:, 2]
    for a in (31, 35):
        occ += 0.6 * _gauss(v, (lm[a] * 0.6 + lm[33] * 0.4) + [0, 1.0 * MM, -2 * MM], 2.8 * MM)
        occ += 0.12 * _gauss(v, (lm[a] + lm[27 if a == 31 else 27]) / 2 + [1.2 * (lm[a, 0] - lm[33, 0]), 0, 0], 6 * MM)
    occ = parts[:, 3]
    for a in (48, 54):
        occ += 0.3 * _gauss(v, lm[a], 3 * MM)
    occ += 0.15 * _gauss(v, (lm[33] + lm[51]) / 2, 4 * MM)  # philtrum shadow
    return parts.astype(np.float32)


def _skin_maps(v: np.ndarray, lm: np.ndarray, brow_top: float):
    """Per-vertex maps for skin texture: age wrinkles (forehead lines, crow's feet, nasolabial folds,
    under-eye creases; 0..1 darkening), two 2 mm noise fields for freckles, a cheek/nose redness mask and
    an eye-shadow mask above the upper lids."""
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    front = _smoothstep(lm[0, 2] - 20 * MM, lm[0, 2] + 10 * MM, z)
    # forehead lines every 7 mm, fading towards the temples and the hairline
    fh = _smoothstep(brow_top + 4 * MM, brow_top + 10 * MM, y) * (1 - _smoothstep(brow_top + 30 * MM, brow_top + 45 * MM, y))
    wr = fh * np.exp(-x * x / (2 * (28 * MM) ** 2)) * np.clip(np.sin(2 * np.pi * y / (7 * MM)), 0, 1) ** 6
    for k, sgn in ((36, -1), (45, 1)):  # crow's feet: lines radiating from the outer eye corners
        dx, dy = x - lm[k, 0], y - lm[k, 1]
        rr = np.hypot(dx, dy)
        fan = (sgn * dx > 2 * MM) * np.exp(-((rr - 10 * MM) / (6 * MM)) ** 2)
        wr += fan * np.clip(np.sin(np.arctan2(dy, np.abs(dx)) * 9), 0, 1) ** 4
    for a, m in ((31, 48), (35, 54)):  # nasolabial folds: the line from the nose wing to beyond the mouth corner
        p0 = lm[a] + [np.sign(lm[a, 0]) * 4 * MM, 2 * MM, 0]
        p1 = lm[m] + [np.sign(lm[m, 0]) * 6 * MM, -6 * MM, 0]
        seg = p1[:2] - p0[:2]
        t = np.clip(((v[:, :2] - p0[:2]) @ seg) / (seg @ seg), 0, 1)
        dist = np.linalg.norm(v[:, :2] - (p0[:2] + t[:, None] * seg), axis=1)
        wr += 1.2 * np.exp(-(dist / (1.5 * MM)) ** 2) * np.sin(np.pi * t) ** 0.5
    for idx in (range(36, 42), range(42, 48)):  # under-eye creases
        e = lm[list(idx)]
        c = e.mean(0) + [0, -7 * MM, 0]
        wr += 0.8 * np.exp(-((y - c[1]) / (1.2 * MM)) ** 2) * np.exp(-((x - c[0]) / (9 * MM)) ** 2)
    wrinkles = np.clip(wr * front, 0, 1).astype(np.float32)
    rng = np.random.default_rng(11)
    fields = []
    for _ in range(2):
        k = rng.normal(size=(16, 3)) * 2600.0
        ph = rng.uniform(0, 2 * np.pi, 16)
        fields.append(np.sin(v @ k.T + ph).mean(1))
    freckle_fields = (np.stack(fields) / np.std(fields)).astype(np.float32)
    red = 0.8 * _gauss(v, lm[30], 10 * MM)
    for k in (2, 14):
        red += _gauss(v, (lm[k] * 0.45 + lm[30] * 0.55) + [0, 6 * MM, 0], 15 * MM)
    shadow = np.zeros(len(v))
    for idx in (range(36, 42), range(42, 48)):
        e = lm[list(idx)]
        c = e[[1, 2]].mean(0) + [0, 4 * MM, 0]
        shadow += np.exp(-(((x - c[0]) / (11 * MM)) ** 2 + ((y - c[1]) / (4 * MM)) ** 2)) * (y > e[[1, 2], 1].mean())
    return wrinkles, freckle_fields, np.clip(red, 0, 1).astype(np.float32), np.clip(shadow, 0, 1).astype(np.float32)


def _tube_tris(n_rings: int, n_around: int) -> np.ndarray:
    tris = []
    for i in range(n_rings - 1):
        for j in range(n_around):
            a, b = i * n_around + j, i * n_around + (j + 1) % n_around
            c, d = a + n_around, b + n_around
            tris += [(a, c, b), (b, c, d)]
    return np.array(tris, np.int32)


@functools.lru_cache(maxsize=1)
def head_model() -> HeadModel:
    """The process-wide head model (built on first use, ~1 s)."""
    return HeadModel()
