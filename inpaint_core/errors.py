"""Exceptions that reach users: each message says what is wrong and what to do about it."""


class InpaintError(Exception):
    """Base class for every error inpaint-zoo raises on purpose (bad input, missing checkpoint, ...)."""


class ImageReadError(InpaintError):
    """A file or buffer that cannot be decoded as an image."""


class ImageWriteError(InpaintError):
    """An output path that cannot be written (unknown suffix, missing permission, name too long)."""


class ImageTooLargeError(InpaintError):
    """An image above the configured pixel limit (protects memory in the app and the CLI)."""


class ResourceLimitError(InpaintError):
    """A job that would pass a memory or time limit (inpaint_core.limits), refused before it starts."""


class MaskError(InpaintError):
    """A mask that cannot be used with the image it came with."""


class UnsupportedHoleError(InpaintError):
    """A hole the chosen method cannot fill (e.g. too large for a centre-hole model)."""


class CheckpointError(InpaintError):
    """A checkpoint that cannot be found, verified or loaded."""


class DatasetError(InpaintError):
    """A data set path or file that cannot be read."""
