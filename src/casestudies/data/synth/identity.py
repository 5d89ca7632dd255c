"""The identity space and the expression set: blend-shape weights from who a face is and what it shows.

A face's shape is ``P0 + B @ w`` (``geometry``). Here ``w`` comes from

1. **facial proportions**: eleven landmark measurements (face and jaw width, face, nose and lower-face
   height, nose width and protrusion, intercanthal and biocular width, mouth width, lip height), whose
   means depend on sex, age and population and whose spreads are the published standard deviations
   (facial anthropometry after Farkas 1994 and Farkas et al. 2005; growth after Farkas & Hreczko 1994;
   see ``docs/generator.md``). The template is taken as the adult European male mean; a target set of
   measurements is turned into mode weights by a regularised least-squares fit of the measurement
   Jacobian of the modes (Gauss-Newton, two steps), so the 68 landmarks move with the mesh;
2. **individual variation**: each measurement drawn around its mean with its standard deviation, plus
   free modes (chin, brow ridge, mid-face depth, cheeks) and mild asymmetry, all from ``identity_seed``;
3. **ageing**: jowls and thinner lips after 40 (texture ageing lives in ``scene``);
4. the explicit identity knobs (``jaw_width`` ...) added on top, and
5. **expressions**: each of ``EXPRESSIONS`` is a set of action-unit-like modes (FACS prototypes after
   Ekman & Friesen 1978 / EMFACS), scaled by ``expression_intensity``, plus the ``smile``, ``mouth_open``,
   ``brow_raise`` and ``blink`` knobs.
"""

from __future__ import annotations

import functools

import numpy as np

from casestudies.data.synth.geometry import (
    EXPRESSION_MODES,
    FEATURE_FIELD_MODES,
    FEATURE_FIELD_REGIONS,
    FEATURE_MODES,
    IDENTITY_MODES,
    IDENTITY_SHAPES,
    INDIVIDUAL_MODES,
    N_INDIVIDUAL,
    SHAPES,
    head_model,
)
from casestudies.data.synth.knobs import EXPRESSIONS, POPULATIONS

__all__ = ["EXPRESSIONS", "POPULATIONS", "expression_weights", "identity_weights", "shape_weights"]
MEASURES = ("face_width", "jaw_width", "face_height", "nose_height", "nose_width", "nose_protrusion",
            "intercanthal", "biocular", "mouth_width", "lip_height", "lower_face")
# adult means (mm) and standard deviations, North American Caucasian (Farkas 1994), rounded:
# zy-zy, go-go, n-gn, n-sn, al-al, sn-prn, en-en, ex-ex, ch-ch, ls-li, sto-gn
ADULT_MALE = np.array([137.0, 97.0, 121.0, 55.0, 35.0, 20.0, 33.3, 91.0, 53.5, 19.0, 49.0])
ADULT_FEMALE = np.array([130.0, 91.0, 112.0, 51.0, 31.4, 19.0, 31.8, 87.5, 50.5, 17.5, 45.0])
ADULT_SD = np.array([5.0, 5.5, 6.0, 3.2, 2.2, 2.1, 2.5, 3.2, 3.3, 2.4, 3.8])
# population means relative to North American Caucasians (Farkas et al. 2005, rounded ratios)
POPULATION_RATIO = {
    "european": np.ones(11),
    "african": np.array([1.00, 1.00, 1.00, 0.95, 1.22, 0.85, 1.08, 1.03, 1.08, 1.30, 1.02]),
    "east_asian": np.array([1.04, 1.03, 1.00, 0.97, 1.10, 0.85, 1.12, 1.00, 0.97, 1.05, 1.00]),
    "middle_eastern": np.array([0.99, 1.00, 1.01, 1.04, 1.02, 1.05, 1.00, 0.99, 0.98, 1.00, 1.00]),
    "south_asian": np.array([0.97, 0.97, 0.99, 1.00, 1.06, 0.95, 1.04, 0.98, 0.98, 1.10, 0.99]),
}
# fraction of the adult size at ages 3, 6, 12 and 18 (growth after Farkas & Hreczko 1994, rounded)
GROWTH_AGES = np.array([3.0, 6.0, 12.0, 18.0])
GROWTH = np.array([
    [0.78, 0.84, 0.92, 1], [0.75, 0.82, 0.91, 1], [0.68, 0.76, 0.88, 1], [0.62, 0.72, 0.87, 1],
    [0.80, 0.84, 0.93, 1], [0.55, 0.65, 0.85, 1], [0.86, 0.90, 0.96, 1], [0.83, 0.87, 0.95, 1],
    [0.70, 0.77, 0.90, 1], [0.85, 0.90, 0.95, 1], [0.65, 0.74, 0.88, 1]])
# adult ageing per decade after 30: the nose lengthens, the lips thin, the lower face drops
AGEING_PER_DECADE = np.array([0.0, 0.006, 0.008, 0.012, 0.006, 0.004, 0.0, 0.0, 0.004, -0.05, 0.01])
# free individual modes: standard deviation of the weight (eyelid aperture and brow shape too: the
# action-unit modes at rest differ between people)
# weight sd of each individual_* field (~1 mm rms at unit weight), broad fields (80-140 mm waves) first,
# then local ones (50-80 mm). A real-photo face embedding tells identities apart by the broad fields far
# more than by the local ones, which cost detection and landmark realism (docs/generator.md): broad
# 0.88, local 0.275 (was 0.55 for both) gave fewer look-alikes and more detections.
INDIVIDUAL_SD = np.r_[np.full(N_INDIVIDUAL // 2, 0.88), np.full(N_INDIVIDUAL - N_INDIVIDUAL // 2, 0.275)]
FREE_SD = {"upper_lid_raise": 0.4, "inner_brow_raise": 0.35, "brow_lower": 0.3, "lip_stretch": 0.3,
           "face_scale": 0.25, "chin_forward": 0.5, "brow_ridge": 0.5, "midface_depth": 0.45, "cheek_fullness": 0.45,
           "asym_eyes": 0.5, "asym_nose": 0.4, "asym_jaw": 0.35}
# shape beyond the measurements (mode weights): per unit of maleness (+1 adult man, -1 adult woman), of
# childhood (1 at age 4, 0 from 14) and per population
SEX_SHAPE = {"brow_ridge": 0.7, "chin_forward": 0.35, "cheek_fullness": -0.3, "brow_raise": -0.35}
CHILD_SHAPE = {"brow_ridge": -0.6, "cheek_fullness": 0.5}
POPULATION_SHAPE: dict[str, dict[str, float]] = {"east_asian": {"midface_depth": -0.5}}
# expression prototypes: action-unit-like modes at intensity 1 (FACS AU numbers in the comments)
EXPRESSIONS_AU: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {"smile": 1.8, "cheek_raise": 1.5, "mouth_open": 0.3, "blink": 0.2},  # AU6 + AU12 (+AU25)
    "sad": {"inner_brow_raise": 1.6, "brow_lower": 0.5, "lip_corner_down": 1.6, "blink": 0.25},  # AU1 + AU4 + AU15
    "surprise": {"brow_raise": 1.5, "inner_brow_raise": 0.8, "upper_lid_raise": 1.5, "mouth_open": 1.0},  # AU1+2+5+26
    "anger": {"brow_lower": 1.8, "upper_lid_raise": 0.6, "lip_press": 1.5, "nose_wrinkle": 0.5},  # AU4+5+7+23
    "disgust": {"nose_wrinkle": 1.8, "upper_lip_raise": 1.6, "brow_lower": 0.8, "lip_corner_down": 0.8,
                "cheek_raise": 0.6},  # AU9 + AU10 + AU15 (+AU4)
    "fear": {"inner_brow_raise": 1.5, "brow_raise": 0.8, "brow_lower": 0.6, "upper_lid_raise": 1.5,
             "lip_stretch": 1.6, "mouth_open": 0.45},  # AU1 + AU2 + AU4 + AU5 + AU20 + AU26
}
# weight sd of each local feature-shape mode (geometry.FEATURE_MODES): 1.0 in 0.5.0, 1.25 in 0.6.0, 1.5
# since 0.8.0 (the label conventions of 0.7.0 left the NME room for it; docs/generator.md)
FEATURE_SD = 1.5
# weight sd of the feature fields by region (geometry.FEATURE_FIELD_MODES; 1.5 mm peak at unit weight):
# fine shape of eyes, nose and mouth per identity; 1.6 for all in 0.8.0-0.12.0. The eyes carried less of
# who a face is than on real photos; their fields at 2.4 cut dlib's look-alike share (standin_real_a
# 0.136 -> 0.129, synthetic 0.105 -> 0.101 on 300 faces), where wider nose and mouth fields cost landmark
# realism for nothing and eye fields at 3.2 tear some lids (docs/generator.md, "Generator 0.13.0")
FEATURE_FIELD_SD = {"eyes": 2.4, "nose": 1.6, "mouth": 1.6}
MODE_CAP = 2.0  # no mode beyond twice its unit displacement, whatever knobs and expression add up to
_LM_MODES = IDENTITY_SHAPES + IDENTITY_MODES  # modes the proportion fit may use


def _measure(lm: np.ndarray) -> np.ndarray:
    """The eleven landmark proxies of ``MEASURES`` (metres) on 68 x 3 landmarks (iBUG order)."""
    d = lambda a, b: np.linalg.norm(lm[a] - lm[b])  # noqa: E731
    sto = (lm[62] + lm[66]) / 2
    return np.array([d(1, 15), d(4, 12), lm[27, 1] - lm[8, 1], lm[27, 1] - lm[33, 1], d(31, 35),
                     lm[30, 2] - lm[33, 2], d(39, 42), d(36, 45), d(48, 54), lm[51, 1] - lm[57, 1],
                     sto[1] - lm[8, 1]])


@functools.lru_cache(maxsize=1)
def _landmark_basis() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(neutral landmarks 68x3, their mode displacements 68x3xK for the fit modes, the mode indices).

    The measurements are taken on the landmarks the blend shapes are anchored on (``HeadModel.anchors``),
    not on the labels, so a change of label convention (e.g. point 27 moved to the upper-lid height)
    leaves the identities' faces as they were."""
    head = head_model()
    v = head.points0[: head.n_template]
    vid = np.array([int(np.argmin(((v - a) ** 2).sum(1))) for a in head.anchors])
    idx = np.array([SHAPES.index(k) for k in _LM_MODES])
    return head.points0[vid], head.basis[vid][:, :, idx].astype(np.float64), idx


def target_ratios(sex: float, age: float, population: str, z: np.ndarray | None = None) -> np.ndarray:
    """Measurements relative to the template (adult European male mean) for a sex (0 female .. 1 male),
    age (years) and population, with ``z`` standard-normal individual deviations (or none)."""
    adult = ADULT_FEMALE + (ADULT_MALE - ADULT_FEMALE) * float(sex)
    adult = adult * POPULATION_RATIO[population]
    if z is not None:
        adult = adult + z * ADULT_SD
    growth = np.array([np.interp(age, GROWTH_AGES, g) for g in GROWTH])
    ageing = 1 + AGEING_PER_DECADE * max(0.0, float(age) - 30) / 10
    return adult * growth * ageing / ADULT_MALE


def fit_modes(ratios: np.ndarray, reg: float = 0.01, steps: int = 2) -> np.ndarray:
    """Weights of the fit modes (``_LM_MODES``) whose landmarks best reach ``ratios`` x the template's
    measurements: regularised Gauss-Newton on the landmark measurements (relative error)."""
    lm0, blm, _ = _landmark_basis()
    m0 = _measure(lm0)
    target = ratios * m0
    jac, normal = _jacobian(reg)
    w = np.zeros(blm.shape[-1])
    for _ in range(steps):
        r = (target - _measure(lm0 + blm @ w)) / m0
        w = w + np.linalg.solve(normal, jac.T @ r - reg * w)
    return np.clip(w, -3, 3)


@functools.lru_cache(maxsize=4)
def _jacobian(reg: float) -> tuple[np.ndarray, np.ndarray]:
    """Relative measurement Jacobian of the fit modes at the template (finite differences, 1 mm steps
    scaled) and its regularised normal matrix; the modes are near-linear in the measurements, so the
    Gauss-Newton steps reuse it."""
    lm0, blm, _ = _landmark_basis()
    m0 = _measure(lm0)
    eps = 1e-3
    jac = np.stack([(_measure(lm0 + blm[:, :, k] * eps) - m0) / eps for k in range(blm.shape[-1])], 1) / m0[:, None]
    return jac, jac.T @ jac + reg * np.eye(jac.shape[1])


@functools.lru_cache(maxsize=4096)
def identity_weights(identity_seed: int, sex: float, age: float, population: str,
                     individuality: float = 1.0) -> np.ndarray:
    """Blend-shape weights (len(SHAPES)) of one identity: proportions fitted from its sampled
    measurements, free individual modes, asymmetry and ageing; deterministic in its arguments.
    ``individuality`` scales the individual deviations (0 = the mean face of sex, age and population)."""
    rng = np.random.default_rng([int(identity_seed), 0x5A])
    z = np.clip(rng.standard_normal(len(MEASURES)), -2.5, 2.5) * float(individuality)
    free = {k: float(np.clip(rng.normal(0, sd), -2.5 * sd, 2.5 * sd)) * float(individuality)
            for k, sd in FREE_SD.items()}
    w = np.zeros(len(SHAPES))
    _, _, idx = _landmark_basis()
    w[idx] = fit_modes(target_ratios(sex, age, population, z))
    for k, v in free.items():
        w[SHAPES.index(k)] += v
    ind = np.clip(rng.normal(0, INDIVIDUAL_SD), -2.5 * INDIVIDUAL_SD, 2.5 * INDIVIDUAL_SD)
    w[[SHAPES.index(k) for k in INDIVIDUAL_MODES]] = ind * float(individuality)
    feat = np.clip(rng.normal(0, FEATURE_SD, len(FEATURE_MODES)), -2.5 * FEATURE_SD, 2.5 * FEATURE_SD)
    w[[SHAPES.index(k) for k in FEATURE_MODES]] = feat * float(individuality)
    ff_sd = np.array([FEATURE_FIELD_SD[r] for r in FEATURE_FIELD_REGIONS])
    ff = np.clip(rng.normal(0, ff_sd), -2.5 * ff_sd, 2.5 * ff_sd)
    w[[SHAPES.index(k) for k in FEATURE_FIELD_MODES]] = ff * float(individuality)
    # sex and age beyond the measurements: heavier brow ridge and chin and flatter cheeks in men (after
    # puberty), fuller cheeks and no brow ridge in children, higher brows in women
    male = (2 * float(sex) - 1) * float(np.clip((age - 11) / 7, 0, 1))
    child = float(np.clip((14 - age) / 10, 0, 1))
    for table, g in ((SEX_SHAPE, male), (CHILD_SHAPE, child), (POPULATION_SHAPE.get(population, {}), 1.0)):
        for k, v in table.items():
            w[SHAPES.index(k)] += v * g
    adult_age = max(0.0, float(age) - 40) / 40
    w[SHAPES.index("jowls")] += 1.2 * adult_age
    w.flags.writeable = False
    return w


def expression_weights(expression: str, intensity: float) -> dict[str, float]:
    """Mode weights (and ``blink``) of an expression at ``intensity`` in [0, 1]."""
    try:
        proto = EXPRESSIONS_AU[expression]
    except KeyError:
        raise KeyError(f"unknown expression {expression!r}; valid: {EXPRESSIONS}") from None
    return {k: v * float(intensity) for k, v in proto.items()}


def shape_weights(p: dict) -> tuple[np.ndarray, float]:
    """All blend-shape weights of a parameter dict, and the total blink (knob + expression)."""
    w = identity_weights(int(p["identity_seed"]), float(p["sex"]), float(p["age"]), p["population"],
                         float(p["individuality"])).copy()
    for k in IDENTITY_SHAPES:
        w[SHAPES.index(k)] += float(p[k])
    expr = expression_weights(p["expression"], float(p["expression_intensity"]))
    blink = min(1.0, float(p["blink"]) + expr.pop("blink", 0.0))
    for k in ("smile", "mouth_open", "brow_raise"):
        w[SHAPES.index(k)] += float(p[k])
    for k, v in expr.items():
        w[SHAPES.index(k)] += v
    w[SHAPES.index("mouth_open")] = min(w[SHAPES.index("mouth_open")], 1.0)  # the jaw hinge's 13 degrees
    for k in ("smile", "brow_raise", *EXPRESSION_MODES):
        w[SHAPES.index(k)] = min(w[SHAPES.index(k)], MODE_CAP)
    return w.astype(np.float32), blink
