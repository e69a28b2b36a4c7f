import io

import numpy as np
import pytest
from PIL import Image

from inpaint_core.errors import ImageReadError, ImageTooLargeError
from inpaint_core.images import load_image, save_image, to_float, to_uint8


@pytest.mark.parametrize("fmt,lossless", [("PNG", True), ("BMP", True), ("TIFF", True), ("WEBP", False), ("JPEG", False)])
def test_formats_round_trip(tmp_path, photo, fmt, lossless):
    path = tmp_path / f"img.{fmt.lower()}"
    Image.fromarray(photo).save(path, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    img = load_image(path)
    assert img.rgb.dtype == np.uint8 and img.rgb.shape == photo.shape and img.alpha is None
    if lossless or fmt == "WEBP":
        np.testing.assert_array_equal(img.rgb, photo)
    else:
        assert np.abs(img.rgb.astype(int) - photo).mean() < 4


def test_sixteen_bit_gray_is_scaled_not_clipped(tmp_path):
    arr = np.array([[0, 257 * 100, 65535]], dtype=np.uint16)
    Image.fromarray(arr).save(tmp_path / "g16.png")
    img = load_image(tmp_path / "g16.png")
    assert img.rgb.shape == (1, 3, 3)
    np.testing.assert_array_equal(img.rgb[0, :, 0], [0, 100, 255])


def test_palette_grayscale_and_rgba(tmp_path, photo):
    Image.fromarray(photo).convert("P").save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").rgb.shape == photo.shape
    Image.fromarray(photo[..., 0]).save(tmp_path / "l.png")
    gray = load_image(tmp_path / "l.png").rgb
    np.testing.assert_array_equal(gray[..., 1], photo[..., 0])
    alpha = np.tile(np.arange(photo.shape[1], dtype=np.uint8), (photo.shape[0], 1))
    Image.fromarray(np.dstack([photo, alpha])).save(tmp_path / "a.png")
    rgba = load_image(tmp_path / "a.png")
    np.testing.assert_array_equal(rgba.alpha, alpha)
    assert rgba.with_rgb(rgba.rgb).shape == photo.shape[:2] + (4,)


def test_exif_orientation_is_applied(tmp_path):
    arr = np.zeros((10, 20, 3), np.uint8)
    arr[:, :5] = 255  # white stripe on the left
    img = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    img.save(tmp_path / "r.jpg", exif=exif, quality=95)
    out = load_image(tmp_path / "r.jpg").rgb
    assert out.shape == (20, 10, 3)
    assert out[:5].mean() > 200 and out[-5:].mean() < 50  # stripe now on top


def test_truncated_and_garbage_files_raise_clear_errors(tmp_path, photo):
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, format="PNG")
    (tmp_path / "cut.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageReadError, match="damaged or truncated"):
        load_image(tmp_path / "cut.png")
    (tmp_path / "x.png").write_bytes(b"not an image")
    with pytest.raises(ImageReadError, match="Cannot read"):
        load_image(tmp_path / "x.png")
    with pytest.raises(ImageReadError, match="No image file"):
        load_image(tmp_path / "missing.png")


def test_pixel_limit(tmp_path, photo, monkeypatch):
    save_image(tmp_path / "p.png", photo)
    with pytest.raises(ImageTooLargeError, match="INPAINT_MAX_PIXELS"):
        load_image(tmp_path / "p.png", max_pixels=100)
    monkeypatch.setenv("INPAINT_MAX_PIXELS", "100")
    with pytest.raises(ImageTooLargeError):
        load_image(photo)


def test_arrays_and_float_conversion(photo):
    f = to_float(photo)
    assert f.dtype == np.float32 and f.max() <= 1.0
    np.testing.assert_array_equal(to_uint8(f), photo)
    np.testing.assert_array_equal(load_image(f).rgb, photo)
    np.testing.assert_array_equal(load_image(photo.astype(np.uint16) * 257).rgb, photo)
    with pytest.raises(ImageReadError, match=r"\[0, 1\]"):
        load_image(f * 2)
    with pytest.raises(ImageReadError):
        load_image(np.zeros((4, 4), bool))


def test_decompression_bomb_is_a_size_error_not_a_traceback(tmp_path):
    from PIL import Image

    from inpaint_core.errors import ImageTooLargeError

    Image.new("1", (30000, 30000)).save(tmp_path / "bomb.png")  # about 110 KB on disk, 900 Mpx declared
    with pytest.raises(ImageTooLargeError, match="INPAINT_MAX_PIXELS"):
        load_image(tmp_path / "bomb.png")


def test_one_bit_mask_decodes_to_zero_one_booleans_and_fills(tmp_path):
    from PIL import Image

    from inpaint_core import load_mask, load_method

    hole = np.zeros((40, 40), bool)
    hole[10:20, 5:30] = True
    Image.fromarray(hole).save(tmp_path / "m.png")  # mode "1": its bools carry the byte 255
    mask = load_mask(tmp_path / "m.png")
    assert mask.view(np.uint8).max() == 1 and np.array_equal(mask, hole)
    image = np.random.default_rng(0).integers(0, 256, (40, 40, 3)).astype(np.uint8)
    for _ in range(5):  # failed 29 of 30 times in one process before
        out = load_method("biharmonic").inpaint(image, tmp_path / "m.png").image
        assert np.array_equal(out[~hole], image[~hole])
