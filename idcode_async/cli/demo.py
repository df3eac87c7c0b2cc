"""``idcode demo``: the document's flows (section 五) end to end, with a summary table."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import anyio
import attrs
import click

from .._client import IdcodeClient
from ..demo import DemoStep, print_summary, sandbox_demo, walk_flows
from ._exit import EXIT_OK, CommandError
from ._extras import SANDBOX_MODULES, require_extra
from ._options import (
    Credentials,
    capped_timeout,
    credential_options,
    require_credentials,
    seconds_option,
)
from ._runtime import interruptible

__all__ = ["DemoSettings", "demo"]


@attrs.frozen
class DemoSettings:
    out_dir: Path
    base_url: str | None = None
    credentials: Credentials | None = None
    allow_writes: bool = False
    company_idcode: str | None = None
    timeout: float = 30.0


@click.command(
    "demo",
    short_help="walk the document's flows end to end (against the embedded sandbox by default)",
)
@click.option("--base-url", help="a real centre, e.g. https://apitest.idcode.org.cn")
@click.option("--company-idcode", help="an existing unit main code (real-centre runs)")
@click.option("--allow-writes", is_flag=True, help="real-centre runs may register and upload")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="folder for the code picture",
)
@seconds_option("--timeout", default=30.0, help="request timeout against --base-url, seconds")
@credential_options
def demo(
    base_url: str | None,
    company_idcode: str | None,
    allow_writes: bool,
    out: Path,
    timeout: float,
    access_token: str | None,
    auth_code: str | None,
) -> int:
    """Runs the document's flows (section 五) against an in-process sandbox and prints a
    summary. With --base-url (and IDCODE_ACCESS_TOKEN / IDCODE_AUTH_CODE) it runs against a
    real centre: read-only steps unless --allow-writes is given."""
    if base_url is None and (company_idcode or allow_writes):
        raise CommandError(
            "--company-idcode and --allow-writes are for a real centre: give --base-url too",
            hint="the embedded sandbox always registers and uploads",
        )
    settings = DemoSettings(
        out_dir=out,
        base_url=base_url,
        credentials=require_credentials(access_token, auth_code) if base_url else None,
        allow_writes=allow_writes,
        company_idcode=company_idcode,
        timeout=timeout,
    )
    if settings.base_url is None:
        require_extra("sandbox", SANDBOX_MODULES)
        title = "idcode demo against the embedded sandbox"
    else:
        title = f"idcode demo against {settings.base_url}"
    print_summary(title, anyio.run(interruptible, partial(run_demo, settings)))
    return EXIT_OK


async def run_demo(settings: DemoSettings) -> list[DemoStep]:
    """The demo's steps: the sandbox's, or a real centre's with the given credentials."""
    if settings.base_url is None or settings.credentials is None:
        return await sandbox_demo(settings.out_dir)
    async with IdcodeClient(
        access_token=settings.credentials.access_token,
        auth_code=settings.credentials.auth_code,
        base_url=settings.base_url,
        timeout=capped_timeout(settings.timeout),
    ) as client:
        return await walk_flows(
            client,
            out_dir=settings.out_dir,
            writes=settings.allow_writes,
            company_idcode=settings.company_idcode,
        )
