"""Model parameters: declared once, validated once, named the same everywhere.

Each concern (network, population, exposure, decisions, classifier, time) is a frozen dataclass whose
fields carry their unit, allowed range and help text in the field metadata. The field name is
the CLI option (``n_users`` -> ``--n-users``), the config key, the UI slider and the column in
result tables. ``Params`` groups the concerns and maps flat names to them, so that
``Params().replace(n_users=5000)`` and ``OutrageModel(n_users=5000)`` both work.

Each field's declaration is read through :func:`specs` (its kind is its annotation, its range,
unit and help the metadata of :func:`p`); :meth:`Spec.range_text` is the one way a range is
written, and :func:`read_toml`/:func:`flatten` the one way a parameter file is read.
"""

from __future__ import annotations

import dataclasses
import decimal
import difflib
import functools
import math
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import read_text


@dataclass(frozen=True)
class Source:
    """Where a parameter's default comes from, one of three kinds:

    * ``cited``: a reference (``ref``) and the figure the default takes from it (``figure``);
    * ``calibrated``: the data it was fitted to (``ref``) and its interval there (``figure``);
    * ``assumed``: our choice (``note`` may say why, or what evidence there is short of a figure).

    ``note`` says what the source measured where it differs from what the model does with it.
    """

    kind: str
    ref: str = ""
    figure: str = ""
    note: str = ""

    KINDS = ("cited", "calibrated", "assumed")

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"source kind {self.kind!r}: expected one of {', '.join(self.KINDS)}")
        if self.kind != "assumed" and not (self.ref and self.figure):
            raise ValueError(f"a {self.kind} source needs a reference and a figure (got {self.ref!r}, {self.figure!r})")

    def __str__(self) -> str:
        if self.kind == "cited":
            return f"{self.ref}: {self.figure}"
        if self.kind == "calibrated":
            return f"calibrated to {self.ref}: {self.figure}"
        return "assumed" + (f" ({self.note})" if self.note else "")


def cited(ref: str, figure: str, note: str = "") -> Source:
    """The default is a figure from a reference (``cited("Kwak et al. 2010", "2.276")``)."""
    return Source("cited", ref, figure, note)


def calibrated(data: str, interval: str, note: str = "") -> Source:
    """The default was fitted to data (``calibrated("#Buffy anchors", "90% [0.05, 0.1]")``)."""
    return Source("calibrated", data, interval, note)


def assumed(note: str = "") -> Source:
    """The default is our choice."""
    return Source("assumed", note=note)


def p(default: Any, lo: float | None, hi: float | None, unit: str, doc: str, source: Source | None = None) -> Any:
    """Declare a parameter field with its range ``[lo, hi]`` (None = unbounded), unit, help and
    the source of its default (:class:`Source`).

    Its kind (bool, int or float) is the field's annotation (:func:`specs` reads it)."""
    return field(default=default, metadata={"range": (lo, hi), "unit": unit, "help": doc, "source": source})


def choice(default: str, choices: tuple[str, ...], doc: str, source: Source | None = None) -> Any:
    """Declare a parameter field that takes one of a few named values."""
    return field(default=default, metadata={"choices": choices, "unit": "", "help": doc, "source": source})


def number_text(x: float) -> str:
    """A bound or value as a person writes it: ``0``, ``0.05``, ``50000000``, ``inf``."""
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x) if abs(x) < 10**16 else f"{decimal.Decimal(x):.3g}"  # no float: 10**400 would overflow
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else f"{x:g}"


@dataclass(frozen=True)
class Spec:
    """One declared parameter, as the checks, the command line, the app and the docs read it.

    ``kind`` is the field's annotated type (``bool``, ``int``, ``float`` or ``str`` for a choice);
    ``low``/``high`` the allowed range (None: unbounded), ``choices`` the allowed names of a choice.
    """

    name: str
    kind: type
    default: Any
    low: float | None
    high: float | None
    choices: tuple[str, ...] | None
    unit: str
    help: str
    source: Source | None = None  # where the default comes from

    def range_text(self) -> str:
        """What the parameter accepts, in one way everywhere: ``[0, 1]``, ``[3, inf]``,
        ``true or false``, ``one of 'hostile', 'seed'``."""
        if self.choices is not None:
            return "one of " + ", ".join(map(repr, self.choices))
        if self.kind is bool:
            return "true or false"
        lo = "-inf" if self.low is None else number_text(self.low)
        hi = "inf" if self.high is None else number_text(self.high)
        return f"[{lo}, {hi}]"

    def check(self, value: Any) -> Any:
        """``value`` as the parameter's kind; ``ValueError`` naming the field, the value and
        what is allowed when it does not fit."""
        if self.choices is not None:
            if value not in self.choices:
                raise ValueError(f"{self.name}={value!r}: expected {self.range_text()}")
            return value
        if self.kind is bool:
            if not isinstance(value, bool | int) or value not in (0, 1):
                raise ValueError(f"{self.name}={value!r}: expected true or false")
            return bool(value)
        whole = self.kind is int
        kind = "a whole number" if whole else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.name}={value!r}: expected {kind} in {self.range_text()}")
        if isinstance(value, float) and (math.isnan(value) or (whole and not value.is_integer())):
            # inf is not whole: n_users = 1e400 in a TOML file reads as inf
            raise ValueError(f"{self.name}={value!r}: expected {kind} in {self.range_text()}")
        # compared exactly (a huge int never passes through float, where it would overflow)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            shown = number_text(value) if isinstance(value, int) else repr(value)  # 10**400 in one short word
            raise ValueError(f"{self.name}={shown} is out of range: expected {self.range_text()}")
        if whole:
            return int(value)
        try:
            return float(value)
        except OverflowError:  # an int beyond any float, for a parameter without an upper bound
            raise ValueError(f"{self.name}={number_text(value)}: too large for a number") from None


@functools.cache
def specs(cls: type) -> dict[str, Spec]:
    """The declared parameters of a dataclass of parameters (a concern, an intervention), by name.

    Fields with ``init=False`` (an intervention's run-time state) are not parameters."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        m = f.metadata
        lo, hi = m.get("range", (None, None))
        kind = hints[f.name]
        if kind not in (bool, int, float, str):
            raise TypeError(f"{cls.__name__}.{f.name}: a parameter is a bool, int, float or str, not {kind}")
        out[f.name] = Spec(f.name, kind, f.default, lo, hi, m.get("choices"), m["unit"], m["help"], m.get("source"))
    return out


class _Checked:
    """Range checks driven by the declarations (:func:`specs`); cross-field rules go in ``_check``."""

    def __post_init__(self) -> None:
        for name, spec in specs(type(self)).items():
            object.__setattr__(self, name, spec.check(getattr(self, name)))
        self._check()

    def _check(self) -> None:
        """Cross-field rules; override where a concern has them."""


# What the sources say and how the model uses them: docs/model.md. Figures read only in a secondary
# source are marked [S] in the note. The calibrated defaults are the posterior medians of the #Buffy
# calibration (docs/model.md, "The #Buffy calibration": `pileon calibrate-buffy --runs 1024 --out
# runs/calibrate-buffy`, 1,024 runs, 143 accepted), each with its 90% interval.
_KWAK = "Kwak et al. 2010 (WWW)"
_SWITCH = assumed("a switch: the mechanism is part of the model")
_BUFFY = "#Buffy anchors"
_TOXICCHAT = "Lin et al. 2023 (ToxicChat, EMNLP Findings), ToxicChat-T5 model card"


@dataclass(frozen=True)
class NetworkParams(_Checked):
    """The follower graph generated when no edge list is given."""

    n_users: int = p(
        200_000,
        3,
        50_000_000,
        "users",
        "number of users in the network",
        assumed("the part of French Twitter that could come across the #Buffy case"),
    )
    mean_followers: float = p(20.0, 0.5, 1000, "followers", "mean followers (= mean followees) per user", assumed())
    follower_exponent: float = p(
        2.3,
        1.5,
        4.0,
        "",
        "tail exponent gamma of P(followers = k) ~ k^-gamma",
        cited(
            _KWAK,
            "2.276, rounded to 2.3",
            "[S] read in a secondary source only; the fit may be of the distribution of followings rather than followers (their Fig. 1), and "
            "their abstract calls the follower distribution non-power-law",
        ),
    )
    max_followers: int = p(
        2000,
        1,
        None,
        "followers",
        "cap on one user's expected followers (absolute, so that a scenario is the same case at any size)",
        assumed("hubs of a few thousand followers among the users the case can reach"),
    )
    reciprocity: float = p(
        0.2,
        0.0,
        0.95,
        "",
        "fraction of edges that are mutual",
        cited(_KWAK, "22% of connections reciprocal, rounded to 0.2", "[S] read in a secondary source only"),
    )


@dataclass(frozen=True)
class PopulationParams(_Checked):
    """Who the users are: stance, activity and propensities (drawn once per run)."""

    hostile_fraction: float = p(
        0.44, 0.0, 1.0, "of users", "users hostile to the target", calibrated(_BUFFY, "90% [0.30, 0.58]")
    )
    supportive_fraction: float = p(
        0.15,
        0.0,
        1.0,
        "of users",
        "users supportive of the target",
        assumed("a minority of supporters, as among the replies the press quoted"),
    )
    stance_strength: float = p(
        0.6, 0.0, 1.0, "", "mean |stance| of the hostile and supportive groups (neutral users: 0)", assumed()
    )
    stance_sd: float = p(0.25, 0.0, 2.0, "", "spread of stance within each group (clipped to [-1, 1])", assumed())
    sessions_per_day: float = p(
        10.0,
        0.01,
        500,
        "sessions/day",
        "mean rate at which a user opens the app",
        assumed("no measurement of sessions per day was found"),
    )
    activity_sd: float = p(
        1.0,
        0.0,
        3.0,
        "log units",
        "lognormal spread of the session rate across users",
        assumed("heavy users open the app hourly, many once a day or less"),
    )
    amplify_prob: float = p(
        0.070,
        0.0,
        1.0,
        "per seen post",
        "mean propensity to amplify (retweet/quote) a seen post",
        calibrated(_BUFFY, "90% [0.036, 0.17]"),
    )
    reply_prob: float = p(
        0.052,
        0.0,
        1.0,
        "per seen post",
        "mean propensity to reply to a seen post",
        calibrated(_BUFFY, "90% [0.031, 0.12]"),
    )
    propensity_sd: float = p(0.8, 0.0, 3.0, "log units", "lognormal spread of both propensities", assumed())
    susceptibility_sd: float = p(
        0.5, 0.0, 3.0, "log units", "lognormal spread of outrage susceptibility (mean 1)", assumed()
    )

    def _check(self) -> None:
        total = self.hostile_fraction + self.supportive_fraction
        if total > 1.0:
            raise ValueError(f"hostile_fraction + supportive_fraction = {total:g}: expected at most 1")


@dataclass(frozen=True)
class ExposureParams(_Checked):
    """How posts reach users: feeds, visibility decay, the trending channel, the seed post."""

    target_followers: int = p(
        3000,
        0,
        None,
        "followers",
        "the target's audience: the user whose follower count is closest, given exactly this many (target_exact)",
        assumed("a blogger and community manager: a few thousand followers"),
    )
    target_exact: bool = p(
        True,
        None,
        None,
        "",
        "in a generated graph the target gets exactly target_followers followers (off: the user whose count is closest)",
        assumed("how the target is placed in a generated graph"),
    )
    seed_clock: float = p(
        9.0,
        0.0,
        24.0,
        "hour of day",
        "local clock time of the seed post",
        cited(_BUFFY + " (press report, 16 January 2017)", "the post came in the morning, 08:00-10:30: 09:00"),
    )
    seed_outrage: float = p(1.0, 0.0, 20.0, "words", "moral-emotional words in the seed post", assumed())
    visibility_halflife: float = p(
        120.0,
        0.1,
        100_000,
        "minutes",
        "age at which half of the posts have left a follower's feed",
        assumed("Pfeffer et al. 2023 measured a median half-life of a tweet's impressions of about 80 min"),
    )
    visibility_tail: float = p(
        float("inf"),
        0.05,
        None,
        "",
        "shape of the feed-lifetime tail: inf exponential, smaller values a heavier (power-law) tail",
        assumed(),
    )
    reply_reach: float = p(
        0.3,
        0.0,
        1.0,
        "",
        "fraction of the author's followers whose feed shows a reply (attack or defence)",
        assumed("a reply shows in a follower's timeline mainly when they follow the person replied to as well"),
    )
    trend_threshold: float = p(
        40.0,
        0.0,
        None,
        "posts/hour",
        "posts about the case in the last hour above which it trends (an absolute volume: the same case at any size)",
        calibrated(_BUFFY, "90% [11, 89]"),
    )
    trend_gain: float = p(
        14.0,
        0.0,
        None,
        "impressions per post",
        "trending impressions per hour for each post about the case in the last hour",
        calibrated(_BUFFY, "90% [4.5, 61]"),
    )
    trend_max_rate: float = p(
        4170.0,
        0.0,
        None,
        "impressions/hour",
        "most trending impressions per hour",
        assumed("trend lists are short"),
    )
    pulse_rate: float = p(
        0.0,
        0.0,
        48.0,
        "per day",
        "exogenous attention pulses (a press article, a TV segment, a share elsewhere) per day; 0: none",
        assumed("none by default"),
    )
    pulse_size: float = p(
        500.0,
        0.0,
        None,
        "impressions/hour",
        "mean impressions per hour of one pulse (each pulse draws its own)",
        assumed(),
    )
    pulse_duration: float = p(3.0, 0.01, 240.0, "hours", "how long one pulse shows the case", assumed())
    sessions: bool = p(
        True, None, None, "", "users see feed items only when they open the app (off: at the next step)", _SWITCH
    )
    decay: bool = p(True, None, None, "", "posts leave feeds with age (off: visible for ever)", _SWITCH)


@dataclass(frozen=True)
class DecisionParams(_Checked):
    """What a user does with a seen post."""

    outrage_effect: float = p(
        0.2,
        0.0,
        5.0,
        "per word",
        "increase in the chance of acting per moral-emotional word of the post",
        cited(
            "Brady et al. 2017 (PNAS)",
            "+20% per moral-emotional word",
            "measured on retweets; the model applies it to attacks and defences too. Burton, Cruz & Hahn 2021 "
            "found this moral contagion no better out of sample than an implausible 'XYZ contagion' control",
        ),
    )
    attack_outrage: float = p(2.0, 0.0, 20.0, "words", "mean moral-emotional words in an attack", assumed())
    defend_outrage: float = p(0.5, 0.0, 20.0, "words", "mean moral-emotional words in a defence", assumed())
    social_proof: float = p(
        0.5,
        0.0,
        10.0,
        "per log post",
        "action boost per unit of log(1 + posts seen about the case)",
        assumed("the form (diminishing returns) and the strength are ours"),
    )
    norm_learning: float = p(
        1.0,
        0.0,
        10.0,
        "",
        "how strongly the seen hostile share shifts attack vs defend",
        assumed(
            "the form after Brady et al. 2021 (users conform their outrage expression to the norms they "
            "see); they measured how much outrage people express, not whether they attack or defend, and "
            "the strength is ours"
        ),
    )
    cross_amplify: float = p(
        0.2, 0.0, 1.0, "", "amplify propensity for a post of the other side, relative to one's own side", assumed()
    )
    novelty_halflife: float = p(
        9.2,
        0.01,
        None,
        "hours",
        "age of the case at which interest in it has halved, inf for never",
        calibrated(
            _BUFFY,
            "90% [3.1, 34]",
            "decay with the case's age after Wu & Huberman 2007, who measured a stretched exponential on "
            "Digg with a half-life of about an hour [S]; exponential here by default (novelty_shape)",
        ),
    )
    novelty_shape: float = p(
        1.0,
        0.05,
        3.0,
        "",
        "shape b of the novelty decay exp(-ln 2 (age / novelty_halflife) ** b): 1 exponential, below 1 a "
        "stretched exponential whose interest lingers",
        assumed(
            "exponential by default; Wu & Huberman 2007 fitted a stretched exponential (b below 1) on Digg, "
            "whose exponent was not found in a source read"
        ),
    )
    fatigue: float = p(
        0.5, 0.0, 1.0, "", "multiplier on action probability per earlier action by the same user", assumed()
    )
    max_actions: int = p(5, 1, 1000, "actions", "most actions one user takes in a run", assumed())
    attack: bool = p(True, None, None, "", "users may attack (off: the action is never drawn)", _SWITCH)
    defend: bool = p(True, None, None, "", "users may defend (off: the action is never drawn)", _SWITCH)


@dataclass(frozen=True)
class ClassifierParams(_Checked):
    """The platform's classifier of hostile posts: the verdict label-based interventions act on.

    Drawn once per original post (an amplification carries its original's verdict), so every
    intervention sees the same verdict for the same post. Defaults: OpenAI's moderation endpoint on
    the ToxicChat test set at threshold 0.02 (precision 0.548, recall 0.699; ToxicChat-T5 model
    card), the false-positive rate derived from them and ToxicChat's 7.18% toxic share
    (docs/model.md, "The classifier").
    """

    classifier_recall: float = p(
        0.70,
        0.0,
        1.0,
        "of attacks",
        "share of attacks the platform's classifier flags (OpenAI moderation: 0.70)",
        cited(_TOXICCHAT, "recall 0.699 of OpenAI's moderation endpoint on the ToxicChat test set, threshold 0.02"),
    )
    classifier_false_positive_rate: float = p(
        0.045,
        0.0,
        1.0,
        "of benign posts",
        "share of posts that are not attacks the classifier flags (derived for OpenAI moderation: 0.045)",
        cited(
            _TOXICCHAT,
            "0.045 derived from precision 0.548, recall 0.699 and a 7.18% toxic share (docs/model.md, 'The classifier')",
        ),
    )


@dataclass(frozen=True)
class TimeParams(_Checked):
    """Time steps and horizon."""

    step_minutes: float = p(1.0, 0.1, 60.0, "minutes", "length of one step", assumed("the clock's resolution"))
    horizon_hours: float = p(
        48.0,
        0.01,
        24 * 30,
        "hours",
        "simulated time after the seed post",
        assumed("a one-day pile-on and the day after"),
    )


CONCERNS: tuple[type, ...] = (
    NetworkParams,
    PopulationParams,
    ExposureParams,
    DecisionParams,
    ClassifierParams,
    TimeParams,
)
_GROUP = {
    NetworkParams: "network",
    PopulationParams: "population",
    ExposureParams: "exposure",
    DecisionParams: "decisions",
    ClassifierParams: "classifier",
    TimeParams: "time",
}

_GROUPS = tuple(_GROUP.values())
_OWNER = {f.name: _GROUP[c] for c in CONCERNS for f in dataclasses.fields(c)}
assert len(_OWNER) == sum(len(dataclasses.fields(c)) for c in CONCERNS), "parameter names must be unique"


@dataclass(frozen=True)
class Params:
    """All parameters of one run, grouped by concern. Field names are unique across concerns."""

    network: NetworkParams = field(default_factory=NetworkParams)
    population: PopulationParams = field(default_factory=PopulationParams)
    exposure: ExposureParams = field(default_factory=ExposureParams)
    decisions: DecisionParams = field(default_factory=DecisionParams)
    classifier: ClassifierParams = field(default_factory=ClassifierParams)
    time: TimeParams = field(default_factory=TimeParams)

    @classmethod
    def specs(cls) -> dict[str, Spec]:
        """Every flat parameter name with its declaration (kind, default, range, unit, help)."""
        return {name: spec for c in CONCERNS for name, spec in specs(c).items()}

    @classmethod
    def sources(cls) -> dict[str, Source | None]:
        """Where each parameter's default comes from (:class:`Source`), by name."""
        return {name: spec.source for name, spec in cls.specs().items()}

    @classmethod
    def assumed(cls) -> list[str]:
        """The parameters whose defaults are assumed, neither cited nor calibrated: what a
        sensitivity or robustness study must vary."""
        return [name for name, source in cls.sources().items() if source is not None and source.kind == "assumed"]

    @staticmethod
    def owner(name: str) -> str:
        """The concern ('network', 'population', ...) that declares ``name``."""
        if name not in _OWNER:
            raise ValueError(unknown_name_message(name, _OWNER))
        return _OWNER[name]

    def replace(self, **changes: Any) -> Params:
        """A copy with some flat parameters changed; unknown names raise ``ValueError``."""
        grouped: dict[str, dict[str, Any]] = {}
        for name, value in changes.items():
            grouped.setdefault(self.owner(name), {})[name] = value
        return dataclasses.replace(
            self, **{g: dataclasses.replace(getattr(self, g), **kw) for g, kw in grouped.items()}
        )

    def to_flat(self) -> dict[str, Any]:
        """Flat ``{name: value}`` of every parameter, in declaration order."""
        return {f.name: getattr(getattr(self, _GROUP[c]), f.name) for c in CONCERNS for f in dataclasses.fields(c)}

    def __getattr__(self, name: str) -> Any:
        # Flat read access: params.n_users rather than params.network.n_users.
        if name not in _OWNER:
            raise AttributeError(name)
        return getattr(object.__getattribute__(self, _OWNER[name]), name)


def unknown_name_message(name: str, known: Any, what: str = "parameter") -> str:
    """'unknown parameter X (did you mean Y?)' with the closest known names."""
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"unknown {what} {name!r}{hint}"


def flatten(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Flat parameter values from a table as a TOML file gives it (a parameter file, an experiment
    file's ``[params]``): flat keys (``fatigue = 0.3``) and tables named after a concern
    (``[decisions]`` then ``fatigue = 0.3``) may be mixed.

    Raises:
        ValueError: naming ``where`` and the key: an unknown name or table, a parameter inside the
            table of another concern, or one parameter given twice (flat and in its table).
    """
    flat: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            if key not in _GROUPS:
                raise ValueError(
                    f"{where}: [{key}]: {unknown_name_message(key, _GROUPS, 'table')}; parameters are given flat "
                    f"or in a table named after their concern ({', '.join(_GROUPS)})"
                )
            items = [(name, v, f"[{key}] ") for name, v in value.items()]
        else:
            items = [(key, value, "")]
        for name, v, table_label in items:
            if name not in _OWNER:
                raise ValueError(f"{where}: {table_label}{unknown_name_message(name, _OWNER)}")
            if table_label and table_label != f"[{_OWNER[name]}] ":
                raise ValueError(f"{where}: {table_label}{name} is a parameter of [{_OWNER[name]}]")
            if name in flat:
                raise ValueError(
                    f"{where}: {name} is given twice, as {given_as[name]} and as {table_label}{name}; give it once"
                )
            flat[name], given_as[name] = v, table_label + name
    return flat


def read_toml(path: str | Path) -> dict[str, Any]:
    """Flat parameter values from a TOML parameter file (the rules of :func:`flatten`).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not UTF-8 text or not valid TOML (naming the line), or a key :func:`flatten`
            refuses; the message names the file.
    """
    return flatten(load_toml(path, "parameter file"), str(path))


def load_toml(path: str | Path, what: str) -> dict[str, Any]:
    """A TOML file as a dict (UTF-8, a byte-order mark accepted: :func:`pileon.model.files.read_text`).

    Raises:
        FileNotFoundError: no such file (``what`` says which kind was expected).
        ValueError: not UTF-8 text, or not valid TOML; names the file and the line.
    """
    try:
        return tomllib.loads(read_text(path, what))
    except ValueError as e:  # TOMLDecodeError, or an integer of more digits than Python converts
        raise ValueError(f"{path}: not valid TOML: {e}") from None
    except RecursionError:  # thousands of nested arrays or tables
        raise ValueError(f"{path}: not valid TOML: nested too deeply") from None
