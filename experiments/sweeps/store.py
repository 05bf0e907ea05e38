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

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from ..output import to_plain

TIMELINE_COLUMNS = ("amplify", "attack", "defend", "attacks_received", "hostile_views")


class StoreError(ValueError):
    """A store that does not belong to the experiment, is not a pileon store, is damaged, cannot be
    written, or is being written by another sweep."""


FORMAT = "pileon result store"  # meta['format'] of every store pileon creates
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS timelines (
    run_id INTEGER, minute REAL, amplify INTEGER, attack INTEGER, defend INTEGER,
    attacks_received INTEGER, hostile_views INTEGER, PRIMARY KEY (run_id, minute)
) WITHOUT ROWID;
"""


class Store:
    """A sweep's results on disk (see the module docstring for the tables).

    Opened for a sweep (``meta`` given), the store is locked: a second sweep on the same file is
    refused, naming the process that holds it, until the first closes it. A file that is not a
    pileon store is refused untouched; a damaged one (cut short, overwritten) is refused with what
    SQLite found.

    Args:
        path: the SQLite file; created if missing (for a sweep).
        meta: for a sweep, what identifies the experiment (``fingerprint``, ``name``, ``source``);
            an existing store with another fingerprint is refused, so that two experiments are
            never mixed in one file. None opens a store for reading.
    """

    def __init__(self, path: str | Path, meta: dict[str, str] | None = None):
        self.path = Path(path)
        self._lock: int | None = None
        self.db: sqlite3.Connection | None = None
        if meta is None:
            self.db = _open_for_reading(self.path)
        else:
            try:
                self._open_for_writing(meta)
            except BaseException:
                self.close()
                raise
        self._columns = {r[1] for r in self._query("PRAGMA table_info(runs)")}

    def _open_for_writing(self, meta: dict[str, str]) -> None:
        for suffix in ("-wal", "-shm"):
            orphan = Path(f"{self.path}{suffix}")
            if orphan.exists() and not self.path.exists():
                raise StoreError(
                    f"{orphan} is there without its store {self.path.name} (deleted by hand?): SQLite would "
                    f"replay it into a new store; remove {self.path.name}-wal and {self.path.name}-shm first"
                )
        if not self.path.exists():
            _create(self.path)
        _check_is_store(self.path)  # before any write: a file that is not ours stays untouched
        if not os.access(self.path, os.W_OK) or not os.access(self.path.parent, os.W_OK):
            raise StoreError(f"{self.path}: read-only (the file or its folder): cannot save runs to it")
        self._lock = _lock(self.path)
        self.db = sqlite3.connect(self.path, timeout=60)
        old = self.meta()
        if old.get("fingerprint") not in (None, meta["fingerprint"]):
            raise StoreError(
                f"{self.path}: holds results of another experiment ({old.get('name')!r}, "
                f"fingerprint {old['fingerprint']}, this one {meta['fingerprint']}); give another --out, or "
                "--fresh to replace it"
            )
        writer = {"format": FORMAT, "writer": f"pid {os.getpid()} on {socket.gethostname()}, since {now()}"}
        with self._errors(), self.db:
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a commit survives a killed process
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list((meta | writer).items()))

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        return _named(self.path)

    def _query(self, sql: str) -> list[tuple]:
        with self._errors():
            return self.db.execute(sql).fetchall()

    def meta(self) -> dict[str, str]:
        """The ``meta`` table as a dict."""
        return dict(self._query("SELECT key, value FROM meta"))

    def done(self) -> set[int]:
        """Ids of the runs saved so far."""
        return {r[0] for r in self._query("SELECT run_id FROM runs")}

    def save(self, row: dict[str, Any], timeline: dict[str, np.ndarray], bin_minutes: float) -> None:
        """Save one finished run (its row and timeline) in one transaction.

        Saving a ``run_id`` already present is an error (``sqlite3.IntegrityError``): a resumed
        sweep skips those.
        """
        row = {k: _plain(v) for k, v in row.items()}
        with self._errors(), self.db:
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
        with self._errors():
            df = pd.read_sql_query("SELECT * FROM runs ORDER BY run_id", self.db)
        for c in df.columns:  # columns added on the fly have no declared type: "inf" comes back as text
            if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c]):
                converted = pd.to_numeric(df[c], errors="coerce")
                if converted.notna().sum() == df[c].notna().sum():
                    df[c] = converted
        return df

    def timelines(self, run_ids: list[int] | None = None) -> pd.DataFrame:
        """The ``timelines`` table (of some runs), one row per run and time bin."""
        query = "SELECT * FROM timelines"
        if run_ids is not None:
            query += f" WHERE run_id IN ({', '.join(str(int(i)) for i in run_ids)})"
        with self._errors():
            return pd.read_sql_query(query + " ORDER BY run_id, minute", self.db)

    def close(self) -> None:
        """Close the file (and release a sweep's lock: after SQLite lets go of the file, since
        closing any descriptor of a file drops the process's POSIX locks on it, SQLite's included)."""
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def remove(path: str | Path) -> bool:
    """Delete the store at ``path`` (``--fresh``) with its own ``-wal`` and ``-shm``: only a pileon
    store (checked as a sweep checks it), and not while a sweep holds it.

    Returns:
        Whether there was a store to delete.

    Raises:
        StoreError: the file is not a pileon store, or another sweep is writing to it.
    """
    path = Path(path)
    if not path.exists():
        return False
    _check_is_store(path)
    lock = _lock(path)
    try:
        for suffix in ("-wal", "-shm", ""):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    finally:
        os.close(lock)
    return True


def _create(path: Path) -> None:
    """A new, empty store at ``path``, made whole beside it and then linked into place, so that a
    store is never seen half made and two sweeps starting at once do not both create one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"{path}: cannot create its folder ({e.strerror or e})") from None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        db = sqlite3.connect(tmp)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # kept in the file: readers can read while a sweep writes
            db.executescript(_SCHEMA)
            with db:
                db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
        finally:
            db.close()
        os.link(tmp, path)
    except FileExistsError:
        pass  # another sweep made it first: the lock decides who writes
    except (OSError, sqlite3.Error) as e:
        raise StoreError(f"{path}: cannot create the store ({e})") from None
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)


def _check_is_store(path: Path) -> None:
    """Raise :class:`StoreError` unless ``path`` is a whole pileon store; reads, never writes."""
    if not path.is_file():
        raise StoreError(f"{path}: not a file (a pileon result store is one SQLite file)")
    db = _open_for_reading(path)
    db.close()


def _open_for_reading(path: Path) -> sqlite3.Connection:
    """A connection for reading the pileon store at ``path``, after checking that it is one (a look
    that leaves any other file as it was) and that it is whole (``PRAGMA quick_check``: a store cut
    short reads back zeros without any error)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such result store")
    quiet = not Path(f"{path}-wal").exists()  # no writer: read the file as it is, creating nothing beside it
    with contextlib.closing(_connect(path, "immutable" if quiet else "ro")) as probe, _named(path):
        tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"meta", "runs", "timelines"} <= tables:
            raise StoreError(f"{path}: not a pileon result store (no runs/timelines/meta tables); left untouched")
        meta = dict(probe.execute("SELECT key, value FROM meta WHERE key IN ('format', 'fingerprint')"))
        if meta.get("format", FORMAT) != FORMAT or not ({"format", "fingerprint"} & set(meta)):
            raise StoreError(f"{path}: not a pileon result store (its meta table is not pileon's); left untouched")
    # Read through a read-write connection where the file and its folder allow (it only reads, and
    # the last connection to close tidies the -wal and -shm files away), else a read-only one.
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    try:
        db = _connect(path, "rw" if writable else "ro")
        db.execute("SELECT count(*) FROM meta").fetchone()
    except (sqlite3.OperationalError, StoreError):  # a read-only folder: SQLite cannot make the -shm file
        if not quiet:
            raise StoreError(
                f"{path}: cannot read it: its folder is read-only and a sweep left {path.name}-wal"
            ) from None
        db = _connect(path, "immutable")
    try:
        with _named(path):
            problem = db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if problem != "ok":
            raise StoreError(f"{path}: the store is damaged (cut short or overwritten?): {problem.splitlines()[-1]}")
    except BaseException:
        db.close()
        raise
    return db


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    """A connection to an existing file: ``rw`` (never creates one), ``ro``, or ``immutable`` (the
    file read as it is: no lock, nothing created beside it)."""
    query = "immutable=1" if mode == "immutable" else f"mode={mode}"
    try:
        return sqlite3.connect(f"file:{quote(str(path.resolve()))}?{query}", uri=True, timeout=60)
    except sqlite3.Error as e:
        raise StoreError(f"{path}: cannot open it ({e})") from None


@contextlib.contextmanager
def _named(path: Path) -> Iterator[None]:
    """SQLite's errors as a :class:`StoreError` naming the file."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path}: {_explain(e)}") from None


def _explain(e: sqlite3.DatabaseError) -> str:
    text = str(e)
    if "readonly" in text or "read-only" in text:
        return f"read-only: cannot save runs to it ({text})"
    if "not a database" in text:
        return f"not a pileon result store ({text}); left untouched"
    if "malformed" in text or "corrupt" in text:
        return f"the store is damaged (cut short or overwritten?): {text}"
    return text


def _lock(path: Path) -> int:
    """An exclusive lock on the store for this process (``flock``, released when the returned
    descriptor is closed, or when the process dies, SIGKILL included)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        holder = _meta_value(path, "writer")
        raise StoreError(
            f"{path}: another pileon sweep is writing to it ({holder or 'a process on this machine'}); wait for "
            "it to finish, or stop it, then run this again"
        ) from None
    return fd


def _meta_value(path: Path, key: str) -> str | None:
    try:
        with contextlib.closing(_connect(path, "ro")) as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except (sqlite3.Error, StoreError):
        return None
    return row[0] if row else None


def now() -> str:
    """UTC time for ``finished_at``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _plain(v: Any) -> Any:
    """A value SQLite stores: as :func:`pileon.experiments.output.to_plain` writes it (infinities as
    the text ``inf``), containers as JSON text."""
    v = to_plain(v)
    return json.dumps(v) if isinstance(v, list | dict) else v
