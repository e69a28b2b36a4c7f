"""The learned join's recipe: the gate of ``lama-patchmatch`` trained on pixel error and ST-LPIPS together.

The photo network is frozen (a zoo checkpoint); only the gate learns. Its inputs are PatchMatch's, the
network's and Telea's fills of each training crop, and PatchMatch costs about a second per crop on a CPU,
far more than a step of the gate, so the fills are computed once per crop (with the crop's own mask, on
every core) and kept in the array cache: each example is the crop, its three fills and its hole as one
13-channel array, and the trainer's own mask of the batch is not used. The loss is hole MSE and ST-LPIPS,
each divided by a typical value so that ``perceptual_weight`` says how much the perceptual half counts:
the photo leaderboard's bar asks for both (below Telea's pixel error and PatchMatch's LPIPS).
"""

from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import Field
from tqdm import tqdm

from . import register_recipe
from ..checkpoints import META_KEY, load_network, read_config, sha256_file
from ..datasets import array_cache_dir
from ..lpips import lpips_network
from ..maskgen import make_mask_generator
from ..methods.lama import PhotoNet, telea_prefill
from ..methods.lama_patchmatch import PhotoFusionNet
from ..methods.patchmatch import patchmatch_fill
from ..tensors import batch_tensor
from ..zoo import resolve_checkpoint
from .base import SGDRecipe
from .data import OnPhotos
from .lama import LaMaRecipe

log = logging.getLogger(__name__)

#: Channels of an example: the crop, PatchMatch's, the network's and Telea's fills, the hole.
CHANNELS = 13


def _patchmatch(args: tuple[np.ndarray, np.ndarray, int]) -> np.ndarray:
    crop, hole, seed = args
    return (patchmatch_fill(crop.astype(np.float32) / 255.0, hole, seed) * 255 + 0.5).astype(np.uint8)


def fill_examples(crops: np.ndarray, masks: str, seed: int, structure: PhotoNet, chunk: int = 16) -> np.ndarray:
    """uint8 Nx H x W x 13 examples of uint8 crops: each crop, its three fills of a hole drawn for it, the hole."""
    gen = make_mask_generator(masks)
    n, height, width = crops.shape[:3]
    holes = np.stack([gen(height, width, np.random.default_rng([seed, i, 5])) for i in range(n)])
    out = np.empty((n, height, width, CHANNELS), np.uint8)
    out[..., :3] = crops
    out[..., 12] = holes.astype(np.uint8) * 255
    with torch.no_grad():
        for start in tqdm(range(0, n, chunk), desc="network and Telea fills", leave=False):
            x = batch_tensor(crops[start:start + chunk])
            m = torch.from_numpy(holes[start:start + chunk].astype(np.float32))[:, None]
            for offset, fill in ((6, structure(x, m)), (9, telea_prefill(x, m))):
                out[start:start + chunk, ..., offset:offset + 3] = (
                    fill.clamp(0, 1).mul(255).add(0.5).byte().permute(0, 2, 3, 1).numpy())
    jobs = ((crops[i], holes[i], seed + i) for i in range(n))
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:  # PatchMatch keeps its seed in global state
        for i, fill in enumerate(tqdm(pool.map(_patchmatch, jobs, chunksize=8), total=n, desc="PatchMatch fills",
                                      leave=False)):
            out[i, ..., 3:6] = fill
    return out


def split_example(images: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Bx13xHxW examples -> truth, PatchMatch's, the network's and Telea's fills, the hole."""
    return images[:, 0:3], images[:, 3:6], images[:, 6:9], images[:, 9:12], (images[:, 12:13] > 0.5).float()


@register_recipe
class LaMaPatchMatchRecipe(OnPhotos, SGDRecipe):
    method = "lama-patchmatch"
    structure: str = Field("lama-photo-256", description="the photo network's checkpoint (zoo id or folder), frozen")
    crops_per_image: int | None = 2
    masks: str = LaMaRecipe.model_fields["masks"].default
    batch_size: int = 8
    lr: float = 1e-3
    flip: bool = True
    perceptual_weight: float = Field(2.0, description="weight of ST-LPIPS / lpips_scale against hole MSE / mse_scale")
    mse_scale: float = Field(0.02, description="a typical hole MSE of a photo fill")
    lpips_scale: float = Field(0.1, description="a typical ST-LPIPS of a photo crop's fill")
    network: dict[str, Any] = {"gate": {"width": 16, "sigma": 12.0}}
    val_images: int = 64
    eval_images: int = 100
    eval_masks: str = "object"
    reductions: str = ("not in a paper: a learned per-pixel join of PatchMatch's fill with the photo network's and "
                       "Telea's (the RETHINED/DeepFill idea of learned structure under copied texture, without "
                       "their attention); the gate sees 256 px crops whose PatchMatch searched the crop alone")

    def structure_folder(self) -> Path:
        return resolve_checkpoint("lama", self.structure)

    def build_networks(self) -> dict[str, torch.nn.Module]:
        folder = self.structure_folder()
        config = {k: v for k, v in read_config(folder).items() if k != META_KEY}
        net = PhotoFusionNet(structure=config, gate=self.network.get("gate"))
        net.structure.load_state_dict(load_network(PhotoNet, folder).state_dict())
        net.structure.requires_grad_(False)
        return {"net": net}

    def build_optimizers(self, nets):
        return {"net": torch.optim.Adam(nets["net"].gate.parameters(), lr=self.lr, betas=self.betas)}

    def training_arrays(self, train: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        structure = load_network(PhotoNet, self.structure_folder())
        stamp = sha256_file(self.structure_folder() / "model.safetensors")
        val = val[np.random.default_rng(self.seed).permutation(len(val))[: self.val_images]]
        return tuple(self._examples(part, name, structure, stamp) for part, name in ((train, "train"), (val, "val")))

    def _examples(self, crops: np.ndarray, name: str, structure: PhotoNet, stamp: str) -> np.ndarray:
        """The examples of ``crops``, computed once and kept in the array cache (a resumed run reads them)."""
        sample = np.ascontiguousarray(crops[:: max(1, len(crops) // 64)]).tobytes()
        key = hashlib.sha256(f"{crops.shape}|{self.masks}|{self.seed}|{stamp}".encode() + sample).hexdigest()[:16]
        file = array_cache_dir() / f"lama-patchmatch-{name}-{key}.npy"
        if not file.exists():
            log.info("computing the three fills of %d %s crops (once; kept in %s)", len(crops), name, file.parent)
            examples = fill_examples(np.asarray(crops), self.masks, self.seed, structure)
            file.parent.mkdir(parents=True, exist_ok=True)
            tmp = file.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, examples, allow_pickle=False)
            tmp.replace(file)
        return np.load(file, mmap_mode="r", allow_pickle=False)

    def loss(self, net, images, masks):
        """Hole MSE / ``mse_scale`` + ``perceptual_weight`` x ST-LPIPS / ``lpips_scale`` of the joined fill,
        on the example's own hole (``masks``, the trainer's draw, is not used)."""
        truth, texture, structure, smooth, hole = split_example(images)
        out = net(truth, hole, texture, structure, smooth)
        mse = ((out - truth) ** 2 * hole).sum() / hole.sum().clamp_min(1.0) / 3
        metric = lpips_network().to(images.device)
        with torch.no_grad():
            reference = metric.features(truth * 2 - 1)
        distance = metric.distance(metric.features(out * 2 - 1), reference).mean()
        return mse / self.mse_scale + self.perceptual_weight * distance / self.lpips_scale
