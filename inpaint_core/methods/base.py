"""The one interface every inpainting method implements.

A method subclasses :class:`Method`, declares its :class:`Capabilities` and options, and
implements :meth:`Method.fill` on float32 images at its native size. Conversion of user inputs,
the size pipeline, timing, and the bit-exact paste-back live in :meth:`Method.inpaint`, once.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import InpaintError, MaskError
from ..images import ImageSource, RGBImage, load_image, to_float
from ..limits import check_memory
from ..masks import load_mask
from ..pipeline import fill_region, plan_region, plan_window
from ..types import Capabilities, Fill, Option, Result, check_seed, parse_bool

__all__ = ["Capabilities", "Fill", "Method", "Option", "Result", "check_seed", "parse_bool"]


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
    #: A method built on another method's network (a hybrid) runs that method's checkpoints.
    checkpoints_of: ClassVar[str | None] = None

    @classmethod
    def checkpoint_family(cls) -> str:
        """The method whose catalog entries this one loads."""
        return cls.checkpoints_of or cls.name

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
        region = plan_region(self, hole, self.resolved_options(options or {}))
        native = self.capabilities.native_size
        work = region.working_shape
        seen = work[0] * work[1] if native is None else native * native
        window = 0 if native is None else 3 * 12.0 * plan_window(hole, native, self.capabilities.centre_hole).side ** 2
        return (3.0 * hole.size * n + 40.0 * (region.shape[0] * region.shape[1] + seen) * n + window
                + self.memory_per_pixel * seen + self.memory_per_hole_pixel * float(hole[region.slices].sum()) * region.scale ** 2)

    def _run(self, image: ImageSource | RGBImage, mask: ImageSource, n: int, seed: int | None,
             references: list[ImageSource] | None, options: dict[str, Any]) -> list[Result]:
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
