"""Hair styles differ in where the strands go; the fringe covers the forehead; no seam at the hairline."""

from __future__ import annotations

import numpy as np

from casestudies.data.synth import default_params, render_sample
from casestudies.data.synth.geometry import head_model
from casestudies.data.synth.hair import BANG_CURL, BUN_CENTRE, scalp_strands
from casestudies.data.taxonomy import FACESYNTHETICS19 as FS

HAIR = FS.index("hair")


def _strands(**kw) -> np.ndarray:
    p = default_params() | {"hair_density": 1.0} | kw
    return scalp_strands(head_model(), p, np.random.default_rng(0), 1400, None)


def test_fringe_covers_the_forehead():
    kw = dict(hair_style="short", hair_length=0.07, hair_density=1.0, face_size=0.6)
    a = render_sample(default_params() | kw | {"fringe": 0.0}, size=192, seed=0)
    b = render_sample(default_params() | kw | {"fringe": 1.0}, size=192, seed=0)
    # the central forehead between the brows' middles, from the brows up 0.45 inter-ocular distances
    lm = a["landmarks"]
    brow_y, iod = int(lm[17:27, 1].min()), float(np.linalg.norm(lm[36] - lm[45]))
    band = np.zeros_like(a["seg"], bool)
    band[brow_y - int(0.45 * iod):brow_y - 1, int(lm[19, 0]):int(lm[24, 0])] = True
    hair_a, hair_b = (a["seg"][band] == HAIR).mean(), (b["seg"][band] == HAIR).mean()
    # a full fringe is a dense layer: 0.49 of the band before 0.13.0 (one strand per falling root, a comb
    # of lines over bare skin), and nothing before 0.2.0 (4,842 vs 4,816 hair pixels: bangs hid behind the forehead)
    assert hair_a < 0.05 and hair_b > 0.7
    assert (b["seg"][int(lm[19, 1]) + 1:, :] == HAIR).sum() <= (a["seg"][int(lm[19, 1]) + 1:, :] == HAIR).sum() + 5


def test_styles_put_hair_where_they_should():
    short, afro = _strands(hair_style="short", hair_length=0.08), _strands(hair_style="afro", hair_length=0.1, hair_curl=1.0)
    c = head_model().skull_c
    radius = lambda s: np.linalg.norm((s[:, -1] - c) / head_model().skull_r, axis=1)  # noqa: E731
    assert np.median(radius(afro)) > np.median(radius(short)) + 0.1  # volume
    bun = _strands(hair_style="bun", hair_length=0.25)
    near_bun = np.linalg.norm(bun[:, -1] - BUN_CENTRE, axis=1) < 0.045
    assert near_bun.mean() > 0.5  # strands gathered into the bun
    tail = _strands(hair_style="ponytail", hair_length=0.3)
    assert (tail[:, -1, 1] < -0.05).mean() > 0.15 and (tail[:, -1, 2] < -0.08).mean() > 0.15  # a tail down the back
    long = _strands(hair_style="long_straight", hair_length=0.3)
    assert np.median(long[:, -1, 1]) < np.median(short[:, -1, 1]) - 0.05  # falls below the ears


def test_hairline_has_no_hard_seam():
    s = render_sample(default_params() | dict(hair_density=0.0001, hair_length=0.0, face_size=0.65, shadows="off"), size=128, seed=0)
    # scalp labelled hair on the face mask, bald strands off: the albedo ramps from skin to hair
    seg, img = s["seg"], s["image"].astype(float).mean(-1)
    col = int(s["landmarks"][27, 0])
    rows = np.nonzero(seg[:, col] == HAIR)[0]
    skin_rows = np.nonzero(seg[:, col] == FS.index("skin"))[0]
    if len(rows) and len(skin_rows):
        edge = rows.max()  # the lowest scalp pixel above the forehead skin
        steps = np.abs(np.diff(img[edge - 4:edge + 5, col]))
        assert steps.max() < 40


def test_fringe_curls_less_than_the_rest():
    # the curl is added after the strands are laid out, from its own draws: the difference between curl 1
    # and curl 0 is each strand's curl offset; bangs (rooted on the front of the scalp, ending on the
    # forehead above the brows) keep BANG_CURL of it, so a curly fringe is no scribble over the skin
    kw = dict(hair_style="short", hair_length=0.08, fringe=1.0)
    flat, curly = _strands(hair_curl=0.0, **kw), _strands(hair_curl=1.0, **kw)
    offset = np.linalg.norm(curly - flat, axis=-1).max(1)
    head = head_model()
    bangs = (flat[:, 0, 2] > 0.045) & (flat[:, -1, 1] < head.brow_top + 0.03) & (flat[:, -1, 2] > 0.06)
    assert bangs.sum() > 20 and (~bangs).sum() > 200
    assert np.percentile(offset[bangs], 90) <= BANG_CURL * 0.0061
    assert np.percentile(offset[~bangs], 90) > 0.7 * 0.006
