"""Gaussian algebra shared by the Normal and the Gaussian mixture.

A covariance is stored in eigen-factored form Sigma = s2 * (I - Q Q^T) + Q diag(lam) Q^T, with Q
(D x r) orthonormal: the top-r eigenpairs of the maximum-likelihood covariance and the mean of
the remaining eigenvalues (the probabilistic-PCA maximum-likelihood solution). With r = D this is
the exact full covariance; with r < D it is an explicit, exactly normalised approximation whose
likelihood and conditionals are computed exactly, in O(D r) per image, never forming D x D.
"""

from __future__ import annotations

import math

import torch


def eig_factor(cov: torch.Tensor, rank: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(Q, lam, s2) from a D x D covariance: top-``rank`` eigenpairs and the residual mean eigenvalue."""
    evals, evecs = torch.linalg.eigh(cov.to(torch.float64))
    evals, evecs = evals.flip(0).clamp_min(1e-12), evecs.flip(1)
    r = min(rank, cov.shape[0])
    s2 = evals[r:].mean() if r < cov.shape[0] else evals[-1]
    return evecs[:, :r].contiguous(), evals[:r].clone(), s2


def orthonormal(q: torch.Tensor) -> torch.Tensor:
    """Re-orthonormalise a stored (fp16-rounded) basis so the density stays exactly normalised."""
    qq, rr = torch.linalg.qr(q.to(torch.float64))
    return qq * torch.sign(torch.diagonal(rr, dim1=-2, dim2=-1)).unsqueeze(-2)


def log_prob(e: torch.Tensor, q: torch.Tensor, lam: torch.Tensor, s2: torch.Tensor) -> torch.Tensor:
    """log N(e; 0, Sigma) for rows of e (B x D)."""
    d, r = q.shape
    proj = e @ q
    maha = ((e * e).sum(-1) - (proj * proj).sum(-1)) / s2 + (proj * proj / lam).sum(-1)
    logdet = torch.log(lam).sum() + (d - r) * torch.log(s2)
    return -0.5 * (maha + logdet + d * math.log(2 * math.pi))


def sample(n: int, q: torch.Tensor, lam: torch.Tensor, s2: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    d, r = q.shape
    z1 = torch.randn(n, r, generator=generator, dtype=q.dtype)
    z2 = torch.randn(n, d, generator=generator, dtype=q.dtype)
    return (z1 * lam.sqrt()) @ q.T + s2.sqrt() * (z2 - (z2 @ q) @ q.T)


GAIN_MAX_HIDDEN = 512  # a cached gain matrix is D x |h| floats: 12 MB at D = 3072, |h| = 512


def condition(e: torch.Tensor, hidden: torch.Tensor, q: torch.Tensor, lam: torch.Tensor, s2: torch.Tensor,
              cache: dict | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Conditional mean offset of the hidden entries given the visible ones, and log det of the
    hidden block of the precision.

    With the precision P = Sigma^-1 = I/s2 + Q diag(c) Q^T, c = 1/lam - 1/s2:
    E[e_h | e_o] = -P_hh^-1 P_ho e_o, an |h| x |h| solve: cheap for a hole, whatever D is.
    ``e`` is B x D (hidden entries ignored); ``hidden`` a bool mask of length D. ``cache`` (a dict
    owned by the caller) keeps the Cholesky factor of P_hh per hole; when the same hole comes back
    (a benchmark protocol, a repainted mask) it also keeps the gain G = -P_oh P_hh^-1 (D x |h|, rows
    of hidden entries zero), so each further image costs one thin product e @ G instead of two
    passes over Q.
    """
    c = 1.0 / lam - 1.0 / s2
    qh = q[hidden]
    key = (q.data_ptr(), hidden.numpy().tobytes())
    entry = cache.get(key) if cache is not None else None
    if entry is None:
        p_hh = qh @ (c[:, None] * qh.T)
        p_hh.diagonal().add_(1.0 / s2)
        entry = {"chol": torch.linalg.cholesky(p_hh), "uses": 0}
        if cache is not None:
            if len(cache) >= 16:
                cache.pop(next(iter(cache)))
            cache[key] = entry
    chol = entry["chol"]
    entry["uses"] += 1
    if "gain" not in entry and entry["uses"] > 1 and len(qh) <= GAIN_MAX_HIDDEN:
        p_oh = ((q * ~hidden[:, None]) * c) @ qh.T
        entry["gain"] = -torch.cholesky_solve(p_oh.T, chol).T
    if "gain" in entry:
        offset = e @ entry["gain"]
    else:
        rhs = ((e * ~hidden) @ q) * c @ qh.T  # (P_ho e_o)^T, B x |h|; zeroing beats copying Q_o
        offset = -torch.cholesky_solve(rhs.T, chol).T
    return offset, 2.0 * torch.log(torch.diagonal(chol)).sum()
