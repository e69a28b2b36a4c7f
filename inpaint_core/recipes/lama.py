"""The photo network's recipe: L1 (6x in the hole), the PConv paper's perceptual and style terms on the
ImageNet VGG-16 of the stlpips wheel, and a spectral-norm PatchGAN with the hinge loss, on 256 px
crops of photos with object-removal masks."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from pydantic import Field

from ..losses import PatchDiscriminator, discriminator_loss, feature_losses, generator_adversarial, vgg_features
from . import register_recipe
from .base import SGDRecipe, frozen
from .data import QUICKDRAW, OnPhotos
from .glcic import hole_mse


@register_recipe
class LaMaRecipe(OnPhotos, SGDRecipe):
    method = "lama"
    flip: bool = True
    masks: str = f"object:0.05:0.45+strokes+rect+quickdraw:{QUICKDRAW}:10"
    batch_size: int = 4
    lr: float = 5e-4
    lr_discriminator: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    ema: float | None = 0.999
    early_stopping: bool = False  # the validation loss (hole MSE) does not measure the perceptual terms
    hole_weight: float = Field(6.0, description="L1 weight of the hole against the visible pixels")
    perceptual_weight: float = 2.0
    style_weight: float = 2000.0
    adversarial_weight: float = 0.02
    adversarial_from: int = Field(300, description="step from which the GAN term is used (its critic warms up 100 steps before)")
    network: dict[str, Any] = {"width": 16, "blocks": 4, "block": "ffc"}
    discriminator: dict[str, Any] = {"width": 32, "layers": 3}
    val_images: int = 64
    eval_images: int = 100
    eval_masks: str = "object"
    reductions: str = ("width 16-64 and 4 residual blocks at 1/4 resolution (LaMa: 9 FFC blocks of 512 channels at "
                       "1/8); no batch norm; the hole pre-filled by Telea and a residual learned; VGG-16 perceptual and "
                       "style terms at half size on the composite, weighted so that each starts at about a fifth of the "
                       "L1 term with this VGG (PConv's weights assume other feature scales), instead of LaMa's "
                       "segmentation-network perceptual loss; a 3-layer spectral-norm PatchGAN with the hinge loss")

    def build_networks(self):
        return {**super().build_networks(), "discriminator": PatchDiscriminator(**self.discriminator)}

    def loss(self, net, images, masks):
        """Hole MSE: what the validation curve tracks (the perceptual terms are in :meth:`train_step`)."""
        return hole_mse(net(images, masks), images, masks)

    def train_step(self, nets, opts, images, masks, step, accelerator):
        gen, disc = nets[self.inference_network], nets["discriminator"]
        pred = gen(images, masks)
        valid = 1 - masks
        l1 = (valid * (pred - images)).abs().mean() + self.hole_weight * (masks * (pred - images)).abs().mean()
        half = [F.avg_pool2d(t, 2) for t in (pred, images, masks)]  # the VGG terms at half size: 4x cheaper
        perceptual, style = feature_losses(vgg_features(3, images.device.type), *half, composite_only=True)
        loss = l1 + self.perceptual_weight * perceptual + self.style_weight * style
        logs = {"l1": l1.detach(), "perceptual": perceptual.detach(), "style": style.detach()}
        composite = images * valid + pred * masks
        adversarial = step >= self.adversarial_from
        if adversarial:
            with frozen(disc, accelerator) as scorer:
                g_adv = generator_adversarial(scorer, composite, masks)
            loss = loss + self.adversarial_weight * g_adv
            logs["g_adversarial"] = g_adv.detach()
        opts[self.inference_network].zero_grad(set_to_none=True)
        accelerator.backward(loss)
        opts[self.inference_network].step()
        if adversarial or step >= self.adversarial_from - 100:  # the critic warms up before it is used
            d_loss = discriminator_loss(disc, images, composite, masks)
            opts["discriminator"].zero_grad(set_to_none=True)
            accelerator.backward(d_loss)
            opts["discriminator"].step()
            logs["d_loss"] = d_loss.detach()
        logs["loss"] = loss.detach()
        return logs
