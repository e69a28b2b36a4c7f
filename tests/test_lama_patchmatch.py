"""The learned join of ``lama-patchmatch``: its examples (three fills per crop), its training step, its checkpoint."""

import numpy as np
import pytest
import torch
from skimage import data

from inpaint_core import load_method
from inpaint_core.checkpoints import save_network
from inpaint_core.methods.lama import PhotoNet
from inpaint_core.methods.lama_patchmatch import PhotoFusionNet
from inpaint_core.recipes.lama_patchmatch import LaMaPatchMatchRecipe, fill_examples, split_example
from inpaint_core.tensors import batch_tensor

from .helpers import cpu_accelerator


@pytest.fixture
def crops():
    photo = data.astronaut()
    return np.stack([photo[y:y + 48, x:x + 48] for y, x in ((100, 100), (300, 200), (20, 400))])


@pytest.fixture
def structure_checkpoint(tmp_path):
    torch.manual_seed(0)
    net = PhotoNet(width=4, blocks=1)
    torch.nn.init.normal_(net.merge_full[-1].weight, std=0.05)  # not Telea's fill: a network of its own
    save_network(net, tmp_path / "lama", {"method": "lama", "resolution": 256, "training_scale": "texture"})
    return tmp_path / "lama"


def test_an_example_is_the_crop_its_three_fills_and_its_hole(crops, structure_checkpoint):
    from inpaint_core.checkpoints import load_network

    structure = load_network(PhotoNet, structure_checkpoint)
    examples = fill_examples(crops, "rect", 0, structure)
    assert examples.shape == (3, 48, 48, 13) and examples.dtype == np.uint8
    np.testing.assert_array_equal(examples[..., :3], crops)
    holes = examples[..., 12] == 255
    assert set(np.unique(examples[..., 12])) == {0, 255} and all(0 < h.mean() < 0.9 for h in holes)
    for offset in (3, 6, 9):  # every fill keeps the visible pixels (up to 8-bit rounding)
        diff = np.abs(examples[..., offset:offset + 3].astype(int) - crops)
        assert diff[~holes].max() <= 1 and diff[holes].mean() > 5, offset
    np.testing.assert_array_equal(fill_examples(crops, "rect", 0, structure), examples)  # repeatable


def test_a_step_trains_the_gate_and_leaves_the_photo_network_frozen(crops, structure_checkpoint):
    recipe = LaMaPatchMatchRecipe(structure=str(structure_checkpoint), network={"gate": {"width": 4, "sigma": 4.0}})
    nets = recipe.build_networks()
    net = nets["net"]
    saved = PhotoNet.from_pretrained(str(structure_checkpoint))
    assert all(torch.equal(a, b) for a, b in zip(net.structure.state_dict().values(), saved.state_dict().values()))
    images = batch_tensor(fill_examples(crops, "rect", 0, net.structure))
    truth, texture, _, _, hole = split_example(images)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opts = recipe.build_optimizers(nets)
    logs = recipe.train_step(nets, opts, images, torch.zeros_like(hole), 1, cpu_accelerator())
    assert torch.isfinite(logs["loss"])
    moved = {k for k, v in net.state_dict().items() if not torch.equal(before[k], v)}
    assert moved and all(k.startswith("gate.") for k in moved)
    perfect = torch.cat([truth, truth, truth, truth, hole], 1)  # every fill right: nothing to lose
    with torch.no_grad():
        assert float(recipe.loss(net, perfect, hole)) == pytest.approx(0.0, abs=1e-6)
        assert float(recipe.loss(net, images, hole)) > 0.1


def test_a_saved_join_fills_a_photo_on_its_hole_region(structure_checkpoint, tmp_path):
    net = PhotoFusionNet(structure={"width": 4, "blocks": 1}, gate={"width": 4})
    save_network(net, tmp_path / "join", {"method": "lama-patchmatch", "resolution": 256, "training_scale": "texture"})
    method = load_method("lama-patchmatch", tmp_path / "join")
    photo = data.astronaut()
    hole = np.zeros(photo.shape[:2], bool)
    hole[200:260, 220:300] = True
    result = method.inpaint(photo, hole, seed=1)
    np.testing.assert_array_equal(result.image[~hole], photo[~hole])
    assert result.extras["region"] == (72, 92, 388, 428)  # the photo network's region: the box and 128 px
    np.testing.assert_array_equal(method.inpaint(photo, hole, seed=1).image, result.image)


def test_the_gate_on_the_holes_window_equals_the_gate_on_the_whole_region():
    """The fill runs the gate on the hole's box and GATE_MARGIN around it: inside the hole that is the
    whole-image result (the coarse corrections depend on the hole alone, the rest on nearby pixels)."""
    from inpaint_core.methods.lama_patchmatch import FusionGate, gate_window

    torch.manual_seed(0)
    gate = FusionGate(width=4)
    torch.nn.init.normal_(gate.head[-1].weight, std=0.5)  # gates that depend on the input
    fills = [torch.rand(1, 3, 200, 240) for _ in range(3)]
    mask = torch.zeros(1, 1, 200, 240)
    mask[..., 101:130, 151:170] = 1
    rows, cols = gate_window(mask)
    assert (rows.start, cols.start) == (52, 102) and (rows.stop, cols.stop) == (178, 218)
    with torch.no_grad():
        whole = gate(*fills, mask)[..., rows, cols]
        windowed = gate(*[f[..., rows, cols] for f in fills], mask[..., rows, cols])
    hole = mask[..., rows, cols].expand_as(whole) > 0
    assert float((whole - windowed)[hole].abs().max()) < 1e-5
