"""The interactive view: a pile-on growing on a drawn sample of the network (Mesa's SolaraViz).

``pileon app`` serves this page on localhost. The sidebar has Mesa's controls (reset, play/pause,
step, play and render intervals), the scenario, sliders for the main model parameters (named as
in the model; they override the scenario's values) and a switch with its main setting for each
intervention. The main panel draws up to ``draw_users`` users of a larger run (the target, the
users around the target in the follower graph, and users drawn by activity, as the trending
channel reaches them) coloured by what they did, and a live timeline by action against the clock.

The page reads the model's results (event log, counts), never its internals; one model step is
one minute, and each frame advances ``render_interval`` steps (15 by default).
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import solara
from matplotlib.collections import LineCollection
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from pileon.model import OutrageModel, Params
from pileon.model.decisions import AMPLIFY, ATTACK, DEFEND
from pileon.model.interventions import (
    KINDS,
    CircuitBreaker,
    CounterSpeech,
    DownRank,
    Friction,
    Removal,
    Suspension,
    VictimProtection,
)
from pileon.model.params import Spec, specs
from pileon.model.scenarios import get as get_scenario
from pileon.model.scenarios import size_note

COLORS = {
    "not reached": "#E4E4E4",
    "saw it": "#A8A8A8",
    "amplified": "#4C72B0",
    "attacked": "#C44E52",
    "defended": "#55A868",
}
SCENARIOS = ["buffy", "default", "rumour"]
_BUFFY = get_scenario("buffy")  # the defaults of the sliders, as in the scenario and the interventions


class AppModel(OutrageModel):
    """``OutrageModel`` with the page's controls as keyword arguments (what SolaraViz passes on reset).

    Model parameters keep their names; each intervention has a switch (``friction=True``) and its
    main setting (``friction_cancel``). ``draw_users`` users are chosen for drawing, and laid out,
    when the model is built.
    """

    def __init__(
        self,
        scenario_name: str = "buffy",
        seed: int = 6,  # a seed whose pile-on is under way within two hours at the default size
        n_users: int = 20_000,
        hostile_fraction: float = _BUFFY.hostile_fraction,
        supportive_fraction: float = _BUFFY.supportive_fraction,
        amplify_prob: float = _BUFFY.amplify_prob,
        reply_prob: float = _BUFFY.reply_prob,
        trend_threshold: float = _BUFFY.trend_threshold,
        norm_learning: float = _BUFFY.norm_learning,
        outrage_effect: float = _BUFFY.outrage_effect,
        friction: bool = False,
        friction_cancel: float = Friction.cancel,
        circuit_breaker: bool = False,
        circuit_breaker_reach_factor: float = CircuitBreaker.reach_factor,
        downrank: bool = False,
        downrank_visibility: float = DownRank.visibility,
        protect: bool = False,
        protect_start: float = VictimProtection.start,
        suspend: bool = False,
        suspend_delay: float = Suspension.delay,
        counter_speech: bool = False,
        counter_speech_start: float = CounterSpeech.start,
        removal: bool = False,
        removal_delay: float = Removal.delay,
        draw_users: int = 1500,
        scenario: object = None,  # Mesa's own scenario object, passed on reset; our seed rules
    ):
        interventions = [
            iv
            for on, iv in (
                (friction, Friction(cancel=friction_cancel)),
                (circuit_breaker, CircuitBreaker(reach_factor=circuit_breaker_reach_factor, threshold=5)),
                (downrank, DownRank(visibility=downrank_visibility)),
                (protect, VictimProtection(start=protect_start)),
                (suspend, Suspension(delay=suspend_delay)),
                (counter_speech, CounterSpeech(start=counter_speech_start)),
                (removal, Removal(delay=removal_delay, min_shares=1)),
            )
            if on
        ]
        params = get_scenario(scenario_name).replace(
            n_users=int(n_users),
            hostile_fraction=hostile_fraction,
            supportive_fraction=min(supportive_fraction, 1.0 - hostile_fraction),
            amplify_prob=amplify_prob,
            reply_prob=reply_prob,
            trend_threshold=trend_threshold,
            norm_learning=norm_learning,
            outrage_effect=outrage_effect,
        )
        super().__init__(params, seed=int(seed), interventions=interventions)
        self.scenario_name = scenario_name
        self.drawn, self.xy, self.edges = _sample_and_layout(self, int(draw_users))
        self.n_fixed = len(self.drawn)  # the neighbourhood; ring slots follow
        self.slot_of = np.full(self.network.n, -1, np.int64)
        self.slot_of[self.drawn] = np.arange(len(self.drawn))


def _sample_and_layout(model: OutrageModel, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The users around the target to draw (the target first), their positions, and the follower
    edges among them.

    Half of the ``k`` users are the nearest to the target in the follower graph (breadth-first
    over followers), laid out by networkx's spring layout; the other half are slots on an outer
    ring, given to users from elsewhere (reached through the trending channel) as they first act
    (:func:`status`).
    """
    net = model.network
    k = min(k, net.n)
    chosen = [model.target]
    seen = {model.target}
    frontier = [model.target]
    while frontier and len(chosen) < k // 2:
        nxt = []
        for u in frontier:
            for v in net.indices[net.indptr[u] : net.indptr[u + 1]].tolist():
                if v not in seen:
                    seen.add(v)
                    chosen.append(v)
                    nxt.append(v)
                    if len(chosen) >= k // 2:
                        break
            if len(chosen) >= k // 2:
                break
        frontier = nxt
    drawn = np.array(chosen, np.int64)
    index = np.full(net.n, -1, np.int64)
    index[drawn] = np.arange(len(drawn))
    followee = np.repeat(np.arange(net.n), np.diff(net.indptr))
    both = (index[followee] >= 0) & (index[net.indices] >= 0)
    edges = np.column_stack((index[net.indices[both]], index[followee[both]]))
    g = nx.Graph()
    g.add_nodes_from(range(len(drawn)))
    g.add_edges_from(map(tuple, edges.tolist()))
    pos = nx.spring_layout(g, seed=1, iterations=30)
    xy = np.array([pos[n] for n in range(len(drawn))])
    xy /= max(np.abs(xy).max(), 1e-9)
    # ring slots for the users from elsewhere: a golden-angle spiral over an annulus
    slots = np.arange(k - len(drawn))
    angle = slots * np.pi * (3.0 - np.sqrt(5.0))
    radius = 1.2 + 0.3 * (slots + 0.5) / max(len(slots), 1)
    ring = np.column_stack((radius * np.cos(angle), radius * np.sin(angle)))
    return drawn, np.vstack((xy, ring)), edges


def status(model: AppModel) -> np.ndarray:
    """What each drawn user has done so far: an index into ``COLORS`` (ring slots not yet given
    to a user are -1). Users from outside the drawn neighbourhood get the next free ring slot
    when they first act."""
    index = model.slot_of
    who = index[model.log.user]
    newcomers = np.unique(model.log.user[(who < 0)])
    free = len(model.xy) - len(model.drawn)
    if len(newcomers) and free > 0:
        users, first = np.unique(model.log.user, return_index=True)  # each user's first post
        first_of = dict(zip(users.tolist(), first.tolist(), strict=True))
        order = sorted(newcomers.tolist(), key=first_of.__getitem__)[:free]
        index[order] = len(model.drawn) + np.arange(len(order))
        model.drawn = np.concatenate((model.drawn, np.array(order, np.int64)))
        who = index[model.log.user]
    out = np.full(len(model.xy), -1)
    out[: len(model.drawn)] = np.where(model.population.seen[model.drawn] > 0, 1, 0)
    code = np.zeros(int(max(AMPLIFY, ATTACK, DEFEND)) + 1, np.int64)
    code[[AMPLIFY, ATTACK, DEFEND]] = (2, 3, 4)
    acts = np.flatnonzero((who >= 0) & (code[model.log.action] > 0))
    last = np.full(len(model.xy), -1)
    np.maximum.at(last, who[acts], acts)  # each drawn user's last post: the last thing they did
    done = last >= 0
    out[done] = code[model.log.action[last[done]]]
    return out


def clock_text(model: AppModel) -> str:
    """The clock time and totals so far, one line."""
    done = min(model.steps, model.n_steps)  # steps simulated so far
    posts = len(model.log)
    trend = f", trending since {model.clock.time(model.trend_step):%H:%M}" if model.trend_step is not None else ""
    return (
        f"{model.clock.time(done):%a %d %b %H:%M} · {posts:,} posts · "
        f"{model.attacks_received:,} attacks received by the target{trend}"
    )


SHOWN = (
    "n_users",
    "hostile_fraction",
    "supportive_fraction",
    "amplify_prob",
    "reply_prob",
    "trend_threshold",
    "norm_learning",
    "outrage_effect",
)


def settings_text(model: AppModel) -> str:
    """The run's settings in one line (Mesa's sliders do not show their values)."""
    p = model.params
    values = " · ".join(
        f"{k} {getattr(p, k):,}" if isinstance(getattr(p, k), int) else f"{k} {getattr(p, k):g}" for k in SHOWN
    )
    ivs = ", ".join(
        f"{iv.kind} ({', '.join(f'{k} {v:g}' for k, v in iv.settings().items() if k != 'kind' and isinstance(v, int | float))})"
        for iv in model.interventions
    )
    text = f"{model.scenario_name} scenario, seed {model.seed} · {values} · interventions: {ivs or 'none'}"
    note = size_note(model.scenario_name, p.n_users)
    return f"{text} · note: {note}" if note else text


def NetworkView(model: AppModel):  # noqa: N802  (Solara components are named like classes)
    """The drawn users coloured by what they did, the target as a black star."""
    update_counter.get()
    state = status(model)
    fig, ax = plt.subplots(figsize=(7.2, 6.4), layout="constrained")
    if len(model.edges):
        segs = model.xy[model.edges]
        ax.add_collection(LineCollection(segs, colors="#D0D0D0", linewidths=0.3, zorder=0))
    names = list(COLORS)
    free = model.xy[state < 0]
    ax.scatter(free[:, 0], free[:, 1], s=4, color="#F2F2F2", linewidths=0, zorder=0)
    for c in range(len(names)):
        pts = model.xy[state == c]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=9 if c < 2 else 22,
            color=COLORS[names[c]],
            label=names[c],
            zorder=1 + c,
            linewidths=0,
        )
    ax.scatter(*model.xy[0], s=260, marker="*", color="black", zorder=10, label="target")
    ax.set_axis_off()
    ax.legend(loc="lower left", fontsize=8, frameon=False, ncol=3)
    ax.set_title(
        f"the {model.n_fixed:,} users nearest the target, and (outer ring) the first "
        f"{len(model.drawn) - model.n_fixed:,} from elsewhere to act; {model.network.n:,} users in all",
        fontsize=9,
    )
    solara.FigureMatplotlib(fig, format="png", dependencies=[update_counter.value, id(model)])
    plt.close(fig)


def TimelineView(model: AppModel):  # noqa: N802
    """Posts per 10 minutes by action up to now, against the clock."""
    update_counter.get()
    solara.Text(clock_text(model), style={"font-size": "15px"})
    solara.Text(settings_text(model), style={"font-size": "11px", "color": "#555"})
    t = max(min(model.steps, model.n_steps), 1)
    bins = np.arange(0, t + 10, 10)
    fig, ax = plt.subplots(figsize=(7.2, 3.2), layout="constrained")
    hours = model.clock.hours(bins[:-1])
    for action, name, label in (
        (AMPLIFY, "amplified", "amplify"),
        (ATTACK, "attacked", "attack"),
        (DEFEND, "defended", "defend"),
    ):
        per_bin = np.add.reduceat(model.counts[:t, action], bins[:-1][bins[:-1] < t])
        ax.plot(hours[: len(per_bin)], per_bin, color=COLORS[name], label=label, lw=1.6)
    for iv in model.interventions:
        if iv.acted_at is not None:
            ax.axvline(model.clock.hours(iv.acted_at), color="#2F4F4F", ls="-.", lw=1)
    ax.set_xlabel("clock time (hours)")
    ax.set_ylabel("posts per 10 min")
    ax.legend(fontsize=8, frameon=False)
    ax.set_xlim(model.clock.hours(0), max(model.clock.hours(t), model.clock.hours(0) + 3))
    solara.FigureMatplotlib(fig, format="png", dependencies=[update_counter.value, id(model)])
    plt.close(fig)


LIVE_USERS = (2_000, 200_000)  # the page's own limits on n_users: above 200,000 a frame takes over a second
SWITCHES = {  # intervention kind: (its setting on a slider, the switch's label)
    "friction": ("cancel", "friction prompt"),
    "circuit_breaker": ("reach_factor", "circuit breaker (trips at 5 shares an hour)"),
    "downrank": ("visibility", "down-rank attacks"),
    "protect": ("start", "target goes private"),
    "suspend": ("delay", "suspend attackers"),
    "counter_speech": ("start", "counter-speech campaign"),
    "removal": ("delay", "remove attacks once shared"),
}


def slider(spec: Spec, value: float, label: str | None = None) -> Slider:
    """A slider over a parameter's declared range, starting at ``value``.

    An open upper bound becomes ten times ``value`` (or 1 for a value of 0), and ``n_users`` stays
    within :data:`LIVE_USERS`. The step is a round tenth, hundredth, ... of about 1% of the span.
    """
    lo = 0.0 if spec.low is None else float(spec.low)
    hi = float(spec.high) if spec.high is not None else lo + 10.0 * (abs(value) or 1.0)
    if spec.name == "n_users":
        lo, hi = max(lo, LIVE_USERS[0]), min(hi, LIVE_USERS[1])
    step = 10.0 ** math.floor(math.log10((hi - lo) / 100))
    if spec.kind is int:
        return Slider(label or spec.name, int(value), int(lo), int(hi), max(1, int(step)), dtype=int)
    return Slider(label or spec.name, float(value), lo, hi, step, dtype=float)


_MODEL_SPECS = Params.specs()
MODEL_PARAMS: dict[str, Any] = {
    "scenario_name": {"type": "Select", "value": "buffy", "values": SCENARIOS, "label": "scenario"},
    "seed": {"type": "InputText", "value": "6", "label": "seed"},
    "n_users": slider(_MODEL_SPECS["n_users"], 20_000),
    **{name: slider(_MODEL_SPECS[name], getattr(_BUFFY, name)) for name in SHOWN if name != "n_users"},
}
for _kind, (_setting, _label) in SWITCHES.items():
    _spec = specs(KINDS[_kind])[_setting]
    _unit = f" ({_spec.unit})" if _spec.unit else ""
    MODEL_PARAMS[_kind] = {"type": "Checkbox", "value": False, "label": _label}
    MODEL_PARAMS[f"{_kind}_{_setting}"] = slider(_spec, _spec.default, f"{_kind}: {_setting}{_unit}")


def make_page(model: AppModel | None = None):
    """The SolaraViz page (a new model with the defaults when none is given)."""
    return SolaraViz(
        model if model is not None else AppModel(),
        components=[NetworkView, TimelineView],
        model_params=MODEL_PARAMS,
        name="pileon: a pile-on, step by step",
        play_interval=150,
        render_interval=15,  # Mesa's slider moves in steps of 2 from 1: 15 minutes a frame
    )


page = make_page()
