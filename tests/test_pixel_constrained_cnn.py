"""Pixel Constrained CNN: causality of the prior, reach of the conditioning net, and the sampling
contract (visible pixels kept, exact likelihoods, seeded, diverse, batched)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from inpaint_core.maskgen import RandomBlobs
from inpaint_core.methods.pixel_constrained_cnn import (
    PixelConstrainedCNN,
    PixelConstrainedNet,
)
from inpaint_core.training import Trainer

SMALL = {"size": 12, "channels": 3, "levels": 4, "hidden": 6, "layers": 3, "cond_width": 8, "dilations": [1, 2, 4]}


def small_net(**changes) -> PixelConstrainedNet:
    torch.manual_seed(0)
    net = PixelConstrainedNet(**{**SMALL, **changes}).eval()
    with torch.no_grad():  # larger random weights: every dependency shows up in the gradients
        for p in net.parameters():
            p.mul_(3.0)
    return net


def input_gradient(fn, shape, at) -> torch.Tensor:
    """|d output[at] / d input| summed over 16 random inputs (one input can hide a path behind a ReLU)."""
    x = torch.randn((16, *shape[1:]), generator=torch.Generator().manual_seed(0), requires_grad=True)
    fn(x)[(slice(None), *at[1:])].sum().backward()
    return x.grad.abs().sum(0, keepdim=True)


@pytest.mark.parametrize("channel", [0, 1, 2])
def test_prior_logit_depends_only_on_earlier_sub_pixels(channel):
    net = small_net()
    r, c = 5, 6
    logits = lambda x: net.prior(x).view(len(x), 3, 4, 12, 12)
    grad = input_gradient(logits, (1, 3, 12, 12), (0, channel, slice(None), r, c))
    earlier = torch.zeros(3, 12, 12, dtype=torch.bool)
    earlier[:, :r] = True
    earlier[:, r, :c] = True
    earlier[:channel, r, c] = True
    assert grad[0][~earlier].max() == 0  # never this sub-pixel, later channels or later pixels
    assert grad[0, :, r - 1, c + 2].min() > 0 and grad[0, :, r, c - 1].min() > 0  # no blind spot up-right
    assert all(grad[0, ch, r, c] > 0 for ch in range(channel))  # R before G before B

    # sampling crops the rows above a sub-pixel to ``rows_seen``: that must be exactly the prior's reach
    r = 10
    grad = input_gradient(logits, (1, 3, 12, 12), (0, channel, slice(None), r, c))
    top = r - net.prior.rows_seen
    assert top > 0 and grad[0][:, :top].max() == 0 and grad[0][:, top].sum() > 0


def test_conditioning_network_sees_every_pixel_from_the_corners():
    net = PixelConstrainedNet(size=32, cond_width=8)  # the default dilations, at the CelebA size
    for corner in ((0, 0), (31, 31)):
        grad = input_gradient(lambda x: net.conditioning(x, torch.ones(len(x), 1, 32, 32)), (1, 3, 32, 32),
                              (0, slice(None), *corner))
        assert (grad.sum(1) > 0).all(), f"the logits at {corner} miss some pixels"


@pytest.fixture
def sampled():
    net = small_net()
    method = PixelConstrainedCNN(network=net)
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 1, (12, 12, 3)).astype(np.float32)
    mask = RandomBlobs()(12, 12, np.random.default_rng(3))
    mask[0, 0] = mask[11, 11] = True
    fills = method.fill_batch(image, mask, np.random.default_rng(5), 6, frames=3)
    return method, image, mask, fills


def test_samples_keep_visible_pixels_and_differ_in_the_hole(sampled):
    method, image, mask, fills = sampled
    visible_levels = method.net.quantise(torch.from_numpy(image).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    for f in fills:
        assert np.array_equal(np.rint(f.image[~mask] * 3), visible_levels[~mask])
    holes = np.stack([f.image[mask] for f in fills])
    assert len({h.tobytes() for h in holes}) == len(fills)


def test_sample_likelihood_is_the_teacher_forced_sum(sampled):
    method, _, mask, fills = sampled
    visible = torch.from_numpy(~mask).float()[None, None]
    for f in fills:
        lv = method.net.quantise(torch.from_numpy(f.image).permute(2, 0, 1)[None])
        with torch.no_grad():
            full, _ = method.net.log_probs(lv, visible)
        assert f.log_likelihood == pytest.approx(float(full[0][:, torch.from_numpy(mask)].sum()), abs=1e-3)


def test_probability_maps_cover_the_hole_only(sampled):
    _, _, mask, fills = sampled
    for f in fills:
        probs = f.extras["probabilities"]
        assert np.isnan(probs[~mask]).all() and ((probs[mask] > 0) & (probs[mask] <= 1)).all()
        frames = f.extras["progression"]
        assert frames.shape == (3, 12, 12) and np.isnan(frames[:, ~mask]).all()
        assert (frames[:, mask] >= 0).all() and (frames[:, mask] <= 1).all()


def test_seeded_sampling_repeats_and_ranks_by_likelihood(tmp_path):
    from inpaint_core import load_method
    from inpaint_core.checkpoints import save_network

    save_network(small_net(size=16), tmp_path, {"method": "pixel-constrained-cnn"})
    method = load_method("pixel-constrained-cnn", tmp_path)
    photo = (np.random.default_rng(1).uniform(0, 255, (40, 40, 3))).astype(np.uint8)
    hole = np.zeros((40, 40), bool)
    hole[10:16, 20:27] = True
    a, b = (method.sample(photo, hole, 4, seed=9) for _ in range(2))
    assert [r.log_likelihood for r in a] == [r.log_likelihood for r in b]
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b))
    lls = [r.log_likelihood for r in a]
    assert lls == sorted(lls, reverse=True)
    assert all(np.array_equal(r.image[~hole], photo[~hole]) for r in a)


def test_binary_model_trains_on_mnist_digits_and_fills_with_two_levels(tmp_path):
    rng = np.random.default_rng(0)
    digits = np.zeros((40, 12, 12), np.uint8)
    for d in digits:
        d[rng.integers(2, 5) : rng.integers(7, 10), 4:8] = 255  # bars of varying length
    header = bytes([0, 0, 0x08, 3]) + b"".join(int(s).to_bytes(4, "big") for s in digits.shape)
    data = tmp_path / "t10k-images-idx3-ubyte.gz"
    data.write_bytes(gzip.compress(header + digits.tobytes()))
    network = {**SMALL, "channels": 1, "levels": 2}
    overrides = {"network": network, "size": 12, "batch_size": 8, "val_images": 8, "eval_images": 2, "flip": False}
    out = Trainer("pixel-constrained-cnn", str(data), tmp_path / "mnist", epochs=3, seed=0, overrides=overrides).run(progress=False)
    log = np.genfromtxt(out / "training_log.csv", delimiter=",", names=True)
    assert log["val_loss"][-1] < log["val_loss"][0]
    method = PixelConstrainedCNN(checkpoint=out)
    result = method.inpaint(np.repeat(digits[-1][..., None], 3, -1), np.eye(12, dtype=bool), seed=0)
    assert set(np.unique(result.image)) <= {0, 255} and result.log_likelihood < 0
