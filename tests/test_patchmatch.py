"""PatchMatch through the PyPatchMatch wheel: texture copied from the photo, any size, bit-exact outside."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_core import load_method
from inpaint_core.errors import InpaintError, MaskError
from inpaint_core.lpips import lpips
from inpaint_core.maskgen import FreeFormStrokes


def test_visible_pixels_are_bit_exact_and_the_seed_repeats(photo):
    method = load_method("patchmatch")
    mask = FreeFormStrokes()(*photo.shape[:2], np.random.default_rng(3))
    a = method.inpaint(photo, mask, seed=5)
    assert np.array_equal(a.image[~mask], photo[~mask]) and a.image.shape == photo.shape
    assert np.array_equal(method.inpaint(photo, mask, seed=5).image, a.image)
    assert not np.array_equal(method.inpaint(photo, mask, seed=6).image[mask], a.image[mask])


def test_all_hole_but_the_border_fills_from_the_border(photo):
    image = photo[:40, :40]
    mask = np.ones((40, 40), dtype=bool)
    mask[[0, -1], :] = mask[:, [0, -1]] = False
    out = load_method("patchmatch").inpaint(image, mask, seed=0).image
    assert np.array_equal(out[~mask], image[~mask])
    border = image[~mask].astype(float)
    assert out[mask].min() >= border.min() - 1 and out[mask].max() <= border.max() + 1  # copied, not invented


def test_a_fully_masked_image_is_refused_with_a_reason(photo):
    with pytest.raises(MaskError, match="leave part of the image unmasked"):
        load_method("patchmatch").inpaint(photo[:16, :16], np.ones((16, 16), bool))
    with pytest.raises(InpaintError, match="patch_size"):
        load_method("patchmatch", patch_size=0)


def test_repeated_texture_is_continued_where_diffusion_smears_it():
    """Stripes with a hole: PatchMatch copies stripes in; Telea interpolates a blur across the hole."""
    x = np.arange(96)
    stripes = np.where((x // 4) % 2 == 0, 220, 30).astype(np.uint8)
    image = np.repeat(np.repeat(stripes[None, :, None], 96, axis=0), 3, axis=2)
    mask = np.zeros((96, 96), dtype=bool)
    mask[36:60, 36:60] = True
    fills = {name: load_method(name).inpaint(image, mask, seed=0).image for name in ("patchmatch", "telea")}
    mse = {k: float(np.mean((v[mask].astype(float) - image[mask]) ** 2)) for k, v in fills.items()}
    assert mse["patchmatch"] < 0.5 * mse["telea"], mse  # measured: 4,399 against 13,356
    assert lpips(fills["patchmatch"], image) < lpips(fills["telea"], image)


def test_the_untrained_gate_keeps_patchmatchs_texture_and_takes_the_networks_shading_inside_the_hole():
    """Stripes (PatchMatch's texture) where the network says flat and darker: the gate as it starts (the
    hand-made join) gives, deep in the hole, the network's mean with the stripes' contrast; outside, the
    texture untouched; Telea's fill is not used."""
    import torch

    from inpaint_core.methods.lama_patchmatch import FusionGate

    stripes = torch.where((torch.arange(128) // 2) % 2 == 0, 0.7, 0.3)
    texture = stripes.expand(1, 3, 128, 128).clone()
    mask = torch.zeros(1, 1, 128, 128)
    mask[..., 24:104, 24:104] = 1
    structure = texture * (1 - mask) + 0.2 * mask
    smooth = texture * (1 - mask) + 0.9 * mask
    with torch.no_grad():
        out = FusionGate(sigma=8.0)(texture, structure, smooth, mask)[0, 0]
    assert torch.equal(out[mask[0, 0] == 0], texture[0, 0][mask[0, 0] == 0])
    inner = out[40:88, 40:88]
    assert float(inner.mean()) == pytest.approx(0.2 + 0.02 * 0.3, abs=0.02)  # the stripes' mean was 0.5
    assert float(inner.std()) == pytest.approx(0.2, abs=0.01)  # the stripes' contrast kept


def test_the_hybrid_checkpoint_joins_three_fills_and_keeps_visible_pixels(photo):
    method = load_method("lama-patchmatch")
    assert method.checkpoint.name == "lama-patchmatch-photo-256"
    mask = np.zeros(photo.shape[:2], bool)
    mask[20:44, 30:60] = True
    result = method.inpaint(photo, mask, seed=2)
    assert np.array_equal(result.image[~mask], photo[~mask])
    assert np.array_equal(method.inpaint(photo, mask, seed=2).image, result.image)
    with pytest.raises(InpaintError, match="belongs to method 'lama'"):
        load_method("lama-patchmatch", "lama-photo-256")
