"""Fuzz cases for the library, the CLI and the app's API: generated bad, odd and hostile inputs.

Every case must end as a correct result (shape kept, visible pixels bit-exact) or a clean error
(``InpaintError`` from the API, exit code 2 and one ``error:`` line from the CLI, ``gr.Error`` with the
library's message from the app's ``/inpaint`` handler); anything else is a
failure, as is a case past the time budget or a process past the memory budget. Run as a script it
prints one JSON summary (counts per surface and outcome, the worst cases); ``tests/test_fuzz.py``
runs it in a subprocess so that peak memory is this process's alone. ``INPAINT_FUZZ_FULL=1`` widens
the run to every method, larger images and every mask for every image.

    python -m tests.fuzz_cases [--full]
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import tempfile
import time
import traceback
import warnings
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
from PIL import Image

TIME_BUDGET_S = 20.0
MEMORY_BUDGET_MB = 3072.0
FAST_METHODS = ("telea", "biharmonic", "mean-colour", "patchmatch")
LEARNED = ("glcic@glcic-bsds500-64", "pconv@pconv-celeba-64", "mle-normal@normal-cifar10-32",
           "l2-context-encoder@l2ce-cifar10-32")
MORE = ("navier-stokes", "sim-k@sim0-celeba-64", "mle-matrix-normal@mn-celeba-64", "wgan-context-encoder@wgan-ce-cifar10-32")


def _png(arr: np.ndarray) -> bytes:
    return _encode(Image.fromarray(arr), "PNG")


def _encode(img: Image.Image, fmt: str, **kw: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _text_chunk_bomb() -> bytes:
    """A valid 8x8 PNG whose zTXt chunk inflates to 100 MB: Pillow refuses it while decoding."""
    base = _png(np.zeros((8, 8, 3), np.uint8))
    payload = b"comment\x00\x00" + zlib.compress(b"\x00" * 100_000_000, 9)
    chunk = len(payload).to_bytes(4, "big") + b"zTXt" + payload
    crc = zlib.crc32(b"zTXt" + payload).to_bytes(4, "big")
    iend = base.rindex(b"IEND") - 4
    return base[:iend] + chunk + crc + base[iend:]


def image_cases(full: bool) -> Iterator[tuple[str, Any]]:
    """(name, source) pairs: bytes of a file, or an in-memory array."""
    rng = np.random.default_rng(0)
    side = 96 if full else 48
    rgb = (rng.random((side, side + 8, 3)) * 255).astype(np.uint8)
    pil = Image.fromarray(rgb)
    yield "png-rgb", _png(rgb)
    yield "png-rgba", _png(np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)]))
    yield "png-la", _encode(pil.convert("LA"), "PNG")
    yield "png-l", _encode(pil.convert("L"), "PNG")
    yield "png-palette", _encode(pil.convert("P"), "PNG")
    yield "png-palette-transparent", _encode(pil.convert("P"), "PNG", transparency=0)
    yield "png-1bit", _encode(pil.convert("1"), "PNG")
    yield "png-16bit", _encode(Image.fromarray((rgb[..., 0].astype(np.uint16) * 257)), "PNG")
    yield "jpeg", _encode(pil, "JPEG", quality=80)
    yield "jpeg-cmyk", _encode(pil.convert("CMYK"), "JPEG")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees
    yield "jpeg-exif-rotated", _encode(pil, "JPEG", exif=exif.tobytes())
    yield "webp", _encode(pil, "WEBP", lossless=True)
    yield "tiff", _encode(pil, "TIFF")
    yield "tiff-float", _encode(Image.fromarray(rgb[..., 0].astype(np.float32)), "TIFF")
    nan = rgb[..., 0].astype(np.float32)
    nan[3, 3] = np.nan
    yield "tiff-float-nan", _encode(Image.fromarray(nan), "TIFF")
    yield "bmp", _encode(pil, "BMP")
    yield "gif", _encode(pil.convert("P"), "GIF")
    for fmt, data in (("png", _png(rgb)), ("jpeg", _encode(pil, "JPEG")), ("webp", _encode(pil, "WEBP")),
                      ("tiff", _encode(pil, "TIFF"))):
        yield f"{fmt}-truncated-half", data[: len(data) // 2]
        yield f"{fmt}-truncated-header", data[:12]
    yield "zero-bytes", b""
    yield "text-renamed", b"this is not an image\n" * 10
    yield "random-bytes", rng.integers(0, 256, 2048, dtype=np.uint8).tobytes()
    yield "bomb-30000x30000", _encode(Image.new("1", (30000, 30000)), "PNG")
    yield "bomb-40000000x1", _encode(Image.new("1", (40_000_000, 1)), "PNG")
    yield "bomb-text-chunk", _text_chunk_bomb()
    yield "tiny-1x1", _png(rgb[:1, :1])
    yield "tiny-1x50", _png(rgb[:1, :50])
    yield "tiny-50x1", _png(rgb[:50, :1])
    yield "tiny-2x2", _png(rgb[:2, :2])
    yield "array-float", rgb.astype(np.float32) / 255
    yield "array-float-out-of-range", rgb.astype(np.float32)
    yield "array-bool", rgb[..., 0] > 100
    yield "array-5-channels", np.zeros((8, 8, 5), np.uint8)


def mask_cases(shape: tuple[int, int], full: bool) -> Iterator[tuple[str, Any]]:
    h, w = shape
    hole = np.zeros((h, w), bool)
    hole[h // 4 : max(h // 4 + 1, h // 2), w // 4 : max(w // 4 + 1, w // 2)] = True
    yield "mask-png", _png((hole * 255).astype(np.uint8))
    yield "mask-all-hole", _png(np.full((h, w), 255, np.uint8))
    yield "mask-empty", _png(np.zeros((h, w), np.uint8))
    yield "mask-wrong-size", _png(np.full((h + 3, w + 1), 255, np.uint8))
    if full:
        yield "mask-1bit", _encode(Image.fromarray(hole), "PNG")
        layer = np.zeros((h, w, 4), np.uint8)
        layer[hole] = (255, 0, 255, 255)
        yield "mask-painted-rgba", _png(layer)
        yield "mask-16bit", _encode(Image.fromarray(hole.astype(np.uint16) * 65535), "PNG")
        yield "mask-palette", _encode(Image.fromarray((hole * 255).astype(np.uint8)).convert("P"), "PNG")
        yield "mask-array-bool", hole
        yield "mask-array-float-nan", np.where(hole, np.nan, 0.0)
        yield "mask-truncated", _png((hole * 255).astype(np.uint8))[:30]
        yield "mask-text", b"not a mask"


class Outcome:
    CORRECT, CLEAN, TRACEBACK, WRONG = "correct", "clean error", "unhandled traceback", "wrong result"


def _check_result(result: Any, image: Any, mask: Any) -> str:
    """A result is correct when its shape matches the decoded input and visible pixels are unchanged."""
    from inpaint_core import load_image, load_mask

    rgb = load_image(image)
    hole = load_mask(mask, rgb.shape)
    out = result.image
    expected_channels = 3 if rgb.alpha is None else 4
    if out.dtype != np.uint8 or out.shape != (*rgb.shape, expected_channels):
        return Outcome.WRONG
    return Outcome.CORRECT if np.array_equal(out[..., :3][~hole], rgb.rgb[~hole]) else Outcome.WRONG


def _classify(call: Callable[[], Any], check: Callable[[Any], str]) -> tuple[str, str]:
    from gradio import Error as GradioError

    from inpaint_core.errors import InpaintError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call()
    except (InpaintError, GradioError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        if not message or "verbose error" in message:
            return Outcome.TRACEBACK, f"an error without a readable message: {exc!r}"
        return Outcome.CLEAN, str(message).splitlines()[0][:400]
    except Exception:  # noqa: BLE001 - this is what the fuzzer looks for
        return Outcome.TRACEBACK, traceback.format_exc(limit=3)[-400:]
    return check(result), ""


def api_cases(full: bool) -> Iterator[tuple[str, Callable[[], Any], Callable[[Any], str]]]:
    from inpaint_core import load_method

    methods = [*FAST_METHODS, *LEARNED, *(MORE if full else ())]
    loaded: dict[str, Any] = {}

    def method(label: str):
        if label not in loaded:
            name, _, ckpt = label.partition("@")
            loaded[label] = load_method(name, ckpt or None)
        return loaded[label]

    reference_shape = (48, 56) if not full else (96, 104)
    for image_name, image in image_cases(full):
        shape = _decoded_shape(image) or reference_shape
        for mask_name, mask in mask_cases(shape, full):
            chosen = methods if (mask_name == "mask-png" and image_name in ("png-rgb", "png-rgba", "jpeg-exif-rotated",
                                                                              "tiny-1x50", "png-16bit")) or full \
                else FAST_METHODS[:2]
            for label in chosen:
                yield (f"api {label} {image_name} {mask_name}",
                       lambda label=label, image=image, mask=mask: method(label).inpaint(image, mask, seed=0),
                       lambda result, image=image, mask=mask: _check_result(result, image, mask))
    image = next(src for name, src in image_cases(full) if name == "png-rgb")
    mask = next(src for name, src in mask_cases(_decoded_shape(image), full) if name == "mask-png")
    for seed in (-1, "abc", 1.5, None, True, 2**70):
        yield (f"api telea seed={seed!r}", lambda seed=seed: method("telea").inpaint(image, mask, seed=seed),
               lambda result: _check_result(result, image, mask))
    for label, options in (("telea", {"radius": float("nan")}), ("telea", {"radius": -1}), ("telea", {"radius": "x"}),
                           ("telea", {"radus": 3}), ("patchmatch", {"patch_size": float("inf")}),
                           ("glcic@glcic-bsds500-64", {"tile": float("nan")}), ("glcic@glcic-bsds500-64", {"mirror": "maybe"})):
        yield (f"api {label} options={options}", lambda label=label, options=options: method(label).inpaint(
            image, mask, seed=0, **options), lambda result: _check_result(result, image, mask))


STROKES_CASES = {
    "ok": '{"width": 56, "height": 48, "strokes": [{"radius": 3, "points": [[5, 5], [40, 30]]}]}',
    "not-json": "{strokes", "a-list": "[]", "null": "null", "nan-size": '{"width": NaN, "height": 4, "strokes": []}',
    "zero-size": '{"width": 0, "height": 0, "strokes": []}',
    "huge-values": '{"width": 1e-300, "height": 1e308, "strokes": [{"radius": 1e308, "points": [[1e308, -1e308]]}]}',
    "infinite-radius": '{"width": 56, "height": 48, "strokes": [{"radius": Infinity, "points": [[1, 1]]}]}',
    "text-points": '{"width": 56, "height": 48, "strokes": [{"radius": 1, "points": "abc"}]}',
    "three-coordinates": '{"width": 56, "height": 48, "strokes": [{"radius": 1, "points": [[1, 2, 3]]}]}',
    "deep-nesting": "[" * 100_000,
    "too-many-points": '{"width": 56, "height": 48, "strokes": [{"radius": 1, "points": [' + "[1, 1]," * 100_001
                       + '[1, 1]]}]}',
}


def app_cases(full: bool, folder: Path) -> Iterator[tuple[str, Callable[[], Any], Callable[[Any], str]]]:
    """The app's ``/inpaint`` handler on uploaded files: a result file, or ``gr.Error`` with a message."""
    from gradio.data_classes import FileData

    from demos import gradio_app

    for image_name, image in image_cases(full):
        if isinstance(image, np.ndarray):
            continue
        (folder / f"app-{image_name}").write_bytes(image)
        for mask_name, mask in mask_cases(_decoded_shape(image) or (48, 56), full):
            if isinstance(mask, np.ndarray):
                continue
            (folder / f"app-{image_name}-{mask_name}").write_bytes(mask)
            for label in ("telea", "patchmatch") if full or mask_name == "mask-png" else ("telea",):
                def call(image_name=image_name, mask_name=mask_name, label=label):
                    return gradio_app.api_inpaint(FileData(path=str(folder / f"app-{image_name}")),
                                                  FileData(path=str(folder / f"app-{image_name}-{mask_name}")), label, 0)

                def check(result, image=image, mask=mask):
                    from inpaint_core import load_image

                    out = load_image(result.path)
                    fake = type("R", (), {"image": out.with_rgb(out.rgb)})
                    return _check_result(fake, image, mask)

                yield f"app {label} {image_name} {mask_name}", call, check
    photo = np.zeros((48, 56, 3), np.uint8)
    for name, strokes in STROKES_CASES.items():  # the painter's text, as a hostile page could send it
        yield (f"app strokes {name}", lambda strokes=strokes: gradio_app.editor_inputs(
            gradio_app.editor_of(photo, strokes), None), lambda result: Outcome.CORRECT
            if result[1].shape == photo.shape[:2] else Outcome.WRONG)
    for method, seed in (("no-such-method", 0), ("telea", -1), ("telea", "abc")):
        image = folder / "app-png-rgb"
        yield (f"app {method} seed={seed!r}", lambda method=method, seed=seed: gradio_app.api_inpaint(
            FileData(path=str(image)), FileData(path=str(folder / "app-png-rgb-mask-png")), method, seed),
            lambda result: Outcome.CORRECT)


def _decoded_shape(src: Any) -> tuple[int, int] | None:
    from inpaint_core import load_image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_image(src).shape
    except Exception:  # noqa: BLE001 - undecodable inputs get masks of a reference size
        return None


def cli_cases(full: bool, folder: Path) -> Iterator[tuple[str, list[str], Path]]:
    """``inpaint run`` on files written from the image and mask cases, plus bad arguments."""
    for image_name, image in image_cases(full):
        if isinstance(image, np.ndarray):
            continue
        image_path = folder / f"{image_name}.img"
        image_path.write_bytes(image)
        shape = _decoded_shape(image) or (48, 56)
        for mask_name, mask in mask_cases(shape, full):
            if isinstance(mask, np.ndarray) or (mask_name != "mask-png" and not full and image_name != "png-rgb"):
                continue
            mask_path = folder / f"{image_name}-{mask_name}.png"
            mask_path.write_bytes(mask)
            out = folder / f"out-{image_name}-{mask_name}.png"
            yield f"cli {image_name} {mask_name}", ["run", "--image", str(image_path), "--mask", str(mask_path),
                                                   "-o", str(out)], out
    good, mask = folder / "png-rgb.img", folder / "png-rgb-mask-png.png"
    for name, extra in (("empty-image", ["--image", ""]), ("unwritable-output", ["-o", "/proc/inpaint/out.png"]),
                        ("unknown-suffix", ["-o", str(folder / "out.xyz")]), ("long-name", ["-o", str(folder / ("n" * 300 + ".png"))]),
                        ("bad-option", ["--option", "radius=nan"]), ("unknown-method", ["--method", "telae"]),
                        ("negative-seed", ["--seed", "-1"])):
        args = ["run", "--image", str(good), "--mask", str(mask), "-o", str(folder / f"cli-{name}.png"), *extra]
        yield f"cli {name}", args, folder / f"cli-{name}.png"


def run_cli(args: list[str]) -> tuple[str, str]:
    from inpaint_core.cli import main

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = main(args)
    except SystemExit as exc:  # argparse: usage line + one error line, exit 2
        code = exc.code if isinstance(exc.code, int) else 2
    except Exception:  # noqa: BLE001
        return Outcome.TRACEBACK, traceback.format_exc(limit=3)[-400:]
    lines = [line for line in err.getvalue().splitlines() if line.strip() and not line.startswith("usage:")
             and not line.startswith(" ")]
    if code == 0:
        return Outcome.CORRECT, ""
    if code == 2 and len(lines) == 1 and ("error" in lines[0]) and "Traceback" not in err.getvalue():
        return Outcome.CLEAN, lines[0][:400]
    return Outcome.TRACEBACK, err.getvalue()[-400:]


def main(full: bool = False) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    failures, slow = [], []
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worst = {"case": "", "seconds": 0.0}

    def record(surface: str, name: str, outcome: str, detail: str, seconds: float) -> None:
        counts.setdefault(surface, {}).setdefault(outcome, 0)
        counts[surface][outcome] += 1
        if outcome in (Outcome.TRACEBACK, Outcome.WRONG):
            failures.append({"case": name, "outcome": outcome, "detail": detail})
        if seconds > TIME_BUDGET_S:
            slow.append({"case": name, "seconds": round(seconds, 1)})
        if seconds > worst["seconds"]:
            worst.update(case=name, seconds=round(seconds, 2))

    for name, call, check in api_cases(full):
        t = time.perf_counter()
        outcome, detail = _classify(call, check)
        record("api", name, outcome, detail, time.perf_counter() - t)
    with tempfile.TemporaryDirectory() as tmp:
        for name, args, _ in cli_cases(full, Path(tmp)):
            t = time.perf_counter()
            outcome, detail = run_cli(args)
            record("cli", name, outcome, detail, time.perf_counter() - t)
        for name, call, check in app_cases(full, Path(tmp)):
            t = time.perf_counter()
            outcome, detail = _classify(call, check)
            record("app", name, outcome, detail, time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"counts": counts, "failures": failures, "over_time_budget": slow, "slowest": worst,
            "peak_rss_mb": round(peak, 1), "start_rss_mb": round(start_rss, 1),
            "over_memory_budget": peak > MEMORY_BUDGET_MB, "cases": sum(sum(c.values()) for c in counts.values())}


if __name__ == "__main__":
    full = "--full" in sys.argv or bool(os.environ.get("INPAINT_FUZZ_FULL"))
    print(json.dumps(main(full), indent=2))
