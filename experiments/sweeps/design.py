"""Experiment files: a TOML description of a sweep, checked and expanded into one spec per run.

An experiment names a scenario, fixes some parameters, varies others (a grid, random or
Latin-hypercube samples, or a Saltelli design for Sobol indices), compares sets of interventions
("arms"), and repeats every combination over seeded replicates. The layout (every key is
checked; an unknown one is an error naming it)::

    [experiment]
    name = "removal-delay"
    scenario = "buffy"        # a preset of model/scenarios.py
    replicates = 20           # runs per point and arm (a pilot, if precision is given)
    seed = 1                  # base seed; run seeds derive from (seed, point, replicate)
    timeline_minutes = 10     # bin width of the stored per-run timelines
    precision = 0.05          # optional: add replicates until each arm's effect at a point is
    max_replicates = 400      # known to +-5 percentage points (95%), at most this many;
    metric = "engagement"     # the effect on this metric (default: attacks_received)

    [params]                  # fixed model parameters (flat names, as in `pileon params`, or in
    n_users = 10000           # tables named after their concern: [params.decisions] fatigue = 0.3)

    [vary]                    # optional: model parameters to sweep
    method = "grid"           # grid | random | lhs | sobol
    samples = 16              # random, lhs: points; sobol: base sample size N
    hostile_fraction = [0.2, 0.3, 0.4]   # grid: the values; otherwise [low, high]

    [arms]                    # intervention sets; "baseline" (none) is always added
    friction = [{kind = "friction"}]
    removal = [{kind = "removal", delay = [30, 60, 120]}]   # a list expands to one arm per value
    both = [{kind = "friction", cancel = 0.2}, {kind = "removal", delay = 120}]

Every arm of a point and replicate gets the same seed (common random numbers), so that arms are
compared on the same network and population draws: effects are paired differences. Runs are
numbered replicate by replicate (all points and arms of replicate 0, then of replicate 1, ...), so
that more replicates extend a store without renumbering what it holds: the number of replicates
is not part of an experiment's identity (its fingerprint).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pileon.model import Params
from pileon.model.files import read_text
from pileon.model.interventions import make as make_intervention
from pileon.model.params import flatten, unknown_name_message
from pileon.model.scenarios import SCENARIOS
from pileon.model.scenarios import get as get_scenario

from ..output import safe_name
from ..resources import TooLargeError, check_fits

BASELINE = "baseline"
METHODS = ("grid", "random", "lhs", "sobol")
_SECTIONS = {
    "experiment": {
        "name",
        "scenario",
        "replicates",
        "seed",
        "timeline_minutes",
        "precision",
        "max_replicates",
        "metric",
    },
    "params": None,  # model parameter names
    "vary": None,  # method, samples and model parameter names
    "arms": None,  # any arm name
}


class ExperimentError(ValueError):
    """A mistake in an experiment file; the message names the file and the key."""


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs; picklable, so it travels to worker processes and Dask workers."""

    run_id: int
    point: int
    replicate: int
    arm: str
    family: str  # the [arms] key the arm came from
    scenario: str
    params: dict[str, Any]  # flat overrides of the scenario (fixed and varied)
    interventions: tuple[dict[str, Any], ...]  # settings of each intervention
    seed: int
    timeline_minutes: float
    networks: str | None = None  # folder of saved networks shared with other runs (None: build its own)


@dataclass
class Experiment:
    """A checked experiment file."""

    name: str
    scenario: str
    replicates: int
    seed: int
    timeline_minutes: float
    fixed: dict[str, Any]
    method: str | None
    samples: int | None
    vary: dict[str, list[Any]]
    arms: dict[str, list[tuple[str, tuple[dict[str, Any], ...]]]]  # family -> [(arm name, settings)]
    precision: float | None = None  # target half-width of each arm's relative effect at a point
    max_replicates: int = 400  # most replicates the precision target may ask for
    metric: str = "attacks_received"  # the metric the precision target is about
    source: str = ""  # the file's text, kept with the results
    points: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """A hash of what determines the runs: resuming into a store needs the same one. The
        number of replicates is left out: more replicates extend a store (runs are numbered
        replicate by replicate)."""
        doc = {
            "run_order": "replicate, point, arm",  # stores numbered otherwise are another layout
            "scenario": self.scenario,
            "scenario_values": get_scenario(self.scenario).to_flat(),  # a changed preset is another experiment
            "seed": self.seed,
            "timeline_minutes": self.timeline_minutes,
            "fixed": self.fixed,
            "points": self.points,
            "arms": self.arms,
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]

    @property
    def n_runs(self) -> int:
        """Runs in the design: points x replicates x arms (counted, not expanded)."""
        return self.count_runs(self.replicates)

    def count_runs(self, replicates: int) -> int:
        """Runs in the design with ``replicates`` per point and arm (counted, not expanded)."""
        return len(self.points) * replicates * sum(len(group) for group in self.arms.values())

    def largest_network(self) -> tuple[int, float]:
        """``(n_users, mean_followers)`` of the design's point whose generated graph is the largest."""
        base = get_scenario(self.scenario).replace(**self.fixed)
        sizes = {(p.get("n_users", base.n_users), p.get("mean_followers", base.mean_followers)) for p in self.points}
        return max(sizes, key=lambda s: s[0] * (1 + s[1]))

    def problem(self) -> dict[str, Any]:
        """The SALib problem of a Sobol design (names and bounds of the varied parameters)."""
        return {"num_vars": len(self.vary), "names": list(self.vary), "bounds": [list(v) for v in self.vary.values()]}

    def specs(self, replicates: int | None = None) -> list[RunSpec]:
        """One spec per run: replicates x points x arms, in a fixed order (``run_id``); the first
        runs of ``replicates`` = n + k are those of n.

        Args:
            replicates: runs per point and arm (default: the experiment's).
        """
        out = []
        arms = [(family, name, settings) for family, group in self.arms.items() for name, settings in group]
        # A Sobol design's points come in blocks of D + 2 (SALib's A, B and the D mixes of one base
        # sample); they share seeds, so that the estimator's differences are not swamped by noise.
        block = len(self.vary) + 2 if self.method == "sobol" else 1
        for rep in range(self.replicates if replicates is None else replicates):
            for point, values in enumerate(self.points):
                params = self.fixed | values  # one dict per point, shared by its runs (read only)
                key = [self.seed, point // block, rep]
                seed = int(np.random.SeedSequence(key).generate_state(1, np.uint64)[0] >> 1)
                for family, name, settings in arms:
                    out.append(
                        RunSpec(
                            run_id=len(out),
                            point=point,
                            replicate=rep,
                            arm=name,
                            family=family,
                            scenario=self.scenario,
                            params=params,
                            interventions=settings,
                            seed=seed,
                            timeline_minutes=self.timeline_minutes,
                        )
                    )
        return out


def load(path: str | Path) -> Experiment:
    """Read and check an experiment file.

    Raises:
        FileNotFoundError: no such file.
        ExperimentError: invalid TOML, an unknown section or key, or a bad value.
    """
    path = Path(path)
    try:
        text = read_text(path, "experiment file")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ExperimentError(f"{path}: not valid TOML: {e}") from None
    except ValueError as e:  # not UTF-8 text (named by read_text), or an integer of more digits than Python reads
        raise ExperimentError(str(e) if str(path) in str(e) else f"{path}: not valid TOML: {e}") from None
    except RecursionError:
        raise ExperimentError(f"{path}: not valid TOML: nested too deeply") from None
    return parse(data, where=str(path), source=text)


def parse(data: dict[str, Any], where: str = "experiment", source: str = "") -> Experiment:
    """Check an experiment given as a dict (the parsed TOML); see the module docstring."""

    def fail(msg: str) -> ExperimentError:
        return ExperimentError(f"{where}: {msg}")

    for key in data:
        if key not in _SECTIONS:
            raise fail(unknown_name_message(key, _SECTIONS, "section") + f"; known: {', '.join(_SECTIONS)}")
        if not isinstance(data[key], dict):
            raise fail(f"[{key}] must be a table")
    head = data.get("experiment", {})
    for key in head:
        if key not in _SECTIONS["experiment"]:
            raise fail(f"[experiment] {unknown_name_message(key, _SECTIONS['experiment'], 'key')}")
    scenario = head.get("scenario", "buffy")
    if not isinstance(scenario, str):
        raise fail(f"[experiment] scenario={scenario!r}: expected the name of a scenario ({', '.join(SCENARIOS)})")
    if scenario not in SCENARIOS:
        raise fail(f"[experiment] scenario: {unknown_name_message(scenario, SCENARIOS, 'scenario')}")
    name = _name(head.get("name"), where, fail)
    replicates = _whole(head.get("replicates", 10), "[experiment] replicates", 1, fail)
    seed = _whole(head.get("seed", 0), "[experiment] seed", 0, fail)
    precision = head.get("precision")
    if precision is not None and (not _is_number(precision) or not 0 < precision < 10):
        raise fail(f"[experiment] precision={precision!r}: expected a half-width of relative change, e.g. 0.05")
    # the cap of a precision target: 400 by default, never below the pilot's replicates
    max_replicates = _whole(
        head.get("max_replicates", max(400, replicates)), "[experiment] max_replicates", replicates, fail
    )
    metric = head.get("metric", "attacks_received")
    if not isinstance(metric, str) or not metric:
        raise fail(f"[experiment] metric={metric!r}: expected the name of a summary metric, e.g. engagement")

    base = get_scenario(scenario)
    fixed = _flatten(data.get("params", {}), "[params]", fail)
    _check_params(base, fixed, "[params]", fail)
    bin_minutes = _bin_minutes(head.get("timeline_minutes", 10), base.replace(**fixed), fail)

    vary_table = dict(data.get("vary", {}))
    method = vary_table.pop("method", "grid" if vary_table else None)
    samples = vary_table.pop("samples", None)
    if method is not None and method not in METHODS:
        raise fail(f"[vary] method={method!r}: expected one of {', '.join(METHODS)}")
    vary_table = _flatten(vary_table, "[vary]", fail)
    for key, values in vary_table.items():
        if key in fixed:
            raise fail(f"[vary] {key}: also fixed in [params]; give it in one place")
        if not isinstance(values, list) or not values:
            raise fail(f"[vary] {key}={values!r}: expected a list of values")
        if method != "grid" and (len(values) != 2 or not all(_is_number(v) for v in values) or values[0] >= values[1]):
            raise fail(f"[vary] {key}={values!r}: expected [low, high] with low < high for method {method!r}")
    if method in ("random", "lhs", "sobol"):
        samples = _whole(samples, "[vary] samples", 1, fail) if samples is not None else None
        if samples is None:
            raise fail(f"[vary] samples: required for method {method!r}")
        if not vary_table:
            raise fail(f"[vary] method {method!r} needs at least one parameter to vary")
    elif samples is not None:
        raise fail("[vary] samples: only used by the random, lhs and sobol methods")
    arm_table = data.get("arms", {})
    _check_size(_count_points(method, samples, vary_table), len(vary_table), replicates, _count_arms(arm_table), fail)

    exp = Experiment(
        name=name,
        scenario=scenario,
        replicates=replicates,
        seed=seed,
        timeline_minutes=float(bin_minutes),
        fixed=fixed,
        method=method,
        samples=samples,
        vary=vary_table,
        arms=_arms(arm_table, fail),
        precision=None if precision is None else float(precision),
        max_replicates=max_replicates,
        metric=metric,
        source=source,
    )
    exp.points = _points(exp)
    _check_points(exp, base.replace(**fixed), fail)
    return exp


def _check_points(exp: Experiment, base: Params, fail: Any) -> None:
    """Every point's values, as the model checks them. A value's range and a rule between the
    parameters of one concern (hostile + supportive fractions) depend only on the values of that
    concern, so each distinct combination of them is checked once: for a grid, the product of its
    own lists (a 10^6-point grid of six parameters over two concerns is 2 x 1,000 checks)."""
    by_concern: dict[str, list[str]] = {}
    for name in exp.vary:
        by_concern.setdefault(Params.owner(name), []).append(name)
    for names in by_concern.values():
        if exp.method == "grid":
            combos: Any = itertools.product(*[exp.vary[n] for n in names])
        else:
            combos = dict.fromkeys(tuple(point[n] for n in names) for point in exp.points)
        for combo in combos:
            values = dict(zip(names, combo, strict=True))
            _check_params(base, values, f"[vary] (a point with {values})", fail)


def _arms(table: dict[str, Any], fail: Any) -> dict[str, list[tuple[str, tuple[dict[str, Any], ...]]]]:
    """Expand each arm: list-valued intervention settings give one arm per combination."""
    out: dict[str, list[tuple[str, tuple[dict[str, Any], ...]]]] = {BASELINE: [(BASELINE, ())]}
    for family, specs in table.items():
        if family == BASELINE:
            if specs != []:
                raise fail(f"[arms] {BASELINE}: reserved for the no-intervention arm (leave it out or empty)")
            continue
        if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
            raise fail(f'[arms] {family}: expected a list of tables such as [{{kind = "friction"}}]')
        if not specs:
            raise fail(f"[arms] {family}: an empty list is the baseline, which is always included; give interventions")
        kinds = [s.get("kind") for s in specs]
        if len(set(map(str, kinds))) < len(kinds):
            raise fail(
                f"[arms] {family}: two interventions of one kind ({', '.join(map(str, kinds))}); give one of each"
            )
        swept = [(i, k, v) for i, s in enumerate(specs) for k, v in s.items() if isinstance(v, list)]
        for i, k, v in swept:
            if not v:
                raise fail(f"[arms] {family}[{i}] {k}=[]: expected at least one value")
            twice = [x for j, x in enumerate(v) if any(_same(x, y) for y in v[:j])]
            if twice:  # the two arms would be one, with twice the runs
                raise fail(f"[arms] {family}[{i}] {k}={v!r}: {twice[0]!r} is given twice; give each value once")
        combos = itertools.product(*[v for _, _, v in swept]) if swept else [()]
        group = []
        for combo in combos:
            settings = [dict(s) for s in specs]
            for (i, k, _), value in zip(swept, combo, strict=True):
                settings[i][k] = value
            try:
                built = [make_intervention(s, where=f"[arms] {family}[{i}]") for i, s in enumerate(settings)]
            except ValueError as e:
                raise fail(str(e)) from None
            label = ", ".join(
                f"{specs[i]['kind']}.{k}={v:g}" if _is_number(v) else f"{k}={v}"
                for (i, k, _), v in zip(swept, combo, strict=True)
            )
            name = f"{family}({label})" if swept else family
            group.append((name, tuple(iv.settings() for iv in built)))
        out[family] = group
    seen: dict[str, str] = {}
    for family, group in out.items():
        for name, _ in group:
            if name in seen:
                raise fail(f"[arms] {family}: the arm {name!r} is also made by [arms] {seen[name]}; name arms apart")
            seen[name] = family
    return out


def _points(exp: Experiment) -> list[dict[str, Any]]:
    """The values of the varied parameters at each point of the design ([{}] when none vary)."""
    if not exp.vary:
        return [{}]
    names = list(exp.vary)
    spec = Params.specs()
    if exp.method == "grid":
        rows = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*exp.vary.values())]
    else:
        lo = np.array([v[0] for v in exp.vary.values()], float)
        hi = np.array([v[1] for v in exp.vary.values()], float)
        if exp.method == "random":
            unit = np.random.default_rng(exp.seed).random((exp.samples, len(names)))
        elif exp.method == "lhs":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=len(names), seed=exp.seed).random(exp.samples)
        else:  # sobol: Saltelli's scheme as SALib samples it (the rows SALib's analysis expects)
            from SALib.sample import sobol

            x = sobol.sample(exp.problem(), exp.samples, calc_second_order=False, seed=exp.seed)
            unit = (x - lo) / (hi - lo)
        values = lo + unit * (hi - lo)
        rows = [dict(zip(names, map(float, row), strict=True)) for row in values]
    if exp.method != "grid":  # sampled values of whole-number parameters (a grid's are checked as given)
        for row in rows:
            for name in names:
                if spec[name].kind is int:
                    row[name] = round(row[name])
    return rows


def _flatten(table: dict[str, Any], where: str, fail: Any) -> dict[str, Any]:
    """A table of model parameters, flat or by concern, as every parameter table is read
    (:func:`pileon.model.params.flatten`)."""
    try:
        return flatten(table, where)
    except ValueError as e:
        raise fail(str(e)) from None


def _check_params(base: Params, values: dict[str, Any], where: str, fail: Any) -> None:
    try:
        base.replace(**values)
    except ValueError as e:
        raise fail(f"{where} {e}") from None


# What holding a design costs the main process of a sweep (measured with tracemalloc: a RunSpec in
# the design's list, its entry in the list of runs to do and in the set of runs done; a point's
# values): a design that cannot fit is refused before it is expanded.
BYTES_PER_RUN = 500
BYTES_PER_POINT = 300
BYTES_PER_VALUE = 150
_NAME = re.compile(r"^\w[\w.\- ]{0,99}$")


def _name(value: Any, where: str, fail: Any) -> str:
    """The experiment's name: it names the store, ``runs/NAME.sqlite``, so it is a plain file name
    (no folder, no ``..``); by default the file's name, made safe."""
    if value is None:
        return safe_name(Path(where).stem)
    if not isinstance(value, str) or not _NAME.match(value) or value != value.strip():
        raise fail(
            f"[experiment] name={value!r}: expected a plain name (letters, digits, '.', '-', '_' and spaces, "
            "starting with a letter or digit, at most 100 characters): it names the store runs/NAME.sqlite"
        )
    return value


def _bin_minutes(value: Any, params: Params, fail: Any) -> float:
    """The width of the stored timelines' bins: at least one step, at most the horizon."""
    step, horizon = params.step_minutes, params.horizon_hours * 60.0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not step <= value <= horizon
    ):
        raise fail(
            f"[experiment] timeline_minutes={value!r}: expected minutes from one step ({step:g}) to the "
            f"horizon ({horizon:g})"
        )
    return float(value)


def _count_points(method: str | None, samples: int | None, vary: dict[str, list[Any]]) -> int:
    """Points of the design, counted without expanding it."""
    if not vary:
        return 1
    if method == "grid":
        return math.prod(len(v) for v in vary.values())
    return samples * (len(vary) + 2) if method == "sobol" else samples  # type: ignore[operator]


def _count_arms(table: dict[str, Any]) -> int:
    """Arms of the design (the baseline included), counted without expanding them."""
    n = 1
    for family, specs in table.items():
        if family != BASELINE and isinstance(specs, list):
            n += math.prod(len(v) for s in specs if isinstance(s, dict) for v in s.values() if isinstance(v, list))
    return n


def _check_size(points: int, varied: int, replicates: int, arms: int, fail: Any) -> None:
    """Refuse, with the estimate, a design whose list of runs cannot fit in this machine's memory."""
    runs = points * replicates * arms
    need = runs * BYTES_PER_RUN + points * (BYTES_PER_POINT + BYTES_PER_VALUE * varied)
    try:
        check_fits(
            need,
            f"the design ({points:,} points x {replicates:,} replicates x {arms:,} arms = {runs:,} runs)",
            "give fewer replicates, samples, values or arms",
        )
    except TooLargeError as e:
        raise fail(str(e)) from None


def _same(a: Any, b: Any) -> bool:
    """Two values of a setting are the same (``30`` and ``30.0`` are)."""
    return (type(a) is type(b) and a == b) or (_is_number(a) and _is_number(b) and a == b)


def _whole(value: Any, name: str, lo: int, fail: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise fail(f"{name}={value!r}: expected a whole number >= {lo}")
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
