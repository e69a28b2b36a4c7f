"""Checkpoint round trips, Hub-cache resolution offline, hash refusal and strict loading."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from inpaint_core import load_method, zoo
from inpaint_core.checkpoints import load_network, save_network, write_card
from inpaint_core.errors import CheckpointError
from inpaint_core.methods.context_encoder import ContextEncoderNet
from inpaint_core.methods.registry import get_method_class


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch):
    """A private zoo with one tiny context-encoder checkpoint registered in its catalog."""
    root = tmp_path / "zoo"
    monkeypatch.setenv("INPAINT_ZOO_DIR", str(root))
    torch.manual_seed(0)
    net = ContextEncoderNet(width=8, bottleneck=16)
    folder = save_network(net, root / "ce-tiny", {"method": "l2-context-encoder", "dataset": "synthetic"}, fp16=False)
    write_card(folder, "ce-tiny")
    zoo.register(folder, "l2-context-encoder", "synthetic", 32, {"mse_hole_01": 0.1}, repo_id="acme/ce-tiny")
    return root, net


def _probe(method):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    mask = np.zeros((32, 32), bool)
    mask[12:20, 12:20] = True
    return method.inpaint(img, mask).image


def test_round_trip_gives_identical_outputs(tiny_zoo):
    root, net = tiny_zoo
    cls = get_method_class("l2-context-encoder")
    direct = _probe(cls(network=net))
    loaded = load_method("l2-context-encoder", checkpoint="ce-tiny")
    np.testing.assert_array_equal(direct, _probe(loaded))
    assert loaded.checkpoint == root / "ce-tiny"
    config = json.loads((root / "ce-tiny" / "config.json").read_text())
    assert config["width"] == 8 and config["inpaint_zoo"]["method"] == "l2-context-encoder"
    card = (root / "ce-tiny" / "README.md").read_text()
    assert card.startswith("---") and "library_name: inpaint-zoo" in card and "image-inpainting" in card


def test_fp16_storage_halves_the_file(tmp_path):
    net = ContextEncoderNet(width=8, bottleneck=16)
    a = save_network(net, tmp_path / "a", {}, fp16=False) / "model.safetensors"
    b = save_network(net, tmp_path / "b", {}, fp16=True) / "model.safetensors"
    assert b.stat().st_size < 0.6 * a.stat().st_size
    loaded = load_network(ContextEncoderNet, tmp_path / "b")
    assert next(loaded.parameters()).dtype == torch.float32


def test_default_checkpoint_and_verify(tiny_zoo):
    load_method("l2-context-encoder")  # the method's default entry
    assert zoo.verify_all() == []
    assert zoo.locate(zoo.find_entry("ce-tiny"))[0] == "zoo"


def test_tampered_file_is_refused(tiny_zoo):
    root, _ = tiny_zoo
    with open(root / "ce-tiny" / "model.safetensors", "r+b") as f:
        f.seek(-4, 2)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(CheckpointError, match="sha256"):
        load_method("l2-context-encoder", checkpoint="ce-tiny")
    assert any("does not match" in p for p in zoo.verify_all())


def test_wrong_tensor_name_or_shape_is_a_clear_error(tmp_path):
    from safetensors.torch import load_file, save_file

    from inpaint_core.checkpoints import update_meta

    folder = save_network(ContextEncoderNet(width=8, bottleneck=16), tmp_path / "c", {}, fp16=False)
    update_meta(folder, weights_sha256=None)  # rewritten on purpose below: test the architecture check
    tensors = load_file(folder / "model.safetensors")
    renamed = dict(tensors)
    renamed["encoder.99.weight"] = renamed.pop("encoder.0.weight")
    save_file(renamed, folder / "model.safetensors")
    with pytest.raises(CheckpointError, match="encoder.0.weight"):
        load_network(ContextEncoderNet, folder)
    reshaped = dict(tensors)
    reshaped["encoder.0.weight"] = torch.zeros(1, 1, 1, 1)
    save_file(reshaped, folder / "model.safetensors")
    with pytest.raises(CheckpointError, match="size mismatch"):
        load_network(ContextEncoderNet, folder)


def _fake_hf_cache(cache, repo_id, folder, commit="0123456789abcdef0123456789abcdef01234567"):
    """Lay out a folder exactly like huggingface_hub's cache: blobs, snapshots/<commit>, refs/main."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snap = repo / "snapshots" / commit
    snap.mkdir(parents=True)
    (repo / "blobs").mkdir()
    for file in folder.iterdir():
        if file.is_file():
            blob = repo / "blobs" / zoo.sha256_file(file)
            shutil.copy(file, blob)
            (snap / file.name).symlink_to(f"../../blobs/{blob.name}")
    return snap


def test_offline_resolution_through_hf_cache(tiny_zoo, tmp_path, monkeypatch):
    root, net = tiny_zoo
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    snap = _fake_hf_cache(cache, "acme/ce-tiny", root / "ce-tiny")
    shutil.rmtree(root / "ce-tiny")  # no longer in the repository's zoo
    where, folder = zoo.locate(zoo.find_entry("ce-tiny"))
    assert where == "hf-cache" and folder == snap
    loaded = load_method("l2-context-encoder", checkpoint="ce-tiny")
    np.testing.assert_array_equal(_probe(loaded), _probe(get_method_class("l2-context-encoder")(network=net)))


def test_offline_with_nothing_names_repo_and_command(tiny_zoo, tmp_path, monkeypatch):
    root, _ = tiny_zoo
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    shutil.rmtree(root / "ce-tiny")
    with pytest.raises(CheckpointError, match=r"acme/ce-tiny.*inpaint zoo pull ce-tiny"):
        load_method("l2-context-encoder", checkpoint="ce-tiny")


def test_explicit_folder_and_bad_ids(tiny_zoo):
    root, _ = tiny_zoo
    assert load_method("l2-context-encoder", checkpoint=root / "ce-tiny").checkpoint == root / "ce-tiny"
    with pytest.raises(CheckpointError, match="No checkpoint 'nope'"):
        load_method("l2-context-encoder", checkpoint="nope")
    with pytest.raises(CheckpointError, match="not a checkpoint folder"):
        load_method("l2-context-encoder", checkpoint=root)


def test_committed_zoo_matches_its_catalog():
    """The real zoo/ of the repository: every entry exists and every hash matches (as `inpaint zoo verify`)."""
    assert zoo.verify_all() == []
    for entry in zoo.load_catalog():
        assert {"config.json", "model.safetensors", "README.md"} <= set(entry.files)


@pytest.mark.parametrize("entry", zoo.load_catalog(), ids=lambda e: e.id)
def test_every_committed_checkpoint_loads_and_fills_a_photo(entry):
    """Each checkpoint the zoo serves fills an 8x8 hole of a real photo through the size pipeline,
    better than a flat grey, and leaves every other pixel alone. A method whose fill is a random draw is
    judged by the mean of 8 draws, as one draw can be unlucky. A binary (MNIST) model is judged on the
    photo thresholded to black and white, the only images it knows."""
    from skimage import data

    image = data.astronaut()[150:214, 180:244]
    mask = np.zeros((64, 64), bool)
    mask[28:36, 28:36] = True
    method = load_method(entry.method, entry.id)
    if getattr(method.net, "levels", None) == 2:
        image = np.repeat(np.where(image.mean(-1, keepdims=True) > 127, 255, 0).astype(np.uint8), 3, axis=-1)
    # a method that takes reference photos gets the mirrored photo (no retrieval database in CI)
    refs = {"references": [image[:, ::-1]]} if method.capabilities.references else {}
    out = method.inpaint(image, mask, seed=0, **refs).image
    assert np.array_equal(out[~mask], image[~mask])
    if method.capabilities.stochastic and not np.array_equal(out, method.inpaint(image, mask, seed=1, **refs).image):
        # its fill is a draw: judge the mean of 8 draws, its estimate of the posterior mean
        out = np.mean([r.image.astype(float) for r in method.sample(image, mask, 8, seed=0, **refs)], axis=0)
    err = np.mean((out[mask].astype(float) - image[mask]) ** 2)
    assert err < np.mean((128.0 - image[mask]) ** 2)


class FakeHub:
    """Stands in for huggingface_hub's HfApi: records uploads, serves a remote card."""

    def __init__(self, remote_card=None):
        self.remote_card, self.uploads = remote_card, []

    def api(self):
        hub = self

        class Api:
            def create_repo(self, repo_id, exist_ok):
                assert exist_ok

            def upload_folder(self, **kwargs):
                hub.uploads.append(kwargs)
                return "uploaded"

        return Api()

    def download(self, tmp_path):
        from huggingface_hub.errors import EntryNotFoundError

        def fake(repo_id, filename, revision=None):
            if self.remote_card is None:
                raise EntryNotFoundError("no card")
            path = tmp_path / "remote_README.md"
            path.write_text(self.remote_card)
            return str(path)

        return fake


@pytest.mark.parametrize("remote", [None, "same", "different"])
def test_push_never_replaces_a_different_card_silently(tiny_zoo, tmp_path, monkeypatch, remote):
    import huggingface_hub

    from inpaint_core.hub import push

    root, _ = tiny_zoo
    local_card = (root / "ce-tiny" / "README.md").read_text()
    hub = FakeHub({"same": local_card, "different": "---\nlicense: other\n---\nsomeone's card"}.get(remote))
    monkeypatch.setattr(huggingface_hub, "HfApi", hub.api)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hub.download(tmp_path))
    if remote == "different":
        with pytest.raises(CheckpointError, match="different model card"):
            push("ce-tiny", "acme/ce-tiny")
        assert hub.uploads == []
        assert push("ce-tiny", "acme/ce-tiny", overwrite_card=True) == "uploaded"
    else:
        assert push("ce-tiny", "acme/ce-tiny") == "uploaded"
    upload = hub.uploads[-1]
    assert upload["repo_id"] == "acme/ce-tiny" and upload["folder_path"] == str(root / "ce-tiny")
    assert ".training/*" in upload["ignore_patterns"]


def test_a_damaged_checkpoint_folder_is_a_clear_error(tmp_path):
    import shutil

    from inpaint_core import load_method
    from inpaint_core.errors import CheckpointError
    from inpaint_core.zoo import zoo_dir

    folder = tmp_path / "ckpt"
    shutil.copytree(zoo_dir() / "glcic-bsds500-64", folder)
    weights = folder / "model.safetensors"
    original = weights.read_bytes()
    flipped = bytearray(original)
    flipped[3] ^= 0xFF  # the header length
    for damaged in (bytes(flipped), original[: len(original) // 2]):
        weights.write_bytes(damaged)
        with pytest.raises(CheckpointError, match="damaged"):
            load_method("glcic", folder)


def test_one_changed_weight_byte_is_caught_by_path_too(tmp_path, monkeypatch):
    import shutil

    from inpaint_core import load_method, zoo
    from inpaint_core.checkpoints import save_network
    from inpaint_core.errors import CheckpointError

    # a zoo folder given by path is checked against the catalog
    monkeypatch.setenv("INPAINT_ZOO_DIR", str(tmp_path / "zoo"))
    source = zoo.find_entry("glcic-bsds500-64", zoo.load_catalog(Path(__file__).resolve().parents[1] / "zoo"))
    shutil.copytree(Path(__file__).resolve().parents[1] / "zoo" / "glcic-bsds500-64", tmp_path / "zoo" / source.id)
    zoo.save_catalog([source])
    weights = tmp_path / "zoo" / source.id / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0x01  # one bit of tensor data
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="altered or corrupted"):
        load_method("glcic", tmp_path / "zoo" / source.id)
    # a folder outside the zoo is checked against the sha256 its config.json recorded when it was saved
    from inpaint_core.methods.glcic import CompletionNet

    folder = save_network(CompletionNet(width=8), tmp_path / "mine", {"method": "glcic"})
    assert load_method("glcic", folder).net is not None
    data = bytearray((folder / "model.safetensors").read_bytes())
    data[-100] ^= 0x01
    (folder / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="damaged.*sha256"):
        load_method("glcic", folder)
