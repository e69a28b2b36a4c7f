"""Greedy PixelCNN: causality, the local window equals the full pass, fills and their likelihoods."""

import pytest
import torch

from inpaint_core.maskgen import centre_mask
from inpaint_core.methods.pixelcnn_greedy import PixelCNNNet, sub_pixel_log_probs

from .helpers import check_autoregressive_fill


@pytest.fixture
def net():
    torch.manual_seed(0)
    return PixelCNNNet(width=16, layers=3).eval()


def test_output_at_a_sub_pixel_ignores_it_and_everything_after(net):
    image = torch.rand(1, 3, 12, 12)
    base = net(image)
    for r, c, ch in [(5, 6, 0), (5, 6, 1), (5, 6, 2), (0, 0, 0), (11, 11, 2)]:
        later = image.clone()
        later[0, ch:, r, c] = torch.rand(3 - ch)  # this sub-pixel and the later channels of the pixel
        later[0, :, r, c + 1 :] = torch.rand(3, 11 - c)  # the rest of the row
        later[0, :, r + 1 :] = torch.rand(3, 11 - r, 12)  # every row below
        assert torch.equal(net(later)[0, ch, :, r, c], base[0, ch, :, r, c])
        if ch < 2:  # and the next channel of the same pixel does see it
            seen = image.clone()
            seen[0, ch, r, c] = 1 - image[0, ch, r, c]
            assert not torch.equal(net(seen)[0, ch + 1, :, r, c], base[0, ch + 1, :, r, c])


def test_view_is_exactly_the_5x5_causal_window(net):
    image = torch.rand(1, 3, 12, 12)
    far = image.clone()
    far[0, :, :3] = torch.rand(3, 3, 12)  # rows 0-2: more than 2 rows above row 5
    assert torch.equal(net(far)[..., 5, 6], net(image)[..., 5, 6])
    near = image.clone()
    near[0, 0, 3, 4] = 1 - image[0, 0, 3, 4]  # 2 rows up, 2 columns left: inside the window
    assert not torch.equal(net(near)[..., 5, 6], net(image)[..., 5, 6])


def test_local_window_matches_the_full_pass(net):
    image = torch.rand(1, 3, 10, 10)
    full = net(image)
    for r, c in [(0, 0), (4, 7), (9, 9), (9, 0)]:
        assert torch.allclose(net.logits_at(image, r, c), full[0, :, :, r, c], atol=1e-5)


def test_training_loss_on_a_quarter_of_the_pixels_estimates_the_full_likelihood(net):
    from inpaint_core.recipes.autoregressive import PixelCNNRecipe

    recipe = PixelCNNRecipe()
    torch.manual_seed(1)
    images = torch.rand(4, 3, 8, 8)
    with torch.no_grad():
        full = recipe.validation_loss(net, images, None)
        estimates = torch.stack([recipe.loss(net, images, None) for _ in range(300)])
        assert float(-sub_pixel_log_probs(net, images).mean()) == pytest.approx(full, rel=1e-6)
    assert float(estimates.std()) > 1e-4  # it does subsample
    assert float(estimates.mean()) == pytest.approx(full, rel=2e-3)


def test_greedy_fill_is_deterministic_and_its_likelihood_is_teacher_forced(tmp_path, net):
    from skimage import data

    check_autoregressive_fill("pixelcnn-greedy", net, tmp_path / "p", data.astronaut()[200:232, 200:232],
                              centre_mask(32, 32, 8))


def test_decision_rules_on_a_spike_beside_a_broad_bump():
    """A 0.2 spike at 255 beside 0.8 spread evenly over 90..110: the spike is the most likely value,
    the median lies in the bump, the mean between them (0.2 * 255 + 0.8 * 100)."""
    from inpaint_core.methods.pixelcnn_greedy import choose

    p = torch.zeros(256, dtype=torch.float64)
    p[255] = 0.2
    p[90:111] = 0.8 / 21
    logp, gen = p.log(), torch.Generator().manual_seed(0)
    assert choose(logp, "greedy", 1.0, gen) == 255
    assert choose(logp, "median", 1.0, gen) == 103  # cumulative mass: 0.495 at 102, 0.533 at 103
    assert choose(logp, "mean", 1.0, gen) == 131
    draws = [choose(logp, "sample", 1.0, gen) for _ in range(400)]
    assert set(draws) <= {255, *range(90, 111)} and 0.12 < draws.count(255) / 400 < 0.28
