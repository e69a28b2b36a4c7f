"""Globally and Locally Consistent Image Completion (paper 003), sized for a 2-core CPU.

The completion network is fully convolutional (two stride-2 convolutions down to 1/4, dilated
convolutions whose taps still land inside an 8x8 feature map, two deconvolutions back up, with skips
at full and half resolution), so one checkpoint fills any hole in any image whose sides are padded to
a multiple of 4; larger images run as overlapping tiles of the training size (:mod:`inpaint_core.tiling`). The discriminator
is GLCIC's pair of branches, one over the whole training image and one over a crop around the hole,
whose features are concatenated into one logit. Training follows the paper's three phases
(completion only on the masked MSE, discriminator only, then both with a least-squares GAN term
weighted by alpha), with the phase lengths in the recipe.
"""

from __future__ import annotations

from typing import Any

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..learned import CIFAR10_TRAIN, TorchMethod, to_image, to_tensor
from ..tiling import MIRROR, TILE, complete
from .base import Capabilities
from .registry import register_method


def _conv(cin: int, cout: int, kernel: int, stride: int = 1, dilation: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, kernel, stride, padding=dilation * (kernel // 2), dilation=dilation), nn.ELU()]


def mean_fill(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Holes set to the mean colour of each image's visible pixels.

    The paper fills with the training set's mean; the per-image mean keeps the network independent
    of the colour statistics of whatever photo a user brings.
    """
    visible = 1 - mask
    mean = (image * visible).sum((2, 3), keepdim=True) / visible.sum((2, 3), keepdim=True).clamp_min(1)
    return image * visible + mean * mask


class CompletionNet(nn.Module, PyTorchModelHubMixin):
    """GLCIC's completion network plus two U-Net skips (full and half resolution).

    Without the skips a CPU-sized GLCIC plateaued at the hole MSE of biharmonic inpainting on CIFAR-10
    (validation loss 0.0150 after 24 minutes): the 1/4-resolution bottleneck cannot reproduce the exact colours at the
    hole's border. The skips hand those pixels to the decoder; the dilated middle still supplies context.
    """

    def __init__(self, width: int = 32, dilations: tuple[int, ...] = (2, 4, 4, 1)) -> None:
        super().__init__()
        w = width
        self.enc_full = nn.Sequential(*_conv(4, w, 5))
        self.enc_half = nn.Sequential(*_conv(w, 2 * w, 3, 2), *_conv(2 * w, 2 * w, 3))
        self.enc_quarter = nn.Sequential(*_conv(2 * w, 2 * w, 3, 2),
                                         *[m for d in dilations for m in _conv(2 * w, 2 * w, 3, dilation=d)])
        self.up_half = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ELU())
        self.merge_half = nn.Sequential(*_conv(3 * w, w, 3))
        self.up_full = nn.Sequential(nn.ConvTranspose2d(w, w // 2, 4, 2, 1), nn.ELU())
        self.merge_full = nn.Sequential(*_conv(w // 2 + w, w // 2, 3), nn.Conv2d(w // 2, 3, 3, padding=1), nn.Sigmoid())

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """A full image (Bx3xHxW, H and W multiples of 4) of which only the hole is meant to be kept."""
        full = self.enc_full(torch.cat([mean_fill(image, mask), mask], dim=1))
        half = self.enc_half(full)
        x = self.merge_half(torch.cat([self.up_half(self.enc_quarter(half)), half], dim=1))
        return self.merge_full(torch.cat([self.up_full(x), full], dim=1))


class CompletionEnsemble(nn.Module, PyTorchModelHubMixin):
    """Completion networks trained apart, their outputs averaged.

    Their errors are partly independent: on CIFAR-10 rectangles the average of a width-32 and a
    width-48 network has a lower hole MSE than either (docs/results/glcic.md), like the mirror option's
    average of an image and its mirror image, and the two combine."""

    def __init__(self, members: list[dict[str, Any]]) -> None:
        super().__init__()
        self.members = nn.ModuleList(CompletionNet(**config) for config in members)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return torch.stack([net(image, mask) for net in self.members]).mean(0)


def hole_mse(pred: torch.Tensor, images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Mean squared error over hole pixels only (the paper's weighted MSE, normalised by hole size)."""
    return ((pred - images) ** 2 * masks).sum() / (3 * masks.sum()).clamp_min(1)


def local_boxes(masks: torch.Tensor, side: int) -> list[tuple[int, int]]:
    """Top-left corner of a side x side window centred on each hole's bounding box, moved inside
    the image where the hole touches a border."""
    height, width = masks.shape[-2:]
    boxes = []
    for m in masks[:, 0] > 0.5:
        rows, cols = torch.nonzero(m.any(1)).flatten(), torch.nonzero(m.any(0)).flatten()
        cy = (int(rows[0]) + int(rows[-1]) + 1) / 2 if len(rows) else height / 2
        cx = (int(cols[0]) + int(cols[-1]) + 1) / 2 if len(cols) else width / 2
        top = min(max(round(cy - side / 2), 0), height - side)
        left = min(max(round(cx - side / 2), 0), width - side)
        boxes.append((top, left))
    return boxes


def crop_boxes(images: torch.Tensor, boxes: list[tuple[int, int]], side: int) -> torch.Tensor:
    return torch.stack([img[:, t : t + side, l : l + side] for img, (t, l) in zip(images, boxes)])


class ContextDiscriminator(nn.Module, PyTorchModelHubMixin):
    """GLCIC's discriminator: global and local branches of stride-2 convolutions, one logit."""

    def __init__(self, size: int = 32, local_size: int = 16, width: int = 32, features: int = 256) -> None:
        super().__init__()
        self.global_branch = self._branch(size, width, features)
        self.local_branch = self._branch(local_size, width, features)
        self.head = nn.Linear(2 * features, 1)

    @staticmethod
    def _branch(side: int, width: int, features: int) -> nn.Sequential:
        layers: list[nn.Module] = []
        cin, cout = 3, width
        while side > 4:
            layers += [nn.Conv2d(cin, cout, 5, 2, 2), nn.LeakyReLU(0.2)]
            cin, cout, side = cout, min(2 * cout, 4 * width), side // 2
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * side * side, features), nn.LeakyReLU(0.2))

    def forward(self, image: torch.Tensor, local: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.global_branch(image), self.local_branch(local)], 1)).squeeze(1)


def phase(step: int, recipe: dict[str, Any]) -> str:
    """The paper's schedule: completion only, then discriminator only, then both."""
    tc, td = recipe["completion_steps"], recipe["discriminator_steps"]
    return "completion" if step < tc else "discriminator" if step < tc + td else "joint"


@register_method
class GLCIC(TorchMethod):
    name = "glcic"
    description = "Globally and locally consistent completion network: any image size, any hole."
    paper = "Globally and Locally Consistent Image Completion (CIFAR-10 reimplementation)"
    capabilities = Capabilities(size_multiple=4, needs_checkpoint=True)
    memory_per_pixel = 150.0  # tiled, so bounded by the tile (docs/limits.md)
    options = {"tile": TILE, "mirror": MIRROR}
    network_class = CompletionNet
    ensemble_class = CompletionEnsemble
    recipe = {
        **CIFAR10_TRAIN, "masks": "rect",
        "batch_size": 64, "lr": 1e-3, "lr_discriminator": 2e-4, "betas": (0.5, 0.999), "ema": 0.999,
        "alpha": 0.0005, "completion_steps": 8000, "discriminator_steps": 1000, "local_size": 16,
        "network": {"width": 32, "dilations": [2, 4, 4, 1]},
        "discriminator": {"width": 32, "features": 256},
        "val_images": 1000, "eval_images": 5000, "eval_masks": "rect",
        "reductions": "widths 32/64 instead of 64-256; 13 layers instead of 17, dilations (2,4,4,1) instead of "
                      "(2,4,8,16), which would look past an 8x8 feature map; no batch norm (ELU); Adam instead of "
                      "Adadelta; holes pre-filled with each image's visible mean instead of the data set mean. "
                      "Added: U-Net skips at full and half resolution",
    }

    @classmethod
    def build_networks(cls, recipe: dict[str, Any]) -> dict[str, nn.Module]:
        nets = super().build_networks(recipe)
        nets["discriminator"] = ContextDiscriminator(recipe["size"], recipe["local_size"],
                                                     **recipe.get("discriminator", {}))
        return nets

    @classmethod
    def loss(cls, net, images, masks):
        return hole_mse(net(images, masks), images, masks)

    @classmethod
    def train_step(cls, nets, opts, images, masks, step, recipe, accelerator):
        gen, disc = nets[cls.inference_network], nets["discriminator"]
        current = phase(step, recipe)
        if current == "completion":
            return super().train_step(nets, opts, images, masks, step, recipe, accelerator)
        logs: dict[str, float] = {}
        side = recipe["local_size"]
        boxes = local_boxes(masks, side)
        with torch.set_grad_enabled(current == "joint"):
            pred = gen(images, masks)
        mse = hole_mse(pred, images, masks)
        fake = images * (1 - masks) + pred * masks

        real_logit = disc(images, crop_boxes(images, boxes, side))
        fake_d = fake.detach()
        fake_logit = disc(fake_d, crop_boxes(fake_d, boxes, side))
        d_loss = 0.5 * (((real_logit - 1) ** 2).mean() + (fake_logit ** 2).mean())  # least squares GAN
        opts["discriminator"].zero_grad(set_to_none=True)
        accelerator.backward(d_loss)
        opts["discriminator"].step()
        logs["d_loss"] = d_loss.detach()

        if current == "joint":
            frozen = accelerator.unwrap_model(disc).requires_grad_(False)
            adversarial = 0.5 * ((frozen(fake, crop_boxes(fake, boxes, side)) - 1) ** 2).mean()
            frozen.requires_grad_(True)
            g_loss = mse + recipe["alpha"] * adversarial
            opts[cls.inference_network].zero_grad(set_to_none=True)
            accelerator.backward(g_loss)
            opts[cls.inference_network].step()
            logs["g_adversarial"] = adversarial.detach()
        logs["loss"] = mse.detach()
        return logs

    @torch.no_grad()
    def fill(self, image, mask, rng, tile=-1, mirror=False):
        x, m = to_tensor(image, mask)
        return to_image(complete(self.net, x, m, tile, int(self.meta.get("resolution", 0)), 4, mirror=mirror))

