"""The MLE meta-algorithm: closed forms against brute force, the generic optimiser, fitting."""

import math

import numpy as np
import pytest
import torch

from inpaint_core.methods.mle_gmm import GaussianMixtureImage
from inpaint_core.methods.mle_matrix_normal import MatrixNormalImage
from inpaint_core.methods.mle_normal import NormalImage
from inpaint_core.mle import bits_per_dim, mle_fill


def _smooth_images(n, size, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, size // 2, size // 2, 3))
    img = np.kron(base, np.ones((1, 2, 2, 1))) * 40 + 128 + rng.normal(size=(n, size, size, 3)) * 10
    return torch.from_numpy(np.clip(img, 0, 255).astype(np.uint8))


def _hole(size, box):
    mask = torch.zeros(1, 1, size, size)
    mask[..., box[0] : box[1], box[2] : box[3]] = 1
    return mask


def _dense(model: NormalImage):
    mean, q, lam, s2 = model._params()
    d = q.shape[1]
    return mean[0], s2[0] * (torch.eye(d, dtype=torch.float64) - q[0] @ q[0].T) + q[0] @ torch.diag(lam[0]) @ q[0].T


@pytest.mark.parametrize("rank", [48, 12])
def test_normal_conditional_and_likelihood_match_brute_force(rank):
    imgs = _smooth_images(400, 4)
    model = NormalImage.fit(imgs, size=4, rank=rank)
    x = imgs[:2].permute(0, 3, 1, 2).double() / 255
    mask = _hole(4, (1, 3, 0, 3))
    mu, cov = _dense(model)
    h = mask.bool().expand(1, 3, 4, 4).reshape(-1)
    for _ in ("first use: Cholesky solve", "repeated hole: cached gain matrix"):
        got = model.conditional_mean(x, mask)
        for b in range(2):
            xf = x[b].reshape(-1)
            ref = mu[h] + cov[h][:, ~h] @ torch.linalg.solve(cov[~h][:, ~h], xf[~h] - mu[~h])
            torch.testing.assert_close(got[b].reshape(-1)[h], ref, rtol=0, atol=1e-10)
            assert torch.equal(got[b].reshape(-1)[~h], xf[~h])
    assert all("gain" in entry for entry in model.derived("holes", dict).values())
    ref_lp = torch.distributions.MultivariateNormal(mu, cov).log_prob(x.reshape(2, -1))
    torch.testing.assert_close(model.log_prob(x), ref_lp, rtol=1e-10, atol=1e-8)


def test_full_rank_fit_is_the_sample_covariance():
    imgs = _smooth_images(300, 4)
    model = NormalImage.fit(imgs, size=4, rank=48, ridge=1e-4)
    x = imgs.permute(0, 3, 1, 2).double().reshape(300, -1) / 255
    mu, cov = _dense(model)
    torch.testing.assert_close(mu, x.mean(0))
    sample_cov = torch.cov(x.T, correction=0) + 1e-4 * torch.eye(48, dtype=torch.float64)
    torch.testing.assert_close(cov, sample_cov, rtol=1e-6, atol=1e-8)  # float32 accumulation of X^T X


def test_per_channel_normal_factorises_over_channels():
    imgs = _smooth_images(300, 4)
    model = NormalImage.fit(imgs, size=4, rank=16, per_channel=True)
    x = imgs[:1].permute(0, 3, 1, 2).double() / 255
    shuffled = x.clone()
    shuffled[:, 1] = imgs[5:6, ..., 1].double() / 255  # change the green channel only
    delta = model.log_prob(shuffled) - model.log_prob(x)
    mean, q, lam, s2 = model._params()
    from inpaint_core import gaussian

    ref = gaussian.log_prob(shuffled[:, 1].reshape(1, -1) - mean[1], q[1], lam[1], s2[1]) - gaussian.log_prob(
        x[:, 1].reshape(1, -1) - mean[1], q[1], lam[1], s2[1])
    torch.testing.assert_close(delta, ref)


def test_generic_optimiser_reaches_the_closed_form():
    imgs = _smooth_images(400, 4)
    model = NormalImage.fit(imgs, size=4, rank=48)
    x = imgs[:1].permute(0, 3, 1, 2).double() / 255
    mask = _hole(4, (1, 3, 1, 3))
    closed = model.conditional_mean(x, mask)
    start = torch.where(mask.bool(), torch.full_like(x, 0.5), x)
    found = mle_fill(model, x, mask, init=start, steps=600, lr=0.01)
    assert (found - closed).abs().max() < 1e-4
    assert torch.equal(found[~mask.bool().expand_as(x)], x[~mask.bool().expand_as(x)])


def test_mixture_posterior_and_marginal_against_dense():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 4, 4, 3)) * 25 + 120
    b = rng.normal(size=(300, 4, 4, 3)) * 25 + 130
    imgs = torch.from_numpy(np.clip(np.concatenate([a, b]), 0, 255).astype(np.uint8))
    model = GaussianMixtureImage.fit(imgs, size=4, components=2, rank=48, iterations=5)
    x = imgs[:1].permute(0, 3, 1, 2).double() / 255
    mask = _hole(4, (0, 4, 0, 4))
    mask[..., 3, 3] = 0  # one visible pixel: an uncertain posterior
    _, logpost = model.component_conditionals(x, mask)
    logw, mean, q, lam, s2 = model._params()
    h = mask.bool().expand(1, 3, 4, 4).reshape(-1)
    dense = []
    for k in range(2):
        cov = s2[k] * (torch.eye(48, dtype=torch.float64) - q[k] @ q[k].T) + q[k] @ torch.diag(lam[k]) @ q[k].T
        dense.append(logw[k] + torch.distributions.MultivariateNormal(mean[k][~h], cov[~h][:, ~h]).log_prob(x.reshape(-1)[~h]))
    dense = torch.stack(dense)
    torch.testing.assert_close(logpost, dense - torch.logsumexp(dense, 0))
    assert 0.01 < logpost.exp().min()  # the test is only meaningful with overlapping components


def test_conditional_samples_average_to_the_conditional_mean():
    imgs = _smooth_images(400, 4)
    model = NormalImage.fit(imgs, size=4, rank=48)
    x = imgs[:1].permute(0, 3, 1, 2).double() / 255
    mask = _hole(4, (1, 3, 1, 3))
    gen = torch.Generator().manual_seed(0)
    samples = torch.cat([model.conditional_sample(x, mask, gen) for _ in range(2000)])
    hole = mask.bool().expand_as(x)[0]
    assert torch.equal(samples[:, ~hole], x[0, ~hole].expand(2000, -1))
    closed = model.conditional_mean(x, mask)[0]
    assert (samples.mean(0)[hole] - closed[hole]).abs().max() < 0.01


def test_matrix_normal_cg_fill_matches_dense_conditional_16x16():
    torch.manual_seed(0)
    n = 16
    model = MatrixNormalImage(n)
    a = torch.randn(3, n, n, dtype=torch.float64)
    b = torch.randn(3, n, n, dtype=torch.float64)
    model.set_covariances(a @ a.transpose(1, 2) / n + 0.5 * torch.eye(n), (b @ b.transpose(1, 2) / n + 0.5 * torch.eye(n)) * 0.01)
    model.mean.fill_(0.5)
    x = model.sample(1, torch.Generator().manual_seed(1))
    mask = _hole(n, (3, 9, 5, 12))
    mask[..., 12, 2] = 1  # a second, separate hole
    got = model.conditional_mean(x, mask)
    h = mask[0, 0].bool().T.reshape(-1)  # vec() stacks columns
    row_cov, col_cov = model.covariances()
    for c in range(3):
        cov = torch.kron(col_cov[c], row_cov[c])
        xv, mv = x[0, c].T.reshape(-1), model.mean[c].double().T.reshape(-1)
        ref = mv[h] + cov[h][:, ~h] @ torch.linalg.solve(cov[~h][:, ~h], xv[~h] - mv[~h])
        torch.testing.assert_close(got[0, c].T.reshape(-1)[h], ref, rtol=0, atol=1e-6)
    total = sum(torch.distributions.MultivariateNormal(model.mean[c].double().T.reshape(-1), torch.kron(
        col_cov[c], row_cov[c])).log_prob(x[0, c].T.reshape(-1)) for c in range(3))
    torch.testing.assert_close(model.log_prob(x)[0], total)


def test_flip_flop_recovers_known_row_and_column_covariances():
    torch.manual_seed(0)
    n = 12
    truth = MatrixNormalImage(n)
    a = torch.randn(n, n, dtype=torch.float64)
    u = a @ a.T / n + 0.5 * torch.eye(n, dtype=torch.float64)
    u = u / u.diagonal().mean()
    b = torch.randn(n, n, dtype=torch.float64)
    v = (b @ b.T / n + 0.5 * torch.eye(n, dtype=torch.float64)) * 0.005
    truth.set_covariances(u.expand(3, n, n), v.expand(3, n, n))
    truth.mean.fill_(0.5)
    samples = truth.sample(4000, torch.Generator().manual_seed(1)).clamp(0, 1)
    imgs = (samples * 255).round().permute(0, 2, 3, 1).to(torch.uint8)
    fit = MatrixNormalImage.fit(imgs, size=n, iterations=15, ridge=1e-6)
    row_cov, col_cov = fit.covariances()
    for c in range(3):
        assert (row_cov[c] - u).norm() / u.norm() < 0.03
        assert (col_cov[c] - v).norm() / v.norm() < 0.03


def test_bits_per_dim_of_the_uniform_density_is_eight():
    assert float(bits_per_dim(torch.tensor(0.0), 3072)) == pytest.approx(8.0)
    assert float(bits_per_dim(torch.tensor(-3072 * math.log(2)), 3072)) == pytest.approx(9.0)


def test_pixelcnnpp_is_causal_in_raster_order():
    from inpaint_core.methods.mle_pixelcnnpp import PixelCNNPP

    torch.manual_seed(0)
    net = PixelCNNPP(size=8, filters=8, blocks=2, mixtures=2).eval()
    x = torch.rand(1, 3, 8, 8) * 2 - 1
    base = net.params(x).abs().amax(1).flatten()
    for i, j in [(0, 0), (3, 5), (7, 7)]:
        y = x.clone()
        y[:, :, i, j] = -y[:, :, i, j]
        changed = (net.params(y) - net.params(x)).abs().amax(1).flatten()
        k = i * 8 + j
        assert changed[: k + 1].max() == 0  # nothing at or before the changed pixel moves
        if k < 63:
            assert changed[k + 1 :].max() > 0  # and later pixels do see it
    assert base.numel() == 64


def test_pixelcnnpp_likelihood_is_a_distribution_over_256_levels():
    """With identical channels and zero R->G->B coefficients P(v, v, v) = f(v)^3, and the discretised
    logistic f must sum to one over the 256 levels (edge bins included)."""
    from inpaint_core.methods.mle_pixelcnnpp import discretized_mix_logistic_logprob

    levels = torch.arange(256, dtype=torch.float32) / 255 * 2 - 1
    for mean, log_scale in [(0.1, -3.0), (-0.95, -4.0), (0.0, 0.5)]:
        channel = [mean, log_scale, 0.0]  # mean, log scale, coefficient (tanh(0) = 0)
        params = torch.tensor([0.0] + channel * 3).view(1, 10, 1, 1).expand(256, -1, -1, -1)
        lp = discretized_mix_logistic_logprob(levels.view(256, 1, 1, 1).expand(-1, 3, -1, -1), params, 1)
        assert float(torch.exp(lp / 3).sum()) == pytest.approx(1.0, abs=1e-4)
