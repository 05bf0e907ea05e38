"""Figures of the #Buffy calibration: the ABC posterior against its priors."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .calibrate import Posterior


def posterior_figure(post: Posterior, title: str | None = None) -> plt.Figure:
    """Pairs plot: each parameter's accepted values (weighted) against all runs (diagonal, with the
    weighted median and 90% interval) and the accepted points of each pair (below), on the priors'
    scales."""
    priors = post.priors
    k = len(priors)
    acc, every = post.accepted, post.evaluations
    fig, axes = plt.subplots(k, k, figsize=(2.1 * k, 2.1 * k), layout="constrained", squeeze=False)
    for i, pi in enumerate(priors):
        for j, pj in enumerate(priors):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                bins = np.linspace(0, 1, 16)
                ax.hist(pi.to_unit(every[pi.name]), bins=bins, density=True, color="#BBBBBB", label="all runs")
                if len(acc):
                    u = pi.to_unit(acc[pi.name])
                    ax.hist(
                        u,
                        bins=bins,
                        weights=acc["weight"],
                        density=True,
                        color="#4C72B0",
                        alpha=0.7,
                        label="accepted (weighted)",
                    )
                    for q, style in ((0.5, "-"), (0.05, ":"), (0.95, ":")):
                        x = post.quantiles(pi.name, [q])[0]
                        ax.axvline(pi.to_unit(x), color="#C44E52", linestyle=style, linewidth=1.2)
                ax.set_yticks([])
            else:
                ax.scatter(pj.to_unit(acc[pj.name]), pi.to_unit(acc[pi.name]), s=6, color="#4C72B0", alpha=0.6)
                ax.set_ylim(0, 1)
            ax.set_xlim(0, 1)
            _ticks(ax.xaxis, pj)
            if j == 0 and i > 0:
                _ticks(ax.yaxis, pi)
                ax.set_ylabel(pi.name, fontsize=8)
            elif i != j:
                ax.set_yticklabels([])
            if i == k - 1:
                ax.set_xlabel(pj.name, fontsize=8)
            ax.tick_params(labelsize=6)
    axes[0, 0].legend(fontsize=6, loc="upper right")
    fig.suptitle(
        title
        or f"ABC posterior: {len(acc)} of {len(every)} runs accepted "
        f"({post.acceptance_rate:.1%}); red: median and 90% interval",
        fontsize=10,
    )
    return fig


def _ticks(axis, prior) -> None:
    u = np.linspace(0, 1, 3)
    axis.set_ticks(u)
    axis.set_ticklabels([f"{v:.3g}" for v in prior.from_unit(u)])
