"""The directed follower graph, stored as compressed rows: for each user, who follows them.

A post by user ``u`` reaches ``followers(u)``, so the graph is kept indexed by followee. Users are
indices ``0..n-1``; a graph loaded from a file keeps the original ids in ``ids``.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .files import lines
from .graphgen import chung_lu, csr_from_edges, first_appearance
from .params import NetworkParams, specs

if TYPE_CHECKING:
    import pyarrow as pa

# Mixed into a run's seed for the stream its generated network is drawn from (see network_rng).
NETWORK_STREAM = 0x6E6574

# Spread (log units) of how many accounts a user follows. Following counts are less skewed than
# follower counts (Kwak et al. 2010, Fig. 1, as a secondary source reports it); a lognormal with
# sigma 1 gives that shape (assumed).
FOLLOWING_SD = 1.0


# Peak memory of building a generated graph and running the model on it, per edge and per user
# (peak RSS of `pileon run` at 2*10^5-8*10^5 users and 20-80 followers, minus the interpreter's:
# 62.8 bytes per edge and about 65 per user, rounded up); what `pileon run` and sweeps check
# against the machine's memory before they start.
BYTES_PER_EDGE = 64
BYTES_PER_USER = 100


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

    def __post_init__(self) -> None:
        for a in (self.indptr, self.indices):  # a graph never changes (and a loaded one may be a read-only map)
            a.flags.writeable = False

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

    @staticmethod
    def estimated_bytes(n_users: int, mean_followers: float) -> float:
        """Memory a run on a generated graph of this size needs at its peak (see ``BYTES_PER_EDGE``)."""
        return n_users * (BYTES_PER_USER + BYTES_PER_EDGE * mean_followers)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_edges(cls, follower: np.ndarray, followee: np.ndarray, n: int, ids: np.ndarray | None = None) -> Network:
        """Build from edge arrays (``follower`` follows ``followee``).

        Self-loops and repeated edges are dropped.
        """
        follower, followee = (np.asarray(a) for a in (follower, followee))
        follower, followee = (a if a.dtype.kind in "iu" else a.astype(np.int64) for a in (follower, followee))
        if len(follower) != len(followee):
            raise ValueError("follower and followee arrays differ in length")
        if len(follower) and (min(follower.min(), followee.min()) < 0 or max(follower.max(), followee.max()) >= n):
            raise ValueError(f"user indices must lie in [0, {n - 1}]")
        indptr, indices = csr_from_edges(follower, followee, n)
        return cls(indptr=indptr, indices=indices, ids=ids)

    @classmethod
    def generate(cls, params: NetworkParams, rng: np.random.Generator) -> Network:
        """A heavy-tailed follower graph (directed Chung-Lu), built in seconds at 10^7 users.

        Each user gets an attractiveness drawn from a Pareto law whose tail gives
        P(followers = k) ~ k^-follower_exponent, capped so no user has more than
        ``max_followers`` expected followers, and an activity (how many it
        follows) drawn from a lognormal. Edges pair followers and followees in proportion to
        these weights; a share of them is then reciprocated to reach ``reciprocity``. Built
        straight into compressed rows by compiled loops on every core (model/graphgen.py).
        """
        n = params.n_users
        # Mutual edges = 2x of the x share reversed, out of (1 + x) edges: solve for x.
        x = params.reciprocity / (2.0 - params.reciprocity)
        m_base = n * params.mean_followers / (1.0 + x)
        w_in = _capped_pareto(n, params.follower_exponent, params.max_followers, m_base, rng)
        indptr, indices = chung_lu(w_in, FOLLOWING_SD, m_base, x, rng)
        return cls(indptr=indptr, indices=indices)

    @classmethod
    def read_csv(cls, path: str | Path) -> Network:
        """Load a follower edge list: a CSV with header ``follower,followee``, one edge a line.

        Ids may be any strings (surrounding spaces are dropped); users are numbered in order of
        first appearance, and ``ids`` holds the original id of each. The file is parsed by
        pyarrow's multi-threaded CSV reader (about 100 million edges in under a minute); a file it
        cannot take as is is read again line by line, to name the line that is wrong. UTF-8, with
        or without a byte-order mark.

        Raises:
            FileNotFoundError: the file does not exist.
            ValueError: a line is malformed or not UTF-8, or the graph has fewer users than a model
                needs (3) or more than it takes; the message names the file (and the line).
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such edge-list file")
        first = next(lines(path), "")
        raw = next(csv.reader([first]), []) if first.strip() else []
        header = [h.strip() for h in raw]
        if header[:2] != ["follower", "followee"] or len(header) != 2:
            raise ValueError(f"{path}, line 1: expected the header 'follower,followee', found {','.join(header)!r}")
        # pyarrow names the columns as written (it skips a byte-order mark): spaces go the slow way
        columns = _read_edge_columns(path) if raw == header else None
        if columns is None:  # something pyarrow would not take: find the line, or read it the slow way
            return cls._read_csv_by_line(path)
        follower, followee = columns
        if len(follower) == 0:
            raise ValueError(f"{path}: no edges after the header")
        numbered = _number_ids(follower, followee)
        if numbered is None:  # an empty field: the line-by-line reader names its line
            return cls._read_csv_by_line(path)
        ids, codes = numbered
        return cls._from_file(path, codes[0], codes[1], ids)

    @classmethod
    def _read_csv_by_line(cls, path: Path) -> Network:
        """The edge list read line by line with Python's csv module: slow, and precise about errors."""
        index: dict[str, int] = {}
        src: list[int] = []
        dst: list[int] = []
        reader = csv.reader(lines(path))
        try:
            next(reader, [])
            for row in reader:
                if not row:
                    continue
                if len(row) != 2 or not row[0].strip() or not row[1].strip():
                    raise ValueError(
                        f"{path}, line {reader.line_num}: expected two non-empty fields "
                        f"'follower,followee', found {','.join(row)[:200]!r}"
                    )
                a, b = row[0].strip(), row[1].strip()
                src.append(index.setdefault(a, len(index)))
                dst.append(index.setdefault(b, len(index)))
        except csv.Error as e:
            raise ValueError(f"{path}, line {reader.line_num}: not a CSV row ({e})") from None
        if not index:
            raise ValueError(f"{path}: no edges after the header")
        ids = np.array(list(index), dtype=object)
        return cls._from_file(path, np.array(src), np.array(dst), ids)

    @classmethod
    def _from_file(cls, path: Path, follower: np.ndarray, followee: np.ndarray, ids: np.ndarray) -> Network:
        """The graph of a file's numbered edges, refused (naming the file) if a model cannot run on it."""
        low, high = specs(NetworkParams)["n_users"].low, specs(NetworkParams)["n_users"].high
        if not low <= len(ids) <= high:
            raise ValueError(
                f"{path}: {len(ids):,} distinct users in {len(follower):,} edges; a model runs on "
                f"{low:,.0f} to {high:,.0f} users"
            )
        network = cls.from_edges(follower, followee, len(ids), ids=ids)
        if network.n_edges == 0:
            raise ValueError(f"{path}: no edges left once self-loops and repeated edges are dropped")
        return network

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
        """Write to a folder of ``.npy`` files (``indptr``, ``indices``, ``ids`` if any), which
        :meth:`load` maps into memory rather than reads; or, for a path ending in ``.npz``, to one
        compressed-free ``.npz`` file. The folder is written beside its final name and renamed
        into place, so a reader never sees half a graph."""
        path = Path(path)
        ids = None
        if self.ids is not None:  # string ids as a fixed-width unicode array: no pickle needed to read them
            ids = self.ids.astype(str) if self.ids.dtype == object else self.ids
        if path.suffix == ".npz":
            arrays = {"indptr": self.indptr, "indices": self.indices} | ({"ids": ids} if ids is not None else {})
            np.savez(path, **arrays)
            return
        part = path.with_name(f".{path.name}.{os.getpid()}.part")
        part.mkdir(parents=True)
        np.save(part / "indptr.npy", self.indptr)
        np.save(part / "indices.npy", self.indices)
        if ids is not None:
            np.save(part / "ids.npy", ids)
        part.rename(path)

    @classmethod
    def load(cls, path: str | Path, mmap: bool = True) -> Network:
        """Read a graph written by :meth:`save`; a folder is memory-mapped read-only unless ``mmap``
        is False (the operating system then pages the graph in as the run touches it, and runs in
        other processes share the same pages)."""
        path = Path(path)
        if path.suffix == ".npz":
            with np.load(path) as z:
                ids = z["ids"] if "ids" in z.files else None
                indptr, indices = z["indptr"], z["indices"]
        else:
            if not (path / "indptr.npy").is_file():
                raise FileNotFoundError(f"{path}: not a saved network (no indptr.npy in it)")
            mode = "r" if mmap else None
            indptr = np.load(path / "indptr.npy", mmap_mode=mode)
            indices = np.load(path / "indices.npy", mmap_mode=mode)
            ids = np.load(path / "ids.npy") if (path / "ids.npy").is_file() else None
        if ids is not None and ids.dtype.kind == "U":
            ids = ids.astype(object)  # as read_csv gives them
        return cls(indptr=indptr, indices=indices, ids=ids)


def _read_edge_columns(path: Path) -> tuple[pa.ChunkedArray, pa.ChunkedArray] | None:
    """The two columns as strings, by pyarrow; None if a row is malformed (a field missing, one
    too many, a quote left open), which the line-by-line reader will name."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(block_size=1 << 26),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={"follower": pa.string(), "followee": pa.string()},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, UnicodeDecodeError):  # ArrowInvalid, and any other refusal
        return None
    return table.column("follower"), table.column("followee")


def _number_ids(follower: pa.ChunkedArray, followee: pa.ChunkedArray) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """Number the ids in order of first appearance (row by row, follower before followee).

    The ids are dictionary-encoded as they are, then the distinct ones trimmed of surrounding
    spaces (so " a" and "a" are one user): trimming millions of distinct ids, not hundreds of
    millions of fields.

    Returns:
        ``(ids, [follower numbers, followee numbers])``, or None if a field is empty.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    both = pa.chunked_array(follower.chunks + followee.chunks).dictionary_encode().combine_chunks()
    codes = both.indices.to_numpy()
    trimmed = pc.utf8_trim_whitespace(both.dictionary)
    if pc.any(pc.equal(pc.utf8_length(trimmed), 0)).as_py():
        return None
    merged = trimmed.dictionary_encode()  # ids that differed only by spaces become one
    codes = merged.indices.to_numpy()[codes]
    m = len(follower)
    number = first_appearance(codes[:m], codes[m:], len(merged.dictionary))
    ids = np.empty(len(number), dtype=object)
    ids[number] = merged.dictionary.to_numpy(zero_copy_only=False)
    return ids, [number[codes[:m]], number[codes[m:]]]


def network_rng(seed: int) -> np.random.Generator:
    """The generator a run's network is drawn from: a stream of its own, derived from the run's
    seed with SeedSequence. So the network depends only on the network parameters and the seed, and
    a network built once, saved and loaded again gives the same run as one built by the run."""
    return np.random.default_rng(np.random.SeedSequence([seed, NETWORK_STREAM]))


def _capped_pareto(n: int, gamma: float, k_max: float, m: float, rng: np.random.Generator) -> np.ndarray:
    """Pareto weights with P(k) ~ k^-gamma, capped so no expected degree exceeds ``k_max``."""
    w = (1.0 - rng.random(n)) ** (-1.0 / (gamma - 1.0))
    k_max = max(k_max, 1.0)
    for _ in range(20):  # the cap moves the total; a few fixed-point rounds settle it
        cap = k_max * w.sum() / m
        if w.max() <= cap * (1 + 1e-9):
            break
        np.minimum(w, cap, out=w)
    return w
