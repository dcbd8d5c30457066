"""The `optivllm` command: list models and strategies, ask one question, run a batch.

    optivllm models
    optivllm strategies
    optivllm ask "What is 17 * 3?" [--strategy mars] [--model NAME]
    optivllm run --input questions.jsonl --output results.jsonl [--strategy mars] [--concurrency 64]

Console code only: the library it drives (`strategies.runner`, `engine`) never prints.

- `commands`: the parser and the subcommands; `main` is the console script's entry point.
- `args`: one-line usage errors and a validating `type=` for every flag; `--set KEY=VALUE`.
- `run`: `optivllm run`'s progress bar, notes and end-of-run report.
- `console`: the command's own output, kept apart from the engine's.
- `exit_codes`: `ExitCode`: 0 success, 1 some items failed, 2 bad usage or configuration,
  130 interrupted.
"""

from strategies.cli.args import add_set_argument, parse_settings
from strategies.cli.commands import main
from strategies.cli.exit_codes import ExitCode

__all__ = ["ExitCode", "add_set_argument", "main", "parse_settings"]
