"""A registry of classes found by importing every module of a package, in the spirit of timm's
``register_model``: a new method or recipe is one new module and nothing else changes. The method
registry and the recipe registry are two of these."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import InpaintError

T = TypeVar("T", bound=type)


class Registry(Generic[T]):
    """Classes by name; ``package``'s modules (but ``skip``) are imported on the first lookup."""

    def __init__(self, package: str, name_of: Callable[[T], str], kind: str, skip: tuple[str, ...] = ()) -> None:
        self.package, self.name_of, self.kind, self.skip = package, name_of, kind, skip
        self.classes: dict[str, T] = {}
        self._discovered = False

    def register(self, cls: T) -> T:
        name = self.name_of(cls)
        if name in self.classes and self.classes[name] is not cls:
            raise InpaintError(f"Two {self.kind}s are registered as '{name}'.")
        self.classes[name] = cls
        return cls

    def discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        package = importlib.import_module(self.package)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name not in self.skip:
                importlib.import_module(f"{self.package}.{info.name}")

    def all(self) -> list[T]:
        self.discover()
        return [self.classes[k] for k in sorted(self.classes)]

    def find(self, name: str) -> T | None:
        self.discover()
        return self.classes.get(name)

    def close_matches(self, name: str) -> list[str]:
        return difflib.get_close_matches(name, list(self.classes), n=3)
