"""The site's hook module (``docs/hooks.py``), loaded from its file for the tests."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from .markdown import ROOT

__all__ = ["load_hooks"]


def load_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("idcode_docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
