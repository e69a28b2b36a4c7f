"""Many fills of one hole, studied: are the likelier samples the better ones, how different are they,
and what do they cost.

For a stochastic method that reports likelihoods (the Pixel Constrained CNN, the MLE distributions in
sample mode), every held-out image gets ``samples`` fills under the benchmark's masks. The Pixel
Constrained CNN paper's claim, that a higher likelihood means a more plausible fill, becomes a number:
the Spearman correlation between a sample's log-likelihood and its hole MSE within each image,
averaged over images (negative: the likelier samples are closer to the truth).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from tqdm import tqdm

from .maskgen import image_mask
from .datasets import ImageSet
from .errors import InpaintError
from .figures import heatmap, tile_grid
from .maskgen import MaskGenerator
from .metrics import image_metrics, sample_diversity
from .methods.base import Method

HOLE = np.array([255, 0, 255], np.uint8)  # magenta: stands out on digits (white) and on photos alike


def masked_tile(truth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask[..., None], HOLE, truth)


def run_study(label: str, method: Method, images: ImageSet, gen: MaskGenerator, n: int, samples: int, seed: int = 0,
              grid_rows: int = 0, progress: bool = True, **options: Any) -> tuple[pd.DataFrame, np.ndarray | None]:
    """One row per sample (image index, likelihood rank, log-likelihood, hole errors, ms per image for
    all samples, the image's sample diversity), and a grid of the first ``grid_rows`` images:
    masked, the samples from most to least likely, the original."""
    if not (method.capabilities.stochastic and method.capabilities.log_likelihood):
        raise InpaintError(f"'{label}' does not sample with likelihoods: pick a stochastic method that reports them.")
    rows, grid = [], []
    for i in tqdm(range(min(n, len(images))), desc=label, disable=not progress, leave=False):
        truth = images[i]
        mask = image_mask(gen, truth.shape[:2], seed, i)
        results = method.sample(truth, mask, samples, seed=seed + i, **options)
        fills = [r.image[..., :3] for r in results]
        diversity = sample_diversity(fills, mask)
        for rank, (r, fill) in enumerate(zip(results, fills)):
            scores = image_metrics(fill, truth, mask)
            rows.append({"method": label, "index": i, "rank": rank, "log_likelihood": r.log_likelihood,
                         "mse_hole_01": scores["mse_hole_01"], "l1_hole_01": scores["l1_hole_01"],
                         "hole_ratio": scores["hole_ratio"], "ms_per_image": 1000.0 * r.seconds * samples,
                         "diversity_hole": diversity})
        if i < grid_rows:
            grid.append([masked_tile(truth, mask), *fills, truth])
    return pd.DataFrame(rows), (tile_grid(grid) if grid else None)


def summarize_study(df: pd.DataFrame) -> dict[str, float]:
    """Likelihood-error correlation, diversity and cost, over the images of a study."""
    rhos = []
    for _, group in df.groupby("index"):
        if group["mse_hole_01"].nunique() > 1 and group["log_likelihood"].nunique() > 1:
            rhos.append(spearmanr(group["log_likelihood"], group["mse_hole_01"]).statistic)
    rhos_arr = np.asarray(rhos, dtype=float)
    best = df[df["rank"] == 0]
    summary = {
        "images": int(df["index"].nunique()), "samples_per_image": int(df.groupby("index").size().max()),
        "spearman_loglik_vs_mse_mean": float(rhos_arr.mean()) if rhos else float("nan"),
        "spearman_loglik_vs_mse_std": float(rhos_arr.std()) if rhos else float("nan"),
        "share_of_images_with_negative_rho": float((rhos_arr < 0).mean()) if rhos else float("nan"),
        "mse_hole_most_likely": float(best["mse_hole_01"].mean()),
        "mse_hole_mean_of_samples": float(df["mse_hole_01"].mean()),
        "diversity_hole": float(df.groupby("index")["diversity_hole"].first().mean()),
        "hole_ratio": float(best["hole_ratio"].mean()),
        "ms_per_image": float(best["ms_per_image"].mean()),
    }
    return {k: None if isinstance(v, float) and not np.isfinite(v) else v for k, v in summary.items()}  # JSON-safe


def progression_figure(label: str, method: Method, images: ImageSet, gen: MaskGenerator, n: int, frames: int,
                       seed: int = 0) -> np.ndarray:
    """Per image: masked, the per-pixel probability maps at ``frames`` points of sampling (the Pixel
    Constrained CNN paper's Figure 8), then the finished sample."""
    if "frames" not in method.options:
        raise InpaintError(f"'{label}' keeps no probability maps while sampling (it has no 'frames' option).")
    rows = []
    for i in range(min(n, len(images))):
        truth = images[i]
        mask = image_mask(gen, truth.shape[:2], seed, i)
        result = method.inpaint(truth, mask, seed=seed + i, frames=frames)
        maps = [heatmap(frame) for frame in result.extras["progression"]]
        rows.append([masked_tile(truth, mask), *maps, result.image[..., :3]])
    return tile_grid(rows)
