"""Each example app started in-process against a sandbox, as a :class:`~.contract.Site`.

* FastAPI: the test runs the app's lifespan (``app.router.lifespan_context``) and reaches the
  app through ``httpx.ASGITransport`` as ``http://sp.test``, its configured public address;
* aiohttp: ``aiohttp.test_utils.TestServer`` on 127.0.0.1 (its cleanup context opens and closes
  the client); no public address is configured, so the app uses the origin requests reach;
* Flask: werkzeug's threaded WSGI server on 127.0.0.1 (a thread per request, one
  ``SyncIdcodeClient`` shared by them); no public address either.

The sandbox is reached through its ASGI transport; one browser routes the app's origin and
the sandbox and refuses every other host.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Final

import httpx
from aiohttp.test_utils import TestServer
from werkzeug.serving import make_server

from examples import aiohttp_app, fastapi_app, flask_app
from idcode_async import IdcodeClient
from idcode_async.sandbox import SANDBOX_BASE_URL, Sandbox

from .browser import Browser
from .contract import Site
from .flows import no_network

__all__ = ["EXAMPLES", "SP_ORIGIN", "aiohttp_site", "fastapi_site", "flask_site"]

SP_ORIGIN: Final = "http://sp.test"
"""The FastAPI example's configured public address (it is reached in-process)."""

ClientFactory = Callable[[], IdcodeClient]


def _browser(sandbox: Sandbox, origin: str, app: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    mounts = {origin: app, SANDBOX_BASE_URL: sandbox.transport()}
    return httpx.AsyncClient(transport=no_network(), mounts=mounts)


@asynccontextmanager
async def fastapi_site(
    sandbox: Sandbox, client_factory: ClientFactory, public_base_url: str | None = SP_ORIGIN
) -> AsyncIterator[Site]:
    app = fastapi_app.create_app(client_factory=client_factory, public_base_url=public_base_url)
    async with (
        app.router.lifespan_context(app),
        _browser(sandbox, SP_ORIGIN, httpx.ASGITransport(app=app)) as http,
    ):
        yield Site(SP_ORIGIN, Browser(http), lambda: app.state.idcode)
    assert app.state.idcode is None


@asynccontextmanager
async def aiohttp_site(sandbox: Sandbox, client_factory: ClientFactory) -> AsyncIterator[Site]:
    app = aiohttp_app.create_app(client_factory=client_factory)
    async with TestServer(app, host="127.0.0.1") as server:
        origin = str(server.make_url("")).rstrip("/")
        async with _browser(sandbox, origin, httpx.AsyncHTTPTransport()) as http:
            yield Site(origin, Browser(http), lambda: app.get(aiohttp_app.IDCODE_CLIENT))


@contextmanager
def _wsgi_server(app: flask_app.Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="flask-example", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@asynccontextmanager
async def flask_site(sandbox: Sandbox, client_factory: ClientFactory) -> AsyncIterator[Site]:
    made: list[IdcodeClient] = []

    def recording_factory() -> IdcodeClient:
        made.append(client_factory())
        return made[-1]

    app = flask_app.create_app(client_factory=recording_factory)
    try:
        with _wsgi_server(app) as origin:
            async with _browser(sandbox, origin, httpx.AsyncHTTPTransport()) as http:
                yield Site(origin, Browser(http), lambda: made[-1] if made else None)
    finally:
        flask_app.close_client(app)  # what the process's exit does for a deployed app


OpenExample = Callable[[Sandbox, ClientFactory], AbstractAsyncContextManager[Site]]

EXAMPLES: Final[dict[str, OpenExample]] = {
    "fastapi": fastapi_site,
    "aiohttp": aiohttp_site,
    "flask": flask_site,
}
"""Every example app, by name: the contract and the parity tests run over all of them."""


def open_example(
    name: str, sandbox: Sandbox, factory: ClientFactory
) -> AbstractAsyncContextManager[Site]:
    return EXAMPLES[name](sandbox, factory)
