"""Small data the tests make themselves (no data set is needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def make_images(folder: Path, n_per_class: int = 4, size: int = 16, classes=("a", "b"), seed: int = 0) -> Path:
    """Write a tiny labelled image folder (smooth random images, PNG)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for c in classes:
        (folder / c).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_class):
            base = rng.uniform(0, 255, size=(4, 4, 3))
            img = np.kron(base, np.ones((size // 4, size // 4, 1))).astype(np.uint8)
            Image.fromarray(img).save(folder / c / f"{i:04d}.png")
    return folder
