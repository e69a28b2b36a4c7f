"""WGAN context encoder: the overlap-weighted loss, the critic, one training step, the 8x8 paste."""

import numpy as np
import torch

from inpaint_core import load_method
from inpaint_core.checkpoints import save_network
from inpaint_core.maskgen import centre_mask
from inpaint_core.methods.context_encoder import ContextEncoderNet
from inpaint_core.methods.wgan_context_encoder import paste_hole
from inpaint_core.recipes.context_encoder import WassersteinCritic, WGANContextEncoderRecipe, overlap_loss

from .helpers import cpu_accelerator


def test_overlap_loss_weighs_the_ring_twenty_times():
    target = torch.zeros(1, 3, 16, 16)
    total_weight = 3 * (8 * 8 * 1 + (16 * 16 - 8 * 8) * 20)  # per channel: 64 hole pixels, 192 ring pixels
    ring = target.clone()
    ring[0, 1, 0, 5] = 0.5  # one ring sub-pixel off by 0.5
    hole = target.clone()
    hole[0, 2, 8, 8] = 0.5  # one hole sub-pixel off by 0.5
    assert float(overlap_loss(ring, target, 20.0)) == np.float32(20 * 0.25 / total_weight)
    assert float(overlap_loss(hole, target, 20.0)) == np.float32(0.25 / total_weight)


def test_critic_scores_and_paste_touches_only_the_hole():
    assert WassersteinCritic(width=4)(torch.rand(3, 3, 32, 32)).shape == (3,)
    images, pred = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 16, 16)
    out = paste_hole(images, pred)
    hole = torch.from_numpy(centre_mask(32, 32, 8))
    assert torch.equal(out[..., ~hole], images[..., ~hole])
    assert torch.equal(out[..., 12:20, 12:20], pred[..., 4:12, 4:12])


def test_one_step_moves_generator_and_critic():
    recipe = WGANContextEncoderRecipe(network={"width": 8, "bottleneck": 16, "hole": 16}, critic={"width": 4})
    torch.manual_seed(0)
    nets = recipe.build_networks()
    opts = recipe.build_optimizers(nets)
    before = {n: {k: p.clone() for k, p in net.named_parameters()} for n, net in nets.items()}
    logs = recipe.train_step(nets, opts, torch.rand(4, 3, 32, 32), None, 0, cpu_accelerator())
    for name, net in nets.items():  # every weight moves (a bias feeding only a ReLU region may not)
        assert all(not torch.equal(before[name][k], p) for k, p in net.named_parameters() if k.endswith("weight"))
    assert logs["loss"] > 0 and torch.isfinite(logs["critic_loss"])


def test_checkpoint_fills_only_the_8x8_hole(tmp_path):
    from skimage import data

    torch.manual_seed(0)
    save_network(ContextEncoderNet(width=8, bottleneck=16, hole=16), tmp_path / "w", {"method": "wgan-context-encoder"})
    image = data.astronaut()[100:132, 200:232]
    mask = centre_mask(32, 32, 8)
    out = load_method("wgan-context-encoder", tmp_path / "w").inpaint(image, mask).image
    assert np.array_equal(out[~mask], image[~mask]) and not np.array_equal(out[mask], image[mask])
