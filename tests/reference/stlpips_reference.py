"""Reference ST-LPIPS values for tests/test_perceptual.py, from the original ``stlpips_pytorch`` code.

The package imports torchvision, IPython and torchsummary at module level although the
shift-tolerant networks use none of them, and the PyPI torchvision wheel does not load beside the
project's CPU torch. This script puts empty stand-ins for those three modules on ``sys.path``, builds
the package's own ``LPIPS(net=..., variant="shift_tolerant")`` (which loads the wheel's weights
itself) and prints its distances next to ``inpaint_core.lpips`` on the same inputs, prepared by the
project's convention. Run it from the repository root:

    .venv/bin/python tests/reference/stlpips_reference.py

Printed on 2026-12-02 (torch 2.13.0 CPU); the two columns agreed to 6 decimals on every pair:
alex astronaut-blur 0.169750, coffee-noise 0.223271, astronaut-shift 0.001643;
vgg astronaut-blur 0.246949, coffee-noise 0.293855, astronaut-shift 0.007693.
"""

import sys
import tempfile
from pathlib import Path

STUBS = {"torchvision/__init__.py": "from . import models\n", "torchvision/models.py": "",
         "IPython/__init__.py": "def embed(*a, **k):\n    pass\n",
         "torchsummary/__init__.py": "def summary(*a, **k):\n    pass\n"}


def main() -> None:
    stub_dir = Path(tempfile.mkdtemp())
    for name, text in STUBS.items():
        (stub_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (stub_dir / name).write_text(text)
    sys.path.insert(0, str(stub_dir))
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import torch
    from stlpips_pytorch import stlpips

    from inpaint_core.lpips import lpips, prepare
    from tests.test_perceptual import reference_pairs

    for net in ("alex", "vgg"):
        original = stlpips.LPIPS(net=net, variant="shift_tolerant", verbose=False)
        for name, x, y in reference_pairs():
            with torch.no_grad():
                ref = float(original(prepare(x), prepare(y)))
            print(net, name, f"{ref:.6f}", f"{lpips(x, y, net):.6f}")


if __name__ == "__main__":
    main()
