"""Which term of the photo network's objective rewards a pattern in its fill?

For a training state (``runs/ID/state.safetensors``), the network's fills of 256 px crops of held-out
photos with 25-40% object holes are split into their high frequencies inside the hole (fill minus a
sigma-3 Gaussian blur) and, of those, the periodic part (the FFT bins standing 4x above their
neighbourhood's median: a hatch). Each weighted term of the recipe (pixel L1, perceptual, style,
adversarial with the state's critic) is differentiated with respect to the fill and projected on both
directions. A negative projection means the term falls as that content grows: the term asks for it.
Usage: ``python benchmarks/loss_term_directions.py runs/lama-pm-photo-256 [--crops 12]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import torch
from safetensors.torch import load_file
from scipy.ndimage import median_filter

from inpaint_core.datasets import load_split
from inpaint_core.losses import PatchDiscriminator, generator_adversarial
from inpaint_core.maskgen import image_mask, make_mask_generator
from inpaint_core.methods.lama import PhotoNet
from inpaint_core.training import make_recipe

PHOTOS = "../shared/datasets/bsds500/images-jpg.tar.gz"


def periodic_part(highpass: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The part of 3xHxW high frequencies inside ``hole`` at the FFT bins that stand out (a hatch)."""
    magnitude = np.fft.fftshift(np.abs(np.fft.fft2(highpass.mean(0) * hole)))
    peaks = np.fft.ifftshift(magnitude > 4 * median_filter(magnitude, size=15))
    peaks[0, 0] = False
    return np.stack([np.real(np.fft.ifft2(np.fft.fft2(c * hole) * peaks)) * hole for c in highpass])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run's state folder (state.safetensors, state.json)")
    parser.add_argument("--crops", type=int, default=12)
    args = parser.parse_args()
    recipe = make_recipe("lama", json.loads((args.run / "state.json").read_text())["recipe"])
    state = load_file(args.run / "state.safetensors")
    net = PhotoNet(**recipe.network).eval()
    net.load_state_dict({k[len("ema."):]: v for k, v in state.items() if k.startswith("ema.")})
    critic = PatchDiscriminator(**recipe.discriminator).eval()
    critic.load_state_dict({k[len("net.discriminator."):]: v for k, v in state.items()
                            if k.startswith("net.discriminator.")})

    photos = load_split(PHOTOS, "val", None)
    masks_of = make_mask_generator("object:0.25:0.4")
    rng = np.random.default_rng(0)
    crops, holes = [], []
    for i in range(args.crops):
        photo = photos[i * 7 % len(photos)]
        y, x = (int(rng.integers(0, n - 256 + 1)) for n in photo.shape[:2])
        crops.append(photo[y:y + 256, x:x + 256])
        holes.append(image_mask(masks_of, (256, 256), 0, i))
    images = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255
    masks = torch.from_numpy(np.stack(holes))[:, None].float()
    with torch.no_grad():
        fill = net(images, masks, torch.Generator().manual_seed(0)).clamp(0, 1)

    highpass = np.stack([[c - cv2.GaussianBlur(c, (0, 0), 3) for c in f] for f in fill.numpy()]) * masks.numpy()
    periodic = np.stack([periodic_part(h, m) for h, m in zip(highpass, holes)])
    directions = {"high frequencies": torch.from_numpy(highpass), "periodic part": torch.from_numpy(periodic)}
    print(f"periodic share of the high frequencies' energy: {float((periodic ** 2).sum() / (highpass ** 2).sum()):.4f}")

    x = fill.clone().requires_grad_(True)
    perceptual, style = recipe.feature_terms(x, images, masks)
    adversarial = generator_adversarial(critic, images * (1 - masks) + x * masks, masks)
    terms = {"pixel L1": recipe.pixel_loss(x, images, masks)[1], "perceptual": recipe.perceptual_weight * perceptual,
             "style": recipe.style_weight * style, "adversarial": recipe.adversarial_weight * adversarial}
    print(f"{'term':12s} {'weighted':>9s}  " + "  ".join(f"{name:>16s}" for name in directions))
    for name, value in terms.items():
        grad, = torch.autograd.grad(value, x, retain_graph=True)
        slopes = "  ".join(f"{float((grad * d).sum()):+16.5f}" for d in directions.values())
        print(f"{name:12s} {float(value.detach()):9.5f}  {slopes}")


if __name__ == "__main__":
    main()
