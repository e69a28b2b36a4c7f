"""Recipes of Deep Image Inpainting's context encoders (paper 001) on CIFAR-10's 8x8 centre hole: the
L2 encoder, and the WGAN encoder with the overlap trick and its Wasserstein critic."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from ..methods.context_encoder import centre_hole_mask, centre_slice
from ..methods.wgan_context_encoder import HOLE, INNER, OUT, SIZE, paste_hole
from . import register_recipe
from .base import SGDRecipe, frozen
from .data import OnCifar10


@register_recipe
class L2ContextEncoderRecipe(OnCifar10, SGDRecipe):
    method = "l2-context-encoder"
    masks: str = "centre8"
    batch_size: int = 64
    lr: float = 5e-4
    epochs: int | None = 60
    ema: float | None = 0.999
    flip: bool = True
    network: dict[str, Any] = {"width": 64, "bottleneck": 512, "skip": True, "dropout": 0.3}
    eval_images: int = 5000
    eval_masks: str = "centre8"
    reductions: str = ("encoder widths 32-128 instead of the paper's wider stack; same 512 bottleneck. Added: a "
                       "skip around the bottleneck from the half-resolution features over the hole; dropout 0.3 on "
                       "the bottleneck's output and random horizontal flips, without which it overfitted after 8 epochs")

    def loss(self, net, images, masks):
        s = centre_slice(net.size, net.hole)
        pred = net(images, centre_hole_mask(len(images), net.size, net.hole, images.device))
        return F.mse_loss(pred, images[..., s, s])


def overlap_weights(weight: float) -> torch.Tensor:
    """OUT x OUT weights: 1 on the hole, ``weight`` on the visible ring around it."""
    w = torch.full((OUT, OUT), float(weight))
    w[INNER, INNER] = 1.0
    return w


def overlap_loss(pred: torch.Tensor, target: torch.Tensor, weight: float) -> torch.Tensor:
    """Weighted squared error over the predicted square, normalised by the total weight."""
    w = overlap_weights(weight).to(pred)
    return ((pred - target) ** 2 * w).sum() / (pred.shape[0] * pred.shape[1] * w.sum())


class WassersteinCritic(nn.Module):
    """The paper's discriminator shape: six 3x3 convolutions, every other one of stride 2, then a
    1x1 convolution to one channel averaged into an unbounded score (no sigmoid, no batch norm)."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        act = nn.LeakyReLU(0.2)
        layers: list[nn.Module] = []
        cin = 3
        for cout in (width, 2 * width, 4 * width):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), act, nn.Conv2d(cout, cout, 3, stride=2, padding=1), act]
            cin = cout
        self.body = nn.Sequential(*layers, nn.Conv2d(cin, 1, 1, bias=False))  # a bias cancels in W-distance

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.body(image).mean((1, 2, 3))


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    eps = torch.rand(real.shape[0], 1, 1, 1, dtype=real.dtype, device=real.device)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@register_recipe
class WGANContextEncoderRecipe(OnCifar10, SGDRecipe):
    method = "wgan-context-encoder"
    masks: str = "centre8"
    batch_size: int = 64
    lr: float = 2e-4
    lr_critic: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.9)
    ema: float | None = 0.999
    network: dict[str, Any] = {"width": 64, "bottleneck": 512, "hole": OUT, "skip": True}
    critic: dict[str, Any] = {"width": 16}
    overlap_weight: float = Field(20.0, description="weight of the visible ring around the hole")
    adversarial_weight: float = 0.001
    critic_steps: int = 2
    gp_weight: float = 10.0
    eval_images: int = 5000
    eval_masks: str = "centre8"
    reductions: str = ("encoder widths 32-128, critic widths 16-64 (the paper: VGG-like), 2 critic steps per "
                       "generator step instead of 10, gradient penalty instead of clipping. Added: the L2 encoder's "
                       "skip around the bottleneck")

    def build_networks(self):
        return {**super().build_networks(), "critic": WassersteinCritic(**self.critic)}

    @torch.no_grad()
    def validation_loss(self, net, images, masks):
        """Hole MSE: what users see and what the benchmark ranks."""
        s = centre_slice(SIZE, HOLE)
        pred = net(images, centre_hole_mask(len(images), SIZE, HOLE, images.device))
        return float(((paste_hole(images, pred) - images)[..., s, s] ** 2).mean())

    def train_step(self, nets, opts, images, masks, step, accelerator):
        gen, critic = nets[self.inference_network], nets["critic"]
        s = centre_slice(SIZE, OUT)
        pred = gen(images, centre_hole_mask(len(images), SIZE, HOLE, images.device))
        fake = paste_hole(images, pred)
        for _ in range(self.critic_steps):
            c_loss = (critic(fake.detach()).mean() - critic(images).mean()
                      # autograd.grad through a DDP module is unsupported: the penalty uses the plain critic
                      + self.gp_weight * gradient_penalty(accelerator.unwrap_model(critic), images, fake.detach()))
            opts["critic"].zero_grad(set_to_none=True)
            accelerator.backward(c_loss)
            opts["critic"].step()
        with frozen(critic, accelerator) as scorer:
            adversarial = -scorer(fake).mean()
        rec = overlap_loss(pred, images[..., s, s], self.overlap_weight)
        loss = rec + self.adversarial_weight * adversarial
        opts[self.inference_network].zero_grad(set_to_none=True)
        accelerator.backward(loss)
        opts[self.inference_network].step()
        return {"loss": rec.detach(), "critic_loss": c_loss.detach()}
