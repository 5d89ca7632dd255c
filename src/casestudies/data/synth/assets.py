"""Read-only assets: the menpo3d head template, its landmarks, the head-scan texture, photographs.

Nothing here is committed to the repository: the files are read from the installed ``menpo3d``,
``scikit-image`` and ``scikit-learn`` packages. Template coordinates are converted to metres in a
head frame: ``x`` towards the image right of a frontal face (the subject's left), ``y`` up, ``z``
towards the viewer, origin near the centre of the head.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

# template units are micrometres
TEMPLATE_SCALE = 1e-6
# head-frame origin in template units: between the ears, at eye height, ~11 cm behind the nose tip
TEMPLATE_ORIGIN = np.array([0.0, 25000.0, 15000.0])


def menpo3d_data_dir() -> Path:
    """Folder of the data files installed with menpo3d (template.ply, template.ljson, james.*)."""
    import menpo3d

    return Path(menpo3d.__file__).parent / "data"


@functools.lru_cache(maxsize=1)
def load_template() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Template vertices (N x 3, metres, head frame), triangles (M x 3 int32), landmarks (68 x 3)."""
    import trimesh

    d = menpo3d_data_dir()
    mesh = trimesh.load(d / "template.ply", process=False)
    verts = (np.asarray(mesh.vertices, dtype=np.float64) - TEMPLATE_ORIGIN) * TEMPLATE_SCALE
    tris = np.asarray(mesh.faces, dtype=np.int32)
    pts = json.loads((d / "template.ljson").read_text())["groups"]["LJSON"]["landmarks"]["points"]
    lms = (np.asarray(pts, dtype=np.float64) - TEMPLATE_ORIGIN) * TEMPLATE_SCALE
    return verts.astype(np.float32), tris, lms.astype(np.float32)


@functools.lru_cache(maxsize=1)
def load_scan() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The james head scan: vertices (mm), UVs, its 68 landmarks (mm) and the texture (HxWx3 uint8)."""
    import trimesh
    from PIL import Image

    d = menpo3d_data_dir()
    mesh = trimesh.load(d / "james.obj", process=False)
    pts = json.loads((d / "james.ljson").read_text())["groups"]["LJSON"]["landmarks"]["points"]
    tex = np.asarray(Image.open(d / "james.jpg").convert("RGB"))
    uv = np.asarray(mesh.visual.uv, dtype=np.float64)
    return np.asarray(mesh.vertices, dtype=np.float64), uv, np.asarray(pts, dtype=np.float64), tex


def _gray3(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.dtype != np.uint8:
        a = (255 * (a - a.min()) / max(float(np.ptp(a)), 1e-9)).astype(np.uint8)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    return np.ascontiguousarray(a[..., :3])


def _skimage(name: str):
    def load() -> np.ndarray:
        import skimage.data as d

        a = getattr(d, name)()
        return _gray3(a[0] if isinstance(a, tuple) else a)

    return load


def _sklearn(name: str):
    def load() -> np.ndarray:
        from sklearn.datasets import load_sample_image

        return _gray3(load_sample_image(name))

    return load


# Photographs without faces (astronaut, grace_hopper, lenna and camera show people: never listed).
PHOTOS = {
    "coffee": _skimage("coffee"), "rocket": _skimage("rocket"), "brick": _skimage("brick"),
    "grass": _skimage("grass"), "gravel": _skimage("gravel"), "clock": _skimage("clock"),
    "coins": _skimage("coins"), "immunohistochemistry": _skimage("immunohistochemistry"),
    "chelsea": _skimage("chelsea"), "motorcycle": _skimage("stereo_motorcycle"),
    "hubble": _skimage("hubble_deep_field"), "china": _sklearn("china.jpg"),
    "flower": _sklearn("flower.jpg"), "retina": _skimage("retina"), "cell": _skimage("cell"),
    "moon": _skimage("moon"), "colorwheel": _skimage("colorwheel"),
}


@functools.cache
def load_photo(name: str) -> np.ndarray:
    """A background photograph (HxWx3 uint8) by name; see ``PHOTOS``."""
    try:
        return PHOTOS[name]()
    except KeyError:
        raise KeyError(f"unknown photo {name!r}; valid: {sorted(PHOTOS)}") from None
