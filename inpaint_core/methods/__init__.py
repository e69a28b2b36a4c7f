"""Inpainting methods: one module each, registered by :func:`register_method`."""

from .base import Capabilities, Fill, Method, Option, Result
from .registry import get_method_class, list_methods, register_method

__all__ = [
    "Capabilities", "Fill", "Method", "Option", "Result",
    "get_method_class", "list_methods", "register_method",
]
