"""What the SDK refuses to store: credentials and passwords, by parameter name.

Journals, manifests and results are files an operator keeps, copies and shares; none needs a
secret.  309 itself has no password (the centre derives the default one from the licence
number), so any password-like name reaching a writer is a programming error and is refused
rather than written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ._logging import SECRET_PARAMS

__all__ = ["SecretFieldError", "check_no_secret_names", "is_secret_name"]

_SECRET_PARTS: Final = ("password", "passwd", "pwd", "pswd", "token", "secret", "auth_code")


class SecretFieldError(ValueError):
    """A credential or password field was about to be written to a batch file."""


def is_secret_name(name: str) -> bool:
    """Whether a field name denotes a credential (access token, auth code, hash) or password."""
    lowered = name.strip().lower()
    return lowered in SECRET_PARAMS or any(part in lowered for part in _SECRET_PARTS)


def check_no_secret_names(names: Iterable[str], *, where: str) -> None:
    """Raise :class:`SecretFieldError` if any of ``names`` is a secret's name."""
    secret = sorted(name for name in names if is_secret_name(name))
    if secret:
        raise SecretFieldError(f"{where}: refusing to store secret field(s) {', '.join(secret)}")
