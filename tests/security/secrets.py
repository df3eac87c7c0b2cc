"""Checks that an exception, with everything hanging off it, names no credential."""

from __future__ import annotations

import traceback

from ..wire import TEST_AUTH_CODE, TEST_TOKEN

PASSWORD = "Pässwort-7f3a9c"
SECRETS = (TEST_TOKEN, TEST_AUTH_CODE, PASSWORD)


def exception_texts(error: BaseException) -> list[str]:
    """repr, str and args of ``error`` and of every exception chained to it, and the
    formatted traceback of the whole chain."""
    texts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    stack: list[BaseException | None] = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        texts += [repr(current), str(current), repr(current.args)]
        texts += [repr(value) for value in vars(current).values()]
        stack += [current.__cause__, current.__context__]
    return texts


def assert_no_secret(error: BaseException) -> None:
    for text in exception_texts(error):
        for secret in SECRETS:
            assert secret not in text, f"a credential escapes in {text[:200]!r}"
