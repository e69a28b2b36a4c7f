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


def test_the_guide_draws_patchmatchs_copies_towards_the_networks_fill():
    """A dark noisy photo with a bright strip at the right and a hole in the dark part: PatchMatch alone
    continues the dark surroundings; guided by a structure that says the hole is bright, it copies from
    the bright strip instead. The guide holds the photo outside the hole and the structure inside,
    within the range the wheel compares without wrapping around."""
    from inpaint_core.methods.lama_patchmatch import GUIDE_RANGE, guide_map
    from inpaint_core.methods.patchmatch import patchmatch_fill

    rng = np.random.default_rng(0)
    image = np.clip(0.25 + 0.08 * rng.standard_normal((128, 128, 1)), 0, 1).repeat(3, 2).astype(np.float32)
    image[:, 96:] = np.clip(image[:, 96:] + 0.5, 0, 1)
    mask = np.zeros((128, 128), bool)
    mask[48:80, 24:56] = True
    structure = np.where(mask[..., None], np.float32(0.75), image)
    photo_with_hole = np.where(mask[..., None], np.float32(0), image)
    guide = guide_map(photo_with_hole, structure, mask, blur=0.0)
    assert guide.dtype == np.float32 and guide.min() >= 0 and guide.max() <= GUIDE_RANGE
    assert guide[64, 40, 0] == pytest.approx(0.75 * GUIDE_RANGE) and guide[10, 10, 0] == pytest.approx(image[10, 10].mean() * GUIDE_RANGE)
    centre = (slice(56, 72), slice(32, 48))
    alone = patchmatch_fill(photo_with_hole, mask, 0)
    guided = patchmatch_fill(photo_with_hole, mask, 0, guide=guide_map(photo_with_hole, structure, mask, 6.0), guide_weight=0.5)
    assert alone[centre].mean() < 0.3  # measured 0.24: the dark surroundings continued
    assert guided[centre].mean() > 0.4  # measured 0.47: copies from the bright strip


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
