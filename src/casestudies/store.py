"""Run records on disk: one folder per run, a ``done`` marker written last, tidy DataFrames out.

Layout::

    runs/<case>/<run_id>/
        params.json      resolved parameters (written when the run is claimed)
        history.jsonl    per-step / per-epoch rows, appended while the run goes
        notebook.ipynb   the executed notebook (also for failed runs: it holds the error)
        record.json      params, metrics, timings, environment, status ("done" or "failed")
        failed           present only for failed runs: the error and the failing cell (JSON)
        done             written last and atomically; its presence is what "done" means
        .lock            flock()-ed by whoever executes the run (released if that process dies)
    runs/_cache/         shared artefacts (e.g. pretrain checkpoints); never treated as runs

Files are written to a temporary name in the same folder and renamed into place, so a reader (or a
run killed by SIGKILL) never sees half a file. This module never imports torch.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DONE, FAILED, RECORD, PARAMS, HISTORY, NOTEBOOK, LOCK = (
    "done", "failed", "record.json", "params.json", "history.jsonl", "notebook.ipynb", ".lock",
)
NOTEBOOK_OUT = "notebook_out.json"  # what the notebook itself reported (metrics, data sources, device)
RECORD_SCHEMA = 1


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file + fsync + rename (all-or-nothing)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


class RunLock:
    """An exclusive ``flock`` on ``<run_dir>/.lock``; the OS releases it when the holder dies."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK
        self._fd: int | None = None

    def acquire(self, blocking: bool = False) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        self._fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {os.uname().nodename}\n".encode())
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def is_locked(run_dir: Path) -> bool:
    """True if some live process holds the run's lock (i.e. it is executing right now)."""
    path = Path(run_dir) / LOCK
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


@dataclass(frozen=True)
class RunState:
    case: str
    run_id: str
    path: Path
    state: str  # "done" | "failed" | "running" | "incomplete" | "pending"


def run_state(run_dir: Path) -> str:
    run_dir = Path(run_dir)
    if (run_dir / DONE).exists():
        return "done"
    if not run_dir.exists():
        return "pending"
    if is_locked(run_dir):
        return "running"
    if (run_dir / FAILED).exists():
        return "failed"
    return "incomplete"


def iter_runs(runs_dir: Path, case: str | None = None) -> Iterator[RunState]:
    runs_dir = Path(runs_dir)
    if not runs_dir.exists():
        return
    # folders starting with "_" or "." (e.g. runs/_cache for shared pretrain checkpoints) are not cases
    for case_dir in sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        if case is not None and case_dir.name != case:
            continue
        for run_dir in sorted(p for p in case_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            yield RunState(case_dir.name, run_dir.name, run_dir, run_state(run_dir))


def clean_incomplete(runs_dir: Path, case: str | None = None, dry_run: bool = False) -> list[Path]:
    """Remove run folders that are neither done nor running (failed or interrupted). Returns them."""
    removed = []
    for rs in iter_runs(runs_dir, case):
        if rs.state in ("failed", "incomplete"):
            lock = RunLock(rs.path)
            if not lock.acquire():
                continue  # started meanwhile
            try:
                if not dry_run and not (rs.path / DONE).exists():
                    shutil.rmtree(rs.path)
                removed.append(rs.path)
            finally:
                lock.release()
    return removed


# --- records -> DataFrame ---------------------------------------------------------------------


def flatten(obj: Any, prefix: str = "", sep: str = ".") -> dict[str, Any]:
    """Flatten nested dicts: ``{"a": {"b": 1}} -> {"a.b": 1}``; lists stay values."""
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = f"{prefix}{sep}{k}" if prefix else str(k)
            if isinstance(v, dict) and v:
                out.update(flatten(v, key, sep))
            else:
                out[key] = v
    else:
        out[prefix] = obj
    return out


def read_record(run_dir: Path) -> dict[str, Any]:
    return read_json(Path(run_dir) / RECORD)


def load_records(
    runs_dir: str | Path = "runs",
    case: str | None = None,
    include_failed: bool = False,
):  # -> pandas.DataFrame (pandas imported lazily)
    """All run records under ``runs_dir`` as one tidy DataFrame, one row per run.

    Columns: ``case, run_id, profile, status``, then ``params.<name>``, ``metrics.<name>`` (nested
    metrics flattened with dots), ``timings.<name>``, ``env.<name>``, ``data.<name>`` and ``extra.<name>`` (``run.set`` facts).
    Only done runs unless ``include_failed``.

    >>> df = load_records("runs")  # doctest: +SKIP
    >>> df.groupby("params.schedule")["metrics.miou"].mean()  # doctest: +SKIP
    """
    import pandas as pd

    rows = []
    for rs in iter_runs(Path(runs_dir), case):
        if rs.state == "done" or (include_failed and rs.state == "failed"):
            try:
                rec = read_record(rs.path)
            except (OSError, json.JSONDecodeError) as e:
                raise RuntimeError(f"{rs.path / RECORD}: unreadable record: {e}") from e
            row = {
                "case": rec.get("case", rs.case),
                "run_id": rec.get("run_id", rs.run_id),
                "profile": rec.get("profile"),
                "status": rec.get("status", rs.state),
            }
            row.update(flatten(rec.get("params", {}), "params"))
            row.update(flatten(rec.get("metrics", {}), "metrics"))
            row.update(flatten(rec.get("timings", {}), "timings"))
            row.update(flatten(rec.get("environment", {}), "env"))
            row.update(flatten(rec.get("data_sources", {}), "data"))
            row.update(flatten(rec.get("extra", {}), "extra"))  # run.set(...) facts, e.g. CED curves
            if rec.get("error"):
                row["error"] = f"{rec['error'].get('ename', '')}: {rec['error'].get('evalue', '')}"
            rows.append(row)
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(columns=["case", "run_id", "profile", "status"])
    return df.sort_values(["case", "run_id"], kind="stable").reset_index(drop=True)
