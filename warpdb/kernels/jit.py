"""Compiled GPU kernels kept for the process: each generated kernel is built once per key."""
from __future__ import annotations

from collections.abc import Callable

_compiled: dict[object, object] = {}


def compiled(key, build: Callable[[], object]):
    """The kernel for `key` (e.g. its source text), built by `build()` the first time it is asked for."""
    kernel = _compiled.get(key)
    if kernel is None:
        kernel = _compiled[key] = build()
    return kernel
