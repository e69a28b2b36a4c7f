"""PatchMatch (Barnes et al., SIGGRAPH 2009) through the PyPatchMatch wheel: the photo baseline.

Diffusion fills (Telea, biharmonic) smear the hole's border inwards; PatchMatch copies real texture
from elsewhere in the photo, which is why it beats them on perceptual metrics and by eye while
scoring level on pixel error. The native library keeps its random seed as global state, so calls
are serialised and each one sets the seed it was given.
"""

from __future__ import annotations

import threading

import numpy as np

from ..errors import InpaintError
from ..images import to_float, to_uint8
from .base import Capabilities, Method, Option
from .registry import register_method

_LOCK = threading.Lock()

PATCH_SIZE = Option(3, "patch radius in pixels (patches of (2r+1)^2 pixels): larger follows larger structures, "
                       "much slower", minimum=1, maximum=15)

#: PatchMatch's time grows with the pixels it searches: a method that runs it on a large photo's hole
#: region works there at about 640x640 (the photo network alone: 768x768), sized to the time bar of a
#: 6000x4000 photo (docs/results/photo-models.md).
WORKING_PIXELS = 640 * 640


def patchmatch_fill(image: np.ndarray, mask: np.ndarray, seed: int, patch_size: int = 3) -> np.ndarray:
    """PatchMatch's fill of ``mask`` (True = hole) in a float image, repeatable from ``seed``."""
    try:
        import patchmatch  # the wheel's native library loads on first use, not at registry import
    except ImportError as exc:
        raise InpaintError("PatchMatch needs the PyPatchMatch wheel: pip install pypatchmatch") from exc
    with _LOCK:
        patchmatch.set_random_seed(seed)
        out = patchmatch.inpaint(to_uint8(image), mask.astype(np.uint8) * 255, patch_size=int(patch_size))
    return to_float(out)


@register_method
class PatchMatch(Method):
    name = "patchmatch"
    description = ("PatchMatch: fills the hole with patches copied from the rest of the photo; no training, "
                   "any size, real texture.")
    paper = "Barnes et al., PatchMatch: a randomized correspondence algorithm for structural image editing, 2009"
    capabilities = Capabilities(stochastic=True, needs_visible=True)
    memory_per_pixel = 120.0  # docs/limits.md
    options = {"patch_size": PATCH_SIZE}

    def fill(self, image, mask, rng, patch_size=3):
        return patchmatch_fill(image, mask, int(rng.integers(2**32)), patch_size)
