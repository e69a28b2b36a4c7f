"""Learned structure, copied texture: the photo network's low frequencies under PatchMatch's texture.

A network trained on a CPU's budget predicts where edges and colours continue into the hole, but its
fill is smooth; PatchMatch copies real texture but may copy it from the wrong place (a patch of sky
inside a wall), which shows as a wrong colour or shading over an area. Here PatchMatch fills the hole,
then, away from the hole's edge, everything coarser than ``structure_scale`` pixels is replaced by the
network's fill: the texture is copied, its colour and light are predicted. This is the learned-structure
+ PatchMatch-texture hybrid the photo leaderboard compares with both parts alone
(docs/results/photo-models.md).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from ..masks import hole_depth
from ..types import Option
from .lama import LaMa
from .patchmatch import PATCH_SIZE, WORKING_PIXELS, PatchMatch, patchmatch_fill
from .registry import register_method


#: Hole pixels this far (px) from the hole's edge take all of the network's correction; nearer, less: at
#: the edge PatchMatch copies the pixels next to the hole, which are already right (measured on the photo
#: leaderboard: docs/results/photo-models.md).
EDGE_REACH = 16.0


def blend_frequencies(texture: np.ndarray, structure: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """``texture`` with its hole's content coarser than ``sigma`` pixels moved to ``structure``'s, fully
    from :data:`EDGE_REACH` px inside the hole on.

    The difference of the two fills is low-passed over the hole alone (a Gaussian normalised by the
    hole's own weight), so the visible pixels, where both fills equal the photo, never pull it to zero."""
    hole = mask.astype(np.float32)
    difference = (structure - texture) * hole[..., None]
    weight = cv2.GaussianBlur(hole, (0, 0), sigma)[..., None]
    low = cv2.GaussianBlur(difference, (0, 0), sigma) / np.maximum(weight, 1e-3)
    return np.clip(texture + low * np.clip(hole_depth(mask) / EDGE_REACH, 0.0, 1.0)[..., None], 0.0, 1.0)


@register_method
class LaMaPatchMatch(LaMa):
    name = "lama-patchmatch"
    checkpoints_of = "lama"
    description = ("PatchMatch's copied texture laid over the photo network's fill: real texture, with the colour "
                   "and shading the network predicts.")
    paper = f"{LaMa.paper}; {PatchMatch.paper}"
    capabilities = replace(LaMa.capabilities, stochastic=True)  # PatchMatch's search is random
    memory_per_pixel = LaMa.memory_per_pixel + PatchMatch.memory_per_pixel
    max_working_pixels = WORKING_PIXELS
    options = {**LaMa.options, "patch_size": PATCH_SIZE,
               "structure_scale": Option(12.0, "detail finer than this many pixels comes from PatchMatch, coarser "
                                               "from the network", minimum=1.0, maximum=100.0)}

    def fill(self, image, mask, rng, mirror=False, patch_size=3, structure_scale=12.0):
        structure = super().fill(image, mask, rng, mirror=mirror)
        texture = patchmatch_fill(image, mask, int(rng.integers(2**32)), patch_size)
        return blend_frequencies(texture, structure, mask, structure_scale)
