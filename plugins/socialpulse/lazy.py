"""Registries name their entries as "module:name" strings and import one only when it is asked for,
so that parsing a DAG file stays cheap (networks.NETWORKS, exports.FORMATS)."""

from __future__ import annotations

import importlib
from typing import Any


def load(target: str) -> Any:
    """The object a "module:name" string names, its module imported now."""
    module_name, name = target.split(":")
    return getattr(importlib.import_module(module_name), name)
