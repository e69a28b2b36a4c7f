"""Resource limits, in one place: each has a default and an environment variable that moves it.

Like ImageMagick's ``policy.xml``, width, height, aspect ratio, pixel count and working memory are
capped separately, and every check runs before anything large is allocated, so a hostile or
mistaken input (a 40,000,000 x 1 PNG, a decompression bomb, a 50% hole in a 2048 px photo for a
solver that grows with the hole) is refused with a message naming the limit and its variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import ImageTooLargeError, InpaintError, ResourceLimitError


@dataclass(frozen=True)
class Limit:
    env: str
    default: float
    what: str


LIMITS = {
    "pixels": Limit("INPAINT_MAX_PIXELS", 40_000_000, "pixels per image"),
    "side": Limit("INPAINT_MAX_SIDE", 20_000, "pixels on the longer side"),
    "aspect": Limit("INPAINT_MAX_ASPECT", 100, "ratio of the longer to the shorter side"),
    "memory_mb": Limit("INPAINT_MAX_MEMORY_MB", 6_144, "MB of working memory per fill"),
}


def limit(name: str, override: float | None = None) -> float:
    """The limit in force: ``override`` if given, else the environment variable, else the default."""
    spec = LIMITS[name]
    if override is not None:
        return float(override)
    raw = os.environ.get(spec.env)
    if raw is None:
        return float(spec.default)
    try:
        value = float(raw)
    except ValueError as exc:
        raise InpaintError(f"{spec.env}={raw!r} is not a number; it sets the {spec.what}.") from exc
    if not value > 0:
        raise InpaintError(f"{spec.env}={raw!r} must be positive; it sets the {spec.what}.")
    return value


def check_image_size(width: int, height: int, what: str, max_pixels: int | None = None) -> None:
    """Refuse an image above the pixel, side or aspect-ratio limit (before it is decoded)."""
    checks = (("pixels", width * height, f"{width}x{height} = {width * height:,} pixels", max_pixels),
              ("side", max(width, height), f"{max(width, height):,} px on its longer side", None),
              ("aspect", max(width, height) / max(min(width, height), 1), f"{width}x{height}, an aspect ratio of "
               f"{max(width, height) / max(min(width, height), 1):,.0f}:1", None))
    for name, value, described, override in checks:
        cap = limit(name, override)
        if value > cap:
            extra = "max_pixels=... / " if name == "pixels" else ""
            raise ImageTooLargeError(
                f"{what} is {described}; the limit is {cap:,.0f} ({LIMITS[name].what}). Downscale or crop it "
                f"first, or raise the limit with {extra}{LIMITS[name].env}."
            )


def check_memory(estimate_bytes: float, what: str) -> None:
    """Refuse a job whose estimated working memory passes the memory limit."""
    cap = limit("memory_mb")
    if estimate_bytes > cap * 2**20:
        raise ResourceLimitError(
            f"{what} would need about {estimate_bytes / 2**30:.1f} GB of memory, above the limit of "
            f"{cap / 1024:.1f} GB ({LIMITS['memory_mb'].env}). Use a smaller photo or hole, a faster method, or raise "
            "the limit."
        )
