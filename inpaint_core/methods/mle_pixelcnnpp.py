"""MLE inpainting with PixelCNN++ (Salimans et al. 2017), CPU-sized.

Down- and down-right-shifted convolutions keep the model causal in raster order; gated ResNet
blocks on two streams; a discretised mixture of logistics with the R->G->B coefficients gives the
likelihood. As a density on [0,1] images it is the piecewise-constant (dequantised) density of the
256-level model, so ``log_prob`` is differentiable in the pixels and the generic MLE filler of the
meta-algorithm applies unchanged. Reduced relative to the paper: one resolution (no down/up-
sampling), 3 blocks per stream, 32 filters, 5 mixture components.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..images import to_float, to_uint8
from ..mle import Distribution
from ..tensors import batch_tensor
from ._mle import MLEMethod
from .base import Option
from .registry import register_method


def concat_elu(x: torch.Tensor) -> torch.Tensor:
    return F.elu(torch.cat([x, -x], dim=1))


class DownShiftedConv(nn.Module):
    """Sees the rows above (and the current row left/right within the kernel for the u-stream)."""

    def __init__(self, cin: int, cout: int, kernel=(2, 3), right: bool = False) -> None:
        super().__init__()
        kh, kw = kernel
        self.pad = (kw - 1, 0, kh - 1, 0) if right else ((kw - 1) // 2, (kw - 1) // 2, kh - 1, 0)
        self.conv = nn.utils.parametrizations.weight_norm(nn.Conv2d(cin, cout, kernel))

    def forward(self, x):
        return self.conv(F.pad(x, self.pad))


def down_shift(x):
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1]


def right_shift(x):
    return F.pad(x, (1, 0, 0, 0))[:, :, :, :-1]


class GatedResnet(nn.Module):
    def __init__(self, channels: int, right: bool, aux: bool, dropout: float) -> None:
        super().__init__()
        kernel = (2, 2) if right else (2, 3)
        self.conv1 = DownShiftedConv(2 * channels, channels, kernel, right)
        self.aux = nn.Conv2d(2 * channels, channels, 1) if aux else None
        self.conv2 = DownShiftedConv(2 * channels, 2 * channels, kernel, right)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, a=None):
        c = self.conv1(concat_elu(x))
        if a is not None:
            c = c + self.aux(concat_elu(a))
        c = self.conv2(self.dropout(concat_elu(c)))
        value, gate = c.chunk(2, dim=1)
        return x + value * torch.sigmoid(gate)


def discretized_mix_logistic_logprob(x: torch.Tensor, params: torch.Tensor, mixtures: int) -> torch.Tensor:
    """log P(x) per image for x in [-1, 1] (B x 3 x H x W), params B x 10*mixtures x H x W."""
    b, _, h, w = x.shape
    logit_probs = params[:, :mixtures]
    rest = params[:, mixtures:].reshape(b, 3, 3 * mixtures, h, w)
    means, log_scales = rest[:, :, :mixtures], rest[:, :, mixtures : 2 * mixtures].clamp(min=-7.0)
    coeffs = torch.tanh(rest[:, :, 2 * mixtures :])
    xe = x.unsqueeze(2)  # B x 3 x 1 x H x W
    m0 = means[:, 0]
    m1 = means[:, 1] + coeffs[:, 0] * xe[:, 0]
    m2 = means[:, 2] + coeffs[:, 1] * xe[:, 0] + coeffs[:, 2] * xe[:, 1]
    means = torch.stack([m0, m1, m2], 1)
    centred = xe - means
    inv_s = torch.exp(-log_scales)
    plus, minus = inv_s * (centred + 1.0 / 255.0), inv_s * (centred - 1.0 / 255.0)
    cdf_plus, cdf_minus = torch.sigmoid(plus), torch.sigmoid(minus)
    log_cdf_plus = plus - F.softplus(plus)  # log sigmoid, for x = 0 (edge case)
    log_one_minus_cdf_min = -F.softplus(minus)  # for x = 255
    cdf_delta = cdf_plus - cdf_minus
    mid = inv_s * centred
    log_pdf_mid = mid - log_scales - 2.0 * F.softplus(mid)
    inner = torch.where(cdf_delta > 1e-5, torch.log(cdf_delta.clamp(min=1e-12)), log_pdf_mid - math.log(127.5))
    log_probs = torch.where(xe < -0.999, log_cdf_plus, torch.where(xe > 0.999, log_one_minus_cdf_min, inner))
    log_probs = log_probs.sum(1) + torch.log_softmax(logit_probs, 1)  # B x mixtures x H x W
    return torch.logsumexp(log_probs, 1).flatten(1).sum(1)


class PixelCNNPP(Distribution, PyTorchModelHubMixin):
    def __init__(self, size: int = 32, filters: int = 32, blocks: int = 3, mixtures: int = 5, dropout: float = 0.1) -> None:
        super().__init__()
        self.size, self.mixtures = size, mixtures
        self.u_init = DownShiftedConv(4, filters, (2, 3))
        self.ul_init_down = DownShiftedConv(4, filters, (1, 3))
        self.ul_init_right = DownShiftedConv(4, filters, (2, 1), right=True)
        self.u_blocks = nn.ModuleList(GatedResnet(filters, False, False, dropout) for _ in range(blocks))
        self.ul_blocks = nn.ModuleList(GatedResnet(filters, True, True, dropout) for _ in range(blocks))
        self.out = nn.Conv2d(filters, 10 * mixtures, 1)
        self.register_buffer("pixel_mean", torch.full((1, 3, size, size), 0.5))

    def params(self, x: torch.Tensor) -> torch.Tensor:
        """Mixture parameters at every pixel from the pixels before it (x in [-1, 1])."""
        x = torch.cat([x, torch.ones_like(x[:, :1])], 1)  # the ones channel marks the zero padding
        u = down_shift(self.u_init(x))
        ul = down_shift(self.ul_init_down(x)) + right_shift(self.ul_init_right(x))
        for ub, ulb in zip(self.u_blocks, self.ul_blocks):
            u = ub(u)
            ul = ulb(ul, u)
        return self.out(F.elu(ul))

    def log_prob(self, x):
        scaled = x.to(self.out.weight.dtype) * 2 - 1
        log_mass = discretized_mix_logistic_logprob(scaled, self.params(scaled), self.mixtures)
        return (log_mass + x[0].numel() * math.log(256.0)).to(x.dtype)

    def mean_image(self):
        return self.pixel_mean

    @torch.no_grad()
    def _sample_pixel(self, params: torch.Tensor, i: int, j: int, generator) -> torch.Tensor:
        """Sample the RGB value at (i, j) from its mixture (B x 3, in [-1, 1])."""
        m = self.mixtures
        p = params[:, :, i, j]
        logits = p[:, :m]
        rest = p[:, m:].reshape(-1, 3, 3 * m)
        gumbel = -torch.log(-torch.log(torch.rand(logits.shape, generator=generator).clamp(1e-5, 1 - 1e-5)))
        k = (logits + gumbel).argmax(1)
        pick = lambda t: t.gather(2, k.view(-1, 1, 1).expand(-1, 3, 1)).squeeze(2)  # noqa: E731
        means, log_scales, coeffs = pick(rest[:, :, :m]), pick(rest[:, :, m : 2 * m]).clamp(min=-7), torch.tanh(pick(rest[:, :, 2 * m :]))
        u = torch.rand(means.shape, generator=generator).clamp(1e-5, 1 - 1e-5)
        x = means + torch.exp(log_scales) * (torch.log(u) - torch.log1p(-u))
        r = x[:, 0].clamp(-1, 1)
        g = (x[:, 1] + coeffs[:, 0] * r).clamp(-1, 1)
        b = (x[:, 2] + coeffs[:, 1] * r + coeffs[:, 2] * g).clamp(-1, 1)
        return torch.stack([r, g, b], 1)

    @torch.no_grad()
    def sample(self, n, generator=None):
        x = torch.zeros(n, 3, self.size, self.size)
        for i in range(self.size):
            for j in range(self.size):
                x[:, :, i, j] = self._sample_pixel(self.params(x), i, j, generator)
        return ((x + 1) / 2 * 255).round() / 255

    @torch.no_grad()
    def conditional_sample(self, x, mask, generator=None):
        """Ancestral sampling of the hole in raster order; conditions on the visible pixels above
        and left of each hole pixel only (the limitation the Pixel Constrained CNN removes)."""
        z = x.to(torch.float32) * 2 - 1
        hole = mask.bool()[0, 0]
        for i, j in zip(*torch.nonzero(hole, as_tuple=True)):
            z[:, :, i, j] = self._sample_pixel(self.params(z), int(i), int(j), generator)
        return torch.where(mask.bool(), ((z + 1) / 2 * 255).round() / 255, x.to(torch.float32)).to(x.dtype)


@register_method
class MLEPixelCNNPP(MLEMethod):
    name = "mle-pixelcnnpp"
    description = "Most likely fill under PixelCNN++: gradient ascent on its log-likelihood from a Telea start."
    paper = "MLE inpainting meta-algorithm (PixelCNN++, Salimans et al. 2017)"
    network_class = PixelCNNPP
    options = {**MLEMethod.options,
               "steps": Option(100, "Adam steps on the log-likelihood from the Telea fill", minimum=0, maximum=5000)}

    @torch.no_grad()
    def validation_report(self, images, batch: int = 100):
        """Bits per sub-pixel of the 256-level model on held-out images (no dequantisation needed)."""
        x = batch_tensor(images)
        bpd = torch.cat([bits_per_subpixel(self.net, x[i : i + batch], reduce=False) for i in range(0, len(x), batch)])
        return {"bits_per_dim": float(bpd.mean())}

    def initial_fill(self, x, mask):
        """A cheap fill to start the optimiser from: OpenCV Telea."""
        image = to_uint8(x[0].permute(1, 2, 0).numpy())
        filled = cv2.inpaint(image, mask[0, 0].numpy().astype(np.uint8), 3, cv2.INPAINT_TELEA)
        return torch.from_numpy(to_float(filled)).permute(2, 0, 1)[None].to(x.dtype)


def bits_per_subpixel(net: PixelCNNPP, images: torch.Tensor, reduce: bool = True) -> torch.Tensor:
    scaled = images * 2 - 1
    log_mass = discretized_mix_logistic_logprob(scaled, net.params(scaled), net.mixtures)
    bpd = -log_mass / (images[0].numel() * math.log(2))
    return bpd.mean() if reduce else bpd
