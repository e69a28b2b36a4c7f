"""Figures for the README and model cards: held-out examples side by side, sample grids.

A comparison figure uses the benchmark's masks (``rng([seed, index])``), so the pictures show the
same cases the results tables average over.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .benchmark import method_from_label
from .maskgen import image_mask
from .datasets import ImageSet
from .errors import InpaintError
from .maskgen import make_mask_generator


def tile_grid(rows: Sequence[Sequence[np.ndarray]], gap: int = 2, scale: int = 1) -> np.ndarray:
    """uint8 tiles laid out in rows on white, each centred in a cell of the largest tile's size
    (photos mix orientations) and enlarged ``scale`` times with nearest neighbour so small images
    keep their pixels visible."""
    tiles = [[cv2.resize(t, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST) if scale > 1 else t
              for t in row] for row in rows]
    h = max(t.shape[0] for row in tiles for t in row)
    w = max(t.shape[1] for row in tiles for t in row)
    cols = max(len(row) for row in tiles)
    grid = np.full((len(tiles) * (h + gap) + gap, cols * (w + gap) + gap, 3), 255, np.uint8)
    for r, row in enumerate(tiles):
        for c, tile in enumerate(row):
            top = gap + r * (h + gap) + (h - tile.shape[0]) // 2
            left = gap + c * (w + gap) + (w - tile.shape[1]) // 2
            grid[top : top + tile.shape[0], left : left + tile.shape[1]] = tile
    return grid


def heatmap(values: np.ndarray | None) -> np.ndarray | None:
    """Per-pixel probabilities in [0, 1] as a colour image (viridis); NaN (nothing sampled there) is grey."""
    if values is None:
        return None
    values = np.asarray(values, dtype=np.float32)
    known = np.isfinite(values)
    scaled = np.clip(np.where(known, values, 0), 0, 1)
    rgb = cv2.cvtColor(cv2.applyColorMap((scaled * 255).astype(np.uint8), cv2.COLORMAP_VIRIDIS), cv2.COLOR_BGR2RGB)
    rgb[~known] = 128
    return rgb


def comparison_figure(labels: Sequence[str], images: ImageSet, masks: str, n: int, seed: int = 0,
                      scale: int = 1) -> np.ndarray:
    """One row per held-out image: original, masked (hole white), then each method's fill followed by
    the auxiliary images it was given, if any (Sim-k's retrieved neighbours)."""
    if len(images) == 0:
        raise InpaintError("The data split has no images: check --data and --split.")
    gen = make_mask_generator(masks)
    methods = [method_from_label(label) for label in labels]
    rows = []
    for i in range(min(n, len(images))):
        truth = images[i]
        mask = image_mask(gen, truth.shape[:2], seed, i)
        masked = np.where(mask[..., None], np.uint8(255), truth)
        row = [truth, masked]
        for method in methods:
            result = method.inpaint(truth, mask, seed=seed + i)
            row += [result.image[..., :3], *(image for image, _ in result.extras.get("gallery", []))]
        rows.append(row)
    return tile_grid(rows, scale=scale)
