"""``render_sample``: one seeded render with every label, from a parameter dict (see ``knobs.KNOBS``).

Frames: the *world* frame is the neutral head frame (metres, ``x`` image-right, ``y`` up, ``z`` towards
the viewer). The camera follows OpenCV (``x`` right, ``y`` down, ``z`` forward): a world point ``X``
maps to ``R @ X + t`` and projects with ``K`` to pixels whose origin is the centre of the top-left
pixel. Clothing follows the body, which turns a quarter as much as the head.

Steps (numbered as in ``render_sample``): 1-2 build the scene (``scene.build_scene``); 3 camera;
4 rasterise; 5 lights and shadow maps; 6 shade, 6b anti-aliased silhouette alpha; 7 clear lenses; 8 hair strands; 9 landmarks and
visibility; 10 exposure, encoding, post-processing and the exact composite; 11 human-style labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from casestudies.data.synth import raster
from casestudies.data.synth.backgrounds import background, dominant_light, environment_irradiance
from casestudies.data.synth.features import brow_coverage
from casestudies.data.synth.geometry import EYEBALL_RADIUS, head_model
from casestudies.data.synth.hair import hairline_height, scalp_strands, short_strands
from casestudies.data.synth.knobs import GENERATOR_VERSION, validate_params
from casestudies.data.synth.post import blur_layers, colour_jitter, jpeg, rough_landmarks, rough_seg
from casestudies.data.synth.scene import Scene, build_scene, iris_rgb, skin_rgb
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS

HEAD_HEIGHT = 0.23  # chin to crown, metres (framing)
LOOK_AT = np.array([0.0, 0.005, 0.03])  # framing centre in the head frame
PIVOT = np.array([0.0, -0.07, -0.01])  # neck pivot of the head rotation
CV = np.diag([1.0, -1.0, -1.0])  # world (y up, z to viewer) -> camera (y down, z forward)
# skin, eye, glossy, cloth, hair, mouth, lens, and (7) the oily-skin lobe
MAT_SPEC = np.array([0.18, 0.6, 0.35, 0.03, 0.25, 0.3, 0.5, 0.0], np.float32)
MAT_SHINE = np.array([14.0, 250.0, 60.0, 4.0, 20.0, 20.0, 300.0, 70.0], np.float32)
HAIR_WIDTH_PX = 0.6
STRANDS_PER_128 = 1400  # scalp strands at 128 px at full density (scaled with the image size)
LENS_OPACITY = 0.14
SHADOW_EXTENT = 0.5  # metres covered by a shadow map
TONE = 1.7  # midtone contrast of the camera tone curve x^a / (x^a + (1 - x)^a); 1.4 in 0.4.0-0.5.0 (docs/generator.md)
GAMMA = 1.5  # encoding: albedos are linearised by ** GAMMA, renders encoded by ** (1 / GAMMA); 1.5 rather than
# the physical 2.2 keeps more shading contrast, which the Haar realism check favours (docs/generator.md)


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


@dataclass
class Camera:
    """Pinhole camera: intrinsics ``K`` (focal ``f`` px), head extrinsics ``R, t``, body extrinsics
    ``Rb, tb``, subject distance ``dist`` (m) and the framing centre in camera coordinates."""

    K: np.ndarray
    R: np.ndarray
    t: np.ndarray
    Rb: np.ndarray
    tb: np.ndarray
    f: float
    dist: float
    centre: np.ndarray

    def project(self, pc: np.ndarray) -> np.ndarray:
        """(N, 3) camera points -> (N, 2) pixels."""
        return np.stack([pc[:, 0] / pc[:, 2] * self.f + self.K[0, 2], pc[:, 1] / pc[:, 2] * self.f + self.K[1, 2]], 1)


def make_camera(p: dict, size: int) -> Camera:
    """Step 3: intrinsics from the FOV, distance from the head size in the frame, head and body pose."""
    h = w = size
    f = (h / 2) / np.tan(np.deg2rad(float(p["fov"])) / 2)
    K = np.array([[f, 0, (w - 1) / 2], [0, f, (h - 1) / 2], [0, 0, 1]])
    dist = f * HEAD_HEIGHT / (float(p["face_size"]) * h)
    shift = np.array([float(p["offset_x"]) * w * dist / f, -float(p["offset_y"]) * h * dist / f, 0.0])
    r = _rot(float(p["yaw"]), float(p["pitch"]), float(p["roll"]))
    # the photographer frames the posed head: the camera centres on LOOK_AT where the pose moved it
    # (fixed in the unposed head frame before 0.10.0, so a lowered face sank towards the frame's edge)
    look = PIVOT + r @ (LOOK_AT - PIVOT)
    cam_c = look + np.array([0, 0, dist])

    def extr(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return CV @ r, CV @ (PIVOT - r @ PIVOT + shift - cam_c)

    R, t = extr(r)
    Rb, tb = extr(_rot(0.25 * float(p["yaw"]), 0.0, 0.2 * float(p["roll"])))
    centre = (look - cam_c) * [1, -1, -1] + shift * [1, -1, 1]
    return Camera(K, R, t, Rb, tb, float(f), float(dist), centre)


def _lights(p: dict, env: tuple[float, float, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Step 5a: unit directions towards each light (camera frame) and their RGB intensities.

    ``env`` = the background's dominant light (``backgrounds.dominant_light``: azimuth, elevation, RGB):
    the key light's direction and colour move towards it by ``env_light`` (0 = the knobs alone), so a
    face in front of a window on the right is lit from the right in the window's colour.
    """
    dirs, cols = [], []
    k = float(p["env_light"]) if env is not None else 0.0
    for key in ("key", "fill"):
        inten = float(p[f"{key}_intensity"])
        if inten <= 0.01:
            continue
        az_deg = float(p[f"{key}_azimuth"])
        el_deg = float(p["key_elevation"]) if key == "key" else 10.0
        rgb = kelvin_rgb(float(p[f"{key}_temperature"]))
        if key == "key" and k > 0:
            az_deg = (1 - k) * az_deg + k * env[0]
            el_deg = (1 - k) * el_deg + k * env[1]
            rgb = (1 - 0.6 * k) * rgb + 0.6 * k * (0.4 + 0.6 * env[2])  # scene colour, desaturated: skies are broad sources
            rgb = rgb / rgb.max()
        az, el = np.deg2rad(az_deg), np.deg2rad(el_deg)
        dirs.append([np.sin(az) * np.cos(el), -np.sin(el), -np.cos(az) * np.cos(el)])
        cols.append(rgb * inten)
    n = len(dirs)
    return np.array(dirs, np.float32).reshape(n, 3), np.array(cols, np.float32).reshape(n, 3)


def _shadow_maps(p: dict, sc: Scene, pc: np.ndarray, cam: Camera, light_dir: np.ndarray, size: int):
    """Step 5b: one orthographic depth map per light (face mask from its coarse clustered copy)."""
    head = head_model()
    nl = len(light_dir)
    sm = 192 if size <= 128 else 256
    smaps = np.full((max(nl, 1), sm, sm), np.inf, np.float32)
    sbasis = np.zeros((max(nl, 1), 3, 3), np.float32)
    sorigin = np.zeros((max(nl, 1), 3), np.float32)
    sscale = np.full(max(nl, 1), sm / SHADOW_EXTENT, np.float32)
    for i in range(nl):
        wv = -light_dir[i].astype(np.float64)
        uv = np.cross(wv, [0.0, 1.0, 0.0])
        uv /= np.linalg.norm(uv)
        basis = np.stack([uv, np.cross(wv, uv), wv]).astype(np.float32)
        origin = (cam.centre - wv * 1.0).astype(np.float32)
        sbasis[i], sorigin[i] = basis, origin
        if p["shadows"] != "on":
            continue
        q = raster.affine(pc, basis, origin, np.zeros(3, np.float32))
        qx = (q[:, 0] * sscale[i] + (sm - 1) / 2).astype(np.float32)
        qy = (q[:, 1] * sscale[i] + (sm - 1) / 2).astype(np.float32)
        qz = np.ascontiguousarray(q[:, 2].astype(np.float32))
        scratch_t = np.full((sm, sm), -1, np.int32)
        scratch_b = np.zeros((sm, sm, 2), np.float32)
        raster.raster_triangles(qx, qy, qz, head.shadow_tris, smaps[i], scratch_t, scratch_b, True, 0, True)
        raster.raster_triangles(qx, qy, qz, sc.tris[sc.n_culled:], smaps[i], scratch_t, scratch_b, True, 0, False)
    return smaps, sbasis, sorigin, sscale


def _silhouette_alpha(sc: Scene, sx: np.ndarray, sy: np.ndarray, sz: np.ndarray, tid: np.ndarray,
                      fg: np.ndarray) -> np.ndarray:
    """Step 6b: surface alpha = coverage of 2x2 sub-pixel samples (anti-aliased silhouettes).

    Labels, depth and normals stay sampled at the pixel centre. A pixel covered only off-centre takes
    the mean colour of its centre-covered neighbours (in place in ``fg``); a centre-covered pixel keeps
    alpha >= 1/4.
    """
    h, w = tid.shape
    mesh = tid >= 0
    # only the small face-mask triangles near the silhouette can change coverage there
    m8 = mesh.astype(np.uint8)
    k5 = np.ones((5, 5), np.uint8)
    band = cv2.dilate(m8, k5) & (1 - cv2.erode(m8, k5))
    ix = np.clip(np.rint(sx), 0, w - 1).astype(np.int32)
    iy = np.clip(np.rint(sy), 0, h - 1).astype(np.int32)
    vsel = band[iy, ix]
    sub = np.zeros((2 * h, 2 * w), np.uint8)
    sub[::2, ::2] = sub[1::2, ::2] = sub[::2, 1::2] = sub[1::2, 1::2] = mesh & ~band.astype(bool)  # interior
    x2 = np.ascontiguousarray(2 * sx + 0.5)  # sub-sample centres at pixel centre +- 1/4
    y2 = np.ascontiguousarray(2 * sy + 0.5)
    raster.raster_coverage(x2, y2, sz, sc.tris[: sc.n_culled], sub, True, vsel)
    raster.raster_coverage(x2, y2, sz, sc.tris[sc.n_culled:], sub, False, np.zeros(0, np.uint8))
    # the share of the 4 sub-samples covered (small integers over 4: exact in float32)
    cov = (sub[::2, ::2] + sub[1::2, ::2] + sub[::2, 1::2] + sub[1::2, 1::2]).astype(np.float32) * np.float32(0.25)
    alpha = np.where(mesh, np.maximum(cov, 0.25), cov).astype(np.float32)
    edge = ~mesh & (cov > 0)
    if edge.any():
        m = mesh.astype(np.float32)
        num = cv2.boxFilter(fg * m[..., None], -1, (3, 3), normalize=False)
        den = cv2.boxFilter(m, -1, (3, 3), normalize=False)
        ok = edge & (den > 0)
        fg[ok] = num[ok] / den[ok][:, None]
        alpha[edge & ~ok] = 0.0
    return alpha


def _clear_lenses(p: dict, sc: Scene, cam: Camera, zbuf: np.ndarray, fg: np.ndarray, alpha: np.ndarray,
                  seg: np.ndarray) -> None:
    """Step 7: see-through lenses in front of the z-buffer tint what is behind them (in place)."""
    h, w = zbuf.shape
    lv = np.concatenate([x.verts for x in sc.lenses])
    offsets = np.cumsum([0] + [len(x.verts) for x in sc.lenses[:-1]])
    lt = np.concatenate([x.tris + o for x, o in zip(sc.lenses, offsets)]).astype(np.int32)
    lc = (lv @ cam.R.T + cam.t).astype(np.float32)
    xy = cam.project(lc).astype(np.float32)
    ltid = np.full((h, w), -1, np.int32)
    raster.raster_triangles(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), np.ascontiguousarray(lc[:, 2]),
                            lt, zbuf.copy(), ltid, np.zeros((h, w, 2), np.float32), False, 0)
    m = ltid >= 0
    o = LENS_OPACITY
    tint = np.array([0.7, 0.83, 1.0], np.float32) * (float(p["ambient"]) + 0.4) * 0.5
    new_a = o + (1 - o) * alpha[m]
    fg[m] = (o * tint + (1 - o) * alpha[m, None] * fg[m]) / new_a[:, None]
    seg[m & (alpha < 1)] = FS.index("glasses")  # glass over the background is foreground
    alpha[m] = new_a


def _hair_strands(p: dict, sc: Scene, nrm: np.ndarray, R32: np.ndarray, rng: np.random.Generator, size: int):
    """Step 8a: scalp, hairline, brow and beard strands (head frame) with their labels and colours."""
    head = head_model()
    pts, hair_rgb = sc.pts, sc.hair_rgb
    tn = pts[: head.n_template]
    strands = [scalp_strands(head, p, rng, int(STRANDS_PER_128 * size / 128), sc.hat_line)]
    labels = [np.full(len(strands[0]), FS.index("hair"), np.uint8)]
    colours = [np.tile(hair_rgb, (len(strands[0]), 1))]

    def add(s: np.ndarray, cls: str, rgb: np.ndarray) -> None:
        strands.append(s)
        labels.append(np.full(len(s), FS.index(cls), np.uint8))
        colours.append(np.tile(rgb, (len(s), 1)))

    brow_rgb = np.minimum(hair_rgb * 0.9 * sc.look.brow_darkness, skin_rgb(float(p["skin_tone"]), 0.0) * 0.55)
    for cls, sgn in (("right_brow", -1.0), ("left_brow", 1.0)):
        ids = np.nonzero(sc.label[: head.n_template] == FS.index(cls))[0]
        cover = brow_coverage(sc.look, ids).astype(np.float64)
        k = int(len(ids) * 0.4 * float(p["brow_density"]) * cover.mean()) if len(ids) else 0
        if k:  # roots where the brow is dense: fewer in a soft edge and a faded tail
            ids = rng.choice(ids, k, p=cover / cover.sum())
            add(short_strands(tn[ids], nrm[ids] @ R32, np.array([sgn, 0.25, 0.0]), 0.007, rng), cls, brow_rgb)
    if sc.has_hair and float(p["hair_length"]) > 0.005 and sc.hat_line is None:
        # fine strands along the hairline soften its edge, combed up and back
        cand = pts[head.fuzz_pool]
        gap = cand[:, 1] - head.brow_top - hairline_height(cand[:, 0], float(p["hairline"]))
        ids = head.fuzz_pool[np.abs(gap) < 0.004]
        k = int(min(len(ids) * 4, 260 * float(p["hair_density"]) * size / 128))
        if k:
            ids = rng.choice(ids, k)
            length = min(0.015, float(p["hair_length"]))
            add(short_strands(pts[ids], nrm[ids] @ R32, np.array([0.0, 0.7, -0.8]), length, rng, 3), "hair", hair_rgb)
    beard = float(p["beard"])
    if beard > 0.15:
        ids = np.nonzero(head.beard_zone)[0]
        k = int(len(ids) * 0.25 * beard * min(1.0, size / 128))
        ids = rng.choice(ids, k)
        add(short_strands(tn[ids], nrm[ids] @ R32, np.array([0.0, -0.8, 0.2]), float(p["beard_length"]), rng),
            "beard", hair_rgb)
    return strands, labels, colours


AMBIENT_FLOOR = 0.3  # the directional ambient never falls below this share of its constant term


def _environment_ambient(p: dict, bg: np.ndarray) -> np.ndarray:
    """Step 5c: the ambient term lit by the scene behind the subject, as a 4 x 3 array (rows: constant,
    then the coefficients of the camera-frame normal's x, y, z; columns RGB): ambient(n) = row 0 + n @ rows 1-3.

    From the background's first-order irradiance (``backgrounds.environment_irradiance``), normalised to
    its mean luminance so the ``ambient`` knob keeps setting the level: the colour (clipped to 0.7-1.4x
    per channel) and the directional part are mixed in by ``env_light`` (0 = the knob's grey constant);
    the directional part is capped so that no normal gets less than ``AMBIENT_FLOOR`` of the constant.
    """
    a, b = environment_irradiance(bg, GAMMA)
    lum = max(float(a.mean()), 1e-4)
    k, level = float(p["env_light"]), float(p["ambient"])
    const = level * ((1 - k) + k * np.clip(a / lum, 0.7, 1.4))
    direc = level * k * b / lum
    reach = np.linalg.norm(direc, axis=0)  # per channel: the largest drop over all normals
    direc *= np.minimum(1.0, (1 - AMBIENT_FLOOR) * const / np.maximum(reach, 1e-9))
    return np.vstack([const, direc]).astype(np.float32)


def _finish(p: dict, seed: int, fg: np.ndarray, alpha: np.ndarray, seg: np.ndarray, size: int, bg: np.ndarray):
    """Step 10: exposure and encoding, post-processing on both layers, the exact composite, JPEG.

    Returns (image, foreground, background, alpha on the 16-bit grid, whether JPEG was applied).
    """
    h = w = size
    # auto-exposure in linear light: the visible skin metered to mid-grey (15 % scene), then the
    # exposure knob in stops; the same gain scales the background
    face = (seg == FS.index("skin")) & (alpha > 0.99)
    target = 0.45**GAMMA
    lum = float(fg[face].mean()) if face.sum() > 4 else target
    scene = float((alpha[..., None] * fg).mean() + ((1 - alpha).mean() * float(bg.mean())) ** GAMMA)
    gain = float(np.clip(target / max(0.85 * lum + 0.15 * scene, 1e-4), 0.4, 8.0) * 2.0 ** float(p["exposure"]))
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
    fg8 *= (alpha > 0)[..., None]
    # alpha on the 16-bit grid so the on-disk file round-trips exactly; the composite uses that alpha
    alpha = np.round(np.clip(alpha, 0, 1) * 65535).astype(np.uint16).astype(np.float32) / np.float32(65535)
    img = alpha[..., None] * fg8.astype(np.float32) + (1 - alpha[..., None]) * bg8.astype(np.float32)
    img8 = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    q = int(round(float(p["jpeg_quality"])))
    if q < 100:
        img8 = jpeg(img8, q)
    return img8, fg8, bg8, alpha, q < 100


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
    h = w = int(size)
    # 1-2. the scene in the head frame
    sc = build_scene(p)
    # 3. camera; every vertex to camera coordinates (the torso with the body pose)
    cam = make_camera(p, h)
    zero3 = np.zeros(3, np.float32)
    R32, t32, Rb32, tb32 = (a.astype(np.float32) for a in (cam.R, cam.t, cam.Rb, cam.tb))
    pc = raster.affine(sc.verts, R32, zero3, t32)
    pc[sc.body_start:] = raster.affine(sc.verts[sc.body_start:], Rb32, zero3, tb32)
    nb = raster.affine(sc.verts[sc.neck_ids], Rb32, zero3, tb32)
    pc[sc.neck_ids] += sc.neck_w[:, None] * (nb - pc[sc.neck_ids])
    xy = cam.project(pc).astype(np.float32)
    sx, sy, sz = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), np.ascontiguousarray(pc[:, 2])
    # 4. rasterise: the face mask with back-face culling, the other parts two-sided
    zbuf = np.full((h, w), np.inf, np.float32)
    tid = np.full((h, w), -1, np.int32)
    bary = np.zeros((h, w, 2), np.float32)
    nt = sc.n_culled
    raster.raster_triangles(sx, sy, sz, sc.tris[:nt], zbuf, tid, bary, False, 0, True)
    raster.raster_triangles(sx, sy, sz, sc.tris[nt:], zbuf, tid, bary, False, nt, False)
    nrm = raster.vertex_normals(pc, sc.tris)
    # 5. lights (the key follows the scene's dominant light by env_light) and shadow maps
    bg = background(p, h, np.random.default_rng([seed, int(float(p["bg_seed"]) * 1e6)])).astype(np.float32) / 255
    light_dir, light_rgb = _lights(p, dominant_light(bg))
    smaps, sbasis, sorigin, sscale = _shadow_maps(p, sc, pc, cam, light_dir, h)
    # 6. shade (eyeballs get iris and pupil from the gaze)
    gz = _rot(float(p["gaze_yaw"]), float(p["gaze_pitch"]), 0.0) @ np.array([0.0, 0.0, 1.0])
    eye_c_cam = (sc.eye_centres @ cam.R.T + cam.t).astype(np.float32)
    gaze_cam = np.tile((cam.R @ gz).astype(np.float32), (2, 1))
    look = sc.look
    iris = np.tile((iris_rgb(float(p["eye_colour"])) * look.iris_tint).clip(0, 1) ** GAMMA, (2, 1)).astype(np.float32)
    eye_cos = np.array([np.cos(np.deg2rad(look.iris_half_angle_deg)),
                        np.cos(np.deg2rad(13.0 + 4 * float(p["ambient"]))), look.limbal_ring], np.float32)
    amb = _environment_ambient(p, bg)
    fg = np.zeros((h, w, 3), np.float32)
    seg = np.zeros((h, w), np.uint8)
    depth = np.zeros((h, w), np.float32)
    normals = np.zeros((h, w, 3), np.float32)
    spec = MAT_SPEC.copy()
    spec[0] = 0.08 + 0.15 * float(p["skin_oil"])  # matte .. oily skin: the broad lobe
    spec[7] = 0.35 * float(p["skin_oil"]) ** 1.5  # and a sharp sheen on oily skin
    raster.shade(tid, bary, sc.tris, pc, nrm, sc.albedo, sc.label, sc.material, spec, MAT_SHINE,
                 eye_c_cam, gaze_cam, eye_cos, iris, light_dir, light_rgb, amb,
                 smaps, sbasis, sorigin, sscale, np.float32(0.012),
                 np.float32(p["shadow_fill"]), np.float32(GAMMA), fg, seg, depth, normals)
    alpha = _silhouette_alpha(sc, sx, sy, sz, tid, fg)
    # 7. clear lenses
    if sc.lenses:
        _clear_lenses(p, sc, cam, zbuf, fg, alpha, seg)
    # 8. hair strands (scalp, hairline, brows, beard), anti-aliased with coverage
    strands, slabel, scol = _hair_strands(p, sc, nrm, cam.R.astype(np.float32), rng, h)
    hcov = np.zeros((h, w), np.float32)
    if sum(len(s) for s in strands):
        hcov = _draw_strands(strands, slabel, scol, cam, zbuf, light_dir, light_rgb, amb, rng, fg, alpha, seg)
    # 9. landmarks, pupils, visibility
    lmc = sc.lm3 @ cam.R.T + cam.t
    lmc[:17] = _contour_landmarks(pc, lmc[:17], cam)
    lm2 = cam.project(lmc)
    vis = _visible(lm2, lmc[:, 2], zbuf, hcov)
    vis[:17] = _visible(lm2[:17], lmc[:17, 2], zbuf, hcov, outline=True)
    pup_c = eye_c_cam + EYEBALL_RADIUS * gaze_cam
    pup2 = cam.project(pup_c)
    pup_vis = _visible(pup2, pup_c[:, 2], zbuf, hcov) & (sc.blink < 0.7)
    # 10. exposure, encoding, post-processing, the exact composite, JPEG
    img8, fg8, bg8, alpha, jpeg_applied = _finish(p, seed, fg, alpha, seg, h, bg)
    # 11. human-style rough labels (stand-in presets)
    rough = float(p["label_roughness"])
    seg_out = rough_seg(seg, rough)
    lm_out = rough_landmarks(lm2.astype(np.float32), rough, np.random.default_rng([seed, 11]))
    meta = {
        "domain": domain,
        "is_standin": domain.startswith("standin"),
        "source_id": f"{domain}/{seed}",
        "generator_version": GENERATOR_VERSION,
        "taxonomy": "facesynthetics19",
        "seed": int(seed),
        "size": h,
        "camera": {"K": cam.K.tolist(), "R": cam.R.tolist(), "t": cam.t.tolist(), "distance_m": cam.dist,
                   "convention": "X_cam = R @ X_world + t; OpenCV axes; world = neutral head frame (m, y up)"},
        "pose": {"yaw": float(p["yaw"]), "pitch": float(p["pitch"]), "roll": float(p["roll"])},
        "gaze": {"vector_cam": gaze_cam[0].astype(float).tolist(), "yaw": float(p["gaze_yaw"]),
                 "pitch": float(p["gaze_pitch"])},
        "landmarks_visible": vis.tolist(),
        "pupils_visible": pup_vis.tolist(),
        "landmarks_depth": lmc[:, 2].astype(float).tolist(),
        "composite_exact": not jpeg_applied,
        "rough_labels": ["seg", "landmarks"] if rough > 0 else [],
        "params": dict(p),
    }
    return {
        "image": img8, "seg": seg_out, "alpha": alpha, "foreground": fg8, "background": bg8,
        "landmarks": lm_out, "landmarks_visible": vis, "pupils": pup2.astype(np.float32),
        "depth": depth, "normals": normals.astype(np.float16).astype(np.float32), "meta": meta,
    }


def _contour_landmarks(pc: np.ndarray, jaw: np.ndarray, cam: Camera) -> np.ndarray:
    """Step 9a: the jaw-outline points (iBUG 0-16) on the face's visible outline in this view (camera
    frame, 17 x 3): per point, the vertex of its face slice (``geometry.jaw_contour_candidates``) that
    projects furthest along the point's outward direction in the image (landmark marching)."""
    head = head_model()
    out = jaw.copy()
    o_cam = head.contour_out @ cam.R.T
    p0 = cam.project(jaw)
    d = cam.project(jaw + 0.01 * o_cam) - p0
    d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-12
    best = raster.contour_pick(pc, head.contour_ptr, head.contour_ids, d, cam.f, cam.K[0, 2], cam.K[1, 2])
    out[:] = pc[best].astype(np.float64)
    # iBUG spaces the outline points evenly along the contour, ear to chin on each side: resample each
    # half (0-8, 8-16) to equal image arc length, the 3D points interpolated alongside
    for half in (slice(0, 9), slice(8, 17)):
        q = out[half]
        xy = cam.project(q)
        arc = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(xy, axis=0), axis=1))]
        if arc[-1] > 1e-6:
            t = np.linspace(0, arc[-1], len(q))
            out[half] = np.stack([np.interp(t, arc, q[:, i]) for i in range(3)], 1)
    return out


def _visible(pts2: np.ndarray, z: np.ndarray, zbuf: np.ndarray, hcov: np.ndarray, tol: float = 0.004,
             outline: bool = False) -> np.ndarray:
    """Depth test: visible if a surface within ``tol`` metres of the point lies in its 3x3 pixel window
    and scalp hair covers less than half of its pixel. ``outline`` points (the jaw contour, on a grazing
    silhouette) are visible unless every pixel of the window shows a surface more than ``tol`` in front."""
    return raster.visible(np.ascontiguousarray(pts2, np.float64), np.ascontiguousarray(z, np.float64), zbuf, hcov,
                          float(tol), bool(outline))


def _draw_strands(strands, slabel, scol, cam: Camera, zbuf, light_dir, light_rgb, amb, rng, fg, alpha, seg):
    """Step 8b: project, shade (Kajiya-Kay-like) and rasterise strands, then composite them over the
    layers in place; returns the scalp-hair coverage that hides landmarks."""
    h, w = zbuf.shape
    total = sum(len(x) * (x.shape[1] - 1) for x in strands)
    sg = np.empty((9, total), np.float32)  # per segment: x0, y0, z0, x1, y1, z1, r, g, b
    labs = []
    o = 0
    R, t, zero3 = cam.R.astype(np.float64), cam.t.astype(np.float64), np.zeros(3)
    lum = light_rgb.astype(np.float64).mean(1)
    for s, lab, col in zip(strands, slabel, scol):
        if len(s) == 0:
            continue
        jitter = rng.uniform(0.85, 1.15, len(s))
        c = raster.affine(np.ascontiguousarray(s, np.float64).reshape(-1, 3), R, zero3, t).reshape(s.shape)
        o = raster.strand_segments(c, cam.f, cam.K[0, 2], cam.K[1, 2],
                                   float(amb[0].mean()), light_dir.astype(np.float64), lum,
                                   np.ascontiguousarray(col, np.float64) ** GAMMA, jitter, sg, o)
        labs.append(np.repeat(lab, s.shape[1] - 1))
    hcov = np.zeros((h, w), np.float32)
    acc = np.zeros((h, w, 3), np.float32)
    wsum = np.zeros((h, w), np.float32)
    hlab = np.zeros((h, w), np.uint8)
    hbest = np.zeros((h, w), np.float32)
    width = np.full(total, HAIR_WIDTH_PX, np.float32)
    raster.raster_strands(sg[0], sg[1], sg[2], sg[3], sg[4], sg[5], width, np.ascontiguousarray(sg[6:].T),
                          np.concatenate(labs), zbuf, hcov, acc, wsum, hlab, hbest)
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
