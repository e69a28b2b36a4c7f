"""Click-to-result time of the Gradio app in headless Chromium, with the server's own fill time beside it.

Serves the app on 127.0.0.1, opens it in Debian's chromium through Playwright, uploads a photo of each
requested size (scikit-image's astronaut, resized) with the Open photo button, paints one stroke,
picks the method, and times from the click on Inpaint until the page shows the status of the new
result; the server time is the ``seconds`` the library reported for that fill. The time from choosing
the file until the painter shows the photo (a large one as its preview) is reported too. Medians of
``--repeat`` clicks (the first, which warms the method up, is dropped). Nothing leaves the machine.
Usage: ``python benchmarks/app_latency.py [--sizes 512x512,6000x4000] [--method telea] [--repeat 3] [--hole large]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path


BROWSER_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def paint(page, dx: float, dy: float, length: int = 20, brush: int | None = None) -> None:
    """One brush stroke on the painter, starting ``dx``, ``dy`` px from its centre (once it shows a photo);
    ``brush``: its diameter in % of the photo's width (the painter's slider)."""
    page.wait_for_selector("#painter .stage.loaded", timeout=120000)
    if brush is not None:
        page.locator("#painter .brush").fill(str(brush))
    canvas = page.locator("#painter canvas").first
    canvas.scroll_into_view_if_needed()  # the page scrolls to a result: mouse events need the canvas on screen
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(length):
        page.mouse.move(x + 4 * k, y + k, steps=2)
    page.mouse.up()


def press_inpaint(page, calls: list, timeout: float = 300) -> tuple[float, float, float]:
    """Click Inpaint and wait until the server handled the request and the page shows the status it
    returned (the server's own time in ms is part of it); returns the seconds from the click to the
    result, from the click until the fill started on the server (the page sending the strokes, the
    server drawing the mask), and from the end of the fill to the result on the page."""
    before = len(calls)
    start = time.perf_counter()
    page.locator("#run").click(no_wait_after=True)
    while len(calls) == before or calls[-1]["shown"] not in page.locator("#status").inner_text():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("no result within the timeout")
        page.wait_for_timeout(20)
    end = time.perf_counter()
    return end - start, calls[-1]["entered"] - start, end - calls[-1]["left"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="512x512,6000x4000")
    parser.add_argument("--method", default="telea")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hole", choices=("stroke", "large"), default="stroke",
                        help="one thin stroke, or a wide one covering about a tenth of the photo")
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from PIL import Image
    from playwright.sync_api import sync_playwright
    from skimage import data

    from demos import gradio_app as app

    calls: list[dict] = []
    real = app.run_inpaint

    def timed(*a, **k):
        entered = time.perf_counter()
        out = real(*a, **k)
        if "**: " not in out[1]:  # no fill (an empty mask, an error): the message is what the page shows
            raise RuntimeError(f"no fill: {out[1]}")
        ms = out[1].split("**: ")[1].split(" ms")[0]
        hole = float(k["inputs"][1].mean()) if k.get("inputs") else float("nan")
        calls.append({"server_s": float(ms) / 1000, "shown": f"{ms} ms", "entered": entered, "left": time.perf_counter(),
                      "hole": hole})
        return out

    app.run_inpaint = timed
    demo = app.build_app()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    folder = Path(tempfile.mkdtemp(prefix="inpaint-latency-"))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
                                        args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(f"http://127.0.0.1:{port}/", wait_until="load", timeout=120000)
            page.wait_for_selector("#run", timeout=120000)
            page.locator("#method input").fill(args.method)
            page.keyboard.press("Enter")
            for size in args.sizes.split(","):
                width, height = (int(v) for v in size.split("x"))
                path = folder / f"photo-{size}.png"
                Image.fromarray(data.astronaut()).resize((width, height)).save(path)
                start = time.perf_counter()
                with page.expect_file_chooser() as chooser:
                    page.locator("#open-photo").click()
                chooser.value.set_files(str(path))
                page.wait_for_function("['preview', 'Opened'].some(w => document.querySelector('#status').innerText"
                                       ".includes(w))", timeout=300000, polling=100)  # the server has the photo
                page.wait_for_selector("#painter .stage.loaded", timeout=120000)  # and the page shows it
                ready = time.perf_counter() - start
                if args.hole == "large":
                    paint(page, -150, -60, 75, brush=12)
                else:
                    paint(page, -40, 0)
                clicks, server, before, after = [], [], [], []
                for _ in range(args.repeat + 1):
                    total, to_server, from_server = press_inpaint(page, calls)
                    clicks.append(total)
                    before.append(to_server)
                    after.append(from_server)
                    server.append(calls[-1]["server_s"])
                print(json.dumps({"size": size, "method": args.method, "click_to_result_s": round(statistics.median(clicks[1:]), 3),
                                  "server_s": round(statistics.median(server[1:]), 3), "clicks": len(clicks) - 1,
                                  "click_to_fill_start_s": round(statistics.median(before[1:]), 3),
                                  "fill_end_to_result_s": round(statistics.median(after[1:]), 3),
                                  "open_to_paintable_s": round(ready, 2), "hole_percent": round(100 * calls[-1]["hole"], 1)}))
            browser.close()
    finally:
        demo.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
