"""Flattened Row LSTM (Deep Image Inpainting, paper 001): CIFAR-10, 8x8 centre hole.

The image is one sequence of 32*32*3 sub-pixels in raster order (R->G->B within a pixel). At each
step the LSTM reads the previous sub-pixel as a one-hot vector of 256 values and predicts the next
with a fully connected 256-way softmax. A one-hot vector times a weight matrix is a row lookup, so
the one-hot input enters as an embedding; the channel being predicted (R, G or B) enters the same
way, which spares the LSTM counting to three. The hole is filled in sequence order: visible
sub-pixels are read as they are, hole sub-pixels take the most likely value (greedy), the median or mean
of their distribution, or a sample.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..learned import TorchMethod
from ..tensors import to_image, to_tensor
from .base import Fill
from .pixelcnn_greedy import LEVELS, PixelCNNGreedy, choose, levels
from .registry import register_method

START = LEVELS  # the "previous value" fed before the first sub-pixel


def flatten(image: torch.Tensor) -> torch.Tensor:
    """B x 3 x H x W in [0,1] -> B x (H*W*3) integer levels in raster order, R->G->B within a pixel."""
    return levels(image).permute(0, 2, 3, 1).reshape(image.shape[0], -1)


class RowLSTMNet(nn.Module, PyTorchModelHubMixin):
    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.value_in = nn.Embedding(LEVELS + 1, hidden)
        self.channel_in = nn.Embedding(3, hidden)
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)
        self.head = nn.Linear(hidden, LEVELS)

    def step_inputs(self, previous: torch.Tensor, start: int) -> torch.Tensor:
        """Inputs for positions start, start+1, ...: the previous sub-pixel and the channel to predict."""
        channels = (torch.arange(previous.shape[1], device=previous.device) + start) % 3
        return self.value_in(previous) + self.channel_in(channels)[None]

    def run(self, previous: torch.Tensor, start: int, state=None):
        """Logits for positions start.. given the values before them; returns (logits, LSTM state)."""
        out, state = self.lstm(self.step_inputs(previous, start), state)
        return self.head(out), state

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits B x N x 256 for integer sequences B x N."""
        previous = F.pad(sequence, (1, 0), value=START)[:, :-1]
        return self.run(previous, 0)[0]


def sequence_log_probs(net: RowLSTMNet, images: torch.Tensor) -> torch.Tensor:
    """log p of every sub-pixel given all before it, teacher-forced: B x (H*W*3), raster order."""
    seq = flatten(images)
    return F.log_softmax(net(seq), dim=-1).gather(-1, seq[..., None]).squeeze(-1)


@register_method
class RowLSTM(TorchMethod):
    name = "row-lstm"
    description = "Flattened Row LSTM over the raster sequence of sub-pixels, 256-way softmax; hole filled greedily in order."
    paper = "Deep Image Inpainting (CIFAR-10 centre-hole study), Flattened Row LSTM"
    capabilities = PixelCNNGreedy.capabilities  # the same protocol and the same greedy/sample options
    options = PixelCNNGreedy.options
    network_class = RowLSTMNet
    validation_report = PixelCNNGreedy.validation_report

    @torch.no_grad()
    def fill(self, image, mask, rng, mode="greedy", temperature=1.0):
        x, _ = to_tensor(image, mask)
        seq = flatten(x)[0]
        hole = torch.from_numpy(np.repeat(mask.reshape(-1), 3))
        gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
        positions = torch.nonzero(hole).flatten().tolist()
        previous = torch.cat([torch.tensor([START]), seq[:-1]])
        # everything up to the first hole sub-pixel in one call, then one step at a time
        logits, state = self.net.run(previous[None, : positions[0] + 1], 0)
        total, t = 0.0, positions[0]
        last = positions[-1]
        while True:
            if hole[t]:
                logp = F.log_softmax(logits[0, -1], dim=0)
                value = choose(logp, mode, temperature, gen)
                total += float(logp[value])
                seq[t] = value
            if t == last:
                break
            # read the visible run after t in one call, up to the next hole sub-pixel
            nxt = t + 1
            while not hole[nxt]:
                nxt += 1
            logits, state = self.net.run(seq[None, t:nxt], t + 1, state)
            t = nxt
        filled = seq.view(1, *mask.shape, 3).permute(0, 3, 1, 2).float() / (LEVELS - 1)
        return Fill(to_image(filled), log_likelihood=total)

    @staticmethod
    def sub_pixel_log_probs(net: RowLSTMNet, images: torch.Tensor) -> torch.Tensor:
        """Teacher-forced log-probabilities as B x 3 x H x W, the layout :meth:`validation_report` reads."""
        b, _, h, w = images.shape
        return sequence_log_probs(net, images).view(b, h, w, 3).permute(0, 3, 1, 2)
