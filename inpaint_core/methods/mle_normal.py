"""MLE inpainting with a multivariate Normal over all pixels (RGB jointly, or per channel).

Fitted by maximum likelihood with a ridge term; inpainting is the exact conditional mean.
"""

from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin

from .. import gaussian
from ..mle import Distribution, pixels
from ._mle import MLEMethod
from .registry import register_method


class NormalImage(Distribution, PyTorchModelHubMixin):
    def __init__(self, size: int = 32, rank: int = 1024, per_channel: bool = False) -> None:
        super().__init__()
        self.size, self.per_channel = size, per_channel
        self.groups = 3 if per_channel else 1
        self.dim = 3 * size * size // self.groups
        self.rank = min(rank, self.dim)
        g, d, r = self.groups, self.dim, self.rank
        self.register_buffer("mean", torch.zeros(g, d))
        self.register_buffer("basis", torch.zeros(g, d, r))
        self.register_buffer("eigvals", torch.ones(g, r))
        self.register_buffer("noise", torch.ones(g))

    def _params(self):
        return self.derived("params", lambda: (self.mean.to(torch.float64), gaussian.orthonormal(self.basis),
                                               self.eigvals.to(torch.float64), self.noise.to(torch.float64)))

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], self.groups, self.dim)

    def mean_image(self) -> torch.Tensor:
        return self.mean.reshape(1, 3, self.size, self.size)

    def log_prob(self, x):
        mean, q, lam, s2 = self._params()
        e = self._flat(x.to(torch.float64)) - mean
        return sum(gaussian.log_prob(e[:, g], q[g], lam[g], s2[g]) for g in range(self.groups))

    def sample(self, n, generator=None):
        mean, q, lam, s2 = self._params()
        parts = [gaussian.sample(n, q[g], lam[g], s2[g], generator) + mean[g] for g in range(self.groups)]
        return torch.stack(parts, 1).reshape(n, 3, self.size, self.size)

    def conditional_mean(self, x, mask):
        mean, q, lam, s2 = self._params()
        x = x.to(torch.float64)
        hole = self._flat(mask.bool().expand(x.shape[0], 3, -1, -1))[0]
        e = self._flat(x) - mean
        out = e.clone()
        for g in range(self.groups):
            if hole[g].any():
                offset, _ = gaussian.condition(e[:, g], hole[g], q[g], lam[g], s2[g], self.derived("holes", dict))
                out[:, g, hole[g]] = offset
        return torch.where(mask.bool(), (out + mean).reshape(x.shape), x)  # visible pixels bit-exact

    @classmethod
    def fit(cls, images, size: int = 32, rank: int = 1024, per_channel: bool = False, ridge: float = 1e-4):
        """Maximum likelihood (sample mean and covariance) plus ``ridge`` on the diagonal, factored."""
        model = cls(size=size, rank=rank, per_channel=per_channel)
        x = model._flat(pixels(images))
        for g in range(model.groups):
            xg = x[:, g]
            mean = xg.mean(0)
            centred = (xg - mean).to(torch.float32)
            cov = (centred.T @ centred).to(torch.float64) / len(xg)
            cov.diagonal().add_(ridge)
            q, lam, s2 = gaussian.eig_factor(cov, model.rank)
            model.mean[g], model.basis[g], model.eigvals[g], model.noise[g] = mean, q, lam, s2
        model.parameters_changed()
        return model


@register_method
class MLENormal(MLEMethod):
    name = "mle-normal"
    description = "Most likely fill under a multivariate Normal on all pixels: its exact conditional mean."
    paper = "MLE inpainting meta-algorithm (Normal); eigen-factored covariance"
    network_class = NormalImage
