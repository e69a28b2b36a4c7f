"""Losses that make fills look real, not only close in MSE: Liu et al.'s perceptual and style terms on
an ImageNet-trained VGG-16, and a patch discriminator's adversarial term.

The VGG-16 is the shift-tolerant trunk the ``stlpips-pytorch`` wheel ships (:mod:`inpaint_core.lpips`),
trained on ImageNet classification; its first three stages (relu1_2, relu2_2, relu3_3: the pool1-pool3
levels of the PConv paper) are the feature maps. Every tensor is created on the device of its inputs,
so the same code trains on a CPU or a GPU.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

from .lpips import lpips_network


def gram(features: torch.Tensor) -> torch.Tensor:
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


class VGGFeatures(nn.Module):
    """The first ``levels`` stages of the ImageNet VGG-16 trunk, frozen; input in [0, 1]."""

    def __init__(self, levels: int = 3) -> None:
        super().__init__()
        lp = lpips_network("vgg")  # shared with the LPIPS metric: copied, so moving this to a device leaves it be
        self.scaling = copy.deepcopy(lp.scaling_layer)
        self.stages = nn.ModuleList(copy.deepcopy(getattr(lp.net, f"slice{i}")) for i in range(1, levels + 1))
        self.requires_grad_(False).eval()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.scaling(x * 2 - 1)
        out = []
        for stage in self.stages:
            x = stage(x)
            out.append(x)
        return out

    def train(self, mode: bool = True) -> "VGGFeatures":  # frozen: always in eval mode
        return super().train(False)


@lru_cache(maxsize=4)
def vgg_features(levels: int = 3, device: str = "cpu") -> VGGFeatures:
    return VGGFeatures(levels).to(device)


def feature_losses(features: nn.Module, pred: torch.Tensor, images: torch.Tensor, masks: torch.Tensor,
                   composite_only: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Liu et al.'s perceptual and style terms (L1 of feature maps and of their Gram matrices) on the
    raw output and on the composite (the output inside the hole, the image outside); a network whose
    output outside the hole is the input itself has only the composite to judge."""
    with torch.no_grad():
        truth = features(images)
    perceptual = style = pred.new_zeros(())
    composite = images * (1 - masks) + pred * masks
    for x in (composite,) if composite_only else (pred, composite):
        for f, g in zip(features(x), truth):
            perceptual = perceptual + (f - g).abs().mean()
            style = style + (gram(f) - gram(g)).abs().mean()
    return perceptual, style


class PatchDiscriminator(nn.Module):
    """A PatchGAN (Isola et al.) with spectral norm: one logit per overlapping patch, so the adversarial
    term judges local texture wherever the hole is, at any image size."""

    def __init__(self, width: int = 32, layers: int = 3) -> None:
        super().__init__()
        sn = nn.utils.spectral_norm
        blocks: list[nn.Module] = [sn(nn.Conv2d(3, width, 4, 2, 1)), nn.LeakyReLU(0.2)]
        cin = width
        for i in range(1, layers):
            cout = min(width * 2 ** i, 8 * width)
            blocks += [sn(nn.Conv2d(cin, cout, 4, 2, 1)), nn.LeakyReLU(0.2)]
            cin = cout
        blocks += [sn(nn.Conv2d(cin, cin, 3, 1, 1)), nn.LeakyReLU(0.2), nn.Conv2d(cin, 1, 3, 1, 1)]
        self.net = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2 - 1)


def hole_patches(masks: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Which discriminator patches touch the hole, at the logits' resolution (1 = judged as fake)."""
    return (F.adaptive_max_pool2d(masks, logits.shape[-2:]) > 0).to(logits.dtype)


def discriminator_loss(disc: nn.Module, real: torch.Tensor, fake: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Hinge loss; in a composite only the patches that touch the hole are fake (LaMa's rule), the
    rest are real pixels and are scored as such."""
    real_logits, fake_logits = disc(real), disc(fake.detach())
    fake_region = hole_patches(masks, fake_logits)
    fake_term = F.relu(1 + fake_logits) * fake_region + F.relu(1 - fake_logits) * (1 - fake_region)
    return F.relu(1 - real_logits).mean() + fake_term.mean()


def generator_adversarial(disc: nn.Module, fake: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """The generator's hinge term over the patches that touch the hole."""
    logits = disc(fake)
    region = hole_patches(masks, logits)
    return -(logits * region).sum() / region.sum().clamp_min(1)
