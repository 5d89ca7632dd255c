"""Real-data readers: one module per on-disk format, one registry, one entry point.

>>> from casestudies.data.readers import READERS, open_dataset
>>> sorted(READERS)[:3]
['aisegment_matting', 'celebamask_hq', 'facesynthetics']
>>> ds = open_dataset("lapa", "/data/LaPa", "val", taxonomy="paper9")  # doctest: +SKIP
>>> ds[0]["seg"].max() <= 8, ds.report()["n_skipped"]  # doctest: +SKIP

A case study points at a real dataset with two parameters, ``real_dataset`` (a key of
``READERS``) and ``real_root`` (the folder); see docs/datasets.md.
"""

from __future__ import annotations

import os
from typing import Any

from casestudies.data.readers.aisegment import AISegmentMatting
from casestudies.data.readers.base import BadSampleError, DatasetError, Reader
from casestudies.data.readers.celebamask_hq import CelebAMaskHQ
from casestudies.data.readers.facesynthetics import FaceSynthetics
from casestudies.data.readers.folder import Folder
from casestudies.data.readers.lapa import LaPa
from casestudies.data.readers.photomatte85 import PhotoMatte85, evaluation_trimap
from casestudies.data.readers.w300 import W300, MenpoFaces, menpo_faces
from casestudies.names import lookup

READERS: dict[str, type[Reader]] = {
    "celebamask_hq": CelebAMaskHQ,
    "lapa": LaPa,
    "w300": W300,
    "aisegment_matting": AISegmentMatting,
    "photomatte85": PhotoMatte85,
    "facesynthetics": FaceSynthetics,
    "folder": Folder,
}


def open_dataset(
    name: str,
    root: str | os.PathLike[str],
    split: str,
    taxonomy: str | None = None,
    skip_bad: bool = False,
    **kw: Any,
) -> Reader:
    """Open dataset ``name`` at ``root``; a sequence of Samples (``len``, ``[i]``, ``.report()``).

    ``taxonomy``: ``None`` keeps the dataset's native classes, ``"paper9"`` / ``"lapa11"`` remap
    ``seg`` through the explicit tables in :mod:`casestudies.data.taxonomy`. ``skip_bad``: skip
    unreadable samples and list them in ``.skipped`` instead of raising. Other keywords go to the
    reader (see each reader's docstring). An unknown reader, split or taxonomy name raises
    :class:`~casestudies.names.UnknownNameError`; a missing or broken dataset :class:`DatasetError`.
    """
    cls = lookup("dataset reader", name, READERS)
    return cls(root, split, taxonomy=taxonomy, skip_bad=skip_bad, **kw)


__all__ = [
    "READERS",
    "AISegmentMatting",
    "BadSampleError",
    "CelebAMaskHQ",
    "DatasetError",
    "FaceSynthetics",
    "Folder",
    "LaPa",
    "MenpoFaces",
    "PhotoMatte85",
    "Reader",
    "W300",
    "evaluation_trimap",
    "menpo_faces",
    "open_dataset",
]
