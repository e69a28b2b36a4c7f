"""The Gradio app: handlers on arrays, the gradio_client API, and a real browser (headless Chromium)."""

import json
import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from demos import gradio_app as app
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
    labels = [c.label for c in app.available_choices()]
    assert {"telea", "biharmonic", "navier-stokes"} <= set(labels)
    assert any(label.startswith("mle-normal · ") for label in labels)  # committed zoo checkpoint


def test_the_default_method_is_the_best_available_on_the_photo_leaderboard(tmp_path, monkeypatch):
    choices = app.available_choices()
    board = tmp_path / "board"
    board.mkdir()
    ranked = ["glcic@no-such-checkpoint", "pconv@pconv-celeba-64", "telea"]
    (board / "leaderboard.json").write_text(json.dumps({"methods": [{"method": m} for m in ranked]}))
    monkeypatch.setenv("INPAINT_LEADERBOARD_DIR", str(board))
    assert app.default_choice(choices) == "pconv · pconv-celeba-64"  # the first ranked one that is available
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


def test_uploaded_mask_file_wins_over_layers(tmp_path, photo, stroke):
    other = np.zeros(photo.shape[:2], bool)
    other[5:15, 5:15] = True
    Image.fromarray((other * 255).astype(np.uint8)).save(tmp_path / "m.png")
    image, *_ = app.run_inpaint(_editor(photo, stroke), str(tmp_path / "m.png"), "biharmonic")
    np.testing.assert_array_equal(image[~other], photo[~other])
    assert not np.array_equal(image[other], photo[other])


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
    label = next(c.label for c in app.available_choices() if c.method == "mle-normal")
    hole = np.zeros(photo.shape[:2], bool)
    hole[60:70, 60:70] = True
    image, text, gallery, _ = app.run_inpaint(_editor(photo, hole), None, label, 3, 4, mode="sample")
    lls = [float(caption.split("= ")[1]) for _, caption in gallery]
    assert len(gallery) == 4 and lls == sorted(lls, reverse=True)
    assert "Processed the" in text and "32x32" in text  # large photo: the size pipeline's window
    np.testing.assert_array_equal(image[~hole], photo[~hole])


@pytest.mark.parametrize("checkpoint", ["pccnn-celeba-32", "pccnn-mnist-28"])
def test_pixel_constrained_cnn_gives_ranked_samples_and_a_probability_map(photo, checkpoint):
    label = next(c.label for c in app.available_choices() if c.checkpoint == checkpoint)
    hole = np.zeros(photo.shape[:2], bool)
    hole[60:66, 60:66] = True
    image, text, gallery, heat = app.run_inpaint(_editor(photo, hole), None, label, 3, 3)
    lls = [float(caption.split("= ")[1]) for _, caption in gallery]
    assert len(gallery) == 3 and lls == sorted(lls, reverse=True) and "Log-likelihood" in text
    np.testing.assert_array_equal(image[~hole], photo[~hole])
    side = int(checkpoint.rsplit("-", 1)[1])
    grey = (heat == 128).all(-1)  # visible pixels of the processed window: nothing was sampled there
    assert heat.shape == (side, side, 3) and grey.any() and 0 < (~grey).sum() < side * side / 4


def test_sim_k_uses_reference_photos_and_explains_a_missing_database(tmp_path, photo, stroke):
    label = next(c.label for c in app.available_choices() if c.checkpoint and c.checkpoint.startswith("sim1-"))
    reference = tmp_path / "same-scene.png"
    save_image(reference, photo[:, ::-1])
    image, text, gallery, _ = app.run_inpaint(_editor(photo, stroke), None, label, 0, 1, [str(reference)])
    np.testing.assert_array_equal(image[~stroke], photo[~stroke])
    assert [caption for _, caption in gallery] == ["your reference #1"] and "ms" in text
    # without references it retrieves, and this test machine has no database: the page says how to build one
    image, text, gallery, _ = app.run_inpaint(_editor(photo, stroke), None, label, 0, 1, None)
    assert image is None and "inpaint index build --data" in text and gallery == []


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
BROWSER_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("INPAINT_REQUIRE_BROWSER"),
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_paint_and_inpaint_in_headless_chromium(served_app, monkeypatch, tmp_path):
    from playwright.sync_api import sync_playwright

    seen = {}
    real = app.editor_inputs

    def recording(editor, mask_file):
        image, mask = real(editor, mask_file)
        seen.update(image=image.rgb.copy(), mask=mask.copy())
        return image, mask

    monkeypatch.setattr(app, "editor_inputs", recording)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(served_app, wait_until="networkidle")
        page.locator(".gallery-item").first.click()  # the astronaut example
        page.wait_for_timeout(1500)
        page.locator("#editor button[aria-label='Brush']").first.click()
        box = page.locator("#editor canvas").first.bounding_box()
        x, y = box["x"] + box["width"] / 2 - 40, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        for k in range(20):
            page.mouse.move(x + 4 * k, y + k, steps=2)
        page.mouse.up()
        page.locator("#run").click()
        page.wait_for_selector("#result img", timeout=60000)
        src = page.locator("#result img").get_attribute("src")
        png = page.request.get(src).body()
        shots = Path(os.environ.get("INPAINT_SCREENSHOT_DIR", tmp_path))
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "gradio_app.png"), full_page=True)
        status = page.locator("#status").inner_text()
        browser.close()
    (tmp_path / "r.png").write_bytes(png)
    result = np.asarray(Image.open(tmp_path / "r.png").convert("RGB"))
    original, mask = seen["image"], seen["mask"]
    assert app.default_choice(app.available_choices()) in status and result.shape == original.shape
    assert 0.001 < mask.mean() < 0.2  # the stroke, not the whole canvas
    changed = np.any(result != original, axis=2)
    assert changed.any() and not (changed & ~mask).any()  # differs from the input only inside the stroke


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
