"""One registry of methods: a decorator adds a class, and every module in :mod:`inpaint_core.methods`
is imported once, so that a new method is one new module (plus, if it learns, one recipe and one
catalog entry) and nothing else changes."""

from __future__ import annotations

from ..errors import InpaintError
from ..plugins import Registry
from .base import Method

METHODS: Registry[type[Method]] = Registry(__package__, lambda cls: cls.name, "method", skip=("base", "registry"))
register_method = METHODS.register


def list_methods() -> list[type[Method]]:
    return METHODS.all()


def get_method_class(name: str) -> type[Method]:
    cls = METHODS.find(name)
    if cls is None:
        close = METHODS.close_matches(name)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise InpaintError(f"No method named '{name}'.{hint} `inpaint methods` lists them all.")
    return cls
