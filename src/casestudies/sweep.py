"""Sweeps: one papermill run per grid point, on a local process pool or a Dask cluster.

Guarantees (tested): a run is executed only by the process holding its ``flock``; a done run is
skipped; ``done`` is written last and atomically; a failed run keeps its error, its failing cell and
its executed notebook, and the other runs go on. So a sweep killed at any moment resumes by running
the same command again, and two sweeps over one store never execute a run twice.

Kernel reuse (``RunSpec.reuse_kernel``, on by default): each worker process keeps its Jupyter kernel
for the next run of the same notebook, so a run does not pay a kernel start and the torch / model
imports again (about 8 s of a 25 s default-profile run on two cores). The injected first cell gives
the kernel back the namespace it had before its first run (``runlog.fresh_namespace``); every run seeds its own RNGs, so a
record is the same in a fresh or a reused kernel (tested). A kernel is dropped after a failed run
and after ``KERNEL_RUNS`` runs; ``casestudies sweep --fresh-kernels`` starts one per run.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import datetime as dt
import multiprocessing as mp
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casestudies import envinfo
from casestudies.params import SweepPlan
from casestudies.store import (
    DONE,
    FAILED,
    HISTORY,
    NOTEBOOK,
    NOTEBOOK_OUT,
    PARAMS,
    RECORD,
    RunLock,
    Status,
    atomic_write_json,
    atomic_write_text,
    build_record,
    read_json,
)
from casestudies.threads import thread_env

KERNEL = "python3"
CONTEXT_TAG = "injected-run-context"
KERNEL_RUNS = 20  # runs one kernel executes before a fresh one (bounds what any leak accumulates)
# A kernel that dies before answering kernel_info ran nothing: jupyter_client picks free ports and
# releases them before the kernel binds, so two kernels starting at once can collide ("Address already
# in use"). Such a start is retried with a fresh kernel, up to this many attempts in all.
KERNEL_START_TRIES = 3
KERNEL_START_FAILURE = "Kernel died before replying to kernel_info"


@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs to execute one run (picklable, for process pools and Dask)."""

    case: str
    run_id: str
    params: dict[str, Any]
    profile: str
    notebook: str
    runs_dir: str
    root: str
    threads: int = 1
    timeout_s: float | None = None
    kernel: str = KERNEL
    versions: dict[str, str] = field(default_factory=dict)  # data versions in the run id
    reuse_kernel: bool = True  # run in this worker's kernel from its previous run (see the module doc)

    @property
    def run_dir(self) -> Path:
        return Path(self.runs_dir) / self.case / self.run_id


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    status: str  # Status.DONE | FAILED | SKIPPED (already done) | BUSY (another process has it)
    wall_s: float = 0.0
    message: str = ""


@dataclass
class SweepSummary:
    case: str
    profile: str
    total: int
    results: list[RunOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        return self.count(Status.FAILED) == 0 and self.count(Status.BUSY) == 0

    def text(self) -> str:
        lines = [
            f"{self.case} [{self.profile}]: {self.total} runs: {self.count(Status.DONE)} executed, "
            f"{self.count(Status.SKIPPED)} already done, {self.count(Status.FAILED)} failed"
            + (f", {self.count(Status.BUSY)} still running elsewhere" if self.count(Status.BUSY) else "")
        ]
        lines += [f"  FAILED {r.run_id}: {r.message}" for r in self.results if r.status == Status.FAILED]
        return "\n".join(lines)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def make_specs(plan: SweepPlan, runs_dir: Path, root: Path, threads: int, timeout_s: float | None = None,
               reuse_kernel: bool = True) -> list[RunSpec]:
    return [
        RunSpec(plan.case, rid, params, plan.profile, str(plan.notebook), str(runs_dir), str(root), threads, timeout_s,
                versions=plan.versions, reuse_kernel=reuse_kernel)
        for rid, params in plan.runs
    ]


def choose_parallelism(n_runs: int, jobs: int | None = None, threads: int | None = None) -> tuple[int, int]:
    """(parallel runs, threads per run) so that jobs * threads <= cores unless asked otherwise."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if jobs is None:
        jobs = max(1, min(n_runs, cores // (threads or 1)))
    if threads is None:
        threads = max(1, cores // jobs)
    return jobs, threads


# --- executing one run -------------------------------------------------------------------------


def build_notebook(spec: RunSpec):  # -> nbformat.NotebookNode
    """The case notebook (from its py:percent source) with a hidden run-context cell first."""
    import jupytext
    import nbformat

    nb = jupytext.read(spec.notebook)
    nb.metadata.setdefault("kernelspec", {"name": spec.kernel, "display_name": "Python 3", "language": "python"})
    nb.metadata["kernelspec"]["name"] = spec.kernel
    src = (
        "# run context, injected by casestudies.sweep (pins threads, points the run log at the run folder)\n"
        "from casestudies import runlog as _cs_runlog\n"
        + ("_cs_runlog.fresh_namespace(get_ipython())  # a kernel kept from this worker's previous run\n"
           if spec.reuse_kernel else "")
        + f"_cs_runlog.attach({str(spec.run_dir)!r}, parent_pid={os.getpid()}, threads={spec.threads})"
    )
    cell = nbformat.v4.new_code_cell(src, metadata={"tags": [CONTEXT_TAG, "remove_cell"]})
    nb.cells.insert(0, cell)
    return nb


def _error_info(exc: BaseException) -> dict[str, Any]:
    info: dict[str, Any] = {
        "ename": getattr(exc, "ename", type(exc).__name__),
        "evalue": str(getattr(exc, "evalue", exc)),
        "traceback": getattr(exc, "traceback", None) or traceback.format_exception(exc),
    }
    if getattr(exc, "cell_index", None) is not None:
        info["cell_index"] = exc.cell_index  # index in the executed notebook (context cell = 0)
        info["cell_source"] = exc.source
        info["exec_count"] = exc.exec_count
    return info


def _cell_seconds(nb_path: Path) -> float:
    """Sum of papermill's per-cell durations in an executed notebook (s)."""
    import nbformat

    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception:  # noqa: BLE001 - timing is best effort
        return 0.0
    return float(sum((c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0) for c in nb.cells))


def _reset(run_dir: Path) -> None:
    for name in (RECORD, FAILED, HISTORY, NOTEBOOK, NOTEBOOK_OUT, DONE):
        with contextlib.suppress(FileNotFoundError):
            (run_dir / name).unlink()


@dataclass
class _Kernel:
    km: Any  # nbclient's (async) KernelManager; started by the first run's papermill call
    key: tuple[str, str, int]  # (kernel name, working directory, threads): what a kernel is started with
    runs: int = 0


_kernel: _Kernel | None = None  # this worker process's kernel, kept between runs


def _worker_kernel(spec: RunSpec, cwd: str) -> Any:
    """The kernel manager this worker reuses for ``spec`` (a new one when the key differs)."""
    global _kernel
    key = (spec.kernel, cwd, spec.threads)
    if _kernel is not None and (_kernel.key != key or _kernel.runs >= KERNEL_RUNS):
        _drop_kernel()
    if _kernel is None:
        from nbclient import NotebookClient
        from nbformat import v4

        _kernel = _Kernel(NotebookClient(v4.new_notebook(), kernel_name=spec.kernel).create_kernel_manager(), key)
    _kernel.runs += 1
    return _kernel.km


def _drop_kernel() -> None:
    global _kernel
    if _kernel is None:
        return
    km, _kernel = _kernel.km, None
    with contextlib.suppress(Exception):
        if km.has_kernel:
            from jupyter_core.utils import run_sync

            run_sync(km.shutdown_kernel)(now=True)


def execute_run(spec: RunSpec, blocking: bool = False) -> RunOutcome:
    """Claim, execute and record one run. Never raises for a notebook error: it records it."""
    import papermill as pm

    run_dir = spec.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = RunLock(run_dir)
    if not lock.acquire(blocking=blocking):
        return RunOutcome(spec.run_id, Status.BUSY)
    try:
        if (run_dir / DONE).exists():
            return RunOutcome(spec.run_id, Status.SKIPPED)
        _reset(run_dir)  # leftovers of an interrupted or failed attempt
        atomic_write_json(run_dir / PARAMS, spec.params)
        os.environ.update(thread_env(spec.threads))
        bindir = str(Path(sys.executable).parent)
        if not os.environ.get("PATH", "").startswith(bindir + os.pathsep):
            os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
        partial = run_dir / f".partial.{NOTEBOOK}"
        started, t0 = now_iso(), time.perf_counter()
        error: dict[str, Any] | None = None
        cwd = str(Path(spec.notebook).parent)
        for attempt in range(1, KERNEL_START_TRIES + 1):
            km = _worker_kernel(spec, cwd) if spec.reuse_kernel else None
            error = None
            try:
                pm.execute_notebook(
                    build_notebook(spec), str(partial), parameters=copy.deepcopy(spec.params),
                    kernel_name=spec.kernel, progress_bar=False, log_output=False,
                    cwd=cwd, execution_timeout=spec.timeout_s,
                    extra_arguments=["--IPKernelApp.log_level=ERROR"], **({"km": km} if km is not None else {}),
                )
            except Exception as exc:  # noqa: BLE001 - any failure is recorded, the sweep goes on
                error = _error_info(exc)
            finally:
                if km is not None and error is not None:  # a failed notebook (an error, a timeout mid-cell)
                    _drop_kernel()                          # leaves a kernel that is never reused
            if error is None or KERNEL_START_FAILURE not in str(error.get("evalue", "")):
                break
            if attempt < KERNEL_START_TRIES:
                partial.unlink(missing_ok=True)
                time.sleep(0.5 * attempt)
            else:
                error["kernel_start_attempts"] = attempt
        wall = time.perf_counter() - t0
        if partial.exists():
            os.replace(partial, run_dir / NOTEBOOK)
        cells = _cell_seconds(run_dir / NOTEBOOK) if (run_dir / NOTEBOOK).exists() else 0.0
        out = read_json(run_dir / NOTEBOOK_OUT) if (run_dir / NOTEBOOK_OUT).exists() else {}
        env = envinfo.capture(spec.root)
        env["device"] = out.get("device", "cpu")
        env["threads"] = spec.threads
        notebook = Path(spec.notebook)
        record = build_record(
            case=spec.case,
            run_id=spec.run_id,
            profile=spec.profile,
            notebook=str(notebook.relative_to(spec.root)) if notebook.is_relative_to(spec.root) else spec.notebook,
            params=spec.params,
            reported=out,
            timings={
                "started": started,
                "finished": now_iso(),
                "wall_s": round(wall, 3),
                "cells_s": round(cells, 3),
                "overhead_s": round(max(0.0, wall - cells), 3),
                **{f"phase.{k}": v for k, v in out.get("timings", {}).items()},
            },
            environment=env,
            versions=spec.versions,
            error=error,
        )
        if error:
            atomic_write_json(run_dir / RECORD, record)
            atomic_write_json(run_dir / FAILED, error)
            return RunOutcome(spec.run_id, Status.FAILED, wall, f"{error['ename']}: {error['evalue']}"[:300])
        atomic_write_json(run_dir / RECORD, record)
        atomic_write_text(run_dir / DONE, started + "\n")
        return RunOutcome(spec.run_id, Status.DONE, wall)
    finally:
        lock.release()


# --- executors ---------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this worker when the sweep process dies."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _worker_init(threads: int) -> None:
    _die_with_parent()
    os.environ.update(thread_env(threads))


Submit = Callable[[RunSpec, bool], Future]


def _first_completed(futures: Iterable[Future]) -> set[Future]:
    return wait(futures, return_when=FIRST_COMPLETED)[0]


def _drive(
    specs: list[RunSpec], submit: Submit, progress: bool, desc: str,
    first_completed: Callable[[Iterable[Any]], set[Any]] = _first_completed,
) -> list[RunOutcome]:
    """Submit every run non-blocking; runs another process holds are retried, waiting, at the end."""
    from tqdm.auto import tqdm

    results: list[RunOutcome] = []
    busy: list[RunSpec] = []
    bar = tqdm(total=len(specs), desc=desc, unit="run", disable=not progress)
    for blocking, batch in ((False, specs), (True, None)):
        todo = batch if batch is not None else busy
        futures: dict[Future, RunSpec] = {submit(s, blocking): s for s in todo}
        while futures:
            for fut in first_completed(list(futures)):
                spec = futures.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - a crashed worker fails that run only
                    res = RunOutcome(spec.run_id, Status.FAILED, 0.0, f"executor error: {type(exc).__name__}: {exc}")
                if res.status == Status.BUSY and not blocking:
                    busy.append(spec)
                    continue
                results.append(res)
                bar.update(1)
                bar.set_postfix_str(f"{res.run_id} {res.status}")
    bar.close()
    return results


def run_local(specs: list[RunSpec], jobs: int, progress: bool = True, desc: str = "sweep") -> list[RunOutcome]:
    if not specs:
        return []
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_worker_init, initargs=(specs[0].threads,)) as pool:
        return _drive(specs, lambda s, b: pool.submit(execute_run, s, b), progress, desc)


def run_dask(specs: list[RunSpec], address: str, progress: bool = True, desc: str = "sweep") -> list[RunOutcome]:
    """Execute on a Dask distributed cluster at ``address`` (``HOST:PORT``); the store must be shared.

    Start one with ``dask scheduler`` and ``dask worker HOST:PORT --nthreads 1`` on each machine
    (one thread per worker process: each run already uses its own kernel process).
    """
    from distributed import Client
    from distributed import wait as dask_wait

    def first_completed(futures: Iterable[Any]) -> set[Any]:
        return set(dask_wait(list(futures), return_when="FIRST_COMPLETED").done)

    with Client(address, timeout="30s") as client:
        def submit(s: RunSpec, b: bool) -> Future:
            return client.submit(execute_run, s, b, pure=False, key=f"run-{s.case}-{s.run_id}-{int(b)}-{time.time_ns()}")

        return _drive(specs, submit, progress, desc, first_completed)


def run_sweep(
    plan: SweepPlan,
    runs_dir: Path,
    root: Path,
    executor: str = "local",
    jobs: int | None = None,
    threads: int | None = None,
    timeout_s: float | None = None,
    progress: bool = True,
    reuse_kernels: bool = True,
) -> SweepSummary:
    """Execute every run of ``plan`` not yet done. ``executor``: ``local`` or ``dask://HOST:PORT``;
    ``reuse_kernels``: a worker runs its next run in the same kernel (see the module doc)."""
    jobs, threads = choose_parallelism(len(plan.runs), jobs, threads)
    specs = make_specs(plan, runs_dir, root, threads, timeout_s, reuse_kernels)
    todo = [s for s in specs if not (s.run_dir / DONE).exists()]
    summary = SweepSummary(plan.case, plan.profile, len(specs))
    summary.results += [RunOutcome(s.run_id, Status.SKIPPED) for s in specs if s not in todo]
    desc = f"{plan.case} [{plan.profile}]"
    if executor == "local":
        summary.results += run_local(todo, jobs, progress, desc)
    elif executor.startswith("dask://"):
        summary.results += run_dask(todo, executor.removeprefix("dask://"), progress, desc)
    else:
        raise ValueError(f"unknown executor {executor!r}; valid: 'local', 'dask://HOST:PORT'")
    return summary


def iter_failed(results: Iterable[RunOutcome]) -> list[RunOutcome]:
    return [r for r in results if r.status == Status.FAILED]
