"""Load test of the Gradio app's API: bursts of concurrent requests, half fast and half slow.

Starts ``python -m demos.gradio_app`` on 127.0.0.1 (a free port, private temp dirs), then for each
burst size sends that many ``/inpaint`` requests at once through ``gradio_client``: half Telea on a
small photo (the fast lane), half a slow method on a large one (the heavy lane). It reports requests
served, rejected with a message, failed without one, the p50/p95 time of the fast requests while the
slow ones run, the server's resident memory before and after (and its peak), and the result files
left behind. Everything stays on this machine and stops by itself.

    python benchmarks/load_test.py [--bursts 20,50] [--slow patchmatch] [--slow-side 1024]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_inputs(folder: Path, side: int) -> dict[str, tuple[str, str]]:
    from skimage import data

    from inpaint_core.images import save_image
    from inpaint_core.maskgen import make_mask_generator
    from inpaint_core.pipeline import resize_image

    out = {}
    photo = data.astronaut().astype(np.float32) / 255
    for name, size in (("small", (96, 128)), ("large", (side, side))):
        image = (resize_image(photo, size) * 255).round().astype(np.uint8)
        mask = make_mask_generator("object:0.09:0.11")(*size, np.random.default_rng(0))
        save_image(folder / f"{name}.png", image)
        save_image(folder / f"{name}-mask.png", (mask * 255).astype(np.uint8))
        out[name] = (str(folder / f"{name}.png"), str(folder / f"{name}-mask.png"))
    return out


def burst(url: str, n: int, inputs: dict[str, tuple[str, str]], slow: str) -> list[dict]:
    """``n`` requests released together (clients connected beforehand, so only the request is timed)."""
    from gradio_client import Client, handle_file

    results: list[dict] = []
    lock = threading.Lock()
    clients = [Client(url, verbose=False) for _ in range(n)]
    start_line = threading.Barrier(n)

    def one(i: int) -> None:
        fast = i % 2 == 0
        image, mask = inputs["small" if fast else "large"]
        start_line.wait()
        start = time.perf_counter()
        try:
            clients[i].predict(handle_file(image), handle_file(mask), "telea" if fast else slow, 0, api_name="/inpaint")
            outcome, message = "served", ""
        except Exception as exc:  # noqa: BLE001 - the message is what is measured
            message = str(exc)
            outcome = "failed" if "verbose error" in message or not message else "rejected"
        with lock:
            results.append({"fast": fast, "outcome": outcome, "message": message[:120],
                            "seconds": time.perf_counter() - start})

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bursts", default="20,50")
    parser.add_argument("--slow", default="patchmatch")
    parser.add_argument("--slow-side", type=int, default=1024)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="inpaint-load-"))
    inputs = write_inputs(tmp, args.slow_side)
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
           "GRADIO_TEMP_DIR": str(tmp / "gradio"), "TMPDIR": str(tmp / "server-tmp")}
    (tmp / "server-tmp").mkdir()
    server = subprocess.Popen([sys.executable, "-m", "demos.gradio_app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        import urllib.request

        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(1)
        burst(url, 2, inputs, args.slow)  # warm both methods up
        print(f"slow requests: {args.slow} on a {args.slow_side}x{args.slow_side} photo; fast: telea on 128x96; "
              "10% object holes\n")
        print("| concurrent | served | rejected with a message | failed without one | fast p50 s | fast p95 s | "
              "slow p50 s | RSS before MB | RSS after MB | peak RSS MB | result files left |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        messages = set()
        for n in (int(b) for b in args.bursts.split(",")):
            before = rss_mb(server.pid)
            rows = burst(url, n, inputs, args.slow)
            fast = sorted(r["seconds"] for r in rows if r["fast"] and r["outcome"] == "served")
            slow_served = [r["seconds"] for r in rows if not r["fast"] and r["outcome"] == "served"]
            count = {k: sum(r["outcome"] == k for r in rows) for k in ("served", "rejected", "failed")}
            messages |= {r["message"] for r in rows if r["outcome"] != "served"}
            left = len(list((tmp / "server-tmp").glob("inpaint-api-*/*.png")))
            p95 = fast[min(len(fast) - 1, int(0.95 * len(fast)))] if fast else float("nan")
            print(f"| {n} | {count['served']} | {count['rejected']} | {count['failed']} | "
                  f"{statistics.median(fast) if fast else float('nan'):.2f} | {p95:.2f} | "
                  f"{statistics.median(slow_served) if slow_served else float('nan'):.1f} | {before:.0f} | "
                  f"{rss_mb(server.pid):.0f} | {rss_mb(server.pid, 'VmHWM'):.0f} | {left} |", flush=True)
        time.sleep(61)  # result files older than a minute go at the next call
        burst(url, 1, inputs, args.slow)
        left = len(list((tmp / "server-tmp").glob("inpaint-api-*/*.png")))
        print(f"\nresult files left a minute later, after one more call: {left}")
        if messages:
            print("\nmessages of rejected requests:\n" + "\n".join(f"- {m}" for m in sorted(messages)))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
