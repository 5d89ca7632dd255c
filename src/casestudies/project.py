"""Where things live: notebooks, params, runs, benchmarks and the built report, relative to a project root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from casestudies import CASES
from casestudies.names import UnknownNameError


@dataclass(frozen=True)
class Project:
    """Paths of one checkout. ``runs`` defaults to ``<root>/runs`` (env ``CASESTUDIES_RUNS``)."""

    root: Path
    runs: Path

    @classmethod
    def at(cls, root: str | Path | None = None, runs: str | Path | None = None) -> Project:
        root = Path(root or os.environ.get("CASESTUDIES_ROOT") or Path.cwd()).resolve()
        runs = Path(runs or os.environ.get("CASESTUDIES_RUNS") or root / "runs").resolve()
        return cls(root, runs)

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def params(self) -> Path:
        return self.root / "params"

    @property
    def benchmarks(self) -> Path:
        return self.root / "benchmarks"

    def benchmark(self, name: str) -> Path:
        """``benchmarks/bench_<name>.py`` (run by ``casestudies bench NAME``)."""
        return self.benchmarks / f"bench_{name}.py"

    @property
    def build(self) -> Path:
        return self.root / "report" / "_build"

    def notebook(self, case: str) -> Path:
        """``notebooks/NN_<case>.py`` or ``notebooks/<case>.py``; an unknown case lists the known ones."""
        hits = sorted(self.notebooks.glob(f"*_{case}.py")) + sorted(self.notebooks.glob(f"{case}.py"))
        hits = [h for h in hits if h.stem == case or h.stem.split("_", 1)[-1] == case]
        if not hits:
            raise UnknownNameError("case", case, self.cases(), where=f"no notebook in {self.notebooks}")
        return hits[0]

    def params_file(self, case: str) -> Path:
        return self.params / f"{case}.yaml"

    def cases(self) -> list[str]:
        """Cases with a params file here, the three case studies first."""
        found = sorted(p.stem for p in self.params.glob("*.yaml")) if self.params.exists() else []
        return [c for c in CASES if c in found] + [c for c in found if c not in CASES]
