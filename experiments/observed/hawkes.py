"""A statistical baseline: self-exciting (Hawkes) processes.

For cascades with a reply/share tree, a process with a power-law kernel (:func:`fit`); for
unmarked volume timelines (one time per post, no tree), a process with a background rate and an
exponential kernel (:func:`fit_unmarked`).

With a tree, the source post triggers posts at rate ``kappa0 * phi(age)`` and every later post at rate
``kappa * phi(age)``, with ``phi(a) = theta * c**theta / (a + c)**(1 + theta)`` (a density: it
integrates to 1). So ``kappa0`` is the expected number of direct responses to the source (it
stands for the source's audience, as follower counts do in SEISMIC, Zhao et al. 2015, KDD) and
``kappa`` the branching ratio of everything after. Fitted by maximum likelihood on an observation
window with scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy import optimize


@dataclass(frozen=True)
class HawkesFit:
    """Fitted process: responses to the source ``kappa0``, branching ratio ``kappa``, kernel time
    scale ``c`` (minutes) and tail ``theta``."""

    kappa0: float
    kappa: float
    c: float
    theta: float
    loglik: float
    observed_until: float
    n_events: int

    def kernel_cdf(self, age: np.ndarray) -> np.ndarray:
        """Share of a post's responses that come within ``age`` minutes."""
        return 1.0 - (self.c / (np.asarray(age, float) + self.c)) ** self.theta

    def expected_counts(self, times: np.ndarray, until: np.ndarray, step: float = 1.0) -> np.ndarray:
        """Expected number of posts (observed ones included) by each time in ``until``.

        Uses the observed posts ``times`` (up to ``observed_until``) and integrates the expected
        rate of future posts, which trigger posts in turn, on a grid of ``step`` minutes.
        """
        until = np.asarray(until, float)
        t0 = self.observed_until
        end = max(float(until.max()), t0)
        grid = np.arange(t0, end + step, step)
        # direct responses to observed posts expected in each grid cell
        cdf = self.kernel_cdf(np.subtract.outer(grid, times).clip(0))
        weight = np.where(np.arange(len(times)) == 0, self.kappa0, self.kappa)  # times[0] is the source
        expected = cdf @ weight
        direct = np.diff(expected, prepend=expected[0])
        # each expected post in a cell triggers kappa * (kernel mass of later cells)
        mass = np.diff(self.kernel_cdf(np.arange(len(grid) + 1) * step))
        rate = np.zeros(len(grid))
        for k in range(1, len(grid)):
            rate[k] = min(
                direct[k] + self.kappa * np.dot(rate[:k][::-1], mass[:k]), 1e12
            )  # a supercritical fit explodes
        cum = len(times) + np.cumsum(rate)
        return np.interp(until, grid, cum, left=float(np.sum(times <= until.min())))

    def final_size(self, times: np.ndarray, horizon: float | None = None) -> float:
        """Expected number of posts by ``horizon`` minutes; None: over an infinite horizon, which
        is infinite when ``kappa >= 1``."""
        if horizon is not None:
            grid_step = max(1.0, (horizon - self.observed_until) / 2000)
            return float(self.expected_counts(times, np.array([horizon]), step=grid_step)[0])
        if self.kappa >= 1.0:
            return float("inf")
        left = 1.0 - self.kernel_cdf(self.observed_until - np.asarray(times, float))
        remaining = self.kappa0 * left[0] + self.kappa * np.sum(left[1:])
        return float(len(times) + remaining / (1.0 - self.kappa))


def fit(times: np.ndarray, parents: np.ndarray, observed_until: float) -> HawkesFit:
    """Maximum-likelihood fit on posts at ``times`` (minutes; row 0 the source at 0) whose
    ``parents`` (row of the post each responds to, -1 for the source) are known, up to
    ``observed_until``.

    With the tree known, each post's log-likelihood is that of its own parent's kernel, and the
    branching ratios have closed forms given the kernel; the kernel's ``c`` and ``theta`` are
    found numerically.
    """
    times = np.asarray(times, float)
    parents = np.asarray(parents, np.int64)
    keep = times <= observed_until
    if keep.sum() < 3:
        raise ValueError(f"need at least 3 posts in the first {observed_until:g} minutes to fit a Hawkes process")
    t, par = times[keep], parents[keep]
    child = np.flatnonzero(par >= 0)
    age = np.maximum(t[child] - t[par[child]], 1e-6)
    from_source = par[child] == 0
    n0, n1 = int(from_source.sum()), int((~from_source).sum())
    left_window = observed_until - t

    def profile(x: np.ndarray) -> tuple[float, float, float]:
        c, theta = np.exp(x)
        cdf = 1.0 - (c / (left_window + c)) ** theta
        kappa0 = n0 / max(cdf[0], 1e-12)
        kappa = n1 / max(np.sum(cdf[1:]), 1e-12) if n1 else 0.0
        log_phi = np.log(theta) + theta * np.log(c) - (1 + theta) * np.log(age + c)
        ll = (
            n0 * np.log(max(kappa0, 1e-300))
            + (n1 * np.log(kappa) if n1 else 0.0)
            + log_phi.sum()
            - kappa0 * cdf[0]
            - kappa * np.sum(cdf[1:])
        )
        return -float(ll), kappa0, kappa

    best = None
    bounds = [(np.log(0.01), np.log(1e4)), (np.log(0.01), np.log(20))]
    for c0 in (1.0, 10.0, 100.0):  # a few starts: the likelihood is not convex in c
        res = optimize.minimize(lambda x: profile(x)[0], np.log([c0, 0.5]), method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    _, kappa0, kappa = profile(best.x)
    c, theta = np.exp(best.x)
    return HawkesFit(
        float(kappa0), float(kappa), float(c), float(theta), -float(best.fun), float(observed_until), len(t)
    )


def simulate(
    kappa0: float, kappa: float, c: float, theta: float, until: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One cascade up to ``until``, generation by generation: post times (the source at 0, sorted)
    and each post's parent row."""
    times = [0.0]
    parents = [-1]
    generation = np.zeros(1, np.int64)  # rows of the latest generation
    while len(generation):
        k = rng.poisson(kappa0 if generation[0] == 0 and len(times) == 1 else kappa, len(generation))
        u = rng.random(int(k.sum()))
        src = np.repeat(generation, k)
        born = np.asarray(times)[src] + c * ((1.0 - u) ** (-1.0 / theta) - 1.0)  # inverse of the kernel's CDF
        ok = born <= until
        start = len(times)
        times.extend(born[ok].tolist())
        parents.extend(src[ok].tolist())
        generation = np.arange(start, len(times))
    order = np.argsort(times, kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    par = np.asarray(parents)[order]
    return np.asarray(times)[order], np.where(par >= 0, rank[np.maximum(par, 0)], -1)


# -- unmarked times: a background rate and an exponential kernel ---------------------------------------


@dataclass(frozen=True)
class UnmarkedFit:
    """A Hawkes process on unmarked event times (no tree): intensity ``mu + sum over earlier events
    of alpha * beta * exp(-beta * age)``. ``mu`` is the background rate (events per time unit),
    ``alpha`` the branching ratio (events each event triggers, on average) and ``1 / beta`` the
    kernel's mean delay, in the times' unit."""

    mu: float
    alpha: float
    beta: float
    loglik: float
    start: float
    observed_until: float
    n_events: int

    def expected_count(self, times: np.ndarray, until: np.ndarray | float) -> np.ndarray:
        """Expected number of events from ``start`` to each time in ``until`` (at or after
        ``observed_until``): those observed, plus the integral of the expected intensity after the
        window, in closed form (with ``m`` the expected intensity, ``m' = beta * mu - beta * (1 -
        alpha) * m``). A fit with ``alpha >= 1`` grows without bound; its count is capped at 1e12."""
        times = np.asarray(times, float)
        times = times[(times >= self.start) & (times <= self.observed_until)]
        s = np.maximum(np.asarray(until, float) - self.observed_until, 0.0)
        excited = self.alpha * self.beta * np.sum(np.exp(-self.beta * (self.observed_until - times)))
        m0 = self.mu + excited
        gamma = self.beta * (1.0 - self.alpha)
        if abs(gamma) < 1e-12:
            future = m0 * s + self.beta * self.mu * s**2 / 2
        else:
            steady = self.beta * self.mu / gamma
            with np.errstate(over="ignore"):
                future = steady * s + (m0 - steady) * -np.expm1(-np.minimum(gamma * s, 700.0)) / gamma
        return np.minimum(len(times) + future, 1e12)


@numba.njit(cache=True)
def _unmarked_terms(t: np.ndarray, beta: float) -> np.ndarray:
    """``A[i] = sum over j < i of exp(-beta * (t[i] - t[j]))``, by the usual recursion."""
    a = np.zeros(len(t))
    for i in range(1, len(t)):
        a[i] = np.exp(-beta * (t[i] - t[i - 1])) * (1.0 + a[i - 1])
    return a


def fit_unmarked(times: np.ndarray, observed_until: float, start: float = 0.0) -> UnmarkedFit:
    """Maximum-likelihood fit of :class:`UnmarkedFit` to the event ``times`` in ``[start,
    observed_until]`` (events before ``start`` are ignored, as if the process began there).

    The log-likelihood ``sum(log lambda(t_i)) - mu T - alpha * sum(1 - exp(-beta (T - t_i)))``
    is maximised over log ``mu``, log ``alpha`` and log ``beta`` from a few starts (L-BFGS-B).
    """
    t = np.sort(np.asarray(times, float))
    t = t[(t >= start) & (t <= observed_until)] - start
    span = observed_until - start
    if len(t) < 3 or span <= 0:
        raise ValueError(f"need at least 3 events in [{start:g}, {observed_until:g}] to fit a Hawkes process")
    left = span - t

    def nll(x: np.ndarray) -> float:
        mu, alpha, beta = np.exp(x)
        rate = mu + alpha * beta * _unmarked_terms(t, beta)
        return -float(np.sum(np.log(rate)) - mu * span - alpha * np.sum(-np.expm1(-beta * left)))

    n = len(t)
    best = None
    bounds = [
        (np.log(1e-6 * n / span), np.log(2 * n / span)),
        (np.log(1e-4), np.log(20.0)),
        (np.log(0.1 / span), np.log(1e4 * n / span)),
    ]
    for alpha0, delay in ((0.5, span / 100), (0.2, span / 10), (0.8, span / 1000)):
        x0 = np.log([max(n / span * (1 - alpha0), np.exp(bounds[0][0]) * 2), alpha0, 1.0 / delay])
        res = optimize.minimize(nll, x0, method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    mu, alpha, beta = np.exp(best.x)
    return UnmarkedFit(float(mu), float(alpha), float(beta), -float(best.fun), float(start), float(observed_until), n)


def simulate_unmarked(mu: float, alpha: float, beta: float, until: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted event times in ``[0, until]`` of :class:`UnmarkedFit`'s process, generation by
    generation: background events, then the events each triggers (``alpha`` on average, at
    exponential delays of mean ``1 / beta``)."""
    generation = np.sort(rng.uniform(0.0, until, rng.poisson(mu * until)))
    out = [generation]
    while len(generation):
        k = rng.poisson(alpha, len(generation))
        born = np.repeat(generation, k) + rng.exponential(1.0 / beta, int(k.sum()))
        generation = born[born <= until]
        out.append(generation)
    return np.sort(np.concatenate(out))
