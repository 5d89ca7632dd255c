"""One way to say "unknown name": :class:`UnknownNameError` and :func:`lookup`.

Every registry (models, adapters, schedules, dataset readers, splits, taxonomies, optimizers, ...)
looks names up through :func:`lookup`, so an unknown name always raises the same error type, whose
message lists the valid names; the CLI turns it into exit status 2. This module imports nothing
heavy (no torch), so any layer may use it.

>>> lookup("optimizer", "adamw", {"adamw": 1, "sgd": 2})
1
>>> lookup("optimizer", "adam", {"adamw": 1, "sgd": 2})
Traceback (most recent call last):
    ...
casestudies.names.UnknownNameError: unknown optimizer 'adam'; valid: 'adamw', 'sgd'
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import TypeVar, overload

T = TypeVar("T")


class UnknownNameError(KeyError, ValueError):
    """A name that is not in its registry. ``kind`` says what was looked up, ``names`` the unknown
    name(s), ``valid`` the names that exist. A ``KeyError`` (a failed look-up) and a ``ValueError``
    (a bad argument), so code that caught either keeps working."""

    def __init__(self, kind: str, names: str | Iterable[str], valid: Iterable[str], where: str = "") -> None:
        self.kind = kind
        self.names = [names] if isinstance(names, str) else list(names)
        self.valid = sorted(str(v) for v in valid)
        shown = ", ".join(repr(n) for n in self.names)
        plural = "s" if len(self.names) > 1 else ""
        prefix = f"{where}: " if where else ""
        listed = ", ".join(repr(v) for v in self.valid) or "(none)"
        super().__init__(f"{prefix}unknown {kind}{plural} {shown}; valid: {listed}")

    def __str__(self) -> str:  # KeyError would print the message's repr
        return str(self.args[0])


@overload
def lookup(kind: str, name: str, table: Mapping[str, T], where: str = "") -> T: ...
@overload
def lookup(kind: str, name: str, table: Collection[str], where: str = "") -> str: ...
def lookup(kind: str, name: str, table: Mapping[str, T] | Collection[str], where: str = "") -> T | str:
    """``table[name]`` for a mapping (``name`` itself for a plain collection of names); an unknown
    name raises :class:`UnknownNameError` listing the valid ones. ``where`` (e.g. a file or a
    reader) prefixes the message."""
    if isinstance(name, str) and name in table:
        return table[name] if isinstance(table, Mapping) else name
    raise UnknownNameError(kind, str(name), table, where)


def check_names(kind: str, names: Iterable[str], valid: Collection[str], where: str = "") -> None:
    """Refuse every name not in ``valid`` at once (e.g. the keys of a config mapping)."""
    unknown = sorted(n for n in names if n not in valid)
    if unknown:
        raise UnknownNameError(kind, unknown, valid, where)
