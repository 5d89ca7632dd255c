"""Thread pinning for worker processes (sweep kernels, generator workers, loader workers).

Several workers side by side on a small machine must each use one thread per pool (OpenMP, BLAS,
numba, OpenCV, torch), or throughput drops two to three times. Environment variables cover
libraries not yet imported; calls cover torch and OpenCV if already loaded.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

THREAD_ENV = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "OPENCV_FOR_THREADS_NUM",
)


def thread_env(threads: int) -> dict[str, str]:
    return {k: str(threads) for k in THREAD_ENV}


def pin_threads(threads: int = 1) -> None:
    """Pin this process: environment for libraries not yet imported, calls for torch / OpenCV if loaded."""
    os.environ.update(thread_env(threads))
    if "torch" in sys.modules:
        with contextlib.suppress(RuntimeError):
            sys.modules["torch"].set_num_threads(threads)
    if "cv2" in sys.modules:
        sys.modules["cv2"].setNumThreads(threads)


def pin_worker(worker_id: int = 0) -> None:
    """``initializer`` / ``worker_init_fn``: one thread per pool in this worker."""
    pin_threads(1)


@contextlib.contextmanager
def pinned_env(threads: int = 1) -> Iterator[None]:
    """Set the thread variables for child processes started inside the block, then restore them."""
    saved = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update(thread_env(threads))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
