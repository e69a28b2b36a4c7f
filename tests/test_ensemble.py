"""Ensemble checkpoints: built from trained checkpoints, one network that averages its members."""

import json
import shutil

import numpy as np
import pytest
import torch

from inpaint_core import InpaintError, load_method, zoo
from inpaint_core.cli import main
from inpaint_core.ensemble import build_ensemble
from inpaint_core.methods.glcic import CompletionEnsemble
from inpaint_core.training import Trainer

from .helpers import make_images

TINY = {"discriminator": {"width": 4, "features": 8}, "completion_steps": 2, "discriminator_steps": 2,
        "batch_size": 8, "val_images": 8, "eval_images": 6, "dataset": "synthetic squares"}


@pytest.fixture
def members(tmp_path, monkeypatch):
    """Two tiny GLCIC checkpoints of different widths in a private zoo."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INPAINT_ZOO_DIR", str(tmp_path / "zoo"))
    data = make_images(tmp_path / "data", n_per_class=20, size=32)
    for name, width, seed in (("g8", 8, 0), ("g12", 12, 1)):
        overrides = {**TINY, "network": {"width": width, "dilations": [2, 1]}}
        Trainer("glcic", str(data), tmp_path / "zoo" / name, epochs=1, seed=seed, overrides=overrides).run(progress=False)
    return tmp_path / "zoo"


def test_an_ensemble_checkpoint_averages_its_members_and_joins_the_zoo(members):
    assert main(["ensemble", "glcic", "--members", "g8", str(members / "g12"), "--out", str(members / "ens")]) == 0
    ensemble, a, b = (load_method("glcic", checkpoint=c) for c in ("ens", "g8", "g12"))
    assert isinstance(ensemble.net, CompletionEnsemble) and len(ensemble.net.members) == 2
    x, m = torch.rand(2, 3, 32, 32), torch.zeros(2, 1, 32, 32)
    m[..., 8:20, 4:12] = 1
    with torch.no_grad():
        assert torch.allclose(ensemble.net(x, m), (a.net(x, m) + b.net(x, m)) / 2, atol=1e-6)
        assert not torch.allclose(a.net(x, m), b.net(x, m), atol=1e-3)

    recipe = json.loads((members / "ens" / "recipe.json").read_text())
    assert recipe["command"] == "inpaint ensemble glcic --members g8 g12 --out zoo/ens --seed 0"
    assert [r["checkpoint"] for r in recipe["members"]] == ["g8", "g12"]
    assert [r["network"]["width"] for r in recipe["members"]] == [8, 12] and recipe["members"][1]["seed"] == 1
    meta = json.loads((members / "ens" / "config.json").read_text())["inpaint_zoo"]
    parts = [json.loads((members / n / "config.json").read_text())["inpaint_zoo"]["training"] for n in ("g8", "g12")]
    assert meta["training"]["steps"] == parts[0]["steps"] + parts[1]["steps"]
    assert zoo.find_entry("ens").metrics == meta["validation_metrics"] and zoo.verify_all() == []
    assert not zoo.find_entry("ens").default  # the first checkpoint of the method stays its default

    image = np.random.default_rng(0).integers(0, 256, (44, 60, 3), dtype=np.uint8)
    mask = np.zeros(image.shape[:2], bool)
    mask[10:30, 20:35] = True
    out = ensemble.inpaint(image, mask, mirror=True).image  # any size, tiled, with the mirror option
    assert np.array_equal(out[~mask], image[~mask]) and not np.array_equal(out[mask], image[mask])

    with pytest.raises(InpaintError, match="is an ensemble: rebuild it"):
        Trainer("glcic", None, members / "ens").evaluate_only()
    with pytest.raises(InpaintError, match="is an ensemble itself"):
        build_ensemble("glcic", ["ens", "g8"], members / "nested")


def test_an_ensemble_refuses_members_that_cannot_be_averaged(members):
    with pytest.raises(InpaintError, match="two members or more"):
        build_ensemble("glcic", ["g8"], members / "one")
    with pytest.raises(InpaintError, match="cannot join networks in an ensemble; methods that can: glcic, lama\\."):
        build_ensemble("l2-context-encoder", ["a", "b"], members / "ce")
    other = members.parent / "g12-16px"
    shutil.copytree(members / "g12", other)
    recipe = json.loads((other / "recipe.json").read_text())
    (other / "recipe.json").write_text(json.dumps({**recipe, "size": 16}))
    with pytest.raises(InpaintError, match="differ in recipe value 'size' \\(32, 16\\)"):
        build_ensemble("glcic", ["g8", str(other)], members / "mixed")
    assert not (members / "mixed").exists() and not (members / "one").exists()
