"""Class probabilities from skeletons through a loaded checkpoint (shared by every driver)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from training.checkpoint import LoadedCheckpoint
from training.features import build_features
from training.model import ActionEnsemble


@dataclass
class ModelScores:
    """The model's softmax, split into known classes and the background output.

    Attributes:
        probabilities: (B, C) probabilities of the checkpoint's classes. With a background
            output they sum to 1 - background.
        background: (B,) probability of "no known action" (zeros for a model without one).
        members: (M, B, C) each ensemble member's probabilities of the classes (None for a
            single model).
        second_opinion: (B, C) the checkpoint's second model's probabilities (None without one;
            ``training.second_opinion``).
    """

    probabilities: np.ndarray
    background: np.ndarray
    members: np.ndarray | None = None
    second_opinion: np.ndarray | None = None


def predict_features(ckpt: LoadedCheckpoint, features: np.ndarray, lengths: np.ndarray) -> ModelScores:
    """(B, T, F) features and (B,) lengths (each >= 1) -> the model's scores for each row."""
    device = next(ckpt.model.parameters()).device
    classes = len(ckpt.classes)
    members = None
    with torch.inference_mode():
        x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)).to(device)
        lengths_t = torch.as_tensor(lengths, dtype=torch.int64)
        if isinstance(ckpt.model, ActionEnsemble):
            member_log_probs = ckpt.model.member_log_probs(x, lengths_t)                    # (M, B, K)
            logits = ActionEnsemble.combine(member_log_probs)
            members = member_log_probs.exp().cpu().numpy()[:, :, :classes]
        else:
            logits = ckpt.model(x, lengths_t)
        softmax = torch.softmax(logits, dim=1).cpu().numpy()
    background = softmax[:, classes] if ckpt.background else np.zeros(len(softmax), dtype=softmax.dtype)
    second = None if ckpt.second_opinion is None else ckpt.second_opinion.probabilities(features, lengths)
    return ModelScores(softmax[:, :classes], background, members, second)


def predict_keypoints(ckpt: LoadedCheckpoint, keypoints: np.ndarray) -> ModelScores | None:
    """(T, V, 2) pixel keypoints of one person -> scores of one row, None if nobody is in it."""
    features, length = build_features(keypoints, ckpt.spec, pad=False)
    if length == 0:
        return None
    return predict_features(ckpt, features[None, :length], np.array([length]))


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
