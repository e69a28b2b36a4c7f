"""Flattened Row LSTM: raster order, causality, fills and their likelihoods."""

import numpy as np
import pytest
import torch

from inpaint_core.maskgen import centre_mask
from inpaint_core.methods.row_lstm import RowLSTM, RowLSTMNet, flatten, sequence_log_probs

from .helpers import check_autoregressive_fill


@pytest.fixture
def net():
    torch.manual_seed(0)
    return RowLSTMNet(hidden=16).eval()


def test_flatten_is_raster_order_with_rgb_inside_each_pixel():
    image = torch.zeros(1, 3, 2, 2)
    image[0, 1, 0, 1] = 1.0  # G of pixel (0, 1): sub-pixel 1*3 + 1
    image[0, 2, 1, 0] = 1.0  # B of pixel (1, 0): sub-pixel 2*3 + 2
    assert torch.nonzero(flatten(image)[0]).flatten().tolist() == [4, 8]


def test_prediction_at_a_position_ignores_it_and_everything_after(net):
    seq = torch.randint(0, 256, (1, 60))
    base = net(seq)
    for t in (0, 7, 31, 59):
        later = seq.clone()
        later[0, t:] = torch.randint(0, 256, (60 - t,))
        assert torch.equal(net(later)[0, : t + 1], base[0, : t + 1])
        if t < 59:  # the next prediction does read it
            changed = seq.clone()
            changed[0, t] = (seq[0, t] + 128) % 256
            assert not torch.equal(net(changed)[0, t + 1], base[0, t + 1])


def test_chunked_run_with_state_equals_one_pass(net):
    seq = torch.randint(0, 256, (1, 40))
    full = net(seq)
    previous = torch.cat([torch.tensor([[256]]), seq[:, :-1]], dim=1)
    a, state = net.run(previous[:, :13], 0)
    b, _ = net.run(previous[:, 13:], 13, state)
    assert torch.allclose(torch.cat([a, b], dim=1), full, atol=1e-5)


def test_greedy_fill_keeps_visible_pixels_and_its_likelihood_is_teacher_forced(tmp_path, net):
    from skimage import data

    image = data.astronaut()[100:132, 180:212]
    method, greedy = check_autoregressive_fill("row-lstm", net, tmp_path / "r", image, centre_mask(32, 32, 8))
    x = torch.from_numpy(greedy.image).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        whole = float(sequence_log_probs(method.net, x).sum())
    assert whole < greedy.log_likelihood < 0


def test_validation_report_gives_bits_per_sub_pixel(net):
    method = RowLSTM(network=net)
    images = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    report = method.validation_report(images)
    # an untrained 256-way softmax is close to uniform: about 8 bits per sub-pixel
    assert 7.5 < report["hole_bits_per_subpixel"] < 8.5 and 7.5 < report["bits_per_dim"] < 8.5
