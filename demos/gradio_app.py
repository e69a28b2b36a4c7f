"""Gradio app: paint over what should disappear, pick a method from the zoo, get the filled photo.

Everything the page does goes through :mod:`inpaint_core` (registry, zoo, size pipeline), so a
method that lands later appears here without changes. The handlers are plain functions on
arrays, tested without a browser; :func:`build_app` only wires them to components.

Run: ``python -m demos.gradio_app`` (http://127.0.0.1:7860).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from gradio.data_classes import FileData

from inpaint_core import InpaintError, load_image, load_mask, load_method, save_image
from inpaint_core.choices import MethodChoice, method_choices
from inpaint_core.errors import ResourceLimitError
from inpaint_core.figures import heatmap
from inpaint_core.images import RGBImage
from inpaint_core.leaderboard import ranked_methods
from inpaint_core.methods import Method, Option, get_method_class, list_methods

from .painter import CSS as PAINTER_CSS
from .painter import HTML as PAINTER_HTML
from .painter import JS as PAINTER_JS
from .painter import OPEN_ID, PAINTER_ID, STROKES_ID, painter_value, strokes_mask

log = logging.getLogger("inpaint_zoo.app")
MAX_SAMPLES = 16
MAX_UNDO = 10  # kept fills a session can undo: each holds a full-resolution photo in the server's memory
MAX_UPLOAD = os.environ.get("INPAINT_MAX_UPLOAD", "50mb")  # Gradio refuses larger uploads before reading them
#: A photo with a longer side is edited as a preview of this side: the painter shows that many pixels
#: (about its width on the page: more would not be seen, only sent), while the fill and the download
#: use every pixel of the photo (kept on the server).
PREVIEW_SIDE = int(os.environ.get("INPAINT_PREVIEW_SIDE", "768"))
#: Seconds a fill's files are kept, in Gradio's cache and among the downloads: a Space serving many
#: fills would otherwise keep a full-resolution PNG of each on its disk.
KEEP_SECONDS = 3600


@dataclass
class Working:
    """A large photo being edited: every pixel on the server, a preview in the browser."""

    photo: np.ndarray
    preview: np.ndarray

    def shows(self, background: np.ndarray | None) -> bool:
        """Whether the painter still shows this preview (not another photo opened since)."""
        return (background is not None and background.shape[:2] == self.preview.shape[:2]
                and float(np.abs(background[..., :3].astype(np.int16) - self.preview[..., :3]).mean()) < 2.0)


def preview_of(photo: np.ndarray) -> np.ndarray:
    """The photo shrunk (area average) so its longer side is at most :data:`PREVIEW_SIDE`."""
    height, width = photo.shape[:2]
    scale = PREVIEW_SIDE / max(height, width)
    if scale >= 1:
        return photo
    return cv2.resize(photo, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)


def full_photo(background: np.ndarray, working: Working | None) -> np.ndarray:
    """The photo behind what the painter shows: every pixel of a large one, else the background itself."""
    return working.photo if working is not None and working.shows(background) else background


def working_for(photo: np.ndarray) -> Working | None:
    """The photo's preview pair when it is too large to edit as it is, else None."""
    preview = preview_of(photo)
    return None if preview is photo else Working(photo, preview)


def default_choice(choices: list[MethodChoice]) -> str:
    """The picker's default: the best-ranked photo tool of the photo leaderboard that is available
    here (Telea without a leaderboard)."""
    photo_tools = {c.key: c.label for c in choices if c.for_photos}
    try:
        ranked = ranked_methods()
    except InpaintError as exc:
        log.warning("%s", exc)
        ranked = []
    return next((photo_tools[k] for k in ranked if k in photo_tools), "telea" if "telea" in photo_tools else choices[0].label)


@lru_cache(maxsize=None)
def _choices_by_label() -> dict[str, MethodChoice]:
    return {c.label: c for c in method_choices()}


@lru_cache(maxsize=8)
def get_method(label: str) -> Method:
    choice = _choices_by_label().get(label)
    if choice is None:
        raise InpaintError(f"Unknown method '{label}'. Pick one from the list.")
    return load_method(choice.method, choice.checkpoint)


def all_options() -> dict[str, Option]:
    """The union of every method's options (first declaration wins), one control each."""
    options: dict[str, Option] = {}
    for cls in list_methods():
        for name, spec in cls.options.items():
            options.setdefault(name, spec)
    return options


def control_update(cls: type[Method], name: str) -> dict[str, Any]:
    """Show the option's control for a method that has it, with that method's own help, default and
    choices: controls are shared by name, and two methods may give one name different choices
    (``mode``: mle/sample for the MLE methods, greedy/median/mean/sample for the autoregressive ones)."""
    import gradio as gr

    spec = cls.options.get(name)
    if spec is None:
        return gr.update(visible=False)
    update: dict[str, Any] = {"visible": True, "label": f"{name}: {spec.help}", "value": spec.default}
    if spec.choices:
        update["choices"] = list(spec.choices)
    return gr.update(**update)


def editor_inputs(editor: dict | None, mask_file: str | None,
                  working: Working | None = None) -> tuple[RGBImage, np.ndarray]:
    """Image and hole from an editor value (the photo shown and the painted layers): the union of the
    strokes and the uploaded mask (either may be missing). While a large photo's preview is shown
    (``working``), the image is the full photo and the strokes are scaled up to it. An alpha that hides
    nothing is dropped, so an RGB photo comes back RGB."""
    if not editor or editor.get("background") is None:
        raise InpaintError("Upload or pick a photo first, then paint over what should disappear.")
    background = np.asarray(editor["background"])
    image = load_image(full_photo(background, working))
    if image.alpha is not None and bool((image.alpha == 255).all()):
        image = RGBImage(image.rgb)
    mask = load_mask(mask_file, image.shape) if mask_file else np.zeros(image.shape, dtype=bool)
    for layer in editor.get("layers") or []:
        if layer is not None:
            painted = load_mask(np.asarray(layer), background.shape[:2])
            if painted.shape != image.shape:  # a stroke on the preview covers (at least) that part of the photo
                painted = cv2.resize(painted.astype(np.uint8) * 255, image.shape[::-1], interpolation=cv2.INTER_LINEAR) > 0
            mask |= painted
    return image, mask


def editor_of(shown: np.ndarray | None, strokes: str | None) -> dict[str, Any] | None:
    """The photo the painter shows and its strokes, as the editor value the handlers take (the strokes
    become the painted layer's alpha)."""
    if shown is None:
        return None
    shown = np.asarray(shown)
    layer = np.zeros(shown.shape[:2] + (4,), np.uint8)
    layer[strokes_mask(strokes, shown.shape[:2])] = (255, 0, 255, 255)
    return {"background": shown, "layers": [layer], "composite": shown}


def editor_value(photo: np.ndarray) -> dict[str, Any]:
    """The editor value showing ``photo`` (its preview, for a large one) with nothing painted on it."""
    shown = preview_of(photo)
    return {"background": shown, "layers": [], "composite": shown}


def open_photo(path: str | None):
    """The "Open photo" button (and a photo dropped on the painter, or an example): the file goes to the
    server as it is, and the painter gets the photo, or its preview. Returns (editor value, working
    state, message)."""
    import gradio as gr

    if not path:
        return gr.update(), None, ""
    try:
        image = load_image(path)
    except InpaintError as exc:
        return gr.update(), None, f"**Could not open the photo:** {exc}"
    photo = image.rgb if image.alpha is None else np.dstack([image.rgb, image.alpha])
    working = working_for(photo)
    return editor_value(photo), working, _preview_note(working) if working else f"Opened {Path(path).name}."


def show_mask_file(mask_file: str | None, shown: np.ndarray | None, working: Working | None = None):
    """An uploaded mask file drawn over the photo in the painter, so the user sees the hole the method
    will fill (with the strokes added to it). Returns (painter value or no change, message)."""
    import gradio as gr

    if shown is None:
        return gr.update(), "Open a photo first: the mask file is for the photo being edited." if mask_file else ""
    if not mask_file:
        return painter_value(shown), ""
    try:
        mask = load_mask(mask_file, full_photo(shown, working).shape[:2])
    except InpaintError as exc:
        return painter_value(shown), f"**The mask file does not fit:** {exc}"
    if mask.shape != shown.shape[:2]:  # a large photo's mask, shown on its preview
        mask = cv2.resize(mask.astype(np.uint8) * 255, shown.shape[1::-1], interpolation=cv2.INTER_AREA) > 0
    return painter_value(shown, mask), "The mask file is shown over the photo; what you paint is added to it."


def _preview_note(working: Working) -> str:
    (height, width), (ph, pw) = working.photo.shape[:2], working.preview.shape[:2]
    return (f"A large photo ({width}x{height}): you paint on a {pw}x{ph} preview; the fill and the download use "
            "every pixel.")


def mask_preview(image: RGBImage, mask: np.ndarray) -> np.ndarray:
    """The photo with the hole the method will fill tinted magenta: what "before" shows."""
    preview = image.rgb.copy()
    preview[mask] = (preview[mask] // 2 + np.array([128, 0, 128], np.uint8)).astype(np.uint8)
    return preview


def keep_editing(result: np.ndarray | None, editor: dict | None, history: list[np.ndarray] | None,
                 working: Working | None = None):
    """The result becomes the photo being edited (strokes cleared); the photo before the fill (every
    pixel of it) goes on the undo stack. Returns (editor value or None for no change, history, working
    state, message)."""
    history = list(history or [])
    if result is None:
        return None, history, working, "Nothing to keep yet: press **Inpaint** first."
    if editor and editor.get("background") is not None:
        history = (history + [full_photo(np.asarray(editor["background"]), working)])[-MAX_UNDO:]
    return (editor_value(result), history, working_for(result),
            f"Editing the result ({len(history)} fill(s) can be undone).")


def undo_fill(history: list[np.ndarray] | None, working: Working | None = None):
    """Back to the photo before the last kept fill. Returns (editor value or no change, history,
    working state, message)."""
    history = list(history or [])
    if not history:
        import gradio as gr

        return gr.update(), history, working, "Nothing to undo."
    photo = history.pop()
    return (editor_value(photo), history, working_for(photo),
            f"Undone: back to the photo before the last fill ({len(history)} left).")


def pruned_folder(name: str, keep_seconds: float) -> Path:
    """This process's folder ``name-PID`` in the temp dir, emptied of the entries (files or folders) older
    than ``keep_seconds`` on each call, so a long-running server's result files stay bounded. An entry
    another request removes meanwhile is skipped."""
    folder = Path(tempfile.gettempdir()) / f"{name}-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.iterdir():
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > keep_seconds:
                shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
    return folder


def download_path(result: np.ndarray, label: str, name: str | None) -> str:
    """A PNG of the full-resolution result named after the photo and the method, in a folder of its own
    (two fills of one photo keep their names); downloads older than :data:`KEEP_SECONDS` go first."""
    stem = Path(name).stem if name else "photo"
    method = label.split(" — ")[0].replace(" · ", "-").replace("@", "-").replace(" ", "")
    folder = Path(tempfile.mkdtemp(dir=pruned_folder("inpaint-downloads", KEEP_SECONDS)))
    path = folder / f"{stem}-{method}.png"
    save_image(path, result, fast=True)
    return str(path)


def describe(label: str, seconds: float, extras: dict[str, Any], shape: tuple[int, int]) -> str:
    """The status line: method, time, and the part of the photo that was processed at what size."""
    text = f"**{label}**: {seconds * 1000:.0f} ms."
    region, resolution = extras.get("region"), extras.get("resolution")
    if region is not None and tuple(region) != (0, 0, shape[0], shape[1]):
        top, left, bottom, right = region
        text += f" Processed the {bottom - top}x{right - left} px region around the hole of this {shape[0]}x{shape[1]} photo"
        scale = extras.get("scale", 1.0)
        text += (f", at the method's {resolution[0]}x{resolution[1]} px." if abs(scale - 1.0) > 1e-6 else
                 " at full resolution.")
    elif extras.get("scale", 1.0) != 1.0:
        text += f" Processed at {extras['scale']:.0%} of the photo's size (the scale this model was trained at)."
    return text


def _error(label: str, exc: Exception) -> str:
    if isinstance(exc, InpaintError):
        return f"**Could not inpaint:** {exc}"
    log.exception("method %s failed", label)
    return f"**{label} failed** ({type(exc).__name__}: {exc}). The app still works: try another method or input."


class Lane:
    """A queue lane: at most ``workers`` fills at once, at most ``waiting`` callers waiting, each for at
    most ``wait_seconds``. Fast methods and heavy ones get separate lanes, so a 10 ms Telea request
    never waits behind a minute-long learned fill of a huge photo."""

    def __init__(self, name: str, workers: int, waiting: int, wait_seconds: float) -> None:
        self.name, self.wait_seconds, self.max_waiting = name, wait_seconds, waiting
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self.waiting = 0

    @contextmanager
    def slot(self):
        with self._lock:
            if self.waiting >= self.max_waiting:
                raise ResourceLimitError(f"The server is busy ({self.waiting} {self.name} fills waiting): try again "
                                         "in a minute, or pick a fast method such as Telea.")
            self.waiting += 1
        try:
            acquired = self._slots.acquire(timeout=self.wait_seconds)
        finally:
            with self._lock:
                self.waiting -= 1
        if not acquired:
            raise ResourceLimitError(f"No {self.name} worker became free within {self.wait_seconds:.0f} s: the server "
                                     "is busy with other fills. Try again shortly, or pick a fast method such as Telea.")
        try:
            yield
        finally:
            self._slots.release()


def _env(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


LANES = {"fast": Lane("fast", int(_env("INPAINT_FAST_WORKERS", 1)), int(_env("INPAINT_QUEUE_SIZE", 16)),
                      _env("INPAINT_WAIT_SECONDS", 120)),
         "heavy": Lane("heavy", int(_env("INPAINT_HEAVY_WORKERS", 1)), int(_env("INPAINT_QUEUE_SIZE", 16)),
                       _env("INPAINT_WAIT_SECONDS", 120))}


def lane(method: Method) -> Lane:
    return LANES["fast" if method.capabilities.fast else "heavy"]


def run_inpaint(editor: dict | None, mask_file: str | None, label: str, seed: int | float | None = 0,
                samples: int | float | None = 1, references: list[str] | None = None,
                inputs: tuple[RGBImage, np.ndarray] | None = None, **options: Any):
    """Handler of the Inpaint button: (result image, status text, gallery, heat map). The gallery holds
    the samples of a stochastic method, most likely first, or the auxiliary images a method used
    (Sim-k's retrieved neighbours or the chosen reference photos). ``inputs``: the editor's photo and
    hole when the caller decoded them already."""
    try:
        image, mask = inputs if inputs is not None else editor_inputs(editor, mask_file)
        if not mask.any():
            return image.with_rgb(image.rgb), "The mask has no hole: paint over the part to remove (or upload a mask).", [], None
        method = get_method(label)
        opts = {k: v for k, v in options.items() if k in method.options}
        if references and method.capabilities.references:
            opts["references"] = list(references)
        seed = int(seed or 0)
        n = int(samples or 1)
        if method.capabilities.stochastic and n > 1:
            with lane(method).slot():
                results = method.sample(image, mask, min(n, MAX_SAMPLES), seed=seed, **opts)
            gallery = [(r.image, f"#{i + 1}: log p = {r.log_likelihood:.1f}" if r.log_likelihood is not None else f"#{i + 1}")
                       for i, r in enumerate(results)]
            best = results[0]
        else:
            with lane(method).slot():
                best = method.inpaint(image, mask, seed=seed, **opts)
            gallery = list(best.extras.get("gallery", []))
        status = describe(label, best.seconds, best.extras, image.shape)
        if best.log_likelihood is not None:
            status += f" Log-likelihood of the completed image: {best.log_likelihood:.1f} nats."
        return best.image, status, gallery, heatmap(best.extras.get("probabilities"))
    except Exception as exc:  # the page must survive any failing method
        return None, _error(label, exc), [], None


def run_compare(editor: dict | None, mask_file: str | None, labels: list[str] | None, seed: int | float | None = 0,
                working: Working | None = None):
    """Handler of Compare: every chosen method on the same image and mask, side by side with times
    (shown at most at the preview's size)."""
    if not labels:
        return [], "Choose at least one method to compare."
    try:
        image, mask = editor_inputs(editor, mask_file, working)
    except Exception as exc:
        return [], _error("compare", exc)
    if not mask.any():
        return [], "The mask has no hole: paint over the part to remove (or upload a mask)."
    gallery, notes = [], []
    for label in labels:
        try:
            method = get_method(label)
            with lane(method).slot():
                result = method.inpaint(image, mask, seed=int(seed or 0))
            gallery.append((preview_of(result.image), f"{label}: {result.seconds * 1000:.0f} ms"))
        except Exception as exc:
            notes.append(_error(label, exc))
    return gallery, "\n\n".join(notes) or f"{len(gallery)} methods on the same image and mask."


def api_inpaint(image: FileData, mask: FileData, method: str = "telea", seed: int = 0) -> FileData:
    """API endpoint (``/inpaint``): image and mask files in, the lossless PNG result out. A library error
    reaches the caller as ``gr.Error`` with its message (what is wrong and what to do)."""
    import gradio as gr

    try:
        choice = _choices_by_label().get(method) or next((c for c in _choices_by_label().values() if c.method == method), None)
        if choice is None:
            raise InpaintError(f"Unknown method '{method}'. Known: {', '.join(_choices_by_label())}.")
        rgb = load_image(_path(image))
        seed = int(seed) if isinstance(seed, float) and seed.is_integer() else seed  # JSON numbers may be floats
        hole = load_mask(_path(mask), rgb.shape)
        method_ = get_method(choice.label)
        with lane(method_).slot():
            result = method_.inpaint(rgb, hole, seed=seed)
    except InpaintError as exc:
        raise gr.Error(str(exc)) from exc
    out = api_output_dir() / f"inpainted-{uuid.uuid4().hex}.png"
    save_image(out, result.image)
    return FileData(path=str(out))


API_FILE_SECONDS = 60


def api_output_dir() -> Path:
    """One folder for the API's result files; those older than a minute (Gradio copies a result into
    its own cache as soon as the handler returns) are deleted on each call."""
    return pruned_folder("inpaint-api", API_FILE_SECONDS)


def _path(file: FileData | dict | str) -> str:
    if isinstance(file, FileData):
        return file.path
    return file["path"] if isinstance(file, dict) else file


def example_photos() -> list[str]:
    """Bundled photos (scikit-image's), written once as PNG files for the examples list."""
    from inpaint_core.datasets import bundled_images

    folder = Path(tempfile.gettempdir()) / "inpaint-zoo-examples"
    folder.mkdir(parents=True, exist_ok=True)
    images = bundled_images()
    paths = []
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        path = folder / f"{name}.png"
        if not path.exists():
            save_image(path, images[images.names.index(name)])
        paths.append(str(path))
    return paths


def build_app():
    import gradio as gr

    choices = method_choices()
    labels = [c.label for c in choices]
    default = default_choice(choices)
    options = all_options()
    describe_choice = {c.label: c.description for c in choices}

    # Gradio keeps uploads and results in its cache: every 10 minutes, drop those older than an hour
    with gr.Blocks(title="inpaint-zoo", delete_cache=(600, KEEP_SECONDS)) as demo:
        gr.Markdown("# inpaint-zoo\nOpen a photo, paint over what should disappear, press **Inpaint**. "
                    "**Keep editing** to remove the next thing from the result; **Undo last fill** goes back.")
        history = gr.State([])  # photos before each kept fill: the undo stack
        result_state = gr.State(None)  # the last full-resolution result
        working = gr.State(None)  # a large photo's every pixel while the painter shows its preview
        shown = gr.State(None)  # what the painter shows: the photo, or a large one's preview
        photo_name = gr.State(None)  # the opened file's name, for the download's
        with gr.Row():
            with gr.Column(scale=3):
                # the browser keeps the strokes and sends them as text: no canvas export on a click
                painter = gr.HTML(painter_value(None), html_template=PAINTER_HTML, css_template=PAINTER_CSS,
                                  js_on_load=PAINTER_JS, elem_id=PAINTER_ID)
                strokes = gr.Textbox(visible="hidden", elem_id=STROKES_ID)
                with gr.Row():
                    open_button = gr.UploadButton("Open photo", file_types=["image"], size="sm", elem_id=OPEN_ID)
                    undo = gr.Button("Undo last fill", size="sm", elem_id="undo")
                mask_file = gr.File(label="Mask file (white = hole), added to what you paint", file_types=["image"],
                                    type="filepath", elem_id="mask-file")
                example = gr.Image(type="filepath", visible=False)
                gr.Examples(example_photos(), inputs=[example], label="Example photos")
            with gr.Column(scale=2):
                method = gr.Dropdown(labels, value=default, label="Method (photo tools first, best on the photo "
                                     "leaderboard on top)", elem_id="method")
                info = gr.Markdown(describe_choice[default])
                samples = gr.Slider(1, MAX_SAMPLES, value=1, step=1, label="Samples (stochastic methods)", visible=False)
                references = gr.File(label="Reference photos of the same scene or person (used instead of retrieval)",
                                     file_count="multiple", file_types=["image"], type="filepath", visible=False,
                                     elem_id="references")
                controls = {}
                with gr.Accordion("Advanced", open=False, elem_id="advanced"):
                    seed = gr.Number(0, label="Seed: the same seed gives the same fill", precision=0)
                    for name, spec in options.items():
                        label = f"{name}: {spec.help}"
                        if spec.choices:
                            controls[name] = gr.Dropdown(list(spec.choices), value=spec.default, label=label)
                        elif isinstance(spec.default, bool):
                            controls[name] = gr.Checkbox(spec.default, label=label)
                        elif isinstance(spec.default, str):
                            controls[name] = gr.Textbox(spec.default, label=label)
                        else:
                            controls[name] = gr.Number(spec.default, label=label, minimum=spec.minimum, maximum=spec.maximum,
                                                       precision=0 if isinstance(spec.default, int) else None)
                run = gr.Button("Inpaint", variant="primary", elem_id="run")
                status = gr.Markdown(elem_id="status")
        # fitted to the panel, as JPEG (a 24-megapixel PNG takes seconds to encode; the download is the
        # lossless PNG with every pixel); before = the photo with the hole tinted
        compare_view = gr.ImageSlider(label="Before (hole tinted) / after", type="numpy", format="jpeg", max_height=640,
                                      elem_id="result", interactive=False)
        with gr.Row():
            keep = gr.Button("Keep editing: the result becomes the photo", elem_id="keep")
            download = gr.DownloadButton("Download PNG (full resolution)", visible=False, elem_id="download")
        gallery = gr.Gallery(label="Samples, most likely first, or the auxiliary images the method used", columns=4,
                             visible=False, elem_id="samples")
        heat = gr.Image(label="Per-pixel probability", visible=False, interactive=False)
        with gr.Accordion("Compare methods", open=False):
            compare_labels = gr.CheckboxGroup(labels, value=[lab for lab in labels if lab in ("telea", "patchmatch")],
                                              label="Methods")
            compare_button = gr.Button("Compare")
            compare_gallery = gr.Gallery(label="Same image and mask, side by side", columns=3, height="auto",
                                         object_fit="contain")
            compare_status = gr.Markdown()

        def on_method(label: str):
            cls = get_method_class(_choices_by_label()[label].method)
            caps = cls.capabilities
            updates = [describe_choice.get(label, ""), gr.update(visible=caps.stochastic, value=1),
                       gr.update(visible=caps.references)]
            updates += [control_update(cls, name) for name in controls]
            return updates

        method.change(on_method, [method], [info, samples, references, *controls.values()])
        demo.load(on_method, [method], [info, samples, references, *controls.values()])

        def on_mode(mode):  # the most likely fill is one image: several samples only make sense when sampling
            return gr.update(interactive=mode != "mle", value=1) if mode is not None else gr.update()

        if "mode" in controls:
            controls["mode"].change(on_mode, [controls["mode"]], [samples])

        def on_run(editor_value, mask_value, working_value, label, seed_value, n, reference_files, *values):
            inputs = None
            with contextlib.suppress(Exception):  # a bad input is reported by run_inpaint, as a message
                inputs = editor_inputs(editor_value, mask_value, working_value)
            image, text, samples_out, heat_out = run_inpaint(editor_value, mask_value, label, seed_value, n,
                                                             reference_files, inputs=inputs, **dict(zip(controls, values)))
            shown = None
            if image is not None and inputs is not None:  # the slider is JPEG (no alpha), at most the preview's
                # size, the hole tinted on the preview: the download (made next) has every pixel
                after = preview_of(image[..., :3])
                hole = cv2.resize(inputs[1].astype(np.uint8) * 255, after.shape[1::-1], interpolation=cv2.INTER_AREA) > 0
                shown = (mask_preview(RGBImage(preview_of(inputs[0].rgb)), hole), after)
            return (shown, image, text, gr.update(value=samples_out, visible=bool(samples_out)),
                    gr.update(value=heat_out, visible=heat_out is not None))

        def on_result(image, label, name):  # the full-resolution PNG, written once the result is on screen
            if image is None:
                return gr.update(visible=False)
            return gr.update(value=download_path(image, label, name), visible=True)

        def show(value, working_value, text):
            """A handler's editor value on the painter: (painter, what it shows, strokes, mask file, working,
            message). A new photo starts with an empty mask: no strokes, no mask file."""
            if not isinstance(value, dict):  # no change
                return gr.update(), gr.update(), gr.update(), gr.update(), working_value, text
            return painter_value(value["background"]), value["background"], "", None, working_value, text

        opened = [painter, shown, strokes, mask_file, working, status]

        def on_open(path):  # the download is named after the photo opened last (Gradio keeps upload names)
            return (*show(*open_photo(path)), Path(path).name if path else None)

        def on_keep(result, shown_value, history_value, working_value):
            value, history_value, working_value, text = keep_editing(result, editor_of(shown_value, None),
                                                                     history_value, working_value)
            return (*show(value, working_value, text), history_value)

        def on_undo(history_value, working_value):
            value, history_value, working_value, text = undo_fill(history_value, working_value)
            return (*show(value, working_value, text), history_value)

        def on_compare(shown_value, strokes_value, *rest):
            try:
                editor = editor_of(shown_value, strokes_value)
            except InpaintError as exc:
                return [], _error("compare", exc)
            return run_compare(editor, *rest)

        def on_paint_run(shown_value, strokes_value, *rest):
            try:
                editor = editor_of(shown_value, strokes_value)
            except InpaintError as exc:
                return None, None, _error("inpaint", exc), gr.update(visible=False), gr.update(visible=False)
            return on_run(editor, *rest)

        run.click(on_paint_run, [shown, strokes, mask_file, working, method, seed, samples, references, *controls.values()],
                  [compare_view, result_state, status, gallery, heat], api_visibility="private").then(
            on_result, [result_state, method, photo_name], [download], api_visibility="private", show_progress="hidden")
        open_button.upload(on_open, [open_button], [*opened, photo_name], api_visibility="private")
        example.change(on_open, [example], [*opened, photo_name], api_visibility="private")
        # the user's upload and removal only: a handler that empties the file (a new photo) already set the painter
        for event in (mask_file.upload, mask_file.clear):
            event(show_mask_file, [mask_file, shown, working], [painter, status], api_visibility="private",
                  show_progress="hidden")
        keep.click(on_keep, [result_state, shown, history, working], [*opened, history], api_visibility="private")
        undo.click(on_undo, [history, working], [*opened, history], api_visibility="private")
        compare_button.click(on_compare, [shown, strokes, mask_file, compare_labels, seed, working],
                             [compare_gallery, compare_status], api_visibility="private")
        gr.api(api_inpaint, api_name="inpaint")
    # the lanes bound the fills (one fast and one heavy at a time on two cores, bounded waiting), so the
    # events themselves are not serialised: a fast request never queues behind a heavy one
    demo.queue(default_concurrency_limit=None, max_size=int(os.environ.get("INPAINT_QUEUE_SIZE", "16")) * 2)
    return demo


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    build_app().launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                       server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")), max_file_size=MAX_UPLOAD)


if __name__ == "__main__":
    main()
