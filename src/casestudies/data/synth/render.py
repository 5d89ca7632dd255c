"""``render_sample``: one seeded render with every label, from a parameter dict (see ``knobs.KNOBS``).

Frames: the *world* frame is the neutral head frame (metres, ``x`` image-right, ``y`` up, ``z`` towards
the viewer). The camera follows OpenCV (``x`` right, ``y`` down, ``z`` forward): a world point ``X``
maps to ``R @ X + t`` and projects with ``K`` to pixels whose origin is the centre of the top-left
pixel. Clothing follows the body, which turns a quarter as much as the head.
"""

from __future__ import annotations

import functools

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
from casestudies.data.synth.backgrounds import background
from casestudies.data.synth.geometry import (
    EYEBALL_RADIUS,
    MAT_SKIN,
    SHAPES,
    HeadModel,
    head_model,
)
from casestudies.data.synth.hair import hair_colour, hairline_height, scalp_strands, short_strands
from casestudies.data.synth.knobs import GENERATOR_VERSION, validate_params
from casestudies.data.synth.post import blur_layers, colour_jitter, jpeg, rough_landmarks, rough_seg
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS

HEAD_HEIGHT = 0.23  # chin to crown, metres (framing)
LOOK_AT = np.array([0.0, 0.005, 0.03])  # framing centre in the head frame
PIVOT = np.array([0.0, -0.07, -0.01])  # neck pivot of the head rotation
CV = np.diag([1.0, -1.0, -1.0])  # world (y up, z to viewer) -> camera (y down, z forward)
MAT_SPEC = np.array([0.18, 0.6, 0.35, 0.03, 0.25, 0.3, 0.5], np.float32)  # skin, eye, glossy, cloth, hair, mouth, lens
MAT_SHINE = np.array([14.0, 250.0, 60.0, 4.0, 20.0, 20.0, 300.0], np.float32)
SKIN_RAMP = np.array([[0.95, 0.78, 0.68], [0.87, 0.66, 0.54], [0.74, 0.52, 0.39], [0.57, 0.38, 0.26],
                      [0.40, 0.25, 0.17], [0.25, 0.16, 0.11]])
HAIR_WIDTH_PX = 0.6
TONE = 1.15  # midtone contrast of the camera tone curve x^a / (x^a + (1 - x)^a)
GAMMA = 1.5  # encoding: albedos are linearised by ** GAMMA, renders encoded by ** (1 / GAMMA); 1.5 rather than
# the physical 2.2 keeps more shading contrast, which the Haar realism check favours (docs/generator.md)
STRANDS_PER_128 = 1400


def _encode_lut(n: int = 4096) -> np.ndarray:
    x = np.linspace(0, 1, n) ** (1 / GAMMA)
    return (x**TONE / (x**TONE + (1 - x) ** TONE)).astype(np.float32)


ENCODE_LUT = _encode_lut()  # linear [0, 1] -> encoded display value


def _rot(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Head rotation (world frame): yaw about +y, then pitch (nose up), then roll (CCW in the image)."""
    a, b, c = np.deg2rad([yaw, -pitch, roll])
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ rx @ ry


def kelvin_rgb(k: float) -> np.ndarray:
    """Approximate RGB of a black body at ``k`` kelvin, normalised to a max of 1."""
    ks = [2700, 4000, 5500, 6500, 8000]
    tab = np.array([[1.0, 0.66, 0.40], [1.0, 0.80, 0.62], [1.0, 0.92, 0.85], [1.0, 0.98, 0.98], [0.85, 0.90, 1.0]])
    rgb = np.array([np.interp(k, ks, tab[:, i]) for i in range(3)])
    return rgb / rgb.max()


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


@functools.lru_cache(maxsize=1)
def scan_albedo() -> np.ndarray:
    """Photographic skin detail per template vertex from the james scan texture (N x 3, mean ~1).

    The scan's texture has its capture lighting baked in; dividing by a mesh-smoothed copy (about
    2 cm across) keeps pores, blemishes, brows, lashes and lip colour and drops the shading.
    """
    import scipy.sparse as sp

    head = head_model()
    tex = load_scan()[3]
    h, w = tex.shape[:2]
    u = np.clip((head.uv[:, 0] * (w - 1)).round().astype(int), 0, w - 1)
    v = np.clip(((1 - head.uv[:, 1]) * (h - 1)).round().astype(int), 0, h - 1)
    col = tex[v, u] / 255.0 + 0.02
    t = head.template_tris
    n = head.n_template
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2], t[:, 1], t[:, 2], t[:, 0]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0], t[:, 0], t[:, 1], t[:, 2]])
    adj = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    adj = sp.diags(1.0 / np.maximum(np.asarray(adj.sum(1)).ravel(), 1)) @ adj
    smooth = col.copy()
    for _ in range(60):
        smooth = 0.5 * smooth + 0.5 * (adj @ smooth)
    ratio = np.clip(col / smooth, 0.35, 1.6)
    ears = np.isin(head.labels, [FS.index("right_ear"), FS.index("left_ear")])
    ratio[ears] = 1.0  # the scan's ears map to unreliable texture
    return ratio.astype(np.float32)


def _template_albedo(head: HeadModel, p: dict, hair_rgb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Skin albedo per template vertex, with lips, brows, eye openings, hairline and beard tinted."""
    tone = skin_rgb(float(p["skin_tone"]), float(p["skin_hue"]))
    if p["skin_texture"] == "scan":
        scan = scan_albedo()
        alb = scan ** (0.5 + float(p["texture_detail"])) * tone * (head.cavity * head.ao_shade)[:, None]
    else:
        td = float(p["texture_detail"])
        # albedo = tone * (tint + td * detail), tint/detail precomputed per vertex in the head model
        alb = (tone.astype(np.float32)[None] * (head.skin_tint + td * head.skin_detail)
               + td * head.skin_red)
    for vid, vv in zip(head.eye_vid, head.eye_v):
        # inside of the lids: a darker, pinker version of the skin, shadowed under the upper lid
        alb[vid] = (tone * 0.6 + np.array([0.1, 0.02, 0.02]))[None] * (1.0 - 0.5 * np.clip((vv[:, None] - 0.5) * 2, 0, 1))
    brow = np.isin(labels, [FS.index("right_brow"), FS.index("left_brow")])
    bd = float(p["brow_density"])
    brow_rgb = np.minimum(hair_rgb * 0.5, tone * 0.45)  # brows darker than the hair and than the skin
    alb[brow] = alb[brow] * (1 - 0.9 * bd) + 0.9 * bd * brow_rgb
    return np.clip(alb, 0, 1).astype(np.float32)


def _deform(head: HeadModel, p: dict) -> np.ndarray:
    """Deformed point set (template + parts) in the head frame."""
    w = np.array([float(p[k]) for k in SHAPES], np.float32)
    pts = raster.blend(head.points0_f32.reshape(-1), head.basis_t, w).reshape(-1, 3)
    # eyelids: push the opening back behind the eyeball; blinking closes it from the top
    b = float(p["blink"])
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


def render_sample(params: dict, size: int = 128, seed: int = 0, domain: str = "custom") -> dict:
    """Render one face with every label.

    Returns the Sample contract: ``image``, ``seg`` (facesynthetics19), ``alpha``, ``foreground``,
    ``background``, ``landmarks`` (68 x 2, pixels, origin at the centre of the top-left pixel),
    ``landmarks_visible``, ``pupils`` (subject's right first), ``depth`` (camera z, metres, 0 = no
    surface), ``normals`` (camera frame, unit, 0 = no surface) and ``meta``.

    >>> from casestudies.data.synth import default_params
    >>> s = render_sample(default_params(), size=64)
    >>> s["image"].shape, s["seg"].dtype
    ((64, 64, 3), dtype('uint8'))
    """
    validate_params(params)
    p = params
    rng = np.random.default_rng(seed)
    head = head_model()
    h = w = int(size)
    # 1. geometry in the head frame
    pts = _deform(head, p)
    hair_rgb = hair_colour(float(p["hair_colour"]), float(p["hair_red"]))
    has_hair = float(p["hair_density"]) > 0.05
    labels = head.labels.copy()
    # hairline above the brows, curving up at the temples (an "M"): forehead skin above it is scalp hair
    above = head.forehead_h - hairline_height(head.points0_f32[: head.n_template, 0], float(p["hairline"]))
    if has_hair:
        labels[(above > 0) & (labels == FS.index("skin"))] = FS.index("hair")
    beard = float(p["beard"])
    if beard > 0.15:
        labels[head.beard_zone] = FS.index("beard")
    alb_t = _template_albedo(head, p, hair_rgb, labels)
    if has_hair:
        m = labels == FS.index("hair")
        alb_t[m] = hair_rgb * 0.9
    if beard > 0.15:
        m = head.beard_zone
        alb_t[m] = alb_t[m] * (1 - 0.85 * beard) + 0.85 * beard * hair_rgb
    lm_vid = _lid_landmarks(head, pts, float(p["blink"]))
    lm3 = pts[lm_vid].astype(np.float64)
    acc_rgb = accessory_rgb(float(p["accessory_hue"]), float(p["accessory_value"]))
    # 2. assemble the mesh: template, parts, accessories
    verts = [pts[: head.n_template]]
    tris = [head.template_tris]
    albs = [alb_t]
    labs = [labels]
    mats = [np.zeros(head.n_template, np.uint8)]
    n_head = head.n_template

    def add(v, t, alb, lab, mat):
        nonlocal n_head
        tris.append(t + sum(len(x) for x in verts))
        verts.append(v)
        albs.append(alb)
        labs.append(lab)
        mats.append(mat)

    skin = alb_t[labels == FS.index("skin")].mean(0)
    for name in head.default_parts:
        part = head.parts[name]
        n = part.stop - part.start
        lab = part.label.copy()
        if name.startswith("eyeball"):
            alb = np.tile([0.56, 0.52, 0.5], (n, 1))
        elif name == "mouth":
            alb = np.where(head.mouth_teeth[:, None] > 0, [0.85, 0.82, 0.74], [0.35, 0.08, 0.08]) * 1.0
        elif name == "skull":
            sv = pts[part.start:part.stop]
            scalp = (sv[:, 2] < 0.03) | (sv[:, 1] - head.brow_top > hairline_height(sv[:, 0], float(p["hairline"])))
            scalp &= has_hair
            alb = np.where(scalp[:, None], hair_rgb * 0.85, skin[None])
            lab[:] = np.where(scalp, FS.index("hair"), FS.index("skin"))
        else:
            alb = np.tile(alb_t[labels == FS.index("neck")].mean(0), (n, 1))
        mat = part.material.copy()
        if name == "skull":
            mat[lab == FS.index("skin")] = MAT_SKIN
        add(pts[part.start:part.stop], part.tris, alb.astype(np.float32), lab, mat)
    n_head_verts = sum(len(x) for x in verts)
    pieces: list[Piece] = []
    lenses: list[Piece] = []
    hat_line = None
    if p["glasses"] != "none":
        frames, lenses = glasses(lm3, p["glasses"], acc_rgb * 0.4 if p["glasses"] == "sun" else acc_rgb)
        pieces += frames
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
    body = [clothing(p["clothing"], accessory_rgb(float(p["accessory_hue"]) + 0.3, float(p["accessory_value"]), 0.4),
                     float(p["bg_seed"]) * 10 % 1)]
    for pc in pieces + body:
        add(pc.verts, pc.tris, pc.albedo, np.full(len(pc.verts), pc.label, np.uint8), np.full(len(pc.verts), pc.material, np.uint8))
    n_body_start = sum(len(x) for x in verts) - len(body[0].verts)
    world = np.concatenate(verts).astype(np.float32)
    all_tris = np.ascontiguousarray(np.concatenate(tris).astype(np.int32))
    # shading is done in linear light: albedos (sRGB-like values) are linearised, the result re-encoded
    albedo = np.ascontiguousarray(np.concatenate(albs).astype(np.float32))  # linearised per pixel in shade()
    label = np.ascontiguousarray(np.concatenate(labs).astype(np.uint8))
    material = np.ascontiguousarray(np.concatenate(mats).astype(np.uint8))
    del n_head_verts

    # 3. camera: intrinsics from the FOV, distance from the head size in the frame
    f = (h / 2) / np.tan(np.deg2rad(float(p["fov"])) / 2)
    K = np.array([[f, 0, (w - 1) / 2], [0, f, (h - 1) / 2], [0, 0, 1]])
    dist = f * HEAD_HEIGHT / (float(p["face_size"]) * h)
    shift = np.array([float(p["offset_x"]) * w * dist / f, -float(p["offset_y"]) * h * dist / f, 0.0])
    r_head = _rot(float(p["yaw"]), float(p["pitch"]), float(p["roll"]))
    r_body = _rot(0.25 * float(p["yaw"]), 0.0, 0.2 * float(p["roll"]))
    cam_c = LOOK_AT + np.array([0, 0, dist])

    def extr(r):
        return CV @ r, CV @ (PIVOT - r @ PIVOT + shift - cam_c)

    R, t = extr(r_head)
    Rb, tb = extr(r_body)
    cam = world @ R.T.astype(np.float32) + t.astype(np.float32)
    cam[n_body_start:] = world[n_body_start:] @ Rb.T.astype(np.float32) + tb.astype(np.float32)
    sx = (cam[:, 0] / cam[:, 2] * f + K[0, 2]).astype(np.float32)
    sy = (cam[:, 1] / cam[:, 2] * f + K[1, 2]).astype(np.float32)
    sz = np.ascontiguousarray(cam[:, 2])
    # 4. rasterise
    zbuf = np.full((h, w), np.inf, np.float32)
    tid = np.full((h, w), -1, np.int32)
    bary = np.zeros((h, w, 2), np.float32)
    nt = len(tris[0])
    raster.raster_triangles(sx, sy, sz, all_tris[:nt], zbuf, tid, bary, False, 0, True)
    raster.raster_triangles(sx, sy, sz, all_tris[nt:], zbuf, tid, bary, False, nt, False)
    nrm = raster.vertex_normals(cam, all_tris)
    # 5. lights (camera frame, unit vectors towards the light) and shadow maps
    lights, colours = [], []
    for key in ("key", "fill"):
        inten = float(p[f"{key}_intensity"])
        if inten <= 0.01:
            continue
        az = np.deg2rad(float(p[f"{key}_azimuth"]))
        el = np.deg2rad(float(p["key_elevation"]) if key == "key" else 10.0)
        d = np.array([np.sin(az) * np.cos(el), -np.sin(el), -np.cos(az) * np.cos(el)])
        lights.append(d)
        colours.append(kelvin_rgb(float(p[f"{key}_temperature"])) * inten)
    nl = len(lights)
    light_dir = np.array(lights, np.float32).reshape(nl, 3)
    light_rgb = np.array(colours, np.float32).reshape(nl, 3)
    sm = 192 if h <= 128 else 256
    smaps = np.full((max(nl, 1), sm, sm), np.inf, np.float32)
    sbasis = np.zeros((max(nl, 1), 3, 3), np.float32)
    sorigin = np.zeros((max(nl, 1), 3), np.float32)
    extent = 0.5
    sscale = np.full(max(nl, 1), sm / extent, np.float32)
    centre = (LOOK_AT - cam_c) * [1, -1, -1] + shift * [1, -1, 1]
    for i in range(nl):
        wv = -light_dir[i]
        uv = np.cross(wv, [0.0, 1.0, 0.0])
        uv /= np.linalg.norm(uv)
        vv = np.cross(wv, uv)
        basis = np.stack([uv, vv, wv]).astype(np.float32)
        origin = (centre - wv * 1.0).astype(np.float32)
        sbasis[i], sorigin[i] = basis, origin
        if p["shadows"] == "on":
            q = (cam - origin) @ basis.T  # float32
            qx = (q[:, 0] * sscale[i] + (sm - 1) / 2).astype(np.float32)
            qy = (q[:, 1] * sscale[i] + (sm - 1) / 2).astype(np.float32)
            qz = np.ascontiguousarray(q[:, 2].astype(np.float32))
            scratch_t = np.full((sm, sm), -1, np.int32)
            scratch_b = np.zeros((sm, sm, 2), np.float32)
            # the face mask casts shadows from its coarse copy (a hat hides nothing that matters here)
            raster.raster_triangles(qx, qy, qz, head.shadow_tris, smaps[i], scratch_t, scratch_b, True, 0, True)
            raster.raster_triangles(qx, qy, qz, all_tris[nt:], smaps[i], scratch_t, scratch_b, True, nt, False)
    # 6. shade
    eye_c = np.array([c + b @ np.array([float(p[k]) for k in SHAPES]) for c, b in zip(head.eyeball_c0, head.eyeball_basis)])
    gz = _rot(float(p["gaze_yaw"]), float(p["gaze_pitch"]), 0.0) @ np.array([0.0, 0.0, 1.0])
    eye_c_cam = (eye_c @ R.T + t).astype(np.float32)
    gaze_cam = np.tile((R @ gz).astype(np.float32), (2, 1))
    iris = np.tile(iris_rgb(float(p["eye_colour"])) ** GAMMA, (2, 1)).astype(np.float32)
    eye_cos = np.array([np.cos(np.deg2rad(37.0)), np.cos(np.deg2rad(13.0 + 4 * float(p["ambient"])))], np.float32)
    amb = (float(p["ambient"]) * np.array([1.0, 1.0, 1.0])).astype(np.float32)
    fg = np.zeros((h, w, 3), np.float32)
    seg = np.zeros((h, w), np.uint8)
    depth = np.zeros((h, w), np.float32)
    normals = np.zeros((h, w, 3), np.float32)
    raster.shade(tid, bary, all_tris, cam, nrm, albedo, label, material, MAT_SPEC, MAT_SHINE,
                 eye_c_cam, gaze_cam, eye_cos, iris, light_dir, light_rgb, amb,
                 smaps, sbasis, sorigin, sscale, np.float32(0.012), np.float32(GAMMA), fg, seg, depth, normals)
    mesh = tid >= 0
    alpha = mesh.astype(np.float32)
    # 7. clear lenses: a see-through layer in front of the z-buffer
    if lenses:
        lv = np.concatenate([x.verts for x in lenses])
        lt = np.concatenate([x.tris + 0 for x in lenses[:1]] + [lenses[1].tris + len(lenses[0].verts)] if len(lenses) > 1 else [lenses[0].tris])
        lc = (lv @ R.T + t).astype(np.float32)
        lz = zbuf.copy()
        ltid = np.full((h, w), -1, np.int32)
        raster.raster_triangles((lc[:, 0] / lc[:, 2] * f + K[0, 2]).astype(np.float32),
                                (lc[:, 1] / lc[:, 2] * f + K[1, 2]).astype(np.float32),
                                np.ascontiguousarray(lc[:, 2]), lt.astype(np.int32), lz, ltid,
                                np.zeros((h, w, 2), np.float32), False, 0)
        lm_ = ltid >= 0
        o = 0.14
        tint = np.array([0.7, 0.83, 1.0], np.float32) * (float(p["ambient"]) + 0.4) * 0.5
        new_a = o + (1 - o) * alpha[lm_]
        fg[lm_] = (o * tint + (1 - o) * alpha[lm_, None] * fg[lm_]) / new_a[:, None]
        seg[lm_ & ~mesh] = FS.index("glasses")
        alpha[lm_] = new_a
    # 8. hair strands (scalp, brows, beard), anti-aliased with coverage
    strands = [scalp_strands(head, p, rng, int(STRANDS_PER_128 * h / 128), hat_line)]
    slabel = [np.full(len(strands[0]), FS.index("hair"), np.uint8)]
    scol = [np.tile(hair_rgb, (len(strands[0]), 1))]
    tn = pts[: head.n_template]
    R32 = R.astype(np.float32)
    for cls, sgn in (("right_brow", -1.0), ("left_brow", 1.0)):
        ids = np.nonzero(head.labels == FS.index(cls))[0]
        k = int(len(ids) * 0.4 * float(p["brow_density"]))
        if k:
            ids = rng.choice(ids, k)
            s = short_strands(tn[ids], nrm[ids] @ R32, np.array([sgn * 1.0, 0.25, 0.0]), 0.007, rng)
            strands.append(s)
            slabel.append(np.full(k, FS.index(cls), np.uint8))
            scol.append(np.tile(np.minimum(hair_rgb * 0.45, skin_rgb(float(p["skin_tone"]), 0.0) * 0.4), (k, 1)))
    if has_hair and float(p["hair_length"]) > 0.005:
        # fine strands along the hairline soften its edge, combed up and back
        cand = pts[head.fuzz_pool]
        gap = cand[:, 1] - head.brow_top - hairline_height(cand[:, 0], float(p["hairline"]))
        ids = head.fuzz_pool[np.abs(gap) < 0.004]
        k = int(min(len(ids) * 4, 260 * float(p["hair_density"]) * h / 128))
        if k and hat_line is None:
            ids = rng.choice(ids, k)
            s = short_strands(pts[ids], nrm[ids] @ R32, np.array([0.0, 0.7, -0.8]), min(0.015, float(p["hair_length"])), rng, 3)
            strands.append(s)
            slabel.append(np.full(k, FS.index("hair"), np.uint8))
            scol.append(np.tile(hair_rgb, (k, 1)))
    if beard > 0.15:
        ids = np.nonzero(head.beard_zone)[0]
        k = int(len(ids) * 0.25 * beard * min(1.0, h / 128))
        ids = rng.choice(ids, k)
        s = short_strands(tn[ids], nrm[ids] @ R32, np.array([0.0, -0.8, 0.2]), float(p["beard_length"]), rng)
        strands.append(s)
        slabel.append(np.full(k, FS.index("beard"), np.uint8))
        scol.append(np.tile(hair_rgb, (k, 1)))
    hcov = np.zeros((h, w), np.float32)
    if sum(len(s) for s in strands):
        hcov = _draw_strands(strands, slabel, scol, R, t, f, K, zbuf, light_dir, light_rgb, amb, rng, fg, alpha, seg, mesh)
    # 9. landmarks, pupils, visibility
    lmc = lm3 @ R.T + t
    lm2 = np.stack([lmc[:, 0] / lmc[:, 2] * f + K[0, 2], lmc[:, 1] / lmc[:, 2] * f + K[1, 2]], 1)
    vis = _visible(lm2, lmc[:, 2], zbuf, hcov)
    pup_c = eye_c_cam + EYEBALL_RADIUS * gaze_cam
    pup2 = np.stack([pup_c[:, 0] / pup_c[:, 2] * f + K[0, 2], pup_c[:, 1] / pup_c[:, 2] * f + K[1, 2]], 1)
    pup_vis = _visible(pup2, pup_c[:, 2], zbuf, hcov) & (float(p["blink"]) < 0.7)
    # 10. exposure, encoding, post-processing on the layers, then the exact composite, then JPEG
    bg = background(p, h, np.random.default_rng([seed, int(float(p["bg_seed"]) * 1e6)])).astype(np.float32) / 255
    # auto-exposure in linear light: the visible skin metered to mid-grey (centre-weighted), then the
    # exposure knob in stops; the same gain scales the background
    face = (seg == FS.index("skin")) & (alpha > 0.99)
    target = 0.45**GAMMA  # mid-grey
    lum = float(fg[face].mean()) if face.sum() > 4 else target
    scene = float((alpha[..., None] * fg).mean() + ((1 - alpha).mean() * float(bg.mean())) ** GAMMA)
    lum = 0.85 * lum + 0.15 * scene
    gain = float(np.clip(target / max(lum, 1e-4), 0.4, 8.0) * 2.0 ** float(p["exposure"]))
    # encode (gamma, then the camera's S-shaped tone curve) through a lookup table
    fg = ENCODE_LUT[np.minimum(fg * (gain * (len(ENCODE_LUT) - 1)), len(ENCODE_LUT) - 1).astype(np.int32)]
    bg = bg * gain ** (1 / GAMMA)
    fg, alpha = blur_layers(fg, alpha, float(p["blur"]) * h / 128)
    fg = colour_jitter(fg, p)
    bg = colour_jitter(bg, p)
    if float(p["noise"]) > 0:
        noise = np.random.default_rng([seed, 7]).standard_normal((h, w, 3), dtype=np.float32) * np.float32(p["noise"])
        fg += noise
        bg += noise
    fg8 = np.clip(fg * 255 + 0.5, 0, 255).astype(np.uint8)
    bg8 = np.clip(bg * 255 + 0.5, 0, 255).astype(np.uint8)
    fg8[alpha <= 0] = 0
    # alpha on the 16-bit grid and normals on the float16 grid, so the on-disk files round-trip exactly
    alpha = np.round(np.clip(alpha, 0, 1) * 65535).astype(np.uint16).astype(np.float32) / np.float32(65535)
    normals = normals.astype(np.float16).astype(np.float32)
    img = alpha[..., None] * fg8.astype(np.float32) + (1 - alpha[..., None]) * bg8.astype(np.float32)
    img8 = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    q = int(round(float(p["jpeg_quality"])))
    if q < 100:
        img8 = jpeg(img8, q)
    # 11. human-style rough labels (stand-in presets)
    rough = float(p["label_roughness"])
    lab_rng = np.random.default_rng([seed, 11])
    seg_out = rough_seg(seg, rough)
    lm_out = rough_landmarks(lm2.astype(np.float32), rough, lab_rng)
    head_pose = {"yaw": float(p["yaw"]), "pitch": float(p["pitch"]), "roll": float(p["roll"])}
    gaze_vec = gaze_cam[0].astype(float).tolist()
    meta = {
        "domain": domain,
        "is_standin": domain.startswith("standin"),
        "source_id": f"{domain}/{seed}",
        "generator_version": GENERATOR_VERSION,
        "taxonomy": "facesynthetics19",
        "seed": int(seed),
        "size": h,
        "camera": {"K": K.tolist(), "R": R.tolist(), "t": t.tolist(), "distance_m": float(dist),
                   "convention": "X_cam = R @ X_world + t; OpenCV axes; world = neutral head frame (m, y up)"},
        "pose": head_pose,
        "gaze": {"vector_cam": gaze_vec, "yaw": float(p["gaze_yaw"]), "pitch": float(p["gaze_pitch"])},
        "landmarks_visible": vis.tolist(),
        "pupils_visible": pup_vis.tolist(),
        "landmarks_depth": lmc[:, 2].astype(float).tolist(),
        "composite_exact": q >= 100,
        "rough_labels": ["seg", "landmarks"] if rough > 0 else [],
        "params": dict(p),
    }
    return {
        "image": img8, "seg": seg_out, "alpha": alpha.astype(np.float32), "foreground": fg8, "background": bg8,
        "landmarks": lm_out, "landmarks_visible": vis, "pupils": pup2.astype(np.float32),
        "depth": depth, "normals": normals, "meta": meta,
    }


def _visible(pts2: np.ndarray, z: np.ndarray, zbuf: np.ndarray, hcov: np.ndarray, tol: float = 0.004) -> np.ndarray:
    """Depth test: visible if a surface within ``tol`` metres of the point lies in its 3x3 pixel window
    and scalp hair covers less than half of its pixel. Physical, not annotator, visibility: jaw-outline
    points just behind the cheek's silhouette count as hidden."""
    h, w = zbuf.shape
    out = np.zeros(len(pts2), bool)
    for i, (x, y) in enumerate(pts2):
        ix, iy = int(round(x)), int(round(y))
        if not (0 <= ix < w and 0 <= iy < h) or hcov[iy, ix] >= 0.5:
            continue
        win = zbuf[max(iy - 1, 0):iy + 2, max(ix - 1, 0):ix + 2]
        out[i] = bool((np.abs(win - z[i]) < tol).any())
    return out


def _draw_strands(strands, slabel, scol, R, t, f, K, zbuf, light_dir, light_rgb, amb, rng, fg, alpha, seg, mesh):
    """Project, shade (Kajiya-Kay-like) and rasterise strands, then composite them over the layers."""
    h, w = zbuf.shape
    segs_a, segs_b, cols, labs = [], [], [], []
    for s, lab, col in zip(strands, slabel, scol):
        if len(s) == 0:
            continue
        c = s @ R.T + t
        a, b = c[:, :-1].reshape(-1, 3), c[:, 1:].reshape(-1, 3)
        tang = b - a
        tang /= np.linalg.norm(tang, axis=1, keepdims=True) + 1e-12
        shade = amb.mean() * np.ones(len(a), np.float32)
        for ld, lc in zip(light_dir, light_rgb):
            shade = shade + lc.mean() * (0.35 * np.sqrt(np.clip(1 - (tang @ ld) ** 2, 0, 1)) + 0.25)
        nseg = s.shape[1] - 1
        tip = np.tile(np.linspace(0.8, 1.1, nseg), len(s))
        jitter = np.repeat(rng.uniform(0.85, 1.15, len(s)), nseg)
        cols.append(np.repeat(col**GAMMA, nseg, 0) * (shade * tip * jitter)[:, None])
        labs.append(np.repeat(lab, nseg))
        segs_a.append(a)
        segs_b.append(b)
    a = np.concatenate(segs_a)
    b = np.concatenate(segs_b)
    px = lambda q, i: (q[:, i] / q[:, 2] * f + K[i, 2]).astype(np.float32)  # noqa: E731
    hcov = np.zeros((h, w), np.float32)
    acc = np.zeros((h, w, 3), np.float32)
    wsum = np.zeros((h, w), np.float32)
    hlab = np.zeros((h, w), np.uint8)
    hbest = np.zeros((h, w), np.float32)
    width = np.full(len(a), HAIR_WIDTH_PX, np.float32)
    raster.raster_strands(px(a, 0), px(a, 1), a[:, 2].astype(np.float32), px(b, 0), px(b, 1), b[:, 2].astype(np.float32),
                          width, np.concatenate(cols).astype(np.float32), np.concatenate(labs), zbuf, hcov, acc, wsum, hlab, hbest)
    m = hcov > 0
    hc = acc[m] / np.maximum(wsum[m], 1e-6)[:, None]
    c = hcov[m][:, None]
    new_a = c[:, 0] + (1 - c[:, 0]) * alpha[m]
    fg[m] = (c * hc + (1 - c) * alpha[m][:, None] * fg[m]) / np.maximum(new_a, 1e-6)[:, None]
    alpha[m] = new_a
    cover = hcov >= 0.5
    seg[cover] = hlab[cover]
    # scalp hair hides what is under it; brow and beard strands grow on the points they mark
    return np.where(hlab == FS.index("hair"), hcov, 0.0).astype(np.float32)
