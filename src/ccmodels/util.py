"""Small shared helpers: progress bars that stay quiet off a terminal; "did you mean" hints;
worker process pools."""

from __future__ import annotations

import difflib
import multiprocessing
import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")

__all__ = [
    "EXPECTED_WARNINGS",
    "did_you_mean",
    "expected_warnings",
    "progress_bar",
    "progress_enabled",
    "worker_count",
    "worker_pool",
]


def progress_enabled(enabled: bool | None = None) -> bool:
    """Progress is shown when asked, or by default when stderr is a terminal and
    ``CCMODELS_PROGRESS`` is not ``0``."""
    if enabled is not None:
        return enabled
    if os.environ.get("CCMODELS_PROGRESS", "") == "0":
        return False
    return sys.stderr.isatty()


def progress_bar[T](
    items: Iterable[T], desc: str, enabled: bool | None = None, total: int | None = None
) -> Iterator[T]:
    """Wrap an iterable in a tqdm bar when progress is enabled."""
    if not progress_enabled(enabled):
        yield from items
        return
    yield from tqdm(items, desc=desc, total=total, leave=False, file=sys.stderr)


def did_you_mean(key: str, allowed: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the allowed name closest to a misspelt ``key``, else ``""``."""
    hint = difflib.get_close_matches(key, list(allowed), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


#: (message regex, category) of the warnings a routine fit of a calibrated population gives and
#: that say nothing new there: a trait that cannot vary (plea leniency before 2017) is left out.
EXPECTED_WARNINGS: tuple[tuple[str, type[Warning]], ...] = (
    (".*do not vary in the .* rows fitted and are left out", UserWarning),
)


@contextmanager
def expected_warnings() -> Iterator[None]:
    """Silence only :data:`EXPECTED_WARNINGS`; every other warning still shows."""
    with warnings.catch_warnings():
        for message, category in EXPECTED_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category)
        yield


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes (not forked: numba, LLVM and nutpie's threads
    do not survive a fork). A spawned process imports the calling script again, so a script
    that starts one guards its work with ``if __name__ == "__main__":``."""
    return ProcessPoolExecutor(
        worker_count(workers), mp_context=multiprocessing.get_context("spawn")
    )


def worker_count(workers: int) -> int:
    """``workers`` as a number of processes: at least 1, else a ``ValueError``."""
    if int(workers) < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    return int(workers)
