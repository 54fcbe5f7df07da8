"""The job's contract (contract.json, shipped inside the package): options with their types,
ranges, defaults and choices; the run folder's files; summary.json's fields.

The job builds its parser and range checks from it (options.py), and the runner reads the
same file, so the two cannot disagree on what the job accepts. Read with importlib.resources
so it works from the --py-files zip as well as from a folder.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

CONTRACT_FILE = "contract.json"


@lru_cache(maxsize=1)
def load() -> dict:
    return json.loads(resources.files(__package__).joinpath(CONTRACT_FILE).read_text(encoding="utf-8"))


def options() -> dict[str, dict]:
    return load()["options"]


def option(name: str) -> dict:
    return options()[name]


def marker(key: str) -> str:
    """A stdout marker (or its environment switch) the runner reads: summary, progress, progress_lines_env."""
    return load()["markers"][key]


def exit_code(meaning: str) -> int:
    """The job's exit code for a meaning: ok, failed, usage, tensorflow_missing, interrupted."""
    return load()["exit_codes"][meaning]


def dest(name: str) -> str:
    """The attribute argparse stores an option under: its dest, else its name with '_' for '-'."""
    return option(name).get("dest") or name.replace("-", "_")


def default(name: str):
    """An option's default as the job takes it (flags: False, or True for a store_false dest)."""
    spec = option(name)
    if spec["type"] == "flag":
        return bool(spec.get("dest"))
    return spec.get("default")


def summary_options() -> list[str]:
    """The JobOptions fields summary.json records under `options`, in order."""
    return load()["summary"]["fields"]["options"]["fields"]


def run_file(key: str) -> str:
    """Path of a run folder file, relative to <output>/<run-id>/."""
    return load()["run_folder"]["files"][key]["path"]


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


def range_text(spec: dict) -> str | None:
    """'1..4096', '1 or more', '(0, 1]', '(0, 2048)', or None without bounds."""
    lo, hi = spec.get("min"), spec.get("max")
    if lo is None and hi is None:
        return None
    lo_open, hi_open = spec.get("min_exclusive", False), spec.get("max_exclusive", False)
    if spec["type"] == "integer" and not lo_open and not hi_open:
        if hi is None:
            return f"{_num(lo)} or more"
        if lo is None:
            return f"{_num(hi)} or less"
        return f"{_num(lo)}..{_num(hi)}"
    left = "-inf" if lo is None else _num(lo)
    right = "inf" if hi is None else _num(hi)
    return f"{'(' if lo_open or lo is None else '['}{left}, {right}{')' if hi_open or hi is None else ']'}"


def in_range(spec: dict, value: float) -> bool:
    lo, hi = spec.get("min"), spec.get("max")
    if value != value:  # NaN is in no range
        return False
    if lo is not None and (value <= lo if spec.get("min_exclusive") else value < lo):
        return False
    if hi is not None and (value >= hi if spec.get("max_exclusive") else value > hi):
        return False
    return True


def matches(spec: dict, value: str) -> bool:
    """The option's pattern matches the whole value (no pattern: anything)."""
    pattern = spec.get("pattern")
    return pattern is None or re.fullmatch(pattern, value) is not None


def check(name: str, value) -> str | None:
    """One-line problem with a parsed option value, or None (ranges and patterns; argparse
    already enforced types and choices)."""
    spec = option(name)
    if value is None:
        return None
    if spec["type"] in ("integer", "number") and not in_range(spec, value):
        hint = f" ({spec['hint']})" if spec.get("hint") else ""
        return f"--{name} {_num(value) if value == value else value} is out of range; use {range_text(spec)}{hint}"
    if spec["type"] == "string" and not matches(spec, value):
        return f"--{name} {value!r} is not {spec.get('pattern_text', 'accepted')}"
    return None


_TYPES = {"integer": int, "number": float, "string": str}


def add_arguments(parser, names=None) -> None:
    """argparse options from the contract (mutually exclusive ones in one group). Defaults of
    options that others exclude stay None here, so a given partner can be told apart."""
    specs = options()
    groups: dict[frozenset, object] = {}
    for name, spec in specs.items():
        if names is not None and name not in names:
            continue
        target = parser
        if spec.get("exclusive_with"):
            key = frozenset([name, *spec["exclusive_with"]])
            if key not in groups:
                groups[key] = parser.add_mutually_exclusive_group()
            target = groups[key]
        help_text = spec["help"].replace("%", "%%")
        if spec["type"] == "flag":
            dest = spec.get("dest")
            if dest:
                target.add_argument(f"--{name}", dest=dest, action="store_false", help=help_text)
            else:
                target.add_argument(f"--{name}", action="store_true", help=help_text)
            continue
        kwargs = {"type": _TYPES[spec["type"]], "help": help_text + _default_help(spec)}
        if spec.get("required"):
            kwargs["required"] = True
        else:
            kwargs["default"] = None if spec.get("exclusive_with") else spec.get("default")
        if spec.get("choices"):
            kwargs["choices"] = spec["choices"]
        if spec.get("metavar"):
            kwargs["metavar"] = spec["metavar"]
        target.add_argument(f"--{name}", **kwargs)


def _default_help(spec: dict) -> str:
    bounds = range_text(spec)
    parts = [f"range {bounds}"] if bounds else []
    if spec.get("default_text"):
        parts.append(f"default {spec['default_text']}")
    elif spec.get("default") is not None:
        parts.append(f"default {spec['default']}")
    return f" ({'; '.join(parts)})".replace("%", "%%") if parts else ""
