"""Benchmark sweeps on a Ray cluster: ``inpaint benchmark ... --engine ray [--address ...]``.

Every row is a pure function of (method label, image index) (:func:`inpaint_core.benchmark.evaluate_row`),
so rows can be computed anywhere and in any order. Stateful worker actors keep each method they have
been asked for, so a model is loaded (and warmed up) once per worker, not once per row; rows stream
back to the driver,
which appends each to the results file as it arrives (:class:`inpaint_core.benchmark.ResultsFile`).
An actor whose process dies is restarted and its unfinished rows are retried; rows already written
stay written, and an interrupted sweep resumes like a local one.

Ray is an optional extra (``pip install inpaint-zoo[ray]``); nothing else imports this module.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import cv2
import torch
from tqdm import tqdm

from .benchmark import BenchmarkSpec, FeatureStore, evaluate_row, method_from_label, warm_up
from .datasets import ImageSet, load_split
from .errors import InpaintError
from .maskgen import MaskGenerator, make_mask_generator
from .methods.base import Method

log = logging.getLogger(__name__)


class SweepWorker:
    """A Ray actor's state: the benchmark's images and masks, and each method it has been asked for,
    loaded (and warmed up) on its first row, so a model loads once per worker, not once per row."""

    def __init__(self, spec: BenchmarkSpec, threads: int = 1) -> None:
        # a worker holds one CPU of the cluster: its libraries use that many threads, not the machine's
        os.environ["INPAINT_THREADS"] = str(threads)
        torch.set_num_threads(threads)
        cv2.setNumThreads(threads)
        self.spec = spec
        self.images = load_split(spec.data, spec.split, spec.size, crops=spec.crops)
        self.gen = make_mask_generator(spec.masks, spec.ratio)
        self.methods: dict[str, Method] = {}

    def pid(self) -> int:
        return os.getpid()

    def row(self, label: str, index: int) -> dict[str, Any]:
        if label not in self.methods:  # as the local engine: a method's first fill is not timed
            self.methods[label] = method_from_label(label)
            warm_up(self.methods[label], self.images, self.gen, index, self.spec.seed)
        row, _ = evaluate_row(self.methods[label], self.images, self.gen, index, self.spec.seed, label,
                              self.spec.samples, self.spec.metrics)
        return row


class RayEngine:
    """Rows computed by ``workers`` actors (one per CPU by default) on a Ray cluster, a local one when
    ``address`` is None; each actor asks Ray for ``gpus`` GPUs, for methods that run on one there."""

    def __init__(self, address: str | None = None, workers: int | None = None, gpus: float = 0.0,
                 temp_dir: str | None = None) -> None:
        self.address, self.workers, self.gpus, self.temp_dir = address, workers, gpus, temp_dir
        #: the workers' process ids, known once they start (a test kills one mid-run)
        self.pids: list[int] = []

    def start(self):
        """Join the cluster at ``address``, or start a local one; returns the ``ray`` module."""
        try:
            import ray
        except ImportError as exc:
            raise InpaintError("The Ray engine needs Ray: pip install 'inpaint-zoo[ray]'.") from exc
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if self.address:
                options["address"] = self.address
            else:
                options["num_cpus"] = self.workers or os.cpu_count()
                if self.temp_dir:
                    options["_temp_dir"] = self.temp_dir
            ray.init(**options)
        return ray

    def rows(self, spec: BenchmarkSpec, images: ImageSet, gen: MaskGenerator, todo: dict[str, list[int]],
             features: FeatureStore | None, progress: bool) -> Iterator[dict[str, Any]]:
        if features is not None:
            raise InpaintError("FID needs every fill in one process: run `--metrics fid` with the local engine.")
        work = [(label, index) for label, indices in todo.items() for index in indices]
        if not work:
            return
        ray = self.start()
        count = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor_class = ray.remote(num_cpus=1, num_gpus=self.gpus, max_restarts=-1, max_task_retries=-1)(SweepWorker)
        actors = [actor_class.remote(spec) for _ in range(min(count, len(work)))]
        # a method's rows go round the workers in turn (each worker's calls run in order): every worker
        # loads each method once, and the methods run one after another over the whole cluster
        pending = [actors[k % len(actors)].row.remote(label, index) for k, (label, index) in enumerate(work)]
        try:
            self.pids = ray.get([a.pid.remote() for a in actors])
            bar = tqdm(total=len(work), desc="ray sweep", disable=not progress, leave=False)
            while pending:
                (ready,), pending = ray.wait(pending, num_returns=1)
                yield ray.get(ready)
                bar.update()
            bar.close()
        finally:
            for actor in actors:
                ray.kill(actor)
