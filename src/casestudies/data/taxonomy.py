"""Label taxonomies, the tables that map between them, and the landmark conventions.

Conventions (every reader and the generator follow them):

* **Left / right are the subject's own** (anatomical) sides, as in the iBUG 68-point scheme:
  the subject's right eye (iBUG 36-41) appears on the *image left* of a frontal face.
  A reader whose dataset uses image-side names converts to this convention.
* A horizontal image flip swaps every left/right class (``flip_lut``) and every
  left/right landmark index (``IBUG68_FLIP``).
* ``255`` is the ignore label in every taxonomy and maps to ``255``.
* Landmarks are ``(x, y)`` in pixels with the origin at the **centre of the top-left pixel**
  (pixel ``(i, j)`` covers ``[j - 0.5, j + 0.5) x [i - 0.5, i + 0.5)``); 0-based.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from casestudies.names import lookup

IGNORE = 255


@dataclass(frozen=True)
class Taxonomy:
    """A segmentation label set: class names in id order and the left/right pairs."""

    name: str
    classes: tuple[str, ...]
    flip_pairs: tuple[tuple[str, str], ...] = ()

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def index(self, cls: str) -> int:
        return self.classes.index(lookup("class", cls, self.classes, where=f"taxonomy {self.name!r}"))


# Microsoft FaceSynthetics (and this project's generator): 19 classes.
FACESYNTHETICS19 = Taxonomy(
    "facesynthetics19",
    (
        "background", "skin", "nose", "right_eye", "left_eye", "right_brow", "left_brow",
        "right_ear", "left_ear", "mouth_interior", "top_lip", "bottom_lip", "neck", "hair",
        "beard", "clothing", "glasses", "headwear", "facewear",
    ),
    (("right_eye", "left_eye"), ("right_brow", "left_brow"), ("right_ear", "left_ear")),
)

# LaPa's 11 classes (ids as in the LaPa label PNGs).
LAPA11 = Taxonomy(
    "lapa11",
    (
        "background", "skin", "left_brow", "right_brow", "left_eye", "right_eye", "nose",
        "upper_lip", "inner_mouth", "lower_lip", "hair",
    ),
    (("left_brow", "right_brow"), ("left_eye", "right_eye")),
)

# The whitepaper's 9-class scheme: LaPa's 11 without eyebrows (eyebrows become skin).
PAPER9 = Taxonomy(
    "paper9",
    (
        "background", "skin", "left_eye", "right_eye", "nose", "upper_lip", "inner_mouth",
        "lower_lip", "hair",
    ),
    (("left_eye", "right_eye"),),
)

TAXONOMIES: dict[str, Taxonomy] = {t.name: t for t in (FACESYNTHETICS19, LAPA11, PAPER9)}

# Explicit class tables: source class -> target class (None = ignore, 255).
# Choices and why:
#   ears -> skin: LaPa's face region includes the ears in the skin label.
#   neck, clothing -> background: LaPa and the paper's 9 classes label only face and hair.
#   beard -> skin: LaPa has no beard class; beards lie on the skin region.
#   glasses -> skin: frames lie mostly on skin; the generator's lenses are see-through, so the
#       eye under a clear lens keeps its eye label.
#   headwear -> background: hats are not part of the face or hair classes.
#   facewear (masks) -> ignore: the face parts under a mask are unknown to an annotator.
_FS19_TO_LAPA11: dict[str, str | None] = {
    "background": "background", "skin": "skin", "nose": "nose",
    "right_eye": "right_eye", "left_eye": "left_eye",
    "right_brow": "right_brow", "left_brow": "left_brow",
    "right_ear": "skin", "left_ear": "skin",
    "mouth_interior": "inner_mouth", "top_lip": "upper_lip", "bottom_lip": "lower_lip",
    "neck": "background", "hair": "hair", "beard": "skin", "clothing": "background",
    "glasses": "skin", "headwear": "background", "facewear": None,
}
_LAPA11_TO_PAPER9: dict[str, str | None] = {
    "background": "background", "skin": "skin", "left_brow": "skin", "right_brow": "skin",
    "left_eye": "left_eye", "right_eye": "right_eye", "nose": "nose", "upper_lip": "upper_lip",
    "inner_mouth": "inner_mouth", "lower_lip": "lower_lip", "hair": "hair",
}

# (source, target) -> table. Chains (fs19 -> paper9) are composed in ``label_map``.
CLASS_TABLES: dict[tuple[str, str], dict[str, str | None]] = {
    ("facesynthetics19", "lapa11"): _FS19_TO_LAPA11,
    ("lapa11", "paper9"): _LAPA11_TO_PAPER9,
}


def register_table(src: str, dst: str, table: dict[str, str | None]) -> None:
    """Add a class table (e.g. from a reader's native taxonomy); every source class must be listed."""
    s, d = get_taxonomy(src), get_taxonomy(dst)
    missing = set(s.classes) - set(table)
    if missing:
        raise ValueError(f"table {src}->{dst} misses source classes {sorted(missing)}")
    bad = {v for v in table.values() if v is not None and v not in d.classes}
    if bad:
        raise ValueError(f"table {src}->{dst} names unknown target classes {sorted(bad)}")
    CLASS_TABLES[(src, dst)] = table


def register_taxonomy(tax: Taxonomy) -> None:
    TAXONOMIES[tax.name] = tax


def get_taxonomy(name: str) -> Taxonomy:
    """The taxonomy called ``name``; an unknown name raises :class:`~casestudies.names.UnknownNameError`."""
    return lookup("taxonomy", name, TAXONOMIES)


def _lut_from_table(src: Taxonomy, dst: Taxonomy, table: dict[str, str | None]) -> np.ndarray:
    lut = np.full(256, IGNORE, dtype=np.uint8)
    for i, cls in enumerate(src.classes):
        tgt = table[cls]
        lut[i] = IGNORE if tgt is None else dst.index(tgt)
    return lut


def label_map(src: str, dst: str) -> np.ndarray:
    """256-entry uint8 lookup table mapping ``src`` ids to ``dst`` ids (ignore stays 255).

    Direct tables are used when present, else a two-step chain through ``lapa11``.

    >>> int(label_map("lapa11", "paper9")[2])  # left brow -> skin
    1
    """
    s, d = get_taxonomy(src), get_taxonomy(dst)
    if src == dst:
        lut = np.full(256, IGNORE, dtype=np.uint8)
        lut[: s.num_classes] = np.arange(s.num_classes)
        return lut
    if (src, dst) in CLASS_TABLES:
        return _lut_from_table(s, d, CLASS_TABLES[(src, dst)])
    for (a, mid), _ in list(CLASS_TABLES.items()):
        if a == src and (mid, dst) in CLASS_TABLES:
            first = label_map(src, mid)
            second = label_map(mid, dst)
            return second[first]
    raise KeyError(f"no class table from {src!r} to {dst!r}; known: {sorted(CLASS_TABLES)}")


def remap(seg: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Map an HxW uint8 label image from taxonomy ``src`` to ``dst``."""
    return label_map(src, dst)[seg]


def flip_lut(name: str) -> np.ndarray:
    """256-entry lookup table that swaps left/right classes (apply after a horizontal flip)."""
    tax = get_taxonomy(name)
    lut = np.arange(256, dtype=np.uint8)
    for a, b in tax.flip_pairs:
        ia, ib = tax.index(a), tax.index(b)
        lut[ia], lut[ib] = ib, ia
    return lut


def _ibug68_flip() -> np.ndarray:
    perm = np.arange(68)
    pairs = [(i, 16 - i) for i in range(8)]  # jaw
    pairs += [(17 + i, 26 - i) for i in range(5)]  # brows
    pairs += [(31, 35), (32, 34)]  # nose bottom
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]  # eyes
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)]  # outer lips
    pairs += [(60, 64), (61, 63), (65, 67)]  # inner lips
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return perm


# IBUG68_FLIP[i] = index of the point that lands on point i after a horizontal flip.
IBUG68_FLIP: np.ndarray = _ibug68_flip()
# The 51-point subset used by the landmark case study: iBUG 68 without the 17 jaw points.
IBUG51_INDICES: np.ndarray = np.arange(17, 68)
# Outer eye corners, used as the NME normaliser (subject's right eye outer, left eye outer).
IBUG68_OUTER_EYE_CORNERS: tuple[int, int] = (36, 45)
# Pupils: index 0 is the subject's right eye, 1 the left; a flip swaps them.
PUPILS_FLIP: np.ndarray = np.array([1, 0])


def flip_landmarks(points: np.ndarray, width: int, perm: np.ndarray = IBUG68_FLIP) -> np.ndarray:
    """Mirror (N, 2) pixel landmarks for an image of ``width`` pixels and swap left/right indices.

    With the pixel-centre origin, x maps to ``width - 1 - x``.
    """
    out = points.copy()
    out[:, 0] = (width - 1) - out[:, 0]
    return out[perm]


# --- Native taxonomies of the real datasets (added for the readers) -------------------------------
# CelebAMask-HQ: background + the 18 parts in the official merge order (ids = order index + 1).
# Class names follow the subject-side convention; the reader converts the files' l_/r_ names
# (which name the *image* side, see docs/datasets.md) into these classes.
CELEBAMASK_HQ19 = Taxonomy(
    "celebamask_hq",
    (
        "background", "skin", "nose", "eyeglasses", "left_eye", "right_eye", "left_brow",
        "right_brow", "left_ear", "right_ear", "mouth", "upper_lip", "lower_lip", "hair", "hat",
        "earring", "necklace", "neck", "cloth",
    ),
    (("left_eye", "right_eye"), ("left_brow", "right_brow"), ("left_ear", "right_ear")),
)
register_taxonomy(CELEBAMASK_HQ19)

# CelebAMask-HQ -> LaPa 11, same choices as the FaceSynthetics table where the classes match:
#   ears -> skin (LaPa's skin class covers the ears), eyeglasses -> skin (the eye parts are merged
#   after eye_g, so a visible eye keeps its label), mouth -> inner_mouth, hat -> background,
#   neck / cloth -> background; earring and necklace -> background (accessories that hang mostly
#   off the face, against neck or background).
_CELEBAMASK_HQ_TO_LAPA11: dict[str, str | None] = {
    "background": "background", "skin": "skin", "nose": "nose", "eyeglasses": "skin",
    "left_eye": "left_eye", "right_eye": "right_eye", "left_brow": "left_brow",
    "right_brow": "right_brow", "left_ear": "skin", "right_ear": "skin", "mouth": "inner_mouth",
    "upper_lip": "upper_lip", "lower_lip": "lower_lip", "hair": "hair", "hat": "background",
    "earring": "background", "necklace": "background", "neck": "background", "cloth": "background",
}
register_table("celebamask_hq", "lapa11", _CELEBAMASK_HQ_TO_LAPA11)
