"""Where the model runs: ``--device auto|cpu|cuda|mps``, resolved once, with a clear error.

Checkpoints stay device-independent: weights are saved from CPU copies and loaded onto CPU
first, then moved to the chosen device.
"""
from __future__ import annotations

import argparse
import os

import torch

from training.errors import UserError

DEVICES = ("auto", "cpu", "cuda", "mps")


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, e.g. under ``taskset`` or a container
    limit), else the machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(name: str = "auto", local_rank: int = 0) -> torch.device:
    """``auto`` -> CUDA when present, else CPU; ``cuda`` -> GPU ``local_rank`` (one per process under torchrun).

    Raises:
        UserError: an unknown name, or a device this machine does not have.
    """
    text = str(name).strip().lower()
    if text not in DEVICES:
        raise UserError(f"--device must be one of {', '.join(DEVICES)}, got {name!r}.")
    if text == "auto":
        text = "cuda" if torch.cuda.is_available() else "cpu"
    if text == "cuda":
        if not torch.cuda.is_available():
            why = "this torch build has no CUDA" if torch.version.cuda is None else "no CUDA GPU is visible"
            raise UserError(f"--device cuda: {why}. Use --device cpu (or auto, which picks CUDA only when present).")
        count = torch.cuda.device_count()
        if local_rank >= count:
            raise UserError(f"--device cuda: process {local_rank} needs GPU {local_rank}, but only {count} "
                            "visible; start at most as many processes per node as there are GPUs.")
        return torch.device("cuda", local_rank)
    if text == "mps" and not _mps_available():
        raise UserError("--device mps: Apple's Metal backend is not available here. Use --device cpu or auto.")
    return torch.device(text)


def add_device_argument(parser: argparse.ArgumentParser, default: str | None = "auto") -> None:
    """``--device`` with the same help in every command."""
    parser.add_argument("--device", choices=DEVICES, default=default,
                        help="where the LSTM runs: auto (CUDA when present, else CPU; default), cpu, cuda, mps")
