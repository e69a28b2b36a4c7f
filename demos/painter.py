"""The app's mask painter: the photo with a 2-D canvas over it, strokes kept as polylines.

Gradio's ImageEditor exports its whole WebGL canvas (background, layer and composite as PNGs) on every
click, which took about 2 s in the browser before a 10 ms fill could start. Here the browser only
records the strokes (a few hundred points) and writes them, as JSON, into a hidden textbox when a stroke
ends; the click sends that text, and the server draws the mask at the photo's size. The photo itself
never travels back: the server keeps what the painter shows (:func:`painter_value` makes what it shows).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import cv2
import numpy as np

from inpaint_core import InpaintError

#: Element ids the page's script and the tests find the parts by: the painter, the hidden textbox its
#: strokes go to, and the "Open photo" button a dropped file is handed to (Gradio's own upload).
PAINTER_ID, STROKES_ID, OPEN_ID = "painter", "strokes", "open-photo"
#: More points than a person paints in a session: a larger text is refused, not drawn.
MAX_POINTS = 100_000
#: Brush radius as a share of the photo's width, so a stroke looks the same on a small or a huge photo.
BRUSH_PERCENT = (1, 12, 4)  # min, max, default: the diameter in % of the width

HTML = f"""
<div class="painter-tools">
  <label>Brush <input type="range" class="brush" min="{BRUSH_PERCENT[0]}" max="{BRUSH_PERCENT[1]}"
    value="{BRUSH_PERCENT[2]}" aria-label="Brush size"></label>
  <button type="button" class="undo-stroke" title="Ctrl+Z">Undo stroke</button>
  <button type="button" class="clear-strokes">Clear strokes (keep the photo)</button>
</div>
<div class="stage"><img class="photo" alt="The photo being edited"><img class="uploaded" alt="" hidden>
  <canvas aria-label="Paint over what should disappear"></canvas>
  <div class="empty">Drop a photo here, or pick one below</div></div>
"""

CSS = """
.painter-tools { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; font-size: 14px; }
.painter-tools button { font-size: 13px; font-weight: normal; padding: 2px 10px; border-radius: 6px; }
.stage { position: relative; display: inline-block; min-width: 320px; min-height: 200px; max-width: 100%; }
.stage img.photo { display: block; max-width: 100%; max-height: 640px; }
.stage canvas, .stage img.uploaded { position: absolute; inset: 0; width: 100%; height: 100%; opacity: 0.5; }
.stage canvas { cursor: crosshair; touch-action: none; }
.stage .empty { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  border: 2px dashed #999; color: #666; pointer-events: none; }
.stage.loaded .empty { display: none; }
.stage.dragging { outline: 3px solid #ff00ff; }
"""

#: The painter's script (``element``, ``props``, ``watch`` and ``upload`` come from gr.HTML). Strokes are
#: in the shown image's pixels; a new photo (a new ``value``) starts with none.
JS = f"""
const stage = element.querySelector('.stage'), img = stage.querySelector('img.photo');
const uploaded = stage.querySelector('img.uploaded'), canvas = stage.querySelector('canvas');
const ctx = canvas.getContext('2d'), brush = element.querySelector('.brush');
let strokes = [], current = null, shown = null;
function sync() {{
  const box = document.querySelector('#{STROKES_ID} textarea');
  if (!box) return;
  box.value = JSON.stringify({{width: canvas.width, height: canvas.height, strokes}});
  box.dispatchEvent(new Event('input', {{bubbles: true}}));
}}
function line(s, from) {{
  ctx.strokeStyle = ctx.fillStyle = '#ff00ff'; ctx.lineWidth = 2 * s.radius; ctx.lineCap = ctx.lineJoin = 'round';
  ctx.beginPath();
  const pts = s.points.slice(from);
  if (pts.length === 1) {{  // a click: a dot (a zero-length line draws nothing)
    ctx.arc(pts[0][0], pts[0][1], s.radius, 0, 2 * Math.PI); ctx.fill(); return;
  }}
  ctx.moveTo(pts[0][0], pts[0][1]);
  for (const p of pts.slice(1)) ctx.lineTo(p[0], p[1]);
  ctx.stroke();
}}
function redraw() {{ ctx.clearRect(0, 0, canvas.width, canvas.height); strokes.forEach(s => line(s, 0)); }}
function load() {{
  const v = props.value || {{}};
  uploaded.hidden = !v.mask;  // the uploaded mask file, shown under the strokes
  if (v.mask) uploaded.src = v.mask;
  if (v.src === shown) return;  // the same photo (a new mask file): the strokes stay
  shown = v.src; strokes = []; current = null; stage.classList.remove('loaded');  // no painting until it is drawn
  if (!v.src) {{ img.removeAttribute('src'); return; }}
  img.onload = () => {{ canvas.width = img.naturalWidth; canvas.height = img.naturalHeight; stage.classList.add('loaded'); sync(); }};
  img.src = v.src;
}}
function at(e) {{
  const r = canvas.getBoundingClientRect();
  return [Math.round((e.clientX - r.left) * canvas.width / r.width * 10) / 10,
          Math.round((e.clientY - r.top) * canvas.height / r.height * 10) / 10];
}}
canvas.addEventListener('pointerdown', e => {{
  if (!stage.classList.contains('loaded')) return;
  current = {{radius: Math.max(1, brush.value / 200 * canvas.width), points: [at(e)]}};
  strokes.push(current); canvas.setPointerCapture(e.pointerId); line(current, 0);
}});
canvas.addEventListener('pointermove', e => {{
  if (!current) return;
  current.points.push(at(e)); line(current, current.points.length - 2);
}});
const end = () => {{ if (current) {{ current = null; sync(); }} }};
canvas.addEventListener('pointerup', end);
canvas.addEventListener('pointercancel', end);
function cursor() {{  // a circle the size of the brush on screen (browsers cap cursors at 128 px)
  const r = Math.min(63, Math.max(2, brush.value / 200 * canvas.getBoundingClientRect().width)), c = Math.ceil(r) + 1;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${{2 * c}}" height="${{2 * c}}">` +
    `<circle cx="${{c}}" cy="${{c}}" r="${{r}}" fill="none" stroke="black" stroke-width="1.5"/>` +
    `<circle cx="${{c}}" cy="${{c}}" r="${{r - 1}}" fill="none" stroke="white" stroke-width="1"/></svg>`;
  canvas.style.cursor = `url("data:image/svg+xml,${{encodeURIComponent(svg)}}") ${{c}} ${{c}}, crosshair`;
}}
brush.addEventListener('input', cursor);
canvas.addEventListener('pointerenter', cursor);
const undoStroke = () => {{ strokes.pop(); redraw(); sync(); }};
element.querySelector('.undo-stroke').addEventListener('click', undoStroke);
document.addEventListener('keydown', e => {{  // Ctrl/Cmd+Z, unless a text field has the focus
  if ((e.ctrlKey || e.metaKey) && e.key === 'z' && !e.target.closest('input, textarea, [contenteditable]')
      && strokes.length) {{ e.preventDefault(); undoStroke(); }}
}});
element.querySelector('.clear-strokes').addEventListener('click', () => {{ strokes = []; redraw(); sync(); }});
stage.addEventListener('dragover', e => {{ e.preventDefault(); stage.classList.add('dragging'); }});
stage.addEventListener('dragleave', () => stage.classList.remove('dragging'));
stage.addEventListener('drop', e => {{  // handed to the Open photo button: Gradio's own upload
  e.preventDefault(); stage.classList.remove('dragging');
  const button = document.getElementById('{OPEN_ID}'), input = button && button.previousElementSibling;
  if (!input || !input.matches('input[type=file]') || !e.dataTransfer.files.length) return;
  input.files = e.dataTransfer.files;
  input.dispatchEvent(new Event('change', {{bubbles: true}}));
}});
watch('value', load);
load();
"""


def painter_value(shown: np.ndarray | None, uploaded: np.ndarray | None = None) -> dict[str, Any]:
    """What the painter shows: the image as a data URL (JPEG for an opaque photo: a tenth of a PNG's
    bytes, and only seen, never filled; PNG when it has transparency), and an uploaded mask file (a
    boolean mask at the image's size) drawn over it like the strokes."""
    if shown is None:
        return {"src": ""}
    value = {"src": _data_url(shown), "width": int(shown.shape[1]), "height": int(shown.shape[0])}
    if uploaded is not None and uploaded.any():
        value["mask"] = _data_url(np.dstack([np.full(uploaded.shape + (3,), (255, 0, 255), np.uint8),
                                             uploaded.astype(np.uint8) * 255]))
    return value


def _data_url(shown: np.ndarray) -> str:
    arr = np.asarray(shown)
    if arr.ndim == 3 and arr.shape[2] == 4 and not (arr[..., 3] == 255).all():
        ok, buf = cv2.imencode(".png", cv2.cvtColor(arr, cv2.COLOR_RGBA2BGRA))
        kind = "png"
    else:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(arr[..., :3], cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
        kind = "jpeg"
    if not ok:
        raise InpaintError("The photo could not be shown in the painter (encoding failed).")
    return f"data:image/{kind};base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def strokes_mask(strokes: str | None, shape: tuple[int, int]) -> np.ndarray:
    """The painted strokes (the painter's JSON) as a boolean mask of ``shape``: each stroke a polyline
    of its radius, scaled from the canvas it was painted on."""
    mask = np.zeros(shape, np.uint8)
    if not strokes:
        return mask.astype(bool)
    try:
        data = json.loads(strokes)
        width, height = float(data["width"]), float(data["height"])
        lines = [(np.asarray(s["points"], dtype=np.float64).reshape(-1, 2), float(s["radius"])) for s in data["strokes"]]
        if not (np.isfinite(width) and np.isfinite(height) and width > 0 and height > 0):
            raise ValueError("the canvas has no size")
        if sum(len(points) for points, _ in lines) > MAX_POINTS:
            raise ValueError(f"more than {MAX_POINTS} points")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InpaintError(f"The painted strokes could not be read ({exc}): clear them and paint again.") from None
    sx, sy = shape[1] / width, shape[0] / height
    reach = 2 * max(shape)  # beyond it a point or a radius changes nothing on the photo
    for points, radius in lines:
        scaled, width = points * (sx, sy), 2 * radius * (sx + sy) / 2
        if not len(points) or not np.isfinite(scaled).all() or not np.isfinite(width):
            continue
        scaled = np.round(np.clip(scaled, -reach, reach)).astype(np.int32)
        thickness = int(np.clip(round(width), 1, reach))
        cv2.polylines(mask, [scaled], False, 255, thickness=thickness, lineType=cv2.LINE_8)
        for x, y in scaled[[0, -1]]:  # round ends, also for a single click
            cv2.circle(mask, (int(x), int(y)), thickness // 2, 255, -1)
    return mask > 0
