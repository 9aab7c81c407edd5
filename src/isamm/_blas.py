"""Single-threaded BLAS/LAPACK for the statistics' small matrices.

The Cox and ``cox.zph`` solves, inverses and condition numbers are on p × p
matrices (p = terms, a few hundred at most), too small to gain from threads.
On a shared machine, OpenBLAS threads waiting for a busy core made each 300 × 300
solve take 0.3 s instead of 1 ms (measured with two other jobs on two cores),
so a 300-term ``cox --zph`` ran for minutes. :func:`one_thread` runs a block
with one BLAS thread (threadpoolctl), restoring the setting afterwards.
"""

from __future__ import annotations

import functools

from threadpoolctl import threadpool_limits

__all__ = ["one_thread", "single_threaded"]


def one_thread():
    """Context manager: BLAS/LAPACK on one thread inside the block."""
    return threadpool_limits(limits=1, user_api="blas")


def single_threaded(fn):
    """Decorator: ``fn`` runs with one BLAS thread (:func:`one_thread`)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with one_thread():
            return fn(*args, **kwargs)

    return wrapper
