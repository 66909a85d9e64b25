"""The folder where what the model computes once is kept across runs, and whole-file writes.

Two things are kept there: working-office snapshots (:mod:`sim.model.office`, costly to
simulate) and official calendars (:mod:`sim.model.calendar`: reading them from the ``holidays``
package loads every country it knows, about 300 modules, 14 MB and a tenth of a second for each
process). Files are written whole or not at all, so that processes sharing the folder (a
process pool, Dask workers on one file system) never read one half-written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir", "write_whole"]

#: Environment variable naming the cache folder (default: the user's cache folder).
CACHE_ENV = "DOCFLOW_SIM_CACHE"


def cache_dir() -> Path:
    """Where cached files are kept: $DOCFLOW_SIM_CACHE, else the user's cache folder."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    # Named for the snapshots it first held; kept, so that existing snapshots are still found.
    return Path(base) / "docflow-sim" / "offices"


def write_whole(path: Path, write: Callable[[Path], None]) -> None:
    """Make ``path`` with ``write(temporary path)``, then rename the temporary file over it.

    Whoever else writes the same file at the same time, a reader sees one whole version; an
    interrupted write leaves nothing behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f"{path.suffix}.{os.getpid()}.tmp")
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
