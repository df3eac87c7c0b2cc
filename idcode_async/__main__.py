"""``python -m idcode_async`` is the ``idcode`` command."""

from .cli import main

raise SystemExit(main())
