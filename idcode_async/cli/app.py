"""The group, the entry point and the one error contract.

:func:`main` runs the group without click's own exception printing, so that every failure goes
through one place: an expected one prints one ``error:`` line (and at most one ``hint:``) on
stderr and exits with its documented code; anything else says it is unexpected, and only
``--debug`` shows a traceback.  Ctrl-C that reaches here exits 130.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import click

from .._version import __version__
from ._errors import as_command_error, innermost
from ._exit import EXIT_ABORTED, EXIT_INTERRUPTED, EXIT_USAGE, CommandError, exit_code_epilog
from .demo import demo
from .register_units import register_units_command
from .sandbox import sandbox
from .upload_codes import upload_codes_command
from .worker import worker

__all__ = ["cli", "main"]


@attrs.define
class State:
    """What the group's options decide for the whole invocation."""

    debug: bool = False


class IdcodeGroup(click.Group):
    """A click group whose ``main`` applies the error contract (so CliRunner sees it too)."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        argv = list(sys.argv[1:] if args is None else args)
        state = State(debug="--debug" in argv)
        code = _contract(
            lambda: super(IdcodeGroup, self).main(
                args=argv,
                prog_name=prog_name or "idcode",
                complete_var=complete_var,
                standalone_mode=False,
                obj=state,
                **extra,
            ),
            state,
        )
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(
    name="idcode",
    cls=IdcodeGroup,
    help="idcode-async: tools for the IDcode SP API (China's unified identification codes).",
    epilog=exit_code_epilog(),
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(
    __version__, "--version", prog_name="idcode-async", message="%(prog)s %(version)s"
)
@click.option("--debug", is_flag=True, help="show the traceback of a failure")
@click.pass_obj
def cli(state: State, debug: bool) -> None:
    state.debug = state.debug or debug


cli.add_command(demo)
cli.add_command(sandbox)
cli.add_command(register_units_command)
cli.add_command(upload_codes_command)
cli.add_command(worker)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``idcode`` script and ``python -m idcode_async``; the exit code."""
    return cli.main(args=argv, prog_name="idcode", standalone_mode=False)


def _contract(run: Callable[[], Any], state: State) -> int:
    """Run the group; every failure becomes one ``error:`` line, a ``hint:`` and its code."""
    try:
        result = run()
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "idcode"
        return _fail(CommandError(exc.format_message(), hint=f"see: {command} --help"))
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the one place that turns exceptions into exit codes
        known = as_command_error(exc)
        if state.debug:
            traceback.print_exception(exc)
        if known is None:
            inner = innermost(exc)
            return _fail(
                CommandError(
                    f"unexpected {type(inner).__name__}: {inner}",
                    code=EXIT_ABORTED,
                    hint="run again with --debug for the traceback, and report it",
                )
            )
        return _fail(known)
    return int(result or 0)


def _fail(error: CommandError) -> int:
    click.echo(f"error: {error.message}", err=True)
    if error.hint:
        click.echo(f"hint: {error.hint}", err=True)
    return error.code if error.code else EXIT_USAGE
