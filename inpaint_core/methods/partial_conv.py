"""PConv: the partial-convolution UNet of Liu et al., the semi-parametric paper's (004) main baseline,
trained on Quick Draw stroke masks (:mod:`inpaint_core.recipes.partial_conv`). Its encoder doubles as
the descriptor network of the retrieval database (:mod:`inpaint_core.retrieval`), and its fill is the
coarse first step of Sim-k's two-step retrieval.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..learned import TorchMethod
from ..tensors import to_image, to_tensor
from ..tiling import MIRROR, TILE, complete
from ..unet import InpaintUNet
from .base import Capabilities
from .registry import register_method


@register_method
class PartialConvUNet(TorchMethod):
    name = "pconv"
    description = "Partial-convolution UNet (Liu et al.) trained on Quick Draw strokes: irregular holes, any size."
    paper = "Semi-parametric inpainting (PConv baseline: Image Inpainting for Irregular Holes Using Partial Convolutions)"
    capabilities = Capabilities(size_multiple=16, needs_checkpoint=True)
    memory_per_pixel = 150.0  # tiled, so bounded by the tile (docs/limits.md)
    options = {"tile": TILE, "mirror": MIRROR}
    network_class = InpaintUNet

    @torch.no_grad()
    def fill(self, image, mask, rng, tile=-1, mirror=False):
        x, m = to_tensor(image, mask)
        return to_image(complete(self.net, x, m, tile, int(self.meta.get("resolution", 0)), self.net.multiple,
                                 mirror=mirror))

    @torch.no_grad()
    def describe(self, images: np.ndarray, batch: int = 64) -> np.ndarray:
        """Retrieval descriptors of whole (unmasked) float images NxHxWx3: the deepest encoder
        features pooled to at most 4x4, flattened and L2-normalised, so a dot product is a cosine."""
        out = []
        for i in range(0, len(images), batch):
            x = torch.from_numpy(np.ascontiguousarray(images[i : i + batch].transpose(0, 3, 1, 2))).float()
            deep = self.net.encode(x, torch.zeros_like(x[:, :1]))[-1]
            pooled = F.adaptive_avg_pool2d(deep, min(4, deep.shape[-1])).flatten(1)
            out.append(F.normalize(pooled, dim=1).numpy())
        return np.concatenate(out).astype(np.float32)
