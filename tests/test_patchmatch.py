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


def test_the_hybrid_keeps_patchmatchs_texture_and_takes_the_networks_shading_inside_the_hole():
    """Stripes (texture) under a flat structure of another brightness: deep in the hole the blend has the
    structure's mean and the stripes' contrast; at the hole's edge it is the texture; outside, untouched."""
    from inpaint_core.methods.lama_patchmatch import EDGE_REACH, blend_frequencies

    stripes = np.where((np.arange(128) // 2) % 2 == 0, 0.7, 0.3).astype(np.float32)
    texture = np.repeat(np.repeat(stripes[None, :, None], 128, 0), 3, 2)
    structure = texture.copy()
    mask = np.zeros((128, 128), bool)
    mask[24:104, 24:104] = True
    structure[mask] = 0.2
    out = blend_frequencies(texture, structure, mask, sigma=8.0)
    assert np.array_equal(out[~mask], texture[~mask])
    inner = out[24 + int(EDGE_REACH):104 - int(EDGE_REACH), 24 + int(EDGE_REACH):104 - int(EDGE_REACH), 0]
    assert inner.mean() == pytest.approx(0.2, abs=0.02)  # the stripes' mean was 0.5
    assert inner.std() == pytest.approx(0.2, abs=0.01)  # the stripes' contrast kept
    edge = out[24, 40:88, 0]  # the hole's first row: PatchMatch's pixels, almost untouched
    assert np.abs(edge - texture[24, 40:88, 0]).max() < 0.05


def test_the_hybrid_runs_the_photo_networks_checkpoints_and_keeps_visible_pixels(photo):
    method = load_method("lama-patchmatch")
    assert method.checkpoint.name == "lama-photo-256"
    mask = np.zeros(photo.shape[:2], bool)
    mask[20:44, 30:60] = True
    result = method.inpaint(photo, mask, seed=2)
    assert np.array_equal(result.image[~mask], photo[~mask])
    assert np.array_equal(method.inpaint(photo, mask, seed=2).image, result.image)
    with pytest.raises(InpaintError, match="belongs to method 'pconv'"):
        load_method("lama-patchmatch", "pconv-celeba-64")
