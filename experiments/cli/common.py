"""What the command groups share: the user-error type, progress bars, parameter files and options."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

from pileon.model import Params
from pileon.model.params import unknown_name_message
from pileon.model.scenarios import get as get_scenario


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


def progress_bar(desc: str, total: int, quiet: bool = False) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run", delay=1.0, disable=quiet, leave=False)


def add_param_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model parameters (named as in model/params.py)")
    for name, f in Params.names().items():
        lo, hi = f.metadata["range"]
        unit = f" [{f.metadata['unit']}]" if f.metadata["unit"] else ""
        rng = "" if f.type == "bool" else f"; range {lo}..{hi}"
        help_ = f"{f.metadata['help']}{unit} (default {f.default}{rng})"
        flag = "--" + name.replace("_", "-")
        if f.type == "bool":
            group.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=help_)
        else:
            group.add_argument(flag, dest=name, type=int if f.type == "int" else float, default=None,
                               metavar=f.type.upper(), help=help_)  # fmt: skip


def read_params_file(path: Path) -> dict[str, Any]:
    """Flat parameter values from a TOML file; tables named after concerns are flattened."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such parameter file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: not valid TOML: {e}") from None
    flat: dict[str, Any] = {}
    names = Params.names()
    for key, value in data.items():
        items = value.items() if isinstance(value, dict) else [(key, value)]
        for k, v in items:
            if k not in names:
                raise UsageError(f"{path}: {unknown_name_message(k, names)}")
            flat[k] = v
    return flat


def resolve_params(args: argparse.Namespace) -> Params:
    """Scenario, then the parameter file, then command-line options."""
    params = get_scenario(args.scenario)
    if args.params:
        params = replace_params(params, read_params_file(args.params), str(args.params))
    given = {k: getattr(args, k) for k in Params.names() if getattr(args, k, None) is not None}
    return replace_params(params, given, "command line") if given else params


def replace_params(params: Params, values: dict[str, Any], where: str) -> Params:
    try:
        return params.replace(**values)
    except ValueError as e:
        raise UsageError(f"{where}: {e}") from None


def range_text(r: tuple[Any, Any]) -> str:
    lo, hi = r
    return f"[{'-inf' if lo is None else lo:g}, {'inf' if hi is None else f'{hi:g}'}]" if lo is not None else "any"
