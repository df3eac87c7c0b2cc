"""``python -m idcode_async`` is the ``idcode`` command."""

from ._cli import main

raise SystemExit(main())
