"""Data-parallel training under ``torchrun``: PyTorch's own runtime, nothing home-made.

``torchrun --nproc_per_node=N -m training.train ...`` starts N processes with ``WORLD_SIZE``,
``RANK``, ``LOCAL_RANK`` and a rendezvous in the environment. :func:`distributed_from_environment`
joins that group (``gloo`` on CPU, ``nccl`` on CUDA); a plain ``python -m training.train`` gets a
one-process :class:`Distributed` whose every method is the identity, so the single-process run
is exactly what it was.

Every rank holds the same data and draws the same global batches (same seeds); each trains on
its share of every batch, gradients are averaged by ``DistributedDataParallel``, so
``--batch-size`` is the global batch at any world size.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from training.device import resolve_device
from training.errors import UserError

T = TypeVar("T")


@dataclass
class Distributed:
    """This process's place in the run: ``world_size`` processes, this one is ``rank``."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    backend: str = ""

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes files and prints the training log."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def describe(self) -> str:
        if not self.active:
            return f"one process on {self.device}"
        return (f"rank {self.rank} of world size {self.world_size} ({self.backend} on {self.device}, "
                f"local rank {self.local_rank})")

    def share(self, indices: np.ndarray) -> np.ndarray:
        """This rank's contiguous part of a global batch (or of any index list)."""
        if not self.active:
            return indices
        return np.array_split(indices, self.world_size)[self.rank]

    def wrap(self, model: nn.Module) -> nn.Module:
        """The model on this rank's device; under torchrun wrapped in DistributedDataParallel."""
        model = model.to(self.device)
        if not self.active:
            return model
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum of ``values`` over every rank."""
        if not self.active:
            return list(values)
        tensor = torch.tensor(values, dtype=torch.float64,
                              device=self.device if self.backend == "nccl" else "cpu")
        dist.all_reduce(tensor)
        return tensor.cpu().tolist()

    def gather(self, value: T) -> list[T]:
        """Every rank's ``value``, in rank order (picklable Python objects)."""
        if not self.active:
            return [value]
        out: list = [None] * self.world_size
        dist.all_gather_object(out, value)
        return out

    def from_main(self, run: Callable[[], T]) -> T:
        """Run ``run`` on rank 0 only and give its result (or its UserError) to every rank."""
        if not self.active:
            return run()
        box: list = [None]
        if self.is_main:
            try:
                box[0] = ("ok", run())
            except UserError as exc:
                box[0] = ("error", str(exc))
        dist.broadcast_object_list(box, src=0)
        status, value = box[0]
        if status == "error":
            raise UserError(value)
        return value

    def predict_all(self, predict: Callable[[np.ndarray | slice], np.ndarray], n: int) -> np.ndarray:
        """Rows 0..n-1 of ``predict(rows) -> (rows, K)``, each rank computing its share (one process:
        ``rows`` is ``slice(None)``, so the arrays are used as they are, not copied)."""
        if not self.active:
            return predict(slice(None))
        mine = self.share(np.arange(n))
        parts = self.gather((mine, predict(mine) if len(mine) else None))
        width = next(p.shape[1] for _, p in parts if p is not None)
        out = np.empty((n, width), dtype=np.float64)
        for rows, values in parts:
            if values is not None:
                out[rows] = values
        return out

    def barrier(self) -> None:
        if self.active:
            dist.barrier()


@contextlib.contextmanager
def distributed_from_environment(device: str = "auto") -> Iterator[Distributed]:
    """Join the torchrun group described by the environment, or run as one process.

    Raises:
        UserError: a device this machine lacks, or a group that cannot be joined.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        yield Distributed(device=resolve_device(device))
        return
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    chosen = resolve_device(device, local_rank)
    backend = "nccl" if chosen.type == "cuda" else "gloo"
    if chosen.type == "cuda":
        torch.cuda.set_device(chosen)
    try:
        dist.init_process_group(backend, timeout=timedelta(minutes=10))
    except (RuntimeError, ValueError) as exc:
        raise UserError(f"Could not join the torchrun group ({backend}, rank {rank} of {world_size}): {exc}. "
                        "Check --rdzv-endpoint / --master-addr and that every node can reach it.") from None
    try:
        yield Distributed(world_size, rank, local_rank, chosen, backend)
    finally:
        dist.destroy_process_group()
