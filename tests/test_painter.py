"""The app's mask painter: strokes drawn by the server from the browser's JSON, the photo it shows."""

import base64
import json

import cv2
import numpy as np
import pytest

from demos import gradio_app as app
from demos.painter import MAX_POINTS, painter_value, strokes_mask
from inpaint_core import InpaintError


def _strokes(*strokes, width=100, height=100):
    return json.dumps({"width": width, "height": height,
                       "strokes": [{"radius": r, "points": pts} for r, pts in strokes]})


def test_a_stroke_is_a_band_of_its_radius_with_round_ends():
    mask = strokes_mask(_strokes((5, [[10, 20], [60, 20]])), (100, 100))
    assert mask[20, 10:61].all() and mask[15:26, 35].all() and not mask[27, 35] and not mask[13, 35]
    assert 500 + 0.8 * np.pi * 25 < mask.sum() < 500 + 1.3 * np.pi * 25 + 120  # a 50x10 band and two half discs
    assert not mask[:, 67:].any() and not mask[:, :3].any()


def test_strokes_are_scaled_from_the_canvas_they_were_painted_on():
    """A stroke painted on a 100x50 preview covers the same part of a 400x200 photo, 4x as thick."""
    small = strokes_mask(_strokes((2, [[20, 10], [80, 40]]), width=100, height=50), (50, 100))
    large = strokes_mask(_strokes((2, [[20, 10], [80, 40]]), width=100, height=50), (200, 400))
    assert large[40, 80] and large[160, 320] and 12 < large.sum() / small.sum() < 18
    down = cv2.resize(large.astype(np.uint8), (100, 50), interpolation=cv2.INTER_AREA) > 0
    assert (down & small).sum() / small.sum() > 0.85


def test_a_click_is_a_dot_and_no_strokes_are_no_hole():
    dot = strokes_mask(_strokes((4, [[50, 50]])), (100, 100))
    assert dot[50, 50] and 30 < dot.sum() < 70
    assert not strokes_mask(None, (10, 10)).any() and not strokes_mask(_strokes(), (10, 10)).any()


@pytest.mark.parametrize("text, problem", [("{not json", "could not be read"),
                                           ('{"width": 0, "height": 10, "strokes": []}', "no size"),
                                           ('{"width": NaN, "height": 10, "strokes": []}', "no size"),
                                           ("[" * 100_000, "could not be read"),
                                           ('{"width": 10, "height": 10, "strokes": [{"points": [[1, 2]]}]}', "radius"),
                                           ('{"width": 10, "height": 10, "strokes": [{"radius": 1, "points": [[1, 2, 3]]}]}',
                                            "could not be read")])
def test_unreadable_strokes_are_an_error_that_says_what_to_do(text, problem):
    with pytest.raises(InpaintError, match=problem) as info:
        strokes_mask(text, (10, 10))
    assert "paint again" in str(info.value)


def test_too_many_points_are_refused_not_drawn():
    with pytest.raises(InpaintError, match=f"more than {MAX_POINTS}"):
        strokes_mask(_strokes((1, [[1, 1]] * (MAX_POINTS + 1))), (10, 10))


def _decode(value):
    header, data = value["src"].split(",", 1)
    arr = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_UNCHANGED)
    return header, arr


def test_the_painter_shows_a_photo_as_jpeg_and_a_transparent_one_as_png(photo):
    header, shown = _decode(painter_value(photo))
    assert header == "data:image/jpeg;base64" and shown.shape == photo.shape
    assert np.abs(shown[..., ::-1].astype(int) - photo).mean() < 3  # only seen: JPEG's small error
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:5, :5, 3] = 0
    header, shown = _decode(painter_value(rgba))
    assert header == "data:image/png;base64" and np.array_equal(cv2.cvtColor(shown, cv2.COLOR_BGRA2RGBA), rgba)
    assert painter_value(None) == {"src": ""}


def test_the_painted_strokes_are_the_hole_the_app_fills(photo):
    strokes = _strokes((3, [[20, 45], [90, 45]]), width=photo.shape[1], height=photo.shape[0])
    editor = app.editor_of(photo, strokes)
    image, mask = app.editor_inputs(editor, None)
    assert np.array_equal(mask, strokes_mask(strokes, photo.shape[:2])) and mask[45, 20:91].all()
    result, text, *_ = app.run_inpaint(editor, None, "telea")
    assert np.array_equal(result[~mask], photo[~mask]) and not np.array_equal(result[mask], photo[mask])
    assert app.editor_of(None, strokes) is None
