"""Sim-k (semi-parametric paper, 004): a UNet fed the masked image, the mask and k similar images.

At test time the k images come from the two-step retrieval of the paper: the PConv checkpoint
named in the recipe fills the hole coarsely, its encoder describes that coarse fill, and the k
nearest database images by cosine similarity are resized to the photo. A user may instead give
reference photos of the same scene or person (the app's "Reference images"); with more than k, the
k most similar to the coarse fill are used. ``auxiliary=random|noise`` replaces the neighbours by
random database images or uniform noise, the paper's Figure 5 check that the network uses them.
"""

from __future__ import annotations

from functools import cached_property, partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..images import to_float, to_uint8
from ..learned import TorchMethod
from ..pipeline import resize_image
from ..retrieval import (
    INFO,
    DatabaseError,
    RetrievalIndex,
    build_command,
    default_index_dir,
    load_descriptor_model,
)
from ..tensors import to_image, to_tensor
from ..tiling import MIRROR, TILE, complete
from ..unet import InpaintUNet
from .base import Capabilities, Fill, Option
from .registry import register_method


@register_method
class SimK(TorchMethod):
    name = "sim-k"
    description = ("Semi-parametric UNet fed k similar images: retrieved from a database (two-step retrieval) "
                   "or your own reference photos of the same scene or person.")
    paper = "Semi-parametric image inpainting (Sim-k)"
    capabilities = Capabilities(size_multiple=16, needs_checkpoint=True, references=True)
    memory_per_pixel = 150.0  # tiled, so bounded by the tile (docs/limits.md)
    options = {
        "auxiliary": Option("retrieved", "auxiliary images without reference photos: nearest database images, random "
                                         "ones, or noise", choices=("retrieved", "random", "noise")),
        "database": Option("", "retrieval database folder (empty: where `inpaint index build` puts the checkpoint's)"),
        "tile": TILE,
        "mirror": MIRROR,
    }
    network_class = InpaintUNet

    # -- inference --------------------------------------------------------------------------------
    @classmethod
    def missing_requirement(cls, meta: dict[str, Any]) -> str | None:
        """A retrieving checkpoint needs its database built on this machine (`inpaint index build`)."""
        spec = meta.get("database")
        if not spec:
            return None
        spec = with_default_dir(spec)
        if not (Path(spec["dir"]) / INFO).is_file():
            return f"its retrieval database is not built: {build_command(spec['model'], spec['data'], spec['split'], spec['dir'])}"
        return None

    @cached_property
    def _spec(self) -> dict[str, Any]:
        spec = self.meta.get("database")
        if not spec:
            raise DatabaseError("This Sim-k network records no retrieval database: give reference images instead.")
        return with_default_dir(spec)

    @cached_property
    def _descriptor(self):
        return load_descriptor_model(self._spec["model"])

    def _index(self, folder: str) -> RetrievalIndex:
        folder = folder or self._spec["dir"]
        cache = self.__dict__.setdefault("_indexes", {})
        if folder not in cache:
            cache[folder] = open_database(self._spec, folder)
        return cache[folder]

    def _describe(self, images: list[np.ndarray], size: int) -> np.ndarray:
        return self._descriptor.describe(np.stack([resize_image(im, size) for im in images]))

    def _describe_coarse_fill(self, image: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
        """Step one of the two-step retrieval: the descriptor of PConv's fill, not of the holed image."""
        return self._describe([self._descriptor.fill(image, mask, None)], size)[0]

    def _auxiliary(self, image, mask, rng, mode: str, database: str, references: list[np.ndarray] | None):
        """k auxiliary images at the input's size, and what to show of each: (image, caption)."""
        k, shape = self.net.references, image.shape[:2]
        if references:
            if len(references) > k:  # the k most similar to the coarse fill
                size = self._spec["size"]
                sims = self._describe(references, size) @ self._describe_coarse_fill(image, mask, size)
                order = np.argsort(-sims)[:k]
                picked = [(references[i], f"your reference #{i + 1} (cos {sims[i]:.2f})") for i in order]
            else:
                picked = [(references[i % len(references)], f"your reference #{i % len(references) + 1}") for i in range(k)]
            return [p for p, _ in picked], [(to_uint8(p), c) for p, c in picked]
        if mode == "noise":
            noise = [rng.random((*shape, 3), dtype=np.float32) for _ in range(k)]
            return noise, [(to_uint8(n), "noise") for n in noise]
        index = self._index(database)
        if mode == "random":
            rows = rng.choice(index.info["count"], k, replace=False)
            captions = [f"random {index.name(r)}" for r in rows]
        else:  # the paper's two-step retrieval: coarse fill, describe it, nearest neighbours
            found, sims = index.search(self._describe_coarse_fill(image, mask, index.info["size"])[None], k)
            rows, captions = found[0], [f"retrieved {index.name(r)} (cos {s:.2f})" for r, s in zip(found[0], sims[0])]
        originals = [index.image(r) for r in rows]
        return [resize_image(to_float(o), shape) for o in originals], list(zip(originals, captions))

    @torch.no_grad()
    def fill(self, image, mask, rng, auxiliary="retrieved", database="", tile=-1, mirror=False, references=None):
        x, m = to_tensor(image, mask)
        run = partial(complete, self.net, tile=tile, resolution=int(self.meta.get("resolution", 0)),
                      multiple=self.net.multiple, mirror=mirror)
        if not self.net.references:
            return to_image(run(x, m))
        aux, shown = self._auxiliary(image, mask, rng, auxiliary, database, references)
        refs = torch.cat([to_tensor(a.astype(np.float32), mask)[0] for a in aux], dim=1)
        return Fill(to_image(run(x, m, refs=refs)), extras={"gallery": shown})


def with_default_dir(spec: dict[str, Any]) -> dict[str, Any]:
    """A database spec (model, data, split, size) plus the folder `inpaint index build` writes it to."""
    return {**spec, "dir": str(default_index_dir(spec["model"], spec["data"], spec["split"], spec["size"]))}


def open_database(spec: dict[str, Any], folder: str) -> RetrievalIndex:
    """The database a checkpoint expects, or the error that says how to build it."""
    try:
        return RetrievalIndex.load(folder, model=spec["model"], size=spec["size"])
    except DatabaseError as exc:
        raise DatabaseError(f"{exc} This Sim-k checkpoint retrieves from {spec['data']} ({spec['split']} split) "
                            f"described by '{spec['model']}'. Build the database with:\n  "
                            f"{build_command(spec['model'], spec['data'], spec['split'], folder)}\n"
                            "or give reference images instead.") from exc
