"""Argument parsing for `optivllm`: one-line usage errors and a validating `type=` per flag.

Every value a user types is checked while the command line is parsed, so a bad one ends as one
line naming the flag and exit code 2, before any file is touched or any engine starts:

    optivllm run: error: argument --limit: must be >= 0 (got -1)
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from engine import ConfigError
from strategies.cli.exit_codes import ExitCode


class ArgumentParser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` whose usage errors are one line: `PROG: error: MESSAGE`."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {one_line(message)}\n")

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        """Like argparse's, but unknown flags are reported by the subcommand they were given to."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            prog = getattr(parsed, "prog", self.prog)
            self.exit(ExitCode.USAGE, f"{prog}: error: unrecognized arguments: {' '.join(extras)}\n")
        return parsed


def one_line(message: str) -> str:
    """A multi-line message (a config error's field list, say) joined into one line."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    out = ""
    for line in lines:
        out += line if not out else (" " if out.endswith(":") else "; ") + line
    return out


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number (got {text!r})") from None


def non_negative_int(text: str) -> int:
    """`type=` for a count that may be zero."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (got {value})")
    return value


def positive_int(text: str) -> int:
    """`type=` for a count that must be at least one."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1 (got {value})")
    return value


def non_empty(text: str) -> str:
    """`type=` for text that must say something."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def existing_file(text: str) -> Path:
    """`type=` for a file that must exist."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"file {text!r} does not exist")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    return path


def output_file(text: str) -> Path:
    """`type=` for a file to write (or append to): anything but an existing directory."""
    path = Path(text)
    if not text.strip() or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a directory, not a file")
    return path


def strategy_name(text: str) -> str:
    """`type=` for a registered strategy's name."""
    from strategies.catalog import strategy_names

    names = strategy_names()
    if text not in names:
        raise argparse.ArgumentTypeError(f"unknown strategy {text!r}; valid strategies: {', '.join(names)}")
    return text


def setting(text: str) -> str:
    """`type=` for one `--set KEY=VALUE` item (the value is read by `parse_settings`)."""
    key, sep, _ = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (got {text!r})")
    return text


def add_set_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """The repeatable `--set KEY=VALUE` option (read with `parse_settings`)."""
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], type=setting, metavar="KEY=VALUE", help=help
    )


def parse_settings(items: Sequence[str]) -> dict[str, Any]:
    """`--set KEY=VALUE` items as strategy settings; values in TOML syntax, a bare word is a string."""
    settings: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        try:
            settings[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            settings[key.strip()] = value
    return settings


def read_config(path: Path, strategy: str) -> dict[str, Any]:
    """The settings of a `--config` TOML file: at top level, or in a `[strategy-name]` table."""
    if not path.is_file():
        raise ConfigError(f"--config: file {str(path)!r} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"--config: {path} is not valid TOML: {one_line(str(err))}") from None
    table = data.get(strategy)
    return dict(table) if isinstance(table, dict) else data
