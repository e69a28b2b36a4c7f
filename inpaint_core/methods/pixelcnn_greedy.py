"""PixelCNN filled greedily (Deep Image Inpainting, paper 001): CIFAR-10, 8x8 centre hole.

Each sub-pixel gets a 256-way softmax given its 5x5 causal neighbourhood: the 12 pixels above and to
its left (all channels) and, for G and B, the channels of the same pixel already decided (R->G->B).
One masked 5x5 convolution sees exactly that neighbourhood; the layers after it are masked 1x1
convolutions, a per-pixel network that never widens the view. The hole is filled in raster order,
each sub-pixel by its most likely value (greedy), the median or mean of its distribution, or a
sample, and the log-likelihood of the fill (or of the true hole, teacher-forced in one pass) is the
sum of the chosen sub-pixels' log-probabilities.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..learned import TorchMethod
from ..maskgen import centre_mask
from ..tensors import batch_tensor, to_image, to_tensor
from .base import Capabilities, Fill, Option
from .registry import register_method

LEVELS = 256


class MaskedConv2d(nn.Conv2d):
    """A convolution whose channels form three groups (R, G, B) and that sees only the causal part
    of its kernel: rows above, the centre row left of centre, and at the centre the earlier colour
    groups (type A, the first layer) or the earlier and same groups (type B, later layers)."""

    def __init__(self, cin: int, cout: int, kernel: int, mask_type: str) -> None:
        super().__init__(cin, cout, kernel, padding=kernel // 2)
        mask = torch.ones_like(self.weight)
        c = kernel // 2
        mask[:, :, c, c + 1 :] = 0
        mask[:, :, c + 1 :] = 0
        out_group = torch.arange(cout) * 3 // cout
        in_group = torch.arange(cin) * 3 // cin
        allowed = in_group[None, :] < out_group[:, None] if mask_type == "A" else in_group[None, :] <= out_group[:, None]
        mask[:, :, c, c] = allowed.float()
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelCNNNet(nn.Module, PyTorchModelHubMixin):
    def __init__(self, width: int = 32, layers: int = 5, kernel: int = 5, dropout: float = 0.0) -> None:
        super().__init__()
        hidden = 3 * width  # ``width`` channels per colour group
        body: list[nn.Module] = [MaskedConv2d(3, hidden, kernel, "A"), nn.ReLU()]
        for _ in range(layers - 2):
            body += [MaskedConv2d(hidden, hidden, 1, "B"), nn.ReLU(), nn.Dropout(dropout)]
        body.append(MaskedConv2d(hidden, 3 * LEVELS, 1, "B"))
        self.body = nn.Sequential(*body)
        self.reach = kernel // 2

    def logits_at(self, image: torch.Tensor, row: int, col: int) -> torch.Tensor:
        """Logits 3 x 256 of one pixel from just the window its causal neighbourhood lies in:
        the same numbers as :meth:`forward` there, at a fraction of the cost."""
        k = self.reach
        window = F.pad(2 * image - 1, (k, k, k, k))[..., row : row + 2 * k + 1, col : col + 2 * k + 1]
        return self.body(window)[0, :, k, k].view(3, LEVELS)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Logits B x 3 x 256 x H x W for images B x 3 x H x W in [0, 1]."""
        b, _, h, w = image.shape
        return self.body(2 * image - 1).view(b, 3, LEVELS, h, w)


def levels(image: torch.Tensor) -> torch.Tensor:
    return (image * (LEVELS - 1)).round().long().clamp(0, LEVELS - 1)


def sub_pixel_log_probs(net: nn.Module, image: torch.Tensor) -> torch.Tensor:
    """log p of every sub-pixel's actual value given its causal neighbourhood, teacher-forced: Bx3xHxW."""
    logp = F.log_softmax(net(image), dim=2)
    return logp.gather(2, levels(image)[:, :, None]).squeeze(2)


def choose(logp: torch.Tensor, mode: str, temperature: float, gen: torch.Generator) -> int:
    """One sub-pixel's value from its 256 log-probabilities: the most likely (the paper's greedy
    decision), the median or the mean of the distribution, or a tempered sample.

    The softmax knows nothing of the order of the levels, so its most likely value can be a narrow
    spike (CIFAR-10 has many saturated 0s and 255s) while most of the mass lies elsewhere; the median
    and the mean, still decided once per sub-pixel in raster order, minimise the expected absolute and
    squared error of that sub-pixel instead."""
    if mode == "sample":
        return int(torch.multinomial(F.softmax(logp / temperature, dim=0), 1, generator=gen))
    if mode == "median":
        return int((logp.exp().cumsum(0) < 0.5).sum().clamp(max=LEVELS - 1))
    if mode == "mean":
        return int((logp.exp() * torch.arange(LEVELS, dtype=logp.dtype)).sum().round())
    return int(logp.argmax())


@register_method
class PixelCNNGreedy(TorchMethod):
    name = "pixelcnn-greedy"
    description = "PixelCNN on a 5x5 causal neighbourhood, 256-way softmax per sub-pixel; hole filled greedily in raster order."
    paper = "Deep Image Inpainting (CIFAR-10 centre-hole study), PixelCNN"
    capabilities = Capabilities(native_size=32, centre_hole=8, stochastic=True, log_likelihood=True,
                                needs_checkpoint=True)
    options = {
        "mode": Option("greedy", "per sub-pixel in raster order: its most likely value (greedy), the median or "
                       "the mean of its distribution, or a sample", choices=("greedy", "median", "mean", "sample")),
        "temperature": Option(1.0, "softmax temperature when sampling", minimum=0.05, maximum=5.0),
    }
    network_class = PixelCNNNet
    sub_pixel_log_probs = staticmethod(sub_pixel_log_probs)

    @torch.no_grad()
    def fill(self, image, mask, rng, mode="greedy", temperature=1.0):
        x, _ = to_tensor(image, mask)
        gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
        total = 0.0
        for r, c in zip(*np.nonzero(mask)):  # raster order
            for ch in range(3):
                logp = F.log_softmax(self.net.logits_at(x, r, c)[ch], dim=0)
                value = choose(logp, mode, temperature, gen)
                total += float(logp[value])
                x[0, ch, r, c] = value / (LEVELS - 1)
        return Fill(to_image(x), log_likelihood=total)

    @torch.no_grad()
    def validation_report(self, images: np.ndarray, batch: int = 250) -> dict[str, float]:
        """Bits per sub-pixel of the true 8x8 centre hole (teacher-forced) and of whole images."""
        hole = torch.from_numpy(centre_mask(32, 32, 8))
        hole_bits, all_bits = [], []
        for i in range(0, len(images), batch):
            x = batch_tensor(images[i : i + batch])
            bits = -self.sub_pixel_log_probs(self.net, x) / np.log(2)
            hole_bits.append(bits[..., hole].flatten())
            all_bits.append(bits.flatten())
        return {"hole_bits_per_subpixel": float(torch.cat(hole_bits).mean()),
                "bits_per_dim": float(torch.cat(all_bits).mean())}
