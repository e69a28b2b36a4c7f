"""Hugging Face Space entry: the inpaint-zoo Gradio app.

`spaces/build.py` copies `inpaint_core/`, `demos/` and the zoo catalog next to this file; in the
repository itself the installed package is used.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demos.gradio_app import MAX_UPLOAD, build_app  # noqa: E402

demo = build_app()

if __name__ == "__main__":
    demo.launch(max_file_size=MAX_UPLOAD)
