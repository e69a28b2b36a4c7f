"""L2 context encoder (Deep Image Inpainting, paper 001): CIFAR-10 with the 8x8 centre hole.

Encoder of 3x3 strided convolutions with leaky ReLU down to 4x4, a fully connected bottleneck
(512, the paper's best), and a decoder that predicts the 8x8 centre, optionally with a skip around
the bottleneck. Trained on L2 with an exponential moving average of the weights and early stopping
on the validation loss.
"""

from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..learned import TorchMethod
from ..maskgen import centre_mask
from ..tensors import to_image, to_tensor
from .base import Capabilities
from .registry import register_method


class ContextEncoderNet(nn.Module, PyTorchModelHubMixin):
    """``skip`` adds one path around the bottleneck: the half-resolution encoder features over the
    predicted square (each sees 7x7 pixels, so the cells at the hole's edge see the pixels bordering
    it) join the decoder before it upsamples. The 512-unit bottleneck still carries the global
    context; the skip hands the decoder the local colours it otherwise has to squeeze through it."""

    def __init__(self, width: int = 64, bottleneck: int = 512, size: int = 32, hole: int = 8,
                 skip: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.size, self.hole, self.width, self.skip = size, hole, width, skip
        act = nn.LeakyReLU(0.2)
        self.encoder = nn.Sequential(
            nn.Conv2d(4, width // 2, 3, padding=1), act,
            nn.Conv2d(width // 2, width, 3, stride=2, padding=1), act,  # size/2: the skip's features
            nn.Conv2d(width, width, 3, stride=2, padding=1), act,  # size/4
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), act,  # size/8
        )
        feat = 2 * width * (size // 8) ** 2
        self.bottleneck = nn.Sequential(nn.Flatten(), nn.Linear(feat, bottleneck), act,
                                        nn.Linear(bottleneck, width * (hole // 2) ** 2), act, nn.Dropout(dropout))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * width if skip else width, width // 2, 4, stride=2, padding=1), act,  # hole
            nn.Conv2d(width // 2, width // 2, 3, padding=1), act,
            nn.Conv2d(width // 2, 3, 3, padding=1),
        )

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Predict the centre hole (Bx3xhole x hole) from the image with its hole zeroed plus the mask."""
        half = self.encoder[:4](torch.cat([image * (1 - mask), mask], dim=1))
        z = self.bottleneck(self.encoder[4:](half)).view(-1, self.width, self.hole // 2, self.hole // 2)
        if self.skip:
            s = centre_slice(self.size // 2, self.hole // 2)
            z = torch.cat([z, half[..., s, s]], dim=1)
        return torch.sigmoid(self.decoder(z))


def centre_slice(size: int, hole: int) -> slice:
    start = (size - hole) // 2
    return slice(start, start + hole)


def centre_hole_mask(batch: int, size: int, hole: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Bx1xsize x size float mask, 1 on the centre hole: the only hole a centre-hole network is given."""
    mask = torch.from_numpy(centre_mask(size, size, hole).astype("float32")).to(device)
    return mask[None, None].expand(batch, 1, size, size)


@register_method
class L2ContextEncoder(TorchMethod):
    name = "l2-context-encoder"
    description = "Context encoder with a 512-unit bottleneck trained on L2 (CIFAR-10, 8x8 centre hole)."
    paper = "Deep Image Inpainting (CIFAR-10 centre-hole study), L2 CNN"
    capabilities = Capabilities(native_size=32, centre_hole=8, needs_checkpoint=True)
    network_class = ContextEncoderNet

    @torch.no_grad()
    def fill(self, image, mask, rng):
        size, hole = self.net.size, self.net.hole
        s = centre_slice(size, hole)
        x, _ = to_tensor(image, mask)
        out = x.clone()
        out[..., s, s] = self.net(x, centre_hole_mask(1, size, hole))
        return to_image(out)
