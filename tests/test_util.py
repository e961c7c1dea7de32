"""Shared helpers: the worker pool."""

from __future__ import annotations

import os

import pytest

from ccmodels.util import worker_pool


def test_worker_pool_runs_in_other_processes_and_refuses_no_workers():
    with worker_pool(2) as pool:
        pids = {pool.submit(os.getpid).result() for _ in range(4)}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    for bad in (0, -1):
        with pytest.raises(ValueError, match="workers must be at least 1"):
            worker_pool(bad)
