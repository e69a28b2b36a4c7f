"""Learned structure, copied texture: PatchMatch's search guided by the photo network's fill.

A network trained on a CPU's budget predicts where edges, colour and light continue into the hole, but
its fill is smooth; PatchMatch copies real texture but may copy it from the wrong place (a patch of sky
inside a wall), which costs pixel error over an area. Here the network fills the hole first, and
PatchMatch then searches for source patches that both fit the patches around them (its own distance)
and match the network's smoothed fill where they land (the guide): the texture is copied, its colour
and light follow the prediction. This is the learned-structure + PatchMatch-texture hybrid the photo
leaderboard compares with both parts alone (docs/results/photo-models.md).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from ..masks import bounding_box
from ..types import Option
from .lama import LaMa
from .patchmatch import PATCH_SIZE, PatchMatch, patchmatch_fill
from .registry import register_method

#: PyPatchMatch compares a guide map's first two channels as periodic coordinates (a difference d over
#: 0.5 counts as 1 - d), so the guide's values are kept within [0, 0.5].
GUIDE_RANGE = 0.5


def guide_map(image: np.ndarray, structure: np.ndarray, mask: np.ndarray, blur: float) -> np.ndarray:
    """The guide PatchMatch's search compares: the smoothed brightness and red-blue opponent colour of
    the photo outside the hole and of the network's fill inside it.

    Smoothed because the network is trusted for colour and light over an area, not for detail; a source
    patch whose surroundings are brighter or of another hue than the prediction costs more, so the copy
    comes from a place that looks like what the network expects there."""
    composite = np.where(mask[..., None], structure, image).astype(np.float32)
    if blur > 0:
        composite = cv2.GaussianBlur(composite, (0, 0), blur)
    brightness = composite.mean(axis=-1)
    opponent = (composite[..., 0] - composite[..., 2]) * 0.5 + 0.5
    guide = np.stack([brightness, opponent, np.zeros_like(brightness)], axis=-1)
    return (np.clip(guide, 0.0, 1.0) * GUIDE_RANGE).astype(np.float32)  # a value past 1 would wrap around


@register_method
class LaMaPatchMatch(LaMa):
    name = "lama-patchmatch"
    checkpoints_of = "lama"
    description = ("PatchMatch's copied texture, searched where it matches the photo network's fill: real "
                   "texture, with the colour and shading the network predicts.")
    paper = f"{LaMa.paper}; {PatchMatch.paper}"
    capabilities = replace(LaMa.capabilities, stochastic=True)  # PatchMatch's search is random
    memory_per_pixel = LaMa.memory_per_pixel + PatchMatch.memory_per_pixel
    #: The guided search costs about twice PatchMatch's own (the wheel's guided distance has no early
    #: exit), so a large photo's hole region is worked on at about 512x512 (the network alone: 768x768)
    #: and patches are 5x5, sized to the time bars of a 512 px and a 6000x4000 photo
    #: (docs/results/photo-models.md).
    max_working_pixels = 512 * 512
    options = {**LaMa.options, "patch_size": replace(PATCH_SIZE, default=2),
               "guide_weight": Option(0.05, "how much PatchMatch's search follows the network's fill (0: "
                                            "PatchMatch's own search)", minimum=0.0, maximum=10.0),
               "guide_blur": Option(6.0, "the network's fill is followed for colour and light over this many "
                                         "pixels, not for detail", minimum=0.0, maximum=50.0),
               "search_margin": Option(64, "PatchMatch copies from this many pixels around the hole's box "
                                           "(fewer: faster)", minimum=8, maximum=4096)}

    def fill(self, image, mask, rng, mirror=False, patch_size=2, guide_weight=0.05, guide_blur=6.0,
             search_margin=64):
        structure = super().fill(image, mask, rng, mirror=mirror)
        top, left, bottom, right = bounding_box(mask)
        box = (slice(max(top - search_margin, 0), bottom + search_margin),
               slice(max(left - search_margin, 0), right + search_margin))
        guide = guide_map(image[box], structure[box], mask[box], guide_blur) if guide_weight > 0 else None
        out = structure.copy()
        out[box] = patchmatch_fill(image[box], mask[box], int(rng.integers(2**32)), patch_size, guide, guide_weight)
        return out
