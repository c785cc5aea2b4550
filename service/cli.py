"""The `rossum-hooks` command line: one subcommand per module, imported lazily.

Each subcommand module exposes `add_arguments(parser)` and `run(args) -> int`, so a new command
is one entry in `COMMANDS` and start-up never imports what the command does not use. The current
directory is on the import path (as with uvicorn), so `--rules my_rules:router` finds a rule
package next to where the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import sys
from collections.abc import Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("service.serve", "Run the webhook service under uvicorn."),
    "sandbox": ("sandbox.server", "Run the local Rossum stand-in API."),
    "demo": ("service.demo", "Start sandbox and service, deliver demo invoices, print results."),
    "replay": ("replay.cli", "Replay recorded deliveries and compare the answers."),
    "pull-logs": ("replay.pull_logs", "Import Rossum hook logs as a replayable recording."),
    "hook": ("service.hook_cli", "The hook as code: print its settings schema, plan, apply, test."),
    "send": ("replay.send", "Send one signed test event to a running service."),
}


def version() -> str:
    """Return the installed version of rossum-hooks."""
    try:
        return importlib.metadata.version("rossum-hooks")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "unknown"


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """Build the parser, loading only the module of the subcommand being run."""
    parser = argparse.ArgumentParser(prog="rossum-hooks", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"rossum-hooks {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            module.add_arguments(command)
            command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    args = build_parser(args_list).parse_args(args_list)
    return int(args._run(args))


if __name__ == "__main__":
    raise SystemExit(main())
