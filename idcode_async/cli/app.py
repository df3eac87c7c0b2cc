"""The group, the entry point and the one error contract.

:func:`main` runs the group without click's own exception printing, so that every failure goes
through one place: an expected one prints one ``error:`` line (and at most one ``hint:``) on
stderr and exits with its documented code; anything else says it is unexpected, and only
``--debug`` (accepted anywhere before ``--``) shows a traceback.  Ctrl-C that reaches here exits
130; a standard output closed by its reader (``| head``) exits 141 without a word, where click
would exit 1, the code that means "some rows failed".
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
import click

from .._version import __version__
from ._errors import as_command_error, innermost
from ._exit import (
    EXIT_ABORTED,
    EXIT_INTERRUPTED,
    EXIT_PIPE,
    EXIT_USAGE,
    CommandError,
    exit_code_epilog,
)
from .demo import demo
from .register_units import register_units_command
from .sandbox import sandbox
from .upload_codes import upload_codes_command
from .worker import worker

__all__ = ["cli", "main"]


_NO_ARGS_HELP: tuple[type[click.UsageError], ...] = tuple(
    getattr(click.exceptions, name)
    for name in ("NoArgsIsHelpError",)
    if hasattr(click.exceptions, name)
)
"""click 8.2+ raises this for a group given no command (8.1 prints the help and exits 0)."""


@attrs.define
class State:
    """What the group's options decide for the whole invocation."""

    debug: bool = False


class OutputClosedError(Exception):
    """Standard output's reader went away (EPIPE); not an ``OSError``, so click passes it on."""


@contextmanager
def _output_guard() -> Iterator[None]:
    """Turn EPIPE into :class:`OutputClosedError` before click's own handler makes it exit 1."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        raise OutputClosedError from None


def _debug_first(argv: list[str]) -> list[str]:
    """``--debug`` given after a command (where a hint's reader puts it) moves to the group."""
    end = argv.index("--") if "--" in argv else len(argv)
    if "--debug" not in argv[:end]:
        return argv
    return ["--debug", *(word for word in argv[:end] if word != "--debug"), *argv[end:]]


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
        argv = _debug_first(list(sys.argv[1:] if args is None else args))
        state = State(debug=argv[:1] == ["--debug"])
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

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with _output_guard():  # --help and --version print while the context is made
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _output_guard():
            return super().invoke(ctx)


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
    except OutputClosedError:
        _silence_stdout()
        return EXIT_PIPE
    except _NO_ARGS_HELP as exc:  # ``idcode`` or ``idcode sandbox`` alone: the help, no error
        click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message(), err=True)
        return EXIT_USAGE
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
                    hint="run again as 'idcode --debug …' for the traceback, and report it",
                )
            )
        return _fail(known)
    return int(result or 0)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real descriptor (CliRunner's stream): nothing to flush
        pass


def _fail(error: CommandError) -> int:
    click.echo(f"error: {error.message}", err=True)
    if error.hint:
        click.echo(f"hint: {error.hint}", err=True)
    return error.code if error.code else EXIT_USAGE
