"""A photo inpainting network in the manner of LaMa (Suvorov et al., 2022), sized for a CPU.

Object removal in a photo needs context from far away (the sand or brick wall the object stood on),
which a stack of 3x3 convolutions reaches only after many layers. LaMa's fast Fourier convolutions
mix every position with every other in one layer: half the channels of each residual block go
through a 1x1 convolution in the frequency domain, so a repeated texture is seen whole at no extra
depth. ``block="dilated"`` swaps them for GLCIC's dilated convolutions, the comparison the photo
leaderboard settles (docs/results/photo-models.md).

The network does not start from a blank hole: it refines OpenCV's Telea fill (computed inside
``forward``, so every caller gets the same input), predicting a residual whose last layer starts at
zero. Training begins at Telea's fill and its pixel error, and the perceptual, style and adversarial
terms of the recipe add the texture that a diffusion fill smears.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..learned import TorchMethod, to_image, to_tensor
from ..losses import PatchDiscriminator, discriminator_loss, feature_losses, generator_adversarial, vgg_features
from ..tiling import MIRROR, complete
from .base import Capabilities
from .registry import register_method

BLOCKS = ("ffc", "dilated")
DATA = "../shared/datasets"


def telea_prefill(images: torch.Tensor, masks: torch.Tensor, radius: int = 3) -> torch.Tensor:
    """OpenCV's Telea fill of each image's hole (images Bx3xHxW in [0, 1], masks Bx1xHxW, 1 = hole)."""
    arr = (images.detach().float().clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    holes = (masks.detach()[:, 0] > 0.5).to(torch.uint8).cpu().numpy()
    filled = np.stack([cv2.inpaint(a, h, radius, cv2.INPAINT_TELEA) if h.any() else a for a, h in zip(arr, holes)])
    out = torch.from_numpy(filled).to(images.device).permute(0, 3, 1, 2).to(images.dtype) / 255
    return images * (1 - masks) + out * masks


class FourierUnit(nn.Module):
    """A 1x1 convolution on the real and imaginary parts of the 2-D FFT: a global receptive field."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(2 * channels, 2 * channels, 1), nn.GELU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        spectrum = torch.fft.rfft2(x.float(), norm="ortho")
        mixed = self.conv(torch.cat([spectrum.real, spectrum.imag], 1))
        real, imag = mixed.chunk(2, 1)
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
    """Encoder to 1/4 resolution, residual blocks there, decoder with skips; output = Telea fill + residual."""

    multiple = 4

    def __init__(self, width: int = 24, blocks: int = 4, block: str = "ffc",
                 dilations: tuple[int, ...] = (2, 4, 8, 2)) -> None:
        super().__init__()
        if block not in BLOCKS:
            raise ValueError(f"block must be one of {BLOCKS}, got {block!r}")
        w = width
        act = nn.GELU
        self.enc_full = nn.Sequential(nn.Conv2d(4, w, 5, padding=2), act())
        self.enc_half = nn.Sequential(nn.Conv2d(w, 2 * w, 3, 2, 1), act())
        self.enc_quarter = nn.Sequential(nn.Conv2d(2 * w, 4 * w, 3, 2, 1), act())
        kind = FFCBlock if block == "ffc" else DilatedBlock
        self.middle = nn.Sequential(*[kind(4 * w, dilations[i % len(dilations)]) for i in range(blocks)])
        up = lambda cin, cout: nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(cin, cout, 3, padding=1), act())  # noqa: E731
        self.up_half = up(4 * w, 2 * w)
        self.merge_half = nn.Sequential(nn.Conv2d(4 * w, 2 * w, 3, padding=1), act())
        self.up_full = up(2 * w, w)
        self.merge_full = nn.Sequential(nn.Conv2d(2 * w, w, 3, padding=1), act(), nn.Conv2d(w, 3, 3, padding=1))
        nn.init.zeros_(self.merge_full[-1].weight)
        nn.init.zeros_(self.merge_full[-1].bias)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Bx3xHxW image (hole pixels ignored), Bx1xHxW mask; H and W multiples of 4."""
        prefill = telea_prefill(image, mask)
        full = self.enc_full(torch.cat([prefill * 2 - 1, mask], 1))
        half = self.enc_half(full)
        x = self.merge_half(torch.cat([self.up_half(self.middle(self.enc_quarter(half))), half], 1))
        residual = self.merge_full(torch.cat([self.up_full(x), full], 1))
        return prefill + residual * mask


@register_method
class LaMa(TorchMethod):
    name = "lama"
    description = "Fourier-convolution network refining a Telea fill, trained on photo crops: object removal in photos."
    paper = "Suvorov et al., Resolution-robust Large Mask Inpainting with Fourier Convolutions (CPU-sized)"
    capabilities = Capabilities(size_multiple=4, needs_checkpoint=True, needs_visible=True)
    memory_per_pixel = 600.0
    #: A large photo is worked on around its hole and at most at this many pixels (about 768x768): the
    #: network saw 256 px crops of photos shrunk up to 2x, and its time grows with the pixels it sees.
    max_working_pixels = 768 * 768
    options = {"mirror": MIRROR}
    network_class = PhotoNet
    recipe = {
        "data": f"{DATA}/bsds500/images-jpg.tar.gz,{DATA}/sun_hays80/sun-hays80-jpg.tar.gz", "dataset_id": "photos",
        "dataset": "BSDS500 train+test (400 photos) and Sun-Hays80 (72 of 80); BSDS500 val and the last 8 "
                   "Sun-Hays80 photos held out; 256 px crops of each photo shrunk by 1-2x, flips",
        "size": 256, "crops_per_image": 16, "crop_min_scale": 0.5, "flip": True,
        "masks": f"object:0.05:0.45+strokes+rect+quickdraw:{DATA}/quickdraw/sketches-ndjson.tar.gz:10",
        "batch_size": 4, "lr": 5e-4, "lr_discriminator": 2e-4, "betas": (0.5, 0.999), "ema": 0.999,
        "early_stopping": False, "hole_weight": 6.0, "perceptual_weight": 2.0, "style_weight": 2000.0,
        "adversarial_weight": 0.02, "adversarial_from": 300, "network": {"width": 16, "blocks": 4, "block": "ffc"},
        "discriminator": {"width": 32, "layers": 3},
        "val_images": 64, "eval_images": 100, "eval_masks": "object",
        "reductions": "width 16-64 and 4 residual blocks at 1/4 resolution (LaMa: 9 FFC blocks of 512 channels at "
                      "1/8); no batch norm; the hole pre-filled by Telea and a residual learned; VGG-16 perceptual and "
                      "style terms at half size on the composite, weighted so that each starts at about a fifth of the "
                      "L1 term with this VGG (PConv's weights assume other feature scales), instead of LaMa's "
                      "segmentation-network perceptual loss; a 3-layer spectral-norm PatchGAN with the hinge loss",
    }

    def context(self, options):
        """The hole's box and 128 px around it: the width of a training crop's context at full scale."""
        return 128

    @classmethod
    def build_networks(cls, recipe: dict[str, Any]) -> dict[str, nn.Module]:
        nets = super().build_networks(recipe)
        nets["discriminator"] = PatchDiscriminator(**recipe.get("discriminator", {}))
        return nets

    @classmethod
    def loss(cls, net, images, masks):
        """Hole MSE: what the validation curve tracks (the perceptual terms are in :meth:`train_step`)."""
        pred = net(images, masks)
        return ((pred - images) ** 2 * masks).sum() / (3 * masks.sum()).clamp_min(1)

    @classmethod
    def train_step(cls, nets, opts, images, masks, step, recipe, accelerator):
        gen, disc = nets[cls.inference_network], nets["discriminator"]
        pred = gen(images, masks)
        valid = 1 - masks
        l1 = (valid * (pred - images)).abs().mean() + recipe["hole_weight"] * (masks * (pred - images)).abs().mean()
        half = [F.avg_pool2d(t, 2) for t in (pred, images, masks)]  # the VGG terms at half size: 4x cheaper
        perceptual, style = feature_losses(vgg_features(3, images.device.type), *half, composite_only=True)
        loss = l1 + recipe["perceptual_weight"] * perceptual + recipe["style_weight"] * style
        logs = {"l1": l1.detach(), "perceptual": perceptual.detach(), "style": style.detach()}
        composite = images * valid + pred * masks
        adversarial = step >= recipe["adversarial_from"]
        if adversarial:
            frozen = accelerator.unwrap_model(disc).requires_grad_(False)
            g_adv = generator_adversarial(frozen, composite, masks)
            frozen.requires_grad_(True)
            loss = loss + recipe["adversarial_weight"] * g_adv
            logs["g_adversarial"] = g_adv.detach()
        opts[cls.inference_network].zero_grad(set_to_none=True)
        accelerator.backward(loss)
        opts[cls.inference_network].step()
        if adversarial or step >= recipe["adversarial_from"] - 100:  # the critic warms up before it is used
            d_loss = discriminator_loss(disc, images, composite, masks)
            opts["discriminator"].zero_grad(set_to_none=True)
            accelerator.backward(d_loss)
            opts["discriminator"].step()
            logs["d_loss"] = d_loss.detach()
        logs["loss"] = loss.detach()
        return logs

    @torch.no_grad()
    def fill(self, image, mask, rng, mirror=False):
        x, m = to_tensor(image, mask)  # the whole working region at once (tile 0): the blocks see all of it
        return to_image(complete(self.net, x, m, 0, 0, PhotoNet.multiple, mirror=mirror))
