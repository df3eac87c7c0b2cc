"""Every endpoint of the document, one attrs spec class each, grouped by its section.

Importing this package fills :data:`idcode_async.registry`.

- :mod:`.regions_trades`: section 六, regions, trades and unit types (101–105)
- :mod:`.categories`: section 七, code uses and industry categories (201–204)
- :mod:`.units`: section 八, unit registration and information (301–310)
- :mod:`.category_registration`: section 九, category registration and record (401–410)
- :mod:`.codes`: section 十, one-thing-one-code uploads and queries (5011–5014, 502–506)
- :mod:`.pictures_misc`: sections 十一/十二, code pictures and other interfaces (601–608, 701)
"""

from __future__ import annotations

from ._shared import *  # noqa: F403
from ._shared import __all__ as _shared
from .categories import *  # noqa: F403
from .categories import __all__ as _categories
from .category_registration import *  # noqa: F403
from .category_registration import __all__ as _category_registration
from .codes import *  # noqa: F403
from .codes import __all__ as _codes
from .pictures_misc import *  # noqa: F403
from .pictures_misc import __all__ as _pictures_misc
from .regions_trades import *  # noqa: F403
from .regions_trades import __all__ as _regions_trades
from .units import *  # noqa: F403
from .units import __all__ as _units

__all__ = [
    *_shared,
    *_regions_trades,
    *_categories,
    *_units,
    *_category_registration,
    *_codes,
    *_pictures_misc,
]
