"""The method side of the MLE meta-algorithm: any :class:`Distribution` in the zoo becomes an
inpainting method. A new distribution needs no inpainting code: it gets ``mode=mle`` (closed form
where it has one, else the generic optimiser) and ``mode=sample`` for free."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from ..learned import TorchMethod
from ..mle import Distribution, bits_per_dim, mle_fill
from ..tensors import to_image, to_tensor
from .base import Capabilities, Fill, Option


class MLEMethod(TorchMethod):
    capabilities = Capabilities(native_size=32, stochastic=True, log_likelihood=True, needs_checkpoint=True)
    options = {
        "mode": Option("mle", "most likely fill, or a random sample of the hole", choices=("mle", "sample")),
        "steps": Option(300, "optimisation steps (distributions without a closed form)", minimum=0, maximum=5000),
        "lr": Option(0.02, "optimiser step size", minimum=1e-5, maximum=1.0),
    }
    net: Distribution

    def __init__(self, checkpoint=None, network=None, **defaults: Any) -> None:
        super().__init__(checkpoint, network, **defaults)
        self.capabilities = dataclasses.replace(type(self).capabilities, native_size=self.net.size)

    def initial_fill(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Starting point of the generic optimiser: the mean image in the hole."""
        return torch.where(mask.bool(), self.net.mean_image().to(x.dtype), x)

    def fill(self, image, mask, rng, mode="mle", steps=300, lr=0.02, **closed_form):
        x, m = (t.to(torch.float64) for t in to_tensor(image, mask))
        gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
        if mode == "sample":
            out = self.net.conditional_sample(x, m, gen)
        else:
            with torch.no_grad():
                out = self.net.conditional_mean(x, m, **closed_form)
            if out is None:
                out = mle_fill(self.net, x, m, self.initial_fill(x, m), steps=steps, lr=lr)
        out = torch.where(m.bool(), out.clamp(0, 1), x)
        with torch.no_grad():
            ll = float(self.net.log_prob(out)[0])
        return Fill(to_image(out), log_likelihood=ll)

    @torch.no_grad()
    def validation_report(self, images: np.ndarray, batch: int = 256) -> dict[str, float]:
        """Bits per sub-pixel of held-out images, uniformly dequantised onto [0, 1]."""
        gen = torch.Generator().manual_seed(0)
        total, count = 0.0, 0
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i : i + batch]).permute(0, 3, 1, 2).to(torch.float64)
            x = (x + torch.rand(x.shape, generator=gen, dtype=torch.float64)) / 256.0
            total += float(bits_per_dim(self.net.log_prob(x), x[0].numel()).sum())
            count += len(x)
        return {"bits_per_dim": total / count}
