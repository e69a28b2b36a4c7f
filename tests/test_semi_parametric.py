"""Partial convolutions, the PConv / Sim-k UNet, the retrieval database and Sim-k end to end."""

import json
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from inpaint_core import load_method, zoo
from inpaint_core.cli import main
from inpaint_core.errors import InpaintError
from inpaint_core.losses import feature_losses, gram
from inpaint_core.recipes.partial_conv import encoder_levels, pconv_loss
from inpaint_core.retrieval import (
    DatabaseError,
    RetrievalIndex,
    default_index_dir,
    evaluate_index,
    search,
)
from inpaint_core.training import Trainer
from inpaint_core.unet import InpaintUNet, PartialConv2d

from .helpers import make_images


def test_partial_convolution_matches_a_direct_computation():
    torch.manual_seed(0)
    conv = PartialConv2d(2, 3, 3, stride=1, padding=1)
    x = torch.randn(1, 2, 5, 5)
    mask = torch.ones(1, 2, 5, 5)
    mask[:, :, 1:4, 1:4] = 0  # a 3x3 hole: the centre output sees no valid input
    mask[:, 1, 0, 0] = 0  # one channel's mask differs from the other's
    out, new_mask = conv(x, mask)
    xp, mp = F.pad(x * mask, (1, 1, 1, 1)), F.pad(mask, (1, 1, 1, 1))  # zero padding counts as a hole
    for i in range(5):
        for j in range(5):
            valid = mp[0, :, i : i + 3, j : j + 3].sum()
            if valid == 0:
                assert new_mask[0, 0, i, j] == 0 and torch.all(out[0, :, i, j] == 0)
                continue
            window = xp[0, :, i : i + 3, j : j + 3]
            expected = (conv.weight * window).sum((1, 2, 3)) * (2 * 9) / valid + conv.bias
            torch.testing.assert_close(out[0, :, i, j], expected)
            assert new_mask[0, 0, i, j] == 1
    assert new_mask[0, 0, 2, 2] == 0 and new_mask.sum() == 24  # only the centre stays a hole


@pytest.mark.parametrize("partial,references", [(True, 0), (False, 0), (False, 2)])
def test_unet_output_ignores_pixels_under_the_hole(partial, references):
    torch.manual_seed(0)
    net = InpaintUNet(widths=(8, 16), kernels=(5, 3), partial=partial, references=references).eval()
    image = torch.rand(2, 3, 16, 16)
    mask = torch.zeros(2, 1, 16, 16)
    mask[:, :, 4:11, 3:9] = 1
    refs = torch.rand(2, 3 * references, 16, 16) if references else None
    changed = torch.where(mask.bool(), torch.rand_like(image), image)
    with torch.no_grad():
        a, b = net(image, mask, refs), net(changed, mask, refs)
    assert a.shape == (2, 3, 16, 16)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    if references:  # but the references do matter
        with torch.no_grad():
            assert not torch.allclose(a, net(image, mask, torch.rand_like(refs)))
        with pytest.raises(ValueError, match="reference"):
            net(image, mask)


def test_pconv_loss_on_a_hand_built_case():
    images = torch.zeros(1, 3, 4, 4)
    masks = torch.zeros(1, 1, 4, 4)
    masks[..., 0, 0] = 1
    pred = torch.full((1, 3, 4, 4), 0.5)
    # valid: 15 pixels off by 0.5; hole: 1 pixel off by 0.5; means over 48 values. TV of the composite
    # inside the dilated hole (the 2x2 corner): 2 vertical + 2 horizontal pairs, one side 0.5 each
    tv = 2 * (3 * 0.5) / (3 * 3 * 4)
    expected = 15 * 3 * 0.5 / 48 + 6 * 3 * 0.5 / 48 + 0.1 * tv
    assert float(pconv_loss(pred, images, masks)) == pytest.approx(expected)


def test_perceptual_and_style_terms_vanish_on_the_truth():
    torch.manual_seed(0)
    encoder = InpaintUNet(widths=(8, 8, 8), kernels=(3, 3, 3)).eval()
    images, masks = torch.rand(2, 3, 16, 16), torch.zeros(2, 1, 16, 16)
    masks[..., 4:12, 4:12] = 1
    levels = encoder_levels(encoder)
    assert [float(t.detach()) for t in feature_losses(levels, images, images, masks)] == [0.0, 0.0]
    perceptual, style = feature_losses(levels, torch.rand_like(images), images, masks)
    assert perceptual > 0 and style > 0
    f = torch.arange(8.0).reshape(1, 2, 2, 2)  # Gram matrix normalised by C x H x W
    torch.testing.assert_close(gram(f), torch.tensor([[[14.0, 38.0], [38.0, 126.0]]]) / 8)


def test_search_is_exact_and_never_returns_the_excluded_row(rng):
    base = rng.normal(size=(50, 8)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    queries = base[[3, 7]] + 0.01 * rng.normal(size=(2, 8)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    idx, sims = search(base, queries, 3)
    brute = np.argsort(-(queries @ base.T), axis=1)[:, :3]
    np.testing.assert_array_equal(idx, brute)
    assert list(idx[:, 0]) == [3, 7] and np.all(np.diff(sims, axis=1) <= 0)
    own, _ = search(base, base, 2, exclude=np.arange(50), chunk=16)
    assert not np.any(own == np.arange(50)[:, None])
    np.testing.assert_array_equal(own[:, 0], np.argsort(-(base @ base.T - 3 * np.eye(50)), axis=1)[:, 0])


TINY_UNET = {"network": {"widths": [8, 8], "kernels": [5, 3], "partial": True}, "batch_size": 8, "val_images": 8,
             "eval_images": 4, "dataset": "synthetic squares", "masks": "blobs:3:6", "eval_masks": "blobs:3:6",
             "size": 32, "dataset_id": "squares"}


@pytest.fixture
def semi_parametric_zoo(tmp_path, monkeypatch):
    """A tiny PConv, its database over generated images, and a Sim-1 trained on its neighbours."""
    monkeypatch.setenv("INPAINT_ZOO_DIR", str(tmp_path / "zoo"))
    monkeypatch.setenv("INPAINT_INDEX_DIR", str(tmp_path / "indexes"))
    data = make_images(tmp_path / "data", n_per_class=10, size=32)
    Trainer("pconv", str(data), tmp_path / "zoo" / "pconv-mini", epochs=1, overrides=TINY_UNET).run(progress=False)
    sim = {**TINY_UNET, "network": {**TINY_UNET["network"], "partial": False, "references": 1},
           "database": {"model": "pconv-mini", "split": "train"}}
    with pytest.raises(DatabaseError, match="inpaint index build --data"):  # no database yet
        Trainer("sim-k", str(data), tmp_path / "zoo" / "sim1-mini", epochs=1, overrides=sim).run(progress=False)
    assert main(["index", "build", "--data", str(data), "--model", "pconv-mini"]) == 0  # where Sim-k looks
    folder = default_index_dir("pconv-mini", str(data), "train", 32)
    Trainer("sim-k", str(data), tmp_path / "zoo" / "sim1-mini", epochs=1, overrides=sim).run(progress=False)
    return data, folder


def test_index_records_descriptors_and_references(semi_parametric_zoo):
    data, folder = semi_parametric_zoo
    info = json.loads((folder / "index.json").read_text())
    assert info["count"] == 18 and info["model"] == "pconv-mini" and info["size"] == 32  # 9 of 10 per class train
    assert info["names"][0] == "a/0000.png" and info["model_sha256"] == zoo.find_entry("pconv-mini").files[
        "model.safetensors"]["sha256"]
    index = RetrievalIndex.load(folder)
    np.testing.assert_allclose(np.linalg.norm(index.descriptors, axis=1), 1, atol=1e-5)
    # a database image retrieves itself first, through the descriptor model
    pconv = load_method("pconv", "pconv-mini")
    query = pconv.describe(index.image(5)[None].astype(np.float32) / 255)
    assert index.search(query, 1)[0][0, 0] == 5
    with pytest.raises(DatabaseError, match="size=64"):
        RetrievalIndex.load(folder, size=64)
    broken = folder.parent / "broken-index"
    shutil.copytree(folder, broken)
    for name, text in (("index.json", '{"format": "inpaint-zoo ret'), ("descriptors.npy", "not numpy")):
        (broken / name).write_text(text)
        with pytest.raises(DatabaseError, match="damaged.*inpaint index build"):
            RetrievalIndex.load(broken)
        shutil.copy(folder / name, broken / name)
    # queries from the database itself find their own folder through the whole image
    scores = evaluate_index(index, str(data), split="train", masks="centre")
    assert scores["queries"] == 18 and scores["same_folder_top1_whole"] == 1.0 and scores["chance"] == 0.5
    assert 0 <= scores["same_folder_top1_two_step"] <= 1


def test_sim_k_retrieves_uses_references_and_keeps_visible_pixels(semi_parametric_zoo, photo):
    data, folder = semi_parametric_zoo
    meta = json.loads((zoo.zoo_dir() / "sim1-mini" / "config.json").read_text())["inpaint_zoo"]
    assert meta["database"] == {"model": "pconv-mini", "data": str(data), "split": "train", "size": 32}
    method = load_method("sim-k", "sim1-mini")
    image = photo[:40, :36]  # not a multiple of the UNet's 16
    mask = np.zeros(image.shape[:2], bool)
    mask[10:25, 8:20] = True
    retrieved = method.inpaint(image, mask, seed=0)
    assert np.array_equal(retrieved.image[~mask], image[~mask])
    (neighbour, caption), = retrieved.extras["gallery"]
    assert neighbour.shape == (32, 32, 3) and caption.startswith("retrieved ")  # as stored in the database
    noise = method.inpaint(image, mask, seed=0, auxiliary="noise")
    assert not np.array_equal(noise.image, retrieved.image)
    mine = method.inpaint(image, mask, seed=0, references=[photo, photo[::-1]])  # two photos for one slot
    assert mine.extras["gallery"][0][1].startswith("your reference #")
    with pytest.raises(DatabaseError, match="inpaint index build --data .* --model pconv-mini"):
        method.inpaint(image, mask, database=str(folder.parent / "nowhere"))
    with pytest.raises(InpaintError, match="does not use reference images"):
        load_method("pconv", "pconv-mini").inpaint(image, mask, references=[photo])


def test_pconv_with_the_vgg_and_a_critic_trains_both_and_without_them_only_the_pixel_loss():
    """The 128 px face recipe (``feature_model=vgg16``, ``adversarial_weight``) adds the perceptual, style
    and adversarial terms to PConv's own loss; the 64 px reproduction's defaults keep the paper's loss alone."""
    from inpaint_core.recipes.partial_conv import PConvRecipe

    from .helpers import cpu_accelerator

    torch.manual_seed(0)
    images = torch.rand(2, 3, 32, 32)
    masks = torch.zeros(2, 1, 32, 32)
    masks[:, :, 8:20, 6:22] = 1
    network = {"widths": [4, 8], "kernels": [3, 3], "partial": True}
    full = PConvRecipe(size=32, network=network, feature_model="vgg16", perceptual_weight=2.0, style_weight=2000.0,
                       adversarial_weight=0.02, adversarial_from=0, discriminator={"width": 4, "layers": 2})
    nets = full.build_networks()
    assert set(nets) == {"net", "discriminator"}
    before = {name: [p.detach().clone() for p in net.parameters()] for name, net in nets.items()}
    logs = full.train_step(nets, full.build_optimizers(nets), images, masks, 0, cpu_accelerator())
    assert {"pixel", "perceptual", "style", "g_adversarial", "d_loss"} <= set(logs)
    expected = (logs["pixel"] + 2.0 * logs["perceptual"] + 2000.0 * logs["style"] + 0.02 * logs["g_adversarial"])
    assert float(logs["loss"]) == pytest.approx(float(expected), rel=1e-5)
    for name, net in nets.items():
        assert any(not torch.equal(a, b) for a, b in zip(before[name], net.parameters())), name

    plain = PConvRecipe(size=32, network=network)
    nets = plain.build_networks()
    assert set(nets) == {"net"}
    with torch.no_grad():
        expected = pconv_loss(nets["net"](images, masks), images, masks)
    logs = plain.train_step(nets, plain.build_optimizers(nets), images, masks, 0, cpu_accelerator())
    assert set(logs) == {"pixel", "loss"} and float(logs["loss"]) == pytest.approx(float(expected), rel=1e-6)


def test_sim_k_trains_with_the_same_terms_on_batches_that_carry_its_references():
    from inpaint_core.recipes.partial_conv import SimKRecipe

    from .helpers import cpu_accelerator

    recipe = SimKRecipe(size=32, network={"widths": [4, 8], "kernels": [3, 3], "partial": False, "references": 1},
                        feature_model="vgg16", perceptual_weight=2.0, style_weight=2000.0, adversarial_weight=0.02,
                        adversarial_from=0, discriminator={"width": 4, "layers": 2})
    nets = recipe.build_networks()
    batch = torch.rand(2, 6, 32, 32)  # the images, then each one's retrieved neighbour
    masks = torch.zeros(2, 1, 32, 32)
    masks[:, :, 4:20, 8:24] = 1
    logs = recipe.train_step(nets, recipe.build_optimizers(nets), batch, masks, 0, cpu_accelerator())
    assert {"pixel", "perceptual", "style", "g_adversarial", "d_loss"} <= set(logs)
    with torch.no_grad():
        pred = nets["net"](batch[:, :3], masks, batch[:, 3:])
    assert recipe.validation_loss(nets["net"], batch, masks) == pytest.approx(float(pconv_loss(pred, batch[:, :3], masks)))


def test_a_zoo_encoder_as_feature_network_scores_batches_on_their_device():
    """``feature_model=<zoo PConv>`` (the 64 px ablation) builds its encoder on the batches' device, as
    the VGG-16 path does; a GPU run would otherwise feed GPU batches to a CPU encoder."""
    from inpaint_core.recipes.partial_conv import PConvRecipe

    levels = PConvRecipe(feature_model="pconv-celeba-64").feature_network("meta")(torch.zeros(1, 3, 64, 64, device="meta"))
    assert len(levels) == 3 and all(f.device.type == "meta" for f in levels)
    cpu = PConvRecipe(feature_model="pconv-celeba-64").feature_network("cpu")(torch.zeros(1, 3, 64, 64))
    assert [f.shape for f in cpu] == [f.shape for f in levels] and all(f.device.type == "cpu" for f in cpu)
