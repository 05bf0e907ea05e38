"""What the command groups share: the user-error type, progress bars, parameter files and options."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pileon.model import Params
from pileon.model.params import read_toml
from pileon.model.scenarios import get as get_scenario

from .. import output


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


def whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """An option's type: a whole number in ``[low, high]`` (argparse names the option in its error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range: expected {_range(low, high)}")
        return value

    parse.__name__ = "whole number"
    return parse


def number(low: float, high: float, low_open: bool = False) -> Callable[[str], float]:
    """An option's type: a finite number in ``[low, high]`` (``(low, high]`` with ``low_open``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value < low or (low_open and value == low) or value > high:
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: expected a number in {'(' if low_open else '['}{low:g}, {high:g}]"
            )
        return value

    parse.__name__ = "number"
    return parse


def _range(low: int, high: int | None) -> str:
    return f"at least {low:,}" if high is None else f"{low:,} to {high:,}"


def progress_bar(desc: str, total: int, quiet: bool = False) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run", delay=1.0, disable=quiet, leave=False)


def add_param_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model parameters (named as in model/params.py)")
    for name, spec in Params.specs().items():
        unit = f" [{spec.unit}]" if spec.unit else ""
        allowed = "" if spec.kind is bool else f"; range {spec.range_text()}"
        help_ = f"{spec.help}{unit} (default {spec.default}{allowed})"
        flag = "--" + name.replace("_", "-")
        if spec.kind is bool:
            group.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=help_)
        else:
            kind = spec.kind.__name__
            group.add_argument(flag, dest=name, type=spec.kind, default=None, metavar=kind.upper(), help=help_)


def read_params_file(path: Path) -> dict[str, Any]:
    """Flat parameter values from a TOML parameter file (:func:`pileon.model.params.read_toml`), or
    the parameters of a run from its ``summary.json`` (to replay it)."""
    if path.suffix == ".json":
        return output.read_run_params(path)
    return read_toml(path)


def resolve_params(args: argparse.Namespace) -> Params:
    """Scenario, then the parameter file, then command-line options."""
    params = get_scenario(args.scenario)
    if args.params:
        params = replace_params(params, read_params_file(args.params), str(args.params))
    given = {k: getattr(args, k) for k in Params.specs() if getattr(args, k, None) is not None}
    return replace_params(params, given, "command line") if given else params


def replace_params(params: Params, values: dict[str, Any], where: str) -> Params:
    try:
        return params.replace(**values)
    except ValueError as e:
        raise UsageError(f"{where}: {e}") from None
