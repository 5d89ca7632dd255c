"""Scene assembly for one image: the deformed head with its per-image labels and albedo, the parts that
follow it, accessories and clothing, all in the head frame (metres, ``x`` image-right, ``y`` up, ``z``
towards the viewer). ``build_scene`` is steps 1-2 of ``render.render_sample``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from casestudies.data.synth import raster
from casestudies.data.synth.accessories import (
    Piece,
    accessory_rgb,
    clothing,
    face_mask,
    glasses,
    hat,
    headphones,
)
from casestudies.data.synth.assets import load_scan
from casestudies.data.synth.features import (
    FeatureLook,
    brow_candidates,
    brow_coverage,
    brow_vertices,
    feature_look,
)
from casestudies.data.synth.geometry import MAT_SKIN, HeadModel, head_model
from casestudies.data.synth.hair import hair_colour, hairline_height
from casestudies.data.synth.identity import shape_weights
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS

if TYPE_CHECKING:
    import scipy.sparse

NECK_HEAD_Y, NECK_BODY_Y = -0.102, -0.135  # head-frame heights (m): neck follows the head above, the body below
# per-identity ranges of the painted occlusion strengths (eye sockets, lash line, nostrils, mouth corners)
CAVITY_GAINS = ((0.5, 0.5, 0.6, 0.5), (1.6, 1.5, 1.5, 1.6))
# per-identity lip albedo relative to the skin (RGB gains: low, high)
LIP_TINT = ((0.76, 0.51, 0.51), (1.0, 0.75, 0.78))
SCLERA_RGB = (0.56, 0.52, 0.5)  # eyeball albedo outside the iris (display-encoded)
BROW_CLASSES = (FS.index("right_brow"), FS.index("left_brow"))
SKIN_RAMP = np.array([[0.95, 0.78, 0.68], [0.87, 0.66, 0.54], [0.74, 0.52, 0.39], [0.57, 0.38, 0.26],
                      [0.40, 0.25, 0.17], [0.25, 0.16, 0.11]])


@dataclass
class Scene:
    """Everything the rasteriser needs, in the head frame.

    ``verts``/``tris`` hold every mesh; the first ``n_culled`` triangles (the face mask) are drawn with
    back-face culling, the rest two-sided. Vertices from ``body_start`` on follow the torso.
    """

    pts: np.ndarray  # deformed point set (template + parts), head frame
    verts: np.ndarray
    tris: np.ndarray
    n_culled: int
    albedo: np.ndarray  # display-encoded (sRGB-like) per vertex
    label: np.ndarray
    material: np.ndarray
    body_start: int
    neck_ids: np.ndarray  # head-part vertices low on the neck, skinned between head and body
    neck_w: np.ndarray  # their body weight in (0, 1]
    lenses: list[Piece]
    hat_line: float | None
    lm3: np.ndarray  # 68 landmark points, head frame
    eye_centres: np.ndarray  # 2 x 3 eyeball centres, head frame
    hair_rgb: np.ndarray
    has_hair: bool
    blink: float
    look: FeatureLook  # the identity's brows and irises


SKIN_BLOTCH = 0.035  # sd of the identity's blotch pattern in the albedo, at texture_detail 1


def _unit(a: np.ndarray) -> np.ndarray:
    return a / (np.linalg.norm(a) + 1e-12)


def _smooth01(x: np.ndarray) -> np.ndarray:
    t = np.clip(x, 0, 1)
    return t * t * (3 - 2 * t)


def skin_rgb(tone: float, hue: float) -> np.ndarray:
    x = np.clip(tone, 0, 1) * (len(SKIN_RAMP) - 1)
    i = min(int(x), len(SKIN_RAMP) - 2)
    rgb = SKIN_RAMP[i] * (1 - (x - i)) + SKIN_RAMP[i + 1] * (x - i)
    return np.clip(rgb * np.array([1 - 0.04 * hue, 1 + 0.02 * hue, 1 - 0.08 * hue]), 0, 1)


def iris_rgb(c: float) -> np.ndarray:
    tab = np.array([[0.30, 0.45, 0.65], [0.35, 0.45, 0.25], [0.40, 0.27, 0.12], [0.12, 0.07, 0.04]])
    x = np.clip(c, 0, 1) * 3
    i = min(int(x), 2)
    return tab[i] * (1 - (x - i)) + tab[i + 1] * (x - i)


# lazy mesh-smoothing steps of the scan's high-pass (sd ~4 mm on the template); 60 (~2 cm) before 0.10.0
# kept the scan person's 1-2 cm shading, which read as that person on every stand-in identity (dlib
# look-alike share 0.136 -> 0.130 on 300 `standin_real_a` faces, docs/generator.md)
SCAN_HIGHPASS_STEPS = 15


@functools.lru_cache(maxsize=1)
def _template_neighbour_mean() -> scipy.sparse.csr_matrix:
    """Sparse N x N matrix averaging each template vertex's mesh neighbours."""
    import scipy.sparse as sp

    head = head_model()
    t, n = head.template_tris, head.n_template
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2], t[:, 1], t[:, 2], t[:, 0]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0], t[:, 0], t[:, 1], t[:, 2]])
    adj = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return sp.diags(1.0 / np.maximum(np.asarray(adj.sum(1)).ravel(), 1)) @ adj


def smooth_on_template(values: np.ndarray, steps: int) -> np.ndarray:
    """Per-template-vertex ``values`` after ``steps`` lazy neighbour-averaging steps (x <- (x + mean of
    its neighbours) / 2; about 1 cm across after 15 steps, 2 cm after 60)."""
    adj = _template_neighbour_mean()
    out = np.asarray(values, np.float64).copy()
    for _ in range(steps):
        out = 0.5 * out + 0.5 * (adj @ out)
    return out


@functools.lru_cache(maxsize=1)
def scan_albedo() -> np.ndarray:
    """Photographic skin detail per template vertex from the james scan texture (N x 3, mean ~1).

    The scan's texture has its capture lighting and its person's mid-scale shading (folds, hollows)
    baked in; dividing by a mesh-smoothed copy (``SCAN_HIGHPASS_STEPS``, about 1 cm across) keeps
    pores, blemishes and fine mottling and drops them. The scan's brows and ears are blanked here; its
    eyes, lips and nostrils are faded in ``scan_detail_bank``.
    """
    head = head_model()
    tex = load_scan()[3]
    h, w = tex.shape[:2]
    u = np.clip((head.uv[:, 0] * (w - 1)).round().astype(int), 0, w - 1)
    v = np.clip(((1 - head.uv[:, 1]) * (h - 1)).round().astype(int), 0, h - 1)
    col = tex[v, u] / 255.0 + 0.02
    smooth = smooth_on_template(col, SCAN_HIGHPASS_STEPS)
    ratio = np.clip(col / smooth, 0.35, 1.6)
    ears = np.isin(head.labels, [FS.index("right_ear"), FS.index("left_ear")])
    ratio[ears] = 1.0  # the scan's ears map to unreliable texture
    ratio[brow_candidates()] = 1.0  # the scan's own brows give way to each identity's (features.py)
    return ratio.astype(np.float32)


SCAN_TURNS = 8  # rigid turns of the scan's skin detail mixed per identity (scan_detail)
SCAN_TURN_DEG = (25.0, 8.0)  # largest turn about the vertical / horizontal axis, degrees
SCAN_FEATURE_SD_MM = (7.0, 7.0, 6.0)  # Gaussian fade radius about the eye, lip and lower-nose landmarks


@functools.lru_cache(maxsize=1)
def scan_detail_bank() -> np.ndarray:
    """SCAN_TURNS x N x 3 log skin detail: ``scan_albedo`` with the scan's eyes, lips and nostrils faded
    out (one person's features read as that person), resampled at rigid turns of the face about the skull
    centre (nearest template vertex) and faded there again, so each copy puts the same skin statistics
    in new places and no copy paints the features."""
    from scipy.spatial import cKDTree

    head = head_model()
    v = head.points0[: head.n_template].astype(np.float64)
    lm = head.lm0
    m = np.zeros(len(v))
    for pts, sd in zip((range(36, 48), range(48, 68), range(30, 36)), SCAN_FEATURE_SD_MM):
        dmin = np.sqrt(((v[:, None] - lm[list(pts)][None]) ** 2).sum(-1).min(1))
        m = np.maximum(m, np.exp(-0.5 * (dmin / (sd * 1e-3)) ** 2))
    logd = np.log(scan_albedo()) * (1 - m)[:, None]
    tree = cKDTree(v)
    rng = np.random.default_rng(0x5CA)
    bank = [logd]
    c = head.skull_c
    for _ in range(SCAN_TURNS - 1):
        a, b = np.radians(rng.uniform(-1, 1, 2) * SCAN_TURN_DEG)
        ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
        rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
        _, nn = tree.query((v - c) @ (rx @ ry).T + c)
        bank.append(logd[nn] * (1 - m)[:, None])  # the features stay clean after the turn too
    return np.stack(bank).astype(np.float32)


@functools.lru_cache(maxsize=8)  # 0.6 MiB each; a set draws a new identity per image
def scan_log_detail(identity_seed: int) -> np.ndarray:
    """The log of the scan's skin detail (N x 3, mean ~0) in one identity's arrangement: the turned copies
    of ``scan_detail_bank`` mixed with unit-norm weights from ``identity_seed``, so every identity has
    photographic skin statistics but its own pattern (one shared pattern reads as one person). The
    albedo multiplies by ``exp(contrast * this)``."""
    bank = scan_detail_bank()
    w = _unit(np.random.default_rng([identity_seed, 0x5CB]).normal(0, 1, len(bank))).astype(np.float32)
    out = np.ascontiguousarray(np.tensordot(w, bank, 1), np.float32)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=8)
def scan_detail(identity_seed: int) -> np.ndarray:
    """The scan's skin detail (N x 3, mean ~1) in one identity's arrangement: ``exp(scan_log_detail)``."""
    out = np.exp(scan_log_detail(identity_seed))
    out.flags.writeable = False
    return out


def _template_albedo(head: HeadModel, p: dict, hair_rgb: np.ndarray, labels: np.ndarray,
                     look: FeatureLook) -> np.ndarray:
    """Skin albedo per template vertex, with lips, brows (where ``labels`` says), eye openings,
    hairline and beard tinted."""
    tone = skin_rgb(float(p["skin_tone"]), float(p["skin_hue"]))
    # the identity's own skin: painted occlusion strengths (sockets, lash line, nose, mouth), lip colour
    # and the mixture of the blotch fields (a skin pattern shared by everyone reads as one person)
    rng = np.random.default_rng([int(p["identity_seed"]), 0x5C])
    gains = rng.uniform(*CAVITY_GAINS).astype(np.float32)
    shade = np.clip(1.0 - head.cavity_parts @ gains, 0.25, 1.0) * head.ao_shade
    td = float(p["texture_detail"])
    tint = head.tint_base.copy()
    tint[head.lip_mask] = rng.uniform(*LIP_TINT).astype(np.float32)
    det = head.skin_fields @ _unit(rng.normal(0, 1, head.skin_fields.shape[1])).astype(np.float32)
    # albedo = tone * (tint * (shade + td * (SKIN_BLOTCH * det - red))) + td * red colour, times the
    # photographic skin detail in the identity's own arrangement (scan_detail) for scan skin
    scan_log = scan_log_detail(int(p["identity_seed"])) if p["skin_texture"] == "scan" else np.zeros((0, 3), np.float32)
    alb = raster.skin_albedo(tone.astype(np.float32), tint, shade.astype(np.float32), np.float32(td),
                             np.float32(SKIN_BLOTCH), det.astype(np.float32), head.skin_red_field, head.skin_red,
                             scan_log, np.float32(0.5 + td))
    alb = _skin_marks(head, p, alb)
    for vid, vv in zip(head.eye_vid, head.eye_v):
        # inside of the lids: a darker, pinker version of the skin, shadowed under the upper lid
        alb[vid] = (tone * 0.6 + np.array([0.1, 0.02, 0.02]))[None] * (1.0 - 0.5 * np.clip((vv[:, None] - 0.5) * 2, 0, 1))
    brow = np.nonzero(np.isin(labels, BROW_CLASSES))[0]
    bd = float(p["brow_density"])
    brow_rgb = np.minimum(hair_rgb * look.brow_darkness, tone * 0.6)  # brows darker than the skin
    cover = (np.float32(0.9 * bd) * brow_coverage(look, brow))[:, None]
    alb[brow] = alb[brow] * (1 - cover) + cover * brow_rgb
    return np.clip(alb, 0, 1).astype(np.float32)


def _skin_marks(head: HeadModel, p: dict, alb: np.ndarray) -> np.ndarray:
    """Texture beyond tone (in place on the vertices each mark touches): age wrinkles, freckles, moles,
    redness, stubble shadow and makeup."""
    tone = float(p["skin_tone"])
    age = float(p["age"])
    rng = np.random.default_rng([int(p["identity_seed"]), 0x3E])
    # 1. wrinkles and creases deepen from 30 to 80 years
    wr = float(np.clip((age - 30) / 50, 0, 1))
    if wr > 0:
        ids = head.wrinkle_ids
        alb[ids] *= np.clip(1 - (0.28 * wr) * head.wrinkles[ids], 0.2, 1)[:, None]
    # 2. freckles: an identity's own pattern (two noise fields mixed at an angle of its seed), on nose and cheeks
    fr = float(p["freckles"])
    th = rng.uniform(0, 2 * np.pi)
    if fr > 0:
        f = np.cos(th) * head.freckle_fields[0] + np.sin(th) * head.freckle_fields[1]
        spots = np.clip(f - (2.2 - 1.2 * fr), 0, 0.6) * (0.3 + head.red_mask)
        ids = np.nonzero(spots > 0)[0]
        alb[ids] *= np.clip(1 - (0.45 * (1 - 0.6 * tone)) * spots[ids], 0.2, 1)[:, None]
    # 3. moles: up to six dark spots of 1-2 mm on the skin
    k = int(round(6 * float(p["moles"])))
    for site in rng.choice(len(head.mole_sites), k, replace=False):
        near, wt = head.mole_sites[site]
        alb[near] *= np.clip(1 - np.float32(rng.uniform(0.35, 0.6)) * wt, 0.2, 1)[:, None]
    # 4. redness of cheeks and nose; 5. stubble shadow; 6. makeup (lipstick, eye shadow, blush)
    red = float(p["redness"]) * (1 - 0.7 * tone)
    if red > 0:
        ids = head.red_ids
        raster.darken_rows(alb, ids, head.red_weights, np.float32(0.18 * red), np.array([0.0, 1.0, 0.8], np.float32))
    st = float(p["stubble"])
    if st > 0:
        ids = head.beard_ids
        m = st * 0.35 * (0.7 + 0.3 * head.freckle_fields[0, ids].clip(-1, 1))
        raster.darken_rows(alb, ids, m.astype(np.float32), np.float32(1.0), np.array([0.55, 0.6, 0.6], np.float32))
    mk = float(p["makeup"])
    if mk > 0:
        lips = head.lip_ids
        lip_rgb = np.array([0.62, 0.12, 0.2]) * (0.7 + 0.3 * rng.random())
        alb[lips] = alb[lips] * (1 - 0.7 * mk) + 0.7 * mk * lip_rgb
        eye_rgb = accessory_rgb(rng.random(), 0.35, 0.35)
        ids = head.shadow_ids
        a = (0.5 * mk * head.shadow_mask[ids])[:, None]
        alb[ids] = alb[ids] * (1 - a) + a * eye_rgb
        ids = head.red_ids
        raster.darken_rows(alb, ids, head.red_weights, np.float32(0.12 * mk), np.array([0.0, 1.0, 0.7], np.float32))
    return alb


def _deform(head: HeadModel, w: np.ndarray, b: float) -> np.ndarray:
    """Deformed point set (template + parts) in the head frame for blend-shape weights ``w`` and blink ``b``."""
    pts = raster.blend_sparse(head.points0_f32, *head.sparse_basis, w.astype(np.float32))
    # eyelids: push the opening back behind the eyeball; blinking closes it from the top
    for vid, vv, push in zip(head.eye_vid, head.eye_v, head.eye_push):
        open_w = np.clip(((1.0 - b) - vv) / 0.12, 0, 1) * (1.0 - b) ** 0.3
        pts[vid, 2] -= push * open_w
    return pts


def _lid_landmarks(head: HeadModel, pts: np.ndarray, blink: float) -> np.ndarray:
    """Landmark vertex ids, with the upper-lid points moved to the lid line when blinking."""
    vid = head.lm_vid.copy()
    if blink <= 0.05:
        return vid
    for eye, (ups, los) in enumerate((((37, 38), (41, 40)), ((43, 44), (47, 46)))):
        cand = head.eye_vid[eye][head.eye_v[eye] >= 1.0 - blink]
        if len(cand) == 0:
            continue
        for up, lo in zip(ups, los):
            target = pts[head.lm_vid[up]] * (1 - blink) + pts[head.lm_vid[lo]] * blink
            d = ((pts[cand, :2] - target[:2]) ** 2).sum(1)
            vid[up] = cand[np.argmin(d)]
    return vid


def build_scene(p: dict) -> Scene:
    """Steps 1-2 of a render: deform the head, colour and label it, add parts and accessories."""
    head = head_model()
    # 1. geometry, labels and albedo of the face mask
    weights, blink = shape_weights(p)
    pts = _deform(head, weights, blink)
    hair_rgb = hair_colour(float(p["hair_colour"]), float(p["hair_red"]), float(p["hair_grey"]))
    has_hair = float(p["hair_density"]) > 0.05
    labels = head.labels.copy()
    # the identity's brows: the template brow's upper edge, its own height and taper
    look = feature_look(p)
    cand = brow_candidates()
    labels[cand] = FS.index("skin")
    bids, blab = brow_vertices(look)
    labels[bids] = blab
    # hairline above the brows, curving up at the temples: forehead skin above it is scalp hair
    above = head.forehead_h - hairline_height(head.points0_f32[: head.n_template, 0], float(p["hairline"]))
    if has_hair:
        labels[(above > 0) & (labels == FS.index("skin"))] = FS.index("hair")
    beard = float(p["beard"])
    if beard > 0.15:
        labels[head.beard_zone] = FS.index("beard")
    alb_t = _template_albedo(head, p, hair_rgb, labels, look)
    if has_hair:
        # no hard seam: forehead skin darkens into the scalp over 6 mm above the hairline
        scalp = labels == FS.index("hair")
        blend = _smooth01(above[scalp] / 0.006)[:, None]
        alb_t[scalp] = alb_t[scalp] * (1 - blend) + hair_rgb * 0.9 * blend
    if beard > 0.15:
        m = head.beard_zone
        alb_t[m] = alb_t[m] * (1 - 0.85 * beard) + 0.85 * beard * hair_rgb
    lm3 = pts[_lid_landmarks(head, pts, blink)].astype(np.float64)
    eye_c = np.array([c + b @ weights for c, b in zip(head.eyeball_c0, head.eyeball_basis)])
    # 2. assemble: face mask, parts that follow it, accessories, clothing
    verts, tris, albs, labs, mats = [pts[: head.n_template]], [head.template_tris], [alb_t], [labels], \
        [np.zeros(head.n_template, np.uint8)]
    n_verts = [head.n_template]

    def add(v: np.ndarray, t: np.ndarray, alb: np.ndarray, lab: np.ndarray, mat: np.ndarray) -> None:
        tris.append(t + n_verts[0])
        n_verts[0] += len(v)
        verts.append(v)
        albs.append(alb)
        labs.append(lab)
        mats.append(mat)

    skin = raster.masked_mean(alb_t, labels, FS.index("skin"))
    for name in head.default_parts:
        part = head.parts[name]
        n = part.stop - part.start
        lab = part.label.copy()
        mat = part.material.copy()
        if name.startswith("eyeball"):
            alb = np.tile(SCLERA_RGB, (n, 1))
        elif name == "mouth":
            alb = np.where(head.mouth_teeth[:, None] > 0, [0.85, 0.82, 0.74], [0.35, 0.08, 0.08])
        elif name == "skull":
            sv = pts[part.start:part.stop]
            scalp = (sv[:, 2] < 0.03) | (sv[:, 1] - head.brow_top > hairline_height(sv[:, 0], float(p["hairline"])))
            scalp &= has_hair
            alb = np.where(scalp[:, None], hair_rgb * 0.85, skin[None])
            lab[:] = np.where(scalp, FS.index("hair"), FS.index("skin"))
            mat[~scalp] = MAT_SKIN
        else:
            alb = np.tile(raster.masked_mean(alb_t, labels, FS.index("neck")), (n, 1))
        add(pts[part.start:part.stop], part.tris, alb.astype(np.float32), lab, mat)
    acc_rgb = accessory_rgb(float(p["accessory_hue"]), float(p["accessory_value"]))
    pieces: list[Piece] = []
    lenses: list[Piece] = []
    hat_line = None
    if p["glasses"] != "none":
        pieces, lenses = glasses(lm3, p["glasses"], acc_rgb * 0.4 if p["glasses"] == "sun" else acc_rgb)
    if p["hat"] != "none":
        piece, hat_line = hat(head, lm3, p["hat"], acc_rgb)
        pieces.append(piece)
        # the top of the face mask lies under the hat: drop it so it cannot poke through the crown
        under = pts[: head.n_template, 1] > hat_line + 0.035
        tris[0] = tris[0][~under[tris[0]].all(1)]
    if p["headphones"] != "none":
        pieces.append(headphones(head, lm3, accessory_rgb(float(p["accessory_hue"]) + 0.5, 0.25)))
    if p["mask"] != "none":
        pieces.append(face_mask(head, pts, np.array([0.75, 0.85, 0.95]) * (0.6 + 0.4 * float(p["accessory_value"]))))
    shirt = accessory_rgb(float(p["accessory_hue"]) + 0.3, float(p["accessory_value"]), 0.4)
    second = accessory_rgb(float(p["accessory_hue"]) + 0.55, 0.9 - 0.6 * float(p["accessory_value"]), 0.25)
    body = clothing(p["clothing"], shirt, float(p["bg_seed"]) * 10 % 1, second)
    for pc in [*pieces, body]:
        add(pc.verts, pc.tris, pc.albedo, np.full(len(pc.verts), pc.label, np.uint8),
            np.full(len(pc.verts), pc.material, np.uint8))
    all_v = np.concatenate(verts).astype(np.float32)
    body_start = n_verts[0] - len(body.verts)
    # the lower neck follows the body, the upper neck the head (linear blend skinning), so a turned or
    # tilted head cannot push the neck through the garment or open a gap inside it
    bw = _smooth01((NECK_HEAD_Y - all_v[:body_start, 1]) / (NECK_HEAD_Y - NECK_BODY_Y))
    neck_ids = np.nonzero(bw > 0)[0].astype(np.int32)
    return Scene(
        pts=pts, verts=all_v, neck_ids=neck_ids, neck_w=bw[neck_ids].astype(np.float32),
        tris=np.ascontiguousarray(np.concatenate(tris).astype(np.int32)), n_culled=len(tris[0]),
        albedo=np.ascontiguousarray(np.concatenate(albs).astype(np.float32)),
        label=np.ascontiguousarray(np.concatenate(labs).astype(np.uint8)),
        material=np.ascontiguousarray(np.concatenate(mats).astype(np.uint8)),
        body_start=body_start, lenses=lenses, hat_line=hat_line, lm3=lm3,
        eye_centres=eye_c, hair_rgb=hair_rgb, has_hair=has_hair, blink=blink, look=look,
    )
