"""Image-quality metrics, each named with the scale it is computed on.

Conventions: images are float in [0, 1] (uint8 inputs are converted), masks are bool HxW with
True = hole. "L2 (paper)" is the Deep Image Inpainting paper's measure: the sum of squared errors
over the hole divided by the number of hole pixels (so it sums over the three channels).
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from .images import to_float
from .masks import hole_bucket, hole_ratio

#: Column names of the per-image metrics; the suffix states the scale.
METRIC_COLUMNS = (
    "l1_hole_01",
    "l1_full_01",
    "mse_hole_01",
    "mse_full_01",
    "l2paper_hole_01",
    "l2paper_hole_255",
    "psnr_full_db",
    "ssim_full",
    "maem_hole_pct",
)


def _float(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    return to_float(image) if image.dtype == np.uint8 else image.astype(np.float64)


def _region(mask: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    return np.ones(shape[:2], dtype=bool) if mask is None else np.asarray(mask, dtype=bool)


def l1(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean absolute error over the region's pixels and channels, on [0, 1]."""
    diff = np.abs(_float(pred) - _float(target))[_region(mask, pred.shape)]
    return float(diff.mean()) if diff.size else float("nan")


def mse(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean squared error over the region's pixels and channels, on [0, 1]."""
    diff = (_float(pred) - _float(target))[_region(mask, pred.shape)]
    return float(np.mean(diff**2)) if diff.size else float("nan")


def l2_paper(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None, scale: float = 1.0) -> float:
    """Sum of squared errors over the region divided by its pixel count (channels summed)."""
    region = _region(mask, pred.shape)
    n = int(region.sum())
    if n == 0:
        return float("nan")
    diff = (_float(pred) - _float(target))[region] * scale
    return float(np.sum(diff**2) / n)


def psnr(pred: np.ndarray, target: np.ndarray) -> float:
    """PSNR in dB over the whole image on [0, 1]; inf for identical images."""
    p, t = _float(pred), _float(target)
    if np.array_equal(p, t):
        return float("inf")
    return float(peak_signal_noise_ratio(t, p, data_range=1.0))


def ssim(pred: np.ndarray, target: np.ndarray) -> float:
    """SSIM over the whole image (scikit-image, 7x7 window or the largest odd window that fits)."""
    win = min(7, min(pred.shape[:2]) - (1 - min(pred.shape[:2]) % 2))
    return float(
        structural_similarity(_float(target), _float(pred), channel_axis=-1, data_range=1.0, win_size=max(win, 3))
    )


def maem(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None, tolerance: int = 5) -> float:
    """Share (in %) of region pixels within +-tolerance of the truth on every channel, on [0, 255]."""
    p = np.asarray(pred)
    t = np.asarray(target)
    p255 = p.astype(np.int32) if p.dtype == np.uint8 else np.rint(p * 255).astype(np.int32)
    t255 = t.astype(np.int32) if t.dtype == np.uint8 else np.rint(t * 255).astype(np.int32)
    ok = np.all(np.abs(p255 - t255) <= tolerance, axis=-1)[_region(mask, p.shape)]
    return float(100.0 * ok.mean()) if ok.size else float("nan")


def image_metrics(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Every per-image metric of :data:`METRIC_COLUMNS` plus the hole ratio and its bucket."""
    ratio = hole_ratio(mask)
    return {
        "hole_ratio": ratio,
        "bucket": hole_bucket(ratio),
        "l1_hole_01": l1(pred, target, mask),
        "l1_full_01": l1(pred, target),
        "mse_hole_01": mse(pred, target, mask),
        "mse_full_01": mse(pred, target),
        "l2paper_hole_01": l2_paper(pred, target, mask),
        "l2paper_hole_255": l2_paper(pred, target, mask, scale=255.0),
        "psnr_full_db": psnr(pred, target),
        "ssim_full": ssim(pred, target),
        "maem_hole_pct": maem(pred, target, mask),
    }


def sample_diversity(samples: list[np.ndarray], mask: np.ndarray) -> float:
    """Mean pairwise RMS distance between samples inside the hole, on [0, 1] (0 = all samples equal)."""
    holes = [_float(s)[np.asarray(mask, dtype=bool)] for s in samples]
    pairs = [np.sqrt(np.mean((a - b) ** 2)) for i, a in enumerate(holes) for b in holes[i + 1 :]]
    return float(np.mean(pairs)) if pairs else float("nan")
