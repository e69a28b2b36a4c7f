"""A photo inpainting network in the manner of LaMa (Suvorov et al., 2022), sized for a CPU.

Object removal in a photo needs context from far away (the sand or brick wall the object stood on),
which a stack of 3x3 convolutions reaches only after many layers. LaMa's fast Fourier convolutions
mix every position with every other in one layer: half the channels of each residual block go
through a 1x1 convolution in the frequency domain, so a repeated texture is seen whole at no extra
depth. ``block="dilated"`` swaps them for GLCIC's dilated convolutions, the comparison the photo
leaderboard settles (docs/results/photo-models.md).

The network does not start from a blank hole: it refines a classical fill (computed inside
``forward``, so every caller gets the same input), predicting a residual whose last layer starts at
zero. Training begins at that fill and its pixel error, and the perceptual, style and adversarial
terms of its recipe (:mod:`inpaint_core.recipes.lama`) add the texture that a diffusion fill smears.
The fill is OpenCV's Telea (fast at any size: photos), scikit-image's biharmonic (smoother and
closer in MSE on small smooth subjects such as faces, slower on large holes) or PatchMatch's copies
(real texture for the network to correct where a copy came from the wrong place; random, so such a
checkpoint is a stochastic method).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache, partial
from typing import Any

import cv2
import numpy as np
import torch
from huggingface_hub import PyTorchModelHubMixin
from skimage.restoration import inpaint_biharmonic
from torch import nn
from torch.nn import functional as F

from ..learned import TorchMethod
from ..masks import hole_depth
from ..tensors import to_image, to_tensor
from ..threads import env_threads
from ..tiling import MIRROR, complete
from .base import Capabilities
from .patchmatch import WORKING_PIXELS, patchmatch_fill
from .registry import register_method

BLOCKS = ("ffc", "dilated")
#: The decoder's 2x upsampling. Nearest repeats each quarter-resolution feature over a 4x4 block, which
#: the style and perceptual terms, seen at half size, average away: under a weak hole L1 the blocks
#: showed over large holes. Bilinear has none (docs/results/photo-models.md).
UPSAMPLING = ("nearest", "bilinear")


@lru_cache(maxsize=1)
def _prefill_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=env_threads() or os.cpu_count() or 1, thread_name_prefix="prefill")


def _fill_each(images: torch.Tensor, masks: torch.Tensor,
               one: Callable[[np.ndarray, np.ndarray, int], np.ndarray], uint8: bool) -> torch.Tensor:
    """``one(image HxWx3, hole HxW, index in the batch)`` on each image of a batch (images Bx3xHxW in
    [0, 1], masks Bx1xHxW, 1 = hole), all at once on the CPU's cores: in training on a GPU these fills,
    not the network, would otherwise set the pace."""
    arr = images.detach().float().clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy()
    if uint8:
        arr = (arr * 255 + 0.5).astype(np.uint8)
    holes = (masks.detach()[:, 0] > 0.5).cpu().numpy()
    filled = np.stack(list(_prefill_pool().map(lambda a, h, k: one(a, h, k) if h.any() else a,
                                               arr, holes, range(len(arr)))))
    out = torch.from_numpy(filled).to(images.device).permute(0, 3, 1, 2).to(images.dtype)
    return images * (1 - masks) + (out / 255 if uint8 else out) * masks


def telea_prefill(images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator | None = None,
                  radius: int = 3) -> torch.Tensor:
    """OpenCV's Telea fill of each image's hole (``cv2.inpaint`` releases the GIL)."""
    return _fill_each(images, masks, lambda a, h, _: cv2.inpaint(a, h.astype(np.uint8), radius, cv2.INPAINT_TELEA),
                      True)


def biharmonic_prefill(images: torch.Tensor, masks: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """scikit-image's biharmonic fill of each image's hole: the smoothest continuation of the edge."""
    return _fill_each(images, masks, lambda a, h, _: inpaint_biharmonic(a, h, channel_axis=-1).astype(np.float32),
                      False)


def patchmatch_prefill(images: torch.Tensor, masks: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """PatchMatch's fill of each image's hole: copied texture, for the network to correct where the copy
    came from the wrong place. Its seeds come from ``generator`` (default: torch's), so a seeded run repeats."""
    seeds = torch.randint(2**31, (len(images),), generator=generator).tolist()
    return _fill_each(images, masks, lambda a, h, k: patchmatch_fill(a, h, seeds[k]), False)


PREFILLS: dict[str, Callable[..., torch.Tensor]] = {
    "telea": telea_prefill, "biharmonic": biharmonic_prefill, "patchmatch": patchmatch_prefill}


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable, each channel alone, edges replicated: in training on a GPU it stays on the device."""
    radius = max(1, int(3 * sigma + 0.5))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-(t / sigma) ** 2 / 2)
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1),
                 groups=c)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1),
                    groups=c)


def hole_lowpass(x: torch.Tensor, mask: torch.Tensor, sigma: float) -> torch.Tensor:
    """What of ``x`` inside the hole is coarser than ``sigma`` pixels: a Gaussian over the hole alone,
    normalised by its weight, so the visible pixels never pull it towards zero."""
    return _gaussian_blur(x * mask, sigma) / _gaussian_blur(mask, sigma).clamp_min(1e-3)


def band_limited(residual: torch.Tensor, mask: torch.Tensor, sigma: float) -> torch.Tensor:
    """A correction to a copied fill kept, inside the hole, to what is coarser than ``sigma`` pixels
    (:func:`hole_lowpass`), so the copy's texture stays and the correction cannot paint a pattern over
    it. The limit fades in over the first ``4 * sigma`` px from the hole's edge, so at the edge and in
    thin strokes, where the network repairs the seam, the correction keeps its detail."""
    low = hole_lowpass(residual, mask, sigma)
    depth = (2 * _gaussian_blur(mask, 2 * sigma) - 1).clamp(0, 1)  # 0 at the edge, 1 deep inside
    return residual + (low - residual) * depth


def residual_scales(option: float | list[float]) -> list[float]:
    """The band limits of a ``residual_scale`` option, applied in turn (0: none)."""
    return [float(s) for s in (option if isinstance(option, list) else [option]) if s]


class FourierUnit(nn.Module):
    """A 1x1 convolution on the real and imaginary parts of the 2-D FFT: a global receptive field."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(2 * channels, 2 * channels, 1), nn.GELU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        spectrum = torch.fft.rfft2(x.float(), norm="ortho")
        mixed = self.conv(torch.cat([spectrum.real, spectrum.imag], 1))
        real, imag = mixed.float().chunk(2, 1)  # under bf16 autocast the convolution's output is bf16,
        # and complex numbers exist only in float32/64
        return torch.fft.irfft2(torch.complex(real, imag), s=(height, width), norm="ortho").to(x.dtype)


class FFCBlock(nn.Module):
    """Residual block: half the channels through a local 3x3 convolution, half through the Fourier unit."""

    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        half = channels // 2
        self.local = nn.Sequential(nn.Conv2d(channels, half, 3, padding=1), nn.GELU())
        self.reduce = nn.Sequential(nn.Conv2d(channels, half, 1), nn.GELU())
        self.spectral = FourierUnit(half)
        self.out = nn.Conv2d(2 * half, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.out(torch.cat([self.local(x), self.spectral(self.reduce(x))], 1))


class DilatedBlock(nn.Module):
    """Residual block of GLCIC's kind: a dilated 3x3 convolution, then a plain one."""

    def __init__(self, channels: int, dilation: int = 2) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation), nn.GELU(),
                                  nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class PhotoNet(nn.Module, PyTorchModelHubMixin):
    """Encoder to 1/4 resolution, residual blocks there, decoder with skips; output = classical fill
    (``prefill``: Telea, biharmonic or PatchMatch) + residual, band-limited deep in the hole when
    ``residual_scale`` is set (:func:`band_limited`; several: each in turn, the coarser reaching deeper;
    0, the default of older checkpoints: not)."""

    multiple = 4

    def __init__(self, width: int = 24, blocks: int = 4, block: str = "ffc",
                 dilations: tuple[int, ...] = (2, 4, 8, 2), prefill: str = "telea",
                 upsample: str = "nearest", residual_scale: float | list[float] = 0.0) -> None:
        super().__init__()
        if block not in BLOCKS:
            raise ValueError(f"block must be one of {BLOCKS}, got {block!r}")
        if upsample not in UPSAMPLING:
            raise ValueError(f"upsample must be one of {UPSAMPLING}, got {upsample!r}")
        if prefill not in PREFILLS:
            raise ValueError(f"prefill must be one of {tuple(PREFILLS)}, got {prefill!r}")
        self.prefill = prefill
        self.residual_scale = residual_scale
        w = width
        act = nn.GELU
        self.enc_full = nn.Sequential(nn.Conv2d(4, w, 5, padding=2), act())
        self.enc_half = nn.Sequential(nn.Conv2d(w, 2 * w, 3, 2, 1), act())
        self.enc_quarter = nn.Sequential(nn.Conv2d(2 * w, 4 * w, 3, 2, 1), act())
        kind = FFCBlock if block == "ffc" else DilatedBlock
        self.middle = nn.Sequential(*[kind(4 * w, dilations[i % len(dilations)]) for i in range(blocks)])
        up = lambda cin, cout: nn.Sequential(nn.Upsample(scale_factor=2, mode=upsample),  # noqa: E731
                                             nn.Conv2d(cin, cout, 3, padding=1), act())
        self.up_half = up(4 * w, 2 * w)
        self.merge_half = nn.Sequential(nn.Conv2d(4 * w, 2 * w, 3, padding=1), act())
        self.up_full = up(2 * w, w)
        self.merge_full = nn.Sequential(nn.Conv2d(2 * w, w, 3, padding=1), act(), nn.Conv2d(w, 3, 3, padding=1))
        self.zero_residual()

    def zero_residual(self) -> None:
        """Make the output the prefill's fill exactly; the features before the last layer are kept."""
        nn.init.zeros_(self.merge_full[-1].weight)
        nn.init.zeros_(self.merge_full[-1].bias)

    def forward(self, image: torch.Tensor, mask: torch.Tensor,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """Bx3xHxW image (hole pixels ignored), Bx1xHxW mask; H and W multiples of 4. ``generator`` seeds
        a random prefill (PatchMatch's)."""
        prefill = PREFILLS[self.prefill](image, mask, generator)
        full = self.enc_full(torch.cat([prefill * 2 - 1, mask], 1))
        half = self.enc_half(full)
        x = self.merge_half(torch.cat([self.up_half(self.middle(self.enc_quarter(half))), half], 1))
        residual = self.merge_full(torch.cat([self.up_full(x), full], 1))
        for scale in residual_scales(self.residual_scale):
            residual = band_limited(residual, mask, scale)
        return prefill + residual * mask


def _hole_depth(mask: torch.Tensor) -> torch.Tensor:
    """:func:`~inpaint_core.masks.hole_depth` of each mask of a Bx1xHxW batch."""
    depth = np.stack([hole_depth(h) for h in (mask.detach()[:, 0] > 0.5).cpu().numpy()])
    return torch.from_numpy(depth)[:, None].to(mask.device, mask.dtype)


@lru_cache(maxsize=1)
def _member_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="ensemble")


class PhotoEnsemble(nn.Module, PyTorchModelHubMixin):
    """Photo networks trained apart, each kept for what it does best.

    A network correcting PatchMatch's copies (the first member) has real texture but one guess of
    the colour and shading; one refining Telea's fill is smooth, and at the hole's edge continues the
    photo more closely. Averaging whole fills would halve the texture, so the first member's detail
    finer than ``coarse_scale`` px is kept over all members' averaged coarse content, and within
    ``seam`` px of the edge the other members' fill is taken whole; deep in a large hole the first
    member's own correction is also kept coarser than ``deep_scale`` px (a further :func:`band_limited`
    after its own), so more of the copied texture stays under the averaged colour
    (docs/results/photo-models.md). The other members run beside the first, whose PatchMatch prefill
    holds one core."""

    multiple = PhotoNet.multiple
    combination = ("the first network's texture over {n} networks' averaged coarse content, the others' fill at the "
                   "hole's edge")

    def __init__(self, members: list[dict[str, Any]], coarse_scale: float = 8.0, seam: float = 6.0,
                 deep_scale: float = 6.0) -> None:
        super().__init__()
        self.members = nn.ModuleList(PhotoNet(**config) for config in members)
        self.coarse_scale = coarse_scale
        self.seam = seam
        if deep_scale:
            first = self.members[0]
            first.residual_scale = [*residual_scales(first.residual_scale), deep_scale]

    @property
    def prefill(self) -> str:
        """PatchMatch's where a member's is: the ensemble's fill is then random and works on its window."""
        return "patchmatch" if any(m.prefill == "patchmatch" for m in self.members) else self.members[0].prefill

    def forward(self, image: torch.Tensor, mask: torch.Tensor,
                generator: torch.Generator | None = None) -> torch.Tensor:
        grad = torch.is_grad_enabled()  # thread-local: the other thread would build a graph under no_grad

        def others() -> torch.Tensor:
            with torch.set_grad_enabled(grad):
                return torch.stack([net(image, mask) for net in self.members[1:]]).mean(0)

        rest = _member_pool().submit(others)
        first = self.members[0](image, mask, generator)
        return self.combine(image, mask, first, rest.result())

    def combine(self, image: torch.Tensor, mask: torch.Tensor, first: torch.Tensor, rest: torch.Tensor) -> torch.Tensor:
        """The ensemble's fill from the first member's and the mean of the others' (all Bx3xHxW)."""
        mean = (first + rest * (len(self.members) - 1)) / len(self.members)
        hole = (mask > 0.5).to(first.dtype)
        out = (first + hole_lowpass(mean - first, hole, self.coarse_scale)).clamp(0, 1)
        edge = (1 - (_hole_depth(mask) - 0.5) / self.seam).clamp(0, 1) if self.seam else torch.zeros_like(mask)
        return image * (1 - hole) + (out + edge * (rest - out)) * hole


@register_method
class LaMa(TorchMethod):
    name = "lama"
    description = ("Fourier-convolution network refining a classical fill: object removal in photos, or in aligned "
                   "faces with a face checkpoint.")
    paper = "Suvorov et al., Resolution-robust Large Mask Inpainting with Fourier Convolutions (CPU-sized)"
    capabilities = Capabilities(size_multiple=4, needs_checkpoint=True, needs_visible=True)
    memory_per_pixel = 600.0
    #: A large photo is worked on around its hole and at most at this many pixels (about 768x768): the
    #: network saw 256 px crops of photos shrunk up to 2x, and its time grows with the pixels it sees.
    max_working_pixels = 768 * 768
    options = {"mirror": MIRROR}
    network_class = PhotoNet
    ensemble_class = PhotoEnsemble

    def context(self, options):
        """The hole's box and 128 px around it: the width of a training crop's context at full scale."""
        return 128

    def __init__(self, checkpoint=None, network=None, **defaults):
        super().__init__(checkpoint, network, **defaults)
        # a checkpoint refining PatchMatch's copies is random, its seed comes from the fill's, and it works
        # on PatchMatch's window
        self.random_prefill = getattr(self.net, "prefill", None) == "patchmatch"
        if self.random_prefill:
            self.capabilities = replace(self.capabilities, stochastic=True)
            self.max_working_pixels = WORKING_PIXELS
        # an ensemble's networks run side by side, each with its own activations (docs/limits.md)
        self.memory_per_pixel = type(self).memory_per_pixel * len(getattr(self.net, "members", [self.net]))

    @torch.no_grad()
    def fill(self, image, mask, rng, mirror=False):
        x, m = to_tensor(image, mask)  # the whole working region at once (tile 0): the blocks see all of it
        net = self.net  # a deterministic prefill draws nothing from rng: lama-patchmatch's seeds stay as measured
        if self.random_prefill:
            net = partial(self.net, generator=torch.Generator().manual_seed(int(rng.integers(2**31))))
        return to_image(complete(net, x, m, 0, 0, PhotoNet.multiple, mirror=mirror))
