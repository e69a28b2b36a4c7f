"""The Pixel Constrained CNN's recipe: the prior and the conditioning network trained together on
32 px faces with random blobs, on the likelihood of the hidden sub-pixels."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..methods.pixel_constrained_cnn import hidden_mean
from . import register_recipe
from .base import SGDRecipe
from .data import OnFaces32


def constrained_nll(net, images, masks, alpha: float):
    """-(log p(x|c) + alpha log p_cond(x|c)) per hidden sub-pixel."""
    lv, visible = net.quantise(images), 1 - masks
    full, cond = net.log_probs(lv, visible)
    return -hidden_mean(full + alpha * cond, masks.expand_as(full))


@register_recipe
class PixelConstrainedRecipe(OnFaces32, SGDRecipe):
    method = "pixel-constrained-cnn"
    masks: str = "blobs"
    flip: bool = True
    alpha: float = Field(1.0, description="weight of the conditioning logits' own likelihood (the paper's section 4.2)")
    batch_size: int = 32
    lr: float = 4e-4
    epochs: int | None = 60
    ema: float | None = 0.999
    network: dict[str, Any] = {"size": 32, "channels": 3, "levels": 32, "hidden": 32, "layers": 7, "kernel": 5,
                               "cond_width": 32, "dilations": [1, 2, 4, 8, 1, 2, 4, 8]}
    val_images: int = 400
    eval_images: int = 100
    eval_masks: str = "blobs"
    reductions: str = ("prior: restricted + 6 gated layers of 32 filters with a 1x1 head (paper: 1 + 16 of 66 and a "
                       "1023-wide head); conditioning: 8 dilated 3x3 residual blocks of 32 (paper: 17 undilated 5x5 of 66)")

    def loss(self, net, images, masks):
        """The model's likelihood of the hidden sub-pixels alone: what the validation curve tracks."""
        return constrained_nll(net, images, masks, 0.0)

    def training_loss(self, net, images, masks):
        """alpha pushes information into the conditioning logits, which the model otherwise partly ignores."""
        return constrained_nll(net, images, masks, self.alpha)
