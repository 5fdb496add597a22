"""Question types (单选 / 多选 / 判断 / 填空 …): one module per type, one registry (see base.py).

Every module in this package is imported here, so a type registers itself just by existing.
"""

from __future__ import annotations

import importlib
import pkgutil

from lms.question_types.base import (
    LETTERS,
    BadAnswer,
    QuestionType,
    all_types,
    get,
    names,
    register,
    unregister,
)

__all__ = ["LETTERS", "BadAnswer", "QuestionType", "all_types", "get", "names", "register", "unregister"]

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
