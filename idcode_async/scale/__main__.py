"""``python -m idcode_async.scale worker …``: the worker command without the ``idcode`` script."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
