"""Property-based tests of every reader of files people bring (issue 13): whatever the bytes, a
reader gives a result that holds together (finite times, the source first, a tree) or a
``ValueError`` that names the file; never another exception, never a silent NaN or infinity.

Inputs are drawn two ways: files close to the format (right layout, hostile values: NaN, inf,
1e308, negative delays, paths as ids, cycles, repeated ids, quotes, a BOM, CRLF) and raw bytes.
``PILEON_FUZZ_EXAMPLES`` raises the number of examples per test for a long local run (default 60:
the whole file then takes about a minute on two busy cores).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pileon.experiments import output
from pileon.experiments.observed import readers
from pileon.experiments.observed.curves import curves
from pileon.experiments.sweeps import design
from pileon.model import Params
from pileon.model.network import Network
from pileon.model.params import read_toml

EXAMPLES = int(os.environ.get("PILEON_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a shared 2-core machine: no per-example time limit, a bounded number of examples
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- pieces of files ------------------------------------------------------------------------------

NUMBERS = st.sampled_from(
    [
        *("0", "0.0", "1", "2.5", "-1", "-0.0", "1e308", "1e400", "-1e400", "nan", "NaN", "inf", "-inf", "Infinity"),
        *("", " ", "abc", "1,5", "0x10", "1_000", "5.3e6", "9999999999", "1e-300", "٣"),
    ]
) | st.floats(allow_nan=True, allow_infinity=True).map(repr)
TIMES = st.one_of(*[st.floats(0, 5000).map(repr)] * 4, NUMBERS)  # mostly good, sometimes hostile
HOSTILE_IDS = st.sampled_from(["", "ROOT", "../../x", "/abs/path/pwned", "..", "é", " a", "a'b", "a,b", '"'])
IDS = st.one_of(*[st.sampled_from(["a", "b", "c", "d", "1", "2"])] * 5, HOSTILE_IDS)
TEXT = st.text(max_size=12)
LINE_ENDS = st.sampled_from(["\n", "\r\n"])


def _file(lines: list[str], end: str, bom: bool) -> bytes:
    return (("\ufeff" if bom else "") + end.join(lines) + end).encode("utf-8")


@st.composite
def tree_files(draw: st.DrawFn) -> bytes:
    node = st.tuples(IDS, IDS, TIMES)
    edge = st.tuples(node, node).map(lambda e: f"{list(e[0])}->{list(e[1])}")
    root = st.tuples(IDS, IDS, NUMBERS).map(lambda c: f"['ROOT', 'ROOT', '0.0']->{list(c)}")
    lines = draw(st.lists(st.one_of(*[edge] * 12, root, TEXT), max_size=12))
    if draw(st.integers(0, 4)):
        lines.insert(0, draw(root))
    return _file(lines, draw(LINE_ENDS), draw(st.booleans()))


@st.composite
def thread_files(draw: st.DrawFn) -> bytes:
    header = draw(st.sampled_from([",".join(readers._THREAD_COLUMNS)] * 4 + ["thread_id,post_id", ""]))
    stance = st.sampled_from(["support", "deny", "query", "comment", "other", ""])
    depth = st.sampled_from(["0", "1", "2", "3", "-1", "x", "1.5", "99999999999999999999"])
    row = st.tuples(IDS, IDS, IDS, TIMES, stance, depth).map(lambda r: ",".join(_csv_field(x) for x in r))
    lines = [header, *draw(st.lists(st.one_of(*[row] * 6, TEXT), max_size=12))]
    return _file(lines, draw(LINE_ENDS), draw(st.booleans()))


@st.composite
def pheme_files(draw: st.DrawFn) -> bytes:
    small = st.sampled_from(["0", "1", "2", "3", "4", "x", ""])
    row = st.tuples(small, small, small, small, TIMES, TEXT).map(lambda r: "\t".join(r))
    lines = draw(st.lists(st.one_of(*[row] * 6, TEXT), max_size=12))
    return _file(lines, draw(LINE_ENDS), draw(st.booleans()))


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    others = st.lists(st.sampled_from(["action", "parent", "post", "user", "x"]), max_size=5, unique=True)
    columns = draw(others)
    if draw(st.integers(0, 5)):
        columns.insert(draw(st.integers(0, len(columns))), "minutes")
    stamps = st.sampled_from(["2020-01-01 00:00:00", "2020-01-01T00:05:00Z", "2020-01-02", "3000-01-01", "x"])
    values = {
        "minutes": st.one_of(TIMES, stamps),
        "action": st.sampled_from(["amplify", "attack", "defend", "neutral", "seed_post", "shout", ""]),
        "parent": st.one_of(st.just(""), st.just(""), IDS),
        "post": IDS,
        "user": IDS,
        "x": TEXT,
    }
    row = st.tuples(*[values[c] for c in columns]).map(lambda r: ",".join(_csv_field(x) for x in r))
    lines = [",".join(columns), *draw(st.lists(st.one_of(*[row] * 6, TEXT), min_size=1, max_size=12))]
    return _file(lines, draw(LINE_ENDS), draw(st.booleans()))


@st.composite
def edge_files(draw: st.DrawFn) -> bytes:
    header = draw(st.sampled_from(["follower,followee"] * 4 + ["followee,follower", "a,b,c", ""]))
    row = st.lists(IDS, min_size=1, max_size=3).map(lambda r: ",".join(_csv_field(x) for x in r))
    lines = [header, *draw(st.lists(st.one_of(row, row, row, TEXT), max_size=14))]
    return _file(lines, draw(LINE_ENDS), draw(st.booleans()))


def _csv_field(x: str) -> str:
    return f'"{x}"' if any(c in x for c in ',"\n\r') else x


# TOML values as a person might write them, hostile ones included
SCALARS = st.one_of(
    st.sampled_from(["1e400", "-1e400", "inf", "nan", "-inf", "0", "3", "10_000", "1e308", "99999999999999999999"]),
    st.sampled_from(['"buffy"', '"x"', '"/abs/path"', '"../../up"', '""', "true", "false", '"grid"', '"sobol"']),
    st.integers(-(10**6), 10**13).map(str),
    st.floats(-1e6, 1e6).map(repr),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4).map(lambda v: f"[{', '.join(v)}]"))
PARAM_NAMES = st.sampled_from(
    [
        *("n_users", "mean_followers", "hostile_fraction", "fatigue", "horizon_hours", "step_minutes"),
        *("visibility_tail", "target_followers", "seed_clock", "decay", "max_actions", "nope"),
    ]
)


@st.composite
def param_files(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.integers(0, 5)) == 0:
            lines.append(f"[{draw(st.sampled_from(['network', 'decisions', 'time', 'nope', 'network.x']))}]")
        lines.append(f"{draw(PARAM_NAMES)} = {draw(VALUES)}")
    return _file(lines, draw(LINE_ENDS), draw(st.booleans()))


@st.composite
def experiment_files(draw: st.DrawFn) -> bytes:
    head = ["[experiment]"]
    keys = st.sampled_from(["name", "scenario", "replicates", "seed", "timeline_minutes"])
    for key in draw(st.lists(keys, unique=True)):
        value = {
            "replicates": st.one_of(VALUES, st.sampled_from(["1", "2", "1000000000000"])),
            "timeline_minutes": st.one_of(VALUES, st.sampled_from(["10", "30", "0.001"])),
        }.get(key, VALUES)
        good = {"name": '"exp"', "scenario": '"buffy"', "seed": "1"}.get(key, "2")
        head.append(f"{key} = {draw(st.one_of(*[st.just(good)] * 3, value))}")
    params = [
        "[params]",
        "n_users = 3000",
        *[f"{draw(PARAM_NAMES)} = {draw(VALUES)}" for _ in range(draw(st.integers(0, 2)))],
    ]
    vary = ["[vary]"]
    if draw(st.booleans()):
        method = draw(st.sampled_from(['"grid"', '"random"', '"lhs"', '"sobol"', '"nope"', "3"]))
        vary += [f"method = {method}", f"samples = {draw(st.sampled_from(['4', '0', '-1', '10000000000000', 'nan']))}"]
    for name in draw(st.lists(PARAM_NAMES, max_size=2, unique=True)):
        vary.append(f"{name} = {draw(VALUES)}")
    kind = st.sampled_from(['"friction"', '"removal"', '"protect"', '"nope"', "3"])
    setting = st.tuples(st.sampled_from(["delay", "cancel", "start", "what", "x"]), VALUES).map(
        lambda kv: f"{kv[0]} = {kv[1]}"
    )
    arm = st.tuples(kind, st.lists(setting, max_size=2)).map(lambda a: "{" + ", ".join([f"kind = {a[0]}", *a[1]]) + "}")
    arms = [
        "[arms]",
        *[
            f"{name} = [{', '.join(a)}]"
            for name, a in draw(st.dictionaries(IDS.filter(str.isalnum), st.lists(arm, max_size=2), max_size=2)).items()
        ],
    ]
    lines = [*head, *params, *vary, *arms]
    return _file(lines, draw(LINE_ENDS), draw(st.booleans()))


# -- properties -------------------------------------------------------------------------------------


def _with_file(data: bytes, name: str, read: Callable[[Path], Any]) -> tuple[Path, Any]:
    """``read(path)`` of ``data`` written to ``name``: its result, or the ValueError it raised
    (which must name the file); any other exception fails the test."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            return path, read(path)
        except ValueError as e:
            assert str(path) in str(e), f"the error does not name the file: {e}"
            return path, e


def check_cascade(c: readers.Cascade) -> None:
    """What every cascade holds: finite times, the source first and earliest, a tree."""
    n = len(c)
    assert n >= 1 and all(len(a) == n for a in (c.user, c.action, c.parent, c.depth))
    assert np.isfinite(c.minutes).all() and (np.diff(c.minutes[1:]) >= 0).all()
    assert c.minutes[0] == c.minutes.min() and c.minutes.max() - c.minutes[0] <= readers.MAX_MINUTES
    assert c.parent[0] == -1 and c.depth[0] == 0 and ((c.parent[1:] >= 0) & (c.parent[1:] < n)).all()
    assert (c.depth[1:] == c.depth[c.parent[1:]] + 1).all()
    assert set(c.action) <= set(readers.CASCADE_ACTIONS) and c.action[0] == "seed_post"
    table = curves(c)
    assert np.isfinite(table.to_numpy(float)).all()
    name = output.safe_name(c.name)
    assert "/" not in name and not name.startswith(".") and name


@FUZZ
@given(st.one_of(tree_files(), tree_files(), st.binary(max_size=300)))
def test_twitter_trees(data):
    _, out = _with_file(data, "123.txt", readers.read_twitter_tree)
    if not isinstance(out, ValueError):
        check_cascade(out)


@FUZZ
@given(st.one_of(thread_files(), thread_files(), st.binary(max_size=300)))
def test_rumoureval_threads(data):
    _, out = _with_file(data, "threads.csv", readers.read_rumoureval)
    if not isinstance(out, ValueError):
        for c in out:
            check_cascade(c)


@FUZZ
@given(st.one_of(pheme_files(), pheme_files(), st.binary(max_size=300)))
def test_pheme_stories(data):
    _, out = _with_file(data, "story.txt", readers.read_pheme)
    if not isinstance(out, ValueError):
        for c in out:
            check_cascade(c)


@FUZZ
@given(st.one_of(csv_files(), csv_files(), st.binary(max_size=300)))
def test_generic_csv(data):
    _, out = _with_file(data, "posts.csv", readers.read_csv)
    if not isinstance(out, ValueError):
        check_cascade(out)


@FUZZ
@given(st.one_of(tree_files(), thread_files(), pheme_files(), csv_files(), st.binary(max_size=300)))
def test_any_format_guessed(data):
    _, out = _with_file(data, "any.txt", readers.load)
    if not isinstance(out, ValueError):
        for c in out:
            check_cascade(c)


@FUZZ
@given(st.one_of(edge_files(), edge_files(), st.binary(max_size=300)))
def test_edge_lists(data):
    _, out = _with_file(data, "edges.csv", Network.read_csv)
    if not isinstance(out, ValueError):
        n = out.n
        assert n >= 3 and out.ids is not None and len(out.ids) == n and len(set(out.ids)) == n
        assert out.indptr[0] == 0 and (np.diff(out.indptr) >= 0).all() and out.indptr[-1] == len(out.indices)
        assert ((out.indices >= 0) & (out.indices < n)).all()


@FUZZ
@given(st.one_of(param_files(), param_files(), st.binary(max_size=200)))
def test_parameter_files(data):
    _, out = _with_file(data, "p.toml", read_toml)
    if isinstance(out, ValueError):
        return
    try:
        params = Params().replace(**out)
    except ValueError:
        return  # a value out of range: the CLI prefixes the file (test_inputs checks it)
    for name, value in params.to_flat().items():
        if isinstance(value, float) and not math.isfinite(value):
            assert name in INFINITE_OK and not math.isnan(value), f"{name}={value} from {out}"


# Parameters whose declared range ends at inf and for which inf means something ("never").
INFINITE_OK = {"visibility_tail", "novelty_halflife", "trend_threshold", "trend_gain", "trend_max_rate", "pulse_size"}


@FUZZ
@given(st.one_of(experiment_files(), experiment_files(), st.binary(max_size=200)))
def test_experiment_files(data):
    _, out = _with_file(data, "exp.toml", design.load)
    if isinstance(out, ValueError):
        assert isinstance(out, design.ExperimentError)
        return
    assert out.n_runs == len(out.points) * out.replicates * sum(len(g) for g in out.arms.values())
    assert math.isfinite(out.timeline_minutes) and out.timeline_minutes > 0
    assert Path(out.name).name == out.name and not out.name.startswith(".")  # runs/NAME.sqlite stays in runs/
    names = [a for g in out.arms.values() for a, _ in g]
    assert len(names) == len(set(names))


@FUZZ
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_run_summaries(data):
    _, out = _with_file(data, "summary.json", output.read_run_params)
    if not isinstance(out, ValueError):
        assert isinstance(out, dict)


@pytest.mark.parametrize("name", ["/abs/path/pwned", "../../../pwned", "..", ".", "", "a/b\\c", "\x00", "é" * 300])
def test_safe_names_stay_in_their_folder(tmp_path, name):
    taken: set[str] = set()
    first, second = output.safe_name(name, taken), output.safe_name(name, taken)
    assert first != second
    for n in (first, second):
        target = (tmp_path / f"{n}.png").resolve()
        assert target.parent == tmp_path.resolve() and len(n) <= 110
