"""The objective that makes fills look real, not only close in MSE, shared by the photo network and the
128 px face models: a family's own pixel loss, the PConv paper's perceptual and style terms on the
ImageNet VGG-16 (:mod:`inpaint_core.losses`), and a spectral-norm PatchGAN with the hinge loss that
judges the patches touching the hole."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from ..losses import PatchDiscriminator, discriminator_loss, feature_losses, generator_adversarial, vgg_features
from .base import SGDRecipe, frozen

if TYPE_CHECKING:
    from accelerate import Accelerator

#: ``feature_model`` value that selects the ImageNet VGG-16 (any other value names a zoo checkpoint).
VGG16 = "vgg16"


class PerceptualGANRecipe(SGDRecipe):
    """A generator step on pixel + perceptual + style (+ adversarial) terms, then a critic step.

    The feature terms may run on shrunk images (``feature_scale=2``: 4x cheaper, and the VGG's receptive
    field covers twice the image). The critic starts ``adversarial_from - 100`` steps in, so that it has
    learned something by the time the generator listens to it; ``adversarial_weight=0`` trains no critic."""

    #: A network whose output outside the hole is its input has only the composite to be judged on.
    composite_only: ClassVar[bool] = False

    feature_scale: int = Field(2, description="the perceptual and style terms see the images shrunk by this factor")
    perceptual_weight: float = 0.0
    style_weight: float = 0.0
    adversarial_weight: float = Field(0.0, description="weight of the PatchGAN term; 0: no critic")
    adversarial_from: int = Field(300, description="step from which the GAN term is used (its critic warms up 100 "
                                                   "steps before)")
    lr_discriminator: float = 2e-4
    discriminator: dict[str, Any] = {"width": 32, "layers": 3}

    def generate(self, net: nn.Module, images: torch.Tensor, masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The generator's fill of a batch and the images it is judged against (a batch may carry more
        than the images: Sim-k's references, stacked on channels)."""
        return net(images, masks), images

    def pixel_loss(self, pred: torch.Tensor, images: torch.Tensor, masks: torch.Tensor) -> tuple[str, torch.Tensor]:
        """The family's per-pixel term and the name it is logged under."""
        raise NotImplementedError

    def feature_network(self, device: str) -> Callable[[torch.Tensor], list[torch.Tensor]] | None:
        """The feature maps of the perceptual and style terms; None leaves both terms out."""
        return vgg_features(3, device) if self.perceptual_weight or self.style_weight else None

    def build_networks(self) -> dict[str, nn.Module]:
        nets = super().build_networks()
        if self.adversarial_weight:
            nets["discriminator"] = PatchDiscriminator(**self.discriminator)
        return nets

    def feature_terms(self, pred: torch.Tensor, images: torch.Tensor,
                      masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The unweighted perceptual and style terms at ``feature_scale``; None when both weights are 0."""
        features = self.feature_network(images.device.type)
        if features is None:
            return None
        k = self.feature_scale
        seen = [F.avg_pool2d(t, k) if k > 1 else t for t in (pred, images, masks)]
        return feature_losses(features, *seen, composite_only=self.composite_only)

    def generator_loss(self, pred: torch.Tensor, images: torch.Tensor,
                       masks: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        name, loss = self.pixel_loss(pred, images, masks)
        logs = {name: loss.detach()}
        terms = self.feature_terms(pred, images, masks)
        if terms is not None:
            perceptual, style = terms
            loss = loss + self.perceptual_weight * perceptual + self.style_weight * style
            logs.update(perceptual=perceptual.detach(), style=style.detach())
        return loss, logs

    def train_step(self, nets, opts, images, masks, step, accelerator: Accelerator):
        pred, images = self.generate(nets[self.inference_network], images, masks)
        loss, logs = self.generator_loss(pred, images, masks)
        composite = images * (1 - masks) + pred * masks
        critic = nets.get("discriminator")
        adversarial = critic is not None and step >= self.adversarial_from
        if adversarial:
            with frozen(critic, accelerator) as scorer:
                g_adv = generator_adversarial(scorer, composite, masks)
            loss = loss + self.adversarial_weight * g_adv
            logs["g_adversarial"] = g_adv.detach()
        opts[self.inference_network].zero_grad(set_to_none=True)
        accelerator.backward(loss)
        opts[self.inference_network].step()
        if critic is not None and step >= self.adversarial_from - 100:  # the critic warms up before it is used
            d_loss = discriminator_loss(critic, images, composite, masks)
            opts["discriminator"].zero_grad(set_to_none=True)
            accelerator.backward(d_loss)
            opts["discriminator"].step()
            logs["d_loss"] = d_loss.detach()
        logs["loss"] = loss.detach()
        return logs
