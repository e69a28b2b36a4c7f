"""Classical baselines: OpenCV's Telea and Navier-Stokes, scikit-image's biharmonic inpainting, the mean colour."""

from __future__ import annotations

import cv2
import numpy as np
from skimage.restoration import inpaint_biharmonic

from ..images import to_float, to_uint8
from .base import Capabilities, Method, Option
from .registry import register_method


class _OpenCV(Method):
    flag: int
    capabilities = Capabilities(needs_visible=True, fast=True)
    memory_per_pixel = 0.0  # within the pipeline's own copies (docs/limits.md)
    options = {"radius": Option(3, "neighbourhood radius in pixels", minimum=1, maximum=50)}

    def context(self, options):
        """Each hole pixel is a weighted mean of known pixels within ``radius``: the hole's box plus the
        radius and a pixel of the fast-marching band is all the fill reads (tests check it bit-exact)."""
        return int(options["radius"]) + 2

    def fill(self, image, mask, rng, radius=3):
        out = cv2.inpaint(to_uint8(image), mask.astype(np.uint8), float(radius), self.flag)
        return to_float(out)


@register_method
class Telea(_OpenCV):
    name = "telea"
    description = "OpenCV fast-marching inpainting (Telea 2004); no training, any size."
    paper = "Telea, An image inpainting technique based on the fast marching method, 2004"
    flag = cv2.INPAINT_TELEA


@register_method
class NavierStokes(_OpenCV):
    name = "navier-stokes"
    description = "OpenCV Navier-Stokes inpainting (Bertalmio 2001); no training, any size."
    paper = "Bertalmio et al., Navier-Stokes, fluid dynamics, and image and video inpainting, 2001"
    flag = cv2.INPAINT_NS


@register_method
class Biharmonic(Method):
    name = "biharmonic"
    description = "scikit-image biharmonic inpainting: smooth fill solving a biharmonic equation."
    paper = "Damelin and Hoang, On surface completion and image inpainting by biharmonic functions, 2018"
    capabilities = Capabilities(needs_visible=True)
    memory_per_pixel = 0.0
    memory_per_hole_pixel = 5000.0  # a sparse solve over the hole, superlinear in it (docs/limits.md)

    def fill(self, image, mask, rng):
        return inpaint_biharmonic(image, mask, channel_axis=-1).astype(np.float32)


@register_method
class MeanColour(Method):
    name = "mean-colour"
    description = "The hole filled with the mean colour of the visible pixels: the floor any method must clear."
    paper = "Deep Image Inpainting (CIFAR-10 centre-hole study), the baseline its likelihood models must beat"
    capabilities = Capabilities(needs_visible=True, fast=True)
    memory_per_pixel = 0.0

    def fill(self, image, mask, rng):
        out = image.copy()
        out[mask] = image[~mask].mean(axis=0)
        return out
