"""The ``jointsim`` command: one entry point, subcommands in small modules.

Bad input ends with one line naming the file, the field and the fix, and a non-zero exit;
never a traceback (``JOINTSIM_DEBUG=1`` shows one for bug reports).
"""

from __future__ import annotations

import os
import sys

import typer

from simulator.errors import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="jointsim: image-guided joint injection training simulator.")


# Command modules; each registers its commands on ``app`` when imported.
COMMAND_MODULES = ("core", "snapshot", "bench", "run", "report", "scenario_tools", "keys",
                   "lms", "hub")


def _register() -> None:
    from importlib import import_module
    from importlib.util import find_spec

    for name in COMMAND_MODULES:
        module = f"simulator.cli.{name}"
        if find_spec(module) is not None:
            import_module(module)
    from simulator.cli import anatomy

    app.add_typer(anatomy.app, name="anatomy")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 problems found, 2 bad input)."""
    _register()
    try:
        rv = app(args=argv, standalone_mode=False)
    except InputError as exc:
        print(f"jointsim: error: {exc}", file=sys.stderr)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print("jointsim: interrupted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, bad or missing value
        _usage_error(exc)
        return exc.exit_code
    except Exception as exc:  # genuine bugs
        if os.environ.get("JOINTSIM_DEBUG"):
            raise
        print(f"jointsim: internal error: {exc.__class__.__name__}: {exc} "
              "(set JOINTSIM_DEBUG=1 for a traceback and report it)", file=sys.stderr)
        return 3
    return rv if isinstance(rv, int) else 0


def _usage_error(exc: typer.TyperException) -> None:
    """One line naming the command, the problem, its usage and where help is."""
    message = exc.format_message().strip()
    if not message:  # the command was given no arguments: typer has printed its help
        return
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        print(f"jointsim: error: {message}", file=sys.stderr)
        return
    usage = ctx.get_usage().strip().removeprefix("Usage: ")
    print(f"{ctx.command_path}: error: {message} (usage: {usage}; see "
          f"'{ctx.command_path} --help')", file=sys.stderr)


def run() -> None:
    sys.exit(main())
