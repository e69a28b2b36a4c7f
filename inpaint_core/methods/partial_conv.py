"""PConv: the partial-convolution UNet of Liu et al., the semi-parametric paper's (004) main baseline.

Trained on Quick Draw stroke masks with the paper's per-pixel terms: L1 on valid pixels, 6 x L1 on
the hole, 0.1 x total variation of the composite over the 1-pixel dilated hole; with the recipe's
``feature_model`` also the perceptual and style terms (:mod:`inpaint_core.losses`) on a frozen zoo
PConv encoder. Its encoder doubles as the descriptor network of the
retrieval database (:mod:`inpaint_core.retrieval`), and its fill is the coarse first step of Sim-k's
two-step retrieval.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..learned import TorchMethod, celeba_faces, to_image, to_tensor
from ..losses import feature_losses
from ..tiling import MIRROR, TILE, complete
from ..unet import InpaintUNet
from .base import Capabilities
from .registry import register_method

QUICKDRAW = "../shared/datasets/quickdraw/sketches-ndjson.tar.gz"
NVIDIA_MASKS = "../shared/datasets/masks/nvidia-irregular-even-6000.tar.gz"
#: Quick Draw masks of the paper (4 strokes on average, median hole 12%) mixed with denser ones
#: (10 strokes, median 29%): the NVIDIA test masks reach 60%, which 4 strokes rarely cover.
STROKE_MASKS = f"quickdraw:{QUICKDRAW}+quickdraw:{QUICKDRAW}:10"


def pconv_loss(pred: torch.Tensor, images: torch.Tensor, masks: torch.Tensor,
               hole_weight: float = 6.0, tv_weight: float = 0.1) -> torch.Tensor:
    """L_valid + 6 L_hole + 0.1 L_tv (masks: 1 = hole), each L1 a mean over all pixels as in Liu et al.;
    the total variation is that of the composite between neighbours inside the dilated hole."""
    valid = 1 - masks
    l_valid = (valid * (pred - images)).abs().mean()
    l_hole = (masks * (pred - images)).abs().mean()
    comp = images * valid + pred * masks
    region = F.max_pool2d(masks, 3, 1, 1)
    tv_rows = ((comp[..., 1:, :] - comp[..., :-1, :]).abs() * region[..., 1:, :] * region[..., :-1, :]).mean()
    tv_cols = ((comp[..., :, 1:] - comp[..., :, :-1]).abs() * region[..., :, 1:] * region[..., :, :-1]).mean()
    return l_valid + hole_weight * l_hole + tv_weight * (tv_rows + tv_cols)


@lru_cache(maxsize=2)
def frozen_encoder(model: str) -> torch.nn.Module:
    """A zoo PConv's encoder as the feature network of the perceptual and style terms of the 64 px
    recipes (trained before the ImageNet VGG-16 of :mod:`inpaint_core.losses` was available here)."""
    from ..retrieval import load_descriptor_model

    return load_descriptor_model(model).net.float().eval().requires_grad_(False)


def encoder_levels(encoder: torch.nn.Module):
    """The first three encoder levels as feature maps (VGG-16's pool1-pool3 in the paper)."""
    return lambda x: encoder.encode(x, torch.zeros_like(x[:, :1]))[1:4]


def unet_recipe(size: int) -> dict[str, Any]:
    """What the PConv and Sim-k recipes share on faces: data, masks, optimiser, evaluation."""
    return {
        **celeba_faces(size), "masks": STROKE_MASKS, "batch_size": 16, "lr": 2e-4, "ema": 0.999,
        "hole_weight": 6.0, "tv_weight": 0.1, "val_images": 400, "eval_images": 480, "eval_masks": f"files:{NVIDIA_MASKS}",
    }


@register_method
class PartialConvUNet(TorchMethod):
    name = "pconv"
    description = "Partial-convolution UNet (Liu et al.) trained on Quick Draw strokes: irregular holes, any size."
    paper = "Semi-parametric inpainting (PConv baseline: Image Inpainting for Irregular Holes Using Partial Convolutions)"
    capabilities = Capabilities(size_multiple=16, needs_checkpoint=True)
    memory_per_pixel = 150.0  # tiled, so bounded by the tile (docs/limits.md)
    options = {"tile": TILE, "mirror": MIRROR}
    network_class = InpaintUNet
    recipe = {
        **unet_recipe(64),
        "network": {"widths": [32, 64, 128, 128], "kernels": [7, 5, 5, 3], "partial": True},
        "reductions": "4 encoder levels of 32-128 channels (paper: 8 levels of 64-512) at the data's size (64 px faces, "
                      "32 px CIFAR-10; paper: 512 px); no batch norm; perceptual and style terms left out (they need "
                      "ImageNet VGG-16 weights)",
    }

    @classmethod
    def loss(cls, net, images, masks):
        return cls.training_loss(net, images, masks, cls.recipe)

    @classmethod
    def training_loss(cls, net, images, masks, recipe):
        """The per-pixel loss; with ``feature_model`` (a zoo PConv id) also the perceptual (x 0.05) and
        style (x 120) terms, computed with that checkpoint's frozen encoder."""
        pred = net(images, masks)
        loss = pconv_loss(pred, images, masks, recipe["hole_weight"], recipe["tv_weight"])
        if recipe.get("feature_model"):
            features = encoder_levels(frozen_encoder(recipe["feature_model"]))
            perceptual, style = feature_losses(features, pred, images, masks)
            loss = loss + recipe.get("perceptual_weight", 0.05) * perceptual + recipe.get("style_weight", 120.0) * style
        return loss

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
