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


def check_autoregressive_fill(name: str, net, folder: Path, image: np.ndarray, mask: np.ndarray):
    """The contract of a centre-hole method that fills sub-pixel by sub-pixel: the greedy fill ignores
    the seed and keeps visible pixels, its log-likelihood is the teacher-forced sum over the hole, and
    seeded sampling repeats. Returns the checkpoint's method and its greedy result."""
    import pytest
    import torch

    from inpaint_core import load_method
    from inpaint_core.checkpoints import save_network

    save_network(net, folder, {"method": name})
    method = load_method(name, folder)
    a, b = method.inpaint(image, mask, seed=1), method.inpaint(image, mask, seed=2)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.image[~mask], image[~mask])
    x = torch.from_numpy(a.image).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        recomputed = float(method.sub_pixel_log_probs(method.net.float(), x)[0][:, torch.from_numpy(mask)].sum())
    assert a.log_likelihood == pytest.approx(recomputed, abs=1e-2)
    s1, s2 = (method.inpaint(image, mask, seed=7, mode="sample").image for _ in range(2))
    assert np.array_equal(s1, s2)  # seeded sampling repeats
    assert not np.array_equal(s1, method.inpaint(image, mask, seed=8, mode="sample").image)
    return method, a


def cpu_accelerator():
    """The Accelerate object a train step is given by the trainer, for one process on this CPU."""
    from accelerate import Accelerator

    return Accelerator(cpu=True)
