"""Training recipes, one module per checkpoint family: the schema and defaults of its values (data,
masks, schedule) and its losses and steps. A learned method is one module in
:mod:`inpaint_core.methods` plus one recipe here plus its catalog entry."""

from __future__ import annotations

import importlib
import pkgutil

from ..errors import InpaintError
from .base import FittedRecipe, Recipe, SGDRecipe

_RECIPES: dict[str, type[Recipe]] = {}
_DISCOVERED = False


def register_recipe(cls: type[Recipe]) -> type[Recipe]:
    if cls.method in _RECIPES and _RECIPES[cls.method] is not cls:
        raise InpaintError(f"Two recipes train '{cls.method}'.")
    _RECIPES[cls.method] = cls
    return cls


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    for info in pkgutil.iter_modules(__path__):
        if info.name not in ("base", "data"):
            importlib.import_module(f"{__name__}.{info.name}")


def get_recipe(method: str) -> type[Recipe]:
    """The recipe class that trains ``method``."""
    _discover()
    if method not in _RECIPES:
        from ..methods.registry import get_method_class

        get_method_class(method)  # an unknown name gets the registry's message, with its suggestions
        trainable = ", ".join(sorted(_RECIPES))
        raise InpaintError(f"Method '{method}' has nothing to train; methods with a recipe: {trainable}.")
    return _RECIPES[method]


def list_recipes() -> list[type[Recipe]]:
    _discover()
    return [_RECIPES[k] for k in sorted(_RECIPES)]


__all__ = ["FittedRecipe", "Recipe", "SGDRecipe", "get_recipe", "list_recipes", "register_recipe"]
