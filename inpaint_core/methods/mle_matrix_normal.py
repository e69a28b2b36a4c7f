"""MLE inpainting with a Matrix Normal: per channel X ~ MN(M, U, V), U the HxH row covariance and
V the WxW column covariance (vec(X) ~ N(vec(M), V kron U)).

Fitted by the flip-flop maximum-likelihood iterations with a ridge. The most likely fill is the
exact conditional mean, found by conjugate gradients on the Kronecker-structured precision
(Z -> U^-1 Z V^-1, restricted to the hole's bounding box), so a 1024x1024 RGB image never needs
the (HW)x(HW) covariance.
"""

from __future__ import annotations

import math

import torch
from huggingface_hub import PyTorchModelHubMixin

from ..mle import Distribution, pixels
from ._mle import MLEMethod
from .base import Option
from .registry import register_method


def _chol_inverse(chol: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse and log-determinant of L L^T from a batch of lower-triangular factors (float64)."""
    chol = torch.tril(chol.to(torch.float64))
    return torch.cholesky_inverse(chol), 2.0 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1).abs()).sum(-1)


def _spd_inverse(a: torch.Tensor) -> torch.Tensor:
    return torch.cholesky_inverse(torch.linalg.cholesky(a.to(torch.float64)))


def conjugate_gradient(apply, rhs: torch.Tensor, precond, tol: float = 1e-6, max_iter: int = 1000):
    """Preconditioned CG for a batch of independent SPD systems (one per leading index)."""
    x = torch.zeros_like(rhs)
    r = rhs.clone()
    z = precond(r)
    p = z.clone()
    rz = (r * z).flatten(1).sum(1)
    norm0 = rhs.flatten(1).norm(dim=1).clamp_min(1e-30)
    for it in range(max_iter):
        ap = apply(p)
        alpha = rz / (p * ap).flatten(1).sum(1).clamp_min(1e-30)
        x += alpha.view(-1, *[1] * (rhs.dim() - 1)) * p
        r -= alpha.view(-1, *[1] * (rhs.dim() - 1)) * ap
        if (r.flatten(1).norm(dim=1) / norm0).max() < tol:
            return x, it + 1
        z = precond(r)
        rz_new = (r * z).flatten(1).sum(1)
        p = z + (rz_new / rz).view(-1, *[1] * (rhs.dim() - 1)) * p
        rz = rz_new
    return x, max_iter


class MatrixNormalImage(Distribution, PyTorchModelHubMixin):
    """Stores the Cholesky factors of U and V: L L^T stays positive definite after fp16 storage."""

    def __init__(self, size: int = 64) -> None:
        super().__init__()
        self.size = size
        self.register_buffer("mean", torch.zeros(3, size, size))
        self.register_buffer("row_factor", torch.eye(size).repeat(3, 1, 1))
        self.register_buffer("col_factor", torch.eye(size).repeat(3, 1, 1))

    def set_covariances(self, row_cov: torch.Tensor, col_cov: torch.Tensor) -> None:
        self.row_factor.copy_(torch.linalg.cholesky(row_cov.to(torch.float64)))
        self.col_factor.copy_(torch.linalg.cholesky(col_cov.to(torch.float64)))
        self.parameters_changed()

    def covariances(self) -> tuple[torch.Tensor, torch.Tensor]:
        u, v = (torch.tril(f.to(torch.float64)) for f in (self.row_factor, self.col_factor))
        return u @ u.transpose(-2, -1), v @ v.transpose(-2, -1)

    def _params(self) -> dict:
        def compute() -> dict:
            u_inv, u_logdet = _chol_inverse(self.row_factor)
            v_inv, v_logdet = _chol_inverse(self.col_factor)
            return {"mean": self.mean.to(torch.float64), "u_inv": u_inv, "v_inv": v_inv, "u_logdet": u_logdet,
                    "v_logdet": v_logdet, "u_chol": torch.tril(self.row_factor.to(torch.float64)),
                    "v_chol": torch.tril(self.col_factor.to(torch.float64))}

        return self.derived("params", compute)

    def mean_image(self) -> torch.Tensor:
        return self.mean[None]

    def log_prob(self, x):
        p = self._params()
        e = x.to(torch.float64) - p["mean"]
        quad = (e * (p["u_inv"] @ e @ p["v_inv"])).sum((-2, -1))  # B x 3
        n = self.size
        const = n * n * math.log(2 * math.pi) + n * p["u_logdet"] + n * p["v_logdet"]
        return -0.5 * (quad + const).sum(-1)

    def sample(self, n, generator=None):
        p = self._params()
        z = torch.randn(n, 3, self.size, self.size, generator=generator, dtype=torch.float64)
        return p["mean"] + p["u_chol"] @ z @ p["v_chol"].transpose(-2, -1)

    def conditional_mean(self, x, mask, tol: float = 1e-7, max_iter: int = 2000):
        """Exact MLE of the hole: solve [U^-1 E V^-1]_hole = 0 for E = X - M by CG over hole pixels."""
        p = self._params()
        hole = mask.bool()[0, 0]
        rows = torch.nonzero(hole.any(1)).flatten()
        cols = torch.nonzero(hole.any(0)).flatten()
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        big = (r1 - r0) * (c1 - c0) > 256 * 256
        dtype = torch.float32 if big else torch.float64  # fp32 matmuls for large holes: 2x faster
        h = hole[r0:r1, c0:c1].to(dtype)
        u_in = p["u_inv"][:, r0:r1, r0:r1].to(dtype)
        v_in = p["v_inv"][:, c0:c1, c0:c1].to(dtype)
        e = (x[0].to(torch.float64) - p["mean"]) * (~hole)  # visible residual, zero in the hole
        rhs = -(p["u_inv"][:, r0:r1] @ e @ p["v_inv"][:, :, c0:c1]).to(dtype) * h
        # preconditioner: the inverse of the precision's Kronecker block on the bounding box, restricted
        # to the hole (SPD; exact for a rectangular hole, close when the hole fills most of its box)
        u_block_inv = _spd_inverse(p["u_inv"][:, r0:r1, r0:r1]).to(dtype)
        v_block_inv = _spd_inverse(p["v_inv"][:, c0:c1, c0:c1]).to(dtype)
        solution, _ = conjugate_gradient(lambda z: (u_in @ z @ v_in) * h, rhs,
                                                          lambda r: (u_block_inv @ r @ v_block_inv) * h,
                                                          tol=max(tol, 1e-5) if big else tol, max_iter=max_iter)
        out = x[0].to(torch.float64).clone()
        block = out[:, r0:r1, c0:c1]
        block[:, hole[r0:r1, c0:c1]] = (p["mean"][:, r0:r1, c0:c1] + solution.to(torch.float64))[:, hole[r0:r1, c0:c1]]
        return out[None]

    @classmethod
    def fit(cls, images, size: int = 64, iterations: int = 10, ridge: float = 1e-3, chunk: int = 16):
        """Flip-flop MLE: U = sum E V^-1 E^T / (N W), V = sum E^T U^-1 E / (N H), each + ridge * mean diag."""
        model = cls(size=size)
        x = pixels(images).to(torch.float32)  # N x 3 x H x W
        n = len(x)
        mean = x.mean(0)
        model.mean.copy_(mean)
        u = torch.eye(size, dtype=torch.float64).repeat(3, 1, 1)
        v = torch.eye(size, dtype=torch.float64).repeat(3, 1, 1)

        def scatter(prec: torch.Tensor, transpose: bool) -> torch.Tensor:
            acc = torch.zeros(3, size, size, dtype=torch.float64)
            prec32 = prec.to(torch.float32)
            for i in range(0, n, chunk):
                e = x[i : i + chunk] - mean
                if transpose:
                    e = e.transpose(-2, -1)
                acc += (e @ prec32 @ e.transpose(-2, -1)).sum(0).to(torch.float64)
            return acc / (n * size)

        for _ in range(iterations):
            u = scatter(_spd_inverse(v), transpose=False)
            u += ridge * torch.diagonal(u, dim1=-2, dim2=-1).mean(-1)[:, None, None] * torch.eye(size, dtype=torch.float64)
            v = scatter(_spd_inverse(u), transpose=True)
            v += ridge * torch.diagonal(v, dim1=-2, dim2=-1).mean(-1)[:, None, None] * torch.eye(size, dtype=torch.float64)
            scale = torch.diagonal(u, dim1=-2, dim2=-1).mean(-1)  # fix the U/V scale ambiguity: mean diag(U) = 1
            u, v = u / scale[:, None, None], v * scale[:, None, None]
        model.set_covariances(u, v)
        return model


@register_method
class MLEMatrixNormal(MLEMethod):
    name = "mle-matrix-normal"
    description = "Most likely fill under a Matrix Normal per channel (row x column covariances), exact via CG."
    paper = "MLE inpainting meta-algorithm (Matrix Normal)"
    network_class = MatrixNormalImage
    options = {**MLEMethod.options,
               "max_iter": Option(1000, "conjugate-gradient iterations at most (scattered holes over a 1024 px "
                                        "image need hundreds; compact ones a few)", minimum=1, maximum=10000)}
