"""Learned structure, copied texture: PatchMatch's fill corrected where the photo network and Telea say it strays.

Each fill is right in different places. PatchMatch copies real texture (the lowest perceptual distance)
and is right next to the hole's edge and wherever it found the right source, but when it copies from the
wrong place (a patch of sky inside a wall) a whole area takes the wrong colour or shading: its largest
errors. The photo network (trained on a CPU's budget) and Telea predict colour and shading (the lowest
pixel error) with little or no texture. A small convolutional gate, trained with the three fills as
input, says per pixel how much of each correction to PatchMatch's fill to take (towards the network's
fill or Telea's), separately for the coarse content (the difference low-passed over the hole) and the
fine one: where the fills agree PatchMatch's texture stays, where it strays its colour and light move to
the predicted ones. The gate starts as the hand-made join (all of the network's coarse content, none of
the fine), and its recipe (:mod:`inpaint_core.recipes.lama_patchmatch`) trains it on pixel error and
ST-LPIPS together, the two halves of the photo leaderboard's bar (docs/results/photo-models.md).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..learned import TorchMethod
from ..tensors import to_image, to_tensor
from ..tiling import MIRROR, complete
from .lama import LaMa, PhotoNet, telea_prefill
from .patchmatch import PATCH_SIZE, PatchMatch, patchmatch_fill
from .registry import register_method

#: Corrections per pixel: (network, Telea) x (coarse, fine).
GATES = 4
#: Pixels around the hole's box that the gate sees (its receptive field is about 35 px; the coarse
#: corrections depend on the hole's pixels alone): the gate runs on that window, not the working region.
GATE_MARGIN = 48


def gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = int(math.ceil(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-x**2 / (2 * sigma**2))
    return kernel / kernel.sum()


def blur(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur of BxCxHxW, zero outside the image (callers normalise)."""
    c, r = x.shape[1], kernel.numel() // 2
    k = kernel.to(x)
    x = F.conv2d(F.pad(x, (r, r, 0, 0)), k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r)), k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def low_pass_in_hole(x: torch.Tensor, mask: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``x`` low-passed over the hole alone (a Gaussian normalised by the hole's own weight): the visible
    pixels, where every fill equals the photo, never pull a correction towards zero."""
    return blur(x * mask, kernel) / blur(mask, kernel).clamp_min(1e-3)


class FusionGate(nn.Module):
    """Per-pixel weights of the four corrections from the three fills, the hole and the hole's near edge;
    a dilated branch at half resolution sees about 30 px around each pixel."""

    def __init__(self, width: int = 16, sigma: float = 12.0) -> None:
        super().__init__()
        self.register_buffer("kernel", gaussian_kernel(sigma), persistent=False)
        act = nn.GELU
        self.full = nn.Sequential(nn.Conv2d(3 * 3 + 2 + 2 * 3, width, 3, padding=1), act())
        self.context = nn.Sequential(nn.Conv2d(width, width, 3, 2, 1), act(),
                                     nn.Conv2d(width, width, 3, padding=2, dilation=2), act(),
                                     nn.Conv2d(width, width, 3, padding=4, dilation=4), act())
        self.head = nn.Sequential(nn.Conv2d(2 * width, width, 3, padding=1), act(), nn.Conv2d(width, GATES, 1))
        nn.init.zeros_(self.head[-1].weight)
        with torch.no_grad():  # the hand-made join: the network's coarse content (sigmoid 4 = 0.98), nothing else
            self.head[-1].bias.copy_(torch.tensor([4.0, -4.0, -4.0, -4.0]))

    def forward(self, texture: torch.Tensor, structure: torch.Tensor, smooth: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        """The joined fill (Bx3xHxW in [0, 1]) of PatchMatch's, the network's and Telea's fills."""
        corrections = [structure - texture, smooth - texture]
        lows = [low_pass_in_hole(c, mask, self.kernel) for c in corrections]
        near_edge = 1 + F.max_pool2d(-mask, 17, 1, 8)  # 0 within 8 px of a visible pixel
        x = torch.cat([texture * 2 - 1, structure * 2 - 1, smooth * 2 - 1, mask, near_edge,
                       *[low * 4 for low in lows]], 1)
        features = self.full(x)
        context = F.interpolate(self.context(features), size=features.shape[2:], mode="bilinear",
                                align_corners=False)
        gates = torch.sigmoid(self.head(torch.cat([features, context], 1)))
        out = texture
        for k, (c, low) in enumerate(zip(corrections, lows)):
            out = out + gates[:, 2 * k:2 * k + 1] * low + gates[:, 2 * k + 1:2 * k + 2] * (c - low)
        return (texture + (out - texture) * mask).clamp(0, 1)


class PhotoFusionNet(nn.Module, PyTorchModelHubMixin):
    """The photo network (frozen in training) and the gate, saved as one checkpoint."""

    def __init__(self, structure: dict[str, Any] | None = None, gate: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.structure = PhotoNet(**(structure or {}))
        self.gate = FusionGate(**(gate or {}))

    def forward(self, image: torch.Tensor, mask: torch.Tensor, texture: torch.Tensor,
                structure: torch.Tensor | None = None, smooth: torch.Tensor | None = None) -> torch.Tensor:
        """Bx3xHxW image, Bx1xHxW mask, PatchMatch's fill; H and W multiples of 4. The network's and Telea's
        fills are computed unless given (training reads them from its examples)."""
        structure = self.structure(image, mask) if structure is None else structure
        smooth = telea_prefill(image, mask) if smooth is None else smooth
        return self.gate(texture, structure, smooth, mask)


def gate_window(mask: torch.Tensor, margin: int = GATE_MARGIN) -> tuple[slice, slice]:
    """Rows and columns of the hole's box plus ``margin``, starting on even pixels (the gate's half-resolution
    branch then samples the same pixels as on the whole image)."""
    rows, cols = (torch.nonzero(mask[0, 0].amax(dim=axis)).flatten() for axis in (1, 0))
    y0, x0 = (max(0, int(v[0]) - margin) // 2 * 2 for v in (rows, cols))
    return slice(y0, int(rows[-1]) + margin + 1), slice(x0, int(cols[-1]) + margin + 1)


@register_method
class LaMaPatchMatch(TorchMethod):
    name = "lama-patchmatch"
    description = ("PatchMatch's copied texture, corrected towards the photo network's colour and shading where "
                   "a learned gate says it strays: real texture, predicted light.")
    paper = f"{LaMa.paper}; {PatchMatch.paper}"
    capabilities = replace(LaMa.capabilities, stochastic=True)  # PatchMatch's search is random
    memory_per_pixel = LaMa.memory_per_pixel + PatchMatch.memory_per_pixel
    #: PatchMatch's time grows with the pixels it searches: a large photo's hole region is worked on at
    #: about 640x640 (the network alone: 768x768), sized to the time bar of a 6000x4000 photo
    #: (docs/results/photo-models.md).
    max_working_pixels = 640 * 640
    options = {"mirror": MIRROR, "patch_size": PATCH_SIZE}
    network_class = PhotoFusionNet
    context = LaMa.context

    @torch.no_grad()
    def fill(self, image, mask, rng, mirror=False, patch_size=3):
        x, m = to_tensor(image, mask)
        structure = complete(self.net.structure, x, m, 0, 0, PhotoNet.multiple, mirror=mirror)
        texture, _ = to_tensor(patchmatch_fill(image, mask, int(rng.integers(2**32)), patch_size), mask)
        rows, cols = gate_window(m)
        window = lambda t: t[..., rows, cols]  # noqa: E731
        joined = structure.clone()
        joined[..., rows, cols] = self.net.gate(window(texture), window(structure), telea_prefill(window(x), window(m)),
                                                window(m))
        return to_image(joined)
