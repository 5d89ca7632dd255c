"""Parameters: the notebook's ``parameters`` cell, profile YAML files, grid expansion and validation.

A case notebook (``notebooks/NN_<case>.py``, jupytext percent format) has one code cell tagged
``parameters`` holding every default as ``name = literal  # why``. ``params/<case>.yaml`` holds only
deltas, per profile::

    profiles:
      tiny:
        base: {epochs: 1}            # applied to every run of the profile
        grid:                        # Cartesian product; a list of mappings = union of products
          real_fraction: [0.0, 0.5]
          seed: [0, 1]
      default:
        extends: tiny                # optional: start from another profile's base
        ...

Every key and value type is checked against the notebook before anything runs; papermill by itself
only warns about unknown parameters.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from casestudies.versions import data_versions

PROFILES = ("tiny", "default", "paper")
_CELL_RE = re.compile(r"^# %%(?P<rest>.*)$")


class ParameterError(ValueError):
    """A parameter problem, with the file and line it comes from."""


@dataclass(frozen=True)
class NotebookParam:
    name: str
    default: Any
    line: int  # 1-based line in the notebook source
    comment: str = ""  # the "why" (after a type declaration, if any)
    types: tuple[str, ...] | None = None  # declared in the comment: ``x = None  # int | None: why``


# Type names a parameters-cell comment may declare (``name = None  # int | None: why``); YAML values
# are these types, so nothing else is needed.
TYPE_NAMES = ("int", "float", "str", "bool", "list", "dict", "None")
_DECLARED_RE = re.compile(r"^\s*(?P<types>[A-Za-z]+(?:\s*\|\s*[A-Za-z]+)*)\s*:\s*(?P<why>.*)$")


def declared_types(comment: str) -> tuple[tuple[str, ...] | None, str]:
    """Split ``"int | None: why"`` into ``(("int", "None"), "why")``; a comment that does not start
    with ``T | T ...:`` made of :data:`TYPE_NAMES` declares nothing: ``(None, comment)``.

    >>> declared_types("int | None: real subset size; None = use real_fraction")
    (('int', 'None'), 'real subset size; None = use real_fraction')
    >>> declared_types("why: because")
    (None, 'why: because')
    """
    m = _DECLARED_RE.match(comment)
    if not m:
        return None, comment
    types = tuple(t.strip() for t in m.group("types").split("|"))
    if not all(t in TYPE_NAMES for t in types):
        return None, comment
    return types, m.group("why").strip()


@dataclass
class Located:
    """A YAML value together with where it was written."""

    value: Any
    file: Path
    line: int  # 1-based; 0 for values given on the command line

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)


def parameters_cell(notebook: Path) -> dict[str, NotebookParam]:
    """Parse the ``parameters`` cell of a py:percent notebook into ``{name: NotebookParam}``.

    Only ``name = literal`` statements are allowed there (STYLE: nothing computed), so the
    defaults are read with ``ast.literal_eval`` without executing the notebook.
    """
    lines = Path(notebook).read_text(encoding="utf-8").splitlines()
    start = None
    for i, line in enumerate(lines):
        m = _CELL_RE.match(line)
        if m and "parameters" in m.group("rest") and "tags" in m.group("rest"):
            start = i + 1
            break
    if start is None:
        raise ParameterError(f"{notebook}: no cell tagged 'parameters' (write '# %% tags=[\"parameters\"]')")
    end = len(lines)
    for j in range(start, len(lines)):
        if _CELL_RE.match(lines[j]):
            end = j
            break
    src = "\n".join(lines[start:end])
    try:
        tree = ast.parse(src)
    except SyntaxError as e:
        raise ParameterError(f"{notebook}:{start + (e.lineno or 1)}: parameters cell does not parse: {e.msg}") from e
    out: dict[str, NotebookParam] = {}
    for node in tree.body:
        lineno = start + node.lineno
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ParameterError(f"{notebook}:{lineno}: the parameters cell may only hold 'name = literal' lines")
        name = node.targets[0].id
        try:
            value = ast.literal_eval(node.value)
        except ValueError as e:
            raise ParameterError(f"{notebook}:{lineno}: default of {name!r} is not a literal") from e
        line_text = lines[lineno - 1]
        comment = line_text.split("#", 1)[1].strip() if "#" in line_text else ""
        types, why = declared_types(comment)
        param = NotebookParam(name, value, lineno, why, types)
        msg = check_value(name, value, value, types)
        if msg:
            raise ParameterError(f"{notebook}:{lineno}: the default does not fit its declared type: {msg}")
        out[name] = param
    return out


# --- YAML with line numbers -------------------------------------------------------------------


def _construct(node: yaml.Node, file: Path) -> Any:
    """Build Python values from a YAML node tree, wrapping every mapping value in ``Located``."""
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Located] = {}
        for k, v in node.value:
            key = yaml.safe_load(yaml.serialize(k)) if not isinstance(k, yaml.ScalarNode) else k.value
            if str(key) in out:
                raise ParameterError(f"{file}:{k.start_mark.line + 1}: duplicate key {key!r}")
            out[str(key)] = Located(_construct(v, file), file, k.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, file) for v in node.value]
    return yaml.safe_load(yaml.serialize(node))


def _plain(value: Any) -> Any:
    """Strip ``Located`` wrappers."""
    if isinstance(value, Located):
        return _plain(value.value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_yaml_located(path: Path) -> dict[str, Located]:
    path = Path(path)
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ParameterError(f"{path}: invalid YAML: {e}") from e
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise ParameterError(f"{path}:1: top level must be a mapping with a 'profiles' key")
    return _construct(node, path)


# --- profiles and grids ------------------------------------------------------------------------


@dataclass
class Profile:
    """A profile resolved from YAML: base deltas and a list of grids (each a dict of value lists)."""

    name: str
    base: dict[str, Located] = field(default_factory=dict)
    grids: list[dict[str, Located]] = field(default_factory=list)


def load_profile(path: Path, profile: str) -> Profile:
    """Read profile ``profile`` from a params YAML, following ``extends`` chains for the base."""
    doc = load_yaml_located(path)
    unknown_top = set(doc) - {"profiles", "description"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        raise ParameterError(f"{path}:{doc[key].line}: unknown top-level key {key!r} (expected 'profiles')")
    if "profiles" not in doc or not isinstance(doc["profiles"].value, dict):
        raise ParameterError(f"{path}: needs a 'profiles' mapping")
    profiles: dict[str, Located] = doc["profiles"].value
    return _resolve_profile(path, profiles, profile, seen=())


def _resolve_profile(path: Path, profiles: dict[str, Located], name: str, seen: tuple[str, ...]) -> Profile:
    if name not in profiles:
        raise ParameterError(f"{path}: no profile {name!r}; defined: {sorted(profiles)}")
    if name in seen:
        raise ParameterError(f"{path}: 'extends' cycle through {name!r}")
    spec = profiles[name].value or {}
    if not isinstance(spec, dict):
        raise ParameterError(f"{path}:{profiles[name].line}: profile {name!r} must be a mapping")
    bad = set(spec) - {"base", "grid", "extends", "description"}
    if bad:
        key = sorted(bad)[0]
        raise ParameterError(
            f"{path}:{spec[key].line}: unknown key {key!r} in profile {name!r} (allowed: base, grid, extends)"
        )
    base: dict[str, Located] = {}
    if "extends" in spec:
        base.update(_resolve_profile(path, profiles, str(spec["extends"].value), seen + (name,)).base)
    own = spec["base"].value if "base" in spec else {}
    if own and not isinstance(own, dict):
        raise ParameterError(f"{path}:{spec['base'].line}: 'base' must be a mapping of name: value")
    base.update(own or {})
    grids: list[dict[str, Located]] = []
    if "grid" in spec:
        g = spec["grid"].value
        for one in g if isinstance(g, list) else [g]:
            if not isinstance(one, dict):
                raise ParameterError(f"{path}:{spec['grid'].line}: 'grid' must be a mapping or a list of mappings")
            for key, loc in one.items():
                if not isinstance(loc.value, list) or not loc.value:
                    raise ParameterError(f"{path}:{loc.line}: grid key {key!r} needs a non-empty list of values")
            grids.append(one)
    return Profile(name, base, grids)


def expand_grid(grids: list[dict[str, list[Any]]]) -> list[dict[str, Any]]:
    """Expand a union of Cartesian products into a list of points, in a deterministic order.

    Keys vary slowest-first in the order written; duplicate points (same values) appear once.

    >>> expand_grid([{"a": [1, 2], "b": ["x"]}])
    [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'x'}]
    """
    points: list[dict[str, Any]] = []
    seen: set[str] = set()
    for grid in grids or [{}]:
        keys = list(grid)
        for combo in itertools.product(*(grid[k] for k in keys)):
            point = dict(zip(keys, combo))
            key = canonical_json(point)
            if key not in seen:
                seen.add(key)
                points.append(point)
    return points


# --- validation --------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _fits(value: Any, type_name: str) -> bool:
    """Whether ``value`` is of the named type: bool is never int or float; int is accepted for
    float; a list (or tuple) for list."""
    if type_name == "None":
        return value is None
    if type_name == "bool" or isinstance(value, bool):
        return type_name == "bool" and isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, (int, float))
    if type_name == "list":
        return isinstance(value, (list, tuple))
    return isinstance(value, {"int": int, "str": str, "dict": dict}[type_name])


def check_value(name: str, value: Any, default: Any, types: tuple[str, ...] | None = None) -> str | None:
    """Return a message if ``value`` does not fit the declared ``types`` (see :func:`declared_types`)
    or, without a declaration, the type of ``default``; else None.

    Rules: bool is never int or float; int is accepted for float; lists and dicts must stay lists
    and dicts; a ``None`` default without a declared type accepts anything (declare it:
    ``real_size = None  # int | None: why``).
    """
    if types is not None:
        if any(_fits(value, t) for t in types):
            return None
        return f"{name!r} must be {' | '.join(types)} (declared in the notebook), got {_type_name(value)} {value!r}"
    if default is None:
        return None
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(default, bool) and isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float))
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, tuple))
    else:
        ok = isinstance(value, type(default))
    if ok:
        return None
    return f"{name!r} must be {_type_name(default)} (notebook default {default!r}), got {_type_name(value)} {value!r}"


def _coerce(value: Any, default: Any, types: tuple[str, ...] | None = None) -> Any:
    floaty = "float" in types and "int" not in types if types is not None else isinstance(default, float)
    if floaty and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, tuple) and isinstance(value, list):
        return list(value)
    return value


def validate(
    deltas: dict[str, Located], spec: dict[str, NotebookParam], notebook: Path, grid: bool = False
) -> None:
    """Refuse unknown keys and wrong types; messages name the key, the YAML file and line.

    With ``grid=True`` each value is a list of candidate values, each checked.
    """
    for key, loc in deltas.items():
        if key not in spec:
            raise ParameterError(
                f"{loc.where}: unknown parameter {key!r}: not in the parameters cell of {notebook}"
                f" (known: {', '.join(sorted(spec))})"
            )
        values = loc.value if grid else [loc.value]
        for v in values:
            msg = check_value(key, _plain(v), spec[key].default, spec[key].types)
            if msg:
                raise ParameterError(f"{loc.where}: {msg}")


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def run_id(case: str, params: dict[str, Any], versions: dict[str, str] | None = None) -> str:
    """Stable 12-hex-digit id: SHA-256 of the case name, the resolved parameters and the data
    versions that determine the result (sorted JSON; ``versions`` defaults to
    :func:`casestudies.versions.data_versions`), so a run made with older data is not reused."""
    versions = data_versions() if versions is None else versions
    return hashlib.sha256(canonical_json({"case": case, "data": versions, "params": params}).encode()).hexdigest()[:12]


def parse_override(text: str, source: str = "--set") -> tuple[str, Any]:
    """Parse ``key=value`` (value as YAML, so ``epochs=3`` is an int and ``name=abc`` a string)."""
    if "=" not in text:
        raise ParameterError(f"{source} {text!r}: expected key=value")
    key, raw = text.split("=", 1)
    return key.strip(), yaml.safe_load(raw)


@dataclass(frozen=True)
class SweepPlan:
    """The resolved runs of one sweep: full parameter dicts in grid order, with their ids, and the
    data versions those ids include."""

    case: str
    profile: str
    notebook: Path
    runs: tuple[tuple[str, dict[str, Any]], ...]
    versions: dict[str, str] = field(default_factory=dict)


def resolve(
    case: str,
    notebook: Path,
    params_file: Path | None,
    profile: str,
    overrides: list[str] | None = None,
    grid_overrides: list[str] | None = None,
) -> SweepPlan:
    """Resolve the full parameter sets for ``case`` at ``profile``: defaults < base < overrides < grid.

    ``overrides`` are ``key=value`` strings applied to every run; ``grid_overrides`` are
    ``key=v1,v2`` strings that replace (or add) one grid axis in every grid.
    """
    spec = parameters_cell(notebook)
    if params_file is not None and Path(params_file).exists():
        prof = load_profile(params_file, profile)
    elif profile == "default" or params_file is None:
        prof = Profile(profile)
    else:
        raise ParameterError(f"{params_file}: not found (needed for profile {profile!r})")
    base = dict(prof.base)
    for text in overrides or []:
        key, value = parse_override(text)
        base[key] = Located(value, Path("--set"), 0)
    grids = [dict(g) for g in prof.grids] or [{}]
    for text in grid_overrides or []:
        key, raw = text.split("=", 1) if "=" in text else (text, "")
        values = [yaml.safe_load(v) for v in raw.split(",")] if raw else []
        if not values:
            raise ParameterError(f"--grid {text!r}: expected key=v1,v2,...")
        for g in grids:
            g[key.strip()] = Located(values, Path("--grid"), 0)
    validate(base, spec, notebook)
    for g in grids:
        validate(g, spec, notebook, grid=True)
    defaults = {k: p.default for k, p in spec.items()}
    versions = data_versions()

    def coerce(key: str, value: Any) -> Any:
        return _coerce(value, defaults[key], spec[key].types)

    fixed = {k: coerce(k, _plain(v)) for k, v in base.items()}
    points = expand_grid([{k: _plain(v) for k, v in g.items()} for g in grids])
    runs: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for point in points:
        params = {**defaults, **fixed, **{k: coerce(k, v) for k, v in point.items()}}
        rid = run_id(case, params, versions)
        if rid not in seen:
            seen.add(rid)
            runs.append((rid, params))
    return SweepPlan(case, profile, Path(notebook), tuple(runs), versions)
