"""The notebook side of a run: history rows, metrics, data sources and phase timings.

Inside a sweep, the executor injects a hidden first cell that calls :func:`attach` with the run
folder, so ``current()`` writes ``history.jsonl`` (appended as the run goes) and
``notebook_out.json`` (rewritten atomically on every change) there. Opened interactively in
JupyterLab, ``current()`` keeps everything in memory and writes nothing.

>>> from casestudies import runlog
>>> run = runlog.current()
>>> run.log(epoch=1, loss=0.5)
>>> run.set_metrics({"miou": 0.71, "per_class": {"skin": 0.9}})
>>> run.metrics["miou"]
0.71
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from casestudies.store import HISTORY, NOTEBOOK_OUT, atomic_write_json
from casestudies.threads import pin_threads, thread_env  # noqa: F401 - thread_env re-exported


class RunLog:
    """Collects what a notebook reports; writes it into ``run_dir`` when one is attached."""

    def __init__(self, run_dir: Path | None = None):
        self.dir = Path(run_dir) if run_dir is not None else None
        self.t0 = time.perf_counter()
        self.cpu0 = time.process_time()
        self.history: list[dict[str, Any]] = []
        self.metrics: dict[str, Any] = {}
        self.data_sources: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self.extra: dict[str, Any] = {}
        self._device: str | None = None

    # history -------------------------------------------------------------------------------
    def log(self, row: dict[str, Any] | None = None, /, **scalars: Any) -> None:
        """Append one history row of scalars, given as a dict, keywords, or both.

        ``wall_s`` (seconds since the run started) is added, so the training loop's
        ``log: Callable[[dict], None]`` can be ``runlog.current().log`` directly.
        """
        row = {**(row or {}), **scalars, "wall_s": round(time.perf_counter() - self.t0, 4)}
        self.history.append(row)
        if self.dir is not None:
            with open(self.dir / HISTORY, "a", encoding="utf-8") as f:
                f.write(json.dumps(row, default=_jsonable) + "\n")

    def history_frame(self):  # -> pandas.DataFrame
        import pandas as pd

        return pd.DataFrame(self.history)

    # results -------------------------------------------------------------------------------
    def set_metrics(self, metrics: dict[str, Any], **more: Any) -> None:
        """Merge final metrics (nested dicts allowed; they are flattened with dots in records)."""
        self.metrics.update(metrics)
        self.metrics.update(more)
        self._flush()

    def set_data_sources(self, sources: dict[str, Any]) -> None:
        """Which data the run used, e.g. ``{"real": "standin_real_a (generator stand-in)"}``."""
        self.data_sources.update(sources)
        self._flush()

    def set(self, key: str, value: Any) -> None:
        """Any other JSON-able fact worth keeping in the record (e.g. skipped files)."""
        self.extra[key] = value
        self._flush()

    def set_device(self, device: str) -> None:
        self._device = device
        self._flush()

    def cpu_seconds(self) -> float:
        """This kernel's CPU seconds since the run log was made (a reused kernel's earlier runs excluded)."""
        return round(time.process_time() - self.cpu0, 2)

    @contextlib.contextmanager
    def timer(self, name: str) -> Iterator[None]:
        """Time a phase in seconds; repeated phases add up."""
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - t, 4)
            self._flush()

    def device(self) -> str:
        if self._device:
            return self._device
        torch = sys.modules.get("torch")
        if torch is not None:
            try:
                if torch.cuda.is_available():
                    return f"cuda ({torch.cuda.get_device_name(0)})"
            except Exception:  # noqa: BLE001 - device probing must never break a run
                pass
            return f"cpu ({torch.get_num_threads()} torch threads)"
        return "cpu"

    def payload(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "data_sources": self.data_sources,
            "timings": self.timings,
            "extra": self.extra,
            "device": self.device(),
        }

    def _flush(self) -> None:
        if self.dir is not None:
            atomic_write_json(self.dir / NOTEBOOK_OUT, _jsonable_tree(self.payload()))


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def _jsonable_tree(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=_jsonable))


_current: RunLog | None = None
_watched: int | None = None  # the parent pid a watcher thread already follows


def current() -> RunLog:
    """The run log of this kernel (in-memory unless a sweep attached a run folder)."""
    global _current
    if _current is None:
        _current = RunLog()
    return _current


def attach(run_dir: str, parent_pid: int | None = None, threads: int | None = None) -> RunLog:
    """Point ``current()`` at ``run_dir``; called by the executor's injected cell, not by users.

    ``threads`` pins OpenMP / BLAS / numba / OpenCV / torch thread pools (set before the notebook
    imports them). ``parent_pid``: the kernel exits when that process dies, so a killed sweep
    leaves no orphan kernel burning CPU.
    """
    global _current
    if threads:
        pin_threads(threads)
    _current = RunLog(Path(run_dir))
    _current._flush()
    global _watched
    if parent_pid and parent_pid != _watched:  # once per kernel, which a sweep may reuse for many runs
        _watched = parent_pid
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    return _current


ONE_OFF = "generate"  # the phase timer of one-off data work: rendering a set, refining mattes, waiting for either


@contextlib.contextmanager
def one_off() -> Iterator[None]:
    """Time one-off data work (a set rendered or labels computed for the cache, or waiting while another
    run does it) into the current run's ``generate`` phase; a no-op outside a sweep's run."""
    if _current is None or _current.dir is None:
        yield
        return
    with _current.timer(ONE_OFF):
        yield


def fresh_namespace(shell: Any) -> None:
    """Give a kernel reused by a sweep the namespace it had before its first run (called by the
    executor's injected cell): names the last run added go, the ones it rebound (``__spec__``,
    which spawned worker processes need, ``In``, ...) get their first values back, its output
    history and open figures are dropped. The first call only takes the snapshot."""
    ns = shell.user_ns
    base = getattr(shell, "_cs_pristine_ns", None)
    if base is None:
        shell._cs_pristine_ns = dict(ns)
        return
    for name in [k for k in ns if k not in base]:
        del ns[name]
    ns.update(base)
    with contextlib.suppress(Exception):
        shell.displayhook.flush()  # Out / _ / __ keep the last run's results alive otherwise
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    import gc

    gc.collect(1)  # the young generations: a full pass over the imported modules' objects costs ~0.5 s


def _watch_parent(pid: int, interval_s: float = 0.5) -> None:
    """Exit the kernel once ``pid`` is gone (or this process was re-parented away from it)."""
    direct = os.getppid() == pid
    while True:
        time.sleep(interval_s)
        if direct and os.getppid() != pid:
            os._exit(1)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass
