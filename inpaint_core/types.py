"""The types every layer shares: what a method can do (:class:`Capabilities`), the options it takes
(:class:`Option`), what its fill returns (:class:`Fill`) and what users get (:class:`Result`).

A leaf module (numpy and the errors only), so the size pipeline, the tiling helpers and the methods
all import it without importing each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import InpaintError


@dataclass(frozen=True)
class Capabilities:
    """What a method can do, read by the pipeline, the CLI table, the app and the dashboard."""

    native_size: int | None = None  # side of the square input of a fixed-size model; None = any size
    size_multiple: int = 1  # fully convolutional models: input padded to this multiple
    centre_hole: int | None = None  # fixed-hole models: side of the centre hole at native size
    stochastic: bool = False
    log_likelihood: bool = False
    needs_checkpoint: bool = False
    references: bool = False  # accepts auxiliary reference images
    needs_visible: bool = False  # fills from the visible pixels only (no learned prior): a full mask is refused
    fast: bool = False  # a 512 px photo in well under a second on one core: the app gives these their own lane

    @property
    def hole(self) -> str:
        return f"centre {self.centre_hole}x{self.centre_hole}" if self.centre_hole else "any"


TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def parse_bool(name: str, value: Any) -> bool:
    """A flag from Python, a form, a command line or a benchmark label (``?mirror=false`` is False)."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word not in TRUE_WORDS + FALSE_WORDS:
            raise InpaintError(f"Option '{name}' is true or false, got {value!r}.")
        return word in TRUE_WORDS
    return bool(value)


def check_seed(seed: Any) -> None:
    """A seed is None (fresh randomness) or a whole number >= 0, as numpy's generators take."""
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InpaintError(f"The seed must be a whole number >= 0 (or None for a random one), got {seed!r}.")


@dataclass(frozen=True)
class Option:
    """A per-call option a method accepts, with what the app needs to render a control for it."""

    default: Any
    help: str
    choices: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None

    def check(self, name: str, value: Any) -> Any:
        if value is None:
            return self.default
        if isinstance(self.default, bool):
            return parse_bool(name, value)
        if isinstance(self.default, (int, float)) and not isinstance(value, (int, float)):
            try:
                value = type(self.default)(value)
            except (TypeError, ValueError) as exc:
                raise InpaintError(f"Option '{name}' must be a number, got {value!r}.") from exc
        if isinstance(value, float) and not math.isfinite(value):
            raise InpaintError(f"Option '{name}' must be a finite number, got {value!r}.")
        if isinstance(self.default, int) and isinstance(value, float) and value.is_integer():
            value = int(value)
        if self.choices is not None and value not in self.choices:
            raise InpaintError(f"Option '{name}' must be one of {self.choices}, got {value!r}.")
        if self.minimum is not None and value < self.minimum or self.maximum is not None and value > self.maximum:
            raise InpaintError(f"Option '{name}' must lie in [{self.minimum}, {self.maximum}], got {value!r}.")
        return value


@dataclass
class Fill:
    """What :meth:`Method.fill` returns at native size: float32 HxWx3 in [0, 1] plus extras."""

    image: np.ndarray
    log_likelihood: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    """What users get: uint8 image (alpha re-attached), run time and optional likelihood/extras."""

    image: np.ndarray
    seconds: float
    log_likelihood: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
