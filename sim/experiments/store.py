"""The result store of a sweep: one SQLite file, one row per finished run.

``<out>/sweep.sqlite`` runs in WAL mode with ``synchronous=FULL``; every finished run is written
in its own committed transaction, so a sweep killed at any moment (even SIGKILL) keeps every run
that finished and nothing half-written. ``(point, replication, platform)`` is the primary key: a
run stored twice replaces itself, never duplicates. A ``meta`` table holds the sweep's
fingerprint so that a folder is only ever resumed with the sweep that made it.

Only the parent process writes; workers return their KPIs.

Exports: :meth:`ResultStore.write_tables` writes runs.csv, the runs without their wall-clock
columns, ordered by run id (point, replication, then platform in the sweep's order), so the file
is byte-identical for any worker count, executor or interruption, and timing.csv, those columns
(started_at, runtime_s, worker) on their own. Both go through :func:`replacing`: a reader sees
the old file or the complete new one, never half of one.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import InputError

__all__ = ["StoreMismatchError", "ResultStore", "read_store", "read_meta", "replacing",
           "remove_path", "count_finished", "STORE_FILE", "STORE_SCHEMA_VERSION", "TIMING_COLUMNS"]

STORE_FILE = "sweep.sqlite"
STORE_SCHEMA_VERSION = 1
_FIXED = ["run_id", "point", "replication", "platform", "seed", "status", "error",
          "started_at", "runtime_s", "worker"]
# Wall-clock facts of a run: they differ between two executions of the same run.
TIMING_COLUMNS = ["started_at", "runtime_s", "worker"]
_ALL_RUNS = "SELECT * FROM runs ORDER BY run_id"  # every export and reader sees this order


class StoreMismatchError(InputError):
    """The sweep folder's store holds the results of a different sweep."""


def remove_path(path: Path) -> None:
    """Remove a file or a folder if it is there."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path`` to write a file or folder to.

    It is renamed onto ``path`` when the block ends normally, and removed when the block raises
    or is interrupted, so ``path`` is always absent, the old version or the complete new one.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    remove_path(tmp)  # left by a process killed (SIGKILL) mid-write
    try:
        yield tmp
        if path.is_dir():  # a folder cannot be renamed onto another: drop the old one first
            shutil.rmtree(path)
        tmp.replace(path)
    finally:
        remove_path(tmp)


def count_finished(path: str | Path) -> int:
    """How many runs a store holds as finished (``ok``), read without writing; 0 if none."""
    path = Path(path)
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM runs WHERE status = 'ok'").fetchone()[0])
    except sqlite3.Error:  # no runs table yet: killed while the store was being created
        return 0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_value(value: Any) -> Any:
    # Labels and numbers go in as they are; anything else (a mapping value) as JSON text.
    if value is None or isinstance(value, (int, float, str)):
        return value
    return json.dumps(value, sort_keys=True)


class ResultStore:
    """A sweep's SQLite store: parameters and KPI columns are fixed when it is created."""

    def __init__(self, path: str | Path, parameters: list[str], kpis: list[str],
                 fingerprint: str, meta: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.parameters = list(parameters)
        self.kpis = list(kpis)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._create(fingerprint, meta or {})

    # ------------------------------------------------------------------ schema
    def _create(self, fingerprint: str, meta: dict[str, Any]) -> None:
        with self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            stored = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            if stored:
                if stored.get("fingerprint") != fingerprint:
                    raise StoreMismatchError(
                        f"{self.path}: holds the results of a different sweep (sweep "
                        f"{stored.get('sweep')!r}, fingerprint {stored.get('fingerprint')}, "
                        f"this one {fingerprint}); choose another --out to start afresh"
                    )
                return
            columns = [
                "run_id INTEGER NOT NULL", "point INTEGER NOT NULL",
                "replication INTEGER NOT NULL", "platform TEXT NOT NULL", "seed INTEGER NOT NULL",
                *[f"{_quote(p)}" for p in self.parameters],
                "status TEXT NOT NULL CHECK (status IN ('ok', 'failed'))", "error TEXT",
                "started_at TEXT", "runtime_s REAL", "worker TEXT",
                *[f"{_quote(k)} REAL" for k in self.kpis],
                "PRIMARY KEY (point, replication, platform)",
            ]
            self._db.execute(f"CREATE TABLE runs ({', '.join(columns)})")
            rows = {"fingerprint": fingerprint, "schema_version": str(STORE_SCHEMA_VERSION),
                    "parameters": json.dumps(self.parameters), "kpis": json.dumps(self.kpis),
                    **{k: json.dumps(v) if not isinstance(v, str) else v
                       for k, v in meta.items()}}
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())

    # ------------------------------------------------------------------ writing
    def record(self, run: dict[str, Any]) -> None:
        """Store one finished run (ok or failed) in its own committed transaction."""
        names = [*_FIXED, *self.parameters, *self.kpis]
        params = run.get("params", {})
        kpis = run.get("kpis") or {}
        values = [_sql_value(run.get(c)) for c in _FIXED]
        values += [_sql_value(params.get(p)) for p in self.parameters]
        values += [None if kpis.get(k) is None else float(kpis[k]) for k in self.kpis]
        sql = (f"INSERT OR REPLACE INTO runs ({', '.join(_quote(n) for n in names)}) "
               f"VALUES ({', '.join('?' * len(names))})")
        with self._db:  # commits, or rolls back on error
            self._db.execute(sql, values)

    # ------------------------------------------------------------------ reading
    def finished(self) -> set[tuple[int, int, str]]:
        """(point, replication, platform) of runs that finished without error."""
        rows = self._db.execute(
            "SELECT point, replication, platform FROM runs WHERE status = 'ok'"
        ).fetchall()
        return {(int(p), int(r), str(pl)) for p, r, pl in rows}

    def frame(self) -> pd.DataFrame:
        """Every stored run as a tidy DataFrame, one row per run, ordered by run id."""
        return pd.read_sql_query(_ALL_RUNS, self._db)

    def write_tables(self, runs_csv: str | Path, timing_csv: str | Path) -> pd.DataFrame:
        """Write runs.csv and timing.csv from one read of the store; return every run.

        Each file is written atomically. ``runs_csv`` has no wall-clock columns, so the same
        sweep gives the same bytes whatever the workers, executor or interruptions;
        ``timing_csv`` has run_id, point, replication, platform and the wall-clock columns.
        """
        runs = self.frame()
        with replacing(Path(runs_csv)) as tmp:
            runs.drop(columns=TIMING_COLUMNS).to_csv(tmp, index=False)
        with replacing(Path(timing_csv)) as tmp:
            runs[["run_id", "point", "replication", "platform", *TIMING_COLUMNS]].to_csv(
                tmp, index=False)
        return runs

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def read_store(path: str | Path) -> pd.DataFrame:
    """Read a store without knowing its sweep: the runs table as a DataFrame."""
    with sqlite3.connect(Path(path)) as db:
        return pd.read_sql_query(_ALL_RUNS, db)


def read_meta(path: str | Path) -> dict[str, Any]:
    """A store's meta table (the sweep's name, seed, design...), read only; JSON values decoded.

    Raises :class:`~sim.config.errors.InputError` when ``path`` is not a readable store.
    """
    try:
        with sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True) as db:
            rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error as exc:
        raise InputError(f"{path}: not a readable sweep store ({exc})") from None
    out: dict[str, Any] = {}
    for key, value in rows.items():
        try:
            out[key] = json.loads(value)
        except (TypeError, ValueError):
            out[key] = value
    return out
