"""TOML configuration files: validation against a schema, and merging with options.

A configuration file contains the same settings as a command's options, with the option
names written in snake_case (`--image-size` becomes `image_size`). Precedence, from
highest: options given on the command line, then the file, then the defaults.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catdog.errors import CatdogError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class Setting:
    """One configuration key: its default and a converter that validates a file value.

    `convert` receives the raw TOML value and returns the normalised one, or raises
    `ValueError` with a sentence that states what is allowed.
    """

    default: Any
    convert: Callable[[Any], Any]


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning a missing file or a syntax error into a `CatdogError`."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise CatdogError(f"Config file not found: {path}. Pass a TOML file such as configs/quick.toml.") from None
    except tomllib.TOMLDecodeError as error:
        raise CatdogError(f"Config file {path} is not valid TOML: {error}.") from None


def resolve(
    schema: Mapping[str, Setting],
    config_path: str | Path | None,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """Merge defaults, a config file and command-line options into one settings dict.

    Args:
        schema: the allowed keys with their defaults and converters.
        config_path: a TOML file, or None for no file.
        options: option values from the command line; a value of None means the
            option was not given.

    Raises:
        CatdogError: on an unknown key or a value of the wrong type or range.
    """
    settings = {name: setting.default for name, setting in schema.items()}
    if config_path is not None:
        file_values = load_toml(config_path)
        unknown = sorted(set(file_values) - set(schema))
        if unknown:
            raise CatdogError(
                f"Unknown key {unknown[0]!r} in config file {config_path}. "
                f"Allowed keys: {', '.join(sorted(schema))}."
            )
        for name, raw in file_values.items():
            try:
                settings[name] = schema[name].convert(raw)
            except (ValueError, TypeError) as error:
                raise CatdogError(f"Invalid value for {name!r} in config file {config_path}: {error}") from None
    for name, value in options.items():
        if value is not None:
            settings[name] = value
    return settings


def positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a positive integer, got {value!r}.")
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {value}.")
    return value


def int_list(value: Any) -> list[int]:
    """Accept an integer, a list of integers or a comma-separated string like "30,60"."""
    if isinstance(value, str):
        return parse_int_list(value)
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("expected at least one value.")
    return [positive_int(item) for item in items]


def parse_int_list(text: str) -> list[int]:
    """Parse "30" or "30,60" into positive integers; raise `ValueError` otherwise."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise ValueError(f"expected one or more positive integers such as 30 or 30,60, got {text!r}.")
    values = []
    for part in parts:
        try:
            number = int(part)
        except ValueError:
            raise ValueError(f"expected positive integers such as 30 or 30,60, got {text!r}.") from None
        if number <= 0:
            raise ValueError(f"expected positive integers, got {number} in {text!r}.")
        values.append(number)
    return values


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}.")
    return value


def one_of(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}.")
        return value

    return convert


def fraction(value: Any) -> float:
    """Accept a number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"expected a number between 0 and 1 (exclusive), got {value!r}.")
    return float(value)


def positive_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"expected a positive number, got {value!r}.")
    return float(value)


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}.")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}.")
    return value
