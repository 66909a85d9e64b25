"""The result store of a sweep: one SQLite file, one row per finished run.

``<out>/sweep.sqlite`` runs in WAL mode with ``synchronous=FULL``; every finished run is written
in its own committed transaction, so a sweep killed at any moment (even SIGKILL) keeps every run
that finished and nothing half-written. ``(point, replication, platform)`` is the primary key: a
run stored twice replaces itself, never duplicates. A ``meta`` table holds the sweep's
fingerprint so that a folder is only ever resumed with the sweep that made it.

Only the parent process writes; workers return their KPIs.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from sim.scenario import ScenarioError

__all__ = ["ResultStore", "read_store", "STORE_FILE", "STORE_SCHEMA_VERSION"]

STORE_FILE = "sweep.sqlite"
STORE_SCHEMA_VERSION = 1
_FIXED = ["run_id", "point", "replication", "platform", "seed", "status", "error",
          "started_at", "runtime_s", "worker"]


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
                    raise ScenarioError(
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
        return pd.read_sql_query("SELECT * FROM runs ORDER BY run_id", self._db)

    def meta(self) -> dict[str, str]:
        """The meta table."""
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def to_csv(self, path: str | Path) -> Path:
        """Write every run to a CSV file (written to a temporary name, then renamed)."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        self.frame().to_csv(tmp, index=False)
        tmp.replace(path)
        return path

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
        return pd.read_sql_query("SELECT * FROM runs ORDER BY run_id", db)
