"""A pytest plugin for testing your own code against the IDcode sandbox.

Installed with the ``sandbox`` extra (``pip install 'idcode-async[sandbox]'``) and loaded by
pytest through its ``pytest11`` entry point: nothing to add to ``conftest.py``.

Fixtures (names start with ``idcode_`` so that they do not clash with a project's own):

``idcode_sandbox``
    A fresh in-process :class:`~idcode_async.sandbox.Sandbox` per test.  Configure it with
    the ``idcode_sandbox`` marker, whose keywords are :class:`~idcode_async.sandbox.SandboxConfig`
    fields: ``@pytest.mark.idcode_sandbox(seeded=True, approval_delay=0)``.
``idcode_client``
    An :class:`~idcode_async.IdcodeClient` bound to ``idcode_sandbox`` in-process (no
    socket).  It is not entered; use it as is or in ``async with``.
``idcode_sandbox_url``
    The same sandbox served on ``http://127.0.0.1:<port>``, for code that is not Python or
    that builds its own HTTP client.
``idcode_sandbox_env``
    ``IDCODE_ACCESS_TOKEN``, ``IDCODE_AUTH_CODE`` and ``IDCODE_BASE_URL`` for a child
    process that should talk to the served sandbox.

Helpers, synchronous, which change the sandbox's state directly (no request is sent, so
nothing is counted in ``stats()``): :func:`register_unit`, :func:`register_category` and
:func:`finish_reviews`.

Importing this module costs one import of :mod:`pytest`: the sandbox (starlette, uvicorn…)
is imported when a fixture is first used, so a project without the ``sandbox`` extra, or one
that never uses these fixtures, pays nothing; a fixture used without the extra fails with the
install command.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ._env import ENV_AUTH_CODE, ENV_BASE_URL, ENV_TOKEN

if TYPE_CHECKING:
    from ._client import IdcodeClient
    from .sandbox import Sandbox

__all__ = [
    "finish_reviews",
    "idcode_client",
    "idcode_sandbox",
    "idcode_sandbox_env",
    "idcode_sandbox_url",
    "register_category",
    "register_unit",
]

_MARKER = "idcode_sandbox"
_EXTRA_MODULES = ("starlette", "multipart", "segno", "uvicorn")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**config): configure the idcode_sandbox fixture with SandboxConfig fields, "
        "e.g. seeded=True or approval_delay=0 (idcode_async.testing)",
    )


def _require_extra() -> None:
    missing = [name for name in _EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(
            "the idcode_sandbox fixtures need the sandbox extra: "
            f"pip install 'idcode-async[sandbox]' (missing: {', '.join(missing)})",
            pytrace=False,
        )


@pytest.fixture
def idcode_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A fresh in-process sandbox; ``@pytest.mark.idcode_sandbox(**config)`` configures it."""
    _require_extra()
    from .sandbox import Sandbox  # the optional extra: imported when first used, not at load

    overrides: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(_MARKER))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{_MARKER} takes keywords only")
        overrides.update(marker.kwargs)
    with Sandbox(**overrides) as sandbox:
        yield sandbox


@pytest.fixture
def idcode_client(idcode_sandbox: Sandbox) -> IdcodeClient:
    """An ``IdcodeClient`` bound to ``idcode_sandbox`` in-process, signed with its test key."""
    return idcode_sandbox.client()


@pytest.fixture
def idcode_sandbox_url(idcode_sandbox: Sandbox) -> Iterator[str]:
    """``idcode_sandbox`` served on ``http://127.0.0.1:<port>`` for the test's duration."""
    from .sandbox.serve import running  # uvicorn: imported when first used

    with running(idcode_sandbox) as base_url:
        yield base_url


@pytest.fixture
def idcode_sandbox_env(idcode_sandbox: Sandbox, idcode_sandbox_url: str) -> dict[str, str]:
    """The environment that points ``IdcodeClient()`` and ``idcode`` at the served sandbox."""
    token, auth_code = next(iter(idcode_sandbox.config.keys.items()))
    return {ENV_TOKEN: token, ENV_AUTH_CODE: auth_code, ENV_BASE_URL: idcode_sandbox_url}


def register_unit(
    sandbox: Sandbox,
    name: str,
    *,
    login_name: str | None = None,
    region: tuple[int, int, int] = (110000, 110000, 110105),
    approved: bool = True,
) -> str:
    """Pre-register a unit (as 309 then 305 would); its main code, e.g. ``i.86.110105.1``.

    ``approved`` (the default): its review is over; else it ends after the sandbox's
    ``approval_delay`` (see :func:`finish_reviews`).  ``login_name`` defaults to one derived
    from the unit's number; the password is its last six characters, as for 309.
    """
    from .sandbox.seeded import add_unit  # the sandbox extra: this plugin loads without it

    state = sandbox.state
    login = login_name or f"TEST{len(state.units) + 1:014d}"
    if state.unit_named(name) is not None or state.unit_with_login(login) is not None:
        raise ValueError(f"the sandbox already has a unit named {name!r} or login {login!r}")
    return add_unit(state, name=name, login_name=login, region=region, approved=approved).idcode


def register_category(
    sandbox: Sandbox,
    company_idcode: str,
    *,
    industrycategory_id: int = 232324,
    model_number: str = "示例产品",
    model_number_code: str = "",
    gotourl: str = "http://www.example.com/scan?code={fullCode}",
    approved: bool = True,
) -> str:
    """Pre-register a product category (as 406 would) of a unit; its complete code.

    ``industrycategory_id`` is one of the sandbox's categories (202/204; default 232324
    洗衣液); the code use is the category's.  ``model_number_code`` empty numbers the
    category 1, 2, … as the centre does.  E.g. ``i.86.110105.1/10.232324.1/``.
    """
    # The sandbox extra: the plugin itself loads on a core install, as pytest loads it.
    from .sandbox.reference_data import category_by_id
    from .sandbox.registrations import RegistrationRequest
    from .sandbox.seeded import add_category

    category = category_by_id(industrycategory_id)
    if category is None:
        raise ValueError(f"the sandbox has no industry category {industrycategory_id}")
    unit = sandbox.state.unit(company_idcode)
    if unit is None:
        raise ValueError(f"the sandbox has no unit {company_idcode!r}")
    request = RegistrationRequest(
        via=406,
        industrycategory_id=industrycategory_id,
        codeuse_id=category.codeuse_id,
        category_code=category.industrycategory_code,
        code_pay_type=2,
        gotourl=gotourl,
        model_number=model_number,
        model_number_code=model_number_code,
    )
    return add_category(sandbox.state, unit, request, approved=approved).complete_code


def finish_reviews(sandbox: Sandbox) -> None:
    """Advance the centre's clock past ``approval_delay``: every pending review is over."""
    sandbox.advance_time(sandbox.config.approval_delay)
