"""Pixel Constrained CNN (paper 002): many different fills of one hole, each with its exact likelihood.

p(x_hidden | c) factorises in raster order, sub-pixels R->G->B. The logits of a sub-pixel are the sum
of a prior network's (a gated PixelCNN over the image generated so far: vertical and horizontal
stacks, a restricted first layer) and a conditioning network's (residual blocks of ordinary
convolutions over the masked image plus the visible-pixel channel; dilated, so every logit sees every
visible pixel). Colours are quantised: 2 levels for binarised MNIST, 32 (5 bits) for faces. Training
maximises log p(x|c) + alpha log p_cond(x|c) on the hidden sub-pixels of random-blob masks.

Sampling runs the conditioning network once and the prior once per hidden sub-pixel, on just the rows
that sub-pixel can see, for a batch of samples at once; visible pixels are copied, never sampled. A
sample's log-likelihood is the sum of its sampled sub-pixels' log-probabilities under the model.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..learned import TorchMethod
from ..tensors import batch_tensor, to_tensor
from .base import Capabilities, Fill, Option
from .registry import register_method

def channel_groups(channels: int, groups: int, period: int | None = None) -> torch.Tensor:
    """Colour group (0 = R, 1 = G, 2 = B) of each feature channel; ``period`` repeats the assignment
    (the two halves of a gated convolution's output)."""
    period = period or channels
    return (torch.arange(channels) % period) * groups // period


class CurrentTapConv(nn.Conv2d):
    """A convolution over left-padded input whose last tap is the current pixel: there it sees only
    earlier colour groups (type A) or earlier and the same (type B); its other taps are all causal."""

    def __init__(self, cin: int, cout: int, kernel: tuple[int, int], in_groups: torch.Tensor,
                 out_groups: torch.Tensor, mask_type: str) -> None:
        super().__init__(cin, cout, kernel)
        allowed = in_groups[None, :] < out_groups[:, None] if mask_type == "A" else in_groups[None, :] <= out_groups[:, None]
        mask = torch.ones_like(self.weight)
        mask[:, :, -1, -1] = allowed.float()
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias)


def gate(t: torch.Tensor) -> torch.Tensor:
    a, b = t.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedLayer(nn.Module):
    """One gated PixelCNN layer. The vertical stack sees the rows up to its own (a (k//2+1) x k
    kernel) and reaches the horizontal stack shifted down one row, so the horizontal stack sees rows
    strictly above plus the pixels to its left; the first (restricted) layer hides the current
    sub-pixel itself."""

    def __init__(self, cin: int, hidden: int, groups: int, kernel: int, first: bool) -> None:
        super().__init__()
        self.reach, self.first = kernel // 2, first
        self.vertical = nn.Conv2d(cin, 2 * hidden, (self.reach + 1, kernel))
        self.link = nn.Conv2d(2 * hidden, 2 * hidden, 1)
        gin, gout = channel_groups(cin, groups), channel_groups(2 * hidden, groups, hidden)
        self.horizontal = CurrentTapConv(cin, 2 * hidden, (1, self.reach + 1), gin, gout, "A" if first else "B")
        gh = channel_groups(hidden, groups)
        self.out = CurrentTapConv(hidden, hidden, (1, 1), gh, gh, "B")

    def vertical_pre(self, v: torch.Tensor) -> torch.Tensor:
        k = self.reach
        return self.vertical(F.pad(v, (k, k, k, 0)))

    def horizontal_step(self, h: torch.Tensor, link: torch.Tensor) -> torch.Tensor:
        """The horizontal stack, given what the vertical stack passes down (``link``)."""
        hp = self.horizontal(F.pad(h, (self.reach, 0, 0, 0))) + link
        new = self.out(gate(hp))
        return new if self.first else h + new

    def forward(self, v: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        vp = self.vertical_pre(v)
        above = F.pad(vp, (0, 0, 1, 0))[:, :, :-1]
        return gate(vp), self.horizontal_step(h, self.link(above))


class GatedPixelCNN(nn.Module):
    def __init__(self, channels: int, levels: int, hidden: int, layers: int, kernel: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList([GatedLayer(channels, hidden, channels, kernel, True)] +
                                    [GatedLayer(hidden, hidden, channels, kernel, False) for _ in range(layers - 1)])
        gout = torch.arange(channels * levels) // levels
        self.head = CurrentTapConv(hidden, channels * levels, (1, 1), channel_groups(hidden, channels), gout, "B")
        self.rows_seen = layers * (kernel // 2) + 1  # a logit depends on at most this many rows above it
        self.cols_seen = layers * (kernel // 2)  # ... and, within its own row, this many columns to its left

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = h = x
        for layer in self.layers:
            v, h = layer(v, h)
        return self.head(F.relu(h))

    def row_links(self, above: torch.Tensor, batch: int, width: int) -> list[torch.Tensor]:
        """What each layer's vertical stack passes to the horizontal stack of the row below ``above``
        (B x C x rows x W, at least ``rows_seen`` - 1 rows, or none for the first row). It depends on
        the rows above only, so sampling computes it once per row."""
        links, v = [], above
        for layer in self.layers:
            if v.shape[2] == 0:
                links.append(layer.link(torch.zeros(batch, layer.link.in_channels, 1, width, device=above.device)))
                continue
            vp = layer.vertical_pre(v)
            links.append(layer.link(vp[:, :, -1:]))
            v = gate(vp)
        return links

    def row_logits(self, row: torch.Tensor, links: list[torch.Tensor]) -> torch.Tensor:
        """Logits of one row (B x C x 1 x W) from the row itself and its :meth:`row_links`: the same
        numbers as :meth:`forward` there, at a fraction of the cost."""
        h = row
        for layer, link in zip(self.layers, links):
            h = layer.horizontal_step(h, link)
        return self.head(F.relu(h))


class ConditioningNet(nn.Module):
    """Residual blocks of ordinary 3x3 convolutions; dilations make the view cover the whole image
    with few blocks (the paper: 15-17 undilated 5x5 blocks)."""

    def __init__(self, channels: int, levels: int, width: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        self.inp = nn.Conv2d(channels + 1, width, 5, padding=2)
        self.blocks = nn.ModuleList(nn.Conv2d(width, width, 3, padding=d, dilation=d) for d in dilations)
        self.head = nn.Conv2d(width, channels * levels, 1)
        self.reach = 2 + sum(dilations)

    def forward(self, x: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        t = self.inp(torch.cat([x * visible, visible], 1))
        for conv in self.blocks:
            t = t + conv(F.relu(t))
        return self.head(F.relu(t))


class PixelConstrainedNet(nn.Module, PyTorchModelHubMixin):
    def __init__(self, size: int = 32, channels: int = 3, levels: int = 32, hidden: int = 32, layers: int = 7,
                 kernel: int = 5, cond_width: int = 32, dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8)) -> None:
        super().__init__()
        self.size, self.channels, self.levels = size, channels, levels
        self.prior = GatedPixelCNN(channels, levels, hidden, layers, kernel)
        self.conditioning = ConditioningNet(channels, levels, cond_width, tuple(dilations))

    def quantise(self, image: torch.Tensor) -> torch.Tensor:
        """Bx3xHxW in [0, 1] -> BxCxHxW levels (gray models read the channel mean; 2 levels = threshold 0.5)."""
        if self.channels == 1:
            image = image.mean(1, keepdim=True)
        return (image * (self.levels - 1)).round().long().clamp(0, self.levels - 1)

    def decode(self, lv: torch.Tensor) -> torch.Tensor:
        x = lv.float() / (self.levels - 1)
        return x.expand(-1, 3, -1, -1) if self.channels == 1 else x

    def encode(self, lv: torch.Tensor) -> torch.Tensor:
        return lv.float() * (2.0 / (self.levels - 1)) - 1.0

    def _split(self, logits: torch.Tensor) -> torch.Tensor:
        b, _, h, w = logits.shape
        return logits.view(b, self.channels, self.levels, h, w)

    def prior_logits(self, lv: torch.Tensor) -> torch.Tensor:
        return self._split(self.prior(self.encode(lv)))

    def conditioning_logits(self, lv: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        return self._split(self.conditioning(self.encode(lv), visible))

    def log_probs(self, lv: torch.Tensor, visible: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced log p(x_i | x_<i, c) and log p_cond(x_i | c) of every sub-pixel: BxCxHxW each."""
        cond = self.conditioning_logits(lv, visible)
        full = self.prior_logits(lv) + cond
        pick = lv[:, :, None]
        return (F.log_softmax(full, 2).gather(2, pick).squeeze(2),
                F.log_softmax(cond, 2).gather(2, pick).squeeze(2))


def hidden_mean(values: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
    return (values * hidden).sum() / hidden.sum().clamp_min(1)


@register_method
class PixelConstrainedCNN(TorchMethod):
    name = "pixel-constrained-cnn"
    description = ("PixelCNN prior + conditioning network: samples many different fills of any hole, pixel by "
                   "pixel, each with its log-likelihood.")
    paper = "Probabilistic Semantic Inpainting with Pixel Constrained CNNs"
    capabilities = Capabilities(native_size=32, stochastic=True, log_likelihood=True, needs_checkpoint=True)
    options = {
        "temperature": Option(1.0, "softmax temperature when sampling", minimum=0.05, maximum=5.0),
        "frames": Option(0, "probability maps kept while sampling (the paper's Figure 8)", minimum=0, maximum=32),
    }
    network_class = PixelConstrainedNet

    def __init__(self, checkpoint=None, network=None, **defaults: Any) -> None:
        super().__init__(checkpoint, network, **defaults)
        self.capabilities = dataclasses.replace(type(self).capabilities, native_size=self.net.size)

    @torch.no_grad()
    def validation_report(self, images: np.ndarray, count: int = 500) -> dict[str, float]:
        """Bits per hidden sub-pixel of held-out images under random-blob masks (teacher-forced): the
        full model, and the conditioning logits alone."""
        from ..maskgen import RandomBlobs

        rng = np.random.default_rng(0)
        x = batch_tensor(images[:count])
        size = x.shape[-1]
        masks = torch.from_numpy(np.stack([RandomBlobs()(size, size, rng) for _ in range(len(x))]))[:, None].float()
        full_bits, cond_bits, n = 0.0, 0.0, 0.0
        for xb, mb in zip(x.split(100), masks.split(100)):
            full, cond = self.net.log_probs(self.net.quantise(xb), 1 - mb)
            hidden = mb.expand_as(full)
            full_bits -= float((full * hidden).sum()) / np.log(2)
            cond_bits -= float((cond * hidden).sum()) / np.log(2)
            n += float(hidden.sum())
        return {"bits_per_hidden_subpixel": full_bits / n, "bits_per_hidden_subpixel_cond_only": cond_bits / n}

    # -- sampling -------------------------------------------------------------------------------------
    def fill(self, image, mask, rng, temperature=1.0, frames=0):
        return self.fill_batch(image, mask, rng, 1, temperature=temperature, frames=frames)[0]

    @torch.no_grad()
    def fill_batch(self, image, mask, rng, n, temperature=1.0, frames=0):
        net = self.net
        x, m = to_tensor(image, mask)
        visible = (1 - m).expand(n, -1, -1, -1)
        lv = (net.quantise(x) * visible.long()).expand(n, -1, -1, -1).clone()
        cond = net.conditioning_logits(lv, visible)
        gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
        steps = [(int(r), int(c), ch) for r, c in zip(*np.nonzero(mask)) for ch in range(net.channels)]
        keep = set(np.linspace(0, len(steps), frames).round().astype(int).tolist()) if frames else set()
        log_lik = torch.zeros(n, dtype=torch.float64)
        chosen_p = torch.zeros(n, net.channels, *mask.shape)
        progression = []
        row, links = -1, []
        for t, (r, c, ch) in enumerate(steps):
            if t in keep:
                progression.append(self._probability_map(lv, cond, mask))
            if r != row:  # the rows above are final now: what they pass down is computed once per row
                row = r
                links = net.prior.row_links(net.encode(lv[:, :, max(0, r - net.prior.rows_seen) : r]), n, mask.shape[1])
            left = max(0, c - net.prior.cols_seen)
            logits = net.prior.row_logits(net.encode(lv[:, :, r : r + 1, left : c + 1]), [k[..., left : c + 1] for k in links])
            prior = net._split(logits)[:, ch, :, 0, -1]
            logp = F.log_softmax(prior + cond[:, ch, :, r, c], dim=1)
            value = torch.multinomial(F.softmax(logp / temperature, dim=1), 1, generator=gen)
            log_lik += logp.gather(1, value)[:, 0].double()
            chosen_p[:, ch, r, c] = logp.exp()[:, 1] if net.levels == 2 else logp.gather(1, value)[:, 0].exp()
            lv[:, ch, r, c] = value[:, 0]
        if len(steps) in keep:
            progression.append(self._probability_map(lv, cond, mask))
        probabilities = chosen_p.mean(1).numpy()
        probabilities[:, ~mask] = np.nan  # visible: nothing was sampled there
        images = net.decode(lv).permute(0, 2, 3, 1).numpy().astype(np.float32)
        fills = []
        for k in range(n):
            extras: dict[str, Any] = {"probabilities": probabilities[k]}
            if progression:
                extras["progression"] = np.stack([p[k] for p in progression])
            fills.append(Fill(images[k], log_likelihood=float(log_lik[k]), extras=extras))
        return fills

    def _probability_map(self, lv: torch.Tensor, cond: torch.Tensor, mask: np.ndarray) -> np.ndarray:
        """One full pass over the partly sampled images (sub-pixels not sampled yet enter as 0, as in the
        paper's Figure 8): p(1) per hidden pixel for binary images, else the normalised entropy."""
        logp = F.log_softmax(self.net.prior_logits(lv) + cond, dim=2)
        if self.net.levels == 2:
            values = logp[:, :, 1].exp().mean(1)
        else:
            values = -(logp.exp() * logp).sum(2).mean(1) / np.log(self.net.levels)
        out = values.numpy().copy()
        out[:, ~mask] = np.nan
        return out
