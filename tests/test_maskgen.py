import json
import tarfile

import numpy as np
import pytest
from PIL import Image

from inpaint_core import maskgen
from inpaint_core.errors import MaskError
from inpaint_core.masks import hole_ratio


def test_centre_square_is_8x8_at_32():
    mask = maskgen.centre_mask(32, 32)
    assert mask.sum() == 64 and mask[12:20, 12:20].all()
    assert maskgen.centre_mask(64, 64).sum() == 256
    assert maskgen.make_mask_generator("centre8")(64, 64, None).sum() == 64


GENERATORS = {
    "rect": (maskgen.RandomRectangles(), (25 / 1024, 144 / 1024)),
    "blobs": (maskgen.RandomBlobs(), (1 / 1024, 0.7)),
    "strokes": (maskgen.FreeFormStrokes(), (0.001, 0.8)),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_generators_shape_range_and_determinism(name):
    gen, (lo, hi) = GENERATORS[name]
    ratios = []
    for seed in range(30):
        a = gen(32, 32, np.random.default_rng(seed))
        b = gen(32, 32, np.random.default_rng(seed))
        assert a.shape == (32, 32) and a.dtype == bool
        np.testing.assert_array_equal(a, b)
        ratios.append(hole_ratio(a))
    assert lo <= min(ratios) and max(ratios) <= hi
    assert len(set(ratios)) > 5  # different seeds give different masks
    wide = gen(48, 80, np.random.default_rng(0))
    assert wide.shape == (48, 80)


def test_rectangles_follow_glcic_sides_and_scale():
    for seed in range(50):
        m = maskgen.RandomRectangles()(32, 32, np.random.default_rng(seed))
        rows, cols = np.flatnonzero(m.any(1)), np.flatnonzero(m.any(0))
        assert 5 <= len(rows) <= 12 and 5 <= len(cols) <= 12 and m.sum() == len(rows) * len(cols)
    big = maskgen.RandomRectangles()(256, 256, np.random.default_rng(0))
    assert 40 ** 2 <= big.sum() <= 96 ** 2


def test_blobs_are_grown_from_seeds():
    m = maskgen.RandomBlobs(max_num_blobs=1, iter_min=0, iter_max=0)(32, 32, np.random.default_rng(3))
    assert m.sum() == 1  # no expansion: only the seed pixel


def _ndjson(path, n=5):
    lines = []
    for i in range(n):
        stroke = [[0, 50 + i, 100, 150], [0, 80, 20 * i, 200], [0, 1, 2, 3]]
        lines.append(json.dumps({"word": "cat", "drawing": [stroke, [[10, 40], [200, 220]]]}))
    path.write_text("\n".join(lines))
    return path


def test_quickdraw_from_folder_and_archive(tmp_path):
    folder = tmp_path / "sketches"
    folder.mkdir()
    _ndjson(folder / "cat.ndjson")
    with tarfile.open(tmp_path / "s.tar.gz", "w:gz") as tf:
        tf.add(folder, arcname="sketches")
    for src in (folder, tmp_path / "s.tar.gz"):
        gen = maskgen.make_mask_generator(f"quickdraw:{src}")
        masks = [gen(64, 64, np.random.default_rng(s)) for s in range(10)]
        assert all(m.shape == (64, 64) and m.any() for m in masks)
        np.testing.assert_array_equal(masks[0], gen(64, 64, np.random.default_rng(0)))
    denser = maskgen.make_mask_generator(f"quickdraw:{folder}:12")  # N(12, 6) strokes instead of N(4, 2)
    assert np.mean([hole_ratio(denser(64, 64, np.random.default_rng(s))) for s in range(10)]) > np.mean(
        [hole_ratio(m) for m in masks])
    ranged = maskgen.make_mask_generator(f"quickdraw:{folder}", ratio=(0.05, 0.3))
    for s in range(10):
        assert 0.05 <= hole_ratio(ranged(64, 64, np.random.default_rng(s))) <= 0.3
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MaskError, match="No Quick, Draw!"):
        maskgen.QuickDrawStrokes(empty)


def test_mask_files_from_folder_resized(tmp_path):
    arr = np.zeros((512, 512), np.uint8)
    arr[:256] = 255
    Image.fromarray(arr).save(tmp_path / "00001.png")
    gen = maskgen.make_mask_generator(f"files:{tmp_path}")
    m = gen(32, 32, np.random.default_rng(0))
    assert m.shape == (32, 32) and hole_ratio(m) == pytest.approx(0.5)


def test_mixture_draws_each_family():
    gen = maskgen.make_mask_generator("centre8+rect")
    masks = [gen(32, 32, np.random.default_rng(i)) for i in range(40)]
    centre = maskgen.centre_mask(32, 32, 8)
    n_centre = sum(np.array_equal(m, centre) for m in masks)
    assert 5 < n_centre < 35  # both families are drawn
    assert all(m.any() for m in masks)


def test_bad_spec_and_impossible_ratio():
    with pytest.raises(MaskError, match="Unknown mask family"):
        maskgen.make_mask_generator("triangles")
    with pytest.raises(MaskError, match="widen the range"):
        maskgen.make_mask_generator("centre", ratio=(0.5, 0.6))(32, 32, np.random.default_rng(0))


def test_top_band_hides_the_top_rows_only():
    mask = maskgen.make_mask_generator("top")(32, 28, np.random.default_rng(0))
    assert mask[:24].all() and not mask[24:].any()
    assert maskgen.make_mask_generator("top:0.5")(10, 10, np.random.default_rng(0)).sum() == 50
    for bad in ("top:x", "top:1.5"):
        with pytest.raises(MaskError, match="top"):
            maskgen.make_mask_generator(bad)


def test_bigger_blobs_from_the_spec():
    ratio = lambda spec: np.mean([maskgen.make_mask_generator(spec)(32, 32, np.random.default_rng(i)).mean()  # noqa: E731
                                  for i in range(200)])
    assert ratio("blobs:8:12") > 2 * ratio("blobs")
    with pytest.raises(MaskError, match="whole numbers"):
        maskgen.make_mask_generator("blobs:many")


def test_object_blob_is_one_connected_region_in_its_hole_range():
    import cv2

    gen = maskgen.make_mask_generator("object")
    for i, (h, w) in enumerate([(321, 481), (481, 321), (64, 64), (100, 300)] * 10):
        mask = gen(h, w, np.random.default_rng([0, i]))
        assert 0.09 <= mask.mean() <= 0.41, (h, w, mask.mean())  # 10-40%, within the 1% tolerance
        assert cv2.connectedComponents(mask.astype(np.uint8))[0] == 2  # background + one blob
    assert np.array_equal(gen(50, 70, np.random.default_rng(3)), gen(50, 70, np.random.default_rng(3)))
    small = maskgen.make_mask_generator("object:0.02:0.05")
    assert all(0.015 <= small(80, 80, np.random.default_rng(i)).mean() <= 0.055 for i in range(20))
    for bad in ("object:big", "object:0.5:0.2", "object:0.1"):
        with pytest.raises(MaskError, match="object"):
            maskgen.make_mask_generator(bad)
