"""Writing a run to disk with its provenance (timeline, event log, summary), and the one way a
result's values are written as plain JSON (here and in a sweep's store) and read back."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from pileon.model.files import read_text
from pileon.model.results import RunResult


def package_version() -> str:
    """pileon's version."""
    from pileon import __version__

    return __version__


def git_commit() -> str | None:
    """Commit of the checkout this code runs from, with ``+dirty`` for uncommitted changes."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if sha.returncode != 0:
            return None
        status = ["git", "status", "--porcelain", "--untracked-files=no"]
        dirty = subprocess.run(status, cwd=here, capture_output=True, text=True, timeout=5).stdout.strip()
        return sha.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance() -> dict[str, Any]:
    """What produced a result: package version and git commit."""
    return {"pileon_version": package_version(), "git_commit": git_commit()}


RUN_FILES = ("timeline.csv", "events.parquet", "summary.json", "timeline.png")  # what `pileon run` writes


def check_run_folder(out: str | Path, overwrite: bool = False) -> list[Path]:
    """Check, before a run, that its results can go to folder ``out``: not a file, writable, and
    holding no earlier run unless ``overwrite``.

    Returns:
        The earlier run's files in ``out`` (with ``overwrite``): delete them before writing, so that
        none (a ``timeline.png`` when the new run draws none) is left beside the new data.

    Raises:
        ValueError: ``out`` is a file, cannot be written, or holds a run and not ``overwrite``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: a file, not a folder; --out names the folder the run is written to")
    parent = next(p for p in (out, *out.parents) if p.exists())
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{out}: cannot write there ({parent} is not a writable folder)")
    earlier = [out / name for name in RUN_FILES if (out / name).is_symlink() or (out / name).exists()]
    if earlier and not overwrite:
        raise ValueError(
            f"{out}: holds an earlier run ({', '.join(p.name for p in earlier)}); give another --out, or "
            "--overwrite to replace it"
        )
    return earlier


def write_run(
    result: RunResult, out: str | Path, extra: dict[str, Any] | None = None, ids: np.ndarray | None = None
) -> dict[str, Path]:
    """Write ``timeline.csv``, ``events.parquet``, ``summary.json`` into folder ``out``.

    The summary holds the metrics under ``summary``, the parameters, seed and provenance, and
    whatever ``extra`` adds (for instance anchor checks). With ``ids`` (a follower graph read from
    a file: :attr:`pileon.model.network.Network.ids`), users are written as the file's ids: the
    events' ``user`` and the summary's ``target_user`` (their row numbers in the model as
    ``user_index`` and ``target_index``).

    Returns:
        The paths written, by name.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "timeline": out / "timeline.csv",
        "events": out / "events.parquet",
        "summary": out / "summary.json",
    }
    result.timeline().to_csv(paths["timeline"], index=False)
    events = result.events_frame()
    target: Any = result.target
    if ids is not None:
        events.insert(events.columns.get_loc("user") + 1, "user_index", events["user"])
        events["user"] = np.asarray(ids)[events["user_index"].to_numpy()]
        target = ids[result.target]
    events.to_parquet(paths["events"], index=False)
    doc = {
        "summary": result.summary,
        "seed": result.seed,
        "target_user": target,
        **({"target_index": result.target} if ids is not None else {}),
        "seed_post_clock": result.start.isoformat(timespec="minutes"),
        "params": result.params,
        **provenance(),
        **(extra or {}),
    }
    paths["summary"].write_text(json.dumps(to_plain(doc), indent=2) + "\n", encoding="utf-8")
    return paths


_UNSAFE = re.compile(r"[^\w.\-]+")  # \w: letters and digits of any script, and _


def safe_name(name: object, taken: set[str] | None = None, limit: int = 100) -> str:
    """``name`` (a cascade's, a thread's: data, not trusted) as a file name that stays in the folder it
    is written to: every run of characters other than letters, digits, ``.``, ``-`` and ``_``
    becomes ``_``, leading dots go (no ``..``, no hidden file), at most ``limit`` characters, never
    empty. With ``taken``, the name is made distinct from those in it (``name-2``, ``name-3``, ...,
    compared case-blind, as some file systems do) and added to it, so that two cascades never write
    one file."""
    base = _UNSAFE.sub("_", str(name)).lstrip(".")[:limit] or "_"
    if taken is None:
        return base
    out, k = base, 1
    while out.casefold() in taken:
        k += 1
        out = f"{base}-{k}"
    taken.add(out.casefold())
    return out


def read_run_params(path: str | Path) -> dict[str, Any]:
    """The flat parameters of a run from its ``summary.json`` (:func:`write_run`): with them and
    the run's seed, the run is replayed exactly."""
    path = Path(path)
    text = read_text(path, "run summary")
    try:
        doc = json.loads(text, object_pairs_hook=_once)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON: {e}") from None
    except (ValueError, RecursionError) as e:  # a key given twice; nested too deeply
        raise ValueError(f"{path}: {e if isinstance(e, ValueError) else 'nested too deeply'}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("params"), dict):
        raise ValueError(f"{path}: expected a run summary with a 'params' table (pileon run writes one)")
    return from_plain(doc["params"])


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are each given once (``json`` would keep the last silently)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} is given twice in one object; give it once")
        out[key] = value
    return out


_INFINITIES = {"inf": math.inf, "-inf": -math.inf}


def to_plain(x: Any) -> Any:
    """``x`` with only what JSON holds, recursively: numpy scalars and arrays as Python numbers and
    lists, tuples as lists, infinities as the text ``"inf"``/``"-inf"`` (so a parameter such as
    ``visibility_tail = inf`` survives the trip; :func:`from_plain` reads it back) and NaN, which
    stands for a missing value, as null."""
    if isinstance(x, dict):
        return {k: to_plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple | np.ndarray):
        return [to_plain(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def from_plain(x: Any) -> Any:
    """The inverse of :func:`to_plain` for what it changed: ``"inf"``/``"-inf"`` as infinities."""
    if isinstance(x, dict):
        return {k: from_plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [from_plain(v) for v in x]
    return _INFINITIES.get(x, x) if isinstance(x, str) else x
