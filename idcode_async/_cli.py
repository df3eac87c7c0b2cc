"""The ``idcode`` command: the demo (main job), the sandbox server and the batch helpers.

Subcommands import their modules lazily, so ``idcode --help`` works with the core install and
each extra (sandbox, cli) is needed only by the subcommand that uses it.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable, Sequence

from ._version import __version__

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


_SANDBOX_MODULES = ("starlette", "multipart", "segno")


def require_extra(extra: str, modules: Sequence[str]) -> None:
    """Exit with an install hint, not a traceback, when an optional extra is missing."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise SystemExit(
            f"this command needs the {extra!r} extra: pip install 'idcode-async[{extra}]' "
            f"(missing: {', '.join(missing)})"
        )


def _demo(args: argparse.Namespace) -> int:
    if not args.base_url:
        require_extra("sandbox", _SANDBOX_MODULES)
    from .demo import run_demo_command

    return run_demo_command(args)


def _sandbox_serve(args: argparse.Namespace) -> int:
    require_extra("sandbox", (*_SANDBOX_MODULES, "uvicorn"))
    from .sandbox import Sandbox
    from .sandbox.serve import serve

    caps = {} if args.max_body_bytes is None else {"max_body_bytes": args.max_body_bytes}
    serve(Sandbox(seeded=args.seeded, **caps), port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idcode", description="idcode-async: tools for the IDcode SP API."
    )
    parser.add_argument("--version", action="version", version=f"idcode-async {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="walk the document's flows end to end (against the embedded sandbox by default)",
        description=(
            "Runs the document's flows (section 五) against an in-process sandbox and prints a "
            "summary. With --base-url (and IDCODE_ACCESS_TOKEN / IDCODE_AUTH_CODE) it runs "
            "against a real centre: read-only steps unless --allow-writes is given."
        ),
    )
    demo.add_argument("--base-url", help="a real centre, e.g. https://apitest.idcode.org.cn")
    demo.add_argument("--company-idcode", help="an existing unit main code (real-centre runs)")
    demo.add_argument(
        "--allow-writes", action="store_true", help="real-centre runs may register and upload"
    )
    demo.add_argument(
        "--out", default="demo-output", help="folder for the code picture (default: demo-output)"
    )
    demo.set_defaults(handler=_demo)

    sandbox = commands.add_parser("sandbox", help="the local IDcode sandbox server")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve = sandbox_commands.add_parser(
        "serve", help="serve the sandbox on 127.0.0.1 (uvicorn) for other processes"
    )
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument(
        "--seeded",
        action="store_true",
        help="start from the document's example unit i.86.120103.1021 and its categories",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        help="answer 413 to request bodies larger than this (default 8 MiB)",
    )
    serve.set_defaults(handler=_sandbox_serve)

    _add_optional_commands(commands)
    return parser


def _add_optional_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Commands contributed by the batch helpers (registration, uploads, scale-out workers)."""
    from .registration.cli import add_register_units_command
    from .scale.cli import add_worker_command
    from .uploads.cli import add_upload_codes_command

    add_register_units_command(commands)
    add_upload_codes_command(commands)
    add_worker_command(commands)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``idcode`` console script and ``python -m idcode_async``."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
