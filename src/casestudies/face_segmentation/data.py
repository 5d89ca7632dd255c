"""The case's data: real A (CelebAMask-HQ's role), real B (LaPa's role) and the synthetic set.

A *source* is named by a reader (``open_dataset``: ``celebamask_hq``, ``lapa``, ``facesynthetics``,
``folder``, ...) with its root folder, or by a generator preset (``standin_real_a``,
``standin_real_b``, ``synthetic``) with an empty root: then each split is its own generated set,
cached by ``data.synth.disk.cached_dataset`` with a seed per split (:func:`split_seed`), so train,
val and test never share an image and the test set does not change when the train size does.
Labels are remapped to ``paper9``. A size cap keeps evenly spaced samples of a reader's split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from casestudies.data.loading import EvalTransform, TorchDataset, TrainTransform
from casestudies.data.readers import READERS, DatasetError, open_dataset
from casestudies.data.schema import Sample
from casestudies.data.synth.presets import PRESETS
from casestudies.face_segmentation import TAXONOMY

SPLITS = ("train", "val", "test")
KEYS = ("image", "seg")  # what training and evaluation read


def split_seed(split: str, data_seed: int = 0) -> int:
    """Generator seed of a stand-in split: ``100 * data_seed + {train: 1, val: 2, test: 3}``."""
    return 100 * int(data_seed) + 1 + SPLITS.index(split)


def is_preset(name: str) -> bool:
    return name in PRESETS


def describe(name: str, root: str = "") -> str:
    """A data-source line for the record; generator stand-ins say so (``aggregate.is_standin``)."""
    if is_preset(name):
        if PRESETS[name].is_standin:
            return f"{name} (generator stand-in, not real data)"
        return f"{name} (generator)"
    return f"{name} at {root}"


class Capped(Sequence[Sample]):
    """``n`` evenly spaced samples of a reader (all when ``n`` is 0 or exceeds its size)."""

    def __init__(self, reader: Any, n: int = 0) -> None:
        self.reader = reader
        total = len(reader)
        self.index = np.arange(total) if not n or n >= total else np.linspace(0, total - 1, n).round().astype(int)

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> Sample:  # type: ignore[override]
        return self.reader[int(self.index[i])]

    def report(self) -> dict[str, Any]:
        return {**self.reader.report(), "n_used": len(self), "of": len(self.reader)}


def open_split(
    name: str, root: str, split: str, *, n: int = 0, image_size: int = 64, data_seed: int = 0, workers: int = 2
) -> Capped:
    """One split of a source, ``paper9`` labels, at most ``n`` samples (stand-ins: exactly ``n``)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid: {list(SPLITS)}")
    if is_preset(name):
        if root:
            raise DatasetError(f"{name!r} is a generator preset: leave its root empty (got {root!r})")
        if n < 1:
            raise DatasetError(f"a generated {name!r} {split} split needs a size >= 1, got {n}")
        from casestudies.data.synth.disk import cached_dataset

        path = cached_dataset(name, split_seed(split, data_seed), n, image_size, workers=workers)
        reader = open_dataset("facesynthetics", path, "all", taxonomy=TAXONOMY, layers=())
        return Capped(reader, n)
    if name not in READERS:
        raise DatasetError(
            f"unknown data source {name!r}: neither a reader {sorted(READERS)} nor a generator preset {sorted(PRESETS)}"
        )
    if not root:
        raise DatasetError(f"reader {name!r} needs its root folder (the *_root parameter is empty)")
    kw: dict[str, Any] = {"layers": ()} if name == "facesynthetics" else {}
    return Capped(open_dataset(name, root, split, taxonomy=TAXONOMY, **kw), n)


def open_synthetic(
    source: str, root: str, *, n: int, image_size: int, data_seed: int = 0, workers: int = 2
) -> tuple[Capped, str]:
    """The synthetic training set and its description: ``generator`` (the ``synthetic`` preset) or
    ``facesynthetics`` (Microsoft's FaceSynthetics at ``root``, its train split)."""
    if source == "generator":
        return open_split("synthetic", "", "train", n=n, image_size=image_size, data_seed=data_seed,
                          workers=workers), describe("synthetic")
    if source == "facesynthetics":
        return open_split("facesynthetics", root, "train", n=n), f"FaceSynthetics at {root}"
    raise DatasetError(f"unknown synthetic_source {source!r}; valid: ['facesynthetics', 'generator']")


def preload(samples: Sequence[Sample], transform: EvalTransform | None = None) -> list[Sample]:
    """Read every sample once (image + seg only; meta reduced to source id and taxonomy, which flips
    need), optionally resized."""
    out = []
    for s in samples:
        item = {k: s[k] for k in KEYS}
        item["meta"] = {k: s["meta"][k] for k in ("source_id", "taxonomy") if k in s["meta"]}
        out.append(transform(item) if transform is not None else item)
    return out


def in_memory(samples: Sequence[Sample], image_size: int, max_mb: float = 512.0) -> bool:
    """True when the whole set at its stored size fits in ``max_mb`` (image + seg bytes)."""
    h, w = samples[0]["image"].shape[:2]
    return len(samples) * h * w * 4 / 2**20 <= max_mb


def train_dataset(samples: Sequence[Sample], image_size: int, cache_key: str | None = None) -> TorchDataset:
    """Training items: random scale crop + flip (``TrainTransform``), tensors of image and seg.

    Small sets are read into memory once; ``cache_key`` names the set in the fine-tune pretrain cache.
    """
    data = preload(samples) if in_memory(samples, image_size) else samples
    ds = TorchDataset(data, TrainTransform(image_size), keys=KEYS)
    ds.cache_key = cache_key  # type: ignore[attr-defined]
    return ds


def eval_dataset(samples: Sequence[Sample], image_size: int) -> TorchDataset:
    """Evaluation items: shorter side resized to ``image_size``, centre crop (deterministic)."""
    if in_memory(samples, image_size):
        return TorchDataset(preload(samples, EvalTransform(image_size)), keys=KEYS)
    return TorchDataset(samples, EvalTransform(image_size), keys=KEYS)


@dataclass
class CaseData:
    """Every split the case uses; ``reports`` / ``sources`` go into the run record."""

    real: dict[str, dict[str, Capped]]  # "a" / "b" -> split -> samples
    synthetic: Capped
    sources: dict[str, str]
    cache_keys: dict[str, str] = field(default_factory=dict)

    def reports(self) -> dict[str, Any]:
        out = {f"real_{k}_{split}": ds.report() for k, splits in self.real.items() for split, ds in splits.items()}
        out["synthetic"] = self.synthetic.report()
        return out


def load_case_data(
    *,
    real_a_dataset: str, real_a_root: str, real_b_dataset: str, real_b_root: str,
    synthetic_source: str, synthetic_root: str,
    real_train_size: int, val_size: int, test_size: int, synthetic_size: int,
    image_size: int, data_seed: int = 0, workers: int = 2,
) -> CaseData:
    """Open (and for stand-ins generate once) every split of real A, real B and the synthetic set."""
    sizes = {"train": real_train_size, "val": val_size, "test": test_size}
    real: dict[str, dict[str, Capped]] = {}
    sources: dict[str, str] = {}
    for key, name, root in (("a", real_a_dataset, real_a_root), ("b", real_b_dataset, real_b_root)):
        real[key] = {
            split: open_split(name, root, split, n=sizes[split], image_size=image_size, data_seed=data_seed,
                              workers=workers)
            for split in SPLITS
        }
        sources[f"real_{key}"] = describe(name, root)
    synthetic, desc = open_synthetic(synthetic_source, synthetic_root, n=synthetic_size, image_size=image_size,
                                     data_seed=data_seed, workers=workers)
    sources["synthetic"] = desc
    root = synthetic.reader.root if hasattr(synthetic.reader, "root") else Path(synthetic_root)
    keys = {"synthetic": f"{desc}|{root}|n={len(synthetic)}|{image_size}px|seed={data_seed}"}
    return CaseData(real, synthetic, sources, keys)
