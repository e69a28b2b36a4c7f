"""MLE inpainting with a Gaussian mixture (k components fitted by EM, each eigen-factored).

A mixture has no closed-form most-likely fill: the generic optimiser of the meta-algorithm starts
from the responsibility-weighted conditional means of the components and climbs the mixture's
log-likelihood. Sampling picks a component by its posterior given the visible pixels, then
samples its exact conditional.
"""

from __future__ import annotations

import logging
import math

import torch
from huggingface_hub import PyTorchModelHubMixin

from .. import gaussian
from ..mle import Distribution, pixels
from ._mle import MLEMethod
from .base import Option
from .registry import register_method

log = logging.getLogger(__name__)


class GaussianMixtureImage(Distribution, PyTorchModelHubMixin):
    def __init__(self, size: int = 32, components: int = 3, rank: int = 1024) -> None:
        super().__init__()
        self.size, self.components = size, components
        self.dim = 3 * size * size
        self.rank = min(rank, self.dim)
        k, d, r = components, self.dim, self.rank
        self.register_buffer("logits", torch.zeros(k))
        self.register_buffer("mean", torch.zeros(k, d))
        self.register_buffer("basis", torch.zeros(k, d, r))
        self.register_buffer("eigvals", torch.ones(k, r))
        self.register_buffer("noise", torch.ones(k))

    def _params(self):
        return self.derived("params", lambda: (
            torch.log_softmax(self.logits.to(torch.float64), 0), self.mean.to(torch.float64),
            gaussian.orthonormal(self.basis), self.eigvals.to(torch.float64), self.noise.to(torch.float64)))

    def mean_image(self) -> torch.Tensor:
        logw, mean, *_ = self._params()
        return (logw.exp() @ mean).reshape(1, 3, self.size, self.size)

    def component_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """B x k: log pi_k + log N(x; mu_k, Sigma_k)."""
        logw, mean, q, lam, s2 = self._params()
        flat = x.reshape(x.shape[0], -1).to(torch.float64)
        return torch.stack([logw[k] + gaussian.log_prob(flat - mean[k], q[k], lam[k], s2[k])
                            for k in range(self.components)], 1)

    def log_prob(self, x):
        return torch.logsumexp(self.component_log_prob(x), 1)

    def sample(self, n, generator=None):
        logw, mean, q, lam, s2 = self._params()
        ks = torch.multinomial(logw.exp(), n, replacement=True, generator=generator)
        out = torch.stack([gaussian.sample(1, q[k], lam[k], s2[k], generator)[0] + mean[k] for k in ks.tolist()])
        return out.reshape(n, 3, self.size, self.size)

    def _component_fill(self, x: torch.Tensor, mask: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Component k's conditional-mean fill (flat, 1 x D) and log det of its precision's hidden block."""
        _, mean, q, lam, s2 = self._params()
        e = x.reshape(1, -1).to(torch.float64) - mean[k]
        hole = mask.bool().expand(1, 3, -1, -1).reshape(-1)
        offset, logdet_phh = gaussian.condition(e, hole, q[k], lam[k], s2[k], self.derived("holes", dict))
        e[:, hole] = offset
        return e + mean[k], logdet_phh

    def component_conditionals(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per component: the conditional-mean image (k x 3 x H x W) and log p(k | visible pixels)."""
        logw, mean, q, lam, s2 = self._params()
        n_hidden = int(mask.bool().sum()) * 3
        fills, logpost = [], []
        for k in range(self.components):
            filled, logdet_phh = self._component_fill(x, mask, k)
            # log p(x_o) = log p(x_o, m_h) - log N(m_h; m_h, P_hh^-1)
            marginal = gaussian.log_prob(filled - mean[k], q[k], lam[k], s2[k]) + 0.5 * (
                n_hidden * math.log(2 * math.pi) - logdet_phh)
            fills.append(filled)
            logpost.append(logw[k] + marginal[0])
        logpost_t = torch.stack(logpost)
        return torch.cat(fills).reshape(-1, 3, self.size, self.size), logpost_t - torch.logsumexp(logpost_t, 0)

    def conditional_sample(self, x, mask, generator=None):
        fills, logpost = self.component_conditionals(x, mask)
        k = int(torch.multinomial(logpost.exp(), 1, generator=generator))
        _, mean, q, lam, s2 = self._params()
        z = (gaussian.sample(1, q[k], lam[k], s2[k], generator) + mean[k]).reshape(x.shape)
        zfill = self._component_fill(z, mask, k)[0].reshape(x.shape)
        return torch.where(mask.bool(), fills[k : k + 1] + z - zfill, x.to(torch.float64))

    @classmethod
    def fit(cls, images, size: int = 32, components: int = 3, rank: int = 1024, iterations: int = 5,
            ridge: float = 1e-4, seed: int = 0):
        """EM from a k-means++ start in a 64-d PCA space; M-step = weighted ML covariance + ridge, factored."""
        model = cls(size=size, components=components, rank=rank)
        x = pixels(images).reshape(len(images), -1).to(torch.float32)
        n, d = x.shape
        gen = torch.Generator().manual_seed(seed)
        centred = x - x.mean(0)
        _, _, v = torch.pca_lowrank(centred, q=min(64, d, n), center=False, niter=3)
        z = centred @ v
        centres = z[torch.randint(n, (1,), generator=gen)]
        for _ in range(1, components):  # k-means++ seeding
            dist = torch.cdist(z, centres).min(1).values ** 2
            centres = torch.cat([centres, z[torch.multinomial(dist / dist.sum(), 1, generator=gen)]])
        for _ in range(10):
            assign = torch.cdist(z, centres).argmin(1)
            centres = torch.stack([z[assign == k].mean(0) if (assign == k).any() else centres[k] for k in range(components)])
        resp = torch.nn.functional.one_hot(assign, components).to(torch.float64)
        for it in range(iterations + 1):
            weights = resp.sum(0) + 1e-9
            for k in range(components):
                w = (resp[:, k] / weights[k]).to(torch.float32)
                mean = w @ x
                centred = (x - mean) * w.sqrt()[:, None]
                cov = (centred.T @ centred).to(torch.float64)
                cov.diagonal().add_(ridge)
                q, lam, s2 = gaussian.eig_factor(cov, model.rank)
                model.mean[k], model.basis[k], model.eigvals[k], model.noise[k] = mean, q, lam, s2
            model.logits.copy_(torch.log(weights / n))
            model.parameters_changed()
            if it == iterations:
                break
            with torch.no_grad():  # E-step in chunks
                comp = torch.cat([model.component_log_prob(x[i : i + 4096].reshape(-1, 3, size, size))
                                  for i in range(0, n, 4096)])
            resp = torch.softmax(comp, 1)
            log.info("EM iteration %d/%d: mean log-likelihood %.1f nats", it + 1, iterations,
                     float(torch.logsumexp(comp, 1).mean()))
        return model


@register_method
class MLEGaussianMixture(MLEMethod):
    name = "mle-gmm"
    description = "Most likely fill under a Gaussian mixture (EM), found by optimisation from the components' conditionals."
    paper = "MLE inpainting meta-algorithm (Gaussian mixture)"
    network_class = GaussianMixtureImage
    # from the responsibility-weighted conditional means the optimiser converges in ~30 steps (measured)
    options = {**MLEMethod.options,
               "steps": Option(30, "optimisation steps from the components' conditional means", minimum=0, maximum=5000),
               "lr": Option(0.01, "optimiser step size", minimum=1e-5, maximum=1.0)}

    def initial_fill(self, x, mask):
        fills, logpost = self.net.component_conditionals(x, mask)
        return (logpost.exp()[:, None, None, None] * fills).sum(0, keepdim=True)
