"""Observed cascades: readers for real data, and the same object built from a simulated run.

Every reader returns :class:`Cascade` objects: one row per post with its time (minutes after the
source post), author, action, parent and depth in the reply/share tree. The curves of
:mod:`experiments.compare` are computed the same way from observed and simulated cascades.

Actions are those of the model (``seed_post``, ``amplify``, ``attack``, ``defend``) plus
``neutral`` for a reply whose side is not known or is neither (a question, a comment).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pileon.model.decisions import ACTIONS
from pileon.model.files import read_text
from pileon.model.results import RunResult

CASCADE_ACTIONS = (*ACTIONS, "neutral")

# RumourEval stance is toward the source post. In a pile-on the source is the target's post, so
# denying it is hostile and supporting it is supportive; questions and comments take no side.
RUMOUREVAL_STANCE = {"support": "defend", "deny": "attack", "query": "neutral", "comment": "neutral"}
PHEME_STANCE_CODES = {0: "support", 1: "deny", 2: "query", 3: "comment"}

# The latest a post may come after its source: 10 years (Twitter itself is younger than the data sets'
# span allows). A later time is a unit mistake (milliseconds read as minutes) or a broken value, and
# would be counted in a cascade's posts while every curve leaves it out.
MAX_MINUTES = 10 * 365.25 * 24 * 60


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
    def build(
        cls,
        name: str,
        minutes: Any,
        user: Any,
        action: Any,
        parent: Any,
        meta: dict | None = None,
        lines: Sequence[int] | None = None,
    ) -> Cascade:
        """Sort by time (the source first), renumber parents, and compute depths.

        ``lines`` (the file's line of each row) and ``meta['source']`` (the file) name the place
        of a mistake in the errors.

        Raises:
            ValueError: not exactly one source (a row without a parent); a time that is not a finite
                number, comes before the source's or more than :data:`MAX_MINUTES` after it; parent
                links that form a cycle. The message names the file and the line.
        """
        meta = meta or {}
        where = _Where(name, meta.get("source"), lines)
        minutes = np.asarray(minutes, dtype=np.float64)
        parent = np.asarray(parent, dtype=np.int64)
        root = np.flatnonzero(parent < 0)
        if len(root) != 1:
            rows = ", ".join(where.line(i) for i in root[:5])
            raise ValueError(
                f"{where.file}: expected exactly one source post (a row without a parent), found {len(root)}"
                + (f" ({rows}{', ...' if len(root) > 5 else ''})" if len(root) else "")
            )
        bad = np.flatnonzero(~np.isfinite(minutes))
        if len(bad):
            raise ValueError(f"{where.at(bad[0])}: time {float(minutes[bad[0]])!r} is not a finite number")
        after = minutes - minutes[root[0]]
        early = np.flatnonzero(after < 0)
        if len(early):
            i = early[0]
            raise ValueError(
                f"{where.at(i)}: this post (minute {minutes[i]:g}) comes before the source post "
                f"(minute {minutes[root[0]]:g}, {where.line(root[0])}); the source must be the earliest"
            )
        late = np.flatnonzero(after > MAX_MINUTES)
        if len(late):
            i = late[0]
            raise ValueError(
                f"{where.at(i)}: this post comes {after[i]:.4g} minutes after the source, more than "
                f"{MAX_MINUTES:,.0f} (10 years): expected minutes (is it another unit?)"
            )
        order = np.lexsort((np.arange(len(minutes)), minutes))
        order = np.concatenate((root, order[order != root[0]]))  # the source first even at a tie
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        new_parent = np.where(parent[order] >= 0, rank[np.maximum(parent[order], 0)], -1)
        depth = _depths(new_parent)
        if (depth < 0).any():
            cycle = order[np.flatnonzero(depth < 0)]
            rows = ", ".join(where.line(i) for i in sorted(cycle)[:5])
            raise ValueError(
                f"{where.file}: the parent links form a cycle (posts that are each other's ancestors, "
                f"not reached from the source): {rows}{', ...' if len(cycle) > 5 else ''}"
            )
        return cls(
            name,
            minutes[order],
            np.asarray(user, dtype=object)[order],
            np.asarray(action, dtype=object)[order],
            new_parent,
            depth,
            meta,
        )


@dataclass(frozen=True)
class _Where:
    """Names the place of a row in errors: the file (with the cascade, if the file holds several)
    and the row's line."""

    name: str
    source: str | None
    lines: Sequence[int] | None

    @property
    def file(self) -> str:
        if not self.source:
            return self.name
        return self.source if Path(self.source).stem == self.name else f"{self.source} ({self.name})"

    def line(self, i: int) -> str:
        return f"line {self.lines[i]}" if self.lines is not None else f"row {i + 1}"

    def at(self, i: int) -> str:
        return f"{self.file}, {self.line(i)}"


def _depths(parent: np.ndarray) -> np.ndarray:
    """Depth of each node of a tree given by parent rows (-1 for the root); -1 for the nodes on a
    cycle of parent links or below one (never reached from the root)."""
    depth = np.full(len(parent), -1, np.int64)
    depth[parent < 0] = 0
    for _ in range(len(parent)):  # each pass settles one more level
        todo = depth < 0
        if not todo.any():
            break
        ready = todo & (depth[np.maximum(parent, 0)] >= 0)
        if not ready.any():
            break
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
        ValueError: a line is not ``['uid', 'tweet', 'delay']->['uid', 'tweet', 'delay']``, a
            delay is not a finite number, a post comes before the source, or the links form a
            cycle (see :meth:`Cascade.build`); the message names the file and line.
    """
    path = Path(path)
    text = read_text(path, "tree file")
    index: dict[tuple[str, str], int] = {}
    users: list[str] = []
    minutes: list[float] = []
    parents: list[tuple[str, str] | None] = []
    lines: list[int] = []
    source_tweet = None
    quirks = {"self_loops": 0, "repeated_nodes": 0, "negative_delays": 0, "unknown_parents": 0}
    for line_no, line in enumerate(_lines(text), 1):
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
        if not np.isfinite(delay):
            raise ValueError(f"{path}, line {line_no}: delay {cd!r} is not a finite number")
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
        lines.append(line_no)
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
    return Cascade.build(path.stem, minutes, users, action, parent_rows, meta, lines)


def read_twitter_folder(folder: str | Path, limit: int | None = None) -> list[Cascade]:
    """Every tree of a Twitter15/16 folder in the original layout (``label.txt`` and ``tree/``).

    ``folder`` may be one dataset folder (``twitter15``) or a folder of them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    if limit is not None and limit < 1:
        raise ValueError(f"limit={limit}: expected at least 1 cascade")
    roots = [folder] if (folder / "tree").is_dir() else sorted(p for p in folder.iterdir() if (p / "tree").is_dir())
    if not roots:
        raise ValueError(f"{folder}: expected a tree/ folder (Twitter15/16 layout), or folders that hold one")
    out: list[Cascade] = []
    names: set[str] = set()
    for root in roots:
        labels = _read_labels(root / "label.txt") if (root / "label.txt").is_file() else {}
        for f in sorted(p for p in (root / "tree").glob("*.txt") if p.is_file()):
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
    for line_no, line in enumerate(_lines(read_text(path, "label file")), 1):
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

    Raises:
        FileNotFoundError: no such file.
        ValueError: a malformed row, a post id given twice in a thread, or a tree that
            :meth:`Cascade.build` refuses; names the file and line.
    """
    path = Path(path)
    rows: dict[str, list[tuple[str, str, float, str, int]]] = {}
    lines: dict[str, list[int]] = {}
    reader = csv.reader(io.StringIO(read_text(path, "threads file"), newline=""))
    try:
        header = next(reader, [])
        if header != _THREAD_COLUMNS:
            raise ValueError(
                f"{path}, line 1: expected header {','.join(_THREAD_COLUMNS)!r}, found {','.join(header)[:200]!r}"
            )
        for row in reader:
            where = f"{path}, line {reader.line_num}"
            if not row:
                continue
            if len(row) != len(_THREAD_COLUMNS):
                raise ValueError(f"{where}: expected {len(_THREAD_COLUMNS)} fields, found {len(row)}")
            thread, post, parent, mins, stance, depth = row
            try:
                t, d = float(mins), int(depth)
            except ValueError:
                raise ValueError(f"{where}: minutes {mins[:40]!r} and depth {depth[:40]!r} must be numbers") from None
            if stance not in stance_map:
                raise ValueError(f"{where}: stance {stance[:40]!r} is not one of {', '.join(stance_map)}")
            rows.setdefault(thread, []).append((post, parent, t, stance, d))
            lines.setdefault(thread, []).append(reader.line_num)
    except csv.Error as e:
        raise ValueError(f"{path}, line {reader.line_num}: not a CSV row ({e})") from None
    out = []
    for thread, posts in rows.items():
        c, parent, known = _thread_cascade(thread, posts, stance_map, str(path), "rumoureval2017", lines[thread])
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

    Raises:
        FileNotFoundError: no such file.
        ValueError: a malformed line, a tweet index given twice in a story, or a tree that
            :meth:`Cascade.build` refuses; names the file and line.
    """
    path = Path(path)
    rows: dict[str, list[tuple[str, str, float, str, int]]] = {}
    lines: dict[str, list[int]] = {}
    for line_no, line in enumerate(_lines(read_text(path, "PHEME file")), 1):
        if not line.strip():
            continue
        cols = line.split("\t")
        where = f"{path}, line {line_no}"
        if len(cols) < 5:
            raise ValueError(f"{where}: expected at least 5 tab-separated columns, found {len(cols)}")
        try:
            story, tweet, parent, code, hours = cols[0], cols[1], cols[2], int(cols[3]), float(cols[4])
        except ValueError:
            raise ValueError(f"{where}: columns 4 (stance code) and 5 (hours) must be numbers") from None
        if code not in PHEME_STANCE_CODES:
            raise ValueError(f"{where}: stance code {code} is not one of 0, 1, 2, 3")
        if not np.isfinite(hours * 60.0):
            raise ValueError(f"{where}: hours {cols[4][:40]!r} is not a finite number")
        rows.setdefault(story, []).append((tweet, parent, hours * 60.0, PHEME_STANCE_CODES[code], -1))
        lines.setdefault(story, []).append(line_no)
    out = []
    for story, posts in rows.items():
        t0 = min(p[2] for p in posts)
        src = min(posts, key=lambda p: p[2])[0]
        posts = [(tw, "" if tw == src else par, t - t0, st, d) for tw, par, t, st, d in posts]
        c, _, _ = _thread_cascade(f"{path.stem}-{story}", posts, stance_map, str(path), "pheme_seqhawkes", lines[story])
        out.append(c)
    return out


def _thread_cascade(
    name: str, posts: list, stance_map: Mapping[str, str], source: str, fmt: str, lines: list[int]
) -> tuple[Cascade, np.ndarray, np.ndarray]:
    """A cascade from (post, parent, minutes, stance, depth) rows, with, in the rows' order, the row
    of each row's parent (-1 for the source) and whether that link is the data's; the source is the
    row without a parent (or, failing one, the earliest). A reply whose parent is missing from the
    data, or is itself, is attached to the source and counted in ``meta['unknown_parents']``. A post
    id given twice is an error (which of the two would its replies answer?)."""
    ids: dict[str, int] = {}
    for i, p in enumerate(posts):
        if p[0] in ids:
            raise ValueError(
                f"{source}, line {lines[i]}: {name}: post {p[0]!r} is given twice (also line {lines[ids[p[0]]]})"
            )
        ids[p[0]] = i
    roots = [i for i, p in enumerate(posts) if not p[1]]
    if len(roots) > 1:
        raise ValueError(
            f"{source}: thread {name} has {len(roots)} source posts (rows without a parent, lines "
            f"{', '.join(str(lines[i]) for i in roots[:5])}); expected 1"
        )
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
    c = Cascade.build(name, [p[2] for p in posts], [p[0] for p in posts], action, parent, meta, lines)
    return c, parent, known


def _lines(text: str) -> list[str]:
    """The lines of a file's text, numbered as an editor numbers them (``\\n`` or ``\\r\\n`` ends a line)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


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
        FileNotFoundError: no such file.
        ValueError: a named column is missing, a value is malformed, a post id is given twice, or
            the tree is one :meth:`Cascade.build` refuses; names file, line, column.
    """
    path = Path(path)
    df = read_table(path, "CSV file")
    if time not in df.columns:
        raise ValueError(f"{path}: no time column {time!r}; columns are {', '.join(map(str, df.columns))[:300]}")
    if df.empty:
        raise ValueError(f"{path}: no rows after the header")
    minutes = _parse_times(df[time], path, time, time_unit)
    n = len(df)
    lines = list(range(2, n + 2))
    acts = df[action].to_numpy(object) if action and action in df.columns else np.array(["amplify"] * n, object)
    if action_map is not None:
        bad = [(i, a) for i, a in enumerate(acts) if a not in action_map]
        if bad:
            i, a = bad[0]
            raise ValueError(f"{path}, line {i + 2}, column {action!r}: {a!r} is not one of {', '.join(action_map)}")
        acts = np.array([action_map[a] for a in acts], object)
    first = int(np.argmin(minutes))
    if parent and post and parent in df.columns and post in df.columns:
        ids: dict[str, int] = {}
        for i, p in enumerate(df[post]):
            if p == "":  # no id: nothing can reply to it (an empty parent is the source)
                continue
            if p in ids:
                raise ValueError(
                    f"{path}, line {i + 2}, column {post!r}: {p[:40]!r} is given twice (also line {ids[p] + 2})"
                )
            ids[p] = i
        par = []
        for i, p in enumerate(df[parent]):
            if p == "":
                par.append(-1)
            elif p in ids:
                par.append(ids[p])
            else:
                raise ValueError(f"{path}, line {i + 2}, column {parent!r}: {p[:40]!r} is not the {post!r} of any row")
    else:
        par = [-1 if i == first else first for i in range(n)]
    acts = np.where(np.asarray(par) < 0, "seed_post", acts)
    unknown = sorted(set(acts) - set(CASCADE_ACTIONS))
    if unknown:
        i = next(i for i, a in enumerate(acts) if a in unknown)
        raise ValueError(
            f"{path}, line {i + 2}, column {action!r}: unknown action {str(acts[i])[:40]!r}; expected one of "
            f"{', '.join(CASCADE_ACTIONS)} (pass an action map)"
        )
    users = df[user].to_numpy(object) if user and user in df.columns else np.arange(n).astype(str).astype(object)
    meta = {"source": str(path), "format": "csv"}
    return Cascade.build(path.stem, minutes - minutes.min(), users, acts, par, meta, lines)


def read_table(path: Path, what: str) -> pd.DataFrame:
    """A CSV file as a table of text (no value read as missing), header first; pandas' parser errors
    as a ``ValueError`` naming the file (and the line, as pandas gives it)."""
    text = read_text(path, what)
    if not text.strip():
        raise ValueError(f"{path}: empty file; expected a header line and one row per post")
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as e:
        raise ValueError(f"{path}: not a CSV table ({str(e).strip()})") from None


def _parse_times(col: pd.Series, path: Path, name: str, unit: str) -> np.ndarray:
    scale = {"minutes": 1.0, "hours": 60.0, "seconds": 1 / 60.0}
    if unit not in scale:
        raise ValueError(f"time_unit {unit!r}: expected minutes, hours or seconds")
    numbers = pd.to_numeric(col, errors="coerce")
    if not numbers.isna().any():
        values = numbers.to_numpy(float) * scale[unit]
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            i = int(bad[0])
            raise ValueError(f"{path}, line {i + 2}, column {name!r}: {col.iloc[i][:40]!r} is not a finite number")
        return values
    stamps = pd.to_datetime(col, errors="coerce", utc=True, format="mixed")
    bad = np.flatnonzero(stamps.isna().to_numpy())
    if len(bad) == 0:
        return ((stamps - stamps.min()).dt.total_seconds() / 60.0).to_numpy(float)
    i = int(np.flatnonzero(numbers.isna().to_numpy())[0]) if len(bad) == len(col) else int(bad[0])
    raise ValueError(f"{path}, line {i + 2}, column {name!r}: {col.iloc[i][:40]!r} is neither a number nor a timestamp")


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
    with path.open("rb") as fh:  # a guess only: the reader then checks the whole file
        first = fh.readline(65536).decode("utf-8-sig", errors="replace")
    if first.startswith("['ROOT'") or _TREE_LINE.match(first.strip()):
        return "twitter"
    if first.strip() == ",".join(_THREAD_COLUMNS):
        return "rumoureval"
    if "\t" in first:
        return "pheme"
    return "csv"
