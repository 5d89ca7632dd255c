"""What every reader shares: errors, the lazy index, ``skip_bad`` and the taxonomy remap.

A reader builds a cheap *index* when opened (file pairing, annotation text parsed, point counts
checked) and decodes pixels only in ``__getitem__``. Problems with one sample raise
:class:`BadSampleError` naming the file; problems with the whole dataset (missing root, empty
split) raise :class:`DatasetError`; an unknown name (reader, split, taxonomy, sides) raises
:class:`~casestudies.names.UnknownNameError`, which lists the valid ones.

With ``skip_bad=True`` the reader decodes every sample once when opened (threads, one-off cost),
so that ``len(ds)`` is exact and ``ds.skipped`` lists every ``(path, reason)`` dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from casestudies.data import taxonomy as tx
from casestudies.data.schema import Sample, SampleError, ids_outside, validate_sample
from casestudies.names import lookup


class DatasetError(ValueError):
    """A whole dataset cannot be read (missing root, unknown or empty split, bad parameters)."""


class BadSampleError(DatasetError):
    """One sample cannot be read; ``path`` names the file and ``reason`` says what is wrong."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


SIDES = ("subject", "image")


def require_dir(path: Path, what: str) -> Path:
    """Return ``path`` if it is a directory, else raise :class:`DatasetError` naming it."""
    if not path.exists():
        raise DatasetError(f"{what} not found: {path}")
    if not path.is_dir():
        raise DatasetError(f"{what} is not a directory: {path}")
    return path


def side_swap_lut(taxonomy: str, sides: str) -> np.ndarray | None:
    """LUT that converts raw ids named by the *image* side into subject-side ids (None if not needed).

    A dataset whose annotators named left/right from the viewer labels the subject's right eye
    "left eye"; swapping every left/right pair turns it into this project's convention.
    """
    lookup("sides convention", sides, SIDES)
    return tx.flip_lut(taxonomy) if sides == "image" else None


class Reader(Sequence[Sample]):
    """Base class: a sequence of Samples over an index of items built at open time.

    Subclasses set ``name``, ``native_taxonomy`` (None if the dataset has no segmentation),
    ``default_sides`` (how the raw files name left/right: ``"subject"`` or ``"image"``), ``domain``,
    and implement ``_index() -> list[item]`` and ``_load(item) -> Sample``. Inside ``_index`` a
    per-item problem goes through ``self._reject(path, reason)``.
    """

    name: ClassVar[str] = ""
    native_taxonomy: ClassVar[str | None] = None
    default_sides: ClassVar[str] = "subject"
    domain: ClassVar[str] = "real"
    splits: ClassVar[tuple[str, ...]] = ("train", "val", "test")

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        *,
        taxonomy: str | None = None,
        skip_bad: bool = False,
        validate: bool = True,
        workers: int = 4,
        check_sides: bool = True,
    ) -> None:
        self.root = require_dir(Path(root).expanduser(), f"{self.name} root")
        self.split = lookup("split", split, self.splits, where=self.name)
        self.skip_bad = skip_bad
        self.validate = validate
        self.skipped: list[tuple[str, str]] = []
        self.taxonomy = self._resolve_taxonomy(taxonomy)
        self._lut = self._target_lut()
        self.items: list[Any] = self._index()
        if skip_bad and self.items:
            self._verify_all(workers)
        if not self.items:
            detail = f" ({len(self.skipped)} skipped as bad)" if self.skipped else ""
            raise DatasetError(f"{self.name}: split {split!r} under {self.root} holds no samples{detail}")
        self.side_check: dict[str, Any] | None = self._check_sides() if check_sides else None

    # -- taxonomy ------------------------------------------------------------------------------
    def _resolve_taxonomy(self, taxonomy: str | None) -> str | None:
        if taxonomy is None:
            return self.native_taxonomy
        if self.native_taxonomy is None:
            raise DatasetError(f"{self.name} has no segmentation labels; taxonomy must be None, got {taxonomy!r}")
        tx.get_taxonomy(taxonomy)  # unknown name -> UnknownNameError listing the valid ones
        return taxonomy

    def _target_lut(self) -> np.ndarray | None:
        if self.native_taxonomy is None or self.taxonomy == self.native_taxonomy:
            return None
        return tx.label_map(self.native_taxonomy, self.taxonomy)

    # -- index and loading -----------------------------------------------------------------------
    def _index(self) -> list[Any]:
        raise NotImplementedError

    def _load(self, item: Any) -> Sample:
        raise NotImplementedError

    def _reject(self, path: str | os.PathLike[str], reason: str) -> None:
        """Raise for a bad item, or record it in ``skipped`` when ``skip_bad`` is set."""
        if not self.skip_bad:
            raise BadSampleError(path, reason)
        self.skipped.append((str(path), reason))

    def _verify_all(self, workers: int) -> None:
        def check(item: Any) -> BadSampleError | None:
            try:
                self._finish(self._load(item), item)
            except BadSampleError as err:
                return err
            return None

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            errors = list(pool.map(check, self.items))
        kept = []
        for item, err in zip(self.items, errors):
            if err is None:
                kept.append(item)
            else:
                self.skipped.append((err.path, err.reason))
        self.items = kept

    def _file_of(self, item: Any, key: str) -> Path | None:
        """The file that holds label ``key`` (``seg``, ``landmarks``, ...) of ``item``, named in its
        errors; None: the image's file. Readers whose labels live in their own files override it."""
        return None

    def _finish(self, sample: Sample, item: Any) -> Sample:
        """Meta, native-id check, taxonomy remap and validation; errors name the file at fault."""
        meta = sample["meta"]
        meta.setdefault("dataset", self.name)
        meta.setdefault("split", self.split)
        meta.setdefault("domain", self.domain)

        def fault(key: str | None) -> str:
            path = self._file_of(item, key) if key is not None else None
            return str(path) if path is not None else str(meta.get("path", meta["source_id"]))

        if "seg" in sample:
            meta["native_taxonomy"] = self.native_taxonomy
            meta["taxonomy"] = self.taxonomy
            # 1. ids outside the native taxonomy are an error *before* the remap (which would turn
            #    them into 255 silently)
            if self.validate and self.native_taxonomy is not None:
                bad = ids_outside(sample["seg"], self.native_taxonomy)
                if bad:
                    n = tx.get_taxonomy(self.native_taxonomy).num_classes
                    raise BadSampleError(
                        fault("seg"), f"label ids {bad} outside taxonomy {self.native_taxonomy!r} (0..{n - 1}, 255)"
                    )
            # 2. the remap to the experiment's classes
            if self._lut is not None:
                sample["seg"] = self._lut[sample["seg"]]
        if self.validate:
            try:
                validate_sample(sample)
            except SampleError as err:
                raise BadSampleError(fault(err.key), str(err)) from err
        return sample

    def _check_sides(self, n: int = 16) -> dict[str, Any] | None:
        """Guard against an inverted left/right convention, from the data itself.

        In almost every photo (frontal or turned, not mirrored or upside down) the subject's
        right eye appears left of the left eye. On up to ``n`` evenly spaced samples holding both
        eye classes, count how often the ``right_eye`` centroid lies left of the ``left_eye``
        centroid. A share below 0.25 (at least 4 samples) means the files name the other side:
        raise and say which ``sides=`` to pass. The result is kept in ``side_check`` / ``report()``.
        """
        if self.taxonomy is None:
            return None
        classes = tx.get_taxonomy(self.taxonomy).classes
        if "right_eye" not in classes or "left_eye" not in classes:
            return None
        right, left = classes.index("right_eye"), classes.index("left_eye")
        checked = consistent = 0
        for i in np.unique(np.linspace(0, len(self.items) - 1, min(n, len(self.items))).astype(int)):
            try:
                seg = self[int(i)]["seg"]
            except BadSampleError:
                continue  # reported when that sample is accessed
            xr, xl = np.nonzero(seg == right)[1], np.nonzero(seg == left)[1]
            if xr.size and xl.size:
                checked += 1
                consistent += int(xr.mean() < xl.mean())
        result = {"checked": checked, "right_eye_on_image_left": consistent}
        if checked >= 4 and consistent < 0.25 * checked:
            sides = getattr(self, "sides", None)
            other = {"image": "subject", "subject": "image"}.get(str(sides))
            hint = f"; pass sides={other!r}" if other else ""
            raise DatasetError(
                f"{self.name} at {self.root}: left/right look inverted: in {checked - consistent} of {checked} "
                f"checked samples the subject's 'right_eye' class lies right of 'left_eye' in the image "
                f"(files read with sides={sides!r}){hint}, or check_sides=False to skip this check"
            )
        return result

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Sample:  # type: ignore[override]
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"{self.name}: index must be an int, got {type(index).__name__}")
        item = self.items[int(index)]
        return self._finish(self._load(item), item)

    def __iter__(self) -> Iterator[Sample]:
        for i in range(len(self)):
            yield self[i]

    def report(self) -> dict[str, Any]:
        """What a run record should hold about the data: source, size and every skipped file."""
        return {
            "dataset": self.name,
            "root": str(self.root),
            "split": self.split,
            "taxonomy": self.taxonomy,
            "n": len(self),
            "n_skipped": len(self.skipped),
            "skipped": [list(s) for s in self.skipped],
            "sides": getattr(self, "sides", self.default_sides),
            "side_check": self.side_check,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={str(self.root)!r}, split={self.split!r}, n={len(self)}, skipped={len(self.skipped)})"


def stems(folder: Path, exts: tuple[str, ...]) -> dict[str, Path]:
    """Map file stem -> path for files in ``folder`` whose suffix (lower case) is in ``exts``."""
    out: dict[str, Path] = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_file():
            p = Path(entry.path)
            if p.suffix.lower() in exts:
                out.setdefault(p.stem, p)
    return out


def deterministic_group_split(
    groups: Sequence[str], fractions: tuple[float, float, float], seed: int
) -> dict[str, str]:
    """Assign whole groups to train/val/test: shuffle sorted groups with ``seed``, then cut by count.

    val and test each get ``max(1, round(f * G))`` groups (G >= 3 needed), train the rest, so no
    group (person / session) appears in two splits.
    """
    ordered = sorted(set(groups))
    g = len(ordered)
    if g < 3:
        raise DatasetError(f"a group split needs at least 3 groups, found {g}: {ordered}")
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
        raise DatasetError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    perm = np.random.default_rng(seed).permutation(g)
    n_val = max(1, round(fractions[1] * g))
    n_test = max(1, round(fractions[2] * g))
    if n_val + n_test >= g:
        raise DatasetError(f"{g} groups are too few for fractions {fractions}")
    out: dict[str, str] = {}
    for rank, i in enumerate(perm):
        out[ordered[i]] = "val" if rank < n_val else "test" if rank < n_val + n_test else "train"
    return out

