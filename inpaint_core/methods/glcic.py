"""Globally and Locally Consistent Image Completion (paper 003), sized for a 2-core CPU.

The completion network is fully convolutional (two stride-2 convolutions down to 1/4, dilated
convolutions whose taps still land inside an 8x8 feature map, two deconvolutions back up, with skips
at full and half resolution), so one checkpoint fills any hole in any image whose sides are padded to
a multiple of 4; larger images run as overlapping tiles of the training size (:mod:`inpaint_core.tiling`).
The discriminator and the paper's three training phases are the recipe's (:mod:`inpaint_core.recipes.glcic`).
"""

from __future__ import annotations

from typing import Any

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..learned import TorchMethod
from ..tensors import to_image, to_tensor
from ..tiling import MIRROR, TILE, complete
from .base import Capabilities
from .registry import register_method


def _conv(cin: int, cout: int, kernel: int, stride: int = 1, dilation: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, kernel, stride, padding=dilation * (kernel // 2), dilation=dilation), nn.ELU()]


def mean_fill(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Holes set to the mean colour of each image's visible pixels.

    The paper fills with the training set's mean; the per-image mean keeps the network independent
    of the colour statistics of whatever photo a user brings.
    """
    visible = 1 - mask
    mean = (image * visible).sum((2, 3), keepdim=True) / visible.sum((2, 3), keepdim=True).clamp_min(1)
    return image * visible + mean * mask


class CompletionNet(nn.Module, PyTorchModelHubMixin):
    """GLCIC's completion network plus two U-Net skips (full and half resolution).

    Without the skips a CPU-sized GLCIC plateaued at the hole MSE of biharmonic inpainting on CIFAR-10
    (validation loss 0.0150 after 24 minutes): the 1/4-resolution bottleneck cannot reproduce the exact colours at the
    hole's border. The skips hand those pixels to the decoder; the dilated middle still supplies context.
    """

    def __init__(self, width: int = 32, dilations: tuple[int, ...] = (2, 4, 4, 1)) -> None:
        super().__init__()
        w = width
        self.enc_full = nn.Sequential(*_conv(4, w, 5))
        self.enc_half = nn.Sequential(*_conv(w, 2 * w, 3, 2), *_conv(2 * w, 2 * w, 3))
        self.enc_quarter = nn.Sequential(*_conv(2 * w, 2 * w, 3, 2),
                                         *[m for d in dilations for m in _conv(2 * w, 2 * w, 3, dilation=d)])
        self.up_half = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ELU())
        self.merge_half = nn.Sequential(*_conv(3 * w, w, 3))
        self.up_full = nn.Sequential(nn.ConvTranspose2d(w, w // 2, 4, 2, 1), nn.ELU())
        self.merge_full = nn.Sequential(*_conv(w // 2 + w, w // 2, 3), nn.Conv2d(w // 2, 3, 3, padding=1), nn.Sigmoid())

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """A full image (Bx3xHxW, H and W multiples of 4) of which only the hole is meant to be kept."""
        full = self.enc_full(torch.cat([mean_fill(image, mask), mask], dim=1))
        half = self.enc_half(full)
        x = self.merge_half(torch.cat([self.up_half(self.enc_quarter(half)), half], dim=1))
        return self.merge_full(torch.cat([self.up_full(x), full], dim=1))


class CompletionEnsemble(nn.Module, PyTorchModelHubMixin):
    """Completion networks trained apart, their outputs averaged.

    Their errors are partly independent: on CIFAR-10 rectangles the average of a width-32 and a
    width-48 network has a lower hole MSE than either (docs/results/glcic.md), like the mirror option's
    average of an image and its mirror image, and the two combine."""

    combination = "average of {n} networks trained apart"

    def __init__(self, members: list[dict[str, Any]]) -> None:
        super().__init__()
        self.members = nn.ModuleList(CompletionNet(**config) for config in members)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return torch.stack([net(image, mask) for net in self.members]).mean(0)


@register_method
class GLCIC(TorchMethod):
    name = "glcic"
    description = "Globally and locally consistent completion network: any image size, any hole."
    paper = "Globally and Locally Consistent Image Completion (CIFAR-10 reimplementation)"
    capabilities = Capabilities(size_multiple=4, needs_checkpoint=True)
    memory_per_pixel = 150.0  # tiled, so bounded by the tile (docs/limits.md)
    options = {"tile": TILE, "mirror": MIRROR}
    network_class = CompletionNet
    ensemble_class = CompletionEnsemble

    @torch.no_grad()
    def fill(self, image, mask, rng, tile=-1, mirror=False):
        x, m = to_tensor(image, mask)
        return to_image(complete(self.net, x, m, tile, int(self.meta.get("resolution", 0)), 4, mirror=mirror))

