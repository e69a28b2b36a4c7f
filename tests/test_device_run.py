"""Continuing a run on a lent GPU machine (runs/continue_on_device.py): what is packed reads the same."""

import io
import json
import tarfile

import numpy as np
import pytest
import torch

from inpaint_core.losses import VGGFeatures
from inpaint_core.maskgen import QuickDrawStrokes
from runs import continue_on_device as device


def test_the_slim_quick_draw_archive_gives_the_same_strokes(tmp_path):
    rng = np.random.default_rng(0)
    source = tmp_path / "sketches.tar.gz"
    with tarfile.open(source, "w:gz") as tf:
        for name in ("a cat.ndjson", "boat.ndjson"):
            lines = [json.dumps({"word": name, "countrycode": "GB", "drawing": [
                [rng.integers(0, 255, 6).tolist(), rng.integers(0, 255, 6).tolist(), list(range(6))]
                for _ in range(3)]}) for _ in range(4)]
            body = "\n".join(lines).encode()
            info = tarfile.TarInfo(f"sketches/{name}")
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
    slim = tmp_path / "slim.tar.xz"
    device.slim_quickdraw(source, slim)
    renamed = tmp_path / "sketches-copy.tar.gz"  # read by content under the name the recipe gives
    renamed.symlink_to(slim)
    before, after = QuickDrawStrokes(source).strokes, QuickDrawStrokes(renamed).strokes
    assert len(before) == len(after) == 24 and all(np.array_equal(a, b) for a, b in zip(before, after))
    assert slim.stat().st_size < source.stat().st_size


def test_unpack_links_the_archives_where_the_recipe_reads_them_and_leaves_real_files(tmp_path, monkeypatch):
    (tmp_path / "pack" / "data").mkdir(parents=True)
    (tmp_path / "pack" / "data" / "a.tar.gz").write_bytes(b"packed")
    real = tmp_path / "work" / "shared" / "b.tar.gz"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"real")
    (tmp_path / "pack" / "links.json").write_text(json.dumps({"shared/x/a.tar.gz": "a.tar.gz", "shared/b.tar.gz": "a.tar.gz"}))
    monkeypatch.chdir(tmp_path / "work")
    device.unpack(tmp_path / "pack")
    assert (tmp_path / "work" / "shared" / "x" / "a.tar.gz").read_bytes() == b"packed" and real.read_bytes() == b"real"


def test_the_trimmed_vgg_gives_the_perceptual_features_of_the_wheels(tmp_path, monkeypatch):
    from inpaint_core import losses
    from inpaint_core.lpips import lpips_network
    from safetensors.torch import load_file, save_file

    state = lpips_network("vgg").state_dict()
    save_file({k: v.half().contiguous() for k, v in state.items() if k.startswith(device.VGG_STAGES)},
              str(tmp_path / device.VGG_FILE))
    x = torch.rand(1, 3, 48, 48)
    full = VGGFeatures(3)(x)
    monkeypatch.setattr(losses, "lpips_network", losses.lpips_network)  # restored after the test
    device.use_trimmed_vgg(tmp_path / device.VGG_FILE)
    trimmed = VGGFeatures(3)(x)
    gaps = [float((a - b).abs().max()) / float(a.abs().max()) for a, b in zip(full, trimmed)]
    assert all(0 < gap < 1e-2 for gap in gaps)  # built from the fp16 copy: close, not identical
    save_file({k: v for k, v in load_file(str(tmp_path / device.VGG_FILE)).items() if "slice3" not in k},
              str(tmp_path / "short.safetensors"))
    device.use_trimmed_vgg(tmp_path / "short.safetensors")
    with pytest.raises(RuntimeError, match="not the trimmed VGG-16"):
        VGGFeatures(3)
