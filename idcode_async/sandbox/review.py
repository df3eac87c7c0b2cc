"""Review progress (308 ``is_audit``, 306 ``status_id``, 608 ``examine_status``), as pure
functions of when a review started, the centre's time and the configured delay.

A review that has not started (a 301 unit that has not completed its details with 305) is
0 "not reviewed"; a started one is 1 "under review" until ``approval_delay`` has passed, then
100 "approved", or -1 "failed" when the sandbox's ``reject_marker`` asked for a rejection.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Final

__all__ = [
    "APPROVED",
    "NOT_STARTED",
    "REJECTED",
    "UNDER_REVIEW",
    "beijing_time",
    "review_status",
    "unit_status_id",
]

NOT_STARTED: Final = 0
UNDER_REVIEW: Final = 1
APPROVED: Final = 100
REJECTED: Final = -1
_BEIJING: Final = timezone(timedelta(hours=8))


def review_status(started_ms: int | None, now_ms: int, delay_ms: int, rejected: bool) -> int:
    """308's ``is_audit`` and 608's ``examine_status``: 0, 1, 100 or -1."""
    if started_ms is None:
        return NOT_STARTED
    if now_ms < started_ms + delay_ms:
        return UNDER_REVIEW
    return REJECTED if rejected else APPROVED


def unit_status_id(review: int) -> int:
    """306's ``status_id``: -100 details to complete, 0 pending review, 100 formal, -1 failed."""
    return {NOT_STARTED: -100, UNDER_REVIEW: 0, APPROVED: 100}.get(review, REJECTED)


def beijing_time(epoch_ms: int) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in China Standard Time, the centre's date format."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=_BEIJING)
    return moment.strftime("%Y-%m-%d %H:%M:%S")
