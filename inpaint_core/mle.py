"""The MLE inpainting meta-algorithm (paper 000): put a distribution on images, then fill the hole
with the pixels that maximise the likelihood of the whole image.

:class:`Distribution` is the one interface (fit, differentiable ``log_prob``, ``sample``);
:func:`mle_fill` is the one generic filler, which works for any distribution with a
differentiable log-likelihood. Distributions with a closed form (Gaussians) override
``conditional_mean``; for them ``conditional_sample`` is exact by Matheron's rule.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn


def pixels(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 NxHxWx3 -> float64 Nx3xHxW in [0, 1] (the scale every distribution is fitted on)."""
    return images_uint8.permute(0, 3, 1, 2).to(torch.float64) / 255.0


def bits_per_dim(log_prob: torch.Tensor, dims: int) -> torch.Tensor:
    """Bits per sub-pixel on the 256-level scale of a density on [0, 1] data (dequantised)."""
    return (-log_prob + dims * math.log(256.0)) / (dims * math.log(2.0))


class Distribution(nn.Module):
    """A probability distribution on Bx3xHxW images in [0, 1]."""

    size: int

    def __init__(self) -> None:
        super().__init__()
        self._derived: dict[str, Any] = {}

    def derived(self, key: str, compute):
        """Quantities computed once from the parameters (inverses, factors), dropped when they change."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def parameters_changed(self) -> None:
        self._derived.clear()

    def _load_from_state_dict(self, *args, **kwargs):
        self.parameters_changed()
        super()._load_from_state_dict(*args, **kwargs)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Log-density (nats) of each image in the batch; differentiable in ``x``."""
        raise NotImplementedError

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError

    def conditional_mean(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor | None:
        """Closed-form most-likely fill (1x3xHxW image, 1x1xHxW mask of 1 = hole); None if none exists."""
        return None

    def conditional_sample(self, x: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A sample of the hole given the visible pixels. Exact for Gaussians (Matheron's rule:
        x_h = E[x_h | x_o] + z_h - E[z_h | z_o] for a joint sample z)."""
        mean = self.conditional_mean(x, mask)
        if mean is None:
            raise NotImplementedError(f"{type(self).__name__} has no conditional sampler")
        z = self.sample(1, generator).to(x.dtype)
        zmean = self.conditional_mean(z, mask)
        return torch.where(mask.bool(), mean + z - zmean, x)

    @classmethod
    def fit(cls, images: torch.Tensor, **options: Any) -> "Distribution":
        """Maximum-likelihood fit on uint8 NxHxWx3 images."""
        raise NotImplementedError


def mle_fill(distribution: Distribution, x: torch.Tensor, mask: torch.Tensor, init: torch.Tensor | None = None,
             steps: int = 300, lr: float = 0.02) -> torch.Tensor:
    """Generic MLE filler: maximise ``log_prob`` over the hole pixels with Adam, visible pixels
    fixed, values kept in [0, 1]. ``init`` is the starting fill (e.g. a cheap inpainting)."""
    hole = mask.bool().expand_as(x)
    start = (x if init is None else init).detach().clone()
    hidden = start[hole].clone().requires_grad_(True)
    opt = torch.optim.Adam([hidden], lr=lr)
    base = x.detach().clone()
    for _ in range(steps):
        full = base.masked_scatter(hole, hidden)
        loss = -distribution.log_prob(full).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            hidden.clamp_(0.0, 1.0)
    return base.masked_scatter(hole, hidden.detach())
