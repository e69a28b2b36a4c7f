"""The CPU thread budget of a job: ``INPAINT_THREADS`` lets jobs share the cores (one or two threads
each) instead of every job contending for all of them. Kept free of torch so reading it costs nothing."""

from __future__ import annotations

import os


def env_threads() -> int | None:
    """Threads ``INPAINT_THREADS`` asks for, or None when it is unset."""
    value = os.environ.get("INPAINT_THREADS")
    return int(value) if value else None
