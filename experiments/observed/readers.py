"""Observed cascades: readers for real data, and the same object built from a simulated run.

Every reader returns :class:`Cascade` objects: one row per post with its time (minutes after the
source post), author, action, parent and depth in the reply/share tree. The curves of
:mod:`experiments.compare` are computed the same way from observed and simulated cascades.

Actions are those of the model (``seed_post``, ``amplify``, ``attack``, ``defend``) plus
``neutral`` for a reply whose side is not known or is neither (a question, a comment).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pileon.model.decisions import ACTIONS
from pileon.model.results import RunResult

CASCADE_ACTIONS = (*ACTIONS, "neutral")

# RumourEval stance is toward the source post. In a pile-on the source is the target's post, so
# denying it is hostile and supporting it is supportive; questions and comments take no side.
RUMOUREVAL_STANCE = {"support": "defend", "deny": "attack", "query": "neutral", "comment": "neutral"}
PHEME_STANCE_CODES = {0: "support", 1: "deny", 2: "query", 3: "comment"}


@dataclass
class Cascade:
    """One cascade: posts sorted by time; ``parent`` and ``depth`` describe the tree."""

    name: str
    minutes: np.ndarray  # float, time after the source post (source at 0)
    user: np.ndarray  # author ids (any hashable; strings for observed data)
    action: np.ndarray  # str, one of CASCADE_ACTIONS
    parent: np.ndarray  # int, row of the parent post, -1 for the source
    depth: np.ndarray  # int, 0 for the source
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.minutes)

    @property
    def key(self) -> str:
        """What identifies the cascade across files and collections: the source post's id where
        the reader knows it (a Twitter15/16 tree's file name, the same in Twitter15 and 16), else
        the name. A cascade is left out of what predicts it by this key."""
        return str(self.meta.get("key", self.name))

    def frame(self) -> pd.DataFrame:
        """The posts as a table."""
        return pd.DataFrame(
            {
                "minutes": self.minutes,
                "user": self.user,
                "action": self.action,
                "parent": self.parent,
                "depth": self.depth,
            }
        )

    def first(self, minutes: float) -> Cascade:
        """The part of the cascade seen up to ``minutes`` (for forecasting from an early window)."""
        keep = self.minutes <= minutes
        new_index = np.cumsum(keep) - 1
        parent = np.where(self.parent[keep] >= 0, new_index[np.maximum(self.parent[keep], 0)], -1)
        return Cascade(
            self.name, self.minutes[keep], self.user[keep], self.action[keep], parent, self.depth[keep], dict(self.meta)
        )

    @classmethod
    def from_result(cls, result: RunResult, name: str = "simulated") -> Cascade:
        """A simulated run as a cascade (the seed post at minute 0)."""
        ev = result.events
        return cls(
            name=name,
            minutes=ev["step"] * result.step_minutes,
            user=ev["user"],
            action=np.asarray(ACTIONS, dtype=object)[ev["action"]],
            parent=ev["parent"].astype(np.int64),
            depth=ev["depth"].astype(np.int64),
            meta={"seed": result.seed},
        )

    @classmethod
    def build(cls, name: str, minutes: Any, user: Any, action: Any, parent: Any, meta: dict | None = None) -> Cascade:
        """Sort by time (the source first), renumber parents, and compute depths."""
        minutes = np.asarray(minutes, dtype=np.float64)
        parent = np.asarray(parent, dtype=np.int64)
        order = np.lexsort((np.arange(len(minutes)), minutes))
        root = np.flatnonzero(parent < 0)
        if len(root) != 1:
            raise ValueError(f"{name}: expected exactly one source post (a row without a parent), found {len(root)}")
        order = np.concatenate((root, order[order != root[0]]))  # the source first even at a tie
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        new_parent = np.where(parent[order] >= 0, rank[np.maximum(parent[order], 0)], -1)
        return cls(
            name,
            minutes[order],
            np.asarray(user, dtype=object)[order],
            np.asarray(action, dtype=object)[order],
            new_parent,
            _depths(new_parent),
            meta or {},
        )


def _depths(parent: np.ndarray) -> np.ndarray:
    """Depth of each node of a tree given by parent rows (-1 for the root)."""
    depth = np.full(len(parent), -1, np.int64)
    depth[parent < 0] = 0
    for _ in range(len(parent)):  # each pass settles one more level
        todo = depth < 0
        if not todo.any():
            return depth
        ready = todo & (depth[np.maximum(parent, 0)] >= 0)
        if not ready.any():
            raise ValueError("the parent links contain a cycle")
        depth[ready] = depth[parent[ready]] + 1
    return depth


# -- Twitter15/16 ---------------------------------------------------------------------------------

_TREE_LINE = re.compile(r"^\['([^']*)', '([^']*)', '([^']*)'\]->\['([^']*)', '([^']*)', '([^']*)'\]$")


def read_twitter_tree(path: str | Path, label: str | None = None) -> Cascade:
    """Read one Twitter15/16 propagation tree (``tree/<source_id>.txt``).

    A node is a (user, tweet) pair: a child whose tweet id is the source's is a retweet
    (``amplify``), any other a reply or quote (``neutral``: the data say nothing of its side).
    Documented choices for the data's quirks:

    * an edge from a node to itself is skipped;
    * a node that appears as a child more than once keeps its first appearance;
    * a negative delay (clock skew in the reconstruction) is set to 0;
    * a parent never seen as a child is taken to be the source.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line is not ``['uid', 'tweet', 'delay']->['uid', 'tweet', 'delay']``, or
            a delay is not a number; the message names the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such tree file")
    index: dict[tuple[str, str], int] = {}
    users: list[str] = []
    minutes: list[float] = []
    parents: list[tuple[str, str] | None] = []
    source_tweet = None
    quirks = {"self_loops": 0, "repeated_nodes": 0, "negative_delays": 0, "unknown_parents": 0}
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            m = _TREE_LINE.match(line)
            if not m:
                raise ValueError(
                    f"{path}, line {line_no}: expected ['uid', 'tweet_id', 'delay']->['uid', 'tweet_id', 'delay'], "
                    f"found {line[:80]!r}"
                )
            pu, pt, _, cu, ct, cd = m.groups()
            try:
                delay = float(cd)
            except ValueError:
                raise ValueError(f"{path}, line {line_no}: delay {cd!r} is not a number") from None
            if pu == "ROOT":
                if source_tweet is not None:
                    raise ValueError(f"{path}, line {line_no}: a second ROOT edge")
                source_tweet = ct
                parent_key = None
            else:
                parent_key = (pu, pt)
                if parent_key == (cu, ct):
                    quirks["self_loops"] += 1
                    continue
            key = (cu, ct)
            if key in index:
                quirks["repeated_nodes"] += 1
                continue
            if delay < 0:
                quirks["negative_delays"] += 1
                delay = 0.0
            index[key] = len(users)
            users.append(cu)
            minutes.append(delay)
            parents.append(parent_key)
    if source_tweet is None:
        raise ValueError(f"{path}: no ROOT line (the source tweet)")
    parent_rows = []
    for p in parents:
        if p is None:
            parent_rows.append(-1)
        elif p in index:
            parent_rows.append(index[p])
        else:
            quirks["unknown_parents"] += 1
            parent_rows.append(0)
    tweet_of = list(index)
    action = [
        "seed_post" if p is None else ("amplify" if tweet_of[i][1] == source_tweet else "neutral")
        for i, p in enumerate(parents)
    ]
    meta = {"source": str(path), "format": "twitter15_16", "label": label, "key": path.stem, **quirks}
    return Cascade.build(path.stem, minutes, users, action, parent_rows, meta)


def read_twitter_folder(folder: str | Path, limit: int | None = None) -> list[Cascade]:
    """Every tree of a Twitter15/16 folder in the original layout (``label.txt`` and ``tree/``).

    ``folder`` may be one dataset folder (``twitter15``) or a folder of them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    roots = [folder] if (folder / "tree").is_dir() else sorted(p for p in folder.iterdir() if (p / "tree").is_dir())
    if not roots:
        raise ValueError(f"{folder}: expected a tree/ folder (Twitter15/16 layout), or folders that hold one")
    out: list[Cascade] = []
    names: set[str] = set()
    for root in roots:
        labels = _read_labels(root / "label.txt") if (root / "label.txt").is_file() else {}
        for f in sorted((root / "tree").glob("*.txt")):
            c = read_twitter_tree(f, labels.get(f.stem))
            if c.name in names:  # the same source tweet in two datasets (Twitter15 and 16 overlap)
                c.name = f"{root.name}-{c.name}"
            names.add(c.name)
            out.append(c)
            if limit and len(out) >= limit:
                return out
    return out


def _read_labels(path: Path) -> dict[str, str]:
    labels = {}
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        label, sep, source = line.strip().partition(":")
        if not sep:
            raise ValueError(f"{path}, line {line_no}: expected 'label:source_id', found {line[:80]!r}")
        labels[source] = label
    return labels


# -- RumourEval 2017 and PHEME ----------------------------------------------------------------------

_THREAD_COLUMNS = ["thread_id", "post_id", "parent_id", "minutes", "stance", "depth"]


def read_rumoureval(path: str | Path, stance_map: Mapping[str, str] = RUMOUREVAL_STANCE) -> list[Cascade]:
    """RumourEval 2017 reply threads (``thread_id,post_id,parent_id,minutes,stance,depth``).

    The source post is ``seed_post``; replies take the action ``stance_map`` gives their stance
    label (default :data:`RUMOUREVAL_STANCE`). The file's own depth column is checked against
    the parent links: a row whose depth is not its parent's plus one (the source's is 0) is an
    error naming the file and line. A reply whose parent is not in the file is attached to the
    source (:func:`_thread_cascade`); its depth, and its descendants', cannot be checked.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such threads file")
    rows: dict[str, list[tuple[str, str, float, str, int]]] = {}
    lines: dict[str, list[int]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        if header != _THREAD_COLUMNS:
            raise ValueError(
                f"{path}, line 1: expected header {','.join(_THREAD_COLUMNS)!r}, found {','.join(header)!r}"
            )
        for row in reader:
            where = f"{path}, line {reader.line_num}"
            if len(row) != len(_THREAD_COLUMNS):
                raise ValueError(f"{where}: expected {len(_THREAD_COLUMNS)} fields, found {len(row)}")
            thread, post, parent, mins, stance, depth = row
            try:
                t, d = float(mins), int(depth)
            except ValueError:
                raise ValueError(f"{where}: minutes {mins!r} and depth {depth!r} must be numbers") from None
            if stance not in stance_map:
                raise ValueError(f"{where}: stance {stance!r} is not one of {', '.join(stance_map)}")
            rows.setdefault(thread, []).append((post, parent, t, stance, d))
            lines.setdefault(thread, []).append(reader.line_num)
    out = []
    for thread, posts in rows.items():
        c, parent, known = _thread_cascade(thread, posts, stance_map, str(path), "rumoureval2017")
        _check_depths(path, thread, posts, parent, known, lines[thread])
        out.append(c)
    return out


def _check_depths(
    path: Path, thread: str, posts: list, parent: np.ndarray, known: np.ndarray, lines: list[int]
) -> None:
    """The file's depth of each post against the depth its parent links give (see
    :func:`read_rumoureval`); rows at or below a reply whose parent is missing are not checked."""
    depth = _depths(parent)
    checked = known.copy()
    for _ in range(len(posts)):  # a post is checked when its whole chain of parents is the data's
        settled = checked & np.where(parent >= 0, checked[np.maximum(parent, 0)], True)
        if (settled == checked).all():
            break
        checked = settled
    for i in np.flatnonzero(checked & (depth != np.array([p[4] for p in posts]))):
        raise ValueError(
            f"{path}, line {lines[i]}: thread {thread}, post {posts[i][0]}: depth {posts[i][4]} in the file, but "
            f"{depth[i]} from the parent links ({'the source' if parent[i] < 0 else 'a reply to ' + posts[parent[i]][0]})"
        )


def read_pheme(path: str | Path, stance_map: Mapping[str, str] = RUMOUREVAL_STANCE) -> list[Cascade]:
    """PHEME stories as prepared for seqhawkes: tab-separated, column 1 story id, 2 tweet index,
    3 index of the tweet replied to, 4 stance code (0 support, 1 deny, 2 query, 3 comment),
    5 hours since the story's first tweet; further columns are ignored.

    Each story's first tweet is its source; times are turned into minutes after it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such PHEME file")
    rows: dict[str, list[tuple[str, str, float, str, int]]] = {}
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            where = f"{path}, line {line_no}"
            if len(cols) < 5:
                raise ValueError(f"{where}: expected at least 5 tab-separated columns, found {len(cols)}")
            try:
                story, tweet, parent, code, hours = cols[0], cols[1], cols[2], int(cols[3]), float(cols[4])
            except ValueError:
                raise ValueError(f"{where}: columns 4 (stance code) and 5 (hours) must be numbers") from None
            if code not in PHEME_STANCE_CODES:
                raise ValueError(f"{where}: stance code {code} is not one of 0, 1, 2, 3")
            rows.setdefault(story, []).append((tweet, parent, hours * 60.0, PHEME_STANCE_CODES[code], -1))
    out = []
    for story, posts in rows.items():
        t0 = min(p[2] for p in posts)
        src = min(posts, key=lambda p: p[2])[0]
        posts = [(tw, "" if tw == src else par, t - t0, st, d) for tw, par, t, st, d in posts]
        c, _, _ = _thread_cascade(f"{path.stem}-{story}", posts, stance_map, str(path), "pheme_seqhawkes")
        out.append(c)
    return out


def _thread_cascade(
    name: str, posts: list, stance_map: Mapping[str, str], source: str, fmt: str
) -> tuple[Cascade, np.ndarray, np.ndarray]:
    """A cascade from (post, parent, minutes, stance, depth) rows, with, in the rows' order, the row
    of each row's parent (-1 for the source) and whether that link is the data's; the source is the
    row without a parent (or, failing one, the earliest). A reply whose parent is missing from the data, or is itself, is attached to
    the source and counted in ``meta['unknown_parents']``."""
    ids = {p[0]: i for i, p in enumerate(posts)}
    roots = [i for i, p in enumerate(posts) if not p[1]]
    if len(roots) > 1:
        raise ValueError(f"{source}: thread {name} has {len(roots)} source posts (rows without a parent); expected 1")
    root = roots[0] if roots else min(range(len(posts)), key=lambda i: posts[i][2])
    parent = np.full(len(posts), -1, np.int64)
    known = np.ones(len(posts), bool)  # the parent link is the data's (not a missing parent's stand-in)
    for i, p in enumerate(posts):
        if i == root:
            continue
        if p[1] in ids and p[1] != p[0]:
            parent[i] = ids[p[1]]
        else:
            parent[i], known[i] = root, False
    action = ["seed_post" if i == root else stance_map[p[3]] for i, p in enumerate(posts)]
    meta = {"source": source, "format": fmt, "unknown_parents": int((~known).sum())}
    c = Cascade.build(name, [p[2] for p in posts], [p[0] for p in posts], action, parent, meta)
    return c, parent, known


# -- generic CSV --------------------------------------------------------------------------------------


def read_csv(
    path: str | Path,
    time: str = "minutes",
    action: str | None = "action",
    parent: str | None = "parent",
    post: str | None = "post",
    user: str | None = "user",
    time_unit: str = "minutes",
    action_map: Mapping[str, str] | None = None,
) -> Cascade:
    """A cascade from any CSV: one row per post.

    Args:
        time: column of times after the source (numbers in ``time_unit``: minutes, hours or
            seconds) or of timestamps (anything pandas parses; made relative to the earliest).
        action: column of actions or stances (mapped through ``action_map`` if given); None or a
            missing column: every post but the first is ``amplify``.
        parent, post: columns linking a post to its parent's ``post`` id; None or missing: every
            post replies to the first (a star).
        user: column of authors; None or missing: every post its own author.

    Raises:
        ValueError: a named column is missing, or a value is malformed; names file, line, column.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such CSV file")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if time not in df.columns:
        raise ValueError(f"{path}: no time column {time!r}; columns are {', '.join(df.columns)}")
    if df.empty:
        raise ValueError(f"{path}: no rows after the header")
    minutes = _parse_times(df[time], path, time, time_unit)
    n = len(df)
    acts = df[action].to_numpy(object) if action and action in df.columns else np.array(["amplify"] * n, object)
    if action_map is not None:
        bad = [(i, a) for i, a in enumerate(acts) if a not in action_map]
        if bad:
            i, a = bad[0]
            raise ValueError(f"{path}, line {i + 2}, column {action!r}: {a!r} is not one of {', '.join(action_map)}")
        acts = np.array([action_map[a] for a in acts], object)
    first = int(np.argmin(minutes))
    if parent and post and parent in df.columns and post in df.columns:
        ids = {p: i for i, p in enumerate(df[post])}
        par = []
        for i, p in enumerate(df[parent]):
            if p == "":
                par.append(-1)
            elif p in ids:
                par.append(ids[p])
            else:
                raise ValueError(f"{path}, line {i + 2}, column {parent!r}: {p!r} is not the {post!r} of any row")
    else:
        par = [-1 if i == first else first for i in range(n)]
    acts = np.where(np.asarray(par) < 0, "seed_post", acts)
    unknown = sorted(set(acts) - set(CASCADE_ACTIONS))
    if unknown:
        raise ValueError(
            f"{path}, column {action!r}: unknown actions {unknown}; expected {CASCADE_ACTIONS} (pass an action map)"
        )
    users = df[user].to_numpy(object) if user and user in df.columns else np.arange(n).astype(str).astype(object)
    return Cascade.build(path.stem, minutes - minutes.min(), users, acts, par, {"source": str(path), "format": "csv"})


def _parse_times(col: pd.Series, path: Path, name: str, unit: str) -> np.ndarray:
    scale = {"minutes": 1.0, "hours": 60.0, "seconds": 1 / 60.0}
    if unit not in scale:
        raise ValueError(f"time_unit {unit!r}: expected minutes, hours or seconds")
    numbers = pd.to_numeric(col, errors="coerce")
    if not numbers.isna().any():
        return numbers.to_numpy(float) * scale[unit]
    stamps = pd.to_datetime(col, errors="coerce", utc=True, format="mixed")
    bad = np.flatnonzero(stamps.isna().to_numpy())
    if len(bad) == 0:
        return ((stamps - stamps.min()).dt.total_seconds() / 60.0).to_numpy(float)
    i = int(np.flatnonzero(numbers.isna().to_numpy())[0]) if len(bad) == len(col) else int(bad[0])
    raise ValueError(f"{path}, line {i + 2}, column {name!r}: {col.iloc[i]!r} is neither a number nor a timestamp")


# -- any of the above -------------------------------------------------------------------------------

FORMATS = ("auto", "twitter", "rumoureval", "pheme", "csv")


def load(path: str | Path, fmt: str = "auto") -> list[Cascade]:
    """Cascades from a file or folder in any supported format (``auto``: guessed from the layout).

    ``twitter``: a Twitter15/16 folder (``tree/`` and ``label.txt``, or folders of them) or one
    tree file; ``rumoureval``: a threads CSV; ``pheme``: a seqhawkes story file; ``csv``: a
    generic CSV with a ``minutes`` column (see :func:`read_csv`).
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if fmt == "auto":
        fmt = _guess(path)
    if fmt == "twitter":
        return read_twitter_folder(path) if path.is_dir() else [read_twitter_tree(path)]
    if path.is_dir():
        raise ValueError(f"{path}: a folder, but format {fmt} reads one file")
    if fmt == "rumoureval":
        return read_rumoureval(path)
    if fmt == "pheme":
        return read_pheme(path)
    return [read_csv(path)]


def _guess(path: Path) -> str:
    if path.is_dir():
        return "twitter"
    with path.open(encoding="utf-8") as fh:
        first = fh.readline()
    if first.startswith("['ROOT'") or _TREE_LINE.match(first.strip()):
        return "twitter"
    if first.strip() == ",".join(_THREAD_COLUMNS):
        return "rumoureval"
    if "\t" in first:
        return "pheme"
    return "csv"
