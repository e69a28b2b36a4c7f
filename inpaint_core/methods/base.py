"""The one interface every inpainting method implements.

A method subclasses :class:`Method`, declares its :class:`Capabilities` and options, and
implements :meth:`Method.fill` on float32 images at its native size. Conversion of user inputs,
the size pipeline, timing, and the bit-exact paste-back live in :meth:`Method.inpaint`, once.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import InpaintError, MaskError
from ..images import ImageSource, RGBImage, load_image, to_float
from ..limits import check_memory
from ..masks import load_mask


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


class Method:
    """Base class. Subclasses set ``name``, ``description``, ``capabilities``, ``options``."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    paper: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities()
    options: ClassVar[dict[str, Option]] = {}
    #: Peak working memory in bytes per pixel of the image the method sees (the whole photo for
    #: fully convolutional methods, the native square otherwise) and per hole pixel; measured with
    #: benchmarks/method_memory.py (docs/limits.md) and checked against INPAINT_MAX_MEMORY_MB.
    memory_per_pixel: ClassVar[float] = 400.0
    memory_per_hole_pixel: ClassVar[float] = 0.0
    #: A bound on the pixels the method works on: a larger region is shrunk to it and the fill enlarged
    #: back (a learned model whose cost grows with the photo); None = full resolution always.
    max_working_pixels: ClassVar[int | None] = None
    #: Set per checkpoint: the side at which a model trained on whole objects (aligned faces, CIFAR-10
    #: objects) saw them; the photo is resized so its short side is that size. None = native pixel scale.
    object_size: int | None = None

    def __init__(self, checkpoint: Path | None = None, **defaults: Any) -> None:
        self.checkpoint = checkpoint
        self.defaults = self.check_options(defaults)

    # -- to implement -------------------------------------------------------------------------
    def fill(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, **options: Any) -> Fill | np.ndarray:
        """Fill ``mask`` (True = hole) in ``image`` (float32, hole pixels zeroed) at native size; a bare
        float image is accepted when there is nothing else to report."""
        raise NotImplementedError

    def fill_batch(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, n: int,
                   **options: Any) -> list[Fill | np.ndarray]:
        """``n`` fills of one hole; a model that samples several at once (one batch) overrides this."""
        return [self.fill(image, mask, rng, **options) for _ in range(n)]

    def context(self, options: dict[str, Any]) -> int | None:
        """How many pixels around the hole's bounding box the fill depends on; None = the whole photo.
        A method that returns a margin runs on that box only, which is what makes a large photo cheap."""
        return None

    # -- provided -------------------------------------------------------------------------------
    @classmethod
    def check_options(cls, given: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(given) - set(cls.options))
        if unknown:
            known = ", ".join(cls.options) or "none"
            raise InpaintError(f"Method '{cls.name}' has no option {', '.join(unknown)}; its options are: {known}.")
        return {k: cls.options[k].check(k, v) for k, v in given.items()}

    def resolved_options(self, given: dict[str, Any]) -> dict[str, Any]:
        merged = {k: spec.default for k, spec in self.options.items()}
        merged.update(self.defaults)
        merged.update(self.check_options({k: v for k, v in given.items() if v is not None}))
        return merged

    def inpaint(
        self,
        image: ImageSource | RGBImage,
        mask: ImageSource,
        *,
        seed: int | None = None,
        references: list[ImageSource] | None = None,
        **options: Any,
    ) -> Result:
        """Fill the hole of ``image``; pixels outside the hole come back bit-exact."""
        return self._run(image, mask, 1, seed, references, options)[0]

    def sample(self, image: ImageSource, mask: ImageSource, n: int, *, seed: int | None = None,
               references: list[ImageSource] | None = None, **options: Any) -> list[Result]:
        """``n`` fills of one hole from one seed, most likely first when likelihoods exist; ``seconds``
        of each is the time of all ``n`` divided by ``n``."""
        results = self._run(image, mask, n, seed, references, options)
        if all(r.log_likelihood is not None for r in results):
            results.sort(key=lambda r: -float(r.log_likelihood))  # type: ignore[arg-type]
        return results

    def memory_estimate(self, hole: np.ndarray, n: int = 1, options: dict[str, Any] | None = None) -> float:
        """Bytes a fill of ``hole`` needs at its peak: a uint8 copy of the photo per fill, the region's
        float copies (about 40 bytes per pixel of the region, each of ``n`` fills kept), the square
        window a fixed-size model is cut from (float copies before and after resizing), and the
        method's own working memory over what it sees."""
        from ..pipeline import plan_region, plan_window

        region = plan_region(self, hole, self.resolved_options(options or {}))
        native = self.capabilities.native_size
        work = region.working_shape
        seen = work[0] * work[1] if native is None else native * native
        window = 0 if native is None else 3 * 12.0 * plan_window(hole, native, self.capabilities.centre_hole).side ** 2
        return (3.0 * hole.size * n + 40.0 * (region.shape[0] * region.shape[1] + seen) * n + window
                + self.memory_per_pixel * seen + self.memory_per_hole_pixel * float(hole[region.slices].sum()) * region.scale ** 2)

    def _run(self, image: ImageSource | RGBImage, mask: ImageSource, n: int, seed: int | None,
             references: list[ImageSource] | None, options: dict[str, Any]) -> list[Result]:
        from ..pipeline import fill_region

        start = time.perf_counter()
        check_seed(seed)
        rgb = load_image(image)
        hole = load_mask(mask, rgb.shape)
        if not hole.any():
            message = "The mask has no hole: the image is returned unchanged."
            warnings.warn(message, stacklevel=3)
            return [Result(rgb.with_rgb(rgb.rgb.copy()), time.perf_counter() - start, message=message)]
        opts = self.resolved_options(options)
        if hole.all() and self.capabilities.needs_visible:
            raise MaskError(f"The mask hides the whole image, and '{self.name}' fills the hole from the pixels "
                            "around it: leave part of the image unmasked.")
        check_memory(self.memory_estimate(hole, n, opts), f"'{self.name}' on this {hole.shape[1]}x{hole.shape[0]} image")
        if references:
            if not self.capabilities.references:
                raise InpaintError(f"Method '{self.name}' does not use reference images; remove them or pick Sim-k.")
            opts["references"] = [to_float(load_image(r).rgb) for r in references]
        rng = np.random.default_rng(seed)
        fills, outs, info = fill_region(self, rgb.rgb, hole, rng, opts, n)
        seconds = (time.perf_counter() - start) / n
        return [Result(rgb.with_rgb(filled), seconds, out.log_likelihood, {**out.extras, **info})
                for filled, out in zip(fills, outs)]
