"""The photo network's recipe: L1 (6x in the hole), the PConv paper's perceptual and style terms on the
ImageNet VGG-16 of the stlpips wheel, and a spectral-norm PatchGAN with the hinge loss, on 256 px
crops of photos with object-removal masks."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from . import register_recipe
from .data import QUICKDRAW, OnPhotos
from .glcic import hole_mse
from .perceptual_gan import PerceptualGANRecipe


@register_recipe
class LaMaRecipe(OnPhotos, PerceptualGANRecipe):
    method = "lama"
    composite_only = True  # the network's output outside the hole is its input
    flip: bool = True
    masks: str = f"object:0.05:0.45+strokes+rect+quickdraw:{QUICKDRAW}:10"
    batch_size: int = 4
    lr: float = 5e-4
    lr_discriminator: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    ema: float | None = 0.999
    early_stopping: bool = False  # the validation loss (hole MSE) does not measure the perceptual terms
    hole_weight: float = Field(6.0, description="L1 weight of the hole against the visible pixels")
    perceptual_weight: float = 2.0
    style_weight: float = 2000.0
    adversarial_weight: float = 0.02
    adversarial_from: int = 300
    network: dict[str, Any] = {"width": 16, "blocks": 4, "block": "ffc"}
    discriminator: dict[str, Any] = {"width": 32, "layers": 3}
    restart_at_prefill: bool = Field(False, description="with init_from: the residual's last layer set to zero, so "
                                     "the run starts at the prefill's own fill with the checkpoint's features (a "
                                     "network moved to another prefill)")
    val_images: int = 64
    eval_images: int = 100
    eval_masks: str = "object"
    reductions: str = ("width 16-64 and 4 residual blocks at 1/4 resolution (LaMa: 9 FFC blocks of 512 channels at "
                       "1/8); no batch norm; the hole pre-filled by Telea and a residual learned; VGG-16 perceptual and "
                       "style terms at half size on the composite, weighted so that each starts at about a fifth of the "
                       "L1 term with this VGG (PConv's weights assume other feature scales), instead of LaMa's "
                       "segmentation-network perceptual loss; a 3-layer spectral-norm PatchGAN with the hinge loss")

    def initialized(self, net):
        if self.restart_at_prefill:
            net.zero_residual()

    def loss(self, net, images, masks):
        """Hole MSE: what the validation curve tracks (the perceptual terms are in the training step)."""
        return hole_mse(net(images, masks), images, masks)

    def pixel_loss(self, pred, images, masks):
        valid = 1 - masks
        return "l1", (valid * (pred - images)).abs().mean() + self.hole_weight * (masks * (pred - images)).abs().mean()
