import warnings

import numpy as np
import pytest

from inpaint_core import list_methods, load_method
from inpaint_core.errors import InpaintError, UnsupportedHoleError
from inpaint_core.methods.base import Capabilities, Fill, Method
from inpaint_core.pipeline import Window, crop_padded, plan_window, run_pipeline


class Recorder(Method):
    """Fills with a constant and records what the pipeline handed it (not registered)."""

    name = "recorder"
    seen: list

    def __init__(self, caps: Capabilities):
        super().__init__()
        self.capabilities = caps
        self.seen = []

    def fill(self, image, mask, rng):
        self.seen.append((image.copy(), mask.copy()))
        return Fill(np.full_like(image, 0.5), log_likelihood=-1.0, extras={"note": "x"})


@pytest.fixture
def hole(photo):
    mask = np.zeros(photo.shape[:2], bool)
    mask[50:60, 70:75] = True
    return mask


@pytest.mark.parametrize("name", ["telea", "navier-stokes", "biharmonic"])
def test_classical_outside_hole_is_bit_exact(photo, hole, name):
    result = load_method(name).inpaint(photo, hole)
    np.testing.assert_array_equal(result.image[~hole], photo[~hole])
    assert np.abs(result.image[hole].astype(int) - photo[hole]).mean() < 40  # a plausible fill, not garbage
    assert result.seconds > 0


def test_mean_colour_fills_with_the_visible_mean(photo, hole):
    result = load_method("mean-colour").inpaint(photo, hole)
    np.testing.assert_array_equal(result.image[~hole], photo[~hole])
    expected = np.round(photo[~hole].mean(axis=0))
    assert np.all(np.abs(result.image[hole].astype(float) - expected) <= 1)  # one quantisation step


def test_registry_lists_baselines_and_rejects_unknown():
    names = {m.name for m in list_methods()}
    assert {"telea", "navier-stokes", "biharmonic"} <= names
    with pytest.raises(InpaintError, match="Did you mean telea"):
        load_method("tela")
    with pytest.raises(InpaintError, match="options are: radius"):
        load_method("telea").inpaint(np.zeros((8, 8, 3), np.uint8), np.ones((8, 8), bool), radus=3)


def test_fully_convolutional_pads_to_multiple_and_hides_hole(photo, hole):
    m = Recorder(Capabilities(size_multiple=16))
    img = photo[:100, :90]
    result = m.inpaint(img, hole[:100, :90])
    image, mask = m.seen[0]
    assert image.shape == (112, 96, 3) and mask.shape == (112, 96)
    assert image[mask].max() == 0  # methods never see hole pixels
    assert (result.image[hole[:100, :90]] == 128).all()
    assert result.log_likelihood == -1.0 and result.extras["note"] == "x" and result.extras["scale"] == 1.0


def test_padding_mirrors_a_hole_at_the_border_as_hole_not_as_black_context():
    """The padding reflects the photo, whose hole pixels are zeroed: where it reflects the hole, it
    must be hole too, or a network reads the hole as black pixels at the photo's edge."""
    m = Recorder(Capabilities(size_multiple=16))
    img = np.full((20, 30, 3), 200, np.uint8)
    border = np.zeros((20, 30), bool)
    border[15:, :] = True  # the bottom five rows
    border[:, 26:] = True  # and the right four columns
    m.inpaint(img, border)
    image, mask = m.seen[0]
    assert image.shape == (32, 32, 3)
    np.testing.assert_array_equal(mask[:20, :30], border)
    assert mask[20:25].all() and mask[:, 30:32].all()  # the reflected hole rows and columns
    np.testing.assert_allclose(image[~mask], 200 / 255, atol=1e-6)  # every pixel shown as known is the photo's
    assert not mask[25:, :26].any()  # rows 25-31 reflect rows 14-8: visible, so not hole


def test_fixed_size_window_resizes_and_pastes_back(photo):
    big = np.tile(photo, (4, 4, 1))  # 512x512
    mask = np.zeros(big.shape[:2], bool)
    mask[300:340, 100:120] = True
    m = Recorder(Capabilities(native_size=32))
    result = m.inpaint(big, mask)
    image, cmask = m.seen[0]
    assert image.shape == (32, 32, 3) and cmask.any()
    top, left, bottom, right = result.extras["region"]
    assert bottom - top == right - left == 80 and top <= 300 and bottom >= 340  # hole + 50% margin each side
    np.testing.assert_array_equal(result.image[~mask], big[~mask])
    assert (result.image[mask] == 128).all()


def test_centre_hole_window_centres_the_hole_and_refuses_large_holes(photo):
    mask = np.zeros(photo.shape[:2], bool)
    mask[3:13, 60:70] = True  # 10x10 near the top border
    window = plan_window(mask, 32, centre_hole=8)
    assert window.side == 40 and window.top == -12  # window reaches past the border, hole centred
    m = Recorder(Capabilities(native_size=32, centre_hole=8))
    m.inpaint(photo, mask)
    _, cmask = m.seen[0]
    assert cmask[12:20, 12:20].any() and not cmask[8:12].any() and not cmask[20:].any()
    assert cmask[:7].any()  # rows mirrored from above the border mirror the hole too: marked unknown
    huge = np.zeros(photo.shape[:2], bool)
    huge[10:60, 10:60] = True
    with pytest.raises(UnsupportedHoleError, match="too large for this centre-hole method"):
        m.inpaint(photo, huge)


def test_crop_padded_reflects_beyond_borders():
    img = np.arange(16, dtype=np.float32).reshape(4, 4)
    out = crop_padded(img, Window(-2, -2, 4))
    np.testing.assert_array_equal(out[2:, 2:], img[:2, :2])
    np.testing.assert_array_equal(out[0, 2:], img[1, :2])  # symmetric reflection


def test_empty_mask_returns_input_and_says_so(photo):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = load_method("telea").inpaint(photo, np.zeros(photo.shape[:2], bool))
    np.testing.assert_array_equal(result.image, photo)
    assert "no hole" in result.message and caught


def test_alpha_is_put_back(photo, hole):
    alpha = np.full(photo.shape[:2], 77, np.uint8)
    result = load_method("telea").inpaint(np.dstack([photo, alpha]), hole)
    assert result.image.shape[2] == 4 and (result.image[..., 3] == 77).all()


def test_sample_orders_by_likelihood(photo, hole):
    class Noisy(Recorder):
        def fill(self, image, mask, rng):
            v = rng.uniform()
            return Fill(np.full_like(image, v), log_likelihood=float(v))

    results = Noisy(Capabilities(stochastic=True)).sample(photo, hole, 4, seed=0)
    lls = [r.log_likelihood for r in results]
    assert lls == sorted(lls, reverse=True) and len(set(lls)) == 4
    again = Noisy(Capabilities(stochastic=True)).sample(photo, hole, 4, seed=0)
    assert [r.log_likelihood for r in again] == lls


def test_sample_draws_all_fills_in_one_batch_and_pastes_each_back(photo, hole):
    class Batched(Recorder):
        def fill_batch(self, image, mask, rng, n):
            self.seen.append(n)
            return [Fill(np.full_like(image, k / n), log_likelihood=float(k)) for k in range(n)]

    method = Batched(Capabilities(native_size=32, stochastic=True))
    results = method.sample(photo, hole, 3, seed=0)
    assert method.seen == [3]
    assert [r.log_likelihood for r in results] == [2.0, 1.0, 0.0]
    assert [int(np.median(r.image[hole])) for r in results] == [170, 85, 0]
    assert all(np.array_equal(r.image[~hole], photo[~hole]) for r in results)


def test_run_pipeline_returns_full_size(photo, hole):
    fills, outs, info = run_pipeline(Recorder(Capabilities()), photo / 255.0, hole, np.random.default_rng(0), {}, n=2)
    assert len(fills) == len(outs) == 2
    assert fills[0].shape == photo.shape and info["region"] == (0, 0, 128, 128)


def test_full_masks_bad_seeds_and_nan_options_are_clear_errors():
    import pytest

    from inpaint_core import load_method
    from inpaint_core.errors import InpaintError, MaskError

    image = np.zeros((16, 16, 3), np.uint8)
    for name in ("biharmonic", "telea", "mean-colour", "patchmatch"):
        with pytest.raises(MaskError, match="hides the whole image"):
            load_method(name).inpaint(image, np.ones((16, 16), bool))
    hole = np.zeros((16, 16), bool)
    hole[4:8, 4:8] = True
    for seed in (-1, "abc", 1.5, True):
        with pytest.raises(InpaintError, match="seed"):
            load_method("telea").inpaint(image, hole, seed=seed)
    with pytest.raises(InpaintError, match="finite"):
        load_method("telea").inpaint(image, hole, radius=float("nan"))
    assert load_method("telea").inpaint(image, hole, seed=None, radius=3.0).image.shape == (16, 16, 3)


def test_working_memory_is_checked_before_allocating(monkeypatch):
    import time

    import pytest

    from inpaint_core import load_method
    from inpaint_core.errors import ResourceLimitError

    image = np.zeros((2048, 2048, 3), np.uint8)
    hole = np.zeros((2048, 2048), bool)
    hole[:, :1024] = True  # a 50% hole: biharmonic's sparse solve would pass 6 GB
    start = time.perf_counter()
    with pytest.raises(ResourceLimitError, match="INPAINT_MAX_MEMORY_MB"):
        load_method("biharmonic").inpaint(image, hole)
    assert time.perf_counter() - start < 5  # refused up front, not after minutes of solving
    assert load_method("telea").inpaint(image, hole).image.shape == image.shape  # a cheap method still runs
    monkeypatch.setenv("INPAINT_MAX_MEMORY_MB", "50")
    with pytest.raises(ResourceLimitError, match="about 0.2 GB"):
        load_method("telea").inpaint(image, hole)
    monkeypatch.setenv("INPAINT_MAX_MEMORY_MB", "lots")
    with pytest.raises(InpaintError, match="INPAINT_MAX_MEMORY_MB='lots' is not a number"):
        load_method("telea").inpaint(image, hole)


@pytest.mark.parametrize("name", ["telea", "navier-stokes"])
def test_classical_fill_of_the_hole_region_equals_the_whole_photo_fill(name):
    """Telea and Navier-Stokes run on the hole's box plus their radius: what they read is all there,
    so the fill is bit-exact the fill of the whole photo (and a large photo costs what its hole needs)."""
    from skimage import data

    from inpaint_core.maskgen import make_mask_generator

    photo = data.astronaut()
    method = load_method(name)
    for seed in range(3):
        mask = make_mask_generator("object:0.02:0.1")(512, 512, np.random.default_rng(seed))
        cropped = method.inpaint(photo, mask, radius=5)
        box = cropped.extras["region"]
        assert (box[2] - box[0]) * (box[3] - box[1]) < 0.5 * mask.size
        method.context = lambda options: None  # the whole photo
        whole = method.inpaint(photo, mask, radius=5)
        del method.context
        assert whole.extras["region"] == (0, 0, 512, 512)
        np.testing.assert_array_equal(cropped.image, whole.image)


def test_object_scale_models_see_the_photo_at_their_training_size(photo, hole):
    m = Recorder(Capabilities(size_multiple=4))
    m.object_size = 32  # e.g. faces centre-cropped and resized to 32 px in training
    result = m.inpaint(photo, hole)
    image, mask = m.seen[0]
    assert image.shape[:2] == (32, 32) and mask.any()  # the 128 px photo at the 32 px scale
    assert result.image.shape == photo.shape
    np.testing.assert_array_equal(result.image[~hole], photo[~hole])
    assert np.all(result.image[hole] == 128) and result.extras["scale"] == 0.25


def test_working_pixel_bound_shrinks_the_region_and_maps_it_back(photo, hole):
    m = Recorder(Capabilities())
    m.max_working_pixels = 64 * 64
    m.context = lambda options: 20
    result = m.inpaint(photo, hole)
    image, _ = m.seen[0]
    assert image.shape[:2] == (50, 45)  # hole box 10x5 + 20 px each side, under the bound: full scale
    assert result.extras["region"] == (30, 50, 80, 95) and result.extras["scale"] == 1.0
    m.context = lambda options: None
    m.seen.clear()
    result = m.inpaint(photo, hole)
    image, _ = m.seen[0]
    assert image.shape[:2] == (64, 64) and result.extras["scale"] == 0.5  # the 128 px photo shrunk to the bound
    np.testing.assert_array_equal(result.image[~hole], photo[~hole])


def test_memory_estimate_follows_the_region():
    big = np.zeros((4000, 6000), bool)
    big[1000:1400, 2000:2600] = True
    telea, mean = load_method("telea"), load_method("mean-colour")
    assert telea.memory_estimate(big) < 0.2 * mean.memory_estimate(big)


def test_shrinking_for_a_model_never_leaks_hole_pixels_nor_grows_the_hole():
    from inpaint_core.pipeline import shrink_around_hole

    rng = np.random.default_rng(0)
    image = rng.random((90, 60, 3)).astype(np.float32)
    mask = np.zeros((90, 60), bool)
    mask[30:33, :] = True  # a 3-row stroke: at 1/3 scale it covers one working row
    mask[60:75, 20:40] = True
    other = np.where(mask[..., None], rng.random(image.shape).astype(np.float32), image)
    small, hole = shrink_around_hole(image, mask, (30, 20))
    again, _ = shrink_around_hole(other, mask, (30, 20))
    np.testing.assert_array_equal(small, again)  # what is under the hole never reaches the model
    assert hole[10].all() and hole.sum() == 20 + 5 * 6 and not hole[9].any() and not hole[11].any()


def test_the_scale_check_compares_one_hole_at_both_sizes():
    """benchmarks/scale_consistency.py: the full-size hole is kept to the centre square the small face
    is cut from, and the small hole is that hole shrunk with the face (any covered pixel is a hole)."""
    from benchmarks.scale_consistency import same_hole

    mask = np.zeros((218, 178), bool)
    mask[5:15, 50:60] = True  # above the centre square: not in the 128 px face
    mask[100:110, 0:20] = True
    full, small = same_hole(mask, 64)
    assert not full[:20].any() and full[100:110, 0:20].all() and full.sum() == 200
    box = np.zeros((64, 64), bool)  # rows 80-89 and columns 0-19 of the square, at 178/64 px a pixel
    box[80 * 64 // 178 : int(90 * 64 / 178) + 1, 0 : int(20 * 64 / 178) + 1] = True
    assert np.array_equal(small, box)
