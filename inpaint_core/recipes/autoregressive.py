"""Recipes of the autoregressive models on CIFAR-10: Deep Image Inpainting's PixelCNN and Row LSTM
(paper 001), trained on the likelihood of whole images."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ..methods.pixelcnn_greedy import LEVELS, levels, sub_pixel_log_probs
from ..methods.row_lstm import sequence_log_probs
from . import register_recipe
from .base import SGDRecipe
from .data import OnCifar10


@register_recipe
class PixelCNNRecipe(OnCifar10, SGDRecipe):
    method = "pixelcnn-greedy"
    masks: str = "centre8"
    batch_size: int = 64
    lr: float = 1e-3
    epochs: int | None = 30
    ema: float | None = 0.999
    network: dict[str, Any] = {"width": 32, "layers": 5}
    eval_images: int = 1000
    eval_masks: str = "centre8"
    reductions: str = ("5 layers of 32 filters per colour, no dropout (the paper: several convolution + 50% "
                       "dropout layers of unstated width)")

    def loss(self, net, images, masks):
        """Negative log-likelihood per sub-pixel at a random quarter of the pixels: the density is trained
        everywhere, but the 768-way output layer, most of a step's cost, runs where the loss is read."""
        b, _, h, w = images.shape
        where = torch.randperm(h * w, device=images.device)[: h * w // 4]
        hidden = net.body[:-1](2 * images - 1).flatten(2)[:, :, where, None]
        logits = net.body[-1](hidden).view(b, 3, LEVELS, len(where))
        target = levels(images).flatten(2)[:, :, where]
        return F.cross_entropy(logits.transpose(1, 2), target)

    @torch.no_grad()
    def validation_loss(self, net, images, masks):
        return float(-torch.cat([sub_pixel_log_probs(net, x) for x in images.split(100)]).mean())


@register_recipe
class RowLSTMRecipe(OnCifar10, SGDRecipe):
    method = "row-lstm"
    masks: str = "centre8"
    batch_size: int = 32
    lr: float = 2e-3
    epochs: int | None = 30
    ema: float | None = 0.999
    network: dict[str, Any] = {"hidden": 64}
    val_images: int = 500
    eval_images: int = 1000
    eval_masks: str = "centre8"
    reductions: str = "one LSTM layer of 64 units as in the paper; added: the channel being predicted as an input"

    def loss(self, net, images, masks):
        """Mean negative log-likelihood per sub-pixel over whole images."""
        return -sequence_log_probs(net, images).mean()
