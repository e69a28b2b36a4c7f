"""inpaint-zoo: every inpainting method of a family of papers behind one interface."""

from .errors import InpaintError
from .images import RGBImage, load_image, save_image, to_float, to_uint8
from .masks import hole_bucket, hole_ratio, load_mask
from .methods import Method, Result, list_methods
from .zoo import load_method

__version__ = "0.1.0"

__all__ = [
    "InpaintError", "Method", "RGBImage", "Result", "hole_bucket", "hole_ratio", "list_methods",
    "load_image", "load_mask", "load_method", "save_image", "to_float", "to_uint8", "__version__",
]
