"""Per-identity appearance of the facial features: brow thickness, taper, colour and coverage profile
(soft edges, a fading tail, clumps of hair), iris size and limbal ring (lip colour is the albedo's,
``scene.LIP_TINT``).

A face embedding trained on real photos reads faces that share one brow and one iris as fewer people:
per-identity brows took dlib's look-alike share of different faces from 0.29 to 0.21, irises of their
own a little further (docs/generator.md, "Generator 0.4.0"); lip colour made no difference. Lighter
brows with a coverage profile of their own, instead of dark patches of one outline, took it from 0.195
to 0.146 (with wider feature-shape modes) at equal detection and landmark realism ("Generator 0.6.0"). Every value here
is drawn from an rng seeded by ``identity_seed`` alone (plus sex and age), so it is part of who a face is
and stays the same under any pose, light, expression and scene.

Units: millimetres for sizes (eyeball radius 12 mm), fractions of the template brow's height for brow
thickness (the template brow is 6-7 mm tall).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from casestudies.data.synth.geometry import BROW_MEDIAL_X, HeadModel, _smoothstep, brow_lateral_x, head_model
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS

EYEBALL_RADIUS_MM = 12.0
IRIS_DIAMETER_MM = (11.7, 0.45)  # adult horizontal visible iris diameter: mean, sd (white-to-white)
BROW_MARGIN_MM = 5.0  # how far below the template brow a thick brow may reach (3 before 0.14.0)
BROW_HEAD, BROW_HEAD_LEN = 0.85, 0.12  # the brow's medial head: depth kept at the end, length along the brow


BROW_DARKNESS = (0.65, 0.2)  # brow colour = hair colour x darkness: mean, sd (0.5.0: 0.6; then 0.8, 0.17 until 0.14.0)
# brow height at the medial end (fraction of the template brow's): mean for women, extra for men, sd, limits.
# 0.14.0 widened it from (0.72, +0.28, sd 0.2, 0.35-1.35): real brows range from thin lines to bands as
# tall as the template's and more, and with this spread and darker brows dlib's look-alike share of
# `standin_real_a` fell 0.128 -> 0.122 on 300 faces (docs/generator.md, "Generator 0.14.0")
BROW_THICKNESS = (0.8, 0.35, 0.3, (0.35, 1.7))
BROW_SOFTNESS = (0.1, 0.9)  # range of brow_softness (uniform per identity)
BROW_TAIL_FADE = 0.8  # brow_tail_fade is uniform in [0, this]
BROW_CLUMP = 0.4  # brow_clump is uniform in [0, this]
BROW_HEAD_FADE = (0.5, 1.0)  # range of brow_head_fade (uniform per identity; 0.7.0: 0.3-0.9)
BROW_HEAD_FADE_LEN = 0.3  # the medial head fades in over this fraction of the brow's length


@dataclass(frozen=True)
class FeatureLook:
    """How one identity's brows and irises look (all dimensionless unless named)."""

    brow_thickness: float  # brow height at its medial end, fraction of the template brow's height
    brow_taper: float  # relative loss of height from the medial to the lateral end, 0 .. 0.6
    brow_darkness: float  # brow colour = hair colour times this (lower = darker than the hair)
    iris_diameter_mm: float
    limbal_ring: float  # darkening of the iris rim, 0 none .. 0.7 strong
    iris_tint: tuple[float, float, float]  # per-channel gain on the iris colour
    brow_softness: float = 0.0  # coverage lost towards the lower edge (and half that at the upper rim), 0 .. 0.9
    brow_tail_fade: float = 0.0  # coverage lost at the lateral end, fading in over the lateral half, 0 .. 0.8
    brow_clump: float = 0.0  # relative contrast of the hair-clump pattern over the brow, 0 .. 0.4
    brow_clump_angle: float = 0.0  # which clump pattern (radians: mixes two fixed 2 mm noise fields)
    brow_head_fade: float = 0.0  # coverage lost at the medial end, fading in over BROW_HEAD_FADE_LEN, 0 .. 1

    @property
    def iris_half_angle_deg(self) -> float:
        """Angle at the eyeball centre between the gaze and the iris rim."""
        return float(np.degrees(np.arcsin(0.5 * self.iris_diameter_mm / EYEBALL_RADIUS_MM)))


def feature_look(p: dict) -> FeatureLook:
    """The feature look of the identity in ``p`` (``identity_seed``, ``sex``, ``age``)."""
    rng = np.random.default_rng([int(p["identity_seed"]), 0xF7])
    male = float(p["sex"]) * float(np.clip((float(p["age"]) - 11) / 7, 0, 1))
    child = float(np.clip((14 - float(p["age"])) / 10, 0, 1))
    # women's brows thinner and more tapered on average, children's thinner; wide individual spread
    mu_t, male_t, sd_t, (lo_t, hi_t) = BROW_THICKNESS
    thick = float(np.clip(rng.normal(mu_t + male_t * male - 0.1 * child, sd_t), lo_t, hi_t))
    taper = float(np.clip(rng.normal(0.25 + 0.1 * (1 - male), 0.15), 0.0, 0.6))
    dark = float(np.clip(rng.normal(BROW_DARKNESS[0], BROW_DARKNESS[1]), 0.4, 1.0))
    mu, sd = IRIS_DIAMETER_MM
    iris = float(np.clip(rng.normal(mu, sd), mu - 2.5 * sd, mu + 2.5 * sd))
    ring = float(rng.uniform(0.15, 0.7))
    itint = tuple(float(v) for v in rng.uniform(0.8, 1.2, 3))
    soft = float(rng.uniform(*BROW_SOFTNESS))
    tail, clump = float(rng.uniform(0, BROW_TAIL_FADE)), float(rng.uniform(0, BROW_CLUMP))
    angle = float(rng.uniform(0, 2 * np.pi))
    return FeatureLook(thick, taper, dark, iris, ring, itint,  # type: ignore[arg-type]
                       soft, tail, clump, angle, float(rng.uniform(*BROW_HEAD_FADE)))


@functools.lru_cache(maxsize=1)
def brow_frame() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Template vertices that can be brow, with their side (label), position along the brow (0 medial
    .. 1 lateral) and depth below its upper edge (0 at the edge, 1 at the template brow's lower edge).

    Built from the template's brow regions: per side, the upper and lower edge heights are read off the
    brow vertices in 8 bins along x and interpolated; candidates are the brow vertices and the facial
    skin up to ``BROW_MARGIN_MM`` below the lower edge, and the brow reaches medially to
    ``geometry.BROW_MEDIAL_X`` from the midline (with the medial bin's edges), where real brows start,
    and both brows laterally as far as the longer one (``geometry.brow_lateral_x``).
    """
    head: HeadModel = head_model()
    v = head.points0[: head.n_template]
    ids_all, lab_all, along_all, depth_all = [], [], [], []
    reach = brow_lateral_x(v, head.labels)
    for cls in ("right_brow", "left_brow"):
        c = FS.index(cls)
        bv = v[head.labels == c]
        ax = np.abs(bv[:, 0])
        lo, hi = ax.min(), ax.max()
        edges = np.linspace(lo, hi, 9)
        mids = 0.5 * (edges[:-1] + edges[1:])
        top = np.array([bv[(ax >= a) & (ax <= b), 1].max() for a, b in zip(edges[:-1], edges[1:])])
        bot = np.array([bv[(ax >= a) & (ax <= b), 1].min() for a, b in zip(edges[:-1], edges[1:])])
        # medially the brow keeps its medial bin's edges; laterally (the shorter side's tail) it goes on
        # along its last two bins' slope, to an edge point 1 mm past the reach
        step = (reach + 1e-3 - mids[-1]) / (mids[-1] - mids[-2])
        mids, top, bot = (np.r_[a, a[-1] + (a[-1] - a[-2]) * step] for a in (mids, top, bot))
        lo, hi = min(lo, BROW_MEDIAL_X), reach
        side = np.sign(bv[:, 0].mean())
        x = np.abs(v[:, 0])
        y_top, y_bot = np.interp(x, mids, top), np.interp(x, mids, bot)
        depth = (y_top - v[:, 1]) / np.maximum(y_top - y_bot, 1e-4)
        near = (np.sign(v[:, 0]) == side) & (x >= lo) & (x <= hi) & (v[:, 2] > bv[:, 2].min() - 0.005)
        near &= (head.labels == c) | ((head.labels == FS.index("skin")) & (depth > 0)
                                      & (v[:, 1] > y_bot - BROW_MARGIN_MM * 1e-3))
        ids = np.nonzero(near)[0]
        ids_all.append(ids)
        lab_all.append(np.full(len(ids), c, np.uint8))
        along_all.append(((x[ids] - lo) / (hi - lo)).astype(np.float32))
        depth_all.append(np.clip(depth[ids], 0, None).astype(np.float32))
    return (np.concatenate(ids_all), np.concatenate(lab_all), np.concatenate(along_all),
            np.concatenate(depth_all))


def brow_vertices(look: FeatureLook) -> tuple[np.ndarray, np.ndarray]:
    """(template vertex ids, their brow label) of this identity's brows: the template brow's upper edge
    kept (the iBUG brow points lie on it), its height ``brow_thickness * (1 - brow_taper * along)``, and
    a rounded head at the medial end (``BROW_HEAD`` deep at the very end, gone by ``BROW_HEAD_LEN``)
    where the template brow's edge turns down to the medial iBUG points."""
    ids, lab, along, depth = brow_frame()
    height = np.maximum(look.brow_thickness * (1 - look.brow_taper * along), BROW_HEAD * (1 - along / BROW_HEAD_LEN))
    keep = (depth <= height) | (depth <= 0.15)
    return ids[keep], lab[keep]


def brow_coverage(look: FeatureLook, vids: np.ndarray) -> np.ndarray:
    """Hair coverage of brow vertices ``vids`` (template ids, from ``brow_vertices``), in [0, 1.05]:
    1 along the brow's core, less by ``brow_softness`` at its lower edge (fading in over the lower 65 %
    of the identity's brow height) and by half that at the upper edge (over its top 30 %), less by
    ``brow_tail_fade`` at the lateral end (over the lateral half), times ``1 + brow_clump x`` a 2 mm
    noise pattern (clipped to +-1.5 sd). The albedo's brow tint and the number of brow strands scale
    with it; the brow's label does not. Vertices outside ``brow_frame`` get 1."""
    _, _, along, depth = brow_frame()
    j = _brow_frame_index()[vids]
    al = np.where(j >= 0, along[np.maximum(j, 0)], 0.5)
    dp = np.where(j >= 0, depth[np.maximum(j, 0)], 0.5)
    height = np.maximum(look.brow_thickness * (1 - look.brow_taper * al), 0.3)
    t = np.clip(dp / height, 0, 1)
    soft = look.brow_softness
    w = (1 - soft * _smoothstep(0.35, 1.0, t)) * (1 - 0.5 * soft * (1 - _smoothstep(0.0, 0.3, t)))
    w = w * (1 - look.brow_tail_fade * _smoothstep(0.45, 1.0, al))
    w = w * (1 - look.brow_head_fade * (1 - _smoothstep(0.0, BROW_HEAD_FADE_LEN, al)))
    fields = head_model().freckle_fields[:, vids]
    cells = np.cos(look.brow_clump_angle) * fields[0] + np.sin(look.brow_clump_angle) * fields[1]
    w = w * (1 + look.brow_clump * np.clip(cells, -1.5, 1.5))
    return np.where(j >= 0, np.clip(w, 0, 1.05), 1.0).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _brow_frame_index() -> np.ndarray:
    """Per template vertex, its row in ``brow_frame`` (-1 outside it)."""
    ids = brow_frame()[0]
    pos = np.full(head_model().n_template, -1)
    pos[ids] = np.arange(len(ids))
    pos.flags.writeable = False
    return pos


def brow_candidates() -> np.ndarray:
    """Every template vertex some identity's brow may cover (labelled skin when not this identity's)."""
    return brow_frame()[0]
