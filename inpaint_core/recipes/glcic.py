"""GLCIC's training (paper 003): the completion network on the masked MSE, then the global + local
discriminator alone, then both with a least-squares GAN term weighted by alpha, with the phase
lengths in the recipe."""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field
from torch import nn

from . import register_recipe
from .base import SGDRecipe, frozen
from .data import OnCifar10


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


class ContextDiscriminator(nn.Module):
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


@register_recipe
class GLCICRecipe(OnCifar10, SGDRecipe):
    method = "glcic"
    masks: str = "rect"
    batch_size: int = 64
    lr: float = 1e-3
    lr_discriminator: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    ema: float | None = 0.999
    alpha: float = Field(0.0005, description="weight of the GAN term in the joint phase")
    completion_steps: int = Field(8000, description="steps of the completion network alone")
    discriminator_steps: int = Field(1000, description="then steps of the discriminator alone")
    local_size: int = Field(16, description="side of the local discriminator's window around the hole")
    network: dict[str, Any] = {"width": 32, "dilations": [2, 4, 4, 1]}
    discriminator: dict[str, Any] = {"width": 32, "features": 256}
    eval_images: int = 5000
    eval_masks: str = "rect"
    reductions: str = ("widths 32/64 instead of 64-256; 13 layers instead of 17, dilations (2,4,4,1) instead of "
                       "(2,4,8,16), which would look past an 8x8 feature map; no batch norm (ELU); Adam instead of "
                       "Adadelta; holes pre-filled with each image's visible mean instead of the data set mean. "
                       "Added: U-Net skips at full and half resolution")

    def phase(self, step: int) -> str:
        """The paper's schedule: completion only, then discriminator only, then both."""
        tc, td = self.completion_steps, self.discriminator_steps
        return "completion" if step < tc else "discriminator" if step < tc + td else "joint"

    def build_networks(self):
        return {**super().build_networks(),
                "discriminator": ContextDiscriminator(self.size, self.local_size, **self.discriminator)}

    def loss(self, net, images, masks):
        return hole_mse(net(images, masks), images, masks)

    def train_step(self, nets, opts, images, masks, step, accelerator):
        gen, disc = nets[self.inference_network], nets["discriminator"]
        current = self.phase(step)
        if current == "completion":
            return super().train_step(nets, opts, images, masks, step, accelerator)
        logs: dict[str, torch.Tensor] = {}
        side = self.local_size
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
            with frozen(disc, accelerator) as scorer:
                adversarial = 0.5 * ((scorer(fake, crop_boxes(fake, boxes, side)) - 1) ** 2).mean()
            g_loss = mse + self.alpha * adversarial
            opts[self.inference_network].zero_grad(set_to_none=True)
            accelerator.backward(g_loss)
            opts[self.inference_network].step()
            logs["g_adversarial"] = adversarial.detach()
        logs["loss"] = mse.detach()
        return logs
