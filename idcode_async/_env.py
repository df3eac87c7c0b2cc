"""Environment variable names shared by the client, the CLI and the workers.

Defined once here so that ``IdcodeClient()``, every ``idcode`` command and the arq worker read
the same variables.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ENV_AUTH_CODE", "ENV_BASE_URL", "ENV_REDIS_URL", "ENV_TOKEN"]

ENV_TOKEN: Final = "IDCODE_ACCESS_TOKEN"
"""The SP's access token (``access_token`` on the wire)."""
ENV_AUTH_CODE: Final = "IDCODE_AUTH_CODE"
"""The system authorisation code that keys the signature (never sent)."""
ENV_BASE_URL: Final = "IDCODE_BASE_URL"
"""The centre's base URL; the test host when unset."""
ENV_REDIS_URL: Final = "IDCODE_REDIS_URL"
"""The Redis URL of the scale-out pace, journal and arq queue."""
