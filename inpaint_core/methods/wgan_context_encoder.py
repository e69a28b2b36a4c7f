"""WGAN context encoder with the overlap trick (Deep Image Inpainting, paper 001).

The generator is the L2 context encoder's network asked for the 16x16 centre: the 8x8 hole plus a
4-pixel ring it can see. The ring's reconstruction error weighs 20 times more, so the prediction is
pulled to agree with the context at its border and the pasted 8x8 hole shows no seam. A Wasserstein
critic judges the whole image with the 8x8 prediction pasted in; it is kept 1-Lipschitz with a
gradient penalty (WGAN-GP) rather than the paper's clipping, which trains more stably on few steps.
Only the 8x8 hole is pasted into the output.
"""

from __future__ import annotations

from typing import Any

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..learned import CIFAR10_TRAIN, TorchMethod, to_image, to_tensor
from .base import Capabilities
from .context_encoder import ContextEncoderNet, centre_hole_mask, centre_slice
from .registry import register_method

SIZE, HOLE, OUT = 32, 8, 16  # image, hole and predicted square sides
INNER = centre_slice(OUT, HOLE)  # the hole inside the predicted square


def overlap_weights(weight: float) -> torch.Tensor:
    """OUT x OUT weights: 1 on the hole, ``weight`` on the visible ring around it."""
    w = torch.full((OUT, OUT), float(weight))
    w[INNER, INNER] = 1.0
    return w


def overlap_loss(pred: torch.Tensor, target: torch.Tensor, weight: float) -> torch.Tensor:
    """Weighted squared error over the predicted square, normalised by the total weight."""
    w = overlap_weights(weight).to(pred)
    return ((pred - target) ** 2 * w).sum() / (pred.shape[0] * pred.shape[1] * w.sum())


def paste_hole(images: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
    """The completed image: only the 8x8 hole of the prediction replaces pixels."""
    s = centre_slice(SIZE, HOLE)
    out = images.clone()
    out[..., s, s] = pred[..., INNER, INNER]
    return out


class WassersteinCritic(nn.Module, PyTorchModelHubMixin):
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


@register_method
class WGANContextEncoder(TorchMethod):
    name = "wgan-context-encoder"
    description = "Context encoder + Wasserstein critic, predicting the hole with a 4 px overlap ring (CIFAR-10, 8x8 centre)."
    paper = "Deep Image Inpainting (CIFAR-10 centre-hole study), WGAN with the overlap trick"
    capabilities = Capabilities(native_size=SIZE, centre_hole=HOLE, needs_checkpoint=True)
    network_class = ContextEncoderNet
    recipe = {
        **CIFAR10_TRAIN, "masks": "centre8",
        "batch_size": 64, "lr": 2e-4, "lr_critic": 2e-4, "betas": (0.5, 0.9), "ema": 0.999,
        "network": {"width": 64, "bottleneck": 512, "hole": OUT, "skip": True}, "critic": {"width": 16},
        "overlap_weight": 20.0, "adversarial_weight": 0.001, "critic_steps": 2, "gp_weight": 10.0,
        "val_images": 1000, "eval_images": 5000, "eval_masks": "centre8",
        "reductions": "encoder widths 32-128, critic widths 16-64 (the paper: VGG-like), 2 critic steps per "
                      "generator step instead of 10, gradient penalty instead of clipping. Added: the L2 encoder's "
                      "skip around the bottleneck",
    }

    @classmethod
    def build_networks(cls, recipe: dict[str, Any]) -> dict[str, nn.Module]:
        return {**super().build_networks(recipe), "critic": WassersteinCritic(**recipe.get("critic", {}))}

    @classmethod
    @torch.no_grad()
    def validation_loss(cls, net, images, masks):
        """Hole MSE: what users see and what the benchmark ranks."""
        s = centre_slice(SIZE, HOLE)
        pred = net(images, centre_hole_mask(len(images), SIZE, HOLE, images.device))
        return float(((paste_hole(images, pred) - images)[..., s, s] ** 2).mean())

    @classmethod
    def train_step(cls, nets, opts, images, masks, step, recipe, accelerator):
        gen, critic = nets[cls.inference_network], nets["critic"]
        s = centre_slice(SIZE, OUT)
        pred = gen(images, centre_hole_mask(len(images), SIZE, HOLE, images.device))
        fake = paste_hole(images, pred)
        for _ in range(recipe["critic_steps"]):
            c_loss = (critic(fake.detach()).mean() - critic(images).mean()
                      # autograd.grad through a DDP module is unsupported: the penalty uses the plain critic
                      + recipe["gp_weight"] * gradient_penalty(accelerator.unwrap_model(critic), images, fake.detach()))
            opts["critic"].zero_grad(set_to_none=True)
            accelerator.backward(c_loss)
            opts["critic"].step()
        frozen = accelerator.unwrap_model(critic).requires_grad_(False)
        adversarial = -frozen(fake).mean()
        frozen.requires_grad_(True)
        rec = overlap_loss(pred, images[..., s, s], recipe["overlap_weight"])
        loss = rec + recipe["adversarial_weight"] * adversarial
        opts[cls.inference_network].zero_grad(set_to_none=True)
        accelerator.backward(loss)
        opts[cls.inference_network].step()
        return {"loss": rec.detach(), "critic_loss": c_loss.detach()}

    @torch.no_grad()
    def fill(self, image, mask, rng):
        x, _ = to_tensor(image, mask)
        return to_image(paste_hole(x, self.net(x, centre_hole_mask(1, SIZE, HOLE))))
