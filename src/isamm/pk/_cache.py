"""Where isamm keeps what it can rebuild (today: JAX's compiled PK kernels)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir() -> Path:
    """isamm's cache directory: ``$ISAMM_CACHE_DIR`` if set, else the user cache directory.

    The user cache directory is platformdirs' ``user_cache_dir("isamm")``
    (``~/.cache/isamm`` on Linux, ``~/Library/Caches/isamm`` on macOS,
    ``%LOCALAPPDATA%\\isamm\\Cache`` on Windows). The JAX engine keeps its compiled
    kernels in ``cache_dir() / "jax"``; deleting the folder only costs a recompile.
    """
    env = os.environ.get("ISAMM_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("isamm", appauthor=False))
