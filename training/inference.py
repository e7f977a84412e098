"""Class probabilities from skeletons through a loaded checkpoint (shared by every driver)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch

from training.checkpoint import LoadedCheckpoint
from training.features import build_features


def predict_features(ckpt: LoadedCheckpoint, features: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(B, T, F) features and (B,) lengths (each >= 1) -> (B, C) probabilities."""
    with torch.inference_mode():
        x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
        logits = ckpt.model(x, torch.as_tensor(lengths, dtype=torch.int64))
        return torch.softmax(logits, dim=1).numpy()


def predict_keypoints(ckpt: LoadedCheckpoint, keypoints: np.ndarray) -> np.ndarray | None:
    """(T, V, 2) pixel keypoints of one person -> (C,) probabilities, None if nobody is in it."""
    features, length = build_features(keypoints, ckpt.spec)
    if length == 0:
        return None
    return predict_features(ckpt, features[None, :length], np.array([length]))[0]


def top_k(probabilities: np.ndarray, classes: list[str], k: int = 5) -> list[tuple[str, float]]:
    """(C,) probabilities -> the k best (class, probability) pairs, best first."""
    order = np.argsort(-probabilities)[:k]
    return [(classes[i], float(probabilities[i])) for i in order]


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with ``n`` torch CPU threads, then restore the previous count.

    One window at a time is too small for intra-op parallelism: extra threads only spin and
    take the core the pose model needs.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
