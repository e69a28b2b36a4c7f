import gzip
import tarfile
import zipfile

import numpy as np
import pytest

from inpaint_core import datasets
from inpaint_core.errors import DatasetError

from .helpers import make_images


def test_folder_tar_and_zip_agree(tmp_path):
    folder = make_images(tmp_path / "imgs")
    with tarfile.open(tmp_path / "imgs.tar.gz", "w:gz") as tf:
        tf.add(folder, arcname="train")
    with zipfile.ZipFile(tmp_path / "imgs.zip", "w") as zf:
        for p in sorted(folder.rglob("*.png")):
            zf.write(p, f"train/{p.relative_to(folder)}")
    sets = [datasets.open_images(p) for p in (folder, tmp_path / "imgs.tar.gz", tmp_path / "imgs.zip")]
    for s in sets:
        assert len(s) == 8 and s.classes[-2:] in (["a", "b"], ["train/a", "train/b"])
        assert s.labels == [0] * 4 + [1] * 4
        np.testing.assert_array_equal(s[5], sets[0][5])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="No images"):
        datasets.open_images(tmp_path / "empty")
    with pytest.raises(DatasetError, match="No file or folder"):
        datasets.open_images(tmp_path / "nope")


def test_split_is_deterministic_per_class(tmp_path):
    s = datasets.open_images(make_images(tmp_path, n_per_class=10))
    train, val = datasets.train_val_split(s.names, s.labels, 0.2)
    assert len(val) == 4 and set(train).isdisjoint(val) and len(train) + len(val) == 20
    assert [s.names[i] for i in val] == ["a/0008.png", "a/0009.png", "b/0008.png", "b/0009.png"]
    assert len(datasets.load_split(tmp_path, "val", size=8, val_fraction=0.2)) == 4
    assert datasets.load_split(tmp_path, "val", size=8)[0].shape == (8, 8, 3)


def test_own_val_folder_is_the_validation_split_and_crops_keep_pixel_scale(tmp_path):
    make_images(tmp_path / "images", n_per_class=3, size=32, classes=("train", "val", "test"))  # BSDS500 layout
    val = datasets.load_split(tmp_path, "val")
    train = datasets.load_split(tmp_path, "train")
    assert val.names == [f"images/val/{i:04d}.png" for i in range(3)] and len(train) == 6
    assert datasets.describe_split(val) == "the data set's own val folder"
    crops = datasets.load_split(tmp_path, "val", size=8, crops=4)
    assert len(crops) == 12 and crops.names[5] == "images/val/0001.png#1"
    full = val[1]
    found = [any(np.array_equal(crops[k], full[t : t + 8, l : l + 8]) for t in range(25) for l in range(25))
             for k in range(4, 8)]
    assert all(found)  # crops are cut at full resolution, not resized
    assert np.array_equal(crops[5], datasets.load_split(tmp_path, "val", size=8, crops=4)[5])  # seeded


def test_mnist_idx(tmp_path):
    digits = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    header = bytes([0, 0, 0x08, 3]) + b"".join(int(d).to_bytes(4, "big") for d in digits.shape)
    (tmp_path / "imgs-idx3-ubyte.gz").write_bytes(gzip.compress(header + digits.tobytes()))
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "imgs-idx3-ubyte.gz"), digits)
    (tmp_path / "bad").write_bytes(header + digits.tobytes()[:10])
    with pytest.raises(DatasetError, match="truncated"):
        datasets.read_idx(tmp_path / "bad")


def test_mnist_file_opens_as_rgb_digits_with_a_fixed_holdout(tmp_path):
    digits = np.random.default_rng(0).integers(0, 256, (10, 28, 28), dtype=np.uint8)
    labels = np.arange(10, dtype=np.uint8) % 3
    for name, array, kind in (("t10k-images-idx3-ubyte.gz", digits, 3), ("t10k-labels-idx1-ubyte.gz", labels, 1)):
        header = bytes([0, 0, 0x08, kind]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
        (tmp_path / name).write_bytes(gzip.compress(header + array.tobytes()))
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    images = datasets.open_images(path)
    assert len(images) == 10 and images.labels == labels.tolist() and images.classes == ["0", "1", "2"]
    np.testing.assert_array_equal(images[4], np.repeat(digits[4][..., None], 3, axis=-1))
    assert datasets.split_indices(images) == (list(range(8)), [8, 9])
    val = datasets.load_split(path, "val")
    np.testing.assert_array_equal(val.to_array()[:, :, :, 0], digits[8:])
    assert "last 2 of 10" in datasets.describe_split(images)


def test_crops_and_bundled(rng):
    img = np.zeros((218, 178, 3), np.uint8)
    img[20:198] = 255  # the centre square is white
    face = datasets.centre_crop_resize(img, 32)
    assert face.shape == (32, 32, 3) and face.min() == 255
    crop = datasets.random_crop(img, 50, rng)
    assert crop.shape == (50, 50, 3)
    bundled = datasets.bundled_images(64)
    assert len(bundled) >= 6 and bundled.names[0] == "astronaut" and bundled[0].shape == (64, 64, 3)


def test_cached_array_round_trip(tmp_path):
    make_images(tmp_path / "d")
    a = datasets.cached_array(tmp_path / "d", "all", 8, cache_dir=tmp_path / "cache")
    b = datasets.cached_array(tmp_path / "d", "all", 8, cache_dir=tmp_path / "cache")
    assert a.shape == (8, 8, 8, 3) and len(list((tmp_path / "cache").glob("*.npy"))) == 1
    np.testing.assert_array_equal(a, b)
