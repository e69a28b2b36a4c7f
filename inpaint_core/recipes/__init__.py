"""Training recipes, one module per checkpoint family: the schema and defaults of its values (data,
masks, schedule) and its losses and steps. A learned method is one module in
:mod:`inpaint_core.methods` plus one recipe here plus its catalog entry."""

from __future__ import annotations

from ..errors import InpaintError
from ..methods.registry import get_method_class
from ..plugins import Registry
from .base import FittedRecipe, Recipe, SGDRecipe

RECIPES: Registry[type[Recipe]] = Registry(__name__, lambda cls: cls.method, "recipe", skip=("base", "data"))
register_recipe = RECIPES.register


def get_recipe(method: str) -> type[Recipe]:
    """The recipe class that trains ``method``."""
    cls = RECIPES.find(method)
    if cls is None:
        get_method_class(method)  # an unknown name gets the registry's message, with its suggestions
        trainable = ", ".join(sorted(RECIPES.classes))
        raise InpaintError(f"Method '{method}' has nothing to train; methods with a recipe: {trainable}.")
    return cls


def list_recipes() -> list[type[Recipe]]:
    return RECIPES.all()


__all__ = ["FittedRecipe", "Recipe", "SGDRecipe", "get_recipe", "list_recipes", "register_recipe"]
