"""The photo network: Telea start, global receptive field of the Fourier blocks, losses, training, fills."""

import cv2
import numpy as np
import pytest
import torch
from skimage.restoration import inpaint_biharmonic

from inpaint_core import load_method
from inpaint_core.losses import PatchDiscriminator, discriminator_loss, feature_losses, gram, hole_patches
from inpaint_core.methods.lama import PhotoNet, telea_prefill
from inpaint_core.recipes.lama import LaMaRecipe

from .helpers import cpu_accelerator

TINY = LaMaRecipe(network={"width": 4, "blocks": 2, "block": "ffc"}, discriminator={"width": 4, "layers": 2},
                  adversarial_from=1)


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.random((2, 3, 32, 32), dtype=np.float32))
    masks = torch.zeros(2, 1, 32, 32)
    masks[0, :, 8:16, 10:20] = 1
    masks[1, :, 20:30, 2:9] = 1
    return images, masks


def test_an_untrained_network_returns_the_telea_fill(batch):
    images, masks = batch
    with torch.no_grad():
        out = PhotoNet(width=4, blocks=1)(images, masks)
    arr = (images[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    telea = cv2.inpaint(arr, masks[0, 0].numpy().astype(np.uint8), 3, cv2.INPAINT_TELEA)
    hole = masks[0, 0].bool()
    assert torch.equal(out[0][:, ~hole], images[0][:, ~hole])  # the visible pixels pass through
    np.testing.assert_allclose(out[0].permute(1, 2, 0).numpy()[hole.numpy()], telea[hole.numpy()] / 255, atol=1e-6)
    assert torch.equal(out, telea_prefill(images, masks))


@pytest.mark.parametrize("block, reaches", [("ffc", True), ("dilated", False)])
def test_fourier_blocks_see_the_whole_image_in_one_layer(block, reaches):
    """A change at the left edge moves the fill 100 px away through one Fourier block; one dilated
    block (its reach is a few pixels at 1/4 resolution) does not. The change is far from the hole's
    border, so the Telea start is the same."""
    torch.manual_seed(0)
    net = PhotoNet(width=4, blocks=1, block=block).eval()
    torch.nn.init.normal_(net.merge_full[-1].weight, std=0.1)
    images, masks = torch.rand(1, 3, 128, 128), torch.zeros(1, 1, 128, 128)
    masks[..., 80:] = 1  # the right band is the hole
    other = images.clone()
    other[..., :16] = 1 - other[..., :16]
    assert torch.equal(telea_prefill(images, masks)[..., 80:], telea_prefill(other, masks)[..., 80:])
    with torch.no_grad():
        changed = (net(images, masks) - net(other, masks))[..., 116:].abs().max()
    assert float(changed) > 1e-6 if reaches else float(changed) == 0.0


def test_feature_losses_vanish_on_the_truth_and_grow_with_the_error(batch):
    images, masks = batch
    features = lambda x: [x, torch.nn.functional.avg_pool2d(x, 2)]  # noqa: E731 - stand-in feature maps
    zero = feature_losses(features, images, images, masks)
    assert float(zero[0]) == 0 and float(zero[1]) == 0
    worse = feature_losses(features, images + 0.5 * masks, images, masks, composite_only=True)
    assert float(worse[0]) > 0
    assert gram(torch.ones(1, 2, 3, 3)).shape == (1, 2, 2)


def test_discriminator_scores_only_patches_touching_the_hole_as_fake(batch):
    images, masks = batch
    disc = PatchDiscriminator(width=4, layers=2)
    logits = disc(images)
    region = hole_patches(masks, logits)
    assert logits.shape[-2:] == region.shape[-2:] and 0 < float(region.mean()) < 1
    assert float(discriminator_loss(disc, images, images, masks).detach()) > 0


def test_a_training_step_moves_generator_and_critic(batch):
    images, masks = batch
    nets = TINY.build_networks()
    opts = TINY.build_optimizers(nets)
    before = {name: {k: v.clone() for k, v in net.state_dict().items()} for name, net in nets.items()}
    logs = TINY.train_step(nets, opts, images, masks, 1, cpu_accelerator())
    assert {"l1", "perceptual", "style", "g_adversarial", "d_loss", "loss"} <= set(logs)
    for name, net in nets.items():
        assert any(not torch.equal(before[name][k], v) for k, v in net.state_dict().items()), name


def test_trained_checkpoint_fills_a_photo_on_its_hole_region(tmp_path):
    from skimage import data

    from inpaint_core.checkpoints import save_network

    net = PhotoNet(width=4, blocks=1)
    save_network(net, tmp_path, {"method": "lama", "resolution": 256, "training_scale": "texture"})
    method = load_method("lama", tmp_path)
    photo = data.astronaut()
    hole = np.zeros(photo.shape[:2], bool)
    hole[200:260, 220:300] = True
    result = method.inpaint(photo, hole)
    np.testing.assert_array_equal(result.image[~hole], photo[~hole])
    assert result.extras["region"] == (72, 92, 388, 428)  # the hole's box and 128 px around it
    telea = load_method("telea").inpaint(photo, hole).image  # an untrained network is Telea, up to rounding
    assert np.abs(result.image.astype(int) - telea).max() <= 1


def test_the_vgg_of_the_losses_moves_without_moving_the_lpips_metric():
    """The perceptual terms' VGG is a copy: training on another device leaves the LPIPS network in place."""
    from inpaint_core.losses import vgg_features
    from inpaint_core.lpips import lpips_network

    vgg_features(3, "meta")
    assert all(p.device.type == "cpu" for p in lpips_network("vgg").parameters())


def test_a_training_step_runs_under_bf16_autocast_as_on_a_gpu(batch):
    """A GPU trains with bf16 autocast; the Fourier unit's spectrum must stay in float32 (complex
    numbers have no bf16). CPU autocast takes the same path, so a GPU-only failure shows here."""
    images, masks = batch
    nets = TINY.build_networks()
    opts = TINY.build_optimizers(nets)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # what Accelerate's mixed_precision="bf16" wraps
        logs = TINY.train_step(nets, opts, images, masks, 1, cpu_accelerator())
    assert all(torch.isfinite(v) for v in logs.values())
    torch.nn.init.normal_(nets["net"].merge_full[-1].weight, std=0.1)  # a residual that is not zero
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = nets["net"](images, masks)
    assert out.dtype == torch.float32 and float((out - telea_prefill(images, masks)).abs().max()) > 0


def test_an_untrained_biharmonic_network_returns_scikit_images_fill(batch):
    """The face models refine the biharmonic fill: with its last layer at zero the network is that fill,
    and the choice travels in the checkpoint's config."""
    images, masks = batch
    net = PhotoNet(width=4, blocks=1, prefill="biharmonic")
    with torch.no_grad():
        out = net(images, masks)
    hole = masks[1, 0].numpy().astype(bool)
    expected = inpaint_biharmonic(images[1].permute(1, 2, 0).numpy(), hole, channel_axis=-1)
    np.testing.assert_allclose(out[1].permute(1, 2, 0).numpy()[hole], expected[hole], atol=1e-5)
    assert float((out - telea_prefill(images, masks)).abs().max()) > 0.01
    with pytest.raises(ValueError, match="prefill must be one of"):
        PhotoNet(prefill="navier-stokes")


def test_a_bilinear_decoder_takes_a_nearest_checkpoints_weights(batch):
    """``upsample`` changes no weight, so a run may continue a checkpoint with the other decoder; the
    nearest decoder repeats each quarter-resolution feature over 2x2 pixels per step, the bilinear one
    does not. Checkpoints from before the option (no ``upsample`` in their config) stay nearest."""
    torch.manual_seed(0)
    nearest = PhotoNet(width=4, blocks=1).eval()
    torch.nn.init.normal_(nearest.merge_full[-1].weight, std=0.1)
    bilinear = PhotoNet(width=4, blocks=1, upsample="bilinear").eval()
    bilinear.load_state_dict(nearest.state_dict())  # strict: the same parameters
    quarter = torch.rand(1, 16, 8, 8)
    for net, blocky in ((nearest, True), (bilinear, False)):
        up = net.up_half[0](quarter)
        assert torch.equal(up[..., ::2, ::2], up[..., 1::2, 1::2]) == blocky
    images, masks = batch
    with torch.no_grad():
        assert float((nearest(images, masks) - bilinear(images, masks)).abs().max()) > 1e-4
    with pytest.raises(ValueError, match="upsample must be one of"):
        PhotoNet(upsample="bicubic")


def test_an_untrained_patchmatch_network_returns_patchmatchs_fill_repeatably(batch, tmp_path):
    """The PatchMatch prefill: each image's hole filled by PatchMatch with a seed drawn from the given
    generator (training: torch's), so a seeded fill repeats and another seed copies other patches; a
    checkpoint with it is a stochastic method whose seed reaches PatchMatch."""
    from skimage import data

    from inpaint_core.checkpoints import save_network
    from inpaint_core.methods.patchmatch import patchmatch_fill

    images, masks = batch
    net = PhotoNet(width=4, blocks=1, prefill="patchmatch")
    seeds = torch.randint(2**31, (2,), generator=torch.Generator().manual_seed(3)).tolist()
    with torch.no_grad():
        out = net(images, masks, torch.Generator().manual_seed(3))
        other = net(images, masks, torch.Generator().manual_seed(4))
    for k in range(2):
        hole = masks[k, 0].numpy().astype(bool)
        expected = patchmatch_fill(images[k].permute(1, 2, 0).numpy(), hole, seeds[k])
        np.testing.assert_allclose(out[k].permute(1, 2, 0).numpy()[hole], expected[hole], atol=1e-6)
        assert torch.equal(out[k][:, ~masks[k, 0].bool()], images[k][:, ~masks[k, 0].bool()])
    assert float((other - out).abs().max()) > 0.01

    save_network(net, tmp_path, {"method": "lama", "resolution": 256, "training_scale": "texture"})
    method = load_method("lama", tmp_path)
    photo, hole = data.astronaut()[:128, :128], np.zeros((128, 128), bool)
    hole[40:80, 50:90] = True
    first, again, third = (method.inpaint(photo, hole, seed=s).image for s in (1, 1, 2))
    assert method.capabilities.stochastic and not load_method("telea").capabilities.stochastic
    assert method.max_working_pixels == 640 * 640 < type(method).max_working_pixels  # PatchMatch's window
    np.testing.assert_array_equal(first, again)
    assert np.abs(first.astype(int) - third).max() > 10


def test_a_band_limited_residual_keeps_colour_and_drops_a_hatch_deep_in_the_hole():
    """``residual_scale``: deep inside a large hole a correction keeps what is coarser than sigma (a
    constant passes unchanged) and loses a period-8 hatch; at the hole's edge it is kept as it is."""
    from inpaint_core.methods.lama import band_limited

    mask = torch.zeros(1, 1, 96, 96)
    mask[..., 16:80, 16:80] = 1
    hatch = torch.cos(torch.arange(96.0) * 2 * torch.pi / 8).view(1, 1, 96, 1).expand(1, 3, 96, 96)
    colour = torch.full((1, 3, 96, 96), 0.2)
    out = band_limited(colour + 0.1 * hatch, mask, 3.0)
    inside = out[..., 36:60, 36:60]  # 20 px (about 7 sigma) or more from the edge
    torch.testing.assert_close(inside.mean(), torch.tensor(0.2), atol=2e-3, rtol=0)
    assert float((inside - 0.2).abs().max()) < 0.01  # the hatch's 0.1 amplitude, down more than 10x
    edge = out[..., 16, 20:76] - band_limited(colour, mask, 3.0)[..., 16, 20:76]
    assert float(edge.abs().min()) > 0.07  # the first row of the hole keeps most of the hatch (cos = 1 there)
    torch.testing.assert_close(band_limited(colour, mask, 3.0)[..., 16:80, 16:80], colour[..., 16:80, 16:80])


def test_a_band_limited_network_round_trips_and_old_checkpoints_keep_the_full_residual(batch, tmp_path):
    from inpaint_core.checkpoints import load_network, save_network

    torch.manual_seed(0)
    plain = PhotoNet(width=4, blocks=1).eval()
    torch.nn.init.normal_(plain.merge_full[-1].weight, std=0.3)
    limited = PhotoNet(width=4, blocks=1, residual_scale=2.0).eval()
    limited.load_state_dict(plain.state_dict())  # strict: the option adds no weight
    images, masks = batch
    save_network(limited, tmp_path, {"method": "lama", "resolution": 256, "training_scale": "texture"})
    loaded = load_network(PhotoNet, tmp_path).eval()
    assert loaded.residual_scale == 2.0 and plain.residual_scale == 0.0
    with torch.no_grad():
        torch.testing.assert_close(loaded(images, masks), limited(images, masks), atol=1e-3, rtol=0)  # fp16 weights
        assert float((plain(images, masks) - limited(images, masks)).abs().max()) > 1e-3


class _Fixed(torch.nn.Module):
    """A stand-in member whose fill is given: the ensemble's rule is then checked on known numbers."""

    def __init__(self, fill: torch.Tensor, prefill: str = "telea") -> None:
        super().__init__()
        self.fill, self.prefill = fill, prefill

    def forward(self, image, mask, generator=None):
        return image * (1 - mask) + self.fill * mask


def test_a_photo_ensemble_keeps_the_first_members_texture_over_the_averaged_colour():
    """Deep in the hole: the first member's hatch over the mean of both members' colours; at the
    hole's edge: the second member's fill; outside: the photo."""
    from inpaint_core.methods.lama import PhotoEnsemble

    mask = torch.zeros(1, 1, 96, 96)
    mask[..., 16:80, 16:80] = 1
    image = torch.full((1, 3, 96, 96), 0.9)
    hatch = 0.1 * torch.cos(torch.arange(96.0) * 2 * torch.pi / 8).view(1, 1, 96, 1).expand(1, 3, 96, 96)
    ensemble = PhotoEnsemble(members=[{"width": 4, "blocks": 1}, {"width": 4, "blocks": 1}])
    ensemble.members = torch.nn.ModuleList([_Fixed(0.2 + hatch, "patchmatch"), _Fixed(torch.full_like(image, 0.6))])
    with torch.no_grad():
        out = ensemble(image, mask)
    assert torch.equal(out[mask.expand_as(out) == 0], image[mask.expand_as(out) == 0])
    deep = (out - hatch)[..., 36:60, 36:60]  # 20 px or more from the edge
    torch.testing.assert_close(deep, torch.full_like(deep, 0.4), atol=0.01, rtol=0)  # (0.2 + 0.6) / 2
    edge = out[..., 16, 20:76]  # the hole's first row: 1 px deep, 11/12 of the second member's fill
    assert float((edge - 0.6).abs().max()) < 0.04
    assert ensemble.prefill == "patchmatch"


def test_a_photo_ensemble_checkpoint_is_one_network_of_the_lama_method(batch, tmp_path):
    from skimage import data

    from inpaint_core.checkpoints import save_network
    from inpaint_core.methods.lama import PhotoEnsemble

    configs = [{"width": 4, "blocks": 1, "prefill": "patchmatch", "residual_scale": 3.0}, {"width": 4, "blocks": 1}]
    ensemble = PhotoEnsemble(members=configs)
    save_network(ensemble, tmp_path, {"method": "lama", "resolution": 256, "training_scale": "texture"})
    method = load_method("lama", tmp_path)
    assert isinstance(method.net, PhotoEnsemble)
    assert [m.residual_scale for m in method.net.members] == [[3.0, 6.0], 0.0]  # deep_scale: the first's, further
    assert method.capabilities.stochastic and method.max_working_pixels == 640 * 640  # PatchMatch's seed and window
    assert method.memory_per_pixel == 2 * type(method).memory_per_pixel  # two networks side by side
    images, masks = batch
    with torch.no_grad(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(method.net, "combine", lambda image, mask, first, rest: rest)
        assert not method.net(images, masks).requires_grad  # no graph built in the other members' thread either
    photo, hole = data.astronaut()[:128, :128], np.zeros((128, 128), bool)
    hole[40:80, 50:90] = True
    first, again, other = (method.inpaint(photo, hole, seed=s).image for s in (1, 1, 2))
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first[~hole], photo[~hole])
    assert np.abs(first.astype(int) - other).max() > 10


def test_a_second_coarser_band_limit_reaches_only_deep_into_large_holes():
    """``residual_scale=[3, 6]``: a thin stroke keeps the 3 px limit's correction; 30 px inside a large
    hole a period-16 pattern, which the 3 px limit keeps in part, is gone."""
    from inpaint_core.methods.lama import band_limited

    mask = torch.zeros(1, 1, 128, 128)
    mask[..., 16:112, 16:112] = 1  # a large hole
    mask[..., 2:8, :] = 1  # a stroke 6 px wide
    pattern = torch.cos(torch.arange(128.0) * 2 * torch.pi / 16).view(1, 1, 1, 128).expand(1, 3, 128, 128)
    once = band_limited(pattern, mask, 3.0)
    twice = band_limited(once, mask, 6.0)
    torch.testing.assert_close(twice[..., 2:8, :], once[..., 2:8, :], atol=1e-4, rtol=0)
    assert float(once[..., 46:82, 46:82].abs().max()) > 0.5
    assert float(twice[..., 46:82, 46:82].abs().max()) < 0.05
    net = PhotoNet(width=4, blocks=1, residual_scale=[3.0, 6.0])
    torch.nn.init.normal_(net.merge_full[-1].weight, std=0.3)
    image = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        plain = PhotoNet(width=4, blocks=1)
        plain.load_state_dict(net.state_dict())
        prefill = PhotoNet(width=4, blocks=1)(image, mask)  # zero residual: the Telea fill
        expected = prefill + band_limited(band_limited(plain(image, mask) - prefill, mask, 3.0), mask, 6.0) * mask
        torch.testing.assert_close(net(image, mask), expected, atol=1e-4, rtol=0)
