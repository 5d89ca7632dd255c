from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from casestudies.params import (
    ParameterError,
    check_value,
    expand_grid,
    parameters_cell,
    resolve,
    run_id,
)
from casestudies.versions import data_versions

NB = '''# %% [markdown]
# title

# %% tags=["parameters"]
epochs = 2  # why
lr = 0.1  # why
name = "a"  # why
flag = False  # why
sizes = [1, 2]  # why
anything = None  # why
real_size = None  # int | None: real subset size; None = use real_fraction
scale = None  # float | None: why

# %%
x = epochs * 2
'''


@pytest.fixture
def nb(tmp_path: Path) -> Path:
    p = tmp_path / "case.py"
    p.write_text(NB)
    return p


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "case.yaml"
    p.write_text(text)
    return p


def test_parameters_cell_reads_defaults_lines_and_comments(nb: Path) -> None:
    spec = parameters_cell(nb)
    assert list(spec) == ["epochs", "lr", "name", "flag", "sizes", "anything", "real_size", "scale"]
    assert spec["lr"].default == 0.1 and spec["lr"].line == 6 and spec["lr"].comment == "why"
    assert spec["lr"].types is None and spec["anything"].types is None
    assert spec["real_size"].types == ("int", "None")
    assert spec["real_size"].comment == "real subset size; None = use real_fraction"


def test_parameters_cell_refuses_computed_values(tmp_path: Path) -> None:
    p = tmp_path / "bad.py"
    p.write_text('# %% tags=["parameters"]\na = 1\nb = a + 1\n')
    with pytest.raises(ParameterError, match=r"bad.py:3: default of 'b' is not a literal"):
        parameters_cell(p)


def test_grid_expansion_is_deterministic_and_deduplicated() -> None:
    grids = [{"a": [1, 2], "b": ["x", "y"]}, {"a": [1], "b": ["x"]}]
    pts = expand_grid(grids)
    assert pts == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    assert expand_grid(grids) == pts


def test_run_id_is_stable_and_order_independent() -> None:
    a = run_id("c", {"x": 1, "y": [1, 2]})
    assert a == run_id("c", {"y": [1, 2], "x": 1})
    assert a != run_id("c", {"x": 2, "y": [1, 2]}) and a != run_id("d", {"x": 1, "y": [1, 2]})
    assert len(a) == 12 and int(a, 16) >= 0
    # pinned format (sorted compact JSON of case + data versions + params): changing it orphans every
    # run folder. Issue 8 added "data" (casestudies.versions) so a run on older data is not reused;
    # that changed every id once (a store from before re-runs its runs, it never mixes them up).
    pinned = b'{"case":"toy","data":{"generator":"9"},"params":{"a":1}}'
    assert run_id("toy", {"a": 1}, {"generator": "9"}) == hashlib.sha256(pinned).hexdigest()[:12]
    assert run_id("toy", {"a": 1}) == run_id("toy", {"a": 1}, data_versions())


def test_a_new_generator_version_changes_every_run_id(nb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from casestudies import sweep, versions
    from casestudies.store import DONE, Status

    y = write(tmp_path, "profiles:\n  tiny:\n    grid:\n      epochs: [1, 2]\n")
    old = resolve("case", nb, y, "tiny")
    assert old.versions == {"generator": versions.GENERATOR_VERSION}
    runs = tmp_path / "runs"
    for rid, _ in old.runs:  # both runs done with the current generator
        (runs / "case" / rid).mkdir(parents=True)
        (runs / "case" / rid / DONE).write_text("x\n")
    executed: list[str] = []

    def run_local(specs, jobs, progress=True, desc=""):
        executed.extend(s.run_id for s in specs)
        return [sweep.RunOutcome(s.run_id, Status.DONE) for s in specs]

    monkeypatch.setattr(sweep, "run_local", run_local)
    again = sweep.run_sweep(resolve("case", nb, y, "tiny"), runs, tmp_path, progress=False)
    assert again.count(Status.SKIPPED) == 2 and executed == []
    monkeypatch.setattr(versions, "GENERATOR_VERSION", versions.GENERATOR_VERSION + ".1")
    new = resolve("case", nb, y, "tiny")
    assert [p for _, p in new.runs] == [p for _, p in old.runs]  # same parameters ...
    assert not {r for r, _ in new.runs} & {r for r, _ in old.runs}  # ... other ids
    summary = sweep.run_sweep(new, runs, tmp_path, progress=False)
    assert summary.count(Status.SKIPPED) == 0 and executed == [r for r, _ in new.runs]


def test_resolve_layers_defaults_base_and_grid(nb: Path, tmp_path: Path) -> None:
    y = write(tmp_path, "profiles:\n  tiny:\n    base: {epochs: 1, lr: 1}\n    grid:\n      name: [a, b]\n")
    plan = resolve("case", nb, y, "tiny")
    assert [p["name"] for _, p in plan.runs] == ["a", "b"]
    first = plan.runs[0][1]
    assert first["epochs"] == 1 and first["lr"] == 1.0 and isinstance(first["lr"], float)
    assert first["sizes"] == [1, 2] and first["flag"] is False
    assert plan.runs == resolve("case", nb, y, "tiny").runs


def test_extends_and_overrides(nb: Path, tmp_path: Path) -> None:
    y = write(tmp_path, "profiles:\n  tiny:\n    base: {epochs: 1}\n  default:\n    extends: tiny\n    base: {lr: 0.5}\n")
    plan = resolve("case", nb, y, "default", overrides=["flag=true"], grid_overrides=["epochs=3,4"])
    assert [(p["epochs"], p["lr"], p["flag"]) for _, p in plan.runs] == [(3, 0.5, True), (4, 0.5, True)]


@pytest.mark.parametrize(
    ("yaml_text", "pattern"),
    [
        ("profiles:\n  tiny:\n    base:\n      epochs: 1\n      epohcs: 2\n", r"case.yaml:5: unknown parameter 'epohcs'"),
        ("profiles:\n  tiny:\n    base:\n      lr: fast\n", r"case.yaml:4: 'lr' must be float"),
        ("profiles:\n  tiny:\n    base:\n      epochs: 1.5\n", r"case.yaml:4: 'epochs' must be int"),
        ("profiles:\n  tiny:\n    base:\n      flag: 1\n", r"case.yaml:4: 'flag' must be bool"),
        ("profiles:\n  tiny:\n    base:\n      epochs: true\n", r"case.yaml:4: 'epochs' must be int"),
        ("profiles:\n  tiny:\n    grid:\n      name: [a, 3]\n", r"case.yaml:4: 'name' must be str"),
        ("profiles:\n  tiny:\n    grid:\n      bogus: [1]\n", r"case.yaml:4: unknown parameter 'bogus'"),
        ("profiles:\n  tiny:\n    grid:\n      epochs: 3\n", r"case.yaml:4: grid key 'epochs' needs a non-empty list"),
        ("profiles:\n  tiny:\n    bases: {}\n", r"case.yaml:3: unknown key 'bases' in profile 'tiny'"),
        ("profile:\n  tiny: {}\n", r"case.yaml:1: unknown top-level key 'profile'"),
        ("profiles:\n  default: {}\n", r"no profile 'tiny'"),
        ("profiles:\n  tiny:\n    base:\n      real_size: half\n",
         r"case.yaml:4: 'real_size' must be int \| None \(declared in the notebook\), got str 'half'"),
        ("profiles:\n  tiny:\n    grid:\n      real_size: [10, 2.5]\n", r"case.yaml:4: 'real_size' must be int \| None"),
        ("profiles:\n  tiny:\n    base:\n      real_size: true\n", r"case.yaml:4: 'real_size' must be int \| None"),
    ],
)
def test_bad_yaml_is_refused_naming_key_file_and_line(nb: Path, tmp_path: Path, yaml_text: str, pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern):
        resolve("case", nb, write(tmp_path, yaml_text), "tiny")


def test_cli_overrides_are_validated(nb: Path, tmp_path: Path) -> None:
    y = write(tmp_path, "profiles:\n  tiny: {}\n")
    with pytest.raises(ParameterError, match=r"--set: unknown parameter 'nope'"):
        resolve("case", nb, y, "tiny", overrides=["nope=1"])
    with pytest.raises(ParameterError, match=r"--grid: 'epochs' must be int"):
        resolve("case", nb, y, "tiny", grid_overrides=["epochs=a,b"])


def test_declared_types_are_checked_and_coerced(nb: Path, tmp_path: Path) -> None:
    y = write(tmp_path, "profiles:\n  tiny:\n    base: {scale: 2}\n    grid:\n      real_size: [null, 10]\n")
    runs = [p for _, p in resolve("case", nb, y, "tiny").runs]
    assert [p["real_size"] for p in runs] == [None, 10] and all(p["scale"] == 2.0 for p in runs)
    assert all(isinstance(p["scale"], float) for p in runs)  # int -> float as for float defaults


def test_a_default_must_fit_its_declared_type(tmp_path: Path) -> None:
    p = tmp_path / "bad.py"
    p.write_text('# %% tags=["parameters"]\na = 1  # why\nb = "x"  # int | None: why\n')
    with pytest.raises(ParameterError, match=r"bad.py:3: the default does not fit its declared type: 'b' must be int \| None"):
        parameters_cell(p)
    p.write_text('# %% tags=["parameters"]\nb = None  # note: a colon, not a type\nc = None  # Int | None: unknown type\n')
    spec = parameters_cell(p)
    assert spec["b"].types is None and spec["c"].types is None and spec["c"].comment == "Int | None: unknown type"


def test_check_value_rules() -> None:
    assert check_value("x", 1, 0.5) is None  # int accepted for float
    assert check_value("x", None, None) is None and check_value("x", "s", None) is None
    assert check_value("x", True, 1) is not None and check_value("x", 1, True) is not None
    assert check_value("x", [1], [2]) is None and check_value("x", {"a": 1}, [1]) is not None
    assert check_value("x", None, None, ("int", "None")) is None and check_value("x", 3, None, ("int", "None")) is None
    assert check_value("x", "s", None, ("int", "None")) is not None and check_value("x", 1.5, None, ("int",)) is not None
    assert check_value("x", 1, None, ("float",)) is None and check_value("x", True, None, ("float", "int")) is not None
    assert check_value("x", [1], None, ("list", "None")) is None and check_value("x", None, 3, ("int",)) is not None


def test_params_files_validate_against_their_notebooks() -> None:
    """Every shipped params/<case>.yaml (and the toy fixture) resolves at every profile it defines."""
    import yaml

    from casestudies.project import Project

    here = Path(__file__).resolve().parent
    projects = [Project.at(here.parent), Project.at(here / "cases")]
    checked = 0
    for proj in projects:
        for case in proj.cases():
            for profile in yaml.safe_load(proj.params_file(case).read_text())["profiles"]:
                plan = resolve(case, proj.notebook(case), proj.params_file(case), profile)
                assert plan.runs, f"{case} [{profile}] has no runs"
                checked += 1
    assert checked >= 3  # at least the toy fixture's three profiles
