"""The result store of a sweep: one SQLite file, one tidy row per run plus per-run timelines.

Why SQLite (rather than Parquet parts or DuckDB): it is in Python's standard library; each
finished run is written in one transaction (its row and its timeline together), so a sweep
killed at any instant (SIGKILL included) leaves every finished run whole and no half-written
one; the primary key on ``run_id`` makes duplicates impossible, so resuming only has to skip the
ids present; the file can be read (by pandas, the ``sqlite3`` shell, R, DuckDB) while a sweep is
still writing to it (WAL mode); and it is one file to copy. Parquet parts would need our own
atomic-rename and de-duplication logic and thousands of small files; DuckDB is an extra
dependency whose file a running writer locks.

Tables:

* ``runs``: one row per run: ``run_id, point, replicate, arm, family, seed, scenario``, every
  model parameter (flat names), the settings of the arm's interventions (``kind.param``), the
  summary metrics, ``runtime_s``, ``pileon_version``, ``git_commit``, ``finished_at``;
* ``timelines``: one row per (run, time bin): ``run_id, minute`` (bin start), posts per bin by
  action (``amplify, attack, defend``), ``attacks_received`` and ``hostile_views``; trailing
  empty bins are left out;
* ``meta``: the experiment file's text, its fingerprint and name.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..output import to_plain

TIMELINE_COLUMNS = ("amplify", "attack", "defend", "attacks_received", "hostile_views")


class StoreError(ValueError):
    """A store that does not belong to the experiment, or is not a pileon store."""


class Store:
    """A sweep's results on disk (see the module docstring for the tables).

    Args:
        path: the SQLite file; created if missing.
        meta: for a sweep, what identifies the experiment (``fingerprint``, ``name``, ``source``);
            an existing store with another fingerprint is refused, so that two experiments are
            never mixed in one file. None opens a store for reading.
    """

    def __init__(self, path: str | Path, meta: dict[str, str] | None = None):
        self.path = Path(path)
        if meta is None and not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no such result store")
        if meta is None:  # reading: refuse, without touching it, a file that is not a store
            try:
                with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as probe:
                    tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            except sqlite3.DatabaseError as e:
                raise StoreError(f"{self.path}: not a pileon result store ({e})") from None
            if not {"meta", "runs", "timelines"} <= tables:
                raise StoreError(f"{self.path}: not a pileon result store (no runs/timelines/meta tables)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=60)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a commit survives a killed process
            self.db.executescript(
                """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY);
                CREATE TABLE IF NOT EXISTS timelines (
                    run_id INTEGER, minute REAL, amplify INTEGER, attack INTEGER, defend INTEGER,
                    attacks_received INTEGER, hostile_views INTEGER, PRIMARY KEY (run_id, minute)
                ) WITHOUT ROWID;
                """
            )
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a pileon result store ({e})") from None
        self._columns = {r[1] for r in self.db.execute("PRAGMA table_info(runs)")}
        if meta is not None:
            old = self.meta().get("fingerprint")
            if old is not None and old != meta["fingerprint"]:
                raise StoreError(
                    f"{self.path}: holds results of another experiment ({self.meta().get('name')!r}, "
                    f"fingerprint {old}, this one {meta['fingerprint']}); give another --out, or --fresh to replace it"
                )
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))

    def meta(self) -> dict[str, str]:
        """The ``meta`` table as a dict."""
        return dict(self.db.execute("SELECT key, value FROM meta"))

    def done(self) -> set[int]:
        """Ids of the runs saved so far."""
        return {r[0] for r in self.db.execute("SELECT run_id FROM runs")}

    def save(self, row: dict[str, Any], timeline: dict[str, np.ndarray], bin_minutes: float) -> None:
        """Save one finished run (its row and timeline) in one transaction.

        Saving a ``run_id`` already present is an error (``sqlite3.IntegrityError``): a resumed
        sweep skips those.
        """
        row = {k: _plain(v) for k, v in row.items()}
        with self.db:
            for name in row:
                if name not in self._columns:
                    self.db.execute(f'ALTER TABLE runs ADD COLUMN "{name}"')
                    self._columns.add(name)
            names = ", ".join(f'"{k}"' for k in row)
            self.db.execute(f"INSERT INTO runs ({names}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
            n = len(timeline[TIMELINE_COLUMNS[0]])
            columns = [[row["run_id"]] * n, (np.arange(n) * bin_minutes).tolist()]
            columns += [timeline[c].tolist() for c in TIMELINE_COLUMNS]
            marks = ", ".join("?" * len(columns))
            self.db.executemany(f"INSERT INTO timelines VALUES ({marks})", zip(*columns, strict=True))

    def runs(self) -> pd.DataFrame:
        """The ``runs`` table, one row per run, ordered by ``run_id``."""
        df = pd.read_sql_query("SELECT * FROM runs ORDER BY run_id", self.db)
        for c in df.columns:  # columns added on the fly have no declared type
            if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
                converted = pd.to_numeric(df[c], errors="coerce")
                if converted.notna().sum() == df[c].notna().sum():
                    df[c] = converted
        return df

    def timelines(self, run_ids: list[int] | None = None) -> pd.DataFrame:
        """The ``timelines`` table (of some runs), one row per run and time bin."""
        query = "SELECT * FROM timelines"
        if run_ids is not None:
            query += f" WHERE run_id IN ({', '.join(str(int(i)) for i in run_ids)})"
        return pd.read_sql_query(query + " ORDER BY run_id, minute", self.db)

    def close(self) -> None:
        """Close the file."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def now() -> str:
    """UTC time for ``finished_at``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _plain(v: Any) -> Any:
    """A value SQLite stores: as :func:`pileon.experiments.output.to_plain` writes it (infinities as
    the text ``inf``), containers as JSON text."""
    v = to_plain(v)
    return json.dumps(v) if isinstance(v, list | dict) else v
