"""The context encoder network: the hole is never read, and the optional skip around the bottleneck."""

import pytest
import torch

from inpaint_core.methods.context_encoder import ContextEncoderNet, centre_hole_mask


@pytest.mark.parametrize("hole,skip", [(8, False), (8, True), (16, True)])
def test_prediction_has_the_square_size_and_ignores_the_hole(hole, skip):
    torch.manual_seed(0)
    net = ContextEncoderNet(width=8, bottleneck=16, hole=hole, skip=skip).eval()
    image, mask = torch.rand(2, 3, 32, 32), centre_hole_mask(2, 32, 8)
    out = net(image, mask)
    assert out.shape == (2, 3, hole, hole)
    changed = image.clone()
    changed[..., 12:20, 12:20] = torch.rand(2, 3, 8, 8)
    assert torch.equal(net(changed, mask), out)


def test_skip_passes_the_pixels_bordering_the_hole_around_the_bottleneck():
    torch.manual_seed(0)
    for skip in (False, True):
        net = ContextEncoderNet(width=8, bottleneck=16, skip=skip).eval()
        with torch.no_grad():  # silence the bottleneck: only the skip can carry information
            net.bottleneck[3].weight.zero_()
            net.bottleneck[3].bias.zero_()
        image, mask = torch.rand(1, 3, 32, 32), centre_hole_mask(1, 32, 8)
        near, far = image.clone(), image.clone()
        near[0, :, 11, 15] = 1 - image[0, :, 11, 15]  # the pixel just above the hole
        far[0, :, 0, 0] = 1 - image[0, :, 0, 0]
        out = net(image, mask)
        assert torch.equal(net(far, mask), out)
        assert torch.equal(net(near, mask), out) is not skip
