"""Training batches as a map-style dataset, so any number of processes and loader workers draw the
same examples.

Every random choice of an example (its mask, its mirror) is a function of (seed, epoch, index), and
the order of an epoch a function of (seed, epoch): a run is reproducible whatever the number of
processes or workers, a resumed run skips the batches it has seen and continues with the same
examples, and masks are drawn in the loader's workers instead of the training loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from .tensors import batch_tensor

MaskGenerator = Callable[[int, int, np.random.Generator], np.ndarray]


class EpochOrder(Sampler):
    """A permutation of the data per epoch, seeded by (seed, epoch); it yields (epoch, index) pairs so
    the dataset knows the epoch without state that loader workers would have to share."""

    def __init__(self, size: int, seed: int) -> None:
        self.size, self.seed, self.epoch = size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[tuple[int, int]]:
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.size)
        return ((self.epoch, int(i)) for i in order)


class TrainingSet(Dataset):
    """uint8 NxHxWxC examples (a memory map of the array cache) -> (float CxHxW in [0,1], 1xHxW mask)."""

    def __init__(self, array: np.ndarray, masks: MaskGenerator, seed: int, flip: bool = False) -> None:
        self.array, self.masks, self.seed, self.flip = array, masks, seed, flip

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, key: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, index = key
        image = batch_tensor(self.array[index : index + 1])[0]
        if self.flip and np.random.default_rng([self.seed, epoch, index, 11]).random() < 0.5:
            image = image.flip(-1)
        height, width = image.shape[-2:]
        mask = self.masks(height, width, np.random.default_rng([self.seed, epoch, index, 7]))
        return image, torch.from_numpy(mask.astype(np.float32))[None]


def masks_tensor(masks: MaskGenerator, n: int, size: int, rng: np.random.Generator) -> torch.Tensor:
    """n masks of size x size as float Nx1xHxW (1 = hole)."""
    return torch.from_numpy(np.stack([masks(size, size, rng) for _ in range(n)]).astype(np.float32))[:, None]
