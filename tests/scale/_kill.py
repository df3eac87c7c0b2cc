"""Killing a worker *while* it holds an item in flight, without a race against the worker."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable


def kill_if_still(process: subprocess.Popen[bytes], holds: Callable[[], bool]) -> bool:
    """SIGKILL ``process`` if ``holds()`` is still true once the process is frozen.

    Seeing a worker hold an item and then killing it is a race: on a loaded machine the worker
    may finish the request between the look and the signal, and the test then kills a worker
    with nothing in flight.  SIGSTOP freezes the worker first; what Redis says after that can
    no longer change by the worker's hand, so the look and the kill see the same state.  When
    the worker no longer holds the item it is resumed and ``False`` returned: look again.
    """
    process.send_signal(signal.SIGSTOP)
    if holds():
        process.send_signal(signal.SIGKILL)
        return True
    process.send_signal(signal.SIGCONT)
    return False
