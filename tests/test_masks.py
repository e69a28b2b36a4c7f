import numpy as np
import pytest
from PIL import Image

from inpaint_core.errors import MaskError
from inpaint_core.masks import BUCKET_LABELS, bounding_box, hole_bucket, hole_ratio, load_mask


def test_mask_from_file_white_is_hole(tmp_path):
    arr = np.zeros((8, 10), np.uint8)
    arr[2:4, 3:7] = 255
    Image.fromarray(arr).save(tmp_path / "m.png")
    mask = load_mask(tmp_path / "m.png", shape=(8, 10))
    assert mask.dtype == bool and mask.sum() == 8 and mask[2, 3] and not mask[0, 0]


def test_mask_from_painted_rgba_layer_uses_alpha():
    layer = np.zeros((6, 6, 4), np.uint8)
    layer[1:3, 1:3] = (255, 0, 0, 255)  # a red brush stroke on a transparent canvas
    assert load_mask(layer).sum() == 4
    opaque = np.zeros((6, 6, 4), np.uint8)
    opaque[..., 3] = 255
    opaque[0, 0, :3] = 255  # a flat RGBA mask file: white = hole
    assert load_mask(opaque).sum() == 1


def test_size_mismatch_names_both_sizes():
    with pytest.raises(MaskError, match=r"mask is 5x4.*image is 6x4"):
        load_mask(np.ones((4, 5), bool), shape=(4, 6))


def test_ratio_buckets_and_bbox():
    assert BUCKET_LABELS[0] == "[0.01,0.1]" and BUCKET_LABELS[-1] == "(0.5,0.6]" and len(BUCKET_LABELS) == 6
    assert hole_bucket(0.01) == "[0.01,0.1]" and hole_bucket(0.1) == "[0.01,0.1]"
    assert hole_bucket(0.1000001) == "(0.1,0.2]" and hole_bucket(0.6) == "(0.5,0.6]"
    assert hole_bucket(0.005) is None and hole_bucket(0.7) is None
    m = np.zeros((10, 10), bool)
    m[2:5, 3:9] = True
    assert hole_ratio(m) == pytest.approx(0.18)
    assert bounding_box(m) == (2, 3, 5, 9) and bounding_box(np.zeros((3, 3), bool)) is None
