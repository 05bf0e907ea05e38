"""The directed follower graph, stored as compressed rows: for each user, who follows them.

A post by user ``u`` reaches ``followers(u)``, so the graph is kept indexed by followee. Users are
indices ``0..n-1``; a graph loaded from a file keeps the original ids in ``ids``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .params import NetworkParams

# Spread (log units) of how many accounts a user follows. Following counts are less skewed than
# follower counts (Kwak et al. 2010, Fig. 1, as a secondary source reports it); a lognormal with
# sigma 1 gives that shape (assumed).
FOLLOWING_SD = 1.0


class Csr(NamedTuple):
    """The graph as the compiled loops read it: the followers of ``u`` are ``indices[indptr[u]:indptr[u + 1]]``."""

    indptr: np.ndarray
    indices: np.ndarray


@dataclass(frozen=True, eq=False)
class Network:
    """Followers of each user in CSR form: ``indices[indptr[u]:indptr[u + 1]]``."""

    indptr: np.ndarray  # int64, length n + 1
    indices: np.ndarray  # int32, the followers, sorted within each row
    ids: np.ndarray | None = None  # original user ids of a loaded graph

    @property
    def n(self) -> int:
        """Number of users."""
        return len(self.indptr) - 1

    @property
    def n_edges(self) -> int:
        """Number of follower edges."""
        return int(self.indptr[-1])

    @property
    def csr(self) -> Csr:
        """The arrays the compiled loops take."""
        return Csr(self.indptr, self.indices)

    def follower_counts(self) -> np.ndarray:
        """Followers of every user."""
        return np.diff(self.indptr)

    def followers(self, user: int) -> np.ndarray:
        """The followers of one user."""
        return self.indices[self.indptr[user] : self.indptr[user + 1]]

    def gather(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Followers of many users at once.

        Returns:
            ``(followers, source)``: every follower of every user in ``users``, and for each the
            position in ``users`` of the user it follows.
        """
        starts = self.indptr[users]
        counts = self.indptr[users + 1] - starts
        total = int(counts.sum())
        if total == 0:
            return np.empty(0, np.int32), np.empty(0, np.int64)
        source = np.repeat(np.arange(len(users)), counts)
        # position within each row = global index - cumulative offset of the row
        offsets = np.cumsum(counts) - counts
        pos = np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, counts)
        return self.indices[pos], source

    def reciprocity(self) -> float:
        """Fraction of edges whose reverse edge also exists."""
        n = self.n
        followee = np.repeat(np.arange(n, dtype=np.int64), self.follower_counts())
        fwd = followee * n + self.indices
        rev = self.indices.astype(np.int64) * n + followee
        return float(np.isin(rev, fwd, assume_unique=True).mean()) if len(fwd) else 0.0

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_edges(cls, follower: np.ndarray, followee: np.ndarray, n: int, ids: np.ndarray | None = None) -> Network:
        """Build from edge arrays (``follower`` follows ``followee``).

        Self-loops and repeated edges are dropped.
        """
        follower = np.asarray(follower, dtype=np.int64)
        followee = np.asarray(followee, dtype=np.int64)
        if len(follower) != len(followee):
            raise ValueError("follower and followee arrays differ in length")
        if len(follower) and (min(follower.min(), followee.min()) < 0 or max(follower.max(), followee.max()) >= n):
            raise ValueError(f"user indices must lie in [0, {n - 1}]")
        key = followee * n + follower
        key = key[follower != followee]
        key.sort()
        if len(key) > 1:
            key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        rows = key // n
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return cls(indptr=indptr, indices=(key - rows * n).astype(np.int32), ids=ids)

    @classmethod
    def generate(cls, params: NetworkParams, rng: np.random.Generator) -> Network:
        """A heavy-tailed follower graph (directed Chung-Lu), built in seconds at 10^6 users.

        Each user gets an attractiveness drawn from a Pareto law whose tail gives
        P(followers = k) ~ k^-follower_exponent, capped so no user has more than
        ``max_followers`` expected followers, and an activity (how many it
        follows) drawn from a lognormal. Edges pair followers and followees in proportion to
        these weights; a share of them is then reciprocated to reach ``reciprocity``.
        """
        n = params.n_users
        # Mutual edges = 2x of the x share reversed, out of (1 + x) edges: solve for x.
        x = params.reciprocity / (2.0 - params.reciprocity)
        m_base = int(round(n * params.mean_followers / (1.0 + x)))
        w_in = _capped_pareto(n, params.follower_exponent, params.max_followers, m_base, rng)
        w_out = rng.lognormal(0.0, FOLLOWING_SD, n)
        # Multinomial counts then repeat: far faster than m_base weighted draws at 10^7 edges.
        followee = np.repeat(np.arange(n, dtype=np.int64), rng.multinomial(m_base, w_in / w_in.sum()))
        follower = np.repeat(np.arange(n, dtype=np.int64), rng.multinomial(m_base, w_out / w_out.sum()))
        rng.shuffle(follower)
        back = rng.random(m_base) < x
        return cls.from_edges(np.concatenate((follower, followee[back])), np.concatenate((followee, follower[back])), n)

    @classmethod
    def read_csv(cls, path: str | Path) -> Network:
        """Load a follower edge list: a CSV with header ``follower,followee``, one edge a line.

        Ids may be any strings; users are numbered in order of first appearance.

        Raises:
            FileNotFoundError: the file does not exist.
            ValueError: a line is malformed; the message names the file and the line.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such edge-list file")
        index: dict[str, int] = {}
        src: list[int] = []
        dst: list[int] = []
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            if header[:2] != ["follower", "followee"] or len(header) != 2:
                raise ValueError(f"{path}, line 1: expected the header 'follower,followee', found {','.join(header)!r}")
            for row in reader:
                if not row:
                    continue
                if len(row) != 2 or not row[0].strip() or not row[1].strip():
                    raise ValueError(
                        f"{path}, line {reader.line_num}: expected two non-empty fields "
                        f"'follower,followee', found {','.join(row)!r}"
                    )
                a, b = row[0].strip(), row[1].strip()
                src.append(index.setdefault(a, len(index)))
                dst.append(index.setdefault(b, len(index)))
        if not index:
            raise ValueError(f"{path}: no edges after the header")
        ids = np.array(list(index), dtype=object)
        return cls.from_edges(np.array(src), np.array(dst), len(index), ids=ids)

    def with_followers(self, user: int, k: int, rng: np.random.Generator) -> Network:
        """A copy in which ``user`` has exactly ``k`` followers (the rest of the graph unchanged).

        Missing followers are drawn among the users who do not follow ``user`` yet, in proportion
        to how many accounts each follows (plus one), as the generator pairs edges; surplus
        followers are dropped at random. Used to give a scenario's target its audience at any
        network size (docs/model.md, "Size").
        """
        if not 0 <= k < self.n:
            raise ValueError(f"target_followers={k}: expected fewer than the {self.n:,} users of the network")
        have = self.followers(user)
        if len(have) == k:
            return self
        if len(have) > k:
            row = np.sort(rng.choice(have, k, replace=False)).astype(self.indices.dtype)
        else:
            weight = np.bincount(self.indices, minlength=self.n).astype(np.float64) + 1.0
            weight[have] = 0.0
            weight[user] = 0.0
            extra = rng.choice(self.n, k - len(have), replace=False, p=weight / weight.sum())
            row = np.sort(np.concatenate((have, extra))).astype(self.indices.dtype)
        start, end = self.indptr[user], self.indptr[user + 1]
        indices = np.concatenate((self.indices[:start], row, self.indices[end:]))
        indptr = self.indptr.copy()
        indptr[user + 1 :] += len(row) - (end - start)
        return Network(indptr=indptr, indices=indices, ids=self.ids)

    def save(self, path: str | Path) -> None:
        """Write to a ``.npz`` file (for caching a large generated graph), original ids included."""
        arrays = {"indptr": self.indptr, "indices": self.indices}
        if self.ids is not None:  # string ids as a fixed-width unicode array: no pickle needed to read them
            arrays["ids"] = self.ids.astype(str) if self.ids.dtype == object else self.ids
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Network:
        """Read a graph written by :meth:`save`."""
        with np.load(path) as z:
            ids = z["ids"] if "ids" in z.files else None
            if ids is not None and ids.dtype.kind == "U":
                ids = ids.astype(object)  # as read_csv gives them
            return cls(indptr=z["indptr"], indices=z["indices"], ids=ids)


def _capped_pareto(n: int, gamma: float, k_max: float, m: int, rng: np.random.Generator) -> np.ndarray:
    """Pareto weights with P(k) ~ k^-gamma, capped so no expected degree exceeds ``k_max``."""
    w = (1.0 - rng.random(n)) ** (-1.0 / (gamma - 1.0))
    k_max = max(k_max, 1.0)
    for _ in range(20):  # the cap moves the total; a few fixed-point rounds settle it
        cap = k_max * w.sum() / m
        if w.max() <= cap * (1 + 1e-9):
            break
        np.minimum(w, cap, out=w)
    return w
