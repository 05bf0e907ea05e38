"""Drawing the generated follower graph fast: the directed Chung-Lu graph as compiled loops.

The graph of :meth:`model.network.Network.generate` is built straight into its compressed rows
(the followers of each user), with no sort of the edge list and no table read per edge:

1. each user's follower count before reciprocation is Poisson(``m * w_in / sum(w_in)``), which
   fixes the rows' sizes (the "slots");
2. each slot's follower is drawn in proportion to how many accounts users follow: lognormal
   across users (log-spread ``spread``), laid out by id (user ``i`` has the lognormal's mean over
   its quantile bin ``[i/n, (i+1)/n)``), so that a draw is a closed-form inversion;
3. a share ``x`` of the slots is also reversed (the follower gets the followee as a follower),
   which makes ``reciprocity`` of the edges mutual;
4. repeated followers and self-loops are dropped; a row keeps its followers in the order drawn.

Randomness: the numbers of slot ``s`` are a hash of ``s`` and a key drawn from the caller's
generator (splitmix64, a counter-based generator; Steele et al. 2014, OOPSLA), so that the rows
are filled on every core at once and the graph does not depend on how they are split among
cores. The per-user weights and row sizes come from the caller's numpy generator as usual.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SCAN = 16  # rows up to this long find repeats by looking through the row; longer ones by a hash set


def chung_lu(
    w_in: np.ndarray, spread: float, m: float, x: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The follower graph in compressed rows: ``(indptr, indices)``, indices int32.

    Args:
        w_in: how attractive each user is as a followee (expected followers in proportion).
        spread: log-spread of the lognormal of how many accounts users follow.
        m: expected edges before reciprocation.
        x: share of edges also reversed.
        rng: draws the row sizes and the keys of the slots' hashes.
    """
    n = len(w_in)
    if n >= 2**31:
        raise ValueError(f"n_users={n}: at most {2**31 - 1} users (followers are stored as int32)")
    size = rng.poisson(w_in * (m / w_in.sum()))
    slots = np.zeros(n + 1, np.int64)
    np.cumsum(size, out=slots[1:])
    del size
    key_follower, key_back = (np.uint64(k) for k in rng.integers(0, 2**63, 2))
    chunks = _chunks(slots, 4 * numba.get_num_threads())
    back_count = _count_back(slots, chunks, key_back, x)
    at = np.zeros(len(back_count) + 1, np.int64)
    np.cumsum(back_count, out=at[1:])
    back_row = np.empty(at[-1], np.int32)  # a reversed slot (u <- v) adds u to the followers of v
    back_follower = np.empty(at[-1], np.int32)
    _back_edges(slots, chunks, key_follower, key_back, x, spread, at, back_row, back_follower)
    back = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(back_row, minlength=n), out=back[1:])
    back_follower = _by_row(back_row, back_follower, back)
    del back_row
    start = slots[:-1] + back[:-1]
    indices = np.empty(slots[-1] + back[-1], np.int32)
    length = np.empty(n, np.int64)
    _fill(slots, back, back_follower, start, chunks, key_follower, spread, indices, length)
    del back_follower
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(length, out=indptr[1:])
    _compact(start, length, indices)
    return indptr, indices[: indptr[-1]]


def _chunks(slots: np.ndarray, k: int) -> np.ndarray:
    """Row boundaries splitting the slots into ``k`` runs of about equal size (work for the cores)."""
    n = len(slots) - 1
    bounds = np.searchsorted(slots, np.linspace(0, slots[-1], k + 1), side="left").astype(np.int64)
    bounds[0], bounds[-1] = 0, n
    return np.maximum.accumulate(np.minimum(bounds, n))


@numba.njit(inline="always")
def _mix(z: np.uint64) -> np.uint64:
    """splitmix64's finaliser: a 64-bit hash whose outputs for consecutive inputs look independent."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(inline="always")
def _uniform(key: np.uint64, s: int) -> float:
    """A uniform number in (0, 1) for slot ``s`` of the stream ``key``."""
    return (np.float64(_mix(key + np.uint64(s) * _GOLDEN) >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@numba.njit(inline="always")
def _follower(key: np.uint64, s: int, spread: float, n: int) -> int:
    """The follower of slot ``s``, drawn in proportion to how many accounts each user follows.

    User ``i`` follows in proportion to the mean of a lognormal (log-spread ``spread``) over its
    quantile bin ``[i/n, (i+1)/n)``: so the chance that the drawn user lies below the fraction
    ``p`` of users is ``Phi(Phi^-1(p) - spread)`` (the lognormal's partial expectation), which
    inverts in closed form. No table is read: at 10^7 users a table would miss the cache on
    every draw.
    """
    p = _normal_cdf(_normal_quantile(_uniform(key, s)) + spread)
    return min(int(p * n), n - 1)


# Phi on a grid of 2^14 points over [-9, 11], read with linear interpolation (error below 5e-8:
# Phi'' h^2 / 8 with h = 0.0012), 128 kB that stay in the cache.
_CDF_LO, _CDF_HI, _CDF_N = -9.0, 11.0, 2**14
_CDF = 0.5 * np.array([math.erfc(-z / math.sqrt(2.0)) for z in np.linspace(_CDF_LO, _CDF_HI, _CDF_N + 1)])


@numba.njit(inline="always")
def _normal_cdf(z: float) -> float:
    """Phi(z), from the table."""
    y = (z - _CDF_LO) * (_CDF_N / (_CDF_HI - _CDF_LO))
    if y <= 0.0:
        return 0.0
    if y >= _CDF_N:
        return 1.0
    j = int(y)
    return _CDF[j] + (y - j) * (_CDF[j + 1] - _CDF[j])


# Acklam's rational approximation of the normal quantile (relative error below 1.2e-9).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
      -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
      -1.328068155288572e01)  # fmt: skip
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
      4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)


@numba.njit(inline="always")
def _tail(q: float) -> float:
    c, d = _C, _D
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
        (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
    )


@numba.njit(inline="always")
def _normal_quantile(p: float) -> float:
    """Phi^-1(p) for p in (0, 1)."""
    if p < 0.02425:
        return _tail(math.sqrt(-2.0 * math.log(p)))
    if p > 0.97575:
        return -_tail(math.sqrt(-2.0 * math.log(1.0 - p)))
    a, b = _A, _B
    q = p - 0.5
    r = q * q
    return (
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
    )


@numba.njit(parallel=True, cache=True)
def _count_back(slots: np.ndarray, chunks: np.ndarray, key_back: np.uint64, x: float) -> np.ndarray:
    out = np.zeros(len(chunks) - 1, np.int64)
    for c in prange(len(chunks) - 1):
        k = 0
        for s in range(slots[chunks[c]], slots[chunks[c + 1]]):
            if _uniform(key_back, s) < x:
                k += 1
        out[c] = k
    return out


@numba.njit(parallel=True, cache=True)
def _back_edges(
    slots: np.ndarray,
    chunks: np.ndarray,
    key_follower: np.uint64,
    key_back: np.uint64,
    x: float,
    spread: float,
    at: np.ndarray,
    back_row: np.ndarray,
    back_follower: np.ndarray,
) -> None:
    n = len(slots) - 1
    for c in prange(len(chunks) - 1):
        p = at[c]
        for u in range(chunks[c], chunks[c + 1]):
            for s in range(slots[u], slots[u + 1]):
                if _uniform(key_back, s) < x:
                    back_row[p] = _follower(key_follower, s, spread, n)
                    back_follower[p] = u
                    p += 1


@numba.njit(cache=True)
def _by_row(row: np.ndarray, value: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """``value`` grouped by ``row`` (a counting sort; the order within a row is kept)."""
    at = ptr[:-1].copy()
    out = np.empty(len(value), value.dtype)
    for i in range(len(row)):
        r = row[i]
        out[at[r]] = value[i]
        at[r] += 1
    return out


@numba.njit(parallel=True, cache=True)
def _fill(
    slots: np.ndarray,
    back: np.ndarray,
    back_follower: np.ndarray,
    start: np.ndarray,
    chunks: np.ndarray,
    key_follower: np.uint64,
    spread: float,
    indices: np.ndarray,
    length: np.ndarray,
) -> None:
    """Each row: its drawn followers, then its reversed ones, each once and never the user itself."""
    n = len(length)
    for c in prange(len(chunks) - 1):
        longest = 0
        for u in range(chunks[c], chunks[c + 1]):
            longest = max(longest, slots[u + 1] - slots[u] + back[u + 1] - back[u])
        seen = np.full(_set_size(longest), -1, np.int32)  # one hash set per run of rows, reused
        for u in range(chunks[c], chunks[c + 1]):
            o = start[u]
            drawn = slots[u + 1] - slots[u]
            k = drawn + back[u + 1] - back[u]
            size = _set_size(k)
            kept = 0
            for i in range(k):
                v = (
                    _follower(key_follower, slots[u] + i, spread, n)
                    if i < drawn
                    else back_follower[back[u] + i - drawn]
                )
                if v == u:
                    continue
                if k <= _SCAN:  # a short row: look through what is kept so far (it is in the cache)
                    repeat = False
                    for j in range(o, o + kept):
                        if indices[j] == v:
                            repeat = True
                            break
                    if repeat:
                        continue
                elif not _insert(seen, size, v):
                    continue
                indices[o + kept] = v
                kept += 1
            if k > _SCAN:
                seen[:size] = -1
            length[u] = kept


@numba.njit(inline="always")
def _set_size(k: int) -> int:
    size = 1
    while size < 2 * k:
        size *= 2
    return size


@numba.njit(inline="always")
def _insert(seen: np.ndarray, size: int, v: int) -> bool:
    """Add ``v`` to the open-addressing set ``seen[:size]`` (-1 = empty); False if it was there."""
    mask = np.uint64(size - 1)
    j = ((np.uint64(v) * _GOLDEN) >> np.uint64(32)) & mask
    while seen[j] != -1:
        if seen[j] == v:
            return False
        j = (j + np.uint64(1)) & mask
    seen[j] = v
    return True


@numba.njit(cache=True)
def _compact(start: np.ndarray, length: np.ndarray, indices: np.ndarray) -> None:
    """Move the rows together, in place (each row moves left, never past the next one's start)."""
    p = 0
    for u in range(len(length)):
        s = start[u]
        for i in range(length[u]):
            indices[p + i] = indices[s + i]
        p += length[u]


@numba.njit(cache=True)
def csr_from_edges(follower: np.ndarray, followee: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Compressed rows of an edge list (``follower`` follows ``followee``): each row sorted, repeated
    edges and self-loops dropped. A counting sort by followee, then a sort within each row: no
    sort of the whole edge list."""
    m = len(follower)
    start = np.zeros(n + 1, np.int64)
    for i in range(m):
        start[followee[i] + 1] += 1
    for u in range(n):
        start[u + 1] += start[u]
    at = start[:-1].copy()
    indices = np.empty(m, np.int32)
    for i in range(m):
        u = followee[i]
        indices[at[u]] = follower[i]
        at[u] += 1
    indptr = np.zeros(n + 1, np.int64)
    p = 0
    for u in range(n):
        row = indices[start[u] : start[u + 1]]
        row.sort()
        previous = -1
        for v in row:
            if v != previous and v != u:
                indices[p] = v
                p += 1
            previous = v
        indptr[u + 1] = p
    return indptr, indices[:p]


@numba.njit(cache=True)
def first_appearance(codes_a: np.ndarray, codes_b: np.ndarray, k: int) -> np.ndarray:
    """New numbers for ``k`` codes in order of first appearance in ``a[0], b[0], a[1], b[1], ...``."""
    number = np.full(k, -1, np.int32)  # fewer than 2^31 users (followers are int32)
    next_number = 0
    for i in range(len(codes_a)):
        for c in (codes_a[i], codes_b[i]):
            if number[c] < 0:
                number[c] = next_number
                next_number += 1
    return number
