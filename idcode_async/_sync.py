"""``SyncIdcodeClient``: the SDK for blocking code (Django, Flask, Celery, scripts).

One :class:`IdcodeClient` runs on an event loop of its own, in a thread this object starts
(anyio's blocking portal); every method hands its work to that loop and waits for the answer.
So the async client's signing, retries, connection pool and typed errors are reused as they
are, not written a second time, and the pool is shared by every thread that holds this object:
a WSGI server's worker threads share one client the way an ASGI app's requests do.

Named ``SyncIdcodeClient`` rather than renaming the async one: ``IdcodeClient`` is the SDK's
main public name (the README, the examples and every helper take it), so the newcomer gets the
prefix, as ``httpx`` does with ``AsyncClient`` and ``anthropic`` with ``AsyncAnthropic``.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._client import USE_DEFAULT, IdcodeClient, PageForm, TimeoutArg
from ._errors import UsageError
from ._origin import shown_url
from ._spec import Endpoint, PageEndpoint, Response, Spec, require_bindable
from ._validators import shown

__all__ = ["SyncIdcodeClient"]

R = TypeVar("R", bound=Response)
T = TypeVar("T")
P = ParamSpec("P")


class SyncIdcodeClient:
    """A blocking client for the IDcode SP API, safe to share between threads.

    Takes the keywords of :class:`IdcodeClient` (credentials, read from ``IDCODE_*`` variables
    when left out, ``base_url``, ``retry``, ``timeout``, ``transport`` …); :meth:`wrap` adopts
    a client that is already configured (e.g. ``Sandbox().client()``).  ``backend`` is the
    event loop the client runs on: ``"asyncio"`` or ``"trio"``.

    Errors are the async client's own exceptions (:class:`NotFoundError`, :class:`BusyError`
    …), raised in the calling thread.  :meth:`close` waits for calls in flight, closes the
    connection pool and stops the loop thread; closing twice is harmless, and any use after
    closing is a :class:`UsageError`.
    """

    def __init__(
        self,
        *,
        access_token: str | None = None,
        auth_code: str | None = None,
        base_url: str | httpx.URL | None = None,
        backend: str = "asyncio",
        **kwargs: Any,
    ) -> None:
        _check_backend(backend)  # before the client exists, so that nothing is left open
        client = IdcodeClient(
            access_token=access_token, auth_code=auth_code, base_url=base_url, **kwargs
        )
        self._start(client, backend)

    @classmethod
    def wrap(cls, client: IdcodeClient, *, backend: str = "asyncio") -> SyncIdcodeClient:
        """A blocking client around ``client``, which it opens now and closes on :meth:`close`.

        ``client`` must not be open or used by any other event loop.
        """
        if not isinstance(client, IdcodeClient):
            raise UsageError(f"wrap() takes an IdcodeClient, not {type(client).__name__}")
        _check_backend(backend)
        self = cls.__new__(cls)
        self._start(client, backend)
        return self

    def _start(self, client: IdcodeClient, backend: str) -> None:
        self._lock = threading.Condition()
        self._in_flight = 0
        self._closed = False
        self._client = client
        self._portal_cm: AbstractContextManager[BlockingPortal] = start_blocking_portal(backend)
        self._portal = self._portal_cm.__enter__()
        self._client_cm = self._portal.wrap_async_context_manager(client)
        try:
            self._client_cm.__enter__()
        except BaseException:
            self._portal_cm.__exit__(None, None, None)
            raise

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"SyncIdcodeClient(base_url={shown_url(self._client.base_url)!r}, {state})"

    @property
    def base_url(self) -> httpx.URL:
        """The centre's base URL, as the async client holds it."""
        return self._client.base_url

    @property
    def is_closed(self) -> bool:
        return self._closed

    @overload
    def call(
        self,
        spec: Endpoint[R],
        *,
        retries: int | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
        deadline: float | None = None,
    ) -> R: ...

    @overload
    def call(
        self,
        spec: Spec,
        *,
        retries: int | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
        deadline: float | None = None,
    ) -> Response: ...

    def call(
        self,
        spec: Spec,
        *,
        retries: int | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
        deadline: float | None = None,
    ) -> Response:
        """Send ``spec``; its decoded response, or the exception for its result code.

        The same as :meth:`IdcodeClient.call` (retries, timeouts, deadline, errors), blocking.
        """

        async def send(client: IdcodeClient) -> Response:
            return await client.call(spec, retries=retries, timeout=timeout, deadline=deadline)

        return self.run(send)

    def bind(self, spec_type: Callable[P, Endpoint[R]]) -> Callable[P, R]:
        """A function taking ``spec_type``'s own parameters (typed via ParamSpec).

        >>> register = client.bind(UnitRegist)
        >>> unit = register(login_name="…", organunit_name="…", code=1, …)

        The spec is built (and validated) in the calling thread, then sent with :meth:`call`.
        """
        require_bindable(spec_type)

        def call_endpoint(*args: P.args, **kwargs: P.kwargs) -> R:
            return self.call(spec_type(*args, **kwargs))

        call_endpoint.__name__ = getattr(spec_type, "__name__", "call_endpoint")
        call_endpoint.__doc__ = getattr(spec_type, "__doc__", None)
        return call_endpoint

    def page_url(self, spec: PageEndpoint) -> str:
        """The signed URL of a page interface (401/408/607): :meth:`IdcodeClient.page_url`."""
        with self._using():
            return self._portal.call(self._client.page_url, spec)

    def page_form(self, spec: PageEndpoint) -> PageForm:
        """The signed form of a page interface (405 above all): :meth:`IdcodeClient.page_form`."""
        with self._using():
            return self._portal.call(self._client.page_form, spec)

    def run(
        self,
        func: Callable[Concatenate[IdcodeClient, P], Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``await func(client, *args, **kwargs)`` on the client's loop; its result, blocking.

        For the SDK's helpers that take an :class:`IdcodeClient` first, such as the upload
        follow-ups (``client.run(wait_for_record, company, uploadcode_id)``,
        ``client.run(fetch_codes, …)``, ``client.run(verify_upload, …)``) or an app's own
        coroutine that confirms a page callback.
        """

        if not callable(func):
            raise UsageError(f"run() takes a coroutine function, not {type(func).__name__}")

        async def run_with_client() -> T:
            result = func(self._client, *args, **kwargs)
            if not inspect.isawaitable(result):
                raise UsageError(
                    f"run() takes a coroutine function; {func!r} returned no awaitable"
                )
            return await result

        with self._using():
            return self._portal.call(run_with_client)

    @contextmanager
    def _using(self) -> Iterator[None]:
        with self._lock:
            if self._closed:
                raise UsageError("this SyncIdcodeClient is closed")
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()

    def close(self) -> None:
        """Wait for calls in flight, close the connection pool, stop the loop thread.

        New calls are refused from the moment this starts; a second ``close`` returns at once.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._lock.wait_for(lambda: self._in_flight == 0)
        try:
            self._client_cm.__exit__(None, None, None)
        finally:
            self._portal_cm.__exit__(None, None, None)

    def __enter__(self) -> SyncIdcodeClient:
        with self._lock:
            if self._closed:
                raise UsageError("this SyncIdcodeClient is closed")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


_BACKENDS = ("asyncio", "trio")


def _check_backend(backend: object) -> None:
    if not isinstance(backend, str) or backend not in _BACKENDS:
        raise UsageError(f"backend must be 'asyncio' or 'trio', not {shown(backend)}")
