"""GLCIC: network shapes, local crops at borders, the three training phases, any-size fills."""

import numpy as np
import pytest
import torch

from inpaint_core import load_method
from inpaint_core.checkpoints import save_network
from inpaint_core.methods.glcic import CompletionNet
from inpaint_core.recipes.glcic import ContextDiscriminator, GLCICRecipe, crop_boxes, local_boxes

from .helpers import cpu_accelerator

TINY = GLCICRecipe(network={"width": 8, "dilations": [2, 1]}, discriminator={"width": 4, "features": 8},
                   completion_steps=2, discriminator_steps=2)


def test_completion_net_keeps_any_multiple_of_four_size():
    net = CompletionNet(width=8, dilations=(2, 1))
    with torch.no_grad():
        out = net(torch.rand(2, 3, 36, 44), torch.zeros(2, 1, 36, 44))
    assert out.shape == (2, 3, 36, 44) and float(out.min()) >= 0 and float(out.max()) <= 1


def test_discriminator_gives_one_logit_per_image():
    disc = ContextDiscriminator(size=32, local_size=16, width=4, features=8)
    assert disc(torch.rand(5, 3, 32, 32), torch.rand(5, 3, 16, 16)).shape == (5,)


def test_completion_net_ignores_pixels_under_the_hole():
    net = CompletionNet(width=8, dilations=(2, 1)).eval()
    image, mask = torch.rand(1, 3, 16, 16), torch.zeros(1, 1, 16, 16)
    mask[..., 4:9, 6:12] = 1
    other = torch.where(mask.bool(), torch.rand_like(image), image)
    assert torch.equal(net(image, mask), net(other, mask))


@pytest.mark.parametrize("rows, cols, expected", [
    ((0, 3), (0, 4), (0, 0)),  # top-left corner: window pushed inside
    ((28, 32), (25, 32), (16, 16)),  # bottom-right corner
    ((10, 20), (12, 18), (7, 7)),  # centred on the box (centre 15, 15)
])
def test_local_crop_around_hole_stays_inside_the_image(rows, cols, expected):
    masks = torch.zeros(1, 1, 32, 32)
    masks[..., rows[0] : rows[1], cols[0] : cols[1]] = 1
    assert local_boxes(masks, 16) == [expected]
    image = torch.arange(32 * 32, dtype=torch.float32).view(1, 1, 32, 32)
    crop = crop_boxes(image, [expected], 16)
    assert torch.equal(crop[0, 0], image[0, 0, expected[0] : expected[0] + 16, expected[1] : expected[1] + 16])


def _moved(before, net, moves):
    """True when every tensor of ``net`` changed (moves) or none did (not moves)."""
    changed = [not torch.equal(before[k], v) for k, v in net.state_dict().items()]
    return all(changed) if moves else not any(changed)


@pytest.mark.parametrize("step, generator_moves, discriminator_moves", [
    (0, True, False),  # completion only
    (2, False, True),  # discriminator only, generator frozen
    (4, True, True),  # both
])
def test_each_phase_updates_only_its_networks(step, generator_moves, discriminator_moves):
    torch.manual_seed(0)
    nets = TINY.build_networks()
    opts = TINY.build_optimizers(nets)
    before = {name: {k: v.clone() for k, v in net.state_dict().items()} for name, net in nets.items()}
    images, masks = torch.rand(4, 3, 32, 32), torch.zeros(4, 1, 32, 32)
    masks[..., 10:20, 5:12] = 1
    logs = TINY.train_step(nets, opts, images, masks, step, cpu_accelerator())
    assert TINY.phase(step) == ("completion", "discriminator", "joint")[step // 2]
    assert _moved(before["net"], nets["net"], generator_moves)
    assert _moved(before["discriminator"], nets["discriminator"], discriminator_moves)
    assert ("d_loss" in logs) == discriminator_moves and logs["loss"] > 0


def test_checkpoint_fills_an_arbitrary_size_image_leaving_the_rest_unchanged(tmp_path):
    from skimage import data

    torch.manual_seed(0)
    save_network(CompletionNet(width=8, dilations=[2, 1]), tmp_path / "g", {"method": "glcic"})
    method = load_method("glcic", tmp_path / "g")
    image = data.astronaut()[:53, :71]  # not a multiple of 4: padded, run, cropped back
    mask = np.zeros(image.shape[:2], bool)
    mask[20:31, 40:71] = True  # touches the right border
    out = method.inpaint(image, mask).image
    assert out.shape == image.shape
    assert np.array_equal(out[~mask], image[~mask])
    assert not np.array_equal(out[mask], image[mask])


def test_tiles_cover_the_image_and_blend_only_where_there_is_a_hole():
    from inpaint_core.tiling import tile_starts, tiled_completion

    assert tile_starts(40, 16) == [0, 8, 16, 24] and tile_starts(12, 16) == [0] and tile_starts(16, 16) == [0]
    torch.manual_seed(0)
    net = CompletionNet(width=8, dilations=(2, 1)).eval()
    x, m = torch.rand(1, 3, 40, 48), torch.zeros(1, 1, 40, 48)
    m[..., 25:31, 9:15] = 1  # inside each of the tiles at rows 16 and 24, columns 0 and 8
    with torch.no_grad():
        out = tiled_completion(net, x, m, 16)
        whole = tiled_completion(net, x, m, 48)
        tiles = torch.stack([net(x[..., t : t + 16, l : l + 16], m[..., t : t + 16, l : l + 16])[0, :, 25 - t : 31 - t,
                             9 - l : 15 - l] for t in (16, 24) for l in (0, 8)])
    assert torch.equal(out[..., :16, 24:], x[..., :16, 24:])  # tiles away from the hole never run
    assert torch.allclose(whole, net(x, m))  # one tile the size of the image = one pass
    blend = out[0, :, 25:31, 9:15]
    assert (blend >= tiles.min(0).values - 1e-6).all() and (blend <= tiles.max(0).values + 1e-6).all()
    assert not torch.allclose(blend, tiles[0])  # and it really mixes the overlapping tiles


def test_mirror_averages_the_fill_of_the_image_and_of_its_mirror_image(tmp_path):
    from skimage import data

    from inpaint_core import InpaintError
    from inpaint_core.tiling import complete

    torch.manual_seed(0)
    net = CompletionNet(width=8, dilations=(2, 1)).eval()
    x, m = torch.rand(1, 3, 32, 48), torch.zeros(1, 1, 32, 48)
    m[..., 10:20, 5:30] = 1
    with torch.no_grad():
        plain = complete(net, x, m, 0, 32, 4)
        mirrored = net(x.flip(-1), m.flip(-1)).flip(-1)
        assert torch.allclose(complete(net, x, m, 0, 32, 4, mirror=True), (plain + mirrored) / 2)
        assert not torch.allclose(plain, mirrored)  # the network itself is not mirror-symmetric
        tiled = complete(net, x, m, -1, 32, 4, mirror=True)  # tiles run on the mirror image as well
        assert torch.allclose(tiled, (complete(net, x, m, -1, 32, 4)
                                      + complete(net, x.flip(-1), m.flip(-1), -1, 32, 4).flip(-1)) / 2)

    save_network(net, tmp_path / "g", {"method": "glcic"})
    method, image = load_method("glcic", tmp_path / "g"), data.astronaut()[:32, :48]
    mask = m[0, 0].numpy().astype(bool)
    off, on = (method.inpaint(image, mask, mirror=flag).image for flag in ("false", "true"))  # as in ?mirror=
    assert np.array_equal(off, method.inpaint(image, mask).image) and not np.array_equal(on, off)
    with pytest.raises(InpaintError, match="true or false"):
        method.inpaint(image, mask, mirror="maybe")
