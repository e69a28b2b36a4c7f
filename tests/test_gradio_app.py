"""The Gradio app: handlers on arrays, the gradio_client API, and a real browser (headless Chromium)."""

import base64
import json
import os
import shutil
import socket
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from benchmarks.app_latency import BROWSER_ARGS, paint
from demos import gradio_app as app
from inpaint_core.choices import method_choices
from inpaint_core.images import save_image


def _editor(image, painted=None):
    layer = np.zeros(image.shape[:2] + (4,), np.uint8)
    if painted is not None:
        layer[painted] = (255, 0, 255, 255)
    return {"background": image, "layers": [layer], "composite": image}


@pytest.fixture
def stroke(photo):
    mask = np.zeros(photo.shape[:2], bool)
    mask[40:50, 20:90] = True
    return mask


def test_choices_come_from_registry_and_zoo():
    labels = [c.label for c in method_choices()]
    assert {"telea", "biharmonic", "navier-stokes"} <= set(labels)
    assert any(label.startswith("mle-normal · ") for label in labels)  # committed zoo checkpoint


def test_a_face_tool_is_not_labelled_a_research_reproduction(tmp_path, monkeypatch):
    """A catalogued face checkpoint marked as a tool is offered for face portraits, ahead of the face
    reproductions; the others keep their research mark."""
    from inpaint_core import zoo

    root, kept = tmp_path / "zoo", ("lama-celeba-176", "pconv-celeba-64")
    for checkpoint in kept:
        shutil.copytree(zoo.zoo_dir() / checkpoint, root / checkpoint)
    entries = [e for e in zoo.load_catalog() if e.id in kept]
    for e in entries:
        e.tool = e.id == "lama-celeba-176"
    zoo.save_catalog(entries, root)
    monkeypatch.setenv("INPAINT_ZOO_DIR", str(root))
    faces = [c for c in method_choices() if c.domain == "faces"]
    assert [c.label for c in faces] == ["lama · lama-celeba-176 — faces", "lama-patchmatch · lama-celeba-176 — faces",
                                        "pconv · pconv-celeba-64 — faces (research)"]
    assert "face portraits" in faces[0].description and "research" not in faces[0].description
    assert "research reproduction" in faces[2].description


def test_the_default_method_is_the_best_available_on_the_photo_leaderboard(tmp_path, monkeypatch):
    choices = method_choices()
    board = tmp_path / "board"
    board.mkdir()
    ranked = ["glcic@no-such-checkpoint", "pconv@pconv-celeba-64", "glcic@glcic-bsds500-64", "telea"]
    (board / "leaderboard.json").write_text(json.dumps({"methods": [{"method": m} for m in ranked]}))
    monkeypatch.setenv("INPAINT_LEADERBOARD_DIR", str(board))
    # the first ranked one that is available and meant for photos (the face model is a research reproduction)
    assert app.default_choice(choices) == "glcic · glcic-bsds500-64"
    monkeypatch.setenv("INPAINT_LEADERBOARD_DIR", str(tmp_path / "none"))
    assert app.default_choice(choices) == "telea"
    (board / "leaderboard.json").write_text("{broken")
    monkeypatch.setenv("INPAINT_LEADERBOARD_DIR", str(board))
    assert app.default_choice(choices) == "telea"  # a damaged leaderboard is logged, not fatal


def test_a_shared_option_takes_each_methods_own_choices_and_default():
    from inpaint_core.methods import get_method_class

    mle, pixelcnn = (app.control_update(get_method_class(m), "mode") for m in ("mle-normal", "pixelcnn-greedy"))
    assert (mle["choices"], mle["value"]) == (["mle", "sample"], "mle")
    assert (pixelcnn["choices"], pixelcnn["value"]) == (["greedy", "median", "mean", "sample"], "greedy")
    assert app.control_update(get_method_class("telea"), "mode") == {"visible": False, "__type__": "update"}


def test_painted_layer_is_the_hole(photo, stroke):
    image, text, gallery, heat = app.run_inpaint(_editor(photo, stroke), None, "telea", 0, 1, radius=3)
    assert image.shape == photo.shape and "telea" in text and gallery == [] and heat is None
    np.testing.assert_array_equal(image[~stroke], photo[~stroke])
    assert not np.array_equal(image[stroke], photo[stroke])


def test_painted_strokes_and_an_uploaded_mask_are_both_filled(tmp_path, photo, stroke):
    other = np.zeros(photo.shape[:2], bool)
    other[5:15, 5:15] = True
    Image.fromarray((other * 255).astype(np.uint8)).save(tmp_path / "m.png")
    image, *_ = app.run_inpaint(_editor(photo, stroke), str(tmp_path / "m.png"), "biharmonic")
    both = other | stroke
    np.testing.assert_array_equal(image[~both], photo[~both])
    assert not np.array_equal(image[other], photo[other]) and not np.array_equal(image[stroke], photo[stroke])


def test_an_uploaded_mask_is_shown_over_the_photo_before_the_fill(tmp_path, photo, monkeypatch):
    import base64

    import cv2

    def overlay(value):
        data = base64.b64decode(value["mask"].split(",", 1)[1])
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)[..., 3] > 0

    hole = np.zeros(photo.shape[:2], np.uint8)
    hole[10:30, 20:60] = 255
    Image.fromarray(hole).save(tmp_path / "m.png")
    value, text = app.show_mask_file(str(tmp_path / "m.png"), photo)
    assert np.array_equal(overlay(value), hole > 0) and "added to it" in text
    Image.fromarray(hole[:20]).save(tmp_path / "short.png")
    value, text = app.show_mask_file(str(tmp_path / "short.png"), photo)
    assert "does not fit" in text and "mask" not in value and "src" in value
    assert "mask" not in app.show_mask_file(None, photo)[0]
    assert "Open a photo first" in app.show_mask_file(str(tmp_path / "m.png"), None)[1]
    monkeypatch.setattr(app, "PREVIEW_SIDE", 400)  # a large photo's mask is shown on its preview
    big = np.asarray(Image.fromarray(photo).resize((1200, 900)))
    Image.fromarray(np.asarray(Image.fromarray(hole).resize((1200, 900), Image.NEAREST))).save(tmp_path / "big.png")
    working = app.working_for(big)
    value, _ = app.show_mask_file(str(tmp_path / "big.png"), working.preview, working)
    shown = overlay(value)
    assert shown.shape == (300, 400) and shown[int(300 * 20 / photo.shape[0]), int(400 * 40 / photo.shape[1])]


def test_an_rgb_photo_comes_back_rgb_and_a_transparent_one_keeps_its_alpha(photo, stroke):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])  # what the RGBA editor hands over
    image, *_ = app.run_inpaint(_editor(rgba, stroke), None, "telea")
    assert image.shape == photo.shape
    rgba[:4, :4, 3] = 0
    image, *_ = app.run_inpaint(_editor(rgba, stroke), None, "telea")
    assert image.shape == rgba.shape and np.array_equal(image[..., 3], rgba[..., 3])


def test_keep_editing_and_undo(photo, stroke):
    first, *_ = app.run_inpaint(_editor(photo, stroke), None, "telea")
    editor, history, working, text = app.keep_editing(first, _editor(photo, stroke), [])
    assert np.array_equal(editor["background"], first) and editor["layers"] == [] and len(history) == 1
    assert working is None  # a photo this small is edited as it is
    second_hole = np.zeros(photo.shape[:2], bool)
    second_hole[90:100, 10:30] = True
    second, *_ = app.run_inpaint({**editor, "layers": _editor(first, second_hole)["layers"]}, None, "telea")
    assert np.array_equal(second[stroke], first[stroke])  # the first fill is kept
    assert not np.array_equal(second[second_hole], photo[second_hole])
    editor, history, _, text = app.keep_editing(second, editor, history)
    assert len(history) == 2 and np.array_equal(editor["background"], second)
    editor, history, _, text = app.undo_fill(history)
    assert np.array_equal(editor["background"], first) and len(history) == 1 and "Undone" in text
    editor, history, _, text = app.undo_fill(history)
    assert np.array_equal(editor["background"], photo) and history == []
    assert app.undo_fill([])[3] == "Nothing to undo."
    assert app.keep_editing(None, _editor(photo, stroke), [])[0] is None  # nothing to keep: no change
    preview = app.mask_preview(*app.editor_inputs(_editor(photo, stroke), None))
    assert np.array_equal(preview[~stroke], photo[~stroke]) and not np.array_equal(preview[stroke], photo[stroke])


def test_a_large_photo_is_edited_as_a_preview_and_filled_at_full_resolution(photo, monkeypatch):
    """The browser gets a preview of a large photo; strokes on it are scaled to the photo, the fill and
    the download have every pixel, and keep editing / undo keep the full photos."""
    monkeypatch.setattr(app, "PREVIEW_SIDE", 400)
    big = np.asarray(Image.fromarray(photo).resize((1200, 900)))  # 1200 x 900: a 400 x 300 preview
    editor, working = app.editor_value(big), app.working_for(big)
    assert editor["background"].shape == (300, 400, 3) and working.photo is big
    painted = np.zeros((300, 400), bool)
    painted[100:120, 150:200] = True
    shown = {**editor, "layers": _editor(editor["background"], painted)["layers"]}
    image, mask = app.editor_inputs(shown, None, working)
    assert image.shape == (900, 1200) and mask[300:360, 450:600].all() and 0.007 < mask.mean() < 0.011
    result, *_ = app.run_inpaint(shown, None, "telea", inputs=(image, mask))
    assert result.shape == big.shape and np.array_equal(result[~mask], big[~mask])
    editor, history, working2, _ = app.keep_editing(result, shown, [], working)
    assert history[0] is big and working2.photo is result and editor["background"].shape == (300, 400, 3)
    editor, history, working3, _ = app.undo_fill(history, working2)
    assert working3.photo is big and editor["background"].shape == (300, 400, 3)
    # another photo shown since: the stored photo is not used for it
    image, _ = app.editor_inputs(_editor(photo, None), None, working)
    assert image.shape == photo.shape[:2]
    assert app.working_for(photo) is None  # a small photo needs no preview


def test_open_photo_sends_the_file_as_it_is_and_previews_a_large_one(photo, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "PREVIEW_SIDE", 400)
    save_image(tmp_path / "big.png", np.asarray(Image.fromarray(photo).resize((1200, 900))))
    editor, working, text = app.open_photo(str(tmp_path / "big.png"))
    assert editor["background"].shape == (300, 400, 3) and working.photo.shape == (900, 1200, 3) and "1200x900" in text
    save_image(tmp_path / "small.png", photo)
    editor, working, text = app.open_photo(str(tmp_path / "small.png"))
    assert np.array_equal(editor["background"], photo) and working is None and "small.png" in text
    (tmp_path / "bad.png").write_bytes(b"not an image")
    assert "Could not open the photo" in app.open_photo(str(tmp_path / "bad.png"))[2]


def test_download_is_named_after_the_method_and_old_downloads_go(photo):
    path = Path(app.download_path(photo, "pconv · pconv-celeba-64 — faces (research)", "beach.jpg"))
    assert path.name == "beach-pconv-pconv-celeba-64.png"
    assert np.array_equal(np.asarray(Image.open(path)), photo)
    again = Path(app.download_path(photo, "pconv · pconv-celeba-64 — faces (research)", "beach.jpg"))
    assert again != path and path.exists()  # a second fill of the photo keeps the first's file
    hour_ago = time.time() - app.KEEP_SECONDS - 1
    os.utime(path.parent, (hour_ago, hour_ago))
    newest = Path(app.download_path(photo, "telea", "beach.jpg"))
    assert not path.parent.exists() and again.exists() and newest.exists()


def test_empty_mask_and_size_mismatch_are_messages(tmp_path, photo):
    image, text, *_ = app.run_inpaint(_editor(photo), None, "telea")
    np.testing.assert_array_equal(image, photo)
    assert "no hole" in text
    Image.fromarray(np.full((10, 10), 255, np.uint8)).save(tmp_path / "small.png")
    image, text, *_ = app.run_inpaint(_editor(photo), str(tmp_path / "small.png"), "telea")
    assert image is None and text.startswith("**Could not inpaint:**") and "10x10" in text
    image, text, *_ = app.run_inpaint(None, None, "telea")
    assert image is None and "Upload or pick a photo" in text


def test_failing_method_does_not_break_the_next_request(photo, stroke, monkeypatch):
    method = app.get_method("telea")
    monkeypatch.setattr(method, "fill", lambda *a, **k: 1 / 0)
    image, text, *_ = app.run_inpaint(_editor(photo, stroke), None, "telea")
    assert image is None and "ZeroDivisionError" in text and "Traceback" not in text
    monkeypatch.undo()
    image, text, *_ = app.run_inpaint(_editor(photo, stroke), None, "telea")
    assert image is not None


def test_stochastic_method_gives_gallery_sorted_by_likelihood(photo):
    label = next(c.label for c in method_choices() if c.method == "mle-normal")
    hole = np.zeros(photo.shape[:2], bool)
    hole[60:70, 60:70] = True
    image, text, gallery, _ = app.run_inpaint(_editor(photo, hole), None, label, 3, 4, mode="sample")
    lls = [float(caption.split("= ")[1]) for _, caption in gallery]
    assert len(gallery) == 4 and lls == sorted(lls, reverse=True)
    assert "Processed the" in text and "32x32" in text  # large photo: the size pipeline's window
    np.testing.assert_array_equal(image[~hole], photo[~hole])


@pytest.mark.parametrize("checkpoint", ["pccnn-celeba-32", "pccnn-mnist-28"])
def test_pixel_constrained_cnn_gives_ranked_samples_and_a_probability_map(photo, checkpoint):
    label = next(c.label for c in method_choices() if c.checkpoint == checkpoint)
    hole = np.zeros(photo.shape[:2], bool)
    hole[60:66, 60:66] = True
    image, text, gallery, heat = app.run_inpaint(_editor(photo, hole), None, label, 3, 3)
    lls = [float(caption.split("= ")[1]) for _, caption in gallery]
    assert len(gallery) == 3 and lls == sorted(lls, reverse=True) and "Log-likelihood" in text
    np.testing.assert_array_equal(image[~hole], photo[~hole])
    side = int(checkpoint.rsplit("-", 1)[1])
    grey = (heat == 128).all(-1)  # visible pixels of the processed window: nothing was sampled there
    assert heat.shape == (side, side, 3) and grey.any() and 0 < (~grey).sum() < side * side / 4


def test_sim_1_appears_once_its_database_exists_and_uses_reference_photos(tmp_path, monkeypatch, photo, stroke):
    monkeypatch.setenv("INPAINT_INDEX_DIR", str(tmp_path / "index"))
    assert not any(c.checkpoint and c.checkpoint.startswith("sim1-") for c in method_choices())  # no database here
    from inpaint_core.checkpoints import META_KEY, read_config
    from inpaint_core.methods.sim_k import with_default_dir
    from inpaint_core.retrieval import INFO
    from inpaint_core.zoo import zoo_dir

    spec = with_default_dir(read_config(zoo_dir() / "sim1-celeba-64")[META_KEY]["database"])
    Path(spec["dir"]).mkdir(parents=True)
    (Path(spec["dir"]) / INFO).write_text("{}")  # built (a stand-in: this test fills with reference photos)
    app._choices_by_label.cache_clear()
    try:
        label = next(c.label for c in method_choices() if c.checkpoint == "sim1-celeba-64")
        assert label.endswith("faces (research)")
        reference = tmp_path / "same-scene.png"
        save_image(reference, photo[:, ::-1])
        image, text, gallery, _ = app.run_inpaint(_editor(photo, stroke), None, label, 0, 1, [str(reference)])
        np.testing.assert_array_equal(image[~stroke], photo[~stroke])
        assert [caption for _, caption in gallery] == ["your reference #1"] and "ms" in text
    finally:
        app._choices_by_label.cache_clear()


def test_compare_runs_each_method(photo, stroke):
    gallery, text = app.run_compare(_editor(photo, stroke), None, ["telea", "biharmonic"], 0)
    assert [caption.split(":")[0] for _, caption in gallery] == ["telea", "biharmonic"]
    for image, _ in gallery:
        np.testing.assert_array_equal(image[~stroke], photo[~stroke])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_app():
    demo = app.build_app()
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_gradio_client_api(served_app, tmp_path, photo, stroke):
    from gradio_client import Client, handle_file

    save_image(tmp_path / "in.png", photo)
    Image.fromarray((stroke * 255).astype(np.uint8)).save(tmp_path / "m.png")
    client = Client(served_app, verbose=False)
    out = client.predict(handle_file(str(tmp_path / "in.png")), handle_file(str(tmp_path / "m.png")), "telea", 0,
                         api_name="/inpaint")
    result = np.asarray(Image.open(out))
    np.testing.assert_array_equal(result[~stroke], photo[~stroke])
    assert not np.array_equal(result[stroke], photo[stroke])
    # errors reach the API caller with the library's own message, not "verbose error reporting"
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(tmp_path / "small.png")
    with pytest.raises(Exception, match="paint or export the mask at the image's size"):
        client.predict(handle_file(str(tmp_path / "in.png")), handle_file(str(tmp_path / "small.png")), "telea", 0,
                       api_name="/inpaint")
    with pytest.raises(Exception, match="Unknown method 'no-such-method'"):
        client.predict(handle_file(str(tmp_path / "in.png")), handle_file(str(tmp_path / "m.png")), "no-such-method",
                       0, api_name="/inpaint")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _inpaint(page, calls: list, stroke: tuple[float, float, int], timeout: float = 120,
             besides: np.ndarray | None = None) -> dict:
    """Paint ``stroke`` (dx, dy, length), press Inpaint and wait until the server handled it and the page
    shows the result. A stroke drawn while the canvas was still loading its new photo is lost; then
    the hole is empty (or only ``besides``, an uploaded mask), and the stroke is drawn again (at most
    twice)."""
    import time as _time

    for _ in range(3):
        paint(page, *stroke)
        before = len(calls)
        page.locator("#run").click(no_wait_after=True)
        deadline = _time.monotonic() + timeout
        while len(calls) == before or not any(w in page.locator("#status").inner_text() for w in ("ms.", "no hole")):
            assert _time.monotonic() < deadline, "no result within the timeout"
            page.wait_for_timeout(200)
        painted = calls[-1]["mask"] if besides is None else calls[-1]["mask"] & ~besides
        if painted.any():
            page.wait_for_timeout(500)
            return calls[-1]
        page.wait_for_timeout(2000)
    raise AssertionError("the brush stroke never reached the server")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("INPAINT_REQUIRE_BROWSER"),
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_photo_editing_session_in_headless_chromium(served_app, monkeypatch, tmp_path):
    """Paint, inpaint, keep editing, inpaint again, undo, before/after, painted + uploaded mask, and a
    large photo's round trip to a full-resolution download, as a person does it in a browser."""
    from playwright.sync_api import sync_playwright

    calls: list[dict] = []
    real_inputs, real_run = app.editor_inputs, app.run_inpaint

    def recording_run(editor, mask_file, label, *args, **kwargs):
        image, mask = kwargs.get("inputs") or real_inputs(editor, mask_file)  # what the page's handler decoded
        out = real_run(editor, mask_file, label, *args, **kwargs)
        calls.append({"image": image.rgb.copy(), "mask": mask.copy(), "label": label, "result": out[0]})
        return out

    monkeypatch.setattr(app, "run_inpaint", recording_run)
    shots = Path(os.environ.get("INPAINT_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
        page.goto(served_app, wait_until="load", timeout=120000)
        page.wait_for_selector(".gallery-item", timeout=120000)
        page.locator(".gallery-item").first.click()  # the astronaut example
        page.wait_for_timeout(1500)
        first = _inpaint(page, calls, (-60, -20, 20))
        assert app.default_choice(method_choices()) in page.locator("#status").inner_text()
        assert 0.001 < first["mask"].mean() < 0.2  # the stroke, not the whole canvas
        changed = np.any(first["result"] != first["image"], axis=2)
        assert changed.any() and not (changed & ~first["mask"]).any()  # only inside the stroke
        assert page.locator("#result img").count() == 2  # before (hole tinted) and after
        assert "circle" in page.locator("#painter canvas").evaluate("c => decodeURIComponent(c.style.cursor)")
        page.get_by_text("Compare methods").click()  # the same strokes, several methods side by side
        page.get_by_role("button", name="Compare", exact=True).click()
        page.wait_for_function("document.body.innerText.includes('2 methods on the same image and mask')",
                               timeout=120000)
        page.get_by_text("Compare methods").click()  # folded again for the screenshot

        page.locator("#keep").click()  # the result becomes the photo, the strokes are cleared
        page.wait_for_timeout(1500)
        strokes = page.locator("#strokes textarea")
        for button in ("undo-stroke", "clear-strokes", "Control+z"):  # the painter's own buttons keep the photo
            paint(page, 30, 30, 10)
            page.wait_for_function("document.querySelector('#strokes textarea').value.includes('radius')")
            if "+" in button:
                page.keyboard.press(button)
            else:
                page.locator(f"#painter .{button}").click()
            assert json.loads(strokes.input_value())["strokes"] == []
        before = len(calls)
        page.locator("#run").click()
        page.wait_for_function("document.querySelector('#status').innerText.includes('no hole')", timeout=60000)
        assert len(calls) == before + 1 and not calls[-1]["mask"].any()
        second = _inpaint(page, calls, (-40, 60, 12))
        np.testing.assert_array_equal(second["image"], first["result"])
        assert not (second["mask"] & first["mask"]).all() and second["mask"].any()
        page.screenshot(path=str(shots / "gradio_app.png"), full_page=True)

        page.locator("#undo").click()  # back to the photo before the kept fill
        page.wait_for_timeout(1500)
        mask_file = np.zeros(first["image"].shape[:2], np.uint8)
        mask_file[10:40, 10:60] = 255
        Image.fromarray(mask_file).save(tmp_path / "extra-mask.png")
        page.locator("#mask-file input[type=file]").set_input_files(str(tmp_path / "extra-mask.png"))
        page.wait_for_selector("#painter img.uploaded:not([hidden])", timeout=60000)  # shown over the photo
        third = _inpaint(page, calls, (0, 0, 8), besides=mask_file > 0)
        np.testing.assert_array_equal(third["image"], first["image"])
        assert third["mask"][10:40, 10:60].all() and (third["mask"] & ~(mask_file > 0)).any()  # the file and the stroke

        big = np.asarray(Image.fromarray(first["image"]).resize((3000, 2000)))  # a large photo, uploaded
        save_image(tmp_path / "large.png", big)
        page.locator("#mask-file button[aria-label='Clear']").first.click()
        page.wait_for_selector("#painter img.uploaded[hidden]", state="attached", timeout=60000)  # removed from view
        page.locator("#open-photo").locator("xpath=preceding-sibling::input[@type='file'][1]").set_input_files(
            str(tmp_path / "large.png"))
        page.wait_for_function("document.querySelector('#status').innerText.includes('preview')", timeout=120000)
        page.locator("#method input").fill("telea")
        page.keyboard.press("Enter")
        page.wait_for_timeout(500)
        large = _inpaint(page, calls, (-30, 0, 20))
        assert large["image"].shape == (2000, 3000, 3) and large["label"] == "telea"
        with page.expect_download(timeout=180000) as download:
            page.locator("#download").click(timeout=180000, no_wait_after=True)
        download.value.save_as(tmp_path / "download.png")
        name = download.value.suggested_filename
        # a photo dropped onto the painter goes through the Open photo button's upload
        page.locator("#painter .stage").evaluate("""(stage, b64) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0)), data = new DataTransfer();
            data.items.add(new File([bytes], 'dropped.png', {type: 'image/png'}));
            stage.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
        }""", base64.b64encode(cv2.imencode(".png", first["image"][::4, ::4, ::-1])[1].tobytes()).decode())
        page.wait_for_function("document.querySelector('#status').innerText.includes('Opened dropped.png')",
                               timeout=60000)
        browser.close()
    saved = np.asarray(Image.open(tmp_path / "download.png"))
    assert name == "large-telea.png"  # named after the photo and the method
    assert saved.shape == (2000, 3000, 3)  # full resolution, RGB stays RGB
    changed = np.any(saved != big, axis=2)
    assert changed.any() and not (changed & ~large["mask"]).any()


def test_lanes_keep_fast_fills_apart_and_bound_waiting():
    import threading
    import time as _time

    from inpaint_core.errors import ResourceLimitError

    heavy = app.Lane("heavy", workers=1, waiting=1, wait_seconds=0.3)
    fast = app.Lane("fast", workers=1, waiting=4, wait_seconds=5)
    held, release = threading.Event(), threading.Event()

    def slow_job():
        with heavy.slot():
            held.set()
            release.wait(5)

    worker = threading.Thread(target=slow_job)
    worker.start()
    held.wait(5)
    start = _time.perf_counter()
    with fast.slot():  # a fast fill does not wait behind the heavy one
        pass
    assert _time.perf_counter() - start < 0.1
    with pytest.raises(ResourceLimitError, match="within 0 s|within"):  # waited past the deadline
        with heavy.slot():
            pass
    heavy.wait_seconds = 5
    def waiter():
        with heavy.slot():  # gets the slot once the slow job ends
            pass

    blocker = threading.Thread(target=waiter)
    blocker.start()
    while heavy.waiting < 1:
        _time.sleep(0.01)
    with pytest.raises(ResourceLimitError, match="busy \\(1 heavy fills waiting\\)"):  # the waiting room is full
        with heavy.slot():
            pass
    release.set()
    worker.join()
    blocker.join()
    with heavy.slot():  # free again
        pass
    assert app.lane(app.get_method("telea")) is app.LANES["fast"]
    assert app.lane(app.get_method("biharmonic")) is app.LANES["heavy"]


def test_api_result_files_do_not_pile_up(tmp_path, monkeypatch, photo, stroke):
    import os as _os
    import time as _time

    from gradio.data_classes import FileData

    save_image(tmp_path / "in.png", photo)
    Image.fromarray((stroke * 255).astype(np.uint8)).save(tmp_path / "m.png")
    first = Path(app.api_inpaint(FileData(path=str(tmp_path / "in.png")), FileData(path=str(tmp_path / "m.png"))).path)
    old = _time.time() - app.API_FILE_SECONDS - 1
    _os.utime(first, (old, old))
    second = Path(app.api_inpaint(FileData(path=str(tmp_path / "in.png")), FileData(path=str(tmp_path / "m.png"))).path)
    assert second.exists() and not first.exists() and first.parent == second.parent
