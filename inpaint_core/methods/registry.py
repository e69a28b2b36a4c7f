"""One registry of methods, in the spirit of timm's ``register_model``: a decorator adds a class,
and every module in :mod:`inpaint_core.methods` is imported once so that a new method is one new
module (plus, if it learns, one catalog entry) and nothing else changes."""

from __future__ import annotations

import difflib
import importlib
import pkgutil

from ..errors import InpaintError
from .base import Method

_REGISTRY: dict[str, type[Method]] = {}
_DISCOVERED = False


def register_method(cls: type[Method]) -> type[Method]:
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise InpaintError(f"Two methods are registered as '{cls.name}'.")
    _REGISTRY[cls.name] = cls
    return cls


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in ("base", "registry"):
            importlib.import_module(f"{__package__}.{info.name}")


def list_methods() -> list[type[Method]]:
    _discover()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_method_class(name: str) -> type[Method]:
    _discover()
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise InpaintError(f"No method named '{name}'.{hint} `inpaint methods` lists them all.")
    return _REGISTRY[name]
